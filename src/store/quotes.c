/* SPDX-License-Identifier: MIT */
/* The quotes table; see quotes.h. */
#include "store/quotes.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/db.h"

#define COLS                                                                                       \
    "q.id, q.org_id, q.created_by, q.created_at, q.valid_until, q.total, q.number, q.recipient, "  \
    "q.subject"

static const struct db_stmt st_insert = {
    "quotes.insert",
    "INSERT INTO quotes (number, org_id, created_by, created_at, valid_until, recipient, subject, "
    "total, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct quote_row *q = row;
    q->id = db_col_int(&c[0]);
    q->org_id = db_col_int(&c[1]);
    q->created_by = db_col_int(&c[2]);
    q->created_at = db_col_int(&c[3]);
    q->valid_until = db_col_int(&c[4]);
    q->total = db_col_int(&c[5]);
    db_col_copy(q->number, sizeof q->number, &c[6]);
    db_col_copy(q->recipient, sizeof q->recipient, &c[7]);
    db_col_copy(q->subject, sizeof q->subject, &c[8]);
    return 0;
}

static int fill_body(void *row, const struct db_val *c)
{
    int rc = fill(row, c);
    struct quote_row *q = row;
    if (rc == 0 && db_col_dup(&q->body, &c[9]) < 0)
        rc = -SM_E_NOMEM;
    return rc;
}

void quote_row_clear(struct quote_row *q)
{
    if (q != NULL) {
        free(q->body);
        q->body = NULL;
    }
}

static void clear_void(void *row) { quote_row_clear(row); }

static const struct db_rowtype list_rowtype = {sizeof(struct quote_row), 9, fill, clear_void,
                                               "quote"};
static const struct db_rowtype one_rowtype = {sizeof(struct quote_row), 10, fill_body, clear_void,
                                              "quote"};

void quote_rows_free(struct quote_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        quote_row_clear(&v[i]);
    free(v);
}

int quotes_insert(struct db *db, const struct quote_row *q, int64_t *id, struct sm_err *e)
{
    struct db_val p[9] = {DBV_TEXT(q->number),    DBV_INT(q->org_id),      DBV_INT(q->created_by),
                          DBV_INT(q->created_at), DBV_INT(q->valid_until), DBV_TEXT(q->recipient),
                          DBV_TEXT(q->subject),   DBV_INT(q->total),       DBV_TEXT(q->body)};
    return db_returning_id(db, &st_insert, p, 9, id, e);
}

/* SELECT COLS [, body] FROM quotes q WHERE <where> <scope> ... */
static int scoped(struct db *db, const char *number, const struct org_scope *scope, int limit,
                  void *out, size_t *n, struct sm_err *e)
{
    struct buf sql = BUF_INIT;
    struct db_val *p = sm_calloc(scope->n + 2, sizeof *p);
    int np = 0;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = 0;
    if (number != NULL) {
        p[np++] = (struct db_val)DBV_TEXT(number);
        rc = buf_puts(&sql, "SELECT " COLS ", q.body FROM quotes q WHERE q.number = $1");
    } else {
        rc = buf_puts(&sql, "SELECT " COLS " FROM quotes q WHERE 1 = 1");
    }
    if (rc == 0)
        rc = org_scope_sql(&sql, "q.org_id", scope, p, &np, e);
    if (rc == 0 && number == NULL) {
        p[np++] = (struct db_val)DBV_INT(limit);
        rc = buf_printf(&sql, " ORDER BY q.created_at DESC, q.id DESC LIMIT $%d", np) < 0
                 ? -SM_E_NOMEM
                 : 0;
    }
    if (rc == 0 && sql.p == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0) {
        struct db_stmt st = {number ? "quotes.get" : "quotes.list", sql.p, NULL, NULL};
        rc = number ? db_get_one(db, &st, p, np, &one_rowtype, out, e)
                    : db_collect(db, &st, p, np, &list_rowtype, out, n, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int quotes_get(struct db *db, const char *number, const struct org_scope *scope,
               struct quote_row *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    size_t unused = 0;
    if (number == NULL || strlen(number) >= sizeof out->number)
        return sm_err_set(e, SM_E_NOTFOUND, "number", "no such quote");
    return scoped(db, number, scope, 0, out, &unused, e);
}

int quotes_list(struct db *db, const struct org_scope *scope, int limit, struct quote_row **rows,
                size_t *n, struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    if (limit < 1 || limit > 200)
        limit = 50;
    return scoped(db, NULL, scope, limit, rows, n, e);
}
