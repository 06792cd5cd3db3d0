/* SPDX-License-Identifier: MIT */
/* The announcements table (see announcements.h). All SQL for it lives here. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "store/announcements.h"
#include "store/db.h"

static const struct db_stmt st_insert = {
    "announcement.insert",
    "INSERT INTO announcements (title_ja, title_en, body_ja, body_en, published_at, author_id) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_list = {
    "announcement.list",
    "SELECT id, published_at, author_id, title_ja, title_en, body_ja, body_en "
    "FROM announcements ORDER BY published_at DESC, id DESC LIMIT $1",
    NULL, NULL};

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

int announcement_insert(struct db *db, const char *title_ja, const char *title_en,
                        const char *body_ja, const char *body_en, int64_t author_id, int64_t *id,
                        struct sm_err *e)
{
    *id = 0;
    struct db_val p[6] = {DBV_TEXT(title_ja),   DBV_TEXT(title_en),
                          DBV_TEXT(body_ja),    DBV_TEXT(body_en),
                          DBV_INT(clock_now()), author_id > 0 ? DBV_INT(author_id) : DBV_NULL};
    int rc = db_run(db, &st_insert, p, 6, got_id, id, e);
    if (rc == 0 && *id <= 0)
        rc = sm_err_set(e, SM_E_DB, "announcement.insert", "no id returned");
    return rc;
}

struct rows {
    struct announcement *v;
    size_t n, cap;
    int nomem;
};

static int on_row(void *ctx, const struct db_val *c, int ncols)
{
    struct rows *rs = ctx;
    if (ncols < 7)
        return -SM_E_DB;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct announcement *v = sm_realloc(rs->v, cap * sizeof *v);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    struct announcement *a = &rs->v[rs->n++];
    a->id = db_col_int(&c[0]);
    a->published_at = db_col_int(&c[1]);
    a->author_id = db_col_int(&c[2]);
    a->title_ja = db_col_strdup(&c[3]);
    a->title_en = db_col_strdup(&c[4]);
    a->body_ja = db_col_strdup(&c[5]);
    a->body_en = db_col_strdup(&c[6]);
    if (!a->title_ja || !a->title_en || !a->body_ja || !a->body_en) {
        rs->nomem = 1;
        return 1;
    }
    return 0;
}

int announcement_list(struct db *db, size_t limit, struct announcement **rows, size_t *n,
                      struct sm_err *e)
{
    struct rows rs = {0};
    struct db_val p[1] = {DBV_INT((int64_t)limit)};
    int rc = db_run(db, &st_list, p, 1, on_row, &rs, e);
    if (rc > 0 || rs.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory listing announcements");
    if (rc < 0) {
        announcements_free(rs.v, rs.n);
        rs.v = NULL;
        rs.n = 0;
    }
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

void announcements_free(struct announcement *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].title_ja);
        free(rows[i].title_en);
        free(rows[i].body_ja);
        free(rows[i].body_en);
    }
    free(rows);
}
