/* SPDX-License-Identifier: MIT */
/* Issue 10 item 2 (R-ACME-1, RFC 8555 6.5): ACME nonces (migration 0040, store/acme_nonces,
 * ra/acme_nonce) are single-use across server processes: a nonce issued on one connection
 * is good once on another, never twice, not after it expires, not if it was never issued;
 * two threads racing on the same nonces use each exactly once; the purge drops expired
 * ones only. Runs on SQLite, and on PostgreSQL too when SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "ra/acme_nonce.h"
#include "store/acme_nonces.h"

#define NOW 1800000000

static int fx_setup(void **state)
{
    dbfx_setup(state, "acme_nonce", NOW);
    return 0;
}

/* A second connection to the fixture's database: another server process. */
static struct db *other(const struct dbfx *f)
{
    struct db *db = NULL;
    struct sm_err e = {0};
    assert_int_equal(db_open(f->url, f->dir, &db, &e), 0);
    return db;
}

static void test_nonce_single_use_across_processes(void **state)
{
    struct dbfx *f = *state;
    struct db *b = other(f);
    struct sm_err e = {0};
    char n1[ACME_NONCE_LEN], n2[ACME_NONCE_LEN];
    assert_int_equal(acme_nonce_issue(f->db, NOW, n1, &e), 0);
    assert_int_equal(acme_nonce_issue(f->db, NOW, n2, &e), 0);
    assert_int_equal(strlen(n1), ACME_NONCE_LEN - 1);
    assert_string_not_equal(n1, n2);
    assert_int_equal(acme_nonce_redeem(b, n1, NOW + 1, &e), 0);                  /* other process */
    assert_int_equal(acme_nonce_redeem(f->db, n1, NOW + 1, &e), -SM_E_NOTFOUND); /* replay */
    assert_int_equal(acme_nonce_redeem(b, n1, NOW + 1, &e), -SM_E_NOTFOUND);
    assert_string_equal(e.field, "nonce");
    assert_int_equal(acme_nonce_redeem(f->db, n2, NOW + 2, &e), 0);
    /* never issued, not of the form, absent */
    assert_int_equal(acme_nonce_redeem(b, "AAAAAAAAAAAAAAAAAAAAAA", NOW, &e), -SM_E_NOTFOUND);
    assert_int_equal(acme_nonce_redeem(b, "short", NOW, &e), -SM_E_NOTFOUND);
    assert_int_equal(acme_nonce_redeem(b, NULL, NOW, &e), -SM_E_NOTFOUND);
    db_close(b);
}

/* Issue 10 item 9: nonces are written without waiting for the disk (a later durable
 * commit carries them), and the connection is durable again afterwards; inside a
 * transaction a nonce's use is part of it (a rollback gives the nonce back). */
static const struct db_stmt st_durable = {
    "test.durable", NULL, "PRAGMA synchronous",
    "SELECT CASE WHEN current_setting('synchronous_commit') = 'on' THEN 2 ELSE 0 END"};

static int64_t durability(struct db *db)
{
    int64_t v = -1;
    assert_int_equal(db_get_one(db, &st_durable, NULL, 0, &db_row_int, &v, NULL), 0);
    return v;
}

static void test_nonce_lazy_commit(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    char n[ACME_NONCE_LEN];
    int64_t before = durability(f->db); /* SQLite FULL (2); the test PostgreSQL's own */
    assert_true(before == 2 || before == 0);
    assert_int_equal(acme_nonce_issue(f->db, NOW, n, &e), 0);
    assert_int_equal(durability(f->db), before); /* as it was */
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(acme_nonce_redeem(f->db, n, NOW + 1, &e), 0);
    assert_int_equal(db_rollback(f->db), 0);
    assert_int_equal(acme_nonce_redeem(f->db, n, NOW + 1, &e), 0); /* given back */
    assert_int_equal(acme_nonce_redeem(f->db, n, NOW + 1, &e), -SM_E_NOTFOUND);
    assert_int_equal(durability(f->db), before);
}

static void test_nonce_expires(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    char n1[ACME_NONCE_LEN], n2[ACME_NONCE_LEN];
    assert_int_equal(acme_nonce_issue(f->db, NOW, n1, &e), 0);
    assert_int_equal(acme_nonce_issue(f->db, NOW + 10, n2, &e), 0);
    assert_int_equal(acme_nonce_redeem(f->db, n1, NOW + ACME_NONCE_SECONDS, &e), -SM_E_NOTFOUND);
    /* the purge drops the expired one only */
    int64_t n = -1;
    assert_int_equal(acme_nonces_delete_expired(f->db, NOW + ACME_NONCE_SECONDS, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(acme_nonce_redeem(f->db, n2, NOW + ACME_NONCE_SECONDS, &e), 0);
}

#define RACE_N 40

struct racer {
    const struct dbfx *f;
    char (*nonces)[ACME_NONCE_LEN];
    atomic_int *wins;
    int errors;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct db *db = NULL;
    struct sm_err e = {0};
    if (db_open(r->f->url, r->f->dir, &db, &e) != 0) {
        r->errors++;
        return NULL;
    }
    for (int i = 0; i < RACE_N; i++) {
        int rc = acme_nonce_redeem(db, r->nonces[i], NOW + 1, &e);
        if (rc == 0)
            atomic_fetch_add(&r->wins[i], 1);
        else if (rc != -SM_E_NOTFOUND)
            r->errors++;
    }
    db_close(db);
    return NULL;
}

static void test_nonce_race_one_winner(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    static char nonces[RACE_N][ACME_NONCE_LEN];
    static atomic_int wins[RACE_N];
    for (int i = 0; i < RACE_N; i++) {
        assert_int_equal(acme_nonce_issue(f->db, NOW, nonces[i], &e), 0);
        atomic_store(&wins[i], 0);
    }
    struct racer r[2] = {{f, nonces, wins, 0}, {f, nonces, wins, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(r[0].errors + r[1].errors, 0);
    for (int i = 0; i < RACE_N; i++)
        assert_int_equal(atomic_load(&wins[i]), 1);
}

static const struct CMUnitTest table[] = {
    cmocka_unit_test_setup_teardown(test_nonce_single_use_across_processes, fx_setup,
                                    dbfx_teardown),
    cmocka_unit_test_setup_teardown(test_nonce_expires, fx_setup, dbfx_teardown),
    cmocka_unit_test_setup_teardown(test_nonce_lazy_commit, fx_setup, dbfx_teardown),
    cmocka_unit_test_setup_teardown(test_nonce_race_one_winner, fx_setup, dbfx_teardown),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("acme_nonce", table, NT, NULL, 0); }
