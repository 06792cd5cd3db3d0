/* SPDX-License-Identifier: MIT */
/* The vetting worker of shomei serve: retries the domain validation of orders being
 * vetted (ra/validate) and issues orders whose validation is complete (ra/fulfil), as job
 * "vetting.sweep" of the jobs table (jobs/runner.h) every [jobs] vetting_seconds, run by
 * one process at a time. */
#ifndef SM_JOBS_VETTING_H
#define SM_JOBS_VETTING_H
#include "core/err.h"

struct config;
struct db;

#define VETTING_JOB_KIND "vetting.sweep"

/* One pass (for the CLI and tests). */
int vetting_run_once(struct db *db, const struct config *cfg, struct sm_err *e);
/* Starts the runner of job vetting.sweep (cfg must outlive vetting_worker_stop). */
int vetting_worker_start(const struct config *cfg, struct sm_err *e);
void vetting_worker_stop(void);

#endif
