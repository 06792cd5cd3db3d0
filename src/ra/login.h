/* SPDX-License-Identifier: MIT */
/* Login with lockout and sessions (R-ACT-1; split from ra/account.c, see account.h). */
#ifndef SM_RA_LOGIN_H
#define SM_RA_LOGIN_H
#include <stdint.h>

#include "ra/account.h"

/* Checks login_id/password in constant time whether or not the id exists. On success
 * fills u and token (the session cookie value; only its hash is stored). Failures within
 * the window lock the account for lock_seconds after max_failures. Every failure (unknown
 * id, wrong password, locked, disabled) is -SM_E_FORBIDDEN with field "credentials" --
 * except the right password of a locked account: field "locked" and u->locked_until (the
 * rest of u zeroed), so the owner is told until when, and an unknown id stays unknown. */
int account_login(struct db *db, const struct account_policy *p, const char *login_id,
                  const char *password, struct user_row *u, char token[ACCOUNT_TOKEN_SIZE],
                  struct sm_err *e);
/* The user of a session cookie value, honouring the idle and absolute timeouts
 * (last_seen is refreshed at most once a minute). id_hash (may be NULL) gets the session
 * hash. -SM_E_NOTFOUND when there is no valid session. */
int account_session_user(struct db *db, const struct account_policy *p, const char *token,
                         struct user_row *u, char id_hash[TOKEN_HASH_HEX], struct sm_err *e);
/* Ends the session with this hash (audit "account.logout"). */
int account_logout(struct db *db, const struct user_row *u, const char *id_hash, struct sm_err *e);

#endif
