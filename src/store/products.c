/* SPDX-License-Identifier: MIT */
/* The products table (migration 0006_orders.sql): insert, update and reads. The rules
 * (validation, audit, the demo catalog) are ra/product's. See products.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/products.h"

#define COLS                                                                                       \
    "id, code, name_ja, name_en, level, term_months, multi_domain, sans_included, sans_max, "      \
    "wildcard, allow_ip, list_price, extra_san_price, reissue_fee, review_days_min, "              \
    "review_days_max, root_options, active, created_at"
#define NCOLS 19

static const struct db_stmt st_insert = {
    "products.insert",
    "INSERT INTO products (code, name_ja, name_en, level, term_months, multi_domain, "
    "sans_included, sans_max, wildcard, allow_ip, list_price, extra_san_price, reissue_fee, "
    "review_days_min, review_days_max, root_options, active, created_at) VALUES ($1, $2, $3, "
    "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_update = {
    "products.update",
    "UPDATE products SET code = $1, name_ja = $2, name_en = $3, level = $4, term_months = $5, "
    "multi_domain = $6, sans_included = $7, sans_max = $8, wildcard = $9, allow_ip = $10, "
    "list_price = $11, extra_san_price = $12, reissue_fee = $13, review_days_min = $14, "
    "review_days_max = $15, root_options = $16, active = $17 WHERE id = $18",
    NULL, NULL};
static const struct db_stmt st_get = {"products.get", "SELECT " COLS " FROM products WHERE id = $1",
                                      NULL, NULL};
static const struct db_stmt st_get_code = {
    "products.get_code", "SELECT " COLS " FROM products WHERE code = $1", NULL, NULL};
static const struct db_stmt st_list = {
    "products.list", "SELECT " COLS " FROM products WHERE active = 1 OR $1 = 1 ORDER BY id", NULL,
    NULL};

static void params(const struct product *p, struct db_val *v)
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
}

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

int products_insert(struct db *db, const struct product *p, int64_t *id, struct sm_err *e)
{
    struct db_val v[18];
    params(p, v);
    v[17] = DBV_INT(p->created_at);
    int64_t nid = 0;
    int rc = db_run(db, &st_insert, v, 18, got_id, &nid, e);
    if (rc == 0 && nid <= 0)
        rc = sm_err_set(e, SM_E_DB, "product", "no id returned");
    if (rc == 0 && id != NULL)
        *id = nid;
    return rc;
}

int products_update(struct db *db, const struct product *p, struct sm_err *e)
{
    struct db_val v[18];
    params(p, v);
    v[17] = DBV_INT(p->id);
    int rc = db_run(db, &st_update, v, 18, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "product", "no product %lld", (long long)p->id);
    return rc;
}

static void copy_col(char *dst, size_t n, const struct db_val *v)
{
    size_t len = 0;
    if (v->t == DB_TEXT && v->p != NULL)
        len = v->n < n - 1 ? v->n : n - 1;
    if (len > 0)
        memcpy(dst, v->p, len);
    dst[len] = '\0';
}

static void fill(struct product *p, const struct db_val *c)
{
    memset(p, 0, sizeof *p);
    p->id = db_col_int(&c[0]);
    copy_col(p->code, sizeof p->code, &c[1]);
    copy_col(p->name_ja, sizeof p->name_ja, &c[2]);
    copy_col(p->name_en, sizeof p->name_en, &c[3]);
    copy_col(p->level, sizeof p->level, &c[4]);
    p->term_months = (int)db_col_int(&c[5]);
    p->multi_domain = (int)db_col_int(&c[6]);
    p->sans_included = (int)db_col_int(&c[7]);
    p->sans_max = (int)db_col_int(&c[8]);
    p->wildcard = (int)db_col_int(&c[9]);
    p->allow_ip = (int)db_col_int(&c[10]);
    p->list_price = db_col_int(&c[11]);
    p->extra_san_price = db_col_int(&c[12]);
    copy_col(p->reissue_fee, sizeof p->reissue_fee, &c[13]);
    p->review_days_min = (int)db_col_int(&c[14]);
    p->review_days_max = (int)db_col_int(&c[15]);
    copy_col(p->root_options, sizeof p->root_options, &c[16]);
    p->active = (int)db_col_int(&c[17]);
    p->created_at = db_col_int(&c[18]);
}

struct rows {
    struct product *v;
    size_t n, cap;
    int nomem;
};

static int on_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct rows *rs = ctx;
    if (ncols < NCOLS)
        return -SM_E_DB;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct product *v = sm_realloc(rs->v, cap * sizeof *v);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    fill(&rs->v[rs->n++], cols);
    return 0;
}

static int select_rows(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                       struct rows *rs, struct sm_err *e)
{
    int rc = db_run(db, st, p, np, on_row, rs, e);
    if (rc > 0 || rs->nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading products");
    if (rc < 0) {
        free(rs->v);
        memset(rs, 0, sizeof *rs);
    }
    return rc;
}

static int get_one(struct db *db, const struct db_stmt *st, struct db_val key, struct product *out,
                   struct sm_err *e)
{
    struct rows rs = {0};
    int rc = select_rows(db, st, &key, 1, &rs, e);
    if (rc < 0)
        return rc;
    if (rs.n == 0) {
        free(rs.v);
        return sm_err_set(e, SM_E_NOTFOUND, "product", "no such product");
    }
    *out = rs.v[0];
    free(rs.v);
    return 0;
}

int products_get(struct db *db, int64_t id, struct product *out, struct sm_err *e)
{
    return get_one(db, &st_get, DBV_INT(id), out, e);
}

int products_get_by_code(struct db *db, const char *code, struct product *out, struct sm_err *e)
{
    return get_one(db, &st_get_code, DBV_TEXT(code), out, e);
}

int products_list(struct db *db, int all, struct product **rows, size_t *n, struct sm_err *e)
{
    struct rows rs = {0};
    struct db_val p[1] = {DBV_INT(all ? 1 : 0)};
    int rc = select_rows(db, &st_list, p, 1, &rs, e);
    if (rc == 0 && rs.n == 0) {
        free(rs.v);
        rs.v = NULL;
    }
    *rows = rs.v;
    *n = rs.n;
    return rc;
}
