/* SPDX-License-Identifier: MIT */
/* The users table (migration 0004_accounts.sql): insert, read and update rows (the
 * organizations and the ids of a user's scope: orgs.h, included here for the callers of both).
 * Writers run inside the caller's transaction (db_begin) so the caller can add the audit
 * record to it; rules live in ra/account. */
#ifndef SM_USERS_H
#define SM_USERS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/orgs.h"

struct db;

enum user_role { USER_NONE = 0, USER_CUSTOMER, USER_RESELLER, USER_OFFICER, USER_ADMIN };

/* "customer", "reseller", "officer", "admin" ("" for USER_NONE). */
const char *user_role_name(int role);
/* The role named s, or USER_NONE. */
int user_role_parse(const char *s);

#define USER_LOGIN_MAX 64
#define USER_EMAIL_MAX 254
#define USER_NAME_MAX  400 /* bytes of UTF-8 (100 characters of up to 4 bytes) */
#define USER_HASH_MAX  127

/* A user row with its organization's kind and managing reseller. Fixed buffers: copy
 * freely, nothing to free. */
struct user_row {
    int64_t id, org_id;
    int role; /* enum user_role */
    char login_id[USER_LOGIN_MAX + 1];
    char email[USER_EMAIL_MAX + 1];
    char display_name[USER_NAME_MAX + 1];
    char locale[3]; /* "ja" | "en" */
    char password_hash[USER_HASH_MAX + 1];
    int64_t failed_logins, first_failed_at, locked_until, created_at;
    int disabled;
    char org_kind[16];       /* "customer" | "reseller" | "ca" */
    int64_t org_reseller_id; /* the reseller org managing the user's org, 0 = none */
};

/* ---- users ---- */
/* Inserts u (id, created_at, counters ignored). -SM_E_EXISTS (field "login_id") when the
 * login id is taken, compared case-insensitively. */
int user_insert(struct db *db, const struct user_row *u, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int user_get(struct db *db, int64_t id, struct user_row *out, struct sm_err *e);
/* By login id, case-insensitively. -SM_E_NOTFOUND when absent. */
int user_get_by_login(struct db *db, const char *login_id, struct user_row *out, struct sm_err *e);
/* Login failure bookkeeping (failed count, start of the window, lock end). */
int user_set_failures(struct db *db, int64_t id, int64_t failed, int64_t first_failed_at,
                      int64_t locked_until, struct sm_err *e);
int user_set_password(struct db *db, int64_t id, const char *hash, struct sm_err *e);
/* -SM_E_EXISTS when another user has the login id (case-insensitively). */
int user_set_login_id(struct db *db, int64_t id, const char *login_id, struct sm_err *e);
int user_set_profile(struct db *db, int64_t id, const char *display_name, const char *email,
                     const char *locale, struct sm_err *e);
/* Every user ordered by id. Free *rows with user_rows_free(rows, n) (or free()). */
int user_list(struct db *db, struct user_row **rows, size_t *n, struct sm_err *e);
/* The enabled users of one organization ordered by id (notices, R-ISS-5). Freed as above. */
int user_list_org(struct db *db, int64_t org_id, struct user_row **rows, size_t *n,
                  struct sm_err *e);

void user_rows_free(struct user_row *v, size_t n);

#endif
