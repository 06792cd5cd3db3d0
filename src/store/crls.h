/* SPDX-License-Identifier: MIT */
/* The crls table (migration 0021_crls.sql): the last full CRL signed per issuing key
 * (dv, ov, ev) and CRL shard (migration 0032: issuer is the CRL's file name, "dv" for
 * shard 0, "dv-3" for shard 3) with its CRL number, dates and the number of revoked
 * certificates it was built from (R-REV-2). All SQL of the table is here. */
#ifndef SM_STORE_CRLS_H
#define SM_STORE_CRLS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct crls_row {
    char issuer[8];
    int64_t crl_number, this_update, next_update, revoked_count, updated_at;
    unsigned char *der; /* owned */
    size_t der_len;
};
void crls_row_clear(struct crls_row *r);

/* The CRL of issuer into *out (clear with crls_row_clear); 0 found, 1 none yet, <0 error.
 * with_der = 0 leaves der NULL. */
int crls_get(struct db *db, const char *issuer, int with_der, struct crls_row *out,
             struct sm_err *e);

/* Stores r as the CRL of r->issuer if the stored one still has number prev_number (0 =
 * none stored yet) and r->crl_number is greater: the CRL number only grows. -SM_E_CONFLICT
 * when another process stored one meanwhile (nothing changed). */
int crls_set(struct db *db, const struct crls_row *r, int64_t prev_number, struct sm_err *e);

/* The highest shard k of level with a CRL "level-k" stored (0 when none). */
int crls_max_shard(struct db *db, const char *level, int *out, struct sm_err *e);

#endif
