/* SPDX-License-Identifier: MIT */
/* The orders aggregate (R-APP-1, R-PAY-1, R-VAL-1/7): orders (applications) with their
 * domains, invoices, and the counters behind receipt and invoice numbers. All SQL for
 * these tables lives here (vetting records and documents: store/vetting.h). Reads that
 * serve a user take a struct org_scope (store/scope.h) so organization isolation
 * happens in SQL.
 * Nothing here decides a state change: ra/order.c does, inside one transaction. */
#ifndef SM_ORDERS_H
#define SM_ORDERS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/order_domains.h"
#include "store/scope.h"

struct db;

/* A stored order. Strings: fixed arrays are always NUL-terminated; pointers are owned
 * by the record (NULL when the column is NULL) and freed by order_row_free. Times are
 * UTC seconds, 0 = not set. JSON columns hold text as stored. */
struct order_row {
    int64_t id;
    char receipt_no[32];
    char kind[12];  /* new | renewal | reissue */
    char state[24]; /* see ra/order.h */
    int64_t product_id, org_id, created_by;
    char *csr_pem; /* NULL in list results (orders_list leaves it out) */
    char *cn;
    char *names;                         /* JSON array of names, CN first */
    char root_option[4];                 /* a | b */
    char *applicant, *contact, *billing; /* JSON objects */
    char *notify_email[3];
    char *po_number, *remarks, *server_software;
    int64_t amount;      /* yen, tax excluded */
    char invoice_no[32]; /* "" until invoiced */
    char pay_method[16]; /* "" until paid */
    int64_t paid_at, submitted_at, decided_at;
    char *decision_note; /* NG reason / hold request */
    int64_t predecessor_cert_id, cert_id;
    int64_t created_at, updated_at;
    int64_t version;
    char *idem_key;
    /* The last refusal of issuance while approved (R-VAL-3, R-ISS-6): a code such as
     * "issue.cn_limit" or "caa.forbidden", "" when none; and when (0 = none). */
    char issue_refusal[48];
    int64_t issue_refused_at;
};

void order_row_free(struct order_row *o);            /* one record from orders_get* */
void order_rows_free(struct order_row *v, size_t n); /* an array from orders_list */

/* Next value of a named counter ("R20261129", "BILL-202611"), starting at 1. Must run
 * inside the caller's transaction: the upsert locks the counter row until commit, so
 * concurrent transactions (SQLite or PostgreSQL, any number of nodes) get distinct,
 * consecutive values and a rolled-back transaction gives its number back. */
int orders_counter_next(struct db *db, const char *name, int64_t *value, struct sm_err *e);

/* Inserts o (id, version, created_at/updated_at are set here; o->receipt_no, kind, state,
 * product_id, org_id, created_by, cn, names, notify_email[0], idem_key required) inside
 * the caller's transaction. A second order of the same user with the same idem_key gives
 * -SM_E_CONFLICT with e->field "idem_key" (the transaction is then unusable on
 * PostgreSQL: roll back). */
int orders_insert(struct db *db, const struct order_row *o, int64_t *id, struct sm_err *e);

/* One order, or -SM_E_NOTFOUND (also when outside the scope). Free with order_row_free. */
int orders_get(struct db *db, int64_t id, const struct org_scope *scope, struct order_row **out,
               struct sm_err *e);
int orders_get_by_receipt(struct db *db, const char *receipt_no, const struct org_scope *scope,
                          struct order_row **out, struct sm_err *e);
int orders_get_by_invoice(struct db *db, const char *invoice_no, struct order_row **out,
                          struct sm_err *e);
int orders_get_by_key(struct db *db, int64_t created_by, const char *idem_key,
                      struct order_row **out, struct sm_err *e);

enum orders_sort {
    ORDERS_SORT_NEWEST = 0, /* created_at descending (customer lists) */
    ORDERS_SORT_AGE,        /* oldest submission first (officer queue, R-VAL-7) */
};

struct orders_filter {
    struct org_scope scope;
    const char *const *states; /* only these states; NULL / nstates 0 = any */
    size_t nstates;            /* at most 16 */
    int64_t org_id;            /* > 0: only this organization (within scope) */
    enum orders_sort sort;
    int limit;  /* 1..1000, 0 = 50 */
    int offset; /* >= 0 */
};

/* A page of orders (csr_pem left out) and, if total != NULL, the count of all matches.
 * *rows is NULL when *n == 0; free with order_rows_free(rows, n). */
int orders_list(struct db *db, const struct orders_filter *f, struct order_row **rows, size_t *n,
                int64_t *total, struct sm_err *e);

/* Optional columns set by a state change; 0 / NULL = leave as is. */
struct orders_state_set {
    int64_t paid_at, submitted_at, decided_at, cert_id;
    const char *pay_method;
    const char *decision_note;
};

/* Moves order id from state `from` to `to` when its version is still `version`; the
 * version goes up by one. A changed version or state gives -SM_E_CONFLICT (field
 * "version"). Runs in the caller's transaction. */
int orders_set_state(struct db *db, int64_t id, int64_t version, const char *from, const char *to,
                     const struct orders_state_set *set, struct sm_err *e);

/* Records (code non-NULL, at) or clears (code NULL) the issuance refusal of order id.
 * Caller's transaction; -SM_E_NOTFOUND when there is no such order. */
int orders_set_refusal(struct db *db, int64_t id, const char *code, int64_t at, struct sm_err *e);

/* R-MNG-5: sets the notification addresses of order id (emails[0] required, [1] and [2]
 * NULL when absent). Caller's transaction; -SM_E_NOTFOUND when there is no such order. */
int orders_set_notify(struct db *db, int64_t id, const char *const emails[3], int64_t now,
                      struct sm_err *e);

/* Re-application (R-APP-1): replaces the editable application columns of order o->id
 * (csr_pem, cn, names, root_option, applicant, contact, billing, notify_email[0..2],
 * po_number, remarks, server_software, amount) when its version is still o->version;
 * version + 1. -SM_E_CONFLICT on a stale version. Caller's transaction. */
int orders_update_application(struct db *db, const struct order_row *o, struct sm_err *e);

/* Gives order id its invoice: inserts the invoices row and sets orders.invoice_no.
 * Caller's transaction. */
int orders_set_invoice(struct db *db, int64_t id, const char *invoice_no, int64_t amount,
                       struct sm_err *e);
/* Marks the invoice of an order paid (invoices.paid_at). Caller's transaction. */
int orders_invoice_paid(struct db *db, int64_t order_id, int64_t at, struct sm_err *e);

/* The order that produced certificate cert_id (certificates.order_id); -SM_E_NOTFOUND. */
int orders_of_cert(struct db *db, int64_t cert_id, int64_t *order_id, struct sm_err *e);

#endif
