/* SPDX-License-Identifier: MIT */
/* The announcements table (see announcements.h). All SQL for it lives here. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
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

static void clear(void *row)
{
    struct announcement_row *a = row;
    free(a->title_ja);
    free(a->title_en);
    free(a->body_ja);
    free(a->body_en);
    memset(a, 0, sizeof *a);
}

static int fill(void *row, const struct db_val *c)
{
    struct announcement_row *a = row;
    int bad = 0;
    a->id = db_col_int(&c[0]);
    a->published_at = db_col_int(&c[1]);
    a->author_id = db_col_int(&c[2]);
    bad |= db_col_dup(&a->title_ja, &c[3]);
    bad |= db_col_dup(&a->title_en, &c[4]);
    bad |= db_col_dup(&a->body_ja, &c[5]);
    bad |= db_col_dup(&a->body_en, &c[6]);
    if (bad)
        clear(a);
    return bad ? -1 : 0;
}

static const struct db_rowtype announcement_rowtype = {sizeof(struct announcement_row), 7, fill,
                                                       clear, "announcement"};

int announcement_insert(struct db *db, const char *title_ja, const char *title_en,
                        const char *body_ja, const char *body_en, int64_t author_id, int64_t *id,
                        struct sm_err *e)
{
    *id = 0;
    struct db_val p[6] = {DBV_TEXT(title_ja),   DBV_TEXT(title_en),
                          DBV_TEXT(body_ja),    DBV_TEXT(body_en),
                          DBV_INT(clock_now()), dbv_int_or_null(author_id > 0 ? author_id : 0)};
    return db_returning_id(db, &st_insert, p, 6, id, e);
}

int announcement_list(struct db *db, size_t limit, struct announcement_row **rows, size_t *n,
                      struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT((int64_t)limit)};
    return db_collect(db, &st_list, p, 1, &announcement_rowtype, rows, n, e);
}

void announcement_rows_free(struct announcement_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        clear(&rows[i]);
    free(rows);
}
