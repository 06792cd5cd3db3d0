/* SPDX-License-Identifier: MIT */
/* Subscriptions, continued issuance, renewal and the reminders sweep. See subscription.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/policy.h"
#include "pki/csr.h"
#include "ra/fulfil.h"
#include "ra/keyblock.h"
#include "ra/notice.h"
#include "ra/price.h"
#include "ra/subscription.h"
#include "ra/validate.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/outbox.h"
#include "store/users.h"
#include "store/vetting.h"

const int sub_reminder_days[SUB_NREMINDERS] = {90, 60, 45, 30, 15};

static const struct order_actor system_actor = {0, {1, NULL, 0}};
#define DAY POLICY_DAY_SECONDS

/* ---- rules ---- */

time_t sub_term_end(time_t start, int term_months)
{
    struct tm tm;
    gmtime_r(&start, &tm);
    tm.tm_mon += term_months;
    return timegm(&tm) - 1;
}

time_t sub_cert_not_after(time_t nb, time_t at, time_t sub_end)
{
    time_t na = policy_not_after_max(nb, policy_max_validity_days(at));
    return sub_end != 0 && na > sub_end ? sub_end : na;
}

time_t sub_renewal_from(time_t ends_at)
{
    return ends_at + 1 - (time_t)SUB_RENEWAL_WINDOW_DAYS * DAY;
}

int sub_renewal_open(time_t ends_at, time_t now)
{
    return now >= sub_renewal_from(ends_at) && now <= ends_at;
}

int sub_carry_days(time_t old_end, time_t now)
{
    if (now >= old_end)
        return 0;
    long long days = ((long long)old_end + 1 - (long long)now) / DAY;
    int max = policy_max_validity_days(now);
    return days > max ? max : (int)days;
}

size_t sub_reminders_due(time_t ends_at, time_t now, size_t due[SUB_NREMINDERS])
{
    size_t n = 0;
    if (now > ends_at)
        return 0;
    for (size_t i = 0; i < SUB_NREMINDERS; i++)
        if (now >= ends_at + 1 - (time_t)sub_reminder_days[i] * DAY)
            due[n++] = i;
    return n;
}

/* ---- helpers ---- */

static int scope_has(const struct org_scope *s, int64_t org_id)
{
    if (s->all)
        return 1;
    for (size_t i = 0; i < s->n; i++)
        if (s->org_ids[i] == org_id)
            return 1;
    return 0;
}

static void utc_date(time_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

/* The certificate serial in who's scope, its subscription and the latest link. */
struct sub_ctx {
    struct certs_row *cert;
    struct subscription_row sub;
    struct subscription_cert_row *links;
    size_t nlinks;
    struct order_row *prev; /* the order of cert */
};

static void ctx_clear(struct sub_ctx *c)
{
    certs_row_free(c->cert);
    free(c->links);
    order_row_free(c->prev);
    memset(c, 0, sizeof *c);
}

static int ctx_load(struct db *db, const struct order_actor *who, const char *serial,
                    struct sub_ctx *c, struct sm_err *e)
{
    memset(c, 0, sizeof *c);
    int rc = certs_get_scoped(db, serial ? serial : "", &who->scope, &c->cert, e);
    if (rc == 0)
        rc = subscriptions_get_by_cert(db, c->cert->id, &c->sub, e);
    if (rc == 0 && !scope_has(&who->scope, c->sub.org_id))
        rc = sm_err_set(e, SM_E_NOTFOUND, "subscription", "no such subscription");
    if (rc == 0)
        rc = subscription_certs_list(db, c->sub.id, &c->links, &c->nlinks, e);
    if (rc == 0)
        rc = orders_get(db, c->cert->order_id, &system_actor.scope, &c->prev, e);
    return rc;
}

/* The order of the subscription not yet issued (not final), 0 when none. */
static int64_t pending_link(struct db *db, const struct sub_ctx *c)
{
    for (size_t i = 0; i < c->nlinks; i++) {
        if (c->links[i].cert_id != 0)
            continue;
        struct order_row *o = NULL;
        int live = orders_get(db, c->links[i].order_id, &system_actor.scope, &o, NULL) == 0 &&
                   strcmp(o->state, "cancelled") != 0 && strcmp(o->state, "rejected") != 0 &&
                   strcmp(o->state, "issued") != 0;
        order_row_free(o);
        if (live)
            return c->links[i].order_id;
    }
    return 0;
}

/* ---- issuance ---- */

/* R-RI-3: a reissued certificate ends when the one it replaces does (never later than the
 * subscription). */
static int reissued_end(struct db *db, const struct order_row *o, struct sub_plan *plan,
                        struct sm_err *e)
{
    struct certs_row *c = NULL;
    int rc = certs_get_id(db, o->predecessor_cert_id, &c, e);
    if (rc == 0 && c->not_after > 0 && c->not_after < plan->ends_at)
        plan->ends_at = c->not_after;
    certs_row_free(c);
    return rc;
}

int subscription_plan(struct db *db, const struct order_row *o, const struct product_row *p,
                      time_t now, struct sub_plan *plan, struct sm_err *e)
{
    memset(plan, 0, sizeof *plan);
    struct subscription_row s = {0};
    struct subscription_cert_row link = {0};
    struct sm_err ne = {0};
    int rc = subscriptions_get_by_order(db, o->id, &s, &link, &ne);
    if (rc == 0) { /* a continued certificate: the subscription's end */
        if (strcmp(s.state, "cancelled") == 0 || (time_t)s.ends_at <= now)
            return sm_err_set(e, SM_E_POLICY, "subscription", "subscription %lld is over",
                              (long long)s.id);
        *plan = (struct sub_plan){1, s.id, s.starts_at, s.ends_at, 0};
        if (strcmp(link.reason, "reissue") == 0) /* R-RI-3: the original's end date */
            return reissued_end(db, o, plan, e);
        return 0;
    }
    if (rc != -SM_E_NOTFOUND) {
        if (e != NULL)
            *e = ne;
        return rc;
    }
    plan->starts_at = now;
    plan->ends_at = sub_term_end(now, p->term_months);
    /* a renewal, or a new application replacing the subscription (R-REN-3): either way the
     * days left are not lost */
    if ((strcmp(o->kind, "renewal") == 0 || strcmp(o->kind, "new") == 0) &&
        o->predecessor_cert_id > 0 &&
        subscriptions_get_by_cert(db, o->predecessor_cert_id, &s, NULL) == 0 &&
        strcmp(s.state, "active") == 0) {
        /* R-REN-2: the days left of the old subscription are carried over */
        plan->kind = 2;
        plan->sub_id = s.id;
        plan->carried_days = sub_carry_days((time_t)s.ends_at, now);
        plan->ends_at += plan->carried_days * DAY;
    }
    return 0;
}

int subscription_record_tx(struct db *db, const struct order_row *o, const struct sub_plan *plan,
                           int64_t cert_id, time_t now, struct sm_err *e)
{
    if (plan->kind == 1)
        return subscription_certs_set_cert(db, o->id, cert_id, e);
    struct subscription_row s = {0};
    s.org_id = o->org_id;
    s.product_id = o->product_id;
    s.first_order_id = o->id;
    s.predecessor_id = plan->kind == 2 ? plan->sub_id : 0;
    s.starts_at = plan->starts_at;
    s.ends_at = plan->ends_at;
    s.carried_days = plan->carried_days;
    int64_t id = 0;
    int rc = subscriptions_insert(db, &s, (int64_t)now, &id, e);
    if (rc == 0)
        rc = subscription_certs_insert(db, id, o->id, cert_id,
                                       plan->kind == 2 ? "renewal" : "first", (int64_t)now, e);
    if (rc == 0 && plan->kind == 2)
        rc = subscriptions_set_state(db, plan->sub_id, "active", "renewed", (int64_t)now, e);
    json_t *d = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "subscription", (json_int_t)id, "order",
                          (json_int_t)o->id, "certificate", (json_int_t)cert_id, "ends_at",
                          (json_int_t)s.ends_at, "carried_days", (json_int_t)s.carried_days,
                          "renews", (json_int_t)s.predecessor_id);
    char object[48];
    snprintf(object, sizeof object, "subscription:%lld", (long long)id);
    if (rc == 0)
        rc = d ? audit_append_json(db, "system", "subscription.open", object, d, e)
               : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    json_decref(d);
    return rc;
}

int subscription_cert_locked(struct db *db, int64_t cert_id, struct sm_err *e)
{
    struct subscription_row s = {0};
    struct sm_err ne = {0};
    int rc = subscriptions_get_by_cert(db, cert_id, &s, &ne);
    if (rc == -SM_E_NOTFOUND)
        return 0;
    if (rc < 0) {
        if (e != NULL)
            *e = ne;
        return rc;
    }
    if (s.renewal_order_id <= 0 || strcmp(s.state, "active") != 0)
        return 0;
    struct order_row *o = NULL;
    rc = orders_get(db, s.renewal_order_id, &system_actor.scope, &o, e);
    if (rc < 0)
        return rc == -SM_E_NOTFOUND ? 0 : rc;
    int locked = strcmp(o->state, "cancelled") != 0 && strcmp(o->state, "rejected") != 0 &&
                 strcmp(o->state, "issued") != 0;
    order_row_free(o);
    return locked;
}

/* ---- continued issuance (継続発行) ---- */

/* The CSR of a continuation or renewal: NULL/"" = prev's; a new one must be acceptable and
 * carry the same CN. *out borrows either. */
static int csr_for(struct db *db, const struct order_row *prev, const char *csr_pem,
                   const char **out, struct sm_err *e)
{
    *out = prev->csr_pem;
    if (csr_pem == NULL || csr_pem[0] == '\0')
        return 0;
    struct csr_info *ci = NULL;
    struct csr_check_opts opts = {ra_keyblock_lookup, db, 0, 0};
    int rc = csr_check((const unsigned char *)csr_pem, strlen(csr_pem), &opts, &ci, e);
    if (rc == 0 && !ci->acceptable)
        rc = sm_err_set(e, SM_E_CSR, "csr", "the CSR is not acceptable");
    if (rc == 0 && (ci->cn == NULL || prev->cn == NULL || strcasecmp(ci->cn, prev->cn) != 0))
        rc = sm_err_set(e, SM_E_INVALID, "csr", "the CSR names CN %s, not %s",
                        ci->cn ? ci->cn : "(none)", prev->cn ? prev->cn : "");
    csr_info_free(ci);
    if (rc == 0)
        *out = csr_pem;
    return rc;
}

/* Copies prev's domains to order id: a validation still inside its dated reuse period is
 * reused (R-VAL-2), the others start again with the same method. *redo counts those. */
static int copy_domains(struct db *db, const struct order_row *prev, int64_t id, time_t now,
                        json_t *reused, json_t *redone, size_t *redo, struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t n = 0;
    *redo = 0;
    int rc = order_domains_list(db, prev->id, &d, &n, e);
    const char **names = rc == 0 ? calloc(n ? n : 1, sizeof *names) : NULL;
    const char **methods = rc == 0 ? calloc(n ? n : 1, sizeof *methods) : NULL;
    if (rc == 0 && (names == NULL || methods == NULL))
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        names[i] = d[i].name;
        methods[i] = strcmp(d[i].dcv_method, "reuse") == 0 ? "dns" : d[i].dcv_method;
    }
    if (rc == 0)
        rc = order_domains_replace(db, id, names, methods, n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int ok = strcmp(d[i].state, "validated") == 0 &&
                 policy_dcv_reusable((time_t)d[i].validated_at, now);
        if (!ok) {
            (*redo)++;
            json_array_append_new(redone, json_string(d[i].name));
            continue;
        }
        json_array_append_new(reused, json_string(d[i].name));
        rc = order_domains_set_result(db, id, d[i].name, "validated", d[i].validated_at,
                                      d[i].br_version, d[i].evidence, e);
        if (rc == 0)
            rc = order_domains_set_origin(db, id, d[i].name, d[i].adn, d[i].br_section,
                                          d[i].reused_from > 0 ? d[i].reused_from : d[i].id, e);
    }
    free(names);
    free(methods);
    order_domain_rows_free(d, n);
    return rc;
}

/* The organization checks of prev count for the continuation while they are current
 * (their own reuse periods are checked again before approval and signing). */
static int copy_checks(struct db *db, const struct order_row *prev, int64_t id, struct sm_err *e)
{
    struct vetting_check_row *v = NULL;
    size_t n = 0;
    int rc = vetting_checks_list(db, prev->id, &v, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct vetting_check_row c = v[i];
        c.order_id = id;
        rc = vetting_check_insert(db, &c, NULL, e);
    }
    free(v);
    return rc;
}

/* Inserts a copy of prev (kind, state, csr, amount, predecessor as given). Caller's
 * transaction. */
static int insert_copy(struct db *db, const struct order_actor *who, const struct order_row *prev,
                       const char *kind, const char *state, const char *csr, int64_t amount,
                       int64_t predecessor, const char *idem, time_t now, int64_t *id,
                       struct sm_err *e)
{
    struct order_row r = *prev; /* borrows prev's strings */
    r.id = 0;
    int rc = order_number_next(db, 0, now, r.receipt_no, sizeof r.receipt_no, e);
    if (rc < 0)
        return rc;
    snprintf(r.kind, sizeof r.kind, "%s", kind);
    snprintf(r.state, sizeof r.state, "%s", state);
    r.created_by = who->user_id;
    r.csr_pem = (char *)csr;
    r.amount = amount;
    r.invoice_no[0] = '\0';
    r.pay_method[0] = '\0';
    r.paid_at = r.decided_at = 0;
    r.submitted_at = now;
    r.decision_note = NULL;
    r.predecessor_cert_id = predecessor;
    r.cert_id = 0;
    r.idem_key = (char *)idem;
    r.issue_refusal[0] = '\0';
    r.issue_refused_at = 0;
    return orders_insert(db, &r, id, e);
}

const char *subscription_kind_shown(struct db *db, int64_t order_id, const char *kind)
{
    struct subscription_row s;
    struct subscription_cert_row link;
    if (kind == NULL || strcmp(kind, "new") != 0 || order_id <= 0 ||
        subscriptions_get_by_order(db, order_id, &s, &link, NULL) != 0)
        return kind;
    return strcmp(link.reason, "continued") == 0 ? "continued" : kind;
}

int subscription_continue(const struct order_env *env, const struct order_actor *who,
                          const struct config *cfg, const char *serial, const char *csr_pem,
                          int64_t *order_id, struct sm_err *e)
{
    struct sub_ctx c;
    struct order_row *o = NULL;
    time_t now = clock_now();
    *order_id = 0;
    json_t *reused = json_array(), *redone = json_array();
    size_t redo = 0;
    int rc = db_begin(env->db, e);
    if (rc == 0)
        rc = ctx_load(env->db, who, serial, &c, e);
    else
        memset(&c, 0, sizeof c);
    int64_t pending = rc == 0 ? pending_link(env->db, &c) : 0;
    if (pending > 0) { /* already under way: the same answer */
        db_rollback(env->db);
        *order_id = pending;
        goto out;
    }
    if (rc == 0) {
        int64_t latest = 0;
        for (size_t i = 0; i < c.nlinks; i++)
            if (c.links[i].cert_id != 0 && c.links[i].not_after > latest)
                latest = c.links[i].not_after;
        char from[16];
        utc_date((time_t)(c.cert->not_after + 1 - SUB_CONTINUE_WINDOW_DAYS * DAY), from,
                 sizeof from);
        if (strcmp(c.sub.state, "active") != 0 || now > (time_t)c.sub.ends_at)
            rc = sm_err_set(e, SM_E_POLICY, "continue.over", "the subscription is %s",
                            now > (time_t)c.sub.ends_at ? "over" : c.sub.state);
        else if (c.cert->not_after < latest)
            rc = sm_err_set(e, SM_E_POLICY, "continue.superseded",
                            "a later certificate of the subscription exists");
        else if (c.cert->not_after >= c.sub.ends_at)
            rc = sm_err_set(e, SM_E_POLICY, "continue.last",
                            "this certificate reaches the end of the subscription");
        else if (strcmp(c.cert->state, "issued") != 0)
            rc = sm_err_set(e, SM_E_POLICY, "continue.state", "the certificate is %s",
                            c.cert->state);
        else if (now < (time_t)(c.cert->not_after + 1 - SUB_CONTINUE_WINDOW_DAYS * DAY))
            rc = sm_err_set(e, SM_E_POLICY, "continue.window", "%s", from);
    }
    const char *csr = NULL;
    if (rc == 0)
        rc = csr_for(env->db, c.prev, csr_pem, &csr, e);
    char idem[64];
    snprintf(idem, sizeof idem, "continue:%lld:%lld", (long long)c.sub.id,
             (long long)(c.cert ? c.cert->id : 0));
    int64_t id = 0;
    static const struct org_scope all = {1, NULL, 0};
    if (rc == 0)
        rc = insert_copy(env->db, who, c.prev, "new", "awaiting_payment", csr, 0, 0, idem, now, &id,
                         e);
    if (rc == 0)
        rc = copy_domains(env->db, c.prev, id, now, reused, redone, &redo, e);
    if (rc == 0)
        rc = copy_checks(env->db, c.prev, id, e);
    if (rc == 0)
        rc = subscription_certs_insert(env->db, c.sub.id, id, 0, "continued", (int64_t)now, e);
    if (rc == 0)
        rc = orders_get(env->db, id, &all, &o, e);
    /* no payment: straight to vetting, without the payment notice */
    struct order_env quiet = *env;
    quiet.hooks = NULL;
    struct orders_state_set set = {.paid_at = now, .pay_method = "subscription"};
    json_t *d = json_pack("{s:I, s:s, s:O, s:O, s:b}", "subscription", (json_int_t)c.sub.id,
                          "from_serial", c.cert ? c.cert->serial : "", "dcv_reused", reused,
                          "dcv_redo", redone, "new_csr", csr_pem != NULL && csr_pem[0] != '\0');
    if (rc == 0)
        rc = order_audit(&quiet, who, o, "order.continued", d, e);
    if (rc == 0)
        rc = order_transition_tx(&quiet, who, o, ORDER_VETTING, "paid", &set, d, e);
    json_decref(d);
    if (rc == 0 && redo > 0)
        rc = validate_prepare_tx(&quiet, cfg, o, e); /* R-VAL-1: values for the names to redo */
    if (rc == 0)
        rc = db_commit(env->db, e);
    if (rc < 0) {
        db_rollback(env->db);
        goto out;
    }
    *order_id = id;
    log_info("continued issuance opened", "order", o->receipt_no, "serial", c.cert->serial);
    if (redo == 0) { /* every validation reused: approve and issue now */
        struct sm_err fe = {0};
        if (fulfil_approve(env, &system_actor, cfg, id, 0, &fe) < 0)
            log_info("continued order not issued yet", "order", o->receipt_no, "why", fe.detail);
    }
out:
    json_decref(reused);
    json_decref(redone);
    order_row_free(o);
    ctx_clear(&c);
    return rc;
}

/* ---- renewal ---- */

static const char *app_str(json_t *app, const char *a, const char *b)
{
    const char *s = json_string_value(json_object_get(json_object_get(app, a), b));
    return s ? s : "";
}

/* R-REN-3: a renewal keeps the organization, its address and phone, the CN and the SAN
 * limit; e->detail names the first change it refuses. */
static int renewal_changes_ok(const struct order_row *prev, const struct product_row *p,
                              const struct sub_renewal *r, struct sm_err *e)
{
    json_t *app = prev->applicant ? json_loads(prev->applicant, 0, NULL) : NULL;
    char addr[1024];
    snprintf(addr, sizeof addr, "%s%s%s%s", app_str(app, "org", "pref"),
             app_str(app, "org", "city"), app_str(app, "org", "street"),
             app_str(app, "org", "building"));
    const struct {
        const char *field, *want, *got;
    } keep[] = {
        {"cn", prev->cn ? prev->cn : "", r->cn},
        {"org.name_ja", app_str(app, "org", "name_ja"), r->org_name_ja},
        {"org.name_en", app_str(app, "org", "name_en"), r->org_name_en},
        {"org.postal", app_str(app, "org", "postal"), r->org_postal},
        {"org.address", addr, r->org_address},
        {"org.phone", app_str(app, "org", "phone"), r->org_phone},
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof keep / sizeof keep[0]; i++)
        if (keep[i].got != NULL && strcmp(keep[i].got, keep[i].want) != 0)
            rc = sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "%s", keep[i].field);
    if (rc == 0 && r->nnames > p->sans_max)
        rc = sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "names");
    json_decref(app);
    return rc;
}

int subscription_renew(const struct order_env *env, const struct order_actor *who,
                       const char *serial, const struct sub_renewal *r, int64_t *order_id,
                       struct sm_err *e)
{
    static const struct sub_renewal none = {0};
    struct sub_ctx c;
    struct product_row p;
    struct order_row *o = NULL;
    time_t now = clock_now();
    *order_id = 0;
    if (r == NULL)
        r = &none;
    const char *pay = r->pay_method && r->pay_method[0] ? r->pay_method : "invoice";
    if (strcmp(pay, "invoice") != 0 && strcmp(pay, "card") != 0)
        return sm_err_set(e, SM_E_INVALID, "pay_method", "invoice or card");
    for (int i = 0; i < 3; i++)
        if (r->notify_email[i] != NULL && r->notify_email[i][0] != '\0' &&
            (strchr(r->notify_email[i], '@') == NULL || strlen(r->notify_email[i]) > 254))
            return sm_err_set(e, SM_E_INVALID, "notify_emails", "not an e-mail address");
    int rc = db_begin(env->db, e);
    if (rc == 0)
        rc = ctx_load(env->db, who, serial, &c, e);
    else
        memset(&c, 0, sizeof c);
    if (rc == 0 && c.sub.renewal_order_id > 0 &&
        subscription_cert_locked(env->db, c.cert->id, NULL) == 1) {
        db_rollback(env->db);
        *order_id = c.sub.renewal_order_id;
        goto out;
    }
    if (rc == 0 && strcmp(c.sub.state, "active") != 0)
        rc = sm_err_set(e, SM_E_POLICY, "renewal.state", "the subscription is %s", c.sub.state);
    if (rc == 0 && !sub_renewal_open((time_t)c.sub.ends_at, now)) {
        char from[16];
        utc_date(sub_renewal_from((time_t)c.sub.ends_at), from, sizeof from);
        rc = sm_err_set(e, SM_E_POLICY, "renewal.window", "%s", from);
    }
    if (rc == 0)
        rc = products_get(env->db, c.prev->product_id, &p, e);
    if (rc == 0)
        rc = renewal_changes_ok(c.prev, &p, r, e);
    const char *csr = NULL;
    if (rc == 0)
        rc = csr_for(env->db, c.prev, r->csr_pem, &csr, e);
    char idem[64];
    snprintf(idem, sizeof idem, "renew:%lld", (long long)c.sub.id);
    int64_t id = 0;
    json_t *names = rc == 0 && c.prev->names ? json_loads(c.prev->names, 0, NULL) : NULL;
    size_t nnames = json_array_size(names);
    json_decref(names);
    int64_t extra = (int64_t)nnames > p.sans_included ? (int64_t)nnames - p.sans_included : 0;
    int64_t amount = 0; /* R-PRD-3: a renewal costs what a new order costs */
    if (rc == 0)
        rc = price_order_amount(env->db, c.prev->org_id, &p, extra, &amount, e);
    struct order_row prev = rc == 0 ? *c.prev : (struct order_row){0};
    for (int i = 0; rc == 0 && i < 3; i++)
        if (r->notify_email[i] != NULL)
            prev.notify_email[i] = r->notify_email[i][0] ? (char *)r->notify_email[i] : NULL;
    if (rc == 0 && prev.notify_email[0] == NULL)
        rc = sm_err_set(e, SM_E_INVALID, "notify_emails", "a notification address is needed");
    if (rc == 0)
        rc = insert_copy(env->db, who, &prev, "renewal", "awaiting_payment", csr, amount,
                         c.cert->id, idem, now, &id, e);
    if (rc == 0) { /* the names as before, validated again or reused like any order */
        json_t *ra = json_array(), *rd = json_array();
        size_t redo = 0;
        rc = copy_domains(env->db, c.prev, id, now, ra, rd, &redo, e);
        json_decref(ra);
        json_decref(rd);
    }
    char inv[32];
    if (rc == 0)
        rc = order_number_next(env->db, 1, now, inv, sizeof inv, e);
    static const struct org_scope all = {1, NULL, 0};
    if (rc == 0)
        rc = orders_set_invoice(env->db, id, inv, amount, e);
    if (rc == 0)
        rc = orders_get(env->db, id, &all, &o, e);
    if (rc == 0)
        rc = subscriptions_set_renewal(env->db, c.sub.id, id, (int64_t)now, e);
    json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "receipt_no", o ? o->receipt_no : "",
                          "kind", "renewal", "product", p.code, "amount",
                          (json_int_t)(o ? o->amount : 0), "from_serial",
                          c.cert ? c.cert->serial : "", "subscription", (json_int_t)c.sub.id);
    if (rc == 0)
        rc = order_audit(env, who, o, "order.submitted", d, e);
    json_decref(d);
    if (rc == 0 && strcmp(pay, "card") == 0) {
        struct orders_state_set set = {.paid_at = now, .pay_method = "card"};
        rc = orders_invoice_paid(env->db, id, now, e);
        if (rc == 0)
            rc = order_transition_tx(env, who, o, ORDER_VETTING, "paid", &set, NULL, e);
    }
    if (rc == 0)
        rc = db_commit(env->db, e);
    if (rc < 0) {
        db_rollback(env->db);
        goto out;
    }
    *order_id = id;
out:
    order_row_free(o);
    ctx_clear(&c);
    return rc;
}

/* ---- renewal and replacement through the application ---- */

void sub_source_clear(struct sub_source *s)
{
    order_row_free(s->prev);
    memset(s, 0, sizeof *s);
}

int subscription_source(struct db *db, const struct order_actor *who, const char *serial,
                        int replace, time_t now, struct sub_source *out, struct sm_err *e)
{
    struct sub_ctx c;
    memset(out, 0, sizeof *out);
    int rc = ctx_load(db, who, serial, &c, e);
    int pending = rc == 0 && c.sub.renewal_order_id > 0 &&
                  subscription_cert_locked(db, c.cert->id, NULL) == 1;
    if (rc == 0 && pending && !replace) {
        out->pending_order = c.sub.renewal_order_id;
        ctx_clear(&c);
        return 0;
    }
    if (rc == 0 && (strcmp(c.sub.state, "active") != 0 || now > (time_t)c.sub.ends_at))
        rc = sm_err_set(e, SM_E_POLICY, "renewal.state", "the subscription is %s",
                        now > (time_t)c.sub.ends_at ? "over" : c.sub.state);
    if (rc == 0 && pending)
        rc = sm_err_set(e, SM_E_CONFLICT, "renewal.pending", "a renewal is under way");
    if (rc == 0 && !replace && !sub_renewal_open((time_t)c.sub.ends_at, now)) {
        char from[16];
        utc_date(sub_renewal_from((time_t)c.sub.ends_at), from, sizeof from);
        rc = sm_err_set(e, SM_E_POLICY, "renewal.window", "%s", from);
    }
    if (rc == 0)
        rc = products_get(db, c.prev->product_id, &out->prev_product, e);
    if (rc == 0) {
        out->cert_id = c.cert->id;
        out->sub_id = c.sub.id;
        out->org_id = c.sub.org_id;
        out->prev = c.prev;
        c.prev = NULL;
    }
    ctx_clear(&c);
    return rc;
}

/* The organization's address as renewal_changes_ok compares it. */
static void org_address(json_t *app, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s%s", app_str(app, "org", "pref"), app_str(app, "org", "city"),
             app_str(app, "org", "street"), app_str(app, "org", "building"));
}

int subscription_renewal_keeps(const struct sub_source *src, const struct product_row *p,
                               const char *cn, const char *applicant, struct sm_err *e)
{
    const struct order_row *prev = src->prev;
    const struct product_row *pp = &src->prev_product;
    if (strcmp(p->level, pp->level) != 0 || p->multi_domain != pp->multi_domain ||
        p->wildcard != pp->wildcard)
        return sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "product");
    if (p->sans_max != pp->sans_max)
        return sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "names");
    if (cn == NULL || prev->cn == NULL || strcasecmp(cn, prev->cn) != 0)
        return sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "cn");
    json_t *was = prev->applicant ? json_loads(prev->applicant, 0, NULL) : NULL;
    json_t *now = applicant ? json_loads(applicant, 0, NULL) : NULL;
    char a1[1024], a2[1024];
    org_address(was, a1, sizeof a1);
    org_address(now, a2, sizeof a2);
    static const char *const keys[] = {"name_ja", "name_en", "postal", "phone"};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(app_str(was, "org", keys[i]), app_str(now, "org", keys[i])) != 0)
            rc = sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "org.%s", keys[i]);
    if (rc == 0 && strcmp(a1, a2) != 0)
        rc = sm_err_set(e, SM_E_POLICY, "renewal.forbidden", "org.address");
    json_decref(was);
    json_decref(now);
    return rc;
}

int subscription_link_tx(struct db *db, const struct sub_source *src, int64_t order_id,
                         const char *kind, time_t now, struct sm_err *e)
{
    int rc = subscriptions_set_renewal(db, src->sub_id, order_id, (int64_t)now, e);
    char object[48], detail[160];
    snprintf(object, sizeof object, "subscription:%lld", (long long)src->sub_id);
    snprintf(detail, sizeof detail, "{\"order\":%lld,\"kind\":\"%s\",\"from_cert\":%lld}",
             (long long)order_id, strcmp(kind, "renewal") == 0 ? "renewal" : "new",
             (long long)src->cert_id);
    if (rc == 0)
        rc = audit_append(db, "system",
                          strcmp(kind, "renewal") == 0 ? "subscription.renewal_applied"
                                                       : "subscription.replacement_applied",
                          object, detail, e);
    return rc;
}

/* ---- the sweep ---- */

/* Queues tmpl with vars to the notification addresses of the subscription's last order
 * and to the users of the managing reseller (R-REN-1), in the organization's language.
 * Takes vars (NULL: out of memory). */
static int queue_all(struct db *db, const struct subscription_row *s, const struct order_row *o,
                     const char *tmpl, json_t *vars, struct sm_err *e)
{
    char *v = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
    json_decref(vars);
    if (v == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = notice_queue_order(db, o, notice_org_lang(db, s->org_id), tmpl, v, e);
    if (rc == 0)
        rc = notice_queue_reseller(db, s->org_id, o->id, tmpl, v, e);
    free(v);
    return rc;
}

/* The latest issued link of s (its certificate and order); *o NULL when none. */
static int latest_of(struct db *db, const struct subscription_row *s, struct order_row **o,
                     struct subscription_cert_row *latest, struct sm_err *e)
{
    struct subscription_cert_row *l = NULL;
    size_t n = 0;
    *o = NULL;
    memset(latest, 0, sizeof *latest);
    int rc = subscription_certs_list(db, s->id, &l, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (l[i].cert_id != 0 && l[i].not_after >= latest->not_after)
            *latest = l[i];
    free(l);
    if (rc == 0 && latest->order_id > 0)
        rc = orders_get(db, latest->order_id, &system_actor.scope, o, e);
    return rc;
}

static json_t *base_vars(const struct config *cfg, const struct subscription_row *s,
                         const struct order_row *o, const struct subscription_cert_row *l)
{
    const char *base = cfg ? config_str(cfg, "server", "base_url") : "";
    char url[600], ends[16], from[16], na[16];
    snprintf(url, sizeof url, "%s/certificates/%s", base ? base : "", l->serial);
    utc_date((time_t)s->ends_at, ends, sizeof ends);
    utc_date(sub_renewal_from((time_t)s->ends_at), from, sizeof from);
    utc_date((time_t)l->not_after, na, sizeof na);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "cn", o->cn ? o->cn : "", "serial",
                     l->serial, "url", url, "ends", ends, "renew_from", from, "not_after", na);
}

/* One notice (kind, key) of s in a transaction of its own: recorded, and mailed when
 * mail is 1 and this call recorded it. *sent 1 then. */
static int notice_once(struct db *db, const struct config *cfg, const struct subscription_row *s,
                       const char *kind, const char *key, int mail, const char *tmpl, json_t *extra,
                       int *sent, struct sm_err *e)
{
    struct order_row *o = NULL;
    struct subscription_cert_row l = {0};
    int inserted = 0;
    *sent = 0;
    int rc = db_begin(db, e);
    if (rc == 0)
        rc = subscription_notices_insert(db, s->id, kind, key, mail, (int64_t)clock_now(),
                                         &inserted, e);
    if (rc == 0 && inserted && mail)
        rc = latest_of(db, s, &o, &l, e);
    if (rc == 0 && inserted && mail && o != NULL) {
        json_t *v = base_vars(cfg, s, o, &l);
        if (v != NULL && extra != NULL)
            json_object_update(v, extra);
        rc = queue_all(db, s, o, tmpl, v, e);
    }
    if (rc == 0 && inserted) {
        char object[48], detail[160];
        snprintf(object, sizeof object, "subscription:%lld", (long long)s->id);
        snprintf(detail, sizeof detail, "{\"kind\":\"%s\",\"key\":\"%s\",\"mailed\":%s}", kind, key,
                 mail ? "true" : "false");
        rc = audit_append(db, "system", "subscription.notice", object, detail, e);
    }
    if (rc == 0)
        rc = db_commit(db, e);
    else
        db_rollback(db);
    *sent = rc == 0 && inserted && mail;
    order_row_free(o);
    return rc;
}

static int cancel_one(struct db *db, const struct config *cfg, const struct subscription_row *s,
                      int *done, struct sm_err *e)
{
    struct order_row *o = NULL;
    struct subscription_cert_row l = {0};
    int inserted = 0;
    time_t now = clock_now();
    *done = 0;
    int rc = db_begin(db, e);
    if (rc == 0)
        rc = subscriptions_set_state(db, s->id, "active", "cancelled", (int64_t)now, e);
    if (rc == -SM_E_CONFLICT) { /* another process was first */
        db_rollback(db);
        return 0;
    }
    if (rc == 0)
        rc = subscription_notices_insert(db, s->id, "cancelled", "", 1, (int64_t)now, &inserted, e);
    if (rc == 0)
        rc = latest_of(db, s, &o, &l, e);
    if (rc == 0 && inserted && o != NULL) {
        rc = queue_all(db, s, o, "subscription_cancelled", base_vars(cfg, s, o, &l), e);
    }
    char object[48];
    snprintf(object, sizeof object, "subscription:%lld", (long long)s->id);
    if (rc == 0)
        rc = audit_append(db, "system", "subscription.cancelled", object,
                          "{\"reason\":\"no renewal by the end date\"}", e);
    if (rc == 0)
        rc = db_commit(db, e);
    else
        db_rollback(db);
    *done = rc == 0;
    order_row_free(o);
    return rc;
}

int subscription_sweep(struct db *db, const struct config *cfg, struct sub_sweep_stats *st,
                       struct sm_err *e)
{
    struct sub_sweep_stats z = {0};
    if (st == NULL)
        st = &z;
    memset(st, 0, sizeof *st);
    time_t now = clock_now();
    struct subscription_row *v = NULL;
    size_t n = 0;
    /* R-REN-1 reminders and R-REN-4 auto-cancel */
    int rc = subscriptions_list_active_ending(
        db, (int64_t)now + (int64_t)sub_reminder_days[0] * DAY, 1000, &v, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct subscription_row *s = &v[i];
        if ((time_t)s->ends_at < now) {
            int done = 0;
            rc = cancel_one(db, cfg, s, &done, e);
            st->cancelled += done;
            continue;
        }
        if (s->renewal_order_id > 0) {
            struct order_row *ro = NULL;
            int live = orders_get(db, s->renewal_order_id, &system_actor.scope, &ro, NULL) == 0 &&
                       strcmp(ro->state, "cancelled") != 0 && strcmp(ro->state, "rejected") != 0;
            order_row_free(ro);
            if (live)
                continue; /* a renewal is under way: no reminder */
        }
        size_t due[SUB_NREMINDERS];
        size_t nd = sub_reminders_due((time_t)s->ends_at, now, due);
        for (size_t k = 0; rc == 0 && k < nd; k++) {
            int d = sub_reminder_days[due[k]], sent = 0, last = k + 1 == nd;
            char key[8];
            snprintf(key, sizeof key, "%d", d);
            json_t *x = json_pack("{s:I}", "days",
                                  (json_int_t)(((long long)s->ends_at + 1 - now + DAY - 1) / DAY));
            /* only the latest reminder due is mailed; earlier ones passed over are recorded */
            rc =
                notice_once(db, cfg, s, "renewal", key, last, "subscription_reminder", x, &sent, e);
            json_decref(x);
            st->reminders += sent;
            st->passed_over += !last;
        }
    }
    free(v);
    v = NULL;
    n = 0;
    /* 継続発行: the reminder before a certificate ends inside the subscription */
    int64_t *certs = NULL;
    if (rc == 0)
        rc = subscriptions_list_cert_ending(db, (int64_t)now + SUB_CONTINUE_WINDOW_DAYS * DAY, 1000,
                                            &v, &certs, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char key[24];
        int sent = 0;
        snprintf(key, sizeof key, "%lld", (long long)certs[i]);
        rc = notice_once(db, cfg, &v[i], "continue", key, 1, "subscription_continue", NULL, &sent,
                         e);
        st->continue_notices += sent;
    }
    free(v);
    free(certs);
    return rc;
}
