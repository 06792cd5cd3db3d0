/* SPDX-License-Identifier: MIT */
/* Certificate downloads (R-DL-1): serial → stored certificate → visibility and state →
 * chains of its level (only those the format needs) → pki/bundle → file name. An unknown
 * serial and another organization's certificate give the same error, byte for byte. The
 * re-download by mail checks the same way, then queues the mail and its audit record in the
 * one transaction. */
#include "ra/download.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "ra/issuer.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/outbox.h"

#define SERIAL_IN_MAX 128 /* 20 octets with ':' between them is 59 characters */
#define CN_NAME_MAX   64

int download_serial_norm(const char *in, char out[CERTS_SERIAL_HEX_MAX], struct sm_err *e)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0, seen = 0;
    out[0] = '\0';
    if (in == NULL || in[0] == '\0' || strlen(in) > SERIAL_IN_MAX)
        return sm_err_set(e, SM_E_INVALID, "serial", "serial must be 1 to 40 hex digits");
    for (const char *p = in; *p != '\0'; p++) {
        if (*p == ':')
            continue;
        int v = text_hex_value(*p);
        if (v < 0)
            return sm_err_set(e, SM_E_INVALID, "serial", "serial must be hex digits");
        seen++;
        if (v == 0 && n == 0)
            continue; /* leading zero */
        if (n + 1 >= CERTS_SERIAL_HEX_MAX)
            return sm_err_set(e, SM_E_INVALID, "serial", "serial longer than 20 octets");
        out[n++] = digits[v];
    }
    if (seen == 0)
        return sm_err_set(e, SM_E_INVALID, "serial", "serial must be 1 to 40 hex digits");
    if (n == 0)
        out[n++] = '0';
    out[n] = '\0';
    return 0;
}

void download_filename(const char *cn, const char *serial, enum bundle_format f, char *out,
                       size_t n)
{
    char name[CN_NAME_MAX + 1];
    size_t k = 0;
    for (const char *p = cn != NULL ? cn : ""; *p != '\0' && k < CN_NAME_MAX; p++) {
        char c = *p;
        if (c == '*') {
            if (k + 8 > CN_NAME_MAX)
                break;
            memcpy(name + k, "wildcard", 8);
            k += 8;
            continue;
        }
        if (c == '.' && k == 0)
            continue; /* no hidden files */
        int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == '_';
        name[k++] = safe ? c : '_';
    }
    name[k] = '\0';
    const struct bundle_format_info *fi = bundle_format_info(f);
    snprintf(out, n, "%s-%s.%s", k > 0 ? name : "certificate", serial != NULL ? serial : "",
             fi != NULL ? fi->suffix : "bin");
}

/* The certificate if the caller may have it; one error for every kind of "no". */
static int load_visible(struct db *db, const struct org_scope *scope, const char *serial,
                        struct certs_row **out, struct sm_err *e)
{
    struct certs_row *r = NULL;
    int rc = scope != NULL ? certs_get_scoped(db, serial, scope, &r, e) : -SM_E_NOTFOUND;
    if (rc < 0 && rc != -SM_E_NOTFOUND)
        return rc;
    if (rc == 0 &&
        org_scope_has(scope, r->org_id) && /* the SQL filtered already; kept as a guard */
        (strcmp(r->state, "issued") == 0 || strcmp(r->state, "revoked") == 0)) {
        *out = r;
        return 0;
    }
    certs_row_free(r);
    sm_err_clear(e); /* nothing of the store's message stays behind */
    return sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with this serial");
}

/* A stored certificate without a CA or chain that issued it: a server fault (500). */
static int stored_broken(struct sm_err *e, const char *serial)
{
    char detail[sizeof e->detail];
    snprintf(detail, sizeof detail, "%s", e != NULL ? e->detail : "");
    return sm_err_set(e, SM_E_INTERNAL, "certificate", "certificate %s: %s", serial, detail);
}

/* The bundle of the visible certificate r (norm: its serial) in format f, chained to root
 * (NULL = the certificate's root option). */
static int make_bundle(struct db *db, const struct certs_row *r, const char *norm,
                       enum bundle_format f, const char *root, struct bundle *out, struct sm_err *e)
{
    int rc = 0;
    STACK_OF(X509) *a = NULL, *b = NULL;
    if (root == NULL)
        root = r->root;
    if (strcmp(r->state, "issued") != 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s is %s, not issued", norm,
                        r->state);
    else if (r->der == NULL || r->der_len == 0)
        rc = sm_err_set(e, SM_E_INTERNAL, "certificate", "issued %s has no DER", norm);
    unsigned need = rc == 0 ? bundle_needs(f, root) : 0;
    if (rc == 0 && (need & BUNDLE_NEED_A))
        rc = issuer_chain(db, r->level, "a", &a, e);
    if (rc == 0 && (need & BUNDLE_NEED_B))
        rc = issuer_chain(db, r->level, "b", &b, e);
    if (rc == 0) {
        struct bundle_chains ch = {root, a, b};
        rc = bundle_make(f, r->der, r->der_len, &ch, out, e);
    }
    if (rc == -SM_E_INVALID || rc == -SM_E_NOTFOUND)
        rc = stored_broken(e, norm); /* the stored data, not the caller's input */
    if (rc == 0)
        download_filename(r->cn, r->serial, f, out->filename, sizeof out->filename);
    sk_X509_pop_free(a, X509_free);
    sk_X509_pop_free(b, X509_free);
    return rc;
}

int download_get(struct db *db, const struct org_scope *scope, const char *serial,
                 enum bundle_format f, struct bundle *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    char norm[CERTS_SERIAL_HEX_MAX];
    if (bundle_format_info(f) == NULL)
        return sm_err_set(e, SM_E_INVALID, "format", "unknown download format");
    int rc = download_serial_norm(serial, norm, e);
    if (rc < 0)
        return rc;
    struct certs_row *r = NULL;
    rc = load_visible(db, scope, norm, &r, e);
    if (rc < 0)
        return rc;
    rc = make_bundle(db, r, norm, f, NULL, out, e);
    certs_row_free(r);
    return rc;
}

int download_get_id(struct db *db, const struct org_scope *scope, int64_t cert_id,
                    enum bundle_format f, const char *root, struct bundle *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (bundle_format_info(f) == NULL)
        return sm_err_set(e, SM_E_INVALID, "format", "unknown download format");
    if (root != NULL && strcmp(root, "a") != 0 && strcmp(root, "b") != 0)
        return sm_err_set(e, SM_E_INVALID, "root", "root a or b");
    struct certs_row *c = NULL;
    int rc = certs_get_id(db, cert_id, &c, e);
    if (rc < 0)
        return rc == -SM_E_NOTFOUND
                   ? sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with this id")
                   : rc;
    char norm[CERTS_SERIAL_HEX_MAX];
    snprintf(norm, sizeof norm, "%s", c->serial);
    certs_row_free(c);
    struct certs_row *r = NULL;
    rc = load_visible(db, scope, norm, &r, e);
    if (rc == 0)
        rc = make_bundle(db, r, norm, f, root, out, e);
    certs_row_free(r);
    return rc;
}

static int mail_texts(const struct download_mail_req *m, const char *serial, const struct bundle *b,
                      char **vars, char **detail, struct sm_err *e)
{
    const struct bundle_format_info *fi = bundle_format_info(m->format);
    json_t *v = json_pack("{s:s, s:s, s:s}", "serial", serial, "format",
                          m->format_label != NULL ? m->format_label : fi->key, "file", b->filename);
    json_t *d = json_pack("{s:s, s:s}", "format", fi->key, "to", m->to != NULL ? m->to : "");
    *vars = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
    *detail = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(v);
    json_decref(d);
    if (*vars == NULL || *detail == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    return 0;
}

int download_mail(struct db *db, const struct download_mail_req *m, int64_t *outbox_id,
                  struct sm_err *e)
{
    char serial[CERTS_SERIAL_HEX_MAX], object[16 + CERTS_SERIAL_HEX_MAX];
    struct bundle b = {0};
    char *vars = NULL, *detail = NULL;
    int64_t id = 0;
    int rc = download_serial_norm(m->serial, serial, e);
    if (rc < 0)
        return rc;
    rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = download_get(db, m->scope, serial, m->format, &b, e);
    if (rc == 0)
        rc = mail_texts(m, serial, &b, &vars, &detail, e);
    if (rc == 0) {
        struct outbox_mail mail = {.to = m->to,
                                   .lang = m->lang,
                                   .tmpl = "cert_redownload",
                                   .vars_json = vars,
                                   .attach_name = b.filename,
                                   .attach = b.data,
                                   .attach_len = b.len,
                                   .attach_type = b.media_type};
        rc = outbox_enqueue(db, &mail, &id, e);
    }
    snprintf(object, sizeof object, "certificate:%s", serial);
    if (rc == 0)
        rc = audit_append(db, m->actor, "certificate.redownload_mail", object, detail, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        db_rollback(db);
    else if (outbox_id != NULL)
        *outbox_id = id;
    free(vars);
    free(detail);
    bundle_clear(&b);
    return rc;
}
