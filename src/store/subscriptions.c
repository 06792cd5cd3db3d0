/* SPDX-License-Identifier: MIT */
/* The subscriptions tables. See subscriptions.h. */
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
static const struct db_stmt st_successor = {
    "subscriptions.successor",
    "SELECT " SCOLS " FROM subscriptions s WHERE s.predecessor_id = $1 ORDER BY s.id LIMIT 1", NULL,
    NULL};
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

static int sub_fill(void *row, const struct db_val *c)
{
    struct subscription_row *s = row;
    s->id = db_col_int(&c[0]);
    s->org_id = db_col_int(&c[1]);
    s->product_id = db_col_int(&c[2]);
    s->first_order_id = db_col_int(&c[3]);
    s->predecessor_id = db_col_int(&c[4]);
    s->starts_at = db_col_int(&c[5]);
    s->ends_at = db_col_int(&c[6]);
    s->carried_days = db_col_int(&c[7]);
    db_col_copy(s->state, sizeof s->state, &c[8]);
    s->renewal_order_id = db_col_int(&c[9]);
    s->created_at = db_col_int(&c[10]);
    s->updated_at = db_col_int(&c[11]);
    return 0;
}

static const struct db_rowtype sub_rowtype = {sizeof(struct subscription_row), 12, sub_fill, NULL,
                                              "subscription"};

/* A subscription with the link row of one order (st_by_order). */
struct linked_row {
    struct subscription_row s;
    struct subscription_cert_row link;
};

static int linked_fill(void *row, const struct db_val *c)
{
    struct linked_row *r = row;
    sub_fill(&r->s, c);
    r->link.id = db_col_int(&c[12]);
    r->link.subscription_id = r->s.id;
    r->link.order_id = db_col_int(&c[13]);
    r->link.cert_id = db_col_int(&c[14]);
    db_col_copy(r->link.reason, sizeof r->link.reason, &c[15]);
    r->link.created_at = db_col_int(&c[16]);
    return 0;
}

static const struct db_rowtype linked_rowtype = {sizeof(struct linked_row), 17, linked_fill, NULL,
                                                 "subscription"};

static int get_one(struct db *db, const struct db_stmt *st, int64_t key,
                   struct subscription_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(key)};
    return db_get_one(db, st, p, 1, &sub_rowtype, out, e);
}

int subscriptions_insert(struct db *db, const struct subscription_row *s, int64_t now, int64_t *id,
                         struct sm_err *e)
{
    struct db_val p[8] = {DBV_INT(s->org_id),         DBV_INT(s->product_id),
                          DBV_INT(s->first_order_id), dbv_int_or_null(s->predecessor_id),
                          DBV_INT(s->starts_at),      DBV_INT(s->ends_at),
                          DBV_INT(s->carried_days),   DBV_INT(now)};
    if (id != NULL)
        *id = 0;
    return db_returning_id(db, &st_insert, p, 8, id, e);
}

int subscriptions_get(struct db *db, int64_t id, struct subscription_row *out, struct sm_err *e)
{
    return get_one(db, &st_get, id, out, e);
}

int subscriptions_get_by_cert(struct db *db, int64_t cert_id, struct subscription_row *out,
                              struct sm_err *e)
{
    return get_one(db, &st_by_cert, cert_id, out, e);
}

int subscriptions_get_by_order(struct db *db, int64_t order_id, struct subscription_row *out,
                               struct subscription_cert_row *link, struct sm_err *e)
{
    struct linked_row r;
    struct db_val p[1] = {DBV_INT(order_id)};
    int rc = db_get_one(db, &st_by_order, p, 1, &linked_rowtype, &r, e);
    if (rc < 0)
        return rc;
    *out = r.s;
    if (link != NULL)
        *link = r.link;
    return 0;
}

int subscriptions_get_successor(struct db *db, int64_t id, struct subscription_row *out,
                                struct sm_err *e)
{
    return get_one(db, &st_successor, id, out, e);
}

int subscriptions_get_by_renewal(struct db *db, int64_t order_id, struct subscription_row *out,
                                 struct sm_err *e)
{
    return get_one(db, &st_by_renewal, order_id, out, e);
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
    struct db_val p[3] = {DBV_INT(id), dbv_int_or_null(order_id), DBV_INT(now)};
    int rc = db_run(db, &st_set_renewal, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "subscription", "no such subscription");
    return rc;
}

/* ---- lists ---- */

/* A subscription with the certificate id st_cert_ending adds. */
struct ending_row {
    struct subscription_row s;
    int64_t cert_id;
};

static int ending_fill(void *row, const struct db_val *c)
{
    struct ending_row *r = row;
    sub_fill(&r->s, c);
    r->cert_id = db_col_int(&c[12]);
    return 0;
}

static const struct db_rowtype ending_rowtype = {sizeof(struct ending_row), 13, ending_fill, NULL,
                                                 "subscriptions"};

static int clamp_limit(int limit) { return limit < 1 || limit > 1000 ? 1000 : limit; }

int subscriptions_list_active_ending(struct db *db, int64_t until, int limit,
                                     struct subscription_row **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(until), DBV_INT(clamp_limit(limit))};
    return db_collect(db, &st_active_ending, p, 2, &sub_rowtype, rows, n, e);
}

int subscriptions_list_cert_ending(struct db *db, int64_t until, int limit,
                                   struct subscription_row **rows, int64_t **cert_ids, size_t *n,
                                   struct sm_err *e)
{
    struct ending_row *v = NULL;
    size_t k = 0;
    struct db_val p[2] = {DBV_INT(until), DBV_INT(clamp_limit(limit))};
    *rows = NULL;
    *cert_ids = NULL;
    *n = 0;
    int rc = db_collect(db, &st_cert_ending, p, 2, &ending_rowtype, &v, &k, e);
    if (rc < 0 || k == 0)
        return rc;
    struct subscription_row *s = sm_malloc(k * sizeof *s);
    int64_t *ids = s != NULL ? sm_malloc(k * sizeof *ids) : NULL;
    if (ids == NULL) {
        free(s);
        free(v);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading subscriptions");
    }
    for (size_t i = 0; i < k; i++) {
        s[i] = v[i].s;
        ids[i] = v[i].cert_id;
    }
    free(v);
    *rows = s;
    *cert_ids = ids;
    *n = k;
    return 0;
}

/* ---- links ---- */

int subscription_certs_insert(struct db *db, int64_t sub_id, int64_t order_id, int64_t cert_id,
                              const char *reason, int64_t now, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(sub_id), DBV_INT(order_id), dbv_int_or_null(cert_id),
                          DBV_TEXT(reason), DBV_INT(now)};
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

static int link_fill(void *row, const struct db_val *c)
{
    struct subscription_cert_row *r = row;
    r->id = db_col_int(&c[0]);
    r->subscription_id = db_col_int(&c[1]);
    r->order_id = db_col_int(&c[2]);
    r->cert_id = db_col_int(&c[3]);
    db_col_copy(r->reason, sizeof r->reason, &c[4]);
    r->created_at = db_col_int(&c[5]);
    db_col_copy(r->serial, sizeof r->serial, &c[6]);
    db_col_copy(r->cert_state, sizeof r->cert_state, &c[7]);
    r->not_before = db_col_int(&c[8]);
    r->not_after = db_col_int(&c[9]);
    return 0;
}

static const struct db_rowtype link_rowtype = {sizeof(struct subscription_cert_row), 10, link_fill,
                                               NULL, "subscription certificates"};

int subscription_certs_list(struct db *db, int64_t sub_id, struct subscription_cert_row **rows,
                            size_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(sub_id)};
    return db_collect(db, &st_links, p, 1, &link_rowtype, rows, n, e);
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

int subscription_notices_count(struct db *db, int64_t sub_id, const char *kind, int64_t *count,
                               struct sm_err *e)
{
    *count = 0;
    struct db_val p[2] = {DBV_INT(sub_id), DBV_TEXT(kind ? kind : "")};
    return db_get_one(db, &st_notice_count, p, 2, &db_row_int, count, e);
}
