/* SPDX-License-Identifier: MIT */
/* The api_keys table (migration 0004_accounts.sql): a user's API keys, stored only as the
 * SHA-256 hex of the key with a short prefix to show. Rules live in ra/. */
#ifndef SM_API_KEYS_H
#define SM_API_KEYS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#ifndef TOKEN_HASH_HEX
#define TOKEN_HASH_HEX 65 /* 64 hex digits + NUL */
#endif

#define APIKEY_PREFIX_MAX 16
#define APIKEY_LABEL_MAX  200
struct api_key_row {
    int64_t id, user_id;
    char prefix[APIKEY_PREFIX_MAX + 1];
    char hash[TOKEN_HASH_HEX];
    char label[APIKEY_LABEL_MAX + 1];
    int64_t created_at, last_used, revoked_at; /* 0 = never / not revoked */
};
int apikey_insert(struct db *db, const struct api_key_row *k, int64_t *id, struct sm_err *e);
/* The key with this hash (revoked or not). -SM_E_NOTFOUND when absent. */
int apikey_find(struct db *db, const char *hash, struct api_key_row *out, struct sm_err *e);
/* The keys of a user, newest first; free *rows with api_key_rows_free(rows, n) (or free()). */
int apikey_list(struct db *db, int64_t user_id, struct api_key_row **rows, size_t *n,
                struct sm_err *e);
void api_key_rows_free(struct api_key_row *v, size_t n);
/* Revokes key id of user_id at now. -SM_E_NOTFOUND when the user has no such active key. */
int apikey_revoke(struct db *db, int64_t id, int64_t user_id, int64_t now, struct sm_err *e);
int apikey_touch(struct db *db, int64_t id, int64_t now, struct sm_err *e);

#endif
