/* SPDX-License-Identifier: MIT */
/* Quotes, the cart, invoices and payment (issue 12 items 3-5; R-QUO-1, R-CRT-1, R-PAY-1).
 * Handlers parse, call ra/quote, ra/cart or ra/payment, and render; the PDF is drawn by
 * doc/pdf from what ra/quote returns. The price admin pages are in h_commerce_admin.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "doc/pdf.h"
#include "ra/cart.h"
#include "ra/payment.h"
#include "ra/quote.h"
#include "ra/subscription.h"
#include "store/cart.h"
#include "store/orgs.h"
#include "store/products.h"
#include "web/h_commerce.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

/* The fields of the quote form, each with its error message ("" when none). */
static const char *const qfields[] = {"product", "sans", "domain", "recipient", "org_id", "cart"};
#define NQFIELDS (sizeof qfields / sizeof qfields[0])

static json_t *field_errors(const char *lang, const struct sm_err *e)
{
    json_t *o = json_object();
    for (size_t i = 0; i < NQFIELDS; i++) {
        struct buf m = BUF_INIT;
        if (e != NULL && strcmp(e->field, qfields[i]) == 0) {
            char key[64];
            snprintf(key, sizeof key, "commerce.err.%s", qfields[i]);
            i18n_format(&m, lang, key, e->detail);
        }
        json_object_set_new(o, qfields[i], json_string(m.p ? m.p : ""));
        buf_free(&m);
    }
    return o;
}

static const char *pname(const struct product_row *p, const char *lang)
{
    return strcmp(lang, "en") == 0 ? p->name_en : p->name_ja;
}

/* The organizations the user may quote for, and the catalog, as template arrays. */
static json_t *orgs_json(struct portal *p, const char *lang, int64_t sel)
{
    json_t *a = json_array();
    struct org_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (!p->who.scope.all && org_list_scope(p->db, &p->who.scope, &v, &n, &e) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                a,
                json_pack("{s:I, s:s, s:b}", "id", (json_int_t)v[i].id, "name",
                          strcmp(lang, "en") == 0 && v[i].name_en[0] ? v[i].name_en : v[i].name_ja,
                          "sel", v[i].id == sel));
    free(v);
    return a;
}

static json_t *products_json(struct db *db, const char *lang, const char *sel)
{
    json_t *a = json_array();
    struct product_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (products_list(db, 0, &v, &n, &e) == 0)
        for (size_t i = 0; i < n; i++) {
            char price[32];
            portal_yen(v[i].list_price, price, sizeof price);
            json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:i, s:s, s:b}", "code", v[i].code,
                                               "name", pname(&v[i], lang), "max", v[i].sans_max,
                                               "included", v[i].sans_included, "price", price,
                                               "sel", sel != NULL && strcmp(sel, v[i].code) == 0));
        }
    free(v);
    return a;
}

static int64_t default_org(const struct portal *p) { return p->user != NULL ? p->user->org_id : 0; }

static void quote_page(struct req *r, struct portal *p, int status, const struct sm_err *e)
{
    const char *prod = req_form_text(r, "product");
    if (prod == NULL)
        prod = req_query(r, "product");
    const char *sans = req_form_text(r, "sans"), *dom = req_form_text(r, "domain");
    const char *rec = req_form_text(r, "recipient"), *org = req_form_text(r, "org_id");
    int64_t org_id = default_org(p);
    if (org != NULL)
        pf_parse_id(org, &org_id);
    json_t *orgs = orgs_json(p, r->lang, org_id);
    json_t *d = json_pack("{s:o, s:o, s:s, s:s, s:s, s:b, s:o, s:b}", "products",
                          products_json(p->db, r->lang, prod), "orgs", orgs, "sans",
                          sans ? sans : "1", "domain", dom ? dom : "", "recipient", rec ? rec : "",
                          "many_orgs", json_array_size(orgs) > 1, "err", field_errors(r->lang, e),
                          "has_error", e != NULL);
    http_reply_page(r, status, "commerce_quote", "commerce.quote.title", d);
}

void h_quote_form(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) == 0)
        quote_page(r, &p, 200, NULL);
    portal_clear(&p);
}

/* Answers the PDF of q (kind: quote or invoice). */
void commerce_reply_pdf(struct req *r, const struct quote *q, enum pdf_kind kind)
{
    struct pdf_line lines[PRICE_LINES_MAX];
    struct pdf_rate rates[PRICE_RATES_MAX];
    for (size_t i = 0; i < q->bill.nlines; i++)
        lines[i] = (struct pdf_line){q->bill.lines[i].desc, q->bill.lines[i].qty,
                                     q->bill.lines[i].unit, q->bill.lines[i].amount};
    for (size_t i = 0; i < q->bill.nrates; i++)
        rates[i] = (struct pdf_rate){q->bill.rates[i].rate_pct, q->bill.rates[i].base,
                                     q->bill.rates[i].tax};
    char date[40], valid[40], total[32];
    quote_date_ja(q->at, date, sizeof date);
    quote_date_ja(q->valid_until, valid, sizeof valid);
    pdf_yen(q->bill.total, total, sizeof total);
    struct buf notes = BUF_INIT;
    if (kind == PDF_QUOTE)
        buf_printf(&notes,
                   "本見積書の有効期限は%sです。\n価格は新規・更新とも同額です。"
                   "消費税は見積書ごと・税率ごとに計算し、1円未満を切り捨てています。",
                   valid);
    else
        buf_printf(&notes,
                   "%sお振込先：%s\n振込名義の前に請求書番号 %s をご記入ください。"
                   "クレジットカードでのお支払いも承ります。\n"
                   "消費税は請求書ごと・税率ごとに計算し、1円未満を切り捨てています。",
                   q->paid ? "【入金確認済み】\n" : "", q->issuer.bank, q->number);
    struct pdf_doc d = {.kind = kind,
                        .number = q->number,
                        .date = date,
                        .valid = valid,
                        .recipient = q->recipient,
                        .subject = q->subject,
                        .issuer_name = q->issuer.name,
                        .issuer_address = q->issuer.address,
                        .issuer_phone = q->issuer.phone,
                        .issuer_regno = q->issuer.registration_no,
                        .lines = lines,
                        .nlines = q->bill.nlines,
                        .rates = rates,
                        .nrates = q->bill.nrates,
                        .subtotal = q->bill.subtotal,
                        .tax = q->bill.tax,
                        .total = q->bill.total,
                        .notes = notes.p ? notes.p : ""};
    struct buf out = BUF_INIT;
    struct sm_err e = {0};
    if (pdf_render(&d, &out, &e) < 0) {
        http_reply_err(r, &e);
    } else {
        char cd[96];
        snprintf(cd, sizeof cd, "inline; filename=\"%s.pdf\"", q->number);
        http_add_header(r, "Content-Disposition", cd);
        http_add_header(r, "Cache-Control", "no-store");
        http_reply_buf(r, 200, "application/pdf", &out);
    }
    buf_free(&out);
    buf_free(&notes);
}

static int64_t form_int(struct req *r, const char *name, int64_t bad)
{
    const char *s = req_form_text(r, name);
    if (s == NULL || *s == '\0' || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
        return bad;
    return strtoll(s, NULL, 10);
}

void h_quote_pdf(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    int64_t org_id = default_org(&p);
    const char *org = req_form_text(r, "org_id");
    struct sm_err e = {0};
    if (org != NULL && *org && pf_parse_id(org, &org_id) < 0)
        org_id = -1;
    struct quote_item it = {req_form_text(r, "product"), form_int(r, "sans", -1),
                            req_form_text(r, "domain")};
    struct quote *q = calloc(1, sizeof *q);
    int rc = q == NULL
                 ? sm_err_set(&e, SM_E_NOMEM, NULL, "out of memory")
                 : quote_make(&p.env, &p.who, org_id, &it, 1, req_form_text(r, "recipient"), q, &e);
    if (rc == 0)
        commerce_reply_pdf(r, q, PDF_QUOTE);
    else if (e.code == SM_E_INVALID)
        quote_page(r, &p, 422, &e);
    else
        pf_reply_err(r, &p, &e);
    free(q);
    portal_clear(&p);
}

/* ---- the cart ---- */

int commerce_quote_cart(struct portal *p, const char *recipient, struct quote *q, struct sm_err *e)
{
    struct cart_row *v = NULL;
    size_t n = 0;
    struct quote_item items[QUOTE_ITEMS_MAX];
    struct product_row *prods = calloc(QUOTE_ITEMS_MAX, sizeof *prods);
    int rc = prods != NULL ? cart_list(p->db, p->who.user_id, &v, &n, e)
                           : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_INVALID, "cart", "the cart is empty");
    if (rc == 0 && n > QUOTE_ITEMS_MAX)
        rc = sm_err_set(e, SM_E_INVALID, "cart", "at most %d items in one quote", QUOTE_ITEMS_MAX);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = products_get(p->db, v[i].product_id, &prods[i], e);
        items[i] = (struct quote_item){prods[i].code, v[i].sans, v[i].domain};
    }
    int64_t org_id = n > 0 ? v[0].org_id : default_org(p);
    if (rc == 0)
        rc = quote_make(&p->env, &p->who, org_id, items, n, recipient, q, e);
    free(v);
    free(prods);
    return rc;
}

static void cart_page(struct req *r, struct portal *p, int status, const struct sm_err *e,
                      const char *banner_key)
{
    struct cart_row *v = NULL;
    size_t n = 0;
    struct sm_err le = {0};
    if (cart_list(p->db, p->who.user_id, &v, &n, &le) < 0) {
        pf_internal(r, "cart: list", &le);
        return;
    }
    /* the drafts an incomplete item may take (an application saved earlier) */
    static const char *const draft_state[1] = {"draft"};
    struct orders_filter of = {
        .scope = p->who.scope, .states = draft_state, .nstates = 1, .limit = 200};
    struct order_row *drafts = NULL;
    size_t ndrafts = 0;
    if (orders_list(p->db, &of, &drafts, &ndrafts, NULL, &le) < 0) {
        sm_err_clear(&le);
        ndrafts = 0;
    }
    json_t *items = json_array();
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        struct product_row pr;
        if (products_get(p->db, v[i].product_id, &pr, &le) < 0) {
            sm_err_clear(&le);
            snprintf(pr.code, sizeof pr.code, "?");
            snprintf(pr.name_ja, sizeof pr.name_ja, "?");
            snprintf(pr.name_en, sizeof pr.name_en, "?");
        }
        int complete = cart_item_complete(&v[i]);
        done += complete != 0;
        json_t *dj = json_array();
        for (size_t k = 0; !complete && k < ndrafts; k++) {
            int taken = 0;
            for (size_t m = 0; m < n; m++)
                taken |= v[m].order_id == drafts[k].id;
            if (!taken && drafts[k].product_id == v[i].product_id &&
                drafts[k].org_id == v[i].org_id)
                json_array_append_new(
                    dj, json_pack("{s:I, s:s, s:s}", "oid", (json_int_t)drafts[k].id, "rno",
                                  drafts[k].receipt_no, "dcn", drafts[k].cn ? drafts[k].cn : ""));
        }
        json_array_append_new(
            items,
            json_pack("{s:b, s:o, s:I, s:s, s:s, s:I, s:s, s:b, s:s, s:I, s:s}", "has_drafts",
                      json_array_size(dj) > 0, "drafts", dj, "id", (json_int_t)v[i].id, "code",
                      pr.code, "name", pname(&pr, r->lang), "sans", (json_int_t)v[i].sans, "domain",
                      v[i].domain, "complete", complete, "receipt_no", v[i].receipt_no, "order_id",
                      (json_int_t)v[i].order_id, "state",
                      v[i].order_state[0] ? pf_state_label(r->lang, v[i].order_state) : ""));
    }
    free(v);
    order_rows_free(drafts, ndrafts);
    int64_t renewable = 0;
    time_t now = clock_now();
    if (cart_count_renewable(p->db, &p->who.scope, now,
                             now + (time_t)SUB_RENEWAL_WINDOW_DAYS * 86400, &renewable, &le) < 0)
        renewable = 0;
    char counts[64];
    snprintf(counts, sizeof counts, "%zu / %zu", done, n);
    json_t *d = json_pack("{s:o, s:b, s:b, s:s, s:I, s:o, s:b, s:o, s:o, s:s, s:s}", "items", items,
                          "has_items", n > 0, "all_complete", n > 0 && done == n, "counts", counts,
                          "renewable", (json_int_t)renewable, "err", field_errors(r->lang, e),
                          "has_error", e != NULL, "products", products_json(p->db, r->lang, NULL),
                          "orgs", orgs_json(p, r->lang, default_org(p)), "banner",
                          banner_key ? i18n_text(r->lang, banner_key) : "", "domain", "");
    http_reply_page(r, status, "commerce_cart", "commerce.cart.title", d);
}

void h_cart(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) == 0) {
        const char *done = req_query(r, "done");
        cart_page(r, &p, 200, NULL,
                  done == NULL                   ? NULL
                  : strcmp(done, "added") == 0   ? "commerce.cart.added"
                  : strcmp(done, "ordered") == 0 ? "commerce.cart.ordered"
                                                 : NULL);
    }
    portal_clear(&p);
}

void h_cart_add(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    int64_t org_id = default_org(&p), id = 0;
    const char *org = req_form_text(r, "org_id");
    if (org != NULL && *org && pf_parse_id(org, &org_id) < 0)
        org_id = -1;
    struct sm_err e = {0};
    if (cart_add(&p.env, &p.who, org_id, req_form_text(r, "product"), form_int(r, "sans", -1),
                 req_form_text(r, "domain"), &id, &e) == 0)
        http_redirect(r, 303, "/cart?done=added");
    else if (e.code == SM_E_INVALID &&
             strcmp(req_form_text(r, "from") ? req_form_text(r, "from") : "", "quote") == 0)
        quote_page(r, &p, 422, &e);
    else if (e.code == SM_E_INVALID)
        cart_page(r, &p, 422, &e, NULL);
    else
        pf_reply_err(r, &p, &e);
    portal_clear(&p);
}

void h_cart_remove(struct req *r)
{
    struct portal p;
    int64_t id;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    if (pf_parse_id(req_param(r, "id"), &id) < 0 || cart_remove(&p.env, &p.who, id, &e) < 0) {
        if (e.code == 0 || e.code == SM_E_NOTFOUND)
            http_reply_error(r, 404, "web.notfound", NULL);
        else
            pf_reply_err(r, &p, &e);
    } else {
        http_redirect(r, 303, "/cart");
    }
    portal_clear(&p);
}

void h_cart_attach(struct req *r)
{
    struct portal p;
    int64_t id, oid;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    struct cart_row c;
    if (pf_parse_id(req_param(r, "id"), &id) < 0 ||
        cart_get(p.db, id, p.who.user_id, &c, &e) < 0) { /* another user's item: 404 */
        http_reply_error(r, 404, "web.notfound", NULL);
    } else if (pf_parse_id(req_form_text(r, "order_id"), &oid) < 0) {
        sm_err_set(&e, SM_E_INVALID, "cart", "choose an application");
        cart_page(r, &p, 422, &e, NULL);
    } else if (cart_attach(&p.env, &p.who, id, oid, &e) == 0) {
        http_redirect(r, 303, "/cart");
    } else if (e.code == SM_E_NOTFOUND) {
        http_reply_error(r, 404, "web.notfound", NULL);
    } else if (e.code == SM_E_CONFLICT) {
        e.code = SM_E_INVALID;
        cart_page(r, &p, 409, &e, NULL);
    } else {
        pf_reply_err(r, &p, &e);
    }
    portal_clear(&p);
}

void h_cart_quote(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    struct sm_err e = {0};
    struct quote *q = calloc(1, sizeof *q);
    int rc = q != NULL ? commerce_quote_cart(&p, req_form_text(r, "recipient"), q, &e)
                       : sm_err_set(&e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        commerce_reply_pdf(r, q, PDF_QUOTE);
    else if (e.code == SM_E_INVALID)
        cart_page(r, &p, 422, &e, NULL);
    else
        pf_reply_err(r, &p, &e);
    free(q);
    portal_clear(&p);
}

void h_cart_checkout(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    size_t n = 0;
    struct sm_err e = {0};
    if (cart_checkout(&p.env, &p.who, &n, &e) == 0) {
        http_redirect(r, 303, "/cart?done=ordered");
    } else if (e.code == SM_E_CONFLICT && strcmp(e.field, "cart") == 0) {
        e.code = SM_E_INVALID; /* shown beside the cart, as a field error */
        cart_page(r, &p, 409, &e, NULL);
    } else {
        pf_reply_err(r, &p, &e);
    }
    portal_clear(&p);
}

/* ---- invoices and payment ---- */

static int load_order(struct req *r, struct portal *p, struct order_row **o)
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
        pf_internal(r, "commerce: order", &e);
        return -1;
    }
    return 0;
}

static int sim_enabled(struct req *r, const struct portal *p)
{
    return config_not_for_production(r->web->cfg) && p->env.hmac_secret != NULL &&
           p->env.hmac_secret[0] != '\0';
}

static void pay_page(struct req *r, struct portal *p, const struct order_row *o, int status,
                     const char *msg)
{
    struct billing_issuer_row is;
    struct sm_err e = {0};
    if (prices_get_issuer(p->db, &is, &e) < 0) {
        pf_internal(r, "commerce: issuer", &e);
        return;
    }
    struct quote *q = calloc(1, sizeof *q);
    int have = q != NULL && o->invoice_no[0] && quote_invoice(&p->env, &p->who, o->id, q, &e) == 0;
    char sub[32] = "", tax[32] = "", total[32] = "", due[40] = "";
    if (have) {
        portal_yen(q->bill.subtotal, sub, sizeof sub);
        portal_yen(q->bill.tax, tax, sizeof tax);
        portal_yen(q->bill.total, total, sizeof total);
        pf_date(q->valid_until, due, sizeof due);
    }
    const char *done = req_query(r, "paid");
    json_t *d = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "id",
        (json_int_t)o->id, "receipt_no", o->receipt_no, "invoice_no", o->invoice_no, "cn",
        o->cn ? o->cn : "", "state", pf_state_label(r->lang, o->state), "has_invoice", have,
        "awaiting", strcmp(o->state, "awaiting_payment") == 0, "subtotal", sub, "tax", tax, "total",
        total, "due", due, "bank", is.bank, "regno", is.registration_no, "paid", o->paid_at != 0,
        "sim", sim_enabled(r, p), "msg", msg ? msg : "");
    json_object_set_new(d, "just_paid", json_boolean(done != NULL && strcmp(done, "1") == 0));
    free(q);
    http_reply_page(r, status, "commerce_pay", "commerce.pay.title", d);
}

void h_order_pay(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    if (portal_or_reply(r, &p) == 0 && load_order(r, &p, &o) == 0)
        pay_page(r, &p, o, 200, NULL);
    order_row_free(o);
    portal_clear(&p);
}

void h_order_invoice(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    if (portal_or_reply(r, &p) == 0 && load_order(r, &p, &o) == 0) {
        struct quote *q = calloc(1, sizeof *q);
        struct sm_err e = {0};
        if (q == NULL)
            http_reply_error(r, 503, "err.nomem", NULL);
        else if (quote_invoice(&p.env, &p.who, o->id, q, &e) == 0)
            commerce_reply_pdf(r, q, PDF_INVOICE);
        else if (e.code == SM_E_CONFLICT)
            http_reply_err_msg(r, &e, "commerce.err.no_invoice", NULL);
        else
            pf_reply_err(r, &p, &e);
        free(q);
    }
    order_row_free(o);
    portal_clear(&p);
}

void h_paysim_form(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    if (portal_or_reply(r, &p) == 0 && load_order(r, &p, &o) == 0) {
        if (!sim_enabled(r, &p)) {
            http_reply_error(r, 404, "web.notfound", NULL);
        } else {
            struct quote *q = calloc(1, sizeof *q);
            struct sm_err e = {0};
            char total[32] = "";
            if (q != NULL && quote_invoice(&p.env, &p.who, o->id, q, &e) == 0)
                portal_yen(q->bill.total, total, sizeof total);
            free(q);
            json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)o->id,
                                  "invoice_no", o->invoice_no, "receipt_no", o->receipt_no, "total",
                                  total, "awaiting", strcmp(o->state, "awaiting_payment") == 0);
            http_reply_page(r, 200, "commerce_paysim", "commerce.sim.title", d);
        }
    }
    order_row_free(o);
    portal_clear(&p);
}

void h_paysim(struct req *r)
{
    struct portal p;
    struct order_row *o = NULL;
    if (portal_or_reply(r, &p) == 0 && load_order(r, &p, &o) == 0) {
        struct sm_err e = {0};
        const char *act = req_form_text(r, "result");
        if (!sim_enabled(r, &p)) {
            http_reply_error(r, 404, "web.notfound", NULL);
        } else if (act != NULL && strcmp(act, "decline") == 0) {
            pay_page(r, &p, o, 402, i18n_text(r->lang, "commerce.sim.declined"));
        } else if (order_payment_simulate(&p.env, &p.who, o->id, &e) == 0) {
            char loc[64];
            snprintf(loc, sizeof loc, "/orders/%lld/pay?paid=1", (long long)o->id);
            http_redirect(r, 303, loc);
        } else if (e.code == SM_E_CONFLICT) {
            pay_page(r, &p, o, 409, i18n_text(r->lang, "commerce.err.not_awaiting"));
        } else {
            pf_reply_err(r, &p, &e);
        }
    }
    order_row_free(o);
    portal_clear(&p);
}
