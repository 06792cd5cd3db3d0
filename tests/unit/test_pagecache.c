/* SPDX-License-Identifier: MIT */
/* issue 12 item 10, R-MNG-1: rendered portal pages kept in memory (web/pagecache) and the
 * generation of an organization's data that keys them (store/datagen, migration 0069).
 * The cache: each session's CSRF token goes in the mark's place (two sessions never get
 * each other's), a page stops at its expiry, memory stays under the cap (least recently
 * used first), a key gives back only its own page. The generation (both databases): every
 * change of a certificate (issue, revoke, group move), order, DCV name, organization,
 * group, membership, cart item or list setting moves it in the same transaction, for the
 * organization and its reseller and for no other organization; a rolled-back change does
 * not; the next certificate to expire in a scope is found. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include "store/certs.h"
#include "store/datagen.h"
#include "store/revocations.h"
#include "web/pagecache.h"

#define T0 1780000000

/* ---- the cache (no database) ---- */

static void test_pagecache_csrf_mark_replaced_per_session(void **state)
{
    (void)state;
    struct pagecache *c = pagecache_new(1 << 20);
    assert_non_null(c);
    char body[256];
    const char *m = pagecache_mark(c);
    snprintf(body, sizeof body, "<form><input name=\"csrf\" value=\"%s\"></form><p>%s</p>", m, m);
    pagecache_put(c, "k", T0 + 10, body, strlen(body));
    struct buf a, b;
    assert_int_equal(pagecache_get(c, "k", T0, "TOKEN-A", &a), 1);
    assert_int_equal(pagecache_get(c, "k", T0, "TOKEN-BB", &b), 1);
    assert_string_equal(a.p, "<form><input name=\"csrf\" value=\"TOKEN-A\"></form><p>TOKEN-A</p>");
    assert_string_equal(b.p,
                        "<form><input name=\"csrf\" value=\"TOKEN-BB\"></form><p>TOKEN-BB</p>");
    assert_null(strstr(a.p, m));
    buf_free(&a);
    buf_free(&b);
    pagecache_free(c);
}

static void test_pagecache_key_expiry_and_replace(void **state)
{
    (void)state;
    struct pagecache *c = pagecache_new(1 << 20);
    struct buf o;
    pagecache_put(c, "org1|user1", T0 + 10, "one", 3);
    assert_int_equal(pagecache_get(c, "org1|user2", T0, "t", &o), 0); /* another key */
    assert_int_equal(pagecache_get(c, "org1|user1", T0 + 9, "t", &o), 1);
    assert_string_equal(o.p, "one");
    buf_free(&o);
    pagecache_put(c, "org1|user1", T0 + 20, "two", 3); /* replaced */
    assert_int_equal(pagecache_get(c, "org1|user1", T0 + 10, "t", &o), 1);
    assert_string_equal(o.p, "two");
    buf_free(&o);
    assert_int_equal(pagecache_get(c, "org1|user1", T0 + 20, "t", &o), 0); /* expired */
    struct pagecache_stats s;
    pagecache_stats(c, &s);
    assert_int_equal(s.entries, 0);
    assert_int_equal(s.hits, 2);
    pagecache_free(c);
}

static void test_pagecache_memory_bounded_lru(void **state)
{
    (void)state;
    enum { CAP = 64 * 1024, PAGE = 4000 };
    struct pagecache *c = pagecache_new(CAP);
    char *body = malloc(PAGE);
    assert_non_null(body);
    memset(body, 'x', PAGE);
    struct buf o;
    for (int i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof k, "p%d", i);
        pagecache_put(c, k, T0 + 100, body, PAGE);
        if (i >= 1) { /* p0 is used all along: the least recently used go first */
            assert_int_equal(pagecache_get(c, "p0", T0, "t", &o), 1);
            buf_free(&o);
        }
        struct pagecache_stats s;
        pagecache_stats(c, &s);
        assert_true(s.bytes <= CAP);
    }
    struct pagecache_stats s;
    pagecache_stats(c, &s);
    assert_true(s.evictions > 0);
    assert_true(s.entries < 100);
    assert_int_equal(pagecache_get(c, "p1", T0, "t", &o), 0);
    assert_int_equal(pagecache_get(c, "p99", T0, "t", &o), 1);
    buf_free(&o);
    /* a page larger than a quarter of the cache is not kept */
    char *big = calloc(1, CAP / 2);
    pagecache_put(c, "big", T0 + 100, big, CAP / 2);
    assert_int_equal(pagecache_get(c, "big", T0, "t", &o), 0);
    free(big);
    free(body);
    pagecache_free(c);
}

static void test_pagecache_next_midnight_tokyo(void **state)
{
    (void)state;
    /* 2026-12-02 06:00 UTC = 15:00 JST; the next Tokyo midnight is 2026-12-02 15:00 UTC */
    int64_t t = 1796191200; /* 2026-12-02T06:00:00Z */
    assert_int_equal(pagecache_next_midnight(t), 1796223600);
    assert_int_equal(pagecache_next_midnight(1796223600 - 1), 1796223600);
    assert_int_equal(pagecache_next_midnight(1796223600), 1796223600 + 86400);
}

/* ---- the generation (both databases) ---- */

static int fx_setup(void **state)
{
    dbfx_setup(state, "pagecache", T0);
    return 0;
}

static void exec(struct db *db, const char *sql)
{
    struct db_stmt st = {"t.exec", sql, NULL, NULL};
    struct sm_err e = {0};
    if (db_run(db, &st, NULL, 0, NULL, NULL, &e) < 0)
        fail_msg("%s: %s", sql, e.detail);
}

static int64_t org(struct db *db, const char *name, int64_t reseller)
{
    static const struct db_stmt st = {
        "t.org",
        "INSERT INTO organizations (kind, name_ja, name_en, reseller_org_id, created_at) "
        "VALUES ($1, $2, $2, $3, 0) RETURNING id",
        NULL, NULL};
    struct db_val p[] = {DBV_TEXT(reseller ? "customer" : "reseller"), DBV_TEXT(name),
                         dbv_int_or_null(reseller)};
    struct sm_err e = {0};
    int64_t id = 0;
    if (db_returning_id(db, &st, p, 3, &id, &e) < 0)
        fail_msg("org: %s", e.detail);
    return id;
}

static int64_t gen(struct db *db, int64_t org_id)
{
    int64_t g = -1;
    struct sm_err e = {0};
    assert_int_equal(datagen_get(db, org_id, &g, &e), 0);
    return g;
}

static void sqlf(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sqlf(struct db *db, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    exec(db, sql);
}

static const char zero_sha[] = "0000000000000000000000000000000000000000000000000000000000000000";

static void test_datagen_moves_with_every_change_of_the_org(void **state)
{
    struct dbfx *f = *state;
    struct db *db = f->db;
    int64_t ca = dbfx_add_ca(db, "dv-t", "dv");
    int64_t r = org(db, "Reseller", 0), c1 = org(db, "Cust1", r), c2 = org(db, "Cust2", r),
            lone = org(db, "Lone", 0);
    int64_t g_r = gen(db, r), g_c1 = gen(db, c1), g_c2 = gen(db, c2), g_l = gen(db, lone);
    /* issuance through the certificates store (its only writer): the reservation shows on
     * no page and moves nothing; the issued certificate moves c1 and its reseller */
    struct certs_new cn = {"a1", ca, "dv", "a", "a.example.jp", "[\"a.example.jp\"]", 0, c1, 0};
    assert_int_equal(certs_reserve(db, &cn, "test", 0, NULL), 0);
    assert_int_equal(gen(db, c1), g_c1);
    static const unsigned char der[] = {0x30, 0x00};
    int64_t cid = 0;
    assert_int_equal(
        certs_set_issued(db, "a1", der, sizeof der, T0, T0 + 100, zero_sha, T0, &cid, NULL), 0);
    assert_true(gen(db, c1) > g_c1);
    assert_true(gen(db, r) > g_r); /* the reseller sees its customers' certificates */
    assert_int_equal(gen(db, c2), g_c2);
    assert_int_equal(gen(db, lone), g_l);
    /* revoked (its data, then its state): each a change */
    g_c1 = gen(db, c1);
    g_r = gen(db, r);
    assert_int_equal(revocations_set(db, "a1", T0 + 1, 1, T0 + 1, "test", NULL), 0);
    assert_true(gen(db, c1) > g_c1);
    g_c1 = gen(db, c1);
    assert_int_equal(certs_set_state(db, "a1", "issued", "revoked", NULL), 0);
    assert_true(gen(db, c1) > g_c1);
    assert_true(gen(db, r) > g_r);
    assert_int_equal(gen(db, c2), g_c2);
    assert_int_equal(gen(db, lone), g_l);
    /* a group, a member, a certificate moved into it */
    int64_t u = 0;
    {
        static const struct db_stmt st = {
            "t.user",
            "INSERT INTO users (org_id, login_id, login_key, email, display_name, role, locale, "
            "password_hash, created_at) VALUES ($1, 'u1', 'u1', 'u@example.jp', 'U', 'customer', "
            "'ja', 'x', 0) RETURNING id",
            NULL, NULL};
        struct db_val p[] = {DBV_INT(c1)};
        struct sm_err e = {0};
        assert_int_equal(db_returning_id(db, &st, p, 1, &u, &e), 0);
    }
    g_c1 = gen(db, c1);
    sqlf(db,
         "INSERT INTO user_groups (org_id, name, created_by, created_at) VALUES (%lld, 'g', "
         "%lld, 0)",
         (long long)c1, (long long)u);
    assert_true(gen(db, c1) > g_c1);
    g_c1 = gen(db, c1);
    sqlf(db, "INSERT INTO group_members (group_id, user_id) SELECT id, %lld FROM user_groups",
         (long long)u);
    assert_true(gen(db, c1) > g_c1);
    g_c1 = gen(db, c1);
    sqlf(db, "INSERT INTO cert_groups (cert_id, group_id, moved_at) SELECT c.id, g.id, 0 FROM "
             "certificates c, user_groups g WHERE c.serial = 'a1'");
    assert_true(gen(db, c1) > g_c1);
    /* the list's columns of a user; the user made the organization's administrator */
    g_c1 = gen(db, c1);
    sqlf(db,
         "INSERT INTO user_prefs (user_id, name, value, updated_at) VALUES (%lld, "
         "'certlist.columns', 'cn', 0)",
         (long long)u);
    assert_true(gen(db, c1) > g_c1);
    g_c1 = gen(db, c1);
    sqlf(db, "UPDATE users SET org_admin = 1 WHERE id = %lld", (long long)u);
    assert_true(gen(db, c1) > g_c1);
    /* a rename of the customer moves it and its reseller; a product moves everyone */
    g_c1 = gen(db, c1);
    g_r = gen(db, r);
    g_c2 = gen(db, c2);
    sqlf(db, "UPDATE organizations SET name_en = 'Cust1 KK' WHERE id = %lld", (long long)c1);
    assert_true(gen(db, c1) > g_c1 && gen(db, r) > g_r);
    assert_int_equal(gen(db, c2), g_c2);
    g_l = gen(db, lone);
    sqlf(db, "INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, "
             "created_at) VALUES ('t-dv', 'T', 'T', 'dv', 12, 1000, 0)");
    assert_true(gen(db, lone) > g_l);
    g_l = gen(db, lone);
    sqlf(db, "UPDATE products SET name_en = 'T2' WHERE code = 't-dv'");
    assert_true(gen(db, lone) > g_l);
    /* a rolled-back change moves nothing */
    struct sm_err e = {0};
    g_c1 = gen(db, c1);
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(revocations_set(db, "a1", T0 + 2, 4, T0 + 2, "test", NULL), 0);
    db_rollback(db);
    assert_int_equal(gen(db, c1), g_c1);
    /* issuance in batches: one transaction moves an organization's generation once,
     * however many of its certificates it issues, and a certificate of no organization
     * moves nothing; the next transaction moves it again */
    g_c2 = gen(db, c2);
    g_r = gen(db, r);
    g_l = gen(db, lone);
    static const char *const serials[] = {"b1", "b2", "b3", "b4"};
    for (int tx = 0; tx < 2; tx++) {
        assert_int_equal(db_begin(db, &e), 0);
        for (int i = 0; i < 2; i++) {
            const char *sn = serials[tx * 2 + i];
            struct certs_new b = {
                sn, ca, "dv", "a", "b.example.jp", "[\"b.example.jp\"]", 0, i == 0 ? c2 : 0, 0};
            assert_int_equal(certs_reserve(db, &b, "test", 0, &e), 0);
            assert_int_equal(
                certs_set_issued(db, sn, der, sizeof der, T0, T0 + 100, zero_sha, T0, NULL, &e), 0);
            if (i == 0) { /* a second certificate of c2 in the same transaction */
                char sn2[8];
                snprintf(sn2, sizeof sn2, "%sx", sn);
                struct certs_new b2 = b;
                b2.serial = sn2;
                assert_int_equal(certs_reserve(db, &b2, "test", 0, &e), 0);
                assert_int_equal(certs_set_issued(db, sn2, der, sizeof der, T0, T0 + 100, zero_sha,
                                                  T0, NULL, &e),
                                 0);
            }
        }
        assert_int_equal(db_commit(db, &e), 0);
        assert_int_equal(gen(db, c2), g_c2 + 1 + tx);
        assert_int_equal(gen(db, r), g_r + 1 + tx); /* the reseller's moves with it */
    }
    assert_int_equal(gen(db, lone), g_l);
}

static void test_datagen_next_expiry_in_scope(void **state)
{
    struct dbfx *f = *state;
    struct db *db = f->db;
    int64_t ca = dbfx_add_ca(db, "dv-t", "dv");
    int64_t r = org(db, "Reseller", 0), c1 = org(db, "Cust1", r), other = org(db, "Other", 0);
    const int64_t rows[][2] = {{c1, T0 - 50}, {c1, T0 + 500}, {r, T0 + 300}, {other, T0 + 10}};
    for (size_t i = 0; i < 4; i++)
        sqlf(db,
             "INSERT INTO certificates (serial, ca_id, state, level, root, cn, reserved_at, "
             "org_id, not_after) VALUES ('s%zu', %lld, 'issued', 'dv', 'a', 'x.example.jp', 0, "
             "%lld, %lld)",
             i, (long long)ca, (long long)rows[i][0], (long long)rows[i][1]);
    int64_t ids[] = {r, c1};
    struct org_scope s = {0, ids, 2};
    int64_t t = 0;
    struct sm_err e = {0};
    assert_int_equal(datagen_next_expiry(db, &s, T0, &t, &e), 0);
    assert_int_equal(t, T0 + 300); /* not the other organization's T0 + 10 */
    assert_int_equal(datagen_next_expiry(db, &s, T0 + 301, &t, &e), 0);
    assert_int_equal(t, T0 + 500);
    assert_int_equal(datagen_next_expiry(db, &s, T0 + 500, &t, &e), 0);
    assert_int_equal(t, T0 + 500); /* at its not_after it is still valid */
    assert_int_equal(datagen_next_expiry(db, &s, T0 + 501, &t, &e), 0);
    assert_int_equal(t, 0);
    struct org_scope all = ORG_SCOPE_ALL;
    assert_int_equal(datagen_next_expiry(db, &all, T0, &t, &e), -SM_E_INVALID);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_datagen_moves_with_every_change_of_the_org),
    T(test_datagen_next_expiry_in_scope),
};

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_pagecache_csrf_mark_replaced_per_session),
        cmocka_unit_test(test_pagecache_key_expiry_and_replace),
        cmocka_unit_test(test_pagecache_memory_bounded_lru),
        cmocka_unit_test(test_pagecache_next_midnight_tokyo),
    };
    int rc = cmocka_run_group_tests_name("pagecache", plain, NULL, NULL);
    return rc + dbfx_run_both("pagecache_db", table, sizeof table / sizeof table[0], NULL, 0);
}
