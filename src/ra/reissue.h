/* SPDX-License-Identifier: MIT */
/* Reissue of an issued certificate (再発行; R-RI-1..7, R-APP-1 reissue, R-REN-5).
 *
 * A customer (or a reseller of the organization) asks for a new certificate in place of a
 * valid one, with a reason from the SureBoard list (each puts an RFC 5280 reason code on
 * the original, R-RI-1) and a desired revocation date of the original within today ..
 * today + 60 days (Japan time, R-RI-2; keyCompromise: revoked at once whatever date). The
 * new certificate keeps product, CN, organization and end date (R-RI-3); it may change the
 * names within the product's rules (the www/apex double address; further SANs only on a
 * multi-domain product, within its limit) and the root option; it uses the previous CSR or
 * a new one with the same CN (a keyCompromise reissue needs a new key; every key goes
 * through the compromised-key blocklist). Refused (R-RI-4): an original revoked, expired or
 * with a revocation already scheduled; in the calendar month (Japan time) of its end; when
 * the valid certificates of the CN would pass [issue] max_per_cn; without consent to the
 * revocation of the original; while a renewal of its subscription is in progress (R-REN-5);
 * a change of CN or organization (the answer points to a new application).
 *
 * Vetting (R-RI-5, the product's reissue_vetting policy): "none" (the default): each
 * name's validation is reused while its dated reuse period lasts (ra/validate) and redone
 * otherwise, new names always validated first; the organization checks of the original
 * count while current (checked again right before signing). "full": nothing is reused;
 * every name is validated again (ra/validate reuses no earlier validation for such a
 * reissue) and an OV/EV organization is vetted again by an officer (no check is copied),
 * before any signature. A reissue whose names are all
 * validated is approved and issued at once; one that waits for DCV is signed only once it
 * passes (and CAA is checked right before signing, like every order).
 *
 * Fee (R-RI-6): free, unless the product's rule is "after:DAYS:YEN" and the reissue both
 * comes more than DAYS days after the original's issuance and changes its contents (names
 * or root); then YEN, invoiced, and the order waits for payment.
 *
 * The application, the revocation of the original (ra/revoke revoke_tx, job cert.revoke
 * for a later date), the order (kind reissue, linked to the original's subscription with
 * reason "reissue", R-RI-7), its audit records and the customer's mail are written in one
 * transaction. */
#ifndef SM_RA_REISSUE_H
#define SM_RA_REISSUE_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ra/order.h"

struct config;

/* The customer's reasons, in the order of the form, NULL-terminated: site_closed,
 * domain_released, org_changed, replacement, key_compromise, key_lost, other. Labels are
 * the messages "ri.reason.CODE". */
extern const char *const reissue_reasons[];
/* The RFC 5280 reason code reason puts on the original (R-RI-1), -1 when not a reason. */
int reissue_reason_code(const char *reason);

#define REISSUE_MAX_NAMES 100

/* A reissue application. NULL strings and names_given 0 keep what the original has. */
struct reissue_req {
    const char *serial;      /* the original */
    const char *reason;      /* one of reissue_reasons */
    const char *revoke_date; /* YYYY-MM-DD (Japan), today .. today + 60 days */
    int consent;             /* 1: the applicant consents to the revocation of the original */
    const char *csr_pem;     /* NULL or "" = the previous CSR */
    int names_given;         /* 1: names[0..nnames) is the full list wanted, CN first */
    const char *names[REISSUE_MAX_NAMES];
    size_t nnames;
    const char *dcv_method; /* method of names that are new (dns | http); NULL = dns */
    const char *root;       /* a | b; NULL = as before */
    const char *cn;         /* if given: must be the original's (else forbidden change) */
    const char *org_name;   /* if given: must be the original's organization name */
    const char *idem_key;   /* a second submission with the same key returns the first */
};

/* What the reissue will do (for the confirmation page and the API's dry run). */
struct reissue_plan {
    char serial[41];
    char cn[256];
    char receipt_no[32]; /* the original's order */
    char reason[24];
    int reason_code;
    int64_t revoke_at; /* when the original will be revoked (now for keyCompromise) */
    int revoke_now;    /* 1: at once */
    int64_t not_after; /* the new certificate's end: the original's */
    int new_csr;
    char root[4];
    char *names_json; /* JSON array of the names of the new certificate (owned) */
    char *added_json; /* JSON array of names not in the original (DCV redone first) */
    char *removed_json;
    int64_t fee; /* yen, tax excluded */
    char fee_rule[32];
    int64_t sub_id;
    int64_t original_id, original_order_id;
};
void reissue_plan_clear(struct reissue_plan *p);

/* Every rule, nothing written (the confirmation page). Refusals: -SM_E_NOTFOUND (field
 * serial: unknown or outside who's scope), -SM_E_CONFLICT (field "reissue.state": revoked,
 * expired, scheduled; "reissue.renewal": R-REN-5; "reissue.pending": a reissue not yet
 * issued), -SM_E_POLICY ("reissue.expiry_month", "reissue.cn_limit", "reissue.forbidden"
 * with e->detail "cn" or "org", "reissue.no_subscription"), -SM_E_INVALID (fields
 * "reason", "revoke_date", "consent", "csr", "names", "root", "dcv_method"), -SM_E_CSR
 * (field "csr": the CSR is not acceptable, its key is blocked). */
int reissue_check(const struct order_env *env, const struct order_actor *who,
                  const struct config *cfg, const struct reissue_req *req,
                  struct reissue_plan *plan, struct sm_err *e);

/* Checks again and applies in one transaction (see above); *order_id gets the reissue's
 * order. plan (may be NULL) gets what was done. Own transaction, at clock_now(). */
int reissue_apply(const struct order_env *env, const struct order_actor *who,
                  const struct config *cfg, const struct reissue_req *req,
                  struct reissue_plan *plan, int64_t *order_id, struct sm_err *e);

/* The history of the subscription of certificate cert_id (R-RI-7), with the subscriptions
 * it renews or replaces and those that renewed or replaced it (R-REN-2, R-REN-3): every
 * certificate, oldest first, as a JSON array of {serial, state, issued_why (first |
 * continued | renewal | reissue), reissue_reason ("" unless reissue), replaces (serial or
 * ""), not_before, not_after, revoked_at, revoke_due (0 = none), revocation_reason (RFC 5280
 * name or ""), revocation_source}; a reissue still waiting (its order neither issued,
 * rejected nor cancelled) is a row with state "pending", serial "", its order_id and
 * receipt_no. NULL when the certificate is in no subscription. */
json_t *reissue_history(struct db *db, int64_t cert_id, struct sm_err *e);

#endif
