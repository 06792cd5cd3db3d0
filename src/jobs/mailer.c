/* SPDX-License-Identifier: MIT */
/* The outbox worker: job "mail.send" of the jobs table, run every [mail] poll_seconds by
 * one process at a time; each run is ra/mail's mail_send_due. See mailer.h. */
#include <stdint.h>

#include "core/config.h"
#include "core/log.h"
#include "jobs/mailer.h"
#include "jobs/runner.h"
#include "ra/mail.h"

int mailer_run_once(struct db *db, const struct config *cfg, int *sent, int *failed,
                    struct sm_err *e)
{
    return mail_send_due(db, cfg, sent, failed, e);
}

/* ---- the job ---- */

static struct jobs_runner *worker;

static int run_job(struct db *db, const struct config *cfg, const struct job_row *job,
                   struct sm_err *e)
{
    return mailer_run_once(db, cfg, NULL, NULL, e);
}

int mailer_worker_start(const struct config *cfg, struct sm_err *e)
{
    if (!config_bool(cfg, "mail", "enabled")) {
        log_info("mail disabled: notices stay queued", "setting", "[mail] enabled");
        return 0;
    }
    int64_t poll;
    int rc = mail_settings_check(cfg, e);
    if (rc == 0)
        rc = config_int(cfg, "mail", "poll_seconds", 1, 86400, &poll, e);
    if (rc < 0)
        return rc;
    if (worker != NULL)
        return sm_err_set(e, SM_E_CONFLICT, "mail", "mail worker already running");
    return jobs_runner_start_one("mail", cfg, MAILER_JOB_KIND, poll, run_job, &worker, e);
}

void mailer_worker_stop(void)
{
    jobs_runner_free(worker);
    worker = NULL;
}
