/* SPDX-License-Identifier: MIT */
/* Issue 10 item 2 (R-ACME-1): JWS for ACME (pki/jws). Fixed vectors of RFC 7515 A.1
 * (HS256) and A.3 (ES256), RFC 8037 A.4 (EdDSA) and the thumbprints of RFC 7638 3.1 and
 * RFC 8037 A.3; RS256 and ES384 signed here with OpenSSL; and the refusals: alg none or
 * unknown, alg of another key, small RSA, bad base64url, unprotected header, duplicate
 * members, crit, a changed byte, a body too large. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pki/jws.h"

/* RFC 7515 A.1 and A.3: the JWT payload both examples sign. */
#define JWT_PAYLOAD                                                                                \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"     \
    "cnVlfQ"

static char *flat(const char *prot, const char *payload, const char *sig)
{
    size_t n = strlen(prot) + strlen(payload) + strlen(sig) + 64;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", prot, payload,
             sig);
    return s;
}

static char *b64(const void *p, size_t n)
{
    char *s = malloc(n * 4 / 3 + 8);
    assert_non_null(s);
    b64url_encode(p, n, s);
    return s;
}

static void test_b64url_strict(void **state)
{
    (void)state;
    unsigned char out[16];
    char enc[16];
    assert_int_equal(b64url_encode((const unsigned char *)"\xfb\xff", 2, enc), 3);
    assert_string_equal(enc, "-_8");
    assert_int_equal(b64url_decode("-_8", 3, out), 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(b64url_decode("-_9", 3, out), -1);   /* stray bits */
    assert_int_equal(b64url_decode("AQ==", 4, out), -1);  /* padding */
    assert_int_equal(b64url_decode("A+/B", 4, out), -1);  /* base64, not base64url */
    assert_int_equal(b64url_decode("AQABA", 5, out), -1); /* impossible length */
    assert_int_equal(b64url_decode("", 0, out), 0);
}

/* RFC 7515 A.1: HS256, the EAB MAC. */
static void test_hs256_rfc7515_a1(void **state)
{
    (void)state;
    static const char k64[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iP"
                              "S4hcgUuTwjAzZr1Z9CAow";
    unsigned char key[128];
    long kl = b64url_decode(k64, strlen(k64), key);
    assert_true(kl > 0);
    char *body = flat("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9", JWT_PAYLOAD,
                      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    struct jws j;
    struct sm_err e = {0};
    assert_int_equal(jws_parse(body, strlen(body), &j, NULL, &e), 0);
    assert_int_equal(j.alg, JWS_HS256);
    assert_non_null(strstr((char *)j.payload, "\"iss\":\"joe\""));
    assert_int_equal(jws_verify_hmac(&j, key, (size_t)kl, &e), 0);
    key[0] ^= 1;
    assert_true(jws_verify_hmac(&j, key, (size_t)kl, &e) < 0);
    key[0] ^= 1;
    /* an HMAC JWS never passes as a signature */
    enum jws_fault f;
    assert_true(jws_verify(&j, NULL, &f, &e) < 0);
    assert_int_equal(f, JWS_F_ALG);
    jws_clear(&j);
    free(body);
}

static EVP_PKEY *jwk_of(const char *json)
{
    EVP_PKEY *k = NULL;
    struct sm_err e = {0};
    assert_int_equal(jwk_parse(json, strlen(json), &k, NULL, &e), 0);
    return k;
}

#define A3_JWK                                                                                     \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","     \
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"
#define A3_SIG                                                                                     \
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

/* RFC 7515 A.3: ES256 with a key given apart from the JWS (a stored account key). */
static void test_es256_rfc7515_a3(void **state)
{
    (void)state;
    EVP_PKEY *k = jwk_of(A3_JWK);
    char *body = flat("eyJhbGciOiJFUzI1NiJ9", JWT_PAYLOAD, A3_SIG);
    struct jws j;
    struct sm_err e = {0};
    enum jws_fault f;
    assert_int_equal(jws_parse(body, strlen(body), &j, &f, &e), 0);
    assert_int_equal(j.alg, JWS_ES256);
    assert_null(j.jwk);
    assert_int_equal(jws_verify(&j, k, &f, &e), 0);
    j.signing_input[3] ^= 1; /* a changed byte */
    assert_true(jws_verify(&j, k, &f, &e) < 0);
    assert_int_equal(f, JWS_F_SIGNATURE);
    jws_clear(&j);
    free(body);
    EVP_PKEY_free(k);
}

/* RFC 8037 A.3 and A.4: the Ed25519 key's thumbprint and its signature. */
static void test_eddsa_rfc8037(void **state)
{
    (void)state;
    static const char jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
                              "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
    EVP_PKEY *k = NULL;
    char *canon = NULL, tp[JWK_THUMB_LEN];
    struct sm_err e = {0};
    assert_int_equal(jwk_parse(jwk, strlen(jwk), &k, &canon, &e), 0);
    assert_int_equal(jwk_thumbprint(canon, tp), 0);
    assert_string_equal(tp, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    char *body = flat("eyJhbGciOiJFZERTQSJ9", "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
                      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7"
                      "sVvpAr_MuM0KAg");
    struct jws j;
    enum jws_fault f;
    assert_int_equal(jws_parse(body, strlen(body), &j, &f, &e), 0);
    assert_int_equal(j.alg, JWS_EDDSA);
    assert_string_equal((char *)j.payload, "Example of Ed25519 signing");
    assert_int_equal(jws_verify(&j, k, &f, &e), 0);
    j.sig[0] ^= 1;
    assert_true(jws_verify(&j, k, &f, &e) < 0);
    assert_int_equal(f, JWS_F_SIGNATURE);
    jws_clear(&j);
    free(body);
    free(canon);
    EVP_PKEY_free(k);
}

/* RFC 7638 3.1: the thumbprint of RFC 7517 A.1's RSA key; member order and extra members
 * do not change it. */
static void test_thumbprint_rfc7638(void **state)
{
    (void)state;
    static const char jwk[] =
        "{\"kty\":\"RSA\",\"kid\":\"2011-04-29\",\"alg\":\"RS256\",\"e\":\"AQAB\",\"n\":"
        "\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
        "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR"
        "0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTW"
        "hAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}";
    EVP_PKEY *k = NULL;
    char *canon = NULL, tp[JWK_THUMB_LEN];
    struct sm_err e = {0};
    assert_int_equal(jwk_parse(jwk, strlen(jwk), &k, &canon, &e), 0);
    assert_int_equal(strncmp(canon, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 32), 0);
    assert_int_equal(jwk_thumbprint(canon, tp), 0);
    assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    /* the canonical form parses back to the same key */
    EVP_PKEY *k2 = NULL;
    char *canon2 = NULL;
    assert_int_equal(jwk_parse(canon, strlen(canon), &k2, &canon2, &e), 0);
    assert_string_equal(canon, canon2);
    assert_int_equal(EVP_PKEY_eq(k, k2), 1);
    free(canon);
    free(canon2);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
}

/* ---- signing here, for RS256 and ES384 and the refusals ---- */

static EVP_PKEY *gen(const char *type, const char *param)
{
    EVP_PKEY *k = NULL;
    if (strcmp(type, "RSA") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
                              (size_t)(strcmp(param, "1024") == 0 ? 1024 : 2048));
    else if (strcmp(type, "EC") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
    else
        k = EVP_PKEY_Q_keygen(NULL, NULL, type);
    assert_non_null(k);
    return k;
}

static char *bn_b64(const EVP_PKEY *k, const char *name, size_t pad)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    unsigned char buf[1024];
    int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    assert_true(n > 0);
    return b64(buf, (size_t)n);
}

/* The JWK JSON of a generated key. */
static char *jwk_json(const EVP_PKEY *k)
{
    char *s = malloc(2048);
    assert_non_null(s);
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
        char *n = bn_b64(k, OSSL_PKEY_PARAM_RSA_N, 0), *e = bn_b64(k, OSSL_PKEY_PARAM_RSA_E, 0);
        snprintf(s, 2048, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", n, e);
        free(n);
        free(e);
    } else {
        size_t c = (size_t)(EVP_PKEY_get_bits(k) + 7) / 8;
        char *x = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, c),
             *y = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, c);
        snprintf(s, 2048, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
                 c == 32 ? "P-256" : "P-384", x, y);
        free(x);
        free(y);
    }
    return s;
}

/* A flattened JWS of header (JSON text) and payload signed by k as alg. */
static char *sign(EVP_PKEY *k, const char *alg, const char *header, const char *payload)
{
    char *p = b64(header, strlen(header)), *pl = b64(payload, strlen(payload));
    size_t in_len = strlen(p) + 1 + strlen(pl);
    char *in = malloc(in_len + 1);
    assert_non_null(in);
    snprintf(in, in_len + 1, "%s.%s", p, pl);
    const EVP_MD *md = strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024], raw[96];
    size_t sl = sizeof sig;
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (unsigned char *)in, in_len), 1);
    EVP_MD_CTX_free(ctx);
    char *s64;
    if (alg[0] == 'E') { /* DER ECDSA-Sig-Value -> R || S */
        size_t half = strcmp(alg, "ES384") == 0 ? 48 : 32;
        const unsigned char *q = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)sl);
        assert_non_null(es);
        BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, (int)half);
        ECDSA_SIG_free(es);
        s64 = b64(raw, 2 * half);
    } else {
        s64 = b64(sig, sl);
    }
    char *body = flat(p, pl, s64);
    free(p);
    free(pl);
    free(in);
    free(s64);
    return body;
}

/* A JWS with its jwk in the header, as newAccount sends it. */
static char *sign_jwk(EVP_PKEY *k, const char *alg, const char *extra, const char *payload)
{
    char *jwk = jwk_json(k), header[4096];
    snprintf(header, sizeof header, "{\"alg\":\"%s\",\"jwk\":%s%s}", alg, jwk, extra);
    free(jwk);
    return sign(k, alg, header, payload);
}

static void roundtrip(EVP_PKEY *k, const char *alg, enum jws_alg want)
{
    char *body =
        sign_jwk(k, alg, ",\"nonce\":\"n1\",\"url\":\"https://ca.example/acme/new-account\"",
                 "{\"termsOfServiceAgreed\":true}");
    struct jws j;
    struct sm_err e = {0};
    enum jws_fault f;
    assert_int_equal(jws_parse(body, strlen(body), &j, &f, &e), 0);
    assert_int_equal(j.alg, want);
    assert_string_equal(j.nonce, "n1");
    assert_string_equal(j.url, "https://ca.example/acme/new-account");
    assert_null(j.kid);
    assert_non_null(j.jwk);
    assert_int_equal(EVP_PKEY_eq(j.jwk, k), 1);
    assert_int_equal(jws_verify(&j, j.jwk, &f, &e), 0);
    j.signing_input[j.signing_input_len - 1] ^= 1;
    assert_true(jws_verify(&j, j.jwk, &f, &e) < 0);
    assert_int_equal(f, JWS_F_SIGNATURE);
    jws_clear(&j);
    free(body);
}

static void test_rs256_es384_es256_signed_here(void **state)
{
    (void)state;
    EVP_PKEY *rsa = gen("RSA", "2048"), *p384 = gen("EC", "P-384"), *p256 = gen("EC", "P-256");
    roundtrip(rsa, "RS256", JWS_RS256);
    roundtrip(p384, "ES384", JWS_ES384);
    roundtrip(p256, "ES256", JWS_ES256);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p256);
}

static enum jws_fault parse_fault(const char *body, const char *field)
{
    struct jws j;
    struct sm_err e = {0};
    enum jws_fault f = JWS_OK;
    int rc = jws_parse(body, strlen(body), &j, &f, &e);
    jws_clear(&j);
    assert_true(rc < 0);
    if (field != NULL)
        assert_string_equal(e.field, field);
    return f;
}

static void test_refusals(void **state)
{
    (void)state;
    EVP_PKEY *p256 = gen("EC", "P-256"), *p384 = gen("EC", "P-384"), *rsa1024 = gen("RSA", "1024");
    struct sm_err e = {0};
    enum jws_fault f;
    struct jws j;

    /* alg of another key: ES384 claimed, P-256 key */
    char *body = sign_jwk(p256, "ES256", "", "{}");
    assert_int_equal(jws_parse(body, strlen(body), &j, &f, &e), 0);
    assert_true(jws_verify(&j, p384, &f, &e) < 0);
    assert_int_equal(f, JWS_F_ALG);
    jws_clear(&j);
    free(body);
    /* RSA below 2048 bits in the header */
    body = sign_jwk(rsa1024, "RS256", "", "{}");
    assert_int_equal(parse_fault(body, "jwk.n"), JWS_F_KEY);
    free(body);
    /* alg none, unknown, missing */
    body = sign(p256, "ES256", "{\"alg\":\"none\"}", "{}");
    assert_int_equal(parse_fault(body, "protected.alg"), JWS_F_ALG);
    free(body);
    body = sign(p256, "ES256", "{\"alg\":\"ES512\"}", "{}");
    assert_int_equal(parse_fault(body, "protected.alg"), JWS_F_ALG);
    free(body);
    body = sign(p256, "ES256", "{\"nonce\":\"x\"}", "{}");
    assert_int_equal(parse_fault(body, "protected.alg"), JWS_F_ALG);
    free(body);
    /* crit, a non-string nonce, duplicate header members */
    body = sign(p256, "ES256", "{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", "{}");
    assert_int_equal(parse_fault(body, "protected.crit"), JWS_F_MALFORMED);
    free(body);
    body = sign(p256, "ES256", "{\"alg\":\"ES256\",\"nonce\":5}", "{}");
    assert_int_equal(parse_fault(body, "protected.nonce"), JWS_F_MALFORMED);
    free(body);
    body = sign(p256, "ES256", "{\"alg\":\"ES256\",\"alg\":\"none\"}", "{}");
    assert_int_equal(parse_fault(body, "protected"), JWS_F_MALFORMED);
    free(body);
    /* a private key in the jwk */
    body =
        sign(p256, "ES256",
             "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"d\":\"AA\"}}", "{}");
    assert_int_equal(parse_fault(body, "jwk.d"), JWS_F_KEY);
    free(body);
    /* a point not on the curve */
    body = sign(p256, "ES256",
                "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
                "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"y\":"
                "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
                "{}");
    assert_int_equal(parse_fault(body, "jwk"), JWS_F_KEY);
    free(body);
    /* framing: not JSON, compact serialization, unprotected header, padding, empty sig */
    assert_int_equal(parse_fault("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "body"), JWS_F_MALFORMED);
    assert_int_equal(
        parse_fault("{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\",\"signature\":"
                    "\"AAAA\",\"header\":{\"kid\":\"x\"}}",
                    "header"),
        JWS_F_MALFORMED);
    assert_int_equal(parse_fault("{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"e30=\","
                                 "\"signature\":\"AAAA\"}",
                                 "payload"),
                     JWS_F_MALFORMED);
    assert_int_equal(parse_fault("{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\","
                                 "\"signature\":\"\"}",
                                 "signature"),
                     JWS_F_MALFORMED);
    assert_int_equal(parse_fault("{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\","
                                 "\"payload\":\"\",\"signature\":\"AAAA\"}",
                                 "body"),
                     JWS_F_MALFORMED);
    /* too large */
    size_t big = JWS_MAX_BODY + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[big] = '\0';
    assert_int_equal(parse_fault(huge, "body"), JWS_F_MALFORMED);
    free(huge);
    /* POST-as-GET: an empty payload parses and verifies */
    body = sign(p256, "ES256", "{\"alg\":\"ES256\",\"kid\":\"https://ca.example/acct/1\"}", "");
    assert_int_equal(jws_parse(body, strlen(body), &j, &f, &e), 0);
    assert_int_equal(j.payload_len, 0);
    assert_string_equal(j.kid, "https://ca.example/acct/1");
    assert_int_equal(jws_verify(&j, p256, &f, &e), 0);
    jws_clear(&j);
    free(body);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(rsa1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_hs256_rfc7515_a1),
        cmocka_unit_test(test_es256_rfc7515_a3),
        cmocka_unit_test(test_eddsa_rfc8037),
        cmocka_unit_test(test_thumbprint_rfc7638),
        cmocka_unit_test(test_rs256_es384_es256_signed_here),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
