/* SPDX-License-Identifier: MIT */
/* R-PRD-2, R-PRD-3, R-QUO-1, R-PAY-1 (issue 12 items 3-5): the price arithmetic and the
 * one rounding rule of consumption tax (per document and rate, rounded down, never per
 * line), the qualified-invoice registration number, which price applies (customer
 * agreement, reseller agreement, list price; new and renewal alike), the admin actions'
 * refusals (nothing changed), quotes (numbering, SAN limits) and the PDF they become.
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

#include "doc/pdf.h"
#include "ra/order.h"
#include "ra/price.h"
#include "ra/product.h"
#include "ra/quote.h"
#include "store/prices.h"

#define T0 1796000000 /* 2026-11-29 */

struct pfx {
    struct dbfx *f;
    int64_t reseller, customer, direct, multi, single;
};

static struct pfx fx;

static int64_t add_product(struct db *db, const char *code, int multi, int64_t price, int64_t extra)
{
    struct product_row p = {0};
    snprintf(p.code, sizeof p.code, "%s", code);
    snprintf(p.name_ja, sizeof p.name_ja, "OV 証明書 %s", code);
    snprintf(p.name_en, sizeof p.name_en, "OV %s", code);
    snprintf(p.level, sizeof p.level, "ov");
    p.term_months = 12;
    p.multi_domain = multi;
    p.sans_included = multi ? 5 : 1;
    p.sans_max = multi ? 100 : 1;
    p.list_price = price;
    p.extra_san_price = extra;
    snprintf(p.reissue_fee, sizeof p.reissue_fee, "free");
    p.review_days_max = 5;
    snprintf(p.root_options, sizeof p.root_options, "a,b");
    p.active = 1;
    int64_t id = 0;
    struct sm_err e = {0};
    if (product_create(db, &p, "test", &id, &e) != 0)
        fail_msg("product: %s", e.detail);
    return id;
}

static int fx_setup(void **state)
{
    fx.f = dbfx_setup(state, "price", T0);
    struct db *db = fx.f->db;
    fx.reseller = dbfx_add_org(db, "reseller", "代理店", 0);
    fx.customer = dbfx_add_org(db, "customer", "株式会社テスト商事", fx.reseller);
    fx.direct = dbfx_add_org(db, "customer", "直販株式会社", 0);
    fx.multi = add_product(db, "ov-multi-1y", 1, 120000, 12000);
    fx.single = add_product(db, "ov-1y", 0, 60000, 0);
    return 0;
}

static int64_t count_rows(struct db *db, const char *sql)
{
    struct db_stmt st = {"t.count", sql, NULL, NULL};
    int64_t n = -1;
    struct sm_err e = {0};
    assert_int_equal(db_get_one(db, &st, NULL, 0, &db_row_int, &n, &e), 0);
    return n;
}

/* ---- arithmetic (no database) ---- */

static void test_price_tax_rounds_down(void **state)
{
    (void)state;
    assert_int_equal(price_tax(0, 10), 0);
    assert_int_equal(price_tax(9, 10), 0);
    assert_int_equal(price_tax(19, 10), 1);
    assert_int_equal(price_tax(105, 10), 10);
    assert_int_equal(price_tax(120000, 10), 12000);
    assert_int_equal(price_tax(999999999, 10), 99999999);
    assert_int_equal(price_tax(-5, 10), 0);
}

/* The qualified-invoice rule: tax once per document and rate on the sum, never per line:
 * two lines of 105 yen are 21 yen of tax (210 * 10 %), not 10 + 10. */
static void test_price_bill_tax_per_invoice_not_per_line(void **state)
{
    (void)state;
    struct price_bill *b = calloc(1, sizeof *b);
    struct sm_err e = {0};
    assert_int_equal(price_bill_add(b, "a", 1, 105, 10, &e), 0);
    assert_int_equal(price_bill_add(b, "b", 1, 105, 10, &e), 0);
    assert_int_equal(b->subtotal, 210);
    assert_int_equal(b->nrates, 1);
    assert_int_equal(b->rates[0].base, 210);
    assert_int_equal(b->rates[0].tax, 21);
    assert_int_equal(b->tax, 21);
    assert_int_equal(b->total, 231);
    /* a second rate is summed and taxed on its own */
    assert_int_equal(price_bill_add(b, "c", 3, 333, 8, &e), 0);
    assert_int_equal(b->nrates, 2);
    assert_int_equal(b->rates[1].base, 999);
    assert_int_equal(b->rates[1].tax, 79); /* 79.92 rounded down */
    assert_int_equal(b->tax, 100);
    assert_int_equal(b->total, 210 + 999 + 100);
    free(b);
}

static void test_price_bill_refuses_absurd_lines(void **state)
{
    (void)state;
    struct price_bill *b = calloc(1, sizeof *b);
    struct sm_err e = {0};
    assert_int_equal(price_bill_add(b, "x", 1, -1, 10, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "price");
    assert_int_equal(price_bill_add(b, "x", 1, (int64_t)PRICE_YEN_MAX + 1, 10, &e), -SM_E_INVALID);
    assert_int_equal(price_bill_add(b, "x", 0, 100, 10, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "qty");
    assert_int_equal(b->nlines, 0);
    assert_int_equal(b->total, 0);
    for (int i = 0; i < PRICE_LINES_MAX; i++)
        assert_int_equal(price_bill_add(b, "x", 1, 1, 10, &e), 0);
    assert_int_equal(price_bill_add(b, "x", 1, 1, 10, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "lines");
    free(b);
}

/* A product line plus one line for names past those included; 0 or too many names are
 * refused naming "sans". */
static void test_price_bill_product_extra_names(void **state)
{
    (void)state;
    struct product_row p = {.id = 1, .sans_included = 5, .sans_max = 100, .multi_domain = 1};
    snprintf(p.code, sizeof p.code, "m");
    snprintf(p.name_ja, sizeof p.name_ja, "マルチ");
    struct price_terms t = {120000, 12000, -1, PRICE_LIST};
    struct price_bill *b = calloc(1, sizeof *b);
    struct sm_err e = {0};
    assert_int_equal(price_bill_product(b, &p, &t, 8, "www.example.jp", &e), 0);
    assert_int_equal(b->nlines, 2);
    assert_int_equal(b->lines[1].qty, 3);
    assert_int_equal(b->lines[1].amount, 36000);
    assert_int_equal(b->subtotal, 156000);
    assert_int_equal(b->tax, 15600);
    assert_int_equal(b->total, 171600);
    assert_non_null(strstr(b->lines[0].desc, "www.example.jp"));
    assert_int_equal(price_bill_product(b, &p, &t, 0, "", &e), -SM_E_INVALID);
    assert_string_equal(e.field, "sans");
    assert_int_equal(price_bill_product(b, &p, &t, 101, "", &e), -SM_E_INVALID);
    assert_string_equal(e.field, "sans");
    assert_int_equal(b->nlines, 2);
    free(b);
}

static void test_price_regno_check_digit(void **state)
{
    (void)state;
    assert_true(price_regno_ok("T8000000000001"));
    assert_true(price_regno_ok("T1701000000001"));
    assert_false(price_regno_ok("T7000000000001")); /* wrong check digit */
    assert_false(price_regno_ok("8000000000001"));  /* no T */
    assert_false(price_regno_ok("T800000000001"));  /* 12 digits */
    assert_false(price_regno_ok("T80000000000012"));
    assert_false(price_regno_ok("T80000000000O1"));
    assert_false(price_regno_ok(NULL));
}

/* ---- which price applies (database) ---- */

static void set_agreement(int64_t org, int64_t product, int64_t price, int64_t extra)
{
    struct price_agreement_row a = {.org_id = org,
                                    .product_id = product,
                                    .price = price,
                                    .extra_san_price = extra,
                                    .reissue_fee = -1};
    struct sm_err e = {0};
    if (price_agreement_set(fx.f->db, "user:1", &a, &e) != 0)
        fail_msg("agreement: %s", e.detail);
}

static void amount_of(int64_t org, int64_t product, int64_t extra, int64_t want)
{
    struct product_row p;
    struct sm_err e = {0};
    assert_int_equal(products_get(fx.f->db, product, &p, &e), 0);
    int64_t got = -1;
    assert_int_equal(price_order_amount(fx.f->db, org, &p, extra, &got, &e), 0);
    assert_int_equal(got, want);
}

/* R-PRD-2: the customer's agreement, else its reseller's, else the list price; R-PRD-3:
 * the amount has no input for new or renewal, so both cost the same. */
static void test_price_agreement_customer_then_reseller_then_list(void **state)
{
    (void)state;
    amount_of(fx.customer, fx.multi, 2, 120000 + 2 * 12000);
    set_agreement(fx.reseller, fx.multi, 90000, 9000);
    amount_of(fx.customer, fx.multi, 2, 90000 + 2 * 9000); /* the reseller's */
    amount_of(fx.direct, fx.multi, 2, 120000 + 2 * 12000); /* no reseller: list */
    set_agreement(fx.customer, fx.multi, 80000, 8000);
    amount_of(fx.customer, fx.multi, 2, 80000 + 2 * 8000); /* its own wins */
    amount_of(fx.customer, fx.single, 0, 60000);           /* other product: list */
    struct sm_err e = {0};
    assert_int_equal(price_agreement_remove(fx.f->db, "user:1", fx.customer, fx.multi, &e), 0);
    amount_of(fx.customer, fx.multi, 0, 90000);
    assert_int_equal(price_agreement_remove(fx.f->db, "user:1", fx.customer, fx.multi, &e),
                     -SM_E_NOTFOUND);
    assert_true(count_rows(fx.f->db, "SELECT COUNT(*) FROM audit_log WHERE action LIKE "
                                     "'price.agreement.%'") >= 3);
}

/* R-RI-6 with R-PRD-2: an agreement's reissue fee replaces the amount the product's rule
 * charges; without one (-1) the rule's amount stays; a free reissue stays free. */
static void test_price_agreement_reissue_fee(void **state)
{
    (void)state;
    struct product_row p;
    struct price_terms t;
    struct sm_err e = {0};
    assert_int_equal(products_get(fx.f->db, fx.multi, &p, &e), 0);
    assert_int_equal(price_terms_for(fx.f->db, fx.customer, &p, &t, &e), 0);
    assert_int_equal(t.reissue_fee, -1);
    assert_int_equal(price_reissue_fee(&t, 10000), 10000);
    struct price_agreement_row a = {.org_id = fx.customer,
                                    .product_id = fx.multi,
                                    .price = 100000,
                                    .extra_san_price = 10000,
                                    .reissue_fee = 5000};
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), 0);
    assert_int_equal(price_terms_for(fx.f->db, fx.customer, &p, &t, &e), 0);
    assert_int_equal(t.source, PRICE_CUSTOMER);
    assert_int_equal(price_reissue_fee(&t, 10000), 5000);
    assert_int_equal(price_reissue_fee(&t, 0), 0); /* the rule says free: free */
}

/* Negative, absurd prices and unknown organizations or products are refused naming the
 * field; nothing is written. */
static void test_price_agreement_bad_input_changes_nothing(void **state)
{
    (void)state;
    struct sm_err e = {0};
    struct price_agreement_row a = {
        .org_id = fx.customer, .product_id = fx.multi, .price = -1, .reissue_fee = -1};
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "price");
    a.price = (int64_t)PRICE_YEN_MAX + 1;
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "price");
    a.price = 1000;
    a.extra_san_price = -5;
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "extra_san_price");
    a.extra_san_price = 0;
    a.reissue_fee = -3;
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "reissue_fee");
    a.reissue_fee = -1;
    a.org_id = 99999;
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "org_id");
    a.org_id = fx.customer;
    a.product_id = 99999;
    assert_int_equal(price_agreement_set(fx.f->db, "user:1", &a, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "product_id");
    assert_int_equal(count_rows(fx.f->db, "SELECT COUNT(*) FROM price_agreements"), 0);
}

static void test_price_issuer_validation(void **state)
{
    (void)state;
    struct billing_issuer_row b;
    struct sm_err e = {0};
    assert_int_equal(prices_get_issuer(fx.f->db, &b, &e), 0);
    assert_true(price_regno_ok(b.registration_no)); /* the shipped default is valid */
    struct billing_issuer_row bad = b;
    snprintf(bad.registration_no, sizeof bad.registration_no, "T123");
    assert_int_equal(price_issuer_set(fx.f->db, "user:1", &bad, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "registration_no");
    bad = b;
    bad.name[0] = '\0';
    assert_int_equal(price_issuer_set(fx.f->db, "user:1", &bad, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "name");
    bad = b;
    bad.quote_valid_days = 0;
    assert_int_equal(price_issuer_set(fx.f->db, "user:1", &bad, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "quote_valid_days");
    struct billing_issuer_row now;
    assert_int_equal(prices_get_issuer(fx.f->db, &now, &e), 0);
    assert_string_equal(now.registration_no, b.registration_no);
    snprintf(b.registration_no, sizeof b.registration_no, "T1701000000001");
    assert_int_equal(price_issuer_set(fx.f->db, "user:1", &b, &e), 0);
    assert_int_equal(prices_get_issuer(fx.f->db, &now, &e), 0);
    assert_string_equal(now.registration_no, "T1701000000001");
}

/* ---- quotes (R-QUO-1) ---- */

static void test_quote_numbers_and_totals(void **state)
{
    (void)state;
    int64_t ids[1] = {fx.customer};
    struct order_env env = {.db = fx.f->db};
    struct order_actor who = {7, {0, ids, 1}};
    struct quote *q = calloc(1, sizeof *q);
    struct sm_err e = {0};
    struct quote_item it = {"ov-multi-1y", 8, "www.example.jp"};
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, NULL, q, &e), 0);
    assert_string_equal(q->number, "Q-202611-00001");
    assert_string_equal(q->recipient, "株式会社テスト商事");
    assert_int_equal(q->bill.subtotal, 156000);
    assert_int_equal(q->bill.tax, 15600);
    assert_int_equal(q->bill.total, 171600);
    assert_int_equal(q->valid_until - q->at, 30 * 86400);
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, "御見積先", q, &e), 0);
    assert_string_equal(q->number, "Q-202611-00002");
    assert_string_equal(q->recipient, "御見積先");
    /* a whole cart: two items in one quote */
    struct quote_item two[2] = {{"ov-multi-1y", 5, "a.example.jp"}, {"ov-1y", 1, "b.example.jp"}};
    assert_int_equal(quote_make(&env, &who, fx.customer, two, 2, NULL, q, &e), 0);
    assert_int_equal(q->bill.nlines, 2);
    assert_int_equal(q->bill.subtotal, 180000);
    assert_int_equal(q->bill.tax, 18000);
    assert_int_equal(
        count_rows(fx.f->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'quote.issue'"), 3);
    free(q);
}

/* 0 or too many SANs, an unknown product, another organization: refused naming the field,
 * no number taken, nothing recorded. */
static void test_quote_bad_input_takes_no_number(void **state)
{
    (void)state;
    int64_t ids[1] = {fx.customer};
    struct order_env env = {.db = fx.f->db};
    struct order_actor who = {7, {0, ids, 1}};
    struct quote *q = calloc(1, sizeof *q);
    struct sm_err e = {0};
    struct quote_item it = {"ov-multi-1y", 0, ""};
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, NULL, q, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "sans");
    it.sans = 101;
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, NULL, q, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "sans");
    it = (struct quote_item){"ov-1y", 2, ""};
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, NULL, q, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "sans");
    it = (struct quote_item){"nope", 1, ""};
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, NULL, q, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "product");
    it = (struct quote_item){"ov-1y", 1, ""};
    assert_int_equal(quote_make(&env, &who, fx.direct, &it, 1, NULL, q, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "org_id");
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 0, NULL, q, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "items");
    assert_int_equal(
        count_rows(fx.f->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'quote.issue'"), 0);
    assert_int_equal(quote_make(&env, &who, fx.customer, &it, 1, NULL, q, &e), 0);
    assert_string_equal(q->number, "Q-202611-00001"); /* no number was used up */
    free(q);
}

/* The PDF of a quote: a PDF document with the Noto CJK font embedded (the text itself is
 * checked with pdftotext in tests/it/commerce.sh). */
static void test_quote_pdf_renders(void **state)
{
    (void)state;
    struct pdf_line l[1] = {{"OV 証明書", 1, 60000, 60000}};
    struct pdf_rate r[1] = {{10, 60000, 6000}};
    struct pdf_doc d = {.kind = PDF_QUOTE,
                        .number = "Q-202611-00001",
                        .date = "2026年11月29日",
                        .valid = "2026年12月29日",
                        .recipient = "株式会社テスト商事",
                        .subject = "",
                        .issuer_name = "発行者",
                        .issuer_address = "東京都",
                        .issuer_phone = "",
                        .issuer_regno = "T8000000000001",
                        .lines = l,
                        .nlines = 1,
                        .rates = r,
                        .nrates = 1,
                        .subtotal = 60000,
                        .tax = 6000,
                        .total = 66000,
                        .notes = ""};
    struct buf out = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(pdf_render(&d, &out, &e), 0);
    assert_true(out.len > 1000);
    assert_memory_equal(out.p, "%PDF-", 5);
    assert_non_null(memmem(out.p, out.len, "NotoSansCJK", 11));
    buf_free(&out);
    d.nlines = 0;
    assert_int_equal(pdf_render(&d, &out, &e), -SM_E_INVALID);
    char y[32];
    pdf_yen(1234567, y, sizeof y);
    assert_string_equal(y, "1,234,567");
    pdf_yen(0, y, sizeof y);
    assert_string_equal(y, "0");
    pdf_yen(-1000, y, sizeof y);
    assert_string_equal(y, "-1,000");
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_price_tax_rounds_down),
    T(test_price_bill_tax_per_invoice_not_per_line),
    T(test_price_bill_refuses_absurd_lines),
    T(test_price_bill_product_extra_names),
    T(test_price_regno_check_digit),
    T(test_price_agreement_customer_then_reseller_then_list),
    T(test_price_agreement_reissue_fee),
    T(test_price_agreement_bad_input_changes_nothing),
    T(test_price_issuer_validation),
    T(test_quote_numbers_and_totals),
    T(test_quote_bad_input_takes_no_number),
    T(test_quote_pdf_renders),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("price", table, NT, NULL, 0); }
