/* SPDX-License-Identifier: MIT */
/* R-MNG-4: the site seal's store. One seal per subscription chain; the chain's first
 * subscription is found from any certificate of any later subscription (renewals via
 * predecessor_id, reissues as rows of subscription_certs); the current certificate is the
 * newest one issued in the chain. Runs on SQLite, and on PostgreSQL too when
 * SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <string.h>

#include "ra/seal.h"
#include "store/seals.h"

#define T0 1800000000

static int fx_setup(void **state)
{
    dbfx_setup(state, "seals", T0);
    return 0;
}

static const struct db_stmt st_sub = {
    "t.sub",
    "INSERT INTO subscriptions (id, org_id, product_id, first_order_id, predecessor_id, "
    "starts_at, ends_at, created_at, updated_at) VALUES ($1, 7, 1, $2, $3, 0, 4000000000, 0, 0)",
    NULL, NULL};
static const struct db_stmt st_cert = {
    "t.cert",
    "INSERT INTO certificates (serial, ca_id, state, org_id, level, root, cn, names, der, "
    "not_before, not_after, reserved_at, issued_at, sha256) VALUES ($1, $2, $3, 7, 'dv', 'a', "
    "'www.example.jp', '[]', $4, 0, 4000000000, 0, $5, 'ab') RETURNING id",
    NULL, NULL};
static const struct db_stmt st_link = {
    "t.link",
    "INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at) "
    "VALUES ($1, $2, $3, $4, 0)",
    NULL, NULL};

static int64_t cert(struct db *db, int64_t ca, const char *serial, const char *state, int64_t at)
{
    static const unsigned char der[] = {0x30, 0x00};
    struct db_val p[5] = {DBV_TEXT(serial), DBV_INT(ca), DBV_TEXT(state), DBV_BLOB(der, 2),
                          DBV_INT(at)};
    struct sm_err e = {0};
    int64_t id = 0;
    assert_int_equal(db_returning_id(db, &st_cert, p, 5, &id, &e), 0);
    return id;
}

static void link_(struct db *db, int64_t sub, int64_t order, int64_t cert_id, const char *why)
{
    struct db_val p[4] = {DBV_INT(sub), DBV_INT(order), DBV_INT(cert_id), DBV_TEXT(why)};
    struct sm_err e = {0};
    assert_int_equal(db_run(db, &st_link, p, 4, NULL, NULL, &e), 0);
}

static void test_seals_chain_follows_reissue_and_renewal(void **state)
{
    struct dbfx *f = *state;
    struct db *db = f->db;
    struct sm_err e = {0};
    int64_t ca = dbfx_add_ca(db, "dv", "dv");
    struct db_val s1[3] = {DBV_INT(1), DBV_INT(101), DBV_NULL};
    struct db_val s2[3] = {DBV_INT(2), DBV_INT(103), DBV_INT(1)};
    assert_int_equal(db_run(db, &st_sub, s1, 3, NULL, NULL, &e), 0);
    assert_int_equal(db_run(db, &st_sub, s2, 3, NULL, NULL, &e), 0);
    int64_t c1 = cert(db, ca, "a1", "revoked", T0 - 300);
    int64_t c2 = cert(db, ca, "a2", "issued", T0 - 200);
    int64_t c3 = cert(db, ca, "a3", "issued", T0 - 100);
    int64_t c4 = cert(db, ca, "a4", "reserved", T0); /* never counts */
    link_(db, 1, 101, c1, "first");
    link_(db, 1, 102, c2, "reissue");
    link_(db, 2, 103, c3, "renewal");
    link_(db, 2, 104, c4, "continued");
    int64_t root = 0;
    assert_int_equal(seals_chain_root(db, c3, &root, &e), 0);
    assert_int_equal(root, 1);
    assert_int_equal(seals_chain_root(db, c2, &root, &e), 0);
    assert_int_equal(root, 1);
    int64_t cur = 0;
    assert_int_equal(seals_current_cert(db, 1, &cur, &e), 0);
    assert_int_equal(cur, c3);
    /* no subscription: 0 */
    int64_t lone = cert(db, ca, "b1", "issued", T0);
    assert_int_equal(seals_chain_root(db, lone, &root, &e), 0);
    assert_int_equal(root, 0);
    /* one seal per subscription */
    struct seal_row s = {0};
    snprintf(s.seal_id, sizeof s.seal_id, "0123456789abcdef01234567");
    s.org_id = 7;
    s.subscription_id = 1;
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(seals_insert(db, &s, NULL, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
    snprintf(s.seal_id, sizeof s.seal_id, "0123456789abcdef01234568");
    assert_int_equal(db_begin(db, &e), 0);
    assert_true(seals_insert(db, &s, NULL, &e) < 0);
    db_rollback(db);
    struct seal_row got;
    assert_int_equal(seals_find(db, 1, 0, &got, &e), 0);
    assert_string_equal(got.seal_id, "0123456789abcdef01234567");
    /* the status the public page shows: valid, from the newest certificate */
    struct seal_status st;
    assert_int_equal(seal_status(db, "0123456789abcdef01234567", T0, &st, &e), 0);
    assert_int_equal(st.state, SEAL_VALID);
    assert_string_equal(st.serial, "a3");
    assert_int_equal(seal_status(db, "ffffffffffffffffffffffff", T0, &st, &e), -SM_E_NOTFOUND);
    assert_int_equal(seal_status(db, "../x", T0, &st, &e), -SM_E_NOTFOUND);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_seals_chain_follows_reissue_and_renewal),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("seals", table, NT, NULL, 0); }
