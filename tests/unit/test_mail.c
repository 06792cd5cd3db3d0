/* SPDX-License-Identifier: MIT */
/* R-NOT-1: mail template rendering. The embedded test templates render in ja and en;
 * unknown templates and missing variables are errors naming them; variables cannot put
 * a line break into the subject (header injection); malformed templates are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/failalloc.h"
#include "ra/mail.h"

static int render(const char *text, const char *vars, struct mail_text *t, struct sm_err *e)
{
    return mail_render_text(text, strlen(text), vars, t, e);
}

static void test_mail_render_test_template_ja_en(void **state)
{
    (void)state;
    struct mail_text t;
    struct sm_err e = {0};
    const char *vars = "{\"node\":\"node-1\",\"date\":\"2026-01-01 09:00:00 JST\"}";
    assert_int_equal(mail_render("test", "ja", vars, &t, &e), 0);
    assert_string_equal(t.subject, "【shomei】テストメール（node-1）");
    assert_non_null(strstr(t.body, "送信元ノード: node-1\n"));
    assert_non_null(strstr(t.body, "日時: 2026-01-01 09:00:00 JST\n"));
    assert_null(strstr(t.body, "{{"));
    assert_null(strchr(t.body, '\r'));
    mail_text_free(&t);
    assert_int_equal(mail_render("test", "en", vars, &t, &e), 0);
    assert_string_equal(t.subject, "[shomei] Test mail (node-1)");
    assert_memory_equal(t.body, "This is a test mail", 19);
    mail_text_free(&t);
}

static void test_mail_render_unknown_template_refused(void **state)
{
    (void)state;
    const char *names[][2] = {
        {"no_such_mail", "ja"}, {"test", "fr"}, {"../i18n/ja", "json"}, {"", "ja"}, {NULL, "ja"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct mail_text t;
        struct sm_err e = {0};
        assert_int_equal(mail_render(names[i][0], names[i][1], "{}", &t, &e), -SM_E_NOTFOUND);
        assert_string_equal(e.field, "tmpl");
        assert_null(t.subject);
        assert_null(t.body);
    }
}

static void test_mail_render_missing_variable_refused(void **state)
{
    (void)state;
    struct mail_text t;
    struct sm_err e = {0};
    assert_int_equal(mail_render("test", "ja", "{\"node\":\"n\"}", &t, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "date");
    assert_int_equal(mail_render("test", "en", NULL, &t, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "node");
    assert_null(t.subject);
}

static void test_mail_render_text_substitutes_values(void **state)
{
    (void)state;
    struct mail_text t;
    struct sm_err e = {0};
    assert_int_equal(render("Subject: Order {{ order }} / {{n}}\n\nDear {{name}},\n{{multi}}"
                            "\r\nTotal: {{price}} {{ratio}}\n{ not a var } }}\n",
                            "{\"order\":\"2026-0001\",\"n\":42,\"name\":\"山田 太郎\","
                            "\"multi\":\"line 1\\nline 2\",\"price\":1500,\"ratio\":0.5}",
                            &t, &e),
                     0);
    assert_string_equal(t.subject, "Order 2026-0001 / 42");
    assert_string_equal(t.body, "Dear 山田 太郎,\nline 1\nline 2\nTotal: 1500 0.5\n"
                                "{ not a var } }}\n");
    mail_text_free(&t);
}

/* A variable cannot add a header line through the subject. */
static void test_mail_render_subject_injection_refused(void **state)
{
    (void)state;
    const char *vars[] = {
        "{\"v\":\"x\\r\\nBcc: victim@example.jp\"}",
        "{\"v\":\"x\\nBcc: victim@example.jp\"}",
        "{\"v\":\"tab\\there\"}",
        "{\"v\":\"bell\\u0007\"}",
        "{\"v\":\"lone\\rCR\"}",
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        struct mail_text t;
        struct sm_err e = {0};
        assert_int_equal(render("Subject: Hi {{v}}\n\nbody\n", vars[i], &t, &e), -SM_E_INVALID);
        assert_string_equal(e.field, "v");
        assert_null(t.subject);
    }
    /* The same values in the body are plain text (CR dropped, other controls refused). */
    struct mail_text t;
    struct sm_err e = {0};
    assert_int_equal(render("Subject: Hi\n\n{{v}}\n", vars[0], &t, &e), 0);
    assert_string_equal(t.body, "x\nBcc: victim@example.jp\n");
    mail_text_free(&t);
    assert_int_equal(render("Subject: Hi\n\n{{v}}\n", vars[3], &t, &e), -SM_E_INVALID);
}

static void test_mail_render_text_malformed_refused(void **state)
{
    (void)state;
    const struct {
        const char *text, *vars, *field;
        int code;
    } cases[] = {
        {"Hello\n\nbody", "{}", "template", SM_E_INVALID},
        {"Subject: no body", "{}", "template", SM_E_INVALID},
        {"Subject: x\nbody without blank line\n", "{}", "template", SM_E_INVALID},
        {"Subject: {{open\n\nbody", "{}", "template", SM_E_INVALID},
        {"Subject: x\n\n{{bad name}}", "{}", "template", SM_E_INVALID},
        {"Subject: x\n\n{{}}", "{}", "template", SM_E_INVALID},
        {"Subject: x\n\n{{{v}}}", "{\"v\":1}", "template", SM_E_INVALID},
        {"Subject: x\n\n{{v}}", "[1]", "vars_json", SM_E_INVALID},
        {"Subject: x\n\n{{v}}", "{\"v\":[1]}", "v", SM_E_INVALID},
        {"Subject: x\n\n{{v}}", "{\"v\":null}", "v", SM_E_INVALID},
        {"", "{}", "template", SM_E_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mail_text t;
        struct sm_err e = {0};
        int rc = render(cases[i].text, cases[i].vars, &t, &e);
        if (rc != -cases[i].code || strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: rc %d field '%s'", i, rc, e.field);
        assert_null(t.subject);
        assert_null(t.body);
    }
}

static void test_mail_render_subject_too_long_refused(void **state)
{
    (void)state;
    char v[1200];
    memset(v, 'a', sizeof v);
    char vars[1300];
    snprintf(vars, sizeof vars, "{\"v\":\"%.*s\"}", 1100, v);
    struct mail_text t;
    struct sm_err e = {0};
    assert_int_equal(render("Subject: {{v}}\n\nbody\n", vars, &t, &e), -SM_E_TOO_LARGE);
    assert_string_equal(e.field, "subject");
}

static void test_mail_render_failalloc(void **state)
{
    (void)state;
    for (long nth = 1; nth < 100; nth++) {
        struct mail_text t;
        struct sm_err e = {0};
        failalloc_set(nth);
        int rc = mail_render("test", "ja", "{\"node\":\"n\",\"date\":\"d\"}", &t, &e);
        failalloc_set(0);
        if (rc == 0) {
            mail_text_free(&t);
            return;
        }
        assert_int_equal(rc, -SM_E_NOMEM);
        assert_null(t.subject);
    }
    fail_msg("render never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail_render_test_template_ja_en),
        cmocka_unit_test(test_mail_render_unknown_template_refused),
        cmocka_unit_test(test_mail_render_missing_variable_refused),
        cmocka_unit_test(test_mail_render_text_substitutes_values),
        cmocka_unit_test(test_mail_render_subject_injection_refused),
        cmocka_unit_test(test_mail_render_text_malformed_refused),
        cmocka_unit_test(test_mail_render_subject_too_long_refused),
        cmocka_unit_test(test_mail_render_failalloc),
    };
    return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
