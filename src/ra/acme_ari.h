/* SPDX-License-Identifier: MIT */
/* ACME Renewal Information (RFC 9773; issue 10 item 6, R-ACME-1).
 *
 * A certificate is named by its certID: base64url of its Authority Key Identifier's
 * keyIdentifier, ".", base64url of the DER bytes of its serial number. Its suggested
 * renewal window is, by default, inside the last third of its validity: from two thirds
 * to five sixths of the way. It moves to now (start now, end an hour later) when the
 * certificate has a revocation scheduled (a reissue with a later revocation date, a mass
 * revocation by date) or is revoked, and to the time of the operator's drill when a drill
 * took it (`shomei acme ari-drill`; a window in the past means "renew at once" to an ARI
 * client). The answer carries Retry-After (ACME_ARI_RETRY_AFTER seconds). */
#ifndef SM_RA_ACME_ARI_H
#define SM_RA_ACME_ARI_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define ACME_ARI_RETRY_AFTER 21600 /* six hours */

struct acme_ari_window {
    int64_t start, end;
    const char *why; /* "default", "revocation", "drill" */
};

/* The window of the certificate certid names at now. -SM_E_ACME_MALFORMED (field certID)
 * for a certID that is not two base64url parts, -SM_E_NOTFOUND for one of no certificate
 * of this CA (unknown serial, or its AKI is not the certificate's). */
int acme_ari_window_get(struct db *db, const char *certid, int64_t now, struct acme_ari_window *out,
                        struct sm_err *e);

/* The operator's drill: every valid certificate of CA ca_name issued before issued_before
 * (of organization org_id, 0 = all) gets its window moved to now. Audited as
 * acme.ari.drill by actor. *drill_id and *count (may be NULL) get the drill and how many
 * certificates it took. -SM_E_NOTFOUND (field ca or org) for an unknown CA or
 * organization. Own transaction. */
int acme_ari_drill(struct db *db, const char *ca_name, int64_t issued_before, int64_t org_id,
                   const char *actor, int64_t now, int64_t *drill_id, int64_t *count,
                   struct sm_err *e);

#endif
