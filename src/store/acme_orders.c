/* SPDX-License-Identifier: MIT */
/* The acme_orders and acme_authzs tables (see acme_orders.h). */
#include <stdlib.h>
#include <string.h>

#include "store/acme_orders.h"
#include "store/db.h"

#define ORDER_COLS                                                                                 \
    "id, account_id, org_id, expires_at, created_at, order_id, cert_id, status, profile, names, "  \
    "replaces, error"
#define AUTHZ_COLS                                                                                 \
    "id, acme_order_id, account_id, expires_at, validated_at, wildcard, name, status, token, "     \
    "method, br_version, evidence, error"

static const struct db_stmt st_insert = {
    "acme_order.insert",
    "INSERT INTO acme_orders (account_id, org_id, status, names, profile, replaces, expires_at, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_get = {
    "acme_order.get", "SELECT " ORDER_COLS " FROM acme_orders WHERE id = $1", NULL, NULL};
static const struct db_stmt st_status = {
    "acme_order.status",
    "UPDATE acme_orders SET status = $3, error = $4 WHERE id = $1 AND status = $2", NULL, NULL};
static const struct db_stmt st_portal = {
    "acme_order.portal", "UPDATE acme_orders SET order_id = $2 WHERE id = $1", NULL, NULL};
static const struct db_stmt st_cert = {
    "acme_order.cert", "UPDATE acme_orders SET cert_id = $2, status = 'valid' WHERE id = $1", NULL,
    NULL};
static const struct db_stmt st_by_portal = {
    "acme_order.by_portal", "SELECT " ORDER_COLS " FROM acme_orders WHERE order_id = $1", NULL,
    NULL};
static const struct db_stmt st_authz_insert = {
    "acme_authz.insert",
    "INSERT INTO acme_authzs (acme_order_id, account_id, name, wildcard, status, token, "
    "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_authz_get = {
    "acme_authz.get", "SELECT " AUTHZ_COLS " FROM acme_authzs WHERE id = $1", NULL, NULL};
static const struct db_stmt st_authz_list = {
    "acme_authz.list",
    "SELECT " AUTHZ_COLS " FROM acme_authzs WHERE acme_order_id = $1 ORDER BY id", NULL, NULL};
#define AUTHZ_COLS_Z                                                                               \
    "z.id, z.acme_order_id, z.account_id, z.expires_at, z.validated_at, z.wildcard, z.name, "      \
    "z.status, z.token, z.method, z.br_version, z.evidence, z.error"
static const struct db_stmt st_authz_last_org = {
    "acme_authz.last_valid_org",
    "SELECT " AUTHZ_COLS_Z " FROM acme_authzs z JOIN acme_accounts a ON a.id = z.account_id "
    "WHERE a.org_id = $1 AND z.name = $2 AND z.wildcard = $3 AND z.status = 'valid' "
    "AND z.validated_at > 0 ORDER BY z.validated_at DESC, z.id DESC LIMIT 1",
    NULL, NULL};
static const struct db_stmt st_authz_last_account = {
    "acme_authz.last_valid_account",
    "SELECT " AUTHZ_COLS_Z " FROM acme_authzs z WHERE z.account_id = $1 AND z.name = $2 "
    "AND z.wildcard = $3 AND z.status = 'valid' AND z.validated_at > 0 "
    "ORDER BY z.validated_at DESC, z.id DESC LIMIT 1",
    NULL, NULL};
static const struct db_stmt st_authz_update = {
    "acme_authz.update",
    "UPDATE acme_authzs SET status = $3, method = $4, validated_at = $5, br_version = $6, "
    "evidence = $7, error = $8 WHERE id = $1 AND status = $2",
    NULL, NULL};

void acme_order_row_free(struct acme_order_row *o)
{
    if (o == NULL)
        return;
    free(o->names);
    free(o->replaces);
    free(o->error);
    o->names = o->replaces = o->error = NULL;
}

static int fill_order(void *row, const struct db_val *c)
{
    struct acme_order_row *o = row;
    o->id = db_col_int(&c[0]);
    o->account_id = db_col_int(&c[1]);
    o->org_id = db_col_int(&c[2]);
    o->expires_at = db_col_int(&c[3]);
    o->created_at = db_col_int(&c[4]);
    o->order_id = db_col_int(&c[5]);
    o->cert_id = db_col_int(&c[6]);
    db_col_copy(o->status, sizeof o->status, &c[7]);
    db_col_copy(o->profile, sizeof o->profile, &c[8]);
    if (db_col_dup(&o->names, &c[9]) < 0 || db_col_dup(&o->replaces, &c[10]) < 0 ||
        db_col_dup(&o->error, &c[11]) < 0) {
        acme_order_row_free(o);
        return -1;
    }
    return 0;
}

static void clear_order(void *row) { acme_order_row_free(row); }

static const struct db_rowtype order_rowtype = {sizeof(struct acme_order_row), 12, fill_order,
                                                clear_order, "acme order"};

int acme_order_insert(struct db *db, const struct acme_order_row *o, int64_t *id, struct sm_err *e)
{
    struct db_val p[8] = {DBV_INT(o->account_id), DBV_INT(o->org_id),
                          DBV_TEXT(o->status),    DBV_TEXT(o->names),
                          DBV_TEXT(o->profile),   dbv_text_or_null(o->replaces),
                          DBV_INT(o->expires_at), DBV_INT(o->created_at)};
    return db_returning_id(db, &st_insert, p, 8, id, e);
}

int acme_order_get(struct db *db, int64_t id, struct acme_order_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_get, p, 1, &order_rowtype, out, e);
}

/* -SM_E_CONFLICT (field "status") when run changed no row. */
static int one_changed(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0 && db_changes(db) != 1)
        return sm_err_set(e, SM_E_CONFLICT, "status", "the status changed meanwhile");
    return rc;
}

int acme_order_set_status(struct db *db, int64_t id, const char *from, const char *to,
                          const char *error, struct sm_err *e)
{
    struct db_val p[4] = {DBV_INT(id), DBV_TEXT(from), DBV_TEXT(to), dbv_text_or_null(error)};
    return one_changed(db, db_run(db, &st_status, p, 4, NULL, NULL, e), e);
}

int acme_order_set_portal(struct db *db, int64_t id, int64_t order_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_INT(order_id)};
    return one_changed(db, db_run(db, &st_portal, p, 2, NULL, NULL, e), e);
}

int acme_order_set_cert(struct db *db, int64_t id, int64_t cert_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_INT(cert_id)};
    return one_changed(db, db_run(db, &st_cert, p, 2, NULL, NULL, e), e);
}

int acme_order_by_portal(struct db *db, int64_t order_id, struct acme_order_row *out,
                         struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(order_id)};
    return db_get_one(db, &st_by_portal, p, 1, &order_rowtype, out, e);
}

void acme_authz_rows_free(struct acme_authz_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i].evidence);
        free(v[i].error);
        v[i].evidence = v[i].error = NULL;
    }
}

static int fill_authz(void *row, const struct db_val *c)
{
    struct acme_authz_row *a = row;
    a->id = db_col_int(&c[0]);
    a->acme_order_id = db_col_int(&c[1]);
    a->account_id = db_col_int(&c[2]);
    a->expires_at = db_col_int(&c[3]);
    a->validated_at = db_col_int(&c[4]);
    a->wildcard = (int)db_col_int(&c[5]);
    db_col_copy(a->name, sizeof a->name, &c[6]);
    db_col_copy(a->status, sizeof a->status, &c[7]);
    db_col_copy(a->token, sizeof a->token, &c[8]);
    db_col_copy(a->method, sizeof a->method, &c[9]);
    db_col_copy(a->br_version, sizeof a->br_version, &c[10]);
    if (db_col_dup(&a->evidence, &c[11]) < 0 || db_col_dup(&a->error, &c[12]) < 0) {
        acme_authz_rows_free(a, 1);
        return -1;
    }
    return 0;
}

static void clear_authz(void *row) { acme_authz_rows_free(row, 1); }

static const struct db_rowtype authz_rowtype = {sizeof(struct acme_authz_row), 13, fill_authz,
                                                clear_authz, "acme authorization"};

int acme_authz_insert(struct db *db, const struct acme_authz_row *a, int64_t *id, struct sm_err *e)
{
    struct db_val p[7] = {DBV_INT(a->acme_order_id), DBV_INT(a->account_id), DBV_TEXT(a->name),
                          DBV_INT(a->wildcard),      DBV_TEXT(a->status),    DBV_TEXT(a->token),
                          DBV_INT(a->expires_at)};
    return db_returning_id(db, &st_authz_insert, p, 7, id, e);
}

int acme_authz_get(struct db *db, int64_t id, struct acme_authz_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_authz_get, p, 1, &authz_rowtype, out, e);
}

int acme_authz_list(struct db *db, int64_t acme_order_id, struct acme_authz_row **rows, size_t *n,
                    struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(acme_order_id)};
    return db_collect(db, &st_authz_list, p, 1, &authz_rowtype, rows, n, e);
}

int acme_authz_update(struct db *db, const struct acme_authz_row *a, const char *from,
                      struct sm_err *e)
{
    struct db_val p[8] = {DBV_INT(a->id),
                          DBV_TEXT(from),
                          DBV_TEXT(a->status),
                          dbv_text_or_null(a->method[0] ? a->method : NULL),
                          dbv_int_or_null(a->validated_at),
                          dbv_text_or_null(a->br_version[0] ? a->br_version : NULL),
                          dbv_text_or_null(a->evidence),
                          dbv_text_or_null(a->error)};
    return one_changed(db, db_run(db, &st_authz_update, p, 8, NULL, NULL, e), e);
}

int acme_authz_last_valid(struct db *db, int by_org, int64_t id, const char *name, int wildcard,
                          struct acme_authz_row *out, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), DBV_TEXT(name), DBV_INT(wildcard)};
    return db_get_one(db, by_org ? &st_authz_last_org : &st_authz_last_account, p, 3,
                      &authz_rowtype, out, e);
}
