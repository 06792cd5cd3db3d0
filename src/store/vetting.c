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
    "AND at <= $3 ORDER BY at DESC, id DESC LIMIT 1",
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

static void copy_fixed(char *dst, size_t n, const struct db_val *v)
{
    size_t len = 0;
    if (v->t == DB_TEXT && v->p != NULL)
        len = v->n < n - 1 ? v->n : n - 1;
    if (len > 0)
        memcpy(dst, v->p, len);
    dst[len] = '\0';
}

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

static int insert_id(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                     int64_t *id, struct sm_err *e)
{
    int64_t nid = 0;
    int rc = db_run(db, st, p, np, got_id, &nid, e);
    if (rc == 0 && nid <= 0)
        rc = sm_err_set(e, SM_E_DB, st->name, "no id returned");
    if (rc == 0 && id != NULL)
        *id = nid;
    return rc;
}

/* A growing array of fixed-size records filled by a per-table decoder. */
struct rows {
    void *v;
    size_t n, cap, size;
    int nomem;
    int (*fill)(void *rec, const struct db_val *c, int ncols);
};

static int on_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct rows *rs = ctx;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        void *v = sm_realloc(rs->v, cap * rs->size);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    void *rec = (char *)rs->v + rs->n * rs->size;
    memset(rec, 0, rs->size);
    int rc = rs->fill(rec, cols, ncols);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        rs->nomem = 1;
        return 1;
    }
    rs->n++;
    return 0;
}

static int select_rows(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                       struct rows *rs, void **out, size_t *n, struct sm_err *e)
{
    int rc = db_run(db, st, p, np, on_row, rs, e);
    if (rc > 0 || rs->nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading %s", st->name);
    if (rc < 0 || rs->n == 0) {
        free(rs->v);
        rs->v = NULL;
        rs->n = 0;
    }
    *out = rs->v;
    *n = rs->n;
    return rc;
}

static int fill_check(void *rec, const struct db_val *c, int ncols)
{
    struct vetting_check *k = rec;
    if (ncols < 11)
        return -SM_E_DB;
    k->id = db_col_int(&c[0]);
    k->order_id = db_col_int(&c[1]);
    k->org_id = db_col_int(&c[2]);
    copy_fixed(k->kind, sizeof k->kind, &c[3]);
    copy_fixed(k->source, sizeof k->source, &c[4]);
    copy_fixed(k->result, sizeof k->result, &c[5]);
    copy_fixed(k->note, sizeof k->note, &c[6]);
    copy_fixed(k->phone, sizeof k->phone, &c[7]);
    copy_fixed(k->phone_source, sizeof k->phone_source, &c[8]);
    k->officer_id = db_col_int(&c[9]);
    k->at = db_col_int(&c[10]);
    return 0;
}

int vetting_check_insert(struct db *db, const struct vetting_check *c, int64_t *id,
                         struct sm_err *e)
{
    struct db_val p[10] = {DBV_INT(c->order_id), DBV_INT(c->org_id),        DBV_TEXT(c->kind),
                           DBV_TEXT(c->source),  DBV_TEXT(c->result),       opt_text(c->note),
                           opt_text(c->phone),   opt_text(c->phone_source), DBV_INT(c->officer_id),
                           DBV_INT(c->at)};
    return insert_id(db, &st_check_ins, p, 10, id, e);
}

int vetting_checks_list(struct db *db, int64_t order_id, struct vetting_check **rows, size_t *n,
                        struct sm_err *e)
{
    struct rows rs = {NULL, 0, 0, sizeof **rows, 0, fill_check};
    struct db_val p[1] = {DBV_INT(order_id)};
    return select_rows(db, &st_check_list, p, 1, &rs, (void **)rows, n, e);
}

int vetting_check_last_ok(struct db *db, int64_t org_id, const char *kind, int64_t before,
                          struct vetting_check *out, struct sm_err *e)
{
    struct rows rs = {NULL, 0, 0, sizeof *out, 0, fill_check};
    struct db_val p[3] = {DBV_INT(org_id), DBV_TEXT(kind), DBV_INT(before)};
    struct vetting_check *v = NULL;
    size_t n = 0;
    int rc = select_rows(db, &st_check_last, p, 3, &rs, (void **)&v, &n, e);
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_NOTFOUND, "vetting_check", "no %s check for org", kind);
    if (rc == 0)
        *out = v[0];
    free(v);
    return rc;
}

static int fill_req(void *rec, const struct db_val *c, int ncols)
{
    struct doc_request *r = rec;
    if (ncols < 7)
        return -SM_E_DB;
    r->id = db_col_int(&c[0]);
    r->order_id = db_col_int(&c[1]);
    copy_fixed(r->kind, sizeof r->kind, &c[2]);
    copy_fixed(r->note, sizeof r->note, &c[3]);
    r->requested_by = db_col_int(&c[4]);
    r->at = db_col_int(&c[5]);
    r->fulfilled_at = db_col_int(&c[6]);
    return 0;
}

int vetting_docreq_insert(struct db *db, const struct doc_request *r, int64_t *id, struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(r->order_id), DBV_TEXT(r->kind), opt_text(r->note),
                          DBV_INT(r->requested_by), DBV_INT(r->at)};
    return insert_id(db, &st_req_ins, p, 5, id, e);
}

int vetting_docreqs_list(struct db *db, int64_t order_id, struct doc_request **rows, size_t *n,
                         struct sm_err *e)
{
    struct rows rs = {NULL, 0, 0, sizeof **rows, 0, fill_req};
    struct db_val p[1] = {DBV_INT(order_id)};
    return select_rows(db, &st_req_list, p, 1, &rs, (void **)rows, n, e);
}

int vetting_docreq_fulfil(struct db *db, int64_t order_id, const char *kind, int64_t at,
                          struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(order_id), DBV_TEXT(kind), DBV_INT(at)};
    return db_run(db, &st_req_fulfil, p, 3, NULL, NULL, e);
}

static int fill_doc(void *rec, const struct db_val *c, int ncols)
{
    struct document *d = rec;
    if (ncols < 9)
        return -SM_E_DB;
    d->id = db_col_int(&c[0]);
    d->order_id = db_col_int(&c[1]);
    copy_fixed(d->kind, sizeof d->kind, &c[2]);
    copy_fixed(d->file_name, sizeof d->file_name, &c[3]);
    copy_fixed(d->sniffed_type, sizeof d->sniffed_type, &c[4]);
    d->size = db_col_int(&c[5]);
    if (c[6].t == DB_BLOB || c[6].t == DB_TEXT) {
        d->data = sm_malloc(c[6].n ? c[6].n : 1);
        if (d->data == NULL)
            return 1;
        if (c[6].n > 0)
            memcpy(d->data, c[6].p, c[6].n);
        d->size = (int64_t)c[6].n;
    }
    d->uploaded_by = db_col_int(&c[7]);
    d->at = db_col_int(&c[8]);
    return 0;
}

int vetting_doc_insert(struct db *db, const struct document *d, int64_t *id, struct sm_err *e)
{
    struct db_val p[8] = {DBV_INT(d->order_id),    DBV_TEXT(d->kind),
                          DBV_TEXT(d->file_name),  DBV_TEXT(d->sniffed_type),
                          DBV_INT(d->size),        DBV_BLOB(d->data, (size_t)d->size),
                          DBV_INT(d->uploaded_by), DBV_INT(d->at)};
    return insert_id(db, &st_doc_ins, p, 8, id, e);
}

int vetting_docs_list(struct db *db, int64_t order_id, struct document **rows, size_t *n,
                      struct sm_err *e)
{
    struct rows rs = {NULL, 0, 0, sizeof **rows, 0, fill_doc};
    struct db_val p[1] = {DBV_INT(order_id)};
    return select_rows(db, &st_doc_list, p, 1, &rs, (void **)rows, n, e);
}

int vetting_doc_get(struct db *db, int64_t order_id, int64_t doc_id, struct document *out,
                    struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct rows rs = {NULL, 0, 0, sizeof *out, 0, fill_doc};
    struct db_val p[2] = {DBV_INT(order_id), DBV_INT(doc_id)};
    struct document *v = NULL;
    size_t n = 0;
    int rc = select_rows(db, &st_doc_get, p, 2, &rs, (void **)&v, &n, e);
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_NOTFOUND, "document", "no such document");
    if (rc == 0)
        *out = v[0];
    free(v);
    return rc;
}
