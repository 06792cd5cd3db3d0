/* SPDX-License-Identifier: MIT */
/* The outbox worker: claim, render, build, send, mark; and its background thread.
 * See outbox.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "jobs/outbox.h"
#include "net/smtp.h"
#include "ra/mail.h"
#include "store/db.h"
#include "store/outbox.h"

#define MAX_BATCHES 1000 /* bounds one run: at most batch * MAX_BATCHES mails */

/* "host/pid": names this process in claimed_by. */
static void node_name(char *out, size_t n)
{
    char host[128] = "";
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(out, n, "%.100s/%ld", host, (long)getpid());
}

struct settings {
    struct smtp_config smtp;
    int64_t max_attempts, batch;
};

static int load_settings(const struct config *cfg, struct settings *s, struct sm_err *e)
{
    if (!config_bool(cfg, "mail", "enabled"))
        return sm_err_set(e, SM_E_CONFIG, "enabled", "[mail] enabled is false");
    int rc = smtp_config_load(cfg, &s->smtp, e);
    if (rc == 0)
        rc = config_int(cfg, "mail", "max_attempts", 1, 1000, &s->max_attempts, e);
    if (rc == 0)
        rc = config_int(cfg, "mail", "batch", 1, 1000, &s->batch, e);
    return rc;
}

/* Renders and sends one claimed mail. Returns 0 sent (message_id filled), 1 permanent
 * failure (cannot be rendered or built), 2 delivery failure; why gets the reason. */
static int deliver(const struct settings *s, const struct outbox_row *r, char *message_id,
                   size_t mid_len, char *why, size_t why_len)
{
    struct sm_err e = {0};
    struct mail_text t = {0};
    struct buf msg = BUF_INIT;
    int result = 1;
    if (mail_render(r->tmpl, r->lang, r->vars_json, &t, &e) < 0)
        goto out;
    if (smtp_message_id(s->smtp.from, message_id, mid_len, &e) < 0)
        goto out;
    struct smtp_message m = {
        .from = s->smtp.from,
        .from_name = s->smtp.from_name,
        .to = r->to,
        .subject = t.subject,
        .body = t.body,
        .message_id = message_id,
        .date = clock_now(),
        .attach_name = r->attach_name,
        .attach_type = r->attach_type,
        .attach = r->attach,
        .attach_len = r->attach_len,
    };
    if (smtp_build(&m, &msg, &e) < 0)
        goto out;
    result = 2;
    if (smtp_send(&s->smtp, r->to, msg.p, msg.len, &e) < 0)
        goto out;
    result = 0;
out:
    if (result != 0)
        snprintf(why, why_len, "%s%s%s", e.field, e.field[0] ? ": " : "", e.detail);
    mail_text_free(&t);
    buf_free(&msg);
    return result;
}

int outbox_run_once(struct db *db, const struct config *cfg, int *sent, int *failed,
                    struct sm_err *e)
{
    int nsent = 0, nfailed = 0, rc = 0;
    struct settings s;
    if (sent)
        *sent = 0;
    if (failed)
        *failed = 0;
    rc = load_settings(cfg, &s, e);
    if (rc < 0)
        return rc;
    char node[160];
    node_name(node, sizeof node);
    /* The lease covers a whole batch delivered one after another, with room to spare. */
    int64_t lease = s.batch * (s.smtp.timeout + 5) + 60;
    for (int round = 0; round < MAX_BATCHES && rc == 0; round++) {
        struct outbox_row *rows = NULL;
        size_t n = 0;
        rc = outbox_claim(db, node, lease, (size_t)s.batch, &rows, &n, e);
        if (rc < 0 || n == 0) {
            outbox_rows_free(rows, n);
            break;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            char mid[160] = "", why[512] = "";
            int d = deliver(&s, &rows[i], mid, sizeof mid, why, sizeof why);
            char id[32];
            snprintf(id, sizeof id, "%lld", (long long)rows[i].id);
            if (d == 0) {
                rc = outbox_mark_sent(db, rows[i].id, node, mid, e);
                if (rc == 0) {
                    nsent++;
                    log_info("mail sent", "id", id, "message_id", mid);
                }
            } else {
                int dead = 0;
                rc = outbox_mark_failed(db, rows[i].id, node, why, d == 1 ? 0 : s.max_attempts,
                                        &dead, e);
                if (rc == 0) {
                    nfailed++;
                    log_warn(dead ? "mail dead" : "mail failed", "id", id, "error", why);
                }
            }
        }
        outbox_rows_free(rows, n);
        if (n < (size_t)s.batch)
            break;
    }
    if (sent)
        *sent = nsent;
    if (failed)
        *failed = nfailed;
    return rc;
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
    struct settings s;
    int64_t poll;
    int rc = load_settings(cfg, &s, e);
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
