/* SPDX-License-Identifier: MIT */
/* Certificate pages and API (R-MNG-1 list, R-MNG-2, R-DL-1, R-API-1): the list of the
 * caller's certificates (store/certlist, scoped by the portal's org_scope), the detail
 * page, downloads in every format of pki/bundle through ra/download, and re-download by
 * mail (ra/download too). Thin: parse, read, render. Another organization's certificate
 * is 404 everywhere. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "core/clock.h"
#include "core/log.h"
#include "pki/ca.h"
#include "ra/download.h"
#include "ra/group.h"
#include "ra/subscription.h"
#include "store/certlist.h"
#include "web/h_org.h"
#include "web/h_portal.h"
#include "web/h_reissue.h"
#include "web/h_subscriptions.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"
#include "web/tmpl.h"

#define PAGE_SIZE 50

/* ---- helpers ---- */

/* "YYYY-MM-DD" (with_time: "YYYY-MM-DD HH:MM") in Asia/Tokyo (UTC+9, no summer time). */
static void jst(int64_t t, int with_time, char *out, size_t n)
{
    if (t <= 0) {
        snprintf(out, n, "-");
        return;
    }
    time_t x = (time_t)(t + 9 * 3600);
    struct tm tm;
    if (gmtime_r(&x, &tm) == NULL) {
        snprintf(out, n, "-");
        return;
    }
    strftime(out, n, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
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

/* "valid", "expired" or "revoked" at now. */
static const char *status_of(const struct certlist_row *c, int64_t now)
{
    if (strcmp(c->state, "revoked") == 0)
        return "revoked";
    return c->not_after < now ? "expired" : "valid";
}

static const char *product_name(const struct req *r, const struct certlist_row *c)
{
    const char *s = strcmp(r->lang, "en") == 0 ? c->product_en : c->product_ja;
    return s[0] ? s : c->product_code;
}

static const char *org_name(const struct req *r, const struct certlist_row *c)
{
    const char *a = strcmp(r->lang, "en") == 0 ? c->org_name_en : c->org_name_ja;
    const char *b = strcmp(r->lang, "en") == 0 ? c->org_name_ja : c->org_name_en;
    return a ? a : b ? b : "";
}

static const char *kind_label(const struct req *r, const char *kind)
{
    if (strcmp(kind, "new") == 0 || strcmp(kind, "renewal") == 0 || strcmp(kind, "reissue") == 0 ||
        strcmp(kind, "continued") == 0) {
        char key[32];
        snprintf(key, sizeof key, "order.kind.%s", kind);
        return i18n_text(r->lang, key);
    }
    return i18n_text(r->lang, "certs.kind.operator");
}

static const char *status_label(const struct req *r, const char *status)
{
    char key[32];
    snprintf(key, sizeof key, "certs.status.%s", status);
    return i18n_text(r->lang, key);
}

/* Answers 500 (503 without memory) for an unexpected failure (logged). */
static void internal(struct req *r, const char *what, const struct sm_err *e)
{
    log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    http_reply_error(r, e->code == SM_E_NOMEM ? 503 : 500,
                     e->code == SM_E_NOMEM ? "err.nomem" : "err.internal", NULL);
}

/* The route's :serial normalized, or -1 (then: not found, as for an unknown serial). */
static int serial_param(struct req *r, char out[CERTS_SERIAL_HEX_MAX])
{
    struct sm_err e = {0};
    return download_serial_norm(req_param(r, "serial"), out, &e) < 0 ? -1 : 0;
}

/* ---- the detail ---- */

/* Subject DN (UTF-8, RFC 2253) of the stored DER, "" when it cannot be read. */
static void subject_of(const struct certlist_detail_row *d, char *out, size_t n)
{
    out[0] = '\0';
    const unsigned char *p = d->der;
    X509 *x = d->der ? d2i_X509(NULL, &p, (long)d->der_len) : NULL;
    if (x == NULL || ca_name_string(X509_get_subject_name(x), out, n) < 0)
        out[0] = '\0';
    X509_free(x);
}

/* "AB:CD:..." from lower-case hex. */
static void colon_hex(const char *hex, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; hex != NULL && hex[i] && j + 4 < n; i++) {
        if (i > 0 && i % 2 == 0)
            out[j++] = ':';
        char ch = hex[i];
        out[j++] = (ch >= 'a' && ch <= 'f') ? (char)(ch - 'a' + 'A') : ch;
    }
    out[j] = '\0';
}

static json_t *sans_of(const struct certlist_detail_row *d)
{
    json_t *a = d->names_json ? json_loads(d->names_json, 0, NULL) : NULL;
    if (!json_is_array(a)) {
        json_decref(a);
        a = json_array();
    }
    return a;
}

/* Loads the visible certificate of the route's :serial into *d, or answers 404 / 500. */
static int detail_or_reply(struct req *r, const struct portal *p, struct certlist_detail_row **d)
{
    char serial[CERTS_SERIAL_HEX_MAX];
    struct sm_err e = {0};
    *d = NULL;
    if (serial_param(r, serial) < 0)
        return http_reply_error(r, 404, "certs.err.notfound", NULL), -1;
    int rc = certlist_get(p->db, &p->who.scope, serial, d, &e);
    if (rc == -SM_E_NOTFOUND)
        return http_reply_error(r, 404, "certs.err.notfound", NULL), -1;
    if (rc < 0)
        return internal(r, "certificate detail", &e), -1;
    /* issue 12 item 6: a member of groups sees their groups' certificates and their own */
    int64_t viewer = 0;
    rc = group_viewer(p->db, p->user, &viewer, &e);
    if (rc == 0)
        rc = group_check_visible(p->db, viewer, (*d)->row.id, &e);
    if (rc < 0) {
        certlist_detail_row_free(*d);
        *d = NULL;
        if (rc == -SM_E_NOTFOUND)
            return http_reply_error(r, 404, "certs.err.notfound", NULL), -1;
        return internal(r, "certificate detail", &e), -1;
    }
    return 0;
}

static json_t *formats_json(const struct req *r, const char *serial, int api)
{
    json_t *a = api ? json_object() : json_array();
    for (int f = 0; a != NULL && f < BUNDLE__COUNT; f++) {
        const struct bundle_format_info *fi = bundle_format_info((enum bundle_format)f);
        char url[160], key[48];
        snprintf(url, sizeof url, "%s/certificates/%s/download/%s", api ? "/api/v1" : "", serial,
                 fi->key);
        snprintf(key, sizeof key, "certs.fmt.%s", fi->key);
        if (api)
            json_object_set_new(a, fi->key, json_string(url));
        else
            json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "key", fi->key, "url", url,
                                               "label", i18n_text(r->lang, key), "file", fi->file));
    }
    return a;
}

void h_cert_detail(struct req *r)
{
    struct portal p;
    struct certlist_detail_row *d = NULL;
    if (portal_or_reply(r, &p) < 0 || detail_or_reply(r, &p, &d) < 0)
        goto out;
    const struct certlist_row *c = &d->row;
    const char *status = status_of(c, clock_now());
    char dn[1024], fp[128], sn[128], nb[32], na[32];
    subject_of(d, dn, sizeof dn);
    colon_hex(d->sha256, fp, sizeof fp);
    colon_hex(c->serial, sn, sizeof sn);
    jst(c->not_before, 1, nb, sizeof nb);
    jst(c->not_after, 1, na, sizeof na);
    const char *mailed = req_query(r, "mailed");
    enum bundle_format mf;
    struct sm_err e = {0};
    const char *mailed_label = "";
    if (mailed != NULL && bundle_format_parse(mailed, &mf, &e) == 0) {
        char key[48];
        snprintf(key, sizeof key, "certs.fmt.%s", bundle_format_info(mf)->key);
        mailed_label = i18n_text(r->lang, key);
    }
    json_t *data = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:b, "
        "s:o, s:s, s:s, s:s}",
        "serial", c->serial, "serial_colon", sn, "cn", c->cn ? c->cn : "", "product",
        product_name(r, c)[0] ? product_name(r, c) : "-", "kind",
        kind_label(r, subscription_kind_shown(p.db, c->order_id, c->kind)), "status", status,
        "status_label", status_label(r, status), "receipt_no",
        c->receipt_no[0] ? c->receipt_no : "-", "subject", dn, "sans", sans_of(d), "not_before", nb,
        "not_after", na, "server_software", d->server_software ? d->server_software : "-",
        "tdb_code", d->tdb_code ? d->tdb_code : "-", "root",
        i18n_text(r->lang, strcmp(c->root, "b") == 0 ? "certs.root.b" : "certs.root.a"),
        "fingerprint", fp, "downloadable", strcmp(status, "revoked") != 0, "formats",
        formats_json(r, c->serial, 0), "mailed", mailed_label, "email", p.user->email, "org",
        org_name(r, c));
    /* issue 8 item 8: a subscription longer than the certificate says so */
    struct product_row prod;
    struct buf note = BUF_INIT;
    if (c->product_code[0] && products_get_by_code(p.db, c->product_code, &prod, NULL) == 0)
        pf_term_note(&note, r->lang, prod.term_months, (time_t)c->not_before,
                     (int)((c->not_after - c->not_before + 1) / 86400));
    json_object_set_new(data, "term_note", json_string(note.p ? note.p : ""));
    buf_free(&note);
    revoke_page_data(r, &p, c->serial, c->state, c->not_after, data); /* issue 9 item 4 */
    /* R-REV-1: a certificate whose revocation is scheduled says so, with the date */
    const char *when =
        json_string_value(json_object_get(json_object_get(data, "revoke"), "scheduled"));
    if (strcmp(status, "valid") == 0 && when != NULL && when[0] != '\0') {
        struct buf lbl = BUF_INIT;
        i18n_format(&lbl, r->lang, "certs.status.scheduled", when);
        json_object_set_new(data, "status", json_string("scheduled"));
        json_object_set_new(data, "status_label", json_string(lbl.p ? lbl.p : when));
        buf_free(&lbl);
    }
    /* R-REN-6: the subscription, its certificates and what comes next */
    json_object_set_new(data, "subscription", hs_cert_subscription(r, &p, c->id));
    reissue_page_data(r, &p, c->id, c->state, data); /* R-RI-7: reissue and history */
    group_page_data(r, &p, c->id, c->org_id, data);  /* issue 12 item 6: its group */
    http_reply_page(r, 200, "cert_detail", "certs.detail.title", data);
out:
    certlist_detail_row_free(d);
    portal_clear(&p);
}

void h_api_cert(struct req *r)
{
    struct portal p;
    struct certlist_detail_row *d = NULL;
    struct bundle b = {0};
    if (portal_or_reply(r, &p) < 0 || detail_or_reply(r, &p, &d) < 0)
        goto out;
    const struct certlist_row *c = &d->row;
    struct sm_err e = {0};
    char dn[1024], nb[32], na[32];
    subject_of(d, dn, sizeof dn);
    iso_utc(c->not_before, nb, sizeof nb);
    iso_utc(c->not_after, na, sizeof na);
    /* The PEM of the leaf: from ra/download like every other format (revoked: none). */
    int rc = download_get(p.db, &p.who.scope, c->serial, BUNDLE_PEM, &b, &e);
    if (rc < 0 && rc != -SM_E_CONFLICT) {
        internal(r, "certificate pem", &e);
        goto out;
    }
    json_t *pem = rc == 0 ? json_stringn((const char *)b.data, b.len) : json_null();
    json_t *j = json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:s, s:s?, "
        "s:s?, s:s?, s:s?, s:s?, s:o, s:o}",
        "serial", c->serial, "cn", c->cn ? c->cn : "", "names", sans_of(d), "status",
        status_of(c, clock_now()), "receipt_no", c->receipt_no, "kind", c->kind, "level", c->level,
        "root", c->root, "product", "code", c->product_code, "name_ja", c->product_ja, "name_en",
        c->product_en, "subject", dn, "not_before", nb, "not_after", na, "sha256",
        d->sha256 ? d->sha256 : "", "server_software", d->server_software, "tdb_code", d->tdb_code,
        "organization_ja", c->org_name_ja, "organization_en", c->org_name_en, "department", c->dept,
        "pem", pem, "downloads", formats_json(r, c->serial, 1));
    http_reply_json(r, 200, j);
out:
    bundle_clear(&b);
    certlist_detail_row_free(d);
    portal_clear(&p);
}

/* ---- downloads (R-DL-1) ---- */

/* The format fmt_text into *f, or answers 404 (a certificate the caller may not see, whatever
 * the format) or 400. */
static int format_or_reply(struct req *r, const struct portal *p, const char *fmt_text,
                           enum bundle_format *f)
{
    struct sm_err e = {0};
    if (fmt_text != NULL && bundle_format_parse(fmt_text, f, &e) == 0)
        return 0;
    /* Another organization's certificate stays 404 whatever the format. */
    struct certlist_detail_row *d = NULL;
    if (detail_or_reply(r, p, &d) < 0)
        return -1;
    certlist_detail_row_free(d);
    return http_reply_error(r, 400, "certs.err.format", "format"), -1;
}

/* Answers a failed ra/download call: 404 for a serial the caller may not have (or a
 * malformed one), 409 for a revoked certificate, 500 otherwise. */
static void download_failed(struct req *r, int rc, const struct sm_err *e, const char *what)
{
    if (rc == -SM_E_NOTFOUND || (rc == -SM_E_INVALID && strcmp(e->field, "serial") == 0))
        http_reply_error(r, 404, "certs.err.notfound", NULL);
    else if (rc == -SM_E_CONFLICT)
        http_reply_error(r, 409, "certs.err.revoked", "state");
    else
        internal(r, what, e);
}

/* The bundle of the route's :serial in format fmt_text, or answers 400/404/409/500. */
static int bundle_or_reply(struct req *r, const struct portal *p, const char *fmt_text,
                           struct bundle *b)
{
    enum bundle_format f;
    struct sm_err e = {0};
    if (format_or_reply(r, p, fmt_text, &f) < 0)
        return -1;
    int rc = download_get(p->db, &p->who.scope, req_param(r, "serial"), f, b, &e);
    if (rc < 0) {
        download_failed(r, rc, &e, "certificate download");
        return -1;
    }
    return 0;
}

void h_cert_download(struct req *r)
{
    struct portal p;
    struct bundle b = {0};
    if (portal_or_reply(r, &p) < 0 || bundle_or_reply(r, &p, req_param(r, "format"), &b) < 0)
        goto out;
    r->attachment = b.filename;
    http_reply(r, 200, b.media_type, b.data, b.len);
    r->attachment = NULL;
out:
    bundle_clear(&b);
    portal_clear(&p);
}

void h_api_cert_download(struct req *r) { h_cert_download(r); }

/* POST /certificates/:serial/mail (format): the chosen format as an attachment to the
 * logged-in user's address (ra/download's download_mail: checks, mail and audit record in
 * one transaction); then back to the detail page. */
void h_cert_mail(struct req *r)
{
    struct portal p;
    enum bundle_format f;
    if (portal_or_reply(r, &p) < 0 || format_or_reply(r, &p, req_form_text(r, "format"), &f) < 0)
        goto out;
    struct sm_err e = {0};
    const struct bundle_format_info *fi = bundle_format_info(f);
    const char *lang = strcmp(p.user->locale, "en") == 0 ? "en" : "ja";
    char serial[CERTS_SERIAL_HEX_MAX], key[48], actor[40];
    snprintf(key, sizeof key, "certs.fmt.%s", fi->key);
    snprintf(actor, sizeof actor, "user:%lld", (long long)p.user->id);
    struct download_mail_req m = {.scope = &p.who.scope,
                                  .serial = req_param(r, "serial"),
                                  .format = f,
                                  .to = p.user->email,
                                  .lang = lang,
                                  .format_label = i18n_text(lang, key),
                                  .actor = actor};
    int rc = download_mail(p.db, &m, NULL, &e);
    if (rc == 0)
        rc = download_serial_norm(m.serial, serial, &e);
    if (rc < 0) {
        download_failed(r, rc, &e, "certificate mail");
        goto out;
    }
    char loc[128];
    snprintf(loc, sizeof loc, "/certificates/%s?mailed=%s", serial, fi->key);
    http_redirect(r, 303, loc);
out:
    portal_clear(&p);
}
