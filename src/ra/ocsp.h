/* SPDX-License-Identifier: MIT */
/* The OCSP responder (R-REV-2, RFC 6960; BR 4.9.9, 4.9.10). Responses are signed by a
 * delegated responder per issuing key (dv, ov, ev), whose certificate (id-kp-OCSPSigning,
 * ocsp-nocheck, [revocation] ocsp_responder_days) is made by ocsp_responders_ensure at
 * init and renewed by the CRL job when a third of its validity remains. Status comes from
 * the certificates table: issued (and scheduled, expired) certificates are good, revoked
 * ones revoked with time and reason, and a serial that was never issued is unknown,
 * never good; a serial of another issuer is unknown too. Requests of an issuer that is
 * not ours get unauthorized, unreadable ones malformedRequest. The response is valid
 * [revocation] ocsp_validity_hours. */
#ifndef SM_RA_OCSP_H
#define SM_RA_OCSP_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct config;
struct db;

/* Makes a responder (key file DIR/keys/ocsp-LEVEL-TIME.key under the CA passphrase,
 * certificate signed by the level's key, row in ocsp_responders) for every level that
 * has a CA and no responder valid for more than a third of its validity at now. *made
 * (may be NULL) counts them. */
int ocsp_responders_ensure(struct db *db, const struct config *cfg, int64_t now, int *made,
                           struct sm_err *e);

/* The DER OCSPResponse for the DER request (malformedRequest, unauthorized, internalError
 * answers included) into *resp (OPENSSL_free). 0, or -SM_E_NOMEM when not even an error
 * response could be made. e says what went wrong behind an error response. */
int ocsp_answer(struct db *db, const struct config *cfg, const unsigned char *req, size_t len,
                int64_t now, unsigned char **resp, size_t *resp_len, struct sm_err *e);

/* Signs ahead of requests the response of every certificate (issued, scheduled, revoked,
 * not expired) that has none, whose stored one tells an older state, or whose stored one
 * is past half its validity (refresh_at), at most max of them, in transactions of 500;
 * *count (may be NULL) = how many. ocsp_answer serves them to requests without a nonce
 * and with a SHA-1 CertID (RFC 5019) while they tell the current state; everything else
 * is signed on request (a just-issued certificate, a nonce). Run by the CRL job. */
int ocsp_presign_refresh(struct db *db, const struct config *cfg, int64_t now, size_t max,
                         size_t *count, struct sm_err *e);

/* Drops the responders loaded in memory (tests, shutdown). */
void ocsp_cache_clear(void);

#endif
