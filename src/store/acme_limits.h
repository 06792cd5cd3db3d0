/* SPDX-License-Identifier: MIT */
/* The counts behind ACME's rate limits (RFC 8555 6.7; issue 10 item 4): new orders of an
 * account since a time, certificates issued for orders naming a registered domain since a
 * time, and the registered domains of each order (table acme_order_domains). Read from
 * the database, so every server process counts the same. The rules are ra/acme_order's. */
#ifndef SM_STORE_ACME_LIMITS_H
#define SM_STORE_ACME_LIMITS_H
#include <stdint.h>

#include "core/err.h"

struct db;

/* Orders account_id created at or after since: *n, and *oldest the creation time of the
 * oldest of them (0 when none). */
int acme_limits_count_orders(struct db *db, int64_t account_id, int64_t since, int64_t *n,
                             int64_t *oldest, struct sm_err *e);
/* ACME orders with a certificate, created at or after since, that name reg_domain or a
 * name under it (by any account): *n and *oldest as above. */
int acme_limits_count_certs(struct db *db, const char *reg_domain, int64_t since, int64_t *n,
                            int64_t *oldest, struct sm_err *e);
/* Records that order acme_order_id names reg_domain; inside the transaction that creates
 * the order. A second record of the same pair is ignored. */
int acme_limits_add_domain(struct db *db, int64_t acme_order_id, const char *reg_domain,
                           int64_t created_at, struct sm_err *e);

#endif
