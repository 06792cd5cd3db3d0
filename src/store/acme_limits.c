/* SPDX-License-Identifier: MIT */
/* The counts of ACME's rate limits (see acme_limits.h). */
#include "store/acme_limits.h"

#include <string.h>

#include "store/db.h"

static const struct db_stmt st_orders = {
    "acme_limits.orders",
    "SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM acme_orders "
    "WHERE account_id = $1 AND created_at >= $2",
    NULL, NULL};
static const struct db_stmt st_certs = {
    "acme_limits.certs",
    "SELECT COUNT(*), COALESCE(MIN(d.created_at), 0) FROM acme_order_domains d "
    "JOIN acme_orders o ON o.id = d.acme_order_id "
    "WHERE d.reg_domain = $1 AND d.created_at >= $2 AND o.cert_id IS NOT NULL",
    NULL, NULL};
static const struct db_stmt st_add = {
    "acme_limits.add",
    "INSERT INTO acme_order_domains (acme_order_id, reg_domain, created_at) "
    "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    NULL, NULL};

struct pair {
    int64_t n, oldest;
};

static int on_row(void *ctx, const struct db_val *c, int nc)
{
    struct pair *p = ctx;
    if (nc >= 2) {
        p->n = db_col_int(&c[0]);
        p->oldest = db_col_int(&c[1]);
    }
    return 0;
}

static int count(struct db *db, const struct db_stmt *st, const struct db_val *params, int64_t *n,
                 int64_t *oldest, struct sm_err *e)
{
    struct pair p = {0, 0};
    int rc = db_run(db, st, params, 2, on_row, &p, e);
    *n = rc == 0 ? p.n : 0;
    *oldest = rc == 0 ? p.oldest : 0;
    return rc < 0 ? rc : 0;
}

int acme_limits_count_orders(struct db *db, int64_t account_id, int64_t since, int64_t *n,
                             int64_t *oldest, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(account_id), DBV_INT(since)};
    return count(db, &st_orders, p, n, oldest, e);
}

int acme_limits_count_certs(struct db *db, const char *reg_domain, int64_t since, int64_t *n,
                            int64_t *oldest, struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(reg_domain), DBV_INT(since)};
    return count(db, &st_certs, p, n, oldest, e);
}

int acme_limits_add_domain(struct db *db, int64_t acme_order_id, const char *reg_domain,
                           int64_t created_at, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(acme_order_id), DBV_TEXT(reg_domain), DBV_INT(created_at)};
    return db_run(db, &st_add, p, 3, NULL, NULL, e);
}
