/* SPDX-License-Identifier: MIT */
/* Price agreements and the billing issuer (R-PRD-2, R-PAY-1): the tables price_agreements
 * (an organization's own price of a product, 仕切り) and billing_issuer (one row: who issues
 * quotes and invoices, the registration number, the bank account). All SQL for them lives
 * here; the rules (which price applies, validation, audit) are in ra/price. Writes run in
 * the caller's transaction. */
#ifndef SM_PRICES_H
#define SM_PRICES_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct price_agreement_row {
    int64_t id, org_id, product_id;
    int64_t price, extra_san_price;
    int64_t reissue_fee; /* -1 = the product's rule */
    char updated_by[48];
    int64_t updated_at;
};

/* Inserts or replaces the agreement of (a->org_id, a->product_id). */
int prices_upsert_agreement(struct db *db, const struct price_agreement_row *a, struct sm_err *e);
/* Deletes the agreement of (org_id, product_id); -SM_E_NOTFOUND when there is none. */
int prices_delete_agreement(struct db *db, int64_t org_id, int64_t product_id, struct sm_err *e);
/* The agreement of (org_id, product_id); -SM_E_NOTFOUND when there is none. */
int prices_get_agreement(struct db *db, int64_t org_id, int64_t product_id,
                         struct price_agreement_row *out, struct sm_err *e);
/* Every agreement, by organization then product. *rows malloc'd (free()), NULL when none. */
int prices_list_agreements(struct db *db, struct price_agreement_row **rows, size_t *n,
                           struct sm_err *e);

struct billing_issuer_row {
    char name[256];
    char address[512];
    char phone[64];
    char registration_no[16]; /* T + 13 digits */
    char bank[512];
    int64_t quote_valid_days, payment_days;
    int64_t updated_at;
};

int prices_get_issuer(struct db *db, struct billing_issuer_row *out, struct sm_err *e);
int prices_update_issuer(struct db *db, const struct billing_issuer_row *b, struct sm_err *e);

#endif
