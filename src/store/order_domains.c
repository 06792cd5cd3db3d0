/* SPDX-License-Identifier: MIT */
/* The order_domains table (migrations 0006_orders.sql, 0008_dcv_evidence.sql): the names of
 * an order with their domain-validation method, random value, outcome and the origin of
 * the evidence (ADN, BR section, reused row) (R-VAL-1, R-VAL-2). Declared in orders.h;
 * the validation itself lives in the net and ra layers. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/orders.h"

#define DCOLS                                                                                      \
    "id, order_id, name, dcv_method, random_value, value_expires_at, state, validated_at, "        \
    "br_version, evidence, adn, br_section, reused_from"

static const struct db_stmt st_list = {
    "order_domains.list", "SELECT " DCOLS " FROM order_domains WHERE order_id = $1 ORDER BY id",
    NULL, NULL};
static const struct db_stmt st_insert = {
    "order_domains.insert",
    "INSERT INTO order_domains (order_id, name, dcv_method, state) VALUES ($1, $2, $3, "
    "'pending')",
    NULL, NULL};
static const struct db_stmt st_delete = {
    "order_domains.delete", "DELETE FROM order_domains WHERE order_id = $1 AND name = $2", NULL,
    NULL};
static const struct db_stmt st_method = {
    "order_domains.method",
    "UPDATE order_domains SET dcv_method = $3, random_value = $4, value_expires_at = $5, "
    "state = 'pending', validated_at = NULL, adn = NULL, br_section = NULL, reused_from = NULL "
    "WHERE order_id = $1 AND name = $2",
    NULL, NULL};
static const struct db_stmt st_result = {
    "order_domains.result",
    "UPDATE order_domains SET state = $3, validated_at = $4, br_version = $5, evidence = $6 "
    "WHERE order_id = $1 AND name = $2",
    NULL, NULL};
static const struct db_stmt st_origin = {
    "order_domains.origin",
    "UPDATE order_domains SET adn = $3, br_section = $4, reused_from = $5 "
    "WHERE order_id = $1 AND name = $2",
    NULL, NULL};

/* Validated domains of one organization (R-VAL-2 reuse), newest first. The columns are
 * qualified because of the join. */
static const struct db_stmt st_org_validated = {
    "order_domains.org_validated",
    "SELECT d.id, d.order_id, d.name, d.dcv_method, d.random_value, d.value_expires_at, "
    "d.state, d.validated_at, d.br_version, d.evidence, d.adn, d.br_section, d.reused_from "
    "FROM order_domains d JOIN orders o ON o.id = d.order_id WHERE o.org_id = $1 AND d.state = "
    "'validated' "
    "AND d.validated_at >= $2 ORDER BY d.validated_at DESC",
    NULL, NULL};
static const struct db_stmt st_by_value = {
    "order_domains.by_value", "SELECT " DCOLS " FROM order_domains WHERE random_value = $1", NULL,
    NULL};
/* Pending domains of orders that are being vetted or wait for issuance (the job). */
static const struct db_stmt st_pending = {
    "order_domains.pending",
    "SELECT d.id, d.order_id, d.name, d.dcv_method, d.random_value, d.value_expires_at, "
    "d.state, d.validated_at, d.br_version, d.evidence, d.adn, d.br_section, d.reused_from "
    "FROM order_domains d JOIN orders o ON o.id = d.order_id WHERE d.state = 'pending' "
    "AND o.state IN ('vetting', 'on_hold', 'approved') ORDER BY d.id LIMIT $1",
    NULL, NULL};

static void clear(struct order_domain *d)
{
    free(d->name);
    free(d->dcv_method);
    free(d->random_value);
    free(d->br_version);
    free(d->evidence);
    free(d->adn);
    free(d->br_section);
    memset(d, 0, sizeof *d);
}

void orders_domains_free(struct order_domain *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        clear(&v[i]);
    free(v);
}

struct rows {
    struct order_domain *v;
    size_t n, cap;
    int nomem;
};

static int on_row(void *ctx, const struct db_val *c, int ncols)
{
    struct rows *rs = ctx;
    if (ncols < 13)
        return -SM_E_DB;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct order_domain *v = sm_realloc(rs->v, cap * sizeof *v);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    struct order_domain *d = &rs->v[rs->n];
    memset(d, 0, sizeof *d);
    d->id = db_col_int(&c[0]);
    d->order_id = db_col_int(&c[1]);
    d->name = db_col_strdup(&c[2]);
    d->dcv_method = db_col_strdup(&c[3]);
    d->random_value = db_col_strdup(&c[4]);
    d->value_expires_at = db_col_int(&c[5]);
    size_t sl = c[6].t == DB_TEXT && c[6].n < sizeof d->state ? c[6].n : 0;
    if (sl > 0)
        memcpy(d->state, c[6].p, sl);
    d->state[sl] = '\0';
    d->validated_at = db_col_int(&c[7]);
    d->br_version = db_col_strdup(&c[8]);
    d->evidence = db_col_strdup(&c[9]);
    d->adn = db_col_strdup(&c[10]);
    d->br_section = db_col_strdup(&c[11]);
    d->reused_from = db_col_int(&c[12]);
    if (d->name == NULL || d->dcv_method == NULL || (c[4].t != DB_NULL && !d->random_value) ||
        (c[8].t != DB_NULL && !d->br_version) || (c[9].t != DB_NULL && !d->evidence) ||
        (c[10].t != DB_NULL && !d->adn) || (c[11].t != DB_NULL && !d->br_section)) {
        clear(d);
        rs->nomem = 1;
        return 1;
    }
    rs->n++;
    return 0;
}

int orders_domains_list(struct db *db, int64_t order_id, struct order_domain **rows, size_t *n,
                        struct sm_err *e)
{
    struct rows rs = {0};
    struct db_val p[1] = {DBV_INT(order_id)};
    int rc = db_run(db, &st_list, p, 1, on_row, &rs, e);
    if (rc > 0 || rs.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading domains");
    if (rc < 0 || rs.n == 0) {
        orders_domains_free(rs.v, rs.n);
        rs.v = NULL;
        rs.n = 0;
    }
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

static int list_rows(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                     struct order_domain **rows, size_t *n, struct sm_err *e)
{
    struct rows rs = {0};
    int rc = db_run(db, st, p, np, on_row, &rs, e);
    if (rc > 0 || rs.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading domains");
    if (rc < 0 || rs.n == 0) {
        orders_domains_free(rs.v, rs.n);
        rs.v = NULL;
        rs.n = 0;
    }
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

int orders_domains_org_validated(struct db *db, int64_t org_id, int64_t since,
                                 struct order_domain **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(org_id), DBV_INT(since)};
    return list_rows(db, &st_org_validated, p, 2, rows, n, e);
}

int orders_domain_by_value(struct db *db, const char *value, struct order_domain **row,
                           struct sm_err *e)
{
    size_t n = 0;
    *row = NULL;
    if (value == NULL || value[0] == '\0')
        return sm_err_set(e, SM_E_NOTFOUND, "token", "no value");
    struct db_val p[1] = {DBV_TEXT(value)};
    int rc = list_rows(db, &st_by_value, p, 1, row, &n, e);
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_NOTFOUND, "token", "no domain with this value");
    return rc;
}

int orders_domains_pending(struct db *db, int limit, struct order_domain **rows, size_t *n,
                           struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(limit > 0 ? limit : 100)};
    return list_rows(db, &st_pending, p, 1, rows, n, e);
}

static int listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

int orders_domains_replace(struct db *db, int64_t order_id, const char *const *names,
                           const char *const *methods, size_t n, struct sm_err *e)
{
    struct order_domain *cur = NULL;
    size_t ncur = 0;
    int rc = orders_domains_list(db, order_id, &cur, &ncur, e);
    for (size_t i = 0; i < ncur && rc == 0; i++) {
        if (listed(cur[i].name, names, n))
            continue;
        struct db_val p[2] = {DBV_INT(order_id), DBV_TEXT(cur[i].name)};
        rc = db_run(db, &st_delete, p, 2, NULL, NULL, e);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        int have = 0;
        for (size_t k = 0; k < ncur && !have; k++)
            have = strcmp(cur[k].name, names[i]) == 0;
        if (have)
            continue;
        const char *m = methods != NULL && methods[i] != NULL ? methods[i] : "dns";
        struct db_val p[3] = {DBV_INT(order_id), DBV_TEXT(names[i]), DBV_TEXT(m)};
        rc = db_run(db, &st_insert, p, 3, NULL, NULL, e);
    }
    orders_domains_free(cur, ncur);
    return rc;
}

static int changed_one(struct db *db, int rc, const char *name, struct sm_err *e)
{
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "domain", "no domain %s on the order", name);
    return rc;
}

int orders_domain_set_method(struct db *db, int64_t order_id, const char *name, const char *method,
                             const char *random_value, int64_t expires_at, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(order_id), DBV_TEXT(name), DBV_TEXT(method),
                          random_value ? DBV_TEXT(random_value) : DBV_NULL,
                          expires_at ? DBV_INT(expires_at) : DBV_NULL};
    return changed_one(db, db_run(db, &st_method, p, 5, NULL, NULL, e), name, e);
}

int orders_domain_set_result(struct db *db, int64_t order_id, const char *name, const char *state,
                             int64_t at, const char *br_version, const char *evidence,
                             struct sm_err *e)
{
    if (strcmp(state, "validated") != 0 && strcmp(state, "failed") != 0 &&
        strcmp(state, "pending") != 0)
        return sm_err_set(e, SM_E_INVALID, "state", "bad domain state %s", state);
    struct db_val p[6] = {DBV_INT(order_id),
                          DBV_TEXT(name),
                          DBV_TEXT(state),
                          at ? DBV_INT(at) : DBV_NULL,
                          br_version ? DBV_TEXT(br_version) : DBV_NULL,
                          evidence ? DBV_TEXT(evidence) : DBV_NULL};
    return changed_one(db, db_run(db, &st_result, p, 6, NULL, NULL, e), name, e);
}

int orders_domain_set_origin(struct db *db, int64_t order_id, const char *name, const char *adn,
                             const char *br_section, int64_t reused_from, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(order_id), DBV_TEXT(name), adn ? DBV_TEXT(adn) : DBV_NULL,
                          br_section ? DBV_TEXT(br_section) : DBV_NULL,
                          reused_from > 0 ? DBV_INT(reused_from) : DBV_NULL};
    return changed_one(db, db_run(db, &st_origin, p, 5, NULL, NULL, e), name, e);
}
