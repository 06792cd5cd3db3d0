/* SPDX-License-Identifier: MIT */
/* Routes as a table (after kcgi): method + pattern -> handler, role and flags.
 * Patterns are literal segments, ":name" (one non-empty segment) and a final "*name"
 * (the rest of the path). Matching is pure: no allocation, no state. */
#ifndef SM_WEB_ROUTER_H
#define SM_WEB_ROUTER_H
#include <stddef.h>

struct req;

/* Who may use a route, checked by the server before the handler runs. Roles are ordered:
 * a route of role R is open to users whose role is R or above (ROLE_CUSTOMER = any
 * logged-in user; ROLE_RESELLER = resellers, officers, admins; ROLE_OFFICER = officers and
 * admins; ROLE_ADMIN = admins). Anonymous requests to a non-public route are redirected
 * to /login?next=PATH (HTML) or answered 401 (RF_API); a logged-in user below the role
 * gets 404, the same answer as for an object of another organization (R-ACT-1), so a
 * route's existence is not revealed. Which objects a user may touch is the handler's
 * query's business (req_scope, ORG_SCOPE_SQL). The values equal enum user_role. */
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

struct route {
    const char *method;  /* "GET", "POST", ...; GET also answers HEAD */
    const char *pattern; /* "/tools/csr", "/repository/:name"; a last "*rest" takes the rest */
    void (*handler)(struct req *r);
    enum route_role role;
    unsigned flags; /* enum route_flag */
};

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
