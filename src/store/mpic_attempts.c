/* SPDX-License-Identifier: MIT */
/* The mpic_attempts table. See mpic_attempts.h. */
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/mpic_attempts.h"

#define KCOLS                                                                                      \
    "id, order_id, name, kind, method, result, passed, reason, br_version, perspectives, "         \
    "created_at"

static const struct db_stmt st_insert = {
    "mpic_attempts.insert",
    "INSERT INTO mpic_attempts (order_id, name, kind, method, result, passed, reason, "
    "br_version, perspectives, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    NULL, NULL};
static const struct db_stmt st_by_order = {
    "mpic_attempts.by_order",
    "SELECT " KCOLS " FROM mpic_attempts WHERE order_id = $1 ORDER BY id DESC LIMIT $2", NULL,
    NULL};

int mpic_attempt_insert(struct db *db, const struct mpic_attempt_row *r, struct sm_err *e)
{
    if (r->name == NULL || r->kind == NULL || r->result == NULL || r->perspectives == NULL)
        return sm_err_set(e, SM_E_INVALID, "mpic", "an attempt needs a name, kind and result");
    struct db_val p[10] = {r->order_id > 0 ? DBV_INT(r->order_id) : DBV_NULL,
                           DBV_TEXT(r->name),
                           DBV_TEXT(r->kind),
                           DBV_TEXT(r->method ? r->method : ""),
                           DBV_TEXT(r->result),
                           DBV_INT(r->passed ? 1 : 0),
                           dbv_text_or_null(r->reason),
                           DBV_TEXT(r->br_version ? r->br_version : ""),
                           DBV_TEXT(r->perspectives),
                           DBV_INT(r->created_at)};
    return db_run(db, &st_insert, p, 10, NULL, NULL, e);
}

static void clear(void *row)
{
    struct mpic_attempt_row *r = row;
    free(r->name);
    free(r->kind);
    free(r->method);
    free(r->result);
    free(r->reason);
    free(r->br_version);
    free(r->perspectives);
    memset(r, 0, sizeof *r);
}

void mpic_attempt_rows_free(struct mpic_attempt_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        clear(&rows[i]);
    free(rows);
}

static int fill(void *row, const struct db_val *c)
{
    struct mpic_attempt_row *r = row;
    int bad = 0;
    r->id = db_col_int(&c[0]);
    r->order_id = db_col_int(&c[1]);
    bad |= db_col_dup(&r->name, &c[2]);
    bad |= db_col_dup(&r->kind, &c[3]);
    bad |= db_col_dup(&r->method, &c[4]);
    bad |= db_col_dup(&r->result, &c[5]);
    r->passed = db_col_int(&c[6]) != 0;
    bad |= db_col_dup(&r->reason, &c[7]);
    bad |= db_col_dup(&r->br_version, &c[8]);
    bad |= db_col_dup(&r->perspectives, &c[9]);
    r->created_at = db_col_int(&c[10]);
    if (bad)
        clear(r);
    return bad ? -1 : 0;
}

static const struct db_rowtype rowtype = {sizeof(struct mpic_attempt_row), 11, fill, clear,
                                          "mpic_attempt"};

int mpic_attempts_list(struct db *db, int64_t order_id, size_t limit,
                       struct mpic_attempt_row **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(order_id), DBV_INT((int64_t)(limit ? limit : 50))};
    return db_collect(db, &st_by_order, p, 2, &rowtype, rows, n, e);
}
