/* SPDX-License-Identifier: MIT */
/* R-MNG-5: the page and the API that change the notification e-mail addresses of an order
 * (and so of its certificate's subscription), through ra/notifyaddr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ra/notifyaddr.h"
#include "store/orders.h"
#include "web/h_portal.h"
#include "web/h_subscriptions.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

static const char *const nfields[3] = {"notify_email1", "notify_email2", "notify_email3"};

/* The message key of a refusal of order_set_notify_emails and its {field}: the field's
 * label. */
static const char *notify_key(const char *lang, const struct sm_err *e, const char **arg)
{
    char lk[96];
    snprintf(lk, sizeof lk, "order.field.%s", e->field);
    *arg = i18n_text(lang, lk);
    return e->detail[0] ? "notify.err.email" : "notify.err.required";
}

static int load_scoped(struct req *r, struct portal *p, struct order_row **o)
{
    int64_t id;
    struct sm_err e = {0};
    *o = NULL;
    if (pf_parse_id(req_param(r, "id"), &id) < 0 ||
        orders_get(p->db, id, &p->who.scope, o, &e) == -SM_E_NOTFOUND) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return -1;
    }
    if (*o == NULL) {
        pf_internal(r, "notify: order", &e);
        return -1;
    }
    return 0;
}

static void page(struct req *r, const struct order_row *o, int status, const char *const v[3],
                 const struct sm_err *e, int done)
{
    json_t *fields = json_array();
    for (int i = 0; i < 3; i++) {
        char lk[64];
        snprintf(lk, sizeof lk, "order.field.%s", nfields[i]);
        struct buf msg = BUF_INIT;
        if (e != NULL && strcmp(e->field, nfields[i]) == 0) {
            const char *arg = NULL;
            const char *key = notify_key(r->lang, e, &arg);
            i18n_format(&msg, r->lang, key, arg);
        }
        json_array_append_new(fields, json_pack("{s:s, s:s, s:s, s:s}", "name", nfields[i], "label",
                                                i18n_text(r->lang, lk), "v", v[i] ? v[i] : "",
                                                "err", msg.p ? msg.p : ""));
        buf_free(&msg);
    }
    json_t *d = json_pack("{s:I, s:s, s:s, s:o, s:b, s:b}", "id", (json_int_t)o->id, "receipt_no",
                          o->receipt_no, "cn", o->cn ? o->cn : "", "fields", fields, "done", done,
                          "has_error", e != NULL);
    http_reply_page(r, status, "order_notify", "notify.title", d);
}

void h_order_notify_form(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    if (portal_or_reply(r, &p) == 0 && load_scoped(r, &p, &o) == 0) {
        const char *v[3] = {o->notify_email[0], o->notify_email[1], o->notify_email[2]};
        const char *done = req_query(r, "done");
        page(r, o, 200, v, NULL, done != NULL && strcmp(done, "1") == 0);
    }
    order_row_free(o);
    portal_clear(&p);
}

void h_order_notify(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    if (portal_or_reply(r, &p) < 0 || load_scoped(r, &p, &o) < 0)
        goto out;
    const char *v[3];
    for (int i = 0; i < 3; i++)
        v[i] = req_form_text(r, nfields[i]);
    struct sm_err e = {0};
    if (order_set_notify_emails(&p.env, &p.who, o->id, v, NULL, &e) == 0) {
        char loc[64];
        snprintf(loc, sizeof loc, "/orders/%lld/notify?done=1", (long long)o->id);
        http_redirect(r, 303, loc);
    } else if (e.code == SM_E_INVALID) {
        page(r, o, 422, v, &e, 0);
    } else {
        pf_reply_err(r, &p, &e);
    }
out:
    order_row_free(o);
    portal_clear(&p);
}

void h_api_order_notify(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    json_t *b = NULL;
    if (portal_or_reply(r, &p) < 0 || load_scoped(r, &p, &o) < 0 ||
        (b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *a = json_object_get(b, "notify_emails");
    struct sm_err e = {0};
    const char *v[3] = {NULL, NULL, NULL};
    int bad = !json_is_array(a) || json_array_size(a) > 3;
    for (size_t i = 0; !bad && i < json_array_size(a); i++)
        if ((v[i] = json_string_value(json_array_get(a, i))) == NULL)
            bad = 1;
    int changed = 0;
    if (bad) {
        sm_err_set(&e, SM_E_INVALID, "notify_emails", "a list of up to 3 addresses");
        http_reply_err_msg(r, &e, "notify.err.list", "notify_emails");
    } else if (order_set_notify_emails(&p.env, &p.who, o->id, v, &changed, &e) == 0) {
        struct order_row *n = NULL;
        if (orders_get(p.db, o->id, &p.who.scope, &n, &e) < 0) {
            pf_internal(r, "notify: reload", &e);
            goto out;
        }
        json_t *list = json_array();
        for (int i = 0; i < 3; i++)
            if (n->notify_email[i] != NULL)
                json_array_append_new(list, json_string(n->notify_email[i]));
        http_reply_json(r, 200,
                        json_pack("{s:I, s:s, s:o, s:b}", "id", (json_int_t)n->id, "receipt_no",
                                  n->receipt_no, "notify_emails", list, "changed", changed));
        order_row_free(n);
    } else if (e.code == SM_E_INVALID) {
        const char *arg = NULL;
        const char *key = notify_key(r->lang, &e, &arg);
        http_reply_err_msg(r, &e, key, arg);
    } else {
        pf_reply_err(r, &p, &e);
    }
out:
    json_decref(b);
    order_row_free(o);
    portal_clear(&p);
}
