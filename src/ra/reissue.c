/* SPDX-License-Identifier: MIT */
/* Reissue of an issued certificate (see reissue.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/names.h"
#include "ra/appform.h"
#include "ra/fulfil.h"
#include "ra/keyblock.h"
#include "ra/notice.h"
#include "ra/price.h"
#include "ra/reissue.h"
#include "ra/revoke.h"
#include "ra/subscription.h"
#include "ra/validate.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/order_domains.h"
#include "store/products.h"
#include "store/reissues.h"
#include "store/revocations.h"
#include "store/subscriptions.h"
#include "store/vetting.h"

#define DAY (86400LL)
#define JST (9 * 3600LL)

static const struct order_actor system_actor = {0, {1, NULL, 0}};

const char *const reissue_reasons[] = {
    "site_closed",    "domain_released", "org_changed", "replacement",
    "key_compromise", "key_lost",        "other",       NULL};

/* R-RI-1, in the order of reissue_reasons */
static const int reason_codes[] = {REVOKE_CESSATION_OF_OPERATION,
                                   REVOKE_CESSATION_OF_OPERATION,
                                   REVOKE_AFFILIATION_CHANGED,
                                   REVOKE_SUPERSEDED,
                                   REVOKE_KEY_COMPROMISE,
                                   REVOKE_SUPERSEDED,
                                   REVOKE_UNSPECIFIED};

int reissue_reason_code(const char *reason)
{
    for (size_t i = 0; reason != NULL && reissue_reasons[i] != NULL; i++)
        if (strcmp(reason, reissue_reasons[i]) == 0)
            return reason_codes[i];
    return -1;
}

void reissue_plan_clear(struct reissue_plan *p)
{
    if (p == NULL)
        return;
    free(p->names_json);
    free(p->added_json);
    free(p->removed_json);
    memset(p, 0, sizeof *p);
}

/* "YYYY-MM-DD" into a day number; -1 when not a date (2027-02-30 included). */
static int64_t parse_day(const char *s)
{
    time_t t = 0;
    if (s == NULL || strlen(s) != 10 || clock_parse_utc(s, &t) < 0 || t < 0)
        return -1;
    return (int64_t)t / DAY;
}

static char *dumps(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static int in_list(json_t *a, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (strcmp(json_string_value(v), name) == 0)
            return 1;
    }
    return 0;
}

/* The applicant organization's registered name(s) of an order. */
static void org_names(const struct order_row *o, char *ja, char *en, size_t n)
{
    json_t *app = o->applicant ? json_loads(o->applicant, 0, NULL) : NULL;
    json_t *org = json_object_get(app, "org");
    const char *a = json_string_value(json_object_get(org, "name_ja"));
    const char *b = json_string_value(json_object_get(org, "name_en"));
    snprintf(ja, n, "%s", a ? a : "");
    snprintf(en, n, "%s", b ? b : "");
    json_decref(app);
}

/* What a check loads and keeps for the apply. */
struct ri_ctx {
    struct certs_row *cert;
    struct order_row *prev;
    struct product_row p;
    struct subscription_row sub;
    const char *csr; /* borrowed: req->csr_pem or prev->csr_pem */
    json_t *names;   /* the names of the new certificate */
};

static void ctx_clear(struct ri_ctx *c)
{
    certs_row_free(c->cert);
    order_row_free(c->prev);
    json_decref(c->names);
    memset(c, 0, sizeof *c);
}

/* R-RI-3: the names wanted (CN first) within the product's rules; c->names. */
static int check_names(const struct reissue_req *req, struct ri_ctx *c, struct sm_err *e)
{
    json_t *prev = c->prev->names ? json_loads(c->prev->names, 0, NULL) : NULL;
    if (!req->names_given) {
        c->names = json_is_array(prev) ? prev : json_pack("[s]", c->prev->cn);
        if (c->names != prev)
            json_decref(prev);
        return c->names ? 0 : sm_err_set(e, SM_E_NOMEM, "names", "out of memory");
    }
    json_decref(prev);
    c->names = json_array();
    if (req->nnames == 0)
        return sm_err_set(e, SM_E_INVALID, "names", "no names");
    if (req->nnames > REISSUE_MAX_NAMES)
        return sm_err_set(e, SM_E_INVALID, "names", "too many names");
    char partner[NAMES_NORM_MAX + 8] = "";
    const char *cn = c->prev->cn ? c->prev->cn : "";
    if (!appform_www_apex(cn, partner) && appform_registrable(cn))
        snprintf(partner, sizeof partner, "www.%s", cn);
    int have_partner = 0;
    for (size_t i = 0; i < req->nnames; i++) {
        char norm[NAMES_NORM_MAX];
        struct names_problem pb = {0};
        const char *n = req->names[i] ? req->names[i] : "";
        int rc = names_check(n, c->p.wildcard, c->p.allow_ip, norm, &pb);
        if (rc < 0)
            return sm_err_set(e, SM_E_INTERNAL, "names", "name check unavailable");
        if (rc > 0)
            return sm_err_set(e, SM_E_INVALID, "names", "%s: %s", n, pb.code ? pb.code : "");
        if (i == 0 && strcasecmp(norm, cn) != 0) /* the CN cannot change */
            return sm_err_set(e, SM_E_POLICY, "reissue.forbidden", "cn");
        if (in_list(c->names, norm))
            continue;
        if (i > 0 && strcmp(norm, partner) == 0)
            have_partner = 1;
        else if (i > 0 && !c->p.multi_domain)
            return sm_err_set(e, SM_E_INVALID, "names", "%s: not a multi-domain product", norm);
        json_array_append_new(c->names, json_string(norm));
    }
    size_t user = json_array_size(c->names) - (size_t)have_partner;
    if ((int)user > c->p.sans_max)
        return sm_err_set(e, SM_E_INVALID, "names", "%zu > %d", user, c->p.sans_max);
    return 0;
}

/* R-RI-3 CSR: the previous one or a new one with the same CN, acceptable, its key not on
 * the blocklist; keyCompromise needs a key other than the original's. */
static int check_csr(struct db *db, const struct reissue_req *req, int code, struct ri_ctx *c,
                     struct sm_err *e)
{
    int fresh = req->csr_pem != NULL && req->csr_pem[0] != '\0';
    c->csr = fresh ? req->csr_pem : c->prev->csr_pem;
    if (code == REVOKE_KEY_COMPROMISE && !fresh)
        return sm_err_set(e, SM_E_INVALID, "csr", "new_key");
    if (c->csr == NULL)
        return sm_err_set(e, SM_E_INVALID, "csr", "no CSR");
    struct csr_info *ci = NULL;
    struct csr_check_opts opts = {ra_keyblock_lookup, db, c->p.allow_ip, 0};
    int rc = csr_check((const unsigned char *)c->csr, strlen(c->csr), &opts, &ci, e);
    if (rc == 0 && !ci->acceptable) {
        const char *why = ci->nproblems > 0 ? ci->problems[0].code : "csr";
        for (size_t i = 0; i < ci->nproblems; i++)
            if (ci->problems[i].severity == CSR_SEV_ERROR) {
                why = ci->problems[i].code;
                break;
            }
        rc = sm_err_set(e, SM_E_CSR, "csr", "%s", why);
    }
    if (rc == 0 && (ci->cn == NULL || c->prev->cn == NULL || strcasecmp(ci->cn, c->prev->cn) != 0))
        rc = sm_err_set(e, SM_E_INVALID, "csr", "cn");
    char hex[65];
    if (rc == 0 && code == REVOKE_KEY_COMPROMISE &&
        pki_cert_spki_sha256(c->cert->der, c->cert->der_len, hex) == 0 &&
        ci->spki_sha256_hex != NULL && strcmp(hex, ci->spki_sha256_hex) == 0)
        rc = sm_err_set(e, SM_E_INVALID, "csr", "new_key");
    csr_info_free(ci);
    return rc;
}

/* R-RI-6: "after:DAYS:YEN" charges YEN past DAYS days from issuance when contents change. */
static int64_t fee_of(const struct product_row *p, const struct certs_row *cert, int changed,
                      int64_t now)
{
    if (strncmp(p->reissue_fee, "after:", 6) != 0)
        return 0;
    char *end = NULL;
    long long days = strtoll(p->reissue_fee + 6, &end, 10);
    if (end == NULL || *end != ':')
        return 0;
    const char *ys = end + 1;
    long long yen = strtoll(ys, &end, 10);
    if (end == ys || *end != '\0' || days < 0 || yen < 0)
        return 0;
    return changed && now - cert->not_before > days * DAY ? (int64_t)yen : 0;
}

/* Every rule of reissue.h on req at now, inside the caller's transaction; fills plan and c. */
static int check_tx(const struct order_env *env, const struct order_actor *who,
                    const struct config *cfg, const struct reissue_req *req, int64_t now,
                    struct reissue_plan *plan, struct ri_ctx *c, struct sm_err *e)
{
    struct db *db = env->db;
    char serial[41];
    memset(c, 0, sizeof *c);
    if (revoke_serial_norm(req->serial, serial) < 0)
        return sm_err_set(e, SM_E_NOTFOUND, "serial", "no such certificate");
    int rc = certs_get_scoped(db, serial, &who->scope, &c->cert, e);
    if (rc < 0)
        return rc;
    const struct certs_row *cert = c->cert;
    /* R-RI-4: the state of the original first: nothing else matters for a dead one */
    if (strcmp(cert->state, "issued") != 0 || cert->not_after < now)
        return sm_err_set(e, SM_E_CONFLICT, "reissue.state", "%s",
                          strcmp(cert->state, "issued") == 0 ? "expired" : cert->state);
    int y1, m1, d1, y2, m2, d2;
    clock_tokyo_date((time_t)now, &y1, &m1, &d1);
    clock_tokyo_date((time_t)cert->not_after, &y2, &m2, &d2);
    if (y1 == y2 && m1 == m2) /* JPRS: not in the calendar month of the end */
        return sm_err_set(e, SM_E_POLICY, "reissue.expiry_month", "%04d-%02d", y2, m2);
    int locked = subscription_cert_locked(db, cert->id, e); /* R-REN-5 */
    if (locked < 0)
        return locked;
    if (locked)
        return sm_err_set(e, SM_E_CONFLICT, "reissue.renewal", "a renewal is in progress");
    int code = reissue_reason_code(req->reason);
    if (code < 0)
        return sm_err_set(e, SM_E_INVALID, "reason", "not a reissue reason");
    int64_t day = parse_day(req->revoke_date);
    if (day < 0 || !revoke_date_in_range(day * DAY - JST, now))
        return sm_err_set(e, SM_E_INVALID, "revoke_date", "today .. today + %d days",
                          REVOKE_MAX_DAYS);
    if (!req->consent)
        return sm_err_set(e, SM_E_INVALID, "consent", "consent to revoke the original");
    rc = subscriptions_get_by_cert(db, cert->id, &c->sub, e);
    if (rc == -SM_E_NOTFOUND)
        return sm_err_set(e, SM_E_POLICY, "reissue.no_subscription", "not issued from an order");
    if (rc == 0)
        rc = orders_get(db, cert->order_id, &system_actor.scope, &c->prev, e);
    if (rc == 0)
        rc = products_get(db, c->prev->product_id, &c->p, e);
    if (rc < 0)
        return rc;
    /* R-RI-3: CN and organization stay; a change needs a new application */
    if (req->cn != NULL && req->cn[0] != '\0' && strcasecmp(req->cn, c->prev->cn) != 0)
        return sm_err_set(e, SM_E_POLICY, "reissue.forbidden", "cn");
    if (req->org_name != NULL && req->org_name[0] != '\0') {
        char ja[400], en[400];
        org_names(c->prev, ja, en, sizeof ja);
        if (strcmp(req->org_name, ja) != 0 && strcmp(req->org_name, en) != 0)
            return sm_err_set(e, SM_E_POLICY, "reissue.forbidden", "org");
    }
    const char *root = c->prev->root_option[0] ? c->prev->root_option : "a";
    if (req->root != NULL && req->root[0] != '\0') {
        if ((strcmp(req->root, "a") != 0 && strcmp(req->root, "b") != 0) ||
            strstr(c->p.root_options, req->root) == NULL)
            return sm_err_set(e, SM_E_INVALID, "root", "%s", c->p.root_options);
        root = req->root;
    }
    const char *method = req->dcv_method ? req->dcv_method : "dns";
    if (strcmp(method, "dns") != 0 && strcmp(method, "http") != 0)
        return sm_err_set(e, SM_E_INVALID, "dcv_method", "dns or http");
    rc = check_names(req, c, e);
    if (rc == 0)
        rc = check_csr(db, req, code, c, e);
    if (rc < 0)
        return rc;
    /* R-RI-4: valid certificates of the CN, the original included, stay within the limit */
    int64_t max_cn = 2, count = 0;
    rc = config_int(cfg, "issue", "max_per_cn", 1, 100, &max_cn, e);
    if (rc == 0)
        rc = certs_count_valid_cn(db, cert->org_id, c->prev->cn, now, &count, e);
    if (rc < 0)
        return rc;
    if (count + 1 > max_cn)
        return sm_err_set(e, SM_E_POLICY, "reissue.cn_limit", "%lld", (long long)max_cn);

    /* the plan */
    json_t *prev_names = c->prev->names ? json_loads(c->prev->names, 0, NULL) : json_array();
    json_t *added = json_array(), *removed = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(c->names, i, v)
    {
        if (!in_list(prev_names, json_string_value(v)))
            json_array_append(added, v);
    }
    json_array_foreach(prev_names, i, v)
    {
        if (json_is_string(v) && !in_list(c->names, json_string_value(v)))
            json_array_append(removed, v);
    }
    json_decref(prev_names);
    int changed = json_array_size(added) > 0 || json_array_size(removed) > 0 ||
                  strcmp(root, c->prev->root_option[0] ? c->prev->root_option : "a") != 0;
    snprintf(plan->serial, sizeof plan->serial, "%s", cert->serial);
    snprintf(plan->cn, sizeof plan->cn, "%s", c->prev->cn);
    snprintf(plan->receipt_no, sizeof plan->receipt_no, "%s", c->prev->receipt_no);
    snprintf(plan->reason, sizeof plan->reason, "%s", req->reason);
    snprintf(plan->root, sizeof plan->root, "%s", root);
    snprintf(plan->fee_rule, sizeof plan->fee_rule, "%s", c->p.reissue_fee);
    plan->reason_code = code;
    int64_t at = day * DAY - JST; /* 00:00 in Japan of the date asked */
    plan->revoke_now = code == REVOKE_KEY_COMPROMISE || at <= now;
    plan->revoke_at = plan->revoke_now ? now : at;
    plan->not_after = cert->not_after;
    plan->new_csr = req->csr_pem != NULL && req->csr_pem[0] != '\0';
    plan->names_json = dumps(json_incref(c->names));
    plan->added_json = dumps(added);
    plan->removed_json = dumps(removed);
    plan->fee = fee_of(&c->p, cert, changed, now);
    if (plan->fee > 0) { /* R-PRD-2: the organization's agreement may set its own fee */
        struct price_terms pt;
        int prc = price_terms_for(db, c->prev->org_id, &c->p, &pt, e);
        if (prc < 0)
            return prc;
        plan->fee = price_reissue_fee(&pt, plan->fee);
    }
    plan->sub_id = c->sub.id;
    plan->original_id = cert->id;
    plan->original_order_id = c->prev->id;
    if (plan->names_json == NULL || plan->added_json == NULL || plan->removed_json == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    return 0;
}

int reissue_check(const struct order_env *env, const struct order_actor *who,
                  const struct config *cfg, const struct reissue_req *req,
                  struct reissue_plan *plan, struct sm_err *e)
{
    struct ri_ctx c;
    memset(plan, 0, sizeof *plan);
    int rc = db_begin(env->db, e);
    if (rc == 0)
        rc = check_tx(env, who, cfg, req, (int64_t)clock_now(), plan, &c, e);
    else
        memset(&c, 0, sizeof c);
    db_rollback(env->db);
    ctx_clear(&c);
    if (rc < 0)
        reissue_plan_clear(plan);
    return rc;
}

/* The organization checks of prev count for the reissue while current (policy "none";
 * review_checks_missing drops any older than the identity reuse period). */
static int copy_checks(struct db *db, int64_t from, int64_t to, struct sm_err *e)
{
    struct vetting_check_row *v = NULL;
    size_t n = 0;
    int rc = vetting_checks_list(db, from, &v, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct vetting_check_row c = v[i];
        c.order_id = to;
        rc = vetting_check_insert(db, &c, NULL, e);
    }
    free(v);
    return rc;
}

/* The domains of the new order: names kept keep their method, new ones get method. */
static int add_domains(struct db *db, const struct ri_ctx *c, int64_t id, const char *method,
                       struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t n = 0, k = json_array_size(c->names);
    int rc = order_domains_list(db, c->prev->id, &d, &n, e);
    const char **names = rc == 0 ? calloc(k ? k : 1, sizeof *names) : NULL;
    const char **methods = rc == 0 ? calloc(k ? k : 1, sizeof *methods) : NULL;
    if (rc == 0 && (names == NULL || methods == NULL))
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < k; i++) {
        names[i] = json_string_value(json_array_get(c->names, i));
        methods[i] = method;
        for (size_t j = 0; j < n; j++)
            if (strcmp(d[j].name, names[i]) == 0 && strcmp(d[j].dcv_method, "reuse") != 0)
                methods[i] = d[j].dcv_method;
    }
    if (rc == 0)
        rc = order_domains_replace(db, id, names, methods, k, e);
    free(names);
    free(methods);
    order_domain_rows_free(d, n);
    return rc;
}

/* Number of domains of order id not validated. */
static int pending_domains(struct db *db, int64_t id, size_t *pending, struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t n = 0;
    *pending = 0;
    int rc = order_domains_list(db, id, &d, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(d[i].state, "validated") != 0)
            (*pending)++;
    order_domain_rows_free(d, n);
    return rc;
}

static void jst_text(int64_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

/* Inserts the reissue's order, a copy of the original's application. */
static int insert_order(struct db *db, const struct order_actor *who, const struct ri_ctx *c,
                        const struct reissue_plan *plan, const char *idem, int64_t now, int64_t *id,
                        struct sm_err *e)
{
    struct order_row r = *c->prev; /* borrows prev's strings */
    r.id = 0;
    int rc = order_number_next(db, 0, (time_t)now, r.receipt_no, sizeof r.receipt_no, e);
    if (rc < 0)
        return rc;
    snprintf(r.kind, sizeof r.kind, "reissue");
    snprintf(r.state, sizeof r.state, "awaiting_payment");
    snprintf(r.root_option, sizeof r.root_option, "%s", plan->root);
    r.created_by = who->user_id;
    r.csr_pem = (char *)c->csr;
    r.names = plan->names_json;
    r.amount = plan->fee;
    r.invoice_no[0] = '\0';
    r.pay_method[0] = '\0';
    r.paid_at = r.decided_at = 0;
    r.submitted_at = now;
    r.decision_note = NULL;
    r.predecessor_cert_id = c->cert->id;
    r.cert_id = 0;
    r.idem_key = (char *)idem;
    r.issue_refusal[0] = '\0';
    r.issue_refused_at = 0;
    return orders_insert(db, &r, id, e);
}

static int mail(const struct order_env *env, const struct config *cfg, const struct order_row *o,
                const struct reissue_plan *plan, struct sm_err *e)
{
    const char *base = cfg ? config_str(cfg, "server", "base_url") : "";
    char url[600], when[16], na[16];
    snprintf(url, sizeof url, "%s/orders/%lld", base ? base : "", (long long)o->id);
    jst_text(plan->revoke_at, when, sizeof when);
    jst_text(plan->not_after, na, sizeof na);
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "receipt_no", o->receipt_no, "cn",
                          plan->cn, "serial", plan->serial, "revoke_date", when, "not_after", na,
                          "url", url, "fee", (json_int_t)plan->fee);
    char *vars = dumps(v);
    int rc = vars ? notice_queue_order(env->db, o, notice_org_lang(env->db, o->org_id),
                                       "order_reissue", vars, e)
                  : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    free(vars);
    return rc;
}

int reissue_apply(const struct order_env *env, const struct order_actor *who,
                  const struct config *cfg, const struct reissue_req *req, struct reissue_plan *out,
                  int64_t *order_id, struct sm_err *e)
{
    struct ri_ctx c;
    struct reissue_plan plan;
    struct order_row *o = NULL;
    struct db *db = env->db;
    int64_t now = (int64_t)clock_now(), id = 0;
    size_t pending = 0;
    memset(&plan, 0, sizeof plan);
    memset(&c, 0, sizeof c);
    *order_id = 0;
    /* R-APP-7: like every submission, none inside the maintenance window */
    time_t mend;
    if (maint_in_window(env->maint, (time_t)now, &mend)) {
        char until[24];
        clock_format_utc(mend, until, sizeof until);
        return sm_err_set(e, SM_E_MAINTENANCE, "maintenance", "maintenance window until %s", until);
    }
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    /* a second submission of the same form: the first answer */
    if (req->idem_key != NULL && req->idem_key[0] != '\0' &&
        orders_get_by_key(db, who->user_id, req->idem_key, &o, NULL) == 0 &&
        strcmp(o->kind, "reissue") == 0) {
        *order_id = o->id;
        db_rollback(db);
        order_row_free(o);
        return 0;
    }
    order_row_free(o);
    o = NULL;
    rc = check_tx(env, who, cfg, req, now, &plan, &c, e);
    char idem[80];
    if (req->idem_key != NULL && req->idem_key[0] != '\0')
        snprintf(idem, sizeof idem, "%.64s", req->idem_key);
    else
        snprintf(idem, sizeof idem, "reissue:%s:%lld", plan.serial, (long long)now);
    if (rc == 0)
        rc = insert_order(db, who, &c, &plan, idem, now, &id, e);
    if (rc == 0)
        rc = add_domains(db, &c, id, req->dcv_method ? req->dcv_method : "dns", e);
    if (rc == 0 && strcmp(c.p.reissue_vetting, "full") != 0) /* R-RI-5 */
        rc = copy_checks(db, c.prev->id, id, e);
    if (rc == 0) /* R-RI-7: the new certificate belongs to the same subscription */
        rc = subscription_certs_insert(db, c.sub.id, id, 0, "reissue", now, e);
    if (rc == 0) {
        struct reissue_row row = {0};
        row.order_id = id;
        row.original_cert_id = c.cert->id;
        row.subscription_id = c.sub.id;
        snprintf(row.reason, sizeof row.reason, "%s", plan.reason);
        row.reason_code = plan.reason_code;
        row.revoke_at = plan.revoke_at;
        row.new_csr = plan.new_csr;
        row.fee = plan.fee;
        snprintf(row.changes, sizeof row.changes,
                 "{\"added\":%.400s,\"removed\":%.400s,\"root\":\"%s\"}", plan.added_json,
                 plan.removed_json, plan.root);
        row.created_by = who->user_id;
        row.created_at = now;
        rc = reissues_insert(db, &row, NULL, e);
    }
    char actor[32];
    order_actor_name(who, actor, sizeof actor);
    if (rc == 0) { /* R-RI-2: the original's revocation, now or on its date */
        struct revoke_req rr = {.actor = actor,
                                .source = "reissue",
                                .serial = plan.serial,
                                .reason = plan.reason_code,
                                .when = plan.revoke_now ? 0 : plan.revoke_at,
                                .officer = 0,
                                .scope = &who->scope};
        rc = revoke_tx(db, &rr, now, NULL, e);
    }
    static const struct org_scope all = {1, NULL, 0};
    if (rc == 0)
        rc = orders_get(db, id, &all, &o, e);
    struct order_env quiet = *env; /* the reissue's own mail, not the payment notice */
    quiet.hooks = NULL;
    json_t *d =
        json_pack("{s:s, s:s, s:i, s:I, s:b, s:s, s:s?, s:s?, s:s, s:I}", "original", plan.serial,
                  "reason", plan.reason, "reason_code", plan.reason_code, "revoke_at",
                  (json_int_t)plan.revoke_at, "new_csr", plan.new_csr, "names",
                  plan.names_json ? plan.names_json : "[]", "added", plan.added_json, "removed",
                  plan.removed_json, "root", plan.root, "fee", (json_int_t)plan.fee);
    if (rc == 0)
        rc = order_audit(&quiet, who, o, "order.reissue_requested", d, e);
    if (rc == 0 && plan.fee == 0) {
        struct orders_state_set set = {.paid_at = now, .pay_method = "reissue"};
        rc = order_transition_tx(&quiet, who, o, ORDER_VETTING, "paid", &set, d, e);
        if (rc == 0)
            rc = validate_prepare_tx(&quiet, cfg, o, e); /* reuse, or values for new names */
        if (rc == 0)
            rc = pending_domains(db, id, &pending, e);
    } else if (rc == 0) { /* R-RI-6: a charged reissue is invoiced and waits for payment */
        char inv[32];
        rc = order_number_next(db, 1, (time_t)now, inv, sizeof inv, e);
        if (rc == 0)
            rc = orders_set_invoice(db, id, inv, plan.fee, e);
    }
    json_decref(d);
    if (rc == 0)
        rc = mail(env, cfg, o, &plan, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        goto out;
    }
    *order_id = id;
    log_info("reissue accepted", "order", o->receipt_no, "original", plan.serial);
    if (plan.fee == 0 && pending == 0) { /* every validation reused: approve and issue now */
        struct sm_err fe = {0};
        if (fulfil_approve(env, &system_actor, cfg, id, 0, &fe) < 0)
            log_info("reissue not approved yet", "order", o->receipt_no, "why", fe.detail);
    }
out:
    if (rc == 0 && out != NULL) {
        *out = plan;
        memset(&plan, 0, sizeof plan);
    }
    reissue_plan_clear(&plan);
    order_row_free(o);
    ctx_clear(&c);
    return rc;
}

/* ---- history (R-RI-7) ---- */

#define HISTORY_SUBS 16

/* The subscriptions of the line s belongs to, oldest first: the ones it renews or
 * replaces (predecessor_id) and the ones that renewed or replaced it (state renewed: its
 * successor names it as predecessor). Returns how many are in ids. */
static size_t sub_line(struct db *db, const struct subscription_row *s, int64_t ids[HISTORY_SUBS])
{
    int64_t back[HISTORY_SUBS / 2];
    size_t nb = 0, n = 0;
    struct subscription_row cur = *s, next;
    while (cur.predecessor_id > 0 && nb < HISTORY_SUBS / 2 &&
           subscriptions_get(db, cur.predecessor_id, &next, NULL) == 0) {
        back[nb++] = next.id;
        cur = next;
    }
    while (nb > 0)
        ids[n++] = back[--nb];
    ids[n++] = s->id;
    cur = *s;
    while (n < HISTORY_SUBS && strcmp(cur.state, "renewed") == 0 &&
           subscriptions_get_successor(db, cur.id, &next, NULL) == 0) {
        ids[n++] = next.id;
        cur = next;
    }
    return n;
}

static int history_of_sub(struct db *db, int64_t sub_id, json_t *a, struct sm_err *e);

json_t *reissue_history(struct db *db, int64_t cert_id, struct sm_err *e)
{
    struct subscription_row s = {0};
    int64_t ids[HISTORY_SUBS];
    if (subscriptions_get_by_cert(db, cert_id, &s, e) < 0)
        return NULL;
    size_t n = sub_line(db, &s, ids);
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (history_of_sub(db, ids[i], a, e) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Appends the rows of the certificates of subscription sub_id to a. */
static int history_of_sub(struct db *db, int64_t sub_id, json_t *a, struct sm_err *e)
{
    struct subscription_cert_row *l = NULL;
    struct reissue_row *ri = NULL;
    size_t n = 0, nri = 0;
    if (subscription_certs_list(db, sub_id, &l, &n, e) < 0)
        return -1;
    if (reissues_list_by_sub(db, sub_id, &ri, &nri, e) < 0) {
        free(l);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (l[i].cert_id == 0) {
            /* a reissue still waiting (DCV, approval): shown with its order */
            struct order_row *o = NULL;
            if (strcmp(l[i].reason, "reissue") == 0 &&
                orders_get(db, l[i].order_id, &system_actor.scope, &o, NULL) == 0 &&
                strcmp(o->state, "issued") != 0 && strcmp(o->state, "rejected") != 0 &&
                strcmp(o->state, "cancelled") != 0) {
                const char *why = "";
                for (size_t k = 0; k < nri; k++)
                    if (ri[k].order_id == l[i].order_id)
                        why = ri[k].reason;
                json_array_append_new(
                    a,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, "
                              "s:s}",
                              "serial", "", "state", "pending", "issued_why", l[i].reason,
                              "reissue_reason", why, "replaces", "", "replaced_by", "",
                              "not_before", (json_int_t)0, "not_after", (json_int_t)0, "revoked_at",
                              (json_int_t)0, "revoke_due", (json_int_t)0, "revocation_reason", "",
                              "order_id", (json_int_t)o->id, "receipt_no", o->receipt_no));
            }
            order_row_free(o);
            continue;
        }
        struct certs_row *c = NULL;
        if (certs_get_id(db, l[i].cert_id, &c, NULL) < 0)
            continue;
        const char *why = "", *replaces = "", *replaced_by = "";
        for (size_t k = 0; k < nri; k++) {
            if (ri[k].order_id == l[i].order_id) {
                why = ri[k].reason;
                for (size_t j = 0; j < n; j++)
                    if (l[j].cert_id == ri[k].original_cert_id)
                        replaces = l[j].serial;
            }
            if (ri[k].original_cert_id == c->id)
                for (size_t j = 0; j < n; j++)
                    if (l[j].order_id == ri[k].order_id && l[j].cert_id != 0)
                        replaced_by = l[j].serial;
        }
        int64_t due = 0;
        int reason = -1;
        if (strcmp(c->state, "revocation_scheduled") == 0)
            revocations_get_due(db, c->serial, &due, &reason, NULL);
        else if (strcmp(c->state, "revoked") == 0)
            reason = (int)c->revocation_reason;
        const char *rname = reason >= 0 ? revoke_reason_name(reason) : NULL;
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "serial",
                         c->serial, "state", c->state, "issued_why", l[i].reason, "reissue_reason",
                         why, "replaces", replaces, "replaced_by", replaced_by, "not_before",
                         (json_int_t)c->not_before, "not_after", (json_int_t)c->not_after,
                         "revoked_at", (json_int_t)c->revoked_at, "revoke_due", (json_int_t)due,
                         "revocation_reason", rname ? rname : ""));
        certs_row_free(c);
    }
    free(l);
    free(ri);
    return 0;
}
