/* SPDX-License-Identifier: MIT */
/* The cart_items table (R-CRT-1): a user's cart. Every read and change is keyed by the user
 * who owns the item, so another user's item is not found. An item is complete when its
 * order_id names a draft order (the application registered). All SQL for the table lives
 * here; the rules are in ra/cart. Writes run in the caller's transaction. */
#ifndef SM_CART_H
#define SM_CART_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/scope.h"

struct db;

#define CART_MAX_ITEMS  50
#define CART_DOMAIN_MAX 253

struct cart_row {
    int64_t id, org_id, user_id, product_id;
    int64_t sans;
    char domain[CART_DOMAIN_MAX + 1];
    int64_t order_id; /* 0 = application not registered yet */
    int64_t created_at;
    char order_state[24]; /* state of order_id, "" when none */
    char receipt_no[32];  /* of order_id, "" when none */
};

int cart_insert(struct db *db, const struct cart_row *c, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when user_id has no item id. */
int cart_delete(struct db *db, int64_t id, int64_t user_id, struct sm_err *e);
int cart_set_order(struct db *db, int64_t id, int64_t user_id, int64_t order_id, struct sm_err *e);
int cart_get(struct db *db, int64_t id, int64_t user_id, struct cart_row *out, struct sm_err *e);
/* The items of user_id, oldest first. *rows malloc'd (free()), NULL when none. */
int cart_list(struct db *db, int64_t user_id, struct cart_row **rows, size_t *n, struct sm_err *e);

/* R-CRT-1: how many active subscriptions inside scope end within (now, until] and have no
 * renewal under way: the certificates renewable now, shown beside the cart. */
int cart_count_renewable(struct db *db, const struct org_scope *scope, int64_t now, int64_t until,
                         int64_t *count, struct sm_err *e);

#endif
