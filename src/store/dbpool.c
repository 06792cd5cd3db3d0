/* SPDX-License-Identifier: MIT */
/* Connection pool (see dbpool.h): a mutex, a condition variable and two counts. Idle
 * connections sit on a stack; new ones are opened outside the lock. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/failalloc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/db.h"
#include "store/dbpool.h"

struct dbpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *url, *dir;
    size_t size;   /* most connections open at once */
    size_t opened; /* connections open (idle + lent + being opened) */
    size_t nidle;
    struct db **idle; /* size slots */
};

void dbpool_close(struct dbpool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nidle; i++)
        db_close(p->idle[i]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->idle);
    free(p->url);
    free(p->dir);
    free(p);
}

int dbpool_open(const char *url, const char *dir, size_t size, int migrate, struct dbpool **out,
                struct sm_err *e)
{
    *out = NULL;
    if (size == 0)
        size = 1;
    struct dbpool *p = sm_calloc(1, sizeof *p);
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->size = size;
    p->url = sm_strdup(url ? url : "");
    p->dir = sm_strdup(dir ? dir : "");
    p->idle = sm_calloc(size, sizeof *p->idle);
    if (p->url == NULL || p->dir == NULL || p->idle == NULL) {
        dbpool_close(p);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    struct db *db = NULL;
    int rc = db_open(p->url, p->dir, &db, e);
    if (rc == 0 && migrate)
        rc = db_migrate(db, e);
    if (rc < 0) {
        db_close(db);
        dbpool_close(p);
        return rc;
    }
    p->idle[p->nidle++] = db;
    p->opened = 1;
    *out = p;
    return 0;
}

struct db *dbpool_acquire(struct dbpool *p, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    double t0 = 0;
    if (p->nidle == 0 && p->opened >= p->size) {
        metrics_count(MF_DB_WAITS, NULL);
        t0 = metrics_now();
    }
    while (p->nidle == 0 && p->opened >= p->size) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->mu);
            metrics_count(MF_DB_TIMEOUTS, NULL);
            metrics_add_seconds(MF_DB_WAIT_SECONDS, NULL, metrics_now() - t0);
            log_warn("no database connection free", "wait_ms", "timeout");
            return NULL;
        }
    }
    if (t0 > 0)
        metrics_add_seconds(MF_DB_WAIT_SECONDS, NULL, metrics_now() - t0);
    if (p->nidle > 0) {
        struct db *db = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->mu);
        db_clear_failure(db);
        return db;
    }
    p->opened++; /* reserve the slot, open outside the lock */
    pthread_mutex_unlock(&p->mu);
    struct db *db = NULL;
    struct sm_err e = {0};
    if (db_open(p->url, p->dir, &db, &e) < 0) {
        log_error("cannot open a database connection", "detail", e.detail);
        pthread_mutex_lock(&p->mu);
        p->opened--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    return db;
}

void dbpool_release(struct dbpool *p, struct db *db)
{
    if (db == NULL)
        return;
    if (db_in_transaction(db))
        log_warn("database connection returned inside a transaction; rolled back");
    db_rollback(db); /* also a read transaction (db_begin_read); nothing when none is open */
    db_for_client(db, NULL); /* the next request is another client's */
    pthread_mutex_lock(&p->mu);
    if (p->nidle < p->size) {
        p->idle[p->nidle++] = db;
        db = NULL;
    } else {
        p->opened--;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    db_close(db);
}

int dbpool_failure(const struct db *db) { return db_last_failure(db); }

int dbpool_ping(struct dbpool *p, int timeout_ms, struct sm_err *e)
{
    struct db *db = dbpool_acquire(p, timeout_ms);
    if (db == NULL)
        return sm_err_set(e, SM_E_DB_BUSY, NULL, "no database connection within %d ms", timeout_ms);
    int rc = db_ping(db, e);
    dbpool_release(p, db);
    return rc;
}

void dbpool_busy_wait(int ms) { db_set_busy_timeout(ms); }
