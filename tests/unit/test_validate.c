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
#include "ra/mpic.h"
#include "ra/validate.h"
#include "ra/fulfil.h"
#include "store/db.h"
#include "store/mpic_attempts.h"
#include "store/orders.h"
#include "store/outbox.h"
#include "ra/product.h"
#include "store/products.h"
#include "store/users.h"

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
    struct product_row p;
    if (testdir_make(dir, sizeof dir, "validate") < 0 || (cfg = config_defaults(dir)) == NULL ||
        db_open("sqlite:v.db", dir, &db, &e) < 0 || db_migrate(db, &e) < 0 ||
        product_seed_demo(db, "test", NULL, &e) < 0 ||
        products_get_by_code(db, "dv-1y", &p, &e) < 0) {
        fprintf(stderr, "# setup: %s\n", e.detail);
        return -1;
    }
    product_id = p.id;
    env.db = db;
    /* the organizations 1..30 that order() names (the DCV mail names its organization) */
    for (int i = 1; i <= 30; i++) {
        struct org_row org;
        int64_t id = 0;
        memset(&org, 0, sizeof org);
        snprintf(org.kind, sizeof org.kind, "customer");
        snprintf(org.name_ja, sizeof org.name_ja, "組織%d", i);
        if (db_begin(db, &e) < 0 || org_insert(db, &org, &id, &e) < 0 || db_commit(db, &e) < 0 ||
            id != i) {
            fprintf(stderr, "# setup: organization %d: %s\n", i, e.detail);
            return -1;
        }
    }
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
    struct order_row o;
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
    assert_int_equal(order_domains_replace(db, id, names, methods, n, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
    return id;
}

static void prepare(int64_t id)
{
    struct order_row *o = NULL;
    struct sm_err e = {0};
    assert_int_equal(orders_get(db, id, &sys.scope, &o, NULL), 0);
    assert_int_equal(db_begin(db, NULL), 0);
    int rc = validate_prepare_tx(&env, cfg, o, &e);
    if (rc != 0)
        fail_msg("prepare: %s %s", e.field, e.detail);
    assert_int_equal(db_commit(db, NULL), 0);
    order_row_free(o);
}

static struct order_domain_row *domains(int64_t id, size_t *n)
{
    struct order_domain_row *d = NULL;
    assert_int_equal(order_domains_list(db, id, &d, n, NULL), 0);
    return d;
}

static void validated(int64_t id, const char *name)
{
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(
        order_domains_set_result(db, id, name, "validated", NOW, "BR 2.1.8", "{}", NULL), 0);
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
    struct order_domain_row *d = domains(id, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(d[i].random_value);
        assert_int_equal(strlen(d[i].random_value), 32);
        assert_int_equal(d[i].value_expires_at, NOW + 30 * 86400);
        assert_string_equal(d[i].state, "pending");
    }
    assert_string_equal(d[0].dcv_method, "http");
    assert_string_equal(d[1].dcv_method, "dns");
    order_domain_rows_free(d, n);
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
    struct order_domain_row *d = domains(second, &n);
    assert_int_equal(n, 3);
    assert_string_equal(d[0].state, "validated"); /* under reuse.co.jp (DNS) */
    assert_string_equal(d[0].dcv_method, "dns");  /* the original method, not "reuse" */
    assert_int_equal(d[0].validated_at, NOW);     /* the original time: reuse does not extend */
    assert_string_equal(d[1].state, "validated"); /* the same FQDN (web page) */
    assert_string_equal(d[2].state, "validated"); /* below reuse.co.jp (DNS) all the same */
    order_domain_rows_free(d, n);

    const char *n3[] = {"reuse.co.jp"};
    int64_t other = order(8, "r3", n3, NULL, 1);
    prepare(other);
    d = domains(other, &n);
    assert_string_equal(d[0].state, "pending");
    order_domain_rows_free(d, n);

    clock_set(NOW + 201LL * 86400); /* 200 days of reuse on this date (R-VAL-2) */
    int64_t late = order(7, "r4", n3, NULL, 1);
    prepare(late);
    d = domains(late, &n);
    assert_string_equal(d[0].state, "pending");
    order_domain_rows_free(d, n);
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
    struct order_domain_row *d = domains(second, &n);
    assert_string_equal(d[0].state, "pending");
    order_domain_rows_free(d, n);
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
    struct order_domain_row *d = domains(id, &n);
    char token[64];
    snprintf(token, sizeof token, "%s", d[0].random_value);
    order_domain_rows_free(d, n);
    struct outbox_row *rows = NULL;
    size_t nr = 0;
    assert_int_equal(outbox_list_by_order(db, id, 10, &rows, &nr, NULL), 0);
    assert_int_equal(nr, 1);
    assert_string_equal(rows[0].to, "admin@mail.link.co.jp"); /* "email:admin": at the name */
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
    assert_non_null(strstr(d[0].evidence, "admin@mail.link.co.jp"));
    assert_string_equal(d[0].adn, "mail.link.co.jp");
    order_domain_rows_free(d, n);

    clock_set(1836691200); /* 2028-03-15T00:00:00Z */
    assert_int_equal(validate_set_method(&env, &sys, cfg, id, "mail.link.co.jp", "email:admin", &e),
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
    assert_string_equal(t[2].email, "hostmaster@m.steps.co.jp");
    /* the e-mail method's value is the mailed link: never shown, or the applicant could
     * confirm without the mailbox (BR 3.2.2.4.4) */
    assert_true(t[0].issued && t[1].issued && t[2].issued);
    assert_string_equal(t[2].value, "");
    free(t);
    const struct order_actor stranger = {5, {0, (const int64_t[]){12}, 1}};
    assert_int_equal(validate_steps_list(&env, &stranger, cfg, id, &t, &n, NULL), -SM_E_NOTFOUND);
}

/* ---- issue 8 items 4, 7, 20, 21 ---- */

#define T_2026_04_01 1775001600 /* 2026-04-01T00:00:00Z */
#define T_2026_12_01 1796083200 /* 2026-12-01T00:00:00Z */
#define T_2028_03_10 1836259200 /* 2028-03-10T00:00:00Z */
#define T_2028_03_16 1836777600 /* 2028-03-16T00:00:00Z */
#define T_2029_03_15 1868227200 /* 2029-03-15T00:00:00Z */

/* name of order id validated at `at` by method, with the evidence's ADN (a row's own). */
static void validated_by(int64_t id, const char *name, const char *method, const char *adn,
                         time_t at)
{
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(order_domains_set_method(db, id, name, method, NULL, 0, NULL), 0);
    assert_int_equal(order_domains_set_result(db, id, name, "validated", at, "2.2.0", "{}", NULL),
                     0);
    assert_int_equal(order_domains_set_origin(db, id, name, adn, "3.2.2.4.7", 0, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
}

static const struct order_domain_row *find(const struct order_domain_row *d, size_t n,
                                           const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i].name, name) == 0)
            return &d[i];
    fail_msg("no domain %s", name);
    return NULL;
}

/* Issue 8 item 20, R-VAL-2: a reuse keeps the original method, ADN, BR section and date and
 * names the original row; a reused web-page validation never spreads: the next order's
 * subdomain and wildcard are not covered by it (no reuse of a reuse), only the exact FQDN,
 * and that again from the original row. */
static void test_validate_reuse_of_reuse_never_spreads_web_page(void **state)
{
    (void)state;
    const char *n1[] = {"web.spread.co.jp"};
    int64_t first = order(20, "s1", n1, NULL, 1);
    validated_by(first, "web.spread.co.jp", "http", "web.spread.co.jp", NOW);
    size_t n = 0;
    struct order_domain_row *d = domains(first, &n);
    int64_t original = d[0].id;
    order_domain_rows_free(d, n);

    int64_t second = order(20, "s2", n1, NULL, 1);
    prepare(second);
    d = domains(second, &n);
    assert_string_equal(d[0].state, "validated");
    assert_string_equal(d[0].dcv_method, "http");
    assert_string_equal(d[0].adn, "web.spread.co.jp");
    assert_int_equal(d[0].reused_from, original);
    assert_int_equal(d[0].validated_at, NOW);
    assert_non_null(strstr(d[0].evidence, "\"reused_from\""));
    order_domain_rows_free(d, n);

    const char *n3[] = {"sub.web.spread.co.jp", "*.web.spread.co.jp", "web.spread.co.jp"};
    int64_t third = order(20, "s3", n3, NULL, 3);
    prepare(third);
    d = domains(third, &n);
    assert_string_equal(find(d, n, "sub.web.spread.co.jp")->state, "pending");
    assert_string_equal(find(d, n, "*.web.spread.co.jp")->state, "pending");
    const struct order_domain_row *same = find(d, n, "web.spread.co.jp");
    assert_string_equal(same->state, "validated");
    assert_int_equal(same->reused_from, original); /* the original, never the reuse */
    order_domain_rows_free(d, n);
}

/* Issue 8 item 20: a reuse does not rely on a method switched off since (e-mail, off from
 * 2028-03-15), even inside the reuse period; a DNS validation of the same date is reused. */
static void test_validate_reuse_not_past_switched_off_method(void **state)
{
    (void)state;
    const char *n1[] = {"mail.off.co.jp", "dns.off.co.jp"};
    clock_set(T_2028_03_10);
    int64_t first = order(21, "o1", n1, NULL, 2);
    validated_by(first, "mail.off.co.jp", "email:admin@off.co.jp", "off.co.jp", T_2028_03_10);
    validated_by(first, "dns.off.co.jp", "dns", "dns.off.co.jp", T_2028_03_10);
    clock_set(T_2028_03_16);
    int64_t second = order(21, "o2", n1, NULL, 2);
    prepare(second);
    size_t n = 0;
    struct order_domain_row *d = domains(second, &n);
    assert_string_equal(find(d, n, "mail.off.co.jp")->state, "pending");
    assert_string_equal(find(d, n, "dns.off.co.jp")->state, "validated");
    order_domain_rows_free(d, n);
    clock_set(NOW);
}

/* An order of org in state approved with names validated as given. */
static int64_t approved_order(int64_t org, const char *key, const char *const *names, size_t n)
{
    int64_t id = order(org, key, names, NULL, n);
    struct order_row *o = NULL;
    assert_int_equal(orders_get(db, id, &sys.scope, &o, NULL), 0);
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(orders_set_state(db, id, o->version, "vetting", "approved", NULL, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
    order_row_free(o);
    return id;
}

static const char *stale_why(int64_t id, time_t now, const char *name)
{
    struct validate_stale st[8];
    size_t n = 0;
    assert_int_equal(validate_evidence_current(&env, id, now, st, 8, &n, NULL), 0);
    for (size_t i = 0; i < n && i < 8; i++)
        if (strcmp(st[i].name, name) == 0)
            return st[i].why;
    return NULL;
}

/* Issue 8 items 20, 21: right before signing, evidence past the dated reuse period, by a
 * switched-off method, web-page evidence used for another name or a wildcard, and a
 * "reuse" row of older versions are refused; fresh evidence passes. */
static void test_validate_evidence_current_refuses(void **state)
{
    (void)state;
    const char *names[] = {"old.ev.co.jp",    "fresh.ev.co.jp",  "sub.web.ev.co.jp",
                           "*.web2.ev.co.jp", "legacy.ev.co.jp", "mail.ev.co.jp"};
    int64_t id = order(22, "ev1", names, NULL, 6);
    validated_by(id, "old.ev.co.jp", "dns", "ev.co.jp", T_2026_04_01);
    validated_by(id, "fresh.ev.co.jp", "dns", "fresh.ev.co.jp", T_2026_12_01 - 86400);
    validated_by(id, "sub.web.ev.co.jp", "http", "web.ev.co.jp", T_2026_12_01 - 86400);
    validated_by(id, "*.web2.ev.co.jp", "http", "web2.ev.co.jp", T_2026_12_01 - 86400);
    validated_by(id, "legacy.ev.co.jp", "reuse", NULL, T_2026_12_01 - 86400);
    validated_by(id, "mail.ev.co.jp", "email:admin@ev.co.jp", "ev.co.jp", T_2026_12_01 - 86400);
    /* 2026-04-01 -> 2026-12-01 is 244 days against 200 (R-VAL-2) */
    assert_string_equal(stale_why(id, T_2026_12_01, "old.ev.co.jp"), "dcv.stale");
    assert_null(stale_why(id, T_2026_12_01, "fresh.ev.co.jp"));
    assert_string_equal(stale_why(id, T_2026_12_01, "sub.web.ev.co.jp"), "dcv.scope");
    assert_string_equal(stale_why(id, T_2026_12_01, "*.web2.ev.co.jp"), "dcv.scope");
    assert_string_equal(stale_why(id, T_2026_12_01, "legacy.ev.co.jp"), "dcv.evidence_unknown");
    assert_null(stale_why(id, T_2026_12_01, "mail.ev.co.jp"));
    assert_string_equal(stale_why(id, T_2028_03_16, "mail.ev.co.jp"), "dcv.method_off");
}

/* Issue 8 item 21: an order validated on 2026-04-01, approved, issued on 2026-12-01 is
 * refused before signing (fulfil_issue, the one door of every signing path) and goes back
 * to validation: vetting, the stale domain pending with a new random value and the reason,
 * an audit record; the fresh domain stays validated. */
static void test_validate_stale_evidence_refused_at_issuance(void **state)
{
    (void)state;
    const char *names[] = {"held.co.jp", "www.held.co.jp"};
    clock_set(T_2026_04_01);
    int64_t id = approved_order(23, "held", names, 2);
    validated_by(id, "held.co.jp", "dns", "held.co.jp", T_2026_04_01);
    validated_by(id, "www.held.co.jp", "dns", "www.held.co.jp", T_2026_12_01 - 3600);
    clock_set(T_2026_12_01);
    struct sm_err e = {0};
    assert_int_equal(fulfil_issue(&env, &sys, cfg, id, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "evidence");
    assert_string_equal(order_err_key(&e), "order.err.evidence_stale");
    assert_non_null(strstr(e.detail, "held.co.jp (dcv.stale)"));
    struct order_row *o = NULL;
    assert_int_equal(orders_get(db, id, &sys.scope, &o, NULL), 0);
    assert_string_equal(o->state, "vetting");
    order_row_free(o);
    size_t n = 0;
    struct order_domain_row *d = domains(id, &n);
    const struct order_domain_row *h = find(d, n, "held.co.jp");
    assert_string_equal(h->state, "pending");
    assert_non_null(h->random_value);
    assert_int_equal(h->value_expires_at, T_2026_12_01 + 30LL * 86400);
    assert_non_null(strstr(h->evidence, "dcv.stale"));
    assert_string_equal(find(d, n, "www.held.co.jp")->state, "validated");
    order_domain_rows_free(d, n);
    /* an order no longer approved is not signed */
    assert_int_equal(fulfil_issue(&env, &sys, cfg, id, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "state");
    clock_set(NOW);
}

/* Issue 8 item 20: a web-page validation used for a subdomain and a wildcard is refused at
 * issuance too (rows as the reuse of older versions left them). */
static void test_validate_web_page_spread_refused_at_issuance(void **state)
{
    (void)state;
    const char *names[] = {"sub.spread2.co.jp", "*.spread2.co.jp"};
    int64_t id = approved_order(24, "spread2", names, 2);
    validated_by(id, "sub.spread2.co.jp", "http", "spread2.co.jp", NOW);
    validated_by(id, "*.spread2.co.jp", "http", "spread2.co.jp", NOW);
    struct sm_err e = {0};
    assert_int_equal(fulfil_issue(&env, &sys, cfg, id, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "evidence");
    assert_non_null(strstr(e.detail, "dcv.scope"));
    struct order_row *o = NULL;
    assert_int_equal(orders_get(db, id, &sys.scope, &o, NULL), 0);
    assert_string_equal(o->state, "vetting");
    order_row_free(o);
    size_t n = 0;
    struct order_domain_row *d = domains(id, &n);
    assert_string_equal(find(d, n, "*.spread2.co.jp")->dcv_method, "dns"); /* no web page */
    assert_string_equal(find(d, n, "*.spread2.co.jp")->state, "pending");
    assert_string_equal(find(d, n, "sub.spread2.co.jp")->state, "pending");
    order_domain_rows_free(d, n);
}

/* Issue 8 item 21: random values live 30 days, or the reuse period when shorter: 10 days
 * from 2029-03-15 (R-VAL-1, R-VAL-2). */
static void test_validate_value_lifetime_follows_reuse_period(void **state)
{
    (void)state;
    clock_set(T_2029_03_15);
    const char *names[] = {"life.co.jp"};
    int64_t id = order(25, "life", names, NULL, 1);
    prepare(id);
    size_t n = 0;
    struct order_domain_row *d = domains(id, &n);
    assert_int_equal(d[0].value_expires_at, T_2029_03_15 + 10LL * 86400);
    order_domain_rows_free(d, n);
    clock_set(NOW);
}

/* Issue 8 item 4: the e-mail method writes to exactly the chosen constructed address at
 * one of the name's Authorization Domain Names; an address at another domain is refused. */
static void test_validate_email_goes_to_chosen_address(void **state)
{
    (void)state;
    const char *names[] = {"www.chosen.co.jp"};
    const char *methods[] = {"dns"};
    int64_t id = order(26, "chosen", names, methods, 1);
    prepare(id);
    struct sm_err e = {0};
    assert_int_equal(
        validate_set_method(&env, &sys, cfg, id, "www.chosen.co.jp", "email:admin@other.co.jp", &e),
        -SM_E_INVALID);
    assert_int_equal(
        validate_set_method(&env, &sys, cfg, id, "www.chosen.co.jp", "email:root@chosen.co.jp", &e),
        -SM_E_INVALID);
    assert_int_equal(validate_set_method(&env, &sys, cfg, id, "www.chosen.co.jp",
                                         "email:webmaster@CHOSEN.co.jp", &e),
                     0);
    struct outbox_row *rows = NULL;
    size_t nr = 0;
    assert_int_equal(outbox_list_by_order(db, id, 10, &rows, &nr, NULL), 0);
    assert_int_equal(nr, 1);
    assert_string_equal(rows[0].to, "webmaster@chosen.co.jp");
    outbox_rows_free(rows, nr);
    struct validate_step *t = NULL;
    size_t n = 0;
    assert_int_equal(validate_steps_list(&env, &sys, cfg, id, &t, &n, NULL), 0);
    assert_string_equal(t[0].email, "webmaster@chosen.co.jp"); /* shown = written to */
    free(t);
}

/* Issue 8 item 7: the link's confirmation page learns the domain, the address, the
 * organization, the receipt number and the date requested; unknown tokens are not found. */
static void test_validate_email_lookup_names_the_request(void **state)
{
    (void)state;
    struct org_row org;
    memset(&org, 0, sizeof org);
    snprintf(org.kind, sizeof org.kind, "customer");
    snprintf(org.name_ja, sizeof org.name_ja, "確認商事株式会社");
    snprintf(org.name_en, sizeof org.name_en, "Kakunin Shoji");
    int64_t org_id = 0;
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(org_insert(db, &org, &org_id, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
    const char *names[] = {"look.co.jp"};
    const char *methods[] = {"email:hostmaster"};
    int64_t id = order(org_id, "look", names, methods, 1);
    prepare(id);
    size_t n = 0;
    struct order_domain_row *d = domains(id, &n);
    char token[64];
    snprintf(token, sizeof token, "%s", d[0].random_value);
    order_domain_rows_free(d, n);
    struct validate_email_info in;
    struct sm_err e = {0};
    assert_int_equal(validate_email_lookup(&env, token, &in, &e), 0);
    assert_string_equal(in.domain, "look.co.jp");
    assert_string_equal(in.address, "hostmaster@look.co.jp");
    assert_string_equal(in.receipt_no, "R-look");
    assert_string_equal(in.org_ja, "確認商事株式会社");
    assert_string_equal(in.org_en, "Kakunin Shoji");
    assert_true(in.requested_at > 0);
    assert_false(in.validated);
    /* issue 8 item 7: the mail itself names the applying organization too */
    struct outbox_row *rows = NULL;
    size_t nr = 0;
    assert_int_equal(outbox_list_by_order(db, id, 10, &rows, &nr, NULL), 0);
    assert_int_equal(nr, 1);
    assert_non_null(strstr(rows[0].vars_json, "\"org\":\"確認商事株式会社\""));
    assert_non_null(strstr(rows[0].vars_json, "\"org_en\":\"Kakunin Shoji\""));
    outbox_rows_free(rows, nr);
    assert_int_equal(validate_email_lookup(&env, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &in, &e),
                     -SM_E_NOTFOUND);
}

/* R-VAL-8: with too few remote perspectives for the date (none configured, production)
 * a check is refused with SM_E_MPIC before anything is asked or written; an attempt found
 * in evidence is stored with its "n/m" and BR version. */
static void test_validate_check_refused_without_perspectives(void **state)
{
    (void)state;
    static const char *const names[] = {"mpic.co.jp"};
    static const char *const methods[] = {"dns"};
    int64_t id = order(29, "mpic", names, methods, 1);
    prepare(id);
    struct sm_err e = {0};
    assert_int_equal(mpic_configure(cfg, &e), 0); /* defaults: production, no perspectives */
    int pending = -1;
    assert_int_equal(validate_check_now(&env, &sys, cfg, id, &pending, &e), -SM_E_MPIC);
    assert_int_equal(e.code, SM_E_MPIC);
    mpic_unconfigure();
    size_t n = 0;
    struct order_domain_row *d = domains(id, &n);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].state, "pending");
    order_domain_rows_free(d, n);

    const char *ev = "{\"type\":\"TXT\",\"mpic\":{\"kind\":\"dns-txt\",\"result\":\"5/6\","
                     "\"passed\":true,\"br_version\":\"2.3.1\",\"reason\":null,"
                     "\"perspectives\":[{\"location\":\"tokyo\",\"agree\":false}]}}";
    char res[16];
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(mpic_record_tx(db, id, "mpic.co.jp", "dns", ev, res, &e), 0);
    assert_int_equal(mpic_record_tx(db, id, "mpic.co.jp", "dns", "{}", NULL, &e), 0); /* none */
    assert_int_equal(db_commit(db, NULL), 0);
    assert_string_equal(res, "5/6");
    struct mpic_attempt_row *v = NULL;
    assert_int_equal(mpic_attempts_list(db, id, 10, &v, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].result, "5/6");
    assert_string_equal(v[0].kind, "dns-txt");
    assert_string_equal(v[0].br_version, "2.3.1");
    assert_true(v[0].passed);
    assert_non_null(strstr(v[0].perspectives, "tokyo"));
    mpic_attempt_rows_free(v, n);
}

/* issue 8 item 5: which failures of an issuance may pass when it runs again (the job's
 * back-off, ACME finalize leaving the order processing): a DNS failure other than a bogus
 * DNSSEC chain, a database or system failure; not a refusal by CAA, the per-CN limit or
 * the linter, and not success. */
static void test_fulfil_may_recover_table(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *field;
        int want;
    } t[] = {
        {SM_E_POLICY, "caa.servfail", 1},
        {SM_E_POLICY, "caa.timeout", 1},
        {SM_E_POLICY, "caa.resolver", 1},
        {SM_E_POLICY, "caa.bogus", 0},
        {SM_E_POLICY, "caa", 0},
        {SM_E_POLICY, "cn_limit", 0},
        {SM_E_LINT, "certificate", 0},
        {SM_E_CONFLICT, "state", 0},
        {SM_E_CSR, "csr", 0},
        {SM_E_DB, "", 1},
        {SM_E_DB_BUSY, "", 1},
        {SM_E_NOMEM, "caa", 1},
        {SM_E_IO, "", 1},
        {SM_E_STORAGE_FULL, "", 1},
        {SM_E_CRYPTO, "serial", 1},
        {SM_E_INTERNAL, "owner", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct sm_err e = {0};
        int rc = sm_err_set(&e, t[i].code, t[i].field, "x");
        assert_int_equal(fulfil_may_recover(rc, &e), t[i].want);
    }
    assert_int_equal(fulfil_may_recover(0, NULL), 0);
    assert_int_equal(fulfil_may_recover(-SM_E_DB, NULL), 1);
    assert_int_equal(fulfil_may_recover(-SM_E_POLICY, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_prepare_values_and_wildcard),
        cmocka_unit_test(test_validate_prepare_reuse_rules),
        cmocka_unit_test(test_validate_prepare_http_does_not_cover_subdomains),
        cmocka_unit_test(test_validate_email_link),
        cmocka_unit_test(test_validate_steps_list),
        cmocka_unit_test(test_validate_reuse_of_reuse_never_spreads_web_page),
        cmocka_unit_test(test_validate_reuse_not_past_switched_off_method),
        cmocka_unit_test(test_validate_evidence_current_refuses),
        cmocka_unit_test(test_validate_stale_evidence_refused_at_issuance),
        cmocka_unit_test(test_validate_web_page_spread_refused_at_issuance),
        cmocka_unit_test(test_validate_value_lifetime_follows_reuse_period),
        cmocka_unit_test(test_validate_email_goes_to_chosen_address),
        cmocka_unit_test(test_validate_email_lookup_names_the_request),
        cmocka_unit_test(test_validate_check_refused_without_perspectives),
        cmocka_unit_test(test_fulfil_may_recover_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
