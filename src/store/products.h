/* SPDX-License-Identifier: MIT */
/* The products aggregate (R-PRD-1): the catalog of certificate products with level, term,
 * name limits, price, reissue-fee rule, review target and root options. All SQL for the
 * products table lives here; callers get plain structs (fixed-size strings, nothing to
 * free but the array). */
#ifndef SM_PRODUCTS_H
#define SM_PRODUCTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* One product. Text limits are checked by products_create (longer input: -SM_E_INVALID). */
struct product {
    int64_t id;    /* 0 when not stored yet */
    char code[32]; /* unique, [a-z0-9-] */
    char name_ja[128];
    char name_en[128];
    char level[4];           /* "dv" | "ov" | "ev" */
    int term_months;         /* subscription term, 1..120 */
    int multi_domain;        /* 1: extra SANs may be listed */
    int sans_included;       /* names in the list price */
    int sans_max;            /* most names (CN included; the automatic www apex is free) */
    int wildcard;            /* 1: "*.x" names allowed */
    int allow_ip;            /* 1: public IP address names allowed */
    int64_t list_price;      /* yen, tax excluded */
    int64_t extra_san_price; /* yen per name past sans_included */
    char reissue_fee[32];    /* "free" or "after:DAYS:YEN" (R-RI-6) */
    int review_days_min;     /* business days (R-VAL-7); DV 0 = minutes */
    int review_days_max;
    char root_options[16]; /* "a,b", "a" ... */
    int active;
    int64_t created_at;
};

/* Checks a product's fields (code syntax, level, limits, reissue rule, root options).
 * 0 or -SM_E_INVALID with e->field naming the field. */
int products_validate(const struct product *p, struct sm_err *e);
/* Inserts p (validated first) with an audit record "product.create" by actor, in a
 * transaction of its own unless the caller holds one. *id may be NULL. Duplicate code:
 * -SM_E_CONFLICT. */
int products_create(struct db *db, const struct product *p, const char *actor, int64_t *id,
                    struct sm_err *e);
/* Updates every field of the product p->id (code included) with an audit record
 * "product.update"; -SM_E_NOTFOUND when absent. */
int products_update(struct db *db, const struct product *p, const char *actor, struct sm_err *e);
/* One product by id or code; -SM_E_NOTFOUND when absent. */
int products_get(struct db *db, int64_t id, struct product *out, struct sm_err *e);
int products_get_by_code(struct db *db, const char *code, struct product *out, struct sm_err *e);
/* Products ordered by id; only active ones unless all. *rows is malloc'd (free()),
 * NULL when *n == 0. */
int products_list(struct db *db, int all, struct product **rows, size_t *n, struct sm_err *e);

/* 1 if root ("a", "b") is one of p's root options. */
int products_has_root(const struct product *p, const char *root);

/* The demo catalog for `init --demo` (R-PRD-1): dv-1y, ov-1y, ov-multi-1y (5 names
 * included, up to 100), ev-1y, ov-wildcard-1y. Products whose code exists are skipped, so
 * running it twice is harmless. Returns 0 or negative; *created (may be NULL) counts the
 * new rows. */
int products_seed_demo(struct db *db, const char *actor, int *created, struct sm_err *e);

#endif
