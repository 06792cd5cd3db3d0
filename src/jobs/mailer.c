/* SPDX-License-Identifier: MIT */
/* The outbox worker's background thread; each run is ra/mail's mail_send_due.
 * See outbox.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"
#include "jobs/mailer.h"
#include "ra/mail.h"
#include "store/db.h"

int outbox_run_once(struct db *db, const struct config *cfg, int *sent, int *failed,
                    struct sm_err *e)
{
    return mail_send_due(db, cfg, sent, failed, e);
}

/* ---- background thread ---- */

static pthread_mutex_t w_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t w_cv = PTHREAD_COND_INITIALIZER;
static pthread_t w_thread;
static int w_running, w_stop;
static const struct config *w_cfg;
static int64_t w_poll;

static void *worker_main(void *arg)
{
    (void)arg;
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(config_str(w_cfg, "database", "url"), config_dir(w_cfg), &db, &e) < 0) {
        log_error("mail worker cannot open the database", "error", e.detail);
        return NULL;
    }
    pthread_mutex_lock(&w_mu);
    while (!w_stop) {
        pthread_mutex_unlock(&w_mu);
        int sent = 0, failed = 0;
        sm_err_clear(&e);
        if (outbox_run_once(db, w_cfg, &sent, &failed, &e) < 0)
            log_error("mail worker run failed", "error", e.detail);
        pthread_mutex_lock(&w_mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)w_poll;
        while (!w_stop) {
            int r = pthread_cond_timedwait(&w_cv, &w_mu, &until);
            if (r == ETIMEDOUT)
                break;
        }
    }
    pthread_mutex_unlock(&w_mu);
    db_close(db);
    return NULL;
}

int outbox_worker_start(const struct config *cfg, struct sm_err *e)
{
    if (!config_bool(cfg, "mail", "enabled")) {
        log_info("mail disabled: notices stay queued", "setting", "[mail] enabled");
        return 0;
    }
    int64_t poll;
    int rc = mail_settings_check(cfg, e);
    if (rc == 0)
        rc = config_int(cfg, "mail", "poll_seconds", 1, 86400, &poll, e);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&w_mu);
    if (w_running) {
        pthread_mutex_unlock(&w_mu);
        return sm_err_set(e, SM_E_CONFLICT, "mail", "mail worker already running");
    }
    w_cfg = cfg;
    w_poll = poll;
    w_stop = 0;
    /* The thread blocks every signal, so SIGINT and SIGTERM reach the thread that waits
     * for them (shomei serve's sigwait), never this one. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&w_thread, NULL, worker_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        pthread_mutex_unlock(&w_mu);
        return sm_err_set(e, SM_E_INTERNAL, "mail", "cannot start the mail worker: %s",
                          strerror(r));
    }
    w_running = 1;
    pthread_mutex_unlock(&w_mu);
    log_info("mail worker started");
    return 0;
}

void outbox_worker_stop(void)
{
    pthread_mutex_lock(&w_mu);
    if (!w_running) {
        pthread_mutex_unlock(&w_mu);
        return;
    }
    w_stop = 1;
    pthread_cond_broadcast(&w_cv);
    pthread_mutex_unlock(&w_mu);
    pthread_join(w_thread, NULL);
    pthread_mutex_lock(&w_mu);
    w_running = 0;
    w_cfg = NULL;
    pthread_mutex_unlock(&w_mu);
}
