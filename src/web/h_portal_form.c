/* SPDX-License-Identifier: MIT */
/* The application form as data for the templates (portal_fields.html): the fields of
 * SPEC §3 grouped as the wizard shows them (domains, organization, responsible person,
 * contact, billing, notification, CSR), each with its label, value, type, choices and the
 * error beside it in the page language. Shared by the wizard and the re-application page. */
#include <string.h>

#include "core/buf.h"

#include "ra/dcv.h"
#include "ra/field.h"
#include "web/h_portal.h"
#include "web/i18n.h"

enum ftype { FT_TEXT, FT_AREA, FT_SELECT, FT_CHECK };
enum fsel { FS_NONE, FS_ENTITY, FS_CATEGORY, FS_PREF, FS_LANG };

struct fdef {
    const char *name;
    int step; /* 3 applicant, 4 billing, 5 CSR */
    const char *group;
    enum ftype type;
    enum fsel sel;
    int level;        /* 0 every product, 1 OV and EV, 2 EV only */
    int multi;        /* 1 multi-domain products only */
    const char *hint; /* message key or NULL */
};

static const struct fdef defs[] = {
    {"cn", 3, "domains", FT_TEXT, FS_NONE, 0, 0, "portal.hint.cn"},
    {"sans", 3, "domains", FT_AREA, FS_NONE, 0, 1, "portal.hint.sans"},
    {"double_address", 3, "domains", FT_CHECK, FS_NONE, 0, 0, "portal.hint.double_address"},
    {"org.name_ja", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.org_name_ja"},
    {"org.name_en", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.org_name_en"},
    {"org.entity_type", 3, "org", FT_SELECT, FS_ENTITY, 1, 0, NULL},
    {"org.category", 3, "org", FT_SELECT, FS_CATEGORY, 1, 0, NULL},
    {"org.reg_no", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.reg_no"},
    {"org.tdb_code", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.tdb_code"},
    {"org.rep_name", 3, "org", FT_TEXT, FS_NONE, 1, 0, NULL},
    {"org.postal", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.postal"},
    {"org.pref", 3, "org", FT_SELECT, FS_PREF, 1, 0, NULL},
    {"org.city", 3, "org", FT_TEXT, FS_NONE, 1, 0, NULL},
    {"org.street", 3, "org", FT_TEXT, FS_NONE, 1, 0, NULL},
    {"org.building", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.building"},
    {"org.phone", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.phone"},
    {"subject_l", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.subject_l"},
    {"subject_st", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.subject_st"},
    {"ev_name_lang", 3, "org", FT_SELECT, FS_LANG, 2, 0, NULL},
    {"org.birth_date", 3, "org", FT_TEXT, FS_NONE, 1, 0, "portal.hint.birth_date"},
    {"org.registered", 3, "org", FT_CHECK, FS_NONE, 1, 0, "portal.hint.registered"},
    {"resp.name", 3, "resp", FT_TEXT, FS_NONE, 1, 0, NULL},
    {"resp.name_kana", 3, "resp", FT_TEXT, FS_NONE, 1, 0, "portal.hint.kana"},
    {"resp.dept", 3, "resp", FT_TEXT, FS_NONE, 1, 0, NULL},
    {"resp.title", 3, "resp", FT_TEXT, FS_NONE, 1, 0, NULL},
    {"resp.phone", 3, "resp", FT_TEXT, FS_NONE, 1, 0, "portal.hint.phone"},
    {"server_software", 3, "server", FT_TEXT, FS_NONE, 0, 0, "portal.hint.server_software"},
    {"contact.org", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"contact.dept", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"contact.name", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"contact.name_kana", 4, "contact", FT_TEXT, FS_NONE, 0, 0, "portal.hint.kana"},
    {"contact.postal", 4, "contact", FT_TEXT, FS_NONE, 0, 0, "portal.hint.postal"},
    {"contact.pref", 4, "contact", FT_SELECT, FS_PREF, 0, 0, NULL},
    {"contact.city", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"contact.street", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"contact.building", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"contact.phone", 4, "contact", FT_TEXT, FS_NONE, 0, 0, "portal.hint.phone"},
    {"contact.email", 4, "contact", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing_same", 4, "billing", FT_CHECK, FS_NONE, 0, 0, NULL},
    {"billing.org", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing.dept", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing.name", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing.name_kana", 4, "billing", FT_TEXT, FS_NONE, 0, 0, "portal.hint.kana"},
    {"billing.postal", 4, "billing", FT_TEXT, FS_NONE, 0, 0, "portal.hint.postal"},
    {"billing.pref", 4, "billing", FT_SELECT, FS_PREF, 0, 0, NULL},
    {"billing.city", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing.street", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing.building", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"billing.phone", 4, "billing", FT_TEXT, FS_NONE, 0, 0, "portal.hint.phone"},
    {"billing.email", 4, "billing", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"notify_email1", 4, "notify", FT_TEXT, FS_NONE, 0, 0, "portal.hint.notify"},
    {"notify_email2", 4, "notify", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"notify_email3", 4, "notify", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"po_number", 4, "notify", FT_TEXT, FS_NONE, 0, 0, NULL},
    {"remarks", 4, "notify", FT_AREA, FS_NONE, 0, 0, NULL},
    {"csr", 5, "csr", FT_AREA, FS_NONE, 0, 0, "portal.hint.csr"},
};
#define NDEFS (sizeof defs / sizeof defs[0])

static int add_opt(json_t *a, const char *v, const char *label, const char *cur)
{
    return json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "v", v, "l", label, "sel",
                                              cur != NULL && strcmp(cur, v) == 0));
}

static json_t *options(enum fsel s, const char *lang, const char *cur)
{
    json_t *a = json_array();
    if (a == NULL)
        return NULL;
    add_opt(a, "", i18n_text(lang, "portal.choose"), cur && *cur ? cur : "");
    if (s == FS_ENTITY) {
        size_t n = 0;
        const struct field_entity *t = field_entity_types(&n);
        for (size_t i = 0; i < n; i++)
            add_opt(a, t[i].name_ja, strcmp(lang, "en") == 0 ? t[i].name_en : t[i].name_ja, cur);
    } else if (s == FS_CATEGORY) {
        static const char *const c[] = {"private", "government", "other"};
        for (size_t i = 0; i < 3; i++) {
            char key[40];
            snprintf(key, sizeof key, "order.category.%s", c[i]);
            add_opt(a, c[i], i18n_text(lang, key), cur);
        }
    } else if (s == FS_PREF) {
        for (size_t i = 0; i < FIELD_PREFECTURES; i++)
            add_opt(a, field_prefecture_name(i), field_prefecture_name(i), cur);
    } else if (s == FS_LANG) {
        add_opt(a, "ja", i18n_text(lang, "portal.lang.ja"), cur);
        add_opt(a, "en", i18n_text(lang, "portal.lang.en"), cur);
    }
    return a;
}

/* The error of field name in r, as text (first one), or "" — in buf. */
static const char *field_err(const char *lang, const struct appform_result *r, const char *name,
                             struct buf *b)
{
    buf_reset(b);
    for (size_t i = 0; r != NULL && i < r->nerrors; i++) {
        const char *f = r->errors[i].field;
        size_t n = strlen(name);
        /* "sans[2]" belongs to "sans" */
        if (strcmp(f, name) == 0 || (strncmp(f, name, n) == 0 && f[n] == '[')) {
            if (b->len > 0)
                buf_puts(b, " ");
            pf_error_text(b, lang, &r->errors[i]);
        }
    }
    return b->p ? b->p : "";
}

static int level_of(const struct product_row *p)
{
    if (p == NULL || strcmp(p->level, "dv") == 0)
        return 0;
    return strcmp(p->level, "ev") == 0 ? 2 : 1;
}

json_t *pf_groups(const char *lang, const struct product_row *p, unsigned steps, pf_get_fn get,
                  void *arg, const struct appform_result *errs)
{
    json_t *groups = json_array();
    json_t *cur = NULL;
    const char *cur_name = "";
    struct buf eb = BUF_INIT;
    int lvl = level_of(p);
    for (size_t i = 0; groups != NULL && i < NDEFS; i++) {
        const struct fdef *d = &defs[i];
        if (!(steps & (1u << d->step)) || d->level > lvl || (d->multi && !(p && p->multi_domain)))
            continue;
        if (strcmp(cur_name, d->group) != 0) {
            char key[40];
            snprintf(key, sizeof key, "portal.g.%s", d->group);
            cur = json_pack("{s:s, s:s, s:[]}", "id", d->group, "legend", i18n_text(lang, key),
                            "fields");
            if (cur == NULL || json_array_append_new(groups, cur) < 0)
                break;
            cur_name = d->group;
        }
        const char *v = get(arg, d->name);
        char label_key[48];
        snprintf(label_key, sizeof label_key, "order.field.%s", d->name);
        const char *label = i18n_get(lang, label_key);
        if (label == NULL) {
            snprintf(label_key, sizeof label_key, "portal.f.%s", d->name);
            label = i18n_text(lang, label_key);
        }
        char id[48];
        size_t k = 0;
        for (const char *s = d->name; *s && k + 1 < sizeof id; s++)
            id[k++] = *s == '.' ? '-' : *s;
        id[k] = '\0';
        const char *err = field_err(lang, errs, d->name, &eb);
        json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:o}",
                              "name", d->name, "id", id, "label", label, "v", v ? v : "", "err",
                              err, "hint", d->hint ? i18n_text(lang, d->hint) : "", "is_text",
                              d->type == FT_TEXT, "is_area", d->type == FT_AREA, "is_select",
                              d->type == FT_SELECT, "is_check", d->type == FT_CHECK, "checked",
                              v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "on") == 0), "options",
                              d->sel != FS_NONE ? options(d->sel, lang, v) : json_array());
        if (f == NULL || json_array_append_new(json_object_get(cur, "fields"), f) < 0) {
            json_decref(groups);
            groups = NULL;
        }
    }
    buf_free(&eb);
    return groups;
}

json_t *pf_summary(const char *lang, const struct product_row *p, pf_get_fn get, void *arg)
{
    json_t *rows = json_array();
    int lvl = level_of(p);
    for (size_t i = 0; rows != NULL && i < NDEFS; i++) {
        const struct fdef *d = &defs[i];
        if (d->step == 5 || d->level > lvl || (d->multi && !(p && p->multi_domain)))
            continue;
        const char *v = get(arg, d->name);
        if (v == NULL || *v == '\0')
            continue;
        char key[48];
        snprintf(key, sizeof key, "order.field.%s", d->name);
        const char *label = i18n_get(lang, key);
        if (label == NULL) {
            snprintf(key, sizeof key, "portal.f.%s", d->name);
            label = i18n_text(lang, key);
        }
        if (d->type == FT_CHECK)
            v = i18n_text(lang,
                          strcmp(v, "1") == 0 || strcmp(v, "on") == 0 ? "portal.yes" : "portal.no");
        json_t *opts = d->sel != FS_NONE ? options(d->sel, lang, v) : NULL;
        size_t k;
        json_t *o;
        json_array_foreach(opts, k, o)
        {
            if (json_is_true(json_object_get(o, "sel")) && k > 0)
                v = json_string_value(json_object_get(o, "l"));
        }
        json_array_append_new(rows, json_pack("{s:s, s:s}", "label", label, "v", v ? v : ""));
        json_decref(opts);
    }
    return rows;
}

/* ---- DCV methods and the CSR comparison ---- */

/* Appends the e-mail options of name: every constructed address at every Authorization
 * Domain Name (BR 3.2.2.4.4), valued "email:ADDRESS", exactly where the link will go. */
static void email_options(json_t *a, const char *lang, const char *name, const char *cur)
{
    char addrs[DCV_EMAIL_MAX][320], norm[300] = "";
    int k = dcv_email_addresses(name, addrs, DCV_EMAIL_MAX);
    if (cur != NULL && dcv_method_for_name(cur, name, norm, sizeof norm) < 0)
        norm[0] = '\0';
    for (int i = 0; i < k; i++) {
        char v[340], l[400];
        snprintf(v, sizeof v, "%s:%.319s", dcv_method_name(DCV_EMAIL), addrs[i]);
        snprintf(l, sizeof l, "%s %.319s", i18n_text(lang, "portal.dcv.email"), addrs[i]);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:b}", "v", v, "l", l, "sel", strcmp(norm, v) == 0));
    }
}

json_t *pf_dcv_options(const char *lang, const char *name, const char *cur, int email_ok)
{
    json_t *a = json_array();
    const char *dns = dcv_method_name(DCV_DNS_TXT), *http = dcv_method_name(DCV_HTTP_FILE);
    const char *c = cur && *cur ? cur : dns;
    json_array_append_new(a,
                          json_pack("{s:s, s:s, s:b}", "v", dns, "l",
                                    i18n_text(lang, "portal.dcv.dns"), "sel", strcmp(c, dns) == 0));
    if (dcv_method_applies(DCV_HTTP_FILE, name))
        json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "v", http, "l",
                                           i18n_text(lang, "portal.dcv.http"), "sel",
                                           strcmp(c, http) == 0));
    if (email_ok && name != NULL) {
        email_options(a, lang, name, c);
        return a;
    }
    for (size_t i = 0; email_ok && i < DCV_EMAIL_LOCALS; i++) { /* at each name */
        char v[32], l[320];
        snprintf(v, sizeof v, "%s:%s", dcv_method_name(DCV_EMAIL), dcv_email_local(i));
        snprintf(l, sizeof l, "%s %s@%s", i18n_text(lang, "portal.dcv.email"), dcv_email_local(i),
                 i18n_text(lang, "portal.dcv.each_name"));
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:b}", "v", v, "l", l, "sel", strcmp(c, v) == 0));
    }
    return a;
}

int pf_dcv_method_ok(const char *name, const char *m, int email_ok)
{
    char norm[300];
    if (dcv_method_for_name(m, name, norm, sizeof norm) < 0)
        return 0;
    return email_ok || dcv_method_parse(norm) != DCV_EMAIL;
}

json_t *pf_compare_rows(const char *lang, const json_t *cmp)
{
    json_t *rows = json_array();
    const json_t *c = json_object_get(cmp, "csr"), *a = json_object_get(cmp, "application");
    static const char *const keys[] = {"cn", "o", "ou", "l", "st", "c"};
    for (size_t i = 0; rows != NULL && i < 6; i++) {
        const char *cv = json_string_value(json_object_get(c, keys[i]));
        const char *av = json_string_value(json_object_get(a, keys[i]));
        char label[32];
        snprintf(label, sizeof label, "portal.subject.%s", keys[i]);
        json_array_append_new(rows,
                              json_pack("{s:s, s:s, s:s, s:b}", "label", i18n_text(lang, label),
                                        "csr", cv ? cv : "—", "app", av ? av : "—", "differ",
                                        (cv || av) && (!cv || !av || strcmp(cv, av) != 0)));
    }
    struct buf cs = BUF_INIT, as = BUF_INIT;
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(c, "sans"), i, v)
    {
        buf_printf(&cs, "%s%s", i ? ", " : "", json_string_value(v));
    }
    json_array_foreach(json_object_get(a, "names"), i, v)
    {
        buf_printf(&as, "%s%s", i ? ", " : "", json_string_value(v));
    }
    json_array_append_new(
        rows, json_pack("{s:s, s:s, s:s, s:b}", "label", i18n_text(lang, "portal.subject.names"),
                        "csr", cs.p ? cs.p : "—", "app", as.p ? as.p : "—", "differ", 0));
    buf_free(&cs);
    buf_free(&as);
    return rows;
}
