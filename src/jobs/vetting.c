/* SPDX-License-Identifier: MIT */
/* The vetting worker: job "vetting.sweep" of the jobs table, run every [jobs]
 * vetting_seconds by one process at a time (see vetting.h). */
#include "core/config.h"
#include "jobs/runner.h"
#include "jobs/vetting.h"
#include "ra/fulfil.h"
#include "ra/notice.h"
#include "ra/validate.h"

static struct jobs_runner *worker;

int vetting_run_once(struct db *db, const struct config *cfg, struct sm_err *e)
{
    struct order_env env;
    struct maint_policy maint;
    struct order_hooks hooks;
    notice_hooks_init(&hooks, cfg);
    int checked = 0, done = 0;
    int rc = order_env_init(&env, db, &hooks, cfg, &maint, e);
    if (rc == 0)
        rc = validate_due(&env, cfg, 100, &checked, e);
    if (rc == 0)
        rc = fulfil_due(&env, cfg, &done, e);
    return rc;
}

static int run_job(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    return vetting_run_once(db, cfg, e);
}

int vetting_worker_start(const struct config *cfg, struct sm_err *e)
{
    int64_t poll = 60;
    int rc = config_int(cfg, "jobs", "vetting_seconds", 1, 86400, &poll, e);
    if (rc < 0 || worker != NULL)
        return rc;
    return jobs_runner_start_one("vetting", cfg, VETTING_JOB_KIND, poll, run_job, &worker, e);
}

void vetting_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
}
