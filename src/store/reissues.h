/* SPDX-License-Identifier: MIT */
/* The reissues table (migration 0028_reissues.sql, R-RI-1..7): one row per reissue
 * application, keyed by its order, with the certificate it replaces, the customer's reason
 * and the RFC 5280 reason code put on the original, the revocation date of the original,
 * whether a new CSR was given, the fee and the changes as JSON. Writes run inside the
 * caller's transaction (ra/reissue.c owns it). Nothing here decides a rule. */
#ifndef SM_STORE_REISSUES_H
#define SM_STORE_REISSUES_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct reissue_row {
    int64_t id, order_id, original_cert_id, subscription_id;
    char reason[24];
    int64_t reason_code, revoke_at, new_csr, fee;
    char changes[1024]; /* JSON text */
    int64_t created_by, created_at;
};

/* Inserts r (id ignored). Caller's transaction; a second row of the same order is
 * -SM_E_CONFLICT or -SM_E_DB. */
int reissues_insert(struct db *db, const struct reissue_row *r, int64_t *id, struct sm_err *e);
/* The reissue whose order is order_id; -SM_E_NOTFOUND. */
int reissues_get_by_order(struct db *db, int64_t order_id, struct reissue_row *out,
                          struct sm_err *e);
/* The reissues of subscription sub_id, oldest first. *rows NULL when *n == 0; free(). */
int reissues_list_by_sub(struct db *db, int64_t sub_id, struct reissue_row **rows, size_t *n,
                         struct sm_err *e);

#endif
