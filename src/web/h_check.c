/* SPDX-License-Identifier: MIT */
/* R-DL-2: the install check (設定確認) as a page for logged-in users and as an API call,
 * through ra/check with the server's [dcv] rule for private and loopback targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ra/check.h"
#include "web/h_org.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define URL_MAX 512

/* A host name to expect: letters, digits, '.', '-', '*', ':' (an address), at most 253. */
static int servername_ok(const char *s)
{
    size_t n = strlen(s);
    if (n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':'))
            return 0;
    }
    return 1;
}

/* Input checks shared by the page and the API: 0, or -SM_E_INVALID naming the field. */
static int input_ok(const char *url, const char *sn, struct sm_err *e)
{
    if (url == NULL || url[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "url", "required");
    if (strlen(url) >= URL_MAX || strncmp(url, "https://", 8) != 0)
        return sm_err_set(e, SM_E_INVALID, "url", "not an https:// URL");
    if (sn != NULL && !servername_ok(sn))
        return sm_err_set(e, SM_E_INVALID, "servername", "not a host name");
    return 0;
}

static json_t *findings(const struct req *r, const struct check_report *rep)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rep->n; i++) {
        char key[80];
        snprintf(key, sizeof key, "check.code.%s", rep->f[i].code);
        for (char *c = key + 11; *c; c++)
            if (*c == '.')
                *c = '_';
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:s, s:b}", "code", rep->f[i].code, "message",
                                        i18n_text(r->lang, key), "detail", rep->f[i].detail,
                                        "is_ok", strcmp(rep->f[i].code, "ok") == 0));
    }
    return a;
}

static void page(struct req *r, int status, const char *url, const char *sn,
                 const struct check_report *rep, const struct sm_err *err)
{
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:b}", "url", url ? url : "", "servername",
                          sn ? sn : "", "input_error", "", "error_field", "", "result", 0);
    if (err != NULL) {
        char key[96];
        snprintf(key, sizeof key, "check.err.%s", err->field);
        json_object_set_new(d, "input_error", json_string(i18n_text(r->lang, key)));
        json_object_set_new(d, "error_field", json_string(err->field));
    }
    if (rep != NULL) {
        int ok = rep->n == 1 && strcmp(rep->f[0].code, "ok") == 0;
        char nb[32] = "", na[32] = "";
        if (rep->not_after > 0) {
            clock_format_utc((time_t)rep->not_before, nb, sizeof nb);
            clock_format_utc((time_t)rep->not_after, na, sizeof na);
        }
        json_object_set_new(
            d, "result",
            json_pack("{s:b, s:o, s:s, s:s, s:i, s:s, s:s, s:b, s:s, s:s, s:s, s:i, s:b}", "ok", ok,
                      "findings", findings(r, rep), "target", rep->servername, "address",
                      rep->address, "port", rep->port, "serial", rep->serial, "cn", rep->subject_cn,
                      "ours", rep->ours, "state", rep->state, "not_before", nb, "not_after", na,
                      "chain_length", (int)rep->nchain, "served", rep->nchain > 0));
    }
    http_reply_page(r, status, "check", "check.title", d);
}

void h_check_form(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) == 0)
        page(r, 200, req_query(r, "url"), NULL, NULL, NULL);
    portal_clear(&p);
}

void h_check(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    const char *url = req_form_text(r, "url");
    const char *sn = req_form_text(r, "servername");
    if (sn != NULL && sn[0] == '\0')
        sn = NULL;
    struct sm_err e = {0};
    if (input_ok(url, sn, &e) < 0) {
        page(r, 422, url, sn, NULL, &e);
        goto out;
    }
    struct check_report rep;
    int rc = check_install_cfg(p.db, r->web->cfg, url, sn, clock_now(), &rep, &e);
    if (rc < 0)
        pf_reply_err(r, &p, &e);
    else if (rep.n == 1 && strcmp(rep.f[0].code, "target.invalid") == 0) {
        sm_err_set(&e, SM_E_INVALID, "url", "not an https:// URL");
        page(r, 422, url, sn, NULL, &e);
    } else
        page(r, 200, url, sn, &rep, NULL);
out:
    portal_clear(&p);
}

void h_api_check(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    if (portal_or_reply(r, &p) < 0 || (b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *ju = json_object_get(b, "url"), *js = json_object_get(b, "servername");
    const char *url = json_string_value(ju);
    const char *sn = json_string_value(js);
    struct sm_err e = {0};
    if (js != NULL && !json_is_null(js) && sn == NULL)
        sm_err_set(&e, SM_E_INVALID, "servername", "not a string");
    else if (sn != NULL && sn[0] == '\0')
        sn = NULL;
    if (e.code != 0 || input_ok(url, sn, &e) < 0) {
        char key[96];
        snprintf(key, sizeof key, "check.err.%s", e.field);
        http_reply_err_msg(r, &e, key, e.field);
        goto out;
    }
    struct check_report rep;
    int rc = check_install_cfg(p.db, r->web->cfg, url, sn, clock_now(), &rep, &e);
    if (rc < 0) {
        pf_reply_err(r, &p, &e);
    } else if (rep.n == 1 && strcmp(rep.f[0].code, "target.invalid") == 0) {
        sm_err_set(&e, SM_E_INVALID, "url", "%s", rep.f[0].detail);
        http_reply_err_msg(r, &e, "check.err.url", "url");
    } else {
        char *s = check_report_json(&rep);
        json_t *j = s != NULL ? json_loads(s, 0, NULL) : NULL;
        free(s);
        if (j == NULL)
            http_reply_error(r, 500, "err.internal", NULL);
        else {
            json_t *fs = json_object_get(j, "findings");
            for (size_t i = 0; i < json_array_size(fs); i++) {
                json_t *f = json_array_get(fs, i);
                char key[80];
                snprintf(key, sizeof key, "check.code.%s",
                         json_string_value(json_object_get(f, "code")));
                for (char *c = key + 11; *c; c++)
                    if (*c == '.')
                        *c = '_';
                json_object_set_new(f, "message", json_string(i18n_text(r->lang, key)));
            }
            http_reply_json(r, 200, j);
        }
    }
out:
    json_decref(b);
    portal_clear(&p);
}
