/* SPDX-License-Identifier: MIT */
/* The vetting worker of shomei serve: retries the domain validation of orders being
 * vetted (ra/validate) and issues orders whose validation is complete (ra/fulfil), every
 * [jobs] vetting_seconds. */
#ifndef SM_JOBS_VETTING_H
#define SM_JOBS_VETTING_H
#include "core/err.h"

struct config;
struct db;

/* One pass (for the CLI and tests). */
int vetting_run_once(struct db *db, const struct config *cfg, struct sm_err *e);
int vetting_worker_start(const struct config *cfg, struct sm_err *e);
void vetting_worker_stop(void);

#endif
