/* SPDX-License-Identifier: MIT */
/* web/form: urlencoded and multipart bodies, UTF-8 validation naming the field, limits.
 * Mostly failure cases: the parser must refuse, never read past the body. The CSR form
 * (R-CSR-3) posts these encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "web/form.h"

struct utf8_case {
    const char *s;
    size_t len;
    int valid;
};

static const struct utf8_case utf8_cases[] = {
    {"", 0, 1},
    {"ascii", 5, 1},
    {"\xe8\xa8\xbc\xe6\x98\x8e", 6, 1},   /* 証明 */
    {"\xf0\x9f\x94\x92", 4, 1},           /* U+1F512 */
    {"\xf4\x8f\xbf\xbf", 4, 1},           /* U+10FFFF */
    {"a\0b", 3, 0},                       /* NUL */
    {"\xff", 1, 0},
    {"\xc0\xaf", 2, 0},                   /* overlong '/' */
    {"\xe0\x80\xaf", 3, 0},               /* overlong */
    {"\xed\xa0\x80", 3, 0},               /* surrogate */
    {"\xf4\x90\x80\x80", 4, 0},           /* past U+10FFFF */
    {"\xe8\xa8", 2, 0},                   /* truncated */
    {"\xe8\x28\xbc", 3, 0},               /* bad continuation */
    {"\x80", 1, 0},                       /* lone continuation */
    {"\xf8\x88\x80\x80\x80", 5, 0},       /* 5-byte form */
};

static void test_form_utf8_valid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++)
        if (form_utf8_valid(utf8_cases[i].s, utf8_cases[i].len) != utf8_cases[i].valid)
            fail_msg("utf8 case %zu: want %d", i, utf8_cases[i].valid);
}

static void test_form_parse_urlencoded_ok(void **state)
{
    (void)state;
    struct form f = {0};
    struct sm_err e = {0};
    const char *body = "a=1&b=x+y%21&&c&csr=%E8%A8%BC&a=2";
    assert_int_equal(form_parse(&f, "application/x-www-form-urlencoded; charset=UTF-8", body,
                                strlen(body), &e),
                     0);
    assert_int_equal(f.n, 5);
    assert_string_equal(form_get(&f, "a")->value, "1"); /* the first one */
    assert_string_equal(form_get(&f, "b")->value, "x y!");
    assert_string_equal(form_get(&f, "c")->value, "");
    assert_string_equal(form_get(&f, "csr")->value, "証");
    assert_null(form_get(&f, "d"));
    assert_null(form_get(&f, "csr")->filename);
    form_free(&f);
}

struct bad_case {
    const char *ctype;
    const char *body;
    int rc;
    const char *field;
    const char *detail; /* prefix of e.detail, or NULL */
};

static const struct bad_case bad_cases[] = {
    {"application/x-www-form-urlencoded", "csr=%ff", -SM_E_INVALID, "csr", "utf8"},
    {"application/x-www-form-urlencoded", "ok=1&name=%C0%AF", -SM_E_INVALID, "name", "utf8"},
    {"application/x-www-form-urlencoded", "x=a%00b", -SM_E_INVALID, "x", "utf8"},
    {"application/x-www-form-urlencoded", "x=%ed%a0%80", -SM_E_INVALID, "x", "utf8"},
    {"application/x-www-form-urlencoded", "%ff=1", -SM_E_INVALID, "body", "utf8"},
    {"application/x-www-form-urlencoded", "x=%zz", -SM_E_INVALID, "x", "bad percent"},
    {"application/x-www-form-urlencoded", "x=%4", -SM_E_INVALID, "x", "bad percent"},
    {"application/x-www-form-urlencoded", "x=%", -SM_E_INVALID, "x", "bad percent"},
    {"application/x-www-form-urlencoded", "%g1=1", -SM_E_INVALID, "body", "bad percent"},
    {"application/x-www-form-urlencoded", "=1", -SM_E_INVALID, "body", "utf8"},
    {"text/plain", "a=1", -SM_E_MEDIA_TYPE, "body", "unsupported"},
    {NULL, "a=1", -SM_E_MEDIA_TYPE, "body", "unsupported"},
    {"application/x-www-form-urlencodedX", "a=1", -SM_E_MEDIA_TYPE, "body", "unsupported"},
    {"multipart/form-data", "--x\r\n", -SM_E_INVALID, "body", "multipart without"},
    {"multipart/form-data; boundary=", "--\r\n", -SM_E_INVALID, "body", "multipart without"},
    {"multipart/form-data; boundary=xyz", "no boundary here", -SM_E_INVALID, "body",
     "multipart boundary not found"},
    {"multipart/form-data; boundary=xyz",
     "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue without end",
     -SM_E_INVALID, "body", "unterminated"},
    {"multipart/form-data; boundary=xyz",
     "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line\r\n--xyz--",
     -SM_E_INVALID, "body", "malformed multipart part headers"},
    {"multipart/form-data; boundary=xyz",
     "--xyz\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--xyz--",
     -SM_E_INVALID, "body", "malformed multipart part headers"},
    {"multipart/form-data; boundary=xyz",
     "--xyz\r\nContent-Type: text/plain\r\n\r\nv\r\n--xyz--", -SM_E_INVALID, "body",
     "malformed multipart part headers"},
    {"multipart/form-data; boundary=xyz",
     "--xyz\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\nv\r\n--xyz--",
     -SM_E_INVALID, "body", "malformed multipart part headers"},
    {"multipart/form-data; boundary=xyz", "--xyzJUNK", -SM_E_INVALID, "body",
     "malformed multipart delimiter"},
    {"multipart/form-data; boundary=xyz",
     "--xyz\r\nContent-Disposition: form-data; name=\"csr\"\r\n\r\n\xff\xfe\r\n--xyz--",
     -SM_E_INVALID, "csr", "utf8"},
};

static void test_form_parse_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct form f = {0};
        struct sm_err e = {0};
        int rc = form_parse(&f, c->ctype, c->body, strlen(c->body), &e);
        if (rc != c->rc || strcmp(e.field, c->field) != 0 ||
            (c->detail && strncmp(e.detail, c->detail, strlen(c->detail)) != 0))
            fail_msg("case %zu: rc=%d field='%s' detail='%s'", i, rc, e.field, e.detail);
        assert_int_equal(f.n, 0); /* nothing left behind */
    }
}

static void test_form_parse_too_many_fields(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    for (int i = 0; i <= FORM_MAX_FIELDS; i++)
        assert_int_equal(buf_printf(&b, "f%d=%d&", i, i), 0);
    struct form f = {0};
    struct sm_err e = {0};
    assert_int_equal(form_parse(&f, "application/x-www-form-urlencoded", b.p, b.len, &e),
                     -SM_E_TOO_LARGE);
    assert_int_equal(f.n, 0);
    buf_free(&b);
}

/* R-CSR-3: a pasted CSR and an uploaded file in one multipart form, as browsers send it. */
static void test_form_parse_multipart_file_and_text(void **state)
{
    (void)state;
    static const char body[] =
        "preamble is ignored\r\n"
        "------WebKitFormBoundaryAbc\r\n"
        "Content-Disposition: form-data; name=\"csrf\"\r\n"
        "\r\n"
        "tok\r\n"
        "------WebKitFormBoundaryAbc\r\n"
        "Content-Disposition: form-data; name=\"csr\"\r\n"
        "\r\n"
        "-----BEGIN CERTIFICATE REQUEST-----\r\nMIIB\r\n-----END CERTIFICATE REQUEST-----\r\n"
        "\r\n"
        "------WebKitFormBoundaryAbc\r\n"
        "content-disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".der\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\x30\x82\x00\xff\xfe\r\n"
        "------WebKitFormBoundaryAbc\r\n"
        "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
        "\r\n"
        "\r\n"
        "------WebKitFormBoundaryAbc--\r\n"
        "epilogue\r\n";
    struct form f = {0};
    struct sm_err e = {0};
    int rc = form_parse(&f, "multipart/form-data; boundary=\"----WebKitFormBoundaryAbc\"", body,
                        sizeof body - 1, &e);
    if (rc != 0)
        fail_msg("rc=%d %s %s", rc, e.field, e.detail);
    assert_int_equal(f.n, 4);
    assert_string_equal(form_get(&f, "csrf")->value, "tok");
    const struct form_field *csr = form_get(&f, "csr");
    assert_non_null(strstr(csr->value, "BEGIN CERTIFICATE REQUEST"));
    assert_null(csr->filename);
    const struct form_field *file = form_get(&f, "file");
    assert_string_equal(file->filename, "a \"q\".der");
    assert_string_equal(file->type, "application/octet-stream");
    assert_int_equal(file->len, 5);
    assert_memory_equal(file->value, "\x30\x82\x00\xff\xfe", 5);
    const struct form_field *empty = form_get(&f, "empty");
    assert_string_equal(empty->filename, "");
    assert_int_equal(empty->len, 0);
    form_free(&f);
}

struct param_case {
    const char *header, *name;
    int rc;
    const char *want;
};

static const struct param_case param_cases[] = {
    {"multipart/form-data; boundary=abc", "boundary", 0, "abc"},
    {"multipart/form-data;boundary=\"a b;c\"", "boundary", 0, "a b;c"},
    {"form-data; name=\"x\"; filename=\"y\"", "name", 0, "x"},
    {"form-data; filename=\"y\"; name=\"x\"", "name", 0, "x"},
    {"form-data; filename=\"y\"", "name", -SM_E_INVALID, NULL},
    {"form-data; NAME=x", "name", 0, "x"},
    {"form-data; name=\"unterminated", "name", -SM_E_INVALID, NULL},
    {"form-data; name", "name", -SM_E_INVALID, NULL},
    {"form-data", "name", -SM_E_INVALID, NULL},
};

static void test_form_header_param_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof param_cases / sizeof param_cases[0]; i++) {
        const struct param_case *c = &param_cases[i];
        char out[32] = "";
        int rc = form_header_param(c->header, c->name, out, sizeof out);
        if (rc != c->rc || (c->want && strcmp(out, c->want) != 0))
            fail_msg("case %zu: rc=%d out='%s'", i, rc, out);
    }
    char small[4];
    assert_int_equal(form_header_param("x; name=\"toolong\"", "name", small, sizeof small),
                     -SM_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_utf8_valid_table),
        cmocka_unit_test(test_form_parse_urlencoded_ok),
        cmocka_unit_test(test_form_parse_refuses),
        cmocka_unit_test(test_form_parse_too_many_fields),
        cmocka_unit_test(test_form_parse_multipart_file_and_text),
        cmocka_unit_test(test_form_header_param_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
