/* SPDX-License-Identifier: MIT */
/* Prices (R-PRD-2, R-PRD-3, R-PAY-1): which price applies, the arithmetic of a bill and
 * its consumption tax, the qualified-invoice registration number, and the admin actions
 * on price agreements and the billing issuer.
 *
 * Which price: a product row is one product and term (dv-1y, dv-2y ...) with its list
 * price, extra-name price and reissue-fee rule (ra/product). An organization's own
 * agreement (仕切り) for the product replaces them; without one, its reseller's agreement;
 * without either, the list price. New and renewal cost the same (R-PRD-3): the kind of an
 * application is not an input of any price.
 *
 * Tax (the ONE rounding rule, price_tax): consumption tax is computed once per document
 * and per rate, on the sum of that rate's lines (tax excluded), and rounded down to the
 * yen (切り捨て), as the qualified-invoice rules allow: never per line. Every line today is
 * at the standard rate of 10 %. */
#ifndef SM_RA_PRICE_H
#define SM_RA_PRICE_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/prices.h"
#include "store/products.h"

struct db;

#define PRICE_TAX_RATE_PCT 10        /* standard consumption tax rate */
#define PRICE_YEN_MAX      999999999 /* a unit price above this is refused as absurd */
#define PRICE_LINES_MAX    40
#define PRICE_RATES_MAX    2

enum price_source { PRICE_LIST = 0, PRICE_CUSTOMER, PRICE_RESELLER };

/* The prices that apply to one organization for one product. */
struct price_terms {
    int64_t price;           /* yen, tax excluded: the names included */
    int64_t extra_san_price; /* yen per name past the product's sans_included */
    int64_t reissue_fee;     /* yen, or -1 = the product's rule */
    enum price_source source;
};

/* The terms of org_id for product p: its agreement, its reseller's, or the list price. */
int price_terms_for(struct db *db, int64_t org_id, const struct product_row *p,
                    struct price_terms *out, struct sm_err *e);
/* Names past those included in the price (never negative). */
int64_t price_extra_names(const struct product_row *p, int64_t names);
/* The amount (yen, tax excluded) of an application of org_id for p with extra names past
 * the included ones: THE price of an order, new or renewal alike. */
int price_order_amount(struct db *db, int64_t org_id, const struct product_row *p, int64_t extra,
                       int64_t *amount, struct sm_err *e);

/* R-RI-6 with R-PRD-2: the fee of a reissue that the product's rule charges rule_yen for
 * (> 0): the agreement's reissue fee when it has one, else rule_yen. The rule still decides
 * whether a reissue is charged at all ("free", or within its days). */
int64_t price_reissue_fee(const struct price_terms *t, int64_t rule_yen);

/* ---- a bill: lines, subtotal, tax per rate, total ---- */
struct price_line {
    char desc[320];
    int64_t qty, unit, amount; /* yen, tax excluded; amount = qty * unit */
    int rate_pct;
};
struct price_rate {
    int rate_pct;
    int64_t base, tax;
};
struct price_bill {
    struct price_line lines[PRICE_LINES_MAX];
    size_t nlines;
    struct price_rate rates[PRICE_RATES_MAX];
    size_t nrates;
    int64_t subtotal, tax, total;
};

/* THE rounding: the tax of base yen at rate_pct percent, rounded down (base >= 0). */
int64_t price_tax(int64_t base, int rate_pct);
/* Appends a line (qty 1..100000, unit 0..PRICE_YEN_MAX) and recomputes the totals.
 * -SM_E_INVALID field "lines" when full, "qty" or "price" when out of range. */
int price_bill_add(struct price_bill *b, const char *desc, int64_t qty, int64_t unit, int rate_pct,
                   struct sm_err *e);
/* Recomputes subtotal, the rates (lines summed per rate, tax once per rate) and total. */
void price_bill_sum(struct price_bill *b);
/* The lines of one certificate of product p with `names` names (CN included) under terms
 * t: the product (its Japanese name, with domain when not empty) and, past the included
 * names, one line of the extra names. -SM_E_INVALID field "sans" when names is outside
 * 1..p->sans_max. */
int price_bill_product(struct price_bill *b, const struct product_row *p,
                       const struct price_terms *t, int64_t names, const char *domain,
                       struct sm_err *e);

/* 1 when s is a qualified-invoice registration number: "T" and 13 digits whose first is
 * the check digit of the corporate number (9 - Σ digit × (1 or 2) mod 9). */
int price_regno_ok(const char *s);

/* ---- admin actions (ROLE_ADMIN), each in its own transaction with its audit record ---- */
/* Sets the agreement of (a->org_id, a->product_id): price and extra_san_price
 * 0..PRICE_YEN_MAX, reissue_fee -1..PRICE_YEN_MAX; the organization must exist and be a
 * customer or reseller, the product must exist. Errors name the field ("org_id",
 * "product_id", "price", "extra_san_price", "reissue_fee"); nothing changed. */
int price_agreement_set(struct db *db, const char *actor, const struct price_agreement_row *a,
                        struct sm_err *e);
/* Removes it; -SM_E_NOTFOUND when there is none. */
int price_agreement_remove(struct db *db, const char *actor, int64_t org_id, int64_t product_id,
                           struct sm_err *e);
/* Checks the issuer (name, address required; registration_no price_regno_ok; days 1..365)
 * with the field named. */
int price_issuer_check(const struct billing_issuer_row *b, struct sm_err *e);
int price_issuer_set(struct db *db, const char *actor, const struct billing_issuer_row *b,
                     struct sm_err *e);

#endif
