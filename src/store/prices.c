/* SPDX-License-Identifier: MIT */
/* The price_agreements and billing_issuer tables (see prices.h). */
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/prices.h"

#define AGR_COLS                                                                                   \
    "id, org_id, product_id, price, extra_san_price, reissue_fee, updated_by, updated_at"

static const struct db_stmt st_upsert = {
    "prices.upsert",
    "INSERT INTO price_agreements (org_id, product_id, price, extra_san_price, reissue_fee, "
    "updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (org_id, product_id) DO UPDATE SET price = excluded.price, "
    "extra_san_price = excluded.extra_san_price, reissue_fee = excluded.reissue_fee, "
    "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    NULL, NULL};
static const struct db_stmt st_delete = {
    "prices.delete",
    "DELETE FROM price_agreements WHERE org_id = $1 AND product_id = $2 RETURNING id", NULL, NULL};
static const struct db_stmt st_get = {
    "prices.get", "SELECT " AGR_COLS " FROM price_agreements WHERE org_id = $1 AND product_id = $2",
    NULL, NULL};
static const struct db_stmt st_list = {
    "prices.list", "SELECT " AGR_COLS " FROM price_agreements ORDER BY org_id, product_id", NULL,
    NULL};
static const struct db_stmt st_issuer = {
    "prices.issuer",
    "SELECT name, address, phone, registration_no, bank, quote_valid_days, payment_days, "
    "updated_at FROM billing_issuer WHERE id = 1",
    NULL, NULL};
static const struct db_stmt st_issuer_update = {
    "prices.issuer_update",
    "UPDATE billing_issuer SET name = $1, address = $2, phone = $3, registration_no = $4, "
    "bank = $5, quote_valid_days = $6, payment_days = $7, updated_at = $8 WHERE id = 1",
    NULL, NULL};

static int fill_agr(void *row, const struct db_val *c)
{
    struct price_agreement_row *a = row;
    a->id = db_col_int(&c[0]);
    a->org_id = db_col_int(&c[1]);
    a->product_id = db_col_int(&c[2]);
    a->price = db_col_int(&c[3]);
    a->extra_san_price = db_col_int(&c[4]);
    a->reissue_fee = db_col_int(&c[5]);
    db_col_copy(a->updated_by, sizeof a->updated_by, &c[6]);
    a->updated_at = db_col_int(&c[7]);
    return 0;
}

static const struct db_rowtype agr_type = {sizeof(struct price_agreement_row), 8, fill_agr, NULL,
                                           "price_agreement"};

static int fill_issuer(void *row, const struct db_val *c)
{
    struct billing_issuer_row *b = row;
    db_col_copy(b->name, sizeof b->name, &c[0]);
    db_col_copy(b->address, sizeof b->address, &c[1]);
    db_col_copy(b->phone, sizeof b->phone, &c[2]);
    db_col_copy(b->registration_no, sizeof b->registration_no, &c[3]);
    db_col_copy(b->bank, sizeof b->bank, &c[4]);
    b->quote_valid_days = db_col_int(&c[5]);
    b->payment_days = db_col_int(&c[6]);
    b->updated_at = db_col_int(&c[7]);
    return 0;
}

static const struct db_rowtype issuer_type = {sizeof(struct billing_issuer_row), 8, fill_issuer,
                                              NULL, "billing_issuer"};

int prices_upsert_agreement(struct db *db, const struct price_agreement_row *a, struct sm_err *e)
{
    struct db_val p[7] = {DBV_INT(a->org_id),      DBV_INT(a->product_id),
                          DBV_INT(a->price),       DBV_INT(a->extra_san_price),
                          DBV_INT(a->reissue_fee), DBV_TEXT(a->updated_by),
                          DBV_INT(a->updated_at)};
    return db_run(db, &st_upsert, p, 7, NULL, NULL, e);
}

int prices_delete_agreement(struct db *db, int64_t org_id, int64_t product_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(org_id), DBV_INT(product_id)};
    int64_t id = 0;
    int rc = db_get_one(db, &st_delete, p, 2, &db_row_int, &id, e);
    return rc;
}

int prices_get_agreement(struct db *db, int64_t org_id, int64_t product_id,
                         struct price_agreement_row *out, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(org_id), DBV_INT(product_id)};
    return db_get_one(db, &st_get, p, 2, &agr_type, out, e);
}

int prices_list_agreements(struct db *db, struct price_agreement_row **rows, size_t *n,
                           struct sm_err *e)
{
    return db_collect(db, &st_list, NULL, 0, &agr_type, rows, n, e);
}

int prices_get_issuer(struct db *db, struct billing_issuer_row *out, struct sm_err *e)
{
    return db_get_one(db, &st_issuer, NULL, 0, &issuer_type, out, e);
}

int prices_update_issuer(struct db *db, const struct billing_issuer_row *b, struct sm_err *e)
{
    struct db_val p[8] = {DBV_TEXT(b->name),        DBV_TEXT(b->address),
                          DBV_TEXT(b->phone),       DBV_TEXT(b->registration_no),
                          DBV_TEXT(b->bank),        DBV_INT(b->quote_valid_days),
                          DBV_INT(b->payment_days), DBV_INT(b->updated_at)};
    return db_run(db, &st_issuer_update, p, 8, NULL, NULL, e);
}
