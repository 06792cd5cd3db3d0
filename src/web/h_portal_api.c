/* SPDX-License-Identifier: MIT */
/* The order API of customers and resellers (R-API-1; Bearer API key): the catalog, apply
 * in one call (the wizard's fields as JSON; 422 problem+json listing every field error),
 * the caller's orders, one order with its domains' DCV instructions and ETA and the
 * certificate serial once issued, DCV method change / check now, document upload (raw
 * body), cancel; and the payment callback POST /api/v1/payments (R-PAY-1), public and
 * authenticated by the HMAC-SHA256 of its body in X-Shomei-Signature. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/context.h"
#include "ra/notice.h"
#include "ra/dcv.h"
#include "ra/order_apply.h"
#include "ra/payment.h"
#include "ra/review.h"
#include "ra/validate.h"
#include "store/certs.h"
#include "store/users.h"
#include "web/h_subscriptions.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

/* ---- reading the JSON application ---- */

struct jin {
    json_t *body;
    struct buf sans;    /* "sans" as given as an array, joined by newlines */
    char scratch[4][8]; /* booleans as "1" / "" */
    int nscratch;
};

/* "org.name_ja" -> body.org.name_ja; "notify_email2" also from body.notify_emails[1]. */
static const char *jin_get(void *arg, const char *name)
{
    struct jin *j = arg;
    if (strcmp(name, "sans") == 0) {
        json_t *s = json_object_get(j->body, "sans");
        if (json_is_array(s)) {
            size_t i;
            json_t *v;
            buf_reset(&j->sans);
            json_array_foreach(s, i, v)
            {
                if (json_is_string(v))
                    buf_printf(&j->sans, "%s%s", j->sans.len ? "\n" : "", json_string_value(v));
            }
            return j->sans.p ? j->sans.p : "";
        }
        return json_string_value(s);
    }
    if (strncmp(name, "notify_email", 12) == 0 && name[12] >= '1' && name[12] <= '3') {
        json_t *a = json_object_get(j->body, "notify_emails");
        if (json_is_array(a))
            return json_string_value(json_array_get(a, (size_t)(name[12] - '1')));
    }
    const json_t *cur = j->body;
    char seg[40];
    const char *p = name;
    for (;;) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        cur = json_object_get(cur, seg);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    if (json_is_boolean(cur) && j->nscratch < 4) {
        char *s = j->scratch[j->nscratch++];
        snprintf(s, 8, "%s", json_is_true(cur) ? "1" : "");
        return s;
    }
    return json_string_value(cur);
}

/* ---- answers ---- */

static void problem_fields(struct req *r, int status, const char *key, json_t *errors)
{
    struct buf m = BUF_INIT;
    i18n_format(&m, r->lang, key, NULL);
    json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o}", "type", sm_err_type(SM_E_INVALID),
                          "title", http_status_title(r, status), "status", status, "detail",
                          m.p ? m.p : "", "code", key, "errors", errors ? errors : json_array());
    buf_free(&m);
    http_reply_json(r, status, j);
}

static int load(struct req *r, struct portal *p, struct order_row **o, struct product_row *prod)
{
    int64_t id;
    struct sm_err e = {0};
    *o = NULL;
    if (portal_or_reply(r, p) < 0)
        return -1;
    if (pf_parse_id(req_param(r, "id"), &id) < 0)
        return http_reply_error(r, 404, "web.notfound", NULL), -1;
    int rc = orders_get(p->db, id, &p->who.scope, o, &e);
    if (rc == 0)
        rc = products_get(p->db, (*o)->product_id, prod, &e);
    if (rc < 0)
        pf_reply_err(r, p, &e);
    return rc < 0 ? -1 : 0;
}

static json_t *domains_json(struct req *r, struct portal *p, int64_t id)
{
    struct validate_step *t = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    json_t *a = json_array();
    if (validate_steps_list(&p->env, &p->who, r->web->cfg, id, &t, &n, &e) < 0)
        log_warn("order api: dcv", "detail", e.detail);
    for (size_t i = 0; a != NULL && i < n; i++) {
        json_t *d = json_pack("{s:s, s:s, s:s, s:b}", "name", t[i].name, "method", t[i].method,
                              "state", t[i].state, "reused", t[i].reused);
        json_t *ins = json_object();
        if (t[i].record_name[0])
            json_object_set_new(ins, "dns_record", json_string(t[i].record_name));
        if (t[i].value[0])
            json_object_set_new(ins, "value", json_string(t[i].value));
        if (t[i].url[0])
            json_object_set_new(ins, "url", json_string(t[i].url));
        if (t[i].email[0])
            json_object_set_new(ins, "email", json_string(t[i].email));
        if (t[i].expires_at) {
            char x[24];
            clock_format_utc((time_t)t[i].expires_at, x, sizeof x);
            json_object_set_new(ins, "expires_at", json_string(x));
        }
        json_object_set_new(d, "instructions", ins);
        if (t[i].validated_at) {
            char x[24];
            clock_format_utc((time_t)t[i].validated_at, x, sizeof x);
            json_object_set_new(d, "validated_at", json_string(x));
        }
        if (t[i].reason[0])
            json_object_set_new(d, "reason", json_string(t[i].reason));
        json_array_append_new(a, d);
    }
    free(t);
    return a;
}

static void reply_order(struct req *r, struct portal *p, const struct order_row *o,
                        const struct product_row *prod, int status)
{
    json_t *j = pf_order_json(o, prod, r->lang);
    if (j == NULL) {
        http_reply_error(r, 503, "err.nomem", NULL);
        return;
    }
    json_object_set_new(j, "domains", domains_json(r, p, o->id));
    if (o->cert_id > 0) {
        struct certs_row *c = NULL;
        struct sm_err e = {0};
        if (certs_get_id(p->db, o->cert_id, &c, &e) == 0)
            json_object_set_new(j, "cert_serial", json_string(c->serial));
        certs_row_free(c);
    }
    /* issue 8 items 1, 5: why an approved order waits, and whether issuance is under way */
    json_object_set_new(j, "issuing", json_boolean(pf_issuing(p->db, o)));
    json_t *ref = pf_refusal_json(r->lang, o, config_str(r->web->cfg, "caa", "identities"));
    if (json_is_object(ref)) {
        char at[24];
        clock_format_utc((time_t)o->issue_refused_at, at, sizeof at);
        json_object_set_new(j, "issue_refusal",
                            json_pack("{s:O, s:O, s:O, s:s}", "code", json_object_get(ref, "code"),
                                      "message", json_object_get(ref, "reason"), "next_step",
                                      json_object_get(ref, "next"), "at", at));
    }
    json_decref(ref);
    http_reply_json(r, status, j);
}

/* ---- handlers ---- */

void h_api_products(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct product_row *cat = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (products_list(db, 0, &cat, &n, &e) < 0) {
        pf_internal(r, "api products", &e);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, pf_product_json(&cat[i], r->lang));
    free(cat);
    http_reply_json(r, 200, json_pack("{s:o}", "products", a));
}

void h_api_organizations(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    struct org_row *orgs = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (org_list_scope(p.db, &p.who.scope, &orgs, &n, &e) < 0) {
        portal_clear(&p);
        pf_internal(r, "api organizations", &e);
        return;
    }
    portal_clear(&p);
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a,
                              json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)orgs[i].id,
                                        "kind", orgs[i].kind, "name_ja", orgs[i].name_ja, "name_en",
                                        orgs[i].name_en, "own", orgs[i].id == req_user(r)->org_id));
    free(orgs);
    http_reply_json(r, 200, json_pack("{s:o}", "organizations", a));
}

void h_api_orders(struct req *r)
{
    struct portal p;
    struct pf_order_list l;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    int rc = pf_order_list(&p, req_query(r, "state"), &l, &e);
    if (rc == -SM_E_INVALID) {
        http_reply_error(r, 400, "portal.err.state_filter", "state");
    } else if (rc < 0) {
        pf_internal(r, "api orders", &e);
    } else {
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < l.n; i++)
            json_array_append_new(a,
                                  pf_order_json(&l.rows[i], pf_order_list_product(&l, i), r->lang));
        http_reply_json(r, 200, json_pack("{s:o}", "orders", a));
        pf_order_list_clear(&l);
    }
    portal_clear(&p);
}

/* Rules of the API's application beyond the form's (issue 8 item 18): kind, when given,
 * is "new" (the only kind applied for here), and at most 3 notification addresses; each
 * broken one is appended to errs as a field error. Returns how many. */
static int api_field_errors(struct req *r, json_t *body, json_t *errs)
{
    static const char *const f[2] = {"kind", "notify_emails"};
    static const char *const k[2] = {"order.err.kind", "order.err.notify_max"};
    json_t *kind = json_object_get(body, "kind"), *a = json_object_get(body, "notify_emails");
    /* kind "renewal" only with renewal_of (R-APP-1 renewal) */
    int renewal = json_is_string(json_object_get(body, "renewal_of")) && json_is_string(kind) &&
                  strcmp(json_string_value(kind), "renewal") == 0;
    int bad[2] = {kind != NULL && !json_is_null(kind) && !renewal &&
                      !(json_is_string(kind) && strcmp(json_string_value(kind), "new") == 0),
                  json_is_array(a) && json_array_size(a) > 3};
    int n = 0;
    for (int i = 0; i < 2; i++)
        if (bad[i]) {
            n++;
            if (errs != NULL)
                json_array_append_new(errs, json_pack("{s:s, s:s, s:s}", "field", f[i], "code",
                                                      k[i], "message", i18n_text(r->lang, k[i])));
        }
    return n;
}

/* The organization asked for: body.org_id, else the user's own; -1 when it is not a
 * number (order_apply refuses it, like one that is not the user's). */
static int64_t org_of(const struct portal *p, json_t *body)
{
    json_t *v = json_object_get(body, "org_id");
    if (v == NULL || json_is_null(v))
        return p->user->org_id;
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* body.dcv_methods {"name": "method"} as a list (non-string methods skipped); *out owned
 * by the caller (free()), NULL when none. */
static int dcv_of(json_t *body, struct order_apply_dcv **out, size_t *n)
{
    json_t *dm = json_object_get(body, "dcv_methods"), *mv;
    const char *name;
    *out = NULL;
    *n = 0;
    size_t max = json_is_object(dm) ? json_object_size(dm) : 0;
    if (max == 0)
        return 0;
    if ((*out = calloc(max, sizeof **out)) == NULL)
        return -1;
    json_object_foreach(dm, name, mv)
    {
        if (json_is_string(mv) && *n < max)
            (*out)[(*n)++] = (struct order_apply_dcv){name, json_string_value(mv)};
    }
    return 0;
}

/* 422 problem+json with one field error. */
static void problem_field(struct req *r, const char *field, const char *key)
{
    json_t *errs = json_pack("[{s:s, s:s, s:s}]", "field", field, "code", key, "message",
                             i18n_text(r->lang, key));
    problem_fields(r, 422, "order.err.form", errs);
}

/* The answer of a refused application (order_apply's error e). */
static void apply_refused(struct req *r, struct portal *p, json_t *body,
                          const struct order_applied *out, const struct order_apply_dcv *dcv,
                          const struct sm_err *e)
{
    if (e->code == SM_E_INVALID && strcmp(e->field, "product") == 0) {
        problem_field(r, "product", "portal.err.product");
    } else if (e->code == SM_E_INVALID && strcmp(e->field, "org_id") == 0) {
        problem_field(r, "org_id", "portal.err.org");
    } else if (e->code == SM_E_INVALID && strcmp(e->field, "form") == 0 && out->checked) {
        json_t *errs = out->form.nerrors > 0 ? pf_errors_json(r->lang, &out->form) : json_array();
        if (errs == NULL) {
            http_reply_error(r, 503, "err.nomem", NULL);
            return;
        }
        api_field_errors(r, body, errs);
        problem_fields(r, 422, out->form.ineligible ? "portal.err.ineligible" : "order.err.form",
                       errs);
    } else if (strcmp(e->field, "dcv_methods") == 0 && dcv != NULL) {
        const struct order_apply_dcv *d = &dcv[out->dcv_bad];
        char field[300];
        snprintf(field, sizeof field, "dcv_methods.%s", d->name);
        problem_field(r, field,
                      e->code == SM_E_DCV_METHOD && dcv_method_parse(d->method) == DCV_EMAIL
                          ? "order.err.dcv_email_off"
                          : "order.err.dcv_method");
    } else if (strncmp(e->field, "renewal.", 8) == 0 || strcmp(e->field, "subscription") == 0) {
        hs_reply_err(r, e); /* R-REN-2, R-REN-3 */
    } else {
        pf_reply_err(r, p, e);
    }
}

void h_api_order_create(struct req *r)
{
    struct portal p;
    struct jin j;
    struct pf_input in;
    struct order_applied out;
    struct order_apply_dcv *dcv = NULL;
    size_t ndcv = 0;
    memset(&j, 0, sizeof j);
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    if (portal_or_reply(r, &p) < 0 || (j.body = req_json_or_reply(r)) == NULL)
        goto out;
    if (pf_input_fill(&in, jin_get, &j, NULL) < 0 || dcv_of(j.body, &dcv, &ndcv) < 0) {
        http_reply_error(r, 503, "err.nomem", NULL);
        goto out;
    }
    const char *idem = json_string_value(json_object_get(j.body, "idem_key"));
    const char *pay = json_string_value(json_object_get(j.body, "pay_method"));
    struct order_application a = {
        .product = json_string_value(json_object_get(j.body, "product")),
        .org_id = org_of(&p, j.body),
        .form = &in.in,
        .dcv = dcv,
        .ndcv = ndcv,
        .idem_key = idem ? idem : req_header(r, "Idempotency-Key"), /* none: a new order */
        .pay_method = pay,
        .draft = json_is_true(json_object_get(j.body, "draft")),
        .renewal_of = json_string_value(json_object_get(j.body, "renewal_of")),
        .replaces = json_string_value(json_object_get(j.body, "replaces")),
        .caller_errors = api_field_errors(r, j.body, NULL)};
    struct sm_err e = {0};
    int rc = order_apply(&p.env, &p.who, r->web->cfg, &a, &out, &e);
    if (rc < 0 && http_err_status(&e) >= 500 && e.code != SM_E_MAINTENANCE)
        pf_internal(r, "api apply", &e);
    else if (rc < 0)
        apply_refused(r, &p, j.body, &out, dcv, &e);
    else
        reply_order(r, &p, out.order, &out.product, out.created ? 201 : 200);
out:
    order_applied_free(&out);
    free(dcv);
    pf_input_clear(&in);
    buf_free(&j.sans);
    json_decref(j.body);
    portal_clear(&p);
}

void h_api_order(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (load(r, &p, &o, &prod) == 0)
        reply_order(r, &p, o, &prod, 200);
    order_row_free(o);
    portal_clear(&p);
}

void h_api_order_dcv(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    json_t *body = NULL;
    if (load(r, &p, &o, &prod) < 0 || (body = req_json_or_reply(r)) == NULL)
        goto out;
    const char *action = json_string_value(json_object_get(body, "action"));
    struct sm_err e = {0};
    int rc;
    if (action != NULL && strcmp(action, "set_method") == 0) {
        const char *name = json_string_value(json_object_get(body, "name"));
        const char *m = json_string_value(json_object_get(body, "method"));
        rc = validate_set_method(&p.env, &p.who, r->web->cfg, o->id, name ? name : "", m ? m : "",
                                 &e);
    } else if (action != NULL && strcmp(action, "check") == 0) {
        rc = validate_check_now(&p.env, &p.who, r->web->cfg, o->id, NULL, &e);
    } else {
        http_reply_error(r, 422, "portal.err.action", "action");
        goto out;
    }
    if (rc < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    int64_t id = o->id;
    order_row_free(o);
    o = NULL;
    if ((rc = orders_get(p.db, id, &p.who.scope, &o, &e)) < 0)
        pf_reply_err(r, &p, &e);
    else
        reply_order(r, &p, o, &prod, 200);
out:
    json_decref(body);
    order_row_free(o);
    portal_clear(&p);
}

void h_api_order_documents(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (load(r, &p, &o, &prod) < 0)
        goto out;
    const char *kind = req_query(r, "kind"), *name = req_query(r, "file_name");
    struct sm_err e = {0};
    int64_t doc = 0;
    int rc =
        review_upload(&p.env, &p.who, o->id, kind ? kind : "", name ? name : "",
                      (const unsigned char *)(r->body.p ? r->body.p : ""), r->body.len, &doc, &e);
    if (rc < 0)
        pf_reply_err(r, &p, &e);
    else
        http_reply_json(r, 201,
                        json_pack("{s:I, s:I, s:s}", "id", (json_int_t)doc, "order_id",
                                  (json_int_t)o->id, "type",
                                  review_sniff((const unsigned char *)r->body.p, r->body.len)));
out:
    order_row_free(o);
    portal_clear(&p);
}

void h_api_order_cancel(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    struct product_row prod;
    if (load(r, &p, &o, &prod) < 0)
        goto out;
    json_t *body = r->body.len ? json_loadb(r->body.p, r->body.len, 0, NULL) : NULL;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    struct sm_err e = {0};
    int rc = order_cancel(&p.env, &p.who, o->id, 0, reason, &e);
    json_decref(body);
    if (rc < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    int64_t id = o->id;
    order_row_free(o);
    o = NULL;
    if ((rc = orders_get(p.db, id, &p.who.scope, &o, &e)) < 0)
        pf_reply_err(r, &p, &e);
    else
        reply_order(r, &p, o, &prod, 200);
out:
    order_row_free(o);
    portal_clear(&p);
}

void h_api_payments(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct order_env env = ra_env(r->web->ra, db);
    struct sm_err e = {0};
    const char *sig = req_header(r, "X-Shomei-Signature");
    int64_t id = 0;
    int rc = order_payment_callback(&env, (const unsigned char *)(r->body.p ? r->body.p : ""),
                                    r->body.len, sig ? sig : "", &id, &e);
    if (rc == -SM_E_FORBIDDEN) {
        http_reply_error(r, 401, "order.err.payment_signature", NULL);
    } else if (rc < 0) {
        pf_reply_err(r, NULL, &e);
    } else {
        struct order_row *o = NULL;
        if (orders_get(db, id, &ORG_SCOPE_ALL, &o, &e) == 0)
            http_reply_json(r, 200,
                            json_pack("{s:I, s:s, s:s, s:s}", "order_id", (json_int_t)id,
                                      "receipt_no", o->receipt_no, "invoice_no", o->invoice_no,
                                      "state", o->state));
        else
            http_reply_json(r, 200, json_pack("{s:I}", "order_id", (json_int_t)id));
        order_row_free(o);
    }
}
