/* SPDX-License-Identifier: MIT */
/* Application form checks (R-APP-3..6, R-CSR-2): every field, the names of the
 * certificate, the CSR and the eligibility rules; collects every error and builds the
 * normalized JSON an order stores. See appform.h; single-field syntax is in ra/field.c. */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "core/text.h"
#include "pki/csr.h"
#include "pki/names.h"
#include "ra/appform.h"
#include "ra/calendar.h"
#include "ra/dcv.h"
#include "ra/field.h"
#include "ra/product.h"

#define MAX_INPUT_NAMES 1000

struct ctx {
    struct appform_result *r;
    const struct appform_in *in;
    const struct product_row *p;
    time_t now;
    size_t cap;
    size_t nauto; /* names added automatically (double address) */
    int nomem;
    int internal; /* public suffix list unavailable */
};

static int given(const char *s) { return s != NULL && *s != '\0'; }

static void add_err(struct ctx *c, const char *field, const char *key, const char *detail)
{
    struct appform_result *r = c->r;
    if (r->nerrors == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct appform_error *v = sm_realloc(r->errors, cap * sizeof *v);
        if (v == NULL) {
            c->nomem = 1;
            return;
        }
        r->errors = v;
        c->cap = cap;
    }
    struct appform_error *x = &r->errors[r->nerrors++];
    snprintf(x->field, sizeof x->field, "%s", field);
    x->key = key;
    snprintf(x->detail, sizeof x->detail, "%s", detail ? detail : "");
    if (strncmp(key, "order.inelig.", 13) == 0)
        r->ineligible = 1;
}

static void fieldname(char *out, size_t n, const char *prefix, const char *name)
{
    snprintf(out, n, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", name);
}

/* Free text: required or not, no control characters, at most max characters.
 * Returns 1 when given and fine, 0 when absent, -1 after reporting an error. */
static int text(struct ctx *c, const char *field, const char *v, int required, long max,
                int allow_nl)
{
    if (!given(v)) {
        if (required)
            add_err(c, field, "order.err.required", NULL);
        return 0;
    }
    if (field_has_control(v, allow_nl)) {
        add_err(c, field, "order.err.chars", NULL);
        return -1;
    }
    if (field_chars(v) > max) {
        char d[32];
        snprintf(d, sizeof d, "%ld", max);
        add_err(c, field, "order.err.too_long", d);
        return -1;
    }
    return 1;
}

/* Certificate subject text: printable ASCII (half-width alphanumerics and symbols). */
static int ascii(struct ctx *c, const char *field, const char *v, int required, long max)
{
    int rc = text(c, field, v, required, max, 0);
    if (rc == 1 && !field_ascii_printable(v)) {
        add_err(c, field, "order.err.ascii", NULL);
        return -1;
    }
    return rc;
}

static void set_opt(struct ctx *c, json_t *o, const char *k, const char *v)
{
    if (!given(v) || field_chars(v) < 0)
        return; /* invalid UTF-8 was reported as an error already */
    json_t *s = json_string(v);
    if (s == NULL || json_object_set_new(o, k, s) < 0)
        c->nomem = 1;
}

/* Procedure contact or billing person; fills obj with the normalized values. */
static void check_person(struct ctx *c, const char *prefix, const struct appform_person *x,
                         int org_required, json_t *obj)
{
    char f[40];
    char postal[9] = "";
    fieldname(f, sizeof f, prefix, "org");
    text(c, f, x->org, org_required, 64, 0);
    fieldname(f, sizeof f, prefix, "dept");
    text(c, f, x->dept, 0, 64, 0);
    fieldname(f, sizeof f, prefix, "name");
    text(c, f, x->name, 1, 30, 0);
    fieldname(f, sizeof f, prefix, "name_kana");
    if (text(c, f, x->name_kana, 1, 60, 0) == 1 && !field_kana(x->name_kana))
        add_err(c, f, "order.err.kana", NULL);
    fieldname(f, sizeof f, prefix, "postal");
    if (text(c, f, x->postal, 1, 20, 0) == 1 && !field_postal(x->postal, postal))
        add_err(c, f, "order.err.postal", x->postal);
    fieldname(f, sizeof f, prefix, "pref");
    if (text(c, f, x->pref, 1, 20, 0) == 1 && !field_prefecture(x->pref))
        add_err(c, f, "order.err.pref", x->pref);
    fieldname(f, sizeof f, prefix, "city");
    text(c, f, x->city, 1, 64, 0);
    fieldname(f, sizeof f, prefix, "street");
    text(c, f, x->street, 1, 64, 0);
    fieldname(f, sizeof f, prefix, "building");
    text(c, f, x->building, 0, 40, 0);
    fieldname(f, sizeof f, prefix, "phone");
    if (text(c, f, x->phone, 1, 20, 0) == 1 && !field_phone(x->phone))
        add_err(c, f, "order.err.phone", x->phone);
    fieldname(f, sizeof f, prefix, "email");
    if (text(c, f, x->email, 1, 254, 0) == 1 && !text_email_ok(x->email, 0))
        add_err(c, f, "order.err.email", x->email);
    set_opt(c, obj, "org", x->org);
    set_opt(c, obj, "dept", x->dept);
    set_opt(c, obj, "name", x->name);
    set_opt(c, obj, "name_kana", x->name_kana);
    set_opt(c, obj, "postal", postal[0] ? postal : x->postal);
    set_opt(c, obj, "pref", x->pref);
    set_opt(c, obj, "city", x->city);
    set_opt(c, obj, "street", x->street);
    set_opt(c, obj, "building", x->building);
    set_opt(c, obj, "phone", x->phone);
    set_opt(c, obj, "email", x->email);
}

/* Age in whole years on the Tokyo date of now, or -1 for a bad or future date. */
static int age_years(const char *birth, time_t now)
{
    int y, m, d, ty, tm, td;
    if (calendar_parse_date(birth, &y, &m, &d) < 0)
        return -1;
    clock_tokyo_date(now, &ty, &tm, &td);
    int age = ty - y - ((tm * 100 + td) < (m * 100 + d) ? 1 : 0);
    return age < 0 ? -1 : age;
}

/* The applicant organization's eligibility (R-APP-6) and entity type. */
static void check_entity(struct ctx *c, const struct appform_org *o)
{
    if (given(o->country) && strcmp(o->country, "JP") != 0)
        add_err(c, "org.country", "order.inelig.foreign_org", o->country);
    if (text(c, "org.entity_type", o->entity_type, 1, 16, 0) != 1)
        return;
    const struct field_entity *def = NULL;
    switch (field_entity(o->entity_type, &def)) {
    case FIELD_ENTITY_UNKNOWN:
        add_err(c, "org.entity_type", "order.err.entity_type", o->entity_type);
        return;
    case FIELD_ENTITY_VOLUNTARY:
        add_err(c, "org.entity_type", "order.inelig.voluntary_association", o->entity_type);
        return;
    case FIELD_ENTITY_PROPRIETOR: {
        if (text(c, "org.birth_date", o->birth_date, 1, 10, 0) == 1) {
            int age = age_years(o->birth_date, c->now);
            if (age < 0)
                add_err(c, "org.birth_date", "order.err.date", o->birth_date);
            else if (age < 20)
                add_err(c, "org.birth_date", "order.inelig.proprietor_minor", o->birth_date);
        }
        if (!given(o->registered) || strcmp(o->registered, "1") != 0)
            add_err(c, "org.registered", "order.inelig.proprietor_unregistered", NULL);
        return;
    }
    default:
        if (def != NULL && def->in_name && given(o->name_ja) &&
            strstr(o->name_ja, def->name_ja) == NULL)
            add_err(c, "org.name_ja", "order.err.entity_in_name", def->name_ja);
    }
}

static void check_org(struct ctx *c, const struct appform_org *o, json_t *obj)
{
    char postal[9] = "";
    text(c, "org.name_ja", o->name_ja, 1, 64, 0);
    ascii(c, "org.name_en", o->name_en, 1, 64);
    if (text(c, "org.building", o->building, 1, 1000, 0) == 1 && strcmp(o->building, "なし") != 0 &&
        field_chars(o->building) > 40)
        add_err(c, "org.building", "order.err.building", NULL);
    text(c, "org.rep_name", o->rep_name, 1, 30, 0);
    check_entity(c, o);
    int proprietor = given(o->entity_type) && strcmp(o->entity_type, "個人事業主") == 0;
    int cat_ok = 0;
    if (text(c, "org.category", o->category, 1, 16, 0) == 1) {
        cat_ok = strcmp(o->category, "private") == 0 || strcmp(o->category, "government") == 0 ||
                 strcmp(o->category, "other") == 0;
        if (!cat_ok)
            add_err(c, "org.category", "order.err.category", o->category);
    }
    int need_reg = cat_ok && strcmp(o->category, "private") == 0 && !proprietor;
    if (text(c, "org.reg_no", o->reg_no, need_reg, 20, 0) == 1) {
        int rc = field_regno(o->reg_no, c->r->reg_no);
        if (rc == FIELD_REGNO_CHECK_DIGIT)
            add_err(c, "org.reg_no", "order.err.corpnum_check_digit", o->reg_no);
        else if (rc != FIELD_REGNO_OK)
            add_err(c, "org.reg_no", "order.err.reg_no", o->reg_no);
        if (rc != FIELD_REGNO_OK)
            c->r->reg_no[0] = '\0';
    }
    if (text(c, "org.tdb_code", o->tdb_code, 0, 9, 0) == 1 &&
        (strlen(o->tdb_code) != 9 || strspn(o->tdb_code, "0123456789") != 9))
        add_err(c, "org.tdb_code", "order.err.tdb_code", o->tdb_code);
    if (text(c, "org.postal", o->postal, 1, 20, 0) == 1 && !field_postal(o->postal, postal))
        add_err(c, "org.postal", "order.err.postal", o->postal);
    if (text(c, "org.pref", o->pref, 1, 20, 0) == 1 && !field_prefecture(o->pref))
        add_err(c, "org.pref", "order.err.pref", o->pref);
    text(c, "org.city", o->city, 1, 64, 0);
    text(c, "org.street", o->street, 1, 64, 0);
    if (text(c, "org.phone", o->phone, 1, 20, 0) == 1 && !field_phone(o->phone))
        add_err(c, "org.phone", "order.err.phone", o->phone);
    set_opt(c, obj, "name_ja", o->name_ja);
    set_opt(c, obj, "name_en", o->name_en);
    set_opt(c, obj, "building", o->building);
    set_opt(c, obj, "reg_no", c->r->reg_no);
    set_opt(c, obj, "rep_name", o->rep_name);
    set_opt(c, obj, "entity_type", o->entity_type);
    set_opt(c, obj, "tdb_code", o->tdb_code);
    set_opt(c, obj, "category", o->category);
    set_opt(c, obj, "postal", postal[0] ? postal : o->postal);
    set_opt(c, obj, "pref", o->pref);
    set_opt(c, obj, "city", o->city);
    set_opt(c, obj, "street", o->street);
    set_opt(c, obj, "phone", o->phone);
    set_opt(c, obj, "country", given(o->country) ? o->country : "JP");
    set_opt(c, obj, "birth_date", o->birth_date);
    if (proprietor)
        set_opt(c, obj, "registered", given(o->registered) ? o->registered : "0");
}

static void check_resp(struct ctx *c, const struct appform_resp *x, json_t *obj)
{
    text(c, "resp.name", x->name, 1, 30, 0);
    if (text(c, "resp.name_kana", x->name_kana, 1, 60, 0) == 1 && !field_kana(x->name_kana))
        add_err(c, "resp.name_kana", "order.err.kana", NULL);
    text(c, "resp.dept", x->dept, 1, 64, 0);
    text(c, "resp.title", x->title, 1, 32, 0);
    if (text(c, "resp.phone", x->phone, 1, 20, 0) == 1 && !field_phone(x->phone))
        add_err(c, "resp.phone", "order.err.phone", x->phone);
    set_opt(c, obj, "name", x->name);
    set_opt(c, obj, "name_kana", x->name_kana);
    set_opt(c, obj, "dept", x->dept);
    set_opt(c, obj, "title", x->title);
    set_opt(c, obj, "phone", x->phone);
}

int appform_registrable(const char *name)
{
    if (!given(name))
        return 0;
    const char *reg = names_registrable_domain(name);
    return reg != NULL && reg == name;
}

int appform_www_apex(const char *cn, char *apex)
{
    if (strncmp(cn, "www.", 4) != 0 || !appform_registrable(cn + 4))
        return 0;
    snprintf(apex, NAMES_NORM_MAX, "%s", cn + 4);
    return 1;
}

static int have_name(const struct appform_result *r, const char *norm)
{
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], norm) == 0)
            return 1;
    return 0;
}

static void push_name(struct ctx *c, const char *norm)
{
    struct appform_result *r = c->r;
    char **v = sm_realloc(r->names, (r->nnames + 1) * sizeof *v);
    char *s = v ? sm_strdup(norm) : NULL;
    if (v != NULL)
        r->names = v;
    if (s == NULL) {
        c->nomem = 1;
        return;
    }
    r->names[r->nnames++] = s;
}

/* Checks one name; on success norm holds its normalized form. 1 ok, 0 reported. */
static int check_name(struct ctx *c, const char *field, const char *name, int is_cn, char *norm)
{
    struct names_problem pb = {0};
    if (strncmp(name, "*.", 2) == 0 && !c->p->wildcard) {
        add_err(c, field, "order.err.wildcard_not_allowed", name);
        return 0;
    }
    int rc = names_check(name, c->p->wildcard, c->p->allow_ip, norm, &pb);
    if (rc < 0) {
        c->internal = 1;
        return 0;
    }
    if (rc == 0)
        return 1;
    /* the CN's ineligibility (R-APP-6: not a public FQDN) has its own message; a name
     * merely mistyped (full-width, a bad character) gets the message of its mistake */
    static const char *const inelig[] = {
        "name.single_label", "name.internal",       "name.unknown_tld", "name.public_suffix",
        "name.ip_reserved",  "name.ip_not_allowed", "name.ip_invalid"};
    int ineligible = 0;
    for (size_t i = 0; i < sizeof inelig / sizeof inelig[0]; i++)
        ineligible |= pb.code != NULL && strcmp(pb.code, inelig[i]) == 0;
    if (is_cn && ineligible) {
        char d[128];
        snprintf(d, sizeof d, "%s: %s", pb.code, name);
        add_err(c, field, "order.inelig.cn", d);
    } else {
        add_err(c, field, pb.code, name);
    }
    return 0;
}

/* CN, double address (R-APP-5) and SANs against the product's limits. */
static void check_names(struct ctx *c, const char *cn)
{
    const struct appform_in *in = c->in;
    struct appform_result *r = c->r;
    char norm[NAMES_NORM_MAX], extra[NAMES_NORM_MAX + 4];
    if (!given(cn)) {
        add_err(c, "cn", "order.err.required", NULL);
        return;
    }
    if (strlen(cn) > 253 || !check_name(c, "cn", cn, 1, norm))
        return;
    r->cn = sm_strdup(norm);
    if (r->cn == NULL) {
        c->nomem = 1;
        return;
    }
    push_name(c, norm);
    if (appform_www_apex(norm, extra)) {
        push_name(c, extra);
        c->nauto = 1;
    } else if (in->double_address) {
        if (appform_registrable(norm) && strlen(norm) <= 249) {
            snprintf(extra, sizeof extra, "www.%s", norm);
            push_name(c, extra);
            c->nauto = 1;
        } else {
            add_err(c, "double_address", "order.err.double_address", norm);
        }
    }
    if (in->nsans > MAX_INPUT_NAMES) {
        add_err(c, "sans", "order.err.too_many_names", NULL);
        return;
    }
    int refused = 0;
    for (size_t i = 0; i < in->nsans; i++) {
        char f[40];
        snprintf(f, sizeof f, "sans[%zu]", i);
        const char *s = in->sans[i];
        if (!given(s))
            continue;
        if (strlen(s) > 253) {
            add_err(c, f, "order.err.too_long", "253");
            continue;
        }
        if (!check_name(c, f, s, 0, norm) || have_name(r, norm))
            continue;
        if (!c->p->multi_domain) {
            if (!refused)
                add_err(c, "sans", "order.err.sans_not_allowed", s);
            refused = 1;
            continue;
        }
        push_name(c, norm);
    }
    r->user_names = (int)(r->nnames - c->nauto);
    if (r->user_names > c->p->sans_max) {
        char d[48];
        snprintf(d, sizeof d, "%d > %d", r->user_names, c->p->sans_max);
        add_err(c, "sans", "order.err.too_many_names", d);
    }
    r->extra_sans = r->user_names > c->p->sans_included ? r->user_names - c->p->sans_included : 0;
}

/* A JSON string, or null for NULL and for text that is not valid UTF-8. */
static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static json_t *compare_json(const struct csr_info *ci, const struct appform_result *r,
                            const struct appform_in *in, int ov)
{
    json_t *sans = json_array(), *names = json_array();
    for (size_t i = 0; sans && i < ci->nsans; i++)
        json_array_append_new(sans, json_string(ci->sans[i]));
    for (size_t i = 0; names && i < r->nnames; i++)
        json_array_append_new(names, json_string(r->names[i]));
    json_t *j = json_pack(
        "{s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:s, s:o}, s:b}", "csr",
        "cn", str_or_null(ci->cn), "o", str_or_null(ci->o), "ou", str_or_null(ci->ou), "l",
        str_or_null(ci->l), "st", str_or_null(ci->st), "c", str_or_null(ci->c), "sans",
        sans ? sans : json_null(), "application", "cn", str_or_null(r->cn), "o",
        str_or_null(ov ? in->org.name_en : NULL), "l", str_or_null(ov ? in->subject_l : NULL), "st",
        str_or_null(ov ? in->subject_st : NULL), "c", "JP", "names", names ? names : json_null(),
        "cn_matches", r->cn != NULL && csr_cn_matches(ci, r->cn));
    return j;
}

/* The CSR as PEM text for storage, whatever form it was pasted in. NULL on failure. */
static char *der_to_pem(const struct csr_info *ci)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL, *data = NULL;
    if (b != NULL && PEM_write_bio(b, "CERTIFICATE REQUEST", "", ci->der, (long)ci->der_len) > 0) {
        long n = BIO_get_mem_data(b, &data);
        if (n > 0 && (out = sm_malloc((size_t)n + 1)) != NULL) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    ERR_clear_error();
    return out;
}

static void check_csr(struct ctx *c)
{
    const struct appform_in *in = c->in;
    if (!given(in->csr)) {
        add_err(c, "csr", "order.err.required", NULL);
        return;
    }
    struct csr_check_opts opts = {in->key_blocklist, in->key_blocklist_arg, c->p->allow_ip, 0};
    struct sm_err e = {0};
    size_t len = in->csr_len ? in->csr_len : strlen(in->csr);
    if (csr_check((const unsigned char *)in->csr, len, &opts, &c->r->csr, &e) < 0) {
        c->nomem = 1;
        return;
    }
    const struct csr_info *ci = c->r->csr;
    for (size_t i = 0; i < ci->nproblems; i++)
        if (ci->problems[i].severity == CSR_SEV_ERROR)
            add_err(c, "csr", ci->problems[i].code, ci->problems[i].detail);
    if (ci->der != NULL && ci->der_len > 0 && (c->r->csr_pem = der_to_pem(ci)) == NULL)
        c->nomem = 1;
}

static void copy_opt(struct ctx *c, char **dst, const char *v)
{
    if (given(v) && (*dst = sm_strdup(v)) == NULL)
        c->nomem = 1;
}

static void check_options(struct ctx *c)
{
    const struct appform_in *in = c->in;
    struct appform_result *r = c->r;
    if (!given(in->kind) || (strcmp(in->kind, "new") != 0 && strcmp(in->kind, "renewal") != 0 &&
                             strcmp(in->kind, "reissue") != 0))
        add_err(c, "kind", "order.err.kind", in->kind);
    if (!given(in->root)) {
        r->root[0] = c->p->root_options[0];
        r->root[1] = '\0';
    } else if (!product_has_root(c->p, in->root)) {
        add_err(c, "root", "order.err.root", in->root);
    } else {
        snprintf(r->root, sizeof r->root, "%s", in->root);
    }
    const char *m = given(in->dcv_method) ? in->dcv_method : dcv_method_name(DCV_DNS_TXT);
    /* email:LOCAL (at the CN itself) or email:LOCAL@ADN; the ADN is matched to the CN in
       check_method_fits once the names are known */
    if (!dcv_method_well_formed(m) || strlen(m) >= sizeof r->dcv_method)
        add_err(c, "dcv_method", "order.err.dcv_method", m);
    else if (dcv_method_parse(m) == DCV_EMAIL && !dcv_method_allowed(DCV_EMAIL, c->now))
        add_err(c, "dcv_method", "order.err.dcv_email_off", m);
    else
        snprintf(r->dcv_method, sizeof r->dcv_method, "%s", m);
    for (int i = 0; i < 3; i++) {
        char f[24];
        snprintf(f, sizeof f, "notify_email%d", i + 1);
        if (text(c, f, in->notify_email[i], i == 0, 254, 0) == 1 &&
            !text_email_ok(in->notify_email[i], 0))
            add_err(c, f, "order.err.email", in->notify_email[i]);
    }
    text(c, "po_number", in->po_number, 0, 64, 0);
    text(c, "remarks", in->remarks, 0, 1000, 1);
    text(c, "server_software", in->server_software, 0, 64, 0);
    for (int i = 0; i < 3; i++)
        copy_opt(c, &r->notify_email[i], in->notify_email[i]);
    copy_opt(c, &r->po_number, in->po_number);
    copy_opt(c, &r->remarks, in->remarks);
    copy_opt(c, &r->server_software, in->server_software);
}

/* R-CSR-2: on renewal and reissue the CN must stay the predecessor's. */
/* The CN's method must apply to the CN (an e-mail address at one of its Authorization
 * Domain Names; no web page for a wildcard: BR 3.2.2.4.4, 3.2.2.4.18). */
static void check_method_fits(struct ctx *c)
{
    struct appform_result *r = c->r;
    char norm[300];
    if (r->dcv_method[0] == '\0' || r->nnames == 0)
        return;
    if (dcv_method_for_name(r->dcv_method, r->names[0], norm, sizeof norm) < 0)
        add_err(c, "dcv_method", "order.err.dcv_method", r->dcv_method);
}

static void check_same_cn(struct ctx *c)
{
    const struct appform_in *in = c->in;
    if (!given(in->kind) || strcmp(in->kind, "new") == 0 || !given(in->expected_cn))
        return;
    if (c->r->csr != NULL && !csr_cn_matches(c->r->csr, in->expected_cn))
        add_err(c, "csr", "order.err.cn_mismatch", c->r->csr->cn ? c->r->csr->cn : "");
    if (c->r->cn != NULL && !names_equal(c->r->cn, in->expected_cn))
        add_err(c, "cn", "order.err.cn_changed", in->expected_cn);
}

static char *dump(struct ctx *c, const json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (s == NULL)
        c->nomem = 1;
    return s;
}

static void check_level(struct ctx *c, json_t *applicant)
{
    const struct appform_in *in = c->in;
    if (strcmp(c->p->level, "dv") == 0)
        return; /* DV: no organization data; the subject carries the CN only */
    json_t *subject = json_object(), *org = json_object(), *resp = json_object();
    if (subject == NULL || org == NULL || resp == NULL) {
        c->nomem = 1;
    } else {
        ascii(c, "subject_l", in->subject_l, 1, 128);
        ascii(c, "subject_st", in->subject_st, 1, 128);
        set_opt(c, subject, "o", in->org.name_en);
        set_opt(c, subject, "l", in->subject_l);
        set_opt(c, subject, "st", in->subject_st);
        set_opt(c, subject, "c", "JP");
        check_org(c, &in->org, org);
        check_resp(c, &in->resp, resp);
        if (strcmp(c->p->level, "ev") == 0) {
            if (text(c, "ev_name_lang", in->ev_name_lang, 1, 2, 0) == 1 &&
                strcmp(in->ev_name_lang, "ja") != 0 && strcmp(in->ev_name_lang, "en") != 0)
                add_err(c, "ev_name_lang", "order.err.ev_name_lang", in->ev_name_lang);
            set_opt(c, applicant, "ev_name_lang", in->ev_name_lang);
        }
    }
    if (subject && json_object_set(applicant, "subject", subject) < 0)
        c->nomem = 1;
    if (org && json_object_set(applicant, "org", org) < 0)
        c->nomem = 1;
    if (resp && json_object_set(applicant, "responsible", resp) < 0)
        c->nomem = 1;
    json_decref(subject);
    json_decref(org);
    json_decref(resp);
}

int appform_check(const struct appform_in *in, const struct product_row *p, time_t now,
                  struct appform_result *r, struct sm_err *e)
{
    memset(r, 0, sizeof *r);
    struct ctx c = {r, in, p, now, 0, 0, 0, 0};
    int ov = strcmp(p->level, "dv") != 0;
    check_options(&c);
    check_csr(&c);
    const char *cn = given(in->cn) ? in->cn : (r->csr != NULL ? r->csr->cn : NULL);
    check_names(&c, cn);
    check_method_fits(&c);
    check_same_cn(&c);
    json_t *applicant = json_object(), *contact = json_object(), *billing = json_object();
    json_t *names = json_array();
    if (applicant == NULL || contact == NULL || billing == NULL || names == NULL) {
        c.nomem = 1;
    } else {
        check_level(&c, applicant);
        check_person(&c, "contact", &in->contact, ov, contact);
        if (in->billing_same)
            json_object_update(billing, contact);
        else
            check_person(&c, "billing", &in->billing, ov, billing);
        for (size_t i = 0; i < r->nnames; i++)
            if (json_array_append_new(names, json_string(r->names[i])) < 0)
                c.nomem = 1;
        r->applicant_json = dump(&c, applicant);
        r->contact_json = dump(&c, contact);
        r->billing_json = dump(&c, billing);
        r->names_json = dump(&c, names);
        if (r->csr != NULL && (r->compare = compare_json(r->csr, r, in, ov)) == NULL)
            c.nomem = 1;
    }
    json_decref(applicant);
    json_decref(contact);
    json_decref(billing);
    json_decref(names);
    if (c.nomem)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory checking an application");
    if (c.internal)
        return sm_err_set(e, SM_E_CONFIG, "names", "public suffix list unavailable");
    return 0;
}

void appform_result_free(struct appform_result *r)
{
    if (r == NULL)
        return;
    free(r->errors);
    free(r->cn);
    for (size_t i = 0; i < r->nnames; i++)
        free(r->names[i]);
    free(r->names);
    free(r->names_json);
    free(r->applicant_json);
    free(r->contact_json);
    free(r->billing_json);
    csr_info_free(r->csr);
    free(r->csr_pem);
    for (int i = 0; i < 3; i++)
        free(r->notify_email[i]);
    free(r->po_number);
    free(r->remarks);
    free(r->server_software);
    json_decref(r->compare);
    memset(r, 0, sizeof *r);
}

int appform_has_error(const struct appform_result *r, const char *field, const char *key)
{
    for (size_t i = 0; i < r->nerrors; i++)
        if ((field == NULL || strcmp(r->errors[i].field, field) == 0) &&
            (key == NULL || strcmp(r->errors[i].key, key) == 0))
            return 1;
    return 0;
}
