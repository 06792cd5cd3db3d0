/* SPDX-License-Identifier: MIT */
/* Publishing full CRLs (R-REV-2): one per issuing key (dv, ov, ev; the intermediate and its
 * cross-certificate share key and subject), at the CDP URL the certificates carry,
 * {repository}/{level}.crl. crl_refresh re-signs a CRL when a certificate was revoked
 * since the last one (compared by the count of revoked certificates), when it is older than
 * half its validity, or when there is none yet; it reads the revoked certificates in one
 * statement (a consistent snapshot), signs with the next CRL number, stores the CRL in
 * the crls table (the number only grows; a concurrent signer loses) and writes it to
 * DIR/repository/{level}.crl, which GET /repository/{level}.crl serves. Revocations never
 * wait for it: it runs as the job crl.sign every [revocation] crl_check_seconds. */
#ifndef SM_RA_CRL_H
#define SM_RA_CRL_H
#include <stdint.h>

#include "core/err.h"

struct config;
struct db;

#define CRL_JOB_KIND "crl.sign"

/* One pass at now over dv, ov and ev (levels without a CA are skipped). force = 1 signs
 * every CRL anew. *signed_n (may be NULL) counts the CRLs signed. */
int crl_refresh(struct db *db, const struct config *cfg, int64_t now, int force, int *signed_n,
                struct sm_err *e);

#endif
