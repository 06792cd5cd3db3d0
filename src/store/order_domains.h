/* SPDX-License-Identifier: MIT */
/* The order_domains table (R-VAL-1, R-VAL-2): the names of an order with their
 * domain-validation method, random value, outcome and the origin of the evidence.
 * orders.h includes this header for the callers of both. Writers run in the caller's
 * transaction; the validation itself lives in the net and ra layers. */
#ifndef SM_ORDER_DOMAINS_H
#define SM_ORDER_DOMAINS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* One domain of an order (R-VAL-1). Strings owned; free an array with order_domain_rows_free(v, n).
 */
struct order_domain_row {
    int64_t id, order_id;
    char *name;
    char *dcv_method;   /* dns | http | email:LOCAL@ADN (email:LOCAL in rows of older
                           versions: LOCAL@registrable domain); "reuse" in rows of older
                           versions only: a reuse now keeps the original method */
    char *random_value; /* NULL until a value is issued */
    int64_t value_expires_at;
    char state[12]; /* pending | validated | failed */
    int64_t validated_at;
    char *br_version;
    char *evidence;      /* JSON */
    char *adn;           /* the Authorization Domain Name whose control was shown (the exact
                            FQDN for the web-page method); NULL when not validated or in
                            rows of older versions */
    char *br_section;    /* BR section of the method ("3.2.2.4.7"); NULL as adn */
    int64_t reused_from; /* order_domains.id of the original validation this row relies
                            on (R-VAL-2 reuse), 0 = the row's own validation */
};
void order_domain_rows_free(struct order_domain_row *v, size_t n);

/* Replaces the domain rows of an order with names[0..n) (each pending with method
 * methods[i], or "dns" when methods is NULL or methods[i] is NULL); rows for names that
 * stay keep their state and values. Caller's transaction. */
int order_domains_replace(struct db *db, int64_t order_id, const char *const *names,
                          const char *const *methods, size_t n, struct sm_err *e);
/* The domains of an order ordered by id. *rows NULL when *n == 0. */
int order_domains_list(struct db *db, int64_t order_id, struct order_domain_row **rows, size_t *n,
                       struct sm_err *e);
/* Sets method, random value and its expiry of one domain (state back to pending). */
int order_domains_set_method(struct db *db, int64_t order_id, const char *name, const char *method,
                             const char *random_value, int64_t expires_at, struct sm_err *e);
/* Records the outcome of a validation: state validated|failed, time, BR version and
 * evidence JSON (may be NULL). */
int order_domains_set_result(struct db *db, int64_t order_id, const char *name, const char *state,
                             int64_t at, const char *br_version, const char *evidence,
                             struct sm_err *e);

/* Records where the evidence of a validated domain comes from: adn, BR section and, for a
 * reuse, the original row's id (0 = none). Caller's transaction. */
int order_domains_set_origin(struct db *db, int64_t order_id, const char *name, const char *adn,
                             const char *br_section, int64_t reused_from, struct sm_err *e);

/* Validated domains of orders of org_id validated at or after since, newest first
 * (reuse, R-VAL-2). */
int order_domains_org_validated(struct db *db, int64_t org_id, int64_t since,
                                struct order_domain_row **rows, size_t *n, struct sm_err *e);
/* The domain whose random value is value (the e-mail link); -SM_E_NOTFOUND. *row is one
 * element to free with order_domain_rows_free(*row, 1). */
int order_domains_by_value(struct db *db, const char *value, struct order_domain_row **row,
                           struct sm_err *e);
/* Up to limit pending domains of orders in vetting, on_hold or approved (the DCV job). */
int order_domains_pending(struct db *db, int limit, struct order_domain_row **rows, size_t *n,
                          struct sm_err *e);
#endif
