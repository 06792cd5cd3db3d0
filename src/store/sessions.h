/* SPDX-License-Identifier: MIT */
/* The sessions table (migration 0004_accounts.sql): login sessions. With API keys
 * (api_keys.h) and password reset tokens (reset_tokens.h), included here for the callers
 * of all three, these are the credentials a user holds besides the password. Every token
 * is stored only as the SHA-256 hex of its value (64 characters); the raw token exists
 * only in the cookie, the mail or the one answer that shows it. Writers expect the
 * caller's transaction where an audit record goes with them; rules (timeouts, single use)
 * live in ra/. */
#ifndef SM_SESSIONS_H
#define SM_SESSIONS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/api_keys.h"
#include "store/reset_tokens.h"

struct db;

#ifndef TOKEN_HASH_HEX
#define TOKEN_HASH_HEX 65 /* 64 hex digits + NUL */
#endif

struct session_row {
    char id_hash[TOKEN_HASH_HEX];
    int64_t user_id, created_at, last_seen, expires_at;
};
int session_insert(struct db *db, const struct session_row *s, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int session_get(struct db *db, const char *id_hash, struct session_row *out, struct sm_err *e);
int session_touch(struct db *db, const char *id_hash, int64_t now, struct sm_err *e);
/* Deletes one session (absent is not an error). */
int session_delete(struct db *db, const char *id_hash, struct sm_err *e);
/* Deletes every session of a user except keep_hash (NULL = all). */
int session_delete_user(struct db *db, int64_t user_id, const char *keep_hash, struct sm_err *e);

#endif
