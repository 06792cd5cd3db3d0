/* SPDX-License-Identifier: MIT */
/* store/users, store/sessions, store/announcements (R-ACT-1, R-ACT-2, R-ACT-3): rows in
 * and out, login ids unique case-insensitively, resellers only as managers, NOTFOUND on
 * updates of absent users, sessions kept or ended per user, single-use reset tokens,
 * revocation by the owner only, announcements newest first. Runs on SQLite, and on
 * PostgreSQL too when SHOMEI_TEST_PG_URL is set (tests/it/store_pg.sh). */
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
#include <unistd.h>

#include "core/clock.h"
#include "store/announcements.h"
#include "store/db.h"
#include "store/sessions.h"
#include "store/users.h"

static struct backend be_sqlite = {"sqlite", NULL};
static struct backend be_pg = {"pg", NULL};

static int fx_setup(void **state)
{
    dbfx_setup(state, "users", 1800000000);
    return 0;
}

static int64_t mkorg(struct dbfx *f, const char *kind, int64_t reseller)
{
    struct org_row o = {0};
    snprintf(o.kind, sizeof o.kind, "%s", kind);
    snprintf(o.name_ja, sizeof o.name_ja, "組織");
    snprintf(o.name_en, sizeof o.name_en, "Org");
    o.reseller_org_id = reseller;
    int64_t id = 0;
    struct sm_err e = {0};
    assert_int_equal(org_insert(f->db, &o, &id, &e), 0);
    return id;
}

static int64_t mkuser(struct dbfx *f, int64_t org, const char *login, int role)
{
    struct user_row u = {0};
    u.org_id = org;
    u.role = role;
    snprintf(u.login_id, sizeof u.login_id, "%s", login);
    snprintf(u.email, sizeof u.email, "%s@example.com", login);
    snprintf(u.display_name, sizeof u.display_name, "名前");
    snprintf(u.locale, sizeof u.locale, "ja");
    snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$x");
    int64_t id = 0;
    struct sm_err e = {0};
    int rc = user_insert(f->db, &u, &id, &e);
    return rc < 0 ? rc : id;
}

static void test_role_names_round_trip(void **state)
{
    (void)state;
    for (int r = USER_CUSTOMER; r <= USER_ADMIN; r++)
        assert_int_equal(user_role_parse(user_role_name(r)), r);
    assert_int_equal(user_role_parse("root"), USER_NONE);
    assert_int_equal(user_role_parse(NULL), USER_NONE);
    assert_string_equal(user_role_name(42), "");
}

static void test_org_insert_reseller_must_be_reseller(void **state)
{
    struct dbfx *f = *state;
    int64_t c = mkorg(f, "customer", 0), r = mkorg(f, "reseller", 0);
    struct org_row o = {.kind = "customer", .name_ja = "x", .name_en = "x", .reseller_org_id = c};
    int64_t id;
    struct sm_err e = {0};
    assert_int_equal(org_insert(f->db, &o, &id, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "reseller_org_id");
    o.reseller_org_id = 9999;
    assert_int_equal(org_insert(f->db, &o, &id, &e), -SM_E_INVALID);
    o.reseller_org_id = r;
    assert_int_equal(org_insert(f->db, &o, &id, &e), 0);
    struct org_row got;
    assert_int_equal(org_get(f->db, id, &got, &e), 0);
    assert_int_equal(got.reseller_org_id, r);
    assert_int_equal(org_get(f->db, 9999, &got, &e), -SM_E_NOTFOUND);
    assert_int_equal(org_find_kind(f->db, "ca", &got, &e), -SM_E_NOTFOUND);
    assert_int_equal(org_find_kind(f->db, "reseller", &got, &e), 0);
    assert_int_equal(got.id, r);
}

static void test_user_login_unique_case_insensitive(void **state)
{
    struct dbfx *f = *state;
    int64_t org = mkorg(f, "customer", 0);
    int64_t a = mkuser(f, org, "Hanako", USER_CUSTOMER);
    assert_true(a > 0);
    assert_int_equal(mkuser(f, org, "HANAKO", USER_CUSTOMER), -SM_E_EXISTS);
    struct user_row u;
    struct sm_err e = {0};
    assert_int_equal(user_get_by_login(f->db, "hanako", &u, &e), 0);
    assert_int_equal(u.id, a);
    assert_string_equal(u.login_id, "Hanako");
    assert_string_equal(u.org_kind, "customer");
    int64_t b = mkuser(f, org, "jiro", USER_RESELLER);
    assert_int_equal(user_set_login_id(f->db, b, "hanako", &e), -SM_E_EXISTS);
    assert_int_equal(user_set_login_id(f->db, a, "HANAKO", &e), 0); /* own id, new case */
    assert_int_equal(user_get_by_login(f->db, "Hanako", &u, &e), 0);
    assert_string_equal(u.login_id, "HANAKO");
    char longid[100];
    memset(longid, 'a', 99);
    longid[99] = '\0';
    assert_int_equal(user_get_by_login(f->db, longid, &u, &e), -SM_E_NOTFOUND);
}

static void test_user_updates_of_absent_user(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    assert_int_equal(user_set_password(f->db, 77, "h", &e), -SM_E_NOTFOUND);
    assert_int_equal(user_set_failures(f->db, 77, 1, 2, 3, &e), -SM_E_NOTFOUND);
    assert_int_equal(user_set_profile(f->db, 77, "n", "e@x.jp", "en", &e), -SM_E_NOTFOUND);
    assert_int_equal(user_set_login_id(f->db, 77, "nobody", &e), -SM_E_NOTFOUND);
    struct user_row u;
    assert_int_equal(user_get(f->db, 77, &u, &e), -SM_E_NOTFOUND);
    int64_t org = mkorg(f, "customer", 0), id = mkuser(f, org, "taro", USER_CUSTOMER);
    assert_int_equal(user_set_failures(f->db, id, 2, 100, 500, &e), 0);
    assert_int_equal(user_set_profile(f->db, id, "太郎", "t@example.jp", "en", &e), 0);
    assert_int_equal(user_get(f->db, id, &u, &e), 0);
    assert_int_equal(u.failed_logins, 2);
    assert_int_equal(u.first_failed_at, 100);
    assert_int_equal(u.locked_until, 500);
    assert_string_equal(u.display_name, "太郎");
    assert_string_equal(u.locale, "en");
}

static void test_sessions_per_user(void **state)
{
    struct dbfx *f = *state;
    int64_t org = mkorg(f, "customer", 0), id = mkuser(f, org, "taro", USER_CUSTOMER);
    struct sm_err e = {0};
    struct session_row s = {.user_id = id, .created_at = 1, .last_seen = 1, .expires_at = 10};
    const char *h[3] = {"aa", "bb", "cc"};
    for (int i = 0; i < 3; i++) {
        snprintf(s.id_hash, sizeof s.id_hash, "%s", h[i]);
        assert_int_equal(session_insert(f->db, &s, &e), 0);
    }
    struct session_row got;
    assert_int_equal(session_touch(f->db, "aa", 5, &e), 0);
    assert_int_equal(session_get(f->db, "aa", &got, &e), 0);
    assert_int_equal(got.last_seen, 5);
    assert_int_equal(session_delete_user(f->db, id, "bb", &e), 0);
    assert_int_equal(session_get(f->db, "aa", &got, &e), -SM_E_NOTFOUND);
    assert_int_equal(session_get(f->db, "bb", &got, &e), 0);
    assert_int_equal(session_delete(f->db, "bb", &e), 0);
    assert_int_equal(session_delete(f->db, "bb", &e), 0);
    assert_int_equal(session_get(f->db, "bb", &got, &e), -SM_E_NOTFOUND);
}

static void test_pwreset_single_use(void **state)
{
    struct dbfx *f = *state;
    int64_t org = mkorg(f, "customer", 0), id = mkuser(f, org, "taro", USER_CUSTOMER);
    struct sm_err e = {0};
    struct reset_token_row t = {
        .token_hash = "hh", .user_id = id, .created_at = 1, .expires_at = 9};
    assert_int_equal(pwreset_insert(f->db, &t, &e), 0);
    struct reset_token_row got;
    assert_int_equal(pwreset_get(f->db, "hh", &got, &e), 0);
    assert_int_equal(got.used_at, 0);
    assert_int_equal(pwreset_use(f->db, "hh", 5, &e), 0);
    assert_int_equal(pwreset_use(f->db, "hh", 6, &e), -SM_E_CONFLICT);
    assert_int_equal(pwreset_get(f->db, "hh", &got, &e), 0);
    assert_int_equal(got.used_at, 5);
    assert_int_equal(pwreset_get(f->db, "zz", &got, &e), -SM_E_NOTFOUND);
}

static void test_apikey_revoke_owner_only(void **state)
{
    struct dbfx *f = *state;
    int64_t org = mkorg(f, "customer", 0);
    int64_t a = mkuser(f, org, "taro", USER_CUSTOMER), b = mkuser(f, org, "jiro", USER_CUSTOMER);
    struct sm_err e = {0};
    struct api_key_row k = {
        .user_id = a, .prefix = "sk_abcdefg", .hash = "k1", .label = "ci", .created_at = 3};
    int64_t id;
    assert_int_equal(apikey_insert(f->db, &k, &id, &e), 0);
    struct api_key_row got;
    assert_int_equal(apikey_find(f->db, "k1", &got, &e), 0);
    assert_int_equal(got.user_id, a);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(apikey_revoke(f->db, id, b, 9, &e), -SM_E_NOTFOUND);
    assert_int_equal(apikey_revoke(f->db, id, a, 9, &e), 0);
    assert_int_equal(apikey_revoke(f->db, id, a, 10, &e), -SM_E_NOTFOUND);
    assert_int_equal(apikey_find(f->db, "k1", &got, &e), 0);
    assert_int_equal(got.revoked_at, 9);
    struct api_key_row *rows;
    size_t n;
    assert_int_equal(apikey_list(f->db, b, &rows, &n, &e), 0);
    assert_int_equal(n, 0);
    free(rows);
    assert_int_equal(apikey_list(f->db, a, &rows, &n, &e), 0);
    assert_int_equal(n, 1);
    free(rows);
}

/* Issue 7 item 3: the one organization scope on both backends. org_ids_seen lists own,
 * own + managed, or nothing; org_list_scope filters by a list, all, or nothing. */
static void test_org_scope_sql(void **state)
{
    struct dbfx *f = *state;
    int64_t r = mkorg(f, "reseller", 0), m = mkorg(f, "customer", r), c = mkorg(f, "customer", 0);
    struct sm_err e = {0};
    struct {
        int64_t own, managed;
        size_t n;
        int64_t first;
    } seen[] = {{c, 0, 1, c}, {r, r, 2, r}, {m, 0, 1, m}, {0, 0, 0, 0}, {r, c, 1, r}};
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
        int64_t *ids = NULL;
        size_t n = 9;
        assert_int_equal(org_ids_seen(f->db, seen[i].own, seen[i].managed, &ids, &n, &e), 0);
        assert_int_equal(n, seen[i].n);
        if (n > 0)
            assert_int_equal(ids[0], seen[i].first);
        free(ids);
    }
    int64_t only_c[] = {c}, r_m[] = {r, m};
    struct {
        struct org_scope s;
        int r, m, c;
    } t[] = {{{0, only_c, 1}, 0, 0, 1},
             {{0, r_m, 2}, 1, 1, 0},
             {ORG_SCOPE_ALL, 1, 1, 1},
             {ORG_SCOPE_NONE, 0, 0, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(org_scope_has(&t[i].s, r), t[i].r);
        assert_int_equal(org_scope_has(&t[i].s, m), t[i].m);
        assert_int_equal(org_scope_has(&t[i].s, c), t[i].c);
        struct org_row *rows;
        size_t n;
        assert_int_equal(org_list_scope(f->db, &t[i].s, &rows, &n, &e), 0);
        assert_int_equal((int)n, t[i].r + t[i].m + t[i].c);
        for (size_t k = 0; k < n; k++)
            assert_true(org_scope_has(&t[i].s, rows[k].id));
        free(rows);
    }
}

static void test_announcements_newest_first_limit(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id;
    for (int i = 0; i < 3; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%d", i);
        clock_set(1800000000 + i);
        assert_int_equal(announcement_insert(f->db, t, t, "b", "b", 0, &id, &e), 0);
    }
    struct announcement_row *a;
    size_t n;
    assert_int_equal(announcement_list(f->db, 2, &a, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].title_ja, "t2");
    assert_string_equal(a[1].title_ja, "t1");
    announcement_rows_free(a, n);
}

#define T(fn, be) cmocka_unit_test_prestate_setup_teardown(fn, fx_setup, dbfx_teardown, &be)
#define ALL(be)                                                                                    \
    T(test_org_insert_reseller_must_be_reseller, be),                                              \
        T(test_user_login_unique_case_insensitive, be), T(test_user_updates_of_absent_user, be),   \
        T(test_sessions_per_user, be), T(test_pwreset_single_use, be),                             \
        T(test_apikey_revoke_owner_only, be), T(test_announcements_newest_first_limit, be),        \
        T(test_org_scope_sql, be)

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {cmocka_unit_test(test_role_names_round_trip),
                                              ALL(be_sqlite)};
    int rc = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    be_pg.url = getenv("SHOMEI_TEST_PG_URL");
    if (be_pg.url != NULL && *be_pg.url != '\0') {
        const struct CMUnitTest pg_tests[] = {ALL(be_pg)};
        rc |= cmocka_run_group_tests_name("pg", pg_tests, NULL, NULL);
    }
    return rc;
}
