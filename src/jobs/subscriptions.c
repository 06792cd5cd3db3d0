/* SPDX-License-Identifier: MIT */
/* The subscription worker: job "subscription.sweep" (see subscriptions.h). */
#include "core/config.h"
#include "core/log.h"
#include "jobs/runner.h"
#include "jobs/subscriptions.h"
#include "ra/subscription.h"

static struct jobs_runner *worker;

int subscription_run_once(struct db *db, const struct config *cfg, struct sm_err *e)
{
    struct sub_sweep_stats st;
    int rc = subscription_sweep(db, cfg, &st, e);
    if (rc == 0 && (st.reminders || st.continue_notices || st.cancelled))
        log_info("subscription sweep", "reminders", st.reminders ? "yes" : "no", "continue",
                 st.continue_notices ? "yes" : "no", "cancelled", st.cancelled ? "yes" : "no");
    return rc;
}

static int run_job(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    (void)job;
    return subscription_run_once(db, cfg, e);
}

int subscription_worker_start(const struct config *cfg, struct sm_err *e)
{
    int64_t every = 3600;
    int rc = config_int(cfg, "jobs", "subscription_seconds", 1, 86400, &every, e);
    if (rc < 0 || worker != NULL)
        return rc;
    return jobs_runner_start_one("subscriptions", cfg, SUBSCRIPTION_JOB_KIND, every, run_job,
                                 &worker, e);
}

void subscription_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
}
