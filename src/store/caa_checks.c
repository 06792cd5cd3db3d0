/* SPDX-License-Identifier: MIT */
/* The caa_checks table. See caa_checks.h. */
#include <stdlib.h>
#include <string.h>

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

static struct db_val opt_int(int64_t v) { return v > 0 ? DBV_INT(v) : DBV_NULL; }

int caa_check_insert(struct db *db, const struct caa_check_row *r, struct sm_err *e)
{
    if (r->name == NULL || r->evidence == NULL)
        return sm_err_set(e, SM_E_INVALID, "caa", "a CAA check needs a name and evidence");
    struct db_val p[9] = {
        opt_int(r->order_id),        opt_int(r->cert_id),         DBV_TEXT(r->name),
        DBV_INT(r->ok ? 1 : 0),      dbv_text_or_null(r->reason), dbv_text_or_null(r->relevant),
        dbv_text_or_null(r->dnssec), DBV_TEXT(r->evidence),       DBV_INT(r->checked_at)};
    return db_run(db, &st_insert, p, 9, NULL, NULL, e);
}

static void clear(void *row)
{
    struct caa_check_row *r = row;
    free(r->name);
    free(r->reason);
    free(r->relevant);
    free(r->dnssec);
    free(r->evidence);
    memset(r, 0, sizeof *r);
}

void caa_check_rows_free(struct caa_check_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        clear(&rows[i]);
    free(rows);
}

static int fill(void *row, const struct db_val *c)
{
    struct caa_check_row *r = row;
    int bad = 0;
    r->id = db_col_int(&c[0]);
    r->order_id = db_col_int(&c[1]);
    r->cert_id = db_col_int(&c[2]);
    bad |= db_col_dup(&r->name, &c[3]);
    r->ok = db_col_int(&c[4]) != 0;
    bad |= db_col_dup(&r->reason, &c[5]);
    bad |= db_col_dup(&r->relevant, &c[6]);
    bad |= db_col_dup(&r->dnssec, &c[7]);
    bad |= db_col_dup(&r->evidence, &c[8]);
    r->checked_at = db_col_int(&c[9]);
    if (bad)
        clear(r);
    return bad ? -1 : 0;
}

static const struct db_rowtype caa_rowtype = {sizeof(struct caa_check_row), 10, fill, clear,
                                              "caa_check"};

int caa_checks_list(struct db *db, int64_t order_id, int64_t cert_id, struct caa_check_row **rows,
                    size_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(cert_id > 0 ? cert_id : order_id)};
    return db_collect(db, cert_id > 0 ? &st_by_cert : &st_by_order, p, 1, &caa_rowtype, rows, n, e);
}
