/* SPDX-License-Identifier: MIT */
/* The order state machine and the customer-side operations: create (idempotent), submit,
 * re-application, cancel, issued, ETA. See order.h; vetting actions are in ra/review.c,
 * payment in ra/payment.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "ra/calendar.h"
#include "ra/dcv.h"
#include "ra/field.h"
#include "ra/order.h"
#include "ra/price.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/jobs.h"

static const char *const state_names[ORDER__NSTATES] = {"draft",    "awaiting_payment", "vetting",
                                                        "on_hold",  "approved",         "issued",
                                                        "rejected", "cancelled"};

const char *order_state_name(enum order_state s)
{
    return (unsigned)s < ORDER__NSTATES ? state_names[s] : "?";
}

int order_state_parse(const char *s, enum order_state *out)
{
    for (int i = 0; s != NULL && i < ORDER__NSTATES; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum order_state)i;
            return 0;
        }
    return -1;
}

/* The edges of the state machine (see the drawing in order.h). */
static const unsigned char edges[ORDER__NSTATES][ORDER__NSTATES] = {
    [ORDER_DRAFT] = {[ORDER_AWAITING_PAYMENT] = 1, [ORDER_CANCELLED] = 1},
    [ORDER_AWAITING_PAYMENT] = {[ORDER_VETTING] = 1, [ORDER_CANCELLED] = 1},
    [ORDER_VETTING] =
        {[ORDER_ON_HOLD] = 1, [ORDER_APPROVED] = 1, [ORDER_REJECTED] = 1, [ORDER_CANCELLED] = 1},
    [ORDER_ON_HOLD] = {[ORDER_VETTING] = 1, [ORDER_REJECTED] = 1, [ORDER_CANCELLED] = 1},
    /* approved -> vetting: evidence too old at signing goes back to validation (R-VAL-2) */
    [ORDER_APPROVED] = {[ORDER_ISSUED] = 1, [ORDER_VETTING] = 1},
};

int order_edge_allowed(enum order_state from, enum order_state to)
{
    if ((unsigned)from >= ORDER__NSTATES || (unsigned)to >= ORDER__NSTATES)
        return 0;
    return edges[from][to];
}

int order_editable(enum order_state s)
{
    return s == ORDER_DRAFT || s == ORDER_AWAITING_PAYMENT || s == ORDER_VETTING ||
           s == ORDER_ON_HOLD;
}

static const struct {
    const char *field;
    int code; /* 0 = any */
    const char *key;
} err_keys[] = {
    {"maintenance", 0, "order.err.maintenance"},
    {"version", 0, "order.err.stale"},
    {"state", 0, "order.err.state"},
    {"file", SM_E_TOO_LARGE, "order.err.file_too_large"},
    {"file", 0, "order.err.file_type"},
    {"file_name", 0, "order.err.file_name"},
    {"form", 0, "order.err.form"},
    {"idem_key", SM_E_INVALID, "order.err.idem_key"},
    {"signature", 0, "order.err.payment_signature"},
    {"amount", 0, "order.err.payment_amount"},
    {"reason", 0, "order.err.reason_required"},
    {"note", 0, "order.err.note_required"},
    {"checks", 0, "order.err.checks_missing"},
    {"domains", 0, "order.err.dcv_pending"},
    {"evidence", 0, "order.err.evidence_stale"},
    {"check.kind", 0, "order.err.check_kind"},
    {"check.result", 0, "order.err.check_result"},
    {"check.source", 0, "order.err.check_source"},
    {"check.phone", 0, "order.err.phone"},
    {"check.phone_source", 0, "order.err.phone_source"},
    {"check.note", 0, "order.err.too_long"},
    {"doc.kind", 0, "order.err.doc_kind"},
    {"reapply.amount", 0, "order.err.reapply_amount"},
};

const char *order_err_key(const struct sm_err *e)
{
    if (e == NULL)
        return sm_err_msgkey(SM_E_INTERNAL);
    for (size_t i = 0; i < sizeof err_keys / sizeof err_keys[0]; i++)
        if (strcmp(e->field, err_keys[i].field) == 0 &&
            (err_keys[i].code == 0 || err_keys[i].code == e->code))
            return err_keys[i].key;
    return sm_err_msgkey(e->code);
}

/* The domain rows of order id from form f: each name gets the application's method in
 * its stored form for that name (e-mail: the constructed address chosen), or DNS where
 * that method does not apply to the name (R-VAL-1, BR 3.2.2.4). */
static int replace_domains(const struct order_env *env, int64_t id, const struct appform_result *f,
                           struct sm_err *e)
{
    char(*m)[300] = sm_calloc(f->nnames ? f->nnames : 1, sizeof *m);
    const char **methods = sm_calloc(f->nnames ? f->nnames : 1, sizeof *methods);
    int rc = m && methods ? 0 : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < f->nnames; i++) {
        if (dcv_method_for_name(f->dcv_method[0] ? f->dcv_method : "dns", f->names[i], m[i],
                                sizeof m[i]) < 0)
            snprintf(m[i], sizeof m[i], "dns");
        methods[i] = m[i];
    }
    if (rc == 0)
        rc = order_domains_replace(env->db, id, (const char *const *)f->names, methods, f->nnames,
                                   e);
    free(methods);
    free(m);
    return rc;
}

int order_env_init(struct order_env *env, struct db *db, const struct order_hooks *hooks,
                   const struct config *cfg, struct maint_policy *maint, struct sm_err *e)
{
    int64_t max = 0;
    const char *m = config_str(cfg, "portal", "maintenance");
    if (maint_parse(m, maint) < 0)
        return sm_err_set(e, SM_E_CONFIG, "maintenance",
                          "[portal] maintenance: want \"N www HH:MM-HH:MM\" or none, got %s", m);
    int rc = config_int(cfg, "server", "max_upload", 1024, INT64_C(1) << 31, &max, e);
    if (rc < 0)
        return rc;
    *env =
        (struct order_env){db, hooks, maint, max, config_str(cfg, "payment", "hmac_secret"), NULL};
    return 0;
}

void order_actor_name(const struct order_actor *who, char *out, size_t n)
{
    if (who == NULL || who->user_id == 0)
        snprintf(out, n, "system");
    else
        snprintf(out, n, "user:%lld", (long long)who->user_id);
}

int order_audit(const struct order_env *env, const struct order_actor *who,
                const struct order_row *o, const char *action, json_t *detail, struct sm_err *e)
{
    char actor[32], object[48];
    order_actor_name(who, actor, sizeof actor);
    snprintf(object, sizeof object, "order:%s", o->receipt_no);
    char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (detail != NULL && d == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = audit_append_from(env->db, actor, env->client_ip, action, object, d, e);
    if (rc == 0 && env->hooks != NULL && env->hooks->notify != NULL)
        rc = env->hooks->notify(env->hooks->arg, env->db, o, action, d ? d : "{}", e);
    free(d);
    return rc;
}

static void apply_set(struct order_row *o, const struct orders_state_set *set)
{
    if (set == NULL)
        return;
    if (set->paid_at)
        o->paid_at = set->paid_at;
    if (set->submitted_at)
        o->submitted_at = set->submitted_at;
    if (set->decided_at)
        o->decided_at = set->decided_at;
    if (set->cert_id)
        o->cert_id = set->cert_id;
    if (set->pay_method)
        snprintf(o->pay_method, sizeof o->pay_method, "%s", set->pay_method);
    if (set->decision_note) {
        char *n = sm_strdup(set->decision_note);
        if (n != NULL) {
            free(o->decision_note);
            o->decision_note = n;
        }
    }
}

int order_transition_tx(const struct order_env *env, const struct order_actor *who,
                        struct order_row *o, enum order_state to, const char *event,
                        const struct orders_state_set *set, json_t *detail, struct sm_err *e)
{
    enum order_state from;
    if (order_state_parse(o->state, &from) < 0)
        return sm_err_set(e, SM_E_INTERNAL, "state", "order %s in unknown state %s", o->receipt_no,
                          o->state);
    if (!order_edge_allowed(from, to))
        return sm_err_set(e, SM_E_CONFLICT, "state", "order %s: %s -> %s not allowed",
                          o->receipt_no, o->state, order_state_name(to));
    int rc = orders_set_state(env->db, o->id, o->version, o->state, order_state_name(to), set, e);
    if (rc < 0)
        return rc;
    o->version++;
    snprintf(o->state, sizeof o->state, "%s", order_state_name(to));
    apply_set(o, set);
    json_t *d = detail ? json_deep_copy(detail) : json_object();
    char action[48];
    snprintf(action, sizeof action, "order.%s", event);
    if (d == NULL || json_object_set_new(d, "from", json_string(state_names[from])) < 0 ||
        json_object_set_new(d, "to", json_string(o->state)) < 0)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = order_audit(env, who, o, action, d, e);
    json_decref(d);
    if (rc == 0 && to == ORDER_APPROVED) /* issue 8 item 5: issued by the job, not here */
        rc = order_issue_schedule(env->db, o->id, e);
    return rc;
}

int order_issue_schedule(struct db *db, int64_t id, struct sm_err *e)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    /* the jobs table runs on the wall clock (leases are about processes, not dates) */
    return jobs_rearm(db, ORDER_ISSUE_JOB, key, (int64_t)time(NULL), e);
}

int order_issue_pending(struct db *db, int64_t id, int64_t *attempts)
{
    char key[24];
    struct job_row j;
    snprintf(key, sizeof key, "%lld", (long long)id);
    int pending = jobs_get(db, ORDER_ISSUE_JOB, key, &j, NULL) == 0 && !j.done;
    if (attempts != NULL)
        *attempts = pending ? j.attempts : 0;
    job_row_clear(&j);
    return pending;
}

int order_with(const struct order_env *env, const struct order_actor *who, int64_t id,
               int64_t version, order_fn fn, void *arg, struct sm_err *e)
{
    struct order_row *o = NULL;
    int rc = db_begin(env->db, e);
    if (rc < 0)
        return rc;
    rc = orders_get(env->db, id, &who->scope, &o, e);
    if (rc == 0 && version != 0 && o->version != version)
        rc = sm_err_set(e, SM_E_STALE, "version", "order %lld is at version %lld, not %lld",
                        (long long)id, (long long)o->version, (long long)version);
    if (rc == 0)
        rc = fn(env, who, o, arg, e);
    if (rc == 0)
        rc = db_commit(env->db, e);
    else
        db_rollback(env->db);
    order_row_free(o);
    return rc;
}

struct move {
    enum order_state to;
    const char *event;
};

static int do_move(const struct order_env *env, const struct order_actor *who, struct order_row *o,
                   void *arg, struct sm_err *e)
{
    const struct move *m = arg;
    return order_transition_tx(env, who, o, m->to, m->event, NULL, NULL, e);
}

int order_transition(const struct order_env *env, const struct order_actor *who, int64_t id,
                     int64_t version, enum order_state to, const char *event, struct sm_err *e)
{
    struct move m = {to, event};
    return order_with(env, who, id, version, do_move, &m, e);
}

static int maint_refuse(const struct order_env *env, time_t now, struct sm_err *e)
{
    time_t end;
    if (!maint_in_window(env->maint, now, &end))
        return 0;
    char until[24];
    clock_format_utc(end, until, sizeof until);
    return sm_err_set(e, SM_E_MAINTENANCE, "maintenance", "maintenance window until %s", until);
}

int order_number_next(struct db *db, int invoice, time_t now, char *out, size_t n, struct sm_err *e)
{
    int y, m, d;
    clock_tokyo_date(now, &y, &m, &d);
    char name[24];
    if (invoice)
        snprintf(name, sizeof name, "BILL-%04d%02d", y, m);
    else
        snprintf(name, sizeof name, "R%04d%02d%02d", y, m, d);
    int64_t seq = 0;
    int rc = orders_counter_next(db, name, &seq, e);
    if (rc == 0)
        snprintf(out, n, "%s-%05lld", name, (long long)seq);
    return rc;
}

static int assign_invoice(const struct order_env *env, struct order_row *o, time_t now,
                          struct sm_err *e)
{
    int rc = order_number_next(env->db, 1, now, o->invoice_no, sizeof o->invoice_no, e);
    if (rc == 0)
        rc = orders_set_invoice(env->db, o->id, o->invoice_no, o->amount, e);
    return rc;
}

int order_amount(struct db *db, int64_t org_id, const struct product_row *p,
                 const struct appform_result *form, int64_t *amount, struct sm_err *e)
{
    return price_order_amount(db, org_id, p, form ? form->extra_sans : 0, amount, e);
}

static int check_new(const struct order_new *n, struct sm_err *e)
{
    if (n->form == NULL || n->form->nerrors > 0 || n->form->cn == NULL || n->form->nnames == 0)
        return sm_err_set(e, SM_E_INVALID, "form", "application has errors");
    if (n->idem_key == NULL || n->idem_key[0] == '\0' || strlen(n->idem_key) > 64 ||
        field_has_control(n->idem_key, 0))
        return sm_err_set(e, SM_E_INVALID, "idem_key", "bad idempotency key");
    if (n->kind == NULL || (strcmp(n->kind, "new") != 0 && strcmp(n->kind, "renewal") != 0 &&
                            strcmp(n->kind, "reissue") != 0))
        return sm_err_set(e, SM_E_INVALID, "kind", "bad order kind");
    if (n->form->notify_email[0] == NULL)
        return sm_err_set(e, SM_E_INVALID, "form", "notification e-mail missing");
    if (n->pay_method != NULL && strcmp(n->pay_method, "invoice") != 0 &&
        strcmp(n->pay_method, "card") != 0)
        return sm_err_set(e, SM_E_INVALID, "pay_method", "invoice or card");
    return 0;
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* Inserts the order and its domains; caller's transaction. */
static int insert_order(const struct order_env *env, const struct order_actor *who,
                        const struct order_new *n, time_t now, int64_t *id, struct sm_err *e)
{
    struct order_row r;
    memset(&r, 0, sizeof r);
    int rc = order_number_next(env->db, 0, now, r.receipt_no, sizeof r.receipt_no, e);
    if (rc < 0)
        return rc;
    const struct appform_result *f = n->form;
    snprintf(r.kind, sizeof r.kind, "%s", n->kind);
    snprintf(r.state, sizeof r.state, "%s",
             order_state_name(n->draft ? ORDER_DRAFT : ORDER_AWAITING_PAYMENT));
    snprintf(r.root_option, sizeof r.root_option, "%s", f->root);
    r.product_id = n->product->id;
    r.org_id = n->org_id;
    r.created_by = who->user_id;
    /* The record only borrows these strings: orders_insert copies them into SQL. */
    r.csr_pem = (char *)(nonempty(n->csr_pem) ? n->csr_pem : f->csr_pem);
    r.cn = f->cn;
    r.names = f->names_json;
    r.applicant = f->applicant_json;
    r.contact = f->contact_json;
    r.billing = f->billing_json;
    for (int i = 0; i < 3; i++)
        r.notify_email[i] = f->notify_email[i];
    r.po_number = f->po_number;
    r.remarks = f->remarks;
    r.server_software = f->server_software;
    r.amount = n->amount; /* > 0: a price given by the caller */
    if (r.amount <= 0 &&
        (rc = price_order_amount(env->db, n->org_id, n->product, f->extra_sans, &r.amount, e)) < 0)
        return rc;
    r.submitted_at = n->draft ? 0 : now;
    r.predecessor_cert_id = n->predecessor_cert_id;
    r.idem_key = (char *)n->idem_key;
    rc = orders_insert(env->db, &r, id, e);
    if (rc < 0)
        return rc;
    return replace_domains(env, *id, f, e);
}

static json_t *names_array(const struct appform_result *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < f->nnames; i++)
        if (json_array_append_new(a, json_string(f->names[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* After the insert: invoice, audit record, hook, card payment. Caller's transaction. */
static int after_insert(const struct order_env *env, const struct order_actor *who,
                        const struct order_new *n, struct order_row *o, time_t now,
                        struct sm_err *e)
{
    int rc = 0;
    if (!n->draft)
        rc = assign_invoice(env, o, now, e);
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:o*, s:s}", "receipt_no", o->receipt_no, "kind",
                  o->kind, "product", n->product->code, "amount", (json_int_t)o->amount, "org_id",
                  (json_int_t)o->org_id, "names", names_array(n->form), "state", o->state);
    if (rc == 0 && d == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = order_audit(env, who, o, n->draft ? "order.draft" : "order.submitted", d, e);
    json_decref(d);
    if (rc == 0 && !n->draft && n->pay_method != NULL && strcmp(n->pay_method, "card") == 0) {
        struct orders_state_set set = {.paid_at = now, .pay_method = "card"};
        rc = orders_invoice_paid(env->db, o->id, now, e);
        if (rc == 0)
            rc = order_transition_tx(env, who, o, ORDER_VETTING, "paid", &set, NULL, e);
    }
    return rc;
}

int order_create(const struct order_env *env, const struct order_actor *who,
                 const struct order_new *n, struct order_row **out, int *created, struct sm_err *e)
{
    return order_create_then(env, who, n, NULL, NULL, out, created, e);
}

int order_create_then(const struct order_env *env, const struct order_actor *who,
                      const struct order_new *n, order_fn then, void *arg, struct order_row **out,
                      int *created, struct sm_err *e)
{
    *out = NULL;
    if (created != NULL)
        *created = 0;
    int rc = check_new(n, e);
    if (rc < 0)
        return rc;
    time_t now = clock_now();
    if (!n->draft && (rc = maint_refuse(env, now, e)) < 0)
        return rc;
    static const struct org_scope all = {1, NULL, 0};
    int64_t id = 0;
    struct order_row *o = NULL;
    rc = db_begin(env->db, e);
    if (rc == 0)
        rc = insert_order(env, who, n, now, &id, e);
    if (rc == 0)
        rc = orders_get(env->db, id, &all, &o, e);
    if (rc == 0)
        rc = after_insert(env, who, n, o, now, e);
    if (rc == 0 && then != NULL)
        rc = then(env, who, o, arg, e);
    if (rc == 0)
        rc = db_commit(env->db, e);
    if (rc == 0) {
        *out = o;
        if (created != NULL)
            *created = 1;
        return 0;
    }
    db_rollback(env->db);
    order_row_free(o);
    if (rc == -SM_E_CONFLICT && strcmp(e ? e->field : "idem_key", "idem_key") == 0) {
        /* Double submission: the first order of this user with this key is the answer. */
        sm_err_clear(e);
        return orders_get_by_key(env->db, who->user_id, n->idem_key, out, e);
    }
    return rc;
}

static int do_submit(const struct order_env *env, const struct order_actor *who,
                     struct order_row *o, void *arg, struct sm_err *e)
{
    time_t now = *(const time_t *)arg;
    if (strcmp(o->state, "draft") != 0)
        return sm_err_set(e, SM_E_CONFLICT, "state", "order %s is not a draft", o->receipt_no);
    int rc = assign_invoice(env, o, now, e);
    struct orders_state_set set = {.submitted_at = now};
    if (rc == 0)
        rc = order_transition_tx(env, who, o, ORDER_AWAITING_PAYMENT, "submitted", &set, NULL, e);
    return rc;
}

int order_submit(const struct order_env *env, const struct order_actor *who, int64_t id,
                 int64_t version, struct sm_err *e)
{
    time_t now = clock_now();
    int rc = maint_refuse(env, now, e);
    return rc < 0 ? rc : order_with(env, who, id, version, do_submit, &now, e);
}

struct reapply {
    const struct appform_result *form;
    const char *csr_pem;
};

static int do_reapply(const struct order_env *env, const struct order_actor *who,
                      struct order_row *o, void *arg, struct sm_err *e)
{
    const struct reapply *ra = arg;
    const struct appform_result *f = ra->form;
    enum order_state s;
    if (order_state_parse(o->state, &s) < 0 || !order_editable(s))
        return sm_err_set(e, SM_E_CONFLICT, "state", "order %s can no longer be edited",
                          o->receipt_no);
    struct product_row p;
    int rc = products_get(env->db, o->product_id, &p, e);
    if (rc < 0)
        return rc;
    int64_t amount = 0;
    rc = order_amount(env->db, o->org_id, &p, f, &amount, e);
    if (rc < 0)
        return rc;
    if (o->invoice_no[0] != '\0' && amount > o->amount)
        return sm_err_set(e, SM_E_CONFLICT, "reapply.amount",
                          "more names than paid for need a new application");
    /* A shallow copy borrowing the form's strings; o keeps (and frees) its own. */
    struct order_row u = *o;
    u.csr_pem = (char *)(nonempty(ra->csr_pem) ? ra->csr_pem : f->csr_pem);
    u.cn = f->cn;
    u.names = f->names_json;
    u.applicant = f->applicant_json;
    u.contact = f->contact_json;
    u.billing = f->billing_json;
    for (int i = 0; i < 3; i++)
        u.notify_email[i] = f->notify_email[i];
    u.po_number = f->po_number;
    u.remarks = f->remarks;
    u.server_software = f->server_software;
    if (o->invoice_no[0] == '\0')
        u.amount = amount;
    snprintf(u.root_option, sizeof u.root_option, "%s", f->root);
    rc = orders_update_application(env->db, &u, e);
    if (rc < 0)
        return rc;
    o->version++;
    o->amount = u.amount;
    rc = replace_domains(env, o->id, f, e);
    json_t *d = json_pack("{s:s, s:o*, s:b}", "cn", f->cn, "names", names_array(f), "csr",
                          u.csr_pem != NULL);
    if (rc == 0 && d == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = order_audit(env, who, o, "order.reapplied", d, e);
    json_decref(d);
    return rc;
}

int order_reapply(const struct order_env *env, const struct order_actor *who, int64_t id,
                  int64_t version, const struct appform_result *form, const char *csr_pem,
                  struct sm_err *e)
{
    if (form == NULL || form->nerrors > 0 || form->cn == NULL || form->nnames == 0 ||
        form->notify_email[0] == NULL)
        return sm_err_set(e, SM_E_INVALID, "form", "application has errors");
    int rc = maint_refuse(env, clock_now(), e);
    if (rc < 0)
        return rc;
    struct reapply ra = {form, csr_pem};
    return order_with(env, who, id, version, do_reapply, &ra, e);
}

static int do_cancel(const struct order_env *env, const struct order_actor *who,
                     struct order_row *o, void *arg, struct sm_err *e)
{
    const char *reason = arg;
    struct orders_state_set set = {.decided_at = clock_now(), .decision_note = nonempty(reason)};
    json_t *d = reason && *reason ? json_pack("{s:s}", "reason", reason) : NULL;
    int rc = order_transition_tx(env, who, o, ORDER_CANCELLED, "cancelled", &set, d, e);
    json_decref(d);
    return rc;
}

const char *const order_cancel_reasons[] = {"duplicate", "mistake", "not_needed",
                                            "other_ca",  "other",   NULL};

int order_cancel_reason_ok(const char *code)
{
    for (size_t i = 0; code != NULL && order_cancel_reasons[i] != NULL; i++)
        if (strcmp(code, order_cancel_reasons[i]) == 0)
            return 1;
    return 0;
}

int order_cancel(const struct order_env *env, const struct order_actor *who, int64_t id,
                 int64_t version, const char *reason, struct sm_err *e)
{
    if (reason != NULL && (field_has_control(reason, 1) || field_chars(reason) > 1000))
        return sm_err_set(e, SM_E_INVALID, "reason", "reason too long or with control chars");
    return order_with(env, who, id, version, do_cancel, (void *)reason, e);
}

int order_mark_issued_tx(const struct order_env *env, const struct order_actor *who,
                         struct order_row *o, int64_t cert_id, struct sm_err *e)
{
    if (cert_id <= 0)
        return sm_err_set(e, SM_E_INVALID, "cert_id", "no certificate");
    struct orders_state_set set = {.cert_id = cert_id};
    json_t *d = json_pack("{s:I}", "cert_id", (json_int_t)cert_id);
    int rc = d ? order_transition_tx(env, who, o, ORDER_ISSUED, "issued", &set, d, e)
               : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    json_decref(d);
    return rc;
}

int order_eta(const struct order_row *o, const struct product_row *p, time_t *eta)
{
    time_t start = o->paid_at ? o->paid_at : o->submitted_at;
    if (start <= 0)
        return -1;
    *eta = calendar_add_business_days_at(start, p->review_days_max);
    return 0;
}

int order_overdue(const struct order_row *o, const struct product_row *p, time_t now)
{
    time_t eta;
    int y, m, d;
    if (strcmp(o->state, "vetting") != 0 && strcmp(o->state, "on_hold") != 0)
        return 0;
    if (order_eta(o, p, &eta) < 0)
        return 0;
    /* the ETA is a date (shown as one): overdue from the next Tokyo midnight on, so a DV
     * order (review in minutes) is not overdue on the day it was paid */
    clock_tokyo_date(eta, &y, &m, &d);
    return now >= calendar_tokyo_midnight(y, m, d) + 86400;
}
