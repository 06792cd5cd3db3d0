/* SPDX-License-Identifier: MIT */
/* The dashboard of the portal (R-MNG-1) per role, and the per-user column choice of the
 * certificate list. dashboard_load gathers everything the page shows for a user inside
 * its scope: certificates expiring per Tokyo month for the next twelve months, the
 * renewable count (certificates inside the renewal window, SUB_RENEWAL_WINDOW_DAYS before
 * expiry, not yet renewed), the orders waiting for the customer; for a reseller its
 * customers with their counts; for officers and admins the review queue's counts. The
 * certificate figures of a group member (ra/group.h group_viewer) cover the certificates
 * they see in the list, not the whole organization. The scanning figures are cached per
 * scope (per group member) for DASH_CACHE_SECONDS. */
#ifndef SM_RA_DASHBOARD_H
#define SM_RA_DASHBOARD_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/dashboard.h"
#include "store/scope.h"
#include "store/users.h"

struct db;

struct dashboard {
    int64_t bounds[DASH_MONTHS + 1]; /* [0] = now, then the first second of each Tokyo month */
    int year[DASH_MONTHS], month[DASH_MONTHS];
    int64_t months[DASH_MONTHS];
    int64_t renewable;
    int64_t renew_until;
    struct dashboard_order *waiting; /* newest first, at most DASH_WAITING_SHOWN */
    size_t nwaiting;
    int64_t waiting_counts[3]; /* unpaid, documents, dcv */
    int reseller;              /* customers below are filled */
    struct dashboard_customer *customers;
    size_t ncustomers;
    int cached;         /* months, renewable and customers came from the cache */
    int64_t figures_at; /* when they were computed (at most DASH_CACHE_SECONDS ago) */
    int staff;          /* officer / admin: the queue counts below are filled */
    int64_t queue_total, queue_overdue, queue_refused, queue_action;
};
#define DASH_WAITING_SHOWN 10
/* The expiry months, the renewable count and a reseller's customers scan every certificate
 * in scope; they are kept per scope for this long (store dashboard_cache), so the numbers
 * may be up to a minute old. The waiting orders and the queue are read on every view. */
#define DASH_CACHE_SECONDS 60

/* Fills d for user u with scope at now. 0 or negative (e set); free with dashboard_clear. */
int dashboard_load(struct db *db, const struct user_row *u, const struct org_scope *scope,
                   int64_t now, struct dashboard *d, struct sm_err *e);
void dashboard_clear(struct dashboard *d);

/* ---- columns of the certificate list ---- */
enum certcol {
    CERTCOL_DL,
    CERTCOL_RECEIPT,
    CERTCOL_STATUS,
    CERTCOL_CN,
    CERTCOL_EXPIRY,
    CERTCOL_PRODUCT,
    CERTCOL_ORG,
    CERTCOL_DEPT,
    CERTCOL_START,
    CERTCOL_LEVEL,
    CERTCOL_SERIAL,
    CERTCOL__COUNT
};
/* "dl", "receipt", ... */
const char *certcol_name(enum certcol c);
/* The bit set (1 << enum certcol) of the default columns (the first nine). */
unsigned certcol_default(void);
/* The user's chosen columns (the default when never chosen or unreadable). */
unsigned dashboard_columns(struct db *db, int64_t user_id);
/* Saves the columns named in names[0..n) for user_id. An unknown name is -SM_E_INVALID
 * (field "columns"), no column at all too; nothing is saved then. */
int dashboard_set_columns(struct db *db, int64_t user_id, const char *const *names, size_t n,
                          int64_t now, struct sm_err *e);

#endif
