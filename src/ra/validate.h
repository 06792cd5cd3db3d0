/* SPDX-License-Identifier: MIT */
/* Domain control validation of orders (R-VAL-1, R-VAL-2, R-VAL-3 DNSSEC): gives every
 * domain of an order its random value, runs the DNS TXT and web-page checks (ra/dcv over
 * net/dns and net/fetch), mails the constructed-address link for the e-mail method and
 * confirms it, reuses earlier validations of the same organization within the dated
 * policy, and stores method, BR version and evidence with each domain (store/orders).
 * Checks run on request ("check now") and from the job until success or expiry. */
#ifndef SM_RA_VALIDATE_H
#define SM_RA_VALIDATE_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "ra/order.h"

struct config;

/* What a customer needs to pass the check of one domain, for pages and the API. */
struct validate_step {
    char name[256];
    char method[300];      /* dns | http | email:LOCAL@ADN (the stored method) */
    int reused;            /* validated by reusing an earlier validation (R-VAL-2) */
    char state[12];        /* pending | validated | failed */
    char record_name[300]; /* dns: the TXT owner name to create */
    char value[64];        /* the random value (dns TXT text, http file content); never
                              the e-mail method's: that one is the link mailed to the
                              domain's address and proves control only while unseen */
    int issued;            /* a random value exists (for every method) */
    char url[400];         /* http: the URL that must serve value */
    char email[320];       /* email: where the link was (or will be) sent */
    int64_t expires_at;    /* the random value's expiry */
    int64_t validated_at;
    char reason[64]; /* last failure reason code (ra/dcv), "" when none */
};

/* Prepares the domains of an order for validation (random values, reuse of validations
 * of the same organization, the e-mail with the link for the e-mail method) inside the
 * caller's transaction. Called when an order enters vetting (payment confirmed) and
 * after a re-application. */
int validate_prepare_tx(const struct order_env *env, const struct config *cfg,
                        const struct order_row *o, struct sm_err *e);
/* Changes the method of one domain of order id ("dns", "http", "email:admin" ...); a new
 * random value is issued. Refused (SM_E_POLICY) for methods switched off by date policy. */
int validate_set_method(const struct order_env *env, const struct order_actor *who,
                        const struct config *cfg, int64_t order_id, const char *name,
                        const char *method, struct sm_err *e);
/* The same inside the caller's transaction, on order o as loaded there (order_apply sets
 * the methods of a new order in the transaction that creates it). */
int validate_set_method_tx(const struct order_env *env, const struct order_actor *who,
                           const struct config *cfg, const struct order_row *o, const char *name,
                           const char *method, struct sm_err *e);
/* Runs the DNS / web-page check of every pending domain of order id now (network).
 * *pending (may be NULL) receives the number still not validated. */
int validate_check_now(const struct order_env *env, const struct order_actor *who,
                       const struct config *cfg, int64_t order_id, int *pending, struct sm_err *e);
/* The e-mail method's link: /dcv/confirm/TOKEN. Validates the domain whose value the
 * token carries (not expired). -SM_E_NOTFOUND for unknown or expired tokens. */
int validate_email_confirm(const struct order_env *env, const struct config *cfg, const char *token,
                           struct sm_err *e);
/* The instructions and state of every domain of order id (scoped like orders_get).
 * *out freed by the caller with free(). */
int validate_steps_list(const struct order_env *env, const struct order_actor *who,
                        const struct config *cfg, int64_t order_id, struct validate_step **out,
                        size_t *n, struct sm_err *e);

/* The public confirmation page of the e-mail link (issue 8 item 7): what the mailbox
 * owner approves. */
struct validate_email_info {
    char domain[256];
    char address[320]; /* where the link was sent */
    char receipt_no[32];
    char org_ja[401], org_en[401]; /* the applicant organization (en falls back to ja) */
    int64_t requested_at;          /* when the order was submitted (created, if never) */
    int64_t expires_at;            /* the link's expiry */
    int validated;                 /* already confirmed */
};
/* Fills out for the e-mail link's token; -SM_E_NOTFOUND for unknown, malformed or
 * expired tokens and tokens of other methods. Changes nothing. */
int validate_email_lookup(const struct order_env *env, const char *token,
                          struct validate_email_info *out, struct sm_err *e);

/* Right before signing (R-VAL-1, R-VAL-2; issue 8 items 20, 21): a domain whose evidence
 * may no longer be relied on, and why: dcv.not_validated, dcv.evidence_unknown (a "reuse"
 * row of older versions, which names no original method), dcv.method_off (the method has
 * been switched off since), dcv.stale (older than the dated reuse period at `now`),
 * dcv.scope (web-page evidence for another FQDN, or for a wildcard). why is static and
 * also the i18n key (the dcv catalogs of web/i18n). */
struct validate_stale {
    char name[256];
    const char *why;
};
/* Checks every validated domain of order order_id at now (domains still pending are not
 * listed: issuance refuses them as they are); writes up to max problems into out and
 * their total count into *n (0 = every validated domain may be relied on). Changes
 * nothing. */
int validate_evidence_current(const struct order_env *env, int64_t order_id, time_t now,
                              struct validate_stale *out, size_t max, size_t *n, struct sm_err *e);
/* Sends an approved order back to validation (approved -> vetting, event
 * "order.revalidate" whose audit detail lists st[0..n) and the organization checks
 * checks[0..nchecks) to redo): each listed domain goes back to pending with why in its
 * evidence (shown with the instructions) and a new random value (the e-mail method mails
 * a new link), or is reused from a fresher validation. One transaction. */
int validate_revalidate(const struct order_env *env, const struct order_actor *who,
                        const struct config *cfg, int64_t order_id, const struct validate_stale *st,
                        size_t n, const char *const *checks, size_t nchecks, struct sm_err *e);

/* The job's pass: runs the DNS / web-page checks of up to `limit` pending domains of
 * orders being vetted (retried until success or the value's expiry). *checked counts
 * the domains tried. */
int validate_due(const struct order_env *env, const struct config *cfg, int limit, int *checked,
                 struct sm_err *e);

#endif
