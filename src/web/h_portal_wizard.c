/* SPDX-License-Identifier: MIT */
/* The application wizard (R-APP-2..7, R-CSR-2, R-VAL-1 choice of method): product → term
 * and root → applicant data → billing data → CSR → DCV method per domain → confirmation
 * with the agreement tick → done page with the receipt number. The state between steps
 * travels in ONE hidden field "state" (a JSON object of every value entered so far); each
 * POST overlays the fields of the step shown, re-checks the whole application with
 * ra/appform and either shows the first step that has errors (messages beside the fields)
 * or the next step. Nothing is stored before the final submission; the idempotency key
 * made when the wizard opens makes a double submission return the first order. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/policy.h"
#include "ra/cart.h"
#include "ra/dcv.h"
#include "ra/order_apply.h"
#include "ra/subscription.h"
#include "store/order_domains.h"
#include "store/users.h"
#include "store/groups.h"
#include "web/h_portal.h"
#include "web/h_subscriptions.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define NSTEPS 7
/* Past this many names the DCV step offers one method for all (a form holds at most
 * FORM_MAX_FIELDS fields); each can still be changed on the order page. */
#define DCV_SELECTS_MAX 40

struct wiz {
    struct req *r;
    struct portal p;
    json_t *vals; /* every value entered so far: name -> string */
    struct product_row *cat;
    size_t ncat;
    struct product_row prod;
    int have_prod;
    struct org_row *orgs; /* the organizations a reseller may apply for */
    size_t norgs;
    int64_t org_id;
    struct pf_input in;
    struct appform_result res;
    int checked;
    json_t *dcv_err; /* name -> message */
    struct buf banner;
    const char *product_err, *org_err, *agree_err; /* message keys */
    char new_app[120]; /* R-REN-3: the new application a refused renewal points to */
};

/* R-APP-1 renewal: the serial whose subscription the application renews ("renewal_of") or
 * replaces ("replaces", R-REN-3), "" when neither. */
static const char *vstr(const json_t *vals, const char *name)
{
    const char *v = json_string_value(json_object_get(vals, name));
    return v ? v : "";
}

static const char *vget(void *arg, const char *name)
{
    return json_string_value(json_object_get((const json_t *)arg, name));
}

static void vset(struct wiz *w, const char *name, const char *v)
{
    json_object_set_new(w->vals, name, json_string(v ? v : ""));
}

static void wiz_free(struct wiz *w)
{
    json_decref(w->vals);
    json_decref(w->dcv_err);
    free(w->cat);
    free(w->orgs);
    pf_input_clear(&w->in);
    if (w->checked)
        appform_result_free(&w->res);
    buf_free(&w->banner);
    portal_clear(&w->p);
}

/* ---- what the steps show ---- */

static json_t *steps_json(const char *lang, int cur)
{
    json_t *a = json_array();
    for (int i = 1; a != NULL && i <= NSTEPS; i++) {
        char key[32];
        snprintf(key, sizeof key, "portal.step.%d", i);
        json_array_append_new(a, json_pack("{s:i, s:s, s:b, s:b}", "n", i, "label",
                                           i18n_text(lang, key), "cur", i == cur, "done", i < cur));
    }
    return a;
}

/* Appends msg with each "{name}" of names[0..n) replaced by vals[i]. */
static int subst(struct buf *out, const char *msg, const char *const *names,
                 const char *const *vals, size_t n)
{
    int rc = 0;
    for (const char *c = msg; rc == 0 && *c;) {
        size_t i = 0;
        while (i < n && strncmp(c, names[i], strlen(names[i])) != 0)
            i++;
        if (i < n) {
            rc = buf_puts(out, vals[i]);
            c += strlen(names[i]);
        } else {
            rc = buf_append(out, c++, 1);
        }
    }
    return rc;
}

static void day_text(time_t t, char *out, size_t n)
{
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

int pf_term_note(struct buf *out, const char *lang, int term_months, time_t at, int cert_days)
{
    const struct policy_step *st = NULL;
    size_t n = policy_steps(POLICY_MAX_VALIDITY_DAYS, &st);
    size_t cur = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i].from <= at)
            cur = i;
    if (n == 0 || (long long)term_months * 31 <= st[cur].value)
        return 0;
    char term[16], days[16], from[16], cd[16], next_days[16] = "", next_from[16] = "";
    snprintf(term, sizeof term, "%d", term_months);
    snprintf(days, sizeof days, "%d", st[cur].value);
    day_text(st[cur].from, from, sizeof from);
    snprintf(cd, sizeof cd, "%d", cert_days);
    if (cur + 1 < n) {
        snprintf(next_days, sizeof next_days, "%d", st[cur + 1].value);
        day_text(st[cur + 1].from, next_from, sizeof next_from);
    }
    static const char *const names[] = {"{term}",      "{days}",      "{from}",
                                        "{cert_days}", "{next_days}", "{next_from}"};
    const char *vals[] = {term, days, from, cd, next_days, next_from};
    int rc = 0;
    if (cert_days > 0)
        rc = subst(out, i18n_text(lang, "portal.term_note.cert"), names, vals, 6);
    if (rc == 0)
        rc = subst(out, i18n_text(lang, "portal.term_note.main"), names, vals, 6);
    if (rc == 0 && cur + 1 < n)
        rc = subst(out, i18n_text(lang, "portal.term_note.next"), names, vals, 6);
    return rc;
}

static json_t *product_item(const struct product_row *p, const char *lang, const char *cur)
{
    json_t *j = pf_product_json(p, lang);
    char key[32], price[32];
    snprintf(key, sizeof key, "portal.level.%s", p->level);
    portal_yen(p->list_price, price, sizeof price); /* "60,000" */
    struct buf note = BUF_INIT;
    pf_term_note(&note, lang, p->term_months, clock_now(), 0);
    json_object_set_new(j, "term_note", json_string(note.p ? note.p : ""));
    buf_free(&note);
    json_object_set_new(j, "level_label", json_string(i18n_text(lang, key)));
    json_object_set_new(j, "price", json_string(price));
    json_object_set_new(j, "sel", json_boolean(cur != NULL && strcmp(cur, p->code) == 0));
    return j;
}

static int same_family(const struct product_row *a, const struct product_row *b)
{
    return strcmp(a->level, b->level) == 0 && a->multi_domain == b->multi_domain &&
           a->wildcard == b->wildcard;
}

static json_t *products_json(struct wiz *w, int family_only)
{
    const char *lang = w->r->lang, *cur = vget(w->vals, "product");
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < w->ncat; i++)
        if (!family_only || (w->have_prod && same_family(&w->cat[i], &w->prod)))
            json_array_append_new(a, product_item(&w->cat[i], lang, cur));
    return a;
}

static json_t *roots_json(struct wiz *w)
{
    json_t *a = json_array();
    const char *cur = vget(w->vals, "root");
    int first = cur == NULL || *cur == '\0';
    if (cur == NULL)
        cur = "";
    for (const char *s = w->prod.root_options; a != NULL && *s != '\0'; s++) {
        if (*s == ',')
            continue;
        char v[2] = {*s, '\0'}, key[32];
        snprintf(key, sizeof key, "portal.root.%s", v);
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:b}", "v", v, "l", i18n_text(w->r->lang, key),
                                        "sel", first ? 1 : strcmp(cur, v) == 0));
        first = 0;
    }
    return a;
}

static json_t *orgs_json(struct wiz *w)
{
    json_t *a = json_array();
    int en = strcmp(w->r->lang, "en") == 0;
    for (size_t i = 0; a != NULL && i < w->norgs; i++) {
        const struct org_row *o = &w->orgs[i];
        json_array_append_new(a, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)o->id, "name",
                                           en && o->name_en[0] ? o->name_en : o->name_ja, "sel",
                                           o->id == w->org_id));
    }
    return a;
}

static const char *method_of(struct wiz *w, const char *name)
{
    char key[300];
    snprintf(key, sizeof key, "dcv:%s", name);
    const char *m = vget(w->vals, key);
    return m && *m ? m : dcv_method_name(DCV_DNS_TXT);
}

static json_t *domains_json(struct wiz *w)
{
    json_t *a = json_array();
    int email_ok = dcv_method_allowed(DCV_EMAIL, clock_now());
    for (size_t i = 0; a != NULL && w->checked && i < w->res.nnames; i++) {
        const char *name = w->res.names[i];
        char field[300];
        snprintf(field, sizeof field, "dcv:%s", name);
        const char *m = method_of(w, name), *err = vget(w->dcv_err, name);
        char label[64];
        snprintf(label, sizeof label, "portal.dcv.%.*s", (int)strcspn(m, ":"), m);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:b}", "name", name,
                                           "field", field, "id", field, "options",
                                           pf_dcv_options(w->r->lang, name, m, email_ok), "err",
                                           err ? err : "", "method", i18n_text(w->r->lang, label),
                                           "select", w->res.nnames <= DCV_SELECTS_MAX));
    }
    return a;
}

static const char *org_name(struct wiz *w)
{
    for (size_t i = 0; i < w->norgs; i++)
        if (w->orgs[i].id == w->org_id)
            return strcmp(w->r->lang, "en") == 0 && w->orgs[i].name_en[0] ? w->orgs[i].name_en
                                                                          : w->orgs[i].name_ja;
    return "";
}

static void render(struct wiz *w, int step, int status)
{
    struct req *r = w->r;
    const char *lang = r->lang;
    char *state = json_dumps(w->vals, JSON_COMPACT);
    char maint[40];
    int in_maint = pf_maint_until(&w->p, maint, sizeof maint);
    struct buf mnote = BUF_INIT;
    if (in_maint)
        i18n_format(&mnote, lang, "order.err.maintenance", maint);
    struct pf_input tmp;
    pf_input_fill(&tmp, vget, w->vals, "new");
    json_t *d = json_pack("{s:i, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:o, s:s, s:s, s:s}", "step",
                          step, "s1", step == 1, "s2", step == 2, "s3", step == 3, "s4", step == 4,
                          "s5", step == 5, "s6", step == 6, "s7", step == 7, "steps",
                          steps_json(lang, step), "state", state ? state : "{}", "banner",
                          w->banner.p ? w->banner.p : "", "maint_note", mnote.p ? mnote.p : "");
    free(state);
    buf_free(&mnote);
    pf_input_clear(&tmp);
    if (d == NULL) {
        http_reply_error(r, 503, "err.nomem", NULL);
        return;
    }
    json_object_set_new(d, "products", step <= 2 ? products_json(w, step == 2) : json_array());
    json_object_set_new(d, "product_err",
                        json_string(w->product_err ? i18n_text(lang, w->product_err) : ""));
    json_object_set_new(d, "orgs", orgs_json(w));
    json_object_set_new(d, "pick_org", json_boolean(w->norgs > 1));
    json_object_set_new(d, "org_err", json_string(w->org_err ? i18n_text(lang, w->org_err) : ""));
    json_object_set_new(d, "roots", w->have_prod ? roots_json(w) : json_array());
    unsigned mask = step >= 3 && step <= 5 ? 1u << step : 0;
    /* errors only on the page that is shown because of them, never on a fresh step */
    json_t *groups = w->have_prod ? pf_groups(lang, &w->prod, mask, vget, w->vals,
                                              w->checked && status >= 400 ? &w->res : NULL)
                                  : json_array();
    json_object_set_new(d, "groups", groups ? groups : json_array());
    int has_cmp = w->checked && w->res.compare != NULL && step >= 6;
    json_object_set_new(d, "compare",
                        has_cmp ? pf_compare_rows(lang, w->res.compare) : json_array());
    json_object_set_new(d, "has_compare", json_boolean(has_cmp));
    json_object_set_new(
        d, "cn_mismatch",
        json_boolean(has_cmp && !json_is_true(json_object_get(w->res.compare, "cn_matches"))));
    json_object_set_new(d, "domains", step >= 6 ? domains_json(w) : json_array());
    json_t *all = pf_dcv_options(lang, NULL, "-", dcv_method_allowed(DCV_EMAIL, clock_now()));
    json_array_insert_new(
        all, 0,
        json_pack("{s:s, s:s, s:b}", "v", "", "l", i18n_text(lang, "portal.dcv.each"), "sel", 1));
    json_object_set_new(d, "dcv_all", all);
    json_object_set_new(d, "dcv_many", json_boolean(w->checked && w->res.nnames > DCV_SELECTS_MAX));
    json_object_set_new(d, "email_allowed",
                        json_boolean(dcv_method_allowed(DCV_EMAIL, clock_now())));
    json_object_set_new(d, "agree_err",
                        json_string(w->agree_err ? i18n_text(lang, w->agree_err) : ""));
    json_t *sum = json_object();
    if (step == 7 && w->checked && sum != NULL) {
        char amount[32];
        int64_t yen = 0;
        struct sm_err pe = {0};
        order_amount(w->p.env.db, w->org_id, &w->prod, &w->res, &yen, &pe);
        portal_yen(yen, amount, sizeof amount);
        struct buf note = BUF_INIT;
        pf_term_note(&note, lang, w->prod.term_months, clock_now(), 0);
        json_object_set_new(sum, "term_note", json_string(note.p ? note.p : ""));
        buf_free(&note);
        json_object_set_new(
            sum, "product",
            json_string(strcmp(lang, "en") == 0 ? w->prod.name_en : w->prod.name_ja));
        json_object_set_new(sum, "org", json_string(org_name(w)));
        json_object_set_new(sum, "amount", json_string(amount));
        json_object_set_new(sum, "term", json_integer(w->prod.term_months));
        char rk[24];
        snprintf(rk, sizeof rk, "portal.root.%s", w->res.root);
        json_object_set_new(sum, "root", json_string(i18n_text(lang, rk)));
        json_object_set_new(sum, "rows", pf_summary(lang, &w->prod, vget, w->vals));
    }
    json_object_set_new(d, "sum", sum);
    json_object_set_new(d, "renewal_of", json_string(vstr(w->vals, "renewal_of")));
    json_object_set_new(d, "replaces", json_string(vstr(w->vals, "replaces")));
    json_object_set_new(d, "new_app", json_string(w->new_app));
    http_reply_page(r, status, "portal_apply", "portal.apply.title", d);
}

/* ---- reading and checking ---- */

static int load(struct wiz *w, struct req *r)
{
    memset(w, 0, sizeof *w);
    w->r = r;
    w->dcv_err = json_object();
    if (portal_or_reply(r, &w->p) < 0)
        return -1;
    struct sm_err e = {0};
    if (products_list(w->p.db, 0, &w->cat, &w->ncat, &e) < 0) {
        pf_internal(r, "wizard: products", &e);
        return -1;
    }
    const struct user_row *u = w->p.user;
    w->org_id = u->org_id;
    if (u->role == USER_RESELLER) {
        if (org_list_scope(w->p.db, &w->p.who.scope, &w->orgs, &w->norgs, &e) < 0) {
            pf_internal(r, "wizard: organizations", &e);
            return -1;
        }
        for (size_t i = 0; i < w->norgs; i++)
            if (strcmp(w->orgs[i].kind, "customer") == 0) {
                w->org_id = w->orgs[i].id;
                break;
            }
    } else {
        w->orgs = calloc(1, sizeof *w->orgs);
        if (w->orgs == NULL || org_get(w->p.db, u->org_id, w->orgs, &e) < 0) {
            if (w->orgs == NULL)
                e.code = SM_E_NOMEM;
            pf_internal(r, "wizard: organization", &e);
            return -1;
        }
        w->norgs = 1;
    }
    return 0;
}

static int find_product(struct wiz *w)
{
    const char *code = vget(w->vals, "product");
    for (size_t i = 0; code != NULL && i < w->ncat; i++)
        if (strcmp(w->cat[i].code, code) == 0) {
            w->prod = w->cat[i];
            w->have_prod = 1;
            return 1;
        }
    return 0;
}

static int find_org(struct wiz *w)
{
    const char *s = vget(w->vals, "org_id");
    int64_t id;
    if (s == NULL || *s == '\0')
        return 1; /* the default chosen by load() */
    if (pf_parse_id(s, &id) < 0)
        return 0;
    for (size_t i = 0; i < w->norgs; i++)
        if (w->orgs[i].id == id) {
            w->org_id = id;
            return 1;
        }
    return 0;
}

/* Runs appform_check on the values, once; the CN's DCV method is the application's method.
 * The names are known only after the check, so the CN's method is taken afterwards when it
 * fits the CN and the date (what appform_check would accept for it); one that does not is
 * reported on the DCV step by check_methods, and order_apply checks it again at submit. */
static int check(struct wiz *w)
{
    struct sm_err e = {0};
    if (w->checked) {
        appform_result_free(&w->res);
        pf_input_clear(&w->in);
        w->checked = 0;
    }
    if (pf_input_fill(&w->in, vget, w->vals, *vstr(w->vals, "renewal_of") ? "renewal" : "new") < 0)
        return -SM_E_NOMEM;
    w->in.in.dcv_method = NULL;
    int rc = appform_check(&w->in.in, &w->prod, clock_now(), &w->res, &e);
    w->checked = 1;
    if (rc < 0 || w->res.nnames == 0)
        return rc;
    const char *m = method_of(w, w->res.names[0]);
    if (dcv_method_parse(m) != DCV_DNS_TXT &&
        pf_dcv_method_ok(w->res.names[0], m, dcv_method_allowed(DCV_EMAIL, clock_now())) &&
        strlen(m) < sizeof w->res.dcv_method) {
        w->in.in.dcv_method = m;
        snprintf(w->res.dcv_method, sizeof w->res.dcv_method, "%s", m);
    }
    return 0;
}

/* The first step up to `upto` that has an application error, or 0. */
static int error_step(struct wiz *w, int upto)
{
    int first = 0;
    for (size_t i = 0; i < w->res.nerrors; i++) {
        int s = pf_field_step(w->res.errors[i].field);
        if (s <= upto && (first == 0 || s < first))
            first = s;
    }
    return first;
}

static int check_methods(struct wiz *w)
{
    int bad = 0, email_ok = dcv_method_allowed(DCV_EMAIL, clock_now());
    for (size_t i = 0; i < w->res.nnames; i++) {
        const char *name = w->res.names[i], *m = method_of(w, name);
        if (!pf_dcv_method_ok(name, m, email_ok)) {
            const char *key = dcv_method_parse(m) == DCV_EMAIL && !email_ok
                                  ? "order.err.dcv_email_off"
                                  : "order.err.dcv_method";
            json_object_set_new(w->dcv_err, name, json_string(i18n_text(w->r->lang, key)));
            bad = 1;
        }
    }
    return bad;
}

/* "dcv_all" (one method for every domain) given on the DCV step: every name gets it. */
static int apply_all(struct wiz *w)
{
    const char *all = vget(w->vals, "dcv_all");
    if (all == NULL || *all == '\0')
        return 0;
    char m[32];
    snprintf(m, sizeof m, "%s", all);
    for (size_t i = 0; i < w->res.nnames; i++) {
        char key[300], norm[300];
        snprintf(key, sizeof key, "dcv:%s", w->res.names[i]);
        /* e-mail: the constructed address at this very name, as the table then shows it */
        if (dcv_method_for_name(m, w->res.names[i], norm, sizeof norm) < 0)
            snprintf(norm, sizeof norm, "%s", m);
        vset(w, key, norm);
    }
    vset(w, "dcv_all", "");
    return check(w);
}

static void read_form(struct wiz *w, int step)
{
    struct req *r = w->r;
    json_t *st = NULL;
    const char *s = req_form_text(r, "state");
    if (s != NULL)
        st = json_loads(s, 0, NULL);
    w->vals = json_is_object(st) ? st : json_object();
    if (st != NULL && w->vals != st)
        json_decref(st);
    /* values must be strings: anything else from a tampered state is dropped */
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(w->vals, tmp, k, v)
    {
        if (!json_is_string(v))
            json_object_del(w->vals, k);
    }
    /* the checkboxes of the step shown are off unless sent */
    if (step == 3) {
        vset(w, "double_address", "");
        vset(w, "org.registered", "");
    } else if (step == 4) {
        vset(w, "billing_same", "");
    }
    for (int i = 0; i < r->form.n; i++) {
        const struct form_field *f = &r->form.f[i];
        if (f->filename != NULL || strcmp(f->name, "csrf") == 0 || strcmp(f->name, "state") == 0 ||
            strcmp(f->name, "step") == 0 || strcmp(f->name, "go") == 0 ||
            strcmp(f->name, "agree") == 0 || strcmp(f->name, "csr_file") == 0)
            continue;
        vset(w, f->name, f->value);
    }
    const struct form_field *file = req_form_field(r, "csr_file");
    if (step == 5 && file != NULL && file->filename != NULL && file->len > 0) {
        if (form_utf8_valid(file->value, file->len)) {
            vset(w, "csr", file->value);
        } else {
            /* DER: hand it to the check as base64 text (appform accepts PEM and DER) */
            size_t n = sodium_base64_encoded_len(file->len, sodium_base64_VARIANT_ORIGINAL);
            char *b64 = malloc(n);
            if (b64 != NULL) {
                sodium_bin2base64(b64, n, (const unsigned char *)file->value, file->len,
                                  sodium_base64_VARIANT_ORIGINAL);
                struct buf pem = BUF_INIT;
                buf_printf(&pem,
                           "-----BEGIN CERTIFICATE REQUEST-----\n%s\n"
                           "-----END CERTIFICATE REQUEST-----\n",
                           b64);
                vset(w, "csr", pem.p);
                buf_free(&pem);
                free(b64);
            }
        }
    }
}

/* R-APP-1 renewal (R-REN-2): the wizard opened from a certificate's renewal link
 * (?renew=SERIAL), or for the new application a refused renewal points to (?replace=SERIAL,
 * R-REN-3), prefilled from the certificate's order: product, organization, applicant and
 * contact data, names, notification addresses, CSR and the DCV method of each name.
 * 1 when it answered (a refusal, or the renewal already under way), 0 to show the wizard. */
static int start_from(struct wiz *w, const char *serial, int replace)
{
    struct sub_source src;
    struct sm_err e = {0};
    if (subscription_source(w->p.db, &w->p.who, serial, replace, clock_now(), &src, &e) < 0) {
        hs_reply_err(w->r, &e);
        return 1;
    }
    if (src.pending_order > 0) {
        char loc[64];
        snprintf(loc, sizeof loc, "/orders/%lld", (long long)src.pending_order);
        http_redirect(w->r, 303, loc);
        sub_source_clear(&src);
        return 1;
    }
    pf_order_vals(src.prev, w->vals);
    struct order_domain_row *d = NULL;
    size_t n = 0;
    if (order_domains_list(w->p.db, src.prev->id, &d, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++) {
            char key[300];
            snprintf(key, sizeof key, "dcv:%s", d[i].name);
            if (strcmp(d[i].dcv_method, "reuse") != 0 && d[i].dcv_method[0] != '\0')
                vset(w, key, d[i].dcv_method);
        }
    order_domain_rows_free(d, n);
    char org[24];
    snprintf(org, sizeof org, "%lld", (long long)src.org_id);
    vset(w, "org_id", org);
    vset(w, "product", src.prev_product.code);
    vset(w, replace ? "replaces" : "renewal_of", serial);
    sub_source_clear(&src);
    find_org(w);
    find_product(w);
    return 0;
}

/* Issue 12 item 6: the wizard opened with ?group=ID starts from the group's application
 * template (store/groups: "org" {name_ja, postal, ...} as org.*, "contacts" {field: value}
 * for resp.*, contact.* and billing.* fields, "notify_emails" [...]); only names of
 * pf_fields are taken. A group the caller does not see is ignored. */
static int wizard_field(const char *name)
{
    for (size_t i = 0; pf_fields[i] != NULL; i++)
        if (strcmp(pf_fields[i], name) == 0)
            return 1;
    return 0;
}

static void start_group(struct wiz *w, const char *gid)
{
    int64_t id = 0;
    struct group_row g = {0};
    if (pf_parse_id(gid, &id) < 0 || groups_get(w->p.db, id, &w->p.who.scope, &g, NULL) < 0)
        return;
    json_t *t = json_loads(g.template_json ? g.template_json : "{}", 0, NULL);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(t, "org"), k, v)
    {
        char key[80];
        snprintf(key, sizeof key, "org.%s", k);
        if (json_is_string(v) && wizard_field(key))
            vset(w, key, json_string_value(v));
    }
    json_object_foreach(json_object_get(t, "contacts"), k, v)
    {
        if (json_is_string(v) && wizard_field(k) && strncmp(k, "org.", 4) != 0)
            vset(w, k, json_string_value(v));
    }
    json_t *ne = json_object_get(t, "notify_emails");
    for (size_t i = 0; i < 3 && i < json_array_size(ne); i++) {
        char key[16];
        snprintf(key, sizeof key, "notify_email%zu", i + 1);
        if (json_is_string(json_array_get(ne, i)))
            vset(w, key, json_string_value(json_array_get(ne, i)));
    }
    json_decref(t);
    group_row_clear(&g);
}

/* R-REN-3: the step to show when the renewal in the values can no longer be made or
 * changes what a renewal keeps (the banner says why and w->new_app points to a new
 * application), 0 when it is fine or the application is no renewal. */
static int renewal_refused(struct wiz *w)
{
    const char *serial = vstr(w->vals, "renewal_of");
    if (*serial == '\0' || !w->checked)
        return 0;
    struct sub_source src;
    struct sm_err e = {0};
    int rc = subscription_source(w->p.db, &w->p.who, serial, 0, clock_now(), &src, &e);
    if (rc == 0 && src.pending_order == 0)
        rc = subscription_renewal_keeps(&src, &w->prod, w->res.cn, w->res.applicant_json, &e);
    sub_source_clear(&src);
    if (rc == 0)
        return 0;
    if (!hs_err_text(&w->banner, w->r->lang, &e))
        i18n_format(&w->banner, w->r->lang, "order.err.form", NULL);
    if (strcmp(e.field, "renewal.forbidden") != 0)
        return 2;
    snprintf(w->new_app, sizeof w->new_app, "/apply?replace=%s", serial);
    if (strcmp(e.detail, "product") == 0 || strcmp(e.detail, "names") == 0)
        return 2;
    int st = pf_field_step(strcmp(e.detail, "org.address") == 0 ? "org.street" : e.detail);
    return st >= 2 && st <= 6 ? st : 3;
}

void h_apply_form(struct req *r)
{
    struct wiz w;
    if (load(&w, r) < 0) {
        wiz_free(&w);
        return;
    }
    w.vals = json_object();
    unsigned char rnd[16];
    char idem[33];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(idem, sizeof idem, rnd, sizeof rnd);
    vset(&w, "idem_key", idem);
    const char *pc = req_query(r, "product");
    const char *renew = req_query(r, "renew"), *replace = req_query(r, "replace");
    if (renew != NULL || replace != NULL) {
        if (start_from(&w, renew != NULL ? renew : replace, renew == NULL) == 0)
            render(&w, renew != NULL && w.have_prod ? 2 : 1, 200);
        wiz_free(&w);
        return;
    }
    const char *cart = req_query(r, "cart"); /* R-CRT-1: registering a cart item */
    int64_t cart_id;
    if (cart != NULL && pf_parse_id(cart, &cart_id) == 0)
        vset(&w, "cart_item", cart);
    if (req_query(r, "group") != NULL)
        start_group(&w, req_query(r, "group"));
    if (pc != NULL) {
        vset(&w, "product", pc);
        if (!find_product(&w))
            json_object_del(w.vals, "product");
    }
    render(&w, 1, 200);
    wiz_free(&w);
}

/* The methods chosen on the DCV step that differ from the CN's (which every name gets
 * first); *out owned by the caller (free()). */
static int chosen_methods(struct wiz *w, struct order_apply_dcv **out, size_t *n)
{
    *n = 0;
    if ((*out = calloc(w->res.nnames ? w->res.nnames : 1, sizeof **out)) == NULL)
        return -1;
    for (size_t i = 1; i < w->res.nnames; i++) {
        const char *m = method_of(w, w->res.names[i]);
        if (strcmp(m, w->res.dcv_method[0] ? w->res.dcv_method : dcv_method_name(DCV_DNS_TXT)) != 0)
            (*out)[(*n)++] = (struct order_apply_dcv){w->res.names[i], m};
    }
    return 0;
}

/* The page of a refused submission (order_apply's error e). */
static void refused(struct wiz *w, const struct order_apply_dcv *dcv,
                    const struct order_applied *out, const struct sm_err *e)
{
    struct req *r = w->r;
    if (e->code == SM_E_INVALID && strcmp(e->field, "product") == 0) {
        w->product_err = "portal.err.product";
        render(w, 1, 422);
    } else if (e->code == SM_E_INVALID && strcmp(e->field, "org_id") == 0) {
        w->org_err = "portal.err.org";
        render(w, 1, 422);
    } else if (strcmp(e->field, "dcv_methods") == 0 && dcv != NULL) {
        const char *key =
            e->code == SM_E_DCV_METHOD && dcv_method_parse(dcv[out->dcv_bad].method) == DCV_EMAIL
                ? "order.err.dcv_email_off"
                : "order.err.dcv_method";
        json_object_set_new(w->dcv_err, dcv[out->dcv_bad].name,
                            json_string(i18n_text(r->lang, key)));
        i18n_format(&w->banner, r->lang, "order.err.form", NULL);
        render(w, 6, 422);
    } else if (hs_err_text(&w->banner, r->lang, e)) { /* R-REN-2, R-REN-3 */
        const char *serial = vstr(w->vals, "renewal_of");
        if (strcmp(e->field, "renewal.forbidden") == 0)
            snprintf(w->new_app, sizeof w->new_app, "/apply?replace=%s", serial);
        render(w, 7, http_err_status(e));
    } else if (http_err_status(e) < 500 || e->code == SM_E_MAINTENANCE) {
        char arg[64];
        i18n_format(&w->banner, r->lang, pf_err_key(&w->p, e, arg, sizeof arg),
                    e->code == SM_E_MAINTENANCE ? arg : NULL);
        render(w, 7, http_err_status(e));
    } else {
        pf_reply_err(r, &w->p, e);
    }
}

static void submit(struct wiz *w)
{
    struct req *r = w->r;
    const char *agree = req_form_text(r, "agree");
    if (agree == NULL || strcmp(agree, "1") != 0) {
        w->agree_err = "portal.err.agree";
        render(w, 7, 422);
        return;
    }
    char until[40];
    if (pf_maint_until(&w->p, until, sizeof until)) {
        i18n_format(&w->banner, r->lang, "order.err.maintenance", until);
        render(w, 7, 503);
        return;
    }
    struct order_apply_dcv *dcv = NULL;
    size_t ndcv = 0;
    if (chosen_methods(w, &dcv, &ndcv) < 0) {
        http_reply_error(r, 503, "err.nomem", NULL);
        return;
    }
    const char *idem = vget(w->vals, "idem_key");
    struct order_application a = {.product = w->prod.code,
                                  .org_id = w->org_id,
                                  .form = &w->in.in,
                                  .dcv = dcv,
                                  .ndcv = ndcv,
                                  .idem_key = idem ? idem : "", /* "": refused */
                                  .pay_method = "invoice",
                                  .draft = *vstr(w->vals, "cart_item") != '\0',
                                  .renewal_of = vstr(w->vals, "renewal_of"),
                                  .replaces = vstr(w->vals, "replaces")};
    struct order_applied out;
    struct sm_err e = {0};
    int64_t cart_id = 0;
    if (order_apply(&w->p.env, &w->p.who, r->web->cfg, &a, &out, &e) < 0) {
        refused(w, dcv, &out, &e);
    } else if (a.draft && pf_parse_id(vstr(w->vals, "cart_item"), &cart_id) == 0) {
        /* R-CRT-1: the application of a cart item is saved as a draft and completes it */
        if (cart_attach(&w->p.env, &w->p.who, cart_id, out.order->id, &e) < 0)
            pf_reply_err(r, &w->p, &e);
        else
            http_redirect(r, 303, "/cart");
    } else {
        char loc[64];
        snprintf(loc, sizeof loc, "/apply/done/%lld", (long long)out.order->id);
        http_redirect(r, 303, loc);
    }
    order_applied_free(&out);
    free(dcv);
}

void h_apply(struct req *r)
{
    struct wiz w;
    if (load(&w, r) < 0) {
        wiz_free(&w);
        return;
    }
    const char *ss = req_form_text(r, "step"), *go = req_form_text(r, "go");
    int step = ss && ss[0] >= '1' && ss[0] <= '7' && ss[1] == '\0' ? ss[0] - '0' : 1;
    read_form(&w, step);
    int back = go != NULL && strcmp(go, "back") == 0;
    int ok_prod = find_product(&w), ok_org = find_org(&w);
    if (back || !ok_prod || !ok_org) {
        if (!back) {
            w.product_err = ok_prod ? NULL : "portal.err.product";
            w.org_err = ok_org ? NULL : "portal.err.org";
        }
        int to = back && step > 1 ? step - 1 : 1;
        if (to >= 6 && check(&w) < 0) {
            http_reply_error(r, 503, "err.nomem", NULL);
        } else {
            /* going back shows no errors of the page left */
            if (w.checked)
                w.res.nerrors = 0;
            render(&w, back ? to : 1, back ? 200 : 422);
        }
        wiz_free(&w);
        return;
    }
    if (step == 1) {
        render(&w, 2, 200);
        wiz_free(&w);
        return;
    }
    if (check(&w) < 0) {
        http_reply_error(r, 503, "err.nomem", NULL);
        wiz_free(&w);
        return;
    }
    int es = error_step(&w, step >= 6 ? 6 : step), rs = 0;
    if (es == 0 && (rs = renewal_refused(&w)) != 0) {
        render(&w, rs, 422); /* R-REN-3 */
    } else if (es != 0) {
        if (w.res.ineligible)
            i18n_format(&w.banner, r->lang, "portal.err.ineligible", NULL);
        else
            i18n_format(&w.banner, r->lang, "order.err.form", NULL);
        render(&w, es < 2 ? 2 : es, 422);
    } else if (step == 6 && apply_all(&w) < 0) {
        http_reply_error(r, 503, "err.nomem", NULL);
    } else if (step >= 6 && check_methods(&w)) {
        i18n_format(&w.banner, r->lang, "order.err.form", NULL);
        render(&w, 6, 422);
    } else if (step < 7) {
        if (step == 5 && w.res.csr_pem != NULL)
            vset(&w, "csr", w.res.csr_pem);
        render(&w, step + 1, 200);
    } else {
        submit(&w);
    }
    wiz_free(&w);
}

void h_apply_done(struct req *r)
{
    int64_t id;
    if (pf_parse_id(req_param(r, "id"), &id) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    struct order_row *o = NULL;
    struct product_row prod;
    struct sm_err e = {0};
    int rc = orders_get(p.db, id, &p.who.scope, &o, &e);
    if (rc == -SM_E_NOTFOUND) {
        http_reply_error(r, 404, "web.notfound", NULL);
    } else if (rc < 0 || (rc = products_get(p.db, o->product_id, &prod, &e)) < 0) {
        pf_internal(r, "apply done", &e);
    } else {
        char eta[16];
        pf_eta(o, &prod, eta, sizeof eta);
        json_t *d =
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)o->id, "receipt_no",
                      o->receipt_no, "cn", o->cn ? o->cn : "", "product",
                      strcmp(r->lang, "en") == 0 ? prod.name_en : prod.name_ja, "state",
                      pf_state_label(r->lang, o->state), "invoice_no", o->invoice_no, "eta", eta);
        http_reply_page(r, 200, "portal_done", "portal.done.title", d);
    }
    order_row_free(o);
    portal_clear(&p);
}
