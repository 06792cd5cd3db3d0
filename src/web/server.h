/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd with an internal epoll thread pool. Accumulates request
 * bodies up to [server] max_body (413 past it), routes through the route table, parses
 * forms and checks CSRF before a handler runs, writes one access-log line per request. */
#ifndef SM_WEB_SERVER_H
#define SM_WEB_SERVER_H
#include "core/config.h"
#include "core/err.h"

struct ra_ctx;

/* Serves with the settings of cfg ([server] bind, port, threads, max_body,
 * secure_cookies; HTTPS with tls_cert and tls_key, checked before listening) until SIGINT
 * or SIGTERM, handing handlers the RA context ra (built once by the caller from cfg; both
 * outlive the server). Prints "shomei serving on http(s)://HOST:PORT" on stdout once
 * listening. Creates DIR/secret.key when missing. 0
 * after a clean stop. */
int server_run(struct config *cfg, const struct ra_ctx *ra, struct sm_err *e);

#endif
