/* SPDX-License-Identifier: MIT */
/* The caa_checks table. See caa_checks.h. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/caa_checks.h"
#include "store/db.h"

#define KCOLS "id, order_id, cert_id, name, ok, reason, relevant, dnssec, evidence, checked_at"

static const struct db_stmt st_insert = {
    "caa_checks.insert",
    "INSERT INTO caa_checks (order_id, cert_id, name, ok, reason, relevant, dnssec, evidence, "
    "checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    NULL, NULL};
static const struct db_stmt st_by_cert = {
    "caa_checks.by_cert", "SELECT " KCOLS " FROM caa_checks WHERE cert_id = $1 ORDER BY id", NULL,
    NULL};
static const struct db_stmt st_by_order = {
    "caa_checks.by_order", "SELECT " KCOLS " FROM caa_checks WHERE order_id = $1 ORDER BY id", NULL,
    NULL};

static struct db_val opt_text(const char *s) { return s ? DBV_TEXT(s) : DBV_NULL; }
static struct db_val opt_int(int64_t v) { return v > 0 ? DBV_INT(v) : DBV_NULL; }

int caa_check_insert(struct db *db, const struct caa_check_row *r, struct sm_err *e)
{
    if (r->name == NULL || r->evidence == NULL)
        return sm_err_set(e, SM_E_INVALID, "caa", "a CAA check needs a name and evidence");
    struct db_val p[9] = {opt_int(r->order_id),   opt_int(r->cert_id),   DBV_TEXT(r->name),
                          DBV_INT(r->ok ? 1 : 0), opt_text(r->reason),   opt_text(r->relevant),
                          opt_text(r->dnssec),    DBV_TEXT(r->evidence), DBV_INT(r->checked_at)};
    return db_run(db, &st_insert, p, 9, NULL, NULL, e);
}

struct rows {
    struct caa_check_row *v;
    size_t n, cap;
    int nomem;
};

static void clear(struct caa_check_row *r)
{
    free(r->name);
    free(r->reason);
    free(r->relevant);
    free(r->dnssec);
    free(r->evidence);
    memset(r, 0, sizeof *r);
}

void caa_checks_free(struct caa_check_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        clear(&rows[i]);
    free(rows);
}

static int on_row(void *ctx, const struct db_val *c, int ncols)
{
    struct rows *rs = ctx;
    if (ncols < 10)
        return -SM_E_DB;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct caa_check_row *v = sm_realloc(rs->v, cap * sizeof *v);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    struct caa_check_row *r = &rs->v[rs->n];
    memset(r, 0, sizeof *r);
    r->id = db_col_int(&c[0]);
    r->order_id = db_col_int(&c[1]);
    r->cert_id = db_col_int(&c[2]);
    r->name = db_col_strdup(&c[3]);
    r->ok = db_col_int(&c[4]) != 0;
    r->reason = db_col_strdup(&c[5]);
    r->relevant = db_col_strdup(&c[6]);
    r->dnssec = db_col_strdup(&c[7]);
    r->evidence = db_col_strdup(&c[8]);
    r->checked_at = db_col_int(&c[9]);
    if (r->name == NULL || r->evidence == NULL || (c[5].t != DB_NULL && !r->reason) ||
        (c[6].t != DB_NULL && !r->relevant) || (c[7].t != DB_NULL && !r->dnssec)) {
        clear(r);
        rs->nomem = 1;
        return 1;
    }
    rs->n++;
    return 0;
}

int caa_checks_list(struct db *db, int64_t order_id, int64_t cert_id, struct caa_check_row **rows,
                    size_t *n, struct sm_err *e)
{
    struct rows rs = {0};
    struct db_val p[1] = {DBV_INT(cert_id > 0 ? cert_id : order_id)};
    int rc = db_run(db, cert_id > 0 ? &st_by_cert : &st_by_order, p, 1, on_row, &rs, e);
    if (rc > 0 || rs.nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading CAA checks");
    if (rc < 0 || rs.n == 0) {
        caa_checks_free(rs.v, rs.n);
        rs.v = NULL;
        rs.n = 0;
    }
    *rows = rs.v;
    *n = rs.n;
    return rc;
}
