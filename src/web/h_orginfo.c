/* SPDX-License-Identifier: MIT */
/* Issue 12 item 6: the organization's registration information (登録情報の変更), a page and
 * API calls through ra/orginfo. A change of a vetted field is shown and confirmed before
 * it is saved, since the next OV/EV issuance is then vetted again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/orginfo.h"
#include "web/h_org.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

static void set_field(struct orgreg_row *r, size_t i, const char *v)
{
    char *dst[ORGINFO_NFIELDS] = {r->name_ja, r->name_en,      r->postal,        r->address,
                                  r->phone,   r->contact_name, r->contact_email, r->contact_phone};
    size_t cap[ORGINFO_NFIELDS] = {sizeof r->name_ja,       sizeof r->name_en,
                                   sizeof r->postal,        sizeof r->address,
                                   sizeof r->phone,         sizeof r->contact_name,
                                   sizeof r->contact_email, sizeof r->contact_phone};
    if (i < ORGINFO_NFIELDS)
        snprintf(dst[i], cap[i], "%s", v != NULL ? v : "");
}

/* A value too long for its column would be cut by set_field: refuse it first. */
static int too_long(const struct orgreg_row *r, size_t i, const char *v)
{
    size_t caps[ORGINFO_NFIELDS] = {sizeof r->name_ja,       sizeof r->name_en,
                                    sizeof r->postal,        sizeof r->address,
                                    sizeof r->phone,         sizeof r->contact_name,
                                    sizeof r->contact_email, sizeof r->contact_phone};
    return v != NULL && strlen(v) >= caps[i];
}

static int parse_version(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s != NULL ? strtoll(s, &end, 10) : -1;
    if (s == NULL || errno != 0 || end == s || *end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

static void page(struct req *r, int status, const struct orgreg_row *v, int64_t version, int admin,
                 const struct sm_err *err, const struct orginfo_result *res, const char *done)
{
    json_t *fields = json_array();
    for (size_t i = 0; i < ORGINFO_NFIELDS; i++) {
        const char *name = orginfo_fields[i];
        char lk[64];
        snprintf(lk, sizeof lk, "orginfo.f.%s", name);
        int changing = 0;
        for (size_t k = 0; res != NULL && k < res->nvetted; k++)
            changing |= strcmp(res->vetted[k], name) == 0;
        struct buf msg = BUF_INIT;
        if (err != NULL && strcmp(err->field, name) == 0)
            i18n_format(&msg, r->lang, "orginfo.err.field", i18n_text(r->lang, lk));
        json_array_append_new(fields,
                              json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "name", name, "label",
                                        i18n_text(r->lang, lk), "v", orginfo_value(v, i), "vetted",
                                        orginfo_field_vetted(name), "changing", changing, "err",
                                        msg.p ? msg.p : ""));
        buf_free(&msg);
    }
    json_t *changes = json_array();
    for (size_t k = 0; res != NULL && k < res->nvetted; k++) {
        char lk[64];
        snprintf(lk, sizeof lk, "orginfo.f.%s", res->vetted[k]);
        json_array_append_new(changes, json_string(i18n_text(r->lang, lk)));
    }
    int confirm = res != NULL && res->needs_confirm;
    json_t *d =
        json_pack("{s:o, s:I, s:b, s:b, s:o, s:b, s:b, s:b, s:s}", "fields", fields, "version",
                  (json_int_t)version, "admin", admin, "confirm", confirm, "changes", changes,
                  "has_error", err != NULL, "done", done != NULL && done[0] != '\0', "done_stale",
                  done != NULL && strcmp(done, "stale") == 0, "kind", v->kind);
    http_reply_page(r, status, "org_info", "orginfo.title", d);
}

void h_orginfo_form(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct orgreg_row cur;
    int admin = 0;
    struct sm_err e = {0};
    if (orginfo_get(p.db, p.user, &cur, &admin, &e) < 0)
        pf_reply_err(r, &p, &e);
    else
        page(r, 200, &cur, cur.version, admin, NULL, NULL, req_query(r, "done"));
out:
    portal_clear(&p);
}

void h_orginfo(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct orgreg_row cur, in;
    int admin = 0;
    struct sm_err e = {0};
    if (orginfo_get(p.db, p.user, &cur, &admin, &e) < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    in = cur;
    int64_t version = -1;
    for (size_t i = 0; i < ORGINFO_NFIELDS; i++) {
        const char *v = req_form_text(r, orginfo_fields[i]);
        if (too_long(&in, i, v) && e.code == 0)
            sm_err_set(&e, SM_E_INVALID, orginfo_fields[i], "too long");
        set_field(&in, i, v);
    }
    if (e.code == 0 && parse_version(req_form_text(r, "version"), &version) < 0)
        sm_err_set(&e, SM_E_INVALID, "version", "missing");
    const char *c = req_form_text(r, "confirm");
    int confirmed = c != NULL && strcmp(c, "1") == 0;
    struct orginfo_result res;
    memset(&res, 0, sizeof res);
    if (e.code == 0)
        orginfo_update(p.db, p.user, r->client, &in, version, confirmed, &res, &e);
    if (e.code == SM_E_INVALID && strcmp(e.field, "version") != 0)
        page(r, 422, &in, version, admin, &e, NULL, NULL);
    else if (e.code != 0)
        pf_reply_err(r, &p, &e);
    else if (res.needs_confirm)
        page(r, 200, &in, version, admin, NULL, &res, NULL);
    else
        http_redirect(r, 303,
                      res.vetting_stale ? "/organization?done=stale" : "/organization?done=1");
out:
    portal_clear(&p);
}

static json_t *org_json(const struct orgreg_row *o, int admin)
{
    json_t *j = json_pack("{s:I, s:s, s:I, s:b, s:I}", "id", (json_int_t)o->id, "kind", o->kind,
                          "version", (json_int_t)o->version, "is_admin", admin, "vetting_reset_at",
                          (json_int_t)o->vetting_reset_at);
    for (size_t i = 0; j != NULL && i < ORGINFO_NFIELDS; i++)
        json_object_set_new(j, orginfo_fields[i], json_string(orginfo_value(o, i)));
    return j;
}

void h_api_orginfo_get(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct orgreg_row cur;
    int admin = 0;
    struct sm_err e = {0};
    if (orginfo_get(p.db, p.user, &cur, &admin, &e) < 0)
        pf_reply_err(r, &p, &e);
    else
        http_reply_json(r, 200, org_json(&cur, admin));
out:
    portal_clear(&p);
}

void h_api_orginfo(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    if (portal_or_reply(r, &p) < 0 || (b = req_json_or_reply(r)) == NULL)
        goto out;
    struct orgreg_row cur, in;
    int admin = 0;
    struct sm_err e = {0};
    if (orginfo_get(p.db, p.user, &cur, &admin, &e) < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    in = cur;
    for (size_t i = 0; i < ORGINFO_NFIELDS && e.code == 0; i++) {
        json_t *v = json_object_get(b, orginfo_fields[i]);
        if (v == NULL)
            continue; /* absent: unchanged */
        if (!json_is_string(v) || too_long(&in, i, json_string_value(v)))
            sm_err_set(&e, SM_E_INVALID, orginfo_fields[i], "a string of limited length");
        else
            set_field(&in, i, json_string_value(v));
    }
    json_t *jv = json_object_get(b, "version");
    int64_t version = json_is_integer(jv) ? (int64_t)json_integer_value(jv) : -1;
    if (e.code == 0 && version < 0)
        sm_err_set(&e, SM_E_INVALID, "version", "the version read with GET is required");
    struct orginfo_result res;
    memset(&res, 0, sizeof res);
    if (e.code == 0)
        orginfo_update(p.db, p.user, r->client, &in, version,
                       json_is_true(json_object_get(b, "confirm_revetting")), &res, &e);
    if (e.code == 0 && res.needs_confirm)
        sm_err_set(&e, SM_E_INVALID, "confirm_revetting",
                   "vetted fields change: send confirm_revetting true");
    if (e.code == SM_E_INVALID) {
        char key[64];
        snprintf(key, sizeof key, "orginfo.api.%s",
                 strcmp(e.field, "confirm_revetting") == 0 ? "confirm" : "field");
        http_reply_err_msg(r, &e, key, e.field);
    } else if (e.code != 0) {
        pf_reply_err(r, &p, &e);
    } else {
        struct orgreg_row now;
        if (orginfo_get(p.db, p.user, &now, &admin, &e) < 0) {
            pf_reply_err(r, &p, &e);
            goto out;
        }
        http_reply_json(r, 200,
                        json_pack("{s:b, s:b, s:o}", "changed", res.changed, "vetting_stale",
                                  res.vetting_stale, "organization", org_json(&now, admin)));
    }
out:
    json_decref(b);
    portal_clear(&p);
}
