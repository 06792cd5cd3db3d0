/* SPDX-License-Identifier: MIT */
/* The certificate list with filters, sorting and keyset paging, and the CSV export read
 * (R-MNG-1 list, R-MNG-3). Both read issued, scheduled-for-revocation and revoked
 * certificates joined with their order and product, limited in SQL by the caller's
 * struct org_scope. Read-only; the list rows are store/certlist's struct certlist_row.
 *
 * Paging is by keyset: a page after (or before) the certificate with a given id in the
 * chosen order (sort value, id), so the last page of 100,000 certificates costs what the
 * first does. The cursor id is looked up inside the caller's scope: an id of another
 * organization gives an empty page, never a position among its certificates. */
#ifndef SM_CERTSEARCH_H
#define SM_CERTSEARCH_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/certlist.h"
#include "store/scope.h"

struct db;

enum certsearch_state { CS_STATE_ANY, CS_STATE_VALID, CS_STATE_EXPIRED, CS_STATE_REVOKED };
enum certsearch_sort { CS_SORT_EXPIRY, CS_SORT_START, CS_SORT_CN };

#define CERTSEARCH_IDS_MAX 1000 /* certificates selected by id (CSV of selected ones) */

struct certsearch_filter {
    struct org_scope scope;
    const char *q;               /* as certlist_filter's q; NULL / "" = any */
    enum certsearch_state state; /* valid / expired are decided at now */
    int64_t now;
    const char *product; /* product code; NULL / "" = any */
    const char *level;   /* "dv", "ov", "ev"; NULL / "" = any */
    int64_t org_id;      /* > 0: only this organization (still inside scope) */
    int64_t group_id;    /* > 0: only certificates filed under this group (issue 12 item 6) */
    int64_t viewer_id;   /* > 0: only what this group member sees: the certificates of their
                          * groups and the ones they ordered (ra/group.h group_viewer) */
    int64_t expiry_from; /* > 0: not_after >= expiry_from */
    int64_t expiry_to;   /* > 0: not_after < expiry_to */
    const int64_t *ids;  /* nids > 0: only these certificates (ids, at most IDS_MAX) */
    size_t nids;
    enum certsearch_sort sort;
    int desc;
    /* at most one of: the page after after_id, the page before before_id, the last page */
    int64_t after_id, before_id;
    int last;
    int limit;  /* 1..1001, 0 = 50 */
    int offset; /* >= 0 (API paging; 0 with a keyset) */
};

/* One page in display order (a page before a cursor and the last page are read backwards
 * and turned round). total (may be NULL) counts every match of the filter, cursor left
 * out. -SM_E_INVALID naming the field for a bad filter ("q", "limit", "ids"),
 * -SM_E_TOO_LARGE for a scope over ORG_SCOPE_MAX. Free with certlist_rows_free. */
int certsearch_list(struct db *db, const struct certsearch_filter *f, struct certlist_row **rows,
                    size_t *n, int64_t *total, struct sm_err *e);

/* One certificate of the export, every pointer borrowed for the duration of the callback
 * only (NULL or "" when absent). Times are UTC seconds (0 = none). */
struct certexport_row {
    int64_t id, not_before, not_after, revoked_at, order_created_at, submitted_at, paid_at;
    int64_t amount;
    const char *serial, *state, *level, *root, *cn, *names_json, *sha256;
    const char *receipt_no, *kind, *product_code, *product_ja, *product_en;
    const char *org_name_ja, *org_name_en, *dept, *resp_name, *tdb_code;
    const char *contact_org, *contact_name, *contact_email, *notify_email1, *server_software;
    const char *po_number, *invoice_no, *pay_method;
    const char *bill_org, *bill_dept, *bill_name, *bill_email, *bill_phone;
};

/* Calls fn for up to limit (1..10000) certificates of f with an id above after_id (0: from
 * the start), in id order (the order of issuance; f's sort, keyset fields and offset are
 * ignored: reading in id order walks the tables page after page). One statement, no transaction of
 * its own: the export reads chunk after chunk through this and each chunk is a consistent snapshot.
 * Returns the number of rows given to fn (0 at the end) and the id of the last in *last_id, or
 * negative (fn returning non-zero stops with -SM_E_INTERNAL). */
typedef int (*certexport_fn)(void *ctx, const struct certexport_row *row);
int certsearch_export(struct db *db, const struct certsearch_filter *f, int64_t after_id, int limit,
                      certexport_fn fn, void *ctx, int64_t *last_id, struct sm_err *e);

#endif
