/* SPDX-License-Identifier: MIT */
/* The sessions table (see sessions.h); tokens arrive hashed. */
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

static int fill(void *row, const struct db_val *c)
{
    struct session_row *s = row;
    db_col_copy(s->id_hash, sizeof s->id_hash, &c[0]);
    s->user_id = db_col_int(&c[1]);
    s->created_at = db_col_int(&c[2]);
    s->last_seen = db_col_int(&c[3]);
    s->expires_at = db_col_int(&c[4]);
    return 0;
}

static const struct db_rowtype session_rowtype = {sizeof(struct session_row), 5, fill, NULL,
                                                  "session"};

int session_insert(struct db *db, const struct session_row *s, struct sm_err *e)
{
    struct db_val p[5] = {DBV_TEXT(s->id_hash), DBV_INT(s->user_id), DBV_INT(s->created_at),
                          DBV_INT(s->last_seen), DBV_INT(s->expires_at)};
    return db_run(db, &st_s_insert, p, 5, NULL, NULL, e);
}

int session_get(struct db *db, const char *id_hash, struct session_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(id_hash)};
    return db_get_one(db, &st_s_get, p, 1, &session_rowtype, out, e);
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
