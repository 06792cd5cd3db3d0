/* SPDX-License-Identifier: MIT */
/* Certificate list and detail reads (see certlist.h): one SELECT over certificates joined
 * with orders and products, the organization scope as "org_id IN ($k, ...)" so that the
 * (org_id, not_after) index of migration 0007 serves both the filter and the sort. Must
 * not decide anything: which formats exist and who may download stay in ra/download. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/certlist.h"
#include "store/db.h"

#define FROM                                                                                       \
    " FROM certificates c LEFT JOIN orders o ON o.id = c.order_id "                                \
    "LEFT JOIN products p ON p.id = o.product_id "
#define COLS                                                                                       \
    "c.id, c.order_id, c.org_id, c.serial, c.state, c.level, c.root, c.cn, c.not_before, "         \
    "c.not_after, c.revoked_at, o.receipt_no, o.kind, p.code, p.name_ja, p.name_en, "              \
    "o.applicant, o.contact"
#define NCOLS 18
/* The list reads the five applicant fields it shows straight from the JSON in SQL instead
 * of parsing two JSON documents per row (the most expensive part of a list page). */
#define BASE_COLS                                                                                  \
    "c.id, c.order_id, c.org_id, c.serial, c.state, c.level, c.root, c.cn, c.not_before, "         \
    "c.not_after, c.revoked_at, o.receipt_no, o.kind, p.code, p.name_ja, p.name_en, "
#define JX_SQLITE(col, path)                                                                       \
    "CASE WHEN json_valid(" col ") THEN json_extract(" col ", '" path "') END"
#define LIST_COLS_SQLITE                                                                           \
    BASE_COLS                                                                                      \
    JX_SQLITE("o.applicant", "$.org.name_ja")                                                      \
    ", " JX_SQLITE("o.applicant", "$.org.name_en") ", " JX_SQLITE(                                 \
        "o.applicant", "$.responsible.dept") ", " JX_SQLITE("o.contact",                           \
                                                            "$.org") ", " JX_SQLITE("o.contact",   \
                                                                                    "$.dept")
#define LIST_COLS_PG                                                                               \
    BASE_COLS "o.applicant::jsonb #>> '{org,name_ja}', o.applicant::jsonb #>> '{org,name_en}', "   \
              "o.applicant::jsonb #>> '{responsible,dept}', o.contact::jsonb #>> '{org}', "        \
              "o.contact::jsonb #>> '{dept}'"
#define NLIST_COLS  21
#define DETAIL_COLS COLS ", c.names, c.sha256, c.der, o.server_software"
#define STATES      " c.state IN ('issued', 'revocation_scheduled', 'revoked')" /* issued ones */

static char *dup_or_null(const char *s) { return s != NULL && s[0] ? strdup(s) : NULL; }

/* The applicant organization, department and TDB code from the order's JSON: applicant.org
 * and applicant.responsible for OV/EV, the procedure contact otherwise (DV). */
static int applicant_fields(const struct db_val *applicant, const struct db_val *contact,
                            struct certlist_row *r, char **tdb)
{
    json_t *a = NULL, *c = NULL;
    if (applicant->t == DB_TEXT)
        a = json_loadb(applicant->p, applicant->n, 0, NULL);
    if (contact->t == DB_TEXT)
        c = json_loadb(contact->p, contact->n, 0, NULL);
    json_t *org = json_object_get(a, "org"), *resp = json_object_get(a, "responsible");
    const char *ja = json_string_value(json_object_get(org, "name_ja"));
    const char *en = json_string_value(json_object_get(org, "name_en"));
    const char *dept = json_string_value(json_object_get(resp, "dept"));
    if (ja == NULL && en == NULL)
        ja = json_string_value(json_object_get(c, "org"));
    if (dept == NULL)
        dept = json_string_value(json_object_get(c, "dept"));
    int bad = 0;
    if ((ja && (r->org_name_ja = dup_or_null(ja)) == NULL && ja[0]) ||
        (en && (r->org_name_en = dup_or_null(en)) == NULL && en[0]) ||
        (dept && (r->dept = dup_or_null(dept)) == NULL && dept[0]))
        bad = 1;
    if (tdb != NULL) {
        const char *t = json_string_value(json_object_get(org, "tdb_code"));
        if (t && (*tdb = dup_or_null(t)) == NULL && t[0])
            bad = 1;
    }
    json_decref(a);
    json_decref(c);
    return bad ? -1 : 0;
}

static void row_clear(struct certlist_row *r)
{
    free(r->cn);
    free(r->org_name_ja);
    free(r->org_name_en);
    free(r->dept);
    memset(r, 0, sizeof *r);
}

/* Fills r from the first 16 columns (everything but the applicant fields). */
static int fill_base(struct certlist_row *r, const struct db_val *v)
{
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
    return v[7].t != DB_NULL && r->cn == NULL ? -1 : 0;
}

/* Fills r from the first NCOLS columns; tdb as in applicant_fields. -1 on no memory. */
static int fill_row(struct certlist_row *r, const struct db_val *v, char **tdb)
{
    if (fill_base(r, v) < 0 || applicant_fields(&v[16], &v[17], r, tdb) < 0)
        return -1;
    return 0;
}

/* Text of a column extracted from JSON: NULL unless it is a non-empty string. */
static const char *jtext(const struct db_val *v, char *tmp, size_t n)
{
    if (v->t != DB_TEXT || v->n == 0)
        return NULL;
    db_col_copy(tmp, n, v);
    return tmp;
}

/* The list's applicant fields (columns 16..20), as applicant_fields picks them. */
static int list_fields(const struct db_val *v, struct certlist_row *r)
{
    char ja[256], en[256], dept[256], corg[256], cdept[256];
    const char *a_ja = jtext(&v[16], ja, sizeof ja), *a_en = jtext(&v[17], en, sizeof en);
    const char *d = jtext(&v[18], dept, sizeof dept);
    if (a_ja == NULL && a_en == NULL)
        a_ja = jtext(&v[19], corg, sizeof corg);
    if (d == NULL)
        d = jtext(&v[20], cdept, sizeof cdept);
    if ((a_ja && (r->org_name_ja = strdup(a_ja)) == NULL) ||
        (a_en && (r->org_name_en = strdup(a_en)) == NULL) || (d && (r->dept = strdup(d)) == NULL))
        return -1;
    return 0;
}

static int list_fill(void *row, const struct db_val *cols)
{
    struct certlist_row *r = row;
    if (fill_base(r, cols) < 0 || list_fields(cols, r) < 0) {
        row_clear(r);
        return -1;
    }
    return 0;
}

static void list_clear(void *row) { row_clear(row); }

static const struct db_rowtype list_rowtype = {sizeof(struct certlist_row), NLIST_COLS, list_fill,
                                               list_clear, "certificates"};

void certlist_rows_free(struct certlist_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        row_clear(&rows[i]);
    free(rows);
}

/* LIKE patterns for q: "%q%" over the lower-cased CN and "s%" over the serial as
 * download_serial_norm writes it ("" when q is no serial: matches nothing useful). */
int certlist_patterns(const char *q, struct buf *cn, struct buf *serial)
{
    int rc = buf_putc(cn, '%');
    for (const char *s = q; *s && rc == 0; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            rc = buf_putc(cn, '\\');
        if (rc == 0)
            rc = buf_putc(cn, (char)tolower((unsigned char)*s));
    }
    if (rc == 0)
        rc = buf_putc(cn, '%');
    int lead = 1, hex = 1;
    for (const char *s = q; *s && rc == 0; s++) {
        if (*s == ':')
            continue;
        if (!isxdigit((unsigned char)*s)) {
            hex = 0;
            break;
        }
        if (lead && *s == '0')
            continue;
        lead = 0;
        rc = buf_putc(serial, (char)tolower((unsigned char)*s));
    }
    if (rc == 0 && (!hex || serial->len == 0)) {
        buf_reset(serial);
        rc = buf_puts(serial, "-"); /* no serial starts with '-' */
    }
    return rc == 0 ? buf_putc(serial, '%') : rc;
}

int certlist_list(struct db *db, const struct certlist_filter *f, struct certlist_row **rows,
                  size_t *n, int64_t *total, struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    if (total != NULL)
        *total = 0;
    const char *q = f->q != NULL ? f->q : "";
    if (strlen(q) > CERTLIST_Q_MAX)
        return sm_err_set(e, SM_E_INVALID, "q", "search text over %d bytes", CERTLIST_Q_MAX);
    if (f->limit < 0 || f->limit > 1000 || f->offset < 0)
        return sm_err_set(e, SM_E_INVALID, "limit", "limit 1..1000, offset >= 0");
    if (!f->scope.all && f->scope.n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    struct db_val *p = sm_calloc((f->scope.all ? 0 : f->scope.n) + 5, sizeof *p);
    struct buf where = BUF_INIT, sql = BUF_INIT, sql_pg = BUF_INIT, pcn = BUF_INIT;
    struct buf pserial = BUF_INIT;
    int np = 0, rc = p == NULL ? -SM_E_NOMEM : 0;
    if (rc == 0)
        rc = buf_puts(&where, STATES);
    if (rc == 0)
        rc = org_scope_sql(&where, "c.org_id", &f->scope, p, &np, NULL);
    if (rc == 0 && q[0]) {
        rc = certlist_patterns(q, &pcn, &pserial);
        if (rc == 0) {
            p[np] = DBV_TEXT(pcn.p);
            p[np + 1] = DBV_TEXT(pserial.p);
            p[np + 2] = DBV_TEXT(q);
            rc = buf_printf(&where,
                            " AND (LOWER(c.cn) LIKE $%d ESCAPE '\\' OR c.serial LIKE $%d "
                            "ESCAPE '\\' OR o.receipt_no = $%d)",
                            np + 1, np + 2, np + 3);
            np += 3;
        }
    }
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (total != NULL) {
        /* Without a search the orders are not needed for counting. */
        rc = buf_printf(&sql, "SELECT COUNT(*) FROM certificates c%s WHERE %s",
                        q[0] ? " LEFT JOIN orders o ON o.id = c.order_id" : "", where.p);
        if (rc < 0) {
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
            goto out;
        }
        struct db_stmt st = {"certlist.count", sql.p, NULL, NULL};
        if ((rc = db_get_one(db, &st, p, np, &db_row_int, total, e)) < 0)
            goto out;
        buf_reset(&sql);
    }
    p[np] = DBV_INT(f->limit ? f->limit : 50);
    p[np + 1] = DBV_INT(f->offset);
    if (buf_printf(&sql,
                   "SELECT " LIST_COLS_SQLITE FROM
                   "WHERE %s ORDER BY c.not_after, c.id LIMIT $%d OFFSET $%d",
                   where.p, np + 1, np + 2) < 0 ||
        buf_printf(&sql_pg,
                   "SELECT " LIST_COLS_PG FROM
                   "WHERE %s ORDER BY c.not_after, c.id LIMIT $%d OFFSET $%d",
                   where.p, np + 1, np + 2) < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    struct db_stmt st = {"certlist.list", sql.p, NULL, sql_pg.p};
    rc = db_collect(db, &st, p, np + 2, &list_rowtype, rows, n, e);
out:
    buf_free(&where);
    buf_free(&sql);
    buf_free(&sql_pg);
    buf_free(&pcn);
    buf_free(&pserial);
    free(p);
    return rc;
}

static void detail_clear(void *row)
{
    struct certlist_detail_row *d = row;
    row_clear(&d->row);
    free(d->names_json);
    free(d->sha256);
    free(d->der);
    free(d->server_software);
    free(d->tdb_code);
    memset(d, 0, sizeof *d);
}

void certlist_detail_row_free(struct certlist_detail_row *d)
{
    if (d == NULL)
        return;
    detail_clear(d);
    free(d);
}

static int detail_fill(void *row, const struct db_val *v)
{
    struct certlist_detail_row *d = row;
    int bad = fill_row(&d->row, v, &d->tdb_code) < 0;
    d->names_json = db_col_strdup(&v[NCOLS]);
    d->sha256 = db_col_strdup(&v[NCOLS + 1]);
    if (v[NCOLS + 2].t == DB_BLOB && v[NCOLS + 2].n > 0) {
        if ((d->der = sm_malloc(v[NCOLS + 2].n)) != NULL) {
            memcpy(d->der, v[NCOLS + 2].p, v[NCOLS + 2].n);
            d->der_len = v[NCOLS + 2].n;
        } else {
            bad = 1;
        }
    }
    d->server_software = db_col_strdup(&v[NCOLS + 3]);
    if (bad || (v[NCOLS].t != DB_NULL && d->names_json == NULL) ||
        (v[NCOLS + 1].t != DB_NULL && d->sha256 == NULL) ||
        (v[NCOLS + 3].t != DB_NULL && d->server_software == NULL)) {
        detail_clear(d);
        return -1;
    }
    return 0;
}

static const struct db_rowtype detail_rowtype = {sizeof(struct certlist_detail_row), NCOLS + 4,
                                                 detail_fill, detail_clear, "certificate"};

int certlist_get(struct db *db, const struct org_scope *scope, const char *serial,
                 struct certlist_detail_row **out, struct sm_err *e)
{
    *out = NULL;
    if (scope == NULL)
        return sm_err_set(e, SM_E_INTERNAL, "scope", "no scope given");
    if (serial == NULL || serial[0] == '\0' || strlen(serial) >= CERTS_SERIAL_HEX_MAX)
        return sm_err_set(e, SM_E_NOTFOUND, "serial", "no such certificate");
    if (!scope->all && scope->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    struct db_val *p = sm_calloc((scope->all ? 0 : scope->n) + 1, sizeof *p);
    struct buf sql = BUF_INIT;
    struct certlist_detail_row d;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    p[0] = DBV_TEXT(serial);
    int np = 1;
    int rc = buf_puts(&sql, "SELECT " DETAIL_COLS FROM "WHERE c.serial = $1 AND" STATES);
    if (rc == 0)
        rc = org_scope_sql(&sql, "c.org_id", scope, p, &np, NULL);
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        struct db_stmt st = {"certlist.get", sql.p, NULL, NULL};
        rc = db_get_one(db, &st, p, np, &detail_rowtype, &d, e);
        if (rc == -SM_E_NOTFOUND)
            rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no such certificate");
    }
    if (rc == 0) {
        *out = sm_malloc(sizeof **out);
        if (*out != NULL)
            **out = d;
        else {
            detail_clear(&d);
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        }
    }
    buf_free(&sql);
    free(p);
    return rc;
}
