/* SPDX-License-Identifier: MIT */
/* JWS (flattened JSON), JWK and JWK thumbprints for ACME; see pki/jws.h. */
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "core/text.h"
#include "pki/eckey.h"
#include "pki/jws.h"

/* RSA moduli above this many bits are refused (their verification costs the server). */
#define RSA_MAX_BITS 8192
#define RSA_MIN_BITS 2048

size_t b64url_encode(const unsigned char *in, size_t n, char *out)
{
    const char *b64url_chars = text_b64_digits(TEXT_B64_URL);
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url_chars[v >> 18 & 63];
        out[o++] = b64url_chars[v >> 12 & 63];
        out[o++] = b64url_chars[v >> 6 & 63];
        out[o++] = b64url_chars[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = b64url_chars[v >> 18 & 63];
        out[o++] = b64url_chars[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = b64url_chars[v >> 18 & 63];
        out[o++] = b64url_chars[v >> 12 & 63];
        out[o++] = b64url_chars[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

long b64url_decode(const char *in, size_t len, unsigned char *out)
{
    if (len % 4 == 1 || len > (size_t)1 << 30)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = text_b64_value((unsigned char)in[i], TEXT_B64_URL);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1; /* stray bits: not the canonical encoding */
    return (long)o;
}

/* Decodes a base64url string into a fresh buffer (NUL-terminated); -1 on bad input. */
static long b64url_dup(const char *s, size_t len, unsigned char **out)
{
    *out = sm_malloc(len * 3 / 4 + 1);
    if (*out == NULL)
        return -1;
    long n = b64url_decode(s, len, *out);
    if (n < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    (*out)[n] = '\0';
    return n;
}

/* ---- JWK ---- */

static int key_err(struct sm_err *e, const char *field, const char *what)
{
    return sm_err_set(e, SM_E_INVALID, field, "jwk: %s", what);
}

/* The base64url member name of o, decoded into buf (cap bytes); its length or -1. */
static long member_bytes(json_t *o, const char *name, unsigned char *buf, size_t cap,
                         const char **text)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n * 3 / 4 + 1 > cap)
        return -1;
    *text = s;
    return b64url_decode(s, n, buf);
}

static EVP_PKEY *key_fromdata(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    if (k == NULL)
        return NULL;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    int ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

static int jwk_ec(json_t *o, EVP_PKEY **key, char **canon, struct sm_err *e)
{
    const char *crv = json_string_value(json_object_get(o, "crv"));
    size_t clen;
    enum eckey_curve curve;
    if (crv != NULL && strcmp(crv, "P-256") == 0) {
        clen = 32;
        curve = ECKEY_P256;
    } else if (crv != NULL && strcmp(crv, "P-384") == 0) {
        clen = 48;
        curve = ECKEY_P384;
    } else {
        return key_err(e, "jwk.crv", "EC curve must be P-256 or P-384");
    }
    unsigned char x[80], y[80], pub[1 + 2 * 48];
    const char *xs = NULL, *ys = NULL;
    if (member_bytes(o, "x", x, sizeof x, &xs) != (long)clen)
        return key_err(e, "jwk.x", "EC x missing or not of the curve's length");
    if (member_bytes(o, "y", y, sizeof y, &ys) != (long)clen)
        return key_err(e, "jwk.y", "EC y missing or not of the curve's length");
    pub[0] = 0x04;
    memcpy(pub + 1, x, clen);
    memcpy(pub + 1 + clen, y, clen);
    *key = eckey_from_point(curve, pub, 1 + 2 * clen);
    ERR_clear_error();
    if (*key == NULL)
        return key_err(e, "jwk", "EC point not on the curve");
    if (canon != NULL) {
        size_t n = strlen(crv) + strlen(xs) + strlen(ys) + 48;
        *canon = sm_malloc(n);
        if (*canon == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        snprintf(*canon, n, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", crv, xs,
                 ys);
    }
    return 0;
}

static int jwk_rsa(json_t *o, EVP_PKEY **key, char **canon, struct sm_err *e)
{
    unsigned char nb[RSA_MAX_BITS / 8 + 8], eb[16];
    const char *ns = NULL, *es = NULL;
    long nl = member_bytes(o, "n", nb, sizeof nb, &ns);
    long el = member_bytes(o, "e", eb, sizeof eb, &es);
    if (nl <= 0 || nb[0] == 0)
        return key_err(e, "jwk.n", "RSA n missing, too large or with a leading zero");
    if (el <= 0 || el > 8 || eb[0] == 0 || (eb[el - 1] & 1) == 0)
        return key_err(e, "jwk.e", "RSA e missing or not an odd number of at most 8 bytes");
    if (nl * 8 < RSA_MIN_BITS || nl * 8 > RSA_MAX_BITS)
        return key_err(e, "jwk.n", "RSA keys must have 2048 to 8192 bits");
    BIGNUM *bn = BN_bin2bn(nb, (int)nl, NULL), *be = BN_bin2bn(eb, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    if (bn != NULL && be != NULL && bld != NULL &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
        params = OSSL_PARAM_BLD_to_param(bld);
    *key = params != NULL ? key_fromdata("RSA", params) : NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    ERR_clear_error();
    if (*key == NULL)
        return key_err(e, "jwk", "RSA key not usable");
    if (EVP_PKEY_get_bits(*key) < RSA_MIN_BITS) {
        EVP_PKEY_free(*key);
        *key = NULL;
        return key_err(e, "jwk.n", "RSA keys must have 2048 to 8192 bits");
    }
    if (canon != NULL) {
        size_t n = strlen(es) + strlen(ns) + 40;
        *canon = sm_malloc(n);
        if (*canon == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        snprintf(*canon, n, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", es, ns);
    }
    return 0;
}

static int jwk_okp(json_t *o, EVP_PKEY **key, char **canon, struct sm_err *e)
{
    const char *crv = json_string_value(json_object_get(o, "crv"));
    if (crv == NULL || strcmp(crv, "Ed25519") != 0)
        return key_err(e, "jwk.crv", "OKP curve must be Ed25519");
    unsigned char x[48];
    const char *xs = NULL;
    if (member_bytes(o, "x", x, sizeof x, &xs) != 32)
        return key_err(e, "jwk.x", "Ed25519 x missing or not 32 bytes");
    *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
    ERR_clear_error();
    if (*key == NULL)
        return key_err(e, "jwk.x", "Ed25519 key not usable");
    if (canon != NULL) {
        size_t n = strlen(xs) + 48;
        *canon = sm_malloc(n);
        if (*canon == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        snprintf(*canon, n, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", xs);
    }
    return 0;
}

static int jwk_from_json(json_t *o, EVP_PKEY **key, char **canon, struct sm_err *e)
{
    *key = NULL;
    if (canon != NULL)
        *canon = NULL;
    if (!json_is_object(o))
        return key_err(e, "jwk", "not a JSON object");
    if (json_object_get(o, "d") != NULL || json_object_get(o, "p") != NULL)
        return key_err(e, "jwk.d", "a private key was sent");
    const char *kty = json_string_value(json_object_get(o, "kty"));
    int rc;
    if (kty != NULL && strcmp(kty, "EC") == 0)
        rc = jwk_ec(o, key, canon, e);
    else if (kty != NULL && strcmp(kty, "RSA") == 0)
        rc = jwk_rsa(o, key, canon, e);
    else if (kty != NULL && strcmp(kty, "OKP") == 0)
        rc = jwk_okp(o, key, canon, e);
    else
        return key_err(e, "jwk.kty", "kty must be EC, RSA or OKP");
    if (rc < 0) {
        EVP_PKEY_free(*key);
        *key = NULL;
        if (canon != NULL) {
            free(*canon);
            *canon = NULL;
        }
    }
    return rc;
}

int jwk_parse(const char *json, size_t len, EVP_PKEY **key, char **canon, struct sm_err *e)
{
    *key = NULL;
    if (canon != NULL)
        *canon = NULL;
    if (len > JWS_MAX_BODY)
        return sm_err_set(e, SM_E_TOO_LARGE, "jwk", "jwk: too large");
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    int rc = jwk_from_json(o, key, canon, e);
    json_decref(o);
    return rc;
}

int jwk_thumbprint(const char *canon, char out[JWK_THUMB_LEN])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (SHA256((const unsigned char *)canon, strlen(canon), md) == NULL)
        return -SM_E_CRYPTO;
    b64url_encode(md, sizeof md, out);
    return 0;
}

/* ---- JWS ---- */

static const struct {
    const char *name;
    enum jws_alg alg;
} algs[] = {{"ES256", JWS_ES256},
            {"ES384", JWS_ES384},
            {"RS256", JWS_RS256},
            {"EdDSA", JWS_EDDSA},
            {"HS256", JWS_HS256}};

void jws_clear(struct jws *j)
{
    if (j == NULL)
        return;
    free(j->nonce);
    free(j->url);
    free(j->kid);
    EVP_PKEY_free(j->jwk);
    free(j->jwk_canon);
    free(j->header);
    free(j->payload);
    free(j->signing_input);
    free(j->sig);
    memset(j, 0, sizeof *j);
}

static int fail(enum jws_fault *fault, enum jws_fault f, int rc)
{
    if (fault != NULL)
        *fault = f;
    return rc;
}

/* Copies an optional string member of the header; -1 when present but not a string. */
static int opt_string(json_t *h, const char *name, char **out)
{
    json_t *v = json_object_get(h, name);
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = sm_strdup(json_string_value(v));
    return *out != NULL ? 0 : -1;
}

static int parse_header(struct jws *j, enum jws_fault *fault, struct sm_err *e)
{
    json_t *h = json_loads(j->header, JSON_REJECT_DUPLICATES, NULL);
    int rc = 0;
    if (!json_is_object(h)) {
        rc = fail(fault, JWS_F_MALFORMED,
                  sm_err_set(e, SM_E_INVALID, "protected", "protected header is not JSON"));
        goto out;
    }
    const char *alg = json_string_value(json_object_get(h, "alg"));
    for (size_t i = 0; alg != NULL && i < sizeof algs / sizeof algs[0]; i++)
        if (strcmp(alg, algs[i].name) == 0) {
            j->alg = algs[i].alg;
            snprintf(j->alg_name, sizeof j->alg_name, "%s", alg);
        }
    if (j->alg == JWS_ALG_UNKNOWN) {
        rc = fail(fault, JWS_F_ALG,
                  sm_err_set(e, SM_E_INVALID, "protected.alg", "alg missing or not supported"));
        goto out;
    }
    if (json_object_get(h, "crit") != NULL) {
        rc = fail(fault, JWS_F_MALFORMED,
                  sm_err_set(e, SM_E_INVALID, "protected.crit", "no extension is understood"));
        goto out;
    }
    static const char *const names[] = {"nonce", "url", "kid"};
    char **dst[] = {&j->nonce, &j->url, &j->kid};
    for (size_t i = 0; i < 3; i++)
        if (opt_string(h, names[i], dst[i]) < 0) {
            char field[32];
            snprintf(field, sizeof field, "protected.%s", names[i]);
            rc = fail(fault, JWS_F_MALFORMED,
                      sm_err_set(e, SM_E_INVALID, field, "%s is not a string", names[i]));
            goto out;
        }
    json_t *jwk = json_object_get(h, "jwk");
    if (jwk != NULL && jwk_from_json(jwk, &j->jwk, &j->jwk_canon, e) < 0)
        rc = fail(fault, JWS_F_KEY, -SM_E_INVALID);
out:
    json_decref(h);
    return rc;
}

int jws_parse(const char *body, size_t len, struct jws *out, enum jws_fault *fault,
              struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (fault != NULL)
        *fault = JWS_OK;
    if (len > JWS_MAX_BODY)
        return fail(fault, JWS_F_MALFORMED,
                    sm_err_set(e, SM_E_TOO_LARGE, "body", "JWS larger than %zu bytes",
                               (size_t)JWS_MAX_BODY));
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    int rc = 0;
    json_t *p = json_object_get(o, "protected"), *pl = json_object_get(o, "payload"),
           *s = json_object_get(o, "signature");
    if (!json_is_object(o) || !json_is_string(p) || !json_is_string(pl) || !json_is_string(s)) {
        rc = fail(fault, JWS_F_MALFORMED,
                  sm_err_set(e, SM_E_INVALID, "body",
                             "not a flattened JWS (protected, payload, signature)"));
        goto out;
    }
    if (json_object_get(o, "header") != NULL || json_object_get(o, "signatures") != NULL) {
        rc =
            fail(fault, JWS_F_MALFORMED,
                 sm_err_set(e, SM_E_INVALID, "header", "unprotected header or several signatures"));
        goto out;
    }
    size_t plen = json_string_length(p), pllen = json_string_length(pl);
    unsigned char *hdr = NULL;
    if (plen == 0 || b64url_dup(json_string_value(p), plen, &hdr) < 0 ||
        strlen((char *)hdr) != (size_t)(plen * 3 / 4)) {
        free(hdr);
        rc = fail(fault, JWS_F_MALFORMED,
                  sm_err_set(e, SM_E_INVALID, "protected", "protected header not base64url"));
        goto out;
    }
    out->header = (char *)hdr;
    long n = b64url_dup(json_string_value(pl), pllen, &out->payload);
    if (n < 0) {
        rc = fail(fault, JWS_F_MALFORMED,
                  sm_err_set(e, SM_E_INVALID, "payload", "payload not base64url"));
        goto out;
    }
    out->payload_len = (size_t)n;
    n = b64url_dup(json_string_value(s), json_string_length(s), &out->sig);
    if (n <= 0) {
        rc = fail(fault, JWS_F_MALFORMED,
                  sm_err_set(e, SM_E_INVALID, "signature", "signature missing or not base64url"));
        goto out;
    }
    out->sig_len = (size_t)n;
    out->signing_input_len = plen + 1 + pllen;
    out->signing_input = sm_malloc(out->signing_input_len + 1);
    if (out->signing_input == NULL) {
        rc = fail(fault, JWS_F_MALFORMED, sm_err_set(e, SM_E_NOMEM, NULL, "out of memory"));
        goto out;
    }
    memcpy(out->signing_input, json_string_value(p), plen);
    out->signing_input[plen] = '.';
    memcpy(out->signing_input + plen + 1, json_string_value(pl), pllen);
    out->signing_input[out->signing_input_len] = '\0';
    rc = parse_header(out, fault, e);
out:
    json_decref(o);
    return rc;
}

/* 1 when key is of the kind alg needs. */
static int key_fits(enum jws_alg alg, EVP_PKEY *key)
{
    char group[32] = "";
    switch (alg) {
    case JWS_ES256:
    case JWS_ES384:
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           NULL) != 1)
            return 0;
        return strcmp(group, alg == JWS_ES256 ? "prime256v1" : "secp384r1") == 0;
    case JWS_RS256:
        return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
               EVP_PKEY_get_bits(key) >= RSA_MIN_BITS && EVP_PKEY_get_bits(key) <= RSA_MAX_BITS;
    case JWS_EDDSA: return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
    default: return 0;
    }
}

/* The DER ECDSA-Sig-Value of a JWS signature R || S of two coordinates of half bytes. */
static int ecdsa_der(const unsigned char *sig, size_t half, unsigned char **der)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *sv = BN_bin2bn(sig + half, (int)half, NULL);
    int n = -1;
    if (s != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(s, r, sv) == 1) {
        r = sv = NULL;
        *der = NULL;
        n = i2d_ECDSA_SIG(s, der);
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    return n;
}

int jws_verify(const struct jws *j, EVP_PKEY *key, enum jws_fault *fault, struct sm_err *e)
{
    if (fault != NULL)
        *fault = JWS_OK;
    if (key == NULL || !key_fits(j->alg, key))
        return fail(fault, JWS_F_ALG,
                    sm_err_set(e, SM_E_INVALID, "protected.alg",
                               "alg %s does not fit the account key", j->alg_name));
    const unsigned char *sig = j->sig;
    size_t sig_len = j->sig_len;
    unsigned char *der = NULL;
    const EVP_MD *md = NULL;
    if (j->alg == JWS_ES256 || j->alg == JWS_ES384) {
        size_t half = j->alg == JWS_ES256 ? 32 : 48;
        if (j->sig_len != 2 * half)
            return fail(fault, JWS_F_SIGNATURE,
                        sm_err_set(e, SM_E_FORBIDDEN, "signature", "ECDSA signature of %zu bytes",
                                   j->sig_len));
        int n = ecdsa_der(j->sig, half, &der);
        if (n <= 0)
            return fail(fault, JWS_F_SIGNATURE, sm_err_openssl(e, "ECDSA signature"));
        sig = der;
        sig_len = (size_t)n;
        md = j->alg == JWS_ES256 ? EVP_sha256() : EVP_sha384();
    } else if (j->alg == JWS_RS256) {
        md = EVP_sha256();
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)j->signing_input,
                              j->signing_input_len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    if (!ok)
        return fail(fault, JWS_F_SIGNATURE,
                    sm_err_set(e, SM_E_FORBIDDEN, "signature", "signature does not verify"));
    return 0;
}

int jws_verify_hmac(const struct jws *j, const unsigned char *mac_key, size_t mac_key_len,
                    struct sm_err *e)
{
    if (j->alg != JWS_HS256)
        return sm_err_set(e, SM_E_INVALID, "protected.alg", "alg must be HS256");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (mac_key_len == 0 ||
        HMAC(EVP_sha256(), mac_key, (int)mac_key_len, (const unsigned char *)j->signing_input,
             j->signing_input_len, md, &n) == NULL)
        return sm_err_openssl(e, "HMAC");
    int ok = j->sig_len == n && CRYPTO_memcmp(md, j->sig, n) == 0;
    OPENSSL_cleanse(md, sizeof md);
    if (!ok)
        return sm_err_set(e, SM_E_FORBIDDEN, "signature", "MAC does not verify");
    return 0;
}
