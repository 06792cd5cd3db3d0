/* SPDX-License-Identifier: MIT */
/* ACME credentials on the account page (issue 10 item 4, R-ACME-1): a customer or
 * reseller (or staff) creates external account binding credentials for an organization it
 * may act for (ra/account.h account_scope: its own, a reseller's customers), sees those of
 * its organizations (used or not, the account bound) and revokes unused ones. The key id
 * and HMAC key are shown once (ra/acme.h acme_eab_create); every change is audited with
 * the user as actor. */
#ifndef SM_RA_ACME_EAB_H
#define SM_RA_ACME_EAB_H
#include <stdint.h>

#include "core/err.h"
#include "ra/acme.h"

struct db;
struct user_row;

/* -SM_E_INVALID (field org_id) for an organization u may not act for; nothing is made. */
int acme_eab_create_for(struct db *db, const struct user_row *u, int64_t org_id, int64_t now,
                        char kid[ACME_EAB_KID_LEN], char key_b64[ACME_EAB_KEY_LEN],
                        struct sm_err *e);

/* Revokes the unused credentials kid of an organization in u's scope: -SM_E_NOTFOUND
 * outside it, -SM_E_CONFLICT (field kid) when already revoked or an account was created
 * with them. Own transaction, audited as acme.eab.revoke. */
int acme_eab_revoke_for(struct db *db, const struct user_row *u, const char *kid, int64_t now,
                        struct sm_err *e);

#endif
