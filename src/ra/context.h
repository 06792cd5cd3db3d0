/* SPDX-License-Identifier: MIT */
/* The RA context: what every ra/ action needs from the configuration (the maintenance
 * window, upload limit, payment secret) and the notice hooks that queue mails in the
 * transaction of a change. Built once at server start by the composition root
 * (cli/cmd_serve.c) and shared read-only by the request threads and the jobs; a request or
 * job takes its order environment with ra_env and its own database connection. */
#ifndef SM_RA_CONTEXT_H
#define SM_RA_CONTEXT_H
#include "core/err.h"
#include "ra/maint.h"
#include "ra/order.h"

struct config;
struct db;

struct ra_ctx {
    const struct config *cfg; /* not owned; outlives the context */
    struct maint_policy maint;
    struct order_hooks hooks; /* ra/notice */
    struct order_env env;     /* env.db NULL; maint and hooks point into this struct */
};

/* Fills c from cfg. c must not move afterwards (env points into it). 0, or
 * -SM_E_CONFIG naming the bad setting. */
int ra_ctx_init(struct ra_ctx *c, const struct config *cfg, struct sm_err *e);
/* The order environment of c on connection db. */
struct order_env ra_env(const struct ra_ctx *c, struct db *db);

#endif
