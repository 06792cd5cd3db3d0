/* SPDX-License-Identifier: MIT */
/* GET /acme/renewal-info/{certID} (RFC 9773 4; issue 10 item 6): the suggested renewal
 * window of ra/acme_ari with Retry-After. Unauthenticated, like the directory. */
#include <jansson.h>
#include <stdio.h>

#include "core/clock.h"
#include "ra/acme_ari.h"
#include "web/h_acme.h"
#include "web/http.h"

void h_acme_renewal_info(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct acme_ari_window w;
    struct sm_err e = {0};
    if (acme_ari_window_get(db, req_param(r, "id"), (int64_t)clock_now(), &w, &e) < 0) {
        http_reply_err(r, &e);
        return;
    }
    char start[32], end[32], retry[24];
    clock_format_utc((time_t)w.start, start, sizeof start);
    clock_format_utc((time_t)w.end, end, sizeof end);
    snprintf(retry, sizeof retry, "%d", ACME_ARI_RETRY_AFTER);
    http_add_header(r, "Retry-After", retry);
    http_reply_json(r, 200,
                    json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", start, "end", end));
}
