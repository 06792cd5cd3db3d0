/* SPDX-License-Identifier: MIT */
/* The password_resets table (see reset_tokens.h); tokens arrive hashed. */
#include "store/db.h"
#include "store/reset_tokens.h"

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

static int fill(void *row, const struct db_val *c)
{
    struct reset_token_row *t = row;
    db_col_copy(t->token_hash, sizeof t->token_hash, &c[0]);
    t->user_id = db_col_int(&c[1]);
    t->created_at = db_col_int(&c[2]);
    t->expires_at = db_col_int(&c[3]);
    t->used_at = db_col_int(&c[4]);
    return 0;
}

static const struct db_rowtype reset_rowtype = {sizeof(struct reset_token_row), 5, fill, NULL,
                                                "token"};

int pwreset_insert(struct db *db, const struct reset_token_row *t, struct sm_err *e)
{
    struct db_val p[4] = {DBV_TEXT(t->token_hash), DBV_INT(t->user_id), DBV_INT(t->created_at),
                          DBV_INT(t->expires_at)};
    return db_run(db, &st_r_insert, p, 4, NULL, NULL, e);
}

int pwreset_get(struct db *db, const char *token_hash, struct reset_token_row *out,
                struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(token_hash)};
    return db_get_one(db, &st_r_get, p, 1, &reset_rowtype, out, e);
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
