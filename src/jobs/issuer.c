/* SPDX-License-Identifier: MIT */
/* The issuance worker: one-shot jobs "order.issue" of the jobs table (see issuer.h). */
#include <errno.h>
#include <stdlib.h>

#include "core/config.h"
#include "jobs/issuer.h"
#include "jobs/runner.h"
#include "ra/fulfil.h"
#include "ra/context.h"
#include "store/jobs.h"

static struct jobs_runner *worker;
static const struct ra_ctx *worker_ra; /* set before the runner starts, read by its thread */

int issuer_run_job(const struct ra_ctx *ra, struct db *db, const struct job_row *job,
                   struct sm_err *e)
{
    char *end = NULL;
    errno = 0;
    long long id = job->key ? strtoll(job->key, &end, 10) : 0;
    if (errno != 0 || end == job->key || end == NULL || *end != '\0' || id <= 0)
        return 0; /* not an order: nothing to do, never again */
    struct order_env env = ra_env(ra, db);
    return fulfil_issue_job(&env, ra->cfg, (int64_t)id, e);
}

static int run_job(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    return issuer_run_job(worker_ra, db, job, e);
}

int issuer_worker_start(const struct ra_ctx *ra, const struct config *cfg, struct sm_err *e)
{
    if (worker != NULL)
        return 0;
    worker_ra = ra;
    return jobs_runner_start_one("issuer", cfg, ORDER_ISSUE_JOB, 0, run_job, &worker, e);
}

void issuer_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
    worker_ra = NULL;
}
