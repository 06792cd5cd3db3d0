/* SPDX-License-Identifier: MIT */
/* The users table (see users.h; organizations: orgs.c). All SQL for it lives here; login
 * ids are compared through the lower-case login_key column. Writers expect the caller's
 * transaction; readers run anywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
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

static void login_key(const char *login, char out[USER_LOGIN_MAX + 1])
{
    size_t i = 0;
    for (; i < USER_LOGIN_MAX && login[i] != '\0'; i++)
        out[i] = (char)(login[i] >= 'A' && login[i] <= 'Z' ? login[i] + 32 : login[i]);
    out[i] = '\0';
}

static int fill(void *row, const struct db_val *c)
{
    struct user_row *u = row;
    u->id = db_col_int(&c[0]);
    u->org_id = db_col_int(&c[1]);
    char role[16];
    db_col_copy(role, sizeof role, &c[2]);
    u->role = user_role_parse(role);
    db_col_copy(u->login_id, sizeof u->login_id, &c[3]);
    db_col_copy(u->email, sizeof u->email, &c[4]);
    db_col_copy(u->display_name, sizeof u->display_name, &c[5]);
    db_col_copy(u->locale, sizeof u->locale, &c[6]);
    db_col_copy(u->password_hash, sizeof u->password_hash, &c[7]);
    u->failed_logins = db_col_int(&c[8]);
    u->first_failed_at = db_col_int(&c[9]);
    u->locked_until = db_col_int(&c[10]);
    u->created_at = db_col_int(&c[11]);
    u->disabled = db_col_int(&c[12]) != 0;
    db_col_copy(u->org_kind, sizeof u->org_kind, &c[13]);
    u->org_reseller_id = db_col_int(&c[14]);
    return 0;
}

static const struct db_rowtype user_rowtype = {sizeof(struct user_row), NUSER_COLS, fill, NULL,
                                               "user"};

void user_rows_free(struct user_row *v, size_t n)
{
    (void)n; /* fixed buffers: nothing inside to free */
    free(v);
}

/* ---- users ---- */

static int key_taken(struct db *db, const char *key, int64_t except, struct sm_err *e)
{
    int64_t other = 0;
    struct sm_err err = {0}; /* not found: the key is free */
    struct db_val p[2] = {DBV_TEXT(key), DBV_INT(except)};
    int rc = db_get_one(db, &st_user_key_taken, p, 2, &db_row_int, &other, &err);
    if (rc < 0 && rc != -SM_E_NOTFOUND) {
        if (e != NULL)
            *e = err;
        return rc;
    }
    if (other > 0)
        return sm_err_set(e, SM_E_EXISTS, "login_id", "login id is taken");
    return 0;
}

int user_insert(struct db *db, const struct user_row *u, int64_t *id, struct sm_err *e)
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
    return db_returning_id(db, &st_user_insert, p, 9, id, e);
}

int user_get(struct db *db, int64_t id, struct user_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_user_get, p, 1, &user_rowtype, out, e);
}

int user_get_by_login(struct db *db, const char *login_id, struct user_row *out, struct sm_err *e)
{
    if (strlen(login_id) > USER_LOGIN_MAX)
        return sm_err_set(e, SM_E_NOTFOUND, "user", "no such user");
    char key[USER_LOGIN_MAX + 1];
    login_key(login_id, key);
    struct db_val p[1] = {DBV_TEXT(key)};
    return db_get_one(db, &st_user_by_login, p, 1, &user_rowtype, out, e);
}

int user_list(struct db *db, struct user_row **rows, size_t *n, struct sm_err *e)
{
    return db_collect(db, &st_user_list, NULL, 0, &user_rowtype, rows, n, e);
}

int user_list_org(struct db *db, int64_t org_id, struct user_row **rows, size_t *n,
                  struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(org_id)};
    return db_collect(db, &st_user_list_org, p, 1, &user_rowtype, rows, n, e);
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
