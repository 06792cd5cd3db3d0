/* SPDX-License-Identifier: MIT */
/* R-VAL-1: validation fetches never reach private, loopback, link-local, CGNAT, ULA,
 * multicast or reserved addresses unless the operator allows them; the address table,
 * the options read from [dcv], and refusals before any connection (URL, scheme, port,
 * literal addresses). No network: every refused case stops before connecting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "core/config.h"
#include "net/fetch.h"

struct addr_row {
    const char *text;
    int cls;
};

static const struct addr_row rows[] = {
    {"0.0.0.0", FETCH_ADDR_RESERVED},
    {"0.255.255.255", FETCH_ADDR_RESERVED},
    {"1.1.1.1", FETCH_ADDR_PUBLIC},
    {"8.8.8.8", FETCH_ADDR_PUBLIC},
    {"9.255.255.255", FETCH_ADDR_PUBLIC},
    {"10.0.0.0", FETCH_ADDR_PRIVATE},
    {"10.255.255.255", FETCH_ADDR_PRIVATE},
    {"11.0.0.0", FETCH_ADDR_PUBLIC},
    {"100.63.255.255", FETCH_ADDR_PUBLIC},
    {"100.64.0.0", FETCH_ADDR_CGNAT},
    {"100.127.255.255", FETCH_ADDR_CGNAT},
    {"100.128.0.0", FETCH_ADDR_PUBLIC},
    {"127.0.0.1", FETCH_ADDR_LOOPBACK},
    {"127.255.255.254", FETCH_ADDR_LOOPBACK},
    {"169.254.169.254", FETCH_ADDR_LINKLOCAL},
    {"169.255.0.1", FETCH_ADDR_PUBLIC},
    {"172.15.255.255", FETCH_ADDR_PUBLIC},
    {"172.16.0.1", FETCH_ADDR_PRIVATE},
    {"172.31.255.255", FETCH_ADDR_PRIVATE},
    {"172.32.0.0", FETCH_ADDR_PUBLIC},
    {"192.0.0.8", FETCH_ADDR_RESERVED},
    {"192.0.2.1", FETCH_ADDR_RESERVED},
    {"192.88.99.1", FETCH_ADDR_RESERVED},
    {"192.167.255.255", FETCH_ADDR_PUBLIC},
    {"192.168.0.1", FETCH_ADDR_PRIVATE},
    {"192.168.255.255", FETCH_ADDR_PRIVATE},
    {"192.169.0.0", FETCH_ADDR_PUBLIC},
    {"198.18.0.1", FETCH_ADDR_BENCHMARK},
    {"198.19.255.255", FETCH_ADDR_BENCHMARK},
    {"198.20.0.0", FETCH_ADDR_PUBLIC},
    {"198.51.100.7", FETCH_ADDR_RESERVED},
    {"203.0.113.9", FETCH_ADDR_RESERVED},
    {"223.255.255.255", FETCH_ADDR_PUBLIC},
    {"224.0.0.1", FETCH_ADDR_MULTICAST},
    {"239.255.255.255", FETCH_ADDR_MULTICAST},
    {"240.0.0.1", FETCH_ADDR_RESERVED},
    {"255.255.255.255", FETCH_ADDR_RESERVED},
    {"::", FETCH_ADDR_RESERVED},
    {"::1", FETCH_ADDR_LOOPBACK},
    {"::ffff:127.0.0.1", FETCH_ADDR_LOOPBACK},
    {"::ffff:10.1.2.3", FETCH_ADDR_PRIVATE},
    {"::ffff:8.8.8.8", FETCH_ADDR_PUBLIC},
    {"64:ff9b::192.168.1.1", FETCH_ADDR_PRIVATE},
    {"64:ff9b::8.8.4.4", FETCH_ADDR_PUBLIC},
    {"2002:0a00:0001::1", FETCH_ADDR_PRIVATE},
    {"2002:0808:0808::1", FETCH_ADDR_PUBLIC},
    {"100::1", FETCH_ADDR_RESERVED},
    {"2001::1", FETCH_ADDR_RESERVED},
    {"2001:db8::1", FETCH_ADDR_RESERVED},
    {"3fff::1", FETCH_ADDR_RESERVED},
    {"fc00::1", FETCH_ADDR_ULA},
    {"fd12:3456::1", FETCH_ADDR_ULA},
    {"fe80::1", FETCH_ADDR_LINKLOCAL},
    {"febf::1", FETCH_ADDR_LINKLOCAL},
    {"fec0::1", FETCH_ADDR_PRIVATE},
    {"ff02::1", FETCH_ADDR_MULTICAST},
    {"4000::1", FETCH_ADDR_RESERVED},
    {"2400:cb00::1", FETCH_ADDR_PUBLIC},
    {"2606:4700:4700::1111", FETCH_ADDR_PUBLIC},
    {"2001:4860:4860::8888", FETCH_ADDR_PUBLIC},
};

/* R-VAL-1: every row of the classification table, through text and sockaddr forms. */
static void test_fetch_addr_class_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = fetch_addr_class_text(rows[i].text);
        if (got != rows[i].cls)
            fail_msg("%s: %s, want %s", rows[i].text, fetch_addr_class_name(got),
                     fetch_addr_class_name(rows[i].cls));
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, rows[i].text, &s4->sin_addr) == 1) {
            s4->sin_family = AF_INET;
        } else {
            assert_int_equal(inet_pton(AF_INET6, rows[i].text, &s6->sin6_addr), 1);
            s6->sin6_family = AF_INET6;
        }
        assert_int_equal(fetch_addr_class((struct sockaddr *)&ss), rows[i].cls);
    }
}

static void test_fetch_addr_class_not_ip(void **state)
{
    (void)state;
    assert_int_equal(fetch_addr_class_text("example.com"), -1);
    assert_int_equal(fetch_addr_class_text("127.0.0.1.example"), -1);
    assert_int_equal(fetch_addr_class_text(""), -1);
    struct sockaddr sa = {.sa_family = AF_UNIX};
    assert_int_equal(fetch_addr_class(&sa), FETCH_ADDR_RESERVED);
}

/* R-VAL-1, issue 11 item 1: only public addresses by default; the three switches open
 * exactly their classes, multicast and reserved never. */
static void test_fetch_class_allowed_switches(void **state)
{
    (void)state;
    struct fetch_opts o = {0};
    for (int c = FETCH_ADDR_PUBLIC; c <= FETCH_ADDR_BENCHMARK; c++)
        assert_int_equal(fetch_class_allowed(&o, c), c == FETCH_ADDR_PUBLIC);
    o.allow_benchmarking = 1;
    for (int c = FETCH_ADDR_PUBLIC; c <= FETCH_ADDR_BENCHMARK; c++)
        assert_int_equal(fetch_class_allowed(&o, c),
                         c == FETCH_ADDR_PUBLIC || c == FETCH_ADDR_BENCHMARK);
    o.allow_benchmarking = 0;
    o.allow_loopback = 1;
    for (int c = FETCH_ADDR_PUBLIC; c <= FETCH_ADDR_RESERVED; c++)
        assert_int_equal(fetch_class_allowed(&o, c),
                         c == FETCH_ADDR_PUBLIC || c == FETCH_ADDR_LOOPBACK);
    o.allow_loopback = 0;
    o.allow_private = 1;
    for (int c = FETCH_ADDR_PUBLIC; c <= FETCH_ADDR_BENCHMARK; c++)
        assert_int_equal(fetch_class_allowed(&o, c),
                         c != FETCH_ADDR_LOOPBACK && c != FETCH_ADDR_MULTICAST &&
                             c != FETCH_ADDR_RESERVED && c != FETCH_ADDR_BENCHMARK);
    o.allow_loopback = 1;
    assert_false(fetch_class_allowed(&o, FETCH_ADDR_MULTICAST));
    assert_false(fetch_class_allowed(&o, FETCH_ADDR_RESERVED));
    assert_false(fetch_class_allowed(&o, 99));
}

/* R-VAL-1: defaults from [dcv]: nothing private, BR port 80, bounded time/size/redirects;
 * a bad setting names itself. */
static void test_fetch_opts_from_config_defaults_and_errors(void **state)
{
    (void)state;
    struct config *c = config_defaults(".");
    assert_non_null(c);
    struct fetch_opts o;
    struct sm_err e = {0};
    assert_int_equal(fetch_opts_from_config(c, &o, &e), 0);
    assert_false(o.allow_private);
    assert_false(o.allow_loopback);
    assert_false(o.allow_benchmarking);
    assert_int_equal(o.http_port, 80);
    assert_int_equal(o.https_port, 443);
    assert_int_equal(o.tls_alpn_port, 443); /* issue 10 item 3: RFC 8737 */
    assert_true(o.timeout_ms > 0 && o.timeout_ms <= 600000);
    assert_int_equal(o.max_body, 65536);
    assert_true(o.max_redirects >= 1 && o.max_redirects < FETCH_MAX_HOPS);
    assert_null(o.dns);
    static const char *const bad[][2] = {
        {"http_port", "0"},     {"http_port", "65536"},  {"timeout", "0"},
        {"max_body", "x"},      {"max_redirects", "99"}, {"connect_timeout", "-1"},
        {"tls_alpn_port", "0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct config *c2 = config_defaults(".");
        assert_int_equal(config_set(c2, "dcv", bad[i][0], bad[i][1]), 0);
        assert_true(fetch_opts_from_config(c2, &o, &e) < 0);
        assert_string_equal(e.field, bad[i][0]);
        config_free(c2);
    }
    config_free(c);
}

/* R-VAL-1, issue 8 items 26 and 27 (BR 1.6.1 Authorized Ports): another http port (and,
 * issue 10 item 3, another tls-alpn-01 port) and loopback or private targets are test
 * relaxations, refused without [testing] not_for_production and taken with it. */
static void test_fetch_opts_relaxations_need_test_mode(void **state)
{
    (void)state;
    static const char *const relax[][2] = {{"http_port", "8080"},
                                           {"tls_alpn_port", "8443"},
                                           {"allow_loopback", "true"},
                                           {"allow_private", "true"},
                                           {"allow_benchmarking", "true"}};
    for (size_t i = 0; i < sizeof relax / sizeof relax[0]; i++) {
        struct config *c = config_defaults(".");
        struct fetch_opts o;
        struct sm_err e = {0};
        assert_non_null(c);
        assert_int_equal(config_set(c, "dcv", relax[i][0], relax[i][1]), 0);
        assert_int_equal(fetch_opts_from_config(c, &o, &e), -SM_E_CONFIG);
        assert_string_equal(e.field, relax[i][0]);
        assert_non_null(strstr(e.detail, "not_for_production"));
        assert_int_equal(config_set(c, "testing", "not_for_production", "true"), 0);
        assert_int_equal(fetch_opts_from_config(c, &o, &e), 0);
        config_free(c);
    }
}

struct refusal {
    const char *url;
    const char *reason;
};

/* R-VAL-1: refusals decided before any connection is opened. */
static void test_fetch_get_refuses_before_connecting(void **state)
{
    (void)state;
    struct fetch_opts o = {0, 0, 0, 80, 443, 1000, 2000, 1024, 3, NULL, 443};
    static const struct refusal cases[] = {
        {"not a url", "fetch.url_invalid"},
        {"ftp://example.com/.well-known/pki-validation/a", "fetch.scheme"},
        {"file:///etc/passwd", "fetch.scheme"},
        {"gopher://example.com/", "fetch.scheme"},
        {"http://example.com:8080/a", "fetch.port"},
        {"http://example.com:443/a", "fetch.port"},
        {"https://example.com:80/a", "fetch.port"},
        {"http://127.0.0.1/a", "fetch.address_refused"},
        {"http://10.1.2.3/a", "fetch.address_refused"},
        {"http://169.254.169.254/latest/meta-data", "fetch.address_refused"},
        {"http://100.64.1.1/a", "fetch.address_refused"},
        {"http://[::1]/a", "fetch.address_refused"},
        {"http://[fd00::1]/a", "fetch.address_refused"},
        {"http://[fe80::1]/a", "fetch.address_refused"},
        {"http://224.0.0.1/a", "fetch.address_refused"},
        {"http://192.0.2.1/a", "fetch.address_refused"},
        {"https://[::ffff:192.168.0.1]/a", "fetch.address_refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fetch_result r;
        int rc = fetch_get(&o, cases[i].url, &r);
        if (rc != 1 || r.reason == NULL || strcmp(r.reason, cases[i].reason) != 0)
            fail_msg("%s: rc %d reason %s, want %s", cases[i].url, rc,
                     r.reason ? r.reason : "(none)", cases[i].reason);
        assert_int_equal(r.nhops, 1);
        assert_null(r.body);
        fetch_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_addr_class_table),
        cmocka_unit_test(test_fetch_addr_class_not_ip),
        cmocka_unit_test(test_fetch_class_allowed_switches),
        cmocka_unit_test(test_fetch_opts_from_config_defaults_and_errors),
        cmocka_unit_test(test_fetch_opts_relaxations_need_test_mode),
        cmocka_unit_test(test_fetch_get_refuses_before_connecting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
