/* SPDX-License-Identifier: MIT */
/* ra/validate without the network: random values given out when vetting starts, reuse of
 * earlier validations of the same organization (R-VAL-2) — a web-page validation covers
 * its own FQDN only, DNS and e-mail validations cover names below them (BR 3.2.2.4.18,
 * 3.2.2.4.7) —, no web-page method for wildcard names, the e-mail method switched off by
 * date (R-VAL-1), the e-mail link, and the instructions shown to customers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdir.h"
#include "core/clock.h"
#include "core/config.h"
#include "ra/validate.h"
#include "store/db.h"
#include "store/orders.h"
#include "store/outbox.h"
#include "store/products.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

static char dir[256];
static struct db *db;
static struct config *cfg;
static struct order_env env;
static int64_t product_id;
static const struct order_actor sys = {0, {1, NULL, 0}};

static int setup(void **state)
{
    (void)state;
    clock_set(NOW);
    struct sm_err e = {0};
    struct product p;
    if (testdir_make(dir, sizeof dir, "validate") < 0 || (cfg = config_defaults(dir)) == NULL ||
        db_open("sqlite:v.db", dir, &db, &e) < 0 || db_migrate(db, &e) < 0 ||
        products_seed_demo(db, "test", NULL, &e) < 0 ||
        products_get_by_code(db, "dv-1y", &p, &e) < 0) {
        fprintf(stderr, "# setup: %s\n", e.detail);
        return -1;
    }
    product_id = p.id;
    env.db = db;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_close(db);
    config_free(cfg);
    testdir_remove(dir);
    clock_set(0);
    return 0;
}

/* An order of org in state vetting with names[i] validated by methods[i]. */
static int64_t order(int64_t org, const char *key, const char *const *names,
                     const char *const *methods, size_t n)
{
    struct order_rec o;
    memset(&o, 0, sizeof o);
    snprintf(o.receipt_no, sizeof o.receipt_no, "R-%s", key);
    snprintf(o.kind, sizeof o.kind, "new");
    snprintf(o.state, sizeof o.state, "vetting");
    o.product_id = product_id;
    o.org_id = org;
    o.created_by = 1;
    o.cn = (char *)names[0];
    o.names = "[]";
    o.notify_email[0] = "a@example.co.jp";
    o.idem_key = (char *)key;
    int64_t id = 0;
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(orders_insert(db, &o, &id, NULL), 0);
    assert_int_equal(orders_domains_replace(db, id, names, methods, n, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
    return id;
}

static void prepare(int64_t id)
{
    struct order_rec *o = NULL;
    struct sm_err e = {0};
    assert_int_equal(orders_get(db, id, &sys.scope, &o, NULL), 0);
    assert_int_equal(db_begin(db, NULL), 0);
    int rc = validate_prepare_tx(&env, cfg, o, &e);
    if (rc != 0)
        fail_msg("prepare: %s %s", e.field, e.detail);
    assert_int_equal(db_commit(db, NULL), 0);
    orders_rec_free(o);
}

static struct order_domain *domains(int64_t id, size_t *n)
{
    struct order_domain *d = NULL;
    assert_int_equal(orders_domains_list(db, id, &d, n, NULL), 0);
    return d;
}

static void validated(int64_t id, const char *name)
{
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(orders_domain_set_result(db, id, name, "validated", NOW, "BR 2.1.8", "{}",
                                              NULL),
                     0);
    assert_int_equal(db_commit(db, NULL), 0);
}

/* R-VAL-1: vetting gives every domain a random value (32 base64url characters, 30 days);
 * a wildcard name asked for the web-page method gets DNS instead (BR 3.2.2.4.18). */
static void test_validate_prepare_values_and_wildcard(void **state)
{
    (void)state;
    const char *names[] = {"www.prep.co.jp", "*.prep.co.jp"};
    const char *methods[] = {"http", "http"};
    int64_t id = order(1, "prep", names, methods, 2);
    prepare(id);
    size_t n = 0;
    struct order_domain *d = domains(id, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(d[i].random_value);
        assert_int_equal(strlen(d[i].random_value), 32);
        assert_int_equal(d[i].value_expires_at, NOW + 30 * 86400);
        assert_string_equal(d[i].state, "pending");
    }
    assert_string_equal(d[0].dcv_method, "http");
    assert_string_equal(d[1].dcv_method, "dns");
    orders_domains_free(d, n);
    struct sm_err e = {0};
    assert_int_equal(validate_set_method(&env, &sys, cfg, id, "*.prep.co.jp", "http", &e),
                     -SM_E_DCV_METHOD);
    assert_int_equal(validate_set_method(&env, &sys, cfg, id, "www.prep.co.jp", "whois", &e),
                     -SM_E_INVALID);
}

/* R-VAL-2: a DNS validation of the organization covers names below it; a web-page
 * validation covers only its own FQDN; another organization's validations never count;
 * past the dated reuse period nothing is reused. */
static void test_validate_prepare_reuse_rules(void **state)
{
    (void)state;
    const char *n1[] = {"reuse.co.jp", "web.reuse.co.jp"};
    const char *m1[] = {"dns", "http"};
    int64_t first = order(7, "r1", n1, m1, 2);
    validated(first, "reuse.co.jp");
    validated(first, "web.reuse.co.jp");

    const char *n2[] = {"shop.reuse.co.jp", "web.reuse.co.jp", "a.web.reuse.co.jp"};
    int64_t second = order(7, "r2", n2, NULL, 3);
    prepare(second);
    size_t n = 0;
    struct order_domain *d = domains(second, &n);
    assert_int_equal(n, 3);
    assert_string_equal(d[0].state, "validated"); /* under reuse.co.jp (DNS) */
    assert_string_equal(d[0].dcv_method, "reuse");
    assert_int_equal(d[0].validated_at, NOW); /* the original time: reuse does not extend */
    assert_string_equal(d[1].state, "validated"); /* the same FQDN (web page) */
    assert_string_equal(d[2].state, "validated"); /* below reuse.co.jp (DNS) all the same */
    orders_domains_free(d, n);

    const char *n3[] = {"reuse.co.jp"};
    int64_t other = order(8, "r3", n3, NULL, 1);
    prepare(other);
    d = domains(other, &n);
    assert_string_equal(d[0].state, "pending");
    orders_domains_free(d, n);

    clock_set(NOW + 201LL * 86400); /* 200 days of reuse on this date (R-VAL-2) */
    int64_t late = order(7, "r4", n3, NULL, 1);
    prepare(late);
    d = domains(late, &n);
    assert_string_equal(d[0].state, "pending");
    orders_domains_free(d, n);
    clock_set(NOW);
}

/* BR 3.2.2.4.18: a web-page validation of an apex does not cover www below it. */
static void test_validate_prepare_http_does_not_cover_subdomains(void **state)
{
    (void)state;
    const char *n1[] = {"apex.co.jp"};
    const char *m1[] = {"http"};
    int64_t first = order(9, "h1", n1, m1, 1);
    validated(first, "apex.co.jp");
    const char *n2[] = {"www.apex.co.jp"};
    int64_t second = order(9, "h2", n2, NULL, 1);
    prepare(second);
    size_t n = 0;
    struct order_domain *d = domains(second, &n);
    assert_string_equal(d[0].state, "pending");
    orders_domains_free(d, n);
}

/* R-VAL-1: the e-mail method mails the link to the constructed address; following it
 * validates the domain once; unknown, malformed and expired tokens are refused; from
 * 2028-03-15 the method is refused. */
static void test_validate_email_link(void **state)
{
    (void)state;
    const char *names[] = {"mail.link.co.jp"};
    const char *methods[] = {"email:admin"};
    int64_t id = order(10, "mail", names, methods, 1);
    prepare(id);
    size_t n = 0;
    struct order_domain *d = domains(id, &n);
    char token[64];
    snprintf(token, sizeof token, "%s", d[0].random_value);
    orders_domains_free(d, n);
    struct outbox_row *rows = NULL;
    size_t nr = 0;
    assert_int_equal(outbox_list_by_order(db, id, 10, &rows, &nr, NULL), 0);
    assert_int_equal(nr, 1);
    assert_string_equal(rows[0].to, "admin@link.co.jp");
    assert_string_equal(rows[0].tmpl, "dcv_email");
    assert_non_null(strstr(rows[0].vars_json, token));
    outbox_rows_free(rows, nr);

    struct sm_err e = {0};
    assert_int_equal(validate_email_confirm(&env, cfg, "not-a-token", &e), -SM_E_NOTFOUND);
    assert_int_equal(validate_email_confirm(&env, cfg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &e),
                     -SM_E_NOTFOUND);
    clock_set(NOW + 31LL * 86400);
    assert_int_equal(validate_email_confirm(&env, cfg, token, &e), -SM_E_NOTFOUND);
    clock_set(NOW);
    assert_int_equal(validate_email_confirm(&env, cfg, token, &e), 0);
    d = domains(id, &n);
    assert_string_equal(d[0].state, "validated");
    assert_non_null(strstr(d[0].evidence, "admin@link.co.jp"));
    orders_domains_free(d, n);

    clock_set(1836691200); /* 2028-03-15T00:00:00Z */
    assert_int_equal(validate_set_method(&env, &sys, cfg, id, "mail.link.co.jp", "email:admin",
                                         &e),
                     -SM_E_DCV_METHOD);
    clock_set(NOW);
}

/* R-VAL-1: what a customer is told to publish, per method. */
static void test_validate_steps_list(void **state)
{
    (void)state;
    const char *names[] = {"steps.co.jp", "www.steps.co.jp", "m.steps.co.jp"};
    const char *methods[] = {"dns", "http", "email:hostmaster"};
    int64_t id = order(11, "steps", names, methods, 3);
    prepare(id);
    struct validate_step *t = NULL;
    size_t n = 0;
    assert_int_equal(validate_steps_list(&env, &sys, cfg, id, &t, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(t[0].record_name, "_pki-validation.steps.co.jp");
    assert_int_equal(strlen(t[0].value), 32);
    assert_non_null(strstr(t[1].url, "http://www.steps.co.jp/.well-known/pki-validation/shomei-"));
    assert_string_equal(t[2].email, "hostmaster@steps.co.jp");
    /* the e-mail method's value is the mailed link: never shown, or the applicant could
     * confirm without the mailbox (BR 3.2.2.4.4) */
    assert_true(t[0].issued && t[1].issued && t[2].issued);
    assert_string_equal(t[2].value, "");
    free(t);
    const struct order_actor stranger = {5, {0, (const int64_t[]){12}, 1}};
    assert_int_equal(validate_steps_list(&env, &stranger, cfg, id, &t, &n, NULL), -SM_E_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_prepare_values_and_wildcard),
        cmocka_unit_test(test_validate_prepare_reuse_rules),
        cmocka_unit_test(test_validate_prepare_http_does_not_cover_subdomains),
        cmocka_unit_test(test_validate_email_link),
        cmocka_unit_test(test_validate_steps_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
