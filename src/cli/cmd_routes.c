/* SPDX-License-Identifier: MIT */
/* shomei routes: prints the route table, one route a line: METHOD PATTERN ROLE AUTH FLAGS
 * (AUTH: the authenticator, none, session, api-key or jws; FLAGS: comma list of csrf, form,
 * api, cache, body, upload, nodb, or "-"). The isolation test reads it so that every route,
 * including ones added later, is checked. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "web/handlers.h"

int cmd_routes(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: shomei routes\n");
        return 2;
    }
    static const struct {
        unsigned flag;
        const char *name;
    } names[] = {{RF_CSRF, "csrf"}, {RF_FORM, "form"},     {RF_API, "api"},  {RF_CACHE, "cache"},
                 {RF_BODY, "body"}, {RF_UPLOAD, "upload"}, {RF_NODB, "nodb"}};
    for (size_t i = 0; i < web_nroutes; i++) {
        const struct route *r = &web_routes[i];
        char flags[64] = "";
        size_t len = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (r->flags & names[k].flag)
                len += (size_t)snprintf(flags + len, sizeof flags - len, "%s%s", len ? "," : "",
                                        names[k].name);
        printf("%s %s %s %s %s\n", r->method, r->pattern, router_role_name(r->role),
               router_auth_name(r->auth), len ? flags : "-");
    }
    return 0;
}
