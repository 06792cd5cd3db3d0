/* SPDX-License-Identifier: MIT */
/* Issuance of approved orders (R-ISS-5, R-ISS-6, R-VAL-3, R-CSR-2): every domain validated,
 * CAA of every name checked right before signing (a refusal is logged and audited), at
 * most the policy number of valid certificates per CN and organization, the subject from
 * the vetted application, then ra/issuance signs and stores the certificate and, in the
 * same transaction, the order becomes issued and the issuance notice is queued. Also the
 * automatic approval of DV orders whose domains are all validated. */
#ifndef SM_RA_FULFIL_H
#define SM_RA_FULFIL_H
#include <stdint.h>
#include "core/err.h"
#include "ra/order.h"

struct config;

/* Approves order id (vetting -> approved, by an officer; the checks of R-VAL-4 are the
 * officer's to record first, see ra/review) and issues it at once. When issuance cannot
 * run yet (a domain not validated, CAA refusal, per-CN limit) the order stays approved and
 * e tells why; the job retries. */
int fulfil_approve(const struct order_env *env, const struct order_actor *who,
                   const struct config *cfg, int64_t order_id, int64_t version, struct sm_err *e);
/* Issues an approved order now. 0 when issued (or already issued). For a person's request
 * (who is not the system) each CAA lookup waits at most FULFIL_WAIT_DNS_MS; a DNS failure
 * is then an error of its own field (caa.timeout, caa.servfail, caa.bogus, caa.resolver;
 * a refusal by CAA records is field "caa") and the worker retries in the background. */
#define FULFIL_WAIT_DNS_MS 2000
int fulfil_issue(const struct order_env *env, const struct order_actor *who,
                 const struct config *cfg, int64_t order_id, struct sm_err *e);
/* Called when every domain of order id is validated: a DV order in vetting is approved by
 * the system and issued (DV needs no officer, R-PRD-1 review target in minutes); an
 * approved order is issued. Other orders are left alone (0). */
int fulfil_after_validation(const struct order_env *env, const struct config *cfg, int64_t order_id,
                            struct sm_err *e);
/* The job's pass: DV orders in vetting with every domain validated are approved by the
 * system and issued; approved orders not yet issued are retried. *done counts issuances. */
int fulfil_due(const struct order_env *env, const struct config *cfg, int *done, struct sm_err *e);

#endif
