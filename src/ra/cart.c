/* SPDX-License-Identifier: MIT */
/* The cart (see cart.h). */
#include "ra/cart.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/audit.h"
#include "store/db.h"

int cart_item_complete(const struct cart_row *c)
{
    return c->order_id > 0 && c->order_state[0] != '\0' && strcmp(c->order_state, "cancelled") != 0;
}

static int audit(const struct order_env *env, const struct order_actor *who, const char *action,
                 int64_t id, json_t *d, struct sm_err *e)
{
    char actor[32], object[48];
    order_actor_name(who, actor, sizeof actor);
    snprintf(object, sizeof object, "cart_item:%lld", (long long)id);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (detail == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = audit_append_from(env->db, actor, env->client_ip, action, object, detail, e);
    free(detail);
    return rc;
}

static int finish(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0)
        return db_commit(db, e);
    db_rollback(db);
    return rc;
}

int cart_add(const struct order_env *env, const struct order_actor *who, int64_t org_id,
             const char *product, int64_t sans, const char *domain, int64_t *id, struct sm_err *e)
{
    if (!who->scope.all && !org_scope_has(&who->scope, org_id))
        return sm_err_set(e, SM_E_INVALID, "org_id", "no such organization");
    if (domain == NULL)
        domain = "";
    if (strlen(domain) > CART_DOMAIN_MAX)
        return sm_err_set(e, SM_E_INVALID, "domain", "at most %d characters", CART_DOMAIN_MAX);
    for (const char *c = domain; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return sm_err_set(e, SM_E_INVALID, "domain", "no control characters");
    struct product_row p;
    int rc = product != NULL ? products_get_by_code(env->db, product, &p, e) : -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND || (rc == 0 && !p.active))
        return sm_err_set(e, SM_E_INVALID, "product", "no active product");
    if (rc < 0)
        return rc;
    if (sans < 1 || sans > p.sans_max)
        return sm_err_set(e, SM_E_INVALID, "sans", "names 1..%d for %s", p.sans_max, p.code);
    rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    struct cart_row *v = NULL;
    size_t n = 0;
    rc = cart_list(env->db, who->user_id, &v, &n, e);
    free(v);
    if (rc == 0 && n >= CART_MAX_ITEMS)
        rc = sm_err_set(e, SM_E_INVALID, "cart", "at most %d items", CART_MAX_ITEMS);
    struct cart_row c = {.org_id = org_id,
                         .user_id = who->user_id,
                         .product_id = p.id,
                         .sans = sans,
                         .created_at = clock_now()};
    snprintf(c.domain, sizeof c.domain, "%s", domain);
    if (rc == 0)
        rc = cart_insert(env->db, &c, id, e);
    if (rc == 0)
        rc = audit(env, who, "cart.add", *id,
                   json_pack("{s:s, s:I, s:s}", "product", p.code, "sans", (json_int_t)sans,
                             "domain", domain),
                   e);
    return finish(env->db, rc, e);
}

int cart_remove(const struct order_env *env, const struct order_actor *who, int64_t id,
                struct sm_err *e)
{
    int rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    rc = cart_delete(env->db, id, who->user_id, e);
    if (rc == 0)
        rc = audit(env, who, "cart.remove", id, json_object(), e);
    return finish(env->db, rc, e);
}

int cart_attach(const struct order_env *env, const struct order_actor *who, int64_t id,
                int64_t order_id, struct sm_err *e)
{
    int rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    struct cart_row c;
    struct order_row *o = NULL;
    rc = cart_get(env->db, id, who->user_id, &c, e);
    if (rc == 0)
        rc = orders_get(env->db, order_id, &who->scope, &o, e);
    if (rc == 0 &&
        (o->org_id != c.org_id || o->product_id != c.product_id || strcmp(o->state, "draft") != 0))
        rc = sm_err_set(e, SM_E_CONFLICT, "cart", "order %s does not fit the item", o->receipt_no);
    if (rc == 0)
        rc = cart_set_order(env->db, id, who->user_id, order_id, e);
    if (rc == 0)
        rc = audit(env, who, "cart.complete", id, json_pack("{s:s}", "receipt_no", o->receipt_no),
                   e);
    order_row_free(o);
    return finish(env->db, rc, e);
}

int cart_checkout(const struct order_env *env, const struct order_actor *who, size_t *submitted,
                  struct sm_err *e)
{
    *submitted = 0;
    struct cart_row *v = NULL;
    size_t n = 0;
    int rc = cart_list(env->db, who->user_id, &v, &n, e);
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "cart", "the cart is empty");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!cart_item_complete(&v[i]))
            rc = sm_err_set(e, SM_E_CONFLICT, "cart", "item %zu is not complete", i + 1);
    /* every item is complete: submit the drafts, each in its transaction */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(v[i].order_state, "draft") == 0) {
            rc = order_submit(env, who, v[i].order_id, 0, e);
            if (rc == 0)
                (*submitted)++;
        }
        if (rc == 0)
            rc = cart_remove(env, who, v[i].id, e);
    }
    free(v);
    return rc;
}
