/* SPDX-License-Identifier: MIT */
/* The mpic_attempts table (migration 0048): every multi-perspective corroboration attempt
 * (R-VAL-8, BR 3.2.2.9) of a domain validation or CAA check of an order: kind (dns-txt,
 * http-file, caa), "n/m", passed, the reason when not, the BR version and each
 * perspective's answer (JSON array). Rows are written in the caller's transaction. */
#ifndef SM_STORE_MPIC_ATTEMPTS_H
#define SM_STORE_MPIC_ATTEMPTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* Strings are borrowed by mpic_attempt_insert; owned in rows read by mpic_attempts_list
 * (freed with mpic_attempt_rows_free). */
struct mpic_attempt_row {
    int64_t id, order_id; /* order_id 0 = none (a check from the command line) */
    char *name;
    char *kind;
    char *method;
    char *result; /* "5/6" */
    int passed;
    char *reason; /* NULL when passed */
    char *br_version;
    char *perspectives; /* JSON array */
    int64_t created_at;
};

/* Inserts r (id ignored). Caller's transaction. */
int mpic_attempt_insert(struct db *db, const struct mpic_attempt_row *r, struct sm_err *e);
/* The attempts of order order_id, newest first, at most limit. */
int mpic_attempts_list(struct db *db, int64_t order_id, size_t limit,
                       struct mpic_attempt_row **rows, size_t *n, struct sm_err *e);
void mpic_attempt_rows_free(struct mpic_attempt_row *rows, size_t n);

#endif
