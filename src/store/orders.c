/* SPDX-License-Identifier: MIT */
/* The orders, order_domains, invoices and order_counters tables (migration
 * 0006_orders.sql). Scoped reads put the caller's organization ids into the SQL as bound
 * parameters, so another organization's order is never read. See orders.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/failalloc.h"
#include "store/db.h"
#include "store/orders.h"

#define COLS_HEAD "id, receipt_no, kind, state, product_id, org_id, created_by, "
#define COLS_TAIL                                                                                  \
    "cn, names, root_option, applicant, contact, billing, notify_email1, notify_email2, "          \
    "notify_email3, po_number, remarks, server_software, amount, invoice_no, pay_method, "         \
    "paid_at, submitted_at, decided_at, decision_note, predecessor_cert_id, cert_id, "             \
    "created_at, updated_at, version, idem_key, issue_refusal, issue_refused_at"
#define COLS      COLS_HEAD "csr_pem, " COLS_TAIL
#define COLS_LIST COLS_HEAD "NULL, " COLS_TAIL
#define NCOLS     35 /* columns of COLS */

static const struct db_stmt st_counter = {
    "orders.counter",
    "INSERT INTO order_counters (name, value) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE "
    "SET value = order_counters.value + 1 RETURNING value",
    NULL, NULL};
static const struct db_stmt st_insert = {
    "orders.insert",
    "INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, csr_pem, cn, "
    "names, root_option, applicant, contact, billing, notify_email1, notify_email2, "
    "notify_email3, po_number, remarks, server_software, amount, submitted_at, "
    "predecessor_cert_id, created_at, updated_at, version, idem_key) VALUES ($1, $2, $3, $4, "
    "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, "
    "$23, 1, $24) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_by_invoice = {
    "orders.by_invoice", "SELECT " COLS " FROM orders WHERE invoice_no = $1", NULL, NULL};
static const struct db_stmt st_by_key = {
    "orders.by_key", "SELECT " COLS " FROM orders WHERE created_by = $1 AND idem_key = $2", NULL,
    NULL};
static const struct db_stmt st_set_state = {
    "orders.set_state",
    "UPDATE orders SET state = $1, version = version + 1, updated_at = $2, "
    "paid_at = COALESCE($3, paid_at), submitted_at = COALESCE($4, submitted_at), "
    "decided_at = COALESCE($5, decided_at), cert_id = COALESCE($6, cert_id), "
    "pay_method = COALESCE($7, pay_method), decision_note = COALESCE($8, decision_note) "
    "WHERE id = $9 AND state = $10 AND version = $11",
    NULL, NULL};
static const struct db_stmt st_update_app = {
    "orders.update_application",
    "UPDATE orders SET csr_pem = $1, cn = $2, names = $3, root_option = $4, applicant = $5, "
    "contact = $6, billing = $7, notify_email1 = $8, notify_email2 = $9, notify_email3 = $10, "
    "po_number = $11, remarks = $12, server_software = $13, amount = $14, updated_at = $15, "
    "version = version + 1 WHERE id = $16 AND version = $17",
    NULL, NULL};
static const struct db_stmt st_invoice_ins = {
    "orders.invoice_insert",
    "INSERT INTO invoices (invoice_no, order_id, amount, issued_at) VALUES ($1, $2, $3, $4)", NULL,
    NULL};
static const struct db_stmt st_invoice_set = {
    "orders.invoice_set", "UPDATE orders SET invoice_no = $1 WHERE id = $2", NULL, NULL};
static const struct db_stmt st_invoice_paid = {
    "orders.invoice_paid", "UPDATE invoices SET paid_at = $1 WHERE order_id = $2", NULL, NULL};
static const struct db_stmt st_refusal = {
    "orders.refusal", "UPDATE orders SET issue_refusal = $1, issue_refused_at = $2 WHERE id = $3",
    NULL, NULL};
static const struct db_stmt st_notify = {
    "orders.notify",
    "UPDATE orders SET notify_email1 = $1, notify_email2 = $2, notify_email3 = $3, "
    "updated_at = $4 WHERE id = $5",
    NULL, NULL};
static const struct db_stmt st_of_cert = {
    "orders.of_cert", "SELECT order_id FROM certificates WHERE id = $1", NULL, NULL};

int orders_counter_next(struct db *db, const char *name, int64_t *value, struct sm_err *e)
{
    *value = 0;
    if (!db_in_transaction(db))
        return sm_err_set(e, SM_E_INTERNAL, "counter", "counter %s outside a transaction", name);
    struct db_val p[1] = {DBV_TEXT(name)};
    int rc = db_get_one(db, &st_counter, p, 1, &db_row_int, value, e);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && *value <= 0))
        rc = sm_err_set(e, SM_E_DB, "counter", "counter %s returned no value", name);
    return rc;
}

int orders_insert(struct db *db, const struct order_row *o, int64_t *id, struct sm_err *e)
{
    int64_t now = clock_now();
    struct db_val p[24] = {
        DBV_TEXT(o->receipt_no),
        DBV_TEXT(o->kind),
        DBV_TEXT(o->state),
        DBV_INT(o->product_id),
        DBV_INT(o->org_id),
        DBV_INT(o->created_by),
        dbv_text_or_null(o->csr_pem),
        DBV_TEXT(o->cn),
        DBV_TEXT(o->names),
        DBV_TEXT(o->root_option[0] ? o->root_option : "a"),
        DBV_TEXT(o->applicant ? o->applicant : "{}"),
        DBV_TEXT(o->contact ? o->contact : "{}"),
        DBV_TEXT(o->billing ? o->billing : "{}"),
        DBV_TEXT(o->notify_email[0]),
        dbv_text_or_null(o->notify_email[1]),
        dbv_text_or_null(o->notify_email[2]),
        dbv_text_or_null(o->po_number),
        dbv_text_or_null(o->remarks),
        dbv_text_or_null(o->server_software),
        DBV_INT(o->amount),
        dbv_int_or_null(o->submitted_at),
        dbv_int_or_null(o->predecessor_cert_id),
        DBV_INT(now),
        DBV_TEXT(o->idem_key),
    };
    int rc = db_returning_id(db, &st_insert, p, 24, id, e);
    if (rc == -SM_E_CONFLICT)
        return sm_err_set(e, SM_E_CONFLICT, "idem_key", "order already submitted with this key");
    return rc;
}

static void rec_clear(void *row)
{
    struct order_row *o = row;
    free(o->csr_pem);
    free(o->cn);
    free(o->names);
    free(o->applicant);
    free(o->contact);
    free(o->billing);
    for (int i = 0; i < 3; i++)
        free(o->notify_email[i]);
    free(o->po_number);
    free(o->remarks);
    free(o->server_software);
    free(o->decision_note);
    free(o->idem_key);
    memset(o, 0, sizeof *o);
}

static int fill(void *row, const struct db_val *c)
{
    struct order_row *o = row;
    int bad = 0;
    o->id = db_col_int(&c[0]);
    db_col_copy(o->receipt_no, sizeof o->receipt_no, &c[1]);
    db_col_copy(o->kind, sizeof o->kind, &c[2]);
    db_col_copy(o->state, sizeof o->state, &c[3]);
    o->product_id = db_col_int(&c[4]);
    o->org_id = db_col_int(&c[5]);
    o->created_by = db_col_int(&c[6]);
    bad |= db_col_dup(&o->csr_pem, &c[7]);
    bad |= db_col_dup(&o->cn, &c[8]);
    bad |= db_col_dup(&o->names, &c[9]);
    db_col_copy(o->root_option, sizeof o->root_option, &c[10]);
    bad |= db_col_dup(&o->applicant, &c[11]);
    bad |= db_col_dup(&o->contact, &c[12]);
    bad |= db_col_dup(&o->billing, &c[13]);
    for (int i = 0; i < 3; i++)
        bad |= db_col_dup(&o->notify_email[i], &c[14 + i]);
    bad |= db_col_dup(&o->po_number, &c[17]);
    bad |= db_col_dup(&o->remarks, &c[18]);
    bad |= db_col_dup(&o->server_software, &c[19]);
    o->amount = db_col_int(&c[20]);
    db_col_copy(o->invoice_no, sizeof o->invoice_no, &c[21]);
    db_col_copy(o->pay_method, sizeof o->pay_method, &c[22]);
    o->paid_at = db_col_int(&c[23]);
    o->submitted_at = db_col_int(&c[24]);
    o->decided_at = db_col_int(&c[25]);
    bad |= db_col_dup(&o->decision_note, &c[26]);
    o->predecessor_cert_id = db_col_int(&c[27]);
    o->cert_id = db_col_int(&c[28]);
    o->created_at = db_col_int(&c[29]);
    o->updated_at = db_col_int(&c[30]);
    o->version = db_col_int(&c[31]);
    bad |= db_col_dup(&o->idem_key, &c[32]);
    db_col_copy(o->issue_refusal, sizeof o->issue_refusal, &c[33]);
    o->issue_refused_at = db_col_int(&c[34]);
    if (bad)
        rec_clear(o);
    return bad ? -1 : 0;
}

void order_rows_free(struct order_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        rec_clear(&v[i]);
    free(v);
}

void order_row_free(struct order_row *o) { order_rows_free(o, o ? 1 : 0); }

static const struct db_rowtype order_rowtype = {sizeof(struct order_row), NCOLS, fill, rec_clear,
                                                "order"};

/* One order into a new record: 0, -SM_E_NOTFOUND or another error (then *out NULL). */
static int get_alloc(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                     struct order_row **out, struct sm_err *e)
{
    *out = NULL;
    struct order_row *o = sm_calloc(1, sizeof *o);
    if (o == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = db_get_one(db, st, p, np, &order_rowtype, o, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "order", "no such order");
    if (rc < 0)
        free(o);
    else
        *out = o;
    return rc;
}

/* Runs "SELECT COLS FROM orders WHERE <where> AND scope" with p[0..np) bound first. */
static int get_scoped(struct db *db, const char *name, const char *where, struct db_val key,
                      const struct org_scope *scope, struct order_row **out, struct sm_err *e)
{
    *out = NULL;
    struct buf sql = BUF_INIT;
    struct db_val *p = sm_calloc(1 + (scope && !scope->all ? scope->n : 0), sizeof *p);
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int np = 1;
    p[0] = key;
    int rc = buf_printf(&sql, "SELECT " COLS " FROM orders WHERE %s", where) < 0
                 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory")
                 : 0;
    if (rc == 0)
        rc = org_scope_sql(&sql, "org_id", scope, p, &np, e);
    if (rc == 0) {
        struct db_stmt st = {name, sql.p, NULL, NULL};
        rc = get_alloc(db, &st, p, np, out, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int orders_get(struct db *db, int64_t id, const struct org_scope *scope, struct order_row **out,
               struct sm_err *e)
{
    return get_scoped(db, "orders.get", "id = $1", DBV_INT(id), scope, out, e);
}

int orders_get_by_receipt(struct db *db, const char *receipt_no, const struct org_scope *scope,
                          struct order_row **out, struct sm_err *e)
{
    return get_scoped(db, "orders.get_receipt", "receipt_no = $1", DBV_TEXT(receipt_no), scope, out,
                      e);
}

int orders_get_by_invoice(struct db *db, const char *invoice_no, struct order_row **out,
                          struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(invoice_no)};
    return get_alloc(db, &st_by_invoice, p, 1, out, e);
}

int orders_get_by_key(struct db *db, int64_t created_by, const char *idem_key,
                      struct order_row **out, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(created_by), DBV_TEXT(idem_key)};
    return get_alloc(db, &st_by_key, p, 2, out, e);
}

/* WHERE clause of a list (without "WHERE"), binding into p from *np. */
static int list_where(struct buf *w, const struct orders_filter *f, struct db_val *p, int *np,
                      struct sm_err *e)
{
    int rc = buf_puts(w, "1 = 1");
    if (rc == 0 && f->nstates > 0) {
        rc = buf_puts(w, " AND state IN (");
        for (size_t i = 0; i < f->nstates && rc == 0; i++) {
            p[*np] = DBV_TEXT(f->states[i]);
            (*np)++;
            rc = buf_printf(w, "%s$%d", i ? ", " : "", *np);
        }
        if (rc == 0)
            rc = buf_puts(w, ")");
    }
    if (rc == 0 && f->org_id > 0) {
        p[*np] = DBV_INT(f->org_id);
        (*np)++;
        rc = buf_printf(w, " AND org_id = $%d", *np);
    }
    if (rc < 0)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    return org_scope_sql(w, "org_id", &f->scope, p, np, e);
}

int orders_list(struct db *db, const struct orders_filter *f, struct order_row **rows, size_t *n,
                int64_t *total, struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    if (f->nstates > 16 || (f->nstates > 0 && f->states == NULL))
        return sm_err_set(e, SM_E_INVALID, "state", "at most 16 states");
    if (f->limit < 0 || f->limit > 1000 || f->offset < 0)
        return sm_err_set(e, SM_E_INVALID, "limit", "limit 1..1000, offset >= 0");
    if (!f->scope.all && f->scope.n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    size_t cap = 1 + f->nstates + (f->scope.all ? 0 : f->scope.n) + 2;
    struct db_val *p = sm_calloc(cap, sizeof *p);
    struct buf where = BUF_INIT, sql = BUF_INIT;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int np = 0;
    int rc = list_where(&where, f, p, &np, e);
    if (rc == 0 && total != NULL) {
        *total = 0;
        rc = buf_printf(&sql, "SELECT COUNT(*) FROM orders WHERE %s", where.p) < 0
                 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory")
                 : 0;
        struct db_stmt st = {"orders.count", sql.p, NULL, NULL};
        if (rc == 0)
            rc = db_get_one(db, &st, p, np, &db_row_int, total, e);
        buf_reset(&sql);
    }
    const char *order = f->sort == ORDERS_SORT_AGE ? "COALESCE(submitted_at, created_at), id"
                                                   : "created_at DESC, id DESC";
    if (rc == 0) {
        p[np] = DBV_INT(f->limit ? f->limit : 50);
        p[np + 1] = DBV_INT(f->offset);
        rc = buf_printf(&sql,
                        "SELECT " COLS_LIST " FROM orders WHERE %s ORDER BY %s LIMIT $%d "
                        "OFFSET $%d",
                        where.p, order, np + 1, np + 2) < 0
                 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory")
                 : 0;
    }
    if (rc == 0) {
        struct db_stmt st = {"orders.list", sql.p, NULL, NULL};
        rc = db_collect(db, &st, p, np + 2, &order_rowtype, rows, n, e);
    }
    buf_free(&where);
    buf_free(&sql);
    free(p);
    return rc;
}

int orders_set_state(struct db *db, int64_t id, int64_t version, const char *from, const char *to,
                     const struct orders_state_set *set, struct sm_err *e)
{
    static const struct orders_state_set none = {0};
    if (set == NULL)
        set = &none;
    struct db_val p[11] = {
        DBV_TEXT(to),
        DBV_INT(clock_now()),
        dbv_int_or_null(set->paid_at),
        dbv_int_or_null(set->submitted_at),
        dbv_int_or_null(set->decided_at),
        dbv_int_or_null(set->cert_id),
        dbv_text_or_null(set->pay_method),
        dbv_text_or_null(set->decision_note),
        DBV_INT(id),
        DBV_TEXT(from),
        DBV_INT(version),
    };
    int rc = db_run(db, &st_set_state, p, 11, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "version", "order %lld changed meanwhile", (long long)id);
    return rc;
}

int orders_set_refusal(struct db *db, int64_t id, const char *code, int64_t at, struct sm_err *e)
{
    struct db_val p[3] = {dbv_text_or_null(code), dbv_int_or_null(code ? at : 0), DBV_INT(id)};
    int rc = db_run(db, &st_refusal, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "order", "no order %lld", (long long)id);
    return rc;
}

int orders_set_notify(struct db *db, int64_t id, const char *const emails[3], int64_t now,
                      struct sm_err *e)
{
    struct db_val p[5] = {DBV_TEXT(emails[0]), dbv_text_or_null(emails[1]),
                          dbv_text_or_null(emails[2]), DBV_INT(now), DBV_INT(id)};
    int rc = db_run(db, &st_notify, p, 5, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "order", "no order %lld", (long long)id);
    return rc;
}

int orders_update_application(struct db *db, const struct order_row *o, struct sm_err *e)
{
    struct db_val p[17] = {
        dbv_text_or_null(o->csr_pem),
        DBV_TEXT(o->cn),
        DBV_TEXT(o->names),
        DBV_TEXT(o->root_option[0] ? o->root_option : "a"),
        DBV_TEXT(o->applicant ? o->applicant : "{}"),
        DBV_TEXT(o->contact ? o->contact : "{}"),
        DBV_TEXT(o->billing ? o->billing : "{}"),
        DBV_TEXT(o->notify_email[0]),
        dbv_text_or_null(o->notify_email[1]),
        dbv_text_or_null(o->notify_email[2]),
        dbv_text_or_null(o->po_number),
        dbv_text_or_null(o->remarks),
        dbv_text_or_null(o->server_software),
        DBV_INT(o->amount),
        DBV_INT(clock_now()),
        DBV_INT(o->id),
        DBV_INT(o->version),
    };
    int rc = db_run(db, &st_update_app, p, 17, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "version", "order %lld changed meanwhile",
                        (long long)o->id);
    return rc;
}

int orders_set_invoice(struct db *db, int64_t id, const char *invoice_no, int64_t amount,
                       struct sm_err *e)
{
    struct db_val p[4] = {DBV_TEXT(invoice_no), DBV_INT(id), DBV_INT(amount), DBV_INT(clock_now())};
    int rc = db_run(db, &st_invoice_ins, p, 4, NULL, NULL, e);
    if (rc == 0)
        rc = db_run(db, &st_invoice_set, p, 2, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "order", "no order %lld", (long long)id);
    return rc;
}

int orders_invoice_paid(struct db *db, int64_t order_id, int64_t at, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(at), DBV_INT(order_id)};
    return db_run(db, &st_invoice_paid, p, 2, NULL, NULL, e);
}

int orders_of_cert(struct db *db, int64_t cert_id, int64_t *order_id, struct sm_err *e)
{
    *order_id = 0;
    struct db_val p[1] = {DBV_INT(cert_id)};
    int rc = db_get_one(db, &st_of_cert, p, 1, &db_row_int, order_id, e);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && *order_id <= 0))
        rc = sm_err_set(e, SM_E_NOTFOUND, "certificate", "no order for certificate %lld",
                        (long long)cert_id);
    return rc;
}
