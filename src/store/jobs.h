/* SPDX-License-Identifier: MIT */
/* The jobs table (migration 0011_jobs.sql, R-SCL-1): durable scheduled work claimed by one
 * process at a time with a lease. A claim is one atomic statement, so two processes on one
 * database never hold the same job; a process that dies stops renewing and its job is
 * claimed again once the lease runs out. Times are UTC seconds passed in by the caller
 * (the runner uses the wall clock: leases are about processes, not business dates).
 * All SQL for jobs lives here; jobs/runner.c claims and runs them, ra/ schedules one-shot
 * jobs in the transaction of the change that calls for them (jobs_ensure, jobs_rearm). */
#ifndef SM_STORE_JOBS_H
#define SM_STORE_JOBS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define JOBS_MAX_KIND  64
#define JOBS_MAX_KEY   200
#define JOBS_MAX_ERROR 1000 /* bytes of last_error kept */

/* A stored job. Every pointer is owned by the row (NULL when the column is NULL). */
struct job_row {
    int64_t id;
    char *kind, *key;
    int64_t every_seconds, next_run_at;
    char *owner; /* the last process that claimed it */
    int64_t lease_until, attempts;
    char *last_error;
    int64_t runs, last_run_at, done, created_at;
};
void job_row_clear(struct job_row *r);              /* frees the members, zeroes r */
void job_rows_free(struct job_row *rows, size_t n); /* an array from jobs_list */

/* Creates job (kind, key) due at first_run_at unless it exists; an existing row only
 * takes the new every_seconds (0 = one-shot). Several processes may call it at once.
 * Works inside or outside a transaction (a one-shot job scheduled by a change goes in
 * the change's transaction). -SM_E_INVALID naming the field for an empty or too long
 * kind, a too long key, or every_seconds < 0. */
int jobs_ensure(struct db *db, const char *kind, const char *key, int64_t every_seconds,
                int64_t first_run_at, struct sm_err *e);

/* Schedules one-shot job (kind, key) due at run_at: creates it, or makes an ended one
 * (done = 1) due again with attempts and last_error reset. A job that has not ended
 * (queued, running, or waiting to be retried) is left untouched, so a key never has two
 * runs at once and a retry keeps its back-off. Works inside a transaction. */
int jobs_rearm(struct db *db, const char *kind, const char *key, int64_t run_at, struct sm_err *e);

/* Claims one job that is not done, due (next_run_at <= now) and free (lease_until < now),
 * of one of the kinds in kinds (a comma list, e.g. "mail.send,vetting.sweep"), oldest due
 * first: owner and lease_until = now + lease_seconds are set in one atomic statement
 * (PostgreSQL: the row is picked FOR UPDATE SKIP LOCKED; SQLite: inside BEGIN IMMEDIATE).
 * Returns 1 with *out filled (clear it with job_row_clear), 0 when nothing is due, or a
 * negative error. Must run outside a transaction (-SM_E_INTERNAL otherwise). */
int jobs_claim(struct db *db, const char *owner, const char *kinds, int64_t now,
               int64_t lease_seconds, struct job_row *out, struct sm_err *e);

/* Takes job (kind, key) for owner with a lease of lease_seconds from now when it is not
 * done and free, whether or not it is due: the work a request does at once (an ACME
 * finalize issuing inside the request) is then that job's run, and no runner claims it
 * meanwhile; a process that dies loses it when the lease runs out. Works inside a
 * transaction (held from its commit on). Returns 1 with *id set, 0 when the job is done,
 * held by another owner or absent, or a negative error. */
int jobs_hold(struct db *db, const char *kind, const char *key, const char *owner, int64_t now,
              int64_t lease_seconds, int64_t *id, struct sm_err *e);

/* Extends the lease of a job owner holds to lease_until. -SM_E_CONFLICT when owner no
 * longer holds it (another process took it over): the caller should stop and change
 * nothing more. */
int jobs_renew(struct db *db, int64_t id, const char *owner, int64_t lease_until, struct sm_err *e);

/* Records a completed run at now of a job owner holds and releases the lease: runs + 1,
 * attempts and last_error reset; next_run_at = next_run_at, or done = 1 when
 * next_run_at is 0 (a one-shot job). -SM_E_CONFLICT when owner no longer holds it. */
int jobs_complete(struct db *db, int64_t id, const char *owner, int64_t now, int64_t next_run_at,
                  struct sm_err *e);

/* Records a failed run of a job owner holds and releases the lease: attempts + 1,
 * last_error (cut to JOBS_MAX_ERROR bytes), next_run_at. -SM_E_CONFLICT when owner no
 * longer holds it. */
int jobs_fail(struct db *db, int64_t id, const char *owner, const char *error, int64_t next_run_at,
              struct sm_err *e);

/* Seconds to wait after the attempts-th failure in a row of a job run every
 * every_seconds (0 = one-shot, counted as 30): the period doubled per failure, never less
 * than the period, at most 3600 (or the period when that is longer). */
int64_t jobs_backoff(int64_t every_seconds, int64_t attempts);

/* Job (kind, key) into *out (clear with job_row_clear); -SM_E_NOTFOUND when absent. */
int jobs_get(struct db *db, const char *kind, const char *key, struct job_row *out,
             struct sm_err *e);
/* Every job, by id. *rows (free with job_rows_free) may be empty. */
int jobs_list(struct db *db, struct job_row **rows, size_t *n, struct sm_err *e);

#endif
