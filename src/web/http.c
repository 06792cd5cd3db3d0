/* SPDX-License-Identifier: MIT */
/* Reading requests and writing responses over libmicrohttpd: security headers, cookies,
 * pages through the template engine, error pages and RFC 9457 problem documents.
 * Everything here works on one struct req; nothing is shared between requests. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "store/db.h"
#include "store/dbpool.h"
#include "web/http.h"
#include "web/i18n.h"
#include "web/mhd_lib.h"
#include "web/tmpl.h"

#define PAGE_MAX ((size_t)4 << 20)
/* Pages are rendered into one block of this size that most of them fit (growing by
 * doubling from nothing copies the page several times). */
#define PAGE_START ((size_t)48 << 10)

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

const char *http_status_text(int status)
{
    static const struct {
        int status;
        const char *text;
    } t[] = {{200, "OK"},
             {201, "Created"},
             {204, "No Content"},
             {303, "See Other"},
             {304, "Not Modified"},
             {400, "Bad Request"},
             {401, "Unauthorized"},
             {403, "Forbidden"},
             {404, "Not Found"},
             {405, "Method Not Allowed"},
             {409, "Conflict"},
             {413, "Content Too Large"},
             {415, "Unsupported Media Type"},
             {422, "Unprocessable Content"},
             {429, "Too Many Requests"},
             {500, "Internal Server Error"},
             {501, "Not Implemented"},
             {503, "Service Unavailable"},
             {507, "Insufficient Storage"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].status == status)
            return t[i].text;
    return status < 500 ? "Client Error" : "Server Error";
}

/* ---- reading ---- */

const char *req_header(struct req *r, const char *name)
{
    return r->conn ? mhd_fn.MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name) : NULL;
}

const char *req_query(struct req *r, const char *name)
{
    return r->conn ? mhd_fn.MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name)
                   : NULL;
}

struct query_walk {
    req_query_fn fn;
    void *ctx;
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    struct query_walk *w = cls;
    return w->fn(w->ctx, key, value) == 0 ? MHD_YES : MHD_NO;
}

void req_query_each(struct req *r, req_query_fn fn, void *ctx)
{
    struct query_walk w = {fn, ctx};
    if (r->conn)
        mhd_fn.MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &w);
}

const char *req_cookie(struct req *r, const char *name)
{
    return r->conn ? mhd_fn.MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name) : NULL;
}

const char *req_param(struct req *r, const char *name) { return router_param(&r->params, name); }

const struct form_field *req_form_field(struct req *r, const char *name)
{
    return form_get(&r->form, name);
}

const char *req_form_text(struct req *r, const char *name)
{
    const struct form_field *f = form_get(&r->form, name);
    return f && f->filename == NULL ? f->value : NULL;
}

/* The binding a form of this request is checked against: the session when logged in,
 * else the anonymous cookie. 0, or negative when there is none. */
static int csrf_binding_of(struct req *r, char out[CSRF_BINDING_SIZE])
{
    if (r->cred == CRED_SESSION)
        return csrf_bind_session(r->session_hash, out);
    return csrf_bind_anon(req_cookie(r, CSRF_COOKIE), out);
}

const char *req_csrf_token(struct req *r)
{
    if (r->csrf_token[0] != '\0')
        return r->csrf_token;
    if (csrf_binding_of(r, r->csrf_binding) < 0) {
        char nonce[CSRF_NONCE_SIZE];
        if (r->cred == CRED_SESSION || csrf_nonce(nonce) < 0 ||
            http_set_cookie(r, CSRF_COOKIE, nonce, -1) < 0 ||
            csrf_bind_anon(nonce, r->csrf_binding) < 0)
            return "";
    }
    csrf_token(r->web->secret, r->csrf_binding, r->csrf_token);
    return r->csrf_token;
}

const char *req_client(const struct req *r) { return r->client; }

void req_csrf_rotate(struct req *r)
{
    char nonce[CSRF_NONCE_SIZE];
    if (csrf_nonce(nonce) == 0)
        http_set_cookie(r, CSRF_COOKIE, nonce, -1);
}

int req_wants_json(const struct req *r)
{
    if (r->route != NULL)
        return (r->route->flags & RF_API) != 0;
    return r->path != NULL && (strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/api") == 0 ||
                               strncmp(r->path, "/acme/", 6) == 0);
}

struct db *req_db(struct req *r)
{
    if (r->db == NULL && r->web != NULL && r->web->pool != NULL) {
        r->db = dbpool_acquire(r->web->pool, 5000);
        db_for_client(r->db, r->client); /* audit records of this request name it */
    }
    return r->db;
}

struct db *req_db_or_reply(struct req *r)
{
    struct db *db = req_db(r);
    if (db == NULL)
        http_reply_error(r, 503, "web.db_unavailable", NULL);
    return db;
}

const struct user_row *req_user(const struct req *r)
{
    return r->cred != CRED_NONE ? &r->user : NULL;
}

/* ---- answering ---- */

static int cookie_token(const char *s, int value)
{
    if (*s == '\0' && !value)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\";,\\", *p) != NULL ||
            (!value && strchr("()<>@:/[]?={}", *p) != NULL))
            return 0;
    return 1;
}

int http_set_cookie(struct req *r, const char *name, const char *value, long max_age)
{
    if (!cookie_token(name, 0) || !cookie_token(value, 1))
        return -SM_E_INVALID;
    if (r->ncookies >= HTTP_MAX_COOKIES)
        return -SM_E_TOO_LARGE;
    char age[32] = "";
    if (max_age >= 0)
        snprintf(age, sizeof age, "; Max-Age=%ld", max_age);
    int n = snprintf(r->cookies[r->ncookies], HTTP_COOKIE_MAX,
                     "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name, value, age,
                     r->web->secure_cookies ? "; Secure" : "");
    if (n < 0 || n >= HTTP_COOKIE_MAX)
        return -SM_E_TOO_LARGE;
    r->ncookies++;
    return 0;
}

int http_add_header(struct req *r, const char *name, const char *value)
{
    if (r->nheaders >= HTTP_MAX_HEADERS || strlen(name) >= HTTP_HEADER_MAX ||
        strlen(value) >= HTTP_HEADER_MAX)
        return -SM_E_TOO_LARGE;
    for (const char *s = value; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return -SM_E_INVALID;
    snprintf(r->headers[r->nheaders][0], HTTP_HEADER_MAX, "%s", name);
    snprintf(r->headers[r->nheaders][1], HTTP_HEADER_MAX, "%s", value);
    r->nheaders++;
    return 0;
}

static int add_headers(struct req *r, struct MHD_Response *resp, const char *ctype)
{
    int cache = r->route != NULL && (r->route->flags & RF_CACHE) && r->status < 400;
    /* a handler's own Cache-Control (a short max-age, R-MNG-4) replaces the default on a
     * successful answer */
    int own = 0;
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i][0], MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
            own = 1;
    const char *h[][2] = {
        {MHD_HTTP_HEADER_CONTENT_TYPE, ctype},
        {"Content-Security-Policy", csp},
        {"X-Frame-Options", "DENY"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "same-origin"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {MHD_HTTP_HEADER_CACHE_CONTROL, own && r->status < 400 ? NULL
                                        : cache                ? "public, max-age=3600"
                                                               : "no-store"},
    };
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        if (h[i][1] != NULL && mhd_fn.MHD_add_response_header(resp, h[i][0], h[i][1]) != MHD_YES)
            return -1;
    if (strncmp(ctype, "text/html", 9) == 0 &&
        (mhd_fn.MHD_add_response_header(resp, "Content-Language", r->lang) != MHD_YES ||
         mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Language, Cookie") !=
             MHD_YES))
        return -1;
    if (r->status == 401 && req_wants_json(r) &&
        mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                       "Bearer realm=\"shomei\"") != MHD_YES)
        return -1;
    if (r->close &&
        mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
        return -1;
    char ra[16];
    snprintf(ra, sizeof ra, "%d", r->retry_after);
    if (r->retry_after > 0 && r->status >= 400 &&
        mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra) != MHD_YES)
        return -1;
    if (r->allow[0] != '\0' &&
        mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow) != MHD_YES)
        return -1;
    if (r->attachment != NULL && r->status < 400) {
        char cd[300];
        int n = snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", r->attachment);
        if (n < 0 || (size_t)n >= sizeof cd || strpbrk(r->attachment, "\"\\\r\n;") != NULL ||
            mhd_fn.MHD_add_response_header(resp, "Content-Disposition", cd) != MHD_YES)
            return -1;
    }
    for (int i = 0; i < r->ncookies; i++)
        if (mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookies[i]) !=
            MHD_YES)
            return -1;
    for (int i = 0; i < r->nheaders; i++) {
        if (r->status >= 400 && strcasecmp(r->headers[i][0], MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
            continue;
        if (mhd_fn.MHD_add_response_header(resp, r->headers[i][0], r->headers[i][1]) != MHD_YES)
            return -1;
    }
    return 0;
}

/* Adds the headers and queues resp (always destroyed here). */
static int queue(struct req *r, int status, const char *ctype, struct MHD_Response *resp,
                 size_t len)
{
    r->replied = 1;
    r->status = status;
    r->sent = len;
    if (resp == NULL) {
        log_error("http response allocation failed", "path", r->path);
        return -SM_E_NOMEM;
    }
    int rc = add_headers(r, resp, ctype);
    if (rc == 0 && mhd_fn.MHD_queue_response(r->conn, (unsigned)status, resp) != MHD_YES)
        rc = -1;
    mhd_fn.MHD_destroy_response(resp);
    if (rc < 0) {
        log_error("http response could not be queued", "path", r->path);
        return -SM_E_INTERNAL;
    }
    return 0;
}

int http_reply(struct req *r, int status, const char *ctype, const void *body, size_t len)
{
    struct MHD_Response *resp =
        mhd_fn.MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    return queue(r, status, ctype, resp, len);
}

int http_reply_static(struct req *r, int status, const char *ctype, const void *body, size_t len)
{
    struct MHD_Response *resp =
        mhd_fn.MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    return queue(r, status, ctype, resp, len);
}

int http_reply_buf(struct req *r, int status, const char *ctype, struct buf *b)
{
    size_t len = 0;
    char *p = buf_detach(b, &len);
    if (p == NULL)
        return queue(r, status, ctype, NULL, 0);
    struct MHD_Response *resp =
        mhd_fn.MHD_create_response_from_buffer_with_free_callback(len, p, free);
    if (resp == NULL)
        free(p);
    return queue(r, status, ctype, resp, len);
}

int http_reply_fd(struct req *r, int status, const char *ctype, int fd, size_t size)
{
    struct MHD_Response *resp = mhd_fn.MHD_create_response_from_fd(size, fd);
    if (resp == NULL)
        close(fd);
    return queue(r, status, ctype, resp, size);
}

struct stream {
    http_stream_read read;
    http_stream_done done;
    void *ctx;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stream *s = cls;
    long n = s->read(s->ctx, out, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    s->done(s->ctx);
    free(s);
}

int http_reply_stream(struct req *r, int status, const char *ctype, http_stream_read read,
                      http_stream_done done, void *ctx)
{
    struct stream *s = malloc(sizeof *s);
    if (s == NULL) {
        done(ctx);
        return queue(r, status, ctype, NULL, 0);
    }
    *s = (struct stream){read, done, ctx};
    struct MHD_Response *resp = mhd_fn.MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, s, stream_free);
    if (resp == NULL)
        stream_free(s);
    return queue(r, status, ctype, resp, 0);
}

int http_reply_json(struct req *r, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (s == NULL) {
        static const char oom[] = "{\"status\":503}";
        return http_reply_static(r, 503, "application/problem+json", oom, sizeof oom - 1);
    }
    size_t len = strlen(s);
    struct MHD_Response *resp =
        mhd_fn.MHD_create_response_from_buffer_with_free_callback(len, s, free);
    if (resp == NULL)
        free(s);
    const char *ct = status >= 400 ? "application/problem+json" : "application/json";
    return queue(r, status, ct, resp, len);
}

/* The last resort when a page cannot be rendered: fixed HTML. */
static int reply_broken(struct req *r)
{
    static const char page[] =
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>500</title></head><body>"
        "<h1>500 Internal Server Error</h1><p>サーバ内部エラーが発生しました。"
        "An internal error occurred.</p></body></html>";
    return http_reply_static(r, 500, "text/html; charset=utf-8", page, sizeof page - 1);
}

/* ---- page blocks ----
 * Each thread keeps one spare PAGE_START block: a page is rendered into it and the response
 * gives it back when sent (the slot is per thread, so whichever thread releases it keeps
 * it). This saves allocating and releasing a large block per page, whose release also makes
 * malloc consolidate its free lists. A block that had to grow is freed instead. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static int spare_ok;

static void spare_init(void) { spare_ok = pthread_key_create(&spare_key, free) == 0; }

/* A PAGE_START block (owned by the caller), or NULL without memory. */
static char *page_block(void)
{
    pthread_once(&spare_once, spare_init);
    char *p = spare_ok ? pthread_getspecific(spare_key) : NULL;
    if (p != NULL && pthread_setspecific(spare_key, NULL) == 0)
        return p;
    return malloc(PAGE_START);
}

/* Takes back a block of page_block (the response's free callback). */
static void page_block_release(void *p)
{
    if (p != NULL && spare_ok && pthread_getspecific(spare_key) == NULL &&
        pthread_setspecific(spare_key, p) == 0)
        return;
    free(p);
}

/* Answers the page in b (taken, left empty); b's block goes back to the spare slot when
 * it is still the PAGE_START block of page_block. */
static int reply_page_buf(struct req *r, int status, struct buf *b)
{
    static const char ctype[] = "text/html; charset=utf-8";
    if (b->cap != PAGE_START)
        return http_reply_buf(r, status, ctype, b);
    size_t len = b->len;
    char *p = b->p;
    *b = (struct buf)BUF_INIT;
    struct MHD_Response *resp =
        mhd_fn.MHD_create_response_from_buffer_with_free_callback(len, p, page_block_release);
    if (resp == NULL)
        page_block_release(p);
    return queue(r, status, ctype, resp, len);
}

static int page_common(struct req *r, json_t *data, const char *title_key, const char *csrf)
{
    const char *other = strcmp(r->lang, "ja") == 0 ? "en" : "ja";
    int rc = json_object_set_new(data, "lang", json_string(r->lang));
    rc |= json_object_set_new(data, "title", json_string(i18n_text(r->lang, title_key)));
    rc |= json_object_set_new(data, "csrf", json_string(csrf ? csrf : req_csrf_token(r)));
    rc |= json_object_set_new(data, "is_ja", json_boolean(strcmp(r->lang, "ja") == 0));
    rc |= json_object_set_new(data, "is_en", json_boolean(strcmp(r->lang, "en") == 0));
    rc |= json_object_set_new(data, "other_lang", json_string(other));
    rc |= json_object_set_new(data, "test_ca", json_boolean(r->web != NULL && r->web->test_ca));
    const struct user_row *u = req_user(r);
    if (u != NULL)
        rc |= json_object_set_new(
            data, "me",
            json_pack("{s:s, s:s, s:b, s:b, s:b}", "name", u->display_name, "login_id", u->login_id,
                      "is_admin", u->role == USER_ADMIN, "is_staff", u->role >= USER_OFFICER,
                      "not_for_production", /* issue 8 item 27 */
                      u->role >= USER_OFFICER && r->web != NULL &&
                          config_not_for_production(r->web->cfg)));
    else
        rc |= json_object_set_new(data, "me", json_false());
    return rc ? -SM_E_NOMEM : 0;
}

int http_render_page(struct req *r, const char *page, const char *title_key, json_t *data,
                     const char *csrf, struct buf *out)
{
    struct sm_err e = {0};
    *out = (struct buf)BUF_INIT;
    if (data == NULL)
        data = json_object();
    if (data == NULL || page_common(r, data, title_key, csrf) < 0) {
        json_decref(data);
        return -SM_E_NOMEM;
    }
    out->max = PAGE_MAX;
    struct tmpl_ctx c = {.lang = r->lang, .page = page};
    int rc = tmpl_render("layout", data, &c, out, &e);
    json_decref(data);
    if (rc < 0) {
        buf_free(out);
        log_error("page rendering failed", "path", r->path, "page", page, "detail", e.detail);
    }
    return rc;
}

int http_reply_html(struct req *r, int status, struct buf *b)
{
    return http_reply_buf(r, status, "text/html; charset=utf-8", b);
}

int http_reply_page(struct req *r, int status, const char *page, const char *title_key,
                    json_t *data)
{
    struct sm_err e = {0};
    if (data == NULL)
        data = json_object();
    if (data == NULL || page_common(r, data, title_key, NULL) < 0) {
        json_decref(data);
        return reply_broken(r);
    }
    struct buf b = BUF_INIT;
    b.max = PAGE_MAX;
    if ((b.p = page_block()) != NULL) { /* else buf_append allocates as it goes */
        b.cap = PAGE_START;
        b.p[0] = '\0';
    }
    struct tmpl_ctx c = {.lang = r->lang, .page = page};
    int rc = tmpl_render("layout", data, &c, &b, &e);
    json_decref(data);
    if (rc < 0) {
        if (b.cap == PAGE_START) {
            page_block_release(b.p);
            b = (struct buf)BUF_INIT;
        }
        buf_free(&b);
        log_error("page rendering failed", "path", r->path, "page", page, "detail", e.detail);
        return reply_broken(r);
    }
    return reply_page_buf(r, status, &b);
}

/* The title of status in the request language ("http.404"), else the English reason. */
const char *http_status_title(const struct req *r, int status)
{
    char key[16];
    snprintf(key, sizeof key, "http.%d", status);
    const char *t = i18n_get(r->lang, key);
    return t != NULL ? t : http_status_text(status);
}

/* Seconds a client should wait before retrying an answer of status (Retry-After). */
static int retry_seconds(int status) { return status == 503 || status == 429 ? 5 : 0; }

static int reply_problem(struct req *r, int status, int code, const char *msgkey, const char *msg,
                         const char *field)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:i, s:s, s:s}", "type", code > 0 ? sm_err_type(code) : "about:blank", "title",
        http_status_title(r, status), "status", status, "detail", msg, "code", msgkey);
    if (j != NULL && field != NULL && field[0] != '\0')
        json_object_set_new(j, "field", json_string(field));
    if (j != NULL && code == SM_E_ACME_BAD_SIG_ALG) /* RFC 8555 6.2: what is accepted */
        json_object_set_new(j, "algorithms",
                            json_pack("[s,s,s,s]", "ES256", "ES384", "RS256", "EdDSA"));
    return http_reply_json(r, status, j);
}

/* The error page or problem document of status with code's problem type. */
static int reply_coded(struct req *r, int status, int code, const char *msgkey, const char *field)
{
    int f = status == 500 && r->db != NULL ? dbpool_failure(r->db) : 0;
    if (f != 0) { /* a handler's generic failure that was a busy or full database */
        code = f;
        status = sm_err_http(f);
        msgkey = sm_err_msgkey(f);
        field = NULL;
    }
    struct buf msg = BUF_INIT;
    if (i18n_format(&msg, r->lang, msgkey, field) < 0 || msg.p == NULL) {
        buf_free(&msg);
        return reply_broken(r);
    }
    if (r->retry_after <= 0) /* a handler may know better (ACME rateLimited) */
        r->retry_after = retry_seconds(status);
    int rc;
    if (req_wants_json(r)) {
        rc = reply_problem(r, status, code, msgkey, msg.p, field);
    } else {
        json_t *d = json_pack("{s:i, s:s, s:s}", "status", status, "status_text",
                              http_status_title(r, status), "message", msg.p);
        rc = http_reply_page(r, status, "error", "error.title", d);
    }
    buf_free(&msg);
    return rc;
}

int http_reply_error(struct req *r, int status, const char *msgkey, const char *field)
{
    return reply_coded(r, status, sm_err_lookup(msgkey, status), msgkey, field);
}

int http_err_status(const struct sm_err *e) { return e != NULL ? sm_err_http(e->code) : 500; }

int http_reply_err_msg(struct req *r, const struct sm_err *e, const char *key, const char *arg)
{
    int code = e != NULL && e->code > SM_OK && e->code < SM_E__COUNT ? e->code : SM_E_INTERNAL;
    int status = sm_err_http(code);
    if (status >= 500 && code != SM_E_MAINTENANCE) { /* details go to the log only */
        log_error("request failed", "path", r->path, "code", sm_err_name(code), "field",
                  e ? e->field : "", "detail", e ? e->detail : "");
        key = NULL;
        arg = NULL;
    }
    if (key == NULL)
        key = sm_err_msgkey(code);
    if (arg == NULL && status < 500 && e != NULL)
        arg = e->field;
    return reply_coded(r, status, code, key, arg);
}

int http_reply_err(struct req *r, const struct sm_err *e)
{
    return http_reply_err_msg(r, e, NULL, NULL);
}

int http_reply_405(struct req *r, const char *allow)
{
    snprintf(r->allow, sizeof r->allow, "%s", allow ? allow : "");
    return http_reply_error(r, 405, "web.method", r->method);
}

int http_redirect(struct req *r, int status, const char *location)
{
    int ctl = 0; /* a tab or line break dropped by the browser could make "//host" */
    for (const unsigned char *s = (const unsigned char *)location; s != NULL && *s; s++)
        ctl |= *s < 0x20 || *s == 0x7f;
    if (status < 300 || status > 308 || location == NULL || location[0] != '/' ||
        location[1] == '/' || location[1] == '\\' || ctl) {
        log_error("refused redirect", "path", r->path, "location", location ? location : "");
        return http_reply_error(r, 500, "err.internal", NULL);
    }
    struct MHD_Response *resp =
        mhd_fn.MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp != NULL &&
        mhd_fn.MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location) != MHD_YES) {
        mhd_fn.MHD_destroy_response(resp);
        resp = NULL;
    }
    return queue(r, status, "text/plain; charset=utf-8", resp, 0);
}

/* ---- helpers that answer on failure ---- */

int req_form_or_reply(struct req *r)
{
    struct sm_err e = {0};
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    int rc = form_parse(&r->form, ct, r->body.p ? r->body.p : "", r->body.len, &e);
    if (rc == 0)
        return 0;
    if (rc == -SM_E_TOO_LARGE)
        http_reply_error(r, 413, "web.too_many_fields", NULL);
    else if (rc == -SM_E_NOMEM)
        http_reply_error(r, 503, "err.nomem", NULL);
    else if (strncmp(e.detail, "utf8", 4) == 0)
        http_reply_error(r, 400, "web.utf8", e.field);
    else if (strcmp(e.field, "body") == 0 && strncmp(e.detail, "unsupported", 11) == 0)
        http_reply_error(r, 415, "web.form_type", NULL);
    else
        http_reply_error(r, 400, "web.bad_form", e.field);
    log_info("form rejected", "path", r->path, "field", e.field, "detail", e.detail);
    return rc;
}

int req_csrf_or_reply(struct req *r)
{
    char binding[CSRF_BINDING_SIZE];
    const char *token = req_form_text(r, CSRF_FIELD);
    if (csrf_binding_of(r, binding) == 0 && csrf_check(r->web->secret, binding, token))
        return 0;
    log_info("csrf token rejected", "path", r->path, "binding",
             r->cred == CRED_SESSION              ? "session"
             : req_cookie(r, CSRF_COOKIE) != NULL ? "cookie"
                                                  : "absent",
             "token", token ? "present" : "absent");
    http_reply_error(r, 403, "web.csrf", NULL);
    return -SM_E_FORBIDDEN;
}

json_t *req_json_or_reply(struct req *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        http_reply_error(r, 400, "web.bad_json", NULL);
        return NULL;
    }
    return j;
}

const char *req_json_str(json_t *b, const char *k, int *bad)
{
    json_t *v = json_object_get(b, k);
    if (v != NULL && !json_is_string(v) && !json_is_null(v))
        *bad = 1;
    return json_string_value(v);
}
