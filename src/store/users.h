/* SPDX-License-Identifier: MIT */
/* The organizations and users tables (migration 0004_accounts.sql): insert, read and
 * update rows, and the SQL condition every other store module uses to keep a user to the
 * organizations it may see (ORG_SCOPE_SQL). Writers run inside the caller's transaction
 * (db_begin) so the caller can add the audit record to it; rules live in ra/account. */
#ifndef SM_USERS_H
#define SM_USERS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

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
#define ORG_NAME_MAX   400

/* A user row with its organization's kind and managing reseller. Fixed buffers: copy
 * freely, nothing to free. */
struct user {
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

struct org {
    int64_t id;
    char kind[16]; /* "customer" | "reseller" | "ca" */
    char name_ja[ORG_NAME_MAX + 1];
    char name_en[ORG_NAME_MAX + 1];
    int64_t reseller_org_id; /* 0 = none */
    int64_t created_at;
};

/* ---- organizations ---- */
/* Inserts o (id and created_at are ignored; created_at = clock_now()). A reseller_org_id
 * must name an organization of kind reseller (-SM_E_INVALID otherwise). */
int org_insert(struct db *db, const struct org *o, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int org_get(struct db *db, int64_t id, struct org *out, struct sm_err *e);
/* The first organization of kind (lowest id). -SM_E_NOTFOUND when there is none. */
int org_find_kind(struct db *db, const char *kind, struct org *out, struct sm_err *e);

/* ---- users ---- */
/* Inserts u (id, created_at, counters ignored). -SM_E_EXISTS (field "login_id") when the
 * login id is taken, compared case-insensitively. */
int user_insert(struct db *db, const struct user *u, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int user_get(struct db *db, int64_t id, struct user *out, struct sm_err *e);
/* By login id, case-insensitively. -SM_E_NOTFOUND when absent. */
int user_get_by_login(struct db *db, const char *login_id, struct user *out, struct sm_err *e);
/* Login failure bookkeeping (failed count, start of the window, lock end). */
int user_set_failures(struct db *db, int64_t id, int64_t failed, int64_t first_failed_at,
                      int64_t locked_until, struct sm_err *e);
int user_set_password(struct db *db, int64_t id, const char *hash, struct sm_err *e);
/* -SM_E_EXISTS when another user has the login id (case-insensitively). */
int user_set_login_id(struct db *db, int64_t id, const char *login_id, struct sm_err *e);
int user_set_profile(struct db *db, int64_t id, const char *display_name, const char *email,
                     const char *locale, struct sm_err *e);
/* Every user ordered by id. *rows is freed by the caller with free(). */
int user_list(struct db *db, struct user **rows, size_t *n, struct sm_err *e);
/* The enabled users of one organization ordered by id (notices, R-ISS-5). Freed with free(). */
int user_list_org(struct db *db, int64_t org_id, struct user **rows, size_t *n, struct sm_err *e);

/* ---- isolation (R-ACT-1) ----
 * The organizations a user may see, as three bound integers:
 *   all     = 1 for officers and admins (every organization), else 0
 *   own     = the user's organization
 *   managed = the user's organization when it is a reseller (its customer organizations
 *             have reseller_org_id = managed), else 0 (matches nothing)
 * Build it with account_scope() (ra/account.h). Every query that returns objects of an
 * organization adds ORG_SCOPE_SQL over its org id column, with ORG_SCOPE_PARAMS bound at
 * the numbers given, so an object outside the scope is simply not found (404). Example:
 *   "SELECT ... FROM orders WHERE id = $1 AND " ORG_SCOPE_SQL("org_id", "$2", "$3", "$4")
 *   struct db_val p[4] = {DBV_INT(id), ORG_SCOPE_PARAMS(scope)}; */
struct org_scope {
    int64_t all, own, managed;
};
#define ORG_SCOPE_SQL(col, p_all, p_own, p_managed)                                                \
    "(" p_all " = 1 OR " col " = " p_own " OR " col                                                \
    " IN (SELECT id FROM organizations WHERE reseller_org_id = " p_managed "))"
#define ORG_SCOPE_PARAMS(s) DBV_INT((s).all), DBV_INT((s).own), DBV_INT((s).managed)

/* 1 when org_id is inside scope (reads organizations), 0 when not or absent, negative on
 * database errors. */
int org_in_scope(struct db *db, const struct org_scope *scope, int64_t org_id, struct sm_err *e);
/* The organizations inside scope, ordered by id (for pickers of resellers and staff).
 * *rows is freed by the caller with free(). */
int org_list_scope(struct db *db, const struct org_scope *scope, struct org **rows, size_t *n,
                   struct sm_err *e);

#endif
