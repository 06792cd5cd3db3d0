/* SPDX-License-Identifier: MIT */
/* R-MNG-5: changing the notification addresses of an order (see notifyaddr.h). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/text.h"
#include "ra/notifyaddr.h"
#include "store/orders.h"
#include "store/subscriptions.h"

struct notify_arg {
    const char *to[3];
    int changed;
};

static json_t *list_of(const char *const a[3])
{
    json_t *j = json_array();
    for (int i = 0; j != NULL && i < 3; i++)
        if (a[i] != NULL && a[i][0] != '\0')
            json_array_append_new(j, json_string(a[i]));
    return j;
}

static int same(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* Adds order id to ids (no repeats); ids has room for n + 1. */
static void add_id(int64_t *ids, size_t *n, int64_t id)
{
    for (size_t i = 0; i < *n; i++)
        if (ids[i] == id)
            return;
    ids[(*n)++] = id;
}

static int do_set(const struct order_env *env, const struct order_actor *who, struct order_row *o,
                  void *arg, struct sm_err *e)
{
    struct notify_arg *na = arg;
    const char *from[3] = {o->notify_email[0], o->notify_email[1], o->notify_email[2]};
    if (same(from[0], na->to[0]) && same(from[1], na->to[1]) && same(from[2], na->to[2]))
        return 0;
    /* the orders of the subscription the order belongs to (as its certificate or its
     * renewal in progress), else the order alone */
    struct subscription_row s = {0};
    struct subscription_cert_row *l = NULL;
    size_t nl = 0;
    int rc = subscriptions_get_by_order(env->db, o->id, &s, NULL, e);
    if (rc == -SM_E_NOTFOUND)
        rc = subscriptions_get_by_renewal(env->db, o->id, &s, e);
    if (rc == 0)
        rc = subscription_certs_list(env->db, s.id, &l, &nl, e);
    else if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        rc = 0;
        s.id = 0;
    }
    int64_t *ids = rc == 0 ? calloc(nl + 2, sizeof *ids) : NULL;
    size_t n = 0;
    if (rc == 0 && ids == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0) {
        add_id(ids, &n, o->id);
        for (size_t i = 0; i < nl; i++)
            add_id(ids, &n, l[i].order_id);
        if (s.id > 0 && s.renewal_order_id > 0)
            add_id(ids, &n, s.renewal_order_id);
    }
    time_t now = clock_now();
    json_t *orders = json_array();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = orders_set_notify(env->db, ids[i], na->to, (int64_t)now, e);
        json_array_append_new(orders, json_integer((json_int_t)ids[i]));
    }
    json_t *d = json_pack("{s:o, s:o, s:o}", "from", list_of(from), "to", list_of(na->to), "orders",
                          orders);
    if (rc == 0)
        rc = d != NULL ? order_audit(env, who, o, "order.notify_changed", d, e)
                       : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    json_decref(d);
    free(ids);
    free(l);
    na->changed = rc == 0;
    return rc;
}

int order_set_notify_emails(const struct order_env *env, const struct order_actor *who,
                            int64_t order_id, const char *const emails[3], int *changed,
                            struct sm_err *e)
{
    static const char *const fields[3] = {"notify_email1", "notify_email2", "notify_email3"};
    struct notify_arg na = {{NULL, NULL, NULL}, 0};
    size_t n = 0;
    if (changed != NULL)
        *changed = 0;
    for (int i = 0; i < 3; i++) {
        const char *a = emails ? emails[i] : NULL;
        if (a == NULL || a[0] == '\0')
            continue;
        if (!text_email_ok(a, 0))
            return sm_err_set(e, SM_E_INVALID, fields[i], "%s", a);
        int dup = 0;
        for (size_t k = 0; k < n; k++)
            dup |= strcasecmp(na.to[k], a) == 0;
        if (!dup)
            na.to[n++] = a;
    }
    if (n == 0)
        return sm_err_set(e, SM_E_INVALID, "notify_email1", "%s", "");
    int rc = order_with(env, who, order_id, 0, do_set, &na, e);
    if (rc == 0 && changed != NULL)
        *changed = na.changed;
    return rc;
}
