/* SPDX-License-Identifier: MIT */
/* libmicrohttpd daemon, request lifecycle (body accumulation with a cap, routing, input
 * checks, dispatch, access log) and clean shutdown on SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/failalloc.h"
#include "core/log.h"
#include "store/dbpool.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/tmpl.h"
#include "web/server.h"

/* Past the cap a body is read and dropped up to this many times max_body, then the
 * connection is closed (only chunked bodies get here: a Content-Length over the cap is
 * answered 413 before any of the body is read). */
#define DISCARD_FACTOR 4

static void release_db(struct req *r);

static void req_free(struct req *r)
{
    if (r == NULL)
        return;
    release_db(r);
    sodium_memzero(&r->user, sizeof r->user);
    buf_free(&r->body);
    form_free(&r->form);
    free(r->path);
    free(r);
}

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct req *r = *con_cls;
    if (r == NULL)
        return;
    char status[8], bytes[24], ms[24];
    snprintf(status, sizeof status, "%d", r->replied ? r->status : 0);
    snprintf(bytes, sizeof bytes, "%zu", r->sent);
    snprintf(ms, sizeof ms, "%.1f", elapsed_ms(&r->started));
    log_info("request", "method", r->method, "path", r->path, "status", status, "bytes", bytes,
             "ms", ms, "lang", r->lang, "end",
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted");
    req_free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    log_warn("http server", "detail", msg);
}

static struct req *req_new(const struct web *w, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    struct req *r = sm_calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    r->conn = conn;
    r->web = w;
    snprintf(r->method, sizeof r->method, "%s", method);
    r->path = sm_strdup(url);
    if (r->path == NULL) {
        free(r);
        return NULL;
    }
    r->body.max = w->max_body;
    const char *ql = req_query(r, "lang");
    r->lang_forced = i18n_lang(ql) != NULL;
    r->lang = i18n_choose(ql, req_cookie(r, "lang"), req_header(r, "Accept-Language"));
    if (i18n_lang(ql) != NULL && !req_wants_json(r))
        http_set_cookie(r, "lang", r->lang, 365L * 24 * 3600);
    return r;
}

/* The credential of the request: a Bearer API key on RF_API routes, the session cookie
 * elsewhere. Fills r->user; an invalid credential leaves the request anonymous. Negative
 * after answering 503 when a non-public route cannot reach the database. */
static int authenticate(struct req *r)
{
    const struct web *w = r->web;
    const char *cred = NULL;
    int api = (r->route->flags & RF_API) != 0;
    if (api) {
        const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
        if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
            cred = h + 7;
    } else {
        cred = req_cookie(r, SESSION_COOKIE);
    }
    /* static files and the repository need no user: no database lookup for them */
    if (cred == NULL || *cred == '\0' || w->pool == NULL ||
        (r->route->role == ROLE_PUBLIC && (r->route->flags & RF_CACHE)))
        return 0;
    struct db *db = req_db(r);
    if (db == NULL) {
        if (r->route->role == ROLE_PUBLIC)
            return 0;
        http_reply_error(r, 503, "web.db_unavailable", NULL);
        return -1;
    }
    struct sm_err e = {0};
    int rc = api ? account_apikey_user(db, cred, &r->user, &e)
                 : account_session_user(db, &w->acct, cred, &r->user, r->session_hash, &e);
    if (rc < 0) {
        memset(&r->user, 0, sizeof r->user);
        if (rc != -SM_E_NOTFOUND)
            log_error("authentication failed", "code", sm_err_name(-rc), "detail", e.detail);
        else if (!api)
            http_set_cookie(r, SESSION_COOKIE, "", 0); /* stale cookie: drop it */
        return 0;
    }
    r->auth = api ? AUTH_API_KEY : AUTH_SESSION;
    if (!r->lang_forced && i18n_lang(r->user.locale) != NULL)
        r->lang = i18n_lang(r->user.locale);
    return 0;
}

/* Role of the route against the user (see router.h). Negative after answering. */
static int authorize(struct req *r)
{
    enum route_role need = r->route->role;
    if (need == ROLE_PUBLIC)
        return 0;
    if (r->auth == AUTH_NONE) {
        if (req_wants_json(r)) {
            http_reply_error(r, 401, "web.unauthorized", NULL);
            return -1;
        }
        struct buf loc = BUF_INIT;
        int rc = buf_puts(&loc, "/login?next=");
        if (rc == 0)
            rc = tmpl_escape_url(&loc, r->path);
        if (rc == 0)
            http_redirect(r, 303, loc.p);
        else
            http_reply_error(r, 503, "err.nomem", NULL);
        buf_free(&loc);
        return -1;
    }
    if ((int)r->user.role < (int)need) {
        log_info("role refused", "path", r->path, "role", user_role_name(r->user.role), "need",
                 router_role_name(need));
        http_reply_error(r, 404, "web.notfound", NULL);
        return -1;
    }
    return 0;
}

/* Routes a request on its first call; may answer (404, 405, 413) at once. */
static void begin(struct req *r)
{
    const struct web *w = r->web;
    char allow[64];
    int i =
        router_match(w->routes, w->nroutes, r->method, r->path, &r->params, allow, sizeof allow);
    if (i == ROUTER_NOT_FOUND) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    if (i == ROUTER_NO_METHOD) {
        http_reply_405(r, allow);
        return;
    }
    r->route = &w->routes[i];
    if (authenticate(r) < 0 || authorize(r) < 0)
        return;
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end;
        errno = 0;
        long long n = strtoll(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || n < 0 || (unsigned long long)n > w->max_body)
            http_reply_error(r, 413, "web.too_large", NULL);
    }
}

/* Takes a piece of the body: kept for routes that read it, dropped otherwise (a dropped
 * body also counts against max_body). 0, or -1 when the connection should be closed. */
static int take_body(struct req *r, const char *data, size_t n)
{
    int wants = r->route != NULL && (r->route->flags & (RF_FORM | RF_BODY));
    if (wants && !r->too_large) {
        int rc = buf_append(&r->body, data, n);
        if (rc == 0)
            return 0;
        r->too_large = rc == -SM_E_TOO_LARGE ? 1 : 2;
        buf_free(&r->body);
    }
    r->discarded += n;
    if (!wants && r->discarded > r->web->max_body && !r->too_large)
        r->too_large = 1;
    if (r->too_large && r->discarded > DISCARD_FACTOR * r->web->max_body)
        return -1;
    return 0;
}

/* Gives the request's database connection back to the pool. A connection is held only
 * while this thread runs code for the request (begin, dispatch), never across callbacks,
 * so requests interleaved on one thread cannot starve each other. */
static void release_db(struct req *r)
{
    if (r->db != NULL) {
        dbpool_release(r->web->pool, r->db);
        r->db = NULL;
    }
}

static void dispatch(struct req *r)
{
    if (r->too_large) {
        if (r->too_large == 1)
            http_reply_error(r, 413, "web.too_large", NULL);
        else
            http_reply_error(r, 503, "err.nomem", NULL);
        return;
    }
    unsigned flags = r->route->flags;
    if ((flags & RF_FORM) && req_form_or_reply(r) < 0)
        return;
    if ((flags & RF_CSRF) && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0 &&
        req_csrf_or_reply(r) < 0)
        return;
    r->route->handler(r);
    if (!r->replied) {
        log_error("handler gave no answer", "path", r->path);
        http_reply_error(r, 500, "err.internal", NULL);
    }
    release_db(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    const struct web *w = cls;
    struct req *r = *con_cls;
    if (r == NULL) {
        r = req_new(w, conn, url, method);
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        begin(r);
        release_db(r);
        return MHD_YES;
    }
    if (r->replied) { /* answered on the first call; MHD drops the rest */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        int rc = take_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    dispatch(r);
    return MHD_YES;
}

static void on_signal(int sig) { (void)sig; }

struct listen_addr {
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    int v6;
};

static int parse_bind(const char *bind, uint16_t port, struct listen_addr *a)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, bind, &a->sa.v4.sin_addr) == 1) {
        a->sa.v4.sin_family = AF_INET;
        a->sa.v4.sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, bind, &a->sa.v6.sin6_addr) == 1) {
        a->sa.v6.sin6_family = AF_INET6;
        a->sa.v6.sin6_port = htons(port);
        a->v6 = 1;
        return 0;
    }
    return -1;
}

static int settings(struct config *cfg, struct web *w, int64_t *port, int64_t *threads,
                    struct sm_err *e)
{
    int64_t max_body;
    int rc = config_int(cfg, "server", "port", 0, 65535, port, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "threads", 1, 256, threads, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "max_body", 1024, (int64_t)1 << 30, &max_body, e);
    if (rc < 0)
        return rc;
    w->cfg = cfg;
    w->max_body = (size_t)max_body;
    w->secure_cookies = config_bool(cfg, "server", "secure_cookies");
    w->test_ca = config_bool(cfg, "ca", "test_ca");
    w->routes = web_routes;
    w->nroutes = web_nroutes;
    rc = account_policy_load(cfg, &w->acct, e);
    if (rc == 0)
        rc = dbpool_open(config_str(cfg, "database", "url"), config_dir(cfg), (size_t)*threads * 2,
                         1, &w->pool, e);
    if (rc < 0)
        return rc;
    char path[4096];
    if (config_path(cfg, "secret.key", path, sizeof path) < 0)
        return sm_err_set(e, SM_E_CONFIG, "dir", "data directory path too long");
    return csrf_secret_load(path, w->secret, e);
}

int server_run(struct config *cfg, struct sm_err *e)
{
    struct web w = {0};
    int64_t port, threads;
    int rc = i18n_init(e);
    if (rc == 0)
        rc = settings(cfg, &w, &port, &threads, e);
    if (rc < 0) {
        dbpool_close(w.pool);
        return rc;
    }
    const char *bind = config_str(cfg, "server", "bind");
    struct listen_addr la;
    if (parse_bind(bind, (uint16_t)port, &la) < 0) {
        dbpool_close(w.pool);
        return sm_err_set(e, SM_E_CONFIG, "bind", "[server] bind = '%s' is not an IP address",
                          bind);
    }

    /* A handler (not SIG_IGN, which shells give background jobs for SIGINT) so that the
     * signals stay pending for sigwait; blocked before the pool threads inherit the mask. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (la.v6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, &w, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, &la.sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (d == NULL) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        dbpool_close(w.pool);
        return sm_err_set(e, SM_E_IO, "port", "cannot listen on %s port %lld", bind,
                          (long long)port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned actual = info ? info->port : (unsigned)port;
    printf("shomei serving on http://%s%s%s:%u\n", la.v6 ? "[" : "", bind, la.v6 ? "]" : "",
           actual);
    fflush(stdout);
    char ports[8];
    snprintf(ports, sizeof ports, "%u", actual);
    log_info("server started", "bind", bind, "port", ports);

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_info("server stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    MHD_stop_daemon(d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    dbpool_close(w.pool);
    sodium_memzero(w.secret, sizeof w.secret);
    log_info("server stopped");
    return 0;
}
