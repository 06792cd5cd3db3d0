/* SPDX-License-Identifier: MIT */
/* Issue 12 item 6: groups of users of one organization, as pages (list, create, rename,
 * delete, members) and API calls (list, create, read, rename or change the template,
 * delete, add and remove a member, move a certificate), through ra/group. Reads take the
 * caller's organization scope, so another organization's groups are never listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ra/group.h"
#include "store/certs.h"
#include "store/users.h"
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

/* The banner of a refused change: the message of the field, in the request language. */
static void banner(struct buf *msg, const char *lang, const struct sm_err *err)
{
    if (err == NULL)
        return;
    const char *f = err->field;
    if (err->code == SM_E_CONFLICT)
        i18n_format(msg, lang, "groups.err.notempty", i18n_text(lang, "groups.f.name"));
    else if (strcmp(f, "user_id") == 0)
        i18n_format(msg, lang, "groups.err.member", i18n_text(lang, "groups.f.member"));
    else
        i18n_format(msg, lang, strcmp(f, "name") == 0 ? "groups.err.name" : "groups.err.template",
                    i18n_text(lang, strcmp(f, "name") == 0 ? "groups.f.name" : "groups.f.notify"));
}

static int manager(struct portal *p)
{
    int yes = 0;
    struct sm_err e = {0};
    return group_may_manage(p->db, p->user, &yes, &e) == 0 && yes;
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
    banner(&msg, r->lang, err);
    /* the new group's form (group_fields.html) keeps only the name typed */
    json_t *d = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "groups", a, "gname",
                          name ? name : "", "org_name", "", "contact_name", "", "contact_email", "",
                          "notify", "", "input_error", msg.p ? msg.p : "", "empty", n == 0,
                          "manage", manager(p));
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

/* The template of the page's form: org.name_ja, contact.name, contact.email and up to 16
 * notification addresses (split at spaces, commas and line breaks; ra/group refuses more
 * than 3). Owned JSON text. */
static char *form_template(struct req *r)
{
    const char *emails = req_form_text(r, "notify_emails");
    json_t *t = json_object(), *ne = json_array();
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
    const char *org = req_form_text(r, "org_name");
    if (org != NULL && org[0] != '\0')
        json_object_set_new(t, "org", json_pack("{s:s}", "name_ja", org));
    json_t *ct = json_object();
    const char *cn = req_form_text(r, "contact_name"), *ce = req_form_text(r, "contact_email");
    if (cn != NULL && cn[0] != '\0')
        json_object_set_new(ct, "contact.name", json_string(cn));
    if (ce != NULL && ce[0] != '\0')
        json_object_set_new(ct, "contact.email", json_string(ce));
    if (json_object_size(ct) > 0)
        json_object_set(t, "contacts", ct);
    json_decref(ct);
    char *tj = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    return tj;
}

void h_group_create(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    const char *name = req_form_text(r, "name");
    char *tj = form_template(r);
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

/* ---- one group: /groups/:gid ---- */

static const char *tstr(json_t *t, const char *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(t, obj), key));
    return s != NULL ? s : "";
}

static void group_page(struct req *r, struct portal *p, int64_t gid, int status,
                       const struct sm_err *err)
{
    struct group_row g = {0};
    struct sm_err e = {0};
    int64_t *ids = NULL;
    size_t nids = 0, nu = 0;
    struct user_row *us = NULL;
    if (groups_get(p->db, gid, &p->who.scope, &g, &e) < 0 ||
        groups_member_ids(p->db, gid, &ids, &nids, &e) < 0 ||
        user_list_org(p->db, g.org_id, &us, &nu, &e) < 0) {
        pf_reply_err(r, p, &e);
        goto out;
    }
    json_t *members = json_array(), *others = json_array();
    for (size_t i = 0; i < nu; i++) {
        size_t k = 0;
        while (k < nids && ids[k] != us[i].id)
            k++;
        json_array_append_new(k < nids ? members : others,
                              json_pack("{s:I, s:s, s:s}", "uid", (json_int_t)us[i].id, "login",
                                        us[i].login_id, "uname", us[i].display_name));
    }
    json_t *t = json_loads(g.template_json ? g.template_json : "{}", 0, NULL);
    struct buf ne = BUF_INIT, msg = BUF_INIT;
    json_t *a = json_object_get(t, "notify_emails");
    for (size_t i = 0; i < json_array_size(a); i++)
        buf_printf(&ne, "%s%s", i ? ", " : "", json_string_value(json_array_get(a, i)));
    banner(&msg, r->lang, err);
    const char *name = err != NULL ? req_form_text(r, "name") : NULL;
    json_t *d = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:b, s:I, s:s}", "id", (json_int_t)g.id,
        "gname", name != NULL ? name : g.name, "org_name", tstr(t, "org", "name_ja"),
        "contact_name", tstr(t, "contacts", "contact.name"), "contact_email",
        tstr(t, "contacts", "contact.email"), "notify", ne.p ? ne.p : "", "members", members,
        "others", others, "has_others", json_array_size(others) > 0, "manage", manager(p),
        "deletable", g.certs == 0, "certs", (json_int_t)g.certs, "input_error", msg.p ? msg.p : "");
    json_decref(t);
    buf_free(&ne);
    buf_free(&msg);
    http_reply_page(r, status, "group", "groups.title", d);
out:
    free(ids);
    free(us);
    group_row_clear(&g);
}

static int gid_or_reply(struct req *r, int64_t *gid)
{
    if (pf_parse_id(req_param(r, "gid"), gid) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return -1;
    }
    return 0;
}

void h_group(struct req *r)
{
    struct portal p;
    int64_t gid;
    if (portal_or_reply(r, &p) == 0 && gid_or_reply(r, &gid) == 0)
        group_page(r, &p, gid, 200, NULL);
    portal_clear(&p);
}

/* After a change of group gid: back to its page (or the list once deleted); a refused
 * input is the page again with the message, anything else the error page. */
static void after(struct req *r, struct portal *p, int64_t gid, int rc, const struct sm_err *e,
                  const char *to)
{
    if (rc == 0) {
        http_redirect(r, 303, to);
    } else if (e->code == SM_E_INVALID || e->code == SM_E_EXISTS || e->code == SM_E_CONFLICT) {
        group_page(r, p, gid, e->code == SM_E_CONFLICT ? 409 : 422, e);
    } else {
        pf_reply_err(r, p, e);
    }
}

void h_group_update(struct req *r)
{
    struct portal p;
    int64_t gid;
    if (portal_or_reply(r, &p) == 0 && gid_or_reply(r, &gid) == 0) {
        char *tj = form_template(r);
        struct sm_err e = {0};
        char to[48];
        snprintf(to, sizeof to, "/groups/%lld", (long long)gid);
        int rc = group_update(p.db, p.user, &p.who.scope, r->client, gid, req_form_text(r, "name"),
                              tj, &e);
        free(tj);
        after(r, &p, gid, rc, &e, to);
    }
    portal_clear(&p);
}

void h_group_delete(struct req *r)
{
    struct portal p;
    int64_t gid;
    if (portal_or_reply(r, &p) == 0 && gid_or_reply(r, &gid) == 0) {
        struct sm_err e = {0};
        int rc = group_delete(p.db, p.user, &p.who.scope, r->client, gid, &e);
        after(r, &p, gid, rc, &e, "/groups");
    }
    portal_clear(&p);
}

static void member_form(struct req *r, int add)
{
    struct portal p;
    int64_t gid, uid = 0;
    if (portal_or_reply(r, &p) == 0 && gid_or_reply(r, &gid) == 0) {
        struct sm_err e = {0};
        struct group_row g = {0};
        int rc = groups_get(p.db, gid, &p.who.scope, &g, &e); /* 404 before the input */
        group_row_clear(&g);
        if (rc == 0 && pf_parse_id(req_form_text(r, "user_id"), &uid) < 0)
            rc = sm_err_set(&e, SM_E_INVALID, "user_id", "a user of the organization");
        if (rc == 0)
            rc = add ? group_add_member(p.db, p.user, &p.who.scope, r->client, gid, uid, &e)
                     : group_remove_member(p.db, p.user, &p.who.scope, r->client, gid, uid, &e);
        if (rc < 0 && e.code == SM_E_NOTFOUND && strcmp(e.field, "user_id") == 0)
            e.code = SM_E_INVALID; /* a user that is not there: the form's message */
        char to[48];
        snprintf(to, sizeof to, "/groups/%lld", (long long)gid);
        after(r, &p, gid, rc, &e, to);
    }
    portal_clear(&p);
}

void h_group_member_add(struct req *r) { member_form(r, 1); }
void h_group_member_remove(struct req *r) { member_form(r, 0); }

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

/* A refused create or update: the field's message for bad input, else the error table. */
static void reply_refused(struct req *r, struct portal *p, const struct sm_err *e)
{
    if (e->code == SM_E_INVALID || e->code == SM_E_EXISTS)
        http_reply_err_msg(
            r, e, strcmp(e->field, "name") == 0 ? "groups.err.name" : "groups.err.template",
            e->field);
    else if (e->code == SM_E_CONFLICT)
        http_reply_err_msg(r, e, "groups.err.notempty", e->field);
    else
        pf_reply_err(r, p, e);
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
        reply_refused(r, &p, &e);
    else
        reply_group(r, &p, id);
    free(tj);
out:
    json_decref(b);
    portal_clear(&p);
}

/* The group :gid of an API call, inside the caller's scope (404 before any input check,
 * so another organization's group looks like none). 0, or -1 when answered. */
static int api_group(struct req *r, struct portal *p, int64_t *gid, struct group_row *g)
{
    struct sm_err e = {0};
    if (pf_parse_id(req_param(r, "gid"), gid) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return -1;
    }
    if (groups_get(p->db, *gid, &p->who.scope, g, &e) < 0) {
        pf_reply_err(r, p, &e);
        return -1;
    }
    return 0;
}

void h_api_group(struct req *r)
{
    struct portal p;
    struct group_row g = {0};
    int64_t gid = 0;
    if (portal_or_reply(r, &p) == 0 && api_group(r, &p, &gid, &g) == 0)
        http_reply_json(r, 200, group_json(&g));
    group_row_clear(&g);
    portal_clear(&p);
}

/* POST /api/v1/groups/:gid {name?, template?}: what is left out stays as it is. */
void h_api_group_update(struct req *r)
{
    struct portal p;
    struct group_row g = {0};
    json_t *b = NULL;
    char *tj = NULL;
    int64_t gid = 0;
    if (portal_or_reply(r, &p) < 0 || api_group(r, &p, &gid, &g) < 0 ||
        (b = req_json_or_reply(r)) == NULL)
        goto out;
    struct sm_err e = {0};
    json_t *name = json_object_get(b, "name"), *t = json_object_get(b, "template");
    if (name != NULL && !json_is_string(name)) {
        sm_err_set(&e, SM_E_INVALID, "name", "a text");
        reply_refused(r, &p, &e);
        goto out;
    }
    tj = t != NULL ? json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (group_update(p.db, p.user, &p.who.scope, r->client, gid,
                     name != NULL ? json_string_value(name) : g.name,
                     t != NULL ? tj : g.template_json, &e) < 0)
        reply_refused(r, &p, &e);
    else
        reply_group(r, &p, gid);
out:
    free(tj);
    json_decref(b);
    group_row_clear(&g);
    portal_clear(&p);
}

/* DELETE /api/v1/groups/:gid: only an empty group (409 while certificates are filed). */
void h_api_group_delete(struct req *r)
{
    struct portal p;
    struct group_row g = {0};
    int64_t gid = 0;
    if (portal_or_reply(r, &p) == 0 && api_group(r, &p, &gid, &g) == 0) {
        struct sm_err e = {0};
        if (group_delete(p.db, p.user, &p.who.scope, r->client, gid, &e) < 0)
            reply_refused(r, &p, &e);
        else
            http_reply_json(r, 200, json_pack("{s:I, s:b}", "id", (json_int_t)gid, "deleted", 1));
    }
    group_row_clear(&g);
    portal_clear(&p);
}

void h_api_group_member(struct req *r)
{
    struct portal p;
    struct group_row g = {0};
    json_t *b = NULL;
    int64_t gid = 0;
    if (portal_or_reply(r, &p) < 0 || api_group(r, &p, &gid, &g) < 0 ||
        (b = req_json_or_reply(r)) == NULL)
        goto out;
    struct sm_err e = {0};
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
    group_row_clear(&g);
    portal_clear(&p);
}

/* DELETE /api/v1/groups/:gid/members/:uid */
void h_api_group_member_remove(struct req *r)
{
    struct portal p;
    struct group_row g = {0};
    int64_t gid = 0, uid = 0;
    if (portal_or_reply(r, &p) < 0 || api_group(r, &p, &gid, &g) < 0)
        goto out;
    struct sm_err e = {0};
    if (pf_parse_id(req_param(r, "uid"), &uid) < 0)
        http_reply_error(r, 404, "web.notfound", NULL);
    else if (group_remove_member(p.db, p.user, &p.who.scope, r->client, gid, uid, &e) < 0)
        pf_reply_err(r, &p, &e);
    else
        reply_group(r, &p, gid);
out:
    group_row_clear(&g);
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

/* ---- a certificate's group, on its page ---- */

void group_page_data(struct req *r, struct portal *p, int64_t cert_id, int64_t org_id, json_t *data)
{
    (void)r;
    struct group_row *v = NULL;
    size_t n = 0;
    int64_t cur = 0;
    struct sm_err e = {0};
    json_t *c = json_false();
    if (p->user != NULL && (p->user->role == USER_CUSTOMER || p->user->role == USER_RESELLER) &&
        groups_of_cert(p->db, cert_id, &cur, &e) == 0 &&
        groups_list(p->db, &p->who.scope, &v, &n, &e) == 0) {
        json_t *a = json_array();
        const char *cname = "";
        for (size_t i = 0; i < n; i++) {
            if (v[i].org_id != org_id)
                continue;
            if (v[i].id == cur)
                cname = v[i].name;
            json_array_append_new(a, json_pack("{s:I, s:s, s:b}", "gid", (json_int_t)v[i].id,
                                               "gname", v[i].name, "selected", v[i].id == cur));
        }
        if (json_array_size(a) > 0)
            c = json_pack("{s:s, s:o}", "current", cname, "choices", a);
        else
            json_decref(a);
    }
    group_rows_free(v, n);
    json_object_set_new(data, "cgroup", c);
}

void h_cert_group_move(struct req *r)
{
    struct portal p;
    int64_t gid = 0;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct certs_row *c = NULL;
    const char *serial = req_param(r, "serial");
    int rc = certs_get_scoped(p.db, serial, &p.who.scope, &c, &e); /* 404 before the input */
    certs_row_free(c);
    if (rc == 0 && pf_parse_id(req_form_text(r, "group_id"), &gid) < 0)
        rc = sm_err_set(&e, SM_E_INVALID, "group_id", "a group of the organization");
    if (rc == 0)
        rc = group_move_cert(p.db, p.user, &p.who.scope, r->client, serial, gid, &e);
    if (rc == 0) {
        char to[160];
        snprintf(to, sizeof to, "/certificates/%s?moved=1", serial);
        http_redirect(r, 303, to);
    } else {
        pf_reply_err(r, &p, &e);
    }
out:
    portal_clear(&p);
}
