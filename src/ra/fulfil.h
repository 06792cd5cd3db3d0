/* SPDX-License-Identifier: MIT */
/* Issuance of approved orders (R-ISS-5, R-ISS-6, R-VAL-3, R-CSR-2): every domain validated,
 * CAA of every name checked right before signing (a refusal is logged and audited), at
 * most the policy number of valid certificates per CN and organization, the subject from
 * the vetted application, the evidence of every domain and organization check still inside
 * its dated reuse period (else the order goes back to vetting, ra/validate), then
 * ra/issuance signs and stores the certificate and, in the same transaction, every CAA
 * check it passed (store/caa_checks, BR 5.4.1), the order becomes issued and the issuance
 * notice is queued. Every path that signs for an order comes through fulfil_issue. Also the
 * automatic approval of DV orders whose domains are all validated. */
#ifndef SM_RA_FULFIL_H
#define SM_RA_FULFIL_H
#include <stdint.h>
#include "core/err.h"
#include "ra/order.h"

struct config;

/* Approves order id (vetting -> approved, by an officer; the checks of R-VAL-4 are the
 * officer's to record first, see ra/review). The approval schedules the issuance job
 * (ORDER_ISSUE_JOB, in the approval's transaction) and returns at once: CAA lookups and
 * signing never hold the request (issue 8 item 5). -SM_E_MPIC (nothing changed) when
 * too few remote perspectives are configured for the date (R-VAL-8). */
int fulfil_approve(const struct order_env *env, const struct order_actor *who,
                   const struct config *cfg, int64_t order_id, int64_t version, struct sm_err *e);
/* An officer's "issue again" after a refusal: schedules the issuance job of approved order
 * id again (-SM_E_CONFLICT field "state" when the order is not approved). */
int fulfil_retry(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                 struct sm_err *e);
/* Issues an approved order now. 0 when issued (or already issued). For a person's request
 * (who is not the system) each CAA lookup waits at most FULFIL_WAIT_DNS_MS; a DNS failure
 * is then an error of its own field (caa.timeout, caa.servfail, caa.bogus, caa.resolver;
 * a refusal by CAA records is field "caa") and the worker retries in the background. */
#define FULFIL_WAIT_DNS_MS 2000
int fulfil_issue(const struct order_env *env, const struct order_actor *who,
                 const struct config *cfg, int64_t order_id, struct sm_err *e);
/* Called when every domain of order id is validated: a DV order in vetting is approved by
 * the system (DV needs no officer, R-PRD-1 review target in minutes) and an approved
 * order's issuance job is scheduled again; the job issues. Other orders are left alone. */
int fulfil_after_validation(const struct order_env *env, const struct config *cfg, int64_t order_id,
                            struct sm_err *e);
/* The sweep's pass: DV orders in vetting with every domain validated are approved by the
 * system; approved orders not yet issued get their issuance job scheduled again (a job
 * that has not ended is left to its back-off). *done counts the orders handed on. */
/* The issuance job of order id (jobs/issuer.c): fulfil_issue as the system, with the full
 * DNS time-out. 0 when the job has ended: issued, or refused until something changes (the
 * refusal is recorded on the order; the sweep schedules it again). Negative (e filled)
 * when it should run again after a back-off: a DNS failure that may pass (caa.servfail,
 * caa.timeout, caa.resolver) or a database or system failure. One process at a time
 * runs it (the job's lease), and the order moves to issued once, in the transaction that
 * stores the certificate. */
int fulfil_issue_job(const struct order_env *env, const struct config *cfg, int64_t order_id,
                     struct sm_err *e);
/* 1 when fulfil_issue's failure rc (e its error) may pass if the issuance runs again later:
 * a DNS failure that may pass (caa_dns_may_pass: caa.servfail, caa.timeout, caa.resolver;
 * not caa.bogus) or a database or system failure (SM_E_DB, SM_E_DB_BUSY, SM_E_NOMEM,
 * SM_E_IO, SM_E_STORAGE_FULL, SM_E_CRYPTO, SM_E_INTERNAL). 0 for a refusal that stands
 * until something changes (CAA records, the per-CN limit, the linter) and for rc >= 0. */
int fulfil_may_recover(int rc, const struct sm_err *e);
int fulfil_due(const struct order_env *env, const struct config *cfg, int *done, struct sm_err *e);

#endif
