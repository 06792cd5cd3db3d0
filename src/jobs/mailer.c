/* SPDX-License-Identifier: MIT */
/* The outbox worker's background thread; each run is ra/mail's mail_send_due.
 * See outbox.h. */
#include <stdint.h>

#include "core/config.h"
#include "core/log.h"
#include "jobs/mailer.h"
#include "jobs/periodic.h"
#include "ra/mail.h"
#include "store/db.h"

int outbox_run_once(struct db *db, const struct config *cfg, int *sent, int *failed,
                    struct sm_err *e)
{
    return mail_send_due(db, cfg, sent, failed, e);
}

/* ---- background thread ---- */

static struct periodic *worker;

static int run_periodic(struct db *db, const struct config *cfg, struct sm_err *e)
{
    return outbox_run_once(db, cfg, NULL, NULL, e);
}

int outbox_worker_start(const struct config *cfg, struct sm_err *e)
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
    return periodic_start("mail", cfg, poll, run_periodic, &worker, e);
}

void outbox_worker_stop(void)
{
    periodic_stop(worker);
    worker = NULL;
}
