/* SPDX-License-Identifier: MIT */
/* R-APP-1, R-APP-7, R-PAY-1, R-VAL-4..7, R-CAL-1: the order state machine on SQLite —
 * every allowed and forbidden transition with its audit record, idempotent create
 * (double submission), re-application before issuance, receipt and invoice numbers per
 * Tokyo day / month, payment by officer and by HMAC-signed callback, organization checks,
 * phone-verification reuse by date (R-VAL-5), hold / NG / approve, document sniffing and
 * limits, expected completion in business days with holidays, isolation by scope. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "ra/calendar.h"
#include "ra/order.h"
#include "ra/payment.h"
#include "ra/product.h"
#include "ra/review.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/orders.h"
#include "store/products.h"

static char *csr_pem;

struct fx {
    char dir[256];
    struct db *db;
    struct order_env env;
    struct order_hooks hooks;
    struct product_row ov, dv;
    int hook_calls;
    char last_event[48];
    int fail_hook;
};

static int hook(void *arg, struct db *db, const struct order_row *o, const char *event,
                const char *detail, struct sm_err *e)
{
    struct fx *f = arg;
    (void)db;
    (void)detail;
    assert_non_null(o->receipt_no);
    f->hook_calls++;
    snprintf(f->last_event, sizeof f->last_event, "%s", event);
    if (f->fail_hook)
        return sm_err_set(e, SM_E_IO, "mail", "hook refused");
    return 0;
}

static time_t jst(int y, int m, int d, int h, int mi)
{
    return calendar_tokyo_midnight(y, m, d) + h * 3600 + mi * 60;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(testdir_make(f->dir, sizeof f->dir, "testorder"), 0);
    struct sm_err e = {0};
    assert_int_equal(db_open("sqlite:o.db", f->dir, &f->db, &e), 0);
    assert_int_equal(db_migrate(f->db, &e), 0);
    clock_set(jst(2026, 11, 30, 10, 0)); /* a Monday, outside maintenance */
    int made = 0;
    assert_int_equal(product_seed_demo(f->db, "cli", &made, &e), 0);
    assert_int_equal(made, 5);
    assert_int_equal(products_get_by_code(f->db, "ov-1y", &f->ov, &e), 0);
    assert_int_equal(products_get_by_code(f->db, "dv-1y", &f->dv, &e), 0);
    f->hooks = (struct order_hooks){hook, f};
    f->env = (struct order_env){f->db, &f->hooks, NULL, 1024, "s3cret", NULL};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    clock_set(0);
    db_close(f->db);
    testdir_remove(f->dir);
    free(f);
    return 0;
}

static const struct order_actor customer = {7, {0, (const int64_t[]){100}, 1}};
static const struct order_actor officer = {9, {1, NULL, 0}};

/* A valid OV (or DV) application for www.example.co.jp. */
static const char *form_email2; /* second notification address of the next form() */

static void form(const struct product_row *p, const char *cn, struct appform_result *r)
{
    struct appform_in in;
    memset(&in, 0, sizeof in);
    in.kind = "new";
    in.csr = csr_pem;
    in.cn = cn;
    in.subject_l = "Chiyoda-ku";
    in.subject_st = "Tokyo";
    in.notify_email[0] = form_email2 ? "new@example.co.jp" : "ssl@example.co.jp";
    in.notify_email[1] = form_email2;
    in.remarks = "二回目";
    in.contact = (struct appform_person){"株式会社エグザンプル",
                                         NULL,
                                         "山田 太郎",
                                         "やまだ たろう",
                                         "100-0001",
                                         "東京都",
                                         "千代田区",
                                         "千代田1-1",
                                         NULL,
                                         "03-1234-5678",
                                         "yamada@example.co.jp"};
    in.billing_same = 1;
    in.org = (struct appform_org){"株式会社エグザンプル",
                                  "Example K.K.",
                                  "なし",
                                  "000012050002",
                                  "何某 大三郎",
                                  "株式会社",
                                  NULL,
                                  "private",
                                  "100-0001",
                                  "東京都",
                                  "千代田区",
                                  "千代田1-1",
                                  "03-1234-5678",
                                  NULL,
                                  NULL,
                                  NULL};
    in.resp =
        (struct appform_resp){"何某 花子", "なにがし はなこ", "営業部", "課長", "03-1234-5679"};
    struct sm_err e = {0};
    assert_int_equal(appform_check(&in, p, clock_now(), r, &e), 0);
    assert_int_equal(r->nerrors, 0);
}

static struct order_row *create(struct fx *f, const struct product_row *p, const char *key,
                                int draft, int *created)
{
    struct appform_result r;
    form(p, "www.example.co.jp", &r);
    struct order_new n = {.org_id = 100,
                          .product = p,
                          .kind = "new",
                          .idem_key = key,
                          .form = &r,
                          .draft = draft,
                          .pay_method = "invoice",
                          .amount = -1};
    struct order_row *o = NULL;
    struct sm_err e = {0};
    int rc = order_create(&f->env, &customer, &n, &o, created, &e);
    if (rc != 0)
        fail_msg("order_create: %d %s %s", rc, e.field, e.detail);
    appform_result_free(&r);
    return o;
}

static int64_t audit_records(struct fx *f)
{
    int64_t n = -1;
    struct sm_err e = {0};
    assert_int_equal(audit_verify_count(f->db, &n, NULL, NULL, 0, &e), 0);
    return n;
}

/* Puts an order into any state directly (the store does not check edges). */
static void force_state(struct fx *f, int64_t id, enum order_state s)
{
    struct order_row *o = NULL;
    struct sm_err e = {0};
    assert_int_equal(orders_get(f->db, id, &ORG_SCOPE_ALL, &o, &e), 0);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(
        orders_set_state(f->db, id, o->version, o->state, order_state_name(s), NULL, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    order_row_free(o);
}

static void test_order_transition_every_edge(void **state)
{
    struct fx *f = *state;
    int allowed = 0, refused = 0;
    for (int from = 0; from < ORDER__NSTATES; from++)
        for (int to = 0; to < ORDER__NSTATES; to++) {
            char key[32];
            snprintf(key, sizeof key, "edge-%d-%d", from, to);
            struct order_row *o = create(f, &f->dv, key, 1, NULL);
            if (from != ORDER_DRAFT)
                force_state(f, o->id, (enum order_state)from);
            int64_t before = audit_records(f);
            int calls = f->hook_calls;
            struct sm_err e = {0};
            int rc =
                order_transition(&f->env, &officer, o->id, 0, (enum order_state)to, "test", &e);
            struct order_row *after = NULL;
            assert_int_equal(orders_get(f->db, o->id, &ORG_SCOPE_ALL, &after, &e), 0);
            if (order_edge_allowed((enum order_state)from, (enum order_state)to)) {
                assert_int_equal(rc, 0);
                assert_string_equal(after->state, order_state_name((enum order_state)to));
                assert_int_equal(audit_records(f), before + 1);
                assert_int_equal(f->hook_calls, calls + 1);
                assert_string_equal(f->last_event, "order.test");
                allowed++;
            } else {
                assert_int_equal(rc, -SM_E_CONFLICT);
                assert_string_equal(e.field, "state");
                assert_string_equal(order_err_key(&e), "order.err.state");
                assert_string_equal(after->state, order_state_name((enum order_state)from));
                assert_int_equal(audit_records(f), before);
                refused++;
            }
            order_row_free(after);
            order_row_free(o);
        }
    assert_int_equal(allowed, 13); /* approved -> vetting: issue 8 item 21 */
    assert_int_equal(refused, ORDER__NSTATES * ORDER__NSTATES - 13);
    /* the final states have no way out */
    for (int to = 0; to < ORDER__NSTATES; to++) {
        assert_false(order_edge_allowed(ORDER_ISSUED, (enum order_state)to));
        assert_false(order_edge_allowed(ORDER_REJECTED, (enum order_state)to));
        assert_false(order_edge_allowed(ORDER_CANCELLED, (enum order_state)to));
    }
}

/* Optimistic locking and a failing mail hook both leave the order as it was. */
static void test_order_transition_stale_version_and_hook_failure(void **state)
{
    struct fx *f = *state;
    struct order_row *o = create(f, &f->dv, "k1", 0, NULL);
    struct sm_err e = {0};
    assert_int_equal(order_transition(&f->env, &officer, o->id, o->version + 1, ORDER_CANCELLED,
                                      "cancelled", &e),
                     -SM_E_STALE);
    assert_string_equal(order_err_key(&e), "order.err.stale");
    f->fail_hook = 1;
    int64_t before = audit_records(f);
    assert_int_equal(order_cancel(&f->env, &customer, o->id, o->version, "mistake", &e), -SM_E_IO);
    assert_int_equal(audit_records(f), before);
    f->fail_hook = 0;
    assert_int_equal(order_cancel(&f->env, &customer, o->id, o->version, "mistake", &e), 0);
    struct order_row *c = NULL;
    assert_int_equal(orders_get(f->db, o->id, &ORG_SCOPE_ALL, &c, &e), 0);
    assert_string_equal(c->state, "cancelled");
    assert_string_equal(c->decision_note, "mistake");
    assert_int_equal(c->version, o->version + 1);
    order_row_free(c);
    order_row_free(o);
}

/* Double submission of the same form creates one order (bad input of the wizard). */
static void test_order_create_idempotent(void **state)
{
    struct fx *f = *state;
    int created = -1;
    struct order_row *a = create(f, &f->ov, "form-123", 0, &created);
    assert_int_equal(created, 1);
    int64_t records = audit_records(f);
    struct order_row *b = create(f, &f->ov, "form-123", 0, &created);
    assert_int_equal(created, 0);
    assert_int_equal(a->id, b->id);
    assert_string_equal(a->receipt_no, b->receipt_no);
    assert_int_equal(audit_records(f), records);
    struct order_row *c = create(f, &f->ov, "form-124", 0, &created);
    assert_int_equal(created, 1);
    assert_true(c->id != a->id);
    assert_string_equal(a->state, "awaiting_payment");
    assert_string_equal(a->receipt_no, "R20261130-00001");
    assert_string_equal(c->receipt_no, "R20261130-00002");
    assert_string_equal(a->invoice_no, "BILL-202611-00001");
    assert_string_equal(c->invoice_no, "BILL-202611-00002");
    assert_int_equal(a->amount, 60000);
    struct order_domain_row *d = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    assert_int_equal(order_domains_list(f->db, a->id, &d, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].name, "www.example.co.jp");
    assert_string_equal(d[1].name, "example.co.jp");
    assert_string_equal(d[0].state, "pending");
    order_domain_rows_free(d, n);
    order_row_free(a);
    order_row_free(b);
    order_row_free(c);
}

/* Receipt numbers per Tokyo day, invoice numbers per Tokyo month (BILL-YYYYMM-NNNNN). */
static void test_order_numbers_per_tokyo_day_and_month(void **state)
{
    struct fx *f = *state;
    clock_set(jst(2026, 11, 30, 23, 59)); /* 14:59 UTC */
    struct order_row *a = create(f, &f->dv, "n1", 0, NULL);
    clock_set(jst(2026, 12, 1, 0, 1)); /* still 2026-11-30 in UTC */
    struct order_row *b = create(f, &f->dv, "n2", 0, NULL);
    struct order_row *c = create(f, &f->dv, "n3", 0, NULL);
    assert_string_equal(a->receipt_no, "R20261130-00001");
    assert_string_equal(a->invoice_no, "BILL-202611-00001");
    assert_string_equal(b->receipt_no, "R20261201-00001");
    assert_string_equal(b->invoice_no, "BILL-202612-00001");
    assert_string_equal(c->invoice_no, "BILL-202612-00002");
    /* a draft gets its invoice number when submitted */
    struct order_row *d = create(f, &f->dv, "n4", 1, NULL);
    assert_string_equal(d->invoice_no, "");
    assert_string_equal(d->state, "draft");
    struct sm_err e = {0};
    assert_int_equal(order_submit(&f->env, &customer, d->id, d->version, &e), 0);
    struct order_row *d2 = NULL;
    assert_int_equal(orders_get(f->db, d->id, &ORG_SCOPE_ALL, &d2, &e), 0);
    assert_string_equal(d2->invoice_no, "BILL-202612-00003");
    assert_string_equal(d2->state, "awaiting_payment");
    assert_int_equal(d2->submitted_at, clock_now());
    order_row_free(a);
    order_row_free(b);
    order_row_free(c);
    order_row_free(d);
    order_row_free(d2);
}

/* R-APP-7: submissions refused in the maintenance window; drafts and reading work. */
static void test_order_create_refused_in_maintenance(void **state)
{
    struct fx *f = *state;
    clock_set(jst(2026, 11, 25, 21, 0));
    struct appform_result r;
    form(&f->dv, "www.example.co.jp", &r);
    struct order_new n = {.org_id = 100,
                          .product = &f->dv,
                          .kind = "new",
                          .idem_key = "m1",
                          .form = &r,
                          .amount = -1};
    struct order_row *o = NULL;
    struct sm_err e = {0};
    assert_int_equal(order_create(&f->env, &customer, &n, &o, NULL, &e), -SM_E_MAINTENANCE);
    assert_string_equal(order_err_key(&e), "order.err.maintenance");
    assert_null(o);
    n.draft = 1;
    assert_int_equal(order_create(&f->env, &customer, &n, &o, NULL, &e), 0);
    assert_int_equal(order_submit(&f->env, &customer, o->id, o->version, &e), -SM_E_MAINTENANCE);
    clock_set(jst(2026, 11, 26, 8, 0));
    assert_int_equal(order_submit(&f->env, &customer, o->id, o->version, &e), 0);
    order_row_free(o);
    appform_result_free(&r);
}

/* Re-application (再申請): editing before issuance only; new names get pending rows. */
static void test_order_reapply_before_issuance_only(void **state)
{
    struct fx *f = *state;
    struct order_row *o = create(f, &f->ov, "r1", 0, NULL);
    struct sm_err e = {0};
    assert_int_equal(order_confirm_payment(&f->env, &officer, o->id, "officer", &e), 0);
    assert_int_equal(order_domains_set_result(f->db, o->id, "www.example.co.jp", "validated",
                                              clock_now(), "2.1.9", "{}", &e),
                     0);
    struct appform_result r;
    form_email2 = "two@example.co.jp";
    form(&f->ov, "example.co.jp", &r);
    form_email2 = NULL;
    assert_int_equal(order_reapply(&f->env, &customer, o->id, o->version, &r, NULL, &e),
                     -SM_E_STALE); /* payment moved the version on */
    struct order_row *cur = NULL;
    assert_int_equal(orders_get(f->db, o->id, &customer.scope, &cur, &e), 0);
    assert_int_equal(order_reapply(&f->env, &customer, o->id, cur->version, &r, NULL, &e), 0);
    struct order_row *after = NULL;
    assert_int_equal(orders_get(f->db, o->id, &customer.scope, &after, &e), 0);
    assert_string_equal(after->cn, "example.co.jp");
    assert_string_equal(after->notify_email[0], "new@example.co.jp");
    assert_string_equal(after->notify_email[1], "two@example.co.jp");
    assert_null(after->notify_email[2]);
    assert_string_equal(after->remarks, "二回目");
    assert_non_null(strstr(after->csr_pem, "BEGIN CERTIFICATE REQUEST"));
    assert_string_equal(after->state, "vetting");
    struct order_domain_row *d = NULL;
    size_t n = 0;
    assert_int_equal(order_domains_list(f->db, o->id, &d, &n, &e), 0);
    assert_int_equal(n, 1); /* www.example.co.jp dropped */
    assert_string_equal(d[0].name, "example.co.jp");
    order_domain_rows_free(d, n);
    force_state(f, o->id, ORDER_APPROVED);
    order_row_free(after);
    assert_int_equal(orders_get(f->db, o->id, &customer.scope, &after, &e), 0);
    assert_int_equal(order_reapply(&f->env, &customer, o->id, after->version, &r, NULL, &e),
                     -SM_E_CONFLICT);
    assert_string_equal(e.field, "state");
    /* another organization's customer sees nothing */
    struct order_actor other = {8, {0, (const int64_t[]){200}, 1}};
    assert_int_equal(order_cancel(&f->env, &other, o->id, 0, NULL, &e), -SM_E_NOTFOUND);
    appform_result_free(&r);
    order_row_free(o);
    order_row_free(cur);
    order_row_free(after);
}

/* "sha256=" + the hex HMAC-SHA256 of body under key (the documented header form). */
static void hmac_hex(const char *key, const char *body, char out[72])
{
    unsigned char md[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), md, &n);
    memcpy(out, "sha256=", 7);
    for (int i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* RFC 4231 test case 2 and the usual ways to get a signature wrong; the documented form
 * "sha256=<hex>" only: the bare hex is refused (R-PAY-1, issue 8 item 18). */
static void test_order_payment_verify(void **state)
{
    (void)state;
    const char *body = "what do ya want for nothing?";
    const char *sig = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const unsigned char *b = (const unsigned char *)body;
    size_t n = strlen(body);
    struct sm_err e = {0};
    assert_int_equal(order_payment_verify("Jefe", b, n, sig, &e), 0);
    assert_int_equal(order_payment_verify("Jefe", b, n,
                                          "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739"
                                          "839DEC58B964EC3843",
                                          &e),
                     0);
    static const char *const bad[] = {
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", /* no prefix */
        "SHA256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3844",
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec38",
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843a",
        "sha256=zbdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "",
        "sha256="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(order_payment_verify("Jefe", b, n, bad[i], &e), -SM_E_FORBIDDEN);
    assert_int_equal(order_payment_verify("Jefe", b, n - 1, sig, &e), -SM_E_FORBIDDEN);
    assert_int_equal(order_payment_verify("jefe", b, n, sig, &e), -SM_E_FORBIDDEN);
    assert_int_equal(order_payment_verify("", b, n, sig, &e), -SM_E_FORBIDDEN);
    assert_int_equal(order_payment_verify(NULL, b, n, sig, &e), -SM_E_FORBIDDEN);
    assert_int_equal(order_payment_verify("Jefe", b, n, NULL, &e), -SM_E_FORBIDDEN);
    assert_string_equal(order_err_key(&e), "order.err.payment_signature");
}

/* R-PAY-1: the callback confirms the invoice's order once; card orders are paid at once. */
static void test_order_payment_callback(void **state)
{
    struct fx *f = *state;
    struct order_row *o = create(f, &f->ov, "p1", 0, NULL);
    char body[128], sig[72];
    snprintf(body, sizeof body, "{\"invoice_no\":\"%s\",\"amount\":59999}", o->invoice_no);
    hmac_hex("s3cret", body, sig);
    struct sm_err e = {0};
    int64_t id = 0;
    const unsigned char *b = (const unsigned char *)body;
    assert_int_equal(order_payment_callback(&f->env, b, strlen(body), sig, &id, &e), -SM_E_INVALID);
    assert_string_equal(order_err_key(&e), "order.err.payment_amount");
    snprintf(body, sizeof body, "{\"invoice_no\":\"%s\",\"amount\":60000}", o->invoice_no);
    assert_int_equal(order_payment_callback(&f->env, b, strlen(body), sig, &id, &e),
                     -SM_E_FORBIDDEN); /* the signature was for the other body */
    hmac_hex("s3cret", body, sig);
    assert_int_equal(order_payment_callback(&f->env, b, strlen(body), sig, &id, &e), 0);
    assert_int_equal(id, o->id);
    int64_t records = audit_records(f);
    assert_int_equal(order_payment_callback(&f->env, b, strlen(body), sig, &id, &e), 0);
    assert_int_equal(audit_records(f), records); /* a repeated callback changes nothing */
    struct order_row *p = NULL;
    assert_int_equal(orders_get(f->db, o->id, &ORG_SCOPE_ALL, &p, &e), 0);
    assert_string_equal(p->state, "vetting");
    assert_string_equal(p->pay_method, "callback");
    assert_int_equal(p->paid_at, clock_now());
    order_row_free(p);
    snprintf(body, sizeof body, "{\"invoice_no\":\"BILL-209901-00001\",\"amount\":1}");
    hmac_hex("s3cret", body, sig);
    assert_int_equal(order_payment_callback(&f->env, b, strlen(body), sig, &id, &e),
                     -SM_E_NOTFOUND);
    snprintf(body, sizeof body, "not json");
    hmac_hex("s3cret", body, sig);
    assert_int_equal(order_payment_callback(&f->env, b, strlen(body), sig, &id, &e), -SM_E_INVALID);
    /* credit card: vetting right away */
    struct appform_result r;
    form(&f->dv, "www.example.co.jp", &r);
    struct order_new n = {.org_id = 100,
                          .product = &f->dv,
                          .kind = "new",
                          .idem_key = "card1",
                          .form = &r,
                          .pay_method = "card",
                          .amount = -1};
    struct order_row *c = NULL;
    assert_int_equal(order_create(&f->env, &customer, &n, &c, NULL, &e), 0);
    assert_string_equal(c->state, "vetting");
    assert_string_equal(c->pay_method, "card");
    appform_result_free(&r);
    order_row_free(c);
    order_row_free(o);
}

static void check_ok(struct fx *f, int64_t id, const char *kind, const char *result)
{
    struct vetting_check_row c;
    memset(&c, 0, sizeof c);
    snprintf(c.kind, sizeof c.kind, "%s", kind);
    snprintf(c.result, sizeof c.result, "%s", result);
    snprintf(c.source, sizeof c.source, "登記情報提供サービス");
    if (strcmp(kind, "phone") == 0) {
        snprintf(c.phone, sizeof c.phone, "03-1234-5678");
        snprintf(c.phone_source, sizeof c.phone_source, "NTT 番号案内");
    }
    struct sm_err e = {0};
    if (review_record_check(&f->env, &officer, id, &c, NULL, &e) != 0)
        fail_msg("record %s: %s %s", kind, e.field, e.detail);
}

/* R-VAL-4, R-VAL-7: approval needs validated domains and every check; NG needs a reason. */
static void test_order_review_approve_reject_hold(void **state)
{
    struct fx *f = *state;
    struct order_row *o = create(f, &f->ov, "v1", 0, NULL);
    struct sm_err e = {0};
    struct vetting_check_row bad;
    memset(&bad, 0, sizeof bad);
    snprintf(bad.kind, sizeof bad.kind, "registry");
    snprintf(bad.result, sizeof bad.result, "ok");
    snprintf(bad.source, sizeof bad.source, "x");
    assert_int_equal(review_record_check(&f->env, &officer, o->id, &bad, NULL, &e),
                     -SM_E_CONFLICT); /* not paid yet */
    assert_int_equal(order_confirm_payment(&f->env, &officer, o->id, "officer", &e), 0);
    snprintf(bad.kind, sizeof bad.kind, "phone");
    assert_int_equal(review_record_check(&f->env, &officer, o->id, &bad, NULL, &e), -SM_E_INVALID);
    assert_string_equal(order_err_key(&e), "order.err.phone");
    snprintf(bad.kind, sizeof bad.kind, "guess");
    assert_int_equal(review_record_check(&f->env, &officer, o->id, &bad, NULL, &e), -SM_E_INVALID);
    assert_int_equal(review_approve(&f->env, &officer, o->id, 0, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "domains");
    assert_int_equal(order_domains_set_result(f->db, o->id, "www.example.co.jp", "validated",
                                              clock_now(), "2.1.9", NULL, &e),
                     0);
    assert_int_equal(order_domains_set_result(f->db, o->id, "example.co.jp", "validated",
                                              clock_now(), "2.1.9", NULL, &e),
                     0);
    check_ok(f, o->id, "registry", "ok");
    check_ok(f, o->id, "phone", "ng");
    assert_int_equal(review_approve(&f->env, &officer, o->id, 0, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "checks");
    assert_string_equal(e.detail, "name_match,domain_owner,phone");
    /* hold with a document request, upload, resume */
    const char *kinds[] = {"phone_bill"};
    assert_int_equal(review_hold(&f->env, &officer, o->id, 0, kinds, 1, "", &e), -SM_E_INVALID);
    assert_int_equal(review_hold(&f->env, &officer, o->id, 0, kinds, 1,
                                 "電話料金請求書のコピーをアップロードしてください。", &e),
                     0);
    assert_string_equal(f->last_event, "order.hold");
    static const unsigned char pdf[] = "%PDF-1.7\n...";
    assert_int_equal(review_upload(&f->env, &customer, o->id, "phone_bill", "bill.pdf", pdf,
                                   sizeof pdf - 1, NULL, &e),
                     0);
    struct doc_request_row *rq = NULL;
    size_t nrq = 0;
    assert_int_equal(vetting_docreqs_list(f->db, o->id, &rq, &nrq, &e), 0);
    assert_int_equal(nrq, 1);
    assert_true(rq[0].fulfilled_at > 0);
    free(rq);
    assert_int_equal(review_approve(&f->env, &officer, o->id, 0, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "state"); /* on hold */
    assert_int_equal(review_resume(&f->env, &officer, o->id, 0, &e), 0);
    check_ok(f, o->id, "name_match", "ok");
    check_ok(f, o->id, "domain_owner", "ok");
    check_ok(f, o->id, "phone", "ok");
    assert_int_equal(review_approve(&f->env, &officer, o->id, 0, &e), 0);
    /* NG needs a reason that says something */
    struct order_row *o2 = create(f, &f->ov, "v2", 0, NULL);
    assert_int_equal(order_confirm_payment(&f->env, &officer, o2->id, "officer", &e), 0);
    assert_int_equal(review_reject(&f->env, &officer, o2->id, 0, "", &e), -SM_E_INVALID);
    assert_int_equal(review_reject(&f->env, &officer, o2->id, 0, " \n ", &e), -SM_E_INVALID);
    assert_string_equal(order_err_key(&e), "order.err.reason_required");
    assert_int_equal(review_reject(&f->env, &officer, o2->id, 0, "実在性を確認できません", &e), 0);
    assert_string_equal(f->last_event, "order.rejected");
    /* a third order goes all the way to approved and issued */
    struct order_row *o3 = create(f, &f->ov, "v3", 0, NULL);
    assert_int_equal(order_confirm_payment(&f->env, &officer, o3->id, "officer", &e), 0);
    assert_int_equal(order_domains_set_result(f->db, o3->id, "www.example.co.jp", "validated",
                                              clock_now(), "2.1.9", NULL, &e),
                     0);
    assert_int_equal(order_domains_set_result(f->db, o3->id, "example.co.jp", "validated",
                                              clock_now(), "2.1.9", NULL, &e),
                     0);
    check_ok(f, o3->id, "registry", "ok");
    check_ok(f, o3->id, "name_match", "ok");
    check_ok(f, o3->id, "domain_owner", "ok");
    check_ok(f, o3->id, "phone", "ok");
    assert_int_equal(review_approve(&f->env, &officer, o3->id, 0, &e), 0);
    assert_string_equal(f->last_event, "order.approved");
    struct order_row *cur = NULL;
    assert_int_equal(orders_get(f->db, o3->id, &ORG_SCOPE_ALL, &cur, &e), 0);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(order_mark_issued_tx(&f->env, &officer, cur, 42, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    order_row_free(cur);
    assert_int_equal(orders_get(f->db, o3->id, &ORG_SCOPE_ALL, &cur, &e), 0);
    assert_string_equal(cur->state, "issued");
    assert_int_equal(cur->cert_id, 42);
    struct vetting_check_row *v = NULL;
    size_t nv = 0;
    assert_int_equal(vetting_checks_list(f->db, o3->id, &v, &nv, &e), 0);
    assert_int_equal(nv, 4);
    assert_int_equal(v[3].officer_id, officer.user_id);
    assert_string_equal(v[3].phone_source, "NTT 番号案内");
    assert_int_equal(v[3].at, clock_now());
    free(v);
    order_row_free(cur);
    order_row_free(o);
    order_row_free(o2);
    order_row_free(o3);
}

static const struct db_stmt st_ca = {
    "t.ca",
    "INSERT INTO cas (name, role, key_ref, key_type, cert_der, subject, ski, not_before, "
    "not_after, created_at) VALUES ('t', 'intermediate', 'k', 'ec-p256', $1, 's', 'a', 0, 0, 0)",
    NULL, NULL};
static const struct db_stmt st_cert = {
    "t.cert",
    "INSERT INTO certificates (id, serial, ca_id, state, order_id, level, root, reserved_at) "
    "VALUES ($1, $2, (SELECT id FROM cas WHERE name = 't'), 'issued', $3, 'ov', 'a', 0)",
    NULL, NULL};

/* R-VAL-5: phone verification reused for a renewal with the same content while younger
 * than the identity reuse period (398 days since 2026-03-15). */
static void test_order_phone_reuse_by_date(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    time_t t0 = jst(2026, 11, 30, 10, 0);
    struct order_row *prev = create(f, &f->ov, "prev", 0, NULL);
    assert_int_equal(order_confirm_payment(&f->env, &officer, prev->id, "officer", &e), 0);
    check_ok(f, prev->id, "phone", "ok");
    struct db_val ca[1] = {DBV_BLOB("x", 1)};
    assert_int_equal(db_run(f->db, &st_ca, ca, 1, NULL, NULL, &e), 0);
    struct db_val cert[3] = {DBV_INT(500), DBV_TEXT("01"), DBV_INT(prev->id)};
    assert_int_equal(db_run(f->db, &st_cert, cert, 3, NULL, NULL, &e), 0);
    /* the renewal, 397 days later */
    clock_set(t0 + 397 * 86400);
    struct appform_result r;
    form(&f->ov, "www.example.co.jp", &r);
    struct order_new n = {.org_id = 100,
                          .product = &f->ov,
                          .kind = "renewal",
                          .idem_key = "ren",
                          .form = &r,
                          .predecessor_cert_id = 500,
                          .amount = -1};
    struct order_row *ren = NULL;
    assert_int_equal(order_create(&f->env, &customer, &n, &ren, NULL, &e), 0);
    struct vetting_check_row found;
    assert_int_equal(review_phone_reusable(&f->env, ren, clock_now(), &found, &e), 1);
    assert_int_equal(found.at, t0);
    assert_int_equal(review_phone_reusable(&f->env, ren, t0 + 398 * 86400, NULL, &e), 1);
    assert_int_equal(review_phone_reusable(&f->env, ren, t0 + 398 * 86400 + 1, NULL, &e), 0);
    const char *missing[5];
    size_t nm = 0;
    assert_int_equal(review_checks_missing(&f->env, ren, &f->ov, clock_now(), missing, &nm, &e), 0);
    assert_int_equal(nm, 3); /* registry, name_match, domain_owner: phone reused */
    /* a new application (not a renewal) never reuses */
    struct order_row *fresh = create(f, &f->ov, "fresh", 0, NULL);
    assert_int_equal(review_phone_reusable(&f->env, fresh, clock_now(), NULL, &e), 0);
    /* changed applicant data: no reuse */
    free(ren->applicant);
    ren->applicant = strdup("{\"org\":{\"name_ja\":\"株式会社ほか\"}}");
    assert_int_equal(review_phone_reusable(&f->env, ren, clock_now(), NULL, &e), 0);
    appform_result_free(&r);
    order_row_free(prev);
    order_row_free(ren);
    order_row_free(fresh);
}

/* Issue 8 item 21, R-VAL-4: an organization check counts only inside the identity reuse
 * period (398 days) at the time asked, at approval and right before signing. */
static void test_order_org_checks_expire(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    time_t t0 = jst(2026, 12, 1, 10, 0);
    clock_set(t0);
    struct order_row *o = create(f, &f->ov, "sii", 0, NULL);
    assert_int_equal(order_confirm_payment(&f->env, &officer, o->id, "officer", &e), 0);
    check_ok(f, o->id, "registry", "ok");
    check_ok(f, o->id, "name_match", "ok");
    check_ok(f, o->id, "domain_owner", "ok");
    check_ok(f, o->id, "phone", "ok");
    const char *missing[5];
    size_t nm = 9;
    assert_int_equal(review_checks_missing(&f->env, o, &f->ov, t0 + 398 * 86400, missing, &nm, &e),
                     0);
    assert_int_equal(nm, 0);
    assert_int_equal(
        review_checks_missing(&f->env, o, &f->ov, t0 + 398 * 86400 + 1, missing, &nm, &e), 0);
    assert_int_equal(nm, 4); /* every check is older than 398 days */
    order_row_free(o);
}

/* R-VAL-7, R-CAL-1: expected completion in business days (weekends, holidays, the
 * year-end closure); overdue only while in review. */
static void test_order_eta_with_holidays(void **state)
{
    (void)state;
    struct product_row p;
    memset(&p, 0, sizeof p);
    struct order_row o;
    memset(&o, 0, sizeof o);
    time_t eta;
    assert_int_equal(order_eta(&o, &p, &eta), -1); /* a draft has none */
    static const struct {
        int y, m, d, days, ey, em, ed;
    } t[] = {
        {2026, 12, 25, 5, 2027, 1, 7},   /* Fri; Dec 28, then closure to Jan 3 */
        {2026, 11, 20, 1, 2026, 11, 24}, /* Fri; Nov 23 勤労感謝の日 (Mon) */
        {2027, 4, 28, 3, 2027, 5, 7},    /* Apr 29, May 3-5 holidays */
        {2026, 12, 1, 0, 2026, 12, 1},   /* DV: minutes, same instant */
        {2026, 9, 18, 2, 2026, 9, 25}, /* Sep 21 敬老の日, 22 国民の休日, 23 秋分の日 */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        p.review_days_max = t[i].days;
        o.submitted_at = jst(t[i].y, t[i].m, t[i].d, 9, 0);
        o.paid_at = jst(t[i].y, t[i].m, t[i].d, 10, 30);
        assert_int_equal(order_eta(&o, &p, &eta), 0);
        if (eta != jst(t[i].ey, t[i].em, t[i].ed, 10, 30))
            fail_msg("row %zu: eta off by %lld s", i,
                     (long long)(eta - jst(t[i].ey, t[i].em, t[i].ed, 10, 30)));
    }
    p.review_days_max = 5;
    o.paid_at = 0; /* unpaid: counted from submission */
    o.submitted_at = jst(2026, 12, 25, 9, 0);
    assert_int_equal(order_eta(&o, &p, &eta), 0);
    assert_int_equal(eta, jst(2027, 1, 7, 9, 0));
    snprintf(o.state, sizeof o.state, "vetting");
    time_t next_day = jst(2027, 1, 8, 0, 0);
    assert_int_equal(order_overdue(&o, &p, eta), 0);
    assert_int_equal(order_overdue(&o, &p, next_day - 1), 0); /* the ETA date still */
    assert_int_equal(order_overdue(&o, &p, next_day), 1);
    snprintf(o.state, sizeof o.state, "on_hold");
    assert_int_equal(order_overdue(&o, &p, next_day), 1);
    snprintf(o.state, sizeof o.state, "approved");
    assert_int_equal(order_overdue(&o, &p, next_day), 0);
}

/* Issue 8 item 9, R-VAL-7: a DV order (review target 0 business days: minutes) paid in
 * the morning is not overdue later that day; it is from the next day on. */
static void test_order_overdue_same_day_dv(void **state)
{
    (void)state;
    struct product_row p;
    struct order_row o;
    memset(&p, 0, sizeof p);
    memset(&o, 0, sizeof o);
    snprintf(o.state, sizeof o.state, "vetting");
    o.submitted_at = jst(2026, 12, 1, 9, 0);
    o.paid_at = jst(2026, 12, 1, 9, 5);
    assert_int_equal(order_overdue(&o, &p, jst(2026, 12, 1, 9, 6)), 0);
    assert_int_equal(order_overdue(&o, &p, jst(2026, 12, 1, 23, 59)), 0);
    assert_int_equal(order_overdue(&o, &p, jst(2026, 12, 2, 0, 0)), 1);
}

/* R-VAL-6: uploads are PDF/JPEG/PNG by magic bytes, size-limited, safe file names. */
static void test_order_upload_sniffing_and_limits(void **state)
{
    struct fx *f = *state;
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};
    static const unsigned char gif[] = "GIF89a....";
    static const unsigned char html[] = "<html>%PDF-</html>";
    assert_string_equal(review_sniff((const unsigned char *)"%PDF-1.4", 8), "application/pdf");
    assert_string_equal(review_sniff(jpeg, sizeof jpeg), "image/jpeg");
    assert_string_equal(review_sniff(png, sizeof png), "image/png");
    assert_null(review_sniff(gif, sizeof gif - 1));
    assert_null(review_sniff(html, sizeof html - 1));
    assert_null(review_sniff(png, 7));
    assert_null(review_sniff((const unsigned char *)"%PDF", 4));
    struct order_row *o = create(f, &f->dv, "u1", 0, NULL);
    struct sm_err e = {0};
    int64_t id = 0;
    assert_int_equal(
        review_upload(&f->env, &customer, o->id, "other", "a.gif", gif, sizeof gif - 1, &id, &e),
        -SM_E_MEDIA_TYPE);
    assert_string_equal(order_err_key(&e), "order.err.file_type");
    unsigned char big[1025];
    memset(big, 0, sizeof big);
    memcpy(big, "%PDF-", 5);
    assert_int_equal(
        review_upload(&f->env, &customer, o->id, "other", "big.pdf", big, sizeof big, &id, &e),
        -SM_E_TOO_LARGE);
    assert_string_equal(order_err_key(&e), "order.err.file_too_large");
    assert_int_equal(
        review_upload(&f->env, &customer, o->id, "other", "../x.png", png, sizeof png, &id, &e),
        -SM_E_INVALID);
    assert_string_equal(order_err_key(&e), "order.err.file_name");
    assert_int_equal(
        review_upload(&f->env, &customer, o->id, "photo", "x.png", png, sizeof png, &id, &e),
        -SM_E_INVALID);
    assert_int_equal(
        review_upload(&f->env, &customer, o->id, "other", "写真.png", png, sizeof png, &id, &e), 0);
    struct document_row d;
    assert_int_equal(vetting_doc_get(f->db, o->id, id, &d, &e), 0);
    assert_string_equal(d.sniffed_type, "image/png");
    assert_string_equal(d.file_name, "写真.png");
    assert_int_equal(d.size, sizeof png);
    assert_memory_equal(d.data, png, sizeof png);
    free(d.data);
    assert_int_equal(vetting_doc_get(f->db, o->id + 1, id, &d, &e), -SM_E_NOTFOUND);
    struct order_actor other = {8, {0, (const int64_t[]){200}, 1}};
    assert_int_equal(
        review_upload(&f->env, &other, o->id, "other", "x.png", png, sizeof png, &id, &e),
        -SM_E_NOTFOUND);
    order_row_free(o);
}

/* R-APP-7, R-PAY-1: the settings behind the environment. */
static void test_order_env_init_from_config(void **state)
{
    (void)state;
    struct config *c = config_defaults(".");
    assert_non_null(c);
    struct order_env env;
    struct maint_policy mp;
    struct sm_err e = {0};
    assert_int_equal(order_env_init(&env, NULL, NULL, c, &mp, &e), 0);
    assert_memory_equal(&mp, &maint_policy_default, sizeof mp);
    assert_int_equal(env.max_upload, 10485760);
    assert_string_equal(env.hmac_secret, "");
    assert_int_equal(config_set(c, "portal", "maintenance", "none"), 0);
    assert_int_equal(config_set(c, "payment", "hmac_secret", "k"), 0);
    assert_int_equal(order_env_init(&env, NULL, NULL, c, &mp, &e), 0);
    assert_int_equal(maint_in_window(env.maint, jst(2026, 11, 25, 21, 0), NULL), 0);
    assert_string_equal(env.hmac_secret, "k");
    assert_int_equal(config_set(c, "portal", "maintenance", "4th wednesday"), 0);
    assert_int_equal(order_env_init(&env, NULL, NULL, c, &mp, &e), -SM_E_CONFIG);
    config_free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    FILE *fp = fopen("tests/unit/data/csr/ok_p256.pem", "rb");
    assert_non_null(fp);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    csr_pem = buf;
    const struct CMUnitTest tests[] = {
        T(test_order_transition_every_edge),
        T(test_order_transition_stale_version_and_hook_failure),
        T(test_order_create_idempotent),
        T(test_order_numbers_per_tokyo_day_and_month),
        T(test_order_create_refused_in_maintenance),
        T(test_order_reapply_before_issuance_only),
        cmocka_unit_test(test_order_payment_verify),
        T(test_order_payment_callback),
        T(test_order_review_approve_reject_hold),
        T(test_order_phone_reuse_by_date),
        T(test_order_org_checks_expire),
        cmocka_unit_test(test_order_eta_with_holidays),
        cmocka_unit_test(test_order_overdue_same_day_dv),
        T(test_order_upload_sniffing_and_limits),
        cmocka_unit_test(test_order_env_init_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
