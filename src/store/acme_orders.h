/* SPDX-License-Identifier: MIT */
/* The acme_orders and acme_authzs tables (migration 0042): ACME orders of accounts and
 * their authorizations, one per identifier. The writes run inside the caller's
 * transaction where one is open (ra/acme_order.c). */
#ifndef SM_ACME_ORDERS_H
#define SM_ACME_ORDERS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct acme_order_row {
    int64_t id, account_id, org_id, expires_at, created_at;
    int64_t order_id, cert_id; /* 0 = none yet */
    char status[16];
    char profile[16];
    char *names;    /* JSON array (owned) */
    char *replaces; /* owned, NULL = none */
    char *error;    /* problem JSON (owned), NULL = none */
};
void acme_order_row_free(struct acme_order_row *o);

/* Inserts o (id, order_id, cert_id and error ignored) and sets *id. */
int acme_order_insert(struct db *db, const struct acme_order_row *o, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int acme_order_get(struct db *db, int64_t id, struct acme_order_row *out, struct sm_err *e);
/* Moves order id from status `from` to `to` (error: problem JSON or NULL); -SM_E_CONFLICT
 * (field "status") when it was no longer `from`. */
int acme_order_set_status(struct db *db, int64_t id, const char *from, const char *to,
                          const char *error, struct sm_err *e);
/* Records the portal order made at finalize. */
int acme_order_set_portal(struct db *db, int64_t id, int64_t order_id, struct sm_err *e);
/* Records the certificate and sets status valid. */
int acme_order_set_cert(struct db *db, int64_t id, int64_t cert_id, struct sm_err *e);
/* The ACME order that became portal order order_id; -SM_E_NOTFOUND when it is none. */
int acme_order_by_portal(struct db *db, int64_t order_id, struct acme_order_row *out,
                         struct sm_err *e);

struct acme_authz_row {
    int64_t id, acme_order_id, account_id, expires_at, validated_at;
    int wildcard;
    char name[256];
    char status[16];
    char token[64];
    char method[16];     /* "" = no challenge tried yet */
    char br_version[16]; /* "" until validated */
    char *evidence;      /* owned, NULL = none */
    char *error;         /* owned, NULL = none */
};
void acme_authz_rows_free(struct acme_authz_row *v, size_t n);

int acme_authz_insert(struct db *db, const struct acme_authz_row *a, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent; free with acme_authz_rows_free(out, 1). */
int acme_authz_get(struct db *db, int64_t id, struct acme_authz_row *out, struct sm_err *e);
/* The authorizations of ACME order acme_order_id ordered by id. */
int acme_authz_list(struct db *db, int64_t acme_order_id, struct acme_authz_row **rows, size_t *n,
                    struct sm_err *e);
/* Writes status, method, validated_at (0 = NULL), br_version, evidence and error (NULL =
 * NULL) of authorization a->id when its status is still `from`; -SM_E_CONFLICT (field
 * "status") otherwise. */
int acme_authz_update(struct db *db, const struct acme_authz_row *a, const char *from,
                      struct sm_err *e);
/* The newest valid authorization of name (without "*.", wildcard 0 or 1) with a validation
 * date, of any account of organization id (by_org 1) or of account id (by_org 0);
 * -SM_E_NOTFOUND when none. Free with acme_authz_rows_free(out, 1). Whether it may still be
 * reused is ra/'s rule (R-VAL-2, RFC 8555 7.1.4). */
int acme_authz_last_valid(struct db *db, int by_org, int64_t id, const char *name, int wildcard,
                          struct acme_authz_row *out, struct sm_err *e);

#endif
