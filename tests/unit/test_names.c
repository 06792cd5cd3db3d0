/* SPDX-License-Identifier: MIT */
/* R-CSR-4, R-APP-6: certificate names as the BR allow them. Table-driven: each DNS name or
 * IP address with the code it must get (NULL = acceptable without remark). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pki/names.h"

struct dns_case {
    const char *name;
    int wildcard;
    const char *code; /* expected code, NULL for none */
    int rc;           /* expected return: 0 acceptable, 1 rejected */
    const char *norm; /* expected normalized form when acceptable, or NULL */
};

static const struct dns_case dns_cases[] = {
    /* accepted */
    {"www.example.co.jp", 0, NULL, 0, "www.example.co.jp"},
    {"example.jp", 0, NULL, 0, "example.jp"},
    {"a.b.c.example.com", 0, NULL, 0, "a.b.c.example.com"},
    {"city.kawasaki.jp", 0, NULL, 0, "city.kawasaki.jp"},
    {"xn--eckwd4c7c.jp", 0, NULL, 0, "xn--eckwd4c7c.jp"},
    {"xn--eckwd4c7c.xn--zckzah.jp", 0, NULL, 0, NULL},
    {"*.example.co.jp", 1, NULL, 0, "*.example.co.jp"},
    {"github.io", 0, NULL, 0, "github.io"}, /* private-section suffix owned by its holder */
    {"foo.github.io", 0, NULL, 0, "foo.github.io"},
    {"1-2.example.jp", 0, NULL, 0, NULL},
    /* lower-cased, with a notice */
    {"WWW.Example.CO.JP", 0, "name.uppercase", 0, "www.example.co.jp"},
    {"*.EXAMPLE.jp", 1, "name.uppercase", 0, "*.example.jp"},
    /* rejected */
    {"", 0, "name.empty", 1, NULL},
    {"my_host.example.co.jp", 0, "name.underscore", 1, NULL},
    {"_dmarc.example.jp", 0, "name.underscore", 1, NULL},
    {"server.local", 0, "name.internal", 1, NULL},
    {"db.internal", 0, "name.internal", 1, NULL},
    {"www.example.test", 0, "name.internal", 1, NULL},
    {"host.example", 0, "name.internal", 1, NULL},
    {"a.invalid", 0, "name.internal", 1, NULL},
    {"app.localhost", 0, "name.internal", 1, NULL},
    {"10.in-addr.arpa", 0, "name.internal", 1, NULL},
    {"router.home.arpa", 0, "name.internal", 1, NULL},
    {"hidden.onion", 0, "name.internal", 1, NULL},
    {"nas.lan", 0, "name.internal", 1, NULL},
    {"intranet", 0, "name.single_label", 1, NULL},
    {"localhost", 0, "name.single_label", 1, NULL},
    {"foo.notarealtld", 0, "name.unknown_tld", 1, NULL},
    {"co.jp", 0, "name.public_suffix", 1, NULL},
    {"tokyo.jp", 0, "name.public_suffix", 1, NULL},
    {"x.kawasaki.jp", 0, "name.public_suffix", 1, NULL}, /* *.kawasaki.jp rule */
    {"com", 0, "name.single_label", 1, NULL},
    {"*.co.jp", 1, "name.wildcard_public_suffix", 1, NULL},
    {"*.jp", 1, "name.wildcard_public_suffix", 1, NULL},
    {"*.github.io", 1, "name.wildcard_public_suffix", 1, NULL},
    {"*.example.co.jp", 0, "name.wildcard_not_allowed", 1, NULL},
    {"www.*.example.jp", 1, "name.wildcard_position", 1, NULL},
    {"w*.example.jp", 1, "name.wildcard_position", 1, NULL},
    {"*w.example.jp", 1, "name.wildcard_position", 1, NULL},
    {"*.*.example.jp", 1, "name.wildcard_position", 1, NULL},
    {"*", 1, "name.wildcard_position", 1, NULL},
    {"ドメイン.jp", 0, "name.u_label", 1, NULL},
    {"株式会社テスト.jp", 0, "name.u_label", 1, NULL},
    /* issue 8 item 9: full-width ASCII and the ideographic full stop */
    {"ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ", 0, "name.fullwidth", 1, NULL},
    {"www。example。jp", 0, "name.fullwidth", 1, NULL},
    {"www.exampl ｅ.jp", 0, "name.fullwidth", 1, NULL},
    {"xn--zz.jp", 0, "name.idna_invalid", 1, NULL},
    {"xn--abc.com", 0, "name.idna_invalid", 1, NULL},
    {"xn--Eckwd4c7c-.jp", 0, "name.hyphen", 1, NULL},
    {"\xff\xfe.jp", 0, "name.idna_invalid", 1, NULL},
    {"-abc.example.jp", 0, "name.hyphen", 1, NULL},
    {"abc-.example.jp", 0, "name.hyphen", 1, NULL},
    {"ab--cd.example.jp", 0, "name.hyphen", 1, NULL},
    {"a..example.jp", 0, "name.empty_label", 1, NULL},
    {".example.jp", 0, "name.empty_label", 1, NULL},
    {"example.jp.", 0, "name.trailing_dot", 1, NULL},
    {"exa mple.jp", 0, "name.invalid_char", 1, NULL},
    {"exa!mple.jp", 0, "name.invalid_char", 1, NULL},
    {"www.example.jp/path", 0, "name.invalid_char", 1, NULL},
    {"admin@example.jp", 0, "name.invalid_char", 1, NULL},
};

/* R-CSR-4 */
static void test_names_check_dns_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dns_cases / sizeof dns_cases[0]; i++) {
        const struct dns_case *t = &dns_cases[i];
        struct names_problem p;
        char norm[NAMES_NORM_MAX];
        int rc = names_check_dns(t->name, t->wildcard, norm, &p);
        if (rc != t->rc || (t->code == NULL) != (p.code == NULL) ||
            (t->code != NULL && strcmp(t->code, p.code) != 0))
            fail_msg("%s: rc %d code %s, expected rc %d code %s", t->name, rc,
                     p.code ? p.code : "(none)", t->rc, t->code ? t->code : "(none)");
        if (t->norm != NULL)
            assert_string_equal(norm, t->norm);
        if (p.code != NULL) {
            assert_non_null(p.msg_ja);
            assert_non_null(p.msg_en);
        }
    }
}

/* R-CSR-4: labels and names at and past the length limits */
static void test_names_check_dns_length_limits(void **state)
{
    (void)state;
    char name[400];
    struct names_problem p;
    memset(name, 'a', 63);
    memcpy(name + 63, ".example.jp", 12);
    assert_int_equal(names_check_dns(name, 0, NULL, &p), 0);
    memset(name, 'a', 64);
    memcpy(name + 64, ".example.jp", 12);
    assert_int_equal(names_check_dns(name, 0, NULL, &p), 1);
    assert_string_equal(p.code, "name.label_too_long");
    /* 254 characters: labels of 49 + dot, then example.jp */
    size_t o = 0;
    while (o < 244) {
        memset(name + o, 'b', 49);
        name[o + 49] = '.';
        o += 50;
    }
    memcpy(name + o, "example.jp", 11);
    assert_true(strlen(name) > 253);
    assert_int_equal(names_check_dns(name, 0, NULL, &p), 1);
    assert_string_equal(p.code, "name.too_long");
    assert_int_equal(names_check_dns(NULL, 0, NULL, &p), 1);
    assert_string_equal(p.code, "name.empty");
}

/* R-CSR-4: a U-label is refused but the user is told the A-label form */
static void test_names_check_dns_ulabel_shows_alabel(void **state)
{
    (void)state;
    struct names_problem p;
    assert_int_equal(names_check_dns("ドメイン.jp", 0, NULL, &p), 1);
    assert_string_equal(p.code, "name.u_label");
    assert_non_null(strstr(p.detail, "xn--eckwd4c7c.jp"));
}

struct ip_case {
    const char *ip;
    int allow_ip;
    const char *code;
};

static const struct ip_case ip_cases[] = {
    {"8.8.8.8", 1, NULL},
    {"8.8.8.8", 0, "name.ip_not_allowed"},
    {"172.32.0.1", 1, NULL},  /* just past 172.16.0.0/12 */
    {"100.128.0.1", 1, NULL}, /* just past 100.64.0.0/10 */
    {"2001:4860:4860::8888", 1, NULL},
    {"10.1.2.3", 1, "name.ip_reserved"},
    {"172.16.0.1", 1, "name.ip_reserved"},
    {"172.31.255.255", 1, "name.ip_reserved"},
    {"192.168.0.1", 1, "name.ip_reserved"},
    {"127.0.0.1", 1, "name.ip_reserved"},
    {"169.254.1.1", 1, "name.ip_reserved"},
    {"100.64.0.1", 1, "name.ip_reserved"},
    {"0.0.0.0", 1, "name.ip_reserved"},
    {"255.255.255.255", 1, "name.ip_reserved"},
    {"224.0.0.1", 1, "name.ip_reserved"},
    {"192.0.2.1", 1, "name.ip_reserved"},
    {"198.51.100.1", 1, "name.ip_reserved"},
    {"203.0.113.5", 1, "name.ip_reserved"},
    {"198.18.0.1", 1, "name.ip_reserved"},
    {"::1", 1, "name.ip_reserved"},
    {"::", 1, "name.ip_reserved"},
    {"fe80::1", 1, "name.ip_reserved"},
    {"fc00::1", 1, "name.ip_reserved"},
    {"ff02::1", 1, "name.ip_reserved"},
    {"2001:db8::1", 1, "name.ip_reserved"},
    {"::ffff:8.8.8.8", 1, "name.ip_reserved"},
    {"1.2.3", 1, "name.ip_invalid"},
    {"", 1, "name.ip_invalid"},
};

/* R-CSR-4, R-APP-6 */
static void test_names_check_ip_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ip_cases / sizeof ip_cases[0]; i++) {
        const struct ip_case *t = &ip_cases[i];
        struct names_problem p;
        char norm[NAMES_NORM_MAX];
        int rc = names_check_ip(t->ip, t->allow_ip, norm, &p);
        if (rc != (t->code ? 1 : 0) || (t->code == NULL) != (p.code == NULL) ||
            (t->code != NULL && strcmp(t->code, p.code) != 0))
            fail_msg("%s: rc %d code %s, expected %s", t->ip, rc, p.code ? p.code : "(none)",
                     t->code ? t->code : "(none)");
    }
}

/* R-CSR-4: the byte form used by GeneralName; wrong lengths are malformed */
static void test_names_check_ip_bytes_lengths(void **state)
{
    (void)state;
    struct names_problem p;
    char norm[NAMES_NORM_MAX];
    const unsigned char v4[4] = {8, 8, 4, 4}, bad[5] = {1, 2, 3, 4, 5};
    assert_int_equal(names_check_ip_bytes(v4, 4, 1, norm, &p), 0);
    assert_string_equal(norm, "8.8.4.4");
    assert_int_equal(names_check_ip_bytes(bad, 5, 1, norm, &p), 1);
    assert_string_equal(p.code, "name.ip_invalid");
    assert_int_equal(names_check_ip_bytes(bad, 0, 1, norm, &p), 1);
}

/* R-APP-6: names_check dispatches IP literals to the IP rules */
static void test_names_check_dispatch_ip_or_dns(void **state)
{
    (void)state;
    struct names_problem p;
    assert_int_equal(names_check("192.168.1.1", 1, 1, NULL, &p), 1);
    assert_string_equal(p.code, "name.ip_reserved");
    assert_int_equal(names_check("192.168.1.256", 1, 1, NULL, &p), 1);
    assert_string_equal(p.code, "name.unknown_tld");
    assert_int_equal(names_check("www.example.jp", 1, 0, NULL, &p), 0);
    assert_null(p.code);
    assert_true(names_is_ip("::1"));
    assert_false(names_is_ip("example.jp"));
}

/* R-CSR-2: CN comparison for renewal and reissue ignores case and IDN form */
static void test_names_equal_forms(void **state)
{
    (void)state;
    assert_true(names_equal("WWW.Example.JP", "www.example.jp"));
    assert_true(names_equal("ドメイン.jp", "xn--eckwd4c7c.jp"));
    assert_false(names_equal("www.example.jp", "example.jp"));
    assert_false(names_equal(NULL, "example.jp"));
}

/* R-CSR-3: A-labels are shown decoded */
static void test_names_to_unicode_display(void **state)
{
    (void)state;
    char *u = NULL;
    assert_int_equal(names_to_unicode("xn--eckwd4c7c.jp", &u), 0);
    assert_string_equal(u, "ドメイン.jp");
    free(u);
    assert_int_equal(names_to_unicode("xn--zz.jp", &u), -SM_E_INVALID);
    assert_null(u);
}

/* R-CSR-4: every code has both texts and is unique */
static void test_names_problem_table_complete(void **state)
{
    (void)state;
    size_t n;
    const struct names_problem_def *t = names_problem_table(&n);
    assert_true(n > 10);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strncmp(t[i].code, "name.", 5), 0);
        assert_true(strlen(t[i].msg_ja) > 0 && strlen(t[i].msg_en) > 0);
        for (size_t k = i + 1; k < n; k++)
            assert_string_not_equal(t[i].code, t[k].code);
    }
}

/* issue 7 item 4: the public suffix list has one home, asked through one function. */
static void test_names_registrable_domain(void **state)
{
    (void)state;
    const char *n = "www.example.co.jp";
    assert_ptr_equal(names_registrable_domain(n), n + 4);
    assert_string_equal(names_registrable_domain("a.b.example.com"), "example.com");
    assert_string_equal(names_registrable_domain("example.com"), "example.com");
    assert_null(names_registrable_domain("co.jp"));
    assert_null(names_registrable_domain("com"));
    assert_null(names_registrable_domain(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_check_dns_table),
        cmocka_unit_test(test_names_check_dns_length_limits),
        cmocka_unit_test(test_names_check_dns_ulabel_shows_alabel),
        cmocka_unit_test(test_names_check_ip_table),
        cmocka_unit_test(test_names_check_ip_bytes_lengths),
        cmocka_unit_test(test_names_check_dispatch_ip_or_dns),
        cmocka_unit_test(test_names_equal_forms),
        cmocka_unit_test(test_names_to_unicode_display),
        cmocka_unit_test(test_names_problem_table_complete),
        cmocka_unit_test(test_names_registrable_domain),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
