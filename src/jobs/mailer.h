/* SPDX-License-Identifier: MIT */
/* The outbox worker (R-NOT-1, R-SCL-1): runs ra/mail's mail_send_due (claim due mails with
 * a lease, render, send, mark sent or failed). One-shot for the CLI and tests, or job
 * "mail.send" of the jobs table (jobs/runner.h) for shomei serve and shomei mail run, so
 * that one process at a time sends. */
#ifndef SM_JOBS_MAILER_H
#define SM_JOBS_MAILER_H

#include "core/err.h"

struct config;
struct db;

/* Sends every mail due now (in batches of [mail] batch) once. *sent and *failed (may be
 * NULL) count this run's deliveries and failed attempts (a mail that cannot be rendered
 * is dead at once). -SM_E_CONFIG when [mail] is not enabled or invalid; database errors
 * stop the run (claimed mails are retried after their lease). */
int mailer_run_once(struct db *db, const struct config *cfg, int *sent, int *failed,
                    struct sm_err *e);

#define MAILER_JOB_KIND "mail.send"

/* Starts the background worker: a jobs runner (own connections to [database] url) that
 * runs job "mail.send" with mailer_run_once every [mail] poll_seconds, whichever process
 * on the database claims it, until mailer_worker_stop().
 * cfg must stay valid until mailer_worker_stop() returns. When [mail] enabled is false it
 * starts nothing and returns 0. -SM_E_CONFLICT when already running. */
int mailer_worker_start(const struct config *cfg, struct sm_err *e);
/* Stops the worker and waits for it (a delivery in progress finishes first). Safe to
 * call when not running. */
void mailer_worker_stop(void);

#endif
