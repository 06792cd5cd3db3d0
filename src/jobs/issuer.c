/* SPDX-License-Identifier: MIT */
/* The issuance worker: one-shot jobs "order.issue" and the recurring "issuance.recover"
 * of the jobs table (see issuer.h). */
#include <errno.h>
#include <stdlib.h>

#include "core/config.h"
#include "jobs/issuer.h"
#include "jobs/runner.h"
#include "ra/fulfil.h"
#include "ra/context.h"
#include "ra/issuance.h"
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

static int run_recover(struct db *db, const struct config *cfg, const struct job_row *job,
                       struct sm_err *e)
{
    (void)job;
    return issuance_recover_cfg(db, cfg, "system", NULL, e);
}

int issuer_worker_start(const struct ra_ctx *ra, const struct config *cfg, struct sm_err *e)
{
    if (worker != NULL)
        return 0;
    int64_t every = 60;
    struct jobs_runner *r = NULL;
    int rc = config_int(cfg, "jobs", "recover_seconds", 1, 86400, &every, e);
    if (rc == 0)
        rc = jobs_runner_new("issuer", cfg, &r, e);
    if (rc == 0)
        rc = jobs_runner_add(r, ORDER_ISSUE_JOB, 0, run_job, e);
    if (rc == 0)
        rc = jobs_runner_add(r, RECOVER_JOB_KIND, every, run_recover, e);
    worker_ra = ra;
    if (rc == 0)
        rc = jobs_runner_start(r, e);
    if (rc < 0) {
        jobs_runner_free(r);
        worker_ra = NULL;
        return rc;
    }
    worker = r;
    return 0;
}

void issuer_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
    worker_ra = NULL;
}
