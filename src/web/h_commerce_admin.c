/* SPDX-License-Identifier: MIT */
/* The price admin page (R-PRD-2, R-PAY-1; ROLE_ADMIN): price agreements of customer and
 * reseller organizations per product, and the issuer of quotes and invoices with its
 * qualified-invoice registration number. Changes go through ra/price; a refusal shows the
 * form again with the message beside the field and changes nothing. List prices, extra-name
 * prices and reissue-fee rules of a product (and term) stay on /admin/products. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ra/price.h"
#include "store/orgs.h"
#include "store/prices.h"
#include "store/products.h"
#include "web/h_commerce.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

static const char *const afields[] = {
    "org_id", "product_id",      "price", "extra_san_price",  "reissue_fee", "name", "address",
    "phone",  "registration_no", "bank",  "quote_valid_days", "payment_days"};
#define NAFIELDS (sizeof afields / sizeof afields[0])

static json_t *errs_json(const char *lang, const struct sm_err *e)
{
    json_t *o = json_object();
    for (size_t i = 0; i < NAFIELDS; i++) {
        struct buf m = BUF_INIT;
        if (e != NULL && strcmp(e->field, afields[i]) == 0) {
            char key[64];
            snprintf(key, sizeof key, "commerce.admin.err.%s", afields[i]);
            i18n_format(&m, lang, key, NULL);
        }
        json_object_set_new(o, afields[i], json_string(m.p ? m.p : ""));
        buf_free(&m);
    }
    return o;
}

static const char *form(struct req *r, const char *name)
{
    const char *s = req_form_text(r, name);
    return s ? s : "";
}

/* A yen amount of the form: digits only (commas allowed); empty gives empty_val. -2 when it
 * is not a number, so the action refuses it naming the field. */
static int64_t yen(struct req *r, const char *name, int64_t empty_val)
{
    const char *s = form(r, name);
    char d[16];
    size_t n = 0;
    if (*s == '\0')
        return empty_val;
    for (; *s; s++) {
        if (*s == ',')
            continue;
        if (*s < '0' || *s > '9' || n + 1 >= sizeof d)
            return -2;
        d[n++] = *s;
    }
    d[n] = '\0';
    return n == 0 ? -2 : strtoll(d, NULL, 10);
}

static void page(struct req *r, struct db *db, int status, const struct sm_err *e,
                 const char *banner_key, const struct billing_issuer_row *typed)
{
    const char *lang = r->lang;
    struct sm_err le = {0};
    struct org_row *orgs = NULL;
    struct product_row *prods = NULL;
    struct price_agreement_row *ag = NULL;
    size_t no = 0, np = 0, na = 0;
    struct billing_issuer_row is;
    static const struct org_scope all = {1, NULL, 0};
    if (org_list_scope(db, &all, &orgs, &no, &le) < 0 ||
        products_list(db, 1, &prods, &np, &le) < 0 ||
        prices_list_agreements(db, &ag, &na, &le) < 0 || prices_get_issuer(db, &is, &le) < 0) {
        pf_internal(r, "admin prices", &le);
        goto out;
    }
    if (typed != NULL)
        is = *typed;
    const char *sel_org = form(r, "org_id"), *sel_prod = form(r, "product_id");
    json_t *jo = json_array(), *jp = json_array(), *ja = json_array();
    for (size_t i = 0; i < no; i++) {
        if (strcmp(orgs[i].kind, "customer") != 0 && strcmp(orgs[i].kind, "reseller") != 0)
            continue;
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)orgs[i].id);
        json_array_append_new(
            jo,
            json_pack(
                "{s:s, s:s, s:s, s:b}", "id", id, "name",
                strcmp(lang, "en") == 0 && orgs[i].name_en[0] ? orgs[i].name_en : orgs[i].name_ja,
                "kind",
                i18n_text(lang, strcmp(orgs[i].kind, "reseller") == 0 ? "commerce.admin.reseller"
                                                                      : "commerce.admin.customer"),
                "sel", strcmp(id, sel_org) == 0));
    }
    for (size_t i = 0; i < np; i++) {
        char id[24], price[32], extra[32];
        snprintf(id, sizeof id, "%lld", (long long)prods[i].id);
        portal_yen(prods[i].list_price, price, sizeof price);
        portal_yen(prods[i].extra_san_price, extra, sizeof extra);
        json_array_append_new(
            jp,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:b}", "id", id, "code", prods[i].code,
                      "name", strcmp(lang, "en") == 0 ? prods[i].name_en : prods[i].name_ja,
                      "price", price, "extra", extra, "term", prods[i].term_months, "fee",
                      prods[i].reissue_fee, "sel", strcmp(id, sel_prod) == 0));
    }
    for (size_t i = 0; i < na; i++) {
        const char *oname = "?", *pcode = "?";
        for (size_t k = 0; k < no; k++)
            if (orgs[k].id == ag[i].org_id)
                oname = strcmp(lang, "en") == 0 && orgs[k].name_en[0] ? orgs[k].name_en
                                                                      : orgs[k].name_ja;
        for (size_t k = 0; k < np; k++)
            if (prods[k].id == ag[i].product_id)
                pcode = prods[k].code;
        char price[32], extra[32], fee[32];
        portal_yen(ag[i].price, price, sizeof price);
        portal_yen(ag[i].extra_san_price, extra, sizeof extra);
        if (ag[i].reissue_fee < 0)
            snprintf(fee, sizeof fee, "%s", i18n_text(lang, "commerce.admin.fee_rule"));
        else
            portal_yen(ag[i].reissue_fee, fee, sizeof fee);
        json_array_append_new(ja, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "org_id",
                                            (json_int_t)ag[i].org_id, "org", oname, "product_id",
                                            (json_int_t)ag[i].product_id, "product", pcode, "price",
                                            price, "extra", extra, "fee", fee));
    }
    char qd[24], pd[24];
    snprintf(qd, sizeof qd, "%lld", (long long)is.quote_valid_days);
    snprintf(pd, sizeof pd, "%lld", (long long)is.payment_days);
    json_t *d = json_pack(
        "{s:o, s:o, s:o, s:b, s:o, s:b, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:s}, s:i}",
        "orgs", jo, "products", jp, "agreements", ja, "has_agreements", na > 0, "err",
        errs_json(lang, e), "has_error", e != NULL, "banner",
        banner_key ? i18n_text(lang, banner_key) : "", "price", form(r, "price"), "extra",
        form(r, "extra_san_price"), "fee", form(r, "reissue_fee"), "issuer", "name", is.name,
        "address", is.address, "phone", is.phone, "registration_no", is.registration_no, "bank",
        is.bank, "quote_valid_days", qd, "payment_days", pd, "tax_rate", PRICE_TAX_RATE_PCT);
    http_reply_page(r, status, "admin_prices", "commerce.admin.title", d);
out:
    free(orgs);
    free(prods);
    free(ag);
}

void h_admin_prices(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    const char *done = req_query(r, "done");
    page(r, db, 200, NULL, done != NULL ? "commerce.admin.saved" : NULL, NULL);
}

static void actor_of(struct req *r, char *out, size_t n)
{
    snprintf(out, n, "user:%lld", (long long)req_user(r)->id);
}

void h_admin_price_set(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct price_agreement_row a = {0};
    struct sm_err e = {0};
    char actor[32];
    actor_of(r, actor, sizeof actor);
    int rc = 0;
    if (pf_parse_id(form(r, "org_id"), &a.org_id) < 0)
        rc = sm_err_set(&e, SM_E_INVALID, "org_id", "choose an organization");
    else if (pf_parse_id(form(r, "product_id"), &a.product_id) < 0)
        rc = sm_err_set(&e, SM_E_INVALID, "product_id", "choose a product");
    a.price = yen(r, "price", -2);
    a.extra_san_price = yen(r, "extra_san_price", 0);
    a.reissue_fee = yen(r, "reissue_fee", -1);
    if (rc == 0 && a.reissue_fee == -2)
        a.reissue_fee = -3; /* not a number: refused by the range check */
    if (rc == 0)
        rc = price_agreement_set(db, actor, &a, &e);
    if (rc == 0)
        http_redirect(r, 303, "/admin/prices?done=1");
    else if (e.code == SM_E_INVALID)
        page(r, db, 422, &e, NULL, NULL);
    else
        http_reply_err(r, &e);
}

void h_admin_price_remove(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    int64_t org_id, product_id;
    struct sm_err e = {0};
    char actor[32];
    actor_of(r, actor, sizeof actor);
    if (pf_parse_id(form(r, "org_id"), &org_id) < 0 ||
        pf_parse_id(form(r, "product_id"), &product_id) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    int rc = price_agreement_remove(db, actor, org_id, product_id, &e);
    if (rc == 0)
        http_redirect(r, 303, "/admin/prices?done=1");
    else if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "web.notfound", NULL);
    else
        http_reply_err(r, &e);
}

void h_admin_issuer_set(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct billing_issuer_row b = {0};
    struct sm_err e = {0};
    char actor[32];
    actor_of(r, actor, sizeof actor);
    int rc = 0;
    const char *const txt[5] = {"name", "address", "phone", "registration_no", "bank"};
    char *dst[5] = {b.name, b.address, b.phone, b.registration_no, b.bank};
    size_t cap[5] = {sizeof b.name, sizeof b.address, sizeof b.phone, sizeof b.registration_no,
                     sizeof b.bank};
    for (int i = 0; rc == 0 && i < 5; i++) {
        const char *v = form(r, txt[i]);
        if (strlen(v) >= cap[i])
            rc = sm_err_set(&e, SM_E_INVALID, txt[i], "too long");
        else
            snprintf(dst[i], cap[i], "%s", v);
    }
    b.quote_valid_days = yen(r, "quote_valid_days", 0);
    b.payment_days = yen(r, "payment_days", 0);
    if (rc == 0)
        rc = price_issuer_set(db, actor, &b, &e);
    if (rc == 0)
        http_redirect(r, 303, "/admin/prices?done=1");
    else if (e.code == SM_E_INVALID)
        page(r, db, 422, &e, NULL, &b);
    else
        http_reply_err(r, &e);
}
