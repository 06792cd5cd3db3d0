/* SPDX-License-Identifier: MIT */
/* Order notices (see notice.h): event -> template, recipients (notification addresses 1-3,
 * and for issuance the managing reseller's users), language of the organization, and the
 * template variables; queued with outbox_enqueue in the caller's transaction. The same hook
 * starts domain validation when vetting starts. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/config.h"
#include "ra/notice.h"
#include "ra/validate.h"
#include "store/certs.h"
#include "store/outbox.h"
#include "store/users.h"

/* Events that mail the customer, and their templates. */
static const struct {
    const char *event, *tmpl;
} events[] = {
    {"order.submitted", "order_submitted"},
    {"order.paid", "order_paid"},
    {"order.hold", "order_hold"},
    {"order.rejected", "order_rejected"},
    {"order.issued", "order_issued"},
    {"order.cancelled", "order_cancelled"},
    {ORDER_ISSUE_REFUSED, "order_issue_refused"},
};

const char *notice_org_lang(struct db *db, int64_t org_id)
{
    struct user_row *u = NULL;
    size_t n = 0;
    const char *lang = "ja";
    if (user_list_org(db, org_id, &u, &n, NULL) == 0 && n > 0 && strcmp(u[0].locale, "en") == 0)
        lang = "en";
    free(u);
    return lang;
}

void notice_tokyo_time(int64_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    int64_t local = t + 9 * 3600;
    int hh = (int)((local / 3600) % 24), mm = (int)((local / 60) % 60);
    snprintf(out, n, "%04d-%02d-%02d %02d:%02d JST", y, m, d, hh, mm);
}

/* Template variables of order o for event; NULL when out of memory. */
static json_t *vars_for(struct db *db, const struct config *cfg, const struct order_row *o,
                        const char *event, const char *detail_json, struct sm_err *e)
{
    const char *base = cfg ? config_str(cfg, "server", "base_url") : "";
    char url[600];
    snprintf(url, sizeof url, "%s/orders/%lld", base, (long long)o->id);
    json_t *v = json_pack("{s:s, s:s, s:s}", "receipt_no", o->receipt_no, "cn", o->cn ? o->cn : "",
                          "url", url);
    if (v == NULL)
        return NULL;
    json_t *d = detail_json ? json_loads(detail_json, 0, NULL) : NULL;
    const char *note = NULL;
    const char *refusal = json_string_value(json_object_get(d, "refusal"));
    json_object_set_new(v, "refusal", json_string(refusal ? refusal : ""));
    if (d != NULL && strcmp(event, ORDER_ISSUE_REFUSED) == 0) {
        note = json_string_value(json_object_get(d, "detail"));
        if (note == NULL && json_object_get(d, "valid") != NULL)
            note = ""; /* the per-CN limit: the code says it all */
    } else if (d != NULL) {
        note = json_string_value(json_object_get(d, "reason"));
        if (note == NULL)
            note = json_string_value(json_object_get(d, "note"));
        if (note == NULL)
            note = json_string_value(json_object_get(d, "request"));
    }
    if (note == NULL)
        note = o->decision_note ? o->decision_note : "";
    json_object_set_new(v, "note", json_string(note));
    json_decref(d);
    if (strcmp(event, "order.issued") == 0 && o->cert_id > 0) {
        struct certs_row *c = NULL;
        if (certs_get_id(db, o->cert_id, &c, e) < 0) {
            json_decref(v);
            return NULL;
        }
        char nb[40], na[40];
        notice_tokyo_time(c->not_before, nb, sizeof nb);
        notice_tokyo_time(c->not_after, na, sizeof na);
        snprintf(url, sizeof url, "%s/certificates/%s", base, c->serial);
        json_object_set_new(v, "serial", json_string(c->serial));
        json_object_set_new(v, "not_before", json_string(nb));
        json_object_set_new(v, "not_after", json_string(na));
        json_object_set_new(v, "url", json_string(url));
        certs_row_free(c);
    }
    return v;
}

static int queue(struct db *db, const char *to, const char *lang, const char *tmpl,
                 const char *vars, int64_t order_id, struct sm_err *e)
{
    struct outbox_mail m = {0};
    m.to = to;
    m.lang = lang;
    m.tmpl = tmpl;
    m.vars_json = vars;
    m.order_id = order_id;
    return outbox_enqueue(db, &m, NULL, e);
}

int notice_queue_reseller(struct db *db, int64_t org_id, int64_t order_id, const char *tmpl,
                          const char *vars, struct sm_err *e)
{
    struct org_row org;
    if (org_get(db, org_id, &org, NULL) < 0 || org.reseller_org_id <= 0)
        return 0;
    struct user_row *u = NULL;
    size_t n = 0;
    int rc = user_list_org(db, org.reseller_org_id, &u, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (u[i].email[0] != '\0')
            rc = queue(db, u[i].email, strcmp(u[i].locale, "en") == 0 ? "en" : "ja", tmpl, vars,
                       order_id, e);
    free(u);
    return rc;
}

int notice_queue_order(struct db *db, const struct order_row *o, const char *lang, const char *tmpl,
                       const char *vars, struct sm_err *e)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < 3; i++) {
        const char *to = o->notify_email[i];
        int dup = 0;
        for (int j = 0; to != NULL && j < i; j++)
            dup |= o->notify_email[j] != NULL && strcasecmp(o->notify_email[j], to) == 0;
        if (to != NULL && to[0] != '\0' && !dup)
            rc = queue(db, to, lang, tmpl, vars, o->id, e);
    }
    return rc;
}

static int notify(void *arg, struct db *db, const struct order_row *o, const char *event,
                  const char *detail_json, struct sm_err *e)
{
    const char *tmpl = NULL;
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (strcmp(event, events[i].event) == 0)
            tmpl = events[i].tmpl;
    if (tmpl == NULL)
        return 0;
    json_t *v = vars_for(db, arg, o, event, detail_json, e);
    char *vars = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (vars == NULL)
        return e && e->code ? -e->code : sm_err_set(e, SM_E_NOMEM, "notice", "out of memory");
    const char *lang = notice_org_lang(db, o->org_id);
    int rc = notice_queue_order(db, o, lang, tmpl, vars, e);
    if (rc == 0 && strcmp(event, "order.issued") == 0)
        rc = notice_queue_reseller(db, o->org_id, o->id, tmpl, vars, e);
    free(vars);
    return rc;
}

/* Domain validation starts when vetting does (payment confirmed) and again after a
 * re-application changed the names (R-VAL-1). */
static int prepare_validation(const struct config *cfg, struct db *db, const struct order_row *o,
                              const char *event, struct sm_err *e)
{
    if (strcmp(event, "order.paid") != 0 && strcmp(event, "order.reapplied") != 0)
        return 0;
    if (strcmp(o->state, "vetting") != 0 && strcmp(o->state, "on_hold") != 0)
        return 0;
    struct order_env env = {0};
    env.db = db; /* audit records only: no notices from inside a notice */
    return validate_prepare_tx(&env, cfg, o, e);
}

static int on_event(void *arg, struct db *db, const struct order_row *o, const char *event,
                    const char *detail_json, struct sm_err *e)
{
    int rc = notify(arg, db, o, event, detail_json, e);
    if (rc == 0)
        rc = prepare_validation(arg, db, o, event, e);
    return rc;
}

void notice_hooks_init(struct order_hooks *h, const struct config *cfg)
{
    h->notify = on_event;
    h->arg = (void *)cfg;
}
