/* SPDX-License-Identifier: MIT */
/* The subscriptions tables. See subscriptions.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/subscriptions.h"

#define SCOLS                                                                                      \
    "s.id, s.org_id, s.product_id, s.first_order_id, s.predecessor_id, s.starts_at, s.ends_at, "   \
    "s.carried_days, s.state, s.renewal_order_id, s.created_at, s.updated_at"

static const struct db_stmt st_insert = {
    "subscriptions.insert",
    "INSERT INTO subscriptions (org_id, product_id, first_order_id, predecessor_id, starts_at, "
    "ends_at, carried_days, state, renewal_order_id, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', NULL, $8, $8) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_get = {
    "subscriptions.get", "SELECT " SCOLS " FROM subscriptions s WHERE s.id = $1", NULL, NULL};
static const struct db_stmt st_by_cert = {
    "subscriptions.by_cert",
    "SELECT " SCOLS " FROM subscriptions s JOIN subscription_certs l ON l.subscription_id = s.id "
    "WHERE l.cert_id = $1",
    NULL, NULL};
static const struct db_stmt st_by_order = {
    "subscriptions.by_order",
    "SELECT " SCOLS ", l.id, l.order_id, l.cert_id, l.reason, l.created_at FROM subscriptions s "
    "JOIN subscription_certs l ON l.subscription_id = s.id WHERE l.order_id = $1",
    NULL, NULL};
static const struct db_stmt st_by_renewal = {
    "subscriptions.by_renewal",
    "SELECT " SCOLS " FROM subscriptions s WHERE s.renewal_order_id = $1", NULL, NULL};
static const struct db_stmt st_set_state = {
    "subscriptions.set_state",
    "UPDATE subscriptions SET state = $3, updated_at = $4, renewal_order_id = CASE WHEN $3 = "
    "'active' THEN renewal_order_id ELSE NULL END WHERE id = $1 AND state = $2",
    NULL, NULL};
static const struct db_stmt st_set_renewal = {
    "subscriptions.set_renewal",
    "UPDATE subscriptions SET renewal_order_id = $2, updated_at = $3 WHERE id = $1", NULL, NULL};
static const struct db_stmt st_active_ending = {
    "subscriptions.active_ending",
    "SELECT " SCOLS " FROM subscriptions s WHERE s.state = 'active' AND s.ends_at <= $1 "
    "ORDER BY s.ends_at, s.id LIMIT $2",
    NULL, NULL};
static const struct db_stmt st_cert_ending = {
    "subscriptions.cert_ending",
    "SELECT " SCOLS ", c.id FROM subscriptions s JOIN subscription_certs l ON l.subscription_id = "
    "s.id JOIN certificates c ON c.id = l.cert_id WHERE s.state = 'active' AND c.state = 'issued' "
    "AND c.not_after <= $1 AND c.not_after < s.ends_at AND NOT EXISTS (SELECT 1 FROM "
    "subscription_certs l2 JOIN certificates c2 ON c2.id = l2.cert_id WHERE l2.subscription_id = "
    "s.id AND c2.not_after > c.not_after) ORDER BY c.not_after, s.id LIMIT $2",
    NULL, NULL};
static const struct db_stmt st_link = {
    "subscription_certs.insert",
    "INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at) "
    "VALUES ($1, $2, $3, $4, $5)",
    NULL, NULL};
static const struct db_stmt st_link_cert = {
    "subscription_certs.set_cert", "UPDATE subscription_certs SET cert_id = $2 WHERE order_id = $1",
    NULL, NULL};
static const struct db_stmt st_links = {
    "subscription_certs.list",
    "SELECT l.id, l.subscription_id, l.order_id, l.cert_id, l.reason, l.created_at, c.serial, "
    "c.state, c.not_before, c.not_after FROM subscription_certs l LEFT JOIN certificates c ON "
    "c.id = l.cert_id WHERE l.subscription_id = $1 ORDER BY l.id",
    NULL, NULL};
static const struct db_stmt st_notice = {
    "subscription_notices.insert",
    "INSERT INTO subscription_notices (subscription_id, kind, notice_key, mailed, at) VALUES "
    "($1, $2, $3, $4, $5) ON CONFLICT (subscription_id, kind, notice_key) DO NOTHING",
    NULL, NULL};
static const struct db_stmt st_notice_count = {
    "subscription_notices.count",
    "SELECT COUNT(*) FROM subscription_notices WHERE subscription_id = $1 AND mailed = 1 AND "
    "($2 = '' OR kind = $2)",
    NULL, NULL};

static struct db_val opt_int(int64_t v) { return v > 0 ? DBV_INT(v) : DBV_NULL; }

static void text_to(const struct db_val *v, char *out, size_t n)
{
    size_t k = v->t == DB_TEXT && v->p ? v->n : 0;
    if (k >= n)
        k = n - 1;
    if (k)
        memcpy(out, v->p, k);
    out[k] = '\0';
}

static void sub_from(struct subscription *s, const struct db_val *c)
{
    memset(s, 0, sizeof *s);
    s->id = db_col_int(&c[0]);
    s->org_id = db_col_int(&c[1]);
    s->product_id = db_col_int(&c[2]);
    s->first_order_id = db_col_int(&c[3]);
    s->predecessor_id = db_col_int(&c[4]);
    s->starts_at = db_col_int(&c[5]);
    s->ends_at = db_col_int(&c[6]);
    s->carried_days = db_col_int(&c[7]);
    text_to(&c[8], s->state, sizeof s->state);
    s->renewal_order_id = db_col_int(&c[9]);
    s->created_at = db_col_int(&c[10]);
    s->updated_at = db_col_int(&c[11]);
}

/* ---- single rows ---- */

struct one {
    struct subscription *s;
    struct subscription_cert *link;
    int found;
};

static int on_one(void *ctx, const struct db_val *c, int ncols)
{
    struct one *o = ctx;
    if (ncols < 12)
        return -SM_E_DB;
    sub_from(o->s, c);
    if (o->link != NULL && ncols >= 17) {
        memset(o->link, 0, sizeof *o->link);
        o->link->id = db_col_int(&c[12]);
        o->link->subscription_id = o->s->id;
        o->link->order_id = db_col_int(&c[13]);
        o->link->cert_id = db_col_int(&c[14]);
        text_to(&c[15], o->link->reason, sizeof o->link->reason);
        o->link->created_at = db_col_int(&c[16]);
    }
    o->found = 1;
    return 1;
}

static int get_one(struct db *db, const struct db_stmt *st, int64_t key, struct subscription *out,
                   struct subscription_cert *link, struct sm_err *e)
{
    struct one o = {out, link, 0};
    struct db_val p[1] = {DBV_INT(key)};
    int rc = db_run(db, st, p, 1, on_one, &o, e);
    if (rc < 0)
        return rc;
    if (!o.found)
        return sm_err_set(e, SM_E_NOTFOUND, "subscription", "no such subscription");
    return 0;
}

static int on_count(void *ctx, const struct db_val *c, int ncols);

int subscriptions_insert(struct db *db, const struct subscription *s, int64_t now, int64_t *id,
                         struct sm_err *e)
{
    struct db_val p[8] = {DBV_INT(s->org_id),         DBV_INT(s->product_id),
                          DBV_INT(s->first_order_id), opt_int(s->predecessor_id),
                          DBV_INT(s->starts_at),      DBV_INT(s->ends_at),
                          DBV_INT(s->carried_days),   DBV_INT(now)};
    int64_t newid = 0;
    int rc = db_run(db, &st_insert, p, 8, on_count, &newid, e);
    if (rc == 0 && newid <= 0)
        rc = sm_err_set(e, SM_E_DB, "subscription", "insert returned no id");
    if (id != NULL)
        *id = newid;
    return rc;
}

int subscriptions_get(struct db *db, int64_t id, struct subscription *out, struct sm_err *e)
{
    return get_one(db, &st_get, id, out, NULL, e);
}

int subscriptions_get_by_cert(struct db *db, int64_t cert_id, struct subscription *out,
                              struct sm_err *e)
{
    return get_one(db, &st_by_cert, cert_id, out, NULL, e);
}

int subscriptions_get_by_order(struct db *db, int64_t order_id, struct subscription *out,
                               struct subscription_cert *link, struct sm_err *e)
{
    struct subscription_cert tmp = {0};
    return get_one(db, &st_by_order, order_id, out, link ? link : &tmp, e);
}

int subscriptions_get_by_renewal(struct db *db, int64_t order_id, struct subscription *out,
                                 struct sm_err *e)
{
    return get_one(db, &st_by_renewal, order_id, out, NULL, e);
}

int subscriptions_set_state(struct db *db, int64_t id, const char *from, const char *to,
                            int64_t now, struct sm_err *e)
{
    struct db_val p[4] = {DBV_INT(id), DBV_TEXT(from), DBV_TEXT(to), DBV_INT(now)};
    int rc = db_run(db, &st_set_state, p, 4, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "subscription %lld is not %s", (long long)id,
                        from);
    return rc;
}

int subscriptions_set_renewal(struct db *db, int64_t id, int64_t order_id, int64_t now,
                              struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), opt_int(order_id), DBV_INT(now)};
    int rc = db_run(db, &st_set_renewal, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "subscription", "no such subscription");
    return rc;
}

/* ---- lists ---- */

struct many {
    struct subscription *v;
    int64_t *extra;
    size_t n, cap;
    int want_extra, nomem;
};

static int on_many(void *ctx, const struct db_val *c, int ncols)
{
    struct many *m = ctx;
    if (ncols < 12 + m->want_extra)
        return -SM_E_DB;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct subscription *v = sm_realloc(m->v, cap * sizeof *v);
        int64_t *x = v ? sm_realloc(m->extra, cap * sizeof *x) : NULL;
        if (v != NULL)
            m->v = v;
        if (x == NULL) {
            m->nomem = 1;
            return 1;
        }
        m->extra = x;
        m->cap = cap;
    }
    sub_from(&m->v[m->n], c);
    m->extra[m->n] = m->want_extra ? db_col_int(&c[12]) : 0;
    m->n++;
    return 0;
}

static int list_many(struct db *db, const struct db_stmt *st, int64_t until, int limit,
                     int want_extra, struct subscription **rows, int64_t **extra, size_t *n,
                     struct sm_err *e)
{
    struct many m = {0};
    m.want_extra = want_extra;
    if (limit < 1 || limit > 1000)
        limit = 1000;
    struct db_val p[2] = {DBV_INT(until), DBV_INT(limit)};
    int rc = db_run(db, st, p, 2, on_many, &m, e);
    if (rc > 0 || m.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading subscriptions");
    if (rc < 0 || m.n == 0) {
        free(m.v);
        free(m.extra);
        m.v = NULL;
        m.extra = NULL;
        m.n = 0;
    }
    *rows = m.v;
    if (extra != NULL)
        *extra = m.extra;
    else
        free(m.extra);
    *n = m.n;
    return rc;
}

int subscriptions_list_active_ending(struct db *db, int64_t until, int limit,
                                     struct subscription **rows, size_t *n, struct sm_err *e)
{
    return list_many(db, &st_active_ending, until, limit, 0, rows, NULL, n, e);
}

int subscriptions_list_cert_ending(struct db *db, int64_t until, int limit,
                                   struct subscription **rows, int64_t **cert_ids, size_t *n,
                                   struct sm_err *e)
{
    return list_many(db, &st_cert_ending, until, limit, 1, rows, cert_ids, n, e);
}

/* ---- links ---- */

int subscription_certs_insert(struct db *db, int64_t sub_id, int64_t order_id, int64_t cert_id,
                              const char *reason, int64_t now, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(sub_id), DBV_INT(order_id), opt_int(cert_id), DBV_TEXT(reason),
                          DBV_INT(now)};
    return db_run(db, &st_link, p, 5, NULL, NULL, e);
}

int subscription_certs_set_cert(struct db *db, int64_t order_id, int64_t cert_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(order_id), DBV_INT(cert_id)};
    int rc = db_run(db, &st_link_cert, p, 2, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "subscription", "order %lld is in no subscription",
                        (long long)order_id);
    return rc;
}

struct links {
    struct subscription_cert *v;
    size_t n, cap;
    int nomem;
};

static int on_link(void *ctx, const struct db_val *c, int ncols)
{
    struct links *l = ctx;
    if (ncols < 10)
        return -SM_E_DB;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct subscription_cert *v = sm_realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            l->nomem = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct subscription_cert *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    r->id = db_col_int(&c[0]);
    r->subscription_id = db_col_int(&c[1]);
    r->order_id = db_col_int(&c[2]);
    r->cert_id = db_col_int(&c[3]);
    text_to(&c[4], r->reason, sizeof r->reason);
    r->created_at = db_col_int(&c[5]);
    text_to(&c[6], r->serial, sizeof r->serial);
    text_to(&c[7], r->cert_state, sizeof r->cert_state);
    r->not_before = db_col_int(&c[8]);
    r->not_after = db_col_int(&c[9]);
    return 0;
}

int subscription_certs_list(struct db *db, int64_t sub_id, struct subscription_cert **rows,
                            size_t *n, struct sm_err *e)
{
    struct links l = {0};
    struct db_val p[1] = {DBV_INT(sub_id)};
    int rc = db_run(db, &st_links, p, 1, on_link, &l, e);
    if (rc > 0 || l.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading subscription certificates");
    if (rc < 0 || l.n == 0) {
        free(l.v);
        l.v = NULL;
        l.n = 0;
    }
    *rows = l.v;
    *n = l.n;
    return rc;
}

/* ---- notices ---- */

int subscription_notices_insert(struct db *db, int64_t sub_id, const char *kind, const char *key,
                                int mailed, int64_t at, int *inserted, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(sub_id), DBV_TEXT(kind), DBV_TEXT(key), DBV_INT(mailed ? 1 : 0),
                          DBV_INT(at)};
    int rc = db_run(db, &st_notice, p, 5, NULL, NULL, e);
    if (inserted != NULL)
        *inserted = rc == 0 && db_changes(db) == 1;
    return rc;
}

static int on_count(void *ctx, const struct db_val *c, int ncols)
{
    if (ncols < 1)
        return -SM_E_DB;
    *(int64_t *)ctx = db_col_int(&c[0]);
    return 0;
}

int subscription_notices_count(struct db *db, int64_t sub_id, const char *kind, int64_t *count,
                               struct sm_err *e)
{
    *count = 0;
    struct db_val p[2] = {DBV_INT(sub_id), DBV_TEXT(kind ? kind : "")};
    return db_run(db, &st_notice_count, p, 2, on_count, count, e);
}
