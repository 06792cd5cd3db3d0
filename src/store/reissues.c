/* SPDX-License-Identifier: MIT */
/* Reissue applications; see reissues.h. */
#include "store/db.h"
#include "store/reissues.h"

#define COLS                                                                                       \
    "id, order_id, original_cert_id, subscription_id, reason, reason_code, revoke_at, new_csr, "   \
    "fee, changes, created_by, created_at FROM reissues "

static const struct db_stmt st_insert = {
    "reissues.insert",
    "INSERT INTO reissues (order_id, original_cert_id, subscription_id, reason, reason_code, "
    "revoke_at, new_csr, fee, changes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
    "$7, $8, $9, $10, $11) RETURNING id",
    NULL, NULL};

static const struct db_stmt st_by_order = {"reissues.by_order",
                                           "SELECT " COLS "WHERE order_id = $1", NULL, NULL};

static const struct db_stmt st_by_sub = {
    "reissues.by_sub", "SELECT " COLS "WHERE subscription_id = $1 ORDER BY id", NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct reissue_row *r = row;
    r->id = db_col_int(&c[0]);
    r->order_id = db_col_int(&c[1]);
    r->original_cert_id = db_col_int(&c[2]);
    r->subscription_id = db_col_int(&c[3]);
    db_col_copy(r->reason, sizeof r->reason, &c[4]);
    r->reason_code = db_col_int(&c[5]);
    r->revoke_at = db_col_int(&c[6]);
    r->new_csr = db_col_int(&c[7]);
    r->fee = db_col_int(&c[8]);
    db_col_copy(r->changes, sizeof r->changes, &c[9]);
    r->created_by = db_col_int(&c[10]);
    r->created_at = db_col_int(&c[11]);
    return 0;
}

static const struct db_rowtype reissue_rowtype = {sizeof(struct reissue_row), 12, fill, NULL,
                                                  "reissue"};

int reissues_insert(struct db *db, const struct reissue_row *r, int64_t *id, struct sm_err *e)
{
    struct db_val p[11] = {DBV_INT(r->order_id),        DBV_INT(r->original_cert_id),
                           DBV_INT(r->subscription_id), DBV_TEXT(r->reason),
                           DBV_INT(r->reason_code),     DBV_INT(r->revoke_at),
                           DBV_INT(r->new_csr),         DBV_INT(r->fee),
                           DBV_TEXT(r->changes),        DBV_INT(r->created_by),
                           DBV_INT(r->created_at)};
    return db_returning_id(db, &st_insert, p, 11, id, e);
}

int reissues_get_by_order(struct db *db, int64_t order_id, struct reissue_row *out,
                          struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(order_id)};
    return db_get_one(db, &st_by_order, p, 1, &reissue_rowtype, out, e);
}

int reissues_list_by_sub(struct db *db, int64_t sub_id, struct reissue_row **rows, size_t *n,
                         struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(sub_id)};
    return db_collect(db, &st_by_sub, p, 1, &reissue_rowtype, rows, n, e);
}
