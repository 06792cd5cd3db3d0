/* SPDX-License-Identifier: MIT */
/* ra/account on SQLite (R-ACT-1, R-ACT-2, R-ACT-3): field rules and per-field errors of
 * registration (nothing stored on error), login with lockout under a fake clock, session
 * timeouts, reset tokens (single use, one-hour expiry, same answer for unknown ids), API
 * keys (stored hashed, revocable by their owner only), changes needing the current
 * password, announcements by admins only, and the isolation rule for every role and
 * organization pair, in C and as the scope account_scope builds (issue 7 item 3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "ra/account.h"
#include "ra/announce.h"
#include "ra/apikey.h"
#include "ra/login.h"
#include "ra/reset.h"
#include "store/announcements.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/outbox.h"
#include "store/sessions.h"
#include "store/users.h"

#define T0 1800000000

struct fx {
    char dir[64];
    struct db *db;
    struct account_policy p;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char tmpl[32] = "/tmp/shomei-acct.";
    size_t n = strlen(tmpl);
    memset(tmpl + n, 'X', 6);
    tmpl[n + 6] = '\0';
    assert_non_null(mkdtemp(tmpl));
    snprintf(f->dir, sizeof f->dir, "%s", tmpl);
    struct sm_err e = {0};
    assert_int_equal(db_open("sqlite:t.db", f->dir, &f->db, &e), 0);
    assert_int_equal(db_migrate(f->db, &e), 0);
    f->p = (struct account_policy){.max_failures = 3,
                                   .failure_window = 100,
                                   .lock_seconds = 300,
                                   .session_idle = 600,
                                   .session_absolute = 3600,
                                   .registration = 1};
    snprintf(f->p.base_url, sizeof f->p.base_url, "https://portal.example");
    clock_set(T0);
    account_test_fast_hash(1);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    clock_set(0);
    db_close(f->db);
    const char *names[] = {"t.db", "t.db-wal", "t.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t reg(struct fx *f, const char *login, const char *pw)
{
    struct account_reg r = {login, "u@example.com", pw, pw, "利用者", "ja", NULL};
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int64_t id = 0;
    assert_int_equal(account_register(f->db, &f->p, &r, &fe, &id, &e), 0);
    assert_true(id > 0);
    return id;
}

static int64_t nusers(struct fx *f)
{
    struct user_row *u = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    assert_int_equal(user_list(f->db, &u, &n, &e), 0);
    free(u);
    return (int64_t)n;
}

static int64_t naudit(struct fx *f)
{
    int64_t n = 0;
    struct sm_err e = {0};
    assert_int_equal(audit_verify_count(f->db, &n, NULL, NULL, 0, &e), 0);
    return n;
}

/* ---- field rules (R-ACT-2) ---- */

static void test_check_fields_table(void **state)
{
    (void)state;
    struct {
        const char *(*fn)(const char *);
        const char *in, *want;
    } t[] = {
        {account_check_login_id, "", "account.err.login_required"},
        {account_check_login_id, NULL, "account.err.login_required"},
        {account_check_login_id, "ab", "account.err.login_length"},
        {account_check_login_id, "_abc", "account.err.login_chars"},
        {account_check_login_id, "ab cd", "account.err.login_chars"},
        {account_check_login_id, "山田", "account.err.login_chars"},
        {account_check_login_id, "a.b_c-d@e", NULL},
        {account_check_email, "", "account.err.email_required"},
        {account_check_email, "no-at.example", "account.err.email_invalid"},
        {account_check_email, "a@b", "account.err.email_invalid"},
        {account_check_email, "a@@b.example", "account.err.email_invalid"},
        {account_check_email, "a b@c.example", "account.err.email_invalid"},
        {account_check_email, "a@.example", "account.err.email_invalid"},
        {account_check_email, "a@b..example", "account.err.email_invalid"},
        {account_check_email, "<a@b.example>", "account.err.email_invalid"},
        {account_check_email, "taro@example.co.jp", NULL},
        {account_check_name, "", "account.err.name_required"},
        {account_check_name, "   ", "account.err.name_required"},
        {account_check_name, "a\x01", "account.err.name_invalid"},
        {account_check_name, "\xff", "account.err.name_invalid"},
        {account_check_name, "\xc0\xaf", "account.err.name_invalid"},
        {account_check_name, "山田 太郎", NULL},
        {account_check_locale, "fr", "account.err.locale"},
        {account_check_locale, NULL, "account.err.locale"},
        {account_check_locale, "en", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *got = t[i].fn(t[i].in);
        if (t[i].want == NULL)
            assert_null(got);
        else
            assert_string_equal(got ? got : "(null)", t[i].want);
    }
    char long_name[400];
    memset(long_name, 'a', 101);
    long_name[101] = '\0';
    assert_string_equal(account_check_name(long_name), "account.err.name_long");
}

static void test_check_password_rules(void **state)
{
    (void)state;
    struct {
        const char *pw, *login, *want;
    } t[] = {
        {"", "taro", "account.err.password_required"},
        {"Short1", "taro", "account.err.password_short"},
        {"abcdefghijkl", "taro", "account.err.password_weak"},
        {"AAAAAAAAAAAA", "taro", "account.err.password_weak"},
        {"my-taro-pass-1", "Taro", "account.err.password_login"},
        {"パスワードは十分に長い1", "taro", NULL},
        {"correct-horse-9", "taro", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *got = account_check_password(t[i].pw, t[i].login);
        if (t[i].want == NULL)
            assert_null(got);
        else
            assert_string_equal(got ? got : "(null)", t[i].want);
    }
    char longpw[200];
    memset(longpw, 'a', 129);
    memcpy(longpw, "A1", 2);
    longpw[129] = '\0';
    assert_string_equal(account_check_password(longpw, NULL), "account.err.password_long");
}

static void test_register_field_errors_store_nothing(void **state)
{
    struct fx *f = *state;
    struct account_reg r = {"x", "bad", "short", "other", "", "fr", NULL};
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int64_t id = 1;
    int64_t before = naudit(f);
    assert_int_equal(account_register(f->db, &f->p, &r, &fe, &id, &e), -SM_E_INVALID);
    assert_int_equal(id, 0);
    assert_string_equal(account_error(&fe, "login_id"), "account.err.login_length");
    assert_string_equal(account_error(&fe, "email"), "account.err.email_invalid");
    assert_string_equal(account_error(&fe, "display_name"), "account.err.name_required");
    assert_string_equal(account_error(&fe, "password"), "account.err.password_short");
    assert_string_equal(account_error(&fe, "password_confirm"), "account.err.password_mismatch");
    assert_string_equal(account_error(&fe, "locale"), "account.err.locale");
    assert_int_equal(nusers(f), 0);
    assert_int_equal(naudit(f), before);
}

static void test_register_login_taken_case_insensitive(void **state)
{
    struct fx *f = *state;
    reg(f, "Taro", "correct-horse-9");
    struct account_reg r = {"tARO", "t@example.com", "correct-horse-9", NULL, "別人", "en", NULL};
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int64_t id;
    assert_int_equal(account_register(f->db, &f->p, &r, &fe, &id, &e), -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "login_id"), "account.err.login_taken");
    assert_int_equal(nusers(f), 1);
}

static void test_register_off_is_forbidden(void **state)
{
    struct fx *f = *state;
    f->p.registration = 0;
    struct account_reg r = {"taro", "t@example.com", "correct-horse-9", NULL, "太郎", "ja", NULL};
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int64_t id;
    assert_int_equal(account_register(f->db, &f->p, &r, &fe, &id, &e), -SM_E_FORBIDDEN);
    assert_int_equal(nusers(f), 0);
}

static void test_register_creates_customer_org_and_audit(void **state)
{
    struct fx *f = *state;
    int64_t before = naudit(f);
    int64_t id = reg(f, "taro", "correct-horse-9");
    struct user_row u;
    struct sm_err e = {0};
    assert_int_equal(user_get(f->db, id, &u, &e), 0);
    assert_int_equal(u.role, USER_CUSTOMER);
    assert_string_equal(u.org_kind, "customer");
    assert_int_equal(u.org_reseller_id, 0);
    assert_true(strncmp(u.password_hash, "$argon2id$", 10) == 0);
    assert_int_equal(naudit(f), before + 1);
}

/* ---- login and lockout (R-ACT-2) ---- */

static int login(struct fx *f, const char *id, const char *pw, char tok[ACCOUNT_TOKEN_SIZE])
{
    struct user_row u;
    struct sm_err e = {0};
    return account_login(f->db, &f->p, id, pw, &u, tok, &e);
}

static void test_login_unknown_and_wrong_same_error(void **state)
{
    struct fx *f = *state;
    reg(f, "taro", "correct-horse-9");
    char tok[ACCOUNT_TOKEN_SIZE];
    struct user_row u;
    struct sm_err e1 = {0}, e2 = {0};
    int a = account_login(f->db, &f->p, "nobody", "correct-horse-9", &u, tok, &e1);
    int b = account_login(f->db, &f->p, "taro", "wrong-horse-9", &u, tok, &e2);
    assert_int_equal(a, -SM_E_FORBIDDEN);
    assert_int_equal(b, -SM_E_FORBIDDEN);
    assert_string_equal(e1.field, e2.field);
    assert_string_equal(tok, "");
    assert_int_equal(login(f, "TARO", "correct-horse-9", tok), 0);
    assert_int_equal(strlen(tok), ACCOUNT_TOKEN_SIZE - 1);
}

static void test_login_lockout_fake_clock(void **state)
{
    struct fx *f = *state;
    int64_t id = reg(f, "taro", "correct-horse-9");
    char tok[ACCOUNT_TOKEN_SIZE];
    /* failures spread wider than the window never lock */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(login(f, "taro", "bad-password-1", tok), -SM_E_FORBIDDEN);
        clock_set(clock_now() + 60);
    }
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), 0);
    /* max_failures within the window lock for lock_seconds, even the right password */
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(f, "taro", "bad-password-1", tok), -SM_E_FORBIDDEN);
    struct user_row u;
    struct sm_err e = {0};
    assert_int_equal(user_get(f->db, id, &u, &e), 0);
    assert_int_equal(u.locked_until, clock_now() + 300);
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), -SM_E_FORBIDDEN);
    clock_set(clock_now() + 299);
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), -SM_E_FORBIDDEN);
    clock_set(clock_now() + 1);
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), 0);
    assert_int_equal(user_get(f->db, id, &u, &e), 0);
    assert_int_equal(u.failed_logins, 0);
    assert_int_equal(u.locked_until, 0);
}

static void test_session_idle_and_absolute_timeouts(void **state)
{
    struct fx *f = *state;
    int64_t id = reg(f, "taro", "correct-horse-9");
    char tok[ACCOUNT_TOKEN_SIZE], h[TOKEN_HASH_HEX];
    struct user_row u;
    struct sm_err e = {0};
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), 0);
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), 0);
    assert_int_equal(u.id, id);
    /* the raw token is not stored: the session is found only by its hash */
    struct session_row s;
    assert_int_equal(session_get(f->db, tok, &s, &e), -SM_E_NOTFOUND);
    assert_int_equal(session_get(f->db, h, &s, &e), 0);
    assert_int_equal(account_session_user(f->db, &f->p, "garbage", &u, h, &e), -SM_E_NOTFOUND);
    clock_set(clock_now() + 600); /* idle */
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), -SM_E_NOTFOUND);
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), 0);
    for (int i = 0; i < 6; i++) { /* active, but past the absolute limit */
        clock_set(clock_now() + 590);
        assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), 0);
    }
    clock_set(clock_now() + 100);
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), -SM_E_NOTFOUND);
}

static void test_logout_ends_session(void **state)
{
    struct fx *f = *state;
    reg(f, "taro", "correct-horse-9");
    char tok[ACCOUNT_TOKEN_SIZE], h[TOKEN_HASH_HEX];
    struct user_row u;
    struct sm_err e = {0};
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), 0);
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), 0);
    assert_int_equal(account_logout(f->db, &u, h, &e), 0);
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), -SM_E_NOTFOUND);
}

/* ---- password reset (R-ACT-2) ---- */

/* The token of the newest reset mail, from its link. */
static void mailed_token(struct fx *f, char tok[ACCOUNT_TOKEN_SIZE], size_t *nmail)
{
    struct outbox_row *rows = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    assert_int_equal(outbox_list(f->db, NULL, 100, &rows, &n, &e), 0);
    *nmail = n;
    if (n == 0) {
        tok[0] = '\0';
        return;
    }
    assert_string_equal(rows[0].tmpl, "password_reset");
    json_t *v = json_loads(rows[0].vars_json, 0, NULL);
    assert_non_null(v);
    const char *url = json_string_value(json_object_get(v, "url"));
    const char *prefix = "https://portal.example/password/reset/";
    assert_non_null(url);
    assert_true(strncmp(url, prefix, strlen(prefix)) == 0);
    snprintf(tok, ACCOUNT_TOKEN_SIZE, "%s", url + strlen(prefix));
    json_decref(v);
    outbox_rows_free(rows, n);
}

static void test_reset_unknown_id_same_answer_no_mail(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    assert_int_equal(account_reset_request(f->db, &f->p, "nobody", &e), 0);
    assert_int_equal(account_reset_request(f->db, &f->p, "", &e), 0);
    char tok[ACCOUNT_TOKEN_SIZE];
    size_t n;
    mailed_token(f, tok, &n);
    assert_int_equal(n, 0);
}

static void test_reset_token_single_use_and_expiry(void **state)
{
    struct fx *f = *state;
    reg(f, "taro", "correct-horse-9");
    struct sm_err e = {0};
    struct account_errors fe = {0};
    char tok[ACCOUNT_TOKEN_SIZE], tmp[ACCOUNT_TOKEN_SIZE];
    size_t n;
    assert_int_equal(account_reset_request(f->db, &f->p, "Taro", &e), 0);
    mailed_token(f, tok, &n);
    assert_int_equal(n, 1);
    assert_int_equal(account_reset_check(f->db, tok, &e), 0);
    /* a weak password is refused and uses nothing */
    assert_int_equal(account_reset_confirm(f->db, tok, "weak", "weak", &fe, &e), -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "password"), "account.err.password_short");
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_reset_confirm(f->db, tok, "new-horse-77", "new-horse-77", &fe, &e), 0);
    assert_int_equal(login(f, "taro", "correct-horse-9", tmp), -SM_E_FORBIDDEN);
    assert_int_equal(login(f, "taro", "new-horse-77", tmp), 0);
    /* single use */
    assert_int_equal(account_reset_check(f->db, tok, &e), -SM_E_NOTFOUND);
    assert_int_equal(account_reset_confirm(f->db, tok, "third-horse-7", NULL, &fe, &e),
                     -SM_E_NOTFOUND);
    /* one hour */
    assert_int_equal(account_reset_request(f->db, &f->p, "taro", &e), 0);
    mailed_token(f, tok, &n);
    assert_int_equal(n, 2);
    clock_set(clock_now() + ACCOUNT_RESET_TTL - 1);
    assert_int_equal(account_reset_check(f->db, tok, &e), 0);
    clock_set(clock_now() + 1);
    assert_int_equal(account_reset_check(f->db, tok, &e), -SM_E_NOTFOUND);
    assert_int_equal(account_reset_confirm(f->db, tok, "third-horse-7", NULL, &fe, &e),
                     -SM_E_NOTFOUND);
    assert_int_equal(login(f, "taro", "new-horse-77", tmp), 0);
}

/* R-ACT-2, issue 8 item 11: a reset or a password change ends every pending reset link of
 * the user; an older link can no longer set the password. */
static void test_reset_links_revoked_by_reset_and_change(void **state)
{
    struct fx *f = *state;
    int64_t a = reg(f, "taro", "correct-horse-9");
    reg(f, "jiro", "correct-horse-9");
    struct sm_err e = {0};
    struct account_errors fe = {0};
    char t1[ACCOUNT_TOKEN_SIZE], t2[ACCOUNT_TOKEN_SIZE], t3[ACCOUNT_TOKEN_SIZE],
        other[ACCOUNT_TOKEN_SIZE], tmp[ACCOUNT_TOKEN_SIZE];
    size_t n;
    assert_int_equal(account_reset_request(f->db, &f->p, "taro", &e), 0);
    mailed_token(f, t1, &n);
    assert_int_equal(account_reset_request(f->db, &f->p, "jiro", &e), 0);
    mailed_token(f, other, &n);
    assert_int_equal(account_reset_request(f->db, &f->p, "taro", &e), 0);
    mailed_token(f, t2, &n);
    assert_int_equal(n, 3);
    /* using the newer link ends the older one, not another user's */
    assert_int_equal(account_reset_confirm(f->db, t2, "new-horse-77", NULL, &fe, &e), 0);
    assert_int_equal(account_reset_check(f->db, t1, &e), -SM_E_NOTFOUND);
    assert_int_equal(account_reset_confirm(f->db, t1, "evil-horse-66", NULL, &fe, &e),
                     -SM_E_NOTFOUND);
    assert_int_equal(login(f, "taro", "new-horse-77", tmp), 0);
    assert_int_equal(account_reset_check(f->db, other, &e), 0);
    /* a password change ends the pending link too */
    assert_int_equal(account_reset_request(f->db, &f->p, "taro", &e), 0);
    mailed_token(f, t3, &n);
    assert_int_equal(account_reset_check(f->db, t3, &e), 0);
    struct user_row u;
    assert_int_equal(user_get(f->db, a, &u, &e), 0);
    assert_int_equal(account_change_password(f->db, &f->p, &u, "new-horse-77", "fresh-horse-5",
                                             "fresh-horse-5", NULL, &fe, &e),
                     0);
    assert_int_equal(account_reset_check(f->db, t3, &e), -SM_E_NOTFOUND);
    assert_int_equal(account_reset_confirm(f->db, t3, "evil-horse-66", NULL, &fe, &e),
                     -SM_E_NOTFOUND);
    assert_int_equal(login(f, "taro", "fresh-horse-5", tmp), 0);
    assert_int_equal(account_reset_check(f->db, other, &e), 0);
}

/* ---- API keys ---- */

static void test_apikey_hashed_and_revocable(void **state)
{
    struct fx *f = *state;
    int64_t a = reg(f, "taro", "correct-horse-9"), b = reg(f, "jiro", "correct-horse-9");
    struct user_row ua, ub, got;
    struct sm_err e = {0};
    assert_int_equal(user_get(f->db, a, &ua, &e), 0);
    assert_int_equal(user_get(f->db, b, &ub, &e), 0);
    char key[ACCOUNT_APIKEY_SIZE];
    int64_t id;
    assert_int_equal(account_apikey_create(f->db, &ua, "", key, &id, &e), -SM_E_INVALID);
    assert_int_equal(account_apikey_create(f->db, &ua, "ci", key, &id, &e), 0);
    assert_int_equal(strlen(key), ACCOUNT_APIKEY_SIZE - 1);
    assert_true(strncmp(key, "sk_", 3) == 0);
    struct api_key_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(apikey_list(f->db, a, &rows, &n, &e), 0);
    assert_int_equal(n, 1);
    char h[TOKEN_HASH_HEX];
    account_token_hash(key, h);
    assert_string_equal(rows[0].hash, h);
    assert_true(strstr(key, rows[0].prefix) == key);
    assert_int_equal(strlen(rows[0].prefix), ACCOUNT_APIKEY_PREFIX);
    free(rows);
    assert_int_equal(account_apikey_user(f->db, key, &got, &e), 0);
    assert_int_equal(got.id, a);
    char orig = key[10];
    key[10] = orig == 'A' ? 'B' : 'A';
    assert_int_equal(account_apikey_user(f->db, key, &got, &e), -SM_E_NOTFOUND);
    key[10] = orig;
    assert_int_equal(account_apikey_revoke(f->db, &ub, id, &e), -SM_E_NOTFOUND);
    assert_int_equal(account_apikey_revoke(f->db, &ua, id, &e), 0);
    assert_int_equal(account_apikey_revoke(f->db, &ua, id, &e), -SM_E_NOTFOUND);
    assert_int_equal(account_apikey_user(f->db, "sk_short", &got, &e), -SM_E_NOTFOUND);
}

static void test_apikey_revoked_key_refused(void **state)
{
    struct fx *f = *state;
    int64_t a = reg(f, "taro", "correct-horse-9");
    struct user_row ua, got;
    struct sm_err e = {0};
    assert_int_equal(user_get(f->db, a, &ua, &e), 0);
    char key[ACCOUNT_APIKEY_SIZE];
    int64_t id;
    assert_int_equal(account_apikey_create(f->db, &ua, "ci", key, &id, &e), 0);
    assert_int_equal(account_apikey_revoke(f->db, &ua, id, &e), 0);
    assert_int_equal(account_apikey_user(f->db, key, &got, &e), -SM_E_NOTFOUND);
}

/* ---- changes by the user ---- */

static void test_change_login_password_profile(void **state)
{
    struct fx *f = *state;
    int64_t a = reg(f, "taro", "correct-horse-9");
    reg(f, "jiro", "correct-horse-9");
    struct user_row u;
    struct sm_err e = {0};
    struct account_errors fe = {0};
    char tok[ACCOUNT_TOKEN_SIZE];
    assert_int_equal(user_get(f->db, a, &u, &e), 0);
    assert_int_equal(account_change_login_id(f->db, &f->p, &u, "wrong-pass-1", "taro2", &fe, &e),
                     -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "current_password"), "account.err.current_password");
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_change_login_id(f->db, &f->p, &u, "correct-horse-9", "JIRO", &fe, &e),
                     -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "login_id"), "account.err.login_taken");
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_change_login_id(f->db, &f->p, &u, "correct-horse-9", "taro2", &fe, &e),
                     0);
    assert_int_equal(login(f, "taro", "correct-horse-9", tok), -SM_E_FORBIDDEN);
    assert_int_equal(login(f, "taro2", "correct-horse-9", tok), 0);
    assert_int_equal(user_get(f->db, a, &u, &e), 0);
    assert_int_equal(account_change_password(f->db, &f->p, &u, "", "n", "n", NULL, &fe, &e),
                     -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "current_password"), "account.err.current_required");
    assert_string_equal(account_error(&fe, "password"), "account.err.password_short");
    memset(&fe, 0, sizeof fe);
    char h[TOKEN_HASH_HEX];
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), 0);
    assert_int_equal(account_change_password(f->db, &f->p, &u, "correct-horse-9", "fresh-horse-5",
                                             "fresh-horse-5", h, &fe, &e),
                     0);
    assert_int_equal(account_session_user(f->db, &f->p, tok, &u, h, &e), 0); /* kept */
    assert_int_equal(login(f, "taro2", "fresh-horse-5", tok), 0);
    assert_int_equal(account_change_profile(f->db, &u, "", "x", "de", &fe, &e), -SM_E_INVALID);
    assert_int_equal(fe.n, 3);
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_change_profile(f->db, &u, "Taro", "t@example.org", "en", &fe, &e), 0);
    assert_int_equal(user_get(f->db, a, &u, &e), 0);
    assert_string_equal(u.locale, "en");
    assert_string_equal(u.email, "t@example.org");
}

/* ---- announcements (R-ACT-3) ---- */

static void test_announce_admin_only_newest_first(void **state)
{
    struct fx *f = *state;
    struct account_new an = {
        USER_ADMIN, "admin1", "a@example.com", "管理者", "ja", NULL, "admin-horse-77", 0, 0};
    int64_t aid, cid = reg(f, "taro", "correct-horse-9"), id;
    struct sm_err e = {0};
    assert_int_equal(account_create_user(f->db, &an, "test", &aid, NULL, &e), 0);
    struct user_row admin, cust;
    assert_int_equal(user_get(f->db, aid, &admin, &e), 0);
    assert_int_equal(user_get(f->db, cid, &cust, &e), 0);
    struct account_errors fe = {0};
    assert_int_equal(account_announce(f->db, &cust, "t", "t", "b", "b", &fe, &id, &e),
                     -SM_E_FORBIDDEN);
    assert_int_equal(account_announce(f->db, &admin, "", "t", " ", "b", &fe, &id, &e),
                     -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "title_ja"), "account.err.text_required");
    assert_string_equal(account_error(&fe, "body_ja"), "account.err.text_required");
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_announce(f->db, &admin, "古い", "old", "b", "b", &fe, &id, &e), 0);
    clock_set(clock_now() + 10);
    assert_int_equal(account_announce(f->db, &admin, "新しい", "new", "b", "b", &fe, &id, &e), 0);
    struct announcement_row *a = NULL;
    size_t n = 0;
    assert_int_equal(announcement_list(f->db, 10, &a, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].title_en, "new");
    assert_string_equal(a[1].title_en, "old");
    announcement_rows_free(a, n);
}

/* ---- isolation (R-ACT-1) ---- */

static void test_can_see_org_every_role_pair(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    char pw[ACCOUNT_PASSWORD_GEN];
    /* orgs: A (customer), B (customer), R (reseller), M (customer managed by R), CA */
    struct account_new mk[] = {
        {USER_CUSTOMER, "cust-a", "a@example.com", "A", "ja", "A", NULL, 0, 0},
        {USER_CUSTOMER, "cust-b", "b@example.com", "B", "ja", "B", NULL, 0, 0},
        {USER_RESELLER, "resel", "r@example.com", "R", "ja", "R", NULL, 0, 0},
        {USER_OFFICER, "officer", "o@example.com", "O", "ja", NULL, NULL, 0, 0},
        {USER_ADMIN, "admin", "ad@example.com", "AD", "ja", NULL, NULL, 0, 0},
    };
    struct user_row u[6];
    for (int i = 0; i < 5; i++) {
        int64_t id;
        assert_int_equal(account_create_user(f->db, &mk[i], "test", &id, pw, &e), 0);
        assert_int_equal(user_get(f->db, id, &u[i], &e), 0);
    }
    struct account_new m = {USER_CUSTOMER, "cust-m", "m@example.com", "M", "ja", "M",
                            NULL,          0,        u[2].org_id};
    int64_t mid;
    assert_int_equal(account_create_user(f->db, &m, "test", &mid, pw, &e), 0);
    assert_int_equal(user_get(f->db, mid, &u[5], &e), 0);
    assert_int_equal(u[5].org_reseller_id, u[2].org_id);
    assert_int_equal(u[3].org_id, u[4].org_id); /* officer and admin share the CA org */
    int64_t A = u[0].org_id, B = u[1].org_id, R = u[2].org_id, CA = u[3].org_id, M = u[5].org_id;
    int64_t orgs[] = {A, B, R, M, CA, 9999};
    int64_t resl[] = {0, 0, 0, R, 0, 0};
    /* rows: customer A, customer B, reseller R, officer, admin, customer M */
    static const int want[6][6] = {
        {1, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0},
        {1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 0}, {0, 0, 0, 1, 0, 0},
    };
    for (int i = 0; i < 6; i++) {
        struct org_scope sc;
        int64_t *ids = NULL;
        assert_int_equal(account_scope(f->db, &u[i], &sc, &ids, &e), 0);
        for (int k = 0; k < 6; k++) {
            int w = want[i][k];
            if (k < 5)
                assert_int_equal(account_may_see(&u[i], orgs[k], resl[k]), w);
            assert_int_equal(account_can_see_org(f->db, &u[i], orgs[k], &e), w);
            /* the scope lists every organization it may see; "all" also admits the
             * unknown 9999, which no row carries */
            assert_int_equal(org_scope_has(&sc, orgs[k]), k == 5 && sc.all ? 1 : w);
        }
        struct org_row *rows = NULL;
        size_t n = 0;
        int count = 0;
        assert_int_equal(org_list_scope(f->db, &sc, &rows, &n, &e), 0);
        for (int k = 0; k < 5; k++)
            count += want[i][k];
        assert_int_equal((int)n, count);
        free(rows);
        free(ids);
    }
    /* anonymous and malformed users see nothing */
    struct org_scope none;
    int64_t *ids = NULL;
    assert_int_equal(account_scope(f->db, NULL, &none, &ids, &e), 0);
    assert_int_equal(org_scope_has(&none, A), 0);
    assert_int_equal(account_may_see(NULL, A, 0), 0);
    struct user_row odd = u[0];
    odd.role = USER_NONE;
    struct org_scope os;
    assert_int_equal(account_scope(f->db, &odd, &os, &ids, &e), 0);
    assert_null(ids);
    assert_int_equal(account_may_see(&odd, A, 0), 0);
    assert_int_equal(org_scope_has(&os, A), 0);
}

static void test_seed_demo_one_user_per_role(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    struct account_demo_user d[4];
    assert_int_equal(account_seed_demo(f->db, d, &e), 0);
    for (int i = 0; i < 4; i++) {
        char tok[ACCOUNT_TOKEN_SIZE];
        assert_int_equal(strlen(d[i].password), ACCOUNT_PASSWORD_GEN - 1);
        assert_int_equal(login(f, d[i].login_id, d[i].password, tok), 0);
    }
    struct user_row *u = NULL;
    size_t n = 0;
    assert_int_equal(user_list(f->db, &u, &n, &e), 0);
    assert_int_equal(n, 4);
    int seen[5] = {0};
    for (size_t i = 0; i < n; i++)
        seen[u[i].role]++;
    assert_int_equal(
        seen[USER_CUSTOMER] + seen[USER_RESELLER] + seen[USER_OFFICER] + seen[USER_ADMIN], 4);
    assert_int_equal(seen[USER_RESELLER], 1);
    for (size_t i = 0; i < n; i++)
        if (u[i].role == USER_RESELLER) {
            struct org_scope sc;
            int64_t *ids = NULL;
            assert_int_equal(account_scope(f->db, &u[i], &sc, &ids, &e), 0);
            struct org_row *rows = NULL;
            size_t k = 0;
            assert_int_equal(org_list_scope(f->db, &sc, &rows, &k, &e), 0);
            assert_int_equal(k, 2); /* its own and the managed customer org */
            free(rows);
            free(ids);
        }
    free(u);
}

/* R-ACT-2: a wrong current password on a change counts towards the lockout like a failed
 * login; once locked, even the right password changes nothing until the lock ends. */
static void test_change_wrong_current_password_locks(void **state)
{
    struct fx *f = *state;
    int64_t a = reg(f, "hana", "correct-horse-9");
    struct user_row u;
    struct sm_err e = {0};
    struct account_errors fe = {0};
    char tok[ACCOUNT_TOKEN_SIZE];
    assert_int_equal(user_get(f->db, a, &u, &e), 0);
    for (int i = 0; i < 3; i++) {
        memset(&fe, 0, sizeof fe);
        assert_int_equal(account_change_password(f->db, &f->p, &u, "guess-horse-1", "fresh-horse-5",
                                                 "fresh-horse-5", NULL, &fe, &e),
                         -SM_E_INVALID);
        assert_string_equal(account_error(&fe, "current_password"), "account.err.current_password");
    }
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_change_login_id(f->db, &f->p, &u, "correct-horse-9", "hana2", &fe, &e),
                     -SM_E_INVALID);
    assert_string_equal(account_error(&fe, "current_password"), "account.err.current_locked");
    assert_int_equal(login(f, "hana", "correct-horse-9", tok), -SM_E_FORBIDDEN); /* locked */
    clock_set(T0 + 301);
    memset(&fe, 0, sizeof fe);
    assert_int_equal(account_change_login_id(f->db, &f->p, &u, "correct-horse-9", "hana2", &fe, &e),
                     0);
    clock_set(T0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_fields_table),
        cmocka_unit_test(test_check_password_rules),
        T(test_register_field_errors_store_nothing),
        T(test_register_login_taken_case_insensitive),
        T(test_register_off_is_forbidden),
        T(test_register_creates_customer_org_and_audit),
        T(test_login_unknown_and_wrong_same_error),
        T(test_login_lockout_fake_clock),
        T(test_session_idle_and_absolute_timeouts),
        T(test_logout_ends_session),
        T(test_reset_unknown_id_same_answer_no_mail),
        T(test_reset_token_single_use_and_expiry),
        T(test_reset_links_revoked_by_reset_and_change),
        T(test_apikey_hashed_and_revocable),
        T(test_apikey_revoked_key_refused),
        T(test_change_login_password_profile),
        T(test_change_wrong_current_password_locks),
        T(test_announce_admin_only_newest_first),
        T(test_can_see_org_every_role_pair),
        T(test_seed_demo_one_user_per_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
