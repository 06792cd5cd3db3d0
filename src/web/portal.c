/* SPDX-License-Identifier: MIT */
/* The RA context of a portal request (see portal.h): the server's order environment on
 * the request's connection, and the actor's organization scope (account_scope: the list of
 * organization ids that store/ filters by). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ra/account.h"
#include "ra/context.h"
#include "web/http.h"
#include "web/portal.h"

void portal_yen(int64_t v, char *out, size_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t j = 0;
    if (n == 0)
        return;
    if (v < 0 && j + 1 < n)
        out[j++] = '-';
    for (int i = 0; i < len && j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[j++] = ',';
        out[j++] = digits[i];
    }
    out[j] = '\0';
}

int portal_is_staff(const struct portal *p)
{
    return p->user != NULL && (p->user->role == USER_OFFICER || p->user->role == USER_ADMIN);
}

int portal_or_reply(struct req *r, struct portal *p)
{
    struct sm_err e = {0};
    memset(p, 0, sizeof *p);
    p->user = req_user(r);
    if (p->user == NULL)
        return http_reply_error(r, 401, "err.forbidden", NULL), -SM_E_FORBIDDEN;
    if ((p->db = req_db_or_reply(r)) == NULL)
        return -SM_E_DB;
    p->env = ra_env(r->web->ra, p->db);
    p->env.client_ip = r->client; /* the audit records of this request name it */
    p->who.user_id = p->user->id;
    if (account_scope(p->db, p->user, &p->who.scope, &p->org_ids, &e) < 0) {
        log_error("portal: organizations", "detail", e.detail);
        return http_reply_error(r, 500, "err.internal", NULL), -SM_E_DB;
    }
    p->norgs = p->who.scope.all ? 0 : p->who.scope.n;
    return 0;
}

void portal_clear(struct portal *p)
{
    free(p->org_ids);
    p->org_ids = NULL;
    p->norgs = 0;
}
