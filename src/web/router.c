/* SPDX-License-Identifier: MIT */
/* Route matching over a const table; see router.h. */
#include <stdio.h>
#include <string.h>

#include "web/router.h"

/* Matches one pattern against path; fills params on success. */
static int match(const char *pat, const char *path, struct router_params *out)
{
    struct router_params pr = {0};
    const char *p = pat, *u = path;
    while (*p && *u) {
        if (*p == ':' || *p == '*') {
            int rest = *p == '*';
            const char *name = ++p;
            while (*p && *p != '/')
                p++;
            const char *v = u;
            if (rest)
                u += strlen(u);
            else
                while (*u && *u != '/')
                    u++;
            size_t nl = (size_t)(p - name), vl = (size_t)(u - v);
            /* a rest too long for a value still matches, empty: its handler reads the path
             * and refuses it with 413 (GET /ocsp/ past OCSP_REQUEST_MAX) rather than a 404 */
            if (rest && vl >= sizeof pr.p[0].value) {
                vl = 0;
                v = u;
            } else if (vl == 0) {
                return 0;
            }
            if (nl == 0 || nl >= sizeof pr.p[0].name || vl >= sizeof pr.p[0].value ||
                pr.n >= ROUTER_MAX_PARAMS)
                return 0;
            memcpy(pr.p[pr.n].name, name, nl);
            memcpy(pr.p[pr.n].value, v, vl);
            pr.n++;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    if (*p != '\0' || *u != '\0')
        return 0;
    if (out != NULL)
        *out = pr;
    return 1;
}

static int method_ok(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static void allow_add(char *allow, size_t len, const char *m)
{
    if (allow == NULL || len == 0 || strstr(allow, m) != NULL)
        return;
    size_t used = strlen(allow);
    snprintf(allow + used, len - used, "%s%s", used ? ", " : "", m);
}

int router_match(const struct route *table, size_t n, const char *method, const char *path,
                 struct router_params *params, char *allow, size_t allow_len)
{
    int path_seen = 0;
    if (params != NULL)
        params->n = 0;
    if (allow != NULL && allow_len > 0)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!match(table[i].pattern, path, NULL))
            continue;
        if (method_ok(table[i].method, method)) {
            match(table[i].pattern, path, params);
            return (int)i;
        }
        path_seen = 1;
        allow_add(allow, allow_len, table[i].method);
        if (strcmp(table[i].method, "GET") == 0)
            allow_add(allow, allow_len, "HEAD");
    }
    return path_seen ? ROUTER_NO_METHOD : ROUTER_NOT_FOUND;
}

const char *router_param(const struct router_params *params, const char *name)
{
    for (int i = 0; i < params->n; i++)
        if (strcmp(params->p[i].name, name) == 0)
            return params->p[i].value;
    return NULL;
}

const char *router_role_name(enum route_role role)
{
    static const char *const names[] = {"public", "customer", "reseller", "officer", "admin"};
    return (unsigned)role < sizeof names / sizeof names[0] ? names[role] : "unknown";
}

const char *router_auth_name(enum route_auth auth)
{
    static const char *const names[] = {"unset", "none", "session", "api-key", "jws"};
    return (unsigned)auth < sizeof names / sizeof names[0] ? names[auth] : "unknown";
}
