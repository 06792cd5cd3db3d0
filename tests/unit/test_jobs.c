/* SPDX-License-Identifier: MIT */
/* R-SCL-1 (issue 7): the jobs table. A claim takes one due, free job with a lease in one
 * atomic statement: two owners never hold the same job, a lease that ran out is taken
 * over and the old owner can no longer complete, renew or fail it; completing schedules
 * the next run (or ends a one-shot job), failing backs off; bad input refused naming the
 * field; the runner (jobs/runner.c) runs a due job once, reschedules it after its period
 * or with back-off after a failure, and runs a one-shot job once. Runs on SQLite, and on PostgreSQL
 * too when SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "jobs/runner.h"
#include "store/db.h"
#include "store/jobs.h"

#define T0 1700000000

static int fx_setup(void **state)
{
    dbfx_setup(state, "jobs", 0);
    return 0;
}

static void test_jobs_ensure_is_idempotent_and_updates_period(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    assert_int_equal(jobs_ensure(f->db, "mail.send", "", 10, T0, &e), 0);
    assert_int_equal(jobs_ensure(f->db, "mail.send", "", 30, T0 + 500, &e), 0);
    struct job_row j;
    assert_int_equal(jobs_get(f->db, "mail.send", "", &j, &e), 0);
    assert_int_equal(j.every_seconds, 30);
    assert_int_equal(j.next_run_at, T0); /* the first schedule stays */
    assert_int_equal(j.done, 0);
    assert_null(j.owner);
    job_row_clear(&j);
    struct job_row *v = NULL;
    size_t n = 0;
    assert_int_equal(jobs_list(f->db, &v, &n, &e), 0);
    assert_int_equal(n, 1);
    job_rows_free(v, n);
}

static void test_jobs_claim_leases_one_owner_at_a_time(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j, k;
    assert_int_equal(jobs_ensure(f->db, "vetting.sweep", "", 60, T0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "vetting.sweep", T0, 10, &j, &e), 1);
    assert_string_equal(j.owner, "a");
    assert_string_equal(j.kind, "vetting.sweep");
    assert_int_equal(j.lease_until, T0 + 10);
    /* held: nobody else gets it, even after a while within the lease */
    assert_int_equal(jobs_claim(f->db, "b", "vetting.sweep", T0 + 9, 10, &k, &e), 0);
    /* renewing moves the lease on */
    assert_int_equal(jobs_renew(f->db, j.id, "a", T0 + 20, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "vetting.sweep", T0 + 15, 10, &k, &e), 0);
    assert_int_equal(jobs_renew(f->db, j.id, "b", T0 + 40, &e), -SM_E_CONFLICT);
    job_row_clear(&j);
}

static void test_jobs_expired_lease_is_taken_over(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j, k;
    assert_int_equal(jobs_ensure(f->db, "mail.send", "", 10, T0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "dead", "mail.send", T0, 5, &j, &e), 1);
    /* the owner died: no renewal; at T0 + 6 the lease has run out */
    assert_int_equal(jobs_claim(f->db, "live", "mail.send", T0 + 6, 5, &k, &e), 1);
    assert_int_equal(k.id, j.id);
    assert_string_equal(k.owner, "live");
    /* the old owner can change nothing any more */
    assert_int_equal(jobs_complete(f->db, j.id, "dead", T0 + 7, T0 + 17, &e), -SM_E_CONFLICT);
    assert_int_equal(jobs_fail(f->db, j.id, "dead", "x", T0 + 17, &e), -SM_E_CONFLICT);
    assert_int_equal(jobs_renew(f->db, j.id, "dead", T0 + 17, &e), -SM_E_CONFLICT);
    assert_int_equal(jobs_complete(f->db, k.id, "live", T0 + 7, T0 + 17, &e), 0);
    job_row_clear(&j);
    job_row_clear(&k);
    assert_int_equal(jobs_get(f->db, "mail.send", "", &j, &e), 0);
    assert_int_equal(j.runs, 1);
    assert_string_equal(j.owner, "live");
    job_row_clear(&j);
}

static void test_jobs_complete_schedules_next_run(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    assert_int_equal(jobs_ensure(f->db, "mail.send", "", 10, T0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "mail.send", T0, 60, &j, &e), 1);
    assert_int_equal(jobs_complete(f->db, j.id, "a", T0 + 1, T0 + 11, &e), 0);
    job_row_clear(&j);
    /* released, but not due before T0 + 11 */
    assert_int_equal(jobs_claim(f->db, "b", "mail.send", T0 + 10, 60, &j, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "mail.send", T0 + 11, 60, &j, &e), 1);
    assert_int_equal(j.runs, 1);
    assert_int_equal(j.last_run_at, T0 + 1);
    /* completing twice is refused: the second holder released it */
    assert_int_equal(jobs_complete(f->db, j.id, "b", T0 + 12, T0 + 22, &e), 0);
    assert_int_equal(jobs_complete(f->db, j.id, "b", T0 + 12, T0 + 22, &e), -SM_E_CONFLICT);
    job_row_clear(&j);
}

static void test_jobs_one_shot_runs_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    assert_int_equal(jobs_ensure(f->db, "cert.revoke", "serial-01", 0, T0 + 100, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "cert.revoke", T0 + 99, 60, &j, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "cert.revoke", T0 + 100, 60, &j, &e), 1);
    assert_string_equal(j.key, "serial-01");
    assert_int_equal(jobs_complete(f->db, j.id, "a", T0 + 101, 0, &e), 0);
    job_row_clear(&j);
    assert_int_equal(jobs_claim(f->db, "b", "cert.revoke", T0 + 99999, 60, &j, &e), 0);
    /* scheduling it again does not bring it back */
    assert_int_equal(jobs_ensure(f->db, "cert.revoke", "serial-01", 0, T0 + 200, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "cert.revoke", T0 + 99999, 60, &j, &e), 0);
    assert_int_equal(jobs_get(f->db, "cert.revoke", "serial-01", &j, &e), 0);
    assert_int_equal(j.done, 1);
    job_row_clear(&j);
}

/* issue 8 item 5: an order's issuance job (order.issue) is scheduled by jobs_rearm: an
 * ended job runs again, one that is queued, held or waiting after a failure is left as it
 * is (one run at a time, the back-off kept). */
static void test_jobs_rearm_only_ended_jobs(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    assert_int_equal(jobs_rearm(f->db, "order.issue", "7", T0, &e), 0);
    assert_int_equal(jobs_rearm(f->db, "order.issue", "7", T0 + 50, &e), 0); /* queued: kept */
    assert_int_equal(jobs_claim(f->db, "a", "order.issue", T0, 60, &j, &e), 1);
    int64_t id = j.id;
    job_row_clear(&j);
    /* held by a: a second schedule neither frees nor duplicates it */
    assert_int_equal(jobs_rearm(f->db, "order.issue", "7", T0 + 1, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "order.issue", T0 + 1, 60, &j, &e), 0);
    assert_int_equal(jobs_fail(f->db, id, "a", "caa.timeout", T0 + 30, &e), 0);
    /* waiting for its retry: the back-off is kept */
    assert_int_equal(jobs_rearm(f->db, "order.issue", "7", T0 + 2, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "order.issue", T0 + 29, 60, &j, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "order.issue", T0 + 30, 60, &j, &e), 1);
    assert_int_equal(j.attempts, 1);
    job_row_clear(&j);
    assert_int_equal(jobs_complete(f->db, id, "b", T0 + 31, 0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "b", "order.issue", T0 + 999, 60, &j, &e), 0);
    /* ended: scheduled again, due at the new time with a fresh count */
    assert_int_equal(jobs_rearm(f->db, "order.issue", "7", T0 + 100, &e), 0);
    assert_int_equal(jobs_claim(f->db, "c", "order.issue", T0 + 99, 60, &j, &e), 0);
    assert_int_equal(jobs_claim(f->db, "c", "order.issue", T0 + 100, 60, &j, &e), 1);
    assert_int_equal(j.id, id);
    assert_int_equal(j.attempts, 0);
    assert_int_equal(j.done, 0);
    job_row_clear(&j);
    assert_int_equal(jobs_rearm(f->db, "Order Issue", "7", T0, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "kind");
}

/* issue 13 item 2: work a request does at once (an ACME finalize issuing inside the
 * request) holds the job that was scheduled for it, due or not: no runner claims it while
 * it is held, so the order is never signed twice on two nodes; a held, done or absent job
 * is not taken; the holder completes it; a holder that died loses it with its lease. */
static void test_jobs_hold_keeps_runners_away(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    int64_t id = 0, id2 = 0;
    assert_int_equal(jobs_hold(f->db, "order.issue", "9", "web", T0, 30, &id, &e), 0); /* none */
    assert_int_equal(jobs_rearm(f->db, "order.issue", "9", T0, &e), 0);
    assert_int_equal(db_begin(f->db, &e), 0); /* inside the transaction that scheduled it */
    assert_int_equal(jobs_hold(f->db, "order.issue", "9", "web", T0, 30, &id, &e), 1);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_true(id > 0);
    assert_int_equal(jobs_claim(f->db, "runner", "order.issue", T0 + 29, 60, &j, &e), 0);
    assert_int_equal(jobs_hold(f->db, "order.issue", "9", "web2", T0 + 1, 30, &id2, &e), 0);
    assert_int_equal(jobs_complete(f->db, id, "web", T0 + 2, 0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "runner", "order.issue", T0 + 999, 60, &j, &e), 0);
    assert_int_equal(jobs_hold(f->db, "order.issue", "9", "web", T0 + 3, 30, &id2, &e), 0);
    assert_int_equal(jobs_get(f->db, "order.issue", "9", &j, &e), 0);
    assert_int_equal(j.done, 1);
    assert_int_equal(j.runs, 1);
    job_row_clear(&j);
    /* a holder that died: a runner takes the job over once the lease ran out */
    assert_int_equal(jobs_rearm(f->db, "order.issue", "10", T0 + 500, &e), 0);
    assert_int_equal(jobs_hold(f->db, "order.issue", "10", "web", T0, 30, &id, &e), 1);
    assert_int_equal(jobs_claim(f->db, "runner", "order.issue", T0 + 500, 60, &j, &e), 1);
    assert_int_equal(j.id, id);
    job_row_clear(&j);
    assert_int_equal(jobs_complete(f->db, id, "web", T0 + 501, 0, &e), -SM_E_CONFLICT);
    assert_int_equal(jobs_hold(f->db, "order.issue", "10", "", T0, 30, &id, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "owner");
}

static void test_jobs_fail_backs_off(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    assert_int_equal(jobs_ensure(f->db, "vetting.sweep", "", 60, T0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "vetting.sweep", T0, 60, &j, &e), 1);
    int64_t next = T0 + jobs_backoff(60, j.attempts + 1);
    assert_int_equal(jobs_fail(f->db, j.id, "a", "database busy", next, &e), 0);
    job_row_clear(&j);
    assert_int_equal(jobs_claim(f->db, "a", "vetting.sweep", next - 1, 60, &j, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "vetting.sweep", next, 60, &j, &e), 1);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.last_error, "database busy");
    assert_int_equal(jobs_complete(f->db, j.id, "a", next, next + 60, &e), 0);
    job_row_clear(&j);
    assert_int_equal(jobs_get(f->db, "vetting.sweep", "", &j, &e), 0);
    assert_int_equal(j.attempts, 0);
    assert_null(j.last_error);
    job_row_clear(&j);
}

static void test_jobs_backoff_schedule(void **state)
{
    (void)state;
    assert_int_equal(jobs_backoff(60, 0), 60);
    assert_int_equal(jobs_backoff(60, 1), 60);
    assert_int_equal(jobs_backoff(60, 2), 120);
    assert_int_equal(jobs_backoff(60, 3), 240);
    assert_int_equal(jobs_backoff(60, 50), 3600);
    assert_int_equal(jobs_backoff(0, 1), 30);
    assert_int_equal(jobs_backoff(7200, 5), 7200); /* never less than the period */
}

static void test_jobs_claim_only_its_kinds(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    assert_int_equal(jobs_ensure(f->db, "mail.send", "", 10, T0, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "vetting.sweep", T0, 60, &j, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "mail", T0, 60, &j, &e), 0); /* no prefix match */
    assert_int_equal(jobs_claim(f->db, "a", "vetting.sweep,mail.send", T0, 60, &j, &e), 1);
    job_row_clear(&j);
}

static void test_jobs_bad_input_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct job_row j;
    assert_int_equal(jobs_ensure(f->db, "", "", 10, T0, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "kind");
    assert_int_equal(jobs_ensure(f->db, "Mail_Send", "", 10, T0, &e), -SM_E_INVALID);
    assert_int_equal(jobs_ensure(f->db, "a%b", "", 10, T0, &e), -SM_E_INVALID);
    assert_int_equal(jobs_ensure(f->db, "mail.send", "", -1, T0, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "every_seconds");
    char big[JOBS_MAX_KEY + 2];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(jobs_ensure(f->db, "mail.send", big, 10, T0, &e), -SM_E_TOO_LARGE);
    assert_int_equal(jobs_claim(f->db, "", "mail.send", T0, 60, &j, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "owner");
    assert_int_equal(jobs_claim(f->db, "a", "mail.send", T0, 0, &j, &e), -SM_E_INVALID);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(jobs_claim(f->db, "a", "mail.send", T0, 60, &j, &e), -SM_E_INTERNAL);
    db_rollback(f->db);
    struct job_row *v = NULL;
    size_t n = 9;
    assert_int_equal(jobs_list(f->db, &v, &n, &e), 0);
    assert_int_equal(n, 0); /* nothing stored */
    job_rows_free(v, n);
}

/* ---- several owners at once ---- */

#define NJOB  40
#define NNODE 4

struct node {
    const char *url, *dir;
    char name[32];
    int64_t got[NJOB];
    int ngot, errors;
};

static void *node_main(void *arg)
{
    struct node *nd = arg;
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(nd->url, nd->dir, &db, &e) < 0) {
        nd->errors++;
        return NULL;
    }
    for (int round = 0; round < 4 * NJOB; round++) {
        struct job_row j;
        int rc = jobs_claim(db, nd->name, "test.once", T0, 600, &j, &e);
        if (rc < 0) {
            nd->errors++;
            break;
        }
        if (rc == 0)
            break;
        if (nd->ngot < NJOB)
            nd->got[nd->ngot++] = j.id;
        if (jobs_complete(db, j.id, nd->name, T0, 0, &e) < 0)
            nd->errors++;
        job_row_clear(&j);
    }
    db_close(db);
    return NULL;
}

/* Several owners on their own connections claiming at once: every one-shot job runs
 * exactly once. */
static void test_jobs_claim_concurrent_owners_exactly_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t first = 0;
    for (int i = 0; i < NJOB; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%02d", i);
        assert_int_equal(jobs_ensure(f->db, "test.once", key, 0, T0, &e), 0);
    }
    struct job_row *v = NULL;
    size_t n = 0;
    assert_int_equal(jobs_list(f->db, &v, &n, &e), 0);
    assert_int_equal(n, NJOB);
    first = v[0].id;
    job_rows_free(v, n);
    static struct node nodes[NNODE];
    pthread_t th[NNODE];
    for (int i = 0; i < NNODE; i++) {
        memset(&nodes[i], 0, sizeof nodes[i]);
        nodes[i].url = f->url;
        nodes[i].dir = f->dir;
        snprintf(nodes[i].name, sizeof nodes[i].name, "node-%d", i);
        assert_int_equal(pthread_create(&th[i], NULL, node_main, &nodes[i]), 0);
    }
    int seen[NJOB] = {0};
    for (int i = 0; i < NNODE; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(nodes[i].errors, 0);
        for (int k = 0; k < nodes[i].ngot; k++) {
            int64_t idx = nodes[i].got[k] - first;
            assert_true(idx >= 0 && idx < NJOB);
            seen[idx]++;
        }
    }
    for (int i = 0; i < NJOB; i++)
        assert_int_equal(seen[i], 1);
}

/* ---- the runner ---- */

static int calls, fail_next;

static int count_fn(struct db *db, const struct config *cfg, const struct job_row *job,
                    struct sm_err *e)
{
    calls++;
    if (fail_next) {
        fail_next = 0;
        return sm_err_set(e, SM_E_IO, "smtp", "server down");
    }
    return 0;
}

static struct jobs_runner *runner(const struct dbfx *f, struct config **cfg)
{
    struct sm_err e = {0};
    *cfg = config_defaults(f->dir);
    assert_non_null(*cfg);
    struct jobs_runner *r = NULL;
    assert_int_equal(jobs_runner_new("test", *cfg, &r, &e), 0);
    assert_int_equal(jobs_runner_add(r, "test.every", 3600, count_fn, &e), 0);
    assert_int_equal(jobs_runner_add(r, "test.once", 0, count_fn, &e), 0);
    assert_int_equal(jobs_runner_add(r, "bad,kind", 10, count_fn, &e), -SM_E_INVALID);
    assert_int_equal(jobs_runner_ensure(r, f->db, &e), 0);
    return r;
}

static void test_jobs_runner_runs_due_job_once_then_waits(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct config *cfg;
    struct jobs_runner *r = runner(f, &cfg);
    int ran = -1;
    calls = 0;
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    assert_int_equal(ran, 1);
    assert_int_equal(calls, 1);
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    assert_int_equal(ran, 0); /* next run in an hour */
    struct job_row j;
    assert_int_equal(jobs_get(f->db, "test.every", "", &j, &e), 0);
    assert_int_equal(j.runs, 1);
    assert_true(j.next_run_at >= j.last_run_at + 3600);
    assert_string_equal(j.owner, jobs_runner_owner(r));
    job_row_clear(&j);
    /* no row for the one-shot kind until something schedules one */
    assert_int_equal(jobs_get(f->db, "test.once", "", &j, &e), -SM_E_NOTFOUND);
    jobs_runner_free(r);
    config_free(cfg);
}

static void test_jobs_runner_failure_backs_off_one_shot_runs_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct config *cfg;
    struct jobs_runner *r = runner(f, &cfg);
    /* due now, after test.every (ensured first): claims go oldest due first */
    assert_int_equal(jobs_ensure(f->db, "test.once", "serial-42", 0, (int64_t)time(NULL), &e), 0);
    int ran = -1;
    calls = 0;
    fail_next = 1;
    assert_int_equal(jobs_runner_run_due(r, f->db, 1, &ran, &e), 0); /* test.every fails */
    assert_int_equal(ran, 1);
    struct job_row j;
    assert_int_equal(jobs_get(f->db, "test.every", "", &j, &e), 0);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.last_error, "server down");
    assert_int_equal(j.runs, 0);
    job_row_clear(&j);
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    assert_int_equal(ran, 1); /* the one-shot job; test.every waits for its back-off */
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    assert_int_equal(ran, 0);
    assert_int_equal(calls, 2);
    assert_int_equal(jobs_get(f->db, "test.once", "serial-42", &j, &e), 0);
    assert_int_equal(j.done, 1);
    assert_int_equal(j.runs, 1);
    job_row_clear(&j);
    jobs_runner_free(r);
    config_free(cfg);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_jobs_ensure_is_idempotent_and_updates_period),
    T(test_jobs_claim_leases_one_owner_at_a_time),
    T(test_jobs_expired_lease_is_taken_over),
    T(test_jobs_complete_schedules_next_run),
    T(test_jobs_one_shot_runs_once),
    T(test_jobs_fail_backs_off),
    T(test_jobs_hold_keeps_runners_away),
    T(test_jobs_rearm_only_ended_jobs),
    T(test_jobs_backoff_schedule),
    T(test_jobs_claim_only_its_kinds),
    T(test_jobs_bad_input_refused),
    T(test_jobs_claim_concurrent_owners_exactly_once),
    T(test_jobs_runner_runs_due_job_once_then_waits),
    T(test_jobs_runner_failure_backs_off_one_shot_runs_once),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("jobs", table, NT, NULL, 0); }
