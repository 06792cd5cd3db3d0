/* SPDX-License-Identifier: MIT */
/* The products table (migration 0006_orders.sql): insert, update and reads. The rules
 * (validation, audit, the demo catalog) are ra/product's. See products.h. */
#include "store/db.h"
#include "store/products.h"

#define COLS                                                                                       \
    "id, code, name_ja, name_en, level, term_months, multi_domain, sans_included, sans_max, "      \
    "wildcard, allow_ip, list_price, extra_san_price, reissue_fee, review_days_min, "              \
    "review_days_max, root_options, active, created_at, reissue_vetting"
#define NCOLS 20

static const struct db_stmt st_insert = {
    "products.insert",
    "INSERT INTO products (code, name_ja, name_en, level, term_months, multi_domain, "
    "sans_included, sans_max, wildcard, allow_ip, list_price, extra_san_price, reissue_fee, "
    "review_days_min, review_days_max, root_options, active, reissue_vetting, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
    "$19) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_update = {
    "products.update",
    "UPDATE products SET code = $1, name_ja = $2, name_en = $3, level = $4, term_months = $5, "
    "multi_domain = $6, sans_included = $7, sans_max = $8, wildcard = $9, allow_ip = $10, "
    "list_price = $11, extra_san_price = $12, reissue_fee = $13, review_days_min = $14, "
    "review_days_max = $15, root_options = $16, active = $17, reissue_vetting = $18 WHERE id = "
    "$19",
    NULL, NULL};
static const struct db_stmt st_get = {"products.get", "SELECT " COLS " FROM products WHERE id = $1",
                                      NULL, NULL};
static const struct db_stmt st_get_code = {
    "products.get_code", "SELECT " COLS " FROM products WHERE code = $1", NULL, NULL};
static const struct db_stmt st_list = {
    "products.list", "SELECT " COLS " FROM products WHERE active = 1 OR $1 = 1 ORDER BY id", NULL,
    NULL};

static void params(const struct product_row *p, struct db_val *v)
{
    v[0] = DBV_TEXT(p->code);
    v[1] = DBV_TEXT(p->name_ja);
    v[2] = DBV_TEXT(p->name_en);
    v[3] = DBV_TEXT(p->level);
    v[4] = DBV_INT(p->term_months);
    v[5] = DBV_INT(p->multi_domain ? 1 : 0);
    v[6] = DBV_INT(p->sans_included);
    v[7] = DBV_INT(p->sans_max);
    v[8] = DBV_INT(p->wildcard ? 1 : 0);
    v[9] = DBV_INT(p->allow_ip ? 1 : 0);
    v[10] = DBV_INT(p->list_price);
    v[11] = DBV_INT(p->extra_san_price);
    v[12] = DBV_TEXT(p->reissue_fee);
    v[13] = DBV_INT(p->review_days_min);
    v[14] = DBV_INT(p->review_days_max);
    v[15] = DBV_TEXT(p->root_options);
    v[16] = DBV_INT(p->active ? 1 : 0);
    v[17] = DBV_TEXT(p->reissue_vetting[0] ? p->reissue_vetting : "none");
}

int products_insert(struct db *db, const struct product_row *p, int64_t *id, struct sm_err *e)
{
    struct db_val v[19];
    params(p, v);
    v[18] = DBV_INT(p->created_at);
    return db_returning_id(db, &st_insert, v, 19, id, e);
}

int products_update(struct db *db, const struct product_row *p, struct sm_err *e)
{
    struct db_val v[19];
    params(p, v);
    v[18] = DBV_INT(p->id);
    int rc = db_run(db, &st_update, v, 19, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "product", "no product %lld", (long long)p->id);
    return rc;
}

static int fill(void *row, const struct db_val *c)
{
    struct product_row *p = row;
    p->id = db_col_int(&c[0]);
    db_col_copy(p->code, sizeof p->code, &c[1]);
    db_col_copy(p->name_ja, sizeof p->name_ja, &c[2]);
    db_col_copy(p->name_en, sizeof p->name_en, &c[3]);
    db_col_copy(p->level, sizeof p->level, &c[4]);
    p->term_months = (int)db_col_int(&c[5]);
    p->multi_domain = (int)db_col_int(&c[6]);
    p->sans_included = (int)db_col_int(&c[7]);
    p->sans_max = (int)db_col_int(&c[8]);
    p->wildcard = (int)db_col_int(&c[9]);
    p->allow_ip = (int)db_col_int(&c[10]);
    p->list_price = db_col_int(&c[11]);
    p->extra_san_price = db_col_int(&c[12]);
    db_col_copy(p->reissue_fee, sizeof p->reissue_fee, &c[13]);
    p->review_days_min = (int)db_col_int(&c[14]);
    p->review_days_max = (int)db_col_int(&c[15]);
    db_col_copy(p->root_options, sizeof p->root_options, &c[16]);
    p->active = (int)db_col_int(&c[17]);
    p->created_at = db_col_int(&c[18]);
    db_col_copy(p->reissue_vetting, sizeof p->reissue_vetting, &c[19]);
    return 0;
}

static const struct db_rowtype product_rowtype = {sizeof(struct product_row), NCOLS, fill, NULL,
                                                  "product"};

int products_get(struct db *db, int64_t id, struct product_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_get, p, 1, &product_rowtype, out, e);
}

int products_get_by_code(struct db *db, const char *code, struct product_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(code)};
    return db_get_one(db, &st_get_code, p, 1, &product_rowtype, out, e);
}

int products_list(struct db *db, int all, struct product_row **rows, size_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(all ? 1 : 0)};
    return db_collect(db, &st_list, p, 1, &product_rowtype, rows, n, e);
}
