/* SPDX-License-Identifier: MIT */
/* The password_resets table (migration 0004_accounts.sql): password reset tokens, stored
 * only as the SHA-256 hex of the token. Single use and expiry are decided in ra/. */
#ifndef SM_RESET_TOKENS_H
#define SM_RESET_TOKENS_H
#include <stdint.h>

#include "core/err.h"

struct db;

#ifndef TOKEN_HASH_HEX
#define TOKEN_HASH_HEX 65 /* 64 hex digits + NUL */
#endif

struct reset_token_row {
    char token_hash[TOKEN_HASH_HEX];
    int64_t user_id, created_at, expires_at, used_at; /* used_at 0 = unused */
};
int pwreset_insert(struct db *db, const struct reset_token_row *t, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int pwreset_get(struct db *db, const char *token_hash, struct reset_token_row *out,
                struct sm_err *e);
/* Marks the token used at now if it was unused; -SM_E_CONFLICT when it was already used
 * (so two concurrent confirmations cannot both succeed). */
int pwreset_use(struct db *db, const char *token_hash, int64_t now, struct sm_err *e);
/* Ends every pending (unused) reset token of user_id at now: after a reset or a password
 * change no older link works. */
int pwreset_revoke_user(struct db *db, int64_t user_id, int64_t now, struct sm_err *e);

#endif
