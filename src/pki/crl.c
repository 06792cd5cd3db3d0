/* SPDX-License-Identifier: MIT */
/* Full CRLs (see crl.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/sha256.h"
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

/* The INTEGER of a positive serial in lower-case hex (crl_lint checked it): its content
 * length and, when out is not NULL, the whole element at out (at most 2 + 21 bytes).
 * Leading zero digits are dropped; a 00 octet goes first when the top bit is set. */
static size_t der_serial(unsigned char *out, const char *hex)
{
    while (hex[0] == '0' && hex[1] != '\0')
        hex++;
    size_t nd = strlen(hex), bytes = (nd + 1) / 2;
    int pad = nd % 2 == 0 && hexval(hex[0]) >= 8;
    size_t len = bytes + (size_t)pad;
    if (out == NULL)
        return 2 + len;
    unsigned char *w = out + 2;
    out[0] = 0x02;
    out[1] = (unsigned char)len;
    if (pad)
        *w++ = 0;
    size_t i = 0;
    if (nd % 2)
        *w++ = (unsigned char)hexval(hex[i++]);
    for (; i < nd; i += 2)
        *w++ = (unsigned char)(hexval(hex[i]) << 4 | hexval(hex[i + 1]));
    return 2 + len;
}

static void two(unsigned char *p, int v)
{
    p[0] = (unsigned char)('0' + v / 10 % 10);
    p[1] = (unsigned char)('0' + v % 10);
}

#define GENERALIZED_FROM 2524608000 /* 2050-01-01T00:00:00Z */

/* Time (RFC 5280 5.1.2.4): UTCTime through 2049, GeneralizedTime from 2050; 15 or 17
 * bytes. t > 0 (crl_lint). The civil date is computed here (days to year/month/day,
 * H. Hinnant's algorithm) rather than with gmtime_r, which takes a lock on every call. */
static size_t der_time(unsigned char *p, int64_t t)
{
    int64_t days = t / 86400, sec = t % 86400;
    int64_t z = days + 719468, era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int day = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    int year = (int)(yoe + era * 400 + (mon <= 2));
    size_t k = 2;
    if (t < GENERALIZED_FROM) {
        p[0] = 0x17;
        p[1] = 13;
    } else {
        p[0] = 0x18;
        p[1] = 15;
        two(p + k, year / 100);
        k += 2;
    }
    two(p + k, year % 100);
    two(p + k + 2, mon);
    two(p + k + 4, day);
    two(p + k + 6, (int)(sec / 3600));
    two(p + k + 8, (int)(sec / 60 % 60));
    two(p + k + 10, (int)(sec % 60));
    p[k + 12] = 'Z';
    return k + 13;
}

static const unsigned char reason_ext[] = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55,
                                           0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01};

/* Content length of an entry (serial, date, reasonCode only when not unspecified): below
 * 128, so its SEQUENCE header is always 2 bytes. */
static size_t entry_len(const struct crl_entry *en)
{
    return der_serial(NULL, en->serial) + (en->revoked_at < GENERALIZED_FROM ? 15 : 17) +
           (en->reason != 0 ? sizeof reason_ext + 1 : 0);
}

/* One revokedCertificates entry: SEQUENCE { userCertificate, revocationDate,
 * crlEntryExtensions { reasonCode } only when the reason is not unspecified }. */
static unsigned char *der_entry(unsigned char *p, const struct crl_entry *en)
{
    unsigned char *body = p + 2;
    size_t k = der_serial(body, en->serial);
    k += der_time(body + k, en->revoked_at);
    if (en->reason != 0) {
        memcpy(body + k, reason_ext, sizeof reason_ext);
        k += sizeof reason_ext;
        body[k++] = (unsigned char)en->reason;
    }
    p[0] = 0x30;
    p[1] = (unsigned char)k;
    return body + k;
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

/* Where the entries go in the skeleton's TBS = SEQUENCE { version, signature, issuer,
 * thisUpdate, nextUpdate, [0] extensions }: *hdr its header, *at the end of nextUpdate. */
static int tbs_split(const unsigned char *tbs, size_t tlen, size_t *hdr, size_t *at)
{
    if (der_element(tbs, tlen, hdr) != tlen || tbs[0] != 0x30)
        return 0;
    *at = *hdr;
    for (int i = 0; i < 5; i++) {
        size_t el = der_element(tbs + *at, tlen - *at, NULL);
        if (el == 0)
            return 0;
        *at += el;
    }
    return 1;
}

#define OUTER_ROOM 6    /* the largest CertificateList header: tag, 0x84, 4 length octets */
#define SIG_MAX    1024 /* the largest signature value (RSA 8192) */

/* The whole CertificateList in one buffer: the TBS is written at OUTER_ROOM with the
 * entries spliced in, signed in place, followed by the algorithm and the signature; then
 * the outer header goes in front and the result is moved to the start. */
static int encode(const struct crl_params *p, const struct crl_entry *v, size_t n,
                  const unsigned char *tbs, size_t tlen, const unsigned char *alg, size_t alen,
                  unsigned char **der, size_t *len, struct sm_err *e)
{
    size_t hdr = 0, at = 0, list = 0;
    if (!tbs_split(tbs, tlen, &hdr, &at))
        return sm_err_set(e, SM_E_CRYPTO, "crl", "cannot encode the CRL");
    for (size_t i = 0; i < n; i++)
        list += 2 + entry_len(&v[i]);
    size_t rev = n > 0 ? 1 + der_len_size(list) + list : 0; /* left out when empty */
    size_t body = tlen - hdr + rev;
    size_t tbs_total = 1 + der_len_size(body) + body;
    size_t cap = OUTER_ROOM + tbs_total + alen + 8 + SIG_MAX;
    unsigned char *buf = OPENSSL_malloc(cap), *w = buf ? buf + OUTER_ROOM : NULL;
    if (buf == NULL)
        return sm_err_set(e, SM_E_NOMEM, "crl", "out of memory");
    w += der_header(w, 0x30, body);
    memcpy(w, tbs + hdr, at - hdr);
    w += at - hdr;
    if (n > 0) {
        w += der_header(w, 0x30, list);
        for (size_t i = 0; i < n; i++)
            w = der_entry(w, &v[i]);
    }
    memcpy(w, tbs + at, tlen - at);
    w += tlen - at;
    if ((size_t)(w - buf) != OUTER_ROOM + tbs_total) {
        OPENSSL_free(buf);
        return sm_err_set(e, SM_E_INTERNAL, "crl", "CRL length mismatch");
    }
    unsigned char *sig = NULL;
    size_t slen = 0;
    int rc = signer_sign(p->signer, buf + OUTER_ROOM, tbs_total, &sig, &slen, e);
    if (rc == 0 && slen > SIG_MAX)
        rc = sm_err_set(e, SM_E_CRYPTO, "crl", "signature too long");
    if (rc < 0) {
        OPENSSL_free(sig);
        OPENSSL_free(buf);
        return rc;
    }
    memcpy(w, alg, alen);
    w += alen;
    w += der_header(w, 0x03, slen + 1);
    *w++ = 0; /* no unused bits */
    memcpy(w, sig, slen);
    w += slen;
    OPENSSL_free(sig);
    size_t outer = (size_t)(w - buf) - OUTER_ROOM;
    size_t oh = 1 + der_len_size(outer);
    der_header(buf + OUTER_ROOM - oh, 0x30, outer);
    memmove(buf, buf + OUTER_ROOM - oh, oh + outer);
    *der = buf;
    *len = oh + outer;
    return 0;
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
    unsigned char *tbs = NULL, *alg = NULL;
    int tlen = 0, alen = 0;
    if (rc == 0) {
        const X509_ALGOR *a = NULL;
        X509_CRL_get0_signature(crl, NULL, &a);
        tlen = i2d_re_X509_CRL_tbs(crl, &tbs);
        alen = a != NULL ? i2d_X509_ALGOR(a, &alg) : -1;
        if (tlen <= 0 || alen <= 0)
            rc = sm_err_openssl(e, "CRL encoding");
    }
    if (rc == 0)
        rc = encode(p, v, n, tbs, (size_t)tlen, alg, (size_t)alen, der, len, e);
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
    int ok = l > 0 && sha256_digest(spki, (size_t)l, md) == 0;
    OPENSSL_free(spki);
    X509_free(x);
    if (!ok)
        return -1;
    text_hex(hex, md, 32);
    return 0;
}
