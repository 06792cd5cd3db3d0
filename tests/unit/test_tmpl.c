/* SPDX-License-Identifier: MIT */
/* web/tmpl: the auto-escaping template engine. Escaping per context with hostile input,
 * sections, partials, and every error (unknown key, message or partial; bad syntax).
 * The real templates are rendered with realistic data so a renamed key fails here
 * (R-CSR-3 page). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "web/i18n.h"
#include "web/tmpl.h"

/* In-memory partials for the tests. */
static const char *test_loader(const char *name, void *arg)
{
    (void)arg;
    static const struct {
        const char *name, *text;
    } t[] = {
        {"item", "<li>{{name}}</li>"},
        {"outer", "[{{> item}}]"},
        {"self", "x{{> self}}"},
        {"broken", "{{#a}}"},
        {"page", "P({{x}})"},
        {"layout", "<main>{{> @page}}</main>"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].text;
    return NULL;
}

struct ok_case {
    const char *what;
    const char *tmpl;
    const char *data; /* JSON */
    const char *lang;
    const char *want;
};

static const struct ok_case ok_cases[] = {
    /* HTML text context */
    {"text escapes a script tag", "<p>{{x}}</p>", "{\"x\":\"<script>alert(1)</script>\"}", NULL,
     "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
    {"text escapes quotes and ampersands", "{{x}}", "{\"x\":\"a&b\\\"c'd\"}", NULL,
     "a&amp;b&quot;c&#39;d"},
    {"text keeps UTF-8", "{{x}}", "{\"x\":\"証明書 – ü\"}", NULL, "証明書 – ü"},
    /* attribute context */
    {"attr escapes an attribute breakout", "<a title=\"{{attr:x}}\">",
     "{\"x\":\"\\\" onmouseover=\\\"alert(1)\"}", NULL,
     "<a title=\"&quot; onmouseover&#61;&quot;alert(1)\">"},
    {"attr escapes single quotes and backticks", "{{attr:x}}", "{\"x\":\"'`<>&\"}", NULL,
     "&#39;&#96;&lt;&gt;&amp;"},
    /* URL component context */
    {"url encodes a javascript: URL", "<a href=\"/go?u={{url:x}}\">",
     "{\"x\":\"javascript:alert(1)\"}", NULL, "<a href=\"/go?u=javascript%3Aalert%281%29\">"},
    {"url encodes reserved and non-ASCII bytes", "{{url:x}}", "{\"x\":\"a b&c=d/é?#\\\"<\"}",
     NULL, "a%20b%26c%3Dd%2F%C3%A9%3F%23%22%3C"},
    {"url keeps unreserved characters", "{{url:x}}", "{\"x\":\"AZaz09-._~\"}", NULL,
     "AZaz09-._~"},
    /* scalars */
    {"integer, null and booleans render", "{{i}}|{{n}}|{{t}}|{{f}}",
     "{\"i\":-42,\"n\":null,\"t\":true,\"f\":false}", NULL, "-42||true|false"},
    {"dotted names descend into objects", "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", NULL,
     "deep"},
    {"spaces inside tags are allowed", "{{ x }}{{# l }}.{{/ l }}", "{\"x\":\"v\",\"l\":[1,2]}",
     NULL, "v.."},
    {"comments render nothing", "a{{! a comment with {braces }}b", "{}", NULL, "ab"},
    /* sections */
    {"section repeats over an array", "{{#l}}<{{.}}>{{/l}}", "{\"l\":[\"a\",\"<b>\"]}", NULL,
     "<a><&lt;b&gt;>"},
    {"section over objects looks up their keys", "{{#l}}{{n}}={{v}};{{/l}}",
     "{\"l\":[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2}]}", NULL, "a=1;b=2;"},
    {"section element falls back to outer keys", "{{#l}}{{p}}{{n}}{{/l}}",
     "{\"p\":\"-\",\"l\":[{\"n\":1},{\"n\":2}]}", NULL, "-1-2"},
    {"inner key shadows outer key", "{{#o}}{{n}}{{/o}}{{n}}",
     "{\"n\":\"out\",\"o\":{\"n\":\"in\"}}", NULL, "inout"},
    {"true section renders once, false not", "{{#t}}T{{/t}}{{#f}}F{{/f}}",
     "{\"t\":true,\"f\":false}", NULL, "T"},
    {"empty array and null sections render nothing", "[{{#a}}x{{/a}}{{#n}}y{{/n}}]",
     "{\"a\":[],\"n\":null}", NULL, "[]"},
    {"inverted renders for false, null, empty string and empty array",
     "{{^f}}1{{/f}}{{^n}}2{{/n}}{{^s}}3{{/s}}{{^a}}4{{/a}}{{^t}}5{{/t}}",
     "{\"f\":false,\"n\":null,\"s\":\"\",\"a\":[],\"t\":true}", NULL, "1234"},
    {"nested sections of the same name", "{{#a}}({{#a}}{{.}}{{/a}}){{/a}}",
     "{\"a\":[{\"a\":[1,2]},{\"a\":[3]}]}", NULL, "(12)(3)"},
    {"keys inside a skipped section are not looked up", "{{#f}}{{missing}}{{/f}}ok",
     "{\"f\":false}", NULL, "ok"},
    {"skipped sections with messages render nothing", "{{#f}}{{#g}}{{t:csr.title}}{{/g}}{{/f}}ok",
     "{\"f\":false}", "en", "ok"},
    {"a section renders again for each element", "{{#l}}{{#l}}{{.}}{{/l}}|{{/l}}",
     "{\"l\":[{\"l\":[1,2]},{\"l\":[]},{\"l\":[3]}]}", NULL, "12||3|"},
    /* partials */
    {"partial sees the current context", "<ul>{{#l}}{{> item}}{{/l}}</ul>",
     "{\"l\":[{\"name\":\"<x>\"}]}", NULL, "<ul><li>&lt;x&gt;</li></ul>"},
    {"partials nest", "{{> outer}}", "{\"name\":\"n\"}", NULL, "[<li>n</li>]"},
    /* messages */
    {"message in Japanese", "{{t:csr.title}}", "{}", "ja", "CSRの内容確認"},
    {"message in English", "{{t:csr.title}}", "{}", "en", "CSR checker"},
    {"message with quotes is escaped", "{{t:web.utf8}}", "{}", "en",
     "The field &quot;{field}&quot; contains text that is not valid UTF-8."},
};

static void test_tmpl_render_text_ok_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        const struct ok_case *c = &ok_cases[i];
        json_error_t je;
        json_t *d = json_loads(c->data, 0, &je);
        assert_non_null(d);
        struct tmpl_ctx ctx = {.lang = c->lang, .load = test_loader};
        struct buf b = BUF_INIT;
        struct sm_err e = {0};
        int rc = tmpl_render_text("t", c->tmpl, d, &ctx, &b, &e);
        if (rc != 0 || strcmp(b.p ? b.p : "", c->want) != 0)
            fail_msg("%s: rc=%d got '%s' want '%s' (%s)", c->what, rc, b.p ? b.p : "", c->want,
                     e.detail);
        buf_free(&b);
        json_decref(d);
    }
}

struct err_case {
    const char *what;
    const char *tmpl;
    const char *data;
    const char *in_detail; /* must appear in e.detail */
};

static const struct err_case err_cases[] = {
    {"unknown key", "a {{nope}} b", "{\"x\":1}", "unknown key 'nope'"},
    {"unknown key in attribute context", "{{attr:nope}}", "{}", "unknown key 'nope'"},
    {"unknown key in URL context", "{{url:nope}}", "{}", "unknown key 'nope'"},
    {"unknown dotted key", "{{a.b}}", "{\"a\":{\"c\":1}}", "unknown key 'a.b'"},
    {"dotted key through a scalar", "{{a.b}}", "{\"a\":\"s\"}", "unknown key 'a.b'"},
    {"unknown section", "{{#nope}}x{{/nope}}", "{}", "unknown key 'nope'"},
    {"unknown inverted section", "{{^nope}}x{{/nope}}", "{}", "unknown key 'nope'"},
    {"unknown key inside a list", "{{#l}}{{nope}}{{/l}}", "{\"l\":[{\"a\":1}]}",
     "unknown key 'nope'"},
    {"unknown message", "{{t:no.such.key}}", "{}", "unknown message 'no.such.key'"},
    {"unknown message in a skipped section", "{{#f}}{{t:no.such}}{{/f}}", "{\"f\":false}",
     "unknown message 'no.such'"},
    {"unknown message in a nested skipped section", "{{^t}}{{#x}}{{t:no.such}}{{/x}}{{/t}}",
     "{\"t\":true}", "unknown message 'no.such'"},
    {"error after a skipped section", "{{#f}}x{{/f}}\n{{nope}}", "{\"f\":false}",
     "line 2: unknown key 'nope'"},
    {"syntax error after output names its line", "a\nb\n{{#l}}{{/m}}", "{\"l\":[1]}",
     "line 3: unexpected close 'm'"},
    {"unknown partial", "{{> nosuch}}", "{}", "unknown partial 'nosuch'"},
    {"page slot without a page", "{{> @page}}", "{}", "no page for slot"},
    {"partial recursion", "{{> self}}", "{}", "nested too deep"},
    {"broken partial", "{{> broken}}", "{\"a\":true}", "unclosed section 'a'"},
    {"raw insertion is refused", "{{{x}}}", "{\"x\":\"<b>\"}", "raw insertion"},
    {"unterminated tag", "abc {{x", "{\"x\":1}", "unterminated tag"},
    {"unclosed section", "{{#l}}x", "{\"l\":[1]}", "unclosed section 'l'"},
    {"close without open", "x{{/l}}", "{}", "unexpected close 'l'"},
    {"mismatched close", "{{#a}}{{/b}}{{/a}}", "{\"a\":true}", "unexpected close 'b'"},
    {"object rendered as text", "{{o}}", "{\"o\":{}}", "not a scalar 'o'"},
    {"array rendered as text", "{{a}}", "{\"a\":[1]}", "not a scalar 'a'"},
    {"empty tag", "{{}}", "{}", "bad tag"},
    {"bad characters in a name", "{{a<b}}", "{}", "bad tag"},
    {"leading dot in a name", "{{.a}}", "{}", "bad tag"},
    {"bad partial name", "{{> ../etc/passwd}}", "{}", "bad tag"},
    {"error names the line", "line1\nline2 {{nope}}", "{}", "line 2"},
};

static void test_tmpl_render_text_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const struct err_case *c = &err_cases[i];
        json_error_t je;
        json_t *d = json_loads(c->data, 0, &je);
        assert_non_null(d);
        struct tmpl_ctx ctx = {.lang = "en", .load = test_loader};
        struct buf b = BUF_INIT;
        struct sm_err e = {0};
        int rc = tmpl_render_text("t", c->tmpl, d, &ctx, &b, &e);
        if (rc >= 0 || strstr(e.detail, c->in_detail) == NULL)
            fail_msg("%s: rc=%d detail '%s' (want '%s')", c->what, rc, e.detail, c->in_detail);
        assert_int_equal(e.code, SM_E_INTERNAL);
        buf_free(&b);
        json_decref(d);
    }
}

static void test_tmpl_render_layout_slot(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:s}", "x", "<&>");
    struct tmpl_ctx ctx = {.lang = "ja", .page = "page", .load = test_loader};
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(tmpl_render("layout", d, &ctx, &b, &e), 0);
    assert_string_equal(b.p, "<main>P(&lt;&amp;&gt;)</main>");
    buf_free(&b);
    assert_true(tmpl_render("nosuch", d, &ctx, &b, &e) < 0);
    assert_non_null(strstr(e.detail, "unknown template 'nosuch'"));
    buf_free(&b);
    json_decref(d);
}

static void test_tmpl_render_output_cap(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:s}", "x", "0123456789");
    struct buf b = BUF_INIT;
    b.max = 32;
    struct sm_err e = {0};
    int rc = tmpl_render_text("t", "{{x}}{{x}}{{x}}{{x}}", d, NULL, &b, &e);
    assert_int_equal(rc, -SM_E_TOO_LARGE);
    assert_non_null(strstr(e.detail, "too large"));
    buf_free(&b);
    json_decref(d);
}

/* The embedded page templates with the data their handlers give them. */
static json_t *page_data(const char *lang)
{
    /* as http_reply_page builds it for an anonymous visitor (me = false) */
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:b}", "lang", lang, "title", "T", "csrf",
                     "tok\"en", "is_ja", strcmp(lang, "ja") == 0, "is_en",
                     strcmp(lang, "en") == 0, "other_lang", "en", "me", 0);
}

static int render_page(const char *page, json_t *d, const char *lang, struct buf *b,
                       struct sm_err *e)
{
    struct tmpl_ctx ctx = {.lang = lang, .page = page};
    return tmpl_render("layout", d, &ctx, b, e);
}

static void test_tmpl_render_home_and_error_pages(void **state)
{
    (void)state;
    const char *langs[] = {"ja", "en"};
    for (int i = 0; i < 2; i++) {
        struct buf b = BUF_INIT;
        struct sm_err e = {0};
        json_t *d = page_data(langs[i]);
        assert_int_equal(render_page("home", d, langs[i], &b, &e), 0);
        assert_non_null(strstr(b.p, "href=\"/tools/csr\""));
        assert_non_null(strstr(b.p, i == 0 ? "lang=\"ja\"" : "lang=\"en\""));
        buf_free(&b);
        json_object_set_new(d, "status", json_integer(404));
        json_object_set_new(d, "status_text", json_string("Not Found"));
        json_object_set_new(d, "message", json_string("<gone>"));
        assert_int_equal(render_page("error", d, langs[i], &b, &e), 0);
        assert_non_null(strstr(b.p, "&lt;gone&gt;"));
        buf_free(&b);
        json_decref(d);
    }
}

/* R-CSR-3: the checker page shows the parsed fields and every problem. */
static void test_tmpl_render_csr_page_result(void **state)
{
    (void)state;
    const char *result =
        "{\"acceptable\":false,\"parsed\":true,\"subject\":\"CN=<x>.example.jp, O=テスト\","
        "\"cn\":\"<x>.example.jp\",\"o\":\"テスト\",\"ou\":\"IT\",\"l\":null,\"st\":null,"
        "\"c\":\"JP\",\"key\":{\"type\":\"RSA\",\"bits\":1024,\"curve\":null},"
        "\"sig_alg\":\"sha256WithRSAEncryption\",\"sans\":[\"a.example.jp\"],"
        "\"spki_sha256\":\"00ff\",\"problems\":[{\"code\":\"csr.key.rsa_too_small\","
        "\"severity\":\"error\",\"is_error\":true,\"message\":\"短すぎます\","
        "\"detail\":\"1024 bits\"}]}";
    json_error_t je;
    json_t *d = page_data("ja");
    json_object_set_new(d, "result", json_loads(result, 0, &je));
    json_object_set_new(d, "csr_text", json_string("</textarea><script>"));
    json_object_set_new(d, "input_error", json_false());
    json_object_set_new(d, "private_key", json_false());
    struct buf b = BUF_INIT;
    struct sm_err e = {0};
    int rc = render_page("csr", d, "ja", &b, &e);
    if (rc != 0)
        fail_msg("csr page: %s", e.detail);
    assert_non_null(strstr(b.p, "&lt;x&gt;.example.jp"));
    assert_non_null(strstr(b.p, "csr.key.rsa_too_small"));
    assert_non_null(strstr(b.p, "短すぎます"));
    assert_non_null(strstr(b.p, "1024 ビット"));
    assert_non_null(strstr(b.p, "data-acceptable=\"false\""));
    assert_non_null(strstr(b.p, "OU は証明書に記載されません"));
    assert_non_null(strstr(b.p, "&lt;/textarea&gt;&lt;script&gt;"));
    assert_non_null(strstr(b.p, "value=\"tok&quot;en\""));
    assert_null(strstr(b.p, "<script>"));
    buf_free(&b);
    /* the same page without a result is the empty form */
    json_object_set_new(d, "result", json_false());
    assert_int_equal(render_page("csr", d, "en", &b, &e), 0);
    assert_null(strstr(b.p, "data-acceptable"));
    assert_non_null(strstr(b.p, "name=\"csrf\""));
    buf_free(&b);
    json_decref(d);
}

/* Compiled embedded templates are shared: threads rendering at once get the same page. */
struct page_job {
    const char *want;
    int bad;
};

static void *render_many(void *arg)
{
    struct page_job *j = arg;
    json_t *d = page_data("en");
    for (int i = 0; i < 50; i++) {
        struct buf b = BUF_INIT;
        struct sm_err e = {0};
        if (render_page("home", d, "en", &b, &e) != 0 || strcmp(b.p, j->want) != 0)
            j->bad++;
        buf_free(&b);
    }
    json_decref(d);
    return NULL;
}

static void test_tmpl_render_threads_same_page(void **state)
{
    (void)state;
    json_t *d = page_data("en");
    struct buf want = BUF_INIT;
    struct sm_err e = {0};
    assert_int_equal(render_page("home", d, "en", &want, &e), 0);
    json_decref(d);
    pthread_t t[4];
    struct page_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct page_job){want.p, 0};
        assert_int_equal(pthread_create(&t[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].bad, 0);
    }
    buf_free(&want);
}

static void test_tmpl_escape_helpers(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(tmpl_escape_html(&b, "<\"'&>"), 0);
    assert_string_equal(b.p, "&lt;&quot;&#39;&amp;&gt;");
    buf_reset(&b);
    assert_int_equal(tmpl_escape_attr(&b, "a=`b`"), 0);
    assert_string_equal(b.p, "a&#61;&#96;b&#96;");
    buf_reset(&b);
    assert_int_equal(tmpl_escape_url(&b, "\x01 +%"), 0);
    assert_string_equal(b.p, "%01%20%2B%25");
    buf_free(&b);
}

int main(void)
{
    assert_int_equal(i18n_init(NULL), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmpl_render_text_ok_cases),
        cmocka_unit_test(test_tmpl_render_text_errors),
        cmocka_unit_test(test_tmpl_render_layout_slot),
        cmocka_unit_test(test_tmpl_render_output_cap),
        cmocka_unit_test(test_tmpl_render_home_and_error_pages),
        cmocka_unit_test(test_tmpl_render_csr_page_result),
        cmocka_unit_test(test_tmpl_render_threads_same_page),
        cmocka_unit_test(test_tmpl_escape_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
