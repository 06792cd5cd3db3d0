/* SPDX-License-Identifier: MIT */
/* The cart_items table (see cart.h). */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/cart.h"
#include "store/db.h"

#define COLS                                                                                       \
    "c.id, c.org_id, c.user_id, c.product_id, c.sans, c.domain, c.order_id, c.created_at, "        \
    "o.state, o.receipt_no FROM cart_items c LEFT JOIN orders o ON o.id = c.order_id "

static const struct db_stmt st_insert = {
    "cart.insert",
    "INSERT INTO cart_items (org_id, user_id, product_id, sans, domain, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_delete = {
    "cart.delete", "DELETE FROM cart_items WHERE id = $1 AND user_id = $2 RETURNING id", NULL,
    NULL};
static const struct db_stmt st_set_order = {
    "cart.set_order",
    "UPDATE cart_items SET order_id = $3 WHERE id = $1 AND user_id = $2 RETURNING id", NULL, NULL};
static const struct db_stmt st_get = {
    "cart.get", "SELECT " COLS "WHERE c.id = $1 AND c.user_id = $2", NULL, NULL};
static const struct db_stmt st_list = {
    "cart.list", "SELECT " COLS "WHERE c.user_id = $1 ORDER BY c.id", NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct cart_row *r = row;
    r->id = db_col_int(&c[0]);
    r->org_id = db_col_int(&c[1]);
    r->user_id = db_col_int(&c[2]);
    r->product_id = db_col_int(&c[3]);
    r->sans = db_col_int(&c[4]);
    db_col_copy(r->domain, sizeof r->domain, &c[5]);
    r->order_id = db_col_int(&c[6]);
    r->created_at = db_col_int(&c[7]);
    db_col_copy(r->order_state, sizeof r->order_state, &c[8]);
    db_col_copy(r->receipt_no, sizeof r->receipt_no, &c[9]);
    return 0;
}

static const struct db_rowtype cart_type = {sizeof(struct cart_row), 10, fill, NULL, "cart_item"};

int cart_insert(struct db *db, const struct cart_row *c, int64_t *id, struct sm_err *e)
{
    struct db_val p[6] = {DBV_INT(c->org_id), DBV_INT(c->user_id), DBV_INT(c->product_id),
                          DBV_INT(c->sans),   DBV_TEXT(c->domain), DBV_INT(c->created_at)};
    return db_returning_id(db, &st_insert, p, 6, id, e);
}

int cart_delete(struct db *db, int64_t id, int64_t user_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_INT(user_id)};
    int64_t got = 0;
    return db_get_one(db, &st_delete, p, 2, &db_row_int, &got, e);
}

int cart_set_order(struct db *db, int64_t id, int64_t user_id, int64_t order_id, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), DBV_INT(user_id), DBV_INT(order_id)};
    int64_t got = 0;
    return db_get_one(db, &st_set_order, p, 3, &db_row_int, &got, e);
}

int cart_get(struct db *db, int64_t id, int64_t user_id, struct cart_row *out, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_INT(user_id)};
    return db_get_one(db, &st_get, p, 2, &cart_type, out, e);
}

int cart_list(struct db *db, int64_t user_id, struct cart_row **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(user_id)};
    return db_collect(db, &st_list, p, 1, &cart_type, rows, n, e);
}

int cart_count_renewable(struct db *db, const struct org_scope *scope, int64_t now, int64_t until,
                         int64_t *count, struct sm_err *e)
{
    *count = 0;
    if (!scope->all && scope->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    struct db_val *p = sm_calloc((scope->all ? 0 : scope->n) + 2, sizeof *p);
    struct buf sql = BUF_INIT;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    p[0] = DBV_INT(now);
    p[1] = DBV_INT(until);
    int np = 2;
    int rc = buf_puts(&sql, "SELECT COUNT(*) FROM subscriptions WHERE state = 'active' AND "
                            "ends_at > $1 AND ends_at <= $2 AND "
                            "(renewal_order_id IS NULL OR renewal_order_id = 0)");
    if (rc == 0)
        rc = org_scope_sql(&sql, "org_id", scope, p, &np, NULL);
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        struct db_stmt st = {"cart.renewable", sql.p, NULL, NULL};
        rc = db_get_one(db, &st, p, np, &db_row_int, count, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}
