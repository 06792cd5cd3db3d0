/* SPDX-License-Identifier: MIT */
/* Full CRLs (see crl.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/text.h"
#include "pki/crl.h"
#include "pki/signer.h"

int crl_reason_allowed(int reason)
{
    return reason == 0 || reason == 1 || reason == 3 || reason == 4 || reason == 5 || reason == 9;
}

static int serial_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 40 && text_is_lower_hex(s, n);
}

int crl_lint(const struct crl_params *p, const struct crl_entry *v, size_t n, struct sm_err *e)
{
    if (p == NULL || p->issuer == NULL || p->signer == NULL)
        return sm_err_set(e, SM_E_LINT, "issuer", "no issuer or key");
    if (p->number <= 0)
        return sm_err_set(e, SM_E_LINT, "crl_number", "the CRL number must be positive");
    int64_t span = p->next_update - p->this_update;
    if (span <= 0 || span > CRL_MAX_VALIDITY)
        return sm_err_set(e, SM_E_LINT, "next_update",
                          "nextUpdate must be after thisUpdate and at most 10 days later");
    const char *md = signer_digest(p->signer);
    if (md == NULL || (strcmp(md, "SHA256") != 0 && strcmp(md, "SHA384") != 0))
        return sm_err_set(e, SM_E_LINT, "signature", "CRL digest must be SHA-256 or SHA-384");
    if (p->idp_url != NULL && (strncmp(p->idp_url, "http://", 7) != 0 || strlen(p->idp_url) > 1000))
        return sm_err_set(e, SM_E_LINT, "idp", "the distribution point must be an http:// URL");
    for (size_t i = 0; i < n; i++) {
        if (!serial_ok(v[i].serial))
            return sm_err_set(e, SM_E_LINT, "serial", "bad serial on the CRL");
        if (!crl_reason_allowed(v[i].reason))
            return sm_err_set(e, SM_E_LINT, "reason", "reason %d is not allowed on a CRL",
                              v[i].reason);
        if (v[i].revoked_at <= 0 || v[i].revoked_at > p->this_update)
            return sm_err_set(e, SM_E_LINT, "revoked_at",
                              "serial %s: revocation date after "
                              "thisUpdate",
                              v[i].serial);
    }
    return 0;
}

/* ---- the skeleton: everything but the entries, encoded by OpenSSL ---- */

static int set_time(X509_CRL *crl, int64_t t, int next)
{
    ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);
    if (a == NULL)
        return 0;
    int ok = next ? X509_CRL_set1_nextUpdate(crl, a) : X509_CRL_set1_lastUpdate(crl, a);
    ASN1_TIME_free(a);
    return ok;
}

/* Critical Issuing Distribution Point: distributionPoint fullName = url,
 * onlyContainsUserCerts (RFC 5280 5.2.5; the partition a certificate's CDP names). */
static int add_idp(X509_CRL *crl, const char *url)
{
    ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
    DIST_POINT_NAME *dpn = idp ? DIST_POINT_NAME_new() : NULL;
    GENERAL_NAME *gn = dpn ? GENERAL_NAME_new() : NULL;
    ASN1_IA5STRING *ia5 = gn ? ASN1_IA5STRING_new() : NULL;
    int ok = ia5 != NULL && ASN1_STRING_set(ia5, url, (int)strlen(url));
    if (ok) {
        GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
        ia5 = NULL;
        dpn->type = 0; /* fullName */
        ok = (dpn->name.fullname = GENERAL_NAMES_new()) != NULL &&
             sk_GENERAL_NAME_push(dpn->name.fullname, gn) > 0;
    }
    if (ok) {
        gn = NULL;
        idp->distpoint = dpn;
        dpn = NULL;
        idp->onlyuser = 1;
        ok = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0) > 0;
    }
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(gn);
    DIST_POINT_NAME_free(dpn);
    ISSUING_DIST_POINT_free(idp);
    return ok;
}

static int add_extensions(X509_CRL *crl, const struct crl_params *p)
{
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    int ok = num != NULL && ASN1_INTEGER_set_int64(num, p->number) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) > 0;
    ASN1_INTEGER_free(num);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(p->issuer);
    AUTHORITY_KEYID *aki = ok ? AUTHORITY_KEYID_new() : NULL;
    ok = aki != NULL && ski != NULL && (aki->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
         X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0) > 0;
    AUTHORITY_KEYID_free(aki);
    if (ok && p->idp_url != NULL)
        ok = add_idp(crl, p->idp_url);
    return ok;
}

/* ---- DER by hand: the revokedCertificates list (RFC 5280 5.1) ---- */

struct buf {
    unsigned char *p;
    size_t len, cap;
};

static int buf_room(struct buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    unsigned char *q = OPENSSL_realloc(b->p, cap);
    if (q == NULL)
        return 0;
    b->p = q;
    b->cap = cap;
    return 1;
}

/* Bytes of a DER length: 1 below 128, else 1 + the octets of n. */
static size_t der_len_size(size_t n)
{
    if (n < 0x80)
        return 1;
    size_t k = 1;
    for (size_t v = n; v > 0; v >>= 8)
        k++;
    return k;
}

/* Tag and length (definite, minimal) at p; returns the bytes written. */
static size_t der_header(unsigned char *p, unsigned char tag, size_t n)
{
    size_t k = der_len_size(n);
    p[0] = tag;
    if (k == 1) {
        p[1] = (unsigned char)n;
        return 2;
    }
    p[1] = (unsigned char)(0x80 | (k - 1));
    for (size_t i = 0; i < k - 1; i++)
        p[2 + i] = (unsigned char)(n >> (8 * (k - 2 - i)));
    return 1 + k;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* INTEGER of a positive serial in lower-case hex into p (at most 2 + 21 bytes). */
static size_t der_serial(unsigned char *p, const char *hex)
{
    unsigned char v[21];
    size_t n = strlen(hex), k = 0, i = 0;
    if (n % 2) {
        v[k++] = (unsigned char)hexval(hex[0]);
        i = 1;
    }
    for (; i < n; i += 2)
        v[k++] = (unsigned char)(hexval(hex[i]) << 4 | hexval(hex[i + 1]));
    size_t skip = 0;
    while (skip + 1 < k && v[skip] == 0 && !(v[skip + 1] & 0x80))
        skip++;
    int pad = (v[skip] & 0x80) != 0;
    size_t len = k - skip + (size_t)pad;
    p[0] = 0x02;
    p[1] = (unsigned char)len;
    if (pad)
        p[2] = 0;
    memcpy(p + 2 + pad, v + skip, k - skip);
    return 2 + len;
}

static void two(unsigned char *p, int v)
{
    p[0] = (unsigned char)('0' + v / 10 % 10);
    p[1] = (unsigned char)('0' + v % 10);
}

/* Time (RFC 5280 5.1.2.4): UTCTime through 2049, GeneralizedTime from 2050; 15 or 17
 * bytes, or 0 when t cannot be expressed. */
static size_t der_time(unsigned char *p, int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || tm.tm_year < 50 || tm.tm_year > 8099)
        return 0;
    int year = tm.tm_year + 1900;
    size_t k = 2;
    if (year < 2050) {
        p[0] = 0x17;
        p[1] = 13;
    } else {
        p[0] = 0x18;
        p[1] = 15;
        two(p + k, year / 100);
        k += 2;
    }
    two(p + k, year % 100);
    two(p + k + 2, tm.tm_mon + 1);
    two(p + k + 4, tm.tm_mday);
    two(p + k + 6, tm.tm_hour);
    two(p + k + 8, tm.tm_min);
    two(p + k + 10, tm.tm_sec);
    p[k + 12] = 'Z';
    return k + 13;
}

/* One revokedCertificates entry: SEQUENCE { userCertificate, revocationDate,
 * crlEntryExtensions { reasonCode } only when the reason is not unspecified }. */
static int der_entry(struct buf *b, const struct crl_entry *en)
{
    static const unsigned char reason_ext[] = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55,
                                               0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01};
    unsigned char body[64];
    size_t k = der_serial(body, en->serial);
    size_t tl = der_time(body + k, en->revoked_at);
    if (tl == 0)
        return 0;
    k += tl;
    if (en->reason != 0) {
        memcpy(body + k, reason_ext, sizeof reason_ext);
        k += sizeof reason_ext;
        body[k++] = (unsigned char)en->reason;
    }
    if (!buf_room(b, k + 2))
        return 0;
    b->len += der_header(b->p + b->len, 0x30, k);
    memcpy(b->p + b->len, body, k);
    b->len += k;
    return 1;
}

/* Length of the element at p (tag + length + content) within n bytes; 0 if malformed. */
static size_t der_element(const unsigned char *p, size_t n, size_t *hdr)
{
    if (n < 2)
        return 0;
    size_t len = p[1], h = 2;
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 4 || n < 2 + k)
            return 0;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = len << 8 | p[2 + i];
        h += k;
    }
    if (hdr != NULL)
        *hdr = h;
    return h + len <= n ? h + len : 0;
}

/* tbs = SEQUENCE { version, signature, issuer, thisUpdate, nextUpdate, [0] extensions }
 * as OpenSSL encoded it without entries; the result puts rev (a whole revokedCertificates
 * SEQUENCE, or nothing when empty) after nextUpdate. */
static int splice(const unsigned char *tbs, size_t tlen, const struct buf *rev, struct buf *out)
{
    size_t hdr = 0;
    if (der_element(tbs, tlen, &hdr) != tlen || tbs[0] != 0x30)
        return 0;
    size_t at = hdr;
    for (int i = 0; i < 5; i++) {
        size_t el = der_element(tbs + at, tlen - at, NULL);
        if (el == 0)
            return 0;
        at += el;
    }
    size_t body = tlen - hdr + rev->len;
    if (!buf_room(out, body + 8))
        return 0;
    out->len = der_header(out->p, 0x30, body);
    memcpy(out->p + out->len, tbs + hdr, at - hdr);
    out->len += at - hdr;
    if (rev->len > 0)
        memcpy(out->p + out->len, rev->p, rev->len);
    out->len += rev->len;
    memcpy(out->p + out->len, tbs + at, tlen - at);
    out->len += tlen - at;
    return 1;
}

/* revokedCertificates: SEQUENCE OF entries, in the order given; empty when n = 0 (the
 * field is then left out, RFC 5280 5.1.2.6). */
static int der_revoked(const struct crl_entry *v, size_t n, struct buf *rev)
{
    if (n == 0)
        return 1;
    struct buf list = {0};
    int ok = buf_room(&list, n * 48 + 16);
    for (size_t i = 0; ok && i < n; i++)
        ok = der_entry(&list, &v[i]);
    if (ok && (ok = buf_room(rev, list.len + 8))) {
        rev->len = der_header(rev->p, 0x30, list.len);
        memcpy(rev->p + rev->len, list.p, list.len);
        rev->len += list.len;
    }
    OPENSSL_free(list.p);
    return ok;
}

/* CertificateList = SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }. */
static int assemble(const struct buf *tbs, const unsigned char *alg, size_t alen,
                    const unsigned char *sig, size_t slen, struct buf *out)
{
    size_t bits = 1 + der_len_size(slen + 1) + slen + 1; /* tag, length, unused-bits octet */
    size_t body = tbs->len + alen + bits;
    if (!buf_room(out, body + 8))
        return 0;
    out->len = der_header(out->p, 0x30, body);
    memcpy(out->p + out->len, tbs->p, tbs->len);
    out->len += tbs->len;
    memcpy(out->p + out->len, alg, alen);
    out->len += alen;
    out->len += der_header(out->p + out->len, 0x03, slen + 1);
    out->p[out->len++] = 0; /* no unused bits */
    memcpy(out->p + out->len, sig, slen);
    out->len += slen;
    return 1;
}

int crl_sign(const struct crl_params *p, const struct crl_entry *v, size_t n, unsigned char **der,
             size_t *len, struct sm_err *e)
{
    *der = NULL;
    *len = 0;
    int rc = crl_lint(p, v, n, e);
    if (rc < 0)
        return rc;
    /* The skeleton: signed once by OpenSSL so that it carries the signature algorithm the
     * signer uses; its TBS is then re-encoded with the entries and signed again. */
    X509_CRL *crl = X509_CRL_new();
    int ok = crl != NULL && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->issuer)) &&
             set_time(crl, p->this_update, 0) && set_time(crl, p->next_update, 1) &&
             add_extensions(crl, p);
    if (!ok)
        rc = sm_err_openssl(e, "CRL");
    if (rc == 0)
        rc = signer_sign_crl(p->signer, crl, e);
    unsigned char *tbs = NULL, *alg = NULL, *sig = NULL;
    int tlen = 0, alen = 0;
    size_t slen = 0;
    struct buf rev = {0}, full = {0}, out = {0};
    if (rc == 0) {
        const X509_ALGOR *a = NULL;
        X509_CRL_get0_signature(crl, NULL, &a);
        tlen = i2d_re_X509_CRL_tbs(crl, &tbs);
        alen = a != NULL ? i2d_X509_ALGOR(a, &alg) : -1;
        if (tlen <= 0 || alen <= 0)
            rc = sm_err_openssl(e, "CRL encoding");
    }
    if (rc == 0 && !der_revoked(v, n, &rev))
        rc = sm_err_set(e, SM_E_NOMEM, "crl", "cannot encode the revoked certificates");
    if (rc == 0 && !splice(tbs, (size_t)tlen, &rev, &full))
        rc = sm_err_set(e, SM_E_CRYPTO, "crl", "cannot encode the CRL");
    if (rc == 0)
        rc = signer_sign_bytes(p->signer, full.p, full.len, &sig, &slen, e);
    if (rc == 0 && !assemble(&full, alg, (size_t)alen, sig, slen, &out))
        rc = sm_err_set(e, SM_E_NOMEM, "crl", "out of memory");
    if (rc == 0) {
        *der = out.p;
        *len = out.len;
        out.p = NULL;
    }
    OPENSSL_free(out.p);
    OPENSSL_free(full.p);
    OPENSSL_free(rev.p);
    OPENSSL_free(sig);
    OPENSSL_free(alg);
    OPENSSL_free(tbs);
    X509_CRL_free(crl);
    return rc;
}

int pki_cert_spki_sha256(const unsigned char *der, size_t len, char hex[65])
{
    const unsigned char *p = der;
    X509 *x = der ? d2i_X509(NULL, &p, (long)len) : NULL;
    unsigned char *spki = NULL, md[32];
    int l = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki) : -1;
    int ok = l > 0 && EVP_Digest(spki, (size_t)l, md, NULL, EVP_sha256(), NULL);
    OPENSSL_free(spki);
    X509_free(x);
    if (!ok)
        return -1;
    text_hex(hex, md, 32);
    return 0;
}
