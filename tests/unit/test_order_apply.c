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
#include "ra/review.h"
#include "ra/subscription.h"
#include "pki/csr.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/keyblock.h"
#include "store/orders.h"
#include "store/products.h"
#include "store/subscriptions.h"
#include "store/vetting.h"
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

static const struct db_stmt st_ca = {
    "t.ca",
    "INSERT INTO cas (name, role, level, root, key_ref, key_type, cert_der, subject, ski, "
    "not_before, not_after, created_at) VALUES ('ov-a', 'intermediate', 'ov', 'a', 'file:x', "
    "'ec-p256', $1, 'CN=t', '00', 0, 4000000000, 0) RETURNING id",
    NULL, NULL};

static int got_id(void *ctx, const struct db_val *c, int n)
{
    *(int64_t *)ctx = n > 0 ? db_col_int(&c[0]) : 0;
    return 0;
}

/* Order o issued as certificate serial "5eed01" in a subscription of its product ending 30
 * days from now (its renewal window open), with an "ok" phone check of the organization. */
static int64_t issued_in_subscription(struct fx *f, const struct order_row *o)
{
    struct sm_err e = {0};
    static const unsigned char der[] = {0x30, 0x00};
    struct db_val p[1] = {DBV_BLOB(der, 2)};
    int64_t ca = 0, cert = 0, sub = 0;
    time_t now = clock_now();
    assert_int_equal(db_run(f->db, &st_ca, p, 1, got_id, &ca, &e), 0);
    struct certs_new c = {.serial = "5eed01",
                          .ca_id = ca,
                          .level = "ov",
                          .root = "a",
                          .cn = o->cn,
                          .names_json = o->names,
                          .order_id = o->id,
                          .org_id = o->org_id};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(certs_reserve(f->db, &c, "test/1/1", now, &e), 0);
    assert_int_equal(certs_set_issued(f->db, "5eed01", der, sizeof der, now - 300 * 86400,
                                      now + 30 * 86400, "00", now, &cert, &e),
                     0);
    struct subscription_row s = {0};
    s.org_id = o->org_id;
    s.product_id = o->product_id;
    s.first_order_id = o->id;
    s.starts_at = now - 335 * 86400;
    s.ends_at = now + 30 * 86400;
    assert_int_equal(subscriptions_insert(f->db, &s, now, &sub, &e), 0);
    assert_int_equal(subscription_certs_insert(f->db, sub, o->id, cert, "first", now, &e), 0);
    struct vetting_check_row ph;
    memset(&ph, 0, sizeof ph);
    ph.order_id = o->id;
    ph.org_id = o->org_id;
    snprintf(ph.kind, sizeof ph.kind, "phone");
    snprintf(ph.result, sizeof ph.result, "ok");
    snprintf(ph.source, sizeof ph.source, "NTT 番号案内");
    snprintf(ph.phone, sizeof ph.phone, "03-1234-5679");
    snprintf(ph.phone_source, sizeof ph.phone_source, "NTT 番号案内");
    ph.officer_id = 1;
    ph.at = now - 300 * 86400;
    assert_int_equal(vetting_check_insert(f->db, &ph, NULL, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    return cert;
}

/* R-APP-1 renewal, R-REN-2, R-REN-3, R-REN-5, R-VAL-5 (issue 9 item 2): a renewal through
 * the one door of the wizard and the API (renewal_of) with the previous content is an order
 * of kind renewal of that certificate, linked as the subscription's renewal in progress,
 * and its phone verification is reused (the same applicant data); one that changes the
 * organization name is refused naming it, nothing written; asking again returns the
 * renewal under way; a new application replacing the subscription (replaces) is kind new,
 * linked to the certificate so that its days left carry over at issuance. */
static void test_order_apply_renewal_of_and_replaces(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct order_application a = {.product = "ov-1y", .org_id = f->org, .idem_key = "first"};
    struct order_applied out;
    assert_int_equal(apply(f, &a, &out, &e), 0);
    int64_t cert = issued_in_subscription(f, out.order);
    order_applied_free(&out);

    /* a forbidden change: refused, naming it, nothing written */
    int64_t before[NTABLES];
    counts(f, before);
    struct appform_in in;
    form(&in);
    in.org.name_ja = "株式会社ベツメイ";
    struct order_application r = {.product = "ov-1y",
                                  .org_id = f->org,
                                  .form = &in,
                                  .idem_key = "renew-bad",
                                  .renewal_of = "5eed01"};
    assert_int_equal(apply(f, &r, &out, &e), -SM_E_POLICY);
    assert_string_equal(e.field, "renewal.forbidden");
    assert_string_equal(e.detail, "org.name_ja");
    order_applied_free(&out);
    assert_unchanged(f, before);

    /* another organization's serial: not found */
    struct order_actor stranger = {8, {0, &f->other_org, 1}};
    r.form = NULL;
    r.org_id = f->other_org;
    form(&in);
    r.form = &in;
    assert_int_equal(order_apply(&f->env, &stranger, f->cfg, &r, &out, &e), -SM_E_NOTFOUND);
    order_applied_free(&out);
    r.org_id = f->org;

    /* the same content: a renewal of the certificate, phone verification reused */
    r.idem_key = "renew-ok";
    assert_int_equal(apply(f, &r, &out, &e), 0);
    assert_int_equal(out.created, 1);
    assert_string_equal(out.order->kind, "renewal");
    assert_int_equal(out.order->predecessor_cert_id, cert);
    int64_t ren = out.order->id;
    assert_int_equal(review_phone_reusable(&f->env, out.order, clock_now(), NULL, &e), 1);
    order_applied_free(&out);
    struct subscription_row s = {0};
    assert_int_equal(subscriptions_get_by_cert(f->db, cert, &s, &e), 0);
    assert_int_equal(s.renewal_order_id, ren);
    assert_int_equal(subscription_cert_locked(f->db, cert, &e), 1);
    r.idem_key = "renew-again";
    assert_int_equal(apply(f, &r, &out, &e), 0);
    assert_int_equal(out.created, 0);
    assert_int_equal(out.order->id, ren);
    order_applied_free(&out);
    /* a replacement is refused while the renewal is under way... */
    struct order_application n = {.product = "ov-1y",
                                  .org_id = f->org,
                                  .form = &in,
                                  .idem_key = "replace-1",
                                  .replaces = "5eed01"};
    assert_int_equal(apply(f, &n, &out, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "renewal.pending");
    order_applied_free(&out);
    /* ...and made once it ended: kind new, linked to the certificate it replaces */
    assert_int_equal(order_cancel(&f->env, &f->customer, ren, 0, NULL, &e), 0);
    in.org.name_ja = "株式会社ベツメイ";
    assert_int_equal(apply(f, &n, &out, &e), 0);
    assert_string_equal(out.order->kind, "new");
    assert_int_equal(out.order->predecessor_cert_id, cert);
    assert_int_equal(review_phone_reusable(&f->env, out.order, clock_now(), NULL, &e), 0);
    assert_int_equal(subscriptions_get_by_cert(f->db, cert, &s, &e), 0);
    assert_int_equal(s.renewal_order_id, out.order->id);
    order_applied_free(&out);
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
    T(test_order_apply_renewal_of_and_replaces),
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
