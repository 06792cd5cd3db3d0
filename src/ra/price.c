/* SPDX-License-Identifier: MIT */
/* Prices, the bill arithmetic and consumption tax, the price admin actions (see price.h). */
#include "ra/price.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/orgs.h"

int price_terms_for(struct db *db, int64_t org_id, const struct product_row *p,
                    struct price_terms *out, struct sm_err *e)
{
    *out = (struct price_terms){p->list_price, p->extra_san_price, -1, PRICE_LIST};
    struct price_agreement_row a;
    int rc = prices_get_agreement(db, org_id, p->id, &a, e);
    enum price_source src = PRICE_CUSTOMER;
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        struct org_row o;
        rc = org_get(db, org_id, &o, e);
        if (rc == 0 && o.reseller_org_id > 0) {
            rc = prices_get_agreement(db, o.reseller_org_id, p->id, &a, e);
            src = PRICE_RESELLER;
        } else if (rc == 0) {
            rc = -SM_E_NOTFOUND;
        }
        if (rc == -SM_E_NOTFOUND) {
            sm_err_clear(e);
            return 0; /* the list price */
        }
    }
    if (rc < 0)
        return rc;
    *out = (struct price_terms){a.price, a.extra_san_price, a.reissue_fee, src};
    return 0;
}

int64_t price_extra_names(const struct product_row *p, int64_t names)
{
    return names > p->sans_included ? names - p->sans_included : 0;
}

int price_order_amount(struct db *db, int64_t org_id, const struct product_row *p, int64_t extra,
                       int64_t *amount, struct sm_err *e)
{
    struct price_terms t;
    int rc = price_terms_for(db, org_id, p, &t, e);
    if (rc == 0)
        *amount = t.price + (extra > 0 ? extra : 0) * t.extra_san_price;
    return rc;
}

int64_t price_reissue_fee(const struct price_terms *t, int64_t rule_yen)
{
    if (rule_yen <= 0)
        return 0;
    return t->reissue_fee >= 0 ? t->reissue_fee : rule_yen;
}

int64_t price_tax(int64_t base, int rate_pct)
{
    /* integer division of non-negative values rounds down (切り捨て) */
    return base <= 0 ? 0 : base * rate_pct / 100;
}

void price_bill_sum(struct price_bill *b)
{
    b->nrates = 0;
    b->subtotal = 0;
    b->tax = 0;
    for (size_t i = 0; i < b->nlines; i++) {
        const struct price_line *l = &b->lines[i];
        size_t k = 0;
        while (k < b->nrates && b->rates[k].rate_pct != l->rate_pct)
            k++;
        if (k == b->nrates && k < PRICE_RATES_MAX)
            b->rates[b->nrates++] = (struct price_rate){l->rate_pct, 0, 0};
        if (k < b->nrates)
            b->rates[k].base += l->amount;
        b->subtotal += l->amount;
    }
    for (size_t k = 0; k < b->nrates; k++) {
        b->rates[k].tax = price_tax(b->rates[k].base, b->rates[k].rate_pct);
        b->tax += b->rates[k].tax;
    }
    b->total = b->subtotal + b->tax;
}

int price_bill_add(struct price_bill *b, const char *desc, int64_t qty, int64_t unit, int rate_pct,
                   struct sm_err *e)
{
    if (b->nlines >= PRICE_LINES_MAX)
        return sm_err_set(e, SM_E_INVALID, "lines", "at most %d lines", PRICE_LINES_MAX);
    if (qty < 1 || qty > 100000)
        return sm_err_set(e, SM_E_INVALID, "qty", "quantity 1..100000");
    if (unit < 0 || unit > PRICE_YEN_MAX)
        return sm_err_set(e, SM_E_INVALID, "price", "price 0..%d yen", PRICE_YEN_MAX);
    size_t k = 0;
    while (k < b->nrates && b->rates[k].rate_pct != rate_pct)
        k++;
    if (k == PRICE_RATES_MAX)
        return sm_err_set(e, SM_E_INVALID, "rate", "at most %d tax rates", PRICE_RATES_MAX);
    struct price_line *l = &b->lines[b->nlines++];
    snprintf(l->desc, sizeof l->desc, "%s", desc ? desc : "");
    l->qty = qty;
    l->unit = unit;
    l->amount = qty * unit;
    l->rate_pct = rate_pct;
    price_bill_sum(b);
    return 0;
}

int price_bill_product(struct price_bill *b, const struct product_row *p,
                       const struct price_terms *t, int64_t names, const char *domain,
                       struct sm_err *e)
{
    if (names < 1 || names > p->sans_max)
        return sm_err_set(e, SM_E_INVALID, "sans", "names 1..%d for %s", p->sans_max, p->code);
    char desc[320];
    if (domain != NULL && domain[0] != '\0')
        snprintf(desc, sizeof desc, "%s（%s）", p->name_ja, domain);
    else
        snprintf(desc, sizeof desc, "%s", p->name_ja);
    int rc = price_bill_add(b, desc, 1, t->price, PRICE_TAX_RATE_PCT, e);
    int64_t extra = price_extra_names(p, names);
    if (rc == 0 && extra > 0) {
        snprintf(desc, sizeof desc, "追加ドメイン（SAN）／%s", p->name_ja);
        rc = price_bill_add(b, desc, extra, t->extra_san_price, PRICE_TAX_RATE_PCT, e);
    }
    return rc;
}

int price_regno_ok(const char *s)
{
    if (s == NULL || s[0] != 'T' || strlen(s) != 14 || strspn(s + 1, "0123456789") != 13)
        return 0;
    /* s[1] is the check digit of the 12 digits s[2..13]; n counts from the right */
    int sum = 0;
    for (int n = 1; n <= 12; n++)
        sum += (s[14 - n] - '0') * (n % 2 == 1 ? 1 : 2);
    return s[1] - '0' == 9 - sum % 9;
}

static int audit(struct db *db, const char *actor, const char *action, const char *object,
                 json_t *d, struct sm_err *e)
{
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (detail == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = audit_append(db, actor, action, object, detail, e);
    free(detail);
    return rc;
}

static int finish(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0)
        return db_commit(db, e);
    db_rollback(db);
    return rc;
}

int price_agreement_set(struct db *db, const char *actor, const struct price_agreement_row *a,
                        struct sm_err *e)
{
    if (a->price < 0 || a->price > PRICE_YEN_MAX)
        return sm_err_set(e, SM_E_INVALID, "price", "price 0..%d yen", PRICE_YEN_MAX);
    if (a->extra_san_price < 0 || a->extra_san_price > PRICE_YEN_MAX)
        return sm_err_set(e, SM_E_INVALID, "extra_san_price", "0..%d yen", PRICE_YEN_MAX);
    if (a->reissue_fee < -1 || a->reissue_fee > PRICE_YEN_MAX)
        return sm_err_set(e, SM_E_INVALID, "reissue_fee", "empty or 0..%d yen", PRICE_YEN_MAX);
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct org_row o;
    struct product_row p;
    rc = org_get(db, a->org_id, &o, e);
    if (rc == -SM_E_NOTFOUND ||
        (rc == 0 && strcmp(o.kind, "customer") != 0 && strcmp(o.kind, "reseller") != 0))
        rc = sm_err_set(e, SM_E_INVALID, "org_id", "no customer or reseller %lld",
                        (long long)a->org_id);
    if (rc == 0) {
        rc = products_get(db, a->product_id, &p, e);
        if (rc == -SM_E_NOTFOUND)
            rc = sm_err_set(e, SM_E_INVALID, "product_id", "no product %lld",
                            (long long)a->product_id);
    }
    struct price_agreement_row w = *a;
    snprintf(w.updated_by, sizeof w.updated_by, "%s", actor);
    w.updated_at = clock_now();
    if (rc == 0)
        rc = prices_upsert_agreement(db, &w, e);
    if (rc == 0) {
        char object[64];
        snprintf(object, sizeof object, "org:%lld", (long long)a->org_id);
        rc = audit(db, actor, "price.agreement.set", object,
                   json_pack("{s:I, s:s, s:I, s:I, s:I}", "org_id", (json_int_t)a->org_id,
                             "product", p.code, "price", (json_int_t)a->price, "extra_san_price",
                             (json_int_t)a->extra_san_price, "reissue_fee",
                             (json_int_t)a->reissue_fee),
                   e);
    }
    return finish(db, rc, e);
}

int price_agreement_remove(struct db *db, const char *actor, int64_t org_id, int64_t product_id,
                           struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = prices_delete_agreement(db, org_id, product_id, e);
    if (rc == 0) {
        char object[64];
        snprintf(object, sizeof object, "org:%lld", (long long)org_id);
        rc = audit(db, actor, "price.agreement.remove", object,
                   json_pack("{s:I, s:I}", "org_id", (json_int_t)org_id, "product_id",
                             (json_int_t)product_id),
                   e);
    }
    return finish(db, rc, e);
}

static int text_ok(const char *s, size_t max, int required)
{
    size_t n = strnlen(s, max + 1);
    if (n > max || (required && n == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
            return 0;
    return 1;
}

int price_issuer_check(const struct billing_issuer_row *b, struct sm_err *e)
{
    if (!text_ok(b->name, sizeof b->name - 1, 1))
        return sm_err_set(e, SM_E_INVALID, "name", "required, no control characters");
    if (!text_ok(b->address, sizeof b->address - 1, 1))
        return sm_err_set(e, SM_E_INVALID, "address", "required, no control characters");
    if (!text_ok(b->phone, sizeof b->phone - 1, 0))
        return sm_err_set(e, SM_E_INVALID, "phone", "no control characters");
    if (!price_regno_ok(b->registration_no))
        return sm_err_set(e, SM_E_INVALID, "registration_no", "T and 13 digits");
    if (!text_ok(b->bank, sizeof b->bank - 1, 1))
        return sm_err_set(e, SM_E_INVALID, "bank", "required, no control characters");
    if (b->quote_valid_days < 1 || b->quote_valid_days > 365)
        return sm_err_set(e, SM_E_INVALID, "quote_valid_days", "1..365");
    if (b->payment_days < 1 || b->payment_days > 365)
        return sm_err_set(e, SM_E_INVALID, "payment_days", "1..365");
    return 0;
}

int price_issuer_set(struct db *db, const char *actor, const struct billing_issuer_row *b,
                     struct sm_err *e)
{
    int rc = price_issuer_check(b, e);
    if (rc < 0)
        return rc;
    rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct billing_issuer_row w = *b;
    w.updated_at = clock_now();
    rc = prices_update_issuer(db, &w, e);
    if (rc == 0)
        rc = audit(db, actor, "price.issuer.set", "billing_issuer",
                   json_pack("{s:s, s:s}", "name", b->name, "registration_no", b->registration_no),
                   e);
    return finish(db, rc, e);
}
