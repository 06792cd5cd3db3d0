/* SPDX-License-Identifier: MIT */
/* The certificate list and detail reads of the portal (R-MNG-1 list, R-MNG-2): issued and
 * revoked certificates joined with their order (receipt number, kind, applicant data) and
 * product, filtered in SQL by the caller's struct org_scope, searched by CN, serial or
 * receipt number, sorted by expiry, one page at a time. Read-only (the re-download mail is
 * ra/download's). */
#ifndef SM_CERTLIST_H
#define SM_CERTLIST_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/certs.h"
#include "store/orders.h"
#include "store/scope.h"

struct db;

#define CERTLIST_Q_MAX 128 /* bytes of a search text */

struct certlist_filter {
    struct org_scope scope;
    /* "" or NULL = every certificate; else a CN containing q (case-insensitive), a
     * serial starting with q (hex, ':' and case ignored) or the receipt number q. */
    const char *q;
    int limit;  /* 1..1000, 0 = 50 */
    int offset; /* >= 0 */
};

/* One certificate of the list. Strings are NUL-terminated arrays or owned pointers
 * ("" / NULL when the certificate has no order, e.g. operator issuance). */
struct certlist_row {
    int64_t id, order_id, org_id;
    char serial[CERTS_SERIAL_HEX_MAX];
    char state[24]; /* issued | revoked ... (expiry is the caller's to compare) */
    char level[4], root[2];
    char *cn;
    int64_t not_before, not_after, revoked_at;
    char receipt_no[32];
    char kind[12];
    char product_code[32];
    char product_ja[128], product_en[128];
    char *org_name_ja, *org_name_en; /* applicant organization (or procedure contact's) */
    char *dept;                      /* responsible person's department (or contact's) */
};

/* A page of the list sorted by expiry (not_after, then id) and, when total != NULL, the
 * number of all matches. *rows is NULL when *n == 0; free with certlist_rows_free.
 * -SM_E_INVALID (field "q" / "limit") for a search text over CERTLIST_Q_MAX or a bad
 * page; -SM_E_TOO_LARGE for a scope over ORG_SCOPE_MAX. */
int certlist_list(struct db *db, const struct certlist_filter *f, struct certlist_row **rows,
                  size_t *n, int64_t *total, struct sm_err *e);
void certlist_rows_free(struct certlist_row *rows, size_t n);

/* Everything the detail page shows; row as in the list, the rest owned (NULL when absent). */
struct certlist_detail_row {
    struct certlist_row row;
    char *names_json; /* JSON array of the SANs */
    char *sha256;     /* hex fingerprint of the DER */
    unsigned char *der;
    size_t der_len;
    char *server_software, *tdb_code;
};

/* The issued or revoked certificate with serial (normalized: lower-case hex, no leading
 * zeros) inside scope. Another organization's certificate, one without organization
 * (unless scope->all), or a reserved/abandoned serial is -SM_E_NOTFOUND, like an unknown
 * one. Free with certlist_detail_row_free. */
int certlist_get(struct db *db, const struct org_scope *scope, const char *serial,
                 struct certlist_detail_row **out, struct sm_err *e);
void certlist_detail_row_free(struct certlist_detail_row *d);

/* LIKE patterns of a search q (cn, serial: initialized, empty buffers): "%q%" over the
 * lower-cased CN with % _ \ escaped, and "s%" over the serial in its stored form. Also
 * used by store/certsearch. Returns 0 or -SM_E_NOMEM. */
struct buf;
int certlist_patterns(const char *q, struct buf *cn, struct buf *serial);

#endif
