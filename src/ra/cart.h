/* SPDX-License-Identifier: MIT */
/* The cart (R-CRT-1): a user collects items (product, names, a domain) before ordering.
 * An item is complete (登録済み) once its application is registered as a draft order
 * through the wizard (cart_attach); the cart is ordered (every draft submitted) only when
 * every item is complete. The cart shows how many certificates are renewable now, and the
 * whole cart can be quoted (ra/quote). Items belong to the user; another user's item is
 * -SM_E_NOTFOUND. */
#ifndef SM_RA_CART_H
#define SM_RA_CART_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ra/order.h"
#include "store/cart.h"

/* 1 when the item's application is registered (a draft order) or already ordered. */
int cart_item_complete(const struct cart_row *c);

/* Adds an item for organization org_id (in who's scope): product code of an active
 * product, sans 1..its sans_max, domain at most CART_DOMAIN_MAX characters. Errors name
 * the field ("product", "sans", "domain", "org_id", "cart" when full); nothing added. */
int cart_add(const struct order_env *env, const struct order_actor *who, int64_t org_id,
             const char *product, int64_t sans, const char *domain, int64_t *id, struct sm_err *e);
/* Removes item id of the user (its draft order, if any, stays a draft). */
int cart_remove(const struct order_env *env, const struct order_actor *who, int64_t id,
                struct sm_err *e);
/* Marks item id complete with the draft order order_id (of the same organization and
 * product, in who's scope). */
int cart_attach(const struct order_env *env, const struct order_actor *who, int64_t id,
                int64_t order_id, struct sm_err *e);
/* Orders the cart: refused with -SM_E_CONFLICT field "cart" (nothing submitted) when it is
 * empty or an item is not complete; else submits every draft and empties the cart.
 * *submitted gets the count. */
int cart_checkout(const struct order_env *env, const struct order_actor *who, size_t *submitted,
                  struct sm_err *e);

#endif
