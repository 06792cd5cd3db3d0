/* SPDX-License-Identifier: MIT */
/* Internal to the account files of ra/ (account.c, login.c, apikey.c, reset.c,
 * announce.c): the helpers they share. Not for other modules. */
#ifndef SM_RA_ACCOUNT_INT_H
#define SM_RA_ACCOUNT_INT_H
#include <jansson.h>
#include <stdint.h>

#include "ra/account.h"

/* Adds the message key for field to fe (first error of a field wins; NULL key: none). */
void account_add_error(struct account_errors *fe, const char *field, const char *key);
/* -SM_E_INVALID naming the first field of fe. */
int account_invalid(struct account_errors *fe, struct sm_err *e);
/* Number of UTF-8 characters of s, or -1 when s is not valid UTF-8 or holds control
 * characters (tab and newline allowed when multiline). */
long account_utf8_chars(const char *s, int multiline);

/* A new random token (32 bytes as base64url), and whether s has that shape. */
void account_new_token(char out[ACCOUNT_TOKEN_SIZE]);
int account_token_shape(const char *s);
/* argon2id hash of pw (cheap under account_test_fast_hash), and its check. */
int account_hash_password(const char *pw, char out[USER_HASH_MAX + 1], struct sm_err *e);
int account_password_ok(const char *hash, const char *pw);
/* A new password: checks it (for login_id) and its confirmation (NULL: not asked) into fe,
 * -SM_E_INVALID when any failed, else hashes it into out. */
int account_new_password(const char *pw, const char *confirm, const char *login_id,
                         char out[USER_HASH_MAX + 1], struct account_errors *fe, struct sm_err *e);
/* Verifies pw against a throw-away hash, so an unknown id costs what a known one does. */
void account_verify_dummy(const char *pw);

/* Commits when rc is 0, else rolls back; returns rc (or the commit's error). */
int account_finish(struct db *db, int rc, struct sm_err *e);
/* Appends the audit record: actor "user:ID" (or actor_s when given), object "TYPE:ID".
 * detail is stolen (NULL = {}). */
int account_audit(struct db *db, int64_t actor_id, const char *actor_s, const char *action,
                  const char *type, int64_t object_id, json_t *detail, struct sm_err *e);

/* Records a failed password for u inside a transaction; locks at max_failures
 * (ra/login.c; also counts a wrong current password of a change). */
int account_record_failure(struct db *db, const struct account_policy *p, const struct user_row *u,
                           int64_t now, struct sm_err *e);

#endif
