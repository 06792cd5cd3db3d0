/* SPDX-License-Identifier: MIT */
/* Subscriptions past the validity cap, continued issuance and renewal (R-REN-1..6,
 * R-APP-1 renewal, R-NOT-1 for their notices, R-SCL-1 for the reminders).
 *
 * A paid order of a product whose term outlasts one certificate (1 or 2 years against the
 * dated cap of core/policy: 200 days now, 100 from 2027-03-15, 47 from 2029-03-15) opens a
 * subscription when its certificate is issued. Inside it the next certificate comes free
 * (継続発行, subscription_continue): a new order copied from the last one, same vetted
 * content, the same or a new CSR with the same CN, each domain's validation reused while
 * its dated reuse period lasts and redone otherwise, no payment, issued through
 * ra/fulfil like every order, never past the subscription end. A renewal
 * (subscription_renew) is a paid order of kind renewal, prefilled from the last one, that
 * opens the next subscription carrying the days left over (within the policy maximum).
 * The sweep (subscription_sweep, job "subscription.sweep") sends the renewal reminders at
 * 90/60/45/30/15 days before the end, the reminder before each certificate ends inside
 * the subscription, and cancels subscriptions that reach their end without a renewal
 * (自動解約), each notice recorded once per (subscription, kind, key) in the transaction
 * that queues its mails, so a restart or a second server never sends one twice. */
#ifndef SM_RA_SUBSCRIPTION_H
#define SM_RA_SUBSCRIPTION_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "ra/order.h"
#include "store/products.h"
#include "store/subscriptions.h"

struct config;

#define SUB_RENEWAL_WINDOW_DAYS  60 /* R-REN-2: renewal opens 60 days before the end */
#define SUB_CONTINUE_WINDOW_DAYS 30 /* 継続発行 opens 30 days before a certificate ends */
#define SUB_NREMINDERS           5
extern const int sub_reminder_days[SUB_NREMINDERS]; /* 90, 60, 45, 30, 15 (R-REN-1) */

/* ---- rules (pure) ---- */

/* The last second of a term of months starting at start. */
time_t sub_term_end(time_t start, int term_months);
/* The notAfter a certificate with notBefore nb, issued at `at`, may get inside a
 * subscription ending at sub_end (0 = none): the dated cap at `at`, never past sub_end. */
time_t sub_cert_not_after(time_t nb, time_t at, time_t sub_end);
/* 1 when the renewal window of a subscription ending at ends_at is open at now. */
int sub_renewal_open(time_t ends_at, time_t now);
/* First second of the renewal window. */
time_t sub_renewal_from(time_t ends_at);
/* Whole days left of a subscription ending at old_end carried into a renewal at now: the
 * days left, at most the maximum validity in force at now (R-REN-2); 0 when ended. */
int sub_carry_days(time_t old_end, time_t now);
/* The reminder thresholds (days before ends_at) whose time has come at now, while the
 * subscription has not ended: due[] gets their indexes into sub_reminder_days (largest
 * days first), the count is returned. */
size_t sub_reminders_due(time_t ends_at, time_t now, size_t due[SUB_NREMINDERS]);

/* ---- issuance (called by ra/fulfil) ---- */

/* What the issuance of order o does to subscriptions. */
struct sub_plan {
    int kind;       /* 0 opens one (new), 1 continues one, 2 renews one */
    int64_t sub_id; /* the continued subscription, or the renewed one (0 = none) */
    int64_t starts_at, ends_at, carried_days;
};
/* The plan for issuing order o of product p at now: ends_at is the subscription end the
 * certificate may not pass. A continued order of a subscription that ended or was
 * cancelled is -SM_E_POLICY (field "subscription"). */
int subscription_plan(struct db *db, const struct order_row *o, const struct product_row *p,
                      time_t now, struct sub_plan *plan, struct sm_err *e);
/* Records the issued certificate cert_id of order o per plan, inside the transaction that
 * stores it: opens the subscription (and marks a renewed one renewed) or links the
 * certificate to the continued one. */
int subscription_record_tx(struct db *db, const struct order_row *o, const struct sub_plan *plan,
                           int64_t cert_id, time_t now, struct sm_err *e);

/* R-REN-5: 1 when certificate cert_id belongs to a subscription with a renewal in
 * progress (not to be reissued or revoked until it ends), 0 when not, negative on error. */
int subscription_cert_locked(struct db *db, int64_t cert_id, struct sm_err *e);

/* ---- actions ---- */

/* 継続発行: the next certificate of the subscription of certificate serial (in who's
 * scope), with csr_pem (NULL or "" = the CSR of the last order; a new one must have the
 * same CN). Refusals: not in a subscription (-SM_E_NOTFOUND field "subscription"), not
 * the latest certificate, the subscription over or cancelled, nothing left after this
 * certificate, or before the window (-SM_E_POLICY, fields "continue.*"), another CN
 * (-SM_E_INVALID field "csr"). A continuation already under way is returned as is.
 * *order_id gets the order; when every domain's validation could be reused it is
 * approved and issued at once (DV; OV/EV when the organization checks are current), else
 * it waits for the domain validation like any order. */
int subscription_continue(const struct order_env *env, const struct order_actor *who,
                          const struct config *cfg, const char *serial, const char *csr_pem,
                          int64_t *order_id, struct sm_err *e);

/* The application kind an order is shown with (申請種別): "continued" (継続) for the next
 * certificate of a subscription, whose order is stored with kind new; else kind as
 * stored. For the order and certificate pages. */
const char *subscription_kind_shown(struct db *db, int64_t order_id, const char *kind);

/* What a renewal application may set; NULL = as before. Everything else is prefilled
 * from the last order of the subscription. */
struct sub_renewal {
    const char *csr_pem;
    const char *cn; /* must stay the same */
    const char *org_name_ja, *org_name_en, *org_postal, *org_address, *org_phone; /* R-REN-3 */
    int nnames;                  /* > 0: the number of names wanted (at most the product's) */
    const char *notify_email[3]; /* new notification addresses */
    const char *pay_method;      /* invoice (default) | card */
};
/* R-REN-2, R-REN-3: opens the renewal of the subscription of certificate serial: a paid
 * order of kind renewal with the previous application. Refused before the window
 * (-SM_E_POLICY "renewal.window") and for a change a renewal cannot make (-SM_E_POLICY
 * "renewal.forbidden", e->detail naming it: the answer points to a new application). A
 * renewal already under way is returned as is. */
int subscription_renew(const struct order_env *env, const struct order_actor *who,
                       const char *serial, const struct sub_renewal *r, int64_t *order_id,
                       struct sm_err *e);

/* ---- renewal and replacement through the application (ra/order_apply) ---- */

/* What a renewal application (R-APP-1 renewal, kind "renewal") or a new application that
 * replaces a subscription (R-REN-3, kind "new") starts from. Clear with sub_source_clear. */
struct sub_source {
    int64_t cert_id, sub_id, org_id;
    int64_t pending_order;  /* a renewal already under way: its order (nothing else set) */
    struct order_row *prev; /* the order of the certificate, to prefill from; owned */
    struct product_row prev_product;
};
void sub_source_clear(struct sub_source *s);

/* The certificate serial (in who's scope) of an active subscription, at now. replace 0: a
 * renewal, refused outside the renewal window ("renewal.window", e->detail the date it
 * opens) or once the subscription is renewed or cancelled ("renewal.state"); a renewal
 * under way sets out->pending_order and returns 0. replace 1: a new application replacing
 * the subscription (R-REN-3): no window, refused once it ended ("renewal.state") or while a
 * renewal is under way ("renewal.pending"). Not in a subscription: -SM_E_NOTFOUND field
 * "subscription". Reads only. */
int subscription_source(struct db *db, const struct order_actor *who, const char *serial,
                        int replace, time_t now, struct sub_source *out, struct sm_err *e);

/* R-REN-3: 0 when an application for product p with CN cn and applicant JSON applicant
 * keeps what a renewal of src must keep: the CN, the organization's Japanese and English
 * names, postal code, address and main phone, the product family (level, multi-domain,
 * wildcard) and its SAN upper limit. Else -SM_E_POLICY field "renewal.forbidden" with
 * e->detail naming the first change (cn, org.name_ja, org.name_en, org.postal,
 * org.address, org.phone, product, names): the answer points to a new application. */
int subscription_renewal_keeps(const struct sub_source *src, const struct product_row *p,
                               const char *cn, const char *applicant, struct sm_err *e);

/* Inside the transaction that creates order order_id from src: records it as the
 * subscription's renewal in progress (R-REN-5 lock; no more reminders) and audits the
 * link ("subscription.renewal_applied" or "subscription.replacement_applied"). When the
 * order is issued, subscription_plan carries the days left of the subscription over
 * (within the policy maximum) and closes it: no paid validity is lost. */
int subscription_link_tx(struct db *db, const struct sub_source *src, int64_t order_id,
                         const char *kind, time_t now, struct sm_err *e);

/* ---- the sweep ---- */

struct sub_sweep_stats {
    int reminders, passed_over, continue_notices, cancelled;
};
/* One pass at clock_now(): renewal reminders, continuation reminders, auto-cancel. Safe
 * to run again at any point and from two processes at once. */
int subscription_sweep(struct db *db, const struct config *cfg, struct sub_sweep_stats *st,
                       struct sm_err *e);

#endif
