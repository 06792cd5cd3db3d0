/* SPDX-License-Identifier: MIT */
/* Quotes and invoices (R-QUO-1, R-PAY-1): the content of a 御見積書 (number, dates,
 * recipient, issuer, lines and totals from ra/price) for items chosen without ordering or
 * for a whole cart, and of the 請求書 of an invoiced order. Drawing it is doc/pdf's. A quote
 * takes its number (Q-YYYYMM-NNNNN, Tokyo month, from the orders counters) and writes its
 * audit record in one transaction, and is stored (store/quotes, migration 0065) so the
 * same quote is read back by its number: quote_get gives exactly what was quoted, the
 * issuer as it was then included. */
#ifndef SM_RA_QUOTE_H
#define SM_RA_QUOTE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "ra/order.h"
#include "ra/price.h"

#define QUOTE_ITEMS_MAX     20
#define QUOTE_RECIPIENT_MAX 200
#define QUOTE_DOMAIN_MAX    253

struct quote_item {
    const char *product; /* catalog code of an active product */
    int64_t sans;        /* names, CN included: 1..product's sans_max */
    const char *domain;  /* free text; may be NULL */
};

struct quote {
    char number[32];
    time_t at, valid_until; /* invoice: issue and payment due */
    char recipient[416];    /* an organization name (up to 400 bytes) or what was typed */
    char subject[QUOTE_DOMAIN_MAX + 1];
    struct billing_issuer_row issuer;
    struct price_bill bill;
    int paid; /* invoice: payment confirmed */
};

/* Quotes items for organization org_id (in who's scope) addressed to recipient (NULL/""
 * = the organization's name). Errors name the field: "org_id", "product", "sans",
 * "domain", "recipient", "items"; nothing is numbered or recorded then. */
int quote_make(const struct order_env *env, const struct order_actor *who, int64_t org_id,
               const struct quote_item *items, size_t n, const char *recipient, struct quote *out,
               struct sm_err *e);

/* The stored quote numbered number inside who's scope (-SM_E_NOTFOUND otherwise); *org_id
 * (may be NULL) gets its organization. */
int quote_get(const struct order_env *env, const struct order_actor *who, const char *number,
              struct quote *out, int64_t *org_id, struct sm_err *e);

/* The invoice of order id (in who's scope): -SM_E_NOTFOUND, or -SM_E_CONFLICT field
 * "invoice" while it has no invoice number (a draft). */
int quote_invoice(const struct order_env *env, const struct order_actor *who, int64_t id,
                  struct quote *out, struct sm_err *e);

/* "2026年12月2日" of t in Tokyo. */
void quote_date_ja(time_t t, char *out, size_t n);

#endif
