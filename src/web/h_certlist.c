/* SPDX-License-Identifier: MIT */
/* The certificate list (R-MNG-1): filters (state, product, level, organization, expiry
 * range, search), sorting, keyset paging and the user's column choice; the same filters
 * on GET /api/v1/certificates. Thin: parse the query into a struct certsearch_filter, read
 * through store/certsearch inside the portal's scope, render. An unknown query argument
 * or a malformed value is 400 naming it; nothing is read then. The CSV export of the same
 * selection is h_csv.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/calendar.h"
#include "ra/dashboard.h"
#include "ra/group.h"
#include "store/groups.h"
#include "store/dashboard.h"
#include "store/datagen.h"
#include "store/products.h"
#include "web/h_mng.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/pagecache.h"
#include "web/portal.h"
#include "web/tmpl.h"

#define PAGE_SIZE 50

/* ---- the query ---- */

static const char *const known_args[] = {
    "q",      "state", "product", "level", "org",    "from", "to",   "sort",  "dir",  "after",
    "before", "last",  "page",    "limit", "offset", "id",   "lang", "saved", "group"};
static const char *const state_names[] = {"", "valid", "expired", "revoked"};
static const char *const sort_names[] = {"expiry", "start", "cn"};

struct arg_check {
    const char *bad;
    struct certlist_query *q;
    int csv;
};

static int check_arg(void *ctx, const char *name, const char *value)
{
    struct arg_check *c = ctx;
    size_t i = 0;
    while (i < sizeof known_args / sizeof *known_args && strcmp(name, known_args[i]) != 0)
        i++;
    if (i == sizeof known_args / sizeof *known_args) {
        c->bad = name;
        return 1;
    }
    if (strcmp(name, "id") == 0) {
        int64_t v = value ? mng_parse_id(value) : -1;
        if (!c->csv || v <= 0 || c->q->nids >= CERTSEARCH_IDS_MAX) {
            c->bad = "id";
            return 1;
        }
        c->q->ids[c->q->nids++] = v;
    }
    return 0;
}

int64_t mng_parse_id(const char *s)
{
    if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 15)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno != 0 || *end != '\0' || v <= 0 ? -1 : v;
}

/* "YYYY-MM-DD" (a Tokyo date) -> its first second; next_day: the first second of the day
 * after. -1 for anything else. */
static int64_t parse_day(const char *s, int next_day)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    time_t t = calendar_tokyo_midnight(y, m, d);
    int y2, m2, d2;
    clock_tokyo_date(t, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d) /* 2026-02-30 */
        return -1;
    return (int64_t)t + (next_day ? 86400 : 0);
}

static int pick(const char *v, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return (int)i;
    return -1;
}

/* 400 naming field with message key. */
static int bad(struct req *r, const char *key, const char *field)
{
    http_reply_error(r, 400, key, field);
    return -1;
}

int mng_parse_query(struct req *r, const struct portal *p, struct certlist_query *q, int mode)
{
    struct certsearch_filter *f = &q->f;
    memset(q, 0, sizeof *q);
    f->scope = p->who.scope;
    f->now = clock_now();
    if (mode == MNG_CSV && (q->ids = calloc(CERTSEARCH_IDS_MAX, sizeof *q->ids)) == NULL)
        return http_reply_error(r, 503, "err.nomem", NULL), -1;
    f->ids = q->ids;
    struct arg_check c = {NULL, q, mode == MNG_CSV};
    req_query_each(r, check_arg, &c);
    if (c.bad != NULL) {
        char name[40];
        snprintf(name, sizeof name, "%s", c.bad);
        return bad(r, strcmp(c.bad, "id") == 0 ? "mng.err.id" : "mng.err.unknown_filter", name);
    }
    f->nids = q->nids;
    const char *v;
    if ((v = req_query(r, "q")) != NULL) {
        if (strlen(v) > CERTLIST_Q_MAX)
            return bad(r, "certs.err.q", "q");
        f->q = v;
    }
    if ((v = req_query(r, "state")) != NULL && v[0]) {
        int i = pick(v, state_names, 4);
        if (i <= 0)
            return bad(r, "mng.err.state", "state");
        f->state = (enum certsearch_state)i;
        q->state = state_names[i];
    }
    if ((v = req_query(r, "product")) != NULL && v[0]) {
        if (strlen(v) >= sizeof q->product ||
            strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
            return bad(r, "mng.err.product", "product");
        snprintf(q->product, sizeof q->product, "%s", v);
        f->product = q->product;
    }
    if ((v = req_query(r, "level")) != NULL && v[0]) {
        if (strcmp(v, "dv") != 0 && strcmp(v, "ov") != 0 && strcmp(v, "ev") != 0)
            return bad(r, "mng.err.level", "level");
        snprintf(q->level, sizeof q->level, "%s", v);
        f->level = q->level;
    }
    if ((v = req_query(r, "org")) != NULL && v[0]) {
        int64_t id = mng_parse_id(v);
        if (id <= 0 || !org_scope_has(&f->scope, id))
            return bad(r, "mng.err.org", "org");
        f->org_id = id;
    }
    if ((v = req_query(r, "group")) != NULL && v[0]) { /* issue 12 item 6 */
        struct group_row g = {0};
        int64_t id = mng_parse_id(v);
        int ok = id > 0 && groups_get(p->db, id, &f->scope, &g, NULL) == 0;
        group_row_clear(&g);
        if (!ok)
            return bad(r, "mng.err.group", "group");
        f->group_id = id;
    }
    {
        struct sm_err ge = {0};
        if (group_viewer(p->db, p->user, &f->viewer_id, &ge) < 0)
            return http_reply_err(r, &ge), -1;
    }
    if ((v = req_query(r, "from")) != NULL && v[0]) {
        if ((f->expiry_from = parse_day(v, 0)) < 0)
            return bad(r, "mng.err.date", "from");
        snprintf(q->from, sizeof q->from, "%s", v);
    }
    if ((v = req_query(r, "to")) != NULL && v[0]) {
        if ((f->expiry_to = parse_day(v, 1)) < 0)
            return bad(r, "mng.err.date", "to");
        snprintf(q->to, sizeof q->to, "%s", v);
    }
    if (f->expiry_from > 0 && f->expiry_to > 0 && f->expiry_from >= f->expiry_to)
        return bad(r, "mng.err.range", "to");
    if ((v = req_query(r, "sort")) != NULL && v[0]) {
        int i = pick(v, sort_names, 3);
        if (i < 0)
            return bad(r, "mng.err.sort", "sort");
        f->sort = (enum certsearch_sort)i;
    }
    if ((v = req_query(r, "dir")) != NULL && v[0]) {
        if (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0)
            return bad(r, "mng.err.dir", "dir");
        f->desc = strcmp(v, "desc") == 0;
    }
    const char *after = req_query(r, "after"), *before = req_query(r, "before");
    const char *last = req_query(r, "last"), *page = req_query(r, "page");
    if ((after != NULL) + (before != NULL) + (last != NULL) + (page != NULL) > 1)
        return bad(r, "mng.err.cursor", after ? "after" : "before");
    if (after != NULL && (f->after_id = mng_parse_id(after)) <= 0)
        return bad(r, "mng.err.cursor", "after");
    if (before != NULL && (f->before_id = mng_parse_id(before)) <= 0)
        return bad(r, "mng.err.cursor", "before");
    if (last != NULL) {
        if (strcmp(last, "1") != 0)
            return bad(r, "mng.err.cursor", "last");
        f->last = 1;
    }
    if (mode == MNG_API) {
        const char *l = req_query(r, "limit"), *o = req_query(r, "offset");
        int64_t lim = l ? mng_parse_id(l) : PAGE_SIZE, off = 0;
        if (lim < 1 || lim > 1000)
            return bad(r, "certs.err.limit", "limit");
        if (o != NULL && strcmp(o, "0") != 0 && ((off = mng_parse_id(o)) < 0 || off > 100000000))
            return bad(r, "certs.err.offset", "offset");
        f->limit = (int)lim;
        f->offset = (int)off;
    } else if (mode == MNG_PAGE) {
        int64_t pg = 1;
        if (page != NULL && ((pg = mng_parse_id(page)) < 1 || pg > 1000000))
            return bad(r, "certs.err.page", "page");
        f->limit = PAGE_SIZE + 1;
        f->offset = (int)((pg - 1) * PAGE_SIZE);
        q->page = pg;
    } else if (req_query(r, "limit") || req_query(r, "offset")) {
        return bad(r, "mng.err.unknown_filter", req_query(r, "limit") ? "limit" : "offset");
    }
    return 0;
}

void mng_query_clear(struct certlist_query *q)
{
    free(q->ids);
    q->ids = NULL;
}

/* Appends the filter of q as query arguments (each "&name=value", value URL-encoded). */
int mng_query_args(struct buf *b, const struct certlist_query *q, int with_sort)
{
    const struct certsearch_filter *f = &q->f;
    char org[24] = "", grp[24] = "";
    if (f->org_id > 0)
        snprintf(org, sizeof org, "%lld", (long long)f->org_id);
    if (f->group_id > 0)
        snprintf(grp, sizeof grp, "%lld", (long long)f->group_id);
    const char *kv[][2] = {{"q", f->q},         {"state", q->state}, {"product", f->product},
                           {"level", f->level}, {"org", org},        {"from", q->from},
                           {"to", q->to},       {"group", grp}};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof kv / sizeof *kv; i++)
        if (kv[i][1] != NULL && kv[i][1][0]) {
            rc = buf_printf(b, "&%s=", kv[i][0]);
            if (rc == 0)
                rc = tmpl_escape_url(b, kv[i][1]);
        }
    if (rc == 0 && with_sort && (f->sort != CS_SORT_EXPIRY || f->desc))
        rc = buf_printf(b, "&sort=%s&dir=%s", sort_names[f->sort], f->desc ? "desc" : "asc");
    return rc;
}

/* ---- helpers shared with the detail page's conventions ---- */

static void jst_day(int64_t t, char *out, size_t n)
{
    time_t x = (time_t)(t + 9 * 3600);
    struct tm tm;
    if (t <= 0 || gmtime_r(&x, &tm) == NULL)
        snprintf(out, n, "-");
    else
        strftime(out, n, "%Y-%m-%d", &tm);
}

static void iso_utc(int64_t t, char *out, size_t n)
{
    time_t x = (time_t)t;
    struct tm tm;
    if (t <= 0 || gmtime_r(&x, &tm) == NULL)
        out[0] = '\0';
    else
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *mng_status(const char *state, int64_t not_after, int64_t now)
{
    if (strcmp(state, "revoked") == 0)
        return "revoked";
    return not_after < now ? "expired" : "valid";
}

/* Object members without json_pack's format parsing: the list page builds a few thousand
 * of them per view (rows, and a reseller's 200 organizations as filter choices). Keys are
 * literals; a value that cannot be made (no memory, text that is not UTF-8) fails the
 * object as json_pack would. */
static int put_s(json_t *o, const char *k, const char *v)
{
    return json_object_set_new_nocheck(o, k, json_string(v));
}

static int put_b(json_t *o, const char *k, int v)
{
    return json_object_set_new_nocheck(o, k, json_boolean(v));
}

/* {"value": v, "label": l, "current": cur} */
static json_t *choice(const char *v, const char *l, int cur)
{
    json_t *o = json_object();
    if (o != NULL &&
        (put_s(o, "value", v) < 0 || put_s(o, "label", l) < 0 || put_b(o, "current", cur) < 0)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

static json_t *row_json(const struct req *r, const struct certlist_row *c, int64_t now, int api)
{
    const char *status = mng_status(c->state, c->not_after, now);
    int en = strcmp(r->lang, "en") == 0;
    if (api) {
        char nb[32], na[32];
        iso_utc(c->not_before, nb, sizeof nb);
        iso_utc(c->not_after, na, sizeof na);
        return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, "
                         "s:s, s:I}",
                         "id", (json_int_t)c->id, "serial", c->serial, "cn", c->cn ? c->cn : "",
                         "status", status, "receipt_no", c->receipt_no, "kind", c->kind, "level",
                         c->level, "root", c->root, "product", c->product_code, "organization_ja",
                         c->org_name_ja, "organization_en", c->org_name_en, "department", c->dept,
                         "not_before", nb, "not_after", na, "org_id", (json_int_t)c->org_id);
    }
    char nb[16], na[16], key[32];
    jst_day(c->not_before, nb, sizeof nb);
    jst_day(c->not_after, na, sizeof na);
    snprintf(key, sizeof key, "certs.status.%s", status);
    const char *prod = en ? c->product_en : c->product_ja;
    if (!prod[0])
        prod = c->product_code[0] ? c->product_code : "-";
    const char *o1 = en ? c->org_name_en : c->org_name_ja,
               *o2 = en ? c->org_name_ja : c->org_name_en;
    const char *org = o1 ? o1 : o2 ? o2 : "";
    json_t *o = json_object();
    if (o == NULL || json_object_set_new_nocheck(o, "id", json_integer((json_int_t)c->id)) < 0 ||
        put_s(o, "serial", c->serial) < 0 || put_s(o, "cn", c->cn ? c->cn : "") < 0 ||
        put_s(o, "status", status) < 0 || put_s(o, "status_label", i18n_text(r->lang, key)) < 0 ||
        put_b(o, "downloadable", strcmp(status, "revoked") != 0) < 0 ||
        put_s(o, "receipt_no", c->receipt_no[0] ? c->receipt_no : "-") < 0 ||
        put_s(o, "product", prod) < 0 || put_s(o, "org", org) < 0 ||
        put_s(o, "dept", c->dept ? c->dept : "") < 0 || put_s(o, "not_before", nb) < 0 ||
        put_s(o, "not_after", na) < 0 || put_s(o, "level", c->level[0] ? c->level : "-") < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* "/certificates?<filter>&<extra>" */
static json_t *list_url(const struct certlist_query *q, const char *extra)
{
    struct buf b = BUF_INIT;
    int rc = buf_puts(&b, "/certificates?");
    if (rc == 0)
        rc = mng_query_args(&b, q, 1);
    if (rc == 0 && extra != NULL)
        rc = buf_printf(&b, "&%s", extra);
    json_t *s = NULL;
    if (rc == 0) {
        /* "/certificates?&q=..." -> "/certificates?q=..." */
        char *p = b.p + strlen("/certificates?");
        if (*p == '&')
            memmove(p, p + 1, strlen(p));
        s = json_string(b.p);
    }
    buf_free(&b);
    return s;
}

static json_t *options(const char *const *values, const char *const *labels, size_t n,
                       const char *cur, const char *lang)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, choice(values[i], i18n_text(lang, labels[i]),
                                        strcmp(values[i], cur ? cur : "") == 0));
    return a;
}

static json_t *product_options(struct req *r, struct db *db, const char *cur)
{
    struct product_row *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    json_t *a = json_array();
    json_array_append_new(a, choice("", i18n_text(r->lang, "mng.filter.any"), !cur || !cur[0]));
    if (products_list(db, 1, &v, &n, &e) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                a, choice(v[i].code, strcmp(r->lang, "en") == 0 ? v[i].name_en : v[i].name_ja,
                          cur && strcmp(cur, v[i].code) == 0));
    free(v);
    return a;
}

/* A reseller chooses among its own organization and its customers. */
static json_t *org_options(struct req *r, const struct portal *p, int64_t cur)
{
    json_t *a = json_array();
    if (p->user->role != USER_RESELLER)
        return a;
    struct dashboard_customer *v = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    json_array_append_new(a, choice("", i18n_text(r->lang, "mng.filter.any"), cur == 0));
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)p->user->org_id);
    json_array_append_new(
        a, choice(id, i18n_text(r->lang, "mng.filter.own_org"), cur == p->user->org_id));
    if (dashboard_customers(p->db, p->user->org_id, 0, 0, 0, &v, &n, &e) == 0)
        for (size_t i = 0; i < n; i++) {
            snprintf(id, sizeof id, "%lld", (long long)v[i].id);
            json_array_append_new(
                a,
                choice(id,
                       strcmp(r->lang, "en") == 0 && v[i].name_en[0] ? v[i].name_en : v[i].name_ja,
                       cur == v[i].id));
        }
    free(v);
    return a;
}

static void internal(struct req *r, const char *what, const struct sm_err *e)
{
    log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    http_reply_error(r, e->code == SM_E_NOMEM ? 503 : 500,
                     e->code == SM_E_NOMEM ? "err.nomem" : "err.internal", NULL);
}

/* The group filter's options ("" = all, then the groups in scope), sel selected. */
static json_t *group_options(struct req *r, struct portal *p, int64_t sel)
{
    json_t *a = json_array();
    struct group_row *v = NULL;
    size_t n = 0;
    json_array_append_new(a,
                          json_pack("{s:s, s:s, s:b}", "value", "", "label",
                                    i18n_text(r->lang, "groups.filter_any"), "current", sel == 0));
    if (groups_list(p->db, &p->who.scope, &v, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++) {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)v[i].id);
            json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value", id, "label", v[i].name,
                                               "current", v[i].id == sel));
        }
    group_rows_free(v, n);
    return a;
}

/* ---- the page and the API ---- */

static void list(struct req *r, int api)
{
    struct portal p;
    struct certlist_query q = {0};
    struct certlist_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct sm_err e = {0};
    struct pagecache_ticket t = {0};
    memset(&p, 0, sizeof p);
    if (!api && pagecache_try(r, "cert_list", &t) == 1) /* issue 12 item 10 */
        goto out;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (mng_parse_query(r, &p, &q, api ? MNG_API : MNG_PAGE) < 0)
        goto out;
    struct certsearch_filter *f = &q.f;
    int keyset = f->after_id > 0 || f->before_id > 0 || f->last;
    if (!api && keyset) {
        f->offset = 0;
        f->limit = PAGE_SIZE + 1;
    }
    int rc = certsearch_list(p.db, f, &rows, &n, api ? &total : NULL, &e);
    if (rc == -SM_E_INVALID) {
        http_reply_error(r, 400, "mng.err.unknown_filter", e.field);
        goto out;
    }
    if (rc < 0) {
        internal(r, "certificate list", &e);
        goto out;
    }
    int64_t now = f->now;
    /* one row more than a page says whether there is more in the reading direction */
    int more = !api && n > PAGE_SIZE;
    size_t shown = more ? PAGE_SIZE : n, skip = 0;
    if (more && (f->before_id > 0 || f->last))
        skip = 1; /* read backwards: the extra row is the first */
    json_t *items = json_array();
    for (size_t i = skip; items != NULL && i < skip + shown; i++)
        if (json_array_append_new(items, row_json(r, &rows[i], now, api)) < 0) {
            json_decref(items);
            items = NULL;
        }
    if (items == NULL) {
        http_reply_error(r, 503, "err.nomem", NULL);
        goto out;
    }
    if (api) {
        http_reply_json(r, 200,
                        json_pack("{s:I, s:i, s:i, s:o}", "total", (json_int_t)total, "limit",
                                  f->limit, "offset", f->offset, "items", items));
        goto out;
    }
    int has_prev, has_next;
    if (f->after_id > 0) {
        has_prev = 1;
        has_next = more;
    } else if (f->before_id > 0) {
        has_prev = more;
        has_next = 1;
    } else if (f->last) {
        has_prev = more;
        has_next = 0;
    } else {
        has_prev = q.page > 1;
        has_next = more;
    }
    char ex[48];
    json_t *prev = json_string(""), *next = json_string("");
    if (has_prev && shown > 0) {
        snprintf(ex, sizeof ex, "before=%lld", (long long)rows[skip].id);
        json_decref(prev);
        prev = list_url(&q, ex);
    }
    if (has_next && shown > 0) {
        snprintf(ex, sizeof ex, "after=%lld", (long long)rows[skip + shown - 1].id);
        json_decref(next);
        next = list_url(&q, ex);
    }
    unsigned cols = dashboard_columns(p.db, p.user->id);
    json_t *colchoice = json_array();
    for (int i = 0; colchoice != NULL && i < CERTCOL__COUNT; i++) {
        char key[40];
        snprintf(key, sizeof key, "certs.col.%s", certcol_name((enum certcol)i));
        json_array_append_new(
            colchoice, json_pack("{s:s, s:s, s:b}", "name", certcol_name((enum certcol)i), "label",
                                 i18n_text(r->lang, key), "checked", (int)((cols >> i) & 1)));
    }
    static const char *const st_labels[] = {"mng.filter.any", "certs.status.valid",
                                            "certs.status.expired", "certs.status.revoked"};
    static const char *const lv_values[] = {"", "dv", "ov", "ev"};
    static const char *const lv_labels[] = {"mng.filter.any", "mng.level.dv", "mng.level.ov",
                                            "mng.level.ev"};
    static const char *const so_labels[] = {"certs.col.expiry", "certs.col.start", "certs.col.cn"};
    static const char *const dir_values[] = {"asc", "desc"};
    static const char *const dir_labels[] = {"mng.sort.asc", "mng.sort.desc"};
    struct buf csv = BUF_INIT;
    json_t *csv_url = NULL;
    if (buf_puts(&csv, "/certificates.csv?") == 0 && mng_query_args(&csv, &q, 1) == 0) {
        char *s = csv.p + strlen("/certificates.csv?");
        if (*s == '&')
            memmove(s, s + 1, strlen(s));
        csv_url = json_string(csv.p);
    }
    buf_free(&csv);
    json_t *orgs = org_options(r, &p, f->org_id);
    json_t *d = json_pack(
        "{s:o, s:b, s:s, s:b, s:o, s:o, s:b, s:o*, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s, s:s, "
        "s:o, s:o, s:b}",
        "certs", items, "has_certs", shown > 0, "q", f->q ? f->q : "", "searched",
        (f->q && f->q[0]) || q.state || f->product || f->level || f->org_id || q.from[0] ||
            q.to[0] || f->group_id,
        "prev", prev, "next", next, "paged", has_prev || has_next, "csv_url", csv_url, "first_url",
        list_url(&q, NULL), "last_url", list_url(&q, "last=1"), "states",
        options(state_names, st_labels, 4, q.state ? q.state : "", r->lang), "levels",
        options(lv_values, lv_labels, 4, f->level ? f->level : "", r->lang), "sorts",
        options(sort_names, so_labels, 3, sort_names[f->sort], r->lang), "dirs",
        options(dir_values, dir_labels, 2, f->desc ? "desc" : "asc", r->lang), "has_orgs",
        json_array_size(orgs) > 0, "from", q.from, "to", q.to, "products",
        product_options(r, p.db, f->product), "orgs", orgs, "columns_saved",
        req_query(r, "saved") != NULL);
    if (d != NULL) {
        json_t *gs = group_options(r, &p, f->group_id);
        json_object_set_new(d, "has_groups", json_boolean(json_array_size(gs) > 1));
        json_object_set_new(d, "group_opts", gs);
        json_object_set_new(d, "colchoice", colchoice);
        for (int i = 0; i < CERTCOL__COUNT; i++) {
            char key[24];
            snprintf(key, sizeof key, "c_%s", certcol_name((enum certcol)i));
            json_object_set_new(d, key, json_boolean((cols >> i) & 1));
        }
    } else {
        json_decref(colchoice);
    }
    /* kept until a change of the data (the generation in the key), the next certificate of
     * the scope to expire (its status and the state filter) or the next day */
    int64_t expires = pagecache_next_midnight(now), next_exp = 0;
    if (t.on && datagen_next_expiry(p.db, &p.who.scope, now, &next_exp, &e) < 0)
        t.on = 0;
    if (next_exp > 0 && next_exp < expires)
        expires = next_exp;
    pagecache_reply_page(r, &t, expires, "cert_list", "certs.list.title", d);
out:
    pagecache_ticket_clear(&t);
    certlist_rows_free(rows, n);
    mng_query_clear(&q);
    portal_clear(&p);
}

void h_certs_list(struct req *r) { list(r, 0); }
void h_api_certs_list(struct req *r) { list(r, 1); }

/* POST /certificates/columns: the columns checked ("col", repeated) become the user's. */
void h_certs_columns(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0) {
        portal_clear(&p);
        return;
    }
    const char *names[FORM_MAX_FIELDS];
    size_t n = 0;
    for (int i = 0; i < r->form.n && n < FORM_MAX_FIELDS; i++)
        if (strcmp(r->form.f[i].name, "col") == 0)
            names[n++] = r->form.f[i].value;
    struct sm_err e = {0};
    int rc = dashboard_set_columns(p.db, p.user->id, names, n, clock_now(), &e);
    if (rc == -SM_E_INVALID)
        http_reply_error(r, 400, "mng.err.columns", "col");
    else if (rc < 0)
        internal(r, "list columns", &e);
    else
        http_redirect(r, 303, "/certificates?saved=1");
    portal_clear(&p);
}
