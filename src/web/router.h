/* SPDX-License-Identifier: MIT */
/* Routes as a table (after kcgi): method + pattern -> handler, role and flags.
 * Patterns are literal segments, ":name" (one non-empty segment) and a final "*name"
 * (the rest of the path; one longer than ROUTER_PARAM_MAX matches with an empty value).
 * Matching is pure: no allocation, no state. */
#ifndef SM_WEB_ROUTER_H
#define SM_WEB_ROUTER_H
#include <stddef.h>

struct req;

/* Who may use a route, checked by the server before the handler runs. Roles are ordered:
 * a route of role R is open to users whose role is R or above (ROLE_CUSTOMER = any
 * logged-in user; ROLE_RESELLER = resellers, officers, admins; ROLE_OFFICER = officers and
 * admins; ROLE_ADMIN = admins). Anonymous requests to a non-public route get the answer
 * of the route's authenticator (enum route_auth: a redirect to /login?next=PATH, or 401);
 * a logged-in user below the role gets 404, the same answer as for an object of another
 * organization (R-ACT-1), so a route's existence is not revealed. Which objects a user
 * may touch is the handler's query's business (portal_or_reply's scope, built by
 * account_scope, passed to every store read). The values equal
 * enum user_role. */
enum route_role { ROLE_PUBLIC, ROLE_CUSTOMER, ROLE_RESELLER, ROLE_OFFICER, ROLE_ADMIN };

/* "public", "customer", "reseller", "officer", "admin". */
const char *router_role_name(enum route_role role);

enum route_flag {
    RF_CSRF = 1 << 0,   /* POST must carry a valid CSRF token (form field "csrf") */
    RF_FORM = 1 << 1,   /* body is a form (urlencoded or multipart), parsed before the handler */
    RF_API = 1 << 2,    /* errors answer application/problem+json */
    RF_CACHE = 1 << 3,  /* cacheable (static files); otherwise Cache-Control: no-store */
    RF_BODY = 1 << 4,   /* raw body is read (up to [server] max_body) */
    RF_UPLOAD = 1 << 5, /* body limit [server] max_upload (plus form overhead), not max_body */
    RF_NODB = 1 << 6,   /* never touches the database, not even to look up the user */
};

/* How the server learns who is asking, one authenticator per route (issue 7 item 5). The
 * authenticator reads its credential and fills the request's user, or leaves the request
 * anonymous; the route's role then decides whether anonymous is enough, and an anonymous
 * request to a non-public route gets the authenticator's own answer. Value 0 is no
 * authenticator at all: a route that forgot .auth, which the server refuses (500) and the
 * route table test finds. The table itself is in web/auth.c. */
enum route_auth {
    AUTH_UNSET,   /* not a valid choice: every route names its authenticator */
    AUTH_NONE,    /* reads no credential, never touches the database: the request stays
                   * anonymous (public routes only: health, static files, repository files) */
    AUTH_SESSION, /* the session cookie; anonymous: 303 to /login?next=PATH */
    AUTH_API_KEY, /* "Authorization: Bearer <API key>" (RF_API routes); anonymous: 401
                   * problem+json with WWW-Authenticate: Bearer */
    AUTH_JWS,     /* ACME (RFC 8555, public RF_API routes): identity from the JWS-signed
                   * body, verified by the handler's first step (acme_begin, web/h_acme.c)
                   * once the body is read; problem+json with ACME's error types */
};

/* "unset", "none", "session", "api-key", "jws". */
const char *router_auth_name(enum route_auth auth);

/* A route is written with designated initializers, so that a field added here breaks no
 * table; the common shapes below spell out every field but the varying ones. A route of
 * role ROLE_PUBLIC still reads its credential: a logged-in user browsing a public page
 * keeps the session (navigation, session-bound CSRF tokens), an API key on a public API
 * route sets the answer's language. */
struct route {
    const char *method;  /* "GET", "POST", ...; GET also answers HEAD */
    const char *pattern; /* "/tools/csr", "/repository/:name"; a last "*rest" takes the rest */
    void (*handler)(struct req *r);
    enum route_role role;
    unsigned flags;       /* enum route_flag */
    enum route_auth auth; /* who is asking; see enum route_auth */
};

/* A page: GET, session cookie, no body. */
#define GET_PAGE(pat, fn, rl)                                                                      \
    {                                                                                              \
        .method = "GET", .pattern = (pat), .handler = (fn), .role = (rl), .auth = AUTH_SESSION     \
    }
/* A form post: POST, session cookie, form body with a CSRF token. */
#define POST_FORM(pat, fn, rl)                                                                     \
    {                                                                                              \
        .method = "POST", .pattern = (pat), .handler = (fn), .role = (rl),                         \
        .flags = RF_FORM | RF_CSRF, .auth = AUTH_SESSION                                           \
    }
/* An API read: GET, API key, problem+json errors. */
#define GET_API(pat, fn, rl)                                                                       \
    {                                                                                              \
        .method = "GET", .pattern = (pat), .handler = (fn), .role = (rl), .flags = RF_API,         \
        .auth = AUTH_API_KEY                                                                       \
    }
/* An API call with a body: POST, API key, raw (JSON) body, problem+json errors. */
#define POST_API(pat, fn, rl)                                                                      \
    {                                                                                              \
        .method = "POST", .pattern = (pat), .handler = (fn), .role = (rl),                         \
        .flags = RF_API | RF_BODY, .auth = AUTH_API_KEY                                            \
    }

#define ROUTER_MAX_PARAMS 4
#define ROUTER_PARAM_MAX  256

struct router_params {
    int n;
    struct {
        char name[32];
        char value[ROUTER_PARAM_MAX];
    } p[ROUTER_MAX_PARAMS];
};

#define ROUTER_NOT_FOUND (-1)
#define ROUTER_NO_METHOD (-2)

/* Finds the route for method and path (no query string). Returns its index and fills
 * params, or ROUTER_NOT_FOUND, or ROUTER_NO_METHOD when the path exists for other methods;
 * allow then lists them ("GET, HEAD, POST"). allow may be NULL. params is emptied first. */
int router_match(const struct route *table, size_t n, const char *method, const char *path,
                 struct router_params *params, char *allow, size_t allow_len);

/* The value of a named parameter, or NULL. */
const char *router_param(const struct router_params *params, const char *name);

#endif
