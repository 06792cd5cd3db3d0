/* SPDX-License-Identifier: MIT */
/* The product catalog's actions (R-PRD-1): check a product's fields, create or change a
 * product with its audit record in one transaction, and seed the demo catalog. The rows
 * are read and written through store/products; this module holds the rules. No HTTP, no
 * SQL. */
#ifndef SM_RA_PRODUCT_H
#define SM_RA_PRODUCT_H
#include <stdint.h>

#include "core/err.h"
#include "store/products.h"

struct db;

/* Checks a product's fields (code syntax, names, level, term, name limits, prices,
 * reissue rule, review target, root options). 0, or -SM_E_INVALID with e->field naming the
 * first bad field ("code", "name_ja", "name_en", "level", "term_months", "sans_max",
 * "list_price", "reissue_fee", "review_days_max", "root_options"). */
int product_validate(const struct product_row *p, struct sm_err *e);

/* Creates p (checked first) with the audit record "product.create" by actor, in a
 * transaction of its own (the caller must not hold one). *id (may be NULL) gets the new id.
 * A duplicate code is -SM_E_CONFLICT (field "code"); nothing is stored on any error. */
int product_create(struct db *db, const struct product_row *p, const char *actor, int64_t *id,
                   struct sm_err *e);

/* Changes every field of the product p->id (code included; created_at stays) with the audit
 * record "product.update", in a transaction of its own. -SM_E_NOTFOUND when absent,
 * -SM_E_CONFLICT for a code another product has; nothing changes on any error. */
int product_update(struct db *db, const struct product_row *p, const char *actor, struct sm_err *e);

/* 1 if root ("a", "b") is one of p's root options. */
int product_has_root(const struct product_row *p, const char *root);

/* The demo catalog for `init --demo` (R-PRD-1): dv-1y, ov-1y, ov-multi-1y (5 names
 * included, up to 100), ev-1y, ov-wildcard-1y, each created by product_create. Products
 * whose code exists are skipped, so running it twice is harmless. *created (may be NULL)
 * counts the new rows. */
int product_seed_demo(struct db *db, const char *actor, int *created, struct sm_err *e);

#endif
