/* SPDX-License-Identifier: MIT */
/* The officer's queue and order review page (R-PAY-1, R-VAL-4..7, R-CAL-1, R-CSR-2):
 * orders waiting for payment or in review, oldest first, with their business-day ETA and
 * overdue flag; the order page with everything of the application, the CSR subject next
 * to the vetted data, DCV state and evidence, checks recorded and still missing, document
 * requests and uploads, the order's notices, and the action forms (h_officer_act.c).
 * Thin: reads through store/ and ra/, renders; changes nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "pki/csr.h"
#include "ra/field.h"
#include "ra/review.h"
#include "ra/validate.h"
#include "store/outbox.h"
#include "store/users.h"
#include "store/vetting.h"
#include "web/h_mpic.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define QUEUE_LIMIT 500

/* The queue (filter "all"): every order an officer may have to act on, approved orders
 * whose issuance has not run or was refused (CAA, DNS, per-CN limit: issue 8 item 1)
 * included; each state is also a filter of its own. */
static const char *const queue_states[] = {"awaiting_payment", "vetting", "on_hold", "approved"};
#define QUEUE_ALL  4
#define QUEUE_NSEL 4

int64_t officer_param_id(struct req *r, const char *name)
{
    const char *s = req_param(r, name);
    if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0)
        return -1;
    return v;
}

static void tokyo_day(int64_t t, char out[16])
{
    int y, m, d;
    if (t <= 0) {
        out[0] = '\0';
        return;
    }
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

static void tokyo_time(int64_t t, char out[32])
{
    char day[16];
    tokyo_day(t, day);
    if (day[0] == '\0') {
        out[0] = '\0';
        return;
    }
    int64_t local = t + 9 * 3600;
    snprintf(out, 32, "%s %02u:%02u JST", day, (unsigned)((local / 3600) % 24),
             (unsigned)((local / 60) % 60));
}

static void internal(struct req *r, const char *what, const struct sm_err *e)
{
    log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    http_reply_error(r, e->code == SM_E_NOMEM ? 503 : 500,
                     e->code == SM_E_NOMEM ? "err.nomem" : "err.internal", NULL);
}

/* A message key with a dynamic part: "order.state." + state. */
static const char *label(struct req *r, const char *prefix, const char *what)
{
    char key[400];
    snprintf(key, sizeof key, "%s%s", prefix, what ? what : "");
    const char *t = i18n_get(r->lang, key);
    return t ? t : (what ? what : "");
}

static const struct product_row *find_product(const struct product_row *v, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

/* The applicant organization's registered name (OV/EV), else the account organization's. */
static void org_name(struct req *r, struct db *db, const struct order_row *o, char *out, size_t n)
{
    json_t *a = o->applicant ? json_loads(o->applicant, 0, NULL) : NULL;
    const char *s = json_string_value(json_object_get(json_object_get(a, "org"), "name_ja"));
    if (s != NULL && *s != '\0') {
        snprintf(out, n, "%s", s);
    } else {
        struct org_row g;
        if (org_get(db, o->org_id, &g, NULL) == 0)
            snprintf(out, n, "%s",
                     strcmp(r->lang, "en") == 0 && g.name_en[0] ? g.name_en : g.name_ja);
        else
            out[0] = '\0';
    }
    json_decref(a);
}

static json_t *eta_of(const struct order_row *o, const struct product_row *p, time_t now)
{
    time_t eta = 0;
    char day[16] = "";
    if (p != NULL && order_eta(o, p, &eta) == 0)
        tokyo_day(eta, day);
    return json_pack("{s:s, s:b}", "eta", day, "overdue", p != NULL && order_overdue(o, p, now));
}

/* ---- the queue ---- */

void h_officer_queue(struct req *r)
{
    const char *st = req_query(r, "state");
    struct orders_filter f = {.sort = ORDERS_SORT_AGE, .limit = QUEUE_LIMIT};
    f.scope = ORG_SCOPE_ALL;
    f.states = queue_states;
    f.nstates = QUEUE_ALL;
    const char *sel = "all";
    if (st != NULL && *st != '\0' && strcmp(st, "all") != 0) {
        size_t i = 0;
        while (i < QUEUE_NSEL && strcmp(st, queue_states[i]) != 0)
            i++;
        if (i == QUEUE_NSEL) {
            http_reply_error(r, 400, "officer.err.state_filter", NULL);
            return;
        }
        f.states = &queue_states[i];
        f.nstates = 1;
        sel = queue_states[i];
    }
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    struct order_row *rows = NULL;
    size_t n = 0, np = 0;
    int64_t total = 0;
    struct product_row *prods = NULL;
    struct sm_err e = {0};
    if (orders_list(p.db, &f, &rows, &n, &total, &e) < 0 ||
        products_list(p.db, 1, &prods, &np, &e) < 0) {
        internal(r, "officer queue", &e);
        goto out;
    }
    time_t now = clock_now();
    json_t *arr = json_array();
    int ja = strcmp(r->lang, "en") != 0, overdue = 0, refused = 0;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        const struct order_row *o = &rows[i];
        const struct product_row *pr = find_product(prods, np, o->product_id);
        char org[ORG_NAME_MAX + 1], sub[16];
        org_name(r, p.db, o, org, sizeof org);
        tokyo_day(o->submitted_at ? o->submitted_at : o->created_at, sub);
        json_t *x = eta_of(o, pr, now);
        if (json_is_true(json_object_get(x, "overdue")))
            overdue++;
        int waits = strcmp(o->state, "approved") == 0 && o->issue_refusal[0] != '\0';
        refused += waits;
        json_object_set_new(x, "refused", json_boolean(waits));
        json_object_update_new(
            x, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)o->id,
                         "receipt_no", o->receipt_no, "org", org, "product",
                         pr ? (ja ? pr->name_ja : pr->name_en) : "", "level", pr ? pr->level : "",
                         "cn", o->cn ? o->cn : "", "state", o->state, "state_label",
                         label(r, "order.state.", o->state), "submitted", sub));
        json_array_append_new(arr, x);
    }
    json_t *filters = json_array();
    static const char *const fl[] = {"all", "awaiting_payment", "vetting", "on_hold", "approved"};
    for (size_t i = 0; filters != NULL && i < 5; i++)
        json_array_append_new(filters, json_pack("{s:s, s:s, s:b}", "value", fl[i], "label",
                                                 i == 0 ? i18n_text(r->lang, "officer.queue.all")
                                                        : label(r, "order.state.", fl[i]),
                                                 "current", strcmp(sel, fl[i]) == 0));
    /* needs action: past the completion date, or refused at issuance */
    json_t *d =
        json_pack("{s:o, s:o, s:I, s:i, s:i, s:i, s:b, s:b}", "orders", arr, "filters", filters,
                  "total", (json_int_t)total, "overdue", overdue, "refused", refused, "action",
                  overdue + refused, "more", total > (int64_t)n, "has_orders", n > 0);
    http_reply_page(r, 200, "officer_queue", "officer.queue.title", d);
out:
    order_rows_free(rows, n);
    free(prods);
    portal_clear(&p);
}

/* ---- the order page ---- */

static const char *const org_keys[] = {"name_ja",  "name_en",     "building",   "reg_no",
                                       "rep_name", "entity_type", "tdb_code",   "category",
                                       "postal",   "pref",        "city",       "street",
                                       "phone",    "country",     "birth_date", "registered"};
static const char *const resp_keys[] = {"name", "name_kana", "dept", "title", "phone"};
static const char *const person_keys[] = {"org",      "dept",  "name", "name_kana",
                                          "postal",   "pref",  "city", "street",
                                          "building", "phone", "email"};

/* [{"label","value"}] of the keys of obj that are set, labels "order.field.PREFIX.KEY". */
static json_t *rows_of(struct req *r, const json_t *obj, const char *prefix,
                       const char *const *keys, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        const char *v = json_string_value(json_object_get(obj, keys[i]));
        if (v == NULL || *v == '\0')
            continue;
        char key[96];
        snprintf(key, sizeof key, "order.field.%s.%s", prefix, keys[i]);
        const char *l = i18n_get(r->lang, key);
        if (l == NULL) {
            snprintf(key, sizeof key, "officer.field.%s.%s", prefix, keys[i]);
            l = i18n_text(r->lang, key);
        }
        if (strcmp(keys[i], "entity_type") == 0 && strcmp(r->lang, "en") == 0) {
            const struct field_entity *def = NULL; /* stored in Japanese: its English name */
            if (field_entity(v, &def) >= 0 && def != NULL && def->name_en != NULL)
                v = def->name_en;
        }
        if (strcmp(keys[i], "category") == 0) { /* a code: show its label */
            char ck[64];
            snprintf(ck, sizeof ck, "order.category.%s", v);
            const char *cl = i18n_get(r->lang, ck);
            v = cl ? cl : v;
        }
        json_array_append_new(arr, json_pack("{s:s, s:s}", "label", l, "value", v));
    }
    return arr;
}

static json_t *cmp_row(struct req *r, const char *what, const char *csr, const char *app, int same)
{
    char key[64];
    snprintf(key, sizeof key, "officer.csr.%s", what);
    return json_pack("{s:s, s:s, s:s, s:b}", "label", i18n_text(r->lang, key), "csr",
                     csr ? csr : "", "app", app ? app : "", "mismatch", !same);
}

static int same_text(const char *a, const char *b)
{
    if (a == NULL || *a == '\0')
        return 1; /* nothing requested in the CSR: the application decides */
    return b != NULL && strcasecmp(a, b) == 0;
}

/* R-CSR-2: the stored CSR's subject and SANs beside the application's. */
static json_t *csr_compare(struct req *r, const struct order_row *o, const json_t *app,
                           const json_t *names)
{
    if (o->csr_pem == NULL)
        return json_pack("{s:b}", "present", 0);
    struct csr_info *ci = NULL;
    struct sm_err e = {0};
    if (csr_check((const unsigned char *)o->csr_pem, strlen(o->csr_pem), NULL, &ci, &e) < 0 ||
        ci == NULL) {
        log_error("officer: stored CSR unreadable", "detail", e.detail);
        return json_pack("{s:b}", "present", 0);
    }
    const json_t *sub = json_object_get(app, "subject");
    const char *ao = json_string_value(json_object_get(sub, "o"));
    const char *al = json_string_value(json_object_get(sub, "l"));
    const char *ast = json_string_value(json_object_get(sub, "st"));
    const char *ac = json_string_value(json_object_get(sub, "c"));
    struct buf cs = BUF_INIT, as = BUF_INIT;
    for (size_t i = 0; i < ci->nsans; i++)
        buf_printf(&cs, "%s%s", i ? ", " : "", ci->sans_unicode[i]);
    size_t k;
    json_t *v;
    json_array_foreach(names, k, v) buf_printf(&as, "%s%s", k ? ", " : "", json_string_value(v));
    int cn_ok = csr_cn_matches(ci, o->cn);
    json_t *rows = json_array();
    json_array_append_new(rows, cmp_row(r, "cn", ci->cn, o->cn, cn_ok));
    json_array_append_new(rows, cmp_row(r, "o", ci->o, ao, same_text(ci->o, ao)));
    json_array_append_new(rows, cmp_row(r, "ou", ci->ou, "", ci->ou == NULL));
    json_array_append_new(rows, cmp_row(r, "l", ci->l, al, same_text(ci->l, al)));
    json_array_append_new(rows, cmp_row(r, "st", ci->st, ast, same_text(ci->st, ast)));
    json_array_append_new(rows, cmp_row(r, "c", ci->c, ac, same_text(ci->c, ac)));
    json_array_append_new(rows, cmp_row(r, "sans", cs.p ? cs.p : "", as.p ? as.p : "", 1));
    char key[96];
    snprintf(key, sizeof key, "%s %d", ci->key_type ? ci->key_type : "?", ci->key_bits);
    json_t *out = json_pack("{s:b, s:o, s:b, s:s, s:s, s:s}", "present", 1, "rows", rows,
                            "cn_matches", cn_ok, "key", key, "sig", ci->sig_alg ? ci->sig_alg : "",
                            "fingerprint", ci->spki_sha256_hex ? ci->spki_sha256_hex : "");
    buf_free(&cs);
    buf_free(&as);
    csr_info_free(ci);
    return out;
}

/* The evidence JSON of a domain as readable rows [{"label","value"}] (issue 8 item 9):
 * labels "officer.evidence.KEY" (else the key), a reason code as its message, the result as
 * OK / NG, nested values as compact JSON. Text that is not a JSON object: one row. */
static json_t *evidence_rows(struct req *r, const char *text)
{
    json_t *arr = json_array();
    if (arr == NULL || text == NULL || *text == '\0')
        return arr;
    json_t *ev = json_loads(text, 0, NULL);
    if (!json_is_object(ev)) {
        json_array_append_new(arr, json_pack("{s:s, s:s}", "label", "", "value", text));
        json_decref(ev);
        return arr;
    }
    const char *k;
    json_t *v;
    json_object_foreach(ev, k, v)
    {
        char key[96];
        snprintf(key, sizeof key, "officer.evidence.%s", k);
        const char *l = i18n_get(r->lang, key);
        char *dump = NULL;
        const char *val = json_string_value(v);
        if (val != NULL && strcmp(k, "result") == 0)
            val = strcmp(val, "ok") == 0 ? "OK" : "NG";
        else if (val != NULL && strcmp(k, "reason") == 0 && i18n_get(r->lang, val) != NULL)
            val = i18n_get(r->lang, val);
        char when[32], mp[48];
        if (strcmp(k, "mpic") == 0) { /* R-VAL-8: "n/m"; the attempt has its own section */
            const char *mode = json_string_value(json_object_get(v, "mode"));
            const char *res = json_string_value(json_object_get(v, "result"));
            snprintf(mp, sizeof mp, "%s%s%s", res ? res : "", mode ? " " : "", mode ? mode : "");
            val = mp;
        }
        size_t kl = strlen(k);
        if (val == NULL && json_is_integer(v) && kl > 3 && strcmp(k + kl - 3, "_at") == 0) {
            tokyo_time(json_integer_value(v), when); /* UTC seconds */
            val = when;
        } else if (val == NULL && json_is_boolean(v)) {
            val = i18n_text(r->lang, json_is_true(v) ? "officer.bool.true" : "officer.bool.false");
        }
        if (val == NULL)
            val = dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "label", l ? l : k, "code", k,
                                             "value", val ? val : ""));
        free(dump);
    }
    json_decref(ev);
    return arr;
}

/* The DCV state of each domain with its evidence, and for domains not validated yet what
 * the customer has to publish (validate_steps_list) and the last failure. */
static json_t *domains_json(struct req *r, struct portal *p, int64_t id, int *pending)
{
    struct order_domain_row *d = NULL;
    struct validate_step *steps = NULL;
    size_t n = 0, nt = 0;
    *pending = 0;
    json_t *arr = json_array();
    if (order_domains_list(p->db, id, &d, &n, NULL) < 0)
        return arr;
    struct sm_err e = {0};
    if (validate_steps_list(&p->env, &p->who, r->web->cfg, id, &steps, &nt, &e) < 0) {
        log_warn("officer: dcv instructions", "detail", e.detail);
        nt = 0;
    }
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char at[32], exp[32];
        tokyo_time(d[i].validated_at, at);
        tokyo_time(d[i].value_expires_at, exp);
        int ok = strcmp(d[i].state, "validated") == 0;
        if (!ok)
            (*pending)++;
        const struct validate_step *t = NULL;
        for (size_t j = 0; j < nt && t == NULL; j++)
            if (strcmp(steps[j].name, d[i].name) == 0)
                t = &steps[j];
        const char *where = "";
        if (t != NULL && !ok)
            where = t->url[0] ? t->url : t->record_name[0] ? t->record_name : t->email;
        char mkey[48];
        const char *m = d[i].dcv_method ? d[i].dcv_method : "";
        snprintf(mkey, sizeof mkey, "portal.dcv.%.*s", (int)strcspn(m, ":"), m);
        json_t *x =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "name", d[i].name, "method",
                      i18n_text(r->lang, mkey), "state", d[i].state, "state_label",
                      label(r, "officer.dcv.", d[i].state), "validated_at", at, "expires", exp,
                      "br_version", d[i].br_version ? d[i].br_version : "", "evidence",
                      d[i].evidence ? d[i].evidence : "", "ok", ok);
        json_object_set_new(x, "where", json_string(where));
        /* issue 8 item 20: evidence relied on from an earlier validation says so */
        json_object_set_new(x, "reused", json_boolean(d[i].reused_from > 0));
        char from[24];
        snprintf(from, sizeof from, "%lld", (long long)d[i].reused_from);
        json_object_set_new(x, "reused_from", json_string(from));
        json_t *ev = evidence_rows(r, d[i].evidence);
        json_object_set_new(x, "has_evidence", json_boolean(json_array_size(ev) > 0));
        json_object_set_new(x, "evidence_rows", ev);
        json_object_set_new(
            x, "reason",
            json_string(t != NULL && !ok && t->reason[0] ? i18n_text(r->lang, t->reason) : ""));
        json_array_append_new(arr, x);
    }
    free(steps);
    order_domain_rows_free(d, n);
    return arr;
}

static void officer_name(struct db *db, int64_t uid, char *out, size_t n)
{
    struct user_row u;
    if (uid > 0 && user_get(db, uid, &u, NULL) == 0)
        snprintf(out, n, "%s (%s)", u.display_name, u.login_id);
    else
        snprintf(out, n, "%s", uid > 0 ? "?" : "system");
}

static json_t *checks_json(struct req *r, struct db *db, int64_t id)
{
    struct vetting_check_row *v = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (vetting_checks_list(db, id, &v, &n, NULL) < 0)
        return arr;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char at[32], who[512];
        tokyo_time(v[i].at, at);
        officer_name(db, v[i].officer_id, who, sizeof who);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "kind",
                           label(r, "order.check_kind.", v[i].kind), "kind_code", v[i].kind,
                           "result", strcmp(v[i].result, "ok") == 0 ? "OK" : "NG", "ok",
                           strcmp(v[i].result, "ok") == 0, "source", v[i].source, "note", v[i].note,
                           "phone", v[i].phone, "phone_source", v[i].phone_source, "who_at", at));
        json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "officer",
                            json_string(who));
    }
    free(v);
    return arr;
}

static json_t *docs_json(struct req *r, struct db *db, int64_t id)
{
    json_t *out = json_object();
    struct doc_request_row *q = NULL;
    struct document_row *d = NULL;
    size_t nq = 0, nd = 0;
    json_t *reqs = json_array(), *docs = json_array();
    if (vetting_docreqs_list(db, id, &q, &nq, NULL) == 0) {
        for (size_t i = 0; reqs != NULL && i < nq; i++) {
            char at[32], done[32];
            tokyo_time(q[i].at, at);
            tokyo_time(q[i].fulfilled_at, done);
            json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:s}", "kind",
                                                  label(r, "order.doc_kind.", q[i].kind), "note",
                                                  q[i].note, "at", at, "fulfilled", done));
        }
        free(q);
    }
    if (vetting_docs_list(db, id, &d, &nd, NULL) == 0) {
        for (size_t i = 0; docs != NULL && i < nd; i++) {
            char at[32];
            tokyo_time(d[i].at, at);
            json_array_append_new(
                docs,
                json_pack("{s:I, s:s, s:s, s:s, s:I, s:s}", "id", (json_int_t)d[i].id, "kind",
                          label(r, "order.doc_kind.", d[i].kind), "file_name", d[i].file_name,
                          "type", d[i].sniffed_type, "size", (json_int_t)d[i].size, "at", at));
        }
        free(d);
    }
    json_object_set_new(out, "requests", reqs);
    json_object_set_new(out, "files", docs);
    return out;
}

static json_t *mails_json(struct req *r, struct db *db, int64_t id)
{
    struct outbox_row *m = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (outbox_list_by_order(db, id, 100, &m, &n, NULL) < 0)
        return arr;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char at[32], sent[32];
        tokyo_time(m[i].created_at, at);
        tokyo_time(m[i].sent_at, sent);
        /* the notice's name and state in words; the template name stays as data */
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "to", m[i].to ? m[i].to : "",
                           "tmpl", m[i].tmpl ? m[i].tmpl : "", "name",
                           label(r, "officer.mail.", m[i].tmpl), "lang",
                           label(r, "officer.mail_lang.", m[i].lang), "state",
                           m[i].state ? m[i].state : "", "state_label",
                           label(r, "officer.mail_state.", m[i].state), "at", at, "sent", sent));
    }
    outbox_rows_free(m, n);
    return arr;
}

/* Checks still missing and the R-VAL-5 phone reuse, when it applies. */
static json_t *review_json(struct req *r, struct portal *p, const struct order_row *o,
                           const struct product_row *pr)
{
    const char *missing[5];
    size_t nm = 0;
    time_t now = clock_now();
    json_t *out = json_object(), *arr = json_array();
    struct sm_err e = {0};
    if (pr != NULL && review_checks_missing(&p->env, o, pr, now, missing, &nm, &e) == 0)
        for (size_t i = 0; arr != NULL && i < nm; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s}", "code", missing[i], "label",
                                                 label(r, "order.check_kind.", missing[i])));
    json_object_set_new(out, "has_missing", json_boolean(json_array_size(arr) > 0));
    json_object_set_new(out, "missing", arr);
    struct vetting_check_row c;
    int reuse = review_phone_reusable(&p->env, o, now, &c, &e);
    if (reuse == 1) {
        char at[32];
        tokyo_time(c.at, at);
        json_object_set_new(
            out, "phone_reuse",
            json_pack("{s:s, s:s, s:s}", "at", at, "phone", c.phone, "source", c.phone_source));
    } else {
        json_object_set_new(out, "phone_reuse", json_false());
    }
    return out;
}

static json_t *kinds_json(struct req *r, const char *prefix, const char *const *v, size_t n,
                          const char *sel)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "code", v[i], "label",
                                             label(r, prefix, v[i]), "selected",
                                             sel != NULL && strcmp(sel, v[i]) == 0));
    return arr;
}

static const char *const check_kinds[] = {"registry", "tdb", "name_match", "domain_owner", "phone"};
static const char *const doc_kinds[] = {"phone_bill", "authorization_letter", "pledge", "other"};

/* The message key of a failed action's error (ra/order's keys, and this page's own). */
static const char *err_key(const struct sm_err *e)
{
    static const struct {
        const char *field, *key;
    } own[] = {
        {"check.called_at", "officer.err.called_at"},
        {"check.callee", "officer.err.callee"},
        {"issue", "officer.err.issue"},
        {"caa", "officer.err.caa"},
        {"caa.servfail", "officer.err.caa_servfail"}, /* issue 8 item 5: DNS failures */
        {"caa.timeout", "officer.err.caa_timeout"},
        {"caa.bogus", "officer.err.caa_bogus"},
        {"caa.resolver", "officer.err.caa_resolver"},
        {"cn_limit", "officer.err.cn_limit"},
        {"csr", "officer.err.csr"},
    };
    if (e->code == SM_E_TOO_LARGE && strncmp(e->field, "check.", 6) == 0)
        return "officer.err.too_long";
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(e->field, own[i].field) == 0)
            return own[i].key;
    return order_err_key(e);
}

/* The check form's values (kept after an error) and the message beside its field. */
static void error_text(struct req *r, const struct sm_err *err, struct buf *out);

/* json_string of the failed action's message; "" when err is NULL. */
static json_t *error_json(struct req *r, const struct sm_err *err)
{
    struct buf b = BUF_INIT;
    if (err != NULL)
        error_text(r, err, &b);
    json_t *j = json_string(b.p ? b.p : "");
    buf_free(&b);
    return j;
}

static json_t *check_form(struct req *r, const struct sm_err *err)
{
    static const char *const f[] = {"source",       "note",      "phone",
                                    "phone_source", "called_at", "callee"};
    int posted = err != NULL && strncmp(err->field, "check.", 6) == 0;
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < sizeof f / sizeof f[0]; i++) {
        const char *v = posted ? req_form_text(r, f[i]) : NULL;
        char fld[40];
        snprintf(fld, sizeof fld, "check.%s", f[i]);
        int here = posted && strcmp(err->field, fld) == 0;
        json_object_set_new(
            o, f[i],
            json_pack("{s:s, s:o}", "v", v ? v : "", "err", error_json(r, here ? err : NULL)));
    }
    const char *kind = posted ? req_form_text(r, "kind") : NULL;
    json_object_set_new(o, "kinds", kinds_json(r, "order.check_kind.", check_kinds, 5, kind));
    const char *res = posted ? req_form_text(r, "result") : NULL;
    json_object_set_new(o, "ok", json_boolean(res != NULL && strcmp(res, "ok") == 0));
    json_object_set_new(o, "ng", json_boolean(res != NULL && strcmp(res, "ng") == 0));
    int ke = posted &&
             (strcmp(err->field, "check.kind") == 0 || strcmp(err->field, "check.result") == 0);
    json_object_set_new(o, "kind_err", error_json(r, ke ? err : NULL));
    return o;
}

/* The failed action's message: "{field}" filled with the detail a user may see. */
static void error_text(struct req *r, const struct sm_err *err, struct buf *out)
{
    const char *key = err_key(err);
    if (strcmp(err->field, "checks") == 0) {
        /* detail: "registry,phone" */
        struct buf l = BUF_INIT;
        char list[sizeof err->detail];
        snprintf(list, sizeof list, "%s", err->detail);
        char *save = list;
        for (size_t i = 0; *save != '\0'; i++) {
            char *c = strchr(save, ',');
            if (c != NULL)
                *c = '\0';
            buf_printf(&l, "%s%s", i ? (strcmp(r->lang, "ja") == 0 ? "、" : ", ") : "",
                       label(r, "order.check_kind.", save));
            if (c == NULL)
                break;
            save = c + 1;
        }
        i18n_format(out, r->lang, key, l.p ? l.p : "");
        buf_free(&l);
        return;
    }
    if (strcmp(err->field, "domains") == 0 || strncmp(err->field, "caa", 3) == 0) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(err->detail, " :"), err->detail);
        i18n_format(out, r->lang, key, name);
        return;
    }
    /* the only message with a number in it: order.err.too_long of the note */
    i18n_format(out, r->lang, key, strcmp(err->field, "check.note") == 0 ? "500" : NULL);
}

/* 68000 -> "68,000". */
static const char *root_label(struct req *r, const char *root)
{
    return i18n_text(r->lang, strcmp(root, "b") == 0 ? "portal.root.b" : "portal.root.a");
}

static json_t *order_base(struct req *r, struct portal *p, const struct order_row *o,
                          const struct product_row *pr)
{
    char org[ORG_NAME_MAX + 1], sub[32], paid[32], created[32], decided[32];
    org_name(r, p->db, o, org, sizeof org);
    tokyo_time(o->submitted_at, sub);
    tokyo_time(o->paid_at, paid);
    tokyo_time(o->created_at, created);
    tokyo_time(o->decided_at, decided);
    int ja = strcmp(r->lang, "en") != 0;
    json_t *x = eta_of(o, pr, clock_now());
    json_object_update_new(
        x, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                     (json_int_t)o->id, "version", (json_int_t)o->version, "receipt_no",
                     o->receipt_no, "org", org, "state", o->state, "state_label",
                     label(r, "order.state.", o->state), "kind", label(r, "order.kind.", o->kind),
                     "product", pr ? (ja ? pr->name_ja : pr->name_en) : "", "level",
                     pr ? pr->level : "", "cn", o->cn ? o->cn : "", "root",
                     root_label(r, o->root_option), "submitted", sub, "paid", paid));
    json_object_update_new(
        x, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "created", created,
                     "decided", decided, "amount", (json_int_t)o->amount, "invoice_no",
                     o->invoice_no, "pay_method", o->pay_method, "decision_note",
                     o->decision_note ? o->decision_note : "", "po_number",
                     o->po_number ? o->po_number : "", "remarks", o->remarks ? o->remarks : "",
                     "server_software", o->server_software ? o->server_software : "", "cert_id",
                     o->cert_id > 0 ? "1" : ""));
    json_object_set_new(x, "pay_label", json_string(label(r, "officer.pay.", o->pay_method)));
    char amount[32];
    portal_yen(o->amount, amount, sizeof amount);
    json_object_set_new(x, "amount_fmt", json_string(amount));
    json_t *mails = json_array();
    for (int i = 0; mails != NULL && i < 3; i++)
        if (o->notify_email[i] != NULL && o->notify_email[i][0] != '\0')
            json_array_append_new(mails, json_string(o->notify_email[i]));
    json_object_set_new(x, "notify", mails);
    int awaiting = strcmp(o->state, "awaiting_payment") == 0;
    int vetting = strcmp(o->state, "vetting") == 0, hold = strcmp(o->state, "on_hold") == 0;
    json_object_set_new(x, "can_pay", json_boolean(awaiting));
    json_object_set_new(x, "can_check", json_boolean(vetting || hold));
    json_object_set_new(x, "can_hold", json_boolean(vetting));
    json_object_set_new(x, "can_resume", json_boolean(hold));
    json_object_set_new(x, "can_reject", json_boolean(vetting || hold));
    json_object_set_new(x, "can_approve", json_boolean(vetting));
    json_object_set_new(x, "can_issue", json_boolean(strcmp(o->state, "approved") == 0));
    return x;
}

void officer_order_page(struct req *r, struct portal *p, int64_t id, int status,
                        const struct sm_err *err)
{
    struct order_row *o = NULL;
    struct sm_err e = {0};
    int rc = orders_get(p->db, id, &p->who.scope, &o, &e);
    if (rc == -SM_E_NOTFOUND) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    if (rc < 0) {
        internal(r, "officer order", &e);
        return;
    }
    struct product_row prod;
    const struct product_row *pr =
        products_get(p->db, o->product_id, &prod, NULL) == 0 ? &prod : NULL;
    json_t *app = o->applicant ? json_loads(o->applicant, 0, NULL) : NULL;
    json_t *contact = o->contact ? json_loads(o->contact, 0, NULL) : NULL;
    json_t *billing = o->billing ? json_loads(o->billing, 0, NULL) : NULL;
    json_t *names = o->names ? json_loads(o->names, 0, NULL) : NULL;
    if (!json_is_array(names)) {
        json_decref(names);
        names = json_array();
    }
    int pending = 0;
    json_t *d = json_object();
    json_object_set_new(d, "o", order_base(r, p, o, pr));
    json_object_set_new(d, "refusal",
                        pf_refusal_json(r->lang, o, config_str(r->web->cfg, "caa", "identities")));
    json_object_set_new(d, "issuing", json_boolean(pf_issuing(p->db, o)));
    json_object_set(d, "names", names);
    json_object_set_new(d, "org_rows",
                        rows_of(r, json_object_get(app, "org"), "org", org_keys,
                                sizeof org_keys / sizeof org_keys[0]));
    json_object_set_new(d, "resp_rows",
                        rows_of(r, json_object_get(app, "responsible"), "resp", resp_keys,
                                sizeof resp_keys / sizeof resp_keys[0]));
    json_object_set_new(
        d, "contact_rows",
        rows_of(r, contact, "contact", person_keys, sizeof person_keys / sizeof person_keys[0]));
    json_object_set_new(
        d, "billing_rows",
        rows_of(r, billing, "billing", person_keys, sizeof person_keys / sizeof person_keys[0]));
    json_object_set_new(d, "csr", csr_compare(r, o, app, names));
    json_object_set_new(d, "domains", domains_json(r, p, o->id, &pending));
    json_object_set_new(d, "dcv_pending", json_integer(pending));
    json_object_set_new(d, "mpic", mpic_order_json(r, p->db, o->id)); /* R-VAL-8 */
    json_object_set_new(d, "checks", checks_json(r, p->db, o->id));
    json_object_set_new(d, "review", review_json(r, p, o, pr));
    json_object_set_new(d, "docs", docs_json(r, p->db, o->id));
    json_t *mails = mails_json(r, p->db, o->id);
    json_object_set_new(d, "has_mails", json_boolean(json_array_size(mails) > 0));
    json_object_set_new(d, "mails", mails);
    json_object_set_new(d, "cf", check_form(r, err));
    json_object_set_new(d, "doc_kinds", kinds_json(r, "order.doc_kind.", doc_kinds, 4, NULL));
    const char *done = req_query(r, "done");
    char dk[48] = "";
    if (done != NULL && strlen(done) < 20 &&
        strspn(done, "abcdefghijklmnopqrstuvwxyz_") == strlen(done))
        snprintf(dk, sizeof dk, "officer.done.%s", done);
    json_object_set_new(d, "done",
                        json_string(dk[0] && i18n_get(r->lang, dk) ? i18n_get(r->lang, dk) : ""));
    struct buf msg = BUF_INIT;
    if (err != NULL)
        error_text(r, err, &msg);
    json_object_set_new(d, "error", json_string(msg.p ? msg.p : ""));
    buf_free(&msg);
    json_decref(app);
    json_decref(contact);
    json_decref(billing);
    json_decref(names);
    order_row_free(o);
    http_reply_page(r, status, "officer_order", "officer.order.title", d);
}

void h_officer_order(struct req *r)
{
    int64_t id = officer_param_id(r, "id");
    if (id < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct portal p;
    if (portal_or_reply(r, &p) == 0)
        officer_order_page(r, &p, id, 200, NULL);
    portal_clear(&p);
}
