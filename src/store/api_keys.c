/* SPDX-License-Identifier: MIT */
/* The api_keys table (see api_keys.h); keys arrive hashed. */
#include <stdlib.h>

#include "store/api_keys.h"
#include "store/db.h"

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

static int fill(void *row, const struct db_val *c)
{
    struct api_key_row *k = row;
    k->id = db_col_int(&c[0]);
    k->user_id = db_col_int(&c[1]);
    db_col_copy(k->prefix, sizeof k->prefix, &c[2]);
    db_col_copy(k->hash, sizeof k->hash, &c[3]);
    db_col_copy(k->label, sizeof k->label, &c[4]);
    k->created_at = db_col_int(&c[5]);
    k->last_used = db_col_int(&c[6]);
    k->revoked_at = db_col_int(&c[7]);
    return 0;
}

static const struct db_rowtype key_rowtype = {sizeof(struct api_key_row), 8, fill, NULL, "api_key"};

void api_key_rows_free(struct api_key_row *v, size_t n)
{
    (void)n; /* fixed buffers: nothing inside to free */
    free(v);
}

int apikey_insert(struct db *db, const struct api_key_row *k, int64_t *id, struct sm_err *e)
{
    *id = 0;
    struct db_val p[5] = {DBV_INT(k->user_id), DBV_TEXT(k->prefix), DBV_TEXT(k->hash),
                          DBV_TEXT(k->label), DBV_INT(k->created_at)};
    return db_returning_id(db, &st_k_insert, p, 5, id, e);
}

int apikey_find(struct db *db, const char *hash, struct api_key_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(hash)};
    return db_get_one(db, &st_k_find, p, 1, &key_rowtype, out, e);
}

int apikey_list(struct db *db, int64_t user_id, struct api_key_row **rows, size_t *n,
                struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(user_id)};
    return db_collect(db, &st_k_list, p, 1, &key_rowtype, rows, n, e);
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
