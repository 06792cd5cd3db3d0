/* SPDX-License-Identifier: MIT */
/* The runner of the jobs table (see runner.h): a worker thread that claims, runs and
 * completes jobs, and a heartbeat thread that renews the lease of the job being run. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "jobs/runner.h"
#include "store/db.h"
#include "store/jobs.h"

#define TICK_SECONDS 1 /* how often an idle runner looks for due jobs */

struct kind {
    char name[JOBS_MAX_KIND + 1];
    int64_t every;
    job_fn fn;
};

struct jobs_runner {
    const char *name;
    const struct config *cfg;
    struct kind kinds[JOBS_RUNNER_MAX_KINDS];
    int nkinds;
    char kind_list[JOBS_RUNNER_MAX_KINDS * (JOBS_MAX_KIND + 1) + 1]; /* "a,b" for claims */
    int64_t lease;
    char owner[192];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker, beat;
    int started, stop;
    int64_t current; /* id of the job being run, 0 = none (under mu) */
};

static int64_t wall_now(void) { return (int64_t)time(NULL); }

static void make_owner(char *out, size_t n)
{
    char host[128] = "";
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    static int64_t started;
    if (started == 0)
        started = wall_now();
    snprintf(out, n, "%.100s/%ld/%lld", host, (long)getpid(), (long long)started);
}

int jobs_runner_new(const char *name, const struct config *cfg, struct jobs_runner **out,
                    struct sm_err *e)
{
    *out = NULL;
    int64_t lease = 60;
    int rc = config_int(cfg, "jobs", "lease_seconds", 2, 86400, &lease, e);
    if (rc < 0)
        return rc;
    struct jobs_runner *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sm_err_set(e, SM_E_NOMEM, name, "out of memory");
    r->name = name;
    r->cfg = cfg;
    r->lease = lease;
    make_owner(r->owner, sizeof r->owner);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    *out = r;
    return 0;
}

const char *jobs_runner_owner(const struct jobs_runner *r) { return r->owner; }

int jobs_runner_add(struct jobs_runner *r, const char *kind, int64_t every_seconds, job_fn fn,
                    struct sm_err *e)
{
    if (r->started)
        return sm_err_set(e, SM_E_CONFLICT, kind, "runner already started");
    if (r->nkinds == JOBS_RUNNER_MAX_KINDS || fn == NULL || every_seconds < 0 || kind == NULL ||
        *kind == '\0' || strlen(kind) > JOBS_MAX_KIND || strchr(kind, ',') != NULL)
        return sm_err_set(e, SM_E_INVALID, "kind", "cannot register job kind %s",
                          kind ? kind : "(null)");
    struct kind *k = &r->kinds[r->nkinds++];
    snprintf(k->name, sizeof k->name, "%s", kind);
    k->every = every_seconds;
    k->fn = fn;
    size_t used = strlen(r->kind_list);
    snprintf(r->kind_list + used, sizeof r->kind_list - used, "%s%s", used ? "," : "", kind);
    return 0;
}

int jobs_runner_ensure(const struct jobs_runner *r, struct db *db, struct sm_err *e)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < r->nkinds; i++)
        if (r->kinds[i].every > 0)
            rc = jobs_ensure(db, r->kinds[i].name, "", r->kinds[i].every, wall_now(), e);
    return rc;
}

static const struct kind *find_kind(const struct jobs_runner *r, const char *name)
{
    for (int i = 0; i < r->nkinds; i++)
        if (name != NULL && strcmp(r->kinds[i].name, name) == 0)
            return &r->kinds[i];
    return NULL;
}

static void set_current(struct jobs_runner *r, int64_t id)
{
    pthread_mutex_lock(&r->mu);
    r->current = id;
    pthread_mutex_unlock(&r->mu);
}

/* Runs one claimed job and records the outcome. A lost lease is logged, not an error. */
static int run_job(struct jobs_runner *r, struct db *db, const struct job_row *j, struct sm_err *e)
{
    const struct kind *k = find_kind(r, j->kind);
    struct sm_err je = {0};
    int rc;
    set_current(r, j->id);
    if (k == NULL)
        rc = sm_err_set(&je, SM_E_INTERNAL, "kind", "no handler for job kind %s", j->kind);
    else
        rc = k->fn(db, r->cfg, j, &je);
    set_current(r, 0);
    char labels[200], kind[120];
    metrics_label_value(kind, sizeof kind, j->kind);
    snprintf(labels, sizeof labels, "kind=\"%s\",result=\"%s\"", kind, rc >= 0 ? "ok" : "error");
    metrics_count(MF_JOBS, labels); /* R-OPS-1 */
    int64_t now = wall_now();
    int done;
    if (rc >= 0) {
        done = jobs_complete(db, j->id, r->owner, now,
                             j->every_seconds > 0 ? now + j->every_seconds : 0, e);
    } else {
        log_error("job failed", "worker", r->name, "kind", j->kind, "error", je.detail);
        done = jobs_fail(db, j->id, r->owner, je.detail,
                         now + jobs_backoff(j->every_seconds, j->attempts + 1), e);
    }
    if (done == -SM_E_CONFLICT) {
        log_warn("job lease lost: another process took the job over", "kind", j->kind, "owner",
                 r->owner);
        sm_err_clear(e);
        done = 0;
    }
    return done;
}

int jobs_runner_run_due(struct jobs_runner *r, struct db *db, int max, int *ran, struct sm_err *e)
{
    int n = 0, rc = 0;
    while (rc == 0 && n < max && r->nkinds > 0) {
        struct job_row j;
        rc = jobs_claim(db, r->owner, r->kind_list, wall_now(), r->lease, &j, e);
        if (rc <= 0)
            break;
        rc = run_job(r, db, &j, e);
        job_row_clear(&j);
        n++;
        pthread_mutex_lock(&r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
    }
    if (ran != NULL)
        *ran = n;
    return rc < 0 ? rc : 0;
}

/* ---- threads ---- */

static struct db *open_db(const struct jobs_runner *r)
{
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(config_str(r->cfg, "database", "url"), config_dir(r->cfg), &db, &e) < 0)
        log_error("worker cannot open the database", "worker", r->name, "error", e.detail);
    return db;
}

/* Waits up to seconds or until stop; returns the stop flag. Called with mu held. */
static int wait_locked(struct jobs_runner *r, int64_t seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)seconds;
    while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
        ;
    return r->stop;
}

static void *work(void *arg)
{
    struct jobs_runner *r = arg;
    struct db *db = open_db(r);
    if (db == NULL)
        return NULL;
    struct sm_err e = {0};
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        pthread_mutex_unlock(&r->mu);
        sm_err_clear(&e);
        if (jobs_runner_run_due(r, db, 1000, NULL, &e) < 0)
            log_error("worker run failed", "worker", r->name, "error", e.detail);
        pthread_mutex_lock(&r->mu);
        wait_locked(r, TICK_SECONDS);
    }
    pthread_mutex_unlock(&r->mu);
    db_close(db);
    return NULL;
}

static void *heartbeat(void *arg)
{
    struct jobs_runner *r = arg;
    struct db *db = open_db(r);
    if (db == NULL)
        return NULL;
    int64_t every = r->lease / 3 > 0 ? r->lease / 3 : 1;
    pthread_mutex_lock(&r->mu);
    while (!wait_locked(r, every)) {
        int64_t id = r->current;
        pthread_mutex_unlock(&r->mu);
        struct sm_err e = {0};
        if (id != 0 && jobs_renew(db, id, r->owner, wall_now() + r->lease, &e) < 0 &&
            e.code != SM_E_CONFLICT) /* a job that just ended is not held: no news */
            log_warn("job lease not renewed", "worker", r->name, "error", e.detail);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    db_close(db);
    return NULL;
}

int jobs_runner_start(struct jobs_runner *r, struct sm_err *e)
{
    if (r->started)
        return sm_err_set(e, SM_E_CONFLICT, r->name, "%s worker already running", r->name);
    struct db *db = NULL;
    int rc = db_open(config_str(r->cfg, "database", "url"), config_dir(r->cfg), &db, e);
    if (rc == 0)
        rc = jobs_runner_ensure(r, db, e);
    db_close(db);
    if (rc < 0)
        return rc;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int t = pthread_create(&r->worker, NULL, work, r);
    if (t == 0 && (t = pthread_create(&r->beat, NULL, heartbeat, r)) != 0) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->worker, NULL);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (t != 0)
        return sm_err_set(e, SM_E_INTERNAL, r->name, "cannot start the %s worker: %s", r->name,
                          strerror(t));
    r->started = 1;
    log_info("worker started", "worker", r->name, "owner", r->owner);
    return 0;
}

void jobs_runner_free(struct jobs_runner *r)
{
    if (r == NULL)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->worker, NULL);
        pthread_join(r->beat, NULL);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

int jobs_runner_start_one(const char *name, const struct config *cfg, const char *kind,
                          int64_t every_seconds, job_fn fn, struct jobs_runner **out,
                          struct sm_err *e)
{
    struct jobs_runner *r = NULL;
    int rc = jobs_runner_new(name, cfg, &r, e);
    if (rc == 0)
        rc = jobs_runner_add(r, kind, every_seconds, fn, e);
    if (rc == 0)
        rc = jobs_runner_start(r, e);
    if (rc < 0) {
        jobs_runner_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
