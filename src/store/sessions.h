/* SPDX-License-Identifier: MIT */
/* The credentials a user holds besides the password (migration 0004_accounts.sql): login
 * sessions, API keys and password reset tokens. Every token is stored only as the SHA-256
 * hex of its value (64 characters); the raw token exists only in the cookie, the mail or
 * the one answer that shows it. Writers expect the caller's transaction where an audit
 * record goes with them; rules (timeouts, single use) live in ra/account. */
#ifndef SM_SESSIONS_H
#define SM_SESSIONS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define TOKEN_HASH_HEX 65 /* 64 hex digits + NUL */

/* ---- sessions ---- */
struct session {
    char id_hash[TOKEN_HASH_HEX];
    int64_t user_id, created_at, last_seen, expires_at;
};
int session_insert(struct db *db, const struct session *s, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int session_get(struct db *db, const char *id_hash, struct session *out, struct sm_err *e);
int session_touch(struct db *db, const char *id_hash, int64_t now, struct sm_err *e);
/* Deletes one session (absent is not an error). */
int session_delete(struct db *db, const char *id_hash, struct sm_err *e);
/* Deletes every session of a user except keep_hash (NULL = all). */
int session_delete_user(struct db *db, int64_t user_id, const char *keep_hash, struct sm_err *e);

/* ---- API keys ---- */
#define APIKEY_PREFIX_MAX 16
#define APIKEY_LABEL_MAX  200
struct apikey {
    int64_t id, user_id;
    char prefix[APIKEY_PREFIX_MAX + 1];
    char hash[TOKEN_HASH_HEX];
    char label[APIKEY_LABEL_MAX + 1];
    int64_t created_at, last_used, revoked_at; /* 0 = never / not revoked */
};
int apikey_insert(struct db *db, const struct apikey *k, int64_t *id, struct sm_err *e);
/* The key with this hash (revoked or not). -SM_E_NOTFOUND when absent. */
int apikey_find(struct db *db, const char *hash, struct apikey *out, struct sm_err *e);
/* The keys of a user, newest first; *rows freed by the caller with free(). */
int apikey_list(struct db *db, int64_t user_id, struct apikey **rows, size_t *n, struct sm_err *e);
/* Revokes key id of user_id at now. -SM_E_NOTFOUND when the user has no such active key. */
int apikey_revoke(struct db *db, int64_t id, int64_t user_id, int64_t now, struct sm_err *e);
int apikey_touch(struct db *db, int64_t id, int64_t now, struct sm_err *e);

/* ---- password reset tokens ---- */
struct pwreset {
    char token_hash[TOKEN_HASH_HEX];
    int64_t user_id, created_at, expires_at, used_at; /* used_at 0 = unused */
};
int pwreset_insert(struct db *db, const struct pwreset *t, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int pwreset_get(struct db *db, const char *token_hash, struct pwreset *out, struct sm_err *e);
/* Marks the token used at now if it was unused; -SM_E_CONFLICT when it was already used
 * (so two concurrent confirmations cannot both succeed). */
int pwreset_use(struct db *db, const char *token_hash, int64_t now, struct sm_err *e);
/* Ends every pending (unused) reset token of user_id at now: after a reset or a password
 * change no older link works. */
int pwreset_revoke_user(struct db *db, int64_t user_id, int64_t now, struct sm_err *e);

#endif
