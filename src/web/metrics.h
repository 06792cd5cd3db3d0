/* SPDX-License-Identifier: MIT */
/* The metrics listener (R-OPS-1): [metrics] listen names a second address of the server
 * that answers GET /metrics, and nothing else, in the Prometheus text format: the
 * process counters of core/metrics and, read at each scrape, the figures of the shared
 * database (store/opsstats). Only the addresses of [metrics] allow get an answer (403
 * otherwise); the port is never the public one, so the load balancer does not pass it. */
#ifndef SM_WEB_METRICS_H
#define SM_WEB_METRICS_H
#include "core/err.h"

struct config;
struct dbpool;
struct metrics_server;

/* Starts the listener when [metrics] listen is set (*out stays NULL when it is not). */
int metrics_server_start(const struct config *cfg, struct dbpool *pool, struct metrics_server **out,
                         struct sm_err *e);
void metrics_server_stop(struct metrics_server *m);

#endif
