/* SPDX-License-Identifier: MIT */
/* R-DL-2: the install check's judgement (ra/check.h). */
#include "ra/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net/fetch.h"
#include "net/tlscheck.h"
#include "ra/issuer.h"
#include "store/cas.h"
#include "store/certs.h"

__attribute__((format(printf, 3, 4))) static void add(struct check_report *rep, const char *code,
                                                      const char *fmt, ...)
{
    if (rep->n >= CHECK_MAX_FINDINGS)
        return;
    struct check_finding *f = &rep->f[rep->n++];
    f->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
}

static X509 *parse(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    return d2i_X509(NULL, &p, (long)len);
}

static int64_t asn1_time_t(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* The serial as store/certs keeps it: lower-case hex without leading zeros. */
static void serial_hex(X509 *x, char *out, size_t n)
{
    out[0] = '\0';
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *h = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (h != NULL) {
        const char *s = h;
        while (*s == '0' && s[1] != '\0')
            s++;
        size_t k = 0;
        for (; s[k] != '\0' && k + 1 < n; k++)
            out[k] = (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] - 'A' + 'a' : s[k]);
        out[k] = '\0';
    }
    OPENSSL_free(h);
    BN_free(bn);
}

static int same_der(X509 *a, const unsigned char *der, size_t len)
{
    unsigned char *p = NULL;
    int n = i2d_X509(a, &p);
    int same = n > 0 && (size_t)n == len && memcmp(p, der, len) == 0;
    OPENSSL_free(p);
    return same;
}

/* Which of our CA rows signed the leaf: its index in rows, or -1. */
static int our_issuer(X509 *leaf, const struct cas_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        X509 *ca = parse(rows[i].der, rows[i].der_len);
        int hit = 0;
        if (ca != NULL &&
            X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(leaf)) == 0) {
            EVP_PKEY *k = X509_get0_pubkey(ca);
            hit = k != NULL && X509_verify(leaf, k) == 1;
        }
        X509_free(ca);
        ERR_clear_error();
        if (hit)
            return (int)i;
    }
    return -1;
}

/* The chain judgement for one of our certificates: served[1] against the intermediate
 * of its level under root A and root B. */
static int judge_chain(struct db *db, const struct tlscheck_result *t, X509 *leaf,
                       struct check_report *rep, struct sm_err *e)
{
    if (t->ncerts < 2) {
        add(rep, "chain.missing_intermediate", "only the server certificate is sent");
        return 0;
    }
    const char *want = strcmp(rep->root, "b") == 0 ? "b" : "a";
    const char *other = want[0] == 'a' ? "b" : "a";
    STACK_OF(X509) *w = NULL, *o = NULL;
    int rc = issuer_chain(db, rep->level, want, &w, e);
    if (rc == 0)
        rc = issuer_chain(db, rep->level, other, &o, e);
    if (rc < 0) {
        sk_X509_pop_free(w, X509_free);
        sk_X509_pop_free(o, X509_free);
        return rc;
    }
    if (w != NULL && sk_X509_num(w) > 0 &&
        same_der(sk_X509_value(w, 0), t->der[1], t->der_len[1])) {
        /* the wanted intermediate: right */
    } else if (o != NULL && sk_X509_num(o) > 0 &&
               same_der(sk_X509_value(o, 0), t->der[1], t->der_len[1])) {
        if (want[0] == 'a')
            add(rep, "chain.cross_root",
                "the cross-certificate to root B is sent; this certificate wants the 3-tier "
                "chain under root A");
        else
            add(rep, "chain.wrong_intermediate",
                "the intermediate under root A is sent; this certificate wants the "
                "cross-certificate to root B");
    } else {
        X509 *mid = parse(t->der[1], t->der_len[1]);
        int issued = mid != NULL && X509_check_issued(mid, leaf) == X509_V_OK;
        X509_free(mid);
        if (issued)
            add(rep, "chain.wrong_intermediate", "the intermediate sent is not this CA's one");
        else
            add(rep, "chain.missing_intermediate",
                "the second certificate sent did not issue the server certificate");
    }
    sk_X509_pop_free(w, X509_free);
    sk_X509_pop_free(o, X509_free);
    return 0;
}

static int judge(struct db *db, const struct tlscheck_result *t, time_t now,
                 struct check_report *rep, struct sm_err *e)
{
    X509 *leaf = parse(t->der[0], t->der_len[0]);
    if (leaf == NULL) {
        ERR_clear_error();
        add(rep, "cert.unreadable", "the server certificate cannot be parsed");
        return 0;
    }
    serial_hex(leaf, rep->serial, sizeof rep->serial);
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, rep->subject_cn,
                              sizeof rep->subject_cn);
    rep->not_before = asn1_time_t(X509_get0_notBefore(leaf));
    rep->not_after = asn1_time_t(X509_get0_notAfter(leaf));
    if ((int64_t)now > rep->not_after)
        add(rep, "cert.expired", "expired %lld seconds ago",
            (long long)((int64_t)now - rep->not_after));
    else if ((int64_t)now < rep->not_before)
        add(rep, "cert.not_yet_valid", "valid only from %lld", (long long)rep->not_before);
    const char *sn = rep->servername;
    int match = fetch_addr_class_text(sn) >= 0 ? X509_check_ip_asc(leaf, sn, 0)
                                               : X509_check_host(leaf, sn, 0, 0, NULL);
    if (match != 1)
        add(rep, "name.mismatch", "the certificate does not name %s", sn);
    int rc = 0;
    struct cas_row *cas = NULL;
    size_t ncas = 0;
    if (db != NULL && (rc = cas_list(db, &cas, &ncas, e)) < 0)
        goto out;
    int ci = our_issuer(leaf, cas, ncas);
    if (ci < 0) {
        add(rep, "cert.foreign_ca", "issued by another CA");
        goto out;
    }
    rep->ours = 1;
    struct certs_row *c = NULL;
    rc = certs_get(db, rep->serial, &c, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        rc = 0;
        add(rep, "cert.unknown", "serial %s is not in this CA's records", rep->serial);
        snprintf(rep->level, sizeof rep->level, "%s", cas[ci].level != NULL ? cas[ci].level : "");
        snprintf(rep->root, sizeof rep->root, "a");
    } else if (rc < 0) {
        goto out;
    } else {
        snprintf(rep->state, sizeof rep->state, "%s", c->state);
        snprintf(rep->level, sizeof rep->level, "%s", c->level);
        snprintf(rep->root, sizeof rep->root, "%s", c->root[0] ? c->root : "a");
        if (strcmp(c->state, "revoked") == 0)
            add(rep, "cert.revoked", "revoked (reason %lld)", (long long)c->revocation_reason);
        else if (strcmp(c->state, "revocation_scheduled") == 0)
            add(rep, "cert.revoked", "a revocation is scheduled");
        certs_row_free(c);
    }
    if (rep->level[0] != '\0')
        rc = judge_chain(db, t, leaf, rep, e);
out:
    cas_rows_free(cas, ncas);
    X509_free(leaf);
    return rc;
}

int check_install(struct db *db, const struct fetch_opts *o, const char *url,
                  const char *servername, time_t now, struct check_report *rep, struct sm_err *e)
{
    memset(rep, 0, sizeof *rep);
    snprintf(rep->url, sizeof rep->url, "%s", url != NULL ? url : "");
    struct tlscheck_result t;
    int rc = tlscheck_fetch(o, url, servername, &t);
    if (rc < 0) {
        tlscheck_result_free(&t);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    snprintf(rep->servername, sizeof rep->servername, "%s", t.servername);
    snprintf(rep->address, sizeof rep->address, "%s", t.address);
    snprintf(rep->tls_version, sizeof rep->tls_version, "%s", t.version);
    rep->port = t.port;
    rep->nchain = t.ncerts;
    if (t.reason != NULL)
        add(rep, t.reason, "%s", t.detail);
    else
        rc = judge(db, &t, now, rep, e);
    tlscheck_result_free(&t);
    if (rc < 0)
        return rc;
    if (rep->n == 0) {
        add(rep, "ok", "the certificate and its chain are served correctly");
        return 0;
    }
    return 1;
}

int check_install_cfg(struct db *db, const struct config *cfg, const char *url,
                      const char *servername, time_t now, struct check_report *rep,
                      struct sm_err *e)
{
    struct fetch_opts o;
    if (fetch_opts_from_config(cfg, &o, e) < 0)
        return -SM_E_CONFIG;
    return check_install(db, &o, url, servername, now, rep, e);
}

char *check_report_json(const struct check_report *rep)
{
    json_t *fs = json_array();
    int ok = rep->n == 1 && strcmp(rep->f[0].code, "ok") == 0;
    for (size_t i = 0; i < rep->n; i++)
        json_array_append_new(
            fs, json_pack("{s:s, s:s}", "code", rep->f[i].code, "detail", rep->f[i].detail));
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
                  "s:i, s:o}",
                  "url", rep->url, "servername", rep->servername, "address", rep->address, "port",
                  rep->port, "ok", ok, "ours", rep->ours, "serial", rep->serial, "cn",
                  rep->subject_cn, "state", rep->state, "level", rep->level, "root", rep->root,
                  "not_before", (json_int_t)rep->not_before, "not_after",
                  (json_int_t)rep->not_after, "chain_length", (int)rep->nchain, "findings", fs);
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}
