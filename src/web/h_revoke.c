/* SPDX-License-Identifier: MIT */
/* Revocation from the certificate page (R-REV-1, R-REV-3; issue 9 item 4): the form on
 * GET /certificates/:serial (partial cert_revoke.html, data from revoke_page_data) and
 * POST /certificates/:serial/revoke. Customers choose among the BR 7.2.2 subscriber reasons
 * (no reason by default) and a desired date today .. +60 days (Japan time); CA staff may
 * also choose privilegeWithdrawn. The change is ra/revoke's. The API's requests
 * (/api/v1/certificates/:serial/revoke and .../withdraw, R-API-1) go the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "ra/revoke.h"
#include "store/certlist.h"
#include "store/revocation_requests.h"
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
    /* a request waiting for the officer's phone call (R-REV-1) */
    struct revreq_row q = {0};
    struct sm_err qe = {0};
    char pending[40] = "";
    if (strcmp(state, "issued") == 0 && revreq_get_pending(p->db, serial, &q, &qe) == 0) {
        can = 0;
        jst_date(q.requested_at, pending, sizeof pending);
    }
    const char *done = req_query(r, "revoke");
    const char *done_text =
        done && strcmp(done, "now") == 0         ? i18n_text(r->lang, "rev.done.now")
        : done && strcmp(done, "scheduled") == 0 ? i18n_text(r->lang, "rev.done.scheduled")
        : done && strcmp(done, "pending") == 0   ? i18n_text(r->lang, "rev.done.pending")
        : done && strcmp(done, "withdrawn") == 0 ? i18n_text(r->lang, "rev.done.withdrawn")
                                                 : "";
    json_t *v = json_false();
    if (can || when[0] || pending[0] || done_text[0])
        v = json_pack("{s:b, s:s, s:s, s:s, s:s, s:o, s:s, s:b}", "can", can, "scheduled", when,
                      "pending", pending, "min", min, "max", max, "reasons",
                      reasons_json(r, portal_is_staff(p)), "done", done_text, "withdraw",
                      when[0] != '\0' || pending[0] != '\0');
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

/* The revocation request of the route's certificate with reason and date (the form's or
 * the API body's text; NULL or "" = no reason, now): 0 with *res and serial set, or
 * negative after answering (404 for a certificate the caller may not see, whatever the
 * fields say: R-ACT-1; 400 naming the field; 409). The change is ra/revoke's. */
static int request_or_reply(struct req *r, struct portal *p, const char *reason, const char *date,
                            char serial[41], struct revoke_result *res)
{
    struct sm_err e = {0};
    struct revoke_req q = {.source = portal_is_staff(p) ? "officer" : "customer",
                           .officer = portal_is_staff(p),
                           .scope = &p->who.scope};
    char actor[40];
    snprintf(actor, sizeof actor, "user:%lld", (long long)p->user->id);
    q.actor = actor;
    if (revoke_serial_norm(req_param(r, "serial"), serial) < 0)
        return http_reply_error(r, 404, "certs.err.notfound", NULL), -1;
    q.serial = serial;
    struct certlist_detail_row *d = NULL;
    int vis = certlist_get(p->db, &p->who.scope, serial, &d, &e);
    certlist_detail_row_free(d);
    if (vis == -SM_E_NOTFOUND)
        return http_reply_error(r, 404, "certs.err.notfound", NULL), -1;
    if (vis < 0)
        return http_reply_err(r, &e), -1;
    if (revoke_reason_parse(reason ? reason : "", &q.reason) < 0 ||
        (q.reason == REVOKE_PRIVILEGE_WITHDRAWN && !q.officer))
        return http_reply_error(r, 400, "rev.err.reason", "reason"), -1;
    if (parse_date(date, &q.when) < 0)
        return http_reply_error(r, 400, "rev.err.date", "date"), -1;
    int rc = revoke_request(p->db, &q, res, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "certs.err.notfound", NULL);
    else if (rc == -SM_E_INVALID)
        http_reply_error(r, 400, strcmp(e.field, "date") == 0 ? "rev.err.date" : "rev.err.reason",
                         e.field);
    else if (rc == -SM_E_CONFLICT && strcmp(e.field, "renewal") == 0)
        http_reply_error(r, 409, "rev.err.renewal", "renewal"); /* R-REN-5 */
    else if (rc == -SM_E_CONFLICT)
        http_reply_error(r, 409, "rev.err.state", "state");
    else if (rc < 0)
        http_reply_err(r, &e);
    return rc < 0 ? -1 : 0;
}

/* What became of a request: held for the officer's call, revoked now, or scheduled. */
static const char *outcome(const struct revoke_result *res)
{
    return res->pending ? "pending" : res->revoked ? "now" : "scheduled";
}

void h_cert_revoke(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    char serial[41];
    struct revoke_result res;
    if (request_or_reply(r, &p, req_form_text(r, "reason"), req_form_text(r, "date"), serial,
                         &res) == 0) {
        char loc[128];
        snprintf(loc, sizeof loc, "/certificates/%s?revoke=%s", serial, outcome(&res));
        http_redirect(r, 303, loc);
    }
out:
    portal_clear(&p);
}

/* POST /api/v1/certificates/:serial/revoke (R-API-1): the same request as the page's form,
 * {"reason": RFC 5280 name, "date": "YYYY-MM-DD"} (both optional, as is the body: no
 * reason, now); answers 202 with what became of it. */
void h_api_cert_revoke(struct req *r)
{
    json_t *b = r->body.len == 0 ? json_object() : req_json_or_reply(r); /* none: {} */
    if (b == NULL)
        return;
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    int bad = 0;
    const char *reason = req_json_str(b, "reason", &bad);
    const char *date = req_json_str(b, "date", &bad);
    if (bad) {
        http_reply_error(r, 400, "rev.err.body", "body");
        goto out;
    }
    char serial[41], at[16] = "";
    struct revoke_result res;
    if (request_or_reply(r, &p, reason, date, serial, &res) < 0)
        goto out;
    if (!res.pending)
        jst_date(res.at, at, sizeof at);
    json_t *j = json_pack("{s:s, s:s, s:s?, s:b}", "serial", serial, "outcome", outcome(&res),
                          "date", at[0] ? at : NULL, "key_blocked", res.key_blocked);
    if (j != NULL && res.pending)
        json_object_set_new(j, "request_id", json_integer((json_int_t)res.request_id));
    http_reply_json(r, 202, j);
out:
    json_decref(b);
    portal_clear(&p);
}

/* Withdraws the pending request or the scheduled revocation of the route's certificate
 * (R-REV-1): 0 with serial set, or negative after answering (404, 409 nothing to
 * withdraw). */
static int withdraw_or_reply(struct req *r, struct portal *p, char serial[41])
{
    char actor[40];
    struct sm_err e = {0};
    snprintf(actor, sizeof actor, "user:%lld", (long long)p->user->id);
    if (revoke_serial_norm(req_param(r, "serial"), serial) < 0)
        return http_reply_error(r, 404, "certs.err.notfound", NULL), -1;
    int rc = revoke_withdraw(p->db, actor, serial, &p->who.scope, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "certs.err.notfound", NULL);
    else if (rc == -SM_E_CONFLICT)
        http_reply_error(r, 409, "rev.err.nothing", "state");
    else if (rc < 0)
        http_reply_err(r, &e);
    return rc < 0 ? -1 : 0;
}

/* POST /certificates/:serial/revoke/withdraw: the customer (or an officer) withdraws. */
void h_cert_revoke_withdraw(struct req *r)
{
    struct portal p;
    char serial[41];
    if (portal_or_reply(r, &p) == 0 && withdraw_or_reply(r, &p, serial) == 0) {
        char loc[128];
        snprintf(loc, sizeof loc, "/certificates/%s?revoke=withdrawn", serial);
        http_redirect(r, 303, loc);
    }
    portal_clear(&p);
}

/* POST /api/v1/certificates/:serial/revoke/withdraw (R-API-1): the same; 200. */
void h_api_cert_revoke_withdraw(struct req *r)
{
    struct portal p;
    char serial[41];
    if (portal_or_reply(r, &p) == 0 && withdraw_or_reply(r, &p, serial) == 0)
        http_reply_json(r, 200, json_pack("{s:s, s:s}", "serial", serial, "outcome", "withdrawn"));
    portal_clear(&p);
}

static void jst_time(int64_t t, char *out, size_t n)
{
    char day[16];
    jst_date(t, day, sizeof day);
    int64_t l = t + JST;
    snprintf(out, n, "%s %02d:%02d JST", day, (int)((l / 3600) % 24), (int)((l / 60) % 60));
}

/* GET /officer/revocations: requests waiting for the phone confirmation, nearest BR
 * 4.9.1.1 deadline first, with the time left (R-REV-1, R-REV-3). */
void h_officer_revocations(struct req *r)
{
    struct portal p;
    struct revreq_row *v = NULL;
    size_t n = 0;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct sm_err e = {0};
    if (revreq_list_pending(p.db, 500, &v, &n, &e) < 0) {
        http_reply_err(r, &e);
        goto out;
    }
    int64_t now = (int64_t)clock_now();
    json_t *arr = json_array();
    int overdue = 0;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char req_at[40], dl[40], due[16] = "", left[64], key[64];
        jst_time(v[i].requested_at, req_at, sizeof req_at);
        jst_time(v[i].deadline_at, dl, sizeof dl);
        if (v[i].due_at > 0)
            jst_date(v[i].due_at, due, sizeof due);
        int64_t s = v[i].deadline_at - now;
        int late = s < 0;
        overdue += late;
        int64_t a = late ? -s : s;
        snprintf(left, sizeof left, "%s%lld%s %02lld%s", late ? "-" : "", (long long)(a / 3600),
                 i18n_text(r->lang, "rev.queue.hours"), (long long)((a / 60) % 60),
                 i18n_text(r->lang, "rev.queue.minutes"));
        snprintf(key, sizeof key, "rev.reason.%s",
                 revoke_reason_name(v[i].reason) ? revoke_reason_name(v[i].reason) : "unspecified");
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "id",
                           (json_int_t)v[i].id, "serial", v[i].serial, "cn", v[i].cn, "level",
                           v[i].level, "reason", i18n_text(r->lang, key), "requested", req_at,
                           "deadline", dl, "left", left, "due", due, "overdue", late,
                           "left_seconds", (json_int_t)s));
    }
    json_t *d = json_pack("{s:o, s:b, s:i, s:i, s:s}", "requests", arr, "has_requests", n > 0,
                          "total", (int)n, "overdue", overdue, "done",
                          req_query(r, "done") ? i18n_text(r->lang, "rev.queue.confirmed") : "");
    http_reply_page(r, 200, "officer_revocations", "rev.queue.title", d);
out:
    free(v);
    portal_clear(&p);
}

/* "YYYY-MM-DD HH:MM" (or with a T) in Japan time; "" = now. */
static int parse_called_at(const char *s, int64_t *out)
{
    *out = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    char d[11];
    if (strlen(s) != 16 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':')
        return -1;
    for (int i = 11; i < 16; i++)
        if (i != 13 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int hh = (s[11] - '0') * 10 + (s[12] - '0'), mm = (s[14] - '0') * 10 + (s[15] - '0');
    memcpy(d, s, 10);
    d[10] = '\0';
    time_t t = 0;
    if (clock_parse_utc(d, &t) < 0 || hh > 23 || mm > 59)
        return -1;
    *out = (int64_t)t - JST + hh * 3600 + mm * 60;
    return 0;
}

/* POST /officer/revocations/:id/confirm: contact, called_at, note (R-REV-1). */
void h_officer_revocation_confirm(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    struct sm_err e = {0};
    const char *ids = req_param(r, "id");
    char *end = NULL;
    long long id = ids ? strtoll(ids, &end, 10) : 0;
    if (ids == NULL || end == ids || *end != '\0' || id <= 0) {
        http_reply_error(r, 404, "rev.err.request", NULL);
        goto out;
    }
    char actor[40];
    snprintf(actor, sizeof actor, "user:%lld", (long long)p.user->id);
    struct revoke_phone ph = {
        .officer = actor, .contact = req_form_text(r, "contact"), .note = req_form_text(r, "note")};
    if (parse_called_at(req_form_text(r, "called_at"), &ph.phone_at) < 0) {
        http_reply_error(r, 400, "rev.err.called_at", "called_at");
        goto out;
    }
    struct revoke_result res;
    int rc = revoke_confirm(p.db, (int64_t)id, &ph, &res, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "rev.err.request", NULL);
    else if (rc == -SM_E_INVALID)
        http_reply_error(r, 400,
                         strcmp(e.field, "contact") == 0 ? "rev.err.contact"
                         : strcmp(e.field, "note") == 0  ? "rev.err.note"
                                                         : "rev.err.called_at",
                         e.field);
    else if (rc == -SM_E_CONFLICT)
        http_reply_error(r, 409, "rev.err.state", "state");
    else if (rc < 0)
        http_reply_err(r, &e);
    else
        http_redirect(r, 303, "/officer/revocations?done=1");
out:
    portal_clear(&p);
}
