/* SPDX-License-Identifier: MIT */
/* The vetting worker: job "vetting.sweep" of the jobs table, run every [jobs]
 * vetting_seconds by one process at a time (see vetting.h). */
#include "core/config.h"
#include "jobs/runner.h"
#include "jobs/vetting.h"
#include "ra/fulfil.h"
#include "ra/context.h"
#include "ra/validate.h"

static struct jobs_runner *worker;
static const struct ra_ctx *worker_ra; /* set before the runner starts, read by its thread */

int vetting_run_once(const struct ra_ctx *ra, struct db *db, struct sm_err *e)
{
    struct order_env env = ra_env(ra, db);
    int checked = 0, done = 0;
    int rc = validate_due(&env, ra->cfg, 100, &checked, e);
    if (rc == 0)
        rc = fulfil_due(&env, ra->cfg, &done, e);
    return rc;
}

static int run_job(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    return vetting_run_once(worker_ra, db, e);
}

int vetting_worker_start(const struct ra_ctx *ra, const struct config *cfg, struct sm_err *e)
{
    int64_t poll = 60;
    int rc = config_int(cfg, "jobs", "vetting_seconds", 1, 86400, &poll, e);
    if (rc < 0 || worker != NULL)
        return rc;
    worker_ra = ra;
    return jobs_runner_start_one("vetting", cfg, VETTING_JOB_KIND, poll, run_job, &worker, e);
}

void vetting_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
    worker_ra = NULL;
}
