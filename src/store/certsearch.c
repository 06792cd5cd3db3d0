/* SPDX-License-Identifier: MIT */
/* Certificate list with filters, keyset paging, and the CSV export read (see certsearch.h).
 * The WHERE is built once per call from the filter, every value bound; the sort column is
 * one of three fixed names. The keyset condition compares the row value (sort value, id)
 * with the cursor certificate's, looked up inside the scope, so that the indexes of
 * migration 0050 ((not_after, id), (not_before, id), (cn, id)) serve order and range. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/certlist.h"
#include "store/certsearch.h"
#include "store/db.h"
#include "store/groups.h"
#include "store/jsonpick.h"

#define FROM                                                                                       \
    " FROM certificates c LEFT JOIN orders o ON o.id = c.order_id "                                \
    "LEFT JOIN products p ON p.id = o.product_id "
#define BASE_COLS                                                                                  \
    "c.id, c.order_id, c.org_id, c.serial, c.state, c.level, c.root, c.cn, c.not_before, "         \
    "c.not_after, c.revoked_at, o.receipt_no, o.kind, p.code, p.name_ja, p.name_en"
/* The order's JSON documents come out as text and are read in C (store/jsonpick): one pass
 * over each instead of a json_extract (a parse) per value. */
#define LIST_JSON  ", o.applicant, o.contact"
#define NLIST_COLS 18

/* The export's columns after the list's: fixed order, read by export_row(). */
#define EXPORT_COLS                                                                                \
    ", c.names, c.sha256, o.created_at, o.submitted_at, o.paid_at, o.amount, o.notify_email1, "    \
    "o.server_software, o.po_number, o.invoice_no, o.pay_method, o.billing"
#define NEXPORT_COLS (NLIST_COLS + 12)

static const char *const sort_name[] = {"not_after", "not_before", "cn"};

/* ---- list rows ---- */

static void row_clear(struct certlist_row *r)
{
    free(r->cn);
    free(r->org_name_ja);
    free(r->org_name_en);
    free(r->dept);
    memset(r, 0, sizeof *r);
}

static int list_fill(void *row, const struct db_val *v)
{
    struct certlist_row *r = row;
    r->id = db_col_int(&v[0]);
    r->order_id = db_col_int(&v[1]);
    r->org_id = db_col_int(&v[2]);
    db_col_copy(r->serial, sizeof r->serial, &v[3]);
    db_col_copy(r->state, sizeof r->state, &v[4]);
    db_col_copy(r->level, sizeof r->level, &v[5]);
    db_col_copy(r->root, sizeof r->root, &v[6]);
    r->cn = db_col_strdup(&v[7]);
    r->not_before = db_col_int(&v[8]);
    r->not_after = db_col_int(&v[9]);
    r->revoked_at = db_col_int(&v[10]);
    db_col_copy(r->receipt_no, sizeof r->receipt_no, &v[11]);
    db_col_copy(r->kind, sizeof r->kind, &v[12]);
    db_col_copy(r->product_code, sizeof r->product_code, &v[13]);
    db_col_copy(r->product_ja, sizeof r->product_ja, &v[14]);
    db_col_copy(r->product_en, sizeof r->product_en, &v[15]);
    char ja[256], en[256], dept[256], corg[256], cdept[256];
    struct jsonpick a[] = {{"org", "name_ja", ja, sizeof ja},
                           {"org", "name_en", en, sizeof en},
                           {"responsible", "dept", dept, sizeof dept}};
    struct jsonpick k[] = {{"org", NULL, corg, sizeof corg}, {"dept", NULL, cdept, sizeof cdept}};
    (void)jsonpick(v[16].t == DB_TEXT ? v[16].p : NULL, v[16].n, a, 3);
    (void)jsonpick(v[17].t == DB_TEXT ? v[17].p : NULL, v[17].n, k, 2);
    const char *a_ja = ja[0] ? ja : NULL, *a_en = en[0] ? en : NULL;
    const char *d = dept[0] ? dept : NULL;
    if (a_ja == NULL && a_en == NULL)
        a_ja = corg[0] ? corg : NULL;
    if (d == NULL)
        d = cdept[0] ? cdept : NULL;
    if ((v[7].t != DB_NULL && r->cn == NULL) || (a_ja && (r->org_name_ja = strdup(a_ja)) == NULL) ||
        (a_en && (r->org_name_en = strdup(a_en)) == NULL) || (d && (r->dept = strdup(d)) == NULL)) {
        row_clear(r);
        return -1;
    }
    return 0;
}

static void list_clear(void *row) { row_clear(row); }

static const struct db_rowtype list_rowtype = {sizeof(struct certlist_row), NLIST_COLS, list_fill,
                                               list_clear, "certificates"};

/* ---- the WHERE ---- */

struct where {
    struct buf sql;
    struct db_val *p;
    int np;
    struct buf pcn, pserial; /* LIKE patterns of q (owned: p points into them) */
};

static void where_free(struct where *w)
{
    buf_free(&w->sql);
    buf_free(&w->pcn);
    buf_free(&w->pserial);
    free(w->p);
}

/* Appends head, $N and tail to w's WHERE, N the number of the parameter v it adds. */
static int put_param(struct where *w, struct db_val v, const char *head, const char *tail)
{
    w->p[w->np++] = v;
    return buf_printf(&w->sql, "%s$%d%s", head, w->np, tail);
}

/* Checks f and builds its WHERE (without the keyset) into w. 0 or negative (e set). */
static int where_build(const struct certsearch_filter *f, struct where *w, struct sm_err *e)
{
    memset(w, 0, sizeof *w);
    const char *q = f->q != NULL ? f->q : "";
    if (strlen(q) > CERTLIST_Q_MAX)
        return sm_err_set(e, SM_E_INVALID, "q", "search text over %d bytes", CERTLIST_Q_MAX);
    if (f->limit < 0 || f->limit > 1001 || f->offset < 0)
        return sm_err_set(e, SM_E_INVALID, "limit", "limit 1..1001, offset >= 0");
    if (f->nids > CERTSEARCH_IDS_MAX)
        return sm_err_set(e, SM_E_INVALID, "ids", "more than %d certificates selected",
                          CERTSEARCH_IDS_MAX);
    if (!f->scope.all && f->scope.n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    size_t ns = f->scope.all ? 0 : f->scope.n;
    w->p = sm_calloc(2 * ns + f->nids + 16, sizeof *w->p);
    if (w->p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = buf_puts(&w->sql, "c.state IN ('issued', 'revocation_scheduled', 'revoked')");
    if (rc == 0)
        rc = org_scope_sql(&w->sql, "c.org_id", &f->scope, w->p, &w->np, NULL);
    if (rc == 0 && f->state == CS_STATE_VALID)
        rc = put_param(w, DBV_INT(f->now), " AND c.state <> 'revoked' AND c.not_after >= ", "");
    else if (rc == 0 && f->state == CS_STATE_EXPIRED)
        rc = put_param(w, DBV_INT(f->now), " AND c.state <> 'revoked' AND c.not_after < ", "");
    else if (rc == 0 && f->state == CS_STATE_REVOKED)
        rc = buf_puts(&w->sql, " AND c.state = 'revoked'");
    if (rc == 0 && f->product != NULL && f->product[0])
        rc = put_param(w, DBV_TEXT(f->product), " AND p.code = ", "");
    if (rc == 0 && f->level != NULL && f->level[0])
        rc = put_param(w, DBV_TEXT(f->level), " AND c.level = ", "");
    if (rc == 0 && f->org_id > 0)
        rc = put_param(w, DBV_INT(f->org_id), " AND c.org_id = ", "");
    if (rc == 0 && f->group_id > 0)
        rc = put_param(
            w, DBV_INT(f->group_id),
            " AND c.id IN (SELECT cg.cert_id FROM cert_groups cg WHERE cg.group_id = ", ")");
    if (rc == 0 && f->viewer_id > 0) {
        w->p[w->np++] = DBV_INT(f->viewer_id);
        rc = groups_visible_sql(&w->sql, w->np);
    }
    if (rc == 0 && f->expiry_from > 0)
        rc = put_param(w, DBV_INT(f->expiry_from), " AND c.not_after >= ", "");
    if (rc == 0 && f->expiry_to > 0)
        rc = put_param(w, DBV_INT(f->expiry_to), " AND c.not_after < ", "");
    if (rc == 0 && f->nids > 0) {
        rc = buf_puts(&w->sql, " AND c.id IN (");
        for (size_t i = 0; rc == 0 && i < f->nids; i++)
            rc = put_param(w, DBV_INT(f->ids[i]), i ? ", " : "", "");
        if (rc == 0)
            rc = buf_putc(&w->sql, ')');
    }
    if (rc == 0 && q[0]) {
        rc = certlist_patterns(q, &w->pcn, &w->pserial);
        if (rc == 0) {
            w->p[w->np] = DBV_TEXT(w->pcn.p);
            w->p[w->np + 1] = DBV_TEXT(w->pserial.p);
            w->p[w->np + 2] = DBV_TEXT(q);
            rc = buf_printf(&w->sql,
                            " AND (LOWER(c.cn) LIKE $%d ESCAPE '\\' OR c.serial LIKE $%d "
                            "ESCAPE '\\' OR o.receipt_no = $%d)",
                            w->np + 1, w->np + 2, w->np + 3);
            w->np += 3;
        }
    }
    if (rc < 0)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    return 0;
}

/* Appends " AND (sort, id) > / < (cursor's)" with the cursor looked up inside the scope. */
static int keyset(struct where *w, const struct certsearch_filter *f, int64_t id, int greater)
{
    const char *col = sort_name[f->sort];
    w->p[w->np++] = DBV_INT(id);
    int rc = buf_printf(
        &w->sql, " AND (c.%s, c.id) %s (SELECT k.%s, k.id FROM certificates k WHERE k.id = $%d",
        col, greater ? ">" : "<", col, w->np);
    if (rc == 0)
        rc = org_scope_sql(&w->sql, "k.org_id", &f->scope, w->p, &w->np, NULL);
    if (rc == 0)
        rc = buf_putc(&w->sql, ')');
    return rc;
}

int certsearch_list(struct db *db, const struct certsearch_filter *f, struct certlist_row **rows,
                    size_t *n, int64_t *total, struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    if (total != NULL)
        *total = 0;
    if ((unsigned)f->sort > CS_SORT_CN)
        return sm_err_set(e, SM_E_INVALID, "sort", "unknown sort");
    struct where w;
    struct buf sql = BUF_INIT;
    int rc = where_build(f, &w, e);
    if (rc < 0)
        goto out;
    if (total != NULL) {
        if (buf_printf(&sql, "SELECT COUNT(*)" FROM "WHERE %s", w.sql.p) < 0) {
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
            goto out;
        }
        struct db_stmt st = {"certsearch.count", sql.p, NULL, NULL};
        if ((rc = db_get_one(db, &st, w.p, w.np, &db_row_int, total, e)) < 0)
            goto out;
        buf_reset(&sql);
    }
    /* read backwards for the page before a cursor and for the last page */
    int back = f->before_id > 0 || f->last;
    int asc = (!f->desc) != back;
    if (f->after_id > 0)
        rc = keyset(&w, f, f->after_id, !f->desc);
    else if (f->before_id > 0)
        rc = keyset(&w, f, f->before_id, f->desc);
    const char *col = sort_name[f->sort], *dir = asc ? "ASC" : "DESC";
    w.p[w.np] = DBV_INT(f->limit ? f->limit : 50);
    w.p[w.np + 1] = DBV_INT(f->offset);
    if (rc < 0 || buf_printf(&sql,
                             "SELECT " BASE_COLS LIST_JSON FROM
                             "WHERE %s ORDER BY c.%s %s, c.id %s LIMIT $%d OFFSET $%d",
                             w.sql.p, col, dir, dir, w.np + 1, w.np + 2) < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    struct db_stmt st = {"certsearch.list", sql.p, NULL, NULL};
    rc = db_collect(db, &st, w.p, w.np + 2, &list_rowtype, rows, n, e);
    if (rc == 0 && back)
        for (size_t i = 0; i < *n / 2; i++) {
            struct certlist_row t = (*rows)[i];
            (*rows)[i] = (*rows)[*n - 1 - i];
            (*rows)[*n - 1 - i] = t;
        }
out:
    where_free(&w);
    buf_free(&sql);
    return rc;
}

/* ---- export ---- */

struct export_ctx {
    certexport_fn fn;
    void *arg;
    int count;
    int64_t last_id;
};

static const char *txt(const struct db_val *v, char *tmp, size_t n)
{
    if (v->t != DB_TEXT)
        return "";
    db_col_copy(tmp, n, v);
    return tmp;
}

/* Text columns are copied into scratch buffers on the stack, the JSON documents' values
 * picked into them: nothing is allocated per row. */
static int export_row(void *ctx, const struct db_val *v, int ncols)
{
    struct export_ctx *x = ctx;
    if (ncols < NEXPORT_COLS)
        return -SM_E_DB;
    static const size_t small = 256;
    char s[24][256], j[14][256];
    char big[2][4096];
    int k = 0;
#define T(i) txt(&v[i], s[k++], small)
    struct certexport_row r = {0};
    r.id = db_col_int(&v[0]);
    r.serial = T(3);
    r.state = T(4);
    r.level = T(5);
    r.root = T(6);
    r.cn = txt(&v[7], big[0], sizeof big[0]);
    r.not_before = db_col_int(&v[8]);
    r.not_after = db_col_int(&v[9]);
    r.revoked_at = db_col_int(&v[10]);
    r.receipt_no = T(11);
    r.kind = T(12);
    r.product_code = T(13);
    r.product_ja = T(14);
    r.product_en = T(15);
    struct jsonpick a[] = {{"org", "name_ja", j[0], small},
                           {"org", "name_en", j[1], small},
                           {"responsible", "dept", j[2], small},
                           {"responsible", "name", j[3], small},
                           {"org", "tdb_code", j[4], small}};
    struct jsonpick c[] = {{"org", NULL, j[5], small},
                           {"dept", NULL, j[6], small},
                           {"name", NULL, j[7], small},
                           {"email", NULL, j[8], small}};
    struct jsonpick b[] = {{"org", NULL, j[9], small},
                           {"dept", NULL, j[10], small},
                           {"name", NULL, j[11], small},
                           {"email", NULL, j[12], small},
                           {"phone", NULL, j[13], small}};
    (void)jsonpick(v[16].t == DB_TEXT ? v[16].p : NULL, v[16].n, a, 5);
    (void)jsonpick(v[17].t == DB_TEXT ? v[17].p : NULL, v[17].n, c, 4);
    (void)jsonpick(v[29].t == DB_TEXT ? v[29].p : NULL, v[29].n, b, 5);
    r.org_name_ja = j[0];
    r.org_name_en = j[1];
    r.dept = j[2];
    r.resp_name = j[3];
    r.tdb_code = j[4];
    r.contact_org = j[5];
    /* the contact's department when the applicant has none */
    if (r.dept[0] == '\0')
        r.dept = j[6];
    if (r.org_name_ja[0] == '\0' && r.org_name_en[0] == '\0')
        r.org_name_ja = r.contact_org;
    r.contact_name = j[7];
    r.contact_email = j[8];
    r.bill_org = j[9];
    r.bill_dept = j[10];
    r.bill_name = j[11];
    r.bill_email = j[12];
    r.bill_phone = j[13];
    r.names_json = txt(&v[18], big[1], sizeof big[1]);
    r.sha256 = T(19);
    r.order_created_at = db_col_int(&v[20]);
    r.submitted_at = db_col_int(&v[21]);
    r.paid_at = db_col_int(&v[22]);
    r.amount = db_col_int(&v[23]);
    r.notify_email1 = T(24);
    r.server_software = T(25);
    r.po_number = T(26);
    r.invoice_no = T(27);
    r.pay_method = T(28);
#undef T
    if (x->fn(x->arg, &r) != 0)
        return -SM_E_INTERNAL;
    x->count++;
    x->last_id = r.id;
    return 0;
}

int certsearch_export(struct db *db, const struct certsearch_filter *f, int64_t after_id, int limit,
                      certexport_fn fn, void *ctx, int64_t *last_id, struct sm_err *e)
{
    if ((unsigned)f->sort > CS_SORT_CN)
        return sm_err_set(e, SM_E_INVALID, "sort", "unknown sort");
    if (limit < 1 || limit > 10000)
        return sm_err_set(e, SM_E_INVALID, "limit", "limit 1..10000");
    struct certsearch_filter g = *f;
    g.limit = 0;
    g.offset = 0;
    struct where w;
    struct buf sql = BUF_INIT;
    int rc = where_build(&g, &w, e);
    if (rc < 0)
        goto out;
    /* in id (issuance) order: the table and the orders are then read page after page
     * instead of jumping around them once per row, which is what makes 100,000 rows cheap */
    if (after_id > 0) {
        w.p[w.np++] = DBV_INT(after_id);
        rc = buf_printf(&w.sql, " AND c.id > $%d", w.np);
    }
    w.p[w.np] = DBV_INT(limit);
    if (rc < 0 || buf_printf(&sql,
                             "SELECT " BASE_COLS LIST_JSON EXPORT_COLS FROM
                             "WHERE %s ORDER BY c.id LIMIT $%d",
                             w.sql.p, w.np + 1) < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    struct db_stmt st = {"certsearch.export", sql.p, NULL, NULL};
    struct export_ctx x = {fn, ctx, 0, 0};
    rc = db_run(db, &st, w.p, w.np + 1, export_row, &x, e);
    if (rc >= 0) {
        rc = x.count;
        if (last_id != NULL)
            *last_id = x.last_id;
    }
out:
    where_free(&w);
    buf_free(&sql);
    return rc;
}
