/* SPDX-License-Identifier: MIT */
/* The request as handlers see it (struct req) and every way to answer it. Replies add the
 * security headers and pending cookies themselves; *_or_reply helpers send the error page
 * (HTML) or application/problem+json (RFC 9457) and return NULL / negative, so a handler
 * just returns. Handlers keep no statics: all request state lives in struct req. */
#ifndef SM_WEB_HTTP_H
#define SM_WEB_HTTP_H
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/config.h"
#include "ra/account.h"
#include "web/csrf.h"
#include "web/form.h"
#include "web/router.h"

struct ra_ctx;

struct MHD_Connection;
struct MHD_Response;
struct dbpool;

#define HTTP_MAX_COOKIES 4
#define HTTP_COOKIE_MAX  320
/* Other headers a handler adds to its answer (ACME's Replay-Nonce, Link, Location). */
#define HTTP_MAX_HEADERS 4
#define HTTP_HEADER_MAX  400

/* What /healthz reports: the database's state from the last background check (the
 * health check itself never waits for the database). */
struct web_health {
    _Atomic int db;               /* 1 takes writes, 0 failing, -1 not checked yet */
    _Atomic int db_code;          /* enum sm_code of the last failure */
    _Atomic long long db_checked; /* time() of the last check */
};

struct guard;
struct pagecache;

/* Server-wide state, read-only while serving. */
struct web {
    struct config *cfg;
    const struct ra_ctx *ra; /* the RA context built at start (cli/cmd_serve.c) */
    unsigned char secret[CSRF_KEY_LEN];
    size_t max_body;
    size_t max_upload;         /* body limit of RF_UPLOAD routes (max_upload + form overhead) */
    struct guard *guard;       /* connection deadlines (may be NULL) */
    struct web_health *health; /* written by the health thread (may be NULL) */
    char trusted_proxy[64];    /* [server] trusted_proxy, "" = none */
    int secure_cookies;
    const struct route *routes;
    size_t nroutes;
    struct dbpool *pool;        /* database connections lent to requests (may be NULL) */
    struct account_policy acct; /* [account] settings */
    int test_ca;                /* [ca] test_ca: every page says the CAs are TEST CAs */
    struct pagecache *pcache;   /* rendered pages (web/pagecache; NULL = none; own lock) */
};

#define SESSION_COOKIE "sid"

/* The credential that identified the caller (set by the route's authenticator). */
enum req_cred { CRED_NONE, CRED_SESSION, CRED_API_KEY };

struct req {
    struct MHD_Connection *conn;
    const struct web *web;
    const struct route *route; /* NULL before routing or when none matched */
    char method[16];
    char *path;      /* decoded path without the query (owned) */
    char client[48]; /* client address: the peer, or what a trusted proxy forwarded */
    int close;       /* answer with Connection: close (malformed framing) */
    struct router_params params;
    struct buf body;  /* raw body for RF_FORM / RF_BODY routes, capped at max_body */
    struct form form; /* parsed body of RF_FORM routes */
    const char *lang; /* "ja" or "en" */
    char csrf_binding[CSRF_BINDING_SIZE];
    char csrf_token[CSRF_TOKEN_SIZE];
    char allow[64]; /* Allow header of a 405 */
    int ncookies;   /* Set-Cookie headers of the answer */
    char cookies[HTTP_MAX_COOKIES][HTTP_COOKIE_MAX];
    int nheaders; /* headers added with http_add_header */
    char headers[HTTP_MAX_HEADERS][2][HTTP_HEADER_MAX];
    int status;  /* what was answered, for the access log */
    size_t sent; /* body bytes answered */
    int replied;
    int retry_after; /* seconds for Retry-After on a 503/429 answer; 0 = none (then the
                        error reply sets its default) */
    int too_large;
    size_t discarded;
    struct timespec started;
    /* Who is asking, filled before dispatch by the route's authenticator (web/auth.h):
     * the session cookie (AUTH_SESSION routes) or "Authorization: Bearer <API key>"
     * (AUTH_API_KEY routes). */
    enum req_cred cred;
    struct user_row user;              /* valid when cred != CRED_NONE */
    char session_hash[TOKEN_HASH_HEX]; /* CRED_SESSION: hash of the cookie value */
    struct db *db;                     /* lent by the pool on first req_db() */
    int lang_forced;                   /* ?lang= given: it beats the account's locale */
    const char *attachment; /* set before replying: Content-Disposition: attachment; filename=".."
                             * (borrowed; letters, digits, '.', '-', '_' only) */
};

/* ---- reading the request ---- */
const char *req_header(struct req *r, const char *name);
const char *req_query(struct req *r, const char *name); /* decoded ?name= value */
const char *req_cookie(struct req *r, const char *name);
/* Calls fn(ctx, name, value) for every query argument in order (value NULL for "?x");
 * stops at the first non-zero return. */
typedef int (*req_query_fn)(void *ctx, const char *name, const char *value);
void req_query_each(struct req *r, req_query_fn fn, void *ctx);
const char *req_param(struct req *r, const char *name); /* :name from the route */
/* The text of form field name (never a file part), or NULL when absent. */
const char *req_form_text(struct req *r, const char *name);
/* The form field name (text or file), or NULL. */
const struct form_field *req_form_field(struct req *r, const char *name);
/* The CSRF token for forms of this response (see web/csrf.h): bound to the session when
 * logged in, else to the anonymous cookie (set when new). Never NULL; "" only when
 * randomness failed. */
const char *req_csrf_token(struct req *r);
/* The client address (see struct req client). */
const char *req_client(const struct req *r);
/* At login and logout: a new anonymous CSRF cookie, so a planted one does not survive. */
void req_csrf_rotate(struct req *r);
/* 1 when errors of this request answer JSON (API routes and paths under /api/ and /acme/). */
int req_wants_json(const struct req *r);

/* The database connection of this request (one per request, lent by the server's pool and
 * given back when the request ends), or NULL when none is available. */
struct db *req_db(struct req *r);
/* req_db, or NULL after answering 503 (problem+json on API routes). */
struct db *req_db_or_reply(struct req *r);
/* The logged-in user, or NULL for anonymous requests. */
const struct user_row *req_user(const struct req *r);

/* Adds a Set-Cookie to the answer: Path=/; HttpOnly; SameSite=Lax, and Secure when
 * [server] secure_cookies. max_age < 0: session cookie; 0: deletes it. name and value must
 * be cookie tokens (no spaces, quotes, commas, semicolons or backslashes).
 * 0, or -SM_E_INVALID / -SM_E_TOO_LARGE (more than HTTP_MAX_COOKIES). */
int http_set_cookie(struct req *r, const char *name, const char *value, long max_age);
/* Adds a header to the answer (copied; name and value without CR, LF or NUL); -SM_E_TOO_LARGE
 * past HTTP_MAX_HEADERS or HTTP_HEADER_MAX, -SM_E_INVALID for a control character. */
int http_add_header(struct req *r, const char *name, const char *value);

/* ---- answering ---- */
/* Each returns 0 or negative; after any call r->replied is set (even on failure). */
int http_reply(struct req *r, int status, const char *ctype, const void *body, size_t len);
/* Takes the memory of b (left empty). */
int http_reply_buf(struct req *r, int status, const char *ctype, struct buf *b);
/* body must outlive the response (embedded assets). */
int http_reply_static(struct req *r, int status, const char *ctype, const void *body, size_t len);
/* Sends size bytes of an open file and closes fd in every case. */
int http_reply_fd(struct req *r, int status, const char *ctype, int fd, size_t size);
/* A streamed answer of unknown length (chunked): read(ctx, out, max) fills up to max bytes
 * and returns how many, 0 at the end, negative on a failure (the connection is then cut, so
 * the client sees an incomplete answer, never a silently short one); done(ctx) runs once
 * when the answer is finished or abandoned (also when queuing fails). The request's
 * database connection is given back when the handler returns: read borrows one from
 * r->web->pool for each step and gives it back before returning. */
typedef long (*http_stream_read)(void *ctx, char *out, size_t max);
typedef void (*http_stream_done)(void *ctx);
int http_reply_stream(struct req *r, int status, const char *ctype, http_stream_read read,
                      http_stream_done done, void *ctx);
/* Serializes j (reference stolen) as application/json (or ctype when not NULL). */
int http_reply_json(struct req *r, int status, json_t *j);
/* Renders the layout around template page with data (reference stolen; NULL = {}).
 * Adds lang, title (message title_key), csrf and the language switcher data.
 * A template error is logged and answered 500. */
int http_reply_page(struct req *r, int status, const char *page, const char *title_key,
                    json_t *data);
/* The same page rendered into *out (caller frees) and not answered, with csrf (NULL: the
 * request's token) as the layout's CSRF token: web/pagecache renders a page once with a
 * mark there and puts each session's own token in on the way out. 0, or negative (logged;
 * nothing to free). */
int http_render_page(struct req *r, const char *page, const char *title_key, json_t *data,
                     const char *csrf, struct buf *out);
/* Answers the HTML page in b (taken, left empty). */
int http_reply_html(struct req *r, int status, struct buf *b);
/* The error page or problem+json: message msgkey in the request language, with
 * "{field}" replaced by field. allow (405 only) may be NULL. */
int http_reply_error(struct req *r, int status, const char *msgkey, const char *field);
int http_reply_405(struct req *r, const char *allow);
/* The one way an error (struct sm_err) becomes an answer: status and RFC 9457 problem type
 * from the core/err table, message key the code's (or key when not NULL; ignored for 5xx
 * other than maintenance) with {field} = arg (or e->field for 4xx). 5xx details are logged,
 * never shown; 503 and 429 carry Retry-After. HTML pages get a localized title. */
int http_reply_err(struct req *r, const struct sm_err *e);
int http_reply_err_msg(struct req *r, const struct sm_err *e, const char *key, const char *arg);
/* The status http_reply_err answers for e (the core/err table). */
int http_err_status(const struct sm_err *e);
/* 303 See Other (after a POST) or another 3xx to a local path ("/x", never "//host");
 * anything else answers 500. */
int http_redirect(struct req *r, int status, const char *location);

/* ---- helpers that answer on failure ---- */
/* Parses the form body (RF_FORM routes). 0, or negative after answering 400/413. */
int req_form_or_reply(struct req *r);
/* Checks the CSRF token of a form POST. 0, or negative after answering 403. */
int req_csrf_or_reply(struct req *r);
/* The body as a JSON object (new reference), or NULL after answering 400. */
json_t *req_json_or_reply(struct req *r);
/* The string member k of body b: NULL when absent or null; *bad = 1 when it is another
 * type (the caller answers 400 naming the body). */
const char *req_json_str(json_t *b, const char *k, int *bad);

const char *http_status_text(int status);
/* The title of status in the request language (catalog key "http.404"), else the English
 * reason phrase. */
const char *http_status_title(const struct req *r, int status);

#endif
