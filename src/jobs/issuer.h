/* SPDX-License-Identifier: MIT */
/* The issuance worker of shomei serve (issue 8 item 5): runs the one-shot jobs
 * "order.issue" (ORDER_ISSUE_JOB, key = order id) that an approval schedules in its own
 * transaction. Each job is claimed with a lease by one process at a time, so an order is
 * never signed by two processes at once; a DNS failure that may pass is retried with the
 * runner's back-off (ra/fulfil's fulfil_issue_job says which).
 * Beside them, the recurring job "issuance.recover" (every [jobs] recover_seconds) marks
 * abandoned the serials reserved by a process that ended before storing its certificate
 * (a node killed between reservation and store, R-ISS-4): ra/issuance's issuance_recover,
 * which checks a process of this machine directly and one of another machine by [issue]
 * reservation_lease. A reservation abandoned under a process still running only makes its
 * store fail (the store requires the state reserved), so no certificate leaves unstored. */
#ifndef SM_JOBS_ISSUER_H
#define SM_JOBS_ISSUER_H
#include "core/err.h"

struct config;
struct db;
struct job_row;
struct ra_ctx;

/* One run of job (for tests): issues the order named by job->key. */
int issuer_run_job(const struct ra_ctx *ra, struct db *db, const struct job_row *job,
                   struct sm_err *e);

/* The recurring job that marks abandoned the reservations of ended processes. */
#define RECOVER_JOB_KIND "issuance.recover"

/* Starts the runner of order.issue and issuance.recover (ra and cfg must outlive
 * issuer_worker_stop). */
int issuer_worker_start(const struct ra_ctx *ra, const struct config *cfg, struct sm_err *e);
void issuer_worker_stop(void);

#endif
