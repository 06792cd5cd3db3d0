/* SPDX-License-Identifier: MIT */
/* Domain control validation of orders (see validate.h): random values, reuse within the
 * dated period, the e-mail link, the DNS TXT and web-page checks with their evidence, and
 * the job's retries. Network checks run outside any transaction; each result is stored
 * with its audit record in a short transaction of its own. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/policy.h"
#include "net/dns.h"
#include "net/fetch.h"
#include "ra/dcv.h"
#include "ra/fulfil.h"
#include "ra/mpic.h"
#include "ra/validate.h"
#include "store/db.h"
#include "store/outbox.h"
#include "store/products.h"
#include "store/users.h"

/* The ADN of the evidence of a validated row: the stored one, or for rows of older
 * versions the name itself ("*." removed), which any ADN shown for it covers. */
static const char *evidence_adn(const struct order_domain_row *d)
{
    if (d->adn != NULL && d->adn[0] != '\0')
        return d->adn;
    return strncmp(d->name, "*.", 2) == 0 ? d->name + 2 : d->name;
}

static const struct order_actor system_actor = {0, {1, NULL, 0}};

static void tokyo_text(time_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    long long local = (long long)t + 9 * 3600;
    snprintf(out, n, "%04d-%02d-%02d %02lld:%02lld JST", y, m, d, (local / 3600) % 24,
             (local / 60) % 60);
}

/* Queues the e-mail with the link for domain d of order o (R-VAL-1 constructed address). */
static int mail_link(const struct order_env *env, const struct config *cfg,
                     const struct order_row *o, const char *name, const char *method,
                     const char *value, time_t expires, struct sm_err *e)
{
    char to[320], url[600], exp[40];
    if (dcv_email_address(method, name, to, sizeof to) < 0)
        return sm_err_set(e, SM_E_INVALID, "name", "no constructed address for %s", name);
    snprintf(url, sizeof url, "%s/dcv/confirm/%s", config_str(cfg, "server", "base_url"), value);
    tokyo_text(expires, exp, sizeof exp);
    /* the mailbox owner learns who applies (issue 8 item 7): the organization's names */
    struct org_row org;
    int rc = org_get(env->db, o->org_id, &org, e);
    if (rc < 0)
        return rc;
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "domain", name, "receipt_no",
                          o->receipt_no, "url", url, "expires", exp, "org", org.name_ja, "org_en",
                          org.name_en[0] ? org.name_en : org.name_ja);
    char *vars = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (vars == NULL)
        return sm_err_set(e, SM_E_NOMEM, "mail", "out of memory");
    struct outbox_mail m = {0};
    m.to = to;
    m.lang = "ja";
    m.tmpl = "dcv_email";
    m.vars_json = vars;
    m.order_id = o->id;
    rc = outbox_enqueue(env->db, &m, NULL, e);
    free(vars);
    if (rc == 0) {
        json_t *d = json_pack("{s:s, s:s}", "name", name, "to", to);
        rc = order_audit(env, &system_actor, o, "order.dcv_mail", d, e);
        json_decref(d);
    }
    return rc;
}

/* An earlier validation of the same organization that covers name and may be relied on
 * now (R-VAL-2): the row's own evidence (never a reuse of a reuse), inside the dated reuse
 * period, by a method not switched off since, and covering name (the web-page method only
 * its exact FQDN and never a wildcard: BR 3.2.2.4.18). NULL when none. */
static const struct order_domain_row *reusable(const struct order_domain_row *v, size_t n,
                                               int64_t order_id, const char *name, time_t now)
{
    for (size_t i = 0; i < n; i++) {
        int m = dcv_method_parse(v[i].dcv_method);
        if (v[i].order_id == order_id || v[i].validated_at <= 0 || v[i].reused_from > 0 || m < 0 ||
            !dcv_method_allowed(m, now) || !dcv_reusable((time_t)v[i].validated_at, now))
            continue;
        if (dcv_covers_evidence(m, evidence_adn(&v[i]), name))
            return &v[i];
    }
    return NULL;
}

/* Domain d of o relies on the original validation from: the row keeps its method, ADN,
 * BR section, BR version and date, and names the row it relies on. */
static int reuse_one(const struct order_env *env, const struct order_row *o,
                     const struct order_domain_row *d, const struct order_domain_row *from,
                     struct sm_err *e)
{
    int m = dcv_method_parse(from->dcv_method);
    const char *section = from->br_section ? from->br_section : dcv_method_br_section(m);
    const char *adn = evidence_adn(from);
    json_t *orig = from->evidence ? json_loads(from->evidence, 0, NULL) : NULL;
    json_t *ev =
        json_pack("{s:{s:I, s:I, s:s}, s:s, s:s, s:s, s:s, s:I, s:o}", "reused_from", "id",
                  (json_int_t)from->id, "order_id", (json_int_t)from->order_id, "name", from->name,
                  "method", from->dcv_method, "br_section", section, "br_version",
                  from->br_version ? from->br_version : "", "adn", adn, "validated_at",
                  (json_int_t)from->validated_at, "original", orig ? orig : json_object());
    char *evs = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = evs ? 0 : sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
    if (rc == 0)
        rc = order_domains_set_method(env->db, o->id, d->name, from->dcv_method, NULL, 0, e);
    if (rc == 0)
        rc = order_domains_set_result(env->db, o->id, d->name, "validated", from->validated_at,
                                      from->br_version ? from->br_version : "", evs, e);
    if (rc == 0)
        rc = order_domains_set_origin(env->db, o->id, d->name, adn, section, from->id, e);
    if (rc == 0) {
        json_t *a =
            json_pack("{s:s, s:I, s:I, s:s, s:s, s:I}", "name", d->name, "from_id",
                      (json_int_t)from->id, "from_order", (json_int_t)from->order_id, "method",
                      from->dcv_method, "adn", adn, "validated_at", (json_int_t)from->validated_at);
        rc = a ? order_audit(env, &system_actor, o, "order.dcv_reuse", a, e)
               : sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
        json_decref(a);
    }
    free(evs);
    json_decref(ev);
    return rc;
}

/* The method domain d gets values for: its own when it applies to the name and is not
 * switched off at now, else DNS (R-VAL-1). out: 300 bytes. */
static void method_now(const struct order_domain_row *d, time_t now, char *out, size_t n)
{
    if (dcv_method_for_name(d->dcv_method, d->name, out, n) < 0 ||
        !dcv_method_allowed_for(dcv_method_parse(out), d->name, now))
        snprintf(out, n, "%s", dcv_method_name(DCV_DNS_TXT));
}

/* R-RI-5: 1 when o is a reissue of a product whose reissues are vetted again ("full"):
 * no earlier validation counts for it; 0 otherwise, <0 on error. */
static int revet_reissue(struct db *db, const struct order_row *o, struct sm_err *e)
{
    if (strcmp(o->kind, "reissue") != 0)
        return 0;
    struct product_row p;
    int rc = products_get(db, o->product_id, &p, e);
    return rc < 0 ? rc : strcmp(p.reissue_vetting, "full") == 0;
}

int validate_prepare_tx(const struct order_env *env, const struct config *cfg,
                        const struct order_row *o, struct sm_err *e)
{
    struct order_domain_row *d = NULL, *old = NULL;
    size_t n = 0, nold = 0;
    time_t now = clock_now();
    int rc = order_domains_list(env->db, o->id, &d, &n, e);
    int revet = rc == 0 ? revet_reissue(env->db, o, e) : 0;
    if (revet < 0)
        rc = revet;
    if (rc == 0 && !revet)
        rc = order_domains_org_validated(env->db, o->org_id, (int64_t)now - 400LL * 86400, &old,
                                         &nold, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(d[i].state, "validated") == 0)
            continue;
        const struct order_domain_row *from = reusable(old, nold, o->id, d[i].name, now);
        if (from != NULL) {
            rc = reuse_one(env, o, &d[i], from, e);
            continue;
        }
        char method[300];
        method_now(&d[i], now, method, sizeof method);
        if (d[i].random_value != NULL && d[i].value_expires_at > (int64_t)now &&
            strcmp(method, d[i].dcv_method) == 0)
            continue; /* a usable value was given out already */
        char value[DCV_VALUE_LEN + 1];
        time_t exp = dcv_value_expires(now);
        rc = dcv_random_value(value, sizeof value);
        if (rc == 0)
            rc = order_domains_set_method(env->db, o->id, d[i].name, method, value, exp, e);
        if (rc == 0 && dcv_method_parse(method) == DCV_EMAIL)
            rc = mail_link(env, cfg, o, d[i].name, method, value, exp, e);
    }
    order_domain_rows_free(d, n);
    order_domain_rows_free(old, nold);
    return rc;
}

/* ---- checks over the network ---- */

/* Runs the check of domain d at every Authorization Domain Name (longest first) until one
 * passes. 0 with r filled (the passing result, or the last failure) and adn (256 bytes) the
 * ADN that passed, negative on memory. */
static int check_domain(struct dns *dns, const struct fetch_opts *fo,
                        const struct order_domain_row *d, time_t now, struct dcv_result *r,
                        char *adn)
{
    adn[0] = '\0';
    char adns[DCV_ADN_MAX][256];
    int k = dcv_adns(d->name, adns, DCV_ADN_MAX);
    memset(r, 0, sizeof *r);
    if (k <= 0) {
        r->reason = "dcv.name_invalid";
        return 0;
    }
    int m = dcv_method_parse(d->dcv_method);
    if (m == DCV_HTTP_FILE)
        k = 1; /* BR 3.2.2.4.18: the file proves control of this FQDN only (adns[0]) */
    for (int i = 0; i < k; i++) {
        dcv_result_free(r);
        memset(r, 0, sizeof *r);
        int rc = m == DCV_DNS_TXT ? dcv_check_dns(dns, adns[i], d->random_value, now, r)
                                  : dcv_check_http(fo, adns[i], d->random_value, NULL, now, r);
        if (rc < 0)
            return rc;
        if (r->ok) {
            snprintf(adn, 256, "%.255s", adns[i]);
            break;
        }
    }
    char labels[160];
    snprintf(labels, sizeof labels, "method=\"%s\",outcome=\"%s\"",
             m == DCV_DNS_TXT ? "dns" : "http", r->ok ? "ok" : "fail");
    metrics_count(MF_DCV, labels); /* R-OPS-1 */
    return 0;
}

/* Stores the outcome of one check (validated at adn, or still pending with the failure in
 * the evidence) with its audit record. */
static int store_result(const struct order_env *env, const struct order_actor *who, int64_t id,
                        const struct order_domain_row *d, const struct dcv_result *r,
                        const char *adn, time_t now, struct sm_err *e)
{
    json_t *ev = r->evidence ? json_loads(r->evidence, 0, NULL) : NULL;
    if (ev == NULL)
        ev = json_object();
    if (ev == NULL)
        return sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
    json_object_set_new(ev, "reason",
                        r->ok ? json_null() : json_string(r->reason ? r->reason : ""));
    char *evs = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    if (evs == NULL)
        return sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
    struct order_row *o = NULL;
    int rc = db_begin(env->db, e);
    if (rc == 0)
        rc = orders_get(env->db, id, &who->scope, &o, e);
    if (rc == 0)
        rc = order_domains_set_result(env->db, id, d->name, r->ok ? "validated" : "pending",
                                      r->ok ? (int64_t)now : 0, policy_br_version(now), evs, e);
    if (rc == 0 && r->ok)
        rc = order_domains_set_origin(env->db, id, d->name, adn,
                                      dcv_method_br_section(dcv_method_parse(d->dcv_method)), 0, e);
    char mpic[16] = ""; /* R-VAL-8: the corroboration attempt, "n/m" */
    if (rc == 0)
        rc = mpic_record_tx(env->db, id, d->name, d->dcv_method, r->evidence, mpic, e);
    if (rc == 0) {
        json_t *a = json_pack("{s:s, s:s, s:b, s:s}", "name", d->name, "method", d->dcv_method,
                              "ok", r->ok, "reason", r->ok ? "" : (r->reason ? r->reason : ""));
        if (a != NULL && mpic[0])
            json_object_set_new(a, "mpic", json_string(mpic));
        rc = order_audit(env, who, o, "order.dcv", a, e);
        json_decref(a);
    }
    if (rc == 0)
        rc = db_commit(env->db, e);
    if (rc < 0)
        db_rollback(env->db);
    order_row_free(o);
    free(evs);
    return rc;
}

static int checkable_state(const char *s)
{
    return strcmp(s, "vetting") == 0 || strcmp(s, "on_hold") == 0 || strcmp(s, "approved") == 0;
}

int validate_check_now(const struct order_env *env, const struct order_actor *who,
                       const struct config *cfg, int64_t order_id, int *pending, struct sm_err *e)
{
    struct order_row *o = NULL;
    struct order_domain_row *d = NULL;
    size_t n = 0;
    struct dns *dns = NULL;
    struct fetch_opts fo;
    int left = 0;
    time_t now = clock_now();
    int rc = orders_get(env->db, order_id, &who->scope, &o, e);
    if (rc == 0 && !checkable_state(o->state))
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "order %s is %s", o->receipt_no, o->state);
    if (rc == 0)
        rc = mpic_ready(now, e); /* R-VAL-8: too few perspectives for the date: refused */
    if (rc == 0)
        rc = order_domains_list(env->db, order_id, &d, &n, e);
    if (rc == 0)
        rc = dns_open(cfg, &dns, e);
    if (rc == 0)
        rc = fetch_opts_from_config(cfg, &fo, e);
    fo.dns = dns;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(d[i].state, "validated") == 0)
            continue;
        int m = dcv_method_parse(d[i].dcv_method);
        if ((m != DCV_DNS_TXT && m != DCV_HTTP_FILE) || d[i].random_value == NULL ||
            d[i].value_expires_at <= (int64_t)now) {
            left++;
            continue;
        }
        struct dcv_result r;
        char adn[256];
        rc = check_domain(dns, &fo, &d[i], now, &r, adn);
        if (rc == 0)
            rc = store_result(env, who, order_id, &d[i], &r, adn, now, e);
        if (rc == 0 && !r.ok)
            left++;
        dcv_result_free(&r);
    }
    dns_close(dns);
    order_domain_rows_free(d, n);
    order_row_free(o);
    if (pending != NULL)
        *pending = left;
    if (rc == 0 && left == 0) {
        struct sm_err fe = {0};
        if (fulfil_after_validation(env, cfg, order_id, &fe) < 0)
            log_info("order validated, not issued yet", "order", fe.field, "why", fe.detail);
    }
    return rc;
}

int validate_email_confirm(const struct order_env *env, const struct config *cfg, const char *token,
                           struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    struct order_row *o = NULL;
    time_t now = clock_now();
    if (!dcv_value_well_formed(token))
        return sm_err_set(e, SM_E_NOTFOUND, "token", "malformed token");
    int rc = order_domains_by_value(env->db, token, &d, e);
    if (rc == 0 &&
        (dcv_method_parse(d->dcv_method) != DCV_EMAIL || d->value_expires_at <= (int64_t)now))
        rc = sm_err_set(e, SM_E_NOTFOUND, "token", "token expired or not an e-mail validation");
    if (rc == 0 && !dcv_method_allowed(DCV_EMAIL, now))
        rc = sm_err_set(e, SM_E_DCV_METHOD, "method", "validation by e-mail has ended");
    int64_t order_id = d ? d->order_id : 0;
    if (rc == 0)
        rc = orders_get(env->db, order_id, &system_actor.scope, &o, e);
    if (rc == 0 && !checkable_state(o->state))
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "order %s is %s", o->receipt_no, o->state);
    if (rc == 0 && strcmp(d->state, "validated") != 0) {
        char to[320] = "";
        dcv_email_address(d->dcv_method, d->name, to, sizeof to);
        const char *adn = strchr(to, '@') ? strchr(to, '@') + 1 : "";
        json_t *ev =
            json_pack("{s:s, s:s, s:s, s:s, s:I}", "method", "email", "br_section",
                      dcv_method_br_section(DCV_EMAIL), "br_version", policy_br_version(now),
                      "address", to, "confirmed_at", (json_int_t)now);
        char *s = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(ev);
        struct dcv_result r = {.ok = 1, .evidence = s};
        rc = s ? store_result(env, &system_actor, order_id, d, &r, adn, now, e)
               : sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
        free(s);
    }
    order_domain_rows_free(d, d ? 1 : 0);
    order_row_free(o);
    if (rc == 0) {
        int left = 0;
        struct sm_err ce = {0};
        validate_check_now(env, &system_actor, cfg, order_id, &left, &ce);
    }
    return rc;
}

/* The stored form of method for name in *stored, or the refusal: an unknown method
 * -SM_E_INVALID, one switched off by date or not applicable to the name
 * -SM_E_DCV_METHOD (field "dcv_method"). */
static int method_for(const char *name, const char *method, time_t now, char *stored, size_t n,
                      struct sm_err *e)
{
    if (method == NULL || name == NULL || dcv_method_parse(method) < 0)
        return sm_err_set(e, SM_E_INVALID, "dcv_method", "unknown method %s", method ? method : "");
    int m = dcv_method_parse(method);
    if (!dcv_method_allowed(m, now))
        return sm_err_set(e, SM_E_DCV_METHOD, "dcv_method", "validation by e-mail has ended");
    if (strncmp(name, "*.", 2) == 0 && !dcv_method_applies(m, name))
        return sm_err_set(e, SM_E_DCV_METHOD, "dcv_method", "no %s validation for %s", method,
                          name);
    if (dcv_method_for_name(method, name, stored, n) < 0)
        return sm_err_set(e, SM_E_INVALID, "dcv_method", "method %s does not apply to %s", method,
                          name);
    return 0;
}

int validate_set_method_tx(const struct order_env *env, const struct order_actor *who,
                           const struct config *cfg, const struct order_row *o, const char *name,
                           const char *method, struct sm_err *e)
{
    time_t now = clock_now();
    char stored[300];
    int rc = method_for(name, method, now, stored, sizeof stored, e);
    if (rc < 0)
        return rc;
    method = stored;
    struct order_domain_row *d = NULL;
    size_t n = 0, found = 0;
    char value[DCV_VALUE_LEN + 1];
    time_t exp = dcv_value_expires(now);
    rc = dcv_random_value(value, sizeof value);
    enum order_state st = ORDER_CANCELLED;
    if (rc == 0 && (order_state_parse(o->state, &st) < 0 || !order_editable(st)))
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "order %s is %s", o->receipt_no, o->state);
    if (rc == 0)
        rc = order_domains_list(env->db, o->id, &d, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(d[i].name, name) == 0 && strcmp(d[i].state, "validated") != 0)
            found = 1;
    if (rc == 0 && !found)
        rc = sm_err_set(e, SM_E_NOTFOUND, "name", "no pending domain %s", name);
    if (rc == 0)
        rc = order_domains_set_method(env->db, o->id, name, method, value, exp, e);
    if (rc == 0) {
        json_t *a = json_pack("{s:s, s:s}", "name", name, "method", method);
        rc = order_audit(env, who, o, "order.dcv_method", a, e);
        json_decref(a);
    }
    if (rc == 0 && dcv_method_parse(method) == DCV_EMAIL && checkable_state(o->state))
        rc = mail_link(env, cfg, o, name, method, value, exp, e);
    order_domain_rows_free(d, n);
    return rc;
}

int validate_set_method(const struct order_env *env, const struct order_actor *who,
                        const struct config *cfg, int64_t order_id, const char *name,
                        const char *method, struct sm_err *e)
{
    char stored[300];
    int rc = method_for(name, method, clock_now(), stored, sizeof stored, e);
    struct order_row *o = NULL;
    if (rc == 0)
        rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    rc = orders_get(env->db, order_id, &who->scope, &o, e);
    if (rc == 0)
        rc = validate_set_method_tx(env, who, cfg, o, name, method, e);
    if (rc == 0)
        rc = db_commit(env->db, e);
    if (rc < 0)
        db_rollback(env->db);
    order_row_free(o);
    return rc;
}

int validate_steps_list(const struct order_env *env, const struct order_actor *who,
                        const struct config *cfg, int64_t order_id, struct validate_step **out,
                        size_t *nout, struct sm_err *e)
{
    struct order_row *o = NULL;
    struct order_domain_row *d = NULL;
    size_t n = 0;
    *out = NULL;
    *nout = 0;
    int rc = orders_get(env->db, order_id, &who->scope, &o, e);
    if (rc == 0)
        rc = order_domains_list(env->db, order_id, &d, &n, e);
    struct validate_step *t = rc == 0 ? calloc(n ? n : 1, sizeof *t) : NULL;
    if (rc == 0 && t == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, "domains", "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *host = strncmp(d[i].name, "*.", 2) == 0 ? d[i].name + 2 : d[i].name;
        char file[64] = "";
        snprintf(t[i].name, sizeof t[i].name, "%s", d[i].name);
        snprintf(t[i].method, sizeof t[i].method, "%s", d[i].dcv_method);
        snprintf(t[i].state, sizeof t[i].state, "%s", d[i].state);
        int m = dcv_method_parse(d[i].dcv_method);
        t[i].issued = d[i].random_value != NULL && d[i].random_value[0] != '\0';
        if (m != DCV_EMAIL) /* BR 3.2.2.4.4: the e-mailed value goes to the mailbox only */
            snprintf(t[i].value, sizeof t[i].value, "%s",
                     d[i].random_value ? d[i].random_value : "");
        t[i].expires_at = d[i].value_expires_at;
        t[i].validated_at = d[i].validated_at;
        if (m == DCV_DNS_TXT)
            snprintf(t[i].record_name, sizeof t[i].record_name, "%s.%s", DCV_DNS_LABEL, host);
        if (m == DCV_HTTP_FILE && d[i].random_value != NULL &&
            dcv_http_file_name(d[i].random_value, file, sizeof file) == 0)
            snprintf(t[i].url, sizeof t[i].url, "http://%s%s%s", host, DCV_HTTP_PATH, file);
        if (m == DCV_EMAIL) /* exactly where the link is (or was) sent */
            dcv_email_address(d[i].dcv_method, d[i].name, t[i].email, sizeof t[i].email);
        t[i].reused = d[i].reused_from > 0;
        json_t *ev = d[i].evidence ? json_loads(d[i].evidence, 0, NULL) : NULL;
        const char *reason = json_string_value(json_object_get(ev, "reason"));
        snprintf(t[i].reason, sizeof t[i].reason, "%s", reason ? reason : "");
        json_decref(ev);
    }
    (void)cfg;
    order_domain_rows_free(d, n);
    order_row_free(o);
    if (rc < 0) {
        free(t);
        return rc;
    }
    *out = t;
    *nout = n;
    return 0;
}

int validate_due(const struct order_env *env, const struct config *cfg, int limit, int *checked,
                 struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t n = 0;
    int count = 0;
    int rc = order_domains_pending(env->db, limit, &d, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= d[j].order_id == d[i].order_id;
        int m = dcv_method_parse(d[i].dcv_method);
        if (seen || (m != DCV_DNS_TXT && m != DCV_HTTP_FILE))
            continue;
        struct sm_err ce = {0};
        int left = 0;
        if (validate_check_now(env, &system_actor, cfg, d[i].order_id, &left, &ce) < 0)
            log_warn("domain validation failed to run", "order", ce.field, "why", ce.detail);
        count++;
    }
    order_domain_rows_free(d, n);
    if (checked != NULL)
        *checked = count;
    return rc;
}

/* ---- the e-mail link's confirmation page ---- */

int validate_email_lookup(const struct order_env *env, const char *token,
                          struct validate_email_info *out, struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    struct order_row *o = NULL;
    struct org_row org;
    time_t now = clock_now();
    memset(out, 0, sizeof *out);
    if (!dcv_value_well_formed(token))
        return sm_err_set(e, SM_E_NOTFOUND, "token", "malformed token");
    int rc = order_domains_by_value(env->db, token, &d, e);
    if (rc == 0 &&
        (dcv_method_parse(d->dcv_method) != DCV_EMAIL || d->value_expires_at <= (int64_t)now))
        rc = sm_err_set(e, SM_E_NOTFOUND, "token", "token expired or not an e-mail validation");
    if (rc == 0)
        rc = orders_get(env->db, d->order_id, &system_actor.scope, &o, e);
    if (rc == 0)
        rc = org_get(env->db, o->org_id, &org, e);
    if (rc == 0) {
        snprintf(out->domain, sizeof out->domain, "%s", d->name);
        dcv_email_address(d->dcv_method, d->name, out->address, sizeof out->address);
        snprintf(out->receipt_no, sizeof out->receipt_no, "%s", o->receipt_no);
        snprintf(out->org_ja, sizeof out->org_ja, "%s", org.name_ja);
        snprintf(out->org_en, sizeof out->org_en, "%s", org.name_en[0] ? org.name_en : org.name_ja);
        out->requested_at = o->submitted_at > 0 ? o->submitted_at : o->created_at;
        out->expires_at = d->value_expires_at;
        out->validated = strcmp(d->state, "validated") == 0;
    }
    order_domain_rows_free(d, d ? 1 : 0);
    order_row_free(o);
    return rc;
}

/* ---- the evidence right before signing (issue 8 items 20, 21) ---- */

/* Why the evidence of validated row d may not be relied on at now; NULL when it may. */
static const char *evidence_problem(const struct order_domain_row *d, time_t now)
{
    int m = dcv_method_parse(d->dcv_method);
    if (d->validated_at <= 0)
        return "dcv.not_validated";
    if (m < 0)
        return "dcv.evidence_unknown"; /* e.g. a "reuse" row of older versions */
    if (!dcv_method_allowed(m, now))
        return "dcv.method_off";
    if (!dcv_reusable((time_t)d->validated_at, now))
        return "dcv.stale";
    if (!dcv_covers_evidence(m, evidence_adn(d), d->name))
        return "dcv.scope";
    return NULL;
}

int validate_evidence_current(const struct order_env *env, int64_t order_id, time_t now,
                              struct validate_stale *out, size_t max, size_t *n, struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t nd = 0;
    *n = 0;
    int rc = order_domains_list(env->db, order_id, &d, &nd, e);
    if (rc == 0 && nd == 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "domains", "the order has no domains");
    for (size_t i = 0; rc == 0 && i < nd; i++) {
        if (strcmp(d[i].state, "validated") != 0)
            continue; /* still being validated: issuance refuses it as it is */
        const char *why = evidence_problem(&d[i], now);
        if (why == NULL)
            continue;
        if (*n < max) {
            snprintf(out[*n].name, sizeof out[*n].name, "%s", d[i].name);
            out[*n].why = why;
        }
        (*n)++;
    }
    order_domain_rows_free(d, nd);
    return rc;
}

struct revalidate_arg {
    const struct config *cfg;
    const struct validate_stale *st;
    size_t n;
    const char *const *checks;
    size_t nchecks;
};

/* Sends stale domain name of o back to pending, with why and the old evidence kept. */
static int reset_domain(const struct order_env *env, const struct order_row *o,
                        const struct order_domain_row *d, const char *why, time_t now,
                        struct sm_err *e)
{
    char method[300];
    method_now(d, now, method, sizeof method);
    json_t *old = d->evidence ? json_loads(d->evidence, 0, NULL) : NULL;
    json_t *ev = json_pack("{s:s, s:s, s:I, s:o}", "reason", why, "previous_method", d->dcv_method,
                           "previous_validated_at", (json_int_t)d->validated_at, "previous",
                           old ? old : json_null());
    char *evs = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(ev);
    int rc = evs ? 0 : sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
    if (rc == 0)
        rc = order_domains_set_method(env->db, o->id, d->name, method, NULL, 0, e);
    if (rc == 0)
        rc = order_domains_set_result(env->db, o->id, d->name, "pending", 0, NULL, evs, e);
    free(evs);
    return rc;
}

static int do_revalidate(const struct order_env *env, const struct order_actor *who,
                         struct order_row *o, void *arg, struct sm_err *e)
{
    struct revalidate_arg *a = arg;
    struct order_domain_row *d = NULL;
    size_t nd = 0;
    time_t now = clock_now();
    json_t *det = json_pack("{s:[], s:[]}", "domains", "checks");
    if (det == NULL)
        return sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
    for (size_t i = 0; i < a->n; i++)
        json_array_append_new(json_object_get(det, "domains"),
                              json_pack("{s:s, s:s}", "name", a->st[i].name, "why", a->st[i].why));
    for (size_t i = 0; i < a->nchecks; i++)
        json_array_append_new(json_object_get(det, "checks"), json_string(a->checks[i]));
    int rc = order_transition_tx(env, who, o, ORDER_VETTING, "revalidate", NULL, det, e);
    json_decref(det);
    if (rc == 0)
        rc = order_domains_list(env->db, o->id, &d, &nd, e);
    for (size_t i = 0; rc == 0 && i < nd; i++)
        for (size_t k = 0; rc == 0 && k < a->n; k++)
            if (strcmp(d[i].name, a->st[k].name) == 0 && strcmp(d[i].state, "validated") == 0)
                rc = reset_domain(env, o, &d[i], a->st[k].why, now, e);
    order_domain_rows_free(d, nd);
    if (rc == 0 && a->n > 0)
        rc = validate_prepare_tx(env, a->cfg, o, e);
    return rc;
}

int validate_revalidate(const struct order_env *env, const struct order_actor *who,
                        const struct config *cfg, int64_t order_id, const struct validate_stale *st,
                        size_t n, const char *const *checks, size_t nchecks, struct sm_err *e)
{
    struct revalidate_arg a = {cfg, st, n, checks, nchecks};
    return order_with(env, who, order_id, 0, do_revalidate, &a, e);
}
