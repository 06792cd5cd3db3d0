/* SPDX-License-Identifier: MIT */
/* revokeCert (RFC 8555 7.6; issue 10 item 2, R-ACME-1). The request is signed either with
 * an account's kid (the account's organization must own the certificate, or the account
 * must hold a valid authorization, inside its reuse period, for every DNS name of it) or with the
 * certificate's own key (jwk). The payload names the certificate (base64url DER, one this
 * CA issued) and optionally a reason: unspecified (0), keyCompromise (1; only signed with
 * the certificate's key, which proves the compromise and puts the key on the blocklist),
 * affiliationChanged (3), superseded (4) or cessationOfOperation (5), the subscriber's
 * codes of BR 7.2.2. The revocation is the portal's (ra/revoke revoke_cert, source "acme"),
 * carried out at once, so the CRL and OCSP show it as they show any other. Refusals:
 * alreadyRevoked, unauthorized (another organization's certificate, another key, an
 * expired certificate), badRevocationReason, malformed; each changes nothing. */
#ifndef SM_RA_ACME_REVOKE_H
#define SM_RA_ACME_REVOKE_H
#include "core/err.h"
#include "ra/acme.h"

struct db;

int acme_revoke(struct db *db, const struct acme_request *q, struct sm_err *e);

#endif
