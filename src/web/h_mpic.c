/* SPDX-License-Identifier: MIT */
/* The corroboration block of the officer's order page and the perspectives' health page;
 * see h_mpic.h. Reads only. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "ra/mpic.h"
#include "store/mpic_attempts.h"
#include "web/h_mpic.h"
#include "web/http.h"
#include "web/i18n.h"

#define ATTEMPTS_SHOWN 20
#define HEALTH_MAX     32

static json_t *perspectives_of(const char *text)
{
    json_t *in = text ? json_loads(text, 0, NULL) : NULL, *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(in, i, p)
    {
        const char *why = json_string_value(json_object_get(p, "error"));
        const char *loc = json_string_value(json_object_get(p, "location"));
        const char *rir = json_string_value(json_object_get(p, "rir"));
        if (why == NULL)
            why = json_string_value(json_object_get(p, "reason"));
        json_t *o =
            json_pack("{s:s, s:s, s:b, s:s}", "location", loc ? loc : "?", "rir", rir ? rir : "?",
                      "agree", json_is_true(json_object_get(p, "agree")), "why", why ? why : "");
        json_array_append_new(out, o);
    }
    json_decref(in);
    return out;
}

json_t *mpic_order_json(struct req *r, struct db *db, int64_t order_id)
{
    char status[200];
    struct sm_err e = {0};
    time_t now = clock_now();
    mpic_status_text(now, status, sizeof status);
    json_t *x = json_pack("{s:s, s:b}", "status", status, "refusing", mpic_ready(now, &e) < 0);
    struct mpic_attempt_row *v = NULL;
    size_t n = 0;
    json_t *list = json_array();
    if (mpic_attempts_list(db, order_id, ATTEMPTS_SHOWN, &v, &n, &e) == 0) {
        for (size_t i = 0; i < n; i++) {
            char at[24];
            clock_format_utc((time_t)v[i].created_at, at, sizeof at);
            json_array_append_new(
                list, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:o}", "name", v[i].name,
                                "kind", v[i].kind, "method", v[i].method, "result", v[i].result,
                                "passed", v[i].passed, "reason", v[i].reason ? v[i].reason : "",
                                "br", v[i].br_version, "at", at, "perspectives",
                                perspectives_of(v[i].perspectives)));
        }
    }
    mpic_attempt_rows_free(v, n);
    json_object_set_new(x, "has_attempts", json_boolean(json_array_size(list) > 0));
    json_object_set_new(x, "attempts", list);
    return x;
}

void h_officer_perspectives(struct req *r)
{
    struct mpic_health h[HEALTH_MAX];
    size_t n = mpic_health_read(h, HEALTH_MAX);
    char status[200];
    mpic_status_text(clock_now(), status, sizeof status);
    json_t *rows = json_array();
    for (size_t i = 0; i < n && i < HEALTH_MAX; i++) {
        char ok_at[24] = "", fail_at[24] = "";
        if (h[i].last_ok_at)
            clock_format_utc((time_t)h[i].last_ok_at, ok_at, sizeof ok_at);
        if (h[i].last_fail_at)
            clock_format_utc((time_t)h[i].last_fail_at, fail_at, sizeof fail_at);
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:b}",
                                              "label", h[i].label, "rir", h[i].rir, "url", h[i].url,
                                              "up", (json_int_t)h[i].up, "down",
                                              (json_int_t)h[i].down, "last_ok", ok_at, "last_fail",
                                              fail_at, "last_error", h[i].last_error, "failing",
                                              h[i].last_fail_at > h[i].last_ok_at));
    }
    json_t *d = json_pack("{s:s, s:o, s:b}", "status", status, "rows", rows, "has_rows", n > 0);
    http_reply_page(r, 200, "officer_perspectives", "mpic.health", d);
}
