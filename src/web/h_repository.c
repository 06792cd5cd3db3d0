/* SPDX-License-Identifier: MIT */
/* GET /repository/NAME: the CA repository. CA certificates in DER and PEM come from the
 * folder DIR/repository that `shomei init` writes: names matching [a-z0-9-]+\.(crt|pem),
 * regular files only, no symbolic links. NAME.crl is the CRL the database holds
 * (ra/crl.h crl_published), the same on every node, whichever node signed it; a .crl file
 * in the folder is never served in its place.
 * GET /repository: the repository's page (BR 2.1, 2.2): its documents, every CA certificate
 * with its fingerprint and downloads, and where revocation is published.
 * GET /repository/cps, /subscriber-agreement, /privacy: the documents certificates and the
 * application wizard link to, as pages in the reader's language: the operator's text file
 * DIR/documents/NAME.LANG.txt when there is one, else the built-in demo CA text
 * (web/documents/); first line the heading, paragraphs apart by blank lines. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdlib.h>

#include <openssl/x509.h>

#include "core/asset.h"
#include "core/log.h"
#include "pki/ca.h"
#include "ra/crl.h"
#include "store/cas.h"
#include "web/h_lifecycle.h"
#include "web/h_portal.h"
#include "web/handlers.h"

#define REPO_FILE_MAX ((off_t)64 << 20)

/* The Content-Type for a valid repository file name, or NULL. */
static const char *repo_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name)
        return NULL;
    for (const char *p = name; p < dot; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return NULL;
    if (strcmp(dot, ".crt") == 0)
        return "application/pkix-cert";
    if (strcmp(dot, ".crl") == 0)
        return "application/pkix-crl";
    if (strcmp(dot, ".pem") == 0)
        return "application/x-pem-file";
    return NULL;
}

/* NAME.crl from the database: "dv", "dv-3" (repo_type checked the characters). */
static void reply_crl(struct req *r, const char *name, const char *type)
{
    size_t stem = strlen(name) - 4;
    char issuer[8];
    if (stem == 0 || stem >= sizeof issuer) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    memcpy(issuer, name, stem);
    issuer[stem] = '\0';
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    unsigned char *der = NULL;
    size_t len = 0;
    struct sm_err e = {0};
    int rc = crl_published(db, issuer, &der, &len, &e);
    if (rc < 0)
        http_reply_err(r, &e);
    else if (rc > 0)
        http_reply_error(r, 404, "web.notfound", NULL);
    else
        http_reply(r, 200, type, der, len);
    free(der);
}

void h_repository(struct req *r)
{
    const char *name = req_param(r, "name");
    const char *type = name ? repo_type(name) : NULL;
    if (type != NULL && strcmp(type, "application/pkix-crl") == 0) {
        reply_crl(r, name, type);
        return;
    }
    char rel[300], path[4096];
    int n = type ? snprintf(rel, sizeof rel, "repository/%s", name) : -1;
    if (n < 0 || (size_t)n >= sizeof rel || config_path(r->web->cfg, rel, path, sizeof path) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("repository file unreadable", "path", path, "error", strerror(errno));
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > REPO_FILE_MAX) {
        close(fd);
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    http_reply_fd(r, 200, type, fd, (size_t)st.st_size);
}

/* ---- the repository's page ---- */

/* 1 when DIR/repository/NAME.EXT is a regular file GET /repository/NAME.EXT would serve. */
static int repo_has(const struct config *cfg, const char *name, const char *ext)
{
    char rel[300], path[4096];
    struct stat st;
    int n = snprintf(rel, sizeof rel, "repository/%s.%s", name, ext);
    return n > 0 && (size_t)n < sizeof rel && config_path(cfg, rel, path, sizeof path) == 0 &&
           lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* One CA of the page: names, kind, validity, fingerprint and the files that can be
 * downloaded. NULL when out of memory. */
static json_t *repo_ca(const struct config *cfg, const struct cas_row *c)
{
    const unsigned char *p = c->der;
    X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
    char cn[256] = "-", issuer[256] = "-", fp[65] = "-", from[16], until[16], level[4] = "";
    if (x != NULL) {
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) < 0)
            snprintf(cn, sizeof cn, "%s", c->name);
        if (X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName, issuer,
                                      sizeof issuer) < 0)
            ca_name_string(X509_get_issuer_name(x), issuer, sizeof issuer);
        ca_fingerprint(x, fp, sizeof fp);
        X509_free(x);
    }
    pf_date(c->not_before, from, sizeof from);
    pf_date(c->not_after, until, sizeof until);
    for (size_t i = 0; c->level != NULL && c->level[i] != '\0' && i < sizeof level - 1; i++)
        level[i] = (char)toupper((unsigned char)c->level[i]); /* DV, OV, EV */
    int root = strcmp(c->role, "root") == 0, cross = strcmp(c->role, "cross") == 0;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", c->name, "cn", cn,
                          "subject", c->subject ? c->subject : "-", "issuer", issuer, "level",
                          level, "from", from, "until", until, "sha256", fp);
    json_t *f = json_pack("{s:b, s:b, s:b, s:b, s:b}", "is_root", root, "is_cross", cross,
                          "is_intermediate", !root && !cross, "crt", repo_has(cfg, c->name, "crt"),
                          "pem", repo_has(cfg, c->name, "pem"));
    if (o == NULL || f == NULL || json_object_update(o, f) < 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(f);
    return o;
}

void h_repository_index(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct cas_row *rows = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (cas_list(db, &rows, &n, &e) < 0) {
        http_reply_err(r, &e);
        return;
    }
    json_t *cas = json_array(), *crls = json_array();
    int rc = cas && crls ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *c = repo_ca(r->web->cfg, &rows[i]);
        rc = c ? json_array_append_new(cas, c) : -1;
    }
    cas_rows_free(rows, n);
    json_t *urls = json_array();
    if (rc == 0 && (urls == NULL || web_crl_urls(r->web->cfg, db, urls) < 0))
        rc = -1;
    size_t k;
    json_t *u;
    json_array_foreach(urls, k, u)
    {
        if (rc == 0 && json_array_append_new(crls, json_pack("{s:O}", "url", u)) < 0)
            rc = -1;
    }
    json_decref(urls);
    /* the OCSP responder, when certificates name it (empty [ca] ocsp_url: they do not) */
    const char *ocsp = config_str(r->web->cfg, "ca", "ocsp_url");
    json_t *d = rc == 0 ? json_pack("{s:b, s:o, s:o, s:s}", "has_crls", json_array_size(crls) > 0,
                                    "cas", cas, "crls", crls, "ocsp_url", ocsp ? ocsp : "")
                        : NULL;
    if (d == NULL) {
        if (rc < 0) {
            json_decref(cas);
            json_decref(crls);
        }
        http_reply_error(r, 500, "err.internal", NULL);
        return;
    }
    http_reply_page(r, 200, "repository", "repo.title", d);
}

/* ---- documents (issue 8 item 2) ---- */

#define DOC_FILE_MAX ((off_t)256 << 10)

static const struct {
    const char *name, *title_key;
} documents[] = {{"cps", "doc.cps"},
                 {"subscriber-agreement", "portal.agreement"},
                 {"privacy", "portal.privacy"}};

/* The operator's DIR/documents/NAME.LANG.txt (malloc'ed, NUL-terminated), or NULL when
 * there is none or it cannot be used (logged). */
static char *doc_file(const struct config *cfg, const char *name, const char *lang)
{
    char rel[96], path[4096];
    snprintf(rel, sizeof rel, "documents/%s.%s.txt", name, lang);
    if (config_path(cfg, rel, path, sizeof path) < 0)
        return NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("document unreadable", "path", path, "error", strerror(errno));
        return NULL;
    }
    struct stat st;
    char *s = NULL;
    size_t got = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= DOC_FILE_MAX &&
        (s = malloc((size_t)st.st_size + 1)) != NULL) {
        ssize_t n;
        while (got < (size_t)st.st_size && (n = read(fd, s + got, (size_t)st.st_size - got)) > 0)
            got += (size_t)n;
        s[got] = '\0';
    }
    close(fd);
    if (s == NULL)
        log_warn("document not used (not a regular file, too large or no memory)", "path", path);
    return s;
}

/* Heading and paragraphs of text into d; -1 when the text is not valid UTF-8 text. */
static int doc_fill(json_t *d, const char *text)
{
    json_t *paras = json_array();
    struct buf para = BUF_INIT;
    int heading = 0, rc = paras ? 0 : -1;
    for (const char *p = text; rc == 0;) {
        size_t n = strcspn(p, "\n");
        size_t len = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
        if (len > 0 && !heading) {
            json_t *h = json_stringn(p, len);
            rc = h ? json_object_set_new(d, "heading", h) : -1;
            heading = 1;
        } else if (len > 0) {
            rc = buf_printf(&para, "%s%.*s", para.len ? "\n" : "", (int)len, p) < 0 ? -1 : 0;
        }
        if (rc == 0 && (len == 0 || p[n] == '\0') && para.len > 0) {
            json_t *t = json_stringn(para.p, para.len);
            rc = t ? json_array_append_new(paras, json_pack("{s:o}", "text", t)) : -1;
            buf_reset(&para);
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    buf_free(&para);
    if (rc == 0 && heading)
        return json_object_set_new(d, "paras", paras);
    json_decref(paras);
    return -1;
}

void h_document(struct req *r)
{
    const char *name = strrchr(r->path, '/');
    size_t i = 0, n = sizeof documents / sizeof documents[0];
    while (name != NULL && i < n && strcmp(name + 1, documents[i].name) != 0)
        i++;
    if (name == NULL || i == n) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    const char *lang = strcmp(r->lang, "en") == 0 ? "en" : "ja";
    json_t *d = json_pack("{s:s}", "name", documents[i].name);
    char *own = doc_file(r->web->cfg, documents[i].name, lang);
    if (d != NULL && own != NULL && doc_fill(d, own) < 0) {
        log_warn("operator document not valid UTF-8 text; the built-in one is shown", "name",
                 documents[i].name, "lang", lang);
        json_object_clear(d);
        json_object_set_new(d, "name", json_string(documents[i].name));
        free(own);
        own = NULL;
    }
    if (d != NULL && own == NULL) {
        char ap[96];
        snprintf(ap, sizeof ap, "web/documents/%s.%s.txt", documents[i].name, lang);
        const struct asset *a = asset_get(ap);
        if (a == NULL || doc_fill(d, (const char *)a->data) < 0) {
            json_decref(d);
            d = NULL;
        }
    }
    free(own);
    if (d == NULL) {
        http_reply_error(r, 500, "err.internal", NULL);
        return;
    }
    http_reply_page(r, 200, "document", documents[i].title_key, d);
}
