/* SPDX-License-Identifier: MIT */
/* The metrics listener (see metrics.h): one libmicrohttpd daemon with one thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "core/log.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/policy.h"
#include "ra/mpic.h"
#include "store/dbpool.h"
#include "store/opsstats.h"
#include "web/metrics.h"
#include "web/mhd_lib.h"

#define ALLOW_MAX         16
#define SCRAPE_DB_WAIT_MS 1000

struct metrics_server {
    struct MHD_Daemon *d;
    struct dbpool *pool;
    int nallow;
    char allow[ALLOW_MAX][64]; /* normalized addresses */
};

/* The text form of an address as inet_ntop writes it (so "::1" and "0::1" agree). */
static int norm(int af, const void *bin, char *out, size_t n)
{
    return inet_ntop(af, bin, out, (socklen_t)n) != NULL ? 0 : -1;
}

static int allowed(const struct metrics_server *m, const struct sockaddr *sa)
{
    char ip[64] = "";
    if (sa == NULL)
        return 0;
    if (sa->sa_family == AF_INET) {
        norm(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip, sizeof ip);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            norm(AF_INET, &a->s6_addr[12], ip, sizeof ip);
        else
            norm(AF_INET6, a, ip, sizeof ip);
    }
    for (int i = 0; i < m->nallow; i++)
        if (strcmp(ip, m->allow[i]) == 0)
            return 1;
    return 0;
}

/* The database's figures as gauges; a database that does not answer says so in
 * shomei_db_up 0 and leaves the rest out. */
static void db_gauges(struct metrics_server *m, struct buf *o)
{
    struct sm_err e = {0};
    struct opsstats s;
    int64_t now = (int64_t)time(NULL);
    struct db *db = dbpool_acquire(m->pool, SCRAPE_DB_WAIT_MS);
    int rc = db != NULL ? opsstats_read(db, now, &s, &e) : -SM_E_DB_BUSY;
    dbpool_release(m->pool, db);
    buf_puts(o, "# HELP shomei_db_up 1 when the scrape could read the database.\n"
                "# TYPE shomei_db_up gauge\n");
    buf_printf(o, "shomei_db_up %d\n", rc == 0);
    if (rc < 0)
        return;
    buf_printf(o,
               "# HELP shomei_mail_outbox_depth Mails queued and not sent yet.\n"
               "# TYPE shomei_mail_outbox_depth gauge\nshomei_mail_outbox_depth %lld\n"
               "# HELP shomei_mail_outbox_oldest_seconds Age of the oldest queued mail.\n"
               "# TYPE shomei_mail_outbox_oldest_seconds gauge\n"
               "shomei_mail_outbox_oldest_seconds %lld\n",
               (long long)s.outbox_queued,
               (long long)(s.outbox_oldest_at > 0 ? now - s.outbox_oldest_at : 0));
    char v[200];
    buf_puts(o, "# HELP shomei_jobs_due Jobs due and not held by any node, by kind.\n"
                "# TYPE shomei_jobs_due gauge\n");
    for (size_t i = 0; i < s.njobs; i++) {
        metrics_label_value(v, sizeof v, s.jobs[i].key);
        buf_printf(o, "shomei_jobs_due{kind=\"%s\"} %lld\n", v, (long long)s.jobs[i].a);
    }
    buf_puts(o, "# HELP shomei_job_lag_seconds How long the longest-waiting due job of a kind "
                "has waited.\n# TYPE shomei_job_lag_seconds gauge\n");
    for (size_t i = 0; i < s.njobs; i++) {
        metrics_label_value(v, sizeof v, s.jobs[i].key);
        buf_printf(o, "shomei_job_lag_seconds{kind=\"%s\"} %lld\n", v, (long long)s.jobs[i].b);
    }
    buf_puts(o, "# HELP shomei_crl_age_seconds Seconds since the thisUpdate of each CRL.\n"
                "# TYPE shomei_crl_age_seconds gauge\n");
    for (size_t i = 0; i < s.ncrls; i++) {
        metrics_label_value(v, sizeof v, s.crls[i].key);
        buf_printf(o, "shomei_crl_age_seconds{crl=\"%s\"} %lld\n", v,
                   (long long)(now - s.crls[i].a));
    }
    buf_puts(o, "# HELP shomei_crl_next_update_seconds Seconds until the nextUpdate of each "
                "CRL (negative: past).\n# TYPE shomei_crl_next_update_seconds gauge\n");
    for (size_t i = 0; i < s.ncrls; i++) {
        metrics_label_value(v, sizeof v, s.crls[i].key);
        buf_printf(o, "shomei_crl_next_update_seconds{crl=\"%s\"} %lld\n", v,
                   (long long)(s.crls[i].b - now));
    }
    opsstats_clear(&s);
}

/* Issue 11 item 3 (R-VAL-8): the seconds since each remote perspective last gave a usable
 * answer (since it was configured, when it never did), so that one that is down shows as
 * a growing age; and the perspectives configured against those required at this date. */
static void mpic_gauges(struct buf *o)
{
    struct mpic_health h[32];
    size_t n = mpic_health_read(h, sizeof h / sizeof h[0]);
    int64_t now = (int64_t)clock_now();
    buf_puts(o, "# HELP shomei_mpic_perspective_last_success_age_seconds Seconds since the "
                "perspective's last usable answer (since start when none).\n"
                "# TYPE shomei_mpic_perspective_last_success_age_seconds gauge\n");
    for (size_t i = 0; i < n && i < sizeof h / sizeof h[0]; i++) {
        char who[96], rir[32];
        metrics_label_value(who, sizeof who, h[i].label);
        metrics_label_value(rir, sizeof rir, h[i].rir);
        int64_t from = h[i].last_ok_at > 0 ? h[i].last_ok_at : h[i].since;
        buf_printf(o,
                   "shomei_mpic_perspective_last_success_age_seconds{perspective=\"%s\","
                   "rir=\"%s\"} %lld\n",
                   who, rir, (long long)(now > from ? now - from : 0));
    }
    buf_printf(o,
               "# HELP shomei_mpic_perspectives Remote perspectives configured.\n"
               "# TYPE shomei_mpic_perspectives gauge\nshomei_mpic_perspectives %zu\n"
               "# HELP shomei_mpic_perspectives_required Remote perspectives the rules require "
               "at this date (BR 3.2.2.9).\n"
               "# TYPE shomei_mpic_perspectives_required gauge\n"
               "shomei_mpic_perspectives_required %d\n",
               n, policy_mpic_min_perspectives(clock_now()));
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t n)
{
    struct MHD_Response *r = mhd_fn.MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    mhd_fn.MHD_add_response_header(r, "Content-Type", type);
    mhd_fn.MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = mhd_fn.MHD_queue_response(c, status, r);
    mhd_fn.MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    char *b = sm_strdup(msg);
    return b ? reply(c, status, "text/plain; charset=utf-8", b, strlen(b)) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
    struct metrics_server *m = cls;
    if (*con_cls == NULL) { /* the head; answer once it is complete */
        *con_cls = m;
        return MHD_YES;
    }
    if (*data_size > 0) {
        *data_size = 0; /* a body is read and ignored */
        return MHD_YES;
    }
    const union MHD_ConnectionInfo *ci =
        mhd_fn.MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!allowed(m, ci ? ci->client_addr : NULL))
        return text(c, 403, "forbidden\n");
    if (strcmp(url, "/metrics") != 0)
        return text(c, 404, "not found: only /metrics here\n");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return text(c, 405, "GET /metrics\n");
    struct buf o = BUF_INIT;
    struct buf g = BUF_INIT;
    db_gauges(m, &g);
    mpic_gauges(&g);
    int rc = metrics_render(&o, g.p ? g.p : "");
    buf_free(&g);
    if (rc < 0 || o.p == NULL) {
        buf_free(&o);
        return text(c, 500, "out of memory\n");
    }
    size_t n = 0;
    char *body = buf_detach(&o, &n);
    return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", body, n);
}

/* ADDRESS:PORT or [V6]:PORT */
static int parse_listen(const char *s, struct sockaddr_storage *ss, struct sm_err *e)
{
    char host[64];
    const char *port;
    memset(ss, 0, sizeof *ss);
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
            goto bad;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || (size_t)(colon - s) >= sizeof host)
            goto bad;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    char *stop;
    long long p = strtoll(port, &stop, 10);
    if (*port == '\0' || *stop != '\0' || p < 0 || p > 65535)
        goto bad;
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p);
        return 0;
    }
bad:
    return sm_err_set(e, SM_E_CONFIG, "metrics.listen",
                      "[metrics] listen = '%s' is not ADDRESS:PORT or [V6]:PORT", s);
}

static int parse_allow(struct metrics_server *m, const char *list, struct sm_err *e)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        char ip[64];
        unsigned char bin[16];
        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        size_t k = n;
        while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
            k--;
        if (k > 0) {
            if (k >= sizeof ip || m->nallow >= ALLOW_MAX)
                return sm_err_set(e, SM_E_CONFIG, "metrics.allow", "[metrics] allow: too long");
            memcpy(ip, p, k);
            ip[k] = '\0';
            int af = inet_pton(AF_INET, ip, bin) == 1    ? AF_INET
                     : inet_pton(AF_INET6, ip, bin) == 1 ? AF_INET6
                                                         : 0;
            if (af == 0)
                return sm_err_set(e, SM_E_CONFIG, "metrics.allow",
                                  "[metrics] allow: '%s' is not an IP address", ip);
            norm(af, bin, m->allow[m->nallow++], sizeof m->allow[0]);
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

int metrics_server_start(const struct config *cfg, struct dbpool *pool, struct metrics_server **out,
                         struct sm_err *e)
{
    *out = NULL;
    const char *listen = config_str(cfg, "metrics", "listen");
    if (listen[0] == '\0')
        return 0;
    struct sockaddr_storage ss;
    int rc = mhd_load(e);
    if (rc == 0)
        rc = parse_listen(listen, &ss, e);
    if (rc < 0)
        return rc;
    struct metrics_server *m = sm_calloc(1, sizeof *m);
    if (m == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    m->pool = pool;
    rc = parse_allow(m, config_str(cfg, "metrics", "allow"), e);
    if (rc < 0) {
        free(m);
        return rc;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->d = mhd_fn.MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &ss,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_END);
    if (m->d == NULL) {
        free(m);
        return sm_err_set(e, SM_E_IO, "metrics.listen", "cannot listen on %s for metrics", listen);
    }
    log_info("metrics listening", "listen", listen);
    *out = m;
    return 0;
}

void metrics_server_stop(struct metrics_server *m)
{
    if (m == NULL)
        return;
    mhd_fn.MHD_stop_daemon(m->d);
    free(m);
}
