/* SPDX-License-Identifier: MIT */
/* The runner of the jobs table (R-SCL-1): claims a due job of its kinds with a lease
 * (store/jobs.h), runs the kind's function, then completes it (next run after its period,
 * or done) or reschedules it with back-off. While a job runs a heartbeat thread renews the
 * lease every third of its length, so a long run keeps its job and a dead process loses
 * it once the lease runs out. Several processes on one database never run one job at
 * once. Each runner has its own database connections; its threads block every signal so
 * SIGINT and SIGTERM reach the thread that waits for them. */
#ifndef SM_JOBS_RUNNER_H
#define SM_JOBS_RUNNER_H
#include <stdint.h>

#include "core/err.h"

struct config;
struct db;
struct job_row;
struct jobs_runner;

/* One run of a job; a negative return reschedules it with back-off and records
 * e->detail as its last error. Must be safe to run again after a crash half-way. */
typedef int (*job_fn)(struct db *db, const struct config *cfg, const struct job_row *job,
                      struct sm_err *e);

#define JOBS_RUNNER_MAX_KINDS 8

/* A runner for cfg (must outlive the runner), named name in logs. The lease is [jobs]
 * lease_seconds. The owner name is "host/pid/start". Free with jobs_runner_free. */
int jobs_runner_new(const char *name, const struct config *cfg, struct jobs_runner **out,
                    struct sm_err *e);
/* Registers kind ([a-z0-9.-]) run by fn. every_seconds > 0: a recurring job (key "")
 * that jobs_runner_ensure creates; 0: one-shot jobs of that kind, created by the change
 * that calls for them (jobs_ensure with their key and date). Before jobs_runner_start. */
int jobs_runner_add(struct jobs_runner *r, const char *kind, int64_t every_seconds, job_fn fn,
                    struct sm_err *e);
/* Creates the rows of the registered recurring kinds (jobs_ensure, due now) on db. */
int jobs_runner_ensure(const struct jobs_runner *r, struct db *db, struct sm_err *e);
/* Claims and runs due jobs of the registered kinds one after another on db, at most max,
 * at wall-clock time; *ran (may be NULL) counts the runs. Failed runs are rescheduled,
 * not returned as errors; database errors stop the pass. For tests and the thread. */
int jobs_runner_run_due(struct jobs_runner *r, struct db *db, int max, int *ran, struct sm_err *e);
/* Creates the rows and starts the worker and heartbeat threads, each with its own
 * connection to [database] url. -SM_E_CONFLICT when already started. */
int jobs_runner_start(struct jobs_runner *r, struct sm_err *e);
/* A runner named name with the one recurring kind (every_seconds, fn), started: new, add
 * and start in one. *out receives it (caller frees with jobs_runner_free); on failure
 * nothing is left running and *out is untouched. */
int jobs_runner_start_one(const char *name, const struct config *cfg, const char *kind,
                          int64_t every_seconds, job_fn fn, struct jobs_runner **out,
                          struct sm_err *e);
/* Stops the threads (a run in progress finishes first) and frees r. NULL is a no-op. */
void jobs_runner_free(struct jobs_runner *r);
/* "host/pid/start" of this process. */
const char *jobs_runner_owner(const struct jobs_runner *r);

#endif
