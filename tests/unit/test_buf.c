/* SPDX-License-Identifier: MIT */
/* core/buf: buf_printf formats in one pass when the text fits in the room left (issue 12
 * item 10: the list page's SQL and HTML are built with it), and grows, or refuses past the
 * cap, leaving the buffer as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"

static void test_buf_printf_fits_grows_and_refuses_past_the_cap(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(buf_printf(&b, "%s-%d", "a", 1), 0);
    assert_string_equal(b.p, "a-1");
    assert_int_equal(buf_printf(&b, ",$%d", 22), 0); /* fits in the room left */
    assert_string_equal(b.p, "a-1,$22");
    assert_int_equal(b.len, 7);
    char big[300];
    memset(big, 'y', sizeof big - 1); /* filler */
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_printf(&b, "%s", big), 0); /* does not fit: grows */
    assert_int_equal(b.len, 7 + 299);
    assert_int_equal(strlen(b.p), b.len);
    assert_memory_equal(b.p, "a-1,$22yyy", 10);
    buf_free(&b);

    struct buf c = BUF_INIT;
    c.max = 16;
    assert_int_equal(buf_printf(&c, "%s", "0123456789"), 0);
    size_t cap = c.cap;
    assert_true(cap > 16); /* room left, but past the cap */
    assert_int_equal(buf_printf(&c, "%s", "abcdefghij"), -SM_E_TOO_LARGE);
    assert_string_equal(c.p, "0123456789");
    assert_int_equal(c.len, 10);
    assert_int_equal(buf_printf(&c, "%s", "abcdef"), 0); /* exactly the cap */
    assert_string_equal(c.p, "0123456789abcdef");
    buf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_printf_fits_grows_and_refuses_past_the_cap),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
