/* SPDX-License-Identifier: MIT */
/* Process counters for /metrics (R-OPS-1): the Prometheus text format (version 0.0.4).
 * Every counter lives in process memory and moves with C11 atomics, so any thread counts
 * without a lock; a new label set takes a slot of a fixed table once (first use). Values
 * read from the database (outbox depth, job lag, CRL age) are not kept here: the scrape
 * computes them and hands them to metrics_render as ready text. Each node counts its own
 * work; Prometheus scrapes each node ([metrics] listen) and sums. */
#ifndef SM_METRICS_H
#define SM_METRICS_H
#include <stdint.h>

#include "core/buf.h"

enum metric_family {
    MF_ISSUANCE,         /* shomei_issuance_total{result} */
    MF_ISSUANCE_SECONDS, /* shomei_issuance_seconds histogram */
    MF_DCV,              /* shomei_dcv_checks_total{method,outcome} */
    MF_CAA,              /* shomei_caa_checks_total{outcome} */
    MF_HTTP,             /* shomei_http_responses_total{route,method,status} */
    MF_DB_WAITS,         /* shomei_db_pool_waits_total: acquisitions that had to wait */
    MF_DB_WAIT_SECONDS,  /* shomei_db_pool_wait_seconds_total */
    MF_DB_TIMEOUTS,      /* shomei_db_pool_timeouts_total */
    MF_OCSP,             /* shomei_ocsp_responses_total{source} */
    MF_JOBS,             /* shomei_jobs_runs_total{kind,result} */
    MF_MPIC,             /* shomei_mpic_attempts_total{kind,outcome}: pass, fail */
    MF_MPIC_ANSWERS,     /* shomei_mpic_perspective_answers_total{perspective,result} */
    MF_PAGE_CACHE,       /* shomei_page_cache_total{page,result}: hit, miss (web/pagecache) */
    MF__COUNT
};

/* labels: the text between the braces, e.g. `method="dns",outcome="ok"`, or "" / NULL.
 * Values must be escaped already (metrics_label_value). A label set that finds no free
 * slot is counted in shomei_metrics_dropped_total. */
void metrics_add(enum metric_family f, const char *labels, uint64_t n);
static inline void metrics_count(enum metric_family f, const char *labels)
{
    metrics_add(f, labels, 1);
}
/* Seconds into a counter of seconds (kept in microseconds). */
void metrics_add_seconds(enum metric_family f, const char *labels, double seconds);
/* One observation of a histogram family (buckets 5 ms .. 30 s). */
void metrics_observe(enum metric_family f, const char *labels, double seconds);
/* Copies s into out (n bytes) with \ " and newline escaped for a label value. */
void metrics_label_value(char *out, size_t n, const char *s);
/* Appends every family (HELP, TYPE, samples) to out, then extra (gauges computed by the
 * caller, already in the format). 0 or -SM_E_NOMEM. */
int metrics_render(struct buf *out, const char *extra);
/* Seconds since an arbitrary start (CLOCK_MONOTONIC), for latencies. */
double metrics_now(void);

#endif
