/* SPDX-License-Identifier: MIT */
/* R-PAY-1, R-ACT-1, R-SCL-1: the orders / vetting store (the product rules are
 * tests/unit/test_product.c); orders isolated by organization scope
 * in SQL, listed with states, paging and the officer queue's age order; idempotency keys
 * unique per user; domains replaced keeping validations; the counters behind receipt and
 * invoice numbers unique under concurrent connections. Runs on SQLite, and on PostgreSQL
 * too when SHOMEI_TEST_PG_URL is set (tests/it/store_pg.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/db.h"
#include "store/orders.h"
#include "ra/product.h"
#include "store/products.h"
#include "store/vetting.h"

struct fx {
    char dir[256];
    char url[1024];
    struct db *db;
    int64_t product_id;
};

static int fx_setup(void **state)
{
    const struct backend *be = *state;
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = dbfx_open(be, "orders", f->dir, sizeof f->dir, f->url, sizeof f->url);
    struct sm_err e = {0};
    clock_set(1795000000);
    assert_int_equal(product_seed_demo(f->db, "cli", NULL, &e), 0);
    struct product_row p;
    assert_int_equal(products_get_by_code(f->db, "ov-1y", &p, &e), 0);
    f->product_id = p.id;
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

static int64_t add_order(struct fx *f, int64_t org, int64_t user, const char *key,
                         const char *state, int64_t submitted)
{
    struct sm_err e = {0};
    struct order_row o;
    memset(&o, 0, sizeof o);
    int64_t seq = 0;
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_counter_next(f->db, "R-test", &seq, &e), 0);
    snprintf(o.receipt_no, sizeof o.receipt_no, "R-test-%05lld", (long long)seq);
    snprintf(o.kind, sizeof o.kind, "new");
    snprintf(o.state, sizeof o.state, "%s", state);
    o.product_id = f->product_id;
    o.org_id = org;
    o.created_by = user;
    o.cn = "www.example.co.jp";
    o.names = "[\"www.example.co.jp\"]";
    o.notify_email[0] = "a@example.co.jp";
    o.applicant = "{\"org\":{\"name_ja\":\"株式会社テスト\"}}";
    o.submitted_at = submitted;
    o.idem_key = (char *)key;
    int64_t id = 0;
    int rc = orders_insert(f->db, &o, &id, &e);
    if (rc == 0) {
        assert_int_equal(db_commit(f->db, &e), 0);
        return id;
    }
    db_rollback(f->db);
    assert_int_equal(rc, -SM_E_CONFLICT);
    assert_string_equal(e.field, "idem_key");
    return 0;
}

/* R-ACT-1: every read is limited to the caller's organizations inside the SQL. */
static void test_orders_scope_isolation(void **state)
{
    struct fx *f = *state;
    int64_t a = add_order(f, 1, 10, "k", "vetting", 100);
    int64_t b = add_order(f, 2, 20, "k", "vetting", 200); /* same key, other user: fine */
    assert_true(a > 0 && b > 0);
    assert_int_equal(add_order(f, 1, 10, "k", "vetting", 300), 0); /* same user: refused */
    struct sm_err e = {0};
    struct order_row *o = NULL;
    const int64_t org1[] = {1}, org12[] = {1, 2}, org3[] = {3};
    struct org_scope s1 = {0, org1, 1}, s12 = {0, org12, 2}, s3 = {0, org3, 1};
    struct org_scope none = {0, NULL, 0};
    assert_int_equal(orders_get(f->db, a, &s1, &o, &e), 0);
    assert_string_equal(o->applicant, "{\"org\":{\"name_ja\":\"株式会社テスト\"}}");
    assert_string_equal(o->notify_email[0], "a@example.co.jp");
    assert_null(o->notify_email[1]);
    assert_int_equal(o->version, 1);
    char receipt[32];
    snprintf(receipt, sizeof receipt, "%s", o->receipt_no);
    order_row_free(o);
    assert_int_equal(orders_get(f->db, b, &s1, &o, &e), -SM_E_NOTFOUND);
    assert_null(o);
    assert_int_equal(orders_get(f->db, b, &s12, &o, &e), 0);
    order_row_free(o);
    assert_int_equal(orders_get(f->db, a, &s3, &o, &e), -SM_E_NOTFOUND);
    assert_int_equal(orders_get(f->db, a, &none, &o, &e), -SM_E_NOTFOUND);
    assert_int_equal(orders_get_by_receipt(f->db, receipt, &s3, &o, &e), -SM_E_NOTFOUND);
    assert_int_equal(orders_get_by_receipt(f->db, receipt, &s1, &o, &e), 0);
    assert_int_equal(o->id, a);
    order_row_free(o);
    assert_int_equal(orders_get_by_key(f->db, 10, "k", &o, &e), 0);
    assert_int_equal(o->id, a);
    order_row_free(o);
    struct order_row *rows = NULL;
    size_t n = 0;
    int64_t total = -1;
    struct orders_filter fl = {s1, NULL, 0, 0, ORDERS_SORT_NEWEST, 0, 0};
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, &total, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_null(rows[0].csr_pem);
    order_rows_free(rows, n);
    fl.scope = none;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, &total, &e), 0);
    assert_int_equal(n, 0);
    assert_null(rows);
    fl.scope.n = ORG_SCOPE_MAX + 1;
    fl.scope.org_ids = org1;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, &total, &e), -SM_E_TOO_LARGE);
}

/* The officer queue (R-VAL-7): states filter, oldest submission first, pages. */
static void test_orders_list_queue_paging(void **state)
{
    struct fx *f = *state;
    static const struct {
        int64_t org;
        const char *state;
        int64_t submitted;
    } t[] = {{1, "vetting", 500}, {2, "on_hold", 100}, {3, "vetting", 300},
             {1, "issued", 50},   {2, "vetting", 400}, {3, "awaiting_payment", 10}};
    for (size_t i = 0; i < 6; i++) {
        char key[8];
        snprintf(key, sizeof key, "q%zu", i);
        assert_true(add_order(f, t[i].org, 1, key, t[i].state, t[i].submitted) > 0);
    }
    const char *const review[] = {"vetting", "on_hold"};
    struct orders_filter fl = {ORG_SCOPE_ALL, review, 2, 0, ORDERS_SORT_AGE, 2, 0};
    struct order_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct sm_err e = {0};
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, &total, &e), 0);
    assert_int_equal(total, 4);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].submitted_at, 100);
    assert_int_equal(rows[1].submitted_at, 300);
    order_rows_free(rows, n);
    fl.offset = 2;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, &total, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].submitted_at, 400);
    assert_int_equal(rows[1].submitted_at, 500);
    order_rows_free(rows, n);
    fl.offset = 0;
    fl.org_id = 2;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, &total, &e), 0);
    assert_int_equal(total, 2);
    order_rows_free(rows, n);
    fl.limit = 1001;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, NULL, &e), -SM_E_INVALID);
    fl.limit = 0;
    fl.nstates = 17;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, NULL, &e), -SM_E_INVALID);
}

/* State changes check the version (optimistic locking) and the current state. */
static void test_orders_set_state_version(void **state)
{
    struct fx *f = *state;
    int64_t id = add_order(f, 1, 1, "v", "awaiting_payment", 10);
    struct sm_err e = {0};
    struct orders_state_set set = {.paid_at = 77, .pay_method = "officer"};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_set_state(f->db, id, 2, "awaiting_payment", "vetting", &set, &e),
                     -SM_E_CONFLICT);
    assert_int_equal(orders_set_state(f->db, id, 1, "draft", "vetting", &set, &e), -SM_E_CONFLICT);
    assert_int_equal(orders_set_state(f->db, id, 1, "awaiting_payment", "vetting", &set, &e), 0);
    assert_int_equal(orders_set_invoice(f->db, id, "BILL-202611-00009", 5000, &e), 0);
    assert_int_equal(orders_invoice_paid(f->db, id, 77, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    struct order_row *o = NULL;
    assert_int_equal(orders_get_by_invoice(f->db, "BILL-202611-00009", &o, &e), 0);
    assert_string_equal(o->state, "vetting");
    assert_int_equal(o->version, 2);
    assert_int_equal(o->paid_at, 77);
    assert_string_equal(o->pay_method, "officer");
    order_row_free(o);
    assert_int_equal(orders_get_by_invoice(f->db, "BILL-000000-00000", &o, &e), -SM_E_NOTFOUND);
}

/* Issue 8 item 1: the last issuance refusal (code, time) is kept on the order, read back
 * with it (lists included) and cleared; an unknown order is NOTFOUND. */
static void test_orders_refusal_set_clear(void **state)
{
    struct fx *f = *state;
    int64_t id = add_order(f, 1, 1, "rf", "approved", 10);
    struct sm_err e = {0};
    struct order_row *o = NULL;
    assert_int_equal(orders_get(f->db, id, &ORG_SCOPE_ALL, &o, &e), 0);
    assert_string_equal(o->issue_refusal, "");
    assert_int_equal(o->issue_refused_at, 0);
    order_row_free(o);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_set_refusal(f->db, id, "caa.forbidden", 1800000000, &e), 0);
    assert_int_equal(orders_set_refusal(f->db, id + 1000, "caa.forbidden", 1, &e), -SM_E_NOTFOUND);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(orders_get(f->db, id, &ORG_SCOPE_ALL, &o, &e), 0);
    assert_string_equal(o->issue_refusal, "caa.forbidden");
    assert_int_equal(o->issue_refused_at, 1800000000);
    order_row_free(o);
    static const char *const st[] = {"approved"};
    struct orders_filter fl = {ORG_SCOPE_ALL, st, 1, 0, ORDERS_SORT_AGE, 10, 0};
    struct order_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(orders_list(f->db, &fl, &rows, &n, NULL, &e), 0);
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        seen |= rows[i].id == id && strcmp(rows[i].issue_refusal, "caa.forbidden") == 0;
    assert_true(seen);
    order_rows_free(rows, n);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_set_refusal(f->db, id, NULL, 0, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(orders_get(f->db, id, &ORG_SCOPE_ALL, &o, &e), 0);
    assert_string_equal(o->issue_refusal, "");
    assert_int_equal(o->issue_refused_at, 0);
    order_row_free(o);
}

static void test_orders_domains_replace_keeps_validation(void **state)
{
    struct fx *f = *state;
    int64_t id = add_order(f, 1, 1, "d", "vetting", 10);
    struct sm_err e = {0};
    const char *n1[] = {"www.example.co.jp", "example.co.jp"};
    const char *m1[] = {"http", NULL};
    assert_int_equal(order_domains_replace(f->db, id, n1, m1, 2, &e), 0);
    assert_int_equal(
        order_domains_set_method(f->db, id, "example.co.jp", "email:admin", "rnd123", 999, &e), 0);
    assert_int_equal(order_domains_set_result(f->db, id, "example.co.jp", "validated", 50, "2.1.9",
                                              "{\"txt\":\"ok\"}", &e),
                     0);
    assert_int_equal(
        order_domains_set_result(f->db, id, "nope.example.co.jp", "validated", 50, NULL, NULL, &e),
        -SM_E_NOTFOUND);
    assert_int_equal(
        order_domains_set_result(f->db, id, "example.co.jp", "great", 50, NULL, NULL, &e),
        -SM_E_INVALID);
    const char *n2[] = {"example.co.jp", "shop.example.co.jp"};
    assert_int_equal(order_domains_replace(f->db, id, n2, NULL, 2, &e), 0);
    struct order_domain_row *d = NULL;
    size_t n = 0;
    assert_int_equal(order_domains_list(f->db, id, &d, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].name, "example.co.jp");
    assert_string_equal(d[0].state, "validated");
    assert_string_equal(d[0].dcv_method, "email:admin");
    assert_string_equal(d[0].random_value, "rnd123");
    assert_string_equal(d[0].br_version, "2.1.9");
    assert_string_equal(d[0].evidence, "{\"txt\":\"ok\"}");
    assert_int_equal(d[0].validated_at, 50);
    assert_string_equal(d[1].name, "shop.example.co.jp");
    assert_string_equal(d[1].state, "pending");
    assert_string_equal(d[1].dcv_method, "dns");
    assert_null(d[1].random_value);
    order_domain_rows_free(d, n);
}

static void test_vetting_checks_last_ok(void **state)
{
    struct fx *f = *state;
    int64_t id = add_order(f, 5, 1, "c", "vetting", 10);
    struct sm_err e = {0};
    static const struct {
        const char *kind, *result;
        int64_t at;
    } t[] = {{"phone", "ok", 100},
             {"phone", "ng", 200},
             {"phone", "ok", 300},
             {"registry", "ok", 400},
             {"phone", "ok", 900}};
    for (size_t i = 0; i < 5; i++) {
        struct vetting_check_row c;
        memset(&c, 0, sizeof c);
        c.order_id = id;
        c.org_id = 5;
        snprintf(c.kind, sizeof c.kind, "%s", t[i].kind);
        snprintf(c.result, sizeof c.result, "%s", t[i].result);
        snprintf(c.source, sizeof c.source, "src");
        snprintf(c.phone, sizeof c.phone, "03-0000-0000");
        c.officer_id = 9;
        c.at = t[i].at;
        assert_int_equal(vetting_check_insert(f->db, &c, NULL, &e), 0);
    }
    struct vetting_check_row got;
    assert_int_equal(vetting_check_last_ok(f->db, 5, "phone", 800, &got, &e), 0);
    assert_int_equal(got.at, 300);
    assert_string_equal(got.phone, "03-0000-0000");
    assert_int_equal(vetting_check_last_ok(f->db, 5, "phone", 99, &got, &e), -SM_E_NOTFOUND);
    assert_int_equal(vetting_check_last_ok(f->db, 6, "phone", 1000, &got, &e), -SM_E_NOTFOUND);
    struct vetting_check_row *v = NULL;
    size_t n = 0;
    assert_int_equal(vetting_checks_list(f->db, id, &v, &n, &e), 0);
    assert_int_equal(n, 5);
    assert_string_equal(v[1].result, "ng");
    free(v);
}

struct worker {
    const char *url, *dir;
    int64_t got[25];
    int failures;
};

static void *counter_worker(void *arg)
{
    struct worker *w = arg;
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(w->url, w->dir, &db, &e) < 0) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < 25; i++) {
        int rc = db_begin(db, &e);
        if (rc == 0)
            rc = orders_counter_next(db, "BILL-202611", &w->got[i], &e);
        if (rc == 0)
            rc = db_commit(db, &e);
        if (rc < 0) {
            db_rollback(db);
            w->failures++;
        }
    }
    db_close(db);
    return NULL;
}

/* R-PAY-1, R-SCL-1: invoice sequences stay unique and gap-free across connections. */
static void test_orders_counter_concurrent(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    int64_t v = 0;
    assert_int_equal(orders_counter_next(f->db, "x", &v, &e), -SM_E_INTERNAL); /* no tx */
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].url = f->url;
        w[i].dir = f->dir;
        assert_int_equal(pthread_create(&th[i], NULL, counter_worker, &w[i]), 0);
    }
    int seen[101] = {0};
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
        for (int k = 0; k < 25; k++) {
            assert_true(w[i].got[k] >= 1 && w[i].got[k] <= 100);
            seen[w[i].got[k]]++;
        }
    }
    for (int k = 1; k <= 100; k++)
        assert_int_equal(seen[k], 1);
    /* a rolled-back number is given out again */
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_counter_next(f->db, "BILL-202611", &v, &e), 0);
    assert_int_equal(v, 101);
    db_rollback(f->db);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_counter_next(f->db, "BILL-202611", &v, &e), 0);
    assert_int_equal(v, 101);
    assert_int_equal(orders_counter_next(f->db, "BILL-202612", &v, &e), 0);
    assert_int_equal(v, 1);
    assert_int_equal(db_commit(f->db, &e), 0);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, fx_teardown, NULL                                                       \
    }

static const struct CMUnitTest table[] = {
    T(test_orders_scope_isolation),
    T(test_orders_list_queue_paging),
    T(test_orders_set_state_version),
    T(test_orders_refusal_set_clear),
    T(test_orders_domains_replace_keeps_validation),
    T(test_vetting_checks_last_ok),
    T(test_orders_counter_concurrent),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("orders_store", table, NT, NULL, 0); }
