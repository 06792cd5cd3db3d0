/* SPDX-License-Identifier: MIT */
/* libmicrohttpd daemon, request lifecycle (body accumulation with a cap, routing, input
 * checks, dispatch, access log) and clean shutdown on SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/failalloc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "pki/tlspair.h"
#include "ra/apikey.h"
#include "ra/login.h"
#include "store/dbpool.h"
#include "web/auth.h"
#include "web/guard.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/metrics.h"
#include "web/mhd_lib.h"
#include "web/pagecache.h"
#include "web/server.h"

/* Past the cap a body is read and dropped up to this many times max_body, then the
 * connection is closed (only chunked bodies get here: a Content-Length over the cap is
 * answered 413 before any of the body is read). */
#define DISCARD_FACTOR 4
/* Multipart framing around an uploaded file (boundaries, part headers, the other fields). */
#define UPLOAD_OVERHEAD ((size_t)64 << 10)
/* Connections per worker thread when [server] max_connections is 0. */
#define CONN_PER_THREAD 64
/* Seconds between the health thread's database checks, and its longest wait. */
#define HEALTH_PERIOD_S 2
#define HEALTH_WAIT_MS  500
/* Largest PEM file taken for [server] tls_cert or tls_key. */
#define TLS_FILE_MAX ((size_t)1 << 20)

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
    struct req *r = *con_cls;
    if (r == NULL)
        return;
    char status[8], bytes[24], ms[24];
    snprintf(status, sizeof status, "%d", r->replied ? r->status : 0);
    snprintf(bytes, sizeof bytes, "%zu", r->sent);
    snprintf(ms, sizeof ms, "%.1f", elapsed_ms(&r->started));
    log_info("request", "method", r->method, "path", r->path, "status", status, "bytes", bytes,
             "ms", ms, "lang", r->lang, "client", r->client, "end",
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted");
    /* R-OPS-1: responses by route pattern (not path: ids would make a series each) */
    char labels[300], route[200];
    metrics_label_value(route, sizeof route, r->route ? r->route->pattern : "unmatched");
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%s\"", route,
             r->route ? r->route->method : "other", status);
    metrics_count(MF_HTTP, labels);
    guard_request_done(r->web->guard, conn);
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

/* An IP address in text form (v4 or v6) fitting n bytes; 1 when s is one. */
static int ip_text(const char *s, size_t len, char *out, size_t n)
{
    unsigned char a[sizeof(struct in6_addr)];
    char tmp[64];
    if (len == 0 || len >= sizeof tmp || len >= n)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, a) != 1 && inet_pton(AF_INET6, tmp, a) != 1)
        return 0;
    memcpy(out, tmp, len + 1);
    return 1;
}

/* r->client: the peer address; from [server] trusted_proxy, the client it names in
 * X-Real-IP, else the last address of X-Forwarded-For (the one the proxy appended). */
static void client_addr(struct req *r)
{
    snprintf(r->client, sizeof r->client, "-");
    const union MHD_ConnectionInfo *ci =
        mhd_fn.MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->client,
                  sizeof r->client);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->client,
                  sizeof r->client);
    if (r->web->trusted_proxy[0] == '\0' || strcmp(r->client, r->web->trusted_proxy) != 0)
        return;
    const char *real = req_header(r, "X-Real-IP");
    if (real != NULL && ip_text(real, strlen(real), r->client, sizeof r->client))
        return;
    const char *xff = req_header(r, "X-Forwarded-For");
    if (xff == NULL)
        return;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    size_t n = strlen(last);
    while (n > 0 && last[n - 1] == ' ')
        n--;
    ip_text(last, n, r->client, sizeof r->client);
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
    client_addr(r);
    const char *ql = req_query(r, "lang");
    r->lang_forced = i18n_lang(ql) != NULL;
    r->lang = i18n_choose(ql, req_cookie(r, "lang"), req_header(r, "Accept-Language"));
    if (i18n_lang(ql) != NULL && !req_wants_json(r))
        http_set_cookie(r, "lang", r->lang, 365L * 24 * 3600);
    return r;
}

/* The body limit of the request's route. */
static size_t body_limit(const struct req *r)
{
    const struct web *w = r->web;
    return r->route != NULL && (r->route->flags & RF_UPLOAD) ? w->max_upload : w->max_body;
}

struct framing {
    int content_lengths;
    char first_cl[32];
    int conflicting_cl;
    int bad_bytes; /* NUL or CR inside a header line */
    int transfer_encodings;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct framing *f = cls;
    if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size) ||
        memchr(key, '\r', key_size) != NULL ||
        (value != NULL && memchr(value, '\r', value_size) != NULL))
        f->bad_bytes = 1;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->content_lengths++ == 0)
            snprintf(f->first_cl, sizeof f->first_cl, "%s", value ? value : "");
        else if (value == NULL || strcmp(value, f->first_cl) != 0)
            f->conflicting_cl = 1;
    }
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        f->transfer_encodings++;
    return MHD_YES;
}

/* Refuses what a request smuggler or a broken client sends (issue 8 item 17): conflicting
 * Content-Length headers, Transfer-Encoding other than one "chunked" or with a
 * Content-Length, NUL or a bare CR inside a header, HTTP/1.1 without Host. 0, or negative
 * after answering 400 with Connection: close. */
static int framing_ok(struct req *r, const char *version)
{
    struct framing f = {0};
    mhd_fn.MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, framing_header, &f);
    const char *te = req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *why = NULL;
    if (f.bad_bytes)
        why = "control byte in a header";
    else if (f.conflicting_cl)
        why = "conflicting Content-Length";
    else if (f.transfer_encodings > 1 || (te != NULL && strcasecmp(te, "chunked") != 0))
        why = "unsupported Transfer-Encoding";
    else if (te != NULL && f.content_lengths > 0)
        why = "Transfer-Encoding with Content-Length";
    else if (version != NULL && strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
             req_header(r, MHD_HTTP_HEADER_HOST) == NULL)
        why = "HTTP/1.1 without Host";
    if (why == NULL)
        return 0;
    log_info("malformed request refused", "client", r->client, "detail", why);
    r->close = 1;
    http_reply_error(r, 400, "web.bad_request", NULL);
    return -1;
}

static enum MHD_Result utf8_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    int *bad = cls;
    if (!form_utf8_valid(key, strlen(key)) ||
        (value != NULL && !form_utf8_valid(value, strlen(value))))
        *bad = 1;
    return *bad ? MHD_NO : MHD_YES;
}

/* 400 for a path or query that is not UTF-8 once decoded (issue 8 item 13). */
static int url_ok(struct req *r)
{
    int bad = !form_utf8_valid(r->path, strlen(r->path));
    if (!bad)
        mhd_fn.MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, utf8_arg, &bad);
    if (!bad)
        return 0;
    http_reply_error(r, 400, "web.url_utf8", NULL);
    return -1;
}

/* Routes a request on its first call; may answer (400, 404, 405, 413) at once. */
static void begin(struct req *r, const char *version)
{
    const struct web *w = r->web;
    char allow[64];
    if (framing_ok(r, version) < 0 || url_ok(r) < 0)
        return;
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
    r->body.max = body_limit(r);
    if (web_auth_check(r) < 0) /* the route's authenticator, then its role */
        return;
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end;
        errno = 0;
        long long n = strtoll(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || n < 0 ||
            (unsigned long long)n > body_limit(r))
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
    if (!wants && r->discarded > body_limit(r) && !r->too_large)
        r->too_large = 1;
    if (r->too_large && r->discarded > DISCARD_FACTOR * body_limit(r))
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
    const struct web *w = cls;
    struct req *r = *con_cls;
    if (r == NULL) {
        guard_head_done(w->guard, conn);
        r = req_new(w, conn, url, method);
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        begin(r, version);
        release_db(r);
        if (r->replied)
            guard_answered(w->guard, conn);
        return MHD_YES;
    }
    if (r->replied) { /* answered on the first call; MHD drops the rest */
        if (r->close)
            return MHD_NO; /* framing refused: do not read what follows */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        int rc = take_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    dispatch(r);
    guard_answered(w->guard, conn);
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

/* Connection limits and deadlines of [server] (issue 8 item 10). */
struct limits {
    int64_t per_ip, max_conn, head_s, body_s;
};

static int limit_settings(struct config *cfg, int64_t threads, struct limits *l, struct sm_err *e)
{
    int rc = config_int(cfg, "server", "per_ip_connections", 0, 100000, &l->per_ip, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "max_connections", 0, 100000, &l->max_conn, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "header_timeout", 1, 3600, &l->head_s, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "body_timeout", 1, 86400, &l->body_s, e);
    if (rc == 0 && l->max_conn == 0)
        l->max_conn = threads * CONN_PER_THREAD;
    return rc;
}

static int settings(struct config *cfg, struct web *w, int64_t *port, int64_t *threads,
                    struct sm_err *e)
{
    int64_t max_body, max_upload, busy_ms;
    int rc = config_int(cfg, "server", "port", 0, 65535, port, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "threads", 1, 256, threads, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "max_body", 1024, (int64_t)1 << 30, &max_body, e);
    if (rc == 0)
        rc = config_int(cfg, "server", "max_upload", 1024, (int64_t)1 << 31, &max_upload, e);
    if (rc == 0)
        rc = config_int(cfg, "database", "busy_timeout_ms", 10, 600000, &busy_ms, e);
    if (rc < 0)
        return rc;
    const char *proxy = config_str(cfg, "server", "trusted_proxy");
    if (proxy[0] != '\0' &&
        !ip_text(proxy, strlen(proxy), w->trusted_proxy, sizeof w->trusted_proxy))
        return sm_err_set(e, SM_E_CONFIG, "trusted_proxy",
                          "[server] trusted_proxy = '%s' is not an IP address", proxy);
    dbpool_busy_wait((int)busy_ms);
    w->cfg = cfg;
    w->max_body = (size_t)max_body;
    w->max_upload = (size_t)max_upload + UPLOAD_OVERHEAD;
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

/* The health thread: checks every HEALTH_PERIOD_S that the database takes a write,
 * waiting at most HEALTH_WAIT_MS for a connection, and records the result for /healthz. */
struct health_loop {
    struct web_health state;
    struct dbpool *pool;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    pthread_t thread;
    int running;
};

static void health_check(struct health_loop *h)
{
    struct sm_err e = {0};
    int rc = dbpool_ping(h->pool, HEALTH_WAIT_MS, &e);
    int was = atomic_exchange(&h->state.db, rc == 0 ? 1 : 0);
    atomic_store(&h->state.db_code, rc == 0 ? SM_OK : -rc);
    atomic_store(&h->state.db_checked, (long long)time(NULL));
    if (rc < 0 && was != 0)
        log_warn("database check failed", "code", sm_err_name(-rc), "detail", e.detail);
    else if (rc == 0 && was == 0)
        log_info("database check ok again");
}

static void *health_run(void *arg)
{
    struct health_loop *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        pthread_mutex_unlock(&h->mu);
        health_check(h);
        pthread_mutex_lock(&h->mu);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += HEALTH_PERIOD_S;
        if (!h->stop)
            pthread_cond_timedwait(&h->cv, &h->mu, &t);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void health_start(struct health_loop *h, struct dbpool *pool)
{
    memset(h, 0, sizeof *h);
    atomic_store(&h->state.db, -1);
    h->pool = pool;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->running = pool != NULL && pthread_create(&h->thread, NULL, health_run, h) == 0;
}

static void health_stop(struct health_loop *h)
{
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (h->running)
        pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

/* [server] tls_cert and tls_key read into memory (NUL-terminated PEM), or both NULL. */
struct tls_files {
    char *cert, *key;
    size_t cert_len, key_len;
};

static void tls_files_free(struct tls_files *t)
{
    if (t->key != NULL)
        sodium_memzero(t->key, t->key_len);
    free(t->key);
    free(t->cert);
    memset(t, 0, sizeof *t);
}

/* Reads the file a [server] setting names into *out (NUL-terminated). */
static int tls_read(const struct config *cfg, const char *key, char **out, size_t *len,
                    struct sm_err *e)
{
    char path[4096];
    const char *rel = config_str(cfg, "server", key);
    if (config_path(cfg, rel, path, sizeof path) < 0)
        return sm_err_set(e, SM_E_CONFIG, key, "[server] %s: path too long", key);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sm_err_set(e, SM_E_CONFIG, key, "[server] %s: cannot open %s: %s", key, path,
                          strerror(errno));
    struct buf b = BUF_INIT;
    b.max = TLS_FILE_MAX;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (rc == 0 && !bad)
        rc = buf_putc(&b, '\0');
    sodium_memzero(chunk, sizeof chunk);
    if (rc < 0 || bad) {
        if (b.p != NULL)
            sodium_memzero(b.p, b.len);
        buf_free(&b);
        return sm_err_set(e, SM_E_CONFIG, key, "[server] %s: cannot read %s%s", key, path,
                          rc == -SM_E_TOO_LARGE ? " (larger than 1 MiB)" : "");
    }
    *out = buf_detach(&b, len);
    (*len)--; /* the NUL is not part of the PEM */
    return 0;
}

/* Loads [server] tls_cert and tls_key when set (both or neither) and checks that they
 * are a certificate and the key that matches it (issue 10 item 1). */
static int tls_load(const struct config *cfg, struct tls_files *t, struct sm_err *e)
{
    memset(t, 0, sizeof *t);
    int has_cert = config_str(cfg, "server", "tls_cert")[0] != '\0';
    int has_key = config_str(cfg, "server", "tls_key")[0] != '\0';
    if (!has_cert && !has_key)
        return 0;
    if (!has_cert || !has_key)
        return sm_err_set(e, SM_E_CONFIG, has_cert ? "tls_key" : "tls_cert",
                          "[server] tls_cert and tls_key go together: %s is empty",
                          has_cert ? "tls_key" : "tls_cert");
    if (!mhd_fn.MHD_is_feature_supported(MHD_FEATURE_TLS))
        return sm_err_set(e, SM_E_CONFIG, "tls_cert",
                          "[server] tls_cert: this libmicrohttpd has no TLS support");
    int rc = tls_read(cfg, "tls_cert", &t->cert, &t->cert_len, e);
    if (rc == 0)
        rc = tls_read(cfg, "tls_key", &t->key, &t->key_len, e);
    if (rc == 0)
        rc = tls_pair_check(t->cert, t->cert_len, t->key, t->key_len, e);
    if (rc < 0)
        tls_files_free(t);
    return rc;
}

static struct MHD_Daemon *start_daemon(struct web *w, const struct listen_addr *la, int64_t port,
                                       int64_t threads, const struct limits *l,
                                       const struct tls_files *tls)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (la->v6)
        flags |= MHD_USE_IPv6;
    /* With TLS, the certificate and key (GnuTLS takes PEM from memory); the options after
     * them are ignored without it (MHD_OPTION_END ends the list early). */
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, tls->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key},
        {MHD_OPTION_END, 0, NULL},
    };
    if (tls->cert != NULL)
        flags |= MHD_USE_TLS;
    else
        tls_opts[0].option = MHD_OPTION_END;
    /* The inactivity timeout stays as a backstop; the guard's deadlines are shorter.
     * MHD_OPTION_STRICT_FOR_CLIENT is not set: in 0.9.75 its missing-Host answer sends
     * the status line twice; framing_ok refuses such requests itself. */
    return mhd_fn.MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, &la->sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, guard_notify,
        w->guard, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)l->max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)l->per_ip,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
}

int server_run(struct config *cfg, const struct ra_ctx *ra, struct sm_err *e)
{
    struct web w = {.ra = ra};
    int64_t port, threads;
    struct limits lim;
    struct tls_files tls = {0};
    int rc = mhd_load(e);
    if (rc == 0)
        rc = i18n_init(e);
    if (rc == 0)
        rc = tls_load(cfg, &tls, e);
    if (rc == 0)
        rc = settings(cfg, &w, &port, &threads, e);
    if (rc == 0)
        rc = limit_settings(cfg, threads, &lim, e);
    int64_t cache_mb = 0;
    if (rc == 0)
        rc = config_int(cfg, "server", "page_cache_mb", 0, 65536, &cache_mb, e);
    if (rc == 0 && cache_mb > 0 && (w.pcache = pagecache_new((size_t)cache_mb << 20)) == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = guard_start((unsigned)lim.head_s, (unsigned)lim.body_s, &w.guard, e);
    if (rc < 0) {
        tls_files_free(&tls);
        dbpool_close(w.pool);
        pagecache_free(w.pcache);
        return rc;
    }
    const char *bind = config_str(cfg, "server", "bind");
    struct listen_addr la;
    if (parse_bind(bind, (uint16_t)port, &la) < 0) {
        tls_files_free(&tls);
        guard_stop(w.guard);
        dbpool_close(w.pool);
        pagecache_free(w.pcache);
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

    struct health_loop health;
    health_start(&health, w.pool);
    w.health = &health.state;
    struct metrics_server *ms = NULL;
    struct MHD_Daemon *d = NULL;
    rc = metrics_server_start(cfg, w.pool, &ms, e);
    if (rc == 0)
        d = start_daemon(&w, &la, port, threads, &lim, &tls);
    if (d == NULL) {
        metrics_server_stop(ms);
        tls_files_free(&tls);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        health_stop(&health);
        guard_stop(w.guard);
        dbpool_close(w.pool);
        pagecache_free(w.pcache);
        return rc < 0 ? rc
                      : sm_err_set(e, SM_E_IO, "port", "cannot listen on %s port %lld", bind,
                                   (long long)port);
    }
    const union MHD_DaemonInfo *info = mhd_fn.MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned actual = info ? info->port : (unsigned)port;
    printf("shomei serving on %s://%s%s%s:%u\n", tls.cert != NULL ? "https" : "http",
           la.v6 ? "[" : "", bind, la.v6 ? "]" : "", actual);
    fflush(stdout);
    char ports[8];
    snprintf(ports, sizeof ports, "%u", actual);
    log_info("server started", "bind", bind, "port", ports, "tls", tls.cert != NULL ? "on" : "off");

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_info("server stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    mhd_fn.MHD_stop_daemon(d);
    metrics_server_stop(ms);
    tls_files_free(&tls);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    health_stop(&health);
    guard_stop(w.guard);
    dbpool_close(w.pool);
    pagecache_free(w.pcache);
    sodium_memzero(w.secret, sizeof w.secret);
    log_info("server stopped");
    return 0;
}
