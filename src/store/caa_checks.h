/* SPDX-License-Identifier: MIT */
/* The caa_checks table (migration 0008_dcv_evidence.sql): every CAA check made before
 * signing (R-VAL-3, BR 5.4.1; issue 8 item 24), permitting or blocking, with the
 * certificate it allowed. Rows are written in the caller's transaction: the permitting
 * checks of an issuance in the transaction that stores the certificate. */
#ifndef SM_STORE_CAA_CHECKS_H
#define SM_STORE_CAA_CHECKS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* One check. Strings are borrowed by caa_check_insert; owned (malloc'd) in rows read by
 * caa_checks_list (freed with caa_check_rows_free). */
struct caa_check_row {
    int64_t id, order_id, cert_id; /* order_id, cert_id 0 = none */
    char *name;
    int ok;
    char *reason;   /* NULL when permitted */
    char *relevant; /* owner of the relevant RRset, "" when none */
    char *dnssec;   /* secure | insecure | bogus | indeterminate | "" */
    char *evidence; /* JSON */
    int64_t checked_at;
};

/* Inserts r (id ignored). Caller's transaction. */
int caa_check_insert(struct db *db, const struct caa_check_row *r, struct sm_err *e);
/* The checks recorded with certificate cert_id (cert_id > 0) or, when cert_id is 0, those
 * of order order_id, oldest first. *rows NULL when *n == 0. */
int caa_checks_list(struct db *db, int64_t order_id, int64_t cert_id, struct caa_check_row **rows,
                    size_t *n, struct sm_err *e);
void caa_check_rows_free(struct caa_check_row *rows, size_t n);

#endif
