/* SPDX-License-Identifier: MIT */
/* web/csrf: signed double-submit tokens (a token only fits its own binding and key) and
 * the secret key file (created 0600 once, then reused; bad files refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdir.h"

#include "web/csrf.h"

static const unsigned char key1[CSRF_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[CSRF_KEY_LEN] = "0123456789abcdef0123456789abcdeX";

static void test_csrf_check_accepts_own_token(void **state)
{
    (void)state;
    char nonce[CSRF_NONCE_SIZE], tok[CSRF_TOKEN_SIZE];
    assert_int_equal(csrf_nonce(nonce), 0);
    assert_true(csrf_nonce_valid(nonce));
    csrf_token(key1, nonce, tok);
    assert_int_equal(strlen(tok), CSRF_TOKEN_SIZE - 1);
    assert_true(csrf_check(key1, nonce, tok));
}

static void test_csrf_check_refuses(void **state)
{
    (void)state;
    char n1[CSRF_NONCE_SIZE], n2[CSRF_NONCE_SIZE], tok[CSRF_TOKEN_SIZE], bad[CSRF_TOKEN_SIZE];
    assert_int_equal(csrf_nonce(n1), 0);
    assert_int_equal(csrf_nonce(n2), 0);
    assert_string_not_equal(n1, n2);
    csrf_token(key1, n1, tok);
    assert_false(csrf_check(key1, n2, tok));   /* another binding */
    assert_false(csrf_check(key2, n1, tok));   /* another server key */
    assert_false(csrf_check(key1, n1, NULL));
    assert_false(csrf_check(key1, NULL, tok));
    assert_false(csrf_check(key1, "", tok));
    assert_false(csrf_check(key1, n1, ""));
    memcpy(bad, tok, sizeof bad);
    bad[5] = bad[5] == 'A' ? 'B' : 'A';        /* one character changed */
    assert_false(csrf_check(key1, n1, bad));
    bad[5] = tok[5];
    bad[CSRF_TOKEN_SIZE - 2] = '\0';           /* truncated */
    assert_false(csrf_check(key1, n1, bad));
    assert_false(csrf_check(key1, n1, n1));    /* the cookie itself is not a token */
}

static void test_csrf_nonce_valid_table(void **state)
{
    (void)state;
    assert_false(csrf_nonce_valid(NULL));
    assert_false(csrf_nonce_valid(""));
    assert_false(csrf_nonce_valid("short"));
    assert_false(csrf_nonce_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;")); /* bad char */
    assert_false(csrf_nonce_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 */
    assert_true(csrf_nonce_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_"));
}

/* Issue 8 item 16: a token made for an anonymous cookie does not fit a session (a planted
 * cookie and token pair is refused once logged in), a token of one session does not fit
 * another, and only well-formed cookie values and session hashes make a binding. */
static void test_csrf_session_binding_apart_from_cookie(void **state)
{
    (void)state;
    char nonce[CSRF_NONCE_SIZE], anon[CSRF_BINDING_SIZE], s1[CSRF_BINDING_SIZE],
        s2[CSRF_BINDING_SIZE], tok[CSRF_TOKEN_SIZE];
    const char *h1 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *h2 = "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(csrf_nonce(nonce), 0);
    assert_int_equal(csrf_bind_anon(nonce, anon), 0);
    assert_int_equal(csrf_bind_session(h1, s1), 0);
    assert_int_equal(csrf_bind_session(h2, s2), 0);
    csrf_token(key1, anon, tok);
    assert_true(csrf_check(key1, anon, tok));
    assert_false(csrf_check(key1, s1, tok)); /* the planted pair, in a session */
    csrf_token(key1, s1, tok);
    assert_true(csrf_check(key1, s1, tok));
    assert_false(csrf_check(key1, s2, tok)); /* another session */
    assert_false(csrf_check(key1, anon, tok));
    /* a cookie holding a session hash cannot pose as the session */
    assert_int_equal(csrf_bind_anon(h1, anon), -SM_E_INVALID);
    assert_string_equal(anon, "");
    assert_int_equal(csrf_bind_anon(NULL, anon), -SM_E_INVALID);
    assert_int_equal(csrf_bind_session(NULL, s1), -SM_E_INVALID);
    assert_int_equal(csrf_bind_session("", s1), -SM_E_INVALID);
    assert_int_equal(csrf_bind_session(nonce, s1), -SM_E_INVALID);
    assert_int_equal(
        csrf_bind_session("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", s1),
        -SM_E_INVALID);
    assert_false(csrf_check(key1, s1, tok));
}

static void test_csrf_secret_load_creates_then_reuses(void **state)
{
    (void)state;
    char dir[96], path[128];
    assert_int_equal(testdir_make(dir, sizeof dir, "csrf"), 0);
    snprintf(path, sizeof path, "%s/secret.key", dir);
    unsigned char a[CSRF_KEY_LEN], b[CSRF_KEY_LEN];
    struct sm_err e = {0};
    assert_int_equal(csrf_secret_load(path, a, &e), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, CSRF_KEY_LEN);
    assert_int_equal(csrf_secret_load(path, b, &e), 0);
    assert_memory_equal(a, b, CSRF_KEY_LEN);
    unlink(path);
    rmdir(dir);
}

static void test_csrf_secret_load_refuses_bad_files(void **state)
{
    (void)state;
    char dir[96], path[128], link_path[128];
    assert_int_equal(testdir_make(dir, sizeof dir, "csrf"), 0);
    snprintf(path, sizeof path, "%s/secret.key", dir);
    snprintf(link_path, sizeof link_path, "%s/link.key", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("too short", f);
    fclose(f);
    unsigned char k[CSRF_KEY_LEN];
    struct sm_err e = {0};
    assert_int_equal(csrf_secret_load(path, k, &e), -SM_E_CONFIG);
    assert_non_null(strstr(e.detail, "exactly 32 bytes"));
    assert_int_equal(symlink(path, link_path), 0);
    assert_int_equal(csrf_secret_load(link_path, k, &e), -SM_E_IO); /* no symlinks */
    char missing_dir[160];
    snprintf(missing_dir, sizeof missing_dir, "%s/nodir/secret.key", dir);
    assert_int_equal(csrf_secret_load(missing_dir, k, &e), -SM_E_IO);
    unlink(link_path);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csrf_check_accepts_own_token),
        cmocka_unit_test(test_csrf_check_refuses),
        cmocka_unit_test(test_csrf_nonce_valid_table),
        cmocka_unit_test(test_csrf_session_binding_apart_from_cookie),
        cmocka_unit_test(test_csrf_secret_load_creates_then_reuses),
        cmocka_unit_test(test_csrf_secret_load_refuses_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
