/* SPDX-License-Identifier: MIT */
/* Issue 10 items 3 and 4 (R-VAL-2, RFC 8555 7.1.4 and 7.6): store/acme_orders'
 * acme_authz_last_valid, the lookup behind the reuse of authorizations and the revocation by
 * an account holding every name. It finds the newest valid authorization of the name with
 * a validation date, of any account of the organization (by_org) or of one account; never
 * a pending, invalid or deactivated one, another name, the other wildcard flag, another
 * organization's or another account's. Runs on SQLite, and on PostgreSQL when
 * SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/acme_accounts.h"
#include "store/acme_orders.h"
#include "store/db.h"

#define NOW 1800000000

static int64_t org1, org2, acct1, acct1b, acct2;

static int64_t add_account(struct db *db, int64_t org, const char *thumb)
{
    struct acme_account_row a = {0};
    a.org_id = org;
    a.created_at = NOW;
    a.jwk = (char *)"{}";
    a.contact = (char *)"[]";
    snprintf(a.thumbprint, sizeof a.thumbprint, "%s", thumb);
    snprintf(a.status, sizeof a.status, "valid");
    snprintf(a.eab_kid, sizeof a.eab_kid, "kid-%s", thumb);
    int64_t id = 0;
    struct sm_err e = {0};
    assert_int_equal(acme_account_insert(db, &a, &id, &e), 0);
    return id;
}

/* An authorization of account for name in a new order, then status/validated_at set. */
static int64_t add_authz(struct db *db, int64_t account, int64_t org, const char *name, int wild,
                         const char *status, int64_t validated_at)
{
    struct sm_err e = {0};
    struct acme_order_row o = {.account_id = account,
                               .org_id = org,
                               .expires_at = NOW + 86400,
                               .created_at = NOW,
                               .names = (char *)"[]"};
    snprintf(o.status, sizeof o.status, "pending");
    snprintf(o.profile, sizeof o.profile, "classic");
    int64_t oid = 0, id = 0;
    assert_int_equal(acme_order_insert(db, &o, &oid, &e), 0);
    struct acme_authz_row a = {
        .acme_order_id = oid, .account_id = account, .expires_at = NOW + 86400, .wildcard = wild};
    snprintf(a.name, sizeof a.name, "%s", name);
    snprintf(a.status, sizeof a.status, "pending");
    snprintf(a.token, sizeof a.token, "tok-%lld", (long long)oid);
    assert_int_equal(acme_authz_insert(db, &a, &id, &e), 0);
    a.id = id;
    snprintf(a.status, sizeof a.status, "%s", status);
    snprintf(a.method, sizeof a.method, "http-01");
    a.validated_at = validated_at;
    a.evidence = (char *)"{\"method\":\"http-01\"}";
    assert_int_equal(acme_authz_update(db, &a, "pending", &e), 0);
    return id;
}

static int fx_setup(void **state)
{
    struct dbfx *f = dbfx_setup(state, "acme_authz", NOW);
    org1 = dbfx_add_org(f->db, "customer", "Org One", 0);
    org2 = dbfx_add_org(f->db, "customer", "Org Two", 0);
    acct1 = add_account(f->db, org1, "thumb-1");
    acct1b = add_account(f->db, org1, "thumb-1b");
    acct2 = add_account(f->db, org2, "thumb-2");
    return 0;
}

static int64_t found(struct db *db, int by_org, int64_t id, const char *name, int wild)
{
    struct acme_authz_row a;
    struct sm_err e = {0};
    int rc = acme_authz_last_valid(db, by_org, id, name, wild, &a, &e);
    if (rc == -SM_E_NOTFOUND)
        return 0;
    assert_int_equal(rc, 0);
    int64_t r = a.id;
    assert_string_equal(a.method, "http-01");
    assert_non_null(a.evidence);
    acme_authz_rows_free(&a, 1);
    return r;
}

static void test_authz_last_valid(void **state)
{
    struct dbfx *f = *state;
    struct db *db = f->db;
    int64_t old = add_authz(db, acct1, org1, "www.example.jp", 0, "valid", NOW - 1000);
    int64_t newer = add_authz(db, acct1b, org1, "www.example.jp", 0, "valid", NOW - 10);
    add_authz(db, acct1, org1, "www.example.jp", 0, "deactivated", NOW - 5);
    add_authz(db, acct1, org1, "www.example.jp", 0, "invalid", NOW - 4);
    add_authz(db, acct2, org2, "www.example.jp", 0, "valid", NOW - 1);
    int64_t wild = add_authz(db, acct1, org1, "example.jp", 1, "valid", NOW - 100);
    assert_true(old > 0);
    /* of the organization: the newest valid one, whichever account of it */
    assert_int_equal(found(db, 1, org1, "www.example.jp", 0), newer);
    /* of one account: its own newest valid one */
    assert_int_equal(found(db, 0, acct1, "www.example.jp", 0), old);
    /* the wildcard flag and the name must match */
    assert_int_equal(found(db, 1, org1, "example.jp", 1), wild);
    assert_int_equal(found(db, 1, org1, "example.jp", 0), 0);
    assert_int_equal(found(db, 0, acct1b, "example.jp", 1), 0);
    assert_int_equal(found(db, 1, org1, "mail.example.jp", 0), 0);
    /* another organization sees only its own */
    assert_int_not_equal(found(db, 1, org2, "www.example.jp", 0), newer);
    assert_int_equal(found(db, 0, acct2, "example.jp", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_authz_last_valid, fx_setup, dbfx_teardown),
    };
    return dbfx_run_both("acme_authz", tests, sizeof tests / sizeof tests[0], NULL, 0);
}
