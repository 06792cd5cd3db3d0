/* SPDX-License-Identifier: MIT */
/* web/i18n: the ja/en catalogs are complete (every key in both languages, every key the
 * templates, the error table and the handlers use), and the page language is chosen from
 * ?lang=, the cookie, Accept-Language, then ja. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/asset.h"
#include "core/err.h"
#include "web/i18n.h"

static void test_i18n_init_parses_both_catalogs(void **state)
{
    (void)state;
    struct sm_err e = {0};
    assert_int_equal(i18n_init(&e), 0);
    assert_non_null(i18n_catalog("ja"));
    assert_non_null(i18n_catalog("en"));
    assert_null(i18n_catalog("fr"));
    assert_null(i18n_catalog(NULL));
}

/* Every key of each catalog exists, non-empty, in the other; placeholders agree. */
static void test_i18n_catalogs_same_keys(void **state)
{
    (void)state;
    const char *langs[] = {"ja", "en"};
    for (int i = 0; i < 2; i++) {
        const json_t *a = i18n_catalog(langs[i]), *b = i18n_catalog(langs[1 - i]);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            const char *other = json_string_value(json_object_get(b, k));
            if (other == NULL)
                fail_msg("key '%s' is in %s but not in %s", k, langs[i], langs[1 - i]);
            if (json_string_length(v) == 0)
                fail_msg("key '%s' is empty in %s", k, langs[i]);
            int pa = strstr(json_string_value(v), "{field}") != NULL;
            int pb = strstr(other, "{field}") != NULL;
            if (pa != pb)
                fail_msg("key '%s': {field} in one language only", k);
        }
    }
    assert_true(json_object_size(i18n_catalog("ja")) > 50);
}

/* Every {{t:key}} in the embedded templates exists in both languages. */
static void test_i18n_template_keys_exist(void **state)
{
    (void)state;
    int templates = 0, keys = 0;
    for (const struct asset *a = asset_table; a->path != NULL; a++) {
        if (strncmp(a->path, "web/templates/", 14) != 0)
            continue;
        templates++;
        const char *p = (const char *)a->data;
        while ((p = strstr(p, "{{t:")) != NULL) {
            p += 4;
            const char *end = strstr(p, "}}");
            assert_non_null(end);
            char key[128];
            size_t n = (size_t)(end - p);
            assert_true(n < sizeof key);
            memcpy(key, p, n);
            key[n] = '\0';
            keys++;
            if (i18n_get("ja", key) == NULL || i18n_get("en", key) == NULL)
                fail_msg("%s uses message '%s' missing from a catalog", a->path, key);
        }
    }
    assert_true(templates >= 4);
    assert_true(keys >= 20);
}

/* The message keys of the error table and those the web handlers name in code. */
static void test_i18n_code_keys_exist(void **state)
{
    (void)state;
    static const char *used[] = {
        "web.notfound", "web.method",     "web.too_large",     "web.too_many_fields",
        "web.utf8",     "web.bad_form",   "web.form_type",     "web.csrf",
        "web.bad_json", "api.csr_missing", "api.csr_type",     "csr.input_missing",
        "csr.title",    "home.title",     "error.title",
    };
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        if (i18n_get("ja", used[i]) == NULL || i18n_get("en", used[i]) == NULL)
            fail_msg("message '%s' missing", used[i]);
    for (int c = 0; c < SM_E__COUNT; c++)
        if (i18n_get("ja", sm_err_msgkey(c)) == NULL || i18n_get("en", sm_err_msgkey(c)) == NULL)
            fail_msg("error message '%s' missing", sm_err_msgkey(c));
}

static void test_i18n_get_unknown(void **state)
{
    (void)state;
    assert_null(i18n_get("ja", "no.such.key"));
    assert_null(i18n_get("de", "csr.title"));
    assert_null(i18n_get(NULL, "csr.title"));
    assert_string_equal(i18n_text("en", "no.such.key"), "no.such.key");
    assert_string_equal(i18n_text("de", "csr.title"), i18n_get("ja", "csr.title"));
}

struct choose_case {
    const char *query, *cookie, *accept, *want;
};

static const struct choose_case choose_cases[] = {
    {NULL, NULL, NULL, "ja"},
    {"en", NULL, NULL, "en"},
    {"ja", "en", "en", "ja"},          /* query beats cookie and header */
    {"xx", "en", NULL, "en"},          /* an unknown query value is ignored */
    {"EN", NULL, NULL, "ja"},          /* exact values only */
    {NULL, "en", "ja", "en"},          /* cookie beats header */
    {NULL, "fr", "en", "en"},          /* an unknown cookie is ignored */
    {NULL, NULL, "en-US,en;q=0.9,ja;q=0.8", "en"},
    {NULL, NULL, "ja;q=0.5, en;q=0.9", "en"},
    {NULL, NULL, "fr, en;q=0.1", "en"},
    {NULL, NULL, "fr-FR, de", "ja"},
    {NULL, NULL, "EN-gb", "en"},
    {NULL, NULL, "en;q=0", "ja"},      /* q=0 means not acceptable */
    {NULL, NULL, "*", "ja"},
    {NULL, NULL, "en-GB;q=0.8,ja-JP", "ja"},
    {NULL, NULL, "en;q=1.0, ja;q=1", "en"}, /* ties go to the first */
    {NULL, NULL, "en;q=2", "ja"},      /* malformed q */
    {NULL, NULL, ";;,,q=;, ;", "ja"},
    {NULL, NULL, "english", "ja"},
    {NULL, NULL, "", "ja"},
};

static void test_i18n_choose_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof choose_cases / sizeof choose_cases[0]; i++) {
        const struct choose_case *c = &choose_cases[i];
        const char *got = i18n_choose(c->query, c->cookie, c->accept);
        if (strcmp(got, c->want) != 0)
            fail_msg("case %zu (%s|%s|%s): got %s want %s", i, c->query ? c->query : "-",
                     c->cookie ? c->cookie : "-", c->accept ? c->accept : "-", got, c->want);
    }
}

static void test_i18n_format_field(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(i18n_format(&b, "en", "web.utf8", "csr"), 0);
    assert_string_equal(b.p, "The field \"csr\" contains text that is not valid UTF-8.");
    buf_reset(&b);
    assert_int_equal(i18n_format(&b, "ja", "web.utf8", NULL), 0);
    assert_non_null(strstr(b.p, "「」"));
    buf_reset(&b);
    assert_int_equal(i18n_format(&b, "en", "no.such", "x"), 0);
    assert_string_equal(b.p, "no.such");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i18n_init_parses_both_catalogs),
        cmocka_unit_test(test_i18n_catalogs_same_keys),
        cmocka_unit_test(test_i18n_template_keys_exist),
        cmocka_unit_test(test_i18n_code_keys_exist),
        cmocka_unit_test(test_i18n_get_unknown),
        cmocka_unit_test(test_i18n_choose_order),
        cmocka_unit_test(test_i18n_format_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
