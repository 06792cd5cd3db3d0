/* SPDX-License-Identifier: MIT */
/* The admins' product catalog (R-PRD-1): list, create and edit every field of a product
 * (code, names, level, term, multi-domain with included and maximum names, wildcard, IP
 * names, prices, reissue-fee rule, review target in business days, root options, active).
 * Each field is checked here with its own message beside it (ja/en); ra/product checks
 * again and writes the product with its audit record. Bad input saves nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ra/product.h"
#include "store/products.h"
#include "web/handlers.h"
#include "web/i18n.h"

#define PF_MAX 20

struct perr {
    size_t n;
    struct {
        const char *field, *key;
    } v[PF_MAX];
};

static void add(struct perr *pe, const char *field, const char *key)
{
    for (size_t i = 0; i < pe->n; i++)
        if (strcmp(pe->v[i].field, field) == 0)
            return; /* the first message of a field wins */
    if (pe->n < PF_MAX) {
        pe->v[pe->n].field = field;
        pe->v[pe->n].key = key;
        pe->n++;
    }
}

static const char *perr_key(const struct perr *pe, const char *field)
{
    for (size_t i = 0; pe != NULL && i < pe->n; i++)
        if (strcmp(pe->v[i].field, field) == 0)
            return pe->v[i].key;
    return NULL;
}

/* Whole decimal number lo..hi from form field name into *out. */
static void number(struct req *r, const char *name, long long lo, long long hi, long long *out,
                   const char *key, struct perr *pe)
{
    const char *s = req_form_text(r, name);
    *out = 0;
    if (s == NULL || *s == '\0' || strlen(s) > 12 || strspn(s, "0123456789") != strlen(s)) {
        add(pe, name, "officer.product.err.number");
        return;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno != 0 || v < lo || v > hi) {
        add(pe, name, key);
        return;
    }
    *out = v;
}

/* Text of field name into out (n bytes), required; key when empty or too long. */
static void text(struct req *r, const char *name, char *out, size_t n, struct perr *pe)
{
    const char *s = req_form_text(r, name);
    out[0] = '\0';
    if (s == NULL || s[strspn(s, " \t")] == '\0') {
        add(pe, name, "officer.product.err.required");
        return;
    }
    if (strlen(s) >= n || strpbrk(s, "\r\n\t") != NULL) {
        add(pe, name, "officer.product.err.too_long");
        return;
    }
    memcpy(out, s, strlen(s) + 1);
}

static int flag(struct req *r, const char *name)
{
    const char *s = req_form_text(r, name);
    return s != NULL && *s != '\0' && strcmp(s, "0") != 0;
}

/* Reads every field of the form into p, with a message per bad field. */
static void read_form(struct req *r, struct product_row *p, struct perr *pe)
{
    long long v;
    const char *code = req_form_text(r, "code");
    size_t cl = code ? strlen(code) : 0;
    if (cl == 0 || cl >= sizeof p->code ||
        strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789-") != cl)
        add(pe, "code", "officer.product.err.code");
    else
        memcpy(p->code, code, cl + 1);
    text(r, "name_ja", p->name_ja, sizeof p->name_ja, pe);
    text(r, "name_en", p->name_en, sizeof p->name_en, pe);
    const char *lv = req_form_text(r, "level");
    if (lv == NULL || (strcmp(lv, "dv") != 0 && strcmp(lv, "ov") != 0 && strcmp(lv, "ev") != 0))
        add(pe, "level", "officer.product.err.level");
    else
        snprintf(p->level, sizeof p->level, "%s", lv);
    number(r, "term_months", 1, 120, &v, "officer.product.err.term_months", pe);
    p->term_months = (int)v;
    p->multi_domain = flag(r, "multi_domain");
    p->wildcard = flag(r, "wildcard");
    p->allow_ip = flag(r, "allow_ip");
    p->active = flag(r, "active");
    number(r, "sans_included", 1, 1000, &v, "officer.product.err.sans_included", pe);
    p->sans_included = (int)v;
    number(r, "sans_max", 1, 1000, &v, "officer.product.err.sans_max", pe);
    p->sans_max = (int)v;
    if (!perr_key(pe, "sans_included") && !perr_key(pe, "sans_max")) {
        if (p->sans_included > p->sans_max)
            add(pe, "sans_included", "officer.product.err.sans_included_max");
        if (!p->multi_domain && p->sans_max != 1)
            add(pe, "sans_max", "officer.product.err.sans_single");
    }
    number(r, "list_price", 0, 999999999, &v, "officer.product.err.price", pe);
    p->list_price = v;
    number(r, "extra_san_price", 0, 999999999, &v, "officer.product.err.price", pe);
    p->extra_san_price = v;
    const char *mode = req_form_text(r, "reissue_mode");
    if (mode != NULL && strcmp(mode, "free") == 0) {
        snprintf(p->reissue_fee, sizeof p->reissue_fee, "free");
    } else if (mode != NULL && strcmp(mode, "after") == 0) {
        long long days, yen;
        number(r, "reissue_days", 0, 999999999, &days, "officer.product.err.reissue_days", pe);
        number(r, "reissue_yen", 0, 999999999, &yen, "officer.product.err.price", pe);
        snprintf(p->reissue_fee, sizeof p->reissue_fee, "after:%lld:%lld", days, yen);
    } else {
        add(pe, "reissue_mode", "officer.product.err.reissue_mode");
    }
    const char *vet = req_form_text(r, "reissue_vetting"); /* R-RI-5; absent: unchanged */
    if (vet != NULL && (strcmp(vet, "none") == 0 || strcmp(vet, "full") == 0))
        snprintf(p->reissue_vetting, sizeof p->reissue_vetting, "%s", vet);
    else if (vet != NULL)
        add(pe, "reissue_vetting", "officer.product.err.reissue_vetting");
    number(r, "review_days_min", 0, 60, &v, "officer.product.err.review_days", pe);
    p->review_days_min = (int)v;
    number(r, "review_days_max", 0, 60, &v, "officer.product.err.review_days", pe);
    p->review_days_max = (int)v;
    if (!perr_key(pe, "review_days_min") && !perr_key(pe, "review_days_max") &&
        p->review_days_max < p->review_days_min)
        add(pe, "review_days_max", "officer.product.err.review_order");
    int a = flag(r, "root_a"), b = flag(r, "root_b");
    if (!a && !b)
        add(pe, "root_options", "officer.product.err.root_options");
    snprintf(p->root_options, sizeof p->root_options, "%s", a && b ? "a,b" : a ? "a" : "b");
}

static json_t *fv(struct req *r, const char *value, const struct perr *pe, const char *field)
{
    const char *k = perr_key(pe, field);
    return json_pack("{s:s, s:s}", "v", value ? value : "", "err", k ? i18n_text(r->lang, k) : "");
}

/* The form page of product p (id 0 = new); from_form: show what was posted. */
static void form_page(struct req *r, int status, const struct product_row *p, int from_form,
                      const struct perr *pe)
{
    static const char *const nums[] = {"term_months",     "sans_included",   "sans_max",
                                       "list_price",      "extra_san_price", "review_days_min",
                                       "review_days_max", "reissue_days",    "reissue_yen"};
    char buf[9][24];
    long long days = 0, yen = 0;
    int after = strncmp(p->reissue_fee, "after:", 6) == 0;
    if (after) {
        char *end;
        days = strtoll(p->reissue_fee + 6, &end, 10);
        if (*end == ':')
            yen = strtoll(end + 1, NULL, 10);
    }
    long long vals[9] = {p->term_months,
                         p->sans_included,
                         p->sans_max,
                         p->list_price,
                         p->extra_san_price,
                         p->review_days_min,
                         p->review_days_max,
                         days,
                         yen};
    json_t *f = json_object();
    for (size_t i = 0; f != NULL && i < 9; i++) {
        snprintf(buf[i], sizeof buf[i], "%lld", vals[i]);
        const char *v = from_form ? req_form_text(r, nums[i]) : buf[i];
        json_object_set_new(f, nums[i], fv(r, v, pe, nums[i]));
    }
    static const char *const texts[] = {"code", "name_ja", "name_en"};
    const char *tv[3] = {p->code, p->name_ja, p->name_en};
    for (size_t i = 0; f != NULL && i < 3; i++)
        json_object_set_new(f, texts[i],
                            fv(r, from_form ? req_form_text(r, texts[i]) : tv[i], pe, texts[i]));
    static const char *const errs[] = {"level", "reissue_mode", "root_options", "reissue_vetting"};
    for (size_t i = 0; f != NULL && i < 4; i++)
        json_object_set_new(f, errs[i], fv(r, "", pe, errs[i]));
    const char *mode = from_form ? req_form_text(r, "reissue_mode") : (after ? "after" : "free");
    const char *vet = from_form ? req_form_text(r, "reissue_vetting") : NULL;
    if (vet == NULL)
        vet = p->reissue_vetting;
    const char *lv = from_form ? req_form_text(r, "level") : p->level;
    lv = lv ? lv : "";
    int ra = from_form ? flag(r, "root_a") : strchr(p->root_options, 'a') != NULL;
    int rb = from_form ? flag(r, "root_b") : strchr(p->root_options, 'b') != NULL;
    char action[64];
    if (p->id > 0)
        snprintf(action, sizeof action, "/admin/products/%lld", (long long)p->id);
    else
        snprintf(action, sizeof action, "/admin/products");
    json_t *d = json_pack(
        "{s:o, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
        "f", f, "action", action, "edit", p->id > 0, "dv", strcmp(lv, "dv") == 0, "ov",
        strcmp(lv, "ov") == 0, "ev", strcmp(lv, "ev") == 0, "multi_domain",
        from_form ? flag(r, "multi_domain") : p->multi_domain, "wildcard",
        from_form ? flag(r, "wildcard") : p->wildcard, "allow_ip",
        from_form ? flag(r, "allow_ip") : p->allow_ip, "active",
        from_form ? flag(r, "active") : p->active, "root_a", ra, "root_b", rb, "fee_free",
        mode != NULL && strcmp(mode, "free") == 0, "fee_after",
        mode != NULL && strcmp(mode, "after") == 0, "vet_full", strcmp(vet, "full") == 0,
        "has_errors", pe != NULL && pe->n > 0, "saved", req_query(r, "saved") != NULL);
    http_reply_page(r, status, "admin_product",
                    p->id > 0 ? "officer.product.edit.title" : "officer.product.new.title", d);
}

static void internal(struct req *r, const char *what, const struct sm_err *e)
{
    log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    http_reply_error(r, e->code == SM_E_NOMEM ? 503 : 500,
                     e->code == SM_E_NOMEM ? "err.nomem" : "err.internal", NULL);
}

static int64_t param_id(struct req *r)
{
    const char *s = req_param(r, "id");
    if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : v;
}

/* "180000" -> "180,000" in place (digits only; n is the buffer size). */
static void thousands(char *s, size_t n)
{
    size_t len = strlen(s), commas = len > 0 ? (len - 1) / 3 : 0;
    if (len + commas + 1 > n)
        return;
    s[len + commas] = '\0';
    for (size_t i = len, j = len + commas, k = 0; i > 0; k++) {
        if (k > 0 && k % 3 == 0)
            s[--j] = ',';
        s[--j] = s[--i];
    }
}

/* The reissue-fee rule in words (issue 8 item 9): "free" -> 無料 / Free, "after:D:Y" -> the
 * message with {days} and {yen} (thousands separators) filled in; other text as stored. */
static void fee_text(struct req *r, const char *rule, char *out, size_t n)
{
    long long days = 0, yen = 0;
    char *end = NULL;
    if (strcmp(rule, "free") == 0) {
        snprintf(out, n, "%s", i18n_text(r->lang, "officer.product.fee.free"));
        return;
    }
    if (strncmp(rule, "after:", 6) == 0) {
        days = strtoll(rule + 6, &end, 10);
        if (end != NULL && *end == ':')
            yen = strtoll(end + 1, &end, 10);
    }
    if (end == NULL || *end != '\0') {
        snprintf(out, n, "%s", rule);
        return;
    }
    char d[24], y[32];
    snprintf(d, sizeof d, "%lld", days);
    snprintf(y, sizeof y, "%lld", yen);
    thousands(y, sizeof y);
    const char *m = i18n_text(r->lang, "officer.product.fee.after");
    struct buf b = BUF_INIT;
    for (const char *c = m; *c;) {
        if (strncmp(c, "{days}", 6) == 0) {
            buf_puts(&b, d);
            c += 6;
        } else if (strncmp(c, "{yen}", 5) == 0) {
            buf_puts(&b, y);
            c += 5;
        } else {
            buf_append(&b, c++, 1);
        }
    }
    snprintf(out, n, "%s", b.p ? b.p : rule);
    buf_free(&b);
}

/* "a,b" -> "A, B" */
static void roots_text(const char *roots, char *out, size_t n)
{
    size_t o = 0;
    for (const char *c = roots; *c && o + 3 < n; c++) {
        if (*c == ',') {
            out[o++] = ',';
            out[o++] = ' ';
        } else {
            out[o++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        }
    }
    out[o] = '\0';
}

void h_admin_products(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct product_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (products_list(db, 1, &v, &n, &e) < 0) {
        internal(r, "product list", &e);
        return;
    }
    json_t *arr = json_array();
    int ja = strcmp(r->lang, "en") != 0;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char sans[32];
        snprintf(sans, sizeof sans, "%d / %d", v[i].sans_included, v[i].sans_max);
        char price[32];
        snprintf(price, sizeof price, "%lld", (long long)v[i].list_price);
        thousands(price, sizeof price);
        char review[32], fee[160], roots[32], term[24], level[8];
        snprintf(review, sizeof review, "%d–%d", v[i].review_days_min, v[i].review_days_max);
        fee_text(r, v[i].reissue_fee, fee, sizeof fee);
        roots_text(v[i].root_options, roots, sizeof roots);
        snprintf(term, sizeof term, "%d", v[i].term_months);
        roots_text(v[i].level, level, sizeof level);
        struct buf tb = BUF_INIT;
        i18n_format(&tb, r->lang, "officer.product.term", term);
        snprintf(term, sizeof term, "%s", tb.p ? tb.p : "");
        buf_free(&tb);
        json_array_append_new(
            arr,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:s, s:s, s:s, s:s, "
                      "s:s, s:b}",
                      "id", (json_int_t)v[i].id, "code", v[i].code, "name",
                      ja ? v[i].name_ja : v[i].name_en, "level", v[i].level, "level_label", level,
                      "term", term, "multi", v[i].multi_domain, "sans", sans, "wildcard",
                      v[i].wildcard, "price", price, "fee", fee, "fee_rule", v[i].reissue_fee,
                      "review", review, "roots", roots, "active", v[i].active));
    }
    free(v);
    const char *saved = req_query(r, "saved");
    json_t *d = json_pack("{s:o, s:b, s:b}", "products", arr, "saved", saved != NULL,
                          "has_products", n > 0);
    http_reply_page(r, 200, "admin_products", "officer.product.list.title", d);
}

void h_admin_product_new(struct req *r)
{
    struct product_row p = {0};
    p.term_months = 12;
    p.sans_included = p.sans_max = 1;
    p.review_days_min = 1;
    p.review_days_max = 5;
    p.active = 1;
    snprintf(p.level, sizeof p.level, "ov");
    snprintf(p.reissue_fee, sizeof p.reissue_fee, "free");
    snprintf(p.root_options, sizeof p.root_options, "a,b");
    form_page(r, 200, &p, 0, NULL);
}

/* Saves the posted product (id 0 = new); answers 422 with the messages, 303 when saved. */
static void save(struct req *r, int64_t id)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct product_row p = {0}, old;
    struct sm_err e = {0};
    if (id > 0) {
        int rc = products_get(db, id, &old, &e);
        if (rc == -SM_E_NOTFOUND) {
            http_reply_error(r, 404, "web.notfound", NULL);
            return;
        }
        if (rc < 0) {
            internal(r, "product", &e);
            return;
        }
        p.created_at = old.created_at;
        memcpy(p.reissue_vetting, old.reissue_vetting, sizeof p.reissue_vetting);
    }
    p.id = id;
    struct perr pe = {0};
    read_form(r, &p, &pe);
    int rc = 0;
    if (pe.n == 0) {
        char actor[32];
        snprintf(actor, sizeof actor, "user:%lld", (long long)req_user(r)->id);
        rc = id > 0 ? product_update(db, &p, actor, &e) : product_create(db, &p, actor, &id, &e);
        if (rc == -SM_E_CONFLICT || rc == -SM_E_EXISTS) {
            add(&pe, "code", "officer.product.err.code_taken");
        } else if (rc == -SM_E_INVALID) {
            /* a rule of ra/product not caught above: beside its field */
            static const char *const fields[] = {
                "code",           "name_ja",    "name_en",     "level",           "term_months",
                "sans_max",       "list_price", "reissue_fee", "review_days_max", "root_options",
                "reissue_vetting"};
            const char *f = "code";
            for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
                if (strcmp(e.field, fields[i]) == 0)
                    f = fields[i];
            add(&pe, strcmp(f, "reissue_fee") == 0 ? "reissue_mode" : f,
                "officer.product.err.invalid");
        } else if (rc < 0) {
            internal(r, "product save", &e);
            return;
        }
    }
    if (pe.n > 0) {
        form_page(r, 422, &p, 1, &pe);
        return;
    }
    char loc[64];
    snprintf(loc, sizeof loc, "/admin/products/%lld?saved=1", (long long)id);
    http_redirect(r, 303, loc);
}

void h_admin_product_create(struct req *r) { save(r, 0); }

void h_admin_product_edit(struct req *r)
{
    int64_t id = param_id(r);
    struct db *db = id > 0 ? req_db_or_reply(r) : NULL;
    if (id <= 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    if (db == NULL)
        return;
    struct product_row p;
    struct sm_err e = {0};
    int rc = products_get(db, id, &p, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "web.notfound", NULL);
    else if (rc < 0)
        internal(r, "product", &e);
    else
        form_page(r, 200, &p, 0, NULL);
}

void h_admin_product_update(struct req *r)
{
    int64_t id = param_id(r);
    if (id <= 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    save(r, id);
}
