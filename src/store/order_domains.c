/* SPDX-License-Identifier: MIT */
/* The order_domains table (migrations 0006_orders.sql, 0008_dcv_evidence.sql): the names of
 * an order with their domain-validation method, random value, outcome and the origin of
 * the evidence (ADN, BR section, reused row) (R-VAL-1, R-VAL-2). See order_domains.h;
 * the validation itself lives in the net and ra layers. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/order_domains.h"

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

static void clear(void *row)
{
    struct order_domain_row *d = row;
    free(d->name);
    free(d->dcv_method);
    free(d->random_value);
    free(d->br_version);
    free(d->evidence);
    free(d->adn);
    free(d->br_section);
    memset(d, 0, sizeof *d);
}

void order_domain_rows_free(struct order_domain_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        clear(&v[i]);
    free(v);
}

static int fill(void *row, const struct db_val *c)
{
    struct order_domain_row *d = row;
    int bad = 0;
    d->id = db_col_int(&c[0]);
    d->order_id = db_col_int(&c[1]);
    bad |= db_col_dup(&d->name, &c[2]);
    bad |= db_col_dup(&d->dcv_method, &c[3]);
    bad |= db_col_dup(&d->random_value, &c[4]);
    d->value_expires_at = db_col_int(&c[5]);
    db_col_copy(d->state, sizeof d->state, &c[6]);
    d->validated_at = db_col_int(&c[7]);
    bad |= db_col_dup(&d->br_version, &c[8]);
    bad |= db_col_dup(&d->evidence, &c[9]);
    bad |= db_col_dup(&d->adn, &c[10]);
    bad |= db_col_dup(&d->br_section, &c[11]);
    d->reused_from = db_col_int(&c[12]);
    if (bad)
        clear(d);
    return bad ? -1 : 0;
}

static const struct db_rowtype domain_rowtype = {sizeof(struct order_domain_row), 13, fill, clear,
                                                 "domain"};

int order_domains_list(struct db *db, int64_t order_id, struct order_domain_row **rows, size_t *n,
                       struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(order_id)};
    return db_collect(db, &st_list, p, 1, &domain_rowtype, rows, n, e);
}

int order_domains_org_validated(struct db *db, int64_t org_id, int64_t since,
                                struct order_domain_row **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(org_id), DBV_INT(since)};
    return db_collect(db, &st_org_validated, p, 2, &domain_rowtype, rows, n, e);
}

int order_domains_by_value(struct db *db, const char *value, struct order_domain_row **row,
                           struct sm_err *e)
{
    *row = NULL;
    if (value == NULL || value[0] == '\0')
        return sm_err_set(e, SM_E_NOTFOUND, "token", "no value");
    struct order_domain_row *d = sm_calloc(1, sizeof *d);
    if (d == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    struct db_val p[1] = {DBV_TEXT(value)};
    int rc = db_get_one(db, &st_by_value, p, 1, &domain_rowtype, d, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "token", "no domain with this value");
    if (rc < 0)
        free(d);
    else
        *row = d;
    return rc;
}

int order_domains_pending(struct db *db, int limit, struct order_domain_row **rows, size_t *n,
                          struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(limit > 0 ? limit : 100)};
    return db_collect(db, &st_pending, p, 1, &domain_rowtype, rows, n, e);
}

static int listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

int order_domains_replace(struct db *db, int64_t order_id, const char *const *names,
                          const char *const *methods, size_t n, struct sm_err *e)
{
    struct order_domain_row *cur = NULL;
    size_t ncur = 0;
    int rc = order_domains_list(db, order_id, &cur, &ncur, e);
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
    order_domain_rows_free(cur, ncur);
    return rc;
}

static int changed_one(struct db *db, int rc, const char *name, struct sm_err *e)
{
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "domain", "no domain %s on the order", name);
    return rc;
}

int order_domains_set_method(struct db *db, int64_t order_id, const char *name, const char *method,
                             const char *random_value, int64_t expires_at, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(order_id), DBV_TEXT(name), DBV_TEXT(method),
                          dbv_text_or_null(random_value), dbv_int_or_null(expires_at)};
    return changed_one(db, db_run(db, &st_method, p, 5, NULL, NULL, e), name, e);
}

int order_domains_set_result(struct db *db, int64_t order_id, const char *name, const char *state,
                             int64_t at, const char *br_version, const char *evidence,
                             struct sm_err *e)
{
    if (strcmp(state, "validated") != 0 && strcmp(state, "failed") != 0 &&
        strcmp(state, "pending") != 0)
        return sm_err_set(e, SM_E_INVALID, "state", "bad domain state %s", state);
    struct db_val p[6] = {DBV_INT(order_id),
                          DBV_TEXT(name),
                          DBV_TEXT(state),
                          dbv_int_or_null(at),
                          dbv_text_or_null(br_version),
                          dbv_text_or_null(evidence)};
    return changed_one(db, db_run(db, &st_result, p, 6, NULL, NULL, e), name, e);
}

int order_domains_set_origin(struct db *db, int64_t order_id, const char *name, const char *adn,
                             const char *br_section, int64_t reused_from, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(order_id), DBV_TEXT(name), dbv_text_or_null(adn),
                          dbv_text_or_null(br_section),
                          reused_from > 0 ? DBV_INT(reused_from) : DBV_NULL};
    return changed_one(db, db_run(db, &st_origin, p, 5, NULL, NULL, e), name, e);
}
