/* SPDX-License-Identifier: MIT */
/* Stored quotes and the quote and cart API (R-QUO-1, R-CRT-1): a quote keeps its number
 * and content (ra/quote, store/quotes), so its PDF is fetched again by number from the
 * account's quote list or the API; the cart's items are read, added and removed through
 * the API as on the cart page. Every read is inside the caller's organization scope (a
 * quote of another organization is a 404) and a cart is its user's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "ra/cart.h"
#include "ra/quote.h"
#include "ra/subscription.h"
#include "store/cart.h"
#include "store/products.h"
#include "store/quotes.h"
#include "web/h_commerce.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

static void iso(time_t t, char *out, size_t n)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        snprintf(out, n, "%s", "");
    else
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A stored quote as the API answers it. */
static json_t *quote_json(const struct quote *q, int64_t org_id)
{
    json_t *lines = json_array(), *rates = json_array();
    for (size_t i = 0; i < q->bill.nlines; i++) {
        const struct price_line *l = &q->bill.lines[i];
        json_array_append_new(lines, json_pack("{s:s, s:I, s:I, s:I, s:i}", "description", l->desc,
                                               "quantity", (json_int_t)l->qty, "unit",
                                               (json_int_t)l->unit, "amount", (json_int_t)l->amount,
                                               "tax_rate_pct", l->rate_pct));
    }
    for (size_t i = 0; i < q->bill.nrates; i++)
        json_array_append_new(rates, json_pack("{s:i, s:I, s:I}", "tax_rate_pct",
                                               q->bill.rates[i].rate_pct, "base",
                                               (json_int_t)q->bill.rates[i].base, "tax",
                                               (json_int_t)q->bill.rates[i].tax));
    char at[32], until[32], pdf[80];
    iso(q->at, at, sizeof at);
    iso(q->valid_until, until, sizeof until);
    snprintf(pdf, sizeof pdf, "/api/v1/quotes/%s", q->number);
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:s, s:s}", "number",
                     q->number, "org_id", (json_int_t)org_id, "created_at", at, "valid_until",
                     until, "recipient", q->recipient, "subject", q->subject, "lines", lines,
                     "tax_rates", rates, "subtotal", (json_int_t)q->bill.subtotal, "tax",
                     (json_int_t)q->bill.tax, "total", (json_int_t)q->bill.total, "currency", "JPY",
                     "pdf", pdf);
}

/* The stored quote of the route's :number, or an answer (404 for one not in scope). */
static struct quote *load(struct req *r, struct portal *p, int64_t *org_id)
{
    struct sm_err e = {0};
    struct quote *q = calloc(1, sizeof *q);
    int rc = q != NULL ? quote_get(&p->env, &p->who, req_param(r, "number"), q, org_id, &e)
                       : sm_err_set(&e, SM_E_NOMEM, NULL, "out of memory");
    if (rc < 0) {
        pf_reply_err(r, p, &e);
        free(q);
        return NULL;
    }
    return q;
}

/* The stored quote of the route's :number as its PDF; from the API (api) as its JSON unless
 * the request accepts application/pdf. */
static void quote_reply(struct req *r, int api)
{
    struct portal p;
    struct quote *q = NULL;
    int64_t org = 0;
    if (portal_or_reply(r, &p) == 0 && (q = load(r, &p, &org)) != NULL) {
        const char *acc = api ? req_header(r, "Accept") : "application/pdf";
        if (acc != NULL && strstr(acc, "application/pdf") != NULL)
            commerce_reply_pdf(r, q, PDF_QUOTE);
        else
            http_reply_json(r, 200, quote_json(q, org));
    }
    free(q);
    portal_clear(&p);
}

void h_quote_show(struct req *r) { quote_reply(r, 0); }

void h_api_quote_get(struct req *r) { quote_reply(r, 1); }

static json_t *list_json(struct portal *p, struct sm_err *e)
{
    struct quote_row *v = NULL;
    size_t n = 0;
    if (quotes_list(p->db, &p->who.scope, 100, &v, &n, e) < 0)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char at[32], until[32], yen[32];
        iso((time_t)v[i].created_at, at, sizeof at);
        iso((time_t)v[i].valid_until, until, sizeof until);
        portal_yen(v[i].total, yen, sizeof yen);
        char date[40];
        quote_date_ja((time_t)v[i].created_at, date, sizeof date);
        json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s}",
                                           "number", v[i].number, "org_id", (json_int_t)v[i].org_id,
                                           "created_at", at, "valid_until", until, "recipient",
                                           v[i].recipient, "subject", v[i].subject, "total",
                                           (json_int_t)v[i].total, "total_yen", yen, "date", date));
    }
    quote_rows_free(v, n);
    return a;
}

/* The quotes of the caller's scope as the API's JSON, or as the account's page (page). */
static void quotes_reply(struct req *r, int page)
{
    struct portal p;
    struct sm_err e = {0};
    json_t *a;
    if (portal_or_reply(r, &p) == 0) {
        if ((a = list_json(&p, &e)) == NULL)
            pf_reply_err(r, &p, &e);
        else if (page)
            http_reply_page(
                r, 200, "account_quotes", "commerce.quotes.title",
                json_pack("{s:b, s:o}", "has_quotes", json_array_size(a) > 0, "quotes", a));
        else
            http_reply_json(r, 200, json_pack("{s:o}", "quotes", a));
    }
    portal_clear(&p);
}

void h_api_quotes(struct req *r) { quotes_reply(r, 0); }

void h_account_quotes(struct req *r) { quotes_reply(r, 1); }

/* An API error of a quote or cart call: the field's commerce message, or the table's. */
static void reply_err(struct req *r, struct portal *p, const struct sm_err *e)
{
    if (e->code == SM_E_INVALID) {
        static const char *const known[] = {"product", "sans", "domain", "recipient",
                                            "org_id",  "cart", "items"};
        const char *key = NULL;
        char k[64];
        for (size_t i = 0; key == NULL && i < sizeof known / sizeof *known; i++)
            if (strcmp(e->field, known[i]) == 0) {
                snprintf(k, sizeof k, "commerce.err.%s", known[i]);
                key = k;
            }
        http_reply_err_msg(r, e, key, e->field);
    } else {
        pf_reply_err(r, p, e);
    }
}

/* An org_id of a body: absent = the user's organization; not a positive integer = -1. */
static int64_t body_org(json_t *b, const struct portal *p)
{
    json_t *o = json_object_get(b, "org_id");
    if (o == NULL)
        return p->user != NULL ? p->user->org_id : 0;
    return json_is_integer(o) && json_integer_value(o) > 0 ? (int64_t)json_integer_value(o) : -1;
}

void h_api_quote_create(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    struct quote *q = calloc(1, sizeof *q);
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0 || (b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *rec = json_object_get(b, "recipient"), *items = json_object_get(b, "items");
    int rc = 0;
    if (q == NULL)
        rc = sm_err_set(&e, SM_E_NOMEM, NULL, "out of memory");
    else if (rec != NULL && !json_is_string(rec))
        rc = sm_err_set(&e, SM_E_INVALID, "recipient", "a string");
    else if (json_is_true(json_object_get(b, "cart")) && items == NULL)
        rc = commerce_quote_cart(&p, json_string_value(rec), q, &e);
    else if (!json_is_array(items) || json_array_size(items) == 0 ||
             json_array_size(items) > QUOTE_ITEMS_MAX)
        rc = sm_err_set(&e, SM_E_INVALID, "items", "1..%d items", QUOTE_ITEMS_MAX);
    else {
        struct quote_item it[QUOTE_ITEMS_MAX];
        size_t n = json_array_size(items);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            json_t *x = json_array_get(items, i), *sans = json_object_get(x, "sans");
            json_t *dom = json_object_get(x, "domain");
            if (!json_is_object(x) || !json_is_string(json_object_get(x, "product")))
                rc = sm_err_set(&e, SM_E_INVALID, "product", "items[%zu].product", i);
            else if (sans != NULL && !json_is_integer(sans))
                rc = sm_err_set(&e, SM_E_INVALID, "sans", "items[%zu].sans: an integer", i);
            else if (dom != NULL && !json_is_string(dom))
                rc = sm_err_set(&e, SM_E_INVALID, "domain", "items[%zu].domain: a string", i);
            else
                it[i] = (struct quote_item){json_string_value(json_object_get(x, "product")),
                                            sans != NULL ? (int64_t)json_integer_value(sans) : 1,
                                            json_string_value(dom)};
        }
        if (rc == 0)
            rc = quote_make(&p.env, &p.who, body_org(b, &p), it, n, json_string_value(rec), q, &e);
    }
    if (rc == 0) {
        int64_t org = 0;
        struct quote *stored = calloc(1, sizeof *stored);
        /* answered from what was stored: what GET gives later */
        if (stored != NULL && quote_get(&p.env, &p.who, q->number, stored, &org, &e) == 0)
            http_reply_json(r, 201, quote_json(stored, org));
        else
            pf_reply_err(r, &p, &e);
        free(stored);
    } else {
        reply_err(r, &p, &e);
    }
out:
    free(q);
    json_decref(b);
    portal_clear(&p);
}

/* ---- the cart ---- */

void h_api_cart_items(struct req *r)
{
    struct portal p;
    struct cart_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (cart_list(p.db, p.who.user_id, &v, &n, &e) < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    json_t *a = json_array();
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        struct product_row pr;
        if (products_get(p.db, v[i].product_id, &pr, &e) < 0) {
            sm_err_clear(&e);
            snprintf(pr.code, sizeof pr.code, "?");
        }
        int complete = cart_item_complete(&v[i]);
        done += complete != 0;
        json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:I, s:s, s:b, s:I, s:s, s:s}", "id",
                                           (json_int_t)v[i].id, "org_id", (json_int_t)v[i].org_id,
                                           "product", pr.code, "sans", (json_int_t)v[i].sans,
                                           "domain", v[i].domain, "complete", complete, "order_id",
                                           (json_int_t)v[i].order_id, "receipt_no", v[i].receipt_no,
                                           "order_state", v[i].order_state));
    }
    int64_t renewable = 0;
    time_t now = clock_now();
    if (cart_count_renewable(p.db, &p.who.scope, now, now + (time_t)SUB_RENEWAL_WINDOW_DAYS * 86400,
                             &renewable, &e) < 0)
        renewable = 0;
    http_reply_json(r, 200,
                    json_pack("{s:o, s:I, s:I, s:I}", "items", a, "complete", (json_int_t)done,
                              "incomplete", (json_int_t)(n - done), "renewable",
                              (json_int_t)renewable));
out:
    free(v);
    portal_clear(&p);
}

void h_api_cart_add(struct req *r)
{
    struct portal p;
    json_t *b = NULL;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0 || (b = req_json_or_reply(r)) == NULL)
        goto out;
    json_t *prod = json_object_get(b, "product"), *sans = json_object_get(b, "sans");
    json_t *dom = json_object_get(b, "domain");
    int64_t id = 0;
    int rc = 0;
    if (!json_is_string(prod))
        rc = sm_err_set(&e, SM_E_INVALID, "product", "a product code");
    else if (sans != NULL && !json_is_integer(sans))
        rc = sm_err_set(&e, SM_E_INVALID, "sans", "an integer");
    else if (dom != NULL && !json_is_string(dom))
        rc = sm_err_set(&e, SM_E_INVALID, "domain", "a string");
    else
        rc = cart_add(&p.env, &p.who, body_org(b, &p), json_string_value(prod),
                      sans != NULL ? (int64_t)json_integer_value(sans) : 1,
                      dom != NULL ? json_string_value(dom) : "", &id, &e);
    if (rc == 0)
        http_reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
    else
        reply_err(r, &p, &e);
out:
    json_decref(b);
    portal_clear(&p);
}

void h_api_cart_remove(struct req *r)
{
    struct portal p;
    int64_t id = 0;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (pf_parse_id(req_param(r, "id"), &id) < 0)
        http_reply_error(r, 404, "web.notfound", NULL);
    else if (cart_remove(&p.env, &p.who, id, &e) < 0)
        pf_reply_err(r, &p, &e);
    else
        http_reply_json(r, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
out:
    portal_clear(&p);
}

json_t *commerce_cart_unfinished(struct req *r, struct portal *p)
{
    if (p->user == NULL || (p->user->role != USER_CUSTOMER && p->user->role != USER_RESELLER))
        return json_false();
    struct cart_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    json_t *a = json_array();
    if (cart_list(p->db, p->who.user_id, &v, &n, &e) < 0)
        sm_err_clear(&e); /* the dashboard still shows; the section says nothing is open */
    for (size_t i = 0; i < n; i++) {
        if (cart_item_complete(&v[i]))
            continue;
        struct product_row pr;
        if (products_get(p->db, v[i].product_id, &pr, &e) < 0) {
            sm_err_clear(&e);
            continue;
        }
        char url[128];
        snprintf(url, sizeof url, "/apply?product=%s&cart=%lld", pr.code, (long long)v[i].id);
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)v[i].id, "name",
                         strcmp(r->lang, "en") == 0 ? pr.name_en : pr.name_ja, "domain",
                         v[i].domain, "sans", (json_int_t)v[i].sans, "url", url));
    }
    free(v);
    return json_pack("{s:b, s:o, s:I}", "has_items", json_array_size(a) > 0, "items", a, "count",
                     (json_int_t)json_array_size(a));
}
