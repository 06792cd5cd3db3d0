/* SPDX-License-Identifier: MIT */
/* The RA context of a logged-in portal or API request: the request's database, the
 * order environment (the server's RA context, built once at start: maintenance window,
 * the notice hooks that queue mails in the same transaction) and the acting user with the
 * organizations it may see.
 * Handlers of orders, vetting and certificates build it first, then call ra/. */
#ifndef SM_WEB_PORTAL_H
#define SM_WEB_PORTAL_H
#include <stddef.h>
#include <stdint.h>
#include "ra/maint.h"
#include "ra/order.h"
#include "store/orders.h"
#include "store/users.h"

struct req;
struct db;

struct portal {
    struct db *db;               /* the request's connection (not owned) */
    const struct user_row *user; /* the logged-in user (not owned) */
    struct order_env env;        /* the server's RA context (ra_env) on db */
    struct order_actor who;      /* user id + orders scope */
    int64_t *org_ids;            /* owned: the scope's organization ids (not for officers) */
    size_t norgs;
};

/* Fills p for request r. 0, or negative after answering (401/503/500): the handler then
 * just returns. Free with portal_clear (also after a failure). */
int portal_or_reply(struct req *r, struct portal *p);
void portal_clear(struct portal *p);
/* An amount of yen with thousands separators ("60,000"). */
void portal_yen(int64_t v, char *out, size_t n);
/* 1 for officer and admin users (CA staff). */
int portal_is_staff(const struct portal *p);

#endif
