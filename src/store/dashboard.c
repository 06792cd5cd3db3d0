/* SPDX-License-Identifier: MIT */
/* Dashboard reads and user settings (see dashboard.h). The month counts are one scan of
 * the (org_id, not_after, state) index over the next twelve months, summed per bucket in
 * SQL; the scope is "org_id IN (...)" as everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/dashboard.h"
#include "store/db.h"
#include "store/groups.h"

#define LIVE " c.state IN ('issued', 'revocation_scheduled')"

/* Room for the scope's ids plus extra values. */
static struct db_val *params(const struct org_scope *s, size_t extra)
{
    return sm_calloc((s->all ? 0 : s->n) + extra, sizeof(struct db_val));
}

static int scope_ok(const struct org_scope *s, struct sm_err *e)
{
    if (s == NULL)
        return sm_err_set(e, SM_E_INTERNAL, "scope", "no scope given");
    if (!s->all && s->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    return 0;
}

/* A group member's limit (viewer > 0), binding viewer as the next parameter. */
static int viewer_sql(struct buf *sql, int64_t viewer, struct db_val *p, int *np)
{
    if (viewer <= 0)
        return 0;
    p[(*np)++] = DBV_INT(viewer);
    return groups_visible_sql(sql, *np);
}

struct ints {
    int64_t *v;
    int n;
};

static int ints_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct ints *x = ctx;
    for (int i = 0; i < x->n && i < ncols; i++)
        x->v[i] = db_col_int(&cols[i]);
    return 0;
}

int dashboard_expiry_months(struct db *db, const struct org_scope *scope, int64_t viewer,
                            const int64_t bounds[DASH_MONTHS + 1], int64_t counts[DASH_MONTHS],
                            struct sm_err *e)
{
    memset(counts, 0, DASH_MONTHS * sizeof *counts);
    int bad = scope_ok(scope, e);
    if (bad < 0)
        return bad;
    struct db_val *p = params(scope, DASH_MONTHS + 2);
    struct buf sql = BUF_INIT;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (int i = 0; i <= DASH_MONTHS; i++)
        p[i] = DBV_INT(bounds[i]);
    int np = DASH_MONTHS + 1, rc = buf_puts(&sql, "SELECT ");
    for (int i = 0; rc == 0 && i < DASH_MONTHS; i++)
        rc = buf_printf(&sql, "%sCOALESCE(SUM(CASE WHEN c.not_after < $%d THEN 1 ELSE 0 END), 0)",
                        i ? ", " : "", i + 2);
    /* each bucket counts everything below its upper bound; differences give the months */
    if (rc == 0)
        rc = buf_printf(
            &sql, " FROM certificates c WHERE c.not_after >= $1 AND c.not_after < $%d AND" LIVE,
            DASH_MONTHS + 1);
    if (rc == 0)
        rc = org_scope_sql(&sql, "c.org_id", scope, p, &np, NULL);
    if (rc == 0)
        rc = viewer_sql(&sql, viewer, p, &np);
    int64_t below[DASH_MONTHS] = {0};
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        struct db_stmt st = {"dashboard.months", sql.p, NULL, NULL};
        struct ints x = {below, DASH_MONTHS};
        rc = db_run(db, &st, p, np, ints_row, &x, e);
        for (int i = 0; rc >= 0 && i < DASH_MONTHS; i++)
            counts[i] = below[i] - (i ? below[i - 1] : 0);
        if (rc > 0)
            rc = 0;
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int dashboard_renewable(struct db *db, const struct org_scope *scope, int64_t viewer, int64_t now,
                        int64_t until, int64_t *n, struct sm_err *e)
{
    *n = 0;
    int bad = scope_ok(scope, e);
    if (bad < 0)
        return bad;
    struct db_val *p = params(scope, 3);
    struct buf sql = BUF_INIT;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    p[0] = DBV_INT(now);
    p[1] = DBV_INT(until);
    int np = 2;
    int rc =
        buf_puts(&sql, "SELECT COUNT(*) FROM certificates c WHERE c.not_after >= $1 AND "
                       "c.not_after < $2 AND" LIVE " AND NOT EXISTS (SELECT 1 FROM orders r WHERE "
                       "r.predecessor_cert_id = c.id AND r.state NOT IN ('rejected', "
                       "'cancelled'))");
    if (rc == 0)
        rc = org_scope_sql(&sql, "c.org_id", scope, p, &np, NULL);
    if (rc == 0)
        rc = viewer_sql(&sql, viewer, p, &np);
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        struct db_stmt st = {"dashboard.renewable", sql.p, NULL, NULL};
        rc = db_get_one(db, &st, p, np, &db_row_int, n, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

#define DCV_OPEN                                                                                   \
    "EXISTS (SELECT 1 FROM order_domains d WHERE d.order_id = o.id AND d.state <> 'validated')"
/* state IN (...) first, so that the (org_id, state) index finds the candidates */
#define WAITING                                                                                    \
    "o.state IN ('awaiting_payment', 'on_hold', 'vetting') AND (o.state <> 'vetting' OR " DCV_OPEN \
    ")"

static int order_fill(void *row, const struct db_val *v)
{
    struct dashboard_order *o = row;
    o->id = db_col_int(&v[0]);
    db_col_copy(o->receipt_no, sizeof o->receipt_no, &v[1]);
    db_col_copy(o->cn, sizeof o->cn, &v[2]);
    char st[24];
    db_col_copy(st, sizeof st, &v[3]);
    snprintf(o->reason, sizeof o->reason, "%s",
             strcmp(st, "awaiting_payment") == 0 ? "unpaid"
             : strcmp(st, "on_hold") == 0        ? "documents"
                                                 : "dcv");
    o->updated_at = db_col_int(&v[4]);
    return 0;
}

static const struct db_rowtype order_rowtype = {sizeof(struct dashboard_order), 5, order_fill, NULL,
                                                "order"};

int dashboard_waiting(struct db *db, const struct org_scope *scope, int limit,
                      struct dashboard_order **rows, size_t *n, int64_t counts[3], struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    memset(counts, 0, 3 * sizeof *counts);
    int bad = scope_ok(scope, e);
    if (bad < 0)
        return bad;
    if (limit < 1 || limit > 100)
        return sm_err_set(e, SM_E_INVALID, "limit", "limit 1..100");
    struct db_val *p = params(scope, 1);
    struct buf where = BUF_INIT, sql = BUF_INIT, sql_sq = BUF_INIT;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int np = 0;
    int rc = buf_puts(&where, WAITING);
    if (rc == 0)
        rc = org_scope_sql(&where, "o.org_id", scope, p, &np, NULL);
    /* SQLite: the partial index of migration 0067 named, as its statistics of a table of
     * issued orders talk the planner into (org_id, state) probes or a table scan */
    if (rc == 0)
        rc = buf_printf(&sql,
                        "SELECT COALESCE(SUM(CASE WHEN o.state = 'awaiting_payment' THEN 1 ELSE 0 "
                        "END), 0), COALESCE(SUM(CASE WHEN o.state = 'on_hold' THEN 1 ELSE 0 END), "
                        "0), COALESCE(SUM(CASE WHEN o.state = 'vetting' THEN 1 ELSE 0 END), 0) "
                        "FROM orders o WHERE %s",
                        where.p);
    if (rc == 0)
        rc = buf_printf(&sql_sq,
                        "SELECT COALESCE(SUM(CASE WHEN o.state = 'awaiting_payment' THEN 1 ELSE 0 "
                        "END), 0), COALESCE(SUM(CASE WHEN o.state = 'on_hold' THEN 1 ELSE 0 END), "
                        "0), COALESCE(SUM(CASE WHEN o.state = 'vetting' THEN 1 ELSE 0 END), 0) "
                        "FROM orders o INDEXED BY orders_waiting WHERE %s",
                        where.p);
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    struct db_stmt cst = {"dashboard.waiting_counts", sql.p, sql_sq.p, NULL};
    struct ints x = {counts, 3};
    if ((rc = db_run(db, &cst, p, np, ints_row, &x, e)) < 0)
        goto out;
    buf_reset(&sql);
    buf_reset(&sql_sq);
    p[np] = DBV_INT(limit);
    if (buf_printf(&sql,
                   "SELECT o.id, o.receipt_no, o.cn, o.state, o.updated_at FROM orders o WHERE %s "
                   "ORDER BY o.updated_at DESC, o.id DESC LIMIT $%d",
                   where.p, np + 1) < 0 ||
        buf_printf(&sql_sq,
                   "SELECT o.id, o.receipt_no, o.cn, o.state, o.updated_at FROM orders o INDEXED "
                   "BY orders_waiting WHERE %s ORDER BY o.updated_at DESC, o.id DESC LIMIT $%d",
                   where.p, np + 1) < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    struct db_stmt st = {"dashboard.waiting", sql.p, sql_sq.p, NULL};
    rc = db_collect(db, &st, p, np + 1, &order_rowtype, rows, n, e);
out:
    buf_free(&where);
    buf_free(&sql);
    buf_free(&sql_sq);
    free(p);
    return rc;
}

static int customer_fill(void *row, const struct db_val *v)
{
    struct dashboard_customer *c = row;
    c->id = db_col_int(&v[0]);
    db_col_copy(c->name_ja, sizeof c->name_ja, &v[1]);
    db_col_copy(c->name_en, sizeof c->name_en, &v[2]);
    c->valid = db_col_int(&v[3]);
    c->expiring = db_col_int(&v[4]);
    c->waiting = db_col_int(&v[5]);
    return 0;
}

static const struct db_rowtype customer_rowtype = {sizeof(struct dashboard_customer), 6,
                                                   customer_fill, NULL, "organization"};

/* The customers with their counts; a group member's certificate counts (viewer > 0, bound
 * as $4) only cover what they see. */
static int customers_sql(struct buf *sql, int64_t viewer)
{
    struct buf lim = BUF_INIT;
    int rc = viewer > 0 ? groups_visible_sql(&lim, 4) : 0;
    const char *l = viewer > 0 ? lim.p : "";
    if (rc == 0)
        rc = buf_printf(
            sql,
            "SELECT g.id, g.name_ja, g.name_en, "
            "(SELECT COUNT(*) FROM certificates c WHERE c.org_id = g.id AND c.not_after >= $2 "
            "AND" LIVE "%s), "
            "(SELECT COUNT(*) FROM certificates c WHERE c.org_id = g.id AND c.not_after >= $2 AND "
            "c.not_after < $3 AND" LIVE "%s), "
            "(SELECT COUNT(*) FROM orders o WHERE o.org_id = g.id AND o.state IN "
            "('awaiting_payment', 'vetting', 'on_hold')) "
            "FROM organizations g WHERE g.reseller_org_id = $1 ORDER BY g.name_ja, g.id LIMIT 1000",
            l, l);
    buf_free(&lim);
    return rc;
}

static const struct db_stmt customer_names_st = {
    "dashboard.customer_names",
    "SELECT g.id, g.name_ja, g.name_en, 0, 0, 0 FROM organizations g WHERE g.reseller_org_id = $1 "
    "ORDER BY g.name_ja, g.id LIMIT 1000",
    NULL, NULL};

int dashboard_customers(struct db *db, int64_t reseller_org_id, int64_t viewer, int64_t now,
                        int64_t until, struct dashboard_customer **rows, size_t *n,
                        struct sm_err *e)
{
    struct db_val p[] = {DBV_INT(reseller_org_id), DBV_INT(now), DBV_INT(until), DBV_INT(viewer)};
    if (now == 0)
        return db_collect(db, &customer_names_st, p, 1, &customer_rowtype, rows, n, e);
    struct buf sql = BUF_INIT;
    int rc;
    if (customers_sql(&sql, viewer) < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        struct db_stmt st = {"dashboard.customers", sql.p, NULL, NULL};
        rc = db_collect(db, &st, p, viewer > 0 ? 4 : 3, &customer_rowtype, rows, n, e);
    }
    buf_free(&sql);
    return rc;
}

/* ---- dashboard_cache ---- */

static int body_row(void *ctx, const struct db_val *cols, int ncols)
{
    char **out = ctx;
    if (ncols < 1)
        return 1;
    *out = db_col_strdup(&cols[0]);
    return *out == NULL ? -SM_E_NOMEM : 1;
}

static const struct db_stmt cache_get_st = {
    "dashboard_cache.get", "SELECT body FROM dashboard_cache WHERE key = $1 AND computed_at >= $2",
    NULL, NULL};
static const struct db_stmt cache_set_st = {
    "dashboard_cache.set",
    "INSERT INTO dashboard_cache (key, computed_at, body) VALUES ($1, $2, $3) "
    "ON CONFLICT (key) DO UPDATE SET computed_at = excluded.computed_at, body = excluded.body",
    NULL, NULL};

int dashboard_cache_get(struct db *db, const char *key, int64_t not_before, char **body,
                        struct sm_err *e)
{
    *body = NULL;
    struct db_val p[] = {DBV_TEXT(key), DBV_INT(not_before)};
    int rc = db_run(db, &cache_get_st, p, 2, body_row, body, e);
    if (rc < 0)
        return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory") : rc;
    return *body ? 0 : sm_err_set(e, SM_E_NOTFOUND, "dashboard", "no fresh figures");
}

int dashboard_cache_set(struct db *db, const char *key, int64_t at, const char *body,
                        struct sm_err *e)
{
    struct db_val p[] = {DBV_TEXT(key), DBV_INT(at), DBV_TEXT(body)};
    return db_run(db, &cache_set_st, p, 3, NULL, NULL, e);
}

/* ---- user_prefs ---- */

struct pref_out {
    char *out;
    size_t n;
    int found;
};

static int pref_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct pref_out *x = ctx;
    if (ncols >= 1) {
        db_col_copy(x->out, x->n, &cols[0]);
        x->found = 1;
    }
    return 1;
}

static const struct db_stmt pref_get_st = {
    "user_prefs.get", "SELECT value FROM user_prefs WHERE user_id = $1 AND name = $2", NULL, NULL};
static const struct db_stmt pref_set_st = {
    "user_prefs.set",
    "INSERT INTO user_prefs (user_id, name, value, updated_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, "
    "updated_at = excluded.updated_at",
    NULL, NULL};

int user_prefs_get(struct db *db, int64_t user_id, const char *name, char *out, size_t n,
                   struct sm_err *e)
{
    struct pref_out x = {out, n, 0};
    if (n > 0)
        out[0] = '\0';
    struct db_val p[] = {DBV_INT(user_id), DBV_TEXT(name)};
    int rc = db_run(db, &pref_get_st, p, 2, pref_row, &x, e);
    if (rc < 0)
        return rc;
    return x.found ? 0 : sm_err_set(e, SM_E_NOTFOUND, name, "not set");
}

int user_prefs_set(struct db *db, int64_t user_id, const char *name, const char *value, int64_t now,
                   struct sm_err *e)
{
    if (strlen(value) > USER_PREF_MAX)
        return sm_err_set(e, SM_E_INVALID, name, "setting over %d bytes", USER_PREF_MAX);
    struct db_val p[] = {DBV_INT(user_id), DBV_TEXT(name), DBV_TEXT(value), DBV_INT(now)};
    return db_run(db, &pref_set_st, p, 4, NULL, NULL, e);
}
