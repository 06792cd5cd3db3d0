/* SPDX-License-Identifier: MIT */
/* Quotes and invoices (see quote.h). */
#include "ra/quote.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/orgs.h"
#include "store/quotes.h"

#define DAY 86400

void quote_date_ja(time_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    snprintf(out, n, "%d年%d月%d日", y, m, d);
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int org_name(struct db *db, int64_t org_id, char *out, size_t n, struct sm_err *e)
{
    struct org_row o;
    int rc = org_get(db, org_id, &o, e);
    if (rc == 0)
        snprintf(out, n, "%s", o.name_ja[0] ? o.name_ja : o.name_en);
    return rc;
}

/* Checks the items and adds their lines, without numbering anything. */
static int lines(const struct order_env *env, int64_t org_id, const struct quote_item *items,
                 size_t n, struct quote *q, struct sm_err *e)
{
    if (n == 0 || n > QUOTE_ITEMS_MAX)
        return sm_err_set(e, SM_E_INVALID, "items", "1..%d items", QUOTE_ITEMS_MAX);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct quote_item *it = &items[i];
        struct product_row p;
        const char *dom = it->domain ? it->domain : "";
        if (strlen(dom) > QUOTE_DOMAIN_MAX || has_control(dom))
            return sm_err_set(e, SM_E_INVALID, "domain", "at most %d characters", QUOTE_DOMAIN_MAX);
        rc = it->product ? products_get_by_code(env->db, it->product, &p, e) : -SM_E_NOTFOUND;
        if (rc == -SM_E_NOTFOUND || (rc == 0 && !p.active))
            return sm_err_set(e, SM_E_INVALID, "product", "no active product %s",
                              it->product ? it->product : "");
        struct price_terms t;
        if (rc == 0)
            rc = price_terms_for(env->db, org_id, &p, &t, e);
        if (rc == 0)
            rc = price_bill_product(&q->bill, &p, &t, it->sans, dom, e);
        if (rc == 0 && i == 0)
            snprintf(q->subject, sizeof q->subject, "%s", dom);
    }
    if (rc == 0 && n > 1)
        snprintf(q->subject, sizeof q->subject, "SSL/TLS サーバー証明書 %zu 件", n);
    return rc;
}

/* The content of q as stored (store/quotes body). */
static char *quote_json(const struct quote *q)
{
    json_t *lines = json_array(), *rates = json_array();
    for (size_t i = 0; i < q->bill.nlines; i++) {
        const struct price_line *l = &q->bill.lines[i];
        json_array_append_new(lines,
                              json_pack("{s:s, s:I, s:I, s:I, s:i}", "desc", l->desc, "qty",
                                        (json_int_t)l->qty, "unit", (json_int_t)l->unit, "amount",
                                        (json_int_t)l->amount, "rate_pct", l->rate_pct));
    }
    for (size_t i = 0; i < q->bill.nrates; i++)
        json_array_append_new(rates,
                              json_pack("{s:i, s:I, s:I}", "rate_pct", q->bill.rates[i].rate_pct,
                                        "base", (json_int_t)q->bill.rates[i].base, "tax",
                                        (json_int_t)q->bill.rates[i].tax));
    const struct billing_issuer_row *is = &q->issuer;
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:I, s:I}, s:o, s:o, s:I, s:I, "
        "s:I}",
        "number", q->number, "at", (json_int_t)q->at, "valid_until", (json_int_t)q->valid_until,
        "recipient", q->recipient, "subject", q->subject, "issuer", "name", is->name, "address",
        is->address, "phone", is->phone, "registration_no", is->registration_no, "bank", is->bank,
        "quote_valid_days", (json_int_t)is->quote_valid_days, "payment_days",
        (json_int_t)is->payment_days, "lines", lines, "rates", rates, "subtotal",
        (json_int_t)q->bill.subtotal, "tax", (json_int_t)q->bill.tax, "total",
        (json_int_t)q->bill.total);
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static void jcopy(char *out, size_t n, json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(out, n, "%s", v != NULL ? v : "");
}

/* Back from quote_json (the stored text is ours: a malformed one is -SM_E_INTERNAL). */
static int quote_parse(const char *body, struct quote *q, struct sm_err *e)
{
    json_t *j = json_loads(body, 0, NULL), *is = json_object_get(j, "issuer");
    json_t *lines = json_object_get(j, "lines"), *rates = json_object_get(j, "rates");
    if (!json_is_object(j) || !json_is_array(lines) || !json_is_array(rates) ||
        json_array_size(lines) > PRICE_LINES_MAX || json_array_size(rates) > PRICE_RATES_MAX) {
        json_decref(j);
        return sm_err_set(e, SM_E_INTERNAL, "quote", "stored quote is not readable");
    }
    jcopy(q->number, sizeof q->number, j, "number");
    jcopy(q->recipient, sizeof q->recipient, j, "recipient");
    jcopy(q->subject, sizeof q->subject, j, "subject");
    q->at = (time_t)json_integer_value(json_object_get(j, "at"));
    q->valid_until = (time_t)json_integer_value(json_object_get(j, "valid_until"));
    jcopy(q->issuer.name, sizeof q->issuer.name, is, "name");
    jcopy(q->issuer.address, sizeof q->issuer.address, is, "address");
    jcopy(q->issuer.phone, sizeof q->issuer.phone, is, "phone");
    jcopy(q->issuer.registration_no, sizeof q->issuer.registration_no, is, "registration_no");
    jcopy(q->issuer.bank, sizeof q->issuer.bank, is, "bank");
    q->issuer.quote_valid_days = json_integer_value(json_object_get(is, "quote_valid_days"));
    q->issuer.payment_days = json_integer_value(json_object_get(is, "payment_days"));
    q->bill.nlines = json_array_size(lines);
    for (size_t i = 0; i < q->bill.nlines; i++) {
        json_t *l = json_array_get(lines, i);
        struct price_line *pl = &q->bill.lines[i];
        jcopy(pl->desc, sizeof pl->desc, l, "desc");
        pl->qty = json_integer_value(json_object_get(l, "qty"));
        pl->unit = json_integer_value(json_object_get(l, "unit"));
        pl->amount = json_integer_value(json_object_get(l, "amount"));
        pl->rate_pct = (int)json_integer_value(json_object_get(l, "rate_pct"));
    }
    q->bill.nrates = json_array_size(rates);
    for (size_t i = 0; i < q->bill.nrates; i++) {
        json_t *r = json_array_get(rates, i);
        q->bill.rates[i].rate_pct = (int)json_integer_value(json_object_get(r, "rate_pct"));
        q->bill.rates[i].base = json_integer_value(json_object_get(r, "base"));
        q->bill.rates[i].tax = json_integer_value(json_object_get(r, "tax"));
    }
    q->bill.subtotal = json_integer_value(json_object_get(j, "subtotal"));
    q->bill.tax = json_integer_value(json_object_get(j, "tax"));
    q->bill.total = json_integer_value(json_object_get(j, "total"));
    json_decref(j);
    return 0;
}

int quote_get(const struct order_env *env, const struct order_actor *who, const char *number,
              struct quote *out, int64_t *org_id, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct quote_row r;
    int rc = quotes_get(env->db, number, &who->scope, &r, e);
    if (rc == 0)
        rc = quote_parse(r.body, out, e);
    if (rc == 0 && org_id != NULL)
        *org_id = r.org_id;
    quote_row_clear(&r);
    return rc;
}

int quote_make(const struct order_env *env, const struct order_actor *who, int64_t org_id,
               const struct quote_item *items, size_t n, const char *recipient, struct quote *out,
               struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (!org_scope_has(&who->scope, org_id) && !who->scope.all)
        return sm_err_set(e, SM_E_INVALID, "org_id", "no such organization");
    if (recipient != NULL && (strlen(recipient) > QUOTE_RECIPIENT_MAX || has_control(recipient)))
        return sm_err_set(e, SM_E_INVALID, "recipient", "at most %d characters",
                          QUOTE_RECIPIENT_MAX);
    int rc = lines(env, org_id, items, n, out, e);
    if (rc < 0)
        return rc;
    if (recipient != NULL && recipient[0] != '\0')
        snprintf(out->recipient, sizeof out->recipient, "%s", recipient);
    else if ((rc = org_name(env->db, org_id, out->recipient, sizeof out->recipient, e)) < 0)
        return rc == -SM_E_NOTFOUND ? sm_err_set(e, SM_E_INVALID, "org_id", "no organization") : rc;
    rc = prices_get_issuer(env->db, &out->issuer, e);
    if (rc < 0)
        return rc;
    out->at = clock_now();
    out->valid_until = out->at + (time_t)out->issuer.quote_valid_days * DAY;
    rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    int y, m, d;
    clock_tokyo_date(out->at, &y, &m, &d);
    char name[16];
    snprintf(name, sizeof name, "Q-%04d%02d", y, m);
    int64_t seq = 0;
    rc = orders_counter_next(env->db, name, &seq, e);
    if (rc == 0) {
        snprintf(out->number, sizeof out->number, "%s-%05lld", name, (long long)seq);
        char actor[32];
        order_actor_name(who, actor, sizeof actor);
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:i}", "number", out->number, "org_id",
                              (json_int_t)org_id, "subtotal", (json_int_t)out->bill.subtotal, "tax",
                              (json_int_t)out->bill.tax, "total", (json_int_t)out->bill.total,
                              "items", (int)n);
        char *detail = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
        char object[48];
        snprintf(object, sizeof object, "quote:%s", out->number);
        rc = detail ? audit_append_from(env->db, actor, env->client_ip, "quote.issue", object,
                                        detail, e)
                    : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        free(detail);
    }
    if (rc == 0) { /* stored, so the same quote is read back by its number */
        struct quote_row row = {.org_id = org_id,
                                .created_by = who->user_id,
                                .created_at = (int64_t)out->at,
                                .valid_until = (int64_t)out->valid_until,
                                .total = out->bill.total,
                                .body = quote_json(out)};
        snprintf(row.number, sizeof row.number, "%s", out->number);
        snprintf(row.recipient, sizeof row.recipient, "%s", out->recipient);
        snprintf(row.subject, sizeof row.subject, "%s", out->subject);
        int64_t qid = 0;
        rc = row.body != NULL ? quotes_insert(env->db, &row, &qid, e)
                              : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        free(row.body);
    }
    if (rc == 0)
        return db_commit(env->db, e);
    db_rollback(env->db);
    return rc;
}

/* The recipient of an invoice: the billing organization, the applicant's, or the
 * organization's name. */
static void bill_to(struct db *db, const struct order_row *o, char *out, size_t n)
{
    const char *cols[2] = {o->billing, o->applicant};
    for (int i = 0; i < 2; i++) {
        json_t *j = cols[i] ? json_loads(cols[i], 0, NULL) : NULL;
        const char *org = json_string_value(json_object_get(j, "org"));
        if (org != NULL && org[0] != '\0') {
            snprintf(out, n, "%s", org);
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    struct sm_err e = {0};
    if (org_name(db, o->org_id, out, n, &e) < 0)
        snprintf(out, n, "%s", "");
}

int quote_invoice(const struct order_env *env, const struct order_actor *who, int64_t id,
                  struct quote *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct order_row *o = NULL;
    int rc = orders_get(env->db, id, &who->scope, &o, e);
    if (rc < 0)
        return rc;
    struct product_row p;
    if (o->invoice_no[0] == '\0')
        rc = sm_err_set(e, SM_E_CONFLICT, "invoice", "order %s has no invoice yet", o->receipt_no);
    if (rc == 0)
        rc = products_get(env->db, o->product_id, &p, e);
    if (rc == 0)
        rc = prices_get_issuer(env->db, &out->issuer, e);
    if (rc == 0) {
        char desc[320];
        snprintf(desc, sizeof desc, "%s（%s／受付番号 %s）", p.name_ja, o->cn ? o->cn : "",
                 o->receipt_no);
        rc = price_bill_add(&out->bill, desc, 1, o->amount, PRICE_TAX_RATE_PCT, e);
    }
    if (rc == 0) {
        snprintf(out->number, sizeof out->number, "%s", o->invoice_no);
        out->at = (time_t)(o->submitted_at ? o->submitted_at : o->created_at);
        out->valid_until = out->at + (time_t)out->issuer.payment_days * DAY;
        out->paid = o->paid_at != 0;
        snprintf(out->subject, sizeof out->subject, "%s", o->cn ? o->cn : "");
        bill_to(env->db, o, out->recipient, sizeof out->recipient);
    }
    order_row_free(o);
    return rc;
}
