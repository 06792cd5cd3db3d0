/* SPDX-License-Identifier: MIT */
/* core/config, issue 8 item 3: an empty [server] base_url follows [server] port (and so
 * serve --port) and bind; an explicit one is used as given and does not move. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/config.h"

static void test_config_base_url_follows_port_unless_set(void **state)
{
    (void)state;
    struct config *c = config_defaults("/nonexistent");
    assert_non_null(c);
    assert_false(config_base_url_explicit(c));
    assert_string_equal(config_str(c, "server", "base_url"), "http://127.0.0.1:8080");
    assert_int_equal(config_set(c, "server", "port", "9443"), 0);
    assert_string_equal(config_str(c, "server", "base_url"), "http://127.0.0.1:9443");
    assert_int_equal(config_set(c, "server", "bind", "0.0.0.0"), 0);
    assert_string_equal(config_str(c, "server", "base_url"), "http://127.0.0.1:9443");
    assert_int_equal(config_set(c, "server", "bind", "::"), 0);
    assert_string_equal(config_str(c, "server", "base_url"), "http://[::1]:9443");
    assert_int_equal(config_set(c, "server", "bind", "192.0.2.7"), 0);
    assert_string_equal(config_str(c, "server", "base_url"), "http://192.0.2.7:9443");
    /* an empty value (as init writes it) still follows */
    assert_int_equal(config_set(c, "server", "base_url", ""), 0);
    assert_false(config_base_url_explicit(c));
    assert_string_equal(config_str(c, "server", "base_url"), "http://192.0.2.7:9443");
    /* explicit: used as given, whatever the port */
    assert_int_equal(config_set(c, "server", "base_url", "https://ca.example.jp"), 0);
    assert_true(config_base_url_explicit(c));
    assert_int_equal(config_set(c, "server", "port", "9000"), 0);
    assert_string_equal(config_str(c, "server", "base_url"), "https://ca.example.jp");
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_base_url_follows_port_unless_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
