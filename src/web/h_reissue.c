/* SPDX-License-Identifier: MIT */
/* Reissue pages and API (see h_reissue.h). Reads through store/, the change through
 * ra/reissue (one action, its own transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "ra/reissue.h"
#include "ra/revoke.h"
#include "store/certlist.h"
#include "store/products.h"
#include "web/h_portal.h"
#include "web/h_reissue.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define DAY 86400

static void jst_date(int64_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

/* The message key and its argument for a refusal of ra/reissue. */
static const char *err_key(const struct sm_err *e, const char **arg, char *buf, size_t n)
{
    *arg = NULL; /* the field itself: {field} and the answer's field name it */
    if (e->code == SM_E_NOTFOUND)
        return "certs.err.notfound";
    if (strcmp(e->field, "reissue.forbidden") == 0) {
        snprintf(buf, n, "ri.err.forbidden_%s", strcmp(e->detail, "org") == 0 ? "org" : "cn");
        return buf;
    }
    if (strcmp(e->field, "csr") == 0) {
        snprintf(buf, n, "ri.err.csr%s",
                 e->code == SM_E_CSR                 ? ""
                 : strcmp(e->detail, "cn") == 0      ? "_cn"
                 : strcmp(e->detail, "new_key") == 0 ? "_new_key"
                                                     : "_missing");
        return buf;
    }
    static const char *const known[] = {"reason",
                                        "revoke_date",
                                        "consent",
                                        "root",
                                        "names",
                                        "dcv_method",
                                        "reissue.state",
                                        "reissue.renewal",
                                        "reissue.expiry_month",
                                        "reissue.cn_limit",
                                        "reissue.no_subscription"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(e->field, known[i]) == 0) {
            const char *f = strncmp(known[i], "reissue.", 8) == 0 ? known[i] + 8 : known[i];
            snprintf(buf, n, "ri.err.%s", f);
            return buf;
        }
    return NULL; /* the core/err table's message */
}

/* ---- the request from a form or JSON ---- */

struct ri_input {
    struct reissue_req q;
    char serial[41];
    char *names_buf; /* owned: the names text split in place */
    const char *names_text;
    const char *csr_mode; /* reuse | new */
};

static void input_clear(struct ri_input *in) { free(in->names_buf); }

/* Splits text (one name per line, or separated by spaces or commas) into in->q.names. */
static void split_names(struct ri_input *in, const char *text)
{
    in->names_text = text;
    if (text == NULL)
        return;
    in->names_buf = strdup(text);
    in->q.names_given = 1;
    char *save = NULL;
    for (char *t = in->names_buf ? strtok_r(in->names_buf, " \t\r\n,", &save) : NULL; t != NULL;
         t = strtok_r(NULL, " \t\r\n,", &save)) {
        if (in->q.nnames >= REISSUE_MAX_NAMES) {
            in->q.nnames = REISSUE_MAX_NAMES + 1; /* refused as too many */
            break;
        }
        in->q.names[in->q.nnames++] = t;
    }
}

static void from_form(struct req *r, struct ri_input *in)
{
    memset(in, 0, sizeof *in);
    snprintf(in->serial, sizeof in->serial, "%.40s", req_param(r, "serial"));
    in->q.serial = in->serial;
    in->q.reason = req_form_text(r, "reason");
    in->q.revoke_date = req_form_text(r, "revoke_date");
    const char *consent = req_form_text(r, "consent");
    in->q.consent = consent != NULL && strcmp(consent, "1") == 0;
    in->csr_mode = req_form_text(r, "csr_mode");
    if (in->csr_mode != NULL && strcmp(in->csr_mode, "new") == 0)
        in->q.csr_pem = req_form_text(r, "csr");
    const char *names = req_form_text(r, "names");
    if (names != NULL && names[0] != '\0')
        split_names(in, names);
    in->q.root = req_form_text(r, "root");
    in->q.dcv_method = req_form_text(r, "dcv_method");
    in->q.idem_key = req_form_text(r, "idem");
}

/* ---- the form page ---- */

static json_t *reasons_json(struct req *r, const char *chosen)
{
    json_t *a = json_array();
    for (size_t i = 0; reissue_reasons[i] != NULL; i++) {
        char key[64], rk[64];
        snprintf(key, sizeof key, "ri.reason.%s", reissue_reasons[i]);
        const char *rn = revoke_reason_name(reissue_reason_code(reissue_reasons[i]));
        snprintf(rk, sizeof rk, "rev.reason.%s", rn ? rn : "unspecified");
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b}", "value", reissue_reasons[i],
                                           "label", i18n_text(r->lang, key), "code",
                                           i18n_text(r->lang, rk), "checked",
                                           chosen && strcmp(chosen, reissue_reasons[i]) == 0));
    }
    return a;
}

/* The names of the certificate, one per line. */
static void names_lines(const struct certlist_detail_row *d, char *out, size_t n)
{
    json_t *a = d->names_json ? json_loads(d->names_json, 0, NULL) : NULL;
    size_t k = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v) && k < n)
            k += (size_t)snprintf(out + k, n - k, "%s%s", k ? "\n" : "", json_string_value(v));
    }
    json_decref(a);
}

/* Renders the form for d with in's values (NULL: defaults) and an error (NULL: none). */
static void form_page(struct req *r, struct portal *p, const struct certlist_detail_row *d,
                      const struct ri_input *in, const struct sm_err *e)
{
    const struct certlist_row *c = &d->row;
    int64_t now = (int64_t)clock_now();
    char min[16], max[16], na[16], names[4096], idem[40];
    jst_date(now, min, sizeof min);
    jst_date(now + (int64_t)REVOKE_MAX_DAYS * DAY, max, sizeof max);
    jst_date(c->not_after, na, sizeof na);
    names_lines(d, names, sizeof names);
    snprintf(idem, sizeof idem, "ri-%lld-%ld", (long long)now, (long)random());
    struct product_row prod;
    int multi = 0;
    json_t *roots = json_array();
    if (products_get_by_code(p->db, c->product_code, &prod, NULL) == 0) {
        multi = prod.multi_domain;
        for (const char *o = "ab"; *o; o++) {
            char v[2] = {*o, 0}, key[32];
            if (strchr(prod.root_options, *o) == NULL)
                continue;
            snprintf(key, sizeof key, "certs.root.%s", v);
            const char *want = in && in->q.root ? in->q.root : c->root;
            json_array_append_new(roots, json_pack("{s:s, s:s, s:b}", "value", v, "label",
                                                   i18n_text(r->lang, key), "selected",
                                                   strcmp(want, v) == 0));
        }
    }
    struct buf msg = BUF_INIT;
    const char *field = "";
    if (e != NULL) {
        char kb[80];
        const char *arg = NULL;
        const char *k = err_key(e, &arg, kb, sizeof kb);
        i18n_format(&msg, r->lang, k ? k : sm_err_msgkey(e->code), arg ? arg : "");
        field = e->field;
    }
    int new_csr = in && in->csr_mode && strcmp(in->csr_mode, "new") == 0;
    json_t *data = json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:s, s:b, s:s, s:s, s:s, "
        "s:s}",
        "serial", c->serial, "cn", c->cn ? c->cn : "", "not_after", na, "reasons",
        reasons_json(r, in ? in->q.reason : NULL), "min", min, "max", max, "date",
        in && in->q.revoke_date ? in->q.revoke_date : min, "names",
        in && in->names_text ? in->names_text : names, "receipt_no", c->receipt_no, "roots", roots,
        "multi", multi, "new_csr", new_csr, "csr", in && in->q.csr_pem ? in->q.csr_pem : "",
        "consent", in ? in->q.consent : 0, "error", msg.p ? msg.p : "", "error_field", field,
        "idem", in && in->q.idem_key ? in->q.idem_key : idem, "dcv_method",
        in && in->q.dcv_method ? in->q.dcv_method : "dns");
    buf_free(&msg);
    http_reply_page(r, e ? http_err_status(e) : 200, "cert_reissue", "ri.title", data);
}

/* The visible certificate of :serial, or answers 404. */
static int detail_or_404(struct req *r, struct portal *p, struct certlist_detail_row **d)
{
    char serial[41];
    struct sm_err e = {0};
    *d = NULL;
    if (revoke_serial_norm(req_param(r, "serial"), serial) < 0) {
        http_reply_error(r, 404, "certs.err.notfound", NULL);
        return -1;
    }
    int rc = certlist_get(p->db, &p->who.scope, serial, d, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "certs.err.notfound", NULL);
    else if (rc < 0)
        http_reply_err(r, &e);
    return rc < 0 ? -1 : 0;
}

void h_cert_reissue_form(struct req *r)
{
    struct portal p;
    struct certlist_detail_row *d = NULL;
    if (portal_or_reply(r, &p) < 0 || detail_or_404(r, &p, &d) < 0)
        goto out;
    form_page(r, &p, d, NULL, NULL);
out:
    certlist_detail_row_free(d);
    portal_clear(&p);
}

/* R-APP-7: refused in the maintenance window, as submissions are: 503 with its end (JST). */
static void maint_reply(struct req *r, const struct portal *p, const struct sm_err *e)
{
    char until[40] = "";
    pf_maint_until(p, until, sizeof until);
    http_reply_err_msg(r, e, "order.err.maintenance", until);
}

/* The plan as JSON (confirmation page and API). */
static json_t *plan_json(struct req *r, const struct reissue_plan *pl)
{
    char when[16], na[16], key[64], yen[32];
    jst_date(pl->revoke_at, when, sizeof when);
    jst_date(pl->not_after, na, sizeof na);
    snprintf(key, sizeof key, "ri.reason.%s", pl->reason);
    portal_yen(pl->fee, yen, sizeof yen);
    const char *rn = revoke_reason_name(pl->reason_code);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:s, s:o, s:o, s:o, s:I, s:s, s:s}",
        "serial", pl->serial, "cn", pl->cn, "reason", pl->reason, "reason_label",
        i18n_text(r->lang, key), "revocation_reason", rn ? rn : "unspecified", "revoke_date", when,
        "revoke_now", pl->revoke_now, "not_after", na, "root", pl->root, "new_csr", pl->new_csr,
        "receipt_no", pl->receipt_no, "names",
        json_loads(pl->names_json ? pl->names_json : "[]", 0, NULL), "added",
        json_loads(pl->added_json ? pl->added_json : "[]", 0, NULL), "removed",
        json_loads(pl->removed_json ? pl->removed_json : "[]", 0, NULL), "fee", (json_int_t)pl->fee,
        "fee_yen", yen, "fee_rule", pl->fee_rule);
    /* the root's label as the certificate page shows it (ルートA / ルートB) */
    if (j != NULL)
        json_object_set_new(
            j, "root_label",
            json_string(
                i18n_text(r->lang, strcmp(pl->root, "b") == 0 ? "certs.root.b" : "certs.root.a")));
    return j;
}

void h_cert_reissue_confirm(struct req *r)
{
    struct portal p;
    struct certlist_detail_row *d = NULL;
    struct ri_input in;
    struct reissue_plan pl;
    struct sm_err e = {0};
    memset(&in, 0, sizeof in);
    memset(&pl, 0, sizeof pl);
    if (portal_or_reply(r, &p) < 0 || detail_or_404(r, &p, &d) < 0)
        goto out;
    from_form(r, &in);
    if (reissue_check(&p.env, &p.who, r->web->cfg, &in.q, &pl, &e) < 0) {
        if (e.code == SM_E_NOTFOUND)
            http_reply_error(r, 404, "certs.err.notfound", NULL);
        else if (http_err_status(&e) >= 500)
            http_reply_err(r, &e);
        else
            form_page(r, &p, d, &in, &e);
        goto out;
    }
    json_t *data = plan_json(r, &pl);
    json_object_set_new(
        data, "form",
        json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "reason", in.q.reason ? in.q.reason : "",
            "revoke_date", in.q.revoke_date ? in.q.revoke_date : "", "csr_mode",
            in.csr_mode ? in.csr_mode : "reuse", "csr", in.q.csr_pem ? in.q.csr_pem : "", "names",
            in.names_text ? in.names_text : "", "root", in.q.root ? in.q.root : "", "dcv_method",
            in.q.dcv_method ? in.q.dcv_method : "dns", "idem", in.q.idem_key ? in.q.idem_key : ""));
    json_object_set_new(data, "free", json_boolean(pl.fee == 0));
    http_reply_page(r, 200, "cert_reissue_confirm", "ri.confirm.title", data);
out:
    reissue_plan_clear(&pl);
    input_clear(&in);
    certlist_detail_row_free(d);
    portal_clear(&p);
}

void h_cert_reissue(struct req *r)
{
    struct portal p;
    struct certlist_detail_row *d = NULL;
    struct ri_input in;
    struct sm_err e = {0};
    int64_t id = 0;
    memset(&in, 0, sizeof in);
    if (portal_or_reply(r, &p) < 0 || detail_or_404(r, &p, &d) < 0)
        goto out;
    from_form(r, &in);
    if (reissue_apply(&p.env, &p.who, r->web->cfg, &in.q, NULL, &id, &e) < 0) {
        if (e.code == SM_E_NOTFOUND)
            http_reply_error(r, 404, "certs.err.notfound", NULL);
        else if (e.code == SM_E_MAINTENANCE)
            maint_reply(r, &p, &e);
        else if (http_err_status(&e) >= 500)
            http_reply_err(r, &e);
        else
            form_page(r, &p, d, &in, &e);
        goto out;
    }
    char loc[128];
    snprintf(loc, sizeof loc, "/certificates/%s/reissue/done?order=%lld", d->row.serial,
             (long long)id);
    http_redirect(r, 303, loc);
out:
    input_clear(&in);
    certlist_detail_row_free(d);
    portal_clear(&p);
}

void h_cert_reissue_done(struct req *r)
{
    struct portal p;
    struct certlist_detail_row *d = NULL;
    struct order_row *o = NULL;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0 || detail_or_404(r, &p, &d) < 0)
        goto out;
    const char *q = req_query(r, "order");
    char *end = NULL;
    long long id = q ? strtoll(q, &end, 10) : 0;
    if (id <= 0 || end == NULL || *end != '\0' ||
        orders_get(p.db, (int64_t)id, &p.who.scope, &o, &e) < 0 ||
        o->predecessor_cert_id != d->row.id) {
        http_reply_error(r, 404, "certs.err.notfound", NULL);
        goto out;
    }
    char state_key[48];
    snprintf(state_key, sizeof state_key, "order.state.%s", o->state);
    http_reply_page(r, 200, "cert_reissue_done", "ri.done.title",
                    json_pack("{s:s, s:s, s:I, s:s, s:s}", "serial", d->row.serial, "receipt_no",
                              o->receipt_no, "order_id", (json_int_t)o->id, "state",
                              i18n_text(r->lang, state_key), "cn", o->cn ? o->cn : ""));
out:
    order_row_free(o);
    certlist_detail_row_free(d);
    portal_clear(&p);
}

/* ---- API ---- */

void h_api_cert_reissue(struct req *r)
{
    struct portal p;
    struct ri_input in;
    struct reissue_plan pl;
    struct sm_err e = {0};
    memset(&in, 0, sizeof in);
    memset(&pl, 0, sizeof pl);
    json_t *b = req_json_or_reply(r);
    if (b == NULL)
        return;
    if (portal_or_reply(r, &p) < 0) {
        json_decref(b);
        return;
    }
    int bad = 0;
    snprintf(in.serial, sizeof in.serial, "%.40s", req_param(r, "serial"));
    in.q.serial = in.serial;
    in.q.reason = req_json_str(b, "reason", &bad);
    in.q.revoke_date = req_json_str(b, "revoke_date", &bad);
    in.q.csr_pem = req_json_str(b, "csr", &bad);
    in.q.root = req_json_str(b, "root", &bad);
    in.q.dcv_method = req_json_str(b, "dcv_method", &bad);
    in.q.cn = req_json_str(b, "cn", &bad);
    in.q.org_name = req_json_str(b, "org_name", &bad);
    in.q.idem_key = req_json_str(b, "idem_key", &bad);
    json_t *consent = json_object_get(b, "consent");
    if (consent != NULL && !json_is_boolean(consent))
        bad = 1;
    in.q.consent = json_is_true(consent);
    json_t *names = json_object_get(b, "names");
    if (names != NULL && !json_is_array(names))
        bad = 1;
    if (json_is_array(names)) {
        in.q.names_given = 1;
        for (size_t i = 0; i < json_array_size(names); i++) {
            if (i >= REISSUE_MAX_NAMES) {
                in.q.nnames = REISSUE_MAX_NAMES + 1;
                break;
            }
            in.q.names[in.q.nnames++] = json_string_value(json_array_get(names, i));
            if (in.q.names[i] == NULL)
                bad = 1;
        }
    }
    json_t *dry = json_object_get(b, "dry_run");
    if (bad) {
        sm_err_set(&e, SM_E_INVALID, "body", "reissue fields of the wrong type");
        http_reply_err_msg(r, &e, "ri.err.body", NULL);
        goto out;
    }
    int64_t id = 0;
    int rc = json_is_true(dry) ? reissue_check(&p.env, &p.who, r->web->cfg, &in.q, &pl, &e)
                               : reissue_apply(&p.env, &p.who, r->web->cfg, &in.q, &pl, &id, &e);
    if (rc < 0) {
        char kb[80];
        const char *arg = NULL;
        const char *k = err_key(&e, &arg, kb, sizeof kb);
        if (e.code == SM_E_MAINTENANCE)
            maint_reply(r, &p, &e);
        else if (k != NULL)
            http_reply_err_msg(r, &e, k, arg);
        else
            http_reply_err(r, &e);
        goto out;
    }
    if (json_is_true(dry)) {
        http_reply_json(r, 200, plan_json(r, &pl));
        goto out;
    }
    struct order_row *o = NULL;
    if (orders_get(p.db, id, &p.who.scope, &o, &e) < 0) {
        http_reply_err(r, &e);
        goto out;
    }
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:I, s:s?}", "id", (json_int_t)o->id, "receipt_no",
                  o->receipt_no, "kind", o->kind, "state", o->state, "amount",
                  (json_int_t)o->amount, "invoice_no", o->invoice_no[0] ? o->invoice_no : NULL);
    if (pl.serial[0] != '\0')
        json_object_set_new(j, "reissue", plan_json(r, &pl));
    http_reply_json(r, 201, j);
    order_row_free(o);
out:
    reissue_plan_clear(&pl);
    json_decref(b);
    portal_clear(&p);
}

/* ---- the certificate page ---- */

void reissue_page_data(struct req *r, struct portal *p, int64_t cert_id, const char *state,
                       json_t *data)
{
    json_t *h = reissue_history(p->db, cert_id, NULL);
    json_t *rows = json_array();
    const char *self = json_string_value(json_object_get(data, "serial"));
    size_t i;
    json_t *v;
    json_array_foreach(h, i, v)
    {
        char nb[16], na[16], rv[16] = "", key[64], why[200];
        const char *st = json_string_value(json_object_get(v, "state"));
        int pending = strcmp(st, "pending") == 0; /* a reissue still waiting */
        nb[0] = na[0] = '\0';
        if (!pending) {
            jst_date(json_integer_value(json_object_get(v, "not_before")), nb, sizeof nb);
            jst_date(json_integer_value(json_object_get(v, "not_after")), na, sizeof na);
        }
        int64_t at = json_integer_value(json_object_get(v, "revoked_at"));
        int64_t due = json_integer_value(json_object_get(v, "revoke_due"));
        if (strcmp(st, "revoked") == 0 && at > 0)
            jst_date(at, rv, sizeof rv);
        else if (due > 0)
            jst_date(due, rv, sizeof rv);
        snprintf(key, sizeof key, "sub.reason.%s",
                 json_string_value(json_object_get(v, "issued_why")));
        const char *rr = json_string_value(json_object_get(v, "reissue_reason"));
        if (rr[0] != '\0') {
            char k2[64];
            snprintf(k2, sizeof k2, "ri.reason.%s", rr);
            snprintf(why, sizeof why, "%s: %s", i18n_text(r->lang, key), i18n_text(r->lang, k2));
        } else {
            snprintf(why, sizeof why, "%s", i18n_text(r->lang, key));
        }
        const char *rn = json_string_value(json_object_get(v, "revocation_reason"));
        char rk[64], sk[48];
        snprintf(rk, sizeof rk, "rev.reason.%s", rn);
        snprintf(sk, sizeof sk, "ri.state.%s", st);
        json_array_append_new(
            rows,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s}", "serial",
                      json_string_value(json_object_get(v, "serial")), "why", why, "not_before", nb,
                      "not_after", na, "state", st, "state_label", i18n_text(r->lang, sk),
                      "revoked", rv, "revocation_reason", rn[0] ? i18n_text(r->lang, rk) : "",
                      "replaced_by", json_string_value(json_object_get(v, "replaced_by")), "this",
                      self != NULL &&
                          strcmp(self, json_string_value(json_object_get(v, "serial"))) == 0,
                      "order_id", json_integer_value(json_object_get(v, "order_id")), "receipt_no",
                      pending ? json_string_value(json_object_get(v, "receipt_no")) : ""));
    }
    json_decref(h);
    int can = strcmp(state, "issued") == 0;
    json_object_set_new(data, "reissue",
                        json_pack("{s:b, s:o, s:b}", "can", can, "history", rows, "has_history",
                                  json_array_size(rows) > 0));
}
