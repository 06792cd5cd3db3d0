/* SPDX-License-Identifier: MIT */
/* The customer's and reseller's order pages: the list (newest first), the detail page
 * with every field, the DCV instructions per domain with "check now" and the method
 * change (R-VAL-1), the expected completion date (R-VAL-7, R-CAL-1), the documents an
 * officer asked for with the upload form (R-VAL-6), re-application before approval
 * (R-APP-1) and cancel; and the public e-mail DCV link, which validates only on a POST
 * from its confirmation page so that mail scanners fetching the link validate nothing.
 * Every order is read through the actor's scope: another organization's order is 404. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "ra/dcv.h"
#include "ra/context.h"
#include "ra/review.h"
#include "ra/subscription.h"
#include "ra/validate.h"
#include "store/users.h"
#include "store/vetting.h"
#include "ra/keyblock.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "store/certs.h"
#include "web/portal.h"

/* ---- an order's stored application as a pf_get_fn ---- */

struct stored {
    const struct order_row *o;
    json_t *app, *contact, *billing;
    char *sans; /* names after the CN, one per line (owned) */
};

static void stored_init(struct stored *s, const struct order_row *o)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->app = o->applicant ? json_loads(o->applicant, 0, NULL) : NULL;
    s->contact = o->contact ? json_loads(o->contact, 0, NULL) : NULL;
    s->billing = o->billing ? json_loads(o->billing, 0, NULL) : NULL;
    json_t *names = o->names ? json_loads(o->names, 0, NULL) : NULL;
    struct buf b = BUF_INIT;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        const char *n = json_string_value(v);
        /* the CN and the automatic www / apex name are not user SANs */
        if (i == 0 || n == NULL ||
            (o->cn && strcmp(n + (strncmp(n, "www.", 4) ? 0 : 4),
                             o->cn + (strncmp(o->cn, "www.", 4) ? 0 : 4)) == 0))
            continue;
        buf_printf(&b, "%s%s", b.len ? "\n" : "", n);
    }
    json_decref(names);
    s->sans = buf_detach(&b, NULL);
}

static void stored_clear(struct stored *s)
{
    json_decref(s->app);
    json_decref(s->contact);
    json_decref(s->billing);
    free(s->sans);
}

static const char *jget(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *sget(void *arg, const char *name)
{
    struct stored *s = arg;
    const struct order_row *o = s->o;
    if (strcmp(name, "cn") == 0)
        return o->cn;
    if (strcmp(name, "sans") == 0)
        return s->sans;
    if (strcmp(name, "csr") == 0)
        return o->csr_pem;
    if (strcmp(name, "root") == 0)
        return o->root_option;
    if (strcmp(name, "double_address") == 0) {
        if (o->cn == NULL || o->names == NULL)
            return "";
        char www[300];
        snprintf(www, sizeof www, "\"www.%s\"", o->cn);
        return strncmp(o->cn, "www.", 4) != 0 && strstr(o->names, www) ? "1" : "";
    }
    if (strncmp(name, "notify_email", 12) == 0 && name[12] >= '1' && name[12] <= '3')
        return o->notify_email[name[12] - '1'];
    if (strcmp(name, "po_number") == 0)
        return o->po_number;
    if (strcmp(name, "remarks") == 0)
        return o->remarks;
    if (strcmp(name, "server_software") == 0)
        return o->server_software;
    if (strcmp(name, "subject_l") == 0)
        return jget(json_object_get(s->app, "subject"), "l");
    if (strcmp(name, "subject_st") == 0)
        return jget(json_object_get(s->app, "subject"), "st");
    if (strcmp(name, "ev_name_lang") == 0)
        return jget(s->app, "ev_name_lang");
    if (strncmp(name, "org.", 4) == 0)
        return jget(json_object_get(s->app, "org"), name + 4);
    if (strncmp(name, "resp.", 5) == 0)
        return jget(json_object_get(s->app, "responsible"), name + 5);
    if (strncmp(name, "contact.", 8) == 0)
        return jget(s->contact, name + 8);
    if (strncmp(name, "billing.", 8) == 0)
        return jget(s->billing, name + 8);
    return NULL;
}

static const char *fget(void *arg, const char *name)
{
    return req_form_text((struct req *)arg, name);
}

/* ---- helpers ---- */

/* The order of route parameter :id in scope; 0, or negative after answering 404/500. */
static int load_order(struct req *r, struct portal *p, struct order_row **o,
                      struct product_row *prod)
{
    int64_t id;
    struct sm_err e = {0};
    *o = NULL;
    if (pf_parse_id(req_param(r, "id"), &id) < 0)
        return http_reply_error(r, 404, "web.notfound", NULL), -SM_E_NOTFOUND;
    int rc = orders_get(p->db, id, &p->who.scope, o, &e);
    if (rc == -SM_E_NOTFOUND)
        return http_reply_error(r, 404, "web.notfound", NULL), rc;
    if (rc == 0 && prod != NULL)
        rc = products_get(p->db, (*o)->product_id, prod, &e);
    if (rc < 0) {
        pf_internal(r, "order", &e);
        order_row_free(*o);
        *o = NULL;
    }
    return rc;
}

static const char *product_name(const char *lang, const struct product_row *p)
{
    return strcmp(lang, "en") == 0 ? p->name_en : p->name_ja;
}

static int state_is(const struct order_row *o, const char *a, const char *b, const char *c)
{
    return strcmp(o->state, a) == 0 || (b && strcmp(o->state, b) == 0) ||
           (c && strcmp(o->state, c) == 0);
}

static int editable(const struct order_row *o)
{
    enum order_state s;
    return order_state_parse(o->state, &s) == 0 && order_editable(s);
}

/* ---- the list ---- */

void h_orders(struct req *r)
{
    struct portal p;
    struct pf_order_list l;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    int rc = pf_order_list(&p, req_query(r, "state"), &l, &e);
    if (rc < 0) {
        if (rc == -SM_E_INVALID)
            http_reply_error(r, 400, "portal.err.state_filter", "state");
        else
            pf_internal(r, "orders", &e);
        portal_clear(&p);
        return;
    }
    /* a reseller sees whose order each one is (issue 8 item 9) */
    int many = p.user != NULL && (p.user->role == USER_RESELLER || p.norgs > 1);
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < l.n; i++) {
        const struct order_row *o = &l.rows[i];
        const struct product_row *pr = pf_order_list_product(&l, i);
        char eta[16], created[32], org[ORG_NAME_MAX + 1] = "";
        struct org_row g;
        if (many && org_get(p.db, o->org_id, &g, NULL) == 0)
            snprintf(org, sizeof org, "%s",
                     strcmp(r->lang, "en") == 0 && g.name_en[0] ? g.name_en : g.name_ja);
        pf_eta(o, pr, eta, sizeof eta);
        pf_date(o->submitted_at ? o->submitted_at : o->created_at, created, sizeof created);
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)o->id,
                         "receipt_no", o->receipt_no, "state", o->state, "state_label",
                         pf_state_label(r->lang, o->state), "cn", o->cn ? o->cn : "", "product",
                         pr ? product_name(r->lang, pr) : "", "eta", eta, "date", created));
        json_object_set_new(json_array_get(a, json_array_size(a) - 1), "org", json_string(org));
    }
    http_reply_page(r, 200, "portal_orders", "portal.orders.title",
                    json_pack("{s:o, s:b, s:b}", "orders", a, "empty", l.n == 0, "many", many));
    pf_order_list_clear(&l);
    portal_clear(&p);
}

/* ---- the detail page ---- */

static const char *const doc_kinds[] = {"phone_bill", "authorization_letter", "pledge", "other"};

static json_t *step_json(const char *lang, const struct validate_step *t, int can_dcv)
{
    char label[48], exp[32], done[32], mlabel[400];
    snprintf(label, sizeof label, "portal.dcv.%.*s", (int)strcspn(t->method, ":"), t->method);
    /* e-mail: the exact address written to; a reuse: the original method it relies on */
    snprintf(mlabel, sizeof mlabel, "%s%s%s%s%s",
             t->reused ? i18n_text(lang, "portal.dcv.reuse") : "", t->reused ? " · " : "",
             i18n_text(lang, label), t->email[0] ? " " : "", t->email);
    pf_datetime(t->expires_at, exp, sizeof exp);
    pf_datetime(t->validated_at, done, sizeof done);
    int dns = strcmp(t->method, "dns") == 0, http = strcmp(t->method, "http") == 0;
    int email = strncmp(t->method, "email", 5) == 0;
    int validated = strcmp(t->state, "validated") == 0;
    char skey[48];
    snprintf(skey, sizeof skey, "portal.dcv.state.%s", t->state);
    json_t *opts =
        pf_dcv_options(lang, t->name, t->method, dcv_method_allowed(DCV_EMAIL, clock_now()));
    /* no random value yet: the instructions come once the order is paid */
    int ready = !validated && t->issued;
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s, "
                     "s:s, s:o, s:b, s:s}",
                     "name", t->name, "method", t->method, "method_label", mlabel, "state_label",
                     i18n_text(lang, skey), "validated", validated, "is_dns", dns && ready,
                     "is_http", http && ready, "is_email", email && ready, "waiting",
                     !validated && !ready, "record_name", t->record_name, "value", t->value, "url",
                     t->url, "email", t->email, "expires", exp, "validated_at", done, "options",
                     opts, "can_change", can_dcv && !validated, "reason",
                     t->reason[0] ? i18n_text(lang, t->reason) : "");
}

static json_t *docs_json(struct req *r, struct portal *p, const struct order_row *o,
                         json_t **reqs_out)
{
    struct doc_request_row *rq = NULL;
    struct document_row *dc = NULL;
    size_t nrq = 0, ndc = 0;
    struct sm_err e = {0};
    json_t *reqs = json_array(), *docs = json_array();
    if (vetting_docreqs_list(p->db, o->id, &rq, &nrq, &e) < 0)
        log_error("order page: document requests", "detail", e.detail);
    if (vetting_docs_list(p->db, o->id, &dc, &ndc, &e) < 0)
        log_error("order page: documents", "detail", e.detail);
    for (size_t i = 0; reqs != NULL && i < nrq; i++) {
        char key[48], at[32];
        snprintf(key, sizeof key, "order.doc_kind.%s", rq[i].kind);
        pf_date(rq[i].at, at, sizeof at);
        json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:b}", "kind",
                                              i18n_text(r->lang, key), "note", rq[i].note, "at", at,
                                              "open", rq[i].fulfilled_at == 0));
    }
    for (size_t i = 0; docs != NULL && i < ndc; i++) {
        char key[48], at[32];
        snprintf(key, sizeof key, "order.doc_kind.%s", dc[i].kind);
        pf_datetime(dc[i].at, at, sizeof at);
        json_array_append_new(docs, json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind",
                                              i18n_text(r->lang, key), "file_name", dc[i].file_name,
                                              "type", dc[i].sniffed_type, "size",
                                              (json_int_t)dc[i].size, "at", at));
    }
    free(rq);
    free(dc);
    *reqs_out = reqs;
    return docs;
}

static json_t *kinds_json(const char *lang)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < 4; i++) {
        char key[48];
        snprintf(key, sizeof key, "order.doc_kind.%s", doc_kinds[i]);
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "v", doc_kinds[i], "l", i18n_text(lang, key)));
    }
    return a;
}

/* The first message of keys[0..n) that lang has, else NULL. */
static const char *first_msg(const char *lang, char keys[][96], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = i18n_get(lang, keys[i]);
        if (t != NULL)
            return keys[i];
    }
    return NULL;
}

int pf_issuing(struct db *db, const struct order_row *o)
{
    return strcmp(o->state, "approved") == 0 && order_issue_pending(db, o->id, NULL);
}

json_t *pf_refusal_json(const char *lang, const struct order_row *o, const char *caa_ids)
{
    if (strcmp(o->state, "approved") != 0 || o->issue_refusal[0] == '\0')
        return json_null();
    const char *code = o->issue_refusal;
    int fam = (int)strcspn(code, ".");
    char k[3][96];
    /* the reason: the code itself (caa.* are catalog keys), its own, its family's */
    snprintf(k[0], sizeof k[0], "%s", code);
    snprintf(k[1], sizeof k[1], "order.refusal.%s", code);
    snprintf(k[2], sizeof k[2], "order.refusal.%.*s", fam, code);
    const char *key = first_msg(lang, k, 3);
    struct buf reason = BUF_INIT, next = BUF_INIT;
    i18n_format(&reason, lang, key ? key : "order.refusal.other", code);
    /* what to do next: the code's own, its family's */
    snprintf(k[0], sizeof k[0], "order.refusal.next.%s", code);
    snprintf(k[1], sizeof k[1], "order.refusal.next.%.*s", fam, code);
    key = first_msg(lang, k, 2);
    i18n_format(&next, lang, key ? key : "order.refusal.next.other", caa_ids ? caa_ids : "");
    char at[32];
    pf_datetime(o->issue_refused_at, at, sizeof at);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "reason", reason.p ? reason.p : "",
                          "next", next.p ? next.p : "", "at", at);
    buf_free(&reason);
    buf_free(&next);
    return j ? j : json_null();
}

/* Renders the detail page of o; area ("dcv", "upload", "cancel") gets msg (may be NULL). */
static void order_page(struct req *r, struct portal *p, struct order_row *o,
                       const struct product_row *prod, int status, const char *area,
                       const char *msg)
{
    const char *lang = r->lang;
    struct validate_step *steps = NULL;
    size_t nt = 0;
    struct sm_err e = {0};
    if (validate_steps_list(&p->env, &p->who, r->web->cfg, o->id, &steps, &nt, &e) < 0)
        log_warn("order page: dcv", "detail", e.detail);
    int can_dcv = state_is(o, "awaiting_payment", "vetting", "on_hold");
    json_t *doms = json_array();
    for (size_t i = 0; doms != NULL && i < nt; i++)
        json_array_append_new(doms, step_json(lang, &steps[i], can_dcv));
    free(steps);
    json_t *reqs = NULL;
    json_t *docs = docs_json(r, p, o, &reqs);
    struct stored s;
    stored_init(&s, o);
    char eta[16], submitted[32], paid[32], maxup[32];
    pf_eta(o, prod, eta, sizeof eta);
    pf_datetime(o->submitted_at, submitted, sizeof submitted);
    pf_datetime(o->paid_at, paid, sizeof paid);
    snprintf(maxup, sizeof maxup, "%lld MB",
             (long long)((p->env.max_upload ? p->env.max_upload : 10 << 20) >> 20));
    const char *ok = req_query(r, "ok");
    char okkey[48] = "";
    if (ok != NULL && strlen(ok) < 20 && strspn(ok, "abcdefghijklmnopqrstuvwxyz") == strlen(ok))
        snprintf(okkey, sizeof okkey, "portal.flash.%s", ok);
    const char *flash = okkey[0] ? i18n_get(lang, okkey) : NULL;
    char amount[32];
    portal_yen(o->amount, amount, sizeof amount);
    char serial[CERTS_SERIAL_HEX_MAX] = "";
    struct certs_row *cert = NULL;
    if (o->cert_id > 0 && certs_get_id(p->db, o->cert_id, &cert, NULL) == 0)
        snprintf(serial, sizeof serial, "%s", cert->serial);
    certs_row_free(cert);
    int on_hold = strcmp(o->state, "on_hold") == 0;
    /* documents may be sent before they are asked for (e.g. a registry extract) */
    int can_upload = state_is(o, "awaiting_payment", "vetting", "on_hold");
    int can_check = state_is(o, "vetting", "on_hold", "approved");
    char kkey[32], rkey[24];
    snprintf(kkey, sizeof kkey, "order.kind.%s", subscription_kind_shown(p->db, o->id, o->kind));
    snprintf(rkey, sizeof rkey, "portal.root.%s", o->root_option);
    json_t *d = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, "
        "s:o, s:o, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:o}",
        "id", (json_int_t)o->id, "version", (json_int_t)o->version, "receipt_no", o->receipt_no,
        "state", o->state, "state_label", pf_state_label(lang, o->state), "kind",
        i18n_text(lang, kkey), "product", product_name(lang, prod), "cn", o->cn ? o->cn : "",
        "root", i18n_text(lang, rkey), "amount", amount, "invoice_no", o->invoice_no, "submitted",
        submitted, "paid", paid, "eta", eta, "note", o->decision_note ? o->decision_note : "",
        "rows", pf_summary(lang, prod, sget, &s), "domains", doms, "reqs", reqs, "docs", docs,
        "can_dcv", can_check, "can_upload", can_upload, "can_edit", editable(o), "on_hold", on_hold,
        "flash", flash ? flash : "", "dcv_err", area && strcmp(area, "dcv") == 0 && msg ? msg : "",
        "upload_err", area && strcmp(area, "upload") == 0 && msg ? msg : "", "cancel_err",
        area && strcmp(area, "cancel") == 0 && msg ? msg : "", "max_upload", maxup, "kinds",
        kinds_json(lang));
    json_object_set_new(d, "cert_serial", json_string(serial));
    /* a check that left a domain unvalidated is not a success (issue 8 item 9) */
    json_object_set_new(d, "flash_warn", json_boolean(ok != NULL && strcmp(ok, "checked") == 0));
    json_t *cr = json_array();
    for (size_t i = 0; cr != NULL && order_cancel_reasons[i] != NULL; i++) {
        char key[64];
        snprintf(key, sizeof key, "order.cancel_reason.%s", order_cancel_reasons[i]);
        json_array_append_new(
            cr, json_pack("{s:s, s:s}", "v", order_cancel_reasons[i], "l", i18n_text(lang, key)));
    }
    json_object_set_new(d, "cancel_reasons", cr);
    json_object_set_new(d, "show_docs", json_boolean(can_upload || json_array_size(docs) > 0));
    json_object_set_new(d, "refusal",
                        pf_refusal_json(lang, o, config_str(r->web->cfg, "caa", "identities")));
    json_object_set_new(d, "issuing", json_boolean(pf_issuing(p->db, o)));
    stored_clear(&s);
    http_reply_page(r, status, "portal_order", "portal.order.title", d);
}

void h_order(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (portal_or_reply(r, &p) == 0 && load_order(r, &p, &o, &prod) == 0)
        order_page(r, &p, o, &prod, 200, NULL, NULL);
    order_row_free(o);
    portal_clear(&p);
}

/* After a failed action: the order page with the message in area (4xx), or the error
 * answer (404, 5xx); the status comes from the core/err table. */
static void show_failure(struct req *r, struct portal *p, struct order_row *o,
                         const struct product_row *prod, const char *area, const struct sm_err *e)
{
    int status = http_err_status(e);
    if (e->code == SM_E_NOTFOUND || (status >= 500 && e->code != SM_E_MAINTENANCE)) {
        pf_reply_err(r, p, e);
        return;
    }
    struct buf m = BUF_INIT;
    char arg[64];
    i18n_format(&m, r->lang, pf_err_key(p, e, arg, sizeof arg), arg);
    order_page(r, p, o, prod, status, area, m.p);
    buf_free(&m);
}

static void redirect_ok(struct req *r, int64_t id, const char *what)
{
    char loc[80];
    snprintf(loc, sizeof loc, "/orders/%lld?ok=%s", (long long)id, what);
    http_redirect(r, 303, loc);
}

void h_order_dcv(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (portal_or_reply(r, &p) < 0 || load_order(r, &p, &o, &prod) < 0)
        goto out;
    const char *action = req_form_text(r, "action");
    struct sm_err e = {0};
    int rc;
    if (action != NULL && strcmp(action, "method") == 0) {
        const char *name = req_form_text(r, "name"), *m = req_form_text(r, "method");
        rc = validate_set_method(&p.env, &p.who, r->web->cfg, o->id, name ? name : "", m ? m : "",
                                 &e);
        if (rc == 0)
            redirect_ok(r, o->id, "method");
    } else {
        int pending = 0;
        rc = validate_check_now(&p.env, &p.who, r->web->cfg, o->id, &pending, &e);
        if (rc == 0)
            redirect_ok(r, o->id, pending ? "checked" : "validated");
    }
    if (rc < 0)
        show_failure(r, &p, o, &prod, "dcv", &e);
out:
    order_row_free(o);
    portal_clear(&p);
}

void h_order_upload(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (portal_or_reply(r, &p) < 0 || load_order(r, &p, &o, &prod) < 0)
        goto out;
    const struct form_field *f = req_form_field(r, "file");
    const char *kind = req_form_text(r, "kind");
    struct sm_err e = {0};
    int rc;
    if (f == NULL || f->filename == NULL || f->len == 0) {
        rc = sm_err_set(&e, SM_E_INVALID, "file", "no file");
    } else {
        /* the name as the browser sent it, without any directory part */
        const char *base = f->filename;
        for (const char *s = f->filename; *s; s++)
            if (*s == '/' || *s == '\\')
                base = s + 1;
        rc = review_upload(&p.env, &p.who, o->id, kind ? kind : "", base,
                           (const unsigned char *)f->value, f->len, NULL, &e);
    }
    if (rc == 0)
        redirect_ok(r, o->id, "uploaded");
    else
        show_failure(r, &p, o, &prod, "upload", &e);
out:
    order_row_free(o);
    portal_clear(&p);
}

/* The cancel form asks, as every destructive action, for a confirmation and a reason
 * (issue 8 item 6); the message key of what is missing, or NULL. The note kept on the
 * order is the reason's label, then the customer's own words. */
static const char *cancel_reason(struct req *r, struct buf *note)
{
    const char *code = req_form_text(r, "reason_code");
    const char *text = req_form_text(r, "reason");
    int has_text = text != NULL && text[strspn(text, " \t\r\n")] != '\0';
    const char *confirm = req_form_text(r, "confirm");
    if (!order_cancel_reason_ok(code))
        return "portal.cancel.err.reason";
    if (strcmp(code, "other") == 0 && !has_text)
        return "portal.cancel.err.other";
    if (confirm == NULL || strcmp(confirm, "1") != 0)
        return "portal.cancel.err.confirm";
    char key[64];
    snprintf(key, sizeof key, "order.cancel_reason.%s", code);
    buf_puts(note, i18n_text(r->lang, key));
    if (has_text)
        buf_printf(note, "%s%s", strcmp(r->lang, "en") == 0 ? ": " : "：", text);
    return NULL;
}

void h_order_cancel(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    struct buf note = BUF_INIT;
    if (portal_or_reply(r, &p) < 0 || load_order(r, &p, &o, &prod) < 0)
        goto out;
    int64_t version = 0;
    const char *vs = req_form_text(r, "version");
    if (vs != NULL && pf_parse_id(vs, &version) < 0)
        version = 0;
    struct sm_err e = {0};
    const char *missing = cancel_reason(r, &note);
    if (missing != NULL) {
        order_page(r, &p, o, &prod, 422, "cancel", i18n_text(r->lang, missing));
        goto out;
    }
    int rc = order_cancel(&p.env, &p.who, o->id, version, note.p, &e);
    if (rc == 0)
        redirect_ok(r, o->id, "cancelled");
    else
        show_failure(r, &p, o, &prod, "cancel", &e);
out:
    buf_free(&note);
    order_row_free(o);
    portal_clear(&p);
}

/* ---- re-application ---- */

static void edit_page(struct req *r, const struct order_row *o, const struct product_row *prod,
                      int status, pf_get_fn get, void *arg, const struct appform_result *errs,
                      const char *banner)
{
    const char *v = get(arg, "version");
    char ver[24];
    snprintf(ver, sizeof ver, "%lld", (long long)o->version);
    json_t *groups = pf_groups(r->lang, prod, 1u << 3 | 1u << 4 | 1u << 5, get, arg, errs);
    json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s}", "id", (json_int_t)o->id, "receipt_no",
                          o->receipt_no, "version", v && get == fget ? v : ver, "product",
                          product_name(r->lang, prod), "groups", groups ? groups : json_array(),
                          "banner", banner ? banner : "");
    http_reply_page(r, status, "portal_order_edit", "portal.edit.title", d);
}

static const char *sget_v(void *arg, const char *name)
{
    return strcmp(name, "version") == 0 ? NULL : sget(arg, name);
}

void h_order_edit_form(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (portal_or_reply(r, &p) < 0 || load_order(r, &p, &o, &prod) < 0)
        goto out;
    if (!editable(o)) {
        http_reply_error(r, 409, "order.err.state", NULL);
        goto out;
    }
    struct stored s;
    stored_init(&s, o);
    edit_page(r, o, &prod, 200, sget_v, &s, NULL, NULL);
    stored_clear(&s);
out:
    order_row_free(o);
    portal_clear(&p);
}

void h_order_edit(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    struct pf_input in;
    struct appform_result res;
    int checked = 0;
    memset(&in, 0, sizeof in);
    if (portal_or_reply(r, &p) < 0 || load_order(r, &p, &o, &prod) < 0)
        goto out;
    struct sm_err e = {0};
    int64_t version = 0;
    if (pf_parse_id(req_form_text(r, "version"), &version) < 0)
        version = o->version;
    if (pf_input_fill(&in, fget, r, o->kind) < 0) {
        http_reply_error(r, 503, "err.nomem", NULL);
        goto out;
    }
    in.in.root = o->root_option;
    in.in.key_blocklist = ra_keyblock_lookup; /* issue 8 item 23 */
    in.in.key_blocklist_arg = p.db;
    int rc = appform_check(&in.in, &prod, clock_now(), &res, &e);
    checked = 1;
    if (rc < 0) {
        pf_internal(r, "re-application check", &e);
        goto out;
    }
    if (res.nerrors > 0) {
        struct buf b = BUF_INIT;
        i18n_format(&b, r->lang, res.ineligible ? "portal.err.ineligible" : "order.err.form", NULL);
        edit_page(r, o, &prod, 422, fget, r, &res, b.p);
        buf_free(&b);
        goto out;
    }
    rc = order_reapply(&p.env, &p.who, o->id, version, &res, NULL, &e);
    if (rc == 0) {
        redirect_ok(r, o->id, "reapplied");
    } else if (e.code != SM_E_NOTFOUND &&
               (http_err_status(&e) < 500 || e.code == SM_E_MAINTENANCE)) {
        struct buf b = BUF_INIT;
        char arg[64];
        i18n_format(&b, r->lang, pf_err_key(&p, &e, arg, sizeof arg), arg);
        edit_page(r, o, &prod, http_err_status(&e), fget, r, NULL, b.p);
        buf_free(&b);
    } else {
        pf_reply_err(r, &p, &e);
    }
out:
    if (checked)
        appform_result_free(&res);
    pf_input_clear(&in);
    order_row_free(o);
    portal_clear(&p);
}

/* ---- the e-mail DCV link (public) ---- */

static int token_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    return n > 0 && n <= 128 &&
           strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* What the mailbox owner approves (issue 8 item 7): the domain, the address, the
 * applicant organization, the receipt number and when it was requested. NULL when the
 * token is unknown or expired (e names the error). */
static json_t *confirm_json(struct req *r, struct order_env *env, const char *t, int done, int *rc,
                            struct sm_err *e)
{
    struct validate_email_info in;
    *rc = validate_email_lookup(env, t, &in, e);
    if (*rc < 0)
        return NULL;
    char req_at[32], exp[32];
    pf_datetime(in.requested_at, req_at, sizeof req_at);
    pf_datetime(in.expires_at, exp, sizeof exp);
    return json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "token", t, "done",
                     done || in.validated, "domain", in.domain, "address", in.address, "org",
                     strcmp(r->lang, "en") == 0 ? in.org_en : in.org_ja, "receipt_no",
                     in.receipt_no, "requested", req_at, "expires", exp);
}

/* The environment of the public DCV pages; 0, or -1 when a reply was sent. */
static int confirm_env(struct req *r, struct order_env *env)
{
    struct db *db;
    if ((db = req_db_or_reply(r)) == NULL)
        return -1;
    *env = ra_env(r->web->ra, db);
    return 0;
}

void h_dcv_confirm_form(struct req *r)
{
    const char *t = req_param(r, "token");
    struct order_env env;
    int rc = 0;
    if (!token_ok(t)) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    if (confirm_env(r, &env) < 0)
        return;
    struct sm_err e = {0};
    json_t *d = confirm_json(r, &env, t, 0, &rc, &e);
    if (rc == -SM_E_NOTFOUND || rc == -SM_E_INVALID)
        http_reply_error(r, 404, "portal.err.dcv_token", NULL);
    else if (d == NULL)
        pf_internal(r, "dcv confirm page", &e);
    else
        http_reply_page(r, 200, "portal_dcv_confirm", "portal.dcvc.title", d);
}

void h_dcv_confirm(struct req *r)
{
    const char *t = req_param(r, "token");
    struct order_env env;
    struct sm_err e = {0};
    if (!token_ok(t)) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    if (confirm_env(r, &env) < 0)
        return;
    int rc = validate_email_confirm(&env, r->web->cfg, t, &e);
    json_t *d = NULL;
    if (rc == 0)
        d = confirm_json(r, &env, t, 1, &rc, &e);
    if (rc == -SM_E_NOTFOUND || rc == -SM_E_INVALID)
        http_reply_error(r, 404, "portal.err.dcv_token", NULL);
    else if (d == NULL)
        pf_internal(r, "dcv confirm", &e);
    else
        http_reply_page(r, 200, "portal_dcv_confirm", "portal.dcvc.title", d);
}

int pf_order_vals(const struct order_row *o, json_t *vals)
{
    struct stored s;
    stored_init(&s, o);
    static const char *const more[] = {"root"};
    int rc = 0;
    for (size_t i = 0; rc == 0 && pf_fields[i] != NULL; i++) {
        const char *v = sget(&s, pf_fields[i]);
        if (v != NULL && v[0] != '\0')
            rc = json_object_set_new(vals, pf_fields[i], json_string(v));
    }
    for (size_t i = 0; rc == 0 && i < sizeof more / sizeof more[0]; i++) {
        const char *v = sget(&s, more[i]);
        if (v != NULL && v[0] != '\0')
            rc = json_object_set_new(vals, more[i], json_string(v));
    }
    stored_clear(&s);
    return rc < 0 ? -SM_E_NOMEM : 0;
}
