/* SPDX-License-Identifier: MIT */
/* Issue 7 item 1 (R-APP-1, R-VAL-1): placing an order through the one door, order_apply,
 * on SQLite and PostgreSQL. A valid application creates the order, its domains, the DCV
 * method asked for, the audit records and the mail in one transaction; a refused one
 * (bad CSR, unknown product, organization of another account, DCV method not allowed for
 * the name or not a name of the application) changes no row of any table it touches and
 * names the field with the core/err code. */
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
#include "core/config.h"
#include "ra/calendar.h"
#include "ra/context.h"
#include "ra/order_apply.h"
#include "ra/product.h"
#include "pki/csr.h"
#include "store/db.h"
#include "store/keyblock.h"
#include "store/orders.h"
#include "store/products.h"
#include "store/users.h"

static char csr_pem[8192];

struct fx {
    char dir[256];
    char url[1024];
    struct db *db;
    struct config *cfg;
    struct ra_ctx ra;
    struct order_env env;
    int64_t org, other_org;
    int64_t org_ids[1];
    struct order_actor customer;
};

static int fx_setup(void **state)
{
    const struct backend *be = *state;
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = dbfx_open(be, "orderapply", f->dir, sizeof f->dir, f->url, sizeof f->url);
    /* a Monday 10:00 in Tokyo, outside the maintenance window */
    clock_set(calendar_tokyo_midnight(2026, 11, 30) + 10 * 3600);
    struct sm_err e = {0};
    int made = 0;
    assert_int_equal(product_seed_demo(f->db, "cli", &made, &e), 0);
    struct org_row a = {
        .kind = "customer", .name_ja = "株式会社エグザンプル", .name_en = "Example"};
    struct org_row b = {.kind = "customer", .name_ja = "他社株式会社", .name_en = "Other"};
    assert_int_equal(org_insert(f->db, &a, &f->org, &e), 0);
    assert_int_equal(org_insert(f->db, &b, &f->other_org, &e), 0);
    f->org_ids[0] = f->org;
    f->customer = (struct order_actor){7, {0, f->org_ids, 1}};
    f->cfg = config_defaults(f->dir[0] ? f->dir : ".");
    assert_non_null(f->cfg);
    assert_int_equal(ra_ctx_init(&f->ra, f->cfg, &e), 0);
    f->env = ra_env(&f->ra, f->db);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    clock_set(0);
    config_free(f->cfg);
    db_close(f->db);
    testdir_remove(f->dir);
    free(f);
    return 0;
}

/* A valid OV application for www.example.co.jp (the CSR's CN). */
static void form(struct appform_in *in)
{
    memset(in, 0, sizeof *in);
    in->kind = "new";
    in->csr = csr_pem;
    in->cn = "www.example.co.jp";
    in->subject_l = "Chiyoda-ku";
    in->subject_st = "Tokyo";
    in->notify_email[0] = "ssl@example.co.jp";
    in->contact = (struct appform_person){.org = "株式会社エグザンプル",
                                          .name = "山田 太郎",
                                          .name_kana = "やまだ たろう",
                                          .postal = "100-0001",
                                          .pref = "東京都",
                                          .city = "千代田区",
                                          .street = "千代田1-1",
                                          .phone = "03-1234-5678",
                                          .email = "yamada@example.co.jp"};
    in->billing_same = 1;
    in->org = (struct appform_org){.name_ja = "株式会社エグザンプル",
                                   .name_en = "Example K.K.",
                                   .building = "なし",
                                   .reg_no = "000012050002",
                                   .rep_name = "何某 大三郎",
                                   .entity_type = "株式会社",
                                   .category = "private",
                                   .postal = "100-0001",
                                   .pref = "東京都",
                                   .city = "千代田区",
                                   .street = "千代田1-1",
                                   .phone = "03-1234-5678"};
    in->resp =
        (struct appform_resp){"何某 花子", "なにがし はなこ", "営業部", "課長", "03-1234-5679"};
}

static int count_row(void *ctx, const struct db_val *cols, int ncols)
{
    *(int64_t *)ctx = ncols > 0 ? cols[0].i : -1;
    return 0;
}

/* Rows of every table placing an order writes. */
#define NTABLES 6
static const char *const tables[NTABLES] = {"orders", "order_domains", "audit_log",
                                            "outbox", "invoices",      "order_counters"};

static void counts(struct fx *f, int64_t *n)
{
    static const struct db_stmt st[NTABLES] = {
        {"t.orders", "SELECT COUNT(*) FROM orders", NULL, NULL},
        {"t.domains", "SELECT COUNT(*) FROM order_domains", NULL, NULL},
        {"t.audit", "SELECT COUNT(*) FROM audit_log", NULL, NULL},
        {"t.outbox", "SELECT COUNT(*) FROM outbox", NULL, NULL},
        {"t.invoices", "SELECT COUNT(*) FROM invoices", NULL, NULL},
        {"t.counters", "SELECT COUNT(*) FROM order_counters", NULL, NULL},
    };
    struct sm_err e = {0};
    for (int i = 0; i < NTABLES; i++) {
        n[i] = -1;
        if (db_run(f->db, &st[i], NULL, 0, count_row, &n[i], &e) < 0)
            fail_msg("count %s: %s", tables[i], e.detail);
    }
}

static void assert_unchanged(struct fx *f, const int64_t *before)
{
    int64_t after[NTABLES];
    counts(f, after);
    for (int i = 0; i < NTABLES; i++)
        if (after[i] != before[i])
            fail_msg("%s: %lld rows before, %lld after", tables[i], (long long)before[i],
                     (long long)after[i]);
}

/* Applies a (with the valid form unless a->form is set) and returns order_apply's code. */
static int apply(struct fx *f, struct order_application *a, struct order_applied *out,
                 struct sm_err *e)
{
    struct appform_in in;
    form(&in);
    if (a->form == NULL)
        a->form = &in;
    int rc = order_apply(&f->env, &f->customer, f->cfg, a, out, e);
    if (a->form == &in)
        a->form = NULL;
    return rc;
}

static void test_order_apply_valid_creates_everything_in_one_transaction(void **state)
{
    struct fx *f = *state;
    int64_t before[NTABLES], after[NTABLES];
    counts(f, before);
    struct order_apply_dcv dcv[] = {{"www.example.co.jp", "http"}};
    struct order_application a = {
        .product = "ov-1y", .org_id = f->org, .dcv = dcv, .ndcv = 1, .idem_key = "apply-1"};
    struct order_applied out;
    struct sm_err e = {0};
    int rc = apply(f, &a, &out, &e);
    if (rc != 0)
        fail_msg("order_apply: %d %s %s", rc, e.field, e.detail);
    assert_int_equal(out.created, 1);
    assert_non_null(out.order);
    assert_string_equal(out.order->state, "awaiting_payment");
    assert_int_equal(out.order->org_id, f->org);
    assert_true(out.form.nnames >= 1);
    counts(f, after);
    assert_int_equal(after[0], before[0] + 1);                        /* the order */
    assert_int_equal(after[1], before[1] + (int64_t)out.form.nnames); /* its domains */
    assert_int_equal(after[2], before[2] + 2); /* order.submitted, order.dcv_method */
    assert_true(after[3] > before[3]);         /* the mail of the submission */
    assert_int_equal(after[4], before[4] + 1); /* the invoice */

    /* the method asked for is set; the other names keep the application's */
    struct order_domain_row *d = NULL;
    size_t n = 0;
    assert_int_equal(order_domains_list(f->db, out.order->id, &d, &n, &e), 0);
    assert_int_equal(n, out.form.nnames);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(d[i].dcv_method,
                            strcmp(d[i].name, "www.example.co.jp") == 0 ? "http" : "dns");
    order_domain_rows_free(d, n);
    int64_t id = out.order->id;
    order_applied_free(&out);

    /* the same key again: the first order, nothing new written */
    assert_int_equal(apply(f, &a, &out, &e), 0);
    assert_int_equal(out.created, 0);
    assert_int_equal(out.order->id, id);
    assert_unchanged(f, after);
    order_applied_free(&out);
}

static void test_order_apply_bad_csr_changes_nothing(void **state)
{
    struct fx *f = *state;
    int64_t before[NTABLES];
    counts(f, before);
    struct appform_in in;
    form(&in);
    in.csr = "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n"
             "-----END CERTIFICATE REQUEST-----\n";
    struct order_application a = {
        .product = "ov-1y", .org_id = f->org, .form = &in, .idem_key = "bad-csr"};
    struct order_applied out;
    struct sm_err e = {0};
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "form");
    assert_int_equal(out.checked, 1);
    assert_true(out.form.nerrors > 0);
    assert_true(appform_has_error(&out.form, "csr", NULL));
    assert_null(out.order);
    order_applied_free(&out);
    assert_unchanged(f, before);
}

/* issue 8 item 23: a CSR whose key is on the compromised-key list is refused through
 * order_apply (the one door of the wizard and the API), naming the CSR, and nothing is
 * written. */
static void test_order_apply_listed_key_refused_changes_nothing(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct csr_info *ci = NULL;
    assert_int_equal(csr_check((const unsigned char *)csr_pem, strlen(csr_pem), NULL, &ci, &e), 0);
    assert_non_null(ci);
    assert_non_null(ci->spki_sha256_hex);
    assert_int_equal(keyblock_add(f->db, ci->spki_sha256_hex, "published private key", "test", &e),
                     0);
    csr_info_free(ci);
    int64_t before[NTABLES];
    counts(f, before);
    struct appform_in in;
    form(&in);
    struct order_application a = {
        .product = "ov-1y", .org_id = f->org, .form = &in, .idem_key = "listed-key"};
    struct order_applied out;
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "form");
    assert_true(appform_has_error(&out.form, "csr", "csr.key.compromised"));
    assert_null(out.order);
    order_applied_free(&out);
    assert_unchanged(f, before);
}

static void test_order_apply_unknown_product_changes_nothing(void **state)
{
    struct fx *f = *state;
    int64_t before[NTABLES];
    counts(f, before);
    struct order_application a = {.product = "no-such", .org_id = f->org, .idem_key = "p"};
    struct order_applied out;
    struct sm_err e = {0};
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "product");
    assert_null(out.order);
    order_applied_free(&out);
    a.product = NULL;
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "product");
    order_applied_free(&out);
    assert_unchanged(f, before);
}

static void test_order_apply_other_accounts_org_changes_nothing(void **state)
{
    struct fx *f = *state;
    int64_t before[NTABLES];
    counts(f, before);
    struct order_application a = {.product = "ov-1y", .org_id = f->other_org, .idem_key = "o"};
    struct order_applied out;
    struct sm_err e = {0};
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "org_id");
    order_applied_free(&out);
    a.org_id = -1; /* not a number in the request */
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "org_id");
    order_applied_free(&out);
    /* staff may apply for any existing organization, not for one that does not exist */
    struct order_actor staff = {9, {1, NULL, 0}};
    struct appform_in in;
    form(&in);
    a.form = &in;
    a.org_id = f->other_org + 1000;
    assert_int_equal(order_apply(&f->env, &staff, f->cfg, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "org_id");
    order_applied_free(&out);
    assert_unchanged(f, before);
}

static void test_order_apply_dcv_method_refused_changes_nothing(void **state)
{
    struct fx *f = *state;
    int64_t before[NTABLES];
    counts(f, before);
    struct order_applied out;
    struct sm_err e = {0};
    /* the constructed e-mail method is off from 2028-03-15 (R-VAL-1) */
    clock_set(calendar_tokyo_midnight(2028, 4, 3) + 10 * 3600);
    struct order_apply_dcv mail[] = {{"www.example.co.jp", "dns"},
                                     {"www.example.co.jp", "email:admin"}};
    struct order_application a = {
        .product = "ov-1y", .org_id = f->org, .dcv = mail, .ndcv = 2, .idem_key = "dcv-1"};
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_DCV_METHOD);
    assert_string_equal(e.field, "dcv_methods");
    assert_int_equal(out.dcv_bad, 1);
    assert_null(out.order);
    order_applied_free(&out);
    assert_unchanged(f, before);

    /* an unknown method, and a name that is not the application's */
    clock_set(calendar_tokyo_midnight(2026, 11, 30) + 10 * 3600);
    struct order_apply_dcv bad[] = {{"www.example.co.jp", "carrier-pigeon"}};
    a.dcv = bad;
    a.ndcv = 1;
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "dcv_methods");
    assert_int_equal(out.dcv_bad, 0);
    order_applied_free(&out);
    struct order_apply_dcv stranger[] = {{"www.example.co.jp", "dns"}, {"example.org", "dns"}};
    a.dcv = stranger;
    a.ndcv = 2;
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "dcv_methods");
    assert_int_equal(out.dcv_bad, 1);
    order_applied_free(&out);
    assert_unchanged(f, before);
}

/* The API's own field errors (kind, notify_emails) refuse a valid form too. */
static void test_order_apply_caller_errors_refuse(void **state)
{
    struct fx *f = *state;
    int64_t before[NTABLES];
    counts(f, before);
    struct order_application a = {
        .product = "ov-1y", .org_id = f->org, .idem_key = "c", .caller_errors = 1};
    struct order_applied out;
    struct sm_err e = {0};
    assert_int_equal(apply(f, &a, &out, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "form");
    assert_int_equal(out.form.nerrors, 0);
    order_applied_free(&out);
    assert_unchanged(f, before);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, fx_teardown, NULL                                                       \
    }

static const struct CMUnitTest table[] = {
    T(test_order_apply_valid_creates_everything_in_one_transaction),
    T(test_order_apply_bad_csr_changes_nothing),
    T(test_order_apply_listed_key_refused_changes_nothing),
    T(test_order_apply_unknown_product_changes_nothing),
    T(test_order_apply_other_accounts_org_changes_nothing),
    T(test_order_apply_dcv_method_refused_changes_nothing),
    T(test_order_apply_caller_errors_refuse),
};

#define NT (sizeof table / sizeof table[0])

int main(void)
{
    FILE *fp = fopen("tests/unit/data/csr/ok_p256.pem", "rb");
    assert_non_null(fp);
    size_t n = fread(csr_pem, 1, sizeof csr_pem - 1, fp);
    fclose(fp);
    csr_pem[n] = '\0';
    return dbfx_run_both("order_apply", table, NT, NULL, 0);
}
