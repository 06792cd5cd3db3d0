/* SPDX-License-Identifier: MIT */
/* R-VAL-1, R-VAL-2: domain validation rules without a network: random values (format,
 * 192 bits, uniqueness, 30-day expiry), the e-mail method's 2028-03-15 sunset, reuse
 * windows by date, Authorization Domain Names and constructed addresses, the web-page
 * file name convention, and refusals of the web-page check that need no connection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/failalloc.h"
#include "net/fetch.h"
#include "ra/dcv.h"
#include "web/i18n.h"

static time_t at(const char *text)
{
    time_t t;
    if (clock_parse_utc(text, &t) != 0)
        fail_msg("bad time %s", text);
    return t;
}

/* R-VAL-1: values are 32 base64url characters carrying 24 random bytes (>= 112 bits),
 * never repeating, with about half of the bits set. */
static void test_dcv_random_value_format_and_entropy(void **state)
{
    (void)state;
    enum { N = 512 };
    static char values[N][DCV_VALUE_LEN + 1];
    long ones = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(dcv_random_value(values[i], sizeof values[i]), 0);
        assert_int_equal(strlen(values[i]), DCV_VALUE_LEN);
        assert_true(dcv_value_well_formed(values[i]));
        unsigned char raw[DCV_VALUE_BYTES + 4];
        size_t len = 0;
        assert_int_equal(sodium_base642bin(raw, sizeof raw, values[i], DCV_VALUE_LEN, NULL, &len,
                                           NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         0);
        assert_int_equal(len, DCV_VALUE_BYTES);
        assert_true(len * 8 >= 112);
        for (size_t k = 0; k < len; k++)
            ones += __builtin_popcount(raw[k]);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(values[i], values[j]);
    }
    double ratio = (double)ones / (N * DCV_VALUE_BYTES * 8.0);
    assert_true(ratio > 0.47 && ratio < 0.53);
    char small[DCV_VALUE_LEN];
    assert_true(dcv_random_value(small, sizeof small) < 0);
}

static void test_dcv_value_well_formed_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,
        "",
        "short",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 31 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 33 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(dcv_value_well_formed(bad[i]));
    assert_true(dcv_value_well_formed("Az09-_Az09-_Az09-_Az09-_Az09-_Az"));
}

/* R-VAL-1: a value expires 30 days (of 86,400 s) after it was made. */
static void test_dcv_value_usable_thirty_days(void **state)
{
    (void)state;
    time_t c = at("2026-11-01T00:00:00Z");
    assert_true(dcv_value_usable(c, c));
    assert_true(dcv_value_usable(c, at("2026-11-30T23:59:59Z")));
    assert_false(dcv_value_usable(c, at("2026-12-01T00:00:00Z")));
    assert_false(dcv_value_usable(c, c - 1));
    assert_int_equal(dcv_value_expires(c) - c, 30 * 86400);
}

struct reuse_row {
    const char *validated, *now;
    int reusable;
};

/* R-VAL-2: reuse windows from the dated policy table, judged at the time of issuance. */
static void test_dcv_reusable_by_date(void **state)
{
    (void)state;
    static const struct reuse_row rows[] = {
        {"2026-01-01T00:00:00Z", "2026-03-14T23:59:59Z", 1},
        {"2026-01-01T00:00:00Z", "2026-07-20T00:00:00Z", 1}, /* day 200 */
        {"2026-01-01T00:00:00Z", "2026-07-20T00:00:01Z", 0},
        {"2026-11-01T00:00:00Z", "2027-03-14T00:00:00Z", 1}, /* 133 days, 200 in force */
        {"2026-11-01T00:00:00Z", "2027-03-15T00:00:00Z", 0}, /* 134 days, 100 in force */
        {"2027-06-01T00:00:00Z", "2027-09-09T00:00:00Z", 1}, /* day 100 */
        {"2027-06-01T00:00:00Z", "2027-09-09T00:00:01Z", 0},
        {"2029-03-10T00:00:00Z", "2029-03-20T00:00:00Z", 1}, /* day 10 */
        {"2029-03-10T00:00:00Z", "2029-03-20T00:00:01Z", 0},
        {"2029-03-10T00:00:00Z", "2029-03-09T00:00:00Z", 0}, /* from the future */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (dcv_reusable(at(rows[i].validated), at(rows[i].now)) != rows[i].reusable)
            fail_msg("%s -> %s: want %d", rows[i].validated, rows[i].now, rows[i].reusable);
}

/* R-VAL-1: the method table, and the e-mail method switched off from 2028-03-15. */
static void test_dcv_method_table_and_email_sunset(void **state)
{
    (void)state;
    for (int m = 0; m < DCV__COUNT; m++) {
        assert_int_equal(dcv_method_parse(dcv_method_name(m)), m);
        assert_string_equal(dcv_method_br_section(m) + 0, dcv_method_br_section(m));
        assert_memory_equal(dcv_method_br_section(m), "3.2.2.4.", 8);
    }
    assert_int_equal(dcv_method_parse("whois"), -1);
    assert_int_equal(dcv_method_parse(NULL), -1);
    assert_string_equal(dcv_method_name(99), "?");
    assert_string_equal(dcv_method_caa_label(DCV_DNS_TXT), "ca-dns-txt");
    assert_string_equal(dcv_method_caa_label(DCV_HTTP_FILE), "ca-http-file");
    assert_string_equal(dcv_method_caa_label(DCV_ACME_DNS01), "dns-01");
    assert_string_equal(dcv_method_br_section(DCV_HTTP_FILE), "3.2.2.4.18");
    time_t before = at("2028-03-14T23:59:59Z"), after = at("2028-03-15T00:00:00Z");
    assert_true(dcv_method_allowed(DCV_EMAIL, before));
    assert_false(dcv_method_allowed(DCV_EMAIL, after));
    assert_true(dcv_method_allowed(DCV_DNS_TXT, after));
    assert_true(dcv_method_allowed(DCV_HTTP_FILE, after));
    assert_false(dcv_method_allowed(-1, before));
    assert_false(dcv_method_allowed(DCV__COUNT, before));
}

/* issue 7 item 4: one spelling per method, round-tripping, the same in forms, storage,
 * evidence and the CLI; the constructed local parts come from here. */
static void test_dcv_method_spelling_round_trips(void **state)
{
    (void)state;
    static const char *const want[DCV__COUNT] = {
        [DCV_EMAIL] = "email",       [DCV_DNS_TXT] = "dns",
        [DCV_HTTP_FILE] = "http",    [DCV_ACME_HTTP01] = "http-01",
        [DCV_ACME_DNS01] = "dns-01", [DCV_ACME_TLSALPN01] = "tls-alpn-01",
    };
    for (int m = 0; m < DCV__COUNT; m++) {
        assert_string_equal(dcv_method_name(m), want[m]);
        assert_int_equal(dcv_method_parse(dcv_method_name(m)), m);
    }
    assert_int_equal(dcv_method_parse("email:admin@example.jp"), DCV_EMAIL);
    assert_int_equal(dcv_method_parse("email:"), DCV_EMAIL);
    /* the vocabulary of older versions and near misses are not methods */
    const char *bad[] = {"dns_txt", "http_file", "acme_http01", "DNS", "emailx", "reuse", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dcv_method_parse(bad[i]), -1);
    const char *locals[] = {"admin", "administrator", "webmaster", "hostmaster", "postmaster"};
    for (size_t i = 0; i < DCV_EMAIL_LOCALS; i++)
        assert_string_equal(dcv_email_local(i), locals[i]);
    assert_null(dcv_email_local(DCV_EMAIL_LOCALS));
    /* a bare "email" names the method but is not a stored method: no address */
    char out[300];
    assert_int_equal(dcv_method_for_name("email", "www.example.jp", out, sizeof out), -1);
    assert_int_equal(dcv_email_address("email", "www.example.jp", out, sizeof out), -1);
    assert_int_equal(dcv_method_for_name("dns-01", "www.example.jp", out, sizeof out), -1);
}

/* issue 7 item 4 (R-VAL-1): is this method allowed for this name and date. */
/* Issue 7 item 4: the method an application may name before its names are known, asked of
 * ra/dcv (appform kept its own list of local parts before). */
static void test_dcv_method_well_formed(void **state)
{
    (void)state;
    static const struct {
        const char *m;
        int ok;
    } t[] = {{"dns", 1},
             {"http", 1},
             {"email:admin", 1},
             {"email:postmaster@example.jp", 1},
             {"email:root", 0},
             {"email:admin@", 0},
             {"email:", 0},
             {"email", 0},
             {"http-01", 0},
             {"dns-01", 0},
             {"", 0},
             {NULL, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal(dcv_method_well_formed(t[i].m), t[i].ok);
}

static void test_dcv_method_allowed_for_name_and_date(void **state)
{
    (void)state;
    time_t before = at("2028-03-14T23:59:59Z"), after = at("2028-03-15T00:00:00Z");
    const struct {
        int m;
        const char *name;
        const char *when;
        int ok;
    } rows[] = {
        {DCV_DNS_TXT, "www.example.jp", "2026-01-01T00:00:00Z", 1},
        {DCV_DNS_TXT, "*.example.jp", "2030-01-01T00:00:00Z", 1},
        {DCV_HTTP_FILE, "www.example.jp", "2030-01-01T00:00:00Z", 1},
        {DCV_HTTP_FILE, "*.example.jp", "2026-01-01T00:00:00Z", 0}, /* BR 3.2.2.4.18 */
        {DCV_EMAIL, "www.example.jp", "2028-03-14T23:59:59Z", 1},
        {DCV_EMAIL, "*.example.jp", "2028-03-14T23:59:59Z", 1},
        {DCV_EMAIL, "www.example.jp", "2028-03-15T00:00:00Z", 0}, /* e-mail sunset */
        {DCV_EMAIL, "*.example.jp", "2029-01-01T00:00:00Z", 0},
        {DCV_ACME_HTTP01, "www.example.jp", "2026-01-01T00:00:00Z", 1},
        {DCV_ACME_HTTP01, "*.example.jp", "2026-01-01T00:00:00Z", 0},    /* BR 3.2.2.4.19 */
        {DCV_ACME_TLSALPN01, "*.example.jp", "2026-01-01T00:00:00Z", 0}, /* BR 3.2.2.4.20 */
        {DCV_ACME_DNS01, "*.example.jp", "2026-01-01T00:00:00Z", 1},
        {DCV_DNS_TXT, "192.0.2.1", "2026-01-01T00:00:00Z", 0}, /* no IP address methods */
        {DCV_HTTP_FILE, "2001:db8::1", "2026-01-01T00:00:00Z", 0},
        {DCV_EMAIL, "192.0.2.1", "2026-01-01T00:00:00Z", 0},
        {-1, "www.example.jp", "2026-01-01T00:00:00Z", 0},
        {DCV__COUNT, "www.example.jp", "2026-01-01T00:00:00Z", 0},
        {DCV_HTTP_FILE, NULL, "2026-01-01T00:00:00Z", 1}, /* some name */
        {DCV_EMAIL, NULL, "2028-03-15T00:00:00Z", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (dcv_method_allowed_for(rows[i].m, rows[i].name, at(rows[i].when)) != rows[i].ok)
            fail_msg("%d %s %s: want %d", rows[i].m, rows[i].name ? rows[i].name : "(any)",
                     rows[i].when, rows[i].ok);
    /* the two halves */
    assert_true(dcv_method_applies(DCV_EMAIL, "www.example.jp"));
    assert_false(dcv_method_applies(DCV_HTTP_FILE, "*.example.jp"));
    assert_true(dcv_method_allowed(DCV_HTTP_FILE, after));
    assert_false(dcv_method_allowed(DCV_EMAIL, after));
    assert_true(dcv_method_allowed(DCV_EMAIL, before));
    /* the stored form agrees: no web page for a wildcard, e-mail at its ADNs */
    char out[300];
    assert_int_equal(dcv_method_for_name("http", "*.example.jp", out, sizeof out), -1);
    assert_int_equal(dcv_method_for_name("http", "www.example.jp", out, sizeof out), 0);
    assert_string_equal(out, "http");
    assert_int_equal(
        dcv_method_for_name("email:admin@example.jp", "*.www.example.jp", out, sizeof out), 0);
    assert_string_equal(out, "email:admin@example.jp");
}

/* R-VAL-1: ADNs run from the name to the registrable domain (public suffix list). */
static void test_dcv_adns_to_registrable_domain(void **state)
{
    (void)state;
    char adns[DCV_ADN_MAX][256];
    assert_int_equal(dcv_adns("www.Sub.Example.co.jp.", adns, DCV_ADN_MAX), 3);
    assert_string_equal(adns[0], "www.sub.example.co.jp");
    assert_string_equal(adns[1], "sub.example.co.jp");
    assert_string_equal(adns[2], "example.co.jp");
    assert_int_equal(dcv_adns("*.example.com", adns, DCV_ADN_MAX), 1);
    assert_string_equal(adns[0], "example.com");
    assert_int_equal(dcv_adns("web.plain.test", adns, DCV_ADN_MAX), 2);
    assert_string_equal(adns[1], "plain.test");
    assert_int_equal(dcv_adns("a.b.c.example.com", adns, 2), 2);
    static const char *const bad[] = {"com", "co.jp", "", ".", "a..example.com", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_true(dcv_adns(bad[i], adns, DCV_ADN_MAX) < 0);
}

static void test_dcv_covers(void **state)
{
    (void)state;
    assert_true(dcv_covers("example.com", "example.com"));
    assert_true(dcv_covers("example.com", "www.example.com"));
    assert_true(dcv_covers("example.com", "*.example.com"));
    assert_true(dcv_covers("example.com", "A.B.EXAMPLE.COM"));
    assert_false(dcv_covers("example.com", "badexample.com"));
    assert_false(dcv_covers("www.example.com", "example.com"));
    assert_false(dcv_covers("", "example.com"));
}

/* R-VAL-1: five constructed local parts for each ADN (BR 3.2.2.4.4). */
static void test_dcv_email_addresses_constructed(void **state)
{
    (void)state;
    char a[DCV_EMAIL_MAX][320];
    assert_int_equal(dcv_email_addresses("www.example.co.jp", a, DCV_EMAIL_MAX), 10);
    static const char *const want[] = {
        "admin@www.example.co.jp",      "administrator@www.example.co.jp",
        "webmaster@www.example.co.jp",  "hostmaster@www.example.co.jp",
        "postmaster@www.example.co.jp", "admin@example.co.jp",
        "administrator@example.co.jp",  "webmaster@example.co.jp",
        "hostmaster@example.co.jp",     "postmaster@example.co.jp",
    };
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(a[i], want[i]);
    assert_int_equal(dcv_email_addresses("*.EXAMPLE.com", a, DCV_EMAIL_MAX), 5);
    assert_string_equal(a[4], "postmaster@example.com");
    assert_int_equal(dcv_email_addresses("x.y.example.com", a, 4), 4);
    assert_true(dcv_email_addresses("co.uk", a, DCV_EMAIL_MAX) < 0);
}

/* R-VAL-1: the file name is derived from the value without containing it. */
static void test_dcv_http_file_name_convention(void **state)
{
    (void)state;
    char v1[DCV_VALUE_LEN + 1], v2[DCV_VALUE_LEN + 1], f1[64], f2[64], again[64];
    assert_int_equal(dcv_random_value(v1, sizeof v1), 0);
    assert_int_equal(dcv_random_value(v2, sizeof v2), 0);
    assert_int_equal(dcv_http_file_name(v1, f1, sizeof f1), 0);
    assert_int_equal(dcv_http_file_name(v1, again, sizeof again), 0);
    assert_int_equal(dcv_http_file_name(v2, f2, sizeof f2), 0);
    assert_string_equal(f1, again);
    assert_string_not_equal(f1, f2);
    assert_int_equal(strlen(f1), strlen("shomei-") + 16 + strlen(".txt"));
    assert_memory_equal(f1, "shomei-", 7);
    assert_null(strstr(f1, v1));
    assert_true(dcv_http_file_ok(f1, v1));
    assert_true(dcv_http_file_name(v1, f1, 16) < 0);
    /* fixed vector: SHA-256("abc") = ba7816bf8f01cfea... */
    assert_int_equal(dcv_http_file_name("abc", f1, sizeof f1), 0);
    assert_string_equal(f1, "shomei-ba7816bf8f01cfea.txt");
}

static void test_dcv_http_file_ok_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,        "",
        ".htaccess", "a/b",
        "../x",      "a b",
        "a%2fb",     "a?b",
        "a#b",       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
        "xVALUEx",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dcv_http_file_ok(bad[i], "VALUE"))
            fail_msg("'%s' accepted", bad[i] ? bad[i] : "NULL");
    assert_true(dcv_http_file_ok("file-1_a.txt", "VALUE"));
}

/* R-VAL-1: refusals of the web-page check that happen before any connection, with the
 * evidence recording method, BR section and version, URL and result. */
static void test_dcv_check_http_refusals_with_evidence(void **state)
{
    (void)state;
    struct fetch_opts o = {0, 0, 0, 80, 443, 1000, 2000, 4096, 2, NULL, 443};
    time_t now = at("2026-11-22T00:00:00Z");
    struct dcv_result r;

    assert_int_equal(dcv_check_http(&o, "example.com", "", NULL, now, &r), 0);
    assert_false(r.ok);
    assert_string_equal(r.reason, "dcv.value_missing");
    dcv_result_free(&r);

    assert_int_equal(dcv_check_http(&o, "example.com", "VALUE", "a/b", now, &r), 0);
    assert_string_equal(r.reason, "dcv.http.file_name");
    dcv_result_free(&r);

    assert_int_equal(dcv_check_http(&o, "127.0.0.1", "VALUE", NULL, now, &r), 0);
    assert_false(r.ok);
    assert_string_equal(r.reason, "dcv.http.address_refused");
    json_error_t je;
    json_t *ev = json_loads(r.evidence, 0, &je);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "method")), "http");
    assert_string_equal(json_string_value(json_object_get(ev, "br_section")), "3.2.2.4.18");
    assert_string_equal(json_string_value(json_object_get(ev, "br_version")), "2.3.1");
    assert_string_equal(json_string_value(json_object_get(ev, "at")), "2026-11-22T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(ev, "result")), "fail");
    const char *url = json_string_value(json_object_get(ev, "url"));
    assert_non_null(url);
    assert_memory_equal(url, "http://127.0.0.1/.well-known/pki-validation/shomei-", 51);
    assert_int_equal(json_array_size(json_object_get(ev, "hops")), 1);
    json_decref(ev);
    dcv_result_free(&r);

    o.http_port = 8080;
    assert_int_equal(dcv_check_http(&o, "10.0.0.1", "VALUE", "f.txt", now, &r), 0);
    assert_string_equal(r.reason, "dcv.http.address_refused");
    assert_non_null(strstr(r.evidence, "http://10.0.0.1:8080/.well-known/pki-validation/f.txt"));
    dcv_result_free(&r);
}

/* R-VAL-1, R-VAL-3: every reason code the checks return has a message in ja and en. */
static void test_dcv_reason_codes_have_messages(void **state)
{
    (void)state;
    static const char *const codes[] = {
        "caa.account_mismatch",
        "caa.bogus",
        "caa.critical_unknown",
        "caa.forbidden",
        "caa.malformed",
        "caa.method_mismatch",
        "caa.name_invalid",
        "caa.resolver", /* issue 8 item 5: DNS failures have their own messages */
        "caa.servfail",
        "caa.timeout",
        "dcv.dns.bogus",
        "dcv.dns.lookup_failed",
        "dcv.dns.mismatch",
        "dcv.dns.not_found",
        "dcv.http.address_refused",
        "dcv.http.connect_failed",
        "dcv.http.dns_bogus",
        "dcv.http.dns_failed",
        "dcv.http.failed",
        "dcv.http.file_name",
        "dcv.http.mismatch",
        "dcv.http.no_address",
        "dcv.http.port",
        "dcv.http.redirect_invalid",
        "dcv.http.redirect_status",
        "dcv.http.scheme",
        "dcv.http.status",
        "dcv.http.timeout",
        "dcv.http.too_large",
        "dcv.http.too_many_redirects",
        "dcv.http.url_invalid",
        "dcv.value_missing",
    };
    struct sm_err e = {0};
    assert_int_equal(i18n_init(&e), 0);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (i18n_get("ja", codes[i]) == NULL || i18n_get("en", codes[i]) == NULL)
            fail_msg("no message for %s", codes[i]);
}

/* Allocation failures in the check and its evidence fail cleanly (no leak, no crash). */
static void test_dcv_check_http_allocation_failures(void **state)
{
    (void)state;
    struct fetch_opts o = {0, 0, 0, 80, 443, 1000, 2000, 4096, 2, NULL, 443};
    json_set_alloc_funcs(sm_malloc, free);
    for (long nth = 1; nth < 60; nth++) {
        struct dcv_result r;
        failalloc_set(nth);
        int rc = dcv_check_http(&o, "127.0.0.1", "VALUE", NULL, 1800000000, &r);
        failalloc_set(0);
        assert_true(rc == 0 || rc == -SM_E_NOMEM);
        if (rc == 0)
            assert_non_null(r.evidence);
        dcv_result_free(&r);
    }
    json_set_alloc_funcs(malloc, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dcv_random_value_format_and_entropy),
        cmocka_unit_test(test_dcv_value_well_formed_rejects),
        cmocka_unit_test(test_dcv_value_usable_thirty_days),
        cmocka_unit_test(test_dcv_reusable_by_date),
        cmocka_unit_test(test_dcv_method_table_and_email_sunset),
        cmocka_unit_test(test_dcv_method_spelling_round_trips),
        cmocka_unit_test(test_dcv_method_allowed_for_name_and_date),
        cmocka_unit_test(test_dcv_method_well_formed),
        cmocka_unit_test(test_dcv_adns_to_registrable_domain),
        cmocka_unit_test(test_dcv_covers),
        cmocka_unit_test(test_dcv_email_addresses_constructed),
        cmocka_unit_test(test_dcv_http_file_name_convention),
        cmocka_unit_test(test_dcv_http_file_ok_rejects),
        cmocka_unit_test(test_dcv_check_http_refusals_with_evidence),
        cmocka_unit_test(test_dcv_check_http_allocation_failures),
        cmocka_unit_test(test_dcv_reason_codes_have_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
