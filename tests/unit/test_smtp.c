/* SPDX-License-Identifier: MIT */
/* R-NOT-1: mail messages as RFC 5322 text. RFC 2047 encoded subjects (Japanese, long,
 * 4-byte characters) decode back and respect the 75/76 column limits, split on character
 * boundaries; ASCII stays plain; header injection (CR/LF, control characters) is refused
 * naming the field; bodies and attachments are base64 in lines of at most 76. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "net/smtp.h"

/* Decodes base64 text (no line breaks) into out; returns the length. */
static size_t b64dec(const char *s, size_t n, unsigned char *out, size_t cap)
{
    size_t len = 0;
    assert_int_equal(
        sodium_base642bin(out, cap, s, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    return len;
}

/* Whether s[0..n) is valid UTF-8 on its own (a word never splits a character). */
static int utf8_whole(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = s[i] < 0x80 ? 1 : s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
        if (i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k;
    }
    return 1;
}

/* Unfolds one header "Name: value" (CRLF + space continuations) and decodes encoded-words
 * (adjacent words joined, as RFC 2047 section 6.2 says). Checks the column limits. */
static void decode_header(const char *h, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    assert_memory_equal(h, name, nl);
    assert_memory_equal(h + nl, ": ", 2);
    const char *p = h + nl + 2;
    size_t o = 0;
    int prev_word = 0;
    /* Line lengths. */
    const char *line = h;
    for (;;) {
        const char *end = strstr(line, "\r\n");
        assert_non_null(end);
        int has_word = strstr(line, "=?") != NULL && strstr(line, "=?") < end;
        assert_true((size_t)(end - line) <= (has_word ? 76u : 78u));
        if (end[2] != ' ')
            break;
        line = end + 2;
    }
    while (*p && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' ')) {
        if (p[0] == '\r' && p[1] == '\n') {
            p += 2;
            continue;
        }
        if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
            const char *q = strstr(p + 10, "?=");
            assert_non_null(q);
            assert_true(q + 2 - p <= 75);
            unsigned char tmp[128];
            size_t n = b64dec(p + 10, (size_t)(q - (p + 10)), tmp, sizeof tmp);
            assert_true(utf8_whole(tmp, n));
            if (prev_word && o > 0 && out[o - 1] == ' ')
                o--; /* whitespace between adjacent encoded-words is dropped */
            assert_true(o + n < cap);
            memcpy(out + o, tmp, n);
            o += n;
            p = q + 2;
            prev_word = 1;
            continue;
        }
        assert_true(o + 1 < cap);
        out[o++] = *p++;
        if (out[o - 1] != ' ')
            prev_word = 0;
    }
    out[o] = '\0';
}

static void roundtrip(const char *subject, int expect_plain)
{
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(smtp_header_text(&b, "Subject", subject, &e), 0);
    assert_non_null(b.p);
    char got[4096];
    decode_header(b.p, "Subject", got, sizeof got);
    assert_string_equal(got, subject);
    assert_int_equal(strstr(b.p, "=?UTF-8?B?") == NULL, expect_plain);
    buf_free(&b);
}

static void test_smtp_header_text_ascii_left_plain(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(smtp_header_text(&b, "Subject", "Order 2026-0001 approved", &e), 0);
    assert_string_equal(b.p, "Subject: Order 2026-0001 approved\r\n");
    buf_free(&b);
    roundtrip("Your certificate for www.example.jp has been issued and is attached to this "
              "mail; please install it on your server before the old one expires.",
              1);
}

static void test_smtp_header_text_japanese_encoded(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(smtp_header_text(&b, "Subject", "証明書", &e), 0);
    assert_string_equal(b.p, "Subject: =?UTF-8?B?6Ki85piO5pu4?=\r\n");
    buf_free(&b);
    roundtrip("【shomei】証明書発行のお知らせ", 0);
    roundtrip("Order 2026-0001: 審査が完了しました", 0);
}

static void test_smtp_header_text_long_japanese_split_on_characters(void **state)
{
    (void)state;
    struct buf s = BUF_INIT;
    for (int i = 0; i < 40; i++)
        assert_int_equal(buf_puts(&s, i % 3 ? "あ" : "証"), 0);
    roundtrip(s.p, 0);
    /* 4-byte characters and a mix with ASCII at every offset. */
    buf_reset(&s);
    for (int i = 0; i < 25; i++)
        assert_int_equal(buf_puts(&s, i % 2 ? "😀a" : "漢字bc"), 0);
    roundtrip(s.p, 0);
    buf_free(&s);
    for (int k = 0; k < 4; k++) {
        char t[512];
        snprintf(t, sizeof t, "%.*s%s", k, "xyz",
                 "日本語の長い件名がここに続きますので分割されます");
        roundtrip(t, 0);
    }
}

static void test_smtp_header_text_lookalike_encoded_word_encoded(void **state)
{
    (void)state;
    roundtrip("=?UTF-8?B?6Ki85piO5pu4?= is not decoded", 0);
    char longword[200];
    memset(longword, 'x', 150);
    longword[150] = '\0';
    roundtrip(longword, 0); /* cannot be folded plainly: encoded */
}

/* Header injection: no CR, LF or other control character gets through. */
static void test_smtp_header_text_control_characters_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "Hello\r\nBcc: victim@example.jp",
        "Hello\nBcc: x@y.jp",
        "Hello\rX",
        "tab\there",
        "nul\x01",
        "del\x7f",
        "bad utf8 \xff",
        "overlong \xc0\xaf",
        "surrogate \xed\xa0\x80",
        "cut \xe8\xa8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf b = BUF_INIT;
        struct sm_err e = {0};
        assert_int_equal(smtp_header_text(&b, "Subject", bad[i], &e), -SM_E_INVALID);
        assert_string_equal(e.field, "Subject");
        buf_free(&b);
    }
}

static void test_smtp_base64_lines_76_columns(void **state)
{
    (void)state;
    unsigned char d[200];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (unsigned char)(i * 7);
    struct buf b = BUF_INIT;
    assert_int_equal(smtp_base64_lines(&b, d, sizeof d), 0);
    unsigned char back[256];
    size_t o = 0;
    for (char *line = b.p; *line;) {
        char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 76);
        o += b64dec(line, (size_t)(end - line), back + o, sizeof back - o);
        line = end + 2;
    }
    assert_int_equal(o, sizeof d);
    assert_memory_equal(back, d, sizeof d);
    buf_free(&b);
    struct buf z = BUF_INIT;
    assert_int_equal(smtp_base64_lines(&z, d, 0), 0);
    assert_int_equal(z.len, 0);
    buf_free(&z);
}

static const struct smtp_message base = {
    .from = "ca@shomei.example.jp",
    .from_name = "shomei 認証局",
    .to = "user@example.jp",
    .subject = "証明書発行のお知らせ",
    .body = "こんにちは。\n証明書を発行しました。\n.\n",
    .message_id = "<0123abcd@shomei.example.jp>",
    .date = 1767225600, /* 2026-01-01T00:00:00Z */
};

/* The header value of name (first line only), or NULL. */
static const char *header(const char *msg, const char *name, char *out, size_t n)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strncmp(msg, key + 2, strlen(key + 2)) == 0 ? msg - 2 : strstr(msg, key);
    if (p == NULL)
        return NULL;
    p += strlen(key);
    const char *end = strstr(p, "\r\n");
    snprintf(out, n, "%.*s", (int)(end - p), p);
    return out;
}

static void test_smtp_build_text_message(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(smtp_build(&base, &b, &e), 0);
    char v[256];
    assert_string_equal(header(b.p, "Date", v, sizeof v), "Thu, 1 Jan 2026 09:00:00 +0900");
    assert_string_equal(header(b.p, "To", v, sizeof v), "user@example.jp");
    assert_string_equal(header(b.p, "Message-ID", v, sizeof v), "<0123abcd@shomei.example.jp>");
    assert_string_equal(header(b.p, "MIME-Version", v, sizeof v), "1.0");
    assert_string_equal(header(b.p, "Content-Type", v, sizeof v), "text/plain; charset=UTF-8");
    assert_string_equal(header(b.p, "Content-Transfer-Encoding", v, sizeof v), "base64");
    const char *from = strstr(b.p, "\r\nFrom: ");
    assert_non_null(from);
    char name[256];
    decode_header(from + 2, "From", name, sizeof name);
    assert_string_equal(name, "shomei 認証局 <ca@shomei.example.jp>");
    const char *subj = strstr(b.p, "\r\nSubject: ");
    char s[256];
    decode_header(subj + 2, "Subject", s, sizeof s);
    assert_string_equal(s, base.subject);
    /* Body: base64 lines of at most 76, decoding to the CRLF form of the text. */
    const char *body = strstr(b.p, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    unsigned char dec[512];
    size_t o = 0;
    for (const char *line = body; *line;) {
        const char *end = strstr(line, "\r\n");
        assert_true(end - line <= 76);
        o += b64dec(line, (size_t)(end - line), dec + o, sizeof dec - o);
        line = end + 2;
    }
    const char *want = "こんにちは。\r\n証明書を発行しました。\r\n.\r\n";
    assert_int_equal(o, strlen(want));
    assert_memory_equal(dec, want, o);
    /* No bare LF anywhere. */
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == '\n')
            assert_true(i > 0 && b.p[i - 1] == '\r');
    buf_free(&b);
}

static void test_smtp_build_plain_from_name(void **state)
{
    (void)state;
    struct smtp_message m = base;
    m.from_name = "Shomei CA";
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(smtp_build(&m, &b, &e), 0);
    assert_non_null(strstr(b.p, "\r\nFrom: Shomei CA <ca@shomei.example.jp>\r\n"));
    buf_free(&b);
    m.from_name = NULL;
    assert_int_equal(smtp_build(&m, &b, &e), 0);
    assert_non_null(strstr(b.p, "\r\nFrom: ca@shomei.example.jp\r\n"));
    buf_free(&b);
    m.from_name = "Shomei \"CA\" <evil@x.jp>";
    assert_int_equal(smtp_build(&m, &b, &e), 0);
    assert_null(strstr(b.p, "<evil@x.jp> <"));
    buf_free(&b);
}

static void test_smtp_build_attachment_multipart(void **state)
{
    (void)state;
    unsigned char der[300];
    for (size_t i = 0; i < sizeof der; i++)
        der[i] = (unsigned char)(i ^ 0x5a);
    struct smtp_message m = base;
    m.attach_name = "www.example.jp.cer";
    m.attach_type = "application/pkix-cert";
    m.attach = der;
    m.attach_len = sizeof der;
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(smtp_build(&m, &b, &e), 0);
    char v[256];
    header(b.p, "Content-Type", v, sizeof v);
    assert_memory_equal(v, "multipart/mixed; boundary=\"", 27);
    char boundary[80];
    snprintf(boundary, sizeof boundary, "%.*s", (int)(strlen(v) - 28), v + 27);
    assert_memory_equal(boundary, "=_shomei_", 9);
    char close[100];
    snprintf(close, sizeof close, "\r\n--%s--\r\n", boundary);
    assert_non_null(strstr(b.p, close));
    assert_non_null(strstr(b.p, "Content-Type: application/pkix-cert; "
                                "name=\"www.example.jp.cer\"\r\n"
                                "Content-Disposition: attachment; "
                                "filename=\"www.example.jp.cer\"\r\n"));
    /* The attachment part decodes to the bytes. */
    const char *att = strstr(b.p, "filename=\"www.example.jp.cer\"");
    att = strstr(att, "\r\n\r\n") + 4;
    unsigned char dec[400];
    size_t o = 0;
    while (strncmp(att, "\r\n--", 4) != 0) {
        const char *end = strstr(att, "\r\n");
        assert_true(end - att <= 76);
        o += b64dec(att, (size_t)(end - att), dec + o, sizeof dec - o);
        att = end + 2;
        if (strncmp(att, "\r\n--", 4) == 0 || strncmp(att, "--", 2) == 0)
            break;
    }
    assert_int_equal(o, sizeof der);
    assert_memory_equal(dec, der, sizeof der);
    buf_free(&b);

    /* A Japanese file name goes as RFC 2231 filename*. */
    m.attach_name = "証明書.cer";
    assert_int_equal(smtp_build(&m, &b, &e), 0);
    assert_non_null(strstr(b.p, "filename*=UTF-8''%E8%A8%BC%E6%98%8E%E6%9B%B8.cer"));
    buf_free(&b);
}

/* Header injection through any header-bound field is refused, naming the field. */
static void test_smtp_build_header_injection_refused(void **state)
{
    (void)state;
    static const unsigned char one[1] = {1};
    struct {
        struct smtp_message m;
        const char *field;
    } cases[8];
    for (size_t i = 0; i < 8; i++)
        cases[i].m = base;
    cases[0].m.to = "user@example.jp\r\nBcc: victim@example.jp";
    cases[0].field = "to";
    cases[1].m.from = "ca@example.jp\nX: y";
    cases[1].field = "from";
    cases[2].m.subject = "Hi\r\nBcc: victim@example.jp";
    cases[2].field = "Subject";
    cases[3].m.from_name = "CA\r\nBcc: victim@example.jp";
    cases[3].field = "from_name";
    cases[4].m.message_id = "<a@b>\r\nBcc: v@x.jp";
    cases[4].field = "message_id";
    cases[5].m.attach_name = "a.cer\r\nX: y";
    cases[5].m.attach_type = "application/pkix-cert";
    cases[5].m.attach = one;
    cases[5].m.attach_len = 1;
    cases[5].field = "attach_name";
    cases[6].m.attach_name = "a.cer";
    cases[6].m.attach_type = "application/pkix-cert\r\nX: y";
    cases[6].m.attach = one;
    cases[6].m.attach_len = 1;
    cases[6].field = "attach_type";
    cases[7].m.to = "Victim <v@x.jp>";
    cases[7].field = "to";
    for (size_t i = 0; i < 8; i++) {
        struct buf b = BUF_INIT;
        struct sm_err e = {0};
        int rc = smtp_build(&cases[i].m, &b, &e);
        if (rc != -SM_E_INVALID || strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: rc %d field '%s'", i, rc, e.field);
        buf_free(&b);
    }
}

static void test_smtp_message_id_random(void **state)
{
    (void)state;
    char a[128], b[128];
    struct sm_err e = {0};
    assert_int_equal(smtp_message_id("ca@shomei.example.jp", a, sizeof a, &e), 0);
    assert_int_equal(smtp_message_id("ca@shomei.example.jp", b, sizeof b, &e), 0);
    assert_int_equal(strlen(a), 1 + 32 + 1 + strlen("shomei.example.jp") + 1);
    assert_memory_equal(a + 33, "@shomei.example.jp>", 19);
    assert_string_not_equal(a, b);
    assert_int_equal(smtp_message_id("bad\r\n@x", a, sizeof a, &e), -SM_E_INVALID);
    assert_int_equal(smtp_message_id("a@b.jp", a, 10, &e), -SM_E_TOO_LARGE);
}

static void test_smtp_config_load_invalid_refused(void **state)
{
    (void)state;
    const struct {
        const char *key, *value;
    } cases[] = {
        {"url", "http://127.0.0.1:25"},
        {"url", "smtp://a b"},
        {"starttls", "maybe"},
        {"from", "not an address"},
        {"from_name", "a\nb"},
        {"timeout", "0"},
        {"timeout", "ten"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config *c = config_defaults(".");
        assert_non_null(c);
        assert_int_equal(config_set(c, "mail", cases[i].key, cases[i].value), 0);
        struct smtp_config sc;
        struct sm_err e = {0};
        assert_int_equal(smtp_config_load(c, &sc, &e), -SM_E_CONFIG);
        assert_string_equal(e.field, cases[i].key);
        config_free(c);
    }
    struct config *c = config_defaults(".");
    struct smtp_config sc;
    struct sm_err e = {0};
    assert_int_equal(smtp_config_load(c, &sc, &e), 0);
    assert_int_equal(sc.starttls, SMTP_STARTTLS_TRY);
    assert_int_equal(sc.tls_verify, 1);
    assert_int_equal(sc.timeout, 30);
    config_free(c);
}

/* Nothing listening: an I/O error, not a crash or hang. */
static void test_smtp_send_connection_refused(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(a.sin_port));
    struct smtp_config sc = {.url = url,
                             .starttls = SMTP_STARTTLS_NONE,
                             .tls_verify = 1,
                             .username = "",
                             .password = "",
                             .from = "ca@example.jp",
                             .from_name = "",
                             .timeout = 5};
    struct sm_err e = {0};
    assert_int_equal(smtp_send(&sc, "user@example.jp", "x\r\n", 3, &e), -SM_E_IO);
    assert_non_null(strstr(e.detail, "smtp delivery failed"));
    assert_int_equal(smtp_send(&sc, "user@example.jp\r\nRCPT TO:<x@y.jp>", "x", 1, &e),
                     -SM_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_header_text_ascii_left_plain),
        cmocka_unit_test(test_smtp_header_text_japanese_encoded),
        cmocka_unit_test(test_smtp_header_text_long_japanese_split_on_characters),
        cmocka_unit_test(test_smtp_header_text_lookalike_encoded_word_encoded),
        cmocka_unit_test(test_smtp_header_text_control_characters_refused),
        cmocka_unit_test(test_smtp_base64_lines_76_columns),
        cmocka_unit_test(test_smtp_build_text_message),
        cmocka_unit_test(test_smtp_build_plain_from_name),
        cmocka_unit_test(test_smtp_build_attachment_multipart),
        cmocka_unit_test(test_smtp_build_header_injection_refused),
        cmocka_unit_test(test_smtp_message_id_random),
        cmocka_unit_test(test_smtp_config_load_invalid_refused),
        cmocka_unit_test(test_smtp_send_connection_refused),
    };
    return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
