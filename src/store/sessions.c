/* SPDX-License-Identifier: MIT */
/* Sessions, API keys and password reset tokens (see sessions.h). All SQL for the
 * sessions, api_keys and password_resets tables lives here; tokens arrive hashed. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/sessions.h"

static const struct db_stmt st_s_insert = {
    "session.insert",
    "INSERT INTO sessions (id_hash, user_id, created_at, last_seen, expires_at) "
    "VALUES ($1, $2, $3, $4, $5)",
    NULL, NULL};
static const struct db_stmt st_s_get = {
    "session.get",
    "SELECT id_hash, user_id, created_at, last_seen, expires_at FROM sessions "
    "WHERE id_hash = $1",
    NULL, NULL};
static const struct db_stmt st_s_touch = {
    "session.touch", "UPDATE sessions SET last_seen = $2 WHERE id_hash = $1", NULL, NULL};
static const struct db_stmt st_s_delete = {"session.delete",
                                           "DELETE FROM sessions WHERE id_hash = $1", NULL, NULL};
static const struct db_stmt st_s_delete_user = {
    "session.delete_user", "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", NULL, NULL};

#define KEY_COLS "id, user_id, prefix, hash, label, created_at, last_used, revoked_at"
static const struct db_stmt st_k_insert = {
    "apikey.insert",
    "INSERT INTO api_keys (user_id, prefix, hash, label, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_k_find = {
    "apikey.find", "SELECT " KEY_COLS " FROM api_keys WHERE hash = $1", NULL, NULL};
static const struct db_stmt st_k_list = {
    "apikey.list", "SELECT " KEY_COLS " FROM api_keys WHERE user_id = $1 ORDER BY id DESC", NULL,
    NULL};
static const struct db_stmt st_k_revoke = {
    "apikey.revoke",
    "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    NULL, NULL};
static const struct db_stmt st_k_touch = {
    "apikey.touch", "UPDATE api_keys SET last_used = $2 WHERE id = $1", NULL, NULL};

static const struct db_stmt st_r_insert = {
    "pwreset.insert",
    "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4)",
    NULL, NULL};
static const struct db_stmt st_r_get = {
    "pwreset.get",
    "SELECT token_hash, user_id, created_at, expires_at, used_at FROM password_resets "
    "WHERE token_hash = $1",
    NULL, NULL};
static const struct db_stmt st_r_use = {
    "pwreset.use",
    "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL", NULL,
    NULL};
static const struct db_stmt st_r_revoke_user = {
    "pwreset.revoke_user",
    "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL", NULL, NULL};

static void copy_col(char *dst, size_t n, const struct db_val *v)
{
    size_t len = v->t == DB_TEXT && v->p != NULL ? v->n : 0;
    if (len >= n)
        len = n - 1;
    if (len > 0)
        memcpy(dst, v->p, len);
    dst[len] = '\0';
}

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

/* ---- sessions ---- */

int session_insert(struct db *db, const struct session *s, struct sm_err *e)
{
    struct db_val p[5] = {DBV_TEXT(s->id_hash), DBV_INT(s->user_id), DBV_INT(s->created_at),
                          DBV_INT(s->last_seen), DBV_INT(s->expires_at)};
    return db_run(db, &st_s_insert, p, 5, NULL, NULL, e);
}

struct one {
    void *out;
    int found;
};

static int on_session(void *ctx, const struct db_val *c, int ncols)
{
    struct one *o = ctx;
    struct session *s = o->out;
    if (ncols < 5)
        return -SM_E_DB;
    copy_col(s->id_hash, sizeof s->id_hash, &c[0]);
    s->user_id = db_col_int(&c[1]);
    s->created_at = db_col_int(&c[2]);
    s->last_seen = db_col_int(&c[3]);
    s->expires_at = db_col_int(&c[4]);
    o->found = 1;
    return 1;
}

int session_get(struct db *db, const char *id_hash, struct session *out, struct sm_err *e)
{
    struct one o = {out, 0};
    struct db_val p[1] = {DBV_TEXT(id_hash)};
    int rc = db_run(db, &st_s_get, p, 1, on_session, &o, e);
    if (rc < 0)
        return rc;
    return o.found ? 0 : sm_err_set(e, SM_E_NOTFOUND, "session", "no such session");
}

int session_touch(struct db *db, const char *id_hash, int64_t now, struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(id_hash), DBV_INT(now)};
    return db_run(db, &st_s_touch, p, 2, NULL, NULL, e);
}

int session_delete(struct db *db, const char *id_hash, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(id_hash)};
    return db_run(db, &st_s_delete, p, 1, NULL, NULL, e);
}

int session_delete_user(struct db *db, int64_t user_id, const char *keep_hash, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(user_id), DBV_TEXT(keep_hash ? keep_hash : "")};
    return db_run(db, &st_s_delete_user, p, 2, NULL, NULL, e);
}

/* ---- API keys ---- */

static void fill_key(struct apikey *k, const struct db_val *c)
{
    memset(k, 0, sizeof *k);
    k->id = db_col_int(&c[0]);
    k->user_id = db_col_int(&c[1]);
    copy_col(k->prefix, sizeof k->prefix, &c[2]);
    copy_col(k->hash, sizeof k->hash, &c[3]);
    copy_col(k->label, sizeof k->label, &c[4]);
    k->created_at = db_col_int(&c[5]);
    k->last_used = db_col_int(&c[6]);
    k->revoked_at = db_col_int(&c[7]);
}

int apikey_insert(struct db *db, const struct apikey *k, int64_t *id, struct sm_err *e)
{
    *id = 0;
    struct db_val p[5] = {DBV_INT(k->user_id), DBV_TEXT(k->prefix), DBV_TEXT(k->hash),
                          DBV_TEXT(k->label), DBV_INT(k->created_at)};
    int rc = db_run(db, &st_k_insert, p, 5, got_id, id, e);
    if (rc == 0 && *id <= 0)
        rc = sm_err_set(e, SM_E_DB, "apikey.insert", "no id returned");
    return rc;
}

static int on_key(void *ctx, const struct db_val *c, int ncols)
{
    struct one *o = ctx;
    if (ncols < 8)
        return -SM_E_DB;
    fill_key(o->out, c);
    o->found = 1;
    return 1;
}

int apikey_find(struct db *db, const char *hash, struct apikey *out, struct sm_err *e)
{
    struct one o = {out, 0};
    struct db_val p[1] = {DBV_TEXT(hash)};
    int rc = db_run(db, &st_k_find, p, 1, on_key, &o, e);
    if (rc < 0)
        return rc;
    return o.found ? 0 : sm_err_set(e, SM_E_NOTFOUND, "api_key", "no such key");
}

struct keys {
    struct apikey *v;
    size_t n, cap;
    int nomem;
};

static int on_keys(void *ctx, const struct db_val *c, int ncols)
{
    struct keys *ks = ctx;
    if (ncols < 8)
        return -SM_E_DB;
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 8;
        struct apikey *v = sm_realloc(ks->v, cap * sizeof *v);
        if (v == NULL) {
            ks->nomem = 1;
            return 1;
        }
        ks->v = v;
        ks->cap = cap;
    }
    fill_key(&ks->v[ks->n++], c);
    return 0;
}

int apikey_list(struct db *db, int64_t user_id, struct apikey **rows, size_t *n, struct sm_err *e)
{
    struct keys ks = {0};
    struct db_val p[1] = {DBV_INT(user_id)};
    int rc = db_run(db, &st_k_list, p, 1, on_keys, &ks, e);
    if (rc > 0 || ks.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory listing keys");
    if (rc < 0) {
        free(ks.v);
        ks.v = NULL;
        ks.n = 0;
    }
    *rows = ks.v;
    *n = ks.n;
    return rc;
}

int apikey_revoke(struct db *db, int64_t id, int64_t user_id, int64_t now, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), DBV_INT(user_id), DBV_INT(now)};
    int rc = db_run(db, &st_k_revoke, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "api_key", "no such active key");
    return rc;
}

int apikey_touch(struct db *db, int64_t id, int64_t now, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_INT(now)};
    return db_run(db, &st_k_touch, p, 2, NULL, NULL, e);
}

/* ---- password reset tokens ---- */

int pwreset_insert(struct db *db, const struct pwreset *t, struct sm_err *e)
{
    struct db_val p[4] = {DBV_TEXT(t->token_hash), DBV_INT(t->user_id), DBV_INT(t->created_at),
                          DBV_INT(t->expires_at)};
    return db_run(db, &st_r_insert, p, 4, NULL, NULL, e);
}

static int on_reset(void *ctx, const struct db_val *c, int ncols)
{
    struct one *o = ctx;
    struct pwreset *t = o->out;
    if (ncols < 5)
        return -SM_E_DB;
    copy_col(t->token_hash, sizeof t->token_hash, &c[0]);
    t->user_id = db_col_int(&c[1]);
    t->created_at = db_col_int(&c[2]);
    t->expires_at = db_col_int(&c[3]);
    t->used_at = db_col_int(&c[4]);
    o->found = 1;
    return 1;
}

int pwreset_get(struct db *db, const char *token_hash, struct pwreset *out, struct sm_err *e)
{
    struct one o = {out, 0};
    struct db_val p[1] = {DBV_TEXT(token_hash)};
    int rc = db_run(db, &st_r_get, p, 1, on_reset, &o, e);
    if (rc < 0)
        return rc;
    return o.found ? 0 : sm_err_set(e, SM_E_NOTFOUND, "token", "no such reset token");
}

int pwreset_use(struct db *db, const char *token_hash, int64_t now, struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(token_hash), DBV_INT(now)};
    int rc = db_run(db, &st_r_use, p, 2, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "token", "reset token already used");
    return rc;
}

int pwreset_revoke_user(struct db *db, int64_t user_id, int64_t now, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(user_id), DBV_INT(now)};
    return db_run(db, &st_r_revoke_user, p, 2, NULL, NULL, e);
}
