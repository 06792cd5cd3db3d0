/* SPDX-License-Identifier: MIT */
/* OV and EV certificates over ACME (issue 10 item 4, R-ACME-1, R-VAL-4). An account bound
 * (EAB) to an organization asks for them with the newOrder profiles "ov" and "ev" (listed in
 * the directory's meta.profiles beside classic and shortlived). The organization's vetted
 * record is the portal order of its newest "ok" registry check: approved or issued, of an OV
 * or EV product (EV for "ev"), with no required check missing by review_checks_missing
 * (ra/review.h) at now, the rule the officer's approval and the signing use (identity reuse
 * period, 398 days; the registration's vetting reset). The certificate's subject is that
 * order's vetted application, never the CSR's: the portal order made at finalize carries a
 * copy of the record's application and of its checks (their dates kept, so the same rule
 * right before signing sees their age). No HTTP, no SQL here. */
#ifndef SM_RA_ACME_VETTED_H
#define SM_RA_ACME_VETTED_H
#include <stdint.h>

#include "core/err.h"
#include "store/orders.h"
#include "store/products.h"

struct db;

/* 1 if profile names an OV or EV certificate ("ov", "ev"), 0 otherwise. */
int acme_profile_vetted(const char *profile);
/* The catalog code of the ACME product of profile: acme-dv, acme-ov or acme-ev. */
const char *acme_product_code(const char *profile);

/* The vetted record of org_id for profile ("ov" or "ev") at now; *src (free with
 * order_row_free) gets the order. -SM_E_ACME_UNAUTHORIZED (field "profile", the detail
 * saying why: no vetting, EV needed, a check missing or older than the reuse period) when
 * the organization may not have such a certificate. */
int acme_vetted_record(struct db *db, int64_t org_id, const char *profile, int64_t now,
                       struct order_row **src, struct sm_err *e);

/* Copies the organization checks of order src_id to order dst_id (their officer, source,
 * result and date kept). Caller's transaction. */
int acme_vetted_copy_checks_tx(struct db *db, int64_t src_id, int64_t dst_id, struct sm_err *e);

/* The ACME product of profile (made at its first use, with its audit record): not in the
 * wizard's catalog (inactive), up to 100 names, wildcards, billed per order. */
int acme_product_get(struct db *db, const char *profile, struct product_row *p, struct sm_err *e);

#endif
