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
struct ra_ctx;

#define VETTING_JOB_KIND "vetting.sweep"

/* One pass with the RA context ra (built once at start, ra/context.h) on db. */
int vetting_run_once(const struct ra_ctx *ra, struct db *db, struct sm_err *e);
/* Starts the runner of job vetting.sweep (ra and cfg must outlive vetting_worker_stop). */
int vetting_worker_start(const struct ra_ctx *ra, const struct config *cfg, struct sm_err *e);
void vetting_worker_stop(void);

#endif
