/* SPDX-License-Identifier: MIT */
/* The cas aggregate: the CA certificates of the hierarchy (roots, issuing intermediates,
 * cross-certificates) with their key references. Rows are written once by init (through
 * ra/issuer, which holds the transaction and the audit records) and read by ra/issuer and
 * the CLI. All SQL for the cas table lives here. */
#ifndef SM_CAS_H
#define SM_CAS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* A CA to insert. parent_id: the id of its signing CA, 0 for roots. */
struct cas_new {
    const char *name, *role, *level, *root;
    int64_t parent_id;
    const char *key_ref, *key_type, *subject, *ski;
    const unsigned char *der;
    size_t der_len;
    int64_t not_before, not_after;
    int test; /* 1: made by `shomei init --test-ca` (names say TEST) */
};

/* A stored CA; every string is owned by the row (level may be NULL). */
struct cas_row {
    int64_t id;
    char *name, *role, *level, *root, *key_ref, *key_type, *subject, *ski;
    int64_t parent_id; /* 0 for roots */
    unsigned char *der;
    size_t der_len;
    int64_t not_before, not_after, created_at;
    int test; /* 1: a test CA (`shomei init --test-ca`) */
};

/* Inserts one CA inside the caller's transaction; *id gets its id. A duplicate name gives
 * -SM_E_CONFLICT. */
int cas_insert(struct db *db, const struct cas_new *r, int64_t *id, struct sm_err *e);
/* The CA called name; -SM_E_NOTFOUND when absent. Free with cas_row_free. */
int cas_get(struct db *db, const char *name, struct cas_row **out, struct sm_err *e);
/* Every CA ordered by id. Free with cas_rows_free(rows, n). */
int cas_list(struct db *db, struct cas_row **rows, size_t *n, struct sm_err *e);
void cas_row_free(struct cas_row *r);
void cas_rows_free(struct cas_row *rows, size_t n);

#endif
