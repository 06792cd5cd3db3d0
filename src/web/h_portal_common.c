/* SPDX-License-Identifier: MIT */
/* What the wizard, the order pages and the order API share: the application form read
 * through a getter (form fields or a JSON body) into struct appform_in, the text of
 * application errors, product and order JSON, Tokyo dates. No SQL, no state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "pki/csr.h"
#include "web/http.h"
#include "web/h_portal.h"
#include "web/i18n.h"
#include "web/portal.h"

const char *const pf_fields[] = {"cn",
                                 "sans",
                                 "double_address",
                                 "subject_l",
                                 "subject_st",
                                 "ev_name_lang",
                                 "server_software",
                                 "org.name_ja",
                                 "org.name_en",
                                 "org.entity_type",
                                 "org.category",
                                 "org.reg_no",
                                 "org.tdb_code",
                                 "org.rep_name",
                                 "org.postal",
                                 "org.pref",
                                 "org.city",
                                 "org.street",
                                 "org.building",
                                 "org.phone",
                                 "org.country",
                                 "org.birth_date",
                                 "org.registered",
                                 "resp.name",
                                 "resp.name_kana",
                                 "resp.dept",
                                 "resp.title",
                                 "resp.phone",
                                 "contact.org",
                                 "contact.dept",
                                 "contact.name",
                                 "contact.name_kana",
                                 "contact.postal",
                                 "contact.pref",
                                 "contact.city",
                                 "contact.street",
                                 "contact.building",
                                 "contact.phone",
                                 "contact.email",
                                 "billing_same",
                                 "billing.org",
                                 "billing.dept",
                                 "billing.name",
                                 "billing.name_kana",
                                 "billing.postal",
                                 "billing.pref",
                                 "billing.city",
                                 "billing.street",
                                 "billing.building",
                                 "billing.phone",
                                 "billing.email",
                                 "notify_email1",
                                 "notify_email2",
                                 "notify_email3",
                                 "po_number",
                                 "remarks",
                                 "csr",
                                 "root",
                                 NULL};

int pf_field_step(const char *f)
{
    if (strcmp(f, "csr") == 0)
        return 5;
    if (strcmp(f, "root") == 0 || strcmp(f, "kind") == 0 || strcmp(f, "product") == 0)
        return 2;
    if (strcmp(f, "dcv_method") == 0)
        return 6;
    if (strncmp(f, "contact.", 8) == 0 || strncmp(f, "billing", 7) == 0 ||
        strncmp(f, "notify_email", 12) == 0 || strcmp(f, "po_number") == 0 ||
        strcmp(f, "remarks") == 0)
        return 4;
    return 3;
}

static int truthy(const char *s)
{
    return s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "on") == 0 || strcmp(s, "true") == 0);
}

static void person(struct appform_person *p, pf_get_fn get, void *arg, const char *prefix)
{
    char k[40];
#define PF_GET(field) (snprintf(k, sizeof k, "%s.%s", prefix, #field), p->field = get(arg, k))
    PF_GET(org);
    PF_GET(dept);
    PF_GET(name);
    PF_GET(name_kana);
    PF_GET(postal);
    PF_GET(pref);
    PF_GET(city);
    PF_GET(street);
    PF_GET(building);
    PF_GET(phone);
    PF_GET(email);
#undef PF_GET
}

int pf_input_fill(struct pf_input *x, pf_get_fn get, void *arg, const char *kind)
{
    memset(x, 0, sizeof *x);
    struct appform_in *in = &x->in;
    in->kind = kind ? kind : "new";
    in->csr = get(arg, "csr");
    in->cn = get(arg, "cn");
    in->double_address = truthy(get(arg, "double_address"));
    in->root = get(arg, "root");
    in->dcv_method = get(arg, "dcv_method");
    in->subject_l = get(arg, "subject_l");
    in->subject_st = get(arg, "subject_st");
    in->notify_email[0] = get(arg, "notify_email1");
    in->notify_email[1] = get(arg, "notify_email2");
    in->notify_email[2] = get(arg, "notify_email3");
    in->po_number = get(arg, "po_number");
    in->remarks = get(arg, "remarks");
    in->server_software = get(arg, "server_software");
    in->ev_name_lang = get(arg, "ev_name_lang");
    person(&in->contact, get, arg, "contact");
    in->billing_same = truthy(get(arg, "billing_same"));
    person(&in->billing, get, arg, "billing");
    struct appform_org *o = &in->org;
    o->name_ja = get(arg, "org.name_ja");
    o->name_en = get(arg, "org.name_en");
    o->building = get(arg, "org.building");
    o->reg_no = get(arg, "org.reg_no");
    o->rep_name = get(arg, "org.rep_name");
    o->entity_type = get(arg, "org.entity_type");
    o->tdb_code = get(arg, "org.tdb_code");
    o->category = get(arg, "org.category");
    o->postal = get(arg, "org.postal");
    o->pref = get(arg, "org.pref");
    o->city = get(arg, "org.city");
    o->street = get(arg, "org.street");
    o->phone = get(arg, "org.phone");
    o->country = get(arg, "org.country");
    o->birth_date = get(arg, "org.birth_date");
    o->registered = get(arg, "org.registered");
    in->resp.name = get(arg, "resp.name");
    in->resp.name_kana = get(arg, "resp.name_kana");
    in->resp.dept = get(arg, "resp.dept");
    in->resp.title = get(arg, "resp.title");
    in->resp.phone = get(arg, "resp.phone");
    const char *sans = get(arg, "sans");
    if (sans == NULL || *sans == '\0')
        return 0;
    if ((x->sans_buf = strdup(sans)) == NULL)
        return -SM_E_NOMEM;
    size_t n = 0;
    for (char *p = x->sans_buf; *p != '\0' && n <= PF_SANS_MAX;) {
        while (*p != '\0' && strchr(" \t\r\n,", *p) != NULL)
            *p++ = '\0';
        if (*p == '\0')
            break;
        x->sans[n++] = p;
        while (*p != '\0' && strchr(" \t\r\n,", *p) == NULL)
            p++;
    }
    in->sans = x->sans;
    in->nsans = n;
    return 0;
}

void pf_input_clear(struct pf_input *x)
{
    free(x->sans_buf);
    x->sans_buf = NULL;
}

int pf_error_text(struct buf *out, const char *lang, const struct appform_error *er)
{
    if (strncmp(er->key, "csr.", 4) == 0 || strncmp(er->key, "name.", 5) == 0) {
        const struct csr_problem_def *d = csr_problem_find(er->key);
        if (d != NULL) {
            int rc = buf_puts(out, strcmp(lang, "en") == 0 ? d->msg_en : d->msg_ja);
            if (rc == 0 && er->detail[0] != '\0')
                rc = buf_printf(out, " (%s)", er->detail);
            return rc;
        }
    }
    return i18n_format(out, lang, er->key, er->detail);
}

json_t *pf_errors_json(const char *lang, const struct appform_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < r->nerrors; i++) {
        struct buf m = BUF_INIT;
        if (pf_error_text(&m, lang, &r->errors[i]) < 0 || m.p == NULL) {
            buf_free(&m);
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "field", r->errors[i].field, "code",
                                           r->errors[i].key, "message", m.p));
        buf_free(&m);
    }
    return a;
}

json_t *pf_product_json(const struct product_row *p, const char *lang)
{
    int en = strcmp(lang, "en") == 0;
    json_t *roots = json_array();
    for (const char *s = p->root_options; roots != NULL && *s != '\0'; s++)
        if (*s != ',') {
            char one[2] = {*s, '\0'};
            json_array_append_new(roots, json_string(one));
        }
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:i, s:i, s:b, s:I, s:I, s:i, "
                     "s:i, s:o*}",
                     "id", (json_int_t)p->id, "code", p->code, "name", en ? p->name_en : p->name_ja,
                     "name_ja", p->name_ja, "name_en", p->name_en, "level", p->level, "term_months",
                     p->term_months, "multi_domain", p->multi_domain, "sans_included",
                     p->sans_included, "sans_max", p->sans_max, "wildcard", p->wildcard,
                     "list_price", (json_int_t)p->list_price, "extra_san_price",
                     (json_int_t)p->extra_san_price, "review_days_min", p->review_days_min,
                     "review_days_max", p->review_days_max, "root_options", roots);
}

const char *pf_state_label(const char *lang, const char *state)
{
    char key[48];
    snprintf(key, sizeof key, "order.state.%s", state);
    return i18n_text(lang, key);
}

static void tokyo_tm(int64_t t, struct tm *tm)
{
    time_t x = (time_t)t + 9 * 3600;
    gmtime_r(&x, tm);
}

void pf_date(int64_t t, char *out, size_t n)
{
    if (t == 0) {
        snprintf(out, n, "%s", "");
        return;
    }
    struct tm tm;
    tokyo_tm(t, &tm);
    strftime(out, n, "%Y-%m-%d", &tm);
}

void pf_datetime(int64_t t, char *out, size_t n)
{
    if (t == 0) {
        snprintf(out, n, "%s", "");
        return;
    }
    struct tm tm;
    tokyo_tm(t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M JST", &tm);
}

void pf_eta(const struct order_row *o, const struct product_row *p, char *out, size_t n)
{
    time_t eta;
    if (p == NULL || order_eta(o, p, &eta) < 0)
        snprintf(out, n, "%s", "");
    else
        pf_date((int64_t)eta, out, n);
}

int pf_maint_until(const struct portal *p, char *out, size_t n)
{
    time_t end;
    snprintf(out, n, "%s", "");
    if (!maint_in_window(p->env.maint, clock_now(), &end))
        return 0;
    pf_datetime((int64_t)end, out, n);
    return 1;
}

int pf_parse_id(const char *s, int64_t *out)
{
    if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0)
        return -1;
    *out = v;
    return 0;
}

void pf_internal(struct req *r, const char *what, const struct sm_err *e)
{
    if (e->code != SM_E_DB_BUSY && e->code != SM_E_STORAGE_FULL)
        log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    struct sm_err x = *e;
    if (http_err_status(&x) < 500) /* an unexpected refusal is still a server failure */
        x.code = SM_E_INTERNAL;
    http_reply_err(r, &x);
}

const char *pf_err_key(const struct portal *p, const struct sm_err *e, char *arg, size_t n)
{
    snprintf(arg, n, "%s", e->field);
    if (e->code == SM_E_MAINTENANCE) {
        if (p == NULL || !pf_maint_until(p, arg, n))
            snprintf(arg, n, "%s", "");
    } else if (e->code == SM_E_TOO_LARGE) {
        snprintf(arg, n, "%lld MB",
                 (long long)((p && p->env.max_upload ? p->env.max_upload : 10 << 20) >> 20));
    }
    if (strcmp(e->field, "method") == 0 || strcmp(e->field, "dcv_method") == 0)
        return e->code == SM_E_DCV_METHOD ? "order.err.dcv_email_off" : "order.err.dcv_method";
    return order_err_key(e);
}

void pf_reply_err(struct req *r, const struct portal *p, const struct sm_err *e)
{
    char arg[64];
    const char *key = pf_err_key(p, e, arg, sizeof arg);
    if (e->code == SM_E_NOTFOUND)
        key = "web.notfound";
    http_reply_err_msg(r, e, key, arg);
}

static json_t *json_text(const char *s)
{
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    return j ? j : json_null();
}

static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

json_t *pf_order_json(const struct order_row *o, const struct product_row *p, const char *lang)
{
    char submitted[32], paid[32], eta[16];
    pf_datetime(o->submitted_at, submitted, sizeof submitted);
    pf_datetime(o->paid_at, paid, sizeof paid);
    pf_eta(o, p, eta, sizeof eta);
    json_t *emails = json_array();
    for (int i = 0; emails != NULL && i < 3; i++)
        if (o->notify_email[i] != NULL)
            json_array_append_new(emails, json_string(o->notify_email[i]));
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s*, s:s*, s:o, s:s, s:I, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:o, s:I, s:s, s:s, s:s, s:s, s:o, s:I}",
        "id", (json_int_t)o->id, "receipt_no", o->receipt_no, "kind", o->kind, "state", o->state,
        "state_label", pf_state_label(lang, o->state), "product", p ? p->code : NULL,
        "product_name", p ? (strcmp(lang, "en") == 0 ? p->name_en : p->name_ja) : NULL, "cn",
        str_or_null(o->cn), "root", o->root_option, "org_id", (json_int_t)o->org_id, "names",
        json_text(o->names), "applicant", json_text(o->applicant), "contact", json_text(o->contact),
        "billing", json_text(o->billing), "notify_emails", emails ? emails : json_null(),
        "po_number", str_or_null(o->po_number), "remarks", str_or_null(o->remarks),
        "server_software", str_or_null(o->server_software), "amount", (json_int_t)o->amount,
        "invoice_no", o->invoice_no, "submitted_at", submitted, "paid_at", paid, "eta", eta,
        "decision_note", str_or_null(o->decision_note), "version", (json_int_t)o->version);
}

int pf_order_list(struct portal *p, const char *state, struct pf_order_list *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct orders_filter f = {.scope = p->who.scope, .sort = ORDERS_SORT_NEWEST, .limit = 200};
    enum order_state es;
    if (state != NULL && state[0] != '\0') {
        if (order_state_parse(state, &es) < 0) /* issue 8 item 18: never "everything" */
            return sm_err_set(e, SM_E_INVALID, "state", "unknown state filter");
        f.states = &state;
        f.nstates = 1;
    }
    int rc = products_list(p->db, 1, &out->cat, &out->ncat, e);
    if (rc == 0)
        rc = orders_list(p->db, &f, &out->rows, &out->n, NULL, e);
    if (rc < 0)
        pf_order_list_clear(out);
    return rc;
}

const struct product_row *pf_order_list_product(const struct pf_order_list *l, size_t i)
{
    for (size_t k = 0; k < l->ncat; k++)
        if (l->cat[k].id == l->rows[i].product_id)
            return &l->cat[k];
    return NULL;
}

void pf_order_list_clear(struct pf_order_list *l)
{
    order_rows_free(l->rows, l->n);
    free(l->cat);
    memset(l, 0, sizeof *l);
}
