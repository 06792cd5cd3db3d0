/* SPDX-License-Identifier: MIT */
/* The organizations and users tables (see users.h). All SQL for them lives here; login ids
 * are compared through the lower-case login_key column. Writers expect the caller's
 * transaction; readers run anywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "store/db.h"
#include "store/users.h"

static const char *const role_names[] = {"", "customer", "reseller", "officer", "admin"};

const char *user_role_name(int role)
{
    return role > USER_NONE && role <= USER_ADMIN ? role_names[role] : "";
}

int user_role_parse(const char *s)
{
    for (int i = USER_CUSTOMER; s != NULL && i <= USER_ADMIN; i++)
        if (strcmp(s, role_names[i]) == 0)
            return i;
    return USER_NONE;
}

#define USER_COLS                                                                                  \
    "u.id, u.org_id, u.role, u.login_id, u.email, u.display_name, u.locale, u.password_hash, "     \
    "u.failed_logins, u.first_failed_at, u.locked_until, u.created_at, u.disabled, o.kind, "       \
    "o.reseller_org_id FROM users u JOIN organizations o ON o.id = u.org_id"
#define NUSER_COLS 15
#define ORG_COLS   "id, kind, name_ja, name_en, reseller_org_id, created_at FROM organizations"

static const struct db_stmt st_org_insert = {
    "org.insert",
    "INSERT INTO organizations (kind, name_ja, name_en, reseller_org_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_org_get = {"org.get", "SELECT " ORG_COLS " WHERE id = $1", NULL,
                                          NULL};
static const struct db_stmt st_org_kind = {
    "org.find_kind", "SELECT " ORG_COLS " WHERE kind = $1 ORDER BY id LIMIT 1", NULL, NULL};
static const struct db_stmt st_org_in_scope = {
    "org.in_scope",
    "SELECT id FROM organizations WHERE id = $1 AND " ORG_SCOPE_SQL("id", "$2", "$3", "$4"), NULL,
    NULL};
static const struct db_stmt st_org_list_scope = {
    "org.list_scope",
    "SELECT " ORG_COLS " WHERE " ORG_SCOPE_SQL("id", "$1", "$2", "$3") " ORDER BY id", NULL, NULL};
static const struct db_stmt st_user_insert = {
    "user.insert",
    "INSERT INTO users (org_id, login_id, login_key, email, display_name, role, locale, "
    "password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_user_get = {"user.get", "SELECT " USER_COLS " WHERE u.id = $1", NULL,
                                           NULL};
static const struct db_stmt st_user_by_login = {
    "user.by_login", "SELECT " USER_COLS " WHERE u.login_key = $1", NULL, NULL};
static const struct db_stmt st_user_list = {"user.list", "SELECT " USER_COLS " ORDER BY u.id", NULL,
                                            NULL};
static const struct db_stmt st_user_list_org = {
    "user.list_org", "SELECT " USER_COLS " WHERE u.org_id = $1 AND u.disabled = 0 ORDER BY u.id",
    NULL, NULL};
static const struct db_stmt st_user_key_taken = {
    "user.key_taken", "SELECT id FROM users WHERE login_key = $1 AND id <> $2", NULL, NULL};
static const struct db_stmt st_user_failures = {
    "user.failures",
    "UPDATE users SET failed_logins = $2, first_failed_at = $3, locked_until = $4 WHERE id = $1",
    NULL, NULL};
static const struct db_stmt st_user_password = {
    "user.password", "UPDATE users SET password_hash = $2 WHERE id = $1", NULL, NULL};
static const struct db_stmt st_user_login = {
    "user.login_id", "UPDATE users SET login_id = $2, login_key = $3 WHERE id = $1", NULL, NULL};
static const struct db_stmt st_user_profile = {
    "user.profile", "UPDATE users SET display_name = $2, email = $3, locale = $4 WHERE id = $1",
    NULL, NULL};

static void copy_col(char *dst, size_t n, const struct db_val *v)
{
    size_t len = v->t == DB_TEXT && v->p != NULL ? v->n : 0;
    if (len >= n)
        len = n - 1;
    if (len > 0)
        memcpy(dst, v->p, len);
    dst[len] = '\0';
}

static void login_key(const char *login, char out[USER_LOGIN_MAX + 1])
{
    size_t i = 0;
    for (; i < USER_LOGIN_MAX && login[i] != '\0'; i++)
        out[i] = (char)(login[i] >= 'A' && login[i] <= 'Z' ? login[i] + 32 : login[i]);
    out[i] = '\0';
}

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

static void fill_user(struct user *u, const struct db_val *c)
{
    memset(u, 0, sizeof *u);
    u->id = db_col_int(&c[0]);
    u->org_id = db_col_int(&c[1]);
    char role[16];
    copy_col(role, sizeof role, &c[2]);
    u->role = user_role_parse(role);
    copy_col(u->login_id, sizeof u->login_id, &c[3]);
    copy_col(u->email, sizeof u->email, &c[4]);
    copy_col(u->display_name, sizeof u->display_name, &c[5]);
    copy_col(u->locale, sizeof u->locale, &c[6]);
    copy_col(u->password_hash, sizeof u->password_hash, &c[7]);
    u->failed_logins = db_col_int(&c[8]);
    u->first_failed_at = db_col_int(&c[9]);
    u->locked_until = db_col_int(&c[10]);
    u->created_at = db_col_int(&c[11]);
    u->disabled = db_col_int(&c[12]) != 0;
    copy_col(u->org_kind, sizeof u->org_kind, &c[13]);
    u->org_reseller_id = db_col_int(&c[14]);
}

static void fill_org(struct org *o, const struct db_val *c)
{
    memset(o, 0, sizeof *o);
    o->id = db_col_int(&c[0]);
    copy_col(o->kind, sizeof o->kind, &c[1]);
    copy_col(o->name_ja, sizeof o->name_ja, &c[2]);
    copy_col(o->name_en, sizeof o->name_en, &c[3]);
    o->reseller_org_id = db_col_int(&c[4]);
    o->created_at = db_col_int(&c[5]);
}

/* A growing array of fixed-size rows. */
struct rows {
    void *v;
    size_t n, cap, size;
    int ncols;
    void (*fill)(void *row, const struct db_val *c);
    int nomem;
};

static void fill_user_v(void *row, const struct db_val *c) { fill_user(row, c); }
static void fill_org_v(void *row, const struct db_val *c) { fill_org(row, c); }

static int on_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct rows *rs = ctx;
    if (ncols < rs->ncols)
        return -SM_E_DB;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        void *v = sm_realloc(rs->v, cap * rs->size);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    rs->fill((char *)rs->v + rs->n * rs->size, cols);
    rs->n++;
    return 0;
}

static int select_rows(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                       struct rows *rs, struct sm_err *e)
{
    int rc = db_run(db, st, p, np, on_row, rs, e);
    if (rc > 0 || rs->nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading %s", st->name);
    if (rc < 0) {
        free(rs->v);
        rs->v = NULL;
        rs->n = 0;
    }
    return rc;
}

/* Runs a query expected to give at most one row into *out. -SM_E_NOTFOUND when none. */
static int select_one(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                      struct rows *rs, void *out, const char *what, struct sm_err *e)
{
    int rc = select_rows(db, st, p, np, rs, e);
    if (rc < 0)
        return rc;
    if (rs->n == 0)
        rc = sm_err_set(e, SM_E_NOTFOUND, what, "no such %s", what);
    else
        memcpy(out, rs->v, rs->size);
    free(rs->v);
    return rc;
}

/* ---- organizations ---- */

int org_insert(struct db *db, const struct org *o, int64_t *id, struct sm_err *e)
{
    *id = 0;
    if (o->reseller_org_id > 0) {
        struct org r;
        int rc = org_get(db, o->reseller_org_id, &r, e);
        if (rc == -SM_E_NOTFOUND || (rc == 0 && strcmp(r.kind, "reseller") != 0))
            return sm_err_set(e, SM_E_INVALID, "reseller_org_id",
                              "organization %lld is not a reseller", (long long)o->reseller_org_id);
        if (rc < 0)
            return rc;
    }
    struct db_val p[5] = {DBV_TEXT(o->kind), DBV_TEXT(o->name_ja), DBV_TEXT(o->name_en),
                          o->reseller_org_id > 0 ? DBV_INT(o->reseller_org_id) : DBV_NULL,
                          DBV_INT(clock_now())};
    int rc = db_run(db, &st_org_insert, p, 5, got_id, id, e);
    if (rc == 0 && *id <= 0)
        rc = sm_err_set(e, SM_E_DB, "org.insert", "no id returned");
    return rc;
}

int org_get(struct db *db, int64_t id, struct org *out, struct sm_err *e)
{
    struct rows rs = {.size = sizeof(struct org), .ncols = 6, .fill = fill_org_v};
    struct db_val p[1] = {DBV_INT(id)};
    return select_one(db, &st_org_get, p, 1, &rs, out, "organization", e);
}

int org_find_kind(struct db *db, const char *kind, struct org *out, struct sm_err *e)
{
    struct rows rs = {.size = sizeof(struct org), .ncols = 6, .fill = fill_org_v};
    struct db_val p[1] = {DBV_TEXT(kind)};
    return select_one(db, &st_org_kind, p, 1, &rs, out, "organization", e);
}

int org_in_scope(struct db *db, const struct org_scope *scope, int64_t org_id, struct sm_err *e)
{
    int64_t found = 0;
    struct db_val p[4] = {DBV_INT(org_id), ORG_SCOPE_PARAMS(*scope)};
    int rc = db_run(db, &st_org_in_scope, p, 4, got_id, &found, e);
    if (rc < 0)
        return rc;
    return found == org_id && org_id > 0;
}

int org_list_scope(struct db *db, const struct org_scope *scope, struct org **rows, size_t *n,
                   struct sm_err *e)
{
    struct rows rs = {.size = sizeof(struct org), .ncols = 6, .fill = fill_org_v};
    struct db_val p[3] = {ORG_SCOPE_PARAMS(*scope)};
    int rc = select_rows(db, &st_org_list_scope, p, 3, &rs, e);
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

/* ---- users ---- */

static int key_taken(struct db *db, const char *key, int64_t except, struct sm_err *e)
{
    int64_t other = 0;
    struct db_val p[2] = {DBV_TEXT(key), DBV_INT(except)};
    int rc = db_run(db, &st_user_key_taken, p, 2, got_id, &other, e);
    if (rc < 0)
        return rc;
    if (other > 0)
        return sm_err_set(e, SM_E_EXISTS, "login_id", "login id is taken");
    return 0;
}

int user_insert(struct db *db, const struct user *u, int64_t *id, struct sm_err *e)
{
    *id = 0;
    char key[USER_LOGIN_MAX + 1];
    login_key(u->login_id, key);
    int rc = key_taken(db, key, 0, e);
    if (rc < 0)
        return rc;
    struct db_val p[9] = {
        DBV_INT(u->org_id),  DBV_TEXT(u->login_id),      DBV_TEXT(key),
        DBV_TEXT(u->email),  DBV_TEXT(u->display_name),  DBV_TEXT(user_role_name(u->role)),
        DBV_TEXT(u->locale), DBV_TEXT(u->password_hash), DBV_INT(clock_now())};
    rc = db_run(db, &st_user_insert, p, 9, got_id, id, e);
    if (rc == 0 && *id <= 0)
        rc = sm_err_set(e, SM_E_DB, "user.insert", "no id returned");
    return rc;
}

int user_get(struct db *db, int64_t id, struct user *out, struct sm_err *e)
{
    struct rows rs = {.size = sizeof(struct user), .ncols = NUSER_COLS, .fill = fill_user_v};
    struct db_val p[1] = {DBV_INT(id)};
    return select_one(db, &st_user_get, p, 1, &rs, out, "user", e);
}

int user_get_by_login(struct db *db, const char *login_id, struct user *out, struct sm_err *e)
{
    if (strlen(login_id) > USER_LOGIN_MAX)
        return sm_err_set(e, SM_E_NOTFOUND, "user", "no such user");
    char key[USER_LOGIN_MAX + 1];
    login_key(login_id, key);
    struct rows rs = {.size = sizeof(struct user), .ncols = NUSER_COLS, .fill = fill_user_v};
    struct db_val p[1] = {DBV_TEXT(key)};
    return select_one(db, &st_user_by_login, p, 1, &rs, out, "user", e);
}

int user_list(struct db *db, struct user **rows, size_t *n, struct sm_err *e)
{
    struct rows rs = {.size = sizeof(struct user), .ncols = NUSER_COLS, .fill = fill_user_v};
    int rc = select_rows(db, &st_user_list, NULL, 0, &rs, e);
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

int user_list_org(struct db *db, int64_t org_id, struct user **rows, size_t *n, struct sm_err *e)
{
    struct rows rs = {.size = sizeof(struct user), .ncols = NUSER_COLS, .fill = fill_user_v};
    struct db_val p[1] = {DBV_INT(org_id)};
    int rc = select_rows(db, &st_user_list_org, p, 1, &rs, e);
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

/* Runs an UPDATE of one user; -SM_E_NOTFOUND when no row changed. */
static int update_one(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                      struct sm_err *e)
{
    int rc = db_run(db, st, p, np, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "user", "no such user");
    return rc;
}

int user_set_failures(struct db *db, int64_t id, int64_t failed, int64_t first_failed_at,
                      int64_t locked_until, struct sm_err *e)
{
    struct db_val p[4] = {DBV_INT(id), DBV_INT(failed), DBV_INT(first_failed_at),
                          DBV_INT(locked_until)};
    return update_one(db, &st_user_failures, p, 4, e);
}

int user_set_password(struct db *db, int64_t id, const char *hash, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_TEXT(hash)};
    return update_one(db, &st_user_password, p, 2, e);
}

int user_set_login_id(struct db *db, int64_t id, const char *login_id, struct sm_err *e)
{
    char key[USER_LOGIN_MAX + 1];
    login_key(login_id, key);
    int rc = key_taken(db, key, id, e);
    if (rc < 0)
        return rc;
    struct db_val p[3] = {DBV_INT(id), DBV_TEXT(login_id), DBV_TEXT(key)};
    return update_one(db, &st_user_login, p, 3, e);
}

int user_set_profile(struct db *db, int64_t id, const char *display_name, const char *email,
                     const char *locale, struct sm_err *e)
{
    struct db_val p[4] = {DBV_INT(id), DBV_TEXT(display_name), DBV_TEXT(email), DBV_TEXT(locale)};
    return update_one(db, &st_user_profile, p, 4, e);
}
