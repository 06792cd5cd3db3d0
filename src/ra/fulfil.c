/* SPDX-License-Identifier: MIT */
/* Issuance of approved orders (see fulfil.h). The issuing CA of each level and root is
 * opened once per process (ra/issuer.h issuer_cached) and kept for signing. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "net/dns.h"
#include "pki/ca.h"
#include "pki/csr.h"
#include "ra/keyblock.h"
#include "ra/caa.h"
#include "ra/dcv.h"
#include "ra/fulfil.h"
#include "ra/mpic.h"
#include "ra/issuance.h"
#include "ra/issuer.h"
#include "ra/review.h"
#include "ra/subscription.h"
#include "ra/validate.h"
#include "store/caa_checks.h"
#include "store/acme_orders.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/products.h"

#define MAX_NAMES 128

static const struct order_actor system_actor = {0, {1, NULL, 0}};

/* ---- what goes into the certificate ---- */

struct vetted {
    char *names[MAX_NAMES];
    size_t nnames;
    char *methods[MAX_NAMES]; /* stored DCV method of each name */
    struct profile_subject subj;
    json_t *applicant; /* owns the strings subj points into */
    struct csr_info *csr;
};

static void vetted_clear(struct vetted *v)
{
    for (size_t i = 0; i < v->nnames; i++) {
        free(v->names[i]);
        free(v->methods[i]);
    }
    json_decref(v->applicant);
    csr_info_free(v->csr);
    memset(v, 0, sizeof *v);
}

static const char *jstr(json_t *o, const char *a, const char *b)
{
    json_t *x = json_object_get(o, a);
    return json_string_value(b ? json_object_get(x, b) : x);
}

/* The subject from the vetted application only (R-CSR-2, R-ISS-2). */
static void subject_of(const struct product_row *p, struct vetted *v, const struct order_row *o)
{
    memset(&v->subj, 0, sizeof v->subj);
    v->subj.cn = v->names[0];
    if (strcmp(p->level, "dv") == 0)
        return;
    v->applicant = o->applicant ? json_loads(o->applicant, 0, NULL) : NULL;
    v->subj.o = jstr(v->applicant, "subject", "o");
    v->subj.l = jstr(v->applicant, "subject", "l");
    v->subj.st = jstr(v->applicant, "subject", "st");
    v->subj.c = jstr(v->applicant, "subject", "c");
    if (strcmp(p->level, "ev") == 0) {
        const char *cat = jstr(v->applicant, "org", "category");
        v->subj.business_category = cat && strcmp(cat, "government") == 0 ? "Government Entity"
                                    : cat && strcmp(cat, "private") == 0  ? "Private Organization"
                                                                          : "Business Entity";
        v->subj.jurisdiction_c = "JP";
        v->subj.serial_number = jstr(v->applicant, "org", "reg_no");
    }
}

/* Loads names, methods and CSR of o; every domain must be validated. */
static int load_vetted(struct db *db, const struct product_row *p, const struct order_row *o,
                       struct vetted *v, struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t n = 0;
    int rc = order_domains_list(db, o->id, &d, &n, e);
    if (rc == 0 && (n == 0 || n > MAX_NAMES))
        rc = sm_err_set(e, SM_E_CONFLICT, "domains", "order has %zu names", n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(d[i].state, "validated") != 0)
            rc = sm_err_set(e, SM_E_CONFLICT, "domains", "%s is not validated", d[i].name);
        else if ((v->names[i] = strdup(d[i].name)) == NULL ||
                 (v->methods[i] = strdup(d[i].dcv_method)) == NULL)
            rc = sm_err_set(e, SM_E_NOMEM, "names", "out of memory");
        else
            v->nnames = i + 1;
    }
    /* the CN first, as the application ordered the names */
    for (size_t i = 1; rc == 0 && o->cn != NULL && i < v->nnames; i++)
        if (strcmp(v->names[i], o->cn) == 0) {
            char *t = v->names[0], *m = v->methods[0];
            v->names[0] = v->names[i], v->methods[0] = v->methods[i];
            v->names[i] = t, v->methods[i] = m;
        }
    order_domain_rows_free(d, n);
    /* the compromised-key blocklist is read again right before signing (BR 6.1.1.3) */
    struct csr_check_opts copts = {ra_keyblock_lookup, db, 0, 0};
    if (rc == 0 && (o->csr_pem == NULL || csr_check((const unsigned char *)o->csr_pem,
                                                    strlen(o->csr_pem), &copts, &v->csr, e) < 0))
        rc = e && e->code ? -e->code : sm_err_set(e, SM_E_CSR, "csr", "no CSR");
    if (rc == 0 && (!v->csr->acceptable || v->csr->spki == NULL))
        rc = sm_err_set(e, SM_E_CSR, "csr", "the stored CSR is not acceptable");
    if (rc == 0)
        subject_of(p, v, o);
    return rc;
}

/* ---- checks right before signing ---- */

/* RFC 8657 label of the stored method (a reuse keeps the original method). */
static const char *caa_label(const char *stored)
{
    int m = dcv_method_parse(stored);
    return m < 0 ? NULL : dcv_method_caa_label(m);
}

/* ---- the CAA checks of one issuance (R-VAL-3, BR 5.4.1; issue 8 item 24) ---- */

struct caa_log {
    struct caa_check_row rows[MAX_NAMES];
    size_t n;
};

static void caa_log_clear(struct caa_log *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->rows[i].name);
        free(l->rows[i].reason);
        free(l->rows[i].relevant);
        free(l->rows[i].dnssec);
        free(l->rows[i].evidence);
    }
    l->n = 0;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* The DNSSEC state of the answer that decided: the last query of the climb. */
static char *deciding_dnssec(const char *evidence)
{
    json_t *ev = evidence ? json_loads(evidence, 0, NULL) : NULL;
    json_t *steps = json_object_get(ev, "steps");
    size_t k = json_array_size(steps);
    const char *s =
        k ? json_string_value(json_object_get(json_array_get(steps, k - 1), "dnssec")) : NULL;
    char *out = strdup(s ? s : "");
    json_decref(ev);
    return out;
}

/* Keeps the outcome of one CAA check of name for the record. */
static int caa_log_add(struct caa_log *l, int64_t order_id, const char *name,
                       const struct caa_result *r, time_t at, struct sm_err *e)
{
    if (l->n >= MAX_NAMES)
        return sm_err_set(e, SM_E_INTERNAL, "caa", "too many CAA checks");
    struct caa_check_row *c = &l->rows[l->n];
    memset(c, 0, sizeof *c);
    c->order_id = order_id;
    c->ok = r->ok;
    c->checked_at = (int64_t)at;
    c->name = strdup(name);
    c->reason = dup_or_null(r->reason);
    c->relevant = strdup(r->relevant);
    c->dnssec = deciding_dnssec(r->evidence);
    c->evidence = strdup(r->evidence ? r->evidence : "{}");
    l->n++;
    if (c->name == NULL || (r->reason && !c->reason) || !c->relevant || !c->dnssec || !c->evidence)
        return sm_err_set(e, SM_E_NOMEM, "caa", "out of memory");
    return 0;
}

/* Stores every kept check with cert_id (0 = it allowed no certificate). Caller's
 * transaction. */
static int caa_log_store(struct db *db, struct caa_log *l, int64_t cert_id, struct sm_err *e)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        l->rows[i].cert_id = cert_id;
        rc = caa_check_insert(db, &l->rows[i], e);
        if (rc == 0) /* R-VAL-8: the corroboration attempt of this check */
            rc = mpic_record_tx(db, l->rows[i].order_id, l->rows[i].name, "caa",
                                l->rows[i].evidence, NULL, e);
    }
    return rc;
}

/* Stores the checks of an issuance that did not happen in a transaction of their own. */
static void caa_log_store_alone(struct db *db, struct caa_log *l)
{
    struct sm_err e = {0};
    int rc = db_begin(db, &e);
    if (rc == 0)
        rc = caa_log_store(db, l, 0, &e);
    if (rc == 0)
        rc = db_commit(db, &e);
    if (rc < 0) {
        db_rollback(db);
        log_error("could not record CAA checks", "why", e.detail);
    }
}

/* Records a refused issuance (R-VAL-3: a blocked issuance is logged) and returns err: the
 * audit record and, on the order, the refusal code (the order pages' message key suffix,
 * e.g. "issue.cn_limit", "caa.forbidden") with its time, in one transaction. */
static int blocked(const struct order_env *env, const struct order_actor *who, int64_t id,
                   const char *what, const char *code, json_t *detail, int err, struct sm_err *e)
{
    struct order_row *o = NULL;
    struct sm_err ae = {0};
    (void)e;
    int rc = db_begin(env->db, &ae);
    if (rc == 0)
        rc = orders_get(env->db, id, &system_actor.scope, &o, &ae);
    if (rc == 0 && code != NULL)
        json_object_set_new(detail, "refusal", json_string(code));
    /* the customer hears of a refusal once, not of every retry that meets it again (o was
     * read before the refusal is written) */
    int news = rc == 0 && code != NULL && strcmp(o->issue_refusal, code) != 0;
    /* the refusal, then its audit record (the chain head is locked at commit in any
     * order: see store/audit) */
    if (rc == 0)
        rc = orders_set_refusal(env->db, id, code, (int64_t)clock_now(), &ae);
    if (rc == 0)
        rc = order_audit(env, who, o, what, detail, &ae);
    if (rc == 0 && news && env->hooks != NULL && env->hooks->notify != NULL) {
        char *dj = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
        rc = dj ? env->hooks->notify(env->hooks->arg, env->db, o, ORDER_ISSUE_REFUSED, dj, &ae)
                : sm_err_set(&ae, SM_E_NOMEM, "notice", "out of memory");
        free(dj);
    }
    if (rc == 0)
        rc = db_commit(env->db, &ae);
    if (rc < 0) {
        db_rollback(env->db);
        log_error("could not record a blocked issuance", "why", ae.detail);
    }
    char *s = json_dumps(detail, JSON_COMPACT);
    log_warn("issuance blocked", "order", o ? o->receipt_no : "?", "what", what, "detail",
             s ? s : "");
    free(s);
    order_row_free(o);
    json_decref(detail);
    return -err;
}

/* Checks CAA of every name; every outcome is kept in log (stored with the certificate, or
 * without one when nothing was issued). */
static int check_caa(const struct order_env *env, const struct order_actor *who,
                     const struct config *cfg, int64_t id, const struct vetted *v,
                     const char *account, struct caa_log *log, struct sm_err *e)
{
    struct dns *dns = NULL;
    int rc = dns_open(cfg, &dns, e);
    /* issue 8 item 5: a person waiting (approve, issue) is not held for the full DNS
     * time-out; a DNS failure then leaves the order approved and the vetting worker
     * retries it in the background with the full time-out. */
    if (rc == 0 && who != &system_actor)
        dns_cap_timeout(dns, FULFIL_WAIT_DNS_MS);
    for (size_t i = 0; rc == 0 && i < v->nnames; i++) {
        struct caa_request q = {v->names[i], config_str(cfg, "caa", "identities"), account,
                                caa_label(v->methods[i])};
        struct caa_result r = {0};
        time_t at = clock_now();
        rc = caa_check(dns, &q, at, &r);
        if (rc == 0)
            rc = caa_log_add(log, id, v->names[i], &r, at, e);
        if (rc == 0 && !r.ok) {
            /* a DNS failure has its own field (and message), never a CAA refusal's */
            sm_err_set(e, SM_E_POLICY, caa_dns_failure(r.reason) ? r.reason : "caa", "%s: %s (%s)",
                       v->names[i], r.reason, r.detail);
            json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "name", v->names[i], "reason", r.reason,
                                  "detail", r.detail, "evidence", r.evidence ? r.evidence : "");
            rc = blocked(env, who, id, "order.caa_blocked", r.reason ? r.reason : "caa.refused", d,
                         SM_E_POLICY, NULL);
        }
        caa_result_free(&r);
    }
    dns_close(dns);
    return rc;
}

/* ---- the evidence right before signing (issue 8 items 20, 21) ---- */

/* Every domain's evidence inside the dated reuse period, by a method not switched off and
 * covering its name, and (OV/EV) every organization check inside the identity reuse period
 * (R-VAL-2, R-VAL-4). Otherwise the order goes back to validation (validate_revalidate)
 * and -SM_E_CONFLICT (field "evidence") says what was too old. */
static int evidence_current(const struct order_env *env, const struct order_actor *who,
                            const struct config *cfg, const struct order_row *o,
                            const struct product_row *p, struct sm_err *e)
{
    time_t now = clock_now();
    struct validate_stale *st = calloc(MAX_NAMES, sizeof *st);
    const char *missing[5];
    size_t n = 0, nm = 0;
    int rc = st ? 0 : sm_err_set(e, SM_E_NOMEM, "evidence", "out of memory");
    if (rc == 0)
        rc = validate_evidence_current(env, o->id, now, st, MAX_NAMES, &n, e);
    if (rc == 0)
        rc = review_checks_missing(env, o, p, now, missing, &nm, e);
    if (rc == 0 && (n > 0 || nm > 0)) {
        char what[200] = "";
        size_t k = 0;
        for (size_t i = 0; i < n && i < MAX_NAMES && k < sizeof what; i++)
            k += (size_t)snprintf(what + k, sizeof what - k, "%s%s (%s)", k ? ", " : "", st[i].name,
                                  st[i].why);
        for (size_t i = 0; i < nm && k < sizeof what; i++)
            k += (size_t)snprintf(what + k, sizeof what - k, "%scheck %s", k ? ", " : "",
                                  missing[i]);
        struct sm_err re = {0};
        if (validate_revalidate(env, who, cfg, o->id, st, n < MAX_NAMES ? n : MAX_NAMES, missing,
                                nm, &re) < 0)
            log_error("could not send the order back to validation", "order", o->receipt_no, "why",
                      re.detail);
        log_warn("issuance refused: evidence too old, back to validation", "order", o->receipt_no,
                 "what", what);
        rc = sm_err_set(e, SM_E_CONFLICT, "evidence", "%s", what);
    }
    free(st);
    return rc;
}

/* ---- issuance ---- */

struct stored_arg {
    const struct order_env *env;
    const struct order_actor *who;
    int64_t order_id;
    struct caa_log *caa;
    const struct sub_plan *plan;       /* R-REN-6: the subscription the certificate belongs to */
    const struct acme_order_row *acme; /* the ACME order it came from, or NULL */
};

static int on_stored(void *arg, struct db *db, const struct issuance_item *it, int64_t cert_id,
                     struct sm_err *e)
{
    struct stored_arg *a = arg;
    struct order_row *o = NULL;
    (void)it;
    int rc = orders_get(db, a->order_id, &system_actor.scope, &o, e);
    if (rc == 0)
        rc = caa_log_store(db, a->caa, cert_id, e); /* BR 5.4.1: with the certificate */
    if (rc == 0)
        rc = subscription_record_tx(db, o, a->plan, cert_id, clock_now(), e);
    if (rc == 0)
        rc = order_mark_issued_tx(a->env, a->who, o, cert_id, e);
    if (rc == 0 && o->issue_refusal[0] != '\0')
        rc = orders_set_refusal(db, a->order_id, NULL, 0, e); /* no longer waiting */
    if (rc == 0 && a->acme != NULL) /* the profile with the certificate, the ACME order valid */
        rc = certs_set_profile(db, cert_id, a->acme->profile, e);
    if (rc == 0 && a->acme != NULL)
        rc = acme_order_set_cert(db, a->acme->id, cert_id, e);
    order_row_free(o);
    return rc;
}

/* The ACME order portal order o came from (acme->id 0 when none) and, then, its account URL
 * for RFC 8657 accounturi (account: 512 bytes), which is returned; NULL for other orders. */
static const char *acme_of(const struct order_env *env, const struct config *cfg,
                           const struct order_row *o, struct acme_order_row *acme, char *account)
{
    if (acme_order_by_portal(env->db, o->id, acme, NULL) < 0) {
        memset(acme, 0, sizeof *acme);
        return NULL;
    }
    const char *base = config_str(cfg, "server", "base_url");
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(account, 512, "%.*s/acme/acct/%lld", (int)bl, base, (long long)acme->account_id);
    return account;
}

int fulfil_issue(const struct order_env *env, const struct order_actor *who,
                 const struct config *cfg, int64_t order_id, struct sm_err *e)
{
    struct order_row *o = NULL;
    struct product_row p;
    struct vetted v = {0};
    struct ca_issuer *is = NULL;
    struct sub_plan plan;
    struct caa_log *caa = calloc(1, sizeof *caa);
    int64_t max_cn = 2, count = 0;
    struct acme_order_row acme = {0};
    char account[512];
    time_t now = clock_now();
    int rc = orders_get(env->db, order_id, &who->scope, &o, e);
    if (rc == 0 && strcmp(o->state, "issued") == 0)
        goto out;
    if (rc == 0 && strcmp(o->state, "approved") != 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "order %s is %s", o->receipt_no, o->state);
    if (rc == 0 && caa == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, "caa", "out of memory");
    if (rc == 0)
        rc = products_get(env->db, o->product_id, &p, e);
    if (rc == 0) /* R-REN-6: a continuation never passes its subscription's end */
        rc = subscription_plan(env->db, o, &p, now, &plan, e);
    if (rc == 0) /* before the network: nothing to look up for an order going back */
        rc = evidence_current(env, who, cfg, o, &p, e);
    if (rc == 0)
        rc = load_vetted(env->db, &p, o, &v, e);
    if (rc == 0)
        rc = config_int(cfg, "issue", "max_per_cn", 1, 100, &max_cn, e);
    if (rc == 0)
        rc = certs_count_valid_cn(env->db, o->org_id, v.names[0], (int64_t)now, &count, e);
    if (rc == 0 && count >= max_cn) { /* R-ISS-6 */
        sm_err_set(e, SM_E_POLICY, "cn_limit", "%lld valid certificates for %s already",
                   (long long)count, v.names[0]);
        rc = blocked(env, who, order_id, "order.cn_limit", "issue.cn_limit",
                     json_pack("{s:s, s:I}", "cn", v.names[0], "valid", (json_int_t)count),
                     SM_E_POLICY, NULL);
    }
    if (rc == 0)
        rc = check_caa(env, who, cfg, order_id, &v, acme_of(env, cfg, o, &acme, account), caa,
                       e); /* R-VAL-3: right before signing */
    if (rc == 0)
        rc = issuer_cached(env->db, cfg, p.level, o->root_option[0] ? o->root_option : "a", &is, e);
    if (rc == 0) /* again after the lookups: the last moment before the serial and signing */
        rc = evidence_current(env, who, cfg, o, &p, e);
    if (rc == 0) {
        char actor[32];
        order_actor_name(who, actor, sizeof actor);
        struct stored_arg sa = {env, who, order_id, caa, &plan, acme.id ? &acme : NULL};
        struct issuance_opts io = {actor, 1, 1, on_stored, &sa, NULL, NULL, NULL};
        struct issuance_item it = {0};
        it.pubkey = v.csr->pkey;
        it.spki = v.csr->spki;
        it.names = (const char *const *)v.names;
        it.nnames = v.nnames;
        it.subj = strcmp(p.level, "dv") == 0 ? NULL : &v.subj;
        it.subscription_end = plan.ends_at;
        it.order_id = o->id;
        it.org_id = o->org_id;
        it.allow_wildcard = p.wildcard;
        it.short_lived = acme.id != 0 && strcmp(acme.profile, "shortlived") == 0;
        rc = issuance_run(env->db, is, &io, &it, 1, e);
        if (rc == 0 && it.rc < 0) {
            rc = it.rc;
            if (e != NULL)
                *e = it.err;
            if (rc == -SM_E_LINT) /* logged and audited by ra/issuance; shown on the order */
                blocked(env, who, order_id, "order.lint_blocked", "issue.lint",
                        json_pack("{s:s}", "detail", it.err.detail), SM_E_LINT, NULL);
        }
        if (rc == 0) {
            log_info("certificate issued", "order", o->receipt_no, "serial", it.serial);
            caa_log_clear(caa); /* stored with the certificate */
        }
        issuance_item_clear(&it);
    }
out:
    if (caa != NULL && caa->n > 0)
        caa_log_store_alone(env->db, caa); /* checks that allowed no certificate */
    if (caa != NULL)
        caa_log_clear(caa);
    free(caa);
    vetted_clear(&v);
    acme_order_row_free(&acme);
    order_row_free(o);
    return rc;
}

int fulfil_approve(const struct order_env *env, const struct order_actor *who,
                   const struct config *cfg, int64_t order_id, int64_t version, struct sm_err *e)
{
    (void)cfg; /* the move to approved schedules the issuance job (order_transition_tx) */
    /* R-VAL-8, issue 11 item 2: issuance corroborates CAA from the perspectives; with too
     * few of them for the date the approval is refused with the reason, not left to fail
     * in the job */
    int rc = mpic_ready(clock_now(), e);
    return rc < 0 ? rc : review_approve(env, who, order_id, version, e);
}

/* Schedules the issuance job of order id if it is approved, the state read in the same
 * transaction as the schedule (an order issued meanwhile is not scheduled again).
 * -SM_E_CONFLICT field "state" otherwise. */
static int schedule_if_approved(const struct order_env *env, int64_t order_id,
                                const struct order_actor *who, struct sm_err *e)
{
    struct order_row *o = NULL;
    int rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    rc = orders_get(env->db, order_id, &who->scope, &o, e);
    if (rc == 0 && strcmp(o->state, "approved") != 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "order %s is %s", o->receipt_no, o->state);
    if (rc == 0)
        rc = order_issue_schedule(env->db, order_id, e);
    if (rc == 0)
        rc = db_commit(env->db, e);
    else
        db_rollback(env->db);
    order_row_free(o);
    return rc;
}

int fulfil_after_validation(const struct order_env *env, const struct config *cfg, int64_t order_id,
                            struct sm_err *e)
{
    struct order_row *o = NULL;
    struct product_row p;
    int rc = orders_get(env->db, order_id, &system_actor.scope, &o, e);
    if (rc == 0 && strcmp(o->state, "vetting") == 0) {
        rc = products_get(env->db, o->product_id, &p, e);
        if (rc == 0 && strcmp(p.level, "dv") == 0)
            rc = fulfil_approve(env, &system_actor, cfg, order_id, 0, e);
    } else if (rc == 0 && strcmp(o->state, "approved") == 0) {
        rc = schedule_if_approved(env, order_id, &system_actor, e);
    }
    order_row_free(o);
    return rc;
}

int fulfil_retry(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                 struct sm_err *e)
{
    return schedule_if_approved(env, order_id, who, e);
}

int fulfil_may_recover(int rc, const struct sm_err *e)
{
    int code = -rc;
    if (rc >= 0)
        return 0;
    return caa_dns_may_pass(e != NULL ? e->field : NULL) || code == SM_E_DB ||
           code == SM_E_DB_BUSY || code == SM_E_NOMEM || code == SM_E_IO ||
           code == SM_E_STORAGE_FULL || code == SM_E_CRYPTO || code == SM_E_INTERNAL;
}

int fulfil_issue_job(const struct order_env *env, const struct config *cfg, int64_t order_id,
                     struct sm_err *e)
{
    struct sm_err fe = {0};
    int rc = fulfil_issue(env, &system_actor, cfg, order_id, &fe);
    if (rc == 0)
        return 0;
    int retry = fulfil_may_recover(rc, &fe);
    if (e != NULL)
        *e = fe;
    if (retry)
        return rc;
    /* refused for good until something changes: the refusal is on the order (or the order
     * went back to vetting, or is no longer approved); the vetting sweep schedules the
     * job again for an order still approved */
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)order_id);
    log_info("issuance job ended without a certificate", "order_id", id, "field", fe.field, "why",
             fe.detail);
    return 0;
}

int fulfil_due(const struct order_env *env, const struct config *cfg, int *done, struct sm_err *e)
{
    static const char *const states[] = {"approved", "vetting"};
    struct orders_filter f = {ORG_SCOPE_ALL, states, 2, 0, ORDERS_SORT_AGE, 100, 0};
    struct order_row *rows = NULL;
    size_t n = 0;
    int count = 0;
    int rc = orders_list(env->db, &f, &rows, &n, NULL, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct order_domain_row *d = NULL;
        size_t nd = 0, ok = 0;
        if (order_domains_list(env->db, rows[i].id, &d, &nd, NULL) == 0)
            for (size_t j = 0; j < nd; j++)
                ok += strcmp(d[j].state, "validated") == 0;
        order_domain_rows_free(d, nd);
        if (nd == 0 || ok != nd)
            continue;
        struct sm_err fe = {0};
        if (fulfil_after_validation(env, cfg, rows[i].id, &fe) == 0)
            count++;
        else
            log_info("order not issued yet", "order", rows[i].receipt_no, "why", fe.detail);
    }
    order_rows_free(rows, n);
    if (done != NULL)
        *done = count;
    return rc;
}
