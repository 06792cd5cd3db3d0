/* SPDX-License-Identifier: MIT */
/* issue 7 item 1, R-PRD-1: ra/product is the one door for the product catalog. A bad
 * product is refused with an error naming its field and changes nothing (no row, no audit
 * record); a good one is written with its audit record in one transaction (an audit that
 * fails takes the row with it); a taken code names "code"; the demo catalog is seeded once.
 * Runs on SQLite, and on PostgreSQL too when SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ra/product.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/products.h"

#define T0 1795000000

struct fx {
    char dir[256];
    char url[1024];
    struct db *db;
};

static int fx_setup(void **state)
{
    const struct backend *be = *state;
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = dbfx_open(be, "product", f->dir, sizeof f->dir, f->url, sizeof f->url);
    clock_set(T0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    clock_set(0);
    db_close(f->db);
    testdir_remove(f->dir);
    free(f);
    return 0;
}

static struct product_row good_product(const char *code)
{
    struct product_row p;
    memset(&p, 0, sizeof p);
    snprintf(p.code, sizeof p.code, "%s", code);
    snprintf(p.name_ja, sizeof p.name_ja, "テスト製品");
    snprintf(p.name_en, sizeof p.name_en, "Test product");
    snprintf(p.level, sizeof p.level, "ov");
    p.term_months = 24;
    p.sans_included = p.sans_max = 1;
    p.list_price = 99000;
    snprintf(p.reissue_fee, sizeof p.reissue_fee, "after:30:5000");
    p.review_days_min = 1;
    p.review_days_max = 5;
    snprintf(p.root_options, sizeof p.root_options, "a");
    p.active = 1;
    return p;
}

static int got_int(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

/* The number of rows of the query sql with one text parameter (NULL = none). */
static int64_t count(struct db *db, const char *sql, const char *arg)
{
    const struct db_stmt st = {"test.count", sql, NULL, NULL};
    struct db_val p[1] = {DBV_TEXT(arg ? arg : "")};
    int64_t n = -1;
    struct sm_err e = {0};
    assert_int_equal(db_run(db, &st, p, arg ? 1 : 0, got_int, &n, &e), 0);
    return n;
}

static int64_t products_n(struct db *db)
{
    return count(db, "SELECT COUNT(*) FROM products", NULL);
}

static int64_t audit_n(struct db *db, const char *action)
{
    return count(db, "SELECT COUNT(*) FROM audit_log WHERE action = $1", action);
}

/* issue 7 item 1: every kind of bad product is refused naming its field, on create and on
 * update, and nothing changes: no row, no audit record, the stored product as it was. */
static void test_product_invalid_names_field_nothing_changed(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct product_row good = good_product("ov-2y");
    int64_t id = 0;
    assert_int_equal(product_create(f->db, &good, "user:1", &id, &e), 0);
    static const struct {
        const char *what, *field;
    } bad[] = {{"code", "code"},          {"code_long", "code"},
               {"name_ja", "name_ja"},    {"name_en", "name_en"},
               {"level", "level"},        {"term", "term_months"},
               {"sans", "sans_max"},      {"multi", "sans_max"},
               {"fee", "reissue_fee"},    {"review", "review_days_max"},
               {"roots", "root_options"}, {"price", "list_price"},
               {"extra", "list_price"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct product_row q = good_product("x");
        const char *w = bad[i].what;
        if (!strcmp(w, "code"))
            snprintf(q.code, sizeof q.code, "OV 1Y");
        if (!strcmp(w, "code_long"))
            memset(q.code, 'a', sizeof q.code); /* no terminating NUL */
        if (!strcmp(w, "name_ja"))
            q.name_ja[0] = '\0';
        if (!strcmp(w, "name_en"))
            memset(q.name_en, 'x', sizeof q.name_en);
        if (!strcmp(w, "level"))
            snprintf(q.level, sizeof q.level, "iv");
        if (!strcmp(w, "term"))
            q.term_months = 0;
        if (!strcmp(w, "sans"))
            q.sans_included = 2;
        if (!strcmp(w, "multi"))
            q.sans_max = 5, q.sans_included = 5;
        if (!strcmp(w, "fee"))
            snprintf(q.reissue_fee, sizeof q.reissue_fee, "after:30");
        if (!strcmp(w, "review"))
            q.review_days_min = 6;
        if (!strcmp(w, "roots"))
            snprintf(q.root_options, sizeof q.root_options, "a,c");
        if (!strcmp(w, "price"))
            q.list_price = -1;
        if (!strcmp(w, "extra"))
            q.extra_san_price = -1;
        memset(&e, 0, sizeof e);
        assert_int_equal(product_create(f->db, &q, "user:1", NULL, &e), -SM_E_INVALID);
        assert_string_equal(e.field, bad[i].field);
        q.id = id;
        memset(&e, 0, sizeof e);
        assert_int_equal(product_update(f->db, &q, "user:1", &e), -SM_E_INVALID);
        assert_string_equal(e.field, bad[i].field);
    }
    assert_int_equal(products_n(f->db), 1);
    assert_int_equal(audit_n(f->db, "product.create"), 1);
    assert_int_equal(audit_n(f->db, "product.update"), 0);
    struct product_row got;
    assert_int_equal(products_get(f->db, id, &got, &e), 0);
    assert_string_equal(got.code, "ov-2y");
    assert_int_equal(got.term_months, 24);
    assert_int_equal(got.list_price, 99000);
}

/* issue 7 item 1: a good product is stored with its audit record ("product.create",
 * object product:<id>, the actor) and both commit together. */
static void test_product_create_row_and_audit(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct product_row p = good_product("ov-2y");
    int64_t id = 0;
    assert_int_equal(product_create(f->db, &p, "user:1", &id, &e), 0);
    assert_true(id > 0);
    assert_false(db_in_transaction(f->db));
    struct product_row got;
    assert_int_equal(products_get(f->db, id, &got, &e), 0);
    assert_string_equal(got.name_ja, "テスト製品");
    assert_string_equal(got.reissue_fee, "after:30:5000");
    assert_int_equal(got.created_at, T0);
    char object[64];
    snprintf(object, sizeof object, "product:%lld", (long long)id);
    assert_int_equal(count(f->db,
                           "SELECT COUNT(*) FROM audit_log WHERE action = 'product.create' AND "
                           "actor = 'user:1' AND object = $1",
                           object),
                     1);
    assert_int_equal(audit_verify(f->db, NULL, NULL, 0, &e), 0);
}

/* issue 7 item 1: row and audit record are one transaction: when the audit record cannot
 * be written (an empty actor is refused by the audit log, after the insert ran), the
 * product is not stored either. The same for an update. */
static void test_product_audit_failure_stores_nothing(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct product_row p = good_product("ov-2y");
    assert_int_equal(product_create(f->db, &p, "", NULL, &e), -SM_E_INVALID);
    assert_false(db_in_transaction(f->db));
    assert_int_equal(products_n(f->db), 0);
    assert_int_equal(audit_n(f->db, "product.create"), 0);

    int64_t id = 0;
    assert_int_equal(product_create(f->db, &p, "user:1", &id, &e), 0);
    struct product_row q = p;
    q.id = id;
    q.list_price = 1;
    assert_int_equal(product_update(f->db, &q, "", &e), -SM_E_INVALID);
    struct product_row got;
    assert_int_equal(products_get(f->db, id, &got, &e), 0);
    assert_int_equal(got.list_price, 99000);
    assert_int_equal(audit_n(f->db, "product.update"), 0);
}

/* R-PRD-1: update changes every field with its audit record; an unknown id is not found; a
 * code another product has is a conflict naming "code"; nothing changes on either. */
static void test_product_update_conflict_notfound(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct product_row a = good_product("a-1y"), b = good_product("b-1y");
    int64_t ida = 0, idb = 0;
    assert_int_equal(product_create(f->db, &a, "user:1", &ida, &e), 0);
    assert_int_equal(product_create(f->db, &b, "user:1", &idb, &e), 0);
    memset(&e, 0, sizeof e);
    assert_int_equal(product_create(f->db, &a, "user:1", NULL, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "code");
    assert_int_equal(products_n(f->db), 2);

    struct product_row got;
    assert_int_equal(products_get(f->db, ida, &got, &e), 0);
    got.active = 0;
    got.list_price = 88000;
    snprintf(got.root_options, sizeof got.root_options, "a,b");
    assert_int_equal(product_update(f->db, &got, "user:2", &e), 0);
    assert_int_equal(audit_n(f->db, "product.update"), 1);
    struct product_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(products_list(f->db, 0, &rows, &n, &e), 0);
    assert_int_equal(n, 1); /* the inactive one is hidden */
    free(rows);
    assert_int_equal(products_list(f->db, 1, &rows, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].list_price, 88000);
    assert_true(product_has_root(&rows[0], "b"));
    free(rows);

    snprintf(got.code, sizeof got.code, "b-1y");
    memset(&e, 0, sizeof e);
    assert_int_equal(product_update(f->db, &got, "user:2", &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "code");
    got.id = 9999;
    snprintf(got.code, sizeof got.code, "c-1y");
    assert_int_equal(product_update(f->db, &got, "user:2", &e), -SM_E_NOTFOUND);
    assert_int_equal(audit_n(f->db, "product.update"), 1);
    assert_int_equal(products_get_by_code(f->db, "a-1y", &got, &e), 0);
    assert_int_equal(products_get_by_code(f->db, "c-1y", &got, &e), -SM_E_NOTFOUND);
}

/* R-PRD-1: the demo catalog, once; root options as stored. */
static void test_product_seed_demo_once(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    int made = -1;
    assert_int_equal(product_seed_demo(f->db, "cli", &made, &e), 0);
    assert_int_equal(made, 5);
    assert_int_equal(audit_n(f->db, "product.create"), 5);
    assert_int_equal(product_seed_demo(f->db, "cli", &made, &e), 0);
    assert_int_equal(made, 0); /* idempotent */
    assert_int_equal(products_n(f->db), 5);
    struct product_row multi;
    assert_int_equal(products_get_by_code(f->db, "ov-multi-1y", &multi, &e), 0);
    assert_int_equal(multi.sans_included, 5);
    assert_int_equal(multi.sans_max, 100);
    assert_int_equal(multi.multi_domain, 1);
    assert_true(product_has_root(&multi, "a"));
    assert_true(product_has_root(&multi, "b"));
    assert_false(product_has_root(&multi, "c"));
    assert_false(product_has_root(&multi, "ab"));
    assert_false(product_has_root(&multi, NULL));
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, fx_teardown, NULL                                                       \
    }

static const struct CMUnitTest table[] = {
    T(test_product_invalid_names_field_nothing_changed),
    T(test_product_create_row_and_audit),
    T(test_product_audit_failure_stores_nothing),
    T(test_product_update_conflict_notfound),
    T(test_product_seed_demo_once),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("product", table, NT, NULL, 0); }
