/* SPDX-License-Identifier: MIT */
/* Signers; see signer.h. Holds the private EVP_PKEY (a file key, or a token key whose
 * private operations are C_Sign calls, pki/p11) and a public-only copy; each signature gets
 * its own EVP_MD_CTX, so concurrent signing needs no lock here (pki/p11 serializes the
 * calls into one token session). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/failalloc.h"
#include "pki/keyfile.h"
#include "pki/p11.h"
#include "pki/signer.h"

struct signer {
    EVP_PKEY *priv;
    EVP_PKEY *pub;
    const char *md; /* "SHA256" / "SHA384" */
    enum keyfile_type type;
    int token;
    atomic_int refs;
    /* a file key's signing context, initialized once: each signature starts from a copy
     * of it instead of fetching the digest and signature methods again (bulk issuance);
     * with the AlgorithmIdentifier (DER) its signatures carry, as the provider gives it */
    EVP_MD_CTX *prepared;
    unsigned char algid[64];
    size_t algid_len;
};

static EVP_PKEY *public_copy(EVP_PKEY *key)
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(key, &der);
    if (len <= 0)
        return NULL;
    const unsigned char *p = der;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);
    return pub;
}

int signer_from_pkey(EVP_PKEY *key, struct signer **out, struct sm_err *e)
{
    *out = NULL;
    struct signer *s = sm_calloc(1, sizeof *s);
    if (s == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    s->pub = public_copy(key); /* a provider key even when key is a token's */
    if (s->pub != NULL && keyfile_type_of(s->pub, &s->type) < 0) {
        EVP_PKEY_free(s->pub);
        free(s);
        return sm_err_set(e, SM_E_INVALID, "key", "unsupported CA key type");
    }
    if (s->pub == NULL || !EVP_PKEY_up_ref(key)) {
        EVP_PKEY_free(s->pub);
        free(s);
        return sm_err_openssl(e, "public key");
    }
    s->md = s->type == KEYFILE_EC_P384 ? "SHA384" : "SHA256";
    s->priv = key;
    atomic_init(&s->refs, 1);
    *out = s;
    return 0;
}

/* The prepared context of a file key (a token key has none: each of its signatures
 * starts its own context, as the token's calls are made one at a time anyway). Without
 * one, signatures still work, each with a fresh context. */
static void prepare(struct signer *s)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    OSSL_PARAM p[] = {OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, s->algid,
                                                        sizeof s->algid),
                      OSSL_PARAM_construct_end()};
    if (c == NULL || EVP_DigestSignInit_ex(c, NULL, s->md, NULL, NULL, s->priv, NULL) != 1 ||
        EVP_PKEY_CTX_get_params(EVP_MD_CTX_get_pkey_ctx(c), p) != 1 || p[0].return_size == 0 ||
        p[0].return_size > sizeof s->algid) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    ERR_clear_error();
    s->prepared = c;
    s->algid_len = c != NULL ? p[0].return_size : 0;
}

int signer_open_file(const char *path, const char *pass, struct signer **out, struct sm_err *e)
{
    *out = NULL;
    EVP_PKEY *key = NULL;
    int rc = keyfile_read(path, pass, &key, e);
    if (rc < 0)
        return rc;
    rc = signer_from_pkey(key, out, e);
    EVP_PKEY_free(key);
    if (rc == 0)
        prepare(*out);
    return rc;
}

static int from_token_key(EVP_PKEY *key, struct signer **out, struct sm_err *e)
{
    int rc = signer_from_pkey(key, out, e);
    EVP_PKEY_free(key);
    if (rc == 0)
        (*out)->token = 1;
    return rc;
}

int signer_generate_token(const struct signer_hsm *hsm, const char *token, const char *object,
                          enum keyfile_type t, char *ref, size_t n, struct signer **out,
                          struct sm_err *e)
{
    *out = NULL;
    EVP_PKEY *key = NULL;
    int rc = p11_key_generate(hsm != NULL ? hsm->module : NULL, token, object, t,
                              hsm != NULL ? hsm->pin : NULL, ref, n, &key, e);
    return rc < 0 ? rc : from_token_key(key, out, e);
}

int signer_open_ref(const char *ref, const char *dir, const char *pass,
                    const struct signer_hsm *hsm, struct signer **out, struct sm_err *e)
{
    *out = NULL;
    if (strncmp(ref, "pkcs11:", 7) == 0) {
        EVP_PKEY *key = NULL;
        int rc = p11_key_open(hsm != NULL ? hsm->module : NULL, ref, hsm != NULL ? hsm->pin : NULL,
                              &key, e);
        return rc < 0 ? rc : from_token_key(key, out, e);
    }
    if (strncmp(ref, "file:", 5) != 0)
        return sm_err_set(e, SM_E_CONFIG, "key_ref", "unsupported key reference '%.80s'", ref);
    const char *p = ref + 5;
    char path[4096];
    int w = p[0] == '/' || dir == NULL ? snprintf(path, sizeof path, "%s", p)
                                       : snprintf(path, sizeof path, "%s/%s", dir, p);
    if (w < 0 || (size_t)w >= sizeof path)
        return sm_err_set(e, SM_E_TOO_LARGE, "key_ref", "key path too long");
    return signer_open_file(path, pass, out, e);
}

struct signer *signer_up_ref(struct signer *s)
{
    atomic_fetch_add(&s->refs, 1);
    return s;
}

void signer_free(struct signer *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) > 1)
        return;
    EVP_MD_CTX_free(s->prepared);
    EVP_PKEY_free(s->priv);
    EVP_PKEY_free(s->pub);
    free(s);
}

EVP_PKEY *signer_public(const struct signer *s) { return s->pub; }
const char *signer_digest(const struct signer *s) { return s->md; }
enum keyfile_type signer_type(const struct signer *s) { return s->type; }
int signer_in_token(const struct signer *s) { return s->token; }

static int sign_ctx(struct signer *s, EVP_MD_CTX **out, struct sm_err *e)
{
    *out = EVP_MD_CTX_new();
    if (*out == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (s->prepared != NULL && EVP_MD_CTX_copy_ex(*out, s->prepared) == 1)
        return 0;
    ERR_clear_error();
    EVP_MD_CTX_reset(*out);
    if (EVP_DigestSignInit_ex(*out, NULL, s->md, NULL, NULL, s->priv, NULL) != 1) {
        EVP_MD_CTX_free(*out);
        *out = NULL;
        return sm_err_openssl(e, "signature init");
    }
    return 0;
}

int signer_sign_cert(struct signer *s, X509 *tbs, struct sm_err *e)
{
    EVP_MD_CTX *ctx;
    int rc = sign_ctx(s, &ctx, e);
    if (rc < 0)
        return rc;
    int ok = X509_sign_ctx(tbs, ctx) > 0;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : sm_err_openssl(e, "certificate signature");
}

/* The DER length octets of n (at most 2^32 - 1) into out; returns their count. */
static size_t der_length(size_t n, unsigned char out[5])
{
    if (n < 0x80) {
        out[0] = (unsigned char)n;
        return 1;
    }
    size_t k = 0;
    for (size_t v = n; v > 0; v >>= 8)
        k++;
    out[0] = (unsigned char)(0x80 | k);
    for (size_t i = 0; i < k; i++)
        out[k - i] = (unsigned char)(n >> (8 * i));
    return k + 1;
}

int signer_sign_cert_der(struct signer *s, X509 *tbs, unsigned char **der, size_t *len,
                         struct sm_err *e)
{
    *der = NULL;
    *len = 0;
    if (s->prepared == NULL) { /* a token key: OpenSSL's path, the TBS encoded twice */
        int rc = signer_sign_cert(s, tbs, e);
        unsigned char *d = NULL;
        int n = rc == 0 ? i2d_X509(tbs, &d) : 0;
        if (rc == 0 && n <= 0)
            rc = sm_err_openssl(e, "encode certificate");
        if (rc == 0) {
            *der = d;
            *len = (size_t)n;
        }
        return rc;
    }
    /* the TBS's signature field is a member of tbs (X509_get0_tbs_sigalg gives it const
     * only because OpenSSL has no setter outside X509_sign); it is parsed from the
     * provider's AlgorithmIdentifier, as X509_sign_ctx does */
    X509_ALGOR *tbs_alg = (X509_ALGOR *)X509_get0_tbs_sigalg(tbs);
    const unsigned char *q = s->algid;
    unsigned char *t = NULL, *sig = NULL, hdr[5], slen_oct[5];
    size_t slen = 0;
    int tlen =
        d2i_X509_ALGOR(&tbs_alg, &q, (long)s->algid_len) != NULL ? i2d_re_X509_tbs(tbs, &t) : 0;
    int rc = tlen > 0 ? signer_sign(s, t, (size_t)tlen, &sig, &slen, e)
                      : sm_err_openssl(e, "encode certificate");
    if (rc == 0) { /* Certificate ::= SEQUENCE { tbs, algorithm, BIT STRING signature } */
        size_t nl = der_length(slen + 1, slen_oct);
        size_t body = (size_t)tlen + s->algid_len + 1 + nl + 1 + slen;
        size_t nh = der_length(body, hdr);
        unsigned char *d = OPENSSL_malloc(1 + nh + body), *p = d;
        if (d == NULL) {
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        } else {
            *p++ = 0x30;
            memcpy(p, hdr, nh);
            p += nh;
            memcpy(p, t, (size_t)tlen);
            p += tlen;
            memcpy(p, s->algid, s->algid_len);
            p += s->algid_len;
            *p++ = 0x03;
            memcpy(p, slen_oct, nl);
            p += nl;
            *p++ = 0x00; /* no unused bits */
            memcpy(p, sig, slen);
            *der = d;
            *len = 1 + nh + body;
        }
    }
    OPENSSL_free(t);
    OPENSSL_free(sig);
    return rc;
}

int signer_sign_crl(struct signer *s, X509_CRL *crl, struct sm_err *e)
{
    EVP_MD_CTX *ctx;
    int rc = sign_ctx(s, &ctx, e);
    if (rc < 0)
        return rc;
    int ok = X509_CRL_sign_ctx(crl, ctx) > 0;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : sm_err_openssl(e, "CRL signature");
}

int signer_sign(struct signer *s, const unsigned char *tbs, size_t len, unsigned char **sig,
                size_t *siglen, struct sm_err *e)
{
    *sig = NULL;
    *siglen = 0;
    EVP_MD_CTX *ctx;
    int rc = sign_ctx(s, &ctx, e);
    if (rc < 0)
        return rc;
    size_t n = 0;
    if (EVP_DigestSign(ctx, NULL, &n, tbs, len) != 1 || n == 0 ||
        (*sig = OPENSSL_malloc(n)) == NULL || EVP_DigestSign(ctx, *sig, &n, tbs, len) != 1) {
        OPENSSL_free(*sig);
        *sig = NULL;
        EVP_MD_CTX_free(ctx);
        return sm_err_openssl(e, "signature");
    }
    EVP_MD_CTX_free(ctx);
    *siglen = n;
    return 0;
}

int signer_sign_ocsp(struct signer *s, OCSP_BASICRESP *bs, X509 *responder, struct sm_err *e)
{
    EVP_MD_CTX *ctx;
    int rc = sign_ctx(s, &ctx, e);
    if (rc < 0)
        return rc;
    int ok = OCSP_basic_sign_ctx(bs, responder, ctx, NULL, 0) > 0;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : sm_err_openssl(e, "OCSP response signature");
}
