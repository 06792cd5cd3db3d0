/* SPDX-License-Identifier: MIT */
/* web/router: table matching, parameters, 404 vs 405 with Allow, and the real route
 * table (R-CSR-3 page and API routes, repository names that cannot traverse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web/handlers.h"
#include "web/router.h"

static void h_a(struct req *r) { (void)r; }
static void h_b(struct req *r) { (void)r; }

static const struct route table[] = {
    {"GET", "/", h_a, ROLE_PUBLIC, 0},
    {"GET", "/tools/csr", h_a, ROLE_PUBLIC, 0},
    {"POST", "/tools/csr", h_b, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"GET", "/repository/:name", h_a, ROLE_PUBLIC, 0},
    {"GET", "/orders/:id/files/:file", h_a, ROLE_CUSTOMER, 0},
    {"DELETE", "/orders/:id", h_b, ROLE_CUSTOMER, 0},
    {"GET", "/static/*rest", h_a, ROLE_PUBLIC, 0},
};
#define N (sizeof table / sizeof table[0])

struct match_case {
    const char *method, *path;
    int want; /* index or ROUTER_* */
    const char *p1, *v1, *p2, *v2;
};

static const struct match_case cases[] = {
    {"GET", "/", 0, NULL, NULL, NULL, NULL},
    {"HEAD", "/", 0, NULL, NULL, NULL, NULL},
    {"GET", "/tools/csr", 1, NULL, NULL, NULL, NULL},
    {"POST", "/tools/csr", 2, NULL, NULL, NULL, NULL},
    {"GET", "/tools/csr/", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/tools/cs", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/tools/csrx", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/TOOLS/csr", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"PUT", "/tools/csr", ROUTER_NO_METHOD, NULL, NULL, NULL, NULL},
    {"GET", "/repository/root-a.crt", 3, "name", "root-a.crt", NULL, NULL},
    {"GET", "/repository/", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/repository", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/repository/a/b", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/repository/../shomei.ini", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"GET", "/orders/42/files/x.pdf", 4, "id", "42", "file", "x.pdf"},
    {"GET", "/orders/42/files/", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"DELETE", "/orders/7", 5, "id", "7", NULL, NULL},
    {"GET", "/orders/7", ROUTER_NO_METHOD, NULL, NULL, NULL, NULL},
    {"GET", "/static/style.css", 6, "rest", "style.css", NULL, NULL},
    {"GET", "/static/a/b.css", 6, "rest", "a/b.css", NULL, NULL},
    {"GET", "/static/", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    {"POST", "/static/x", ROUTER_NO_METHOD, NULL, NULL, NULL, NULL},
};

static void test_router_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct match_case *c = &cases[i];
        struct router_params p = {0};
        char allow[64];
        int got = router_match(table, N, c->method, c->path, &p, allow, sizeof allow);
        if (got != c->want)
            fail_msg("%s %s: got %d want %d", c->method, c->path, got, c->want);
        if (c->p1 != NULL) {
            const char *v = router_param(&p, c->p1);
            if (v == NULL || strcmp(v, c->v1) != 0)
                fail_msg("%s %s: param %s = %s", c->method, c->path, c->p1, v ? v : "(null)");
        }
        if (c->p2 != NULL) {
            const char *v = router_param(&p, c->p2);
            if (v == NULL || strcmp(v, c->v2) != 0)
                fail_msg("%s %s: param %s = %s", c->method, c->path, c->p2, v ? v : "(null)");
        }
    }
}

static void test_router_match_405_allow(void **state)
{
    (void)state;
    char allow[64];
    struct router_params p;
    assert_int_equal(router_match(table, N, "DELETE", "/tools/csr", &p, allow, sizeof allow),
                     ROUTER_NO_METHOD);
    assert_string_equal(allow, "GET, HEAD, POST");
    assert_int_equal(router_match(table, N, "GET", "/orders/1", &p, allow, sizeof allow),
                     ROUTER_NO_METHOD);
    assert_string_equal(allow, "DELETE");
    assert_int_equal(router_match(table, N, "GET", "/nowhere", &p, allow, sizeof allow),
                     ROUTER_NOT_FOUND);
    assert_string_equal(allow, "");
    /* a NULL allow buffer is fine */
    assert_int_equal(router_match(table, N, "PUT", "/", &p, NULL, 0), ROUTER_NO_METHOD);
}

static void test_router_match_param_too_long(void **state)
{
    (void)state;
    char path[ROUTER_PARAM_MAX + 32];
    memcpy(path, "/repository/", 12);
    memset(path + 12, 'a', ROUTER_PARAM_MAX);
    path[12 + ROUTER_PARAM_MAX] = '\0';
    struct router_params p;
    assert_int_equal(router_match(table, N, "GET", path, &p, NULL, 0), ROUTER_NOT_FOUND);
    assert_null(router_param(&p, "name"));
}

/* R-CSR-3: the real table routes the checker page, its form POST (with CSRF) and the API
 * (no CSRF); repository file names are single segments. */
static void test_router_match_web_routes(void **state)
{
    (void)state;
    struct router_params p;
    int i = router_match(web_routes, web_nroutes, "GET", "/tools/csr", &p, NULL, 0);
    assert_true(i >= 0);
    assert_ptr_equal(web_routes[i].handler, h_csr_form);
    i = router_match(web_routes, web_nroutes, "POST", "/tools/csr", &p, NULL, 0);
    assert_true(i >= 0);
    assert_ptr_equal(web_routes[i].handler, h_csr_check);
    assert_true(web_routes[i].flags & RF_CSRF);
    assert_true(web_routes[i].flags & RF_FORM);
    i = router_match(web_routes, web_nroutes, "POST", "/api/v1/csr/check", &p, NULL, 0);
    assert_true(i >= 0);
    assert_ptr_equal(web_routes[i].handler, h_api_csr_check);
    assert_false(web_routes[i].flags & RF_CSRF);
    assert_true(web_routes[i].flags & RF_API);
    i = router_match(web_routes, web_nroutes, "GET", "/healthz", &p, NULL, 0);
    assert_true(i >= 0);
    assert_ptr_equal(web_routes[i].handler, h_health);
    assert_int_equal(router_match(web_routes, web_nroutes, "GET", "/repository/../secret.key",
                                  &p, NULL, 0),
                     ROUTER_NOT_FOUND);
    assert_int_equal(
        router_match(web_routes, web_nroutes, "GET", "/api/v1/csr/check", &p, NULL, 0),
        ROUTER_NO_METHOD);
    /* every POST that takes a form is CSRF-checked */
    for (size_t k = 0; k < web_nroutes; k++)
        if (web_routes[k].flags & RF_FORM)
            assert_true(web_routes[k].flags & RF_CSRF);
}

/* Issue 8 item 15: the body limit is the route table's. The document upload routes (page
 * and API) take [server] max_upload (RF_UPLOAD) and read a body; no other route does;
 * /healthz never touches the database (RF_NODB, issue 8 item 12). */
static void test_router_body_limits_from_the_table(void **state)
{
    (void)state;
    struct router_params p;
    const char *uploads[] = {"/orders/7/documents", "/api/v1/orders/7/documents"};
    for (size_t k = 0; k < 2; k++) {
        int i = router_match(web_routes, web_nroutes, "POST", uploads[k], &p, NULL, 0);
        assert_true(i >= 0);
        assert_true(web_routes[i].flags & RF_UPLOAD);
    }
    int nupload = 0;
    for (size_t k = 0; k < web_nroutes; k++) {
        if (!(web_routes[k].flags & RF_UPLOAD))
            continue;
        nupload++;
        assert_true(web_routes[k].flags & (RF_FORM | RF_BODY));
        assert_non_null(strstr(web_routes[k].pattern, "/documents"));
    }
    assert_int_equal(nupload, 2);
    int i = router_match(web_routes, web_nroutes, "GET", "/healthz", &p, NULL, 0);
    assert_true(web_routes[i].flags & RF_NODB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_body_limits_from_the_table),
        cmocka_unit_test(test_router_match_table),
        cmocka_unit_test(test_router_match_405_allow),
        cmocka_unit_test(test_router_match_param_too_long),
        cmocka_unit_test(test_router_match_web_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
