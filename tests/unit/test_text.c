/* SPDX-License-Identifier: MIT */
/* core/text (issue 7 item 4, one home per rule): hex both ways, digit checks, write_all
 * through a pipe, and the one e-mail address syntax with the RFC 5321 limits (local part
 * 64, address 254). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

static void test_text_hex_round_trip(void **state)
{
    (void)state;
    const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char hex[2 * sizeof in + 1];
    text_hex(hex, in, sizeof in);
    assert_string_equal(hex, "00017f80abff");
    assert_true(text_is_lower_hex(hex, 12));
    assert_false(text_is_lower_hex(hex, 11));
    assert_false(text_is_lower_hex("00017F80ABFF", 12));
    assert_false(text_is_lower_hex(NULL, 0));
    unsigned char out[sizeof in];
    assert_int_equal(text_unhex(out, sizeof out, hex), 0);
    assert_memory_equal(out, in, sizeof in);
    assert_int_equal(text_unhex(out, sizeof out, "00017F80ABFF"), 0); /* either case */
    assert_memory_equal(out, in, sizeof in);
    assert_int_equal(text_unhex(out, sizeof out, "00017f80abf"), -1);    /* odd */
    assert_int_equal(text_unhex(out, sizeof out, "00017f80abffa0"), -1); /* long */
    assert_int_equal(text_unhex(out, sizeof out, "00017f80abfg"), -1);   /* not hex */
    assert_int_equal(text_unhex(out, sizeof out, NULL), -1);
    assert_int_equal(text_hex_value('0'), 0);
    assert_int_equal(text_hex_value('a'), 10);
    assert_int_equal(text_hex_value('F'), 15);
    assert_int_equal(text_hex_value('g'), -1);
    assert_int_equal(text_hex_value('\0'), -1);
    text_hex(hex, in, 0);
    assert_string_equal(hex, "");
}

/* The base64 digits of both alphabets (RFC 4648 tables 1 and 2), one home for pki/csr
 * (standard), pki/jws (url) and net/smtp: each digit's value is its place in the table,
 * 62 and 63 only in their own alphabet, padding and anything else -1. */
static void test_text_b64_alphabets(void **state)
{
    (void)state;
    const char *std = text_b64_digits(TEXT_B64_STD), *url = text_b64_digits(TEXT_B64_URL);
    assert_int_equal(strlen(std), 64);
    assert_int_equal(strlen(url), 64);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(text_b64_value((unsigned char)std[i], TEXT_B64_STD), i);
        assert_int_equal(text_b64_value((unsigned char)url[i], TEXT_B64_URL), i);
    }
    assert_int_equal(std[62], '+');
    assert_int_equal(url[63], '_');
    assert_int_equal(text_b64_value('+', TEXT_B64_URL), -1);
    assert_int_equal(text_b64_value('/', TEXT_B64_URL), -1);
    assert_int_equal(text_b64_value('-', TEXT_B64_STD), -1);
    assert_int_equal(text_b64_value('_', TEXT_B64_STD), -1);
    static const int other[] = {'=', ' ', '\n', '.', 0, 0x80, 0xff, -1};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        assert_int_equal(text_b64_value(other[i], TEXT_B64_STD), -1);
        assert_int_equal(text_b64_value(other[i], TEXT_B64_URL), -1);
    }
    /* Every value an int can bring from a byte, and just outside: exactly the digits of
     * the alphabet have a value, and it is their place in it. */
    for (int c = -2; c <= 257; c++) {
        const char *ps = c > 0 && c < 256 ? strchr(std, c) : NULL;
        const char *pu = c > 0 && c < 256 ? strchr(url, c) : NULL;
        assert_int_equal(text_b64_value(c, TEXT_B64_STD), ps ? (int)(ps - std) : -1);
        assert_int_equal(text_b64_value(c, TEXT_B64_URL), pu ? (int)(pu - url) : -1);
    }
}

static void test_text_digits(void **state)
{
    (void)state;
    assert_true(text_same(NULL, NULL));
    assert_true(text_same("a", "a"));
    assert_false(text_same("a", NULL));
    assert_false(text_same(NULL, "a"));
    assert_false(text_same("a", "ab"));
    assert_false(text_same("", NULL));
    assert_true(text_is_digits("0"));
    assert_true(text_is_digits("0123456789"));
    assert_false(text_is_digits(""));
    assert_false(text_is_digits(NULL));
    assert_false(text_is_digits("12a"));
    assert_false(text_is_digits("-1"));
    assert_false(text_is_digits(" 1"));
    assert_false(text_is_digits("１２")); /* full-width digits are not ASCII digits */
    assert_true(text_digits_n("123-4567", 3));
    assert_false(text_digits_n("123-4567", 4));
    assert_true(text_digits_n("x", 0));
    assert_true(text_is_digit('7'));
    assert_false(text_is_digit('/'));
    assert_false(text_is_digit(':'));
}

/* Issue 7 item 4: the hex reader of the weak-key list and the digit fields of dates and
 * calendars live here; atext is the one set of the address check and the SMTP headers. */
static void test_text_unhex_lower_digits_value_atext(void **state)
{
    (void)state;
    unsigned char b[3];
    assert_int_equal(text_unhex_lower(b, 3, "0aff10 rest"), 0);
    assert_int_equal(b[0], 0x0a);
    assert_int_equal(b[1], 0xff);
    assert_int_equal(b[2], 0x10);
    assert_int_equal(text_unhex_lower(b, 3, "0aFF10"), -1); /* lower case only */
    assert_int_equal(text_unhex_lower(b, 3, "0af"), -1);    /* short: stops at the NUL */
    assert_int_equal(text_unhex_lower(b, 1, "g0"), -1);
    int v = -1;
    assert_int_equal(text_digits_value("2026-", 4, &v), 0);
    assert_int_equal(v, 2026);
    assert_int_equal(text_digits_value("09", 2, &v), 0);
    assert_int_equal(v, 9);
    assert_int_equal(text_digits_value("1a", 2, &v), -1);
    assert_int_equal(text_digits_value("1", 2, &v), -1);
    assert_true(text_is_atext('a') && text_is_atext('Z') && text_is_atext('7'));
    assert_true(text_is_atext('+') && text_is_atext('~') && text_is_atext('\''));
    assert_false(text_is_atext('.') || text_is_atext('@') || text_is_atext(' '));
    assert_false(text_is_atext('<') || text_is_atext(0) || text_is_atext(0xe3));
}

static void test_text_write_all_pipe(void **state)
{
    (void)state;
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    const char msg[] = "hello, text";
    assert_int_equal(write_all(fd[1], msg, sizeof msg), 0);
    assert_int_equal(write_all(fd[1], msg, 0), 0);
    close(fd[1]);
    char got[64] = {0};
    assert_int_equal(read(fd[0], got, sizeof got), (ssize_t)sizeof msg);
    assert_string_equal(got, msg);
    close(fd[0]);
    assert_int_equal(write_all(-1, msg, sizeof msg), -1);
}

/* issue 7 item 4: one e-mail syntax, RFC 5321 limits 64 (local part) and 254 (address). */
static void test_text_email_table(void **state)
{
    (void)state;
    char local64[80], local65[80], long254[300], long255[300];
    memset(local64, 'a', 64);
    snprintf(local64 + 64, sizeof local64 - 64, "@b.jp");
    memset(local65, 'a', 65);
    snprintf(local65 + 65, sizeof local65 - 65, "@b.jp");
    /* x@ + labels of 63 + "." ... up to exactly 254 / 255 octets */
    size_t k = 0;
    long254[k++] = 'x';
    long254[k++] = '@';
    while (k + 64 < 250) {
        memset(long254 + k, 'd', 63);
        k += 63;
        long254[k++] = '.';
    }
    while (k < 254 - 3)
        long254[k++] = 'e';
    memcpy(long254 + k, ".jp", 4);
    assert_int_equal(strlen(long254), 254);
    long255[0] = 'y';
    memcpy(long255 + 1, long254, 255); /* 255 octets and the NUL */
    const char *good[] = {"a@b.jp",
                          "user.name+tag@example.co.jp",
                          "x_y-z@sub-1.example.jp",
                          "taro@example.co.jp",
                          "o'neil@example.com",
                          local64,
                          long254};
    const char *bad[] = {
        "",
        "a",
        "@b.jp",
        "a@",
        "a b@c.jp",
        "<a@b.jp>",
        "a@b.jp\r\n",
        "a\r\n@b.jp",
        ".a@b.jp",
        "a.@b.jp",
        "a..b@c.jp",
        "a@.b.jp",
        "a@b..jp",
        "a@b.jp.",
        "a@b_c.jp",
        "\"a\"@b.jp",
        "a@[1.2.3.4]",
        "ユーザ@example.jp",
        "a,b@c.jp",
        "a@b",
        "a@example",
        "a@@b.example",
        "a@-b.jp",
        "a@b-.jp",
        "a@b.j1",
        "a@1.2.3.4",
        "no-at.example",
        local65,
        long255,
        NULL,
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!text_email_ok(good[i], 0) || !text_email_ok(good[i], TEXT_EMAIL_LOCAL_DOMAIN))
            fail_msg("refused '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (text_email_ok(bad[i], 0))
            fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
    /* the transport and operator settings also take a single-label domain, nothing more */
    const char *local_ok[] = {"shomei@localhost", "a@b", "root@mail-1"};
    for (size_t i = 0; i < sizeof local_ok / sizeof local_ok[0]; i++) {
        assert_false(text_email_ok(local_ok[i], 0));
        assert_true(text_email_ok(local_ok[i], TEXT_EMAIL_LOCAL_DOMAIN));
    }
    const char *local_bad[] = {"a@-b", "a@b-",          "a@b_c", "a@",    "@b",
                               "a@b.", "a@[127.0.0.1]", local65, long255, NULL};
    for (size_t i = 0; i < sizeof local_bad / sizeof local_bad[0]; i++)
        if (text_email_ok(local_bad[i], TEXT_EMAIL_LOCAL_DOMAIN))
            fail_msg("accepted '%s' as a transport address",
                     local_bad[i] ? local_bad[i] : "(null)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_hex_round_trip),
        cmocka_unit_test(test_text_digits),
        cmocka_unit_test(test_text_b64_alphabets),
        cmocka_unit_test(test_text_write_all_pipe),
        cmocka_unit_test(test_text_unhex_lower_digits_value_atext),
        cmocka_unit_test(test_text_email_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
