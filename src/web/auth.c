/* SPDX-License-Identifier: MIT */
/* The authenticators of the route table (issue 7 item 5); see web/auth.h. Each one reads
 * one kind of credential and has its own answer for an anonymous request to a non-public
 * route. A new kind (ACME's JWS-signed requests) is one more line in the table. */
#include <microhttpd.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "ra/apikey.h"
#include "ra/login.h"
#include "web/auth.h"
#include "web/i18n.h"
#include "web/tmpl.h"

struct authenticator {
    /* 0 (identified or anonymous) or negative with e filled; see web_auth_identify */
    int (*identify)(struct req *r, struct sm_err *e);
    /* answers an anonymous request to a route of a role above public */
    void (*challenge)(struct req *r);
};

/* The database for a credential lookup, or NULL: anonymous on a public route (0), else
 * -SM_E_DB_BUSY (answered 503, as when a handler cannot reach the database). */
static int lookup_db(struct req *r, struct db **db, struct sm_err *e)
{
    *db = req_db(r);
    if (*db != NULL || r->route->role == ROLE_PUBLIC)
        return 0;
    return sm_err_set(e, SM_E_DB_BUSY, NULL, "no database connection to authenticate");
}

/* After a lookup: a valid credential identifies the caller, whose locale wins over the
 * browser's unless ?lang= was given; an unknown one leaves the request anonymous. A lookup
 * the database could not answer (connection lost, fail-over under way) is -SM_E_DB_BUSY
 * on a route that needs a role: 503 with Retry-After, not 401 (R-SCL-1). */
static int identified(struct req *r, int rc, enum req_cred cred, const struct sm_err *le,
                      struct sm_err *e)
{
    if (rc < 0) {
        memset(&r->user, 0, sizeof r->user);
        if (rc != -SM_E_NOTFOUND)
            log_error("authentication failed", "code", sm_err_name(-rc), "detail", le->detail);
        else if (cred == CRED_SESSION)
            http_set_cookie(r, SESSION_COOKIE, "", 0); /* stale cookie: drop it */
        if ((rc == -SM_E_DB || rc == -SM_E_DB_BUSY) && r->route->role != ROLE_PUBLIC)
            return sm_err_set(e, SM_E_DB_BUSY, NULL, "database unavailable to authenticate");
        return 0;
    }
    r->cred = cred;
    if (!r->lang_forced && i18n_lang(r->user.locale) != NULL)
        r->lang = i18n_lang(r->user.locale);
    return 0;
}

static int identify_none(struct req *r, struct sm_err *e)
{
    (void)r;
    (void)e;
    return 0;
}

static int identify_session(struct req *r, struct sm_err *e)
{
    const char *cookie = req_cookie(r, SESSION_COOKIE);
    if (cookie == NULL || *cookie == '\0' || r->web->pool == NULL)
        return 0;
    struct db *db;
    int rc = lookup_db(r, &db, e);
    if (rc < 0 || db == NULL)
        return rc;
    struct sm_err le = {0};
    rc = account_session_user(db, &r->web->acct, cookie, &r->user, r->session_hash, &le);
    return identified(r, rc, CRED_SESSION, &le, e);
}

static int identify_api_key(struct req *r, struct sm_err *e)
{
    const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0' || r->web->pool == NULL)
        return 0;
    struct db *db;
    int rc = lookup_db(r, &db, e);
    if (rc < 0 || db == NULL)
        return rc;
    struct sm_err le = {0};
    rc = account_apikey_user(db, h + 7, &r->user, &le);
    return identified(r, rc, CRED_API_KEY, &le, e);
}

/* ACME (RFC 8555) identifies the account by the key that signed the request body, which
 * is not read yet when this runs: the request stays anonymous here, and the handler's
 * first step (acme_begin, web/h_acme.c) verifies the JWS, its nonce and url before it does
 * anything else. ACME routes are public (the role check has nothing to check). */
static int identify_jws(struct req *r, struct sm_err *e)
{
    (void)r;
    (void)e;
    return 0;
}

/* HTML: 303 to the login page, which comes back here afterwards. */
static void challenge_login(struct req *r)
{
    struct buf loc = BUF_INIT;
    int rc = buf_puts(&loc, "/login?next=");
    if (rc == 0)
        rc = tmpl_escape_url(&loc, r->path);
    if (rc == 0)
        http_redirect(r, 303, loc.p);
    else
        http_reply_error(r, 503, "err.nomem", NULL);
    buf_free(&loc);
}

/* API: 401 problem+json; the reply adds WWW-Authenticate: Bearer. */
static void challenge_bearer(struct req *r) { http_reply_error(r, 401, "web.unauthorized", NULL); }

/* A route that reads no credential but needs a role cannot be used by anyone: a mistake
 * in the table (the route table test forbids it), answered 500 rather than opened. */
static void challenge_misconfigured(struct req *r)
{
    log_error("route needs a role but reads no credential", "path", r->route->pattern);
    http_reply_error(r, 500, "err.internal", NULL);
}

static const struct authenticator authenticators[] = {
    [AUTH_NONE] = {identify_none, challenge_misconfigured},
    [AUTH_SESSION] = {identify_session, challenge_login},
    [AUTH_API_KEY] = {identify_api_key, challenge_bearer},
    [AUTH_JWS] = {identify_jws, challenge_misconfigured},
};

static const struct authenticator *authenticator_of(const struct route *rt)
{
    unsigned a = (unsigned)rt->auth;
    if (a >= sizeof authenticators / sizeof authenticators[0] || authenticators[a].identify == NULL)
        return NULL;
    return &authenticators[a];
}

int web_auth_identify(struct req *r, struct sm_err *e)
{
    r->cred = CRED_NONE;
    const struct authenticator *a = authenticator_of(r->route);
    if (a == NULL)
        return sm_err_set(e, SM_E_INTERNAL, NULL, "route %s %s has no authenticator",
                          r->route->method, r->route->pattern);
    return a->identify(r, e);
}

int web_auth_check(struct req *r)
{
    struct sm_err e = {0};
    if (web_auth_identify(r, &e) < 0) {
        if (e.code == SM_E_DB_BUSY) /* the answer of a route that cannot reach the database */
            http_reply_error(r, 503, "web.db_unavailable", NULL);
        else
            http_reply_err(r, &e);
        return -1;
    }
    enum route_role need = r->route->role;
    if (need == ROLE_PUBLIC)
        return 0;
    if (r->cred == CRED_NONE) {
        authenticator_of(r->route)->challenge(r);
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
