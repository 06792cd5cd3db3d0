/* SPDX-License-Identifier: MIT */
/* Revocation from the certificate page (R-REV-1, R-REV-3; issue 9 item 4): the form on
 * GET /certificates/:serial (partial cert_revoke.html, data from revoke_page_data) and
 * POST /certificates/:serial/revoke. Customers choose among the BR 7.2.2 subscriber reasons
 * (no reason by default) and a desired date today .. +60 days (Japan time); CA staff may
 * also choose privilegeWithdrawn. The change is ra/revoke's. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "ra/revoke.h"
#include "store/revocations.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define JST (9 * 3600)
#define DAY 86400

static const int customer_reasons[] = {REVOKE_UNSPECIFIED, REVOKE_KEY_COMPROMISE,
                                       REVOKE_AFFILIATION_CHANGED, REVOKE_SUPERSEDED,
                                       REVOKE_CESSATION_OF_OPERATION};

/* YYYY-MM-DD of t in Japan time. */
static void jst_date(int64_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static json_t *reasons_json(const struct req *r, int staff)
{
    json_t *a = json_array();
    size_t n = sizeof customer_reasons / sizeof customer_reasons[0];
    for (size_t i = 0; a != NULL && i < n + (staff ? 1 : 0); i++) {
        int code = i < n ? customer_reasons[i] : REVOKE_PRIVILEGE_WITHDRAWN;
        char key[64];
        snprintf(key, sizeof key, "rev.reason.%s", revoke_reason_name(code));
        json_array_append_new(a, json_pack("{s:s, s:s}", "value", revoke_reason_name(code), "label",
                                           i18n_text(r->lang, key)));
    }
    return a;
}

void revoke_page_data(struct req *r, const struct portal *p, const char *serial, const char *state,
                      int64_t not_after, json_t *data)
{
    int64_t now = (int64_t)clock_now();
    int can = strcmp(state, "issued") == 0 && not_after >= now;
    char min[16], max[16], when[16] = "";
    jst_date(now, min, sizeof min);
    jst_date(now + (int64_t)REVOKE_MAX_DAYS * DAY, max, sizeof max);
    if (strcmp(state, "revocation_scheduled") == 0) {
        int64_t due = 0;
        int reason = -1;
        struct sm_err e = {0};
        if (revocations_get_due(p->db, serial, &due, &reason, &e) == 0 && due > 0)
            jst_date(due, when, sizeof when);
    }
    const char *done = req_query(r, "revoke");
    const char *done_text = done && strcmp(done, "now") == 0 ? i18n_text(r->lang, "rev.done.now")
                            : done && strcmp(done, "scheduled") == 0
                                ? i18n_text(r->lang, "rev.done.scheduled")
                                : "";
    json_t *v = json_false();
    if (can || when[0] || done_text[0])
        v = json_pack("{s:b, s:s, s:s, s:s, s:o, s:s}", "can", can, "scheduled", when, "min", min,
                      "max", max, "reasons", reasons_json(r, portal_is_staff(p)), "done",
                      done_text);
    json_object_set_new(data, "revoke", v ? v : json_false());
}

/* The desired date: "" = now; YYYY-MM-DD = that day from 00:00 Japan time. */
static int parse_date(const char *s, int64_t *out)
{
    time_t t = 0;
    *out = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    if (strlen(s) != 10 || clock_parse_utc(s, &t) < 0)
        return -1;
    *out = (int64_t)t - JST;
    return 0;
}

void h_cert_revoke(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    char serial[41];
    struct sm_err e = {0};
    struct revoke_req q = {.source = portal_is_staff(&p) ? "officer" : "customer",
                           .officer = portal_is_staff(&p),
                           .scope = &p.who.scope};
    char actor[40];
    snprintf(actor, sizeof actor, "user:%lld", (long long)p.user->id);
    q.actor = actor;
    if (revoke_serial_norm(req_param(r, "serial"), serial) < 0) {
        http_reply_error(r, 404, "certs.err.notfound", NULL);
        goto out;
    }
    q.serial = serial;
    if (revoke_reason_parse(req_form_text(r, "reason"), &q.reason) < 0 ||
        (q.reason == REVOKE_PRIVILEGE_WITHDRAWN && !q.officer)) {
        http_reply_error(r, 400, "rev.err.reason", "reason");
        goto out;
    }
    if (parse_date(req_form_text(r, "date"), &q.when) < 0) {
        http_reply_error(r, 400, "rev.err.date", "date");
        goto out;
    }
    struct revoke_result res;
    int rc = revoke_cert(p.db, &q, &res, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "certs.err.notfound", NULL);
    else if (rc == -SM_E_INVALID)
        http_reply_error(r, 400, strcmp(e.field, "date") == 0 ? "rev.err.date" : "rev.err.reason",
                         e.field);
    else if (rc == -SM_E_CONFLICT)
        http_reply_error(r, 409, "rev.err.state", "state");
    else if (rc < 0)
        http_reply_err(r, &e);
    else {
        char loc[128];
        snprintf(loc, sizeof loc, "/certificates/%s?revoke=%s", serial,
                 res.revoked ? "now" : "scheduled");
        http_redirect(r, 303, loc);
    }
out:
    portal_clear(&p);
}
