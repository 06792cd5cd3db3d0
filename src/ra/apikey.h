/* SPDX-License-Identifier: MIT */
/* API keys of users (R-ACT-1): created once, stored hashed, revocable by their owner. */
#ifndef SM_RA_APIKEY_H
#define SM_RA_APIKEY_H
#include <stdint.h>

#include "ra/account.h"

#define ACCOUNT_APIKEY_SIZE   47 /* "sk_" + 43 base64url characters + NUL */
#define ACCOUNT_APIKEY_PREFIX 10 /* characters kept to show which key it is */
/* Creates a key; key gets its value, to be shown once. label 1..200 bytes (field
 * "label"). */
int account_apikey_create(struct db *db, const struct user_row *u, const char *label,
                          char key[ACCOUNT_APIKEY_SIZE], int64_t *id, struct sm_err *e);
/* The user of a Bearer key. -SM_E_NOTFOUND for unknown, revoked or disabled. */
int account_apikey_user(struct db *db, const char *key, struct user_row *u, struct sm_err *e);
/* Revokes one of u's own keys; -SM_E_NOTFOUND for anyone else's or a revoked one. */
int account_apikey_revoke(struct db *db, const struct user_row *u, int64_t id, struct sm_err *e);

#endif
