/* SPDX-License-Identifier: MIT */
/* R-VAL-3 and issue 10 item 9: the resolver contexts kept by [dns] cache_seconds. With it,
 * dns_close keeps a context (and its cache of validated answers) for the next dns_open of
 * the same settings, one user at a time; other settings never get it; out-of-range values
 * are refused naming the setting. No lookup is made: a context is only set up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "net/dns.h"
#include "testdir.h"

static char dir[512];

/* A test data directory's settings: forwarders on loopback, its own trust anchor. */
static struct config *settings(const char *resolver, const char *cache_seconds)
{
    struct config *c = config_defaults(dir);
    assert_non_null(c);
    config_set(c, "testing", "not_for_production", "true");
    config_set(c, "dns", "resolver", resolver);
    config_set(c, "dns", "trust_anchor_file", "anchor.ds");
    config_set(c, "dns", "cache_seconds", cache_seconds);
    return c;
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(testdir_make(dir, sizeof dir, "dns"), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/anchor.ds", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(". 3600 IN DS 20326 8 2 "
          "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
          f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dns_idle_close();
    testdir_remove(dir);
    return 0;
}

static void test_dns_kept_for_the_same_settings(void **state)
{
    (void)state;
    struct config *c = settings("127.0.0.1@1", "30");
    struct dns *a = NULL, *b = NULL, *again = NULL;
    struct sm_err e = {0};
    assert_int_equal(dns_open(c, &a, &e), 0);
    assert_int_equal(dns_open(c, &b, &e), 0);
    assert_ptr_not_equal(a, b); /* one user at a time */
    dns_close(a);
    assert_int_equal(dns_open(c, &again, &e), 0);
    assert_ptr_equal(again, a); /* kept, with its cache */
    dns_close(again);
    dns_close(b);
    dns_idle_close();
    config_free(c);
}

static void test_dns_not_shared_across_settings(void **state)
{
    (void)state;
    struct config *c1 = settings("127.0.0.1@1", "30"), *c2 = settings("127.0.0.1@2", "30");
    struct dns *a = NULL, *b = NULL;
    struct sm_err e = {0};
    assert_int_equal(dns_open(c1, &a, &e), 0);
    dns_close(a); /* kept: still allocated, so no other context can have its address */
    assert_int_equal(dns_open(c2, &b, &e), 0);
    assert_ptr_not_equal(b, a);
    dns_close(b);
    dns_idle_close();
    config_free(c1);
    config_free(c2);
}

static void test_dns_cache_seconds_range(void **state)
{
    (void)state;
    struct config *c = settings("127.0.0.1@1", "301");
    struct dns *d = NULL;
    struct sm_err e = {0};
    assert_int_equal(dns_open(c, &d, &e), -SM_E_CONFIG);
    assert_null(d);
    assert_string_equal(e.field, "cache_seconds");
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_kept_for_the_same_settings),
        cmocka_unit_test(test_dns_not_shared_across_settings),
        cmocka_unit_test(test_dns_cache_seconds_range),
    };
    return cmocka_run_group_tests_name("dns", tests, setup, teardown);
}
