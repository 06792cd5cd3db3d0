/* SPDX-License-Identifier: MIT */
/* The products table (R-PRD-1): the catalog of certificate products with level, term,
 * name limits, price, reissue-fee rule, review target and root options. All SQL for the
 * products table lives here; callers get plain structs (fixed-size strings, nothing to
 * free but the array). The rules (checks, audit, the demo catalog) are in ra/product. */
#ifndef SM_PRODUCTS_H
#define SM_PRODUCTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* One product. Its fields are checked by ra/product (product_validate). */
struct product_row {
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
    char reissue_vetting[8]; /* "none" | "full" (R-RI-5); "" is stored as "none" */
};

/* Inserts p as it is (created_at included) inside the caller's transaction; *id (may be
 * NULL) gets the new id. A duplicate code: -SM_E_CONFLICT. */
int products_insert(struct db *db, const struct product_row *p, int64_t *id, struct sm_err *e);
/* Writes every field of the product p->id but created_at, inside the caller's transaction;
 * -SM_E_NOTFOUND when absent. */
int products_update(struct db *db, const struct product_row *p, struct sm_err *e);
/* One product by id or code; -SM_E_NOTFOUND when absent. */
int products_get(struct db *db, int64_t id, struct product_row *out, struct sm_err *e);
int products_get_by_code(struct db *db, const char *code, struct product_row *out,
                         struct sm_err *e);
/* Products ordered by id; only active ones unless all. *rows is malloc'd (free()),
 * NULL when *n == 0. */
int products_list(struct db *db, int all, struct product_row **rows, size_t *n, struct sm_err *e);

#endif
