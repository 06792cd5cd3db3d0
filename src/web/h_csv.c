/* SPDX-License-Identifier: MIT */
/* CSV export of certificates (R-MNG-3): the selected ones (?id=N, repeated), the ones the
 * list's filter matches, or all, from the list page (GET /certificates.csv) and the API
 * (GET /api/v1/certificates.csv). Application, issuance and billing columns; UTF-8 with a
 * byte order mark so that spreadsheet programs in Japan read it as UTF-8; RFC 4180: every
 * record ends in CRLF, a field holding a quote, comma, CR or LF is quoted with its quotes
 * doubled. A field starting with = + - @ or a tab gets a leading apostrophe, so that a
 * spreadsheet shows an organization name like "=HYPERLINK(...)" as text instead of running
 * it. Times are Japan time with their offset (2026-12-01T09:00:00+09:00).
 *
 * Streamed: the answer is written chunk by chunk (CHUNK certificates, keyset-paged on
 * (sort value, id) by store/certsearch), so memory stays flat in the number of rows. No
 * transaction spans the stream: each chunk is one statement on a connection borrowed from
 * the pool for that chunk only, so a long download of 100,000 rows neither holds a
 * connection nor pins an old snapshot (PostgreSQL) or the WAL (SQLite). The price: a
 * certificate whose sort value changes while the export runs (a revocation does not change
 * it; a new certificate may appear if it sorts after the cursor) is seen as it is when its
 * chunk is read. The first chunk is read before answering, so a bad filter is a 400 and a
 * database failure a 5xx, not a cut download. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/dbpool.h"
#include "web/h_mng.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"

#define CHUNK 1000

static const char *const columns[] = {"serial",        "cn",           "sans",
                                      "status",        "level",        "root",
                                      "not_before",    "not_after",    "revoked_at",
                                      "sha256",        "receipt_no",   "kind",
                                      "product",       "product_name", "org_name_ja",
                                      "org_name_en",   "dept",         "resp_name",
                                      "tdb_code",      "contact_org",  "contact_name",
                                      "contact_email", "notify_email", "server_software",
                                      "ordered_at",    "submitted_at", "po_number",
                                      "amount",        "invoice_no",   "pay_method",
                                      "paid_at",       "bill_org",     "bill_dept",
                                      "bill_name",     "bill_email",   "bill_phone"};
#define NCOLUMNS (sizeof columns / sizeof *columns)

struct csv {
    struct dbpool *pool;
    struct certsearch_filter f;
    int64_t *org_ids, *ids;
    char *q;
    char product[32], level[4];
    char lang[3];
    int64_t after;
    int done;
    struct buf out;
    size_t off;
    int64_t rows;
};

/* ---- fields ---- */

static int field(struct buf *b, const char *s, int first)
{
    int rc = first ? 0 : buf_putc(b, ',');
    if (s == NULL)
        s = "";
    int lead = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t';
    int quote = strpbrk(s, "\",\r\n") != NULL;
    if (rc == 0 && quote)
        rc = buf_putc(b, '"');
    if (rc == 0 && lead)
        rc = buf_putc(b, '\'');
    for (const char *p = s; rc == 0 && *p; p++) {
        size_t n = strcspn(p, "\"");
        rc = buf_append(b, p, n);
        p += n;
        if (*p == '\0')
            break;
        if (rc == 0)
            rc = buf_puts(b, "\"\"");
    }
    if (rc == 0 && quote)
        rc = buf_putc(b, '"');
    return rc;
}

static int field_time(struct buf *b, int64_t t)
{
    char s[40] = "";
    time_t x = (time_t)(t + 9 * 3600);
    struct tm tm;
    if (t > 0 && gmtime_r(&x, &tm) != NULL)
        strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
    return field(b, s, 0);
}

static int field_int(struct buf *b, int64_t v) { return buf_printf(b, ",%lld", (long long)v); }

/* The SANs of a JSON array of names as "a b c" (the JSON text when it is anything else). */
static int field_names(struct buf *b, const char *json)
{
    char tmp[4096];
    size_t j = 0;
    const char *p = json;
    int ok = p[0] == '[' && strchr(p, '\\') == NULL;
    for (p = json + 1; ok && *p && *p != ']';) {
        if (*p == ',' || *p == ' ') {
            p++;
            continue;
        }
        if (*p != '"') {
            ok = 0;
            break;
        }
        const char *end = strchr(p + 1, '"');
        if (end == NULL || j + (size_t)(end - p) + 1 >= sizeof tmp) {
            ok = 0;
            break;
        }
        if (j > 0)
            tmp[j++] = ' ';
        memcpy(tmp + j, p + 1, (size_t)(end - p - 1));
        j += (size_t)(end - p - 1);
        p = end + 1;
    }
    tmp[j] = '\0';
    return field(b, ok ? tmp : json, 0);
}

static int write_row(void *ctx, const struct certexport_row *c)
{
    struct csv *x = ctx;
    struct buf *b = &x->out;
    int en = strcmp(x->lang, "en") == 0;
    const char *prod = en ? c->product_en : c->product_ja;
    int rc = field(b, c->serial, 1);
    if (rc == 0)
        rc = field(b, c->cn, 0);
    if (rc == 0)
        rc = field_names(b, c->names_json);
    if (rc == 0)
        rc = field(b, mng_status(c->state, c->not_after, x->f.now), 0);
    const char *a[] = {c->level, c->root};
    for (size_t i = 0; rc == 0 && i < 2; i++)
        rc = field(b, a[i], 0);
    if (rc == 0)
        rc = field_time(b, c->not_before);
    if (rc == 0)
        rc = field_time(b, c->not_after);
    if (rc == 0)
        rc = field_time(b, strcmp(c->state, "revoked") == 0 ? c->revoked_at : 0);
    const char *m[] = {
        c->sha256,      c->receipt_no,   c->kind,          c->product_code,  prod,
        c->org_name_ja, c->org_name_en,  c->dept,          c->resp_name,     c->tdb_code,
        c->contact_org, c->contact_name, c->contact_email, c->notify_email1, c->server_software};
    for (size_t i = 0; rc == 0 && i < sizeof m / sizeof *m; i++)
        rc = field(b, m[i], 0);
    if (rc == 0)
        rc = field_time(b, c->order_created_at);
    if (rc == 0)
        rc = field_time(b, c->submitted_at);
    if (rc == 0)
        rc = field(b, c->po_number, 0);
    if (rc == 0)
        rc = c->receipt_no[0] ? field_int(b, c->amount) : field(b, "", 0);
    if (rc == 0)
        rc = field(b, c->invoice_no, 0);
    if (rc == 0)
        rc = field(b, c->pay_method, 0);
    if (rc == 0)
        rc = field_time(b, c->paid_at);
    const char *bill[] = {c->bill_org, c->bill_dept, c->bill_name, c->bill_email, c->bill_phone};
    for (size_t i = 0; rc == 0 && i < 5; i++)
        rc = field(b, bill[i], 0);
    if (rc == 0)
        rc = buf_puts(b, "\r\n");
    x->rows++;
    return rc < 0 ? 1 : 0;
}

/* Appends the next chunk to x->out. 0, or negative (e set). */
static int next_chunk(struct csv *x, struct db *db, struct sm_err *e)
{
    int64_t last = 0;
    int n = certsearch_export(db, &x->f, x->after, CHUNK, write_row, x, &last, e);
    if (n < 0)
        return n;
    if (n < CHUNK)
        x->done = 1;
    if (n > 0)
        x->after = last;
    return 0;
}

static long csv_read(void *ctx, char *out, size_t max)
{
    struct csv *x = ctx;
    if (x->off >= x->out.len) {
        if (x->done)
            return 0;
        struct db *db = dbpool_acquire(x->pool, 5000);
        struct sm_err e = {0};
        buf_reset(&x->out);
        x->off = 0;
        int rc = db ? next_chunk(x, db, &e) : -SM_E_DB;
        if (db != NULL)
            dbpool_release(x->pool, db);
        if (rc < 0) {
            log_error("csv export cut", "code", sm_err_name(db ? e.code : SM_E_DB), "detail",
                      e.detail);
            return -1;
        }
        if (x->out.len == 0)
            return 0;
    }
    size_t n = x->out.len - x->off;
    if (n > max)
        n = max;
    memcpy(out, x->out.p + x->off, n);
    x->off += n;
    return (long)n;
}

static void csv_free(void *ctx)
{
    struct csv *x = ctx;
    buf_free(&x->out);
    free(x->org_ids);
    free(x->ids);
    free(x->q);
    free(x);
}

/* A copy of q's filter that outlives the request's handler. */
static struct csv *csv_new(const struct certlist_query *q, const char *lang)
{
    struct csv *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->f = q->f;
    snprintf(x->lang, sizeof x->lang, "%s", lang);
    size_t ns = q->f.scope.all ? 0 : q->f.scope.n;
    int bad = 0;
    if (ns > 0 && (x->org_ids = malloc(ns * sizeof *x->org_ids)) == NULL)
        bad = 1;
    else if (ns > 0)
        memcpy(x->org_ids, q->f.scope.org_ids, ns * sizeof *x->org_ids);
    x->f.scope.org_ids = x->org_ids;
    if (q->nids > 0 && (x->ids = malloc(q->nids * sizeof *x->ids)) == NULL)
        bad = 1;
    else if (q->nids > 0)
        memcpy(x->ids, q->ids, q->nids * sizeof *x->ids);
    x->f.ids = x->ids;
    if (q->f.q != NULL && (x->q = strdup(q->f.q)) == NULL)
        bad = 1;
    x->f.q = x->q;
    snprintf(x->product, sizeof x->product, "%s", q->f.product ? q->f.product : "");
    snprintf(x->level, sizeof x->level, "%s", q->f.level ? q->f.level : "");
    x->f.product = x->product;
    x->f.level = x->level;
    x->f.after_id = x->f.before_id = 0;
    x->f.last = 0;
    if (bad) {
        csv_free(x);
        return NULL;
    }
    return x;
}

static void export(struct req *r, int api)
{
    struct portal p;
    struct certlist_query q = {0};
    struct csv *x = NULL;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    if (mng_parse_query(r, &p, &q, MNG_CSV) < 0)
        goto out;
    (void)api;
    if ((x = csv_new(&q, r->lang)) == NULL) {
        http_reply_error(r, 503, "err.nomem", NULL);
        goto out;
    }
    x->pool = r->web->pool;
    /* BOM and the header line, then the first chunk on the request's connection */
    int rc = buf_puts(&x->out, "\xEF\xBB\xBF");
    for (size_t i = 0; rc == 0 && i < NCOLUMNS; i++) {
        char key[40];
        snprintf(key, sizeof key, "mng.csv.%s", columns[i]);
        rc = field(&x->out, i18n_text(r->lang, key), i == 0);
    }
    if (rc == 0)
        rc = buf_puts(&x->out, "\r\n");
    struct sm_err e = {0};
    if (rc < 0) {
        http_reply_error(r, 503, "err.nomem", NULL);
        goto out;
    }
    if ((rc = next_chunk(x, p.db, &e)) < 0) {
        if (rc == -SM_E_INVALID)
            http_reply_error(r, 400, "mng.err.unknown_filter", e.field);
        else
            http_reply_err(r, &e);
        goto out;
    }
    x->off = 0;
    r->attachment = "certificates.csv";
    struct csv *give = x;
    x = NULL;
    http_reply_stream(r, 200, "text/csv; charset=utf-8", csv_read, csv_free, give);
out:
    if (x != NULL)
        csv_free(x);
    mng_query_clear(&q);
    portal_clear(&p);
}

void h_certs_csv(struct req *r) { export(r, 0); }
void h_api_certs_csv(struct req *r) { export(r, 1); }
