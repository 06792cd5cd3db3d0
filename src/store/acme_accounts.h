/* SPDX-License-Identifier: MIT */
/* The acme_accounts and acme_eab_keys tables (migration 0041): ACME accounts, known by
 * the thumbprint of their key, and the external account binding credentials of portal
 * organizations. The inserts run inside the caller's transaction (ra/acme_account.c). */
#ifndef SM_ACME_ACCOUNTS_H
#define SM_ACME_ACCOUNTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct acme_account_row {
    int64_t id, org_id, created_at;
    char *jwk;     /* canonical JWK JSON (owned) */
    char *contact; /* JSON array (owned) */
    char thumbprint[48];
    char status[16];
    char eab_kid[64];
};
void acme_account_row_free(struct acme_account_row *a);

/* Inserts a (id and created_at from the arguments ignored but created_at) and sets *id. */
int acme_account_insert(struct db *db, const struct acme_account_row *a, int64_t *id,
                        struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int acme_account_get(struct db *db, int64_t id, struct acme_account_row *out, struct sm_err *e);
/* Sets the status and contact of account id (inside the caller's transaction). */
int acme_account_update(struct db *db, int64_t id, const char *status, const char *contact,
                        struct sm_err *e);
/* Replaces the key of account id (inside the caller's transaction); a key of another
 * account fails on the unique thumbprint. */
int acme_account_update_key(struct db *db, int64_t id, const char *jwk, const char *thumbprint,
                            struct sm_err *e);
int acme_account_by_thumbprint(struct db *db, const char *thumbprint, struct acme_account_row *out,
                               struct sm_err *e);

struct acme_eab_row {
    char kid[64];
    int64_t org_id, created_at, revoked_at; /* revoked_at 0 = usable */
    unsigned char hmac_key[64];
    size_t hmac_key_len;
};
int acme_eab_insert(struct db *db, const struct acme_eab_row *k, const char *created_by,
                    struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int acme_eab_get(struct db *db, const char *kid, struct acme_eab_row *out, struct sm_err *e);

/* The EAB credentials of the organizations in scope (issue 10 item 4, the account page),
 * newest first, with how many ACME accounts were created with each and the first of them.
 * Never the HMAC key. Free with free(). */
struct org_scope;
struct acme_eab_list_row {
    char kid[64];
    int64_t org_id, created_at, revoked_at; /* revoked_at 0 = usable */
    char org_name[128];
    int64_t accounts, account_id; /* account_id: the first bound account, 0 = unused */
};
int acme_eab_list_scoped(struct db *db, const struct org_scope *scope,
                         struct acme_eab_list_row **out, size_t *n, struct sm_err *e);
/* The key kid if its organization is in scope; -SM_E_NOTFOUND otherwise. */
int acme_eab_get_scoped(struct db *db, const char *kid, const struct org_scope *scope,
                        struct acme_eab_list_row *out, struct sm_err *e);
/* Marks kid revoked at now if it is usable and no account was created with it (inside the
 * caller's transaction); -SM_E_CONFLICT otherwise. */
int acme_eab_mark_revoked(struct db *db, const char *kid, int64_t now, struct sm_err *e);

#endif
