/* SPDX-License-Identifier: MIT */
/* Background work of shomei serve: a thread with its own database connection that runs
 * one job function every poll seconds until stopped. The thread blocks every signal so
 * SIGINT and SIGTERM reach the thread that waits for them. */
#ifndef SM_JOBS_PERIODIC_H
#define SM_JOBS_PERIODIC_H
#include <stdint.h>
#include "core/err.h"

struct config;
struct db;
struct periodic;

/* One run of the job; errors are logged by the worker, which keeps going. */
typedef int (*periodic_fn)(struct db *db, const struct config *cfg, struct sm_err *e);

/* Starts the thread; cfg must outlive periodic_stop. name is for logs. */
int periodic_start(const char *name, const struct config *cfg, int64_t poll_seconds, periodic_fn fn,
                   struct periodic **out, struct sm_err *e);
/* Stops the thread and waits for a run in progress; frees p. NULL is a no-op. */
void periodic_stop(struct periodic *p);

#endif
