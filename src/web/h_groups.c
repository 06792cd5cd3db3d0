/* SPDX-License-Identifier: MIT */
/* Issue 12 item 6: groups of users of one organization, as a page (list and create) and API
 * calls (list, create, add a member, move a certificate), through ra/group. Reads take the
 * caller's organization scope, so another organization's groups are never listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ra/group.h"
#include "store/certs.h"
#include "web/h_org.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

static json_t *group_json(const struct group_row *g)
{
    json_t *t = json_loads(g->template_json ? g->template_json : "{}", 0, NULL);
    return json_pack("{s:I, s:I, s:s, s:o, s:I, s:I}", "id", (json_int_t)g->id, "org_id",
                     (json_int_t)g->org_id, "name", g->name, "template",
                     t != NULL ? t : json_object(), "members", (json_int_t)g->members, "certs",
                     (json_int_t)g->certs);
}

static void page(struct req *r, struct portal *p, int status, const char *name,
                 const struct sm_err *err)
{
    struct group_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (groups_list(p->db, &p->who.scope, &v, &n, &e) < 0) {
        pf_reply_err(r, p, &e);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, group_json(&v[i]));
    group_rows_free(v, n);
    struct buf msg = BUF_INIT;
    if (err != NULL) {
        char lk[48];
        snprintf(lk, sizeof lk, "groups.f.%s", strcmp(err->field, "name") == 0 ? "name" : "notify");
        i18n_format(&msg, r->lang,
                    strcmp(err->field, "name") == 0 ? "groups.err.name" : "groups.err.template",
                    i18n_text(r->lang, lk));
    }
    json_t *d = json_pack("{s:o, s:s, s:s, s:b}", "groups", a, "name", name ? name : "",
                          "input_error", msg.p ? msg.p : "", "empty", n == 0);
    buf_free(&msg);
    http_reply_page(r, status, "groups", "groups.title", d);
}

void h_groups(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) == 0)
        page(r, &p, 200, NULL, NULL);
    portal_clear(&p);
}

void h_group_create(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    const char *name = req_form_text(r, "name");
    const char *emails = req_form_text(r, "notify_emails");
    json_t *t = json_object(), *ne = json_array();
    /* the addresses, split at spaces, commas and line breaks */
    const char *c = emails != NULL ? emails : "";
    for (int k = 0; *c != '\0' && k < 16; k++) {
        size_t skip = strspn(c, " ,\r\n"), len = strcspn(c + skip, " ,\r\n");
        if (len > 0)
            json_array_append_new(ne, json_stringn(c + skip, len));
        c += skip + len;
    }
    if (json_array_size(ne) > 0)
        json_object_set(t, "notify_emails", ne);
    json_decref(ne);
    char *tj = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    int64_t id = 0;
    struct sm_err e = {0};
    int rc = group_create(p.db, p.user, r->client, name, tj, &id, &e);
    free(tj);
    if (rc == 0)
        http_redirect(r, 303, "/groups");
    else if (e.code == SM_E_INVALID || e.code == SM_E_EXISTS)
        page(r, &p, 422, name, &e);
    else
        pf_reply_err(r, &p, &e);
out:
    portal_clear(&p);
}

void h_api_groups(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct group_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (groups_list(p.db, &p.who.scope, &v, &n, &e) < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, group_json(&v[i]));
    group_rows_free(v, n);
    http_reply_json(r, 200, json_pack("{s:o}", "groups", a));
out:
    portal_clear(&p);
}

static void reply_group(struct req *r, struct portal *p, int64_t id)
{
    struct group_row g;
    struct sm_err e = {0};
    if (groups_get(p->db, id, &p->who.scope, &g, &e) < 0)
        pf_reply_err(r, p, &e);
    else
        http_reply_json(r, 200, group_json(&g));
    group_row_clear(&g);
}

void h_api_group_create(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    if (portal_or_reply(r, &p) < 0 || (b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *t = json_object_get(b, "template");
    char *tj = t != NULL ? json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int64_t id = 0;
    struct sm_err e = {0};
    if (group_create(p.db, p.user, r->client, json_string_value(json_object_get(b, "name")), tj,
                     &id, &e) < 0)
        http_reply_err_msg(
            r, &e,
            e.code == SM_E_INVALID || e.code == SM_E_EXISTS
                ? (strcmp(e.field, "name") == 0 ? "groups.err.name" : "groups.err.template")
                : NULL,
            e.field);
    else
        reply_group(r, &p, id);
    free(tj);
out:
    json_decref(b);
    portal_clear(&p);
}

void h_api_group_member(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    int64_t gid = 0;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (pf_parse_id(req_param(r, "gid"), &gid) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        goto out;
    }
    struct group_row g;
    struct sm_err e = {0};
    if (groups_get(p.db, gid, &p.who.scope, &g, &e) < 0) { /* not found before any input check */
        pf_reply_err(r, &p, &e);
        goto out;
    }
    group_row_clear(&g);
    if ((b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *uid = json_object_get(b, "user_id");
    if (!json_is_integer(uid)) {
        sm_err_set(&e, SM_E_INVALID, "user_id", "an integer");
        http_reply_err(r, &e);
    } else if (group_add_member(p.db, p.user, &p.who.scope, r->client, gid,
                                (int64_t)json_integer_value(uid), &e) < 0)
        pf_reply_err(r, &p, &e);
    else
        reply_group(r, &p, gid);
out:
    json_decref(b);
    portal_clear(&p);
}

void h_api_cert_group(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    struct sm_err e = {0};
    struct certs_row *c = NULL;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (certs_get_scoped(p.db, req_param(r, "serial"), &p.who.scope, &c, &e) < 0) {
        pf_reply_err(r, &p, &e); /* another organization's certificate: 404 before the body */
        goto out;
    }
    certs_row_free(c);
    if ((b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *gid = json_object_get(b, "group_id");
    if (!json_is_integer(gid)) {
        sm_err_set(&e, SM_E_INVALID, "group_id", "an integer");
        http_reply_err(r, &e);
    } else if (group_move_cert(p.db, p.user, &p.who.scope, r->client, req_param(r, "serial"),
                               (int64_t)json_integer_value(gid), &e) < 0)
        pf_reply_err(r, &p, &e);
    else
        http_reply_json(r, 200,
                        json_pack("{s:s, s:I}", "serial", req_param(r, "serial"), "group_id",
                                  (json_int_t)json_integer_value(gid)));
out:
    json_decref(b);
    portal_clear(&p);
}
