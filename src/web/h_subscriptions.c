/* SPDX-License-Identifier: MIT */
/* Subscriptions on the certificate page and API, continued issuance (継続発行) and
 * renewal (see h_subscriptions.h). Reads through store/, changes through ra/subscription. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/subscription.h"
#include "store/certs.h"
#include "store/subscriptions.h"
#include "web/h_portal.h"
#include "web/h_subscriptions.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define DAY 86400

/* "YYYY-MM-DD" in Asia/Tokyo. */
static void jst_date(int64_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static void iso(int64_t t, char *out, size_t n)
{
    if (t <= 0)
        out[0] = '\0';
    else
        clock_format_utc((time_t)t, out, n);
}

/* The message key of a refusal of ra/subscription (fields "continue.*", "renewal.*",
 * "csr", "notify_emails", "pay_method"); the order keys otherwise. */
static const char *err_key(const struct sm_err *e, char *buf, size_t n)
{
    if (e->code == SM_E_NOTFOUND)
        return "web.notfound";
    if (strncmp(e->field, "continue.", 9) == 0 || strncmp(e->field, "renewal.", 8) == 0 ||
        strcmp(e->field, "csr") == 0 || strcmp(e->field, "notify_emails") == 0 ||
        strcmp(e->field, "pay_method") == 0) {
        snprintf(buf, n, "sub.err.%s", e->field);
        return buf;
    }
    return order_err_key(e);
}

/* The argument of the message of e: the date a window opens, or the item a renewal cannot
 * change; NULL otherwise. */
static const char *err_arg(const char *lang, const struct sm_err *e)
{
    if (strcmp(e->field, "continue.window") == 0 || strcmp(e->field, "renewal.window") == 0)
        return e->detail;
    if (strcmp(e->field, "renewal.forbidden") == 0) {
        char lk[300];
        snprintf(lk, sizeof lk, "sub.item.%s", e->detail);
        return i18n_text(lang, lk);
    }
    return NULL;
}

static void reply_err(struct req *r, const struct sm_err *e)
{
    char key[80];
    const char *k = err_key(e, key, sizeof key);
    http_reply_err_msg(r, e, k, err_arg(r->lang, e));
}

int hs_err_text(struct buf *out, const char *lang, const struct sm_err *e)
{
    if (strncmp(e->field, "renewal.", 8) != 0 && strncmp(e->field, "continue.", 9) != 0 &&
        strcmp(e->field, "subscription") != 0)
        return 0;
    char key[80];
    if (strcmp(e->field, "subscription") == 0)
        snprintf(key, sizeof key, "%s", "web.notfound");
    else
        snprintf(key, sizeof key, "sub.err.%s", e->field);
    i18n_format(out, lang, key, err_arg(lang, e));
    return 1;
}

void hs_reply_err(struct req *r, const struct sm_err *e) { reply_err(r, e); }

/* ---- what the page and the API show ---- */

json_t *hs_cert_subscription(struct req *r, struct portal *p, int64_t cert_id)
{
    struct subscription_row s = {0};
    struct subscription_cert_row *l = NULL;
    size_t n = 0;
    if (subscriptions_get_by_cert(p->db, cert_id, &s, NULL) < 0 ||
        subscription_certs_list(p->db, s.id, &l, &n, NULL) < 0)
        return json_false();
    time_t now = clock_now();
    const struct subscription_cert_row *latest = NULL;
    json_t *certs = json_array();
    for (size_t i = 0; i < n; i++) {
        if (l[i].cert_id == 0)
            continue;
        if (latest == NULL || l[i].not_after >= latest->not_after)
            latest = &l[i];
        char nb[16], na[16], key[48];
        jst_date(l[i].not_before, nb, sizeof nb);
        jst_date(l[i].not_after, na, sizeof na);
        snprintf(key, sizeof key, "sub.reason.%s", l[i].reason);
        json_array_append_new(certs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "serial",
                                               l[i].serial, "reason", i18n_text(r->lang, key),
                                               "reason_code", l[i].reason, "not_before", nb,
                                               "not_after", na, "state", l[i].cert_state, "this",
                                               l[i].cert_id == cert_id));
    }
    int64_t pending = 0;
    for (size_t i = 0; i < n; i++)
        if (l[i].cert_id == 0)
            pending = l[i].order_id;
    char starts[16], ends[16], renew_from[16], next_from[16] = "", next_until[16] = "";
    jst_date(s.starts_at, starts, sizeof starts);
    jst_date(s.ends_at, ends, sizeof ends);
    jst_date(sub_renewal_from((time_t)s.ends_at), renew_from, sizeof renew_from);
    int active = strcmp(s.state, "active") == 0 && now <= (time_t)s.ends_at;
    int more = active && latest != NULL && latest->not_after < s.ends_at; /* 継続発行 ahead */
    int can_continue = 0;
    if (more) {
        time_t from = (time_t)latest->not_after + 1 - (time_t)SUB_CONTINUE_WINDOW_DAYS * DAY;
        time_t at = from > now ? from : now;
        jst_date(at, next_from, sizeof next_from); /* an open window: from today */
        jst_date(sub_cert_not_after(at, at, (time_t)s.ends_at), next_until, sizeof next_until);
        can_continue = now >= from && latest->cert_id == cert_id && pending == 0;
    }
    char state_key[32];
    snprintf(state_key, sizeof state_key, "sub.state.%s", s.state);
    json_t *j = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:I, s:o, s:b, s:s, s:s, s:b, s:s, s:b, s:I, s:I}", "id",
        (json_int_t)s.id, "state", s.state, "state_label", i18n_text(r->lang, state_key), "starts",
        starts, "ends", ends, "carried_days", (json_int_t)s.carried_days, "certs", certs, "more",
        more, "next_from", next_from, "next_until", next_until, "can_continue", can_continue,
        "renew_from", renew_from, "can_renew",
        active && sub_renewal_open((time_t)s.ends_at, now) && s.renewal_order_id == 0,
        "continue_order", (json_int_t)pending, "renewal_order", (json_int_t)s.renewal_order_id);
    /* R-MNG-5: where the reminders go, and the page that changes it */
    struct order_row *lo = NULL;
    char notify[800] = "";
    if (latest != NULL && orders_get(p->db, latest->order_id, &p->who.scope, &lo, NULL) == 0)
        for (int i = 0; i < 3; i++)
            if (lo->notify_email[i] != NULL)
                snprintf(notify + strlen(notify), sizeof notify - strlen(notify), "%s%s",
                         notify[0] ? ", " : "", lo->notify_email[i]);
    order_row_free(lo);
    /* R-REN-5: a renewal of the subscription not issued yet, with its order */
    struct order_row *ro = NULL;
    int renewing = 0;
    if (s.renewal_order_id > 0 &&
        orders_get(p->db, s.renewal_order_id, &p->who.scope, &ro, NULL) == 0)
        renewing = strcmp(ro->state, "issued") != 0 && strcmp(ro->state, "cancelled") != 0 &&
                   strcmp(ro->state, "rejected") != 0;
    if (j != NULL) {
        json_object_set_new(j, "renewal_pending", json_boolean(renewing));
        json_object_set_new(j, "renewal_receipt", json_string(renewing ? ro->receipt_no : ""));
    }
    order_row_free(ro);
    if (j != NULL) {
        json_object_set_new(j, "notify", json_string(notify));
        json_object_set_new(j, "notify_order",
                            json_integer(latest != NULL ? (json_int_t)latest->order_id : 0));
    }
    free(l);
    return j ? j : json_false();
}

void h_api_cert_subscription(struct req *r)
{
    struct portal p;
    struct certs_row *c = NULL;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (certs_get_scoped(p.db, req_param(r, "serial"), &p.who.scope, &c, &e) < 0) {
        reply_err(r, &e);
        goto out;
    }
    struct subscription_row s = {0};
    if (subscriptions_get_by_cert(p.db, c->id, &s, &e) < 0) {
        e.code = SM_E_NOTFOUND;
        reply_err(r, &e);
        goto out;
    }
    json_t *j = hs_cert_subscription(r, &p, c->id);
    char a[24], b[24];
    iso(s.starts_at, a, sizeof a);
    iso(s.ends_at, b, sizeof b);
    json_object_set_new(j, "starts_at", json_string(a));
    json_object_set_new(j, "ends_at", json_string(b));
    http_reply_json(r, 200, j);
out:
    certs_row_free(c);
    portal_clear(&p);
}

/* ---- actions ---- */

static void order_answer(struct req *r, struct portal *p, int64_t id, int api)
{
    if (!api) {
        char loc[64];
        snprintf(loc, sizeof loc, "/orders/%lld", (long long)id);
        http_redirect(r, 303, loc);
        return;
    }
    struct order_row *o = NULL;
    struct sm_err e = {0};
    if (orders_get(p->db, id, &p->who.scope, &o, &e) < 0) {
        reply_err(r, &e);
        return;
    }
    http_reply_json(r, 201,
                    json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)o->id, "receipt_no",
                              o->receipt_no, "kind", o->kind, "state", o->state, "amount",
                              (json_int_t)o->amount));
    order_row_free(o);
}

static void do_continue(struct req *r, const char *csr, int api)
{
    struct portal p;
    struct sm_err e = {0};
    int64_t id = 0;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (subscription_continue(&p.env, &p.who, r->web->cfg, req_param(r, "serial"), csr, &id, &e) <
        0)
        reply_err(r, &e);
    else
        order_answer(r, &p, id, api);
out:
    portal_clear(&p);
}

void h_cert_continue(struct req *r) { do_continue(r, req_form_text(r, "csr"), 0); }

void h_api_cert_continue(struct req *r)
{
    json_t *b = req_json_or_reply(r);
    if (b == NULL)
        return;
    json_t *csr = json_object_get(b, "csr");
    if (csr != NULL && !json_is_string(csr) && !json_is_null(csr)) {
        struct sm_err e = {0};
        sm_err_set(&e, SM_E_INVALID, "csr", "csr must be a string");
        http_reply_err_msg(r, &e, "sub.err.csr_type", "csr");
    } else {
        do_continue(r, json_string_value(csr), 1);
    }
    json_decref(b);
}

static void do_renew(struct req *r, const struct sub_renewal *sr, int api)
{
    struct portal p;
    struct sm_err e = {0};
    int64_t id = 0;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (subscription_renew(&p.env, &p.who, req_param(r, "serial"), sr, &id, &e) < 0)
        reply_err(r, &e);
    else
        order_answer(r, &p, id, api);
out:
    portal_clear(&p);
}

void h_cert_renew(struct req *r)
{
    struct sub_renewal sr = {0};
    sr.csr_pem = req_form_text(r, "csr");
    sr.pay_method = req_form_text(r, "pay_method");
    do_renew(r, &sr, 0);
}

void h_api_cert_renew(struct req *r)
{
    json_t *b = req_json_or_reply(r);
    if (b == NULL)
        return;
    struct sub_renewal sr = {0};
    int bad = 0;
    sr.csr_pem = req_json_str(b, "csr", &bad);
    sr.cn = req_json_str(b, "cn", &bad);
    sr.pay_method = req_json_str(b, "pay_method", &bad);
    json_t *org = json_object_get(b, "org");
    if (org != NULL && !json_is_object(org))
        bad = 1;
    sr.org_name_ja = req_json_str(org, "name_ja", &bad);
    sr.org_name_en = req_json_str(org, "name_en", &bad);
    sr.org_postal = req_json_str(org, "postal", &bad);
    sr.org_address = req_json_str(org, "address", &bad);
    sr.org_phone = req_json_str(org, "phone", &bad);
    json_t *names = json_object_get(b, "names");
    if (names != NULL && !json_is_array(names))
        bad = 1;
    sr.nnames = (int)json_array_size(names);
    json_t *mails = json_object_get(b, "notify_emails");
    if (mails != NULL && (!json_is_array(mails) || json_array_size(mails) > 3))
        bad = 1;
    for (size_t i = 0; i < 3 && i < json_array_size(mails); i++) {
        sr.notify_email[i] = json_string_value(json_array_get(mails, i));
        if (sr.notify_email[i] == NULL)
            bad = 1;
    }
    if (mails != NULL && json_array_size(mails) > 0)
        for (size_t i = json_array_size(mails); i < 3; i++)
            sr.notify_email[i] = ""; /* the list replaces the old one */
    if (bad) {
        struct sm_err e = {0};
        sm_err_set(&e, SM_E_INVALID, "body", "renewal fields of the wrong type");
        http_reply_err_msg(r, &e, "sub.err.body", NULL);
    } else {
        do_renew(r, &sr, 1);
    }
    json_decref(b);
}
