/* SPDX-License-Identifier: MIT */
/* Reads of the dashboard (R-MNG-1): certificates expiring per month, the renewable count,
 * the orders waiting for the customer, a reseller's customers with their counts; and the
 * per-user settings of the portal (table user_prefs, migration 0050: the certificate
 * list's columns). Every read of objects takes the caller's struct org_scope. Read-only
 * but for user_prefs_set, which runs in the caller's transaction (ra/dashboard.c). */
#ifndef SM_STORE_DASHBOARD_H
#define SM_STORE_DASHBOARD_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/scope.h"

struct db;

#define DASH_MONTHS 12

/* counts[i] = issued (not revoked) certificates with bounds[i] <= not_after < bounds[i+1].
 * viewer > 0: only the certificates that group member sees (store/groups.h
 * groups_visible_sql), as the certificate list shows them; 0: all in scope. */
int dashboard_expiry_months(struct db *db, const struct org_scope *scope, int64_t viewer,
                            const int64_t bounds[DASH_MONTHS + 1], int64_t counts[DASH_MONTHS],
                            struct sm_err *e);

/* Issued (not revoked) certificates with now <= not_after < until that no live order
 * (anything but rejected / cancelled) names as its predecessor: the ones to renew. viewer
 * as above. */
int dashboard_renewable(struct db *db, const struct org_scope *scope, int64_t viewer, int64_t now,
                        int64_t until, int64_t *n, struct sm_err *e);

/* An order waiting for the customer. reason: "unpaid" (awaiting_payment), "documents"
 * (on_hold: documents were asked) or "dcv" (vetting with a domain not yet validated). */
struct dashboard_order {
    int64_t id;
    char receipt_no[32];
    char cn[256];
    char reason[12];
    int64_t updated_at;
};
/* Up to limit (1..100) waiting orders, newest change first, and the count per reason
 * (unpaid, documents, dcv). Free rows with free(). */
int dashboard_waiting(struct db *db, const struct org_scope *scope, int limit,
                      struct dashboard_order **rows, size_t *n, int64_t counts[3],
                      struct sm_err *e);

/* A customer organization of a reseller with its counts. */
struct dashboard_customer {
    int64_t id;
    char name_ja[256], name_en[256];
    int64_t valid;    /* issued, not expired */
    int64_t expiring; /* of those, not_after < until */
    int64_t waiting;  /* orders awaiting payment, in vetting or on hold */
};
/* The customers (organizations whose reseller_org_id is reseller_org_id, at most 1000),
 * by name; now == 0: names only, the counts left 0 (a cheap read for a filter's choices).
 * viewer > 0: the certificate counts cover only what that group member sees. Free rows
 * with free(). */
int dashboard_customers(struct db *db, int64_t reseller_org_id, int64_t viewer, int64_t now,
                        int64_t until, struct dashboard_customer **rows, size_t *n,
                        struct sm_err *e);

/* ---- dashboard_cache (migration 0051) ---- */
/* The cached figures of key computed at or after not_before into *body (caller frees);
 * -SM_E_NOTFOUND when there are none that fresh. */
int dashboard_cache_get(struct db *db, const char *key, int64_t not_before, char **body,
                        struct sm_err *e);
/* Stores (replaces) them. Its own statement, no transaction needed. */
int dashboard_cache_set(struct db *db, const char *key, int64_t at, const char *body,
                        struct sm_err *e);

/* ---- user_prefs ---- */
#define USER_PREF_MAX 512
/* The value of setting name of user_id into out (cut to n - 1 bytes); -SM_E_NOTFOUND when
 * unset. */
int user_prefs_get(struct db *db, int64_t user_id, const char *name, char *out, size_t n,
                   struct sm_err *e);
/* Sets (inserts or replaces) it. Caller's transaction. */
int user_prefs_set(struct db *db, int64_t user_id, const char *name, const char *value, int64_t now,
                   struct sm_err *e);

#endif
