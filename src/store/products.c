/* SPDX-License-Identifier: MIT */
/* The products table (migration 0006_orders.sql): validation of a product's fields,
 * insert/update with an audit record, reads, and the demo catalog. See products.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "store/audit.h"
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

static int bad(struct sm_err *e, const char *field, const char *why)
{
    return sm_err_set(e, SM_E_INVALID, field, "product %s: %s", field, why);
}

static int fee_rule_ok(const char *s)
{
    if (strcmp(s, "free") == 0)
        return 1;
    if (strncmp(s, "after:", 6) != 0)
        return 0;
    const char *p = s + 6;
    int parts = 0;
    while (parts < 2) {
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n > 9)
            return 0;
        p += n;
        parts++;
        if (parts == 1) {
            if (*p != ':')
                return 0;
            p++;
        }
    }
    return *p == '\0';
}

static int roots_ok(const char *s)
{
    /* "a", "b", "a,b" or "b,a" */
    return strcmp(s, "a") == 0 || strcmp(s, "b") == 0 || strcmp(s, "a,b") == 0 ||
           strcmp(s, "b,a") == 0;
}

int products_validate(const struct product *p, struct sm_err *e)
{
    size_t n = strlen(p->code);
    if (n == 0 || n >= sizeof p->code ||
        strspn(p->code, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
        return bad(e, "code", "1-31 of [a-z0-9-]");
    if (p->name_ja[0] == '\0' || strnlen(p->name_ja, sizeof p->name_ja) >= sizeof p->name_ja)
        return bad(e, "name_ja", "required, < 128 bytes");
    if (p->name_en[0] == '\0' || strnlen(p->name_en, sizeof p->name_en) >= sizeof p->name_en)
        return bad(e, "name_en", "required, < 128 bytes");
    if (strcmp(p->level, "dv") != 0 && strcmp(p->level, "ov") != 0 && strcmp(p->level, "ev") != 0)
        return bad(e, "level", "dv, ov or ev");
    if (p->term_months < 1 || p->term_months > 120)
        return bad(e, "term_months", "1..120");
    if (p->sans_max < 1 || p->sans_max > 1000 || p->sans_included < 1 ||
        p->sans_included > p->sans_max)
        return bad(e, "sans_max", "1 <= sans_included <= sans_max <= 1000");
    if (!p->multi_domain && p->sans_max != 1)
        return bad(e, "sans_max", "1 unless multi_domain");
    if (p->list_price < 0 || p->extra_san_price < 0)
        return bad(e, "list_price", "not negative");
    if (!fee_rule_ok(p->reissue_fee))
        return bad(e, "reissue_fee", "free or after:DAYS:YEN");
    if (p->review_days_min < 0 || p->review_days_max < p->review_days_min ||
        p->review_days_max > 60)
        return bad(e, "review_days_max", "0 <= min <= max <= 60");
    if (!roots_ok(p->root_options))
        return bad(e, "root_options", "a, b or a,b");
    return 0;
}

int products_has_root(const struct product *p, const char *root)
{
    if (root == NULL || strlen(root) != 1 || (root[0] != 'a' && root[0] != 'b'))
        return 0;
    return strchr(p->root_options, root[0]) != NULL;
}

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

static int audit_product(struct db *db, const struct product *p, int64_t id, const char *actor,
                         const char *action, struct sm_err *e)
{
    json_t *d = json_pack("{s:I, s:s, s:s, s:I, s:I, s:i}", "id", (json_int_t)id, "code", p->code,
                          "level", p->level, "list_price", (json_int_t)p->list_price, "sans_max",
                          (json_int_t)p->sans_max, "active", p->active ? 1 : 0);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (detail == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    char object[64];
    snprintf(object, sizeof object, "product:%lld", (long long)id);
    int rc = audit_append(db, actor, action, object, detail, e);
    free(detail);
    return rc;
}

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

/* Runs body in the caller's transaction or in one of its own. */
static int tx_open(struct db *db, int *own, struct sm_err *e)
{
    *own = !db_in_transaction(db);
    return *own ? db_begin(db, e) : 0;
}

static int tx_close(struct db *db, int own, int rc, struct sm_err *e)
{
    if (!own)
        return rc;
    if (rc == 0)
        return db_commit(db, e);
    db_rollback(db);
    return rc;
}

int products_create(struct db *db, const struct product *p, const char *actor, int64_t *id,
                    struct sm_err *e)
{
    int rc = products_validate(p, e);
    if (rc < 0)
        return rc;
    struct db_val v[18];
    params(p, v);
    v[17] = DBV_INT(clock_now());
    int own;
    int64_t nid = 0;
    rc = tx_open(db, &own, e);
    if (rc < 0)
        return rc;
    rc = db_run(db, &st_insert, v, 18, got_id, &nid, e);
    if (rc == 0 && nid <= 0)
        rc = sm_err_set(e, SM_E_DB, "product", "no id returned");
    if (rc == 0)
        rc = audit_product(db, p, nid, actor, "product.create", e);
    rc = tx_close(db, own, rc, e);
    if (rc == 0 && id != NULL)
        *id = nid;
    return rc;
}

int products_update(struct db *db, const struct product *p, const char *actor, struct sm_err *e)
{
    int rc = products_validate(p, e);
    if (rc < 0)
        return rc;
    struct db_val v[18];
    params(p, v);
    v[17] = DBV_INT(p->id);
    int own;
    rc = tx_open(db, &own, e);
    if (rc < 0)
        return rc;
    rc = db_run(db, &st_update, v, 18, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "product", "no product %lld", (long long)p->id);
    if (rc == 0)
        rc = audit_product(db, p, p->id, actor, "product.update", e);
    return tx_close(db, own, rc, e);
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

/* code, ja, en, level, months, multi, included, max, wildcard, price, extra, fee, min, max */
static const struct product demo[] = {
    {0, "dv-1y", "DV 証明書 1年", "DV certificate, 1 year", "dv", 12, 0, 1, 1, 0, 0, 15000, 0,
     "free", 0, 0, "a,b", 1, 0},
    {0, "ov-1y", "OV 証明書 1年", "OV certificate, 1 year", "ov", 12, 0, 1, 1, 0, 0, 60000, 0,
     "after:30:10000", 1, 5, "a,b", 1, 0},
    {0, "ov-multi-1y", "OV マルチドメイン証明書 1年", "OV multi-domain certificate, 1 year", "ov",
     12, 1, 5, 100, 0, 0, 120000, 12000, "after:30:10000", 1, 5, "a,b", 1, 0},
    {0, "ev-1y", "EV 証明書 1年", "EV certificate, 1 year", "ev", 12, 0, 1, 1, 0, 0, 150000, 0,
     "after:30:10000", 5, 10, "a,b", 1, 0},
    {0, "ov-wildcard-1y", "OV ワイルドカード証明書 1年", "OV wildcard certificate, 1 year", "ov",
     12, 0, 1, 1, 1, 0, 200000, 0, "after:30:10000", 1, 5, "a,b", 1, 0},
};

int products_seed_demo(struct db *db, const char *actor, int *created, struct sm_err *e)
{
    int made = 0, rc = 0;
    for (size_t i = 0; i < sizeof demo / sizeof demo[0] && rc == 0; i++) {
        struct product cur;
        rc = products_get_by_code(db, demo[i].code, &cur, e);
        if (rc == 0)
            continue;
        if (rc != -SM_E_NOTFOUND)
            break;
        sm_err_clear(e);
        rc = products_create(db, &demo[i], actor, NULL, e);
        if (rc == 0)
            made++;
    }
    if (created != NULL)
        *created = made;
    return rc;
}
