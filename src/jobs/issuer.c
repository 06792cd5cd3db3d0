/* SPDX-License-Identifier: MIT */
/* The issuance worker: one-shot jobs "order.issue" of the jobs table (see issuer.h). */
#include <errno.h>
#include <stdlib.h>

#include "core/config.h"
#include "jobs/issuer.h"
#include "jobs/runner.h"
#include "ra/fulfil.h"
#include "ra/notice.h"
#include "store/jobs.h"

static struct jobs_runner *worker;

int issuer_run_job(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    char *end = NULL;
    errno = 0;
    long long id = job->key ? strtoll(job->key, &end, 10) : 0;
    if (errno != 0 || end == job->key || end == NULL || *end != '\0' || id <= 0)
        return 0; /* not an order: nothing to do, never again */
    struct order_env env;
    struct maint_policy maint;
    struct order_hooks hooks;
    notice_hooks_init(&hooks, cfg);
    int rc = order_env_init(&env, db, &hooks, cfg, &maint, e);
    if (rc == 0)
        rc = fulfil_issue_job(&env, cfg, (int64_t)id, e);
    return rc;
}

int issuer_worker_start(const struct config *cfg, struct sm_err *e)
{
    if (worker != NULL)
        return 0;
    return jobs_runner_start_one("issuer", cfg, ORDER_ISSUE_JOB, 0, issuer_run_job, &worker, e);
}

void issuer_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
}
