/* SPDX-License-Identifier: MIT */
/* store/dbpool: the server's connections (infrastructure of R-ACT-1 pages): a bad url
 * fails at open, at most size connections are lent, a caller waits and then gets NULL,
 * a released connection is reused, one released inside a transaction is rolled back, and
 * threads share the pool safely. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/dbpool.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    char tmpl[32] = "/tmp/shomei-pool.";
    size_t n = strlen(tmpl);
    memset(tmpl + n, 'X', 6);
    tmpl[n + 6] = '\0';
    assert_non_null(mkdtemp(tmpl));
    snprintf(dir, sizeof dir, "%s", tmpl);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"p.db", "p.db-wal", "p.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void test_dbpool_open_bad_url_fails(void **state)
{
    (void)state;
    struct dbpool *p = (struct dbpool *)1;
    struct sm_err e = {0};
    assert_true(dbpool_open("mysql://x", dir, 2, 0, &p, &e) < 0);
    assert_null(p);
    assert_int_equal(e.code, SM_E_CONFIG);
    dbpool_close(NULL);
}

static void test_dbpool_lends_at_most_size(void **state)
{
    (void)state;
    struct dbpool *p = NULL;
    struct sm_err e = {0};
    assert_int_equal(dbpool_open("sqlite:p.db", dir, 2, 1, &p, &e), 0);
    struct db *a = dbpool_acquire(p, 100), *b = dbpool_acquire(p, 100);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_null(dbpool_acquire(p, 50)); /* all lent: waits, then gives up */
    dbpool_release(p, b);
    struct db *c = dbpool_acquire(p, 50);
    assert_ptr_equal(c, b); /* reused */
    dbpool_release(p, a);
    dbpool_release(p, c);
    dbpool_release(p, NULL);
    dbpool_close(p);
}

static void test_dbpool_release_rolls_back(void **state)
{
    (void)state;
    struct dbpool *p = NULL;
    struct sm_err e = {0};
    assert_int_equal(dbpool_open("sqlite:p.db", dir, 1, 1, &p, &e), 0);
    struct db *a = dbpool_acquire(p, 100);
    assert_int_equal(db_begin(a, &e), 0);
    dbpool_release(p, a);
    struct db *b = dbpool_acquire(p, 100);
    assert_ptr_equal(a, b);
    assert_false(db_in_transaction(b));
    assert_int_equal(db_begin(b, &e), 0); /* the write lock was given back */
    assert_int_equal(db_commit(b, &e), 0);
    dbpool_release(p, b);
    dbpool_close(p);
}

static void *worker(void *arg)
{
    struct dbpool *p = arg;
    static const struct db_stmt st = {"t.one", "SELECT 1", NULL, NULL};
    for (int i = 0; i < 200; i++) {
        struct db *db = dbpool_acquire(p, 5000);
        if (db == NULL)
            return (void *)1;
        struct sm_err e = {0};
        int rc = db_run(db, &st, NULL, 0, NULL, NULL, &e);
        dbpool_release(p, db);
        if (rc < 0)
            return (void *)1;
    }
    return NULL;
}

static void test_dbpool_threads_share(void **state)
{
    (void)state;
    struct dbpool *p = NULL;
    struct sm_err e = {0};
    assert_int_equal(dbpool_open("sqlite:p.db", dir, 2, 1, &p, &e), 0);
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, p), 0);
    for (int i = 0; i < 6; i++) {
        void *r = (void *)1;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    dbpool_close(p);
}

static int first_row(void *ctx, const struct db_val *cols, int ncols)
{
    (void)ncols;
    snprintf(ctx, 16, "%.*s", (int)cols[0].n, (const char *)cols[0].p);
    return 1; /* stop after the first row: the statement is left mid-result */
}

static void read_v(struct db *db, char out[16])
{
    static const struct db_stmt st = {"t.v", "SELECT v FROM t UNION ALL SELECT v FROM t", NULL,
                                      NULL};
    struct sm_err e = {0};
    out[0] = '\0';
    assert_true(db_run(db, &st, NULL, 0, first_row, out, &e) >= 0);
}

/* issue 8 item 28 (GET /api/v1/orders/ID answered "approved" after the order was issued):
 * a pooled connection never keeps an old snapshot, neither after a read stopped in the
 * middle of its rows nor after a transaction left open by a request, so a write committed
 * on another connection (the issuance job's) is seen by the next request. */
static void test_dbpool_reads_see_other_commits(void **state)
{
    (void)state;
    static const struct db_stmt mk = {"t.mk", "CREATE TABLE t (v TEXT)", NULL, NULL};
    static const struct db_stmt ins = {"t.ins", "INSERT INTO t (v) VALUES ('approved')", NULL,
                                       NULL};
    static const struct db_stmt up = {"t.up", "UPDATE t SET v = $1", NULL, NULL};
    struct dbpool *p = NULL;
    struct sm_err e = {0};
    char v[16];
    assert_int_equal(dbpool_open("sqlite:p.db", dir, 2, 1, &p, &e), 0);
    struct db *job = dbpool_acquire(p, 100), *web = dbpool_acquire(p, 100);
    assert_int_equal(db_run(job, &mk, NULL, 0, NULL, NULL, &e), 0);
    assert_int_equal(db_run(job, &ins, NULL, 0, NULL, NULL, &e), 0);
    read_v(web, v);
    assert_string_equal(v, "approved");
    dbpool_release(p, web);
    struct db_val issued = DBV_TEXT("issued");
    assert_int_equal(db_run(job, &up, &issued, 1, NULL, NULL, &e), 0);
    web = dbpool_acquire(p, 100);
    read_v(web, v);
    assert_string_equal(v, "issued");
    /* a request that began a transaction and never ended it */
    assert_int_equal(db_begin(web, &e), 0);
    read_v(web, v);
    dbpool_release(p, web);
    struct db_val revoked = DBV_TEXT("revoked");
    assert_int_equal(db_run(job, &up, &revoked, 1, NULL, NULL, &e), 0);
    web = dbpool_acquire(p, 100);
    read_v(web, v);
    assert_string_equal(v, "revoked");
    dbpool_release(p, web);
    dbpool_release(p, job);
    dbpool_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dbpool_open_bad_url_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dbpool_lends_at_most_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dbpool_release_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dbpool_threads_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dbpool_reads_see_other_commits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
