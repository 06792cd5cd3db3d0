/* SPDX-License-Identifier: MIT */
/* The RA context built once at start (see context.h). */
#include <string.h>

#include "ra/context.h"
#include "ra/notice.h"

int ra_ctx_init(struct ra_ctx *c, const struct config *cfg, struct sm_err *e)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    notice_hooks_init(&c->hooks, cfg);
    return order_env_init(&c->env, NULL, &c->hooks, cfg, &c->maint, e);
}

struct order_env ra_env(const struct ra_ctx *c, struct db *db)
{
    struct order_env env = c->env;
    env.db = db;
    return env;
}
