/* SPDX-License-Identifier: MIT */
/* The subscription worker of shomei serve: job "subscription.sweep" of the jobs table
 * (jobs/runner.h) every [jobs] subscription_seconds, run by one process at a time; each pass
 * is ra/subscription's sweep (renewal and continuation reminders, auto-cancel), whose
 * notices are recorded once each, so even two passes at once send nothing twice. */
#ifndef SM_JOBS_SUBSCRIPTIONS_H
#define SM_JOBS_SUBSCRIPTIONS_H
#include "core/err.h"

struct config;
struct db;

#define SUBSCRIPTION_JOB_KIND "subscription.sweep"

/* One pass (for the CLI and tests). */
int subscription_run_once(struct db *db, const struct config *cfg, struct sm_err *e);
/* Starts the runner of job subscription.sweep (cfg must outlive subscription_worker_stop). */
int subscription_worker_start(const struct config *cfg, struct sm_err *e);
void subscription_worker_stop(void);

#endif
