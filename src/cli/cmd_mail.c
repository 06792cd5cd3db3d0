/* SPDX-License-Identifier: MIT */
/* shomei mail test|run|list --dir DIR: queue a test mail, run the outbox worker (once or
 * until SIGINT/SIGTERM) and list the outbox (R-NOT-1, R-NOT-2). Flag parsing and output
 * only; the work is in store/outbox and jobs/mailer. Exit 0 success, 1 failure, 2 usage. */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "jobs/mailer.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/outbox.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei mail test --dir DIR --to ADDR [--lang ja|en]\n"
                    "       shomei mail run --dir DIR [--once]\n"
                    "       shomei mail list --dir DIR [--state queued|sent|dead]\n");
    return 2;
}

struct opts {
    const char *dir, *to, *lang, *state;
    int once;
};

static int parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--dir") == 0 && more)
            o->dir = argv[++i];
        else if (strcmp(a, "--to") == 0 && more)
            o->to = argv[++i];
        else if (strcmp(a, "--lang") == 0 && more)
            o->lang = argv[++i];
        else if (strcmp(a, "--state") == 0 && more)
            o->state = argv[++i];
        else if (strcmp(a, "--once") == 0)
            o->once = 1;
        else
            return -1;
    }
    return o->dir && *o->dir ? 0 : -1;
}

static int open_all(const char *dir, struct config **cfg, struct db **db)
{
    struct sm_err e = {0};
    if (config_load(dir, cfg, &e) < 0 ||
        db_open(config_str(*cfg, "database", "url"), dir, db, &e) < 0 || db_migrate(*db, &e) < 0) {
        fprintf(stderr, "shomei mail: %s\n", e.detail);
        return -1;
    }
    return 0;
}

static int do_test(struct db *db, const struct opts *o)
{
    const char *lang = o->lang ? o->lang : "ja";
    if (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0) {
        fprintf(stderr, "shomei mail: --lang must be ja or en\n");
        return 2;
    }
    char host[128] = "";
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    time_t j = clock_now() + 9 * 3600;
    struct tm tm;
    char date[64] = "";
    if (gmtime_r(&j, &tm) != NULL)
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S JST", &tm);
    json_t *vars = json_pack("{s:s, s:s}", "node", host, "date", date);
    char *vj = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
    json_decref(vars);
    json_t *d = json_pack("{s:s, s:s}", "to", o->to, "lang", lang);
    char *dj = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (vj == NULL || dj == NULL) {
        free(vj);
        free(dj);
        fprintf(stderr, "shomei mail: out of memory\n");
        return 1;
    }
    struct sm_err e = {0};
    struct outbox_mail m = {.to = o->to, .lang = lang, .tmpl = "test", .vars_json = vj};
    int64_t id = 0;
    char object[48];
    int rc = db_begin(db, &e);
    if (rc == 0)
        rc = outbox_enqueue(db, &m, &id, &e);
    snprintf(object, sizeof object, "mail:%lld", (long long)id);
    if (rc == 0)
        rc = audit_append(db, "cli", "mail.test", object, dj, &e);
    if (rc == 0)
        rc = db_commit(db, &e);
    else
        db_rollback(db);
    free(vj);
    free(dj);
    if (rc < 0) {
        if (e.code == SM_E_INVALID && strcmp(e.field, "to") == 0)
            fprintf(stderr, "shomei mail: --to: %s / %s\n",
                    "宛先のメールアドレスが正しくありません", "not a valid mail address");
        else
            fprintf(stderr, "shomei mail: %s%s%s\n", e.field, e.field[0] ? ": " : "", e.detail);
        return 1;
    }
    printf("queued test mail %lld to %s (%s)\n", (long long)id, o->to, lang);
    return 0;
}

static void on_signal(int sig) { (void)sig; }

static int do_run(struct db *db, const struct config *cfg, const struct opts *o)
{
    struct sm_err e = {0};
    if (o->once) {
        int sent = 0, failed = 0;
        int rc = mailer_run_once(db, cfg, &sent, &failed, &e);
        printf("sent %d, failed %d\n", sent, failed);
        if (rc < 0) {
            fprintf(stderr, "shomei mail: %s\n", e.detail);
            return 1;
        }
        return 0;
    }
    if (!config_bool(cfg, "mail", "enabled")) {
        fprintf(stderr, "shomei mail: [mail] enabled is false; nothing would be sent\n");
        return 1;
    }
    /* Blocked before the worker starts; a handler (not SIG_IGN) keeps them pending. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    if (mailer_worker_start(cfg, &e) < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "shomei mail: %s\n", e.detail);
        return 1;
    }
    printf("mail worker running; SIGINT or SIGTERM stops it\n");
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    mailer_worker_stop();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

static void fmt_time(int64_t t, char *out, size_t n)
{
    if (t <= 0)
        snprintf(out, n, "-");
    else
        clock_format_utc((time_t)t, out, n);
}

static int do_list(struct db *db, const struct opts *o)
{
    struct sm_err e = {0};
    struct outbox_row *rows = NULL;
    size_t n = 0;
    if (outbox_list(db, o->state, 1000, &rows, &n, &e) < 0) {
        fprintf(stderr, "shomei mail: %s%s%s\n", e.field, e.field[0] ? ": " : "", e.detail);
        return e.code == SM_E_INVALID ? 2 : 1;
    }
    printf("%-6s %-6s %-3s %-20s %-20s %-8s %-5s %-4s %s\n", "ID", "STATE", "TRY", "NEXT", "SENT",
           "ORDER", "TMPL", "LANG", "TO / MESSAGE-ID / LAST ERROR");
    for (size_t i = 0; i < n; i++) {
        const struct outbox_row *r = &rows[i];
        char next[32], sent[32], order[24];
        fmt_time(r->next_attempt_at, next, sizeof next);
        fmt_time(r->sent_at, sent, sizeof sent);
        if (r->order_id > 0)
            snprintf(order, sizeof order, "%lld", (long long)r->order_id);
        else
            snprintf(order, sizeof order, "-");
        printf("%-6lld %-6s %-3lld %-20s %-20s %-8s %-5s %-4s %s %s%s%s\n", (long long)r->id,
               r->state, (long long)r->attempts, next, sent, order, r->tmpl, r->lang, r->to,
               r->message_id ? r->message_id : "-", r->last_error ? " error: " : "",
               r->last_error ? r->last_error : "");
    }
    outbox_rows_free(rows, n);
    return 0;
}

int cmd_mail(int argc, char **argv)
{
    struct opts o;
    if (argc < 2 || parse(argc, argv, &o) < 0)
        return usage();
    const char *sub = argv[1];
    int is_test = strcmp(sub, "test") == 0, is_run = strcmp(sub, "run") == 0,
        is_list = strcmp(sub, "list") == 0;
    if ((!is_test && !is_run && !is_list) || (is_test && o.to == NULL) ||
        (!is_test && (o.to || o.lang)) || (!is_run && o.once) || (!is_list && o.state))
        return usage();
    struct config *cfg = NULL;
    struct db *db = NULL;
    int status = 1;
    if (open_all(o.dir, &cfg, &db) == 0)
        status = is_test ? do_test(db, &o) : is_run ? do_run(db, cfg, &o) : do_list(db, &o);
    db_close(db);
    config_free(cfg);
    return status;
}
