/* SPDX-License-Identifier: MIT */
/* Test fixture for the leaf profile and the linter: throwaway keys, a throwaway issuing CA
 * made here with OpenSSL (no pki/ca), and a complete vetted request per level. Static
 * functions only; include after cmocka.h in one test file. Keys are cached per process. */
#ifndef TEST_LEAF_FIXTURE_H
#define TEST_LEAF_FIXTURE_H
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "pki/lint.h"
#include "pki/profile.h"

#define FX_DAY 86400
#define FX_NOW_TEXT "2026-11-22T03:00:00Z" /* the date the SPEC's defaults are set for */

enum fx_key { FX_RSA2048, FX_P256, FX_P384, FX_RSA1024, FX_P521, FX_ED25519, FX__N };

static EVP_PKEY *fx_keys[FX__N];

static EVP_PKEY *fx_key(enum fx_key k)
{
    if (fx_keys[k] == NULL) {
        switch (k) {
        case FX_RSA2048: fx_keys[k] = EVP_RSA_gen(2048); break;
        case FX_RSA1024: fx_keys[k] = EVP_RSA_gen(1024); break;
        case FX_P256: fx_keys[k] = EVP_EC_gen("P-256"); break;
        case FX_P384: fx_keys[k] = EVP_EC_gen("P-384"); break;
        case FX_P521: fx_keys[k] = EVP_EC_gen("P-521"); break;
        case FX_ED25519: fx_keys[k] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
        default: break;
        }
    }
    assert_non_null(fx_keys[k]);
    return fx_keys[k];
}

static void fx_free_keys(void)
{
    for (int k = 0; k < FX__N; k++) {
        EVP_PKEY_free(fx_keys[k]);
        fx_keys[k] = NULL;
    }
}

static time_t fx_now(void)
{
    time_t t;
    assert_int_equal(clock_parse_utc(FX_NOW_TEXT, &t), 0);
    return t;
}

static const EVP_MD *fx_md_for(EVP_PKEY *key)
{
    return EVP_PKEY_get_bits(key) == 384 && EVP_PKEY_is_a(key, "EC") ? EVP_sha384()
                                                                      : EVP_sha256();
}

/* A CA certificate: C=JP, O=Shomei Test, CN=<cn>; CA:TRUE, keyCertSign+cRLSign, SKI
 * (unless with_ski is 0); valid from a year before now until not_after. Caller frees. */
static X509 *fx_ca(EVP_PKEY *key, const char *cn, time_t now, time_t not_after, int with_ski)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_NAME *n = X509_get_subject_name(x);
    assert_true(X509_NAME_add_entry_by_NID(n, NID_countryName, MBSTRING_ASC,
                                           (const unsigned char *)"JP", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8,
                                           (const unsigned char *)"Shomei Test", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
                                           (const unsigned char *)cn, -1, -1, 0));
    assert_true(X509_set_issuer_name(x, n));
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242));
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), now - 365 * FX_DAY));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), not_after));
    assert_true(X509_set_pubkey(x, key));
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    const struct { int nid; const char *value; } exts[] = {
        {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
        {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
        {NID_subject_key_identifier, "hash"},
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (!with_ski && exts[i].nid == NID_subject_key_identifier)
            continue;
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        assert_non_null(ext);
        assert_true(X509_add_ext(x, ext, -1));
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, key, fx_md_for(key)) > 0);
    return x;
}

/* One complete, vetted request and the matching lint context. Not copyable (req and ctx
 * point into the struct). */
struct fx_leaf {
    struct profile_subject subj;
    const char *names[4];
    unsigned char serial[PROFILE_SERIAL_MAX];
    size_t serial_len;
    struct profile_req req;
    struct lint_ctx ctx;
};

#define FX_CA_ISSUERS "http://repo.shomei.test/ov-ca.der"
#define FX_OCSP "http://ocsp.shomei.test"
#define FX_CRL "http://crl.shomei.test/ov-ca.crl"
#define FX_CPS "https://repo.shomei.test/cps"

static void fx_leaf_init(struct fx_leaf *f, enum cert_level level, EVP_PKEY *key, X509 *ca)
{
    memset(f, 0, sizeof *f);
    time_t now = clock_now();
    f->names[0] = "www.example.co.jp";
    f->names[1] = "example.co.jp";
    f->subj.cn = "www.example.co.jp";
    f->subj.c = "JP";
    if (level != LEVEL_DV) {
        f->subj.st = "東京都";
        f->subj.l = "千代田区";
        f->subj.o = "例示商事株式会社";
    }
    if (level == LEVEL_EV) {
        f->subj.business_category = "Private Organization";
        f->subj.jurisdiction_c = "JP";
        f->subj.serial_number = "010001234567";
    }
    assert_int_equal(profile_serial_new(f->serial, &f->serial_len), 0);
    struct profile_req *r = &f->req;
    r->level = level;
    r->subj = &f->subj;
    r->names = f->names;
    r->nnames = 2;
    r->pubkey = key;
    r->serial = f->serial;
    r->serial_len = f->serial_len;
    assert_int_equal(profile_validity(now, 0, 0, &r->not_before, &r->not_after, NULL), 0);
    r->issuer = ca;
    r->ca_issuers_url = FX_CA_ISSUERS;
    r->ocsp_url = FX_OCSP;
    r->crl_url = FX_CRL;
    r->cps_url = FX_CPS;
    struct lint_ctx *c = &f->ctx;
    c->level = level;
    c->issuer = ca;
    c->sig_md = fx_md_for(X509_get0_pubkey(ca)) == EVP_sha384() ? "SHA384" : "SHA256";
    c->now = now;
    c->subscription_end = now + 365 * FX_DAY;
    c->names = f->names;
    c->nnames = 2;
    c->ca_issuers_url = FX_CA_ISSUERS;
    c->ocsp_url = FX_OCSP;
    c->crl_url = FX_CRL;
    c->cps_url = FX_CPS;
}

/* key's SubjectPublicKeyInfo as the CSR check hands it over: algorithm and key bits, with
 * no decoded key inside (X509_PUBKEY_get0 gives NULL). Caller frees. */
__attribute__((unused)) static X509_PUBKEY *fx_bare_spki(EVP_PKEY *key)
{
    X509_PUBKEY *full = NULL;
    assert_int_equal(X509_PUBKEY_set(&full, key), 1);
    ASN1_OBJECT *kobj = NULL;
    const unsigned char *bits = NULL;
    int nbits = 0, ptype = 0;
    X509_ALGOR *alg = NULL;
    const void *pval = NULL;
    assert_int_equal(X509_PUBKEY_get0_param(&kobj, &bits, &nbits, &alg, full), 1);
    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    X509_PUBKEY *bare = X509_PUBKEY_new();
    unsigned char *penc = OPENSSL_memdup(bits, (size_t)nbits);
    void *param = ptype == V_ASN1_OBJECT ? (void *)OBJ_dup(pval) : NULL;
    assert_non_null(bare);
    assert_non_null(penc);
    assert_int_equal(X509_PUBKEY_set0_param(bare, OBJ_dup(kobj),
                                            ptype == V_ASN1_OBJECT ? V_ASN1_OBJECT : V_ASN1_NULL,
                                            param, penc, nbits),
                     1);
    X509_PUBKEY_free(full);
    assert_null(X509_PUBKEY_get0(bare));
    return bare;
}

static X509 *fx_build(const struct fx_leaf *f)
{
    X509 *x = NULL;
    struct sm_err e = {0};
    int rc = profile_build(&f->req, &x, &e);
    if (rc != 0)
        fail_msg("profile_build: %s %s %s", sm_err_name(e.code), e.field, e.detail);
    assert_non_null(x);
    return x;
}

#endif
