/* SPDX-License-Identifier: MIT */
/* shomei serve --dir DIR [--port P]: loads DIR/shomei.ini and runs the web server until
 * SIGINT or SIGTERM. Flag parsing and configuration only; the server is web/server.c.
 * --port also moves base_url when that is not set (see core/config.h). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "jobs/mailer.h"
#include "jobs/issuer.h"
#include "ra/issuer.h"
#include "ra/ocsp.h"
#include "jobs/revocation.h"
#include "jobs/subscriptions.h"
#include "jobs/vetting.h"
#include "net/dns.h"
#include "net/fetch.h"
#include "ra/acme_order.h"
#include "ra/mpic.h"
#include "ra/context.h"
#include "store/db.h"
#include "web/server.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei serve --dir DIR [--port P]\n");
    return 2;
}

static void set_log_level(const struct config *cfg)
{
    static const struct {
        const char *name;
        enum log_level level;
    } levels[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    const char *l = config_str(cfg, "log", "level");
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(l, levels[i].name) == 0)
            log_set_level(levels[i].level);
}

/* The port of an http(s) URL (80 / 443 when not written), or -1. */
static long url_port(const char *url)
{
    long def = strncmp(url, "https://", 8) == 0 ? 443 : strncmp(url, "http://", 7) == 0 ? 80 : -1;
    if (def < 0)
        return -1;
    const char *host = strstr(url, "://") + 3;
    size_t n = strcspn(host, "/?#");
    const char *end = host + n, *colon = NULL;
    for (const char *p = host; p < end; p++)
        if (*p == ':')
            colon = p;
        else if (*p == ']')
            colon = NULL; /* a colon inside [v6] is not the port's */
    if (colon == NULL || colon + 1 == end)
        return def;
    char *stop;
    errno = 0;
    long long v = strtoll(colon + 1, &stop, 10);
    return errno == 0 && stop == end && v > 0 && v <= 65535 ? (long)v : -1;
}

/* Issue 8 item 3: links in mails and certificates use base_url; an explicit one that
 * names another port than the one served here is said at start (right only behind a
 * proxy that forwards that address here). */
static void check_base_url(const struct config *cfg)
{
    const char *base = config_str(cfg, "server", "base_url");
    const char *port = config_str(cfg, "server", "port");
    if (!config_base_url_explicit(cfg)) {
        log_info("base_url follows the listening port", "base_url", base);
        return;
    }
    long p = url_port(base);
    char *stop;
    errno = 0;
    long long want = strtoll(port, &stop, 10);
    if (p < 0 || errno != 0 || *stop != '\0' || p != want)
        log_warn("[server] base_url does not point at the port this server listens on; links "
                 "in mails and certificates use base_url",
                 "base_url", base, "port", port);
}

static void on_hup(int sig)
{
    (void)sig;
    log_reopen();
}

/* [log] file: the log (access log included) goes to a file rotated by size; SIGHUP
 * reopens it for an external logrotate (issue 8 item 18). */
static int open_log(const struct config *cfg, struct sm_err *e)
{
    const char *f = config_str(cfg, "log", "file");
    char path[LOG_PATH_MAX];
    int64_t max = 0, keep = 0;
    if (f[0] == '\0')
        return 0;
    if (config_path(cfg, f, path, sizeof path) < 0)
        return sm_err_set(e, SM_E_CONFIG, "log.file", "[log] file: path too long");
    int rc = config_int(cfg, "log", "max_bytes", 0, INT64_MAX, &max, e);
    if (rc == 0)
        rc = config_int(cfg, "log", "keep", 1, 99, &keep, e);
    if (rc == 0)
        rc = log_open_file(path, max, (int)keep, e);
    if (rc == 0) {
        struct sigaction sa = {.sa_handler = on_hup, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGHUP, &sa, NULL);
    }
    return rc;
}

static int migrate(const struct config *cfg, struct sm_err *e)
{
    struct db *db = NULL;
    int rc = db_open(config_str(cfg, "database", "url"), config_dir(cfg), &db, e);
    if (rc == 0)
        rc = db_migrate(db, e);
    if (rc == 0)
        rc = issuer_check_token_keys(db, cfg, e); /* a wrong HSM PIN stops the start */
    db_close(db);
    return rc;
}

/* Refuses to start with a relaxation outside test mode or without a usable root trust
 * anchor (issue 8 items 25-27); says loudly when the test relaxations are on. */
static int check_validation(const struct config *cfg, struct sm_err *e)
{
    if (config_not_for_production(cfg))
        log_warn("NOT FOR PRODUCTION: [testing] not_for_production = true allows own trust "
                 "anchors, the test. zone, other DCV ports and loopback targets",
                 "data_dir", config_dir(cfg));
    struct fetch_opts fo;
    struct acme_limits lim;
    struct dns *d = NULL;
    int rc = fetch_opts_from_config(cfg, &fo, e);
    if (rc == 0) /* ACME's rate limits: a bad value stops the start, not a newOrder */
        rc = acme_limits_from_config(cfg, &lim, e);
    if (rc == 0)
        rc = dns_open(cfg, &d, e);
    if (rc == 0)
        rc = dns_check_anchor(d, e);
    dns_close(d);
    if (rc == -SM_E_IO) { /* no answer now (offline?): lookups fail closed until there is */
        log_warn("DNSSEC root trust anchor not checked at start", "why", e->detail);
        rc = 0;
    }
    /* R-VAL-8: the remote perspectives; too few for the date = validation refused */
    if (rc == 0)
        rc = mpic_configure(cfg, e);
    if (rc == 0) {
        char st[200];
        struct sm_err me = {0};
        mpic_status_text(clock_now(), st, sizeof st);
        if (mpic_ready(clock_now(), &me) < 0)
            log_warn("domain validation will be refused: too few remote perspectives", "why",
                     me.detail);
        else
            log_info("multi-perspective corroboration", "status", st);
    }
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    const char *dir = NULL, *port = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = argv[++i];
        else
            return usage();
    }
    if (dir == NULL)
        return usage();
    if (port != NULL) {
        char *end;
        errno = 0;
        long long p = strtoll(port, &end, 10);
        if (errno != 0 || end == port || *end != '\0' || p < 0 || p > 65535) {
            fprintf(stderr, "shomei serve: --port must be a number in 0..65535\n");
            return 2;
        }
    }
    struct sm_err e = {0};
    struct config *cfg = NULL;
    struct ra_ctx ra;
    if (config_load(dir, &cfg, &e) < 0) {
        fprintf(stderr, "shomei serve: %s\n", e.detail);
        return 1;
    }
    set_log_level(cfg);
    int rc = port ? config_set(cfg, "server", "port", port) : 0;
    if (rc == 0)
        rc = open_log(cfg, &e);
    if (rc == 0)
        check_base_url(cfg);
    if (rc == 0)
        rc = check_validation(cfg, &e);
    if (rc == 0)
        rc = cli_weak_keys(cfg, &e); /* before any thread checks a key */
    if (rc == 0)
        rc = migrate(cfg, &e); /* a data directory of an older version gets the new tables */
    if (rc == 0)
        rc = mailer_worker_start(cfg, &e); /* R-NOT-2: queued notices go out */
    if (rc == 0)
        rc = ra_ctx_init(&ra, cfg, &e); /* the RA context, once for requests and jobs */
    if (rc == 0)
        rc = vetting_worker_start(&ra, cfg, &e); /* DCV retries, issuance of validated orders */
    if (rc == 0)
        rc = issuer_worker_start(&ra, cfg, &e); /* issuance of approved orders (issue 8 item 5) */
    if (rc == 0)
        rc = revocation_worker_start(cfg, &e); /* CRLs, scheduled revocations (R-REV-1/2) */
    if (rc == 0)
        rc = subscription_worker_start(cfg, &e); /* reminders, auto-cancel (R-REN-1, R-REN-4) */
    if (rc == 0)
        rc = server_run(cfg, &ra, &e);
    subscription_worker_stop();
    revocation_worker_stop();
    issuer_worker_stop();
    vetting_worker_stop();
    mailer_worker_stop();
    issuer_cache_close(); /* the CA keys kept open by the jobs, cleared */
    ocsp_cache_clear();
    dns_idle_close(); /* the resolvers kept by [dns] cache_seconds */
    config_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "shomei serve: %s\n", e.detail[0] ? e.detail : sm_err_name(-rc));
        return 1;
    }
    return 0;
}
