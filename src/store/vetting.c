/* SPDX-License-Identifier: MIT */
/* The vetting_checks, document_requests and documents tables (migration
 * 0006_orders.sql). See vetting.h. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/vetting.h"

#define CCOLS                                                                                      \
    "id, order_id, org_id, kind, source, result, note, phone, phone_source, officer_id, at"

static const struct db_stmt st_check_ins = {
    "vetting.check_insert",
    "INSERT INTO vetting_checks (order_id, org_id, kind, source, result, note, phone, "
    "phone_source, officer_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_check_list = {
    "vetting.check_list",
    "SELECT " CCOLS " FROM vetting_checks WHERE order_id = $1 ORDER BY at, id", NULL, NULL};
static const struct db_stmt st_check_last = {
    "vetting.check_last",
    "SELECT " CCOLS " FROM vetting_checks WHERE org_id = $1 AND kind = $2 AND result = 'ok' "
    "AND at <= $3 AND at > COALESCE((SELECT vetting_reset_at FROM organizations WHERE id = $1), 0) "
    "ORDER BY at DESC, id DESC LIMIT 1",
    NULL, NULL};
static const struct db_stmt st_check_ok_list = {
    "vetting.check_ok_list",
    "SELECT " CCOLS " FROM vetting_checks WHERE org_id = $1 AND kind = $2 AND result = 'ok' "
    "AND at <= $3 AND at > COALESCE((SELECT vetting_reset_at FROM organizations WHERE id = $1), 0) "
    "ORDER BY at DESC, id DESC LIMIT 50",
    NULL, NULL};
static const struct db_stmt st_req_ins = {
    "vetting.req_insert",
    "INSERT INTO document_requests (order_id, kind, note, requested_by, at) VALUES ($1, $2, "
    "$3, $4, $5) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_req_list = {
    "vetting.req_list",
    "SELECT id, order_id, kind, note, requested_by, at, fulfilled_at FROM document_requests "
    "WHERE order_id = $1 ORDER BY id",
    NULL, NULL};
static const struct db_stmt st_req_fulfil = {
    "vetting.req_fulfil",
    "UPDATE document_requests SET fulfilled_at = $3 WHERE order_id = $1 AND kind = $2 AND "
    "fulfilled_at IS NULL",
    NULL, NULL};
static const struct db_stmt st_doc_ins = {
    "vetting.doc_insert",
    "INSERT INTO documents (order_id, kind, file_name, sniffed_type, size, data, uploaded_by, "
    "at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_doc_list = {
    "vetting.doc_list",
    "SELECT id, order_id, kind, file_name, sniffed_type, size, NULL, uploaded_by, at FROM "
    "documents WHERE order_id = $1 ORDER BY id",
    NULL, NULL};
static const struct db_stmt st_doc_get = {
    "vetting.doc_get",
    "SELECT id, order_id, kind, file_name, sniffed_type, size, data, uploaded_by, at FROM "
    "documents WHERE order_id = $1 AND id = $2",
    NULL, NULL};

static struct db_val opt_text(const char *s) { return s && *s ? DBV_TEXT(s) : DBV_NULL; }

static int fill_check(void *rec, const struct db_val *c)
{
    struct vetting_check_row *k = rec;
    k->id = db_col_int(&c[0]);
    k->order_id = db_col_int(&c[1]);
    k->org_id = db_col_int(&c[2]);
    db_col_copy(k->kind, sizeof k->kind, &c[3]);
    db_col_copy(k->source, sizeof k->source, &c[4]);
    db_col_copy(k->result, sizeof k->result, &c[5]);
    db_col_copy(k->note, sizeof k->note, &c[6]);
    db_col_copy(k->phone, sizeof k->phone, &c[7]);
    db_col_copy(k->phone_source, sizeof k->phone_source, &c[8]);
    k->officer_id = db_col_int(&c[9]);
    k->at = db_col_int(&c[10]);
    return 0;
}

static const struct db_rowtype check_rowtype = {sizeof(struct vetting_check_row), 11, fill_check,
                                                NULL, "vetting_check"};

int vetting_check_insert(struct db *db, const struct vetting_check_row *c, int64_t *id,
                         struct sm_err *e)
{
    struct db_val p[10] = {DBV_INT(c->order_id), DBV_INT(c->org_id),        DBV_TEXT(c->kind),
                           DBV_TEXT(c->source),  DBV_TEXT(c->result),       opt_text(c->note),
                           opt_text(c->phone),   opt_text(c->phone_source), DBV_INT(c->officer_id),
                           DBV_INT(c->at)};
    return db_returning_id(db, &st_check_ins, p, 10, id, e);
}

int vetting_checks_ok_list(struct db *db, int64_t org_id, const char *kind, int64_t before,
                           struct vetting_check_row **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(org_id), DBV_TEXT(kind), DBV_INT(before)};
    return db_collect(db, &st_check_ok_list, p, 3, &check_rowtype, rows, n, e);
}

int vetting_checks_list(struct db *db, int64_t order_id, struct vetting_check_row **rows, size_t *n,
                        struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(order_id)};
    return db_collect(db, &st_check_list, p, 1, &check_rowtype, rows, n, e);
}

int vetting_check_last_ok(struct db *db, int64_t org_id, const char *kind, int64_t before,
                          struct vetting_check_row *out, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(org_id), DBV_TEXT(kind), DBV_INT(before)};
    int rc = db_get_one(db, &st_check_last, p, 3, &check_rowtype, out, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "vetting_check", "no %s check for org", kind);
    return rc;
}

static int fill_req(void *rec, const struct db_val *c)
{
    struct doc_request_row *r = rec;
    r->id = db_col_int(&c[0]);
    r->order_id = db_col_int(&c[1]);
    db_col_copy(r->kind, sizeof r->kind, &c[2]);
    db_col_copy(r->note, sizeof r->note, &c[3]);
    r->requested_by = db_col_int(&c[4]);
    r->at = db_col_int(&c[5]);
    r->fulfilled_at = db_col_int(&c[6]);
    return 0;
}

static const struct db_rowtype req_rowtype = {sizeof(struct doc_request_row), 7, fill_req, NULL,
                                              "document_request"};

int vetting_docreq_insert(struct db *db, const struct doc_request_row *r, int64_t *id,
                          struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(r->order_id), DBV_TEXT(r->kind), opt_text(r->note),
                          DBV_INT(r->requested_by), DBV_INT(r->at)};
    return db_returning_id(db, &st_req_ins, p, 5, id, e);
}

int vetting_docreqs_list(struct db *db, int64_t order_id, struct doc_request_row **rows, size_t *n,
                         struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(order_id)};
    return db_collect(db, &st_req_list, p, 1, &req_rowtype, rows, n, e);
}

int vetting_docreq_fulfil(struct db *db, int64_t order_id, const char *kind, int64_t at,
                          struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(order_id), DBV_TEXT(kind), DBV_INT(at)};
    return db_run(db, &st_req_fulfil, p, 3, NULL, NULL, e);
}

static void clear_doc(void *rec)
{
    struct document_row *d = rec;
    free(d->data);
    memset(d, 0, sizeof *d);
}

static int fill_doc(void *rec, const struct db_val *c)
{
    struct document_row *d = rec;
    d->id = db_col_int(&c[0]);
    d->order_id = db_col_int(&c[1]);
    db_col_copy(d->kind, sizeof d->kind, &c[2]);
    db_col_copy(d->file_name, sizeof d->file_name, &c[3]);
    db_col_copy(d->sniffed_type, sizeof d->sniffed_type, &c[4]);
    d->size = db_col_int(&c[5]);
    if (c[6].t == DB_BLOB || c[6].t == DB_TEXT) {
        d->data = sm_malloc(c[6].n ? c[6].n : 1);
        if (d->data == NULL)
            return -1;
        if (c[6].n > 0)
            memcpy(d->data, c[6].p, c[6].n);
        d->size = (int64_t)c[6].n;
    }
    d->uploaded_by = db_col_int(&c[7]);
    d->at = db_col_int(&c[8]);
    return 0;
}

static const struct db_rowtype doc_rowtype = {sizeof(struct document_row), 9, fill_doc, clear_doc,
                                              "document"};

void document_rows_free(struct document_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        clear_doc(&v[i]);
    free(v);
}

int vetting_doc_insert(struct db *db, const struct document_row *d, int64_t *id, struct sm_err *e)
{
    struct db_val p[8] = {DBV_INT(d->order_id),    DBV_TEXT(d->kind),
                          DBV_TEXT(d->file_name),  DBV_TEXT(d->sniffed_type),
                          DBV_INT(d->size),        DBV_BLOB(d->data, (size_t)d->size),
                          DBV_INT(d->uploaded_by), DBV_INT(d->at)};
    return db_returning_id(db, &st_doc_ins, p, 8, id, e);
}

int vetting_docs_list(struct db *db, int64_t order_id, struct document_row **rows, size_t *n,
                      struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(order_id)};
    return db_collect(db, &st_doc_list, p, 1, &doc_rowtype, rows, n, e);
}

int vetting_doc_get(struct db *db, int64_t order_id, int64_t doc_id, struct document_row *out,
                    struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(order_id), DBV_INT(doc_id)};
    return db_get_one(db, &st_doc_get, p, 2, &doc_rowtype, out, e);
}
