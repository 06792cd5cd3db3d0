/* SPDX-License-Identifier: MIT */
/* The revocation worker (see revocation.h). */
#include "core/clock.h"
#include "core/config.h"
#include "jobs/revocation.h"
#include "jobs/runner.h"
#include "ra/crl.h"
#include "ra/ocsp.h"
#include "ra/revoke.h"
#include "store/jobs.h"

static struct jobs_runner *worker;

static int run_crl(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    int64_t now = (int64_t)clock_now();
    int rc = ocsp_responders_ensure(db, cfg, now, NULL, e); /* renewed ahead of expiry */
    if (rc == 0) /* R-RI-2, R-REV-1: scheduled revocations whose date has come */
        rc = revoke_run_all_due(db, now, NULL, e);
    if (rc == 0)
        rc = crl_refresh(db, cfg, now, 0, NULL, e);
    if (rc == 0) /* OCSP responses signed ahead, refreshed before half their validity */
        rc = ocsp_presign_refresh(db, cfg, now, 100000, NULL, e);
    return rc;
}

static int run_revoke(struct db *db, const struct config *cfg, const struct job_row *job,
                      struct sm_err *e)
{
    return revoke_run_due(db, job->key, (int64_t)clock_now(), NULL, e);
}

int revocation_jobs_add(struct jobs_runner *r, const struct config *cfg, struct sm_err *e)
{
    int64_t period = 300;
    int rc = config_int(cfg, "revocation", "crl_check_seconds", 1, 3600, &period, e);
    if (rc == 0)
        rc = jobs_runner_add(r, CRL_JOB_KIND, period, run_crl, e);
    if (rc == 0)
        rc = jobs_runner_add(r, REVOKE_JOB_KIND, 0, run_revoke, e);
    return rc;
}

int revocation_worker_start(const struct config *cfg, struct sm_err *e)
{
    if (worker != NULL)
        return 0;
    struct jobs_runner *r = NULL;
    int rc = jobs_runner_new("revocation", cfg, &r, e);
    if (rc == 0)
        rc = revocation_jobs_add(r, cfg, e);
    if (rc == 0)
        rc = jobs_runner_start(r, e);
    if (rc < 0) {
        jobs_runner_free(r);
        return rc;
    }
    worker = r;
    return 0;
}

void revocation_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
}
