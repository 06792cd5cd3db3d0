/* SPDX-License-Identifier: MIT */
/* The periodic worker thread (see periodic.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"
#include "jobs/periodic.h"
#include "store/db.h"

struct periodic {
    const char *name;
    const struct config *cfg;
    int64_t poll;
    periodic_fn fn;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop;
};

static void *run(void *arg)
{
    struct periodic *p = arg;
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(config_str(p->cfg, "database", "url"), config_dir(p->cfg), &db, &e) < 0) {
        log_error("worker cannot open the database", "worker", p->name, "error", e.detail);
        return NULL;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pthread_mutex_unlock(&p->mu);
        sm_err_clear(&e);
        if (p->fn(db, p->cfg, &e) < 0)
            log_error("worker run failed", "worker", p->name, "error", e.detail);
        pthread_mutex_lock(&p->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)p->poll;
        while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&p->mu);
    db_close(db);
    return NULL;
}

int periodic_start(const char *name, const struct config *cfg, int64_t poll_seconds, periodic_fn fn,
                   struct periodic **out, struct sm_err *e)
{
    *out = NULL;
    struct periodic *p = calloc(1, sizeof *p);
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, name, "out of memory");
    p->name = name;
    p->cfg = cfg;
    p->poll = poll_seconds > 0 ? poll_seconds : 1;
    p->fn = fn;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&p->thread, NULL, run, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        return sm_err_set(e, SM_E_INTERNAL, name, "cannot start the %s worker: %s", name,
                          strerror(r));
    }
    log_info("worker started", "worker", name);
    *out = p;
    return 0;
}

void periodic_stop(struct periodic *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
