/* SPDX-License-Identifier: MIT */
/* GET /dashboard (R-MNG-1) per role: certificates expiring per month for the next twelve
 * months as a bar chart drawn on the server (inline SVG through the template, every value
 * escaped; no script) with the same numbers as a table beside it, each month linking to
 * the list filtered to it; the renewable count; the orders waiting for the customer
 * (unpaid, documents asked, DCV not done) with links; a reseller's customers with their
 * counts; the officer's queue counts. Thin: ra/dashboard gathers, this renders.
 * Unfinished cart items (R-CRT-1) are a section of their own, read apart from
 * dashboard_load (and its cache) by commerce_cart_unfinished in h_quotes.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/dashboard.h"
#include "web/h_commerce.h"
#include "web/h_mng.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/pagecache.h"
#include "web/portal.h"

#define CHART_W    640
#define CHART_H    220
#define CHART_TOP  24  /* room for the count above the tallest bar */
#define CHART_BASE 190 /* y of the axis */
#define CHART_SLOT 50  /* x distance of the bars */
#define CHART_BAR  34
#define CHART_LEFT 20

static void day_of(int64_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static json_t *months_json(const struct req *r, const struct dashboard *d, int64_t *total)
{
    int64_t max = 0;
    *total = 0;
    for (int i = 0; i < DASH_MONTHS; i++) {
        if (d->months[i] > max)
            max = d->months[i];
        *total += d->months[i];
    }
    json_t *a = json_array();
    int en = strcmp(r->lang, "en") == 0;
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; a != NULL && i < DASH_MONTHS; i++) {
        char label[32], full[32], from[16], to[16], url[96], x[24], y[24], h[24], tx[24], ty[24];
        if (en) {
            snprintf(label, sizeof label, "%s", mon[d->month[i] - 1]);
            snprintf(full, sizeof full, "%s %d", mon[d->month[i] - 1], d->year[i]);
        } else {
            snprintf(label, sizeof label, "%d月", d->month[i]);
            snprintf(full, sizeof full, "%d年%d月", d->year[i], d->month[i]);
        }
        day_of(d->bounds[i], from, sizeof from);
        day_of(d->bounds[i + 1] - 1, to, sizeof to);
        snprintf(url, sizeof url, "/certificates?state=valid&from=%s&to=%s", from, to);
        int64_t height = max > 0 ? d->months[i] * (CHART_BASE - CHART_TOP) / max : 0;
        if (d->months[i] > 0 && height < 2)
            height = 2;
        int bx = CHART_LEFT + i * CHART_SLOT;
        snprintf(x, sizeof x, "%d", bx);
        snprintf(y, sizeof y, "%lld", (long long)(CHART_BASE - height));
        snprintf(h, sizeof h, "%lld", (long long)height);
        snprintf(tx, sizeof tx, "%d", bx + CHART_BAR / 2);
        snprintf(ty, sizeof ty, "%lld", (long long)(CHART_BASE - height - 6));
        char count[24];
        snprintf(count, sizeof count, "%lld", (long long)d->months[i]);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
                                           "label", label, "full", full, "count", count, "url", url,
                                           "x", x, "y", y, "h", h, "tx", tx, "ty", ty, "some",
                                           d->months[i] > 0));
    }
    return a;
}

static json_t *waiting_json(const struct req *r, const struct dashboard *d)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < d->nwaiting; i++) {
        const struct dashboard_order *o = &d->waiting[i];
        char key[40], url[48];
        snprintf(key, sizeof key, "dash.waiting.%s", o->reason);
        snprintf(url, sizeof url, "/orders/%lld", (long long)o->id);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "receipt_no", o->receipt_no,
                                           "cn", o->cn, "reason", o->reason, "reason_label",
                                           i18n_text(r->lang, key), "url", url));
    }
    return a;
}

static json_t *customers_json(const struct req *r, const struct dashboard *d)
{
    json_t *a = json_array();
    int en = strcmp(r->lang, "en") == 0;
    for (size_t i = 0; a != NULL && i < d->ncustomers; i++) {
        const struct dashboard_customer *c = &d->customers[i];
        char url[48];
        snprintf(url, sizeof url, "/certificates?org=%lld", (long long)c->id);
        json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I}", "name",
                                           en && c->name_en[0] ? c->name_en : c->name_ja, "url",
                                           url, "valid", (json_int_t)c->valid, "expiring",
                                           (json_int_t)c->expiring, "waiting",
                                           (json_int_t)c->waiting));
    }
    return a;
}

void h_dashboard(struct req *r)
{
    struct portal p;
    struct dashboard d = {0};
    struct sm_err e = {0};
    struct pagecache_ticket t = {0};
    memset(&p, 0, sizeof p);
    if (pagecache_try(r, "dashboard", &t) == 1) /* issue 12 item 10 */
        goto out;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    int64_t now = clock_now();
    if (dashboard_load(p.db, p.user, &p.who.scope, now, &d, &e) < 0) {
        log_error("dashboard", "code", sm_err_name(e.code), "detail", e.detail);
        http_reply_err(r, &e);
        goto out;
    }
    int64_t total = 0;
    json_t *months = months_json(r, &d, &total);
    char until[16], renew_url[80];
    day_of(d.renew_until - 1, until, sizeof until);
    snprintf(renew_url, sizeof renew_url, "/certificates?state=valid&to=%s", until);
    json_t *data = json_pack(
        "{s:s, s:s, s:o, s:I, s:I, s:s, s:s, s:o, s:b, s:I, s:I, s:I, s:b, s:o, s:b, s:b, s:I, "
        "s:I, s:I, s:i, s:i}",
        "name", p.user->display_name, "login_id", p.user->login_id, "months", months,
        "months_total", (json_int_t)total, "renewable", (json_int_t)d.renewable, "renew_url",
        renew_url, "renew_until", until, "waiting_orders", waiting_json(r, &d), "has_waiting",
        d.nwaiting > 0, "waiting_unpaid", (json_int_t)d.waiting_counts[0], "waiting_documents",
        (json_int_t)d.waiting_counts[1], "waiting_dcv", (json_int_t)d.waiting_counts[2], "reseller",
        d.reseller, "customers", customers_json(r, &d), "has_customers", d.ncustomers > 0, "staff",
        d.staff, "queue_total", (json_int_t)d.queue_total, "queue_action",
        (json_int_t)d.queue_action, "queue_overdue", (json_int_t)d.queue_overdue, "chart_w",
        CHART_W, "chart_h", CHART_H);
    if (data != NULL) {
        char base[16], at[32];
        snprintf(base, sizeof base, "%d", CHART_BASE);
        json_object_set_new(data, "chart_base", json_string(base));
        time_t x = (time_t)(d.figures_at + 9 * 3600);
        struct tm tm;
        if (gmtime_r(&x, &tm) == NULL || strftime(at, sizeof at, "%Y-%m-%d %H:%M", &tm) == 0)
            at[0] = '\0';
        json_object_set_new(data, "figures_at", json_string(at));
    }
    if (data != NULL) /* R-CRT-1: unfinished cart items, from their own read (h_quotes.c) */
        json_object_set_new(data, "cart", commerce_cart_unfinished(r, &p));
    /* kept until a change of the data (the generation in the key), until the figures are
     * as old as ra/dashboard lets them be, and until the next day */
    int64_t expires = pagecache_next_midnight(now);
    if (d.figures_at + DASH_CACHE_SECONDS < expires)
        expires = d.figures_at + DASH_CACHE_SECONDS;
    pagecache_reply_page(r, &t, expires, "dashboard", "account.dashboard.title", data);
out:
    pagecache_ticket_clear(&t);
    dashboard_clear(&d);
    portal_clear(&p);
}
