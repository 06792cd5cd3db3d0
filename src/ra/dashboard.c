/* SPDX-License-Identifier: MIT */
/* Dashboard and list columns (see dashboard.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/clock.h"
#include "ra/calendar.h"
#include "ra/dashboard.h"
#include "ra/group.h"
#include "ra/order.h"
#include "ra/subscription.h"
#include "store/datagen.h"
#include "store/db.h"
#include "store/orders.h"
#include "store/products.h"

#define QUEUE_LIMIT 1000

static const char *const queue_states[] = {"awaiting_payment", "vetting", "on_hold", "approved"};

static void month_bounds(struct dashboard *d, int64_t now)
{
    int y, m, day;
    clock_tokyo_date((time_t)now, &y, &m, &day);
    d->bounds[0] = now;
    for (int i = 0; i < DASH_MONTHS; i++) {
        d->year[i] = y;
        d->month[i] = m;
        if (++m > 12) {
            m = 1;
            y++;
        }
        d->bounds[i + 1] = calendar_tokyo_midnight(y, m, 1);
    }
}

static const struct product_row *find_product(const struct product_row *v, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

/* The review queue as the officer's queue page counts it: past the completion date
 * (overdue) or refused at issuance; together "needs action". */
static int queue_counts(struct db *db, int64_t now, struct dashboard *d, struct sm_err *e)
{
    struct orders_filter f = {.sort = ORDERS_SORT_AGE, .limit = QUEUE_LIMIT};
    f.scope = ORG_SCOPE_ALL;
    f.states = queue_states;
    f.nstates = 4;
    struct order_row *rows = NULL;
    struct product_row *prods = NULL;
    size_t n = 0, np = 0;
    int rc = orders_list(db, &f, &rows, &n, &d->queue_total, e);
    if (rc == 0)
        rc = products_list(db, 1, &prods, &np, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct product_row *p = find_product(prods, np, rows[i].product_id);
        if (p != NULL && order_overdue(&rows[i], p, (time_t)now))
            d->queue_overdue++;
        if (strcmp(rows[i].state, "approved") == 0 && rows[i].issue_refusal[0] != '\0')
            d->queue_refused++;
    }
    d->queue_action = d->queue_overdue + d->queue_refused;
    order_rows_free(rows, n);
    free(prods);
    return rc;
}

/* ---- the figures' cache (store dashboard_cache) ---- */

/* One entry per scope, and one per group member (viewer > 0), whose figures cover only
 * what they see. */
static void cache_key(const struct user_row *u, int64_t viewer, const struct dashboard *d,
                      char *out, size_t n)
{
    if (u->role == USER_OFFICER || u->role == USER_ADMIN)
        snprintf(out, n, "all:%04d-%02d", d->year[0], d->month[0]);
    else if (viewer > 0)
        snprintf(out, n, "user:%lld:%04d-%02d", (long long)viewer, d->year[0], d->month[0]);
    else
        snprintf(out, n, "org:%d:%lld:%04d-%02d", u->role, (long long)u->org_id, d->year[0],
                 d->month[0]);
}

/* The figures carry the generation of the organization's data they were counted at
 * (store/datagen, issue 12 item 10): cached figures of another generation are counted
 * again, so a change of a certificate or order shows on the next view, not up to
 * DASH_CACHE_SECONDS later. The officers' figures over every organization (gen 0) only
 * age. */
static char *encode(const struct dashboard *d, int64_t gen)
{
    json_t *m = json_array(), *c = json_array();
    for (int i = 0; m != NULL && i < DASH_MONTHS; i++)
        json_array_append_new(m, json_integer(d->months[i]));
    for (size_t i = 0; c != NULL && i < d->ncustomers; i++) {
        const struct dashboard_customer *x = &d->customers[i];
        json_array_append_new(c, json_pack("[I, s, s, I, I, I]", (json_int_t)x->id, x->name_ja,
                                           x->name_en, (json_int_t)x->valid,
                                           (json_int_t)x->expiring, (json_int_t)x->waiting));
    }
    json_t *j = json_pack("{s:o, s:I, s:o, s:I, s:I}", "m", m, "r", (json_int_t)d->renewable, "c",
                          c, "t", (json_int_t)d->figures_at, "g", (json_int_t)gen);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

/* 0, or -1 for a body that is not what encode() writes (then recomputed). */
static int decode(const char *body, int64_t gen, struct dashboard *d)
{
    json_t *j = json_loads(body, 0, NULL), *m = json_object_get(j, "m"),
           *c = json_object_get(j, "c");
    int rc = json_array_size(m) == DASH_MONTHS && json_is_array(c) &&
                     json_integer_value(json_object_get(j, "g")) == gen
                 ? 0
                 : -1;
    for (int i = 0; rc == 0 && i < DASH_MONTHS; i++)
        d->months[i] = json_integer_value(json_array_get(m, (size_t)i));
    d->renewable = json_integer_value(json_object_get(j, "r"));
    d->figures_at = json_integer_value(json_object_get(j, "t"));
    size_t n = rc == 0 ? json_array_size(c) : 0;
    if (n > 0 && (d->customers = calloc(n, sizeof *d->customers)) == NULL)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *x = json_array_get(c, i);
        struct dashboard_customer *y = &d->customers[i];
        y->id = json_integer_value(json_array_get(x, 0));
        snprintf(y->name_ja, sizeof y->name_ja, "%s",
                 json_string_value(json_array_get(x, 1)) ? json_string_value(json_array_get(x, 1))
                                                         : "");
        snprintf(y->name_en, sizeof y->name_en, "%s",
                 json_string_value(json_array_get(x, 2)) ? json_string_value(json_array_get(x, 2))
                                                         : "");
        y->valid = json_integer_value(json_array_get(x, 3));
        y->expiring = json_integer_value(json_array_get(x, 4));
        y->waiting = json_integer_value(json_array_get(x, 5));
    }
    if (rc == 0)
        d->ncustomers = n;
    json_decref(j);
    return rc;
}

/* The figures that scan every certificate in scope: from the cache when fresh, else
 * computed and cached. */
static int figures(struct db *db, const struct user_row *u, const struct org_scope *scope,
                   int64_t now, struct dashboard *d, struct sm_err *e)
{
    char key[96], *body = NULL;
    int64_t gen = 0, viewer = 0;
    struct sm_err ce = {0};
    int rc = group_viewer(db, u, &viewer, e); /* a group member counts what they see */
    if (rc < 0)
        return rc;
    int keyed = u->role == USER_OFFICER || u->role == USER_ADMIN ||
                datagen_get(db, u->org_id, &gen, &ce) == 0;
    cache_key(u, viewer, d, key, sizeof key);
    d->reseller = u->role == USER_RESELLER && u->org_id > 0;
    if (keyed && dashboard_cache_get(db, key, now - DASH_CACHE_SECONDS, &body, &ce) == 0 &&
        decode(body, gen, d) == 0) {
        free(body);
        d->cached = 1;
        return 0;
    }
    free(body);
    free(d->customers);
    d->customers = NULL;
    d->ncustomers = 0;
    rc = dashboard_expiry_months(db, scope, viewer, d->bounds, d->months, e);
    if (rc == 0)
        rc = dashboard_renewable(db, scope, viewer, now, d->renew_until, &d->renewable, e);
    if (rc == 0 && d->reseller)
        rc = dashboard_customers(db, u->org_id, viewer, now, d->renew_until, &d->customers,
                                 &d->ncustomers, e);
    if (rc < 0)
        return rc;
    d->figures_at = now;
    char *s = keyed ? encode(d, gen) : NULL;
    if (s != NULL) /* on failure (a busy database) the next view computes again */
        (void)dashboard_cache_set(db, key, now, s, &ce);
    free(s);
    return 0;
}

int dashboard_load(struct db *db, const struct user_row *u, const struct org_scope *scope,
                   int64_t now, struct dashboard *d, struct sm_err *e)
{
    memset(d, 0, sizeof *d);
    month_bounds(d, now);
    d->renew_until = now + (int64_t)SUB_RENEWAL_WINDOW_DAYS * 86400;
    int rc = figures(db, u, scope, now, d, e);
    if (rc == 0)
        rc = dashboard_waiting(db, scope, DASH_WAITING_SHOWN, &d->waiting, &d->nwaiting,
                               d->waiting_counts, e);
    if (rc == 0 && (u->role == USER_OFFICER || u->role == USER_ADMIN)) {
        d->staff = 1;
        rc = queue_counts(db, now, d, e);
    }
    if (rc < 0)
        dashboard_clear(d);
    return rc;
}

void dashboard_clear(struct dashboard *d)
{
    free(d->waiting);
    free(d->customers);
    d->waiting = NULL;
    d->customers = NULL;
    d->nwaiting = d->ncustomers = 0;
}

/* ---- columns ---- */

static const char *const col_names[CERTCOL__COUNT] = {"dl",     "receipt", "status", "cn",
                                                      "expiry", "product", "org",    "dept",
                                                      "start",  "level",   "serial"};
#define PREF_COLUMNS "certlist.columns"

const char *certcol_name(enum certcol c)
{
    return (unsigned)c < CERTCOL__COUNT ? col_names[c] : "";
}

unsigned certcol_default(void) { return (1u << CERTCOL_LEVEL) - 1; }

static int col_index(const char *s, size_t len)
{
    for (int i = 0; i < CERTCOL__COUNT; i++)
        if (strlen(col_names[i]) == len && strncmp(col_names[i], s, len) == 0)
            return i;
    return -1;
}

unsigned dashboard_columns(struct db *db, int64_t user_id)
{
    char v[USER_PREF_MAX + 1];
    struct sm_err e = {0};
    if (user_prefs_get(db, user_id, PREF_COLUMNS, v, sizeof v, &e) < 0)
        return certcol_default();
    unsigned mask = 0;
    for (const char *s = v; *s;) {
        size_t len = strcspn(s, ",");
        int i = col_index(s, len);
        if (i >= 0)
            mask |= 1u << i;
        s += len;
        if (*s == ',')
            s++;
    }
    return mask ? mask : certcol_default();
}

int dashboard_set_columns(struct db *db, int64_t user_id, const char *const *names, size_t n,
                          int64_t now, struct sm_err *e)
{
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        int k = names[i] ? col_index(names[i], strlen(names[i])) : -1;
        if (k < 0)
            return sm_err_set(e, SM_E_INVALID, "columns", "unknown column");
        mask |= 1u << k;
    }
    if (mask == 0)
        return sm_err_set(e, SM_E_INVALID, "columns", "no column chosen");
    struct buf b = BUF_INIT;
    int rc = 0;
    for (int i = 0; rc == 0 && i < CERTCOL__COUNT; i++)
        if (mask & (1u << i))
            rc = buf_printf(&b, "%s%s", b.len ? "," : "", col_names[i]);
    if (rc < 0) {
        buf_free(&b);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    if ((rc = db_begin(db, e)) == 0) {
        rc = user_prefs_set(db, user_id, PREF_COLUMNS, b.p, now, e);
        if (rc == 0)
            rc = db_commit(db, e);
        if (rc < 0)
            db_rollback(db);
    }
    buf_free(&b);
    return rc;
}
