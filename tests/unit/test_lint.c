/* SPDX-License-Identifier: MIT */
/* R-ISS-3: the pre-signing linter. Good certificates from profile_build pass with zero
 * findings (DV/OV/EV, RSA and ECDSA keys, RSA and ECDSA issuers, before and after
 * signing); then, ONE PER RULE, a good certificate with exactly one thing broken makes
 * exactly that rule fire (R-ISS-2 profile rules). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "pki/lint.h"
#include "pki/profile.h"

#include "leaf_fixture.h"

static X509 *ca_rsa, *ca_p384, *ca_short, *ca_fresh;

static int setup(void **state)
{
    (void)state;
    clock_set(fx_now());
    time_t now = clock_now();
    ca_rsa = fx_ca(fx_key(FX_RSA2048), "Test CA RSA", now, now + 5 * 365 * FX_DAY, 1);
    ca_p384 = fx_ca(fx_key(FX_P384), "Test CA P-384", now, now + 5 * 365 * FX_DAY, 1);
    ca_short = fx_ca(fx_key(FX_P256), "Test CA ending soon", now, now + 30 * FX_DAY, 1);
    /* a CA created right now (issue 8 item 28: a leaf backdated 60 s starts before it) */
    ca_fresh = fx_ca(fx_key(FX_RSA2048), "Test CA fresh", now, now + 5 * 365 * FX_DAY, 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(ca_fresh), now));
    assert_true(X509_sign(ca_fresh, fx_key(FX_RSA2048), EVP_sha256()) > 0);
    return 0;
}

static X509 *spki_other; /* holds a P-384 key's SubjectPublicKeyInfo (p_spki_other) */

static int teardown(void **state)
{
    (void)state;
    X509_free(ca_rsa);
    X509_free(ca_p384);
    X509_free(ca_short);
    X509_free(ca_fresh);
    X509_free(spki_other);
    fx_free_keys();
    clock_set(0);
    return 0;
}

static void dump(const char *what, const struct lint_report *r)
{
    char buf[2048];
    lint_report_format(r, buf, sizeof buf);
    print_message("%s: %s\n", what, buf);
}

static void expect_clean(X509 *x, const struct lint_ctx *ctx, const char *what)
{
    struct lint_report r;
    int rc = lint_cert(x, ctx, &r);
    if (rc != 0 || r.n != 0) {
        dump(what, &r);
        fail_msg("%s: %zu findings", what, r.n);
    }
}

/* ---- good certificates ---- */

/* R-ISS-3: every level with every key type, unsigned and then signed by the issuer. */
static void test_lint_cert_good_profiles_pass(void **state)
{
    (void)state;
    static const enum cert_level levels[] = {LEVEL_DV, LEVEL_OV, LEVEL_EV};
    static const enum fx_key keys[] = {FX_RSA2048, FX_P256, FX_P384};
    X509 *cas[] = {ca_rsa, ca_p384};
    for (size_t c = 0; c < 2; c++)
        for (size_t li = 0; li < 3; li++)
            for (size_t k = 0; k < 3; k++) {
                struct fx_leaf f;
                char what[64];
                snprintf(what, sizeof what, "%s key %zu ca %zu",
                         profile_level_name(levels[li]), k, c);
                fx_leaf_init(&f, levels[li], fx_key(keys[k]), cas[c]);
                X509 *x = fx_build(&f);
                expect_clean(x, &f.ctx, what);
                EVP_PKEY *ck = c == 0 ? fx_key(FX_RSA2048) : fx_key(FX_P384);
                assert_true(X509_sign(x, ck, fx_md_for(ck)) > 0);
                expect_clean(x, &f.ctx, what);
                X509_free(x);
            }
}

/* DV with an empty subject (SAN critical), without OCSP, with a wildcard product, at the
 * exact maximum validity and at the 48-hour backdating limit. */
static void test_lint_cert_good_variants_pass(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.subj = NULL;
    X509 *x = fx_build(&f);
    expect_clean(x, &f.ctx, "empty subject");
    X509_free(x);

    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.ocsp_url = f.ctx.ocsp_url = NULL;
    x = fx_build(&f);
    expect_clean(x, &f.ctx, "no OCSP");
    X509_free(x);

    static const char *const wild[] = {"*.example.co.jp", "example.co.jp"};
    fx_leaf_init(&f, LEVEL_OV, fx_key(FX_P256), ca_rsa);
    f.req.names = f.ctx.names = wild;
    f.subj.cn = wild[0];
    f.ctx.allow_wildcard = 1;
    x = fx_build(&f);
    expect_clean(x, &f.ctx, "wildcard");
    X509_free(x);

    /* 200 days counted with both end seconds, notBefore 48 hours back, 2026-11-22. */
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.not_before = f.ctx.now - 48 * 3600;
    f.req.not_after = f.req.not_before + 200 * FX_DAY - 1;
    x = fx_build(&f);
    expect_clean(x, &f.ctx, "200 days exactly");
    X509_free(x);

    /* Subscription end exactly at notAfter. */
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.ctx.subscription_end = f.req.not_after;
    x = fx_build(&f);
    expect_clean(x, &f.ctx, "subscription end = notAfter");
    X509_free(x);
}

/* ---- breaking one thing at a time ---- */

struct row {
    const char *test;    /* cmocka test name */
    const char *rule;    /* the one rule id that must fire */
    enum cert_level level;
    enum fx_key key;
    void (*prep)(struct fx_leaf *f);        /* before profile_build; may be NULL */
    void (*breakit)(X509 *x, struct fx_leaf *f); /* after; may be NULL */
};

static void drop_ext(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    assert_true(i >= 0);
    X509_EXTENSION_free(X509_delete_ext(x, i));
}

static void put_ext(X509 *x, int nid, void *value, int crit)
{
    if (X509_get_ext_by_NID(x, nid, -1) >= 0)
        drop_ext(x, nid);
    assert_int_equal(X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_APPEND), 1);
}

static void put_raw_ext(X509 *x, const char *oid, int nid, int crit, const char *der,
                        int len)
{
    if (nid != NID_undef && X509_get_ext_by_NID(x, nid, -1) >= 0)
        drop_ext(x, nid);
    ASN1_OBJECT *obj = nid != NID_undef ? OBJ_nid2obj(nid) : OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    assert_true(ASN1_OCTET_STRING_set(v, (const unsigned char *)der, len));
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, v);
    assert_non_null(ext);
    assert_true(X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(v);
    ASN1_OBJECT_free(obj);
}

static void put_eku(X509 *x, const int *nids, int n, int crit)
{
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    for (int i = 0; i < n; i++)
        sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(nids[i]));
    put_ext(x, NID_ext_key_usage, eku, crit);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}

static void put_ku(X509 *x, const int *bits, int n)
{
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    for (int i = 0; i < n; i++)
        ASN1_BIT_STRING_set_bit(ku, bits[i], 1);
    put_ext(x, NID_key_usage, ku, 1);
    ASN1_BIT_STRING_free(ku);
}

/* Replaces the SAN with the fixture names plus `extra` (a dNSName) or an IP address. */
static void put_san(X509 *x, struct fx_leaf *f, const char *extra, int ip)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    for (size_t i = 0; i < f->ctx.nnames; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        ASN1_STRING_set(s, f->ctx.names[i], -1);
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        sk_GENERAL_NAME_push(gens, gn);
    }
    if (extra != NULL) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        if (ip) {
            ASN1_OCTET_STRING *a = ASN1_OCTET_STRING_new();
            ASN1_OCTET_STRING_set(a, (const unsigned char *)"\xc0\x00\x02\x01", 4);
            GENERAL_NAME_set0_value(gn, GEN_IPADD, a);
        } else {
            ASN1_IA5STRING *s = ASN1_IA5STRING_new();
            ASN1_STRING_set(s, extra, -1);
            GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        }
        sk_GENERAL_NAME_push(gens, gn);
    }
    put_ext(x, NID_subject_alt_name, gens, 0);
    GENERAL_NAMES_free(gens);
}

static X509_NAME *subj(X509 *x) { return X509_get_subject_name(x); }

static void subj_drop(X509 *x, int nid)
{
    int i = X509_NAME_get_index_by_NID(subj(x), nid, -1);
    assert_true(i >= 0);
    X509_NAME_ENTRY_free(X509_NAME_delete_entry(subj(x), i));
}

/* Adds an attribute at loc (-1 = end) as a new RDN, or joined to the previous RDN. */
static void subj_add(X509 *x, int nid, int type, const char *v, int loc, int set)
{
    assert_true(X509_NAME_add_entry_by_NID(subj(x), nid, type, (const unsigned char *)v, -1,
                                           loc, set));
}

static void subj_replace(X509 *x, int nid, int type, const char *v)
{
    int i = X509_NAME_get_index_by_NID(subj(x), nid, -1);
    assert_true(i >= 0);
    X509_NAME_ENTRY_free(X509_NAME_delete_entry(subj(x), i));
    subj_add(x, nid, type, v, i, 0);
}

static void set_time(ASN1_TIME *t, time_t v) { assert_non_null(ASN1_TIME_set(t, v)); }

/* version, serial, issuer, validity */
static void b_version(X509 *x, struct fx_leaf *f) { X509_set_version(x, X509_VERSION_1); }
static void b_serial_4(X509 *x, struct fx_leaf *f)
{
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x12345678);
}
static void b_serial_negative(X509 *x, struct fx_leaf *f)
{
    ASN1_INTEGER_set_int64(X509_get_serialNumber(x), -0x1234567890abcdefLL);
}
static void b_serial_zero(X509 *x, struct fx_leaf *f)
{
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0);
}
static void b_serial_21(X509 *x, struct fx_leaf *f)
{
    static const unsigned char s[21] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                        12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
    BIGNUM *bn = BN_bin2bn(s, sizeof s, NULL);
    ASN1_INTEGER *i = BN_to_ASN1_INTEGER(bn, NULL);
    X509_set_serialNumber(x, i);
    ASN1_INTEGER_free(i);
    BN_free(bn);
}
static void b_issuer(X509 *x, struct fx_leaf *f)
{
    X509_set_issuer_name(x, X509_get_subject_name(ca_p384));
}
static void b_utc_as_generalized(X509 *x, struct fx_leaf *f)
{
    assert_non_null(ASN1_GENERALIZEDTIME_set(X509_getm_notBefore(x), f->req.not_before));
}
static void b_inverted(X509 *x, struct fx_leaf *f)
{
    set_time(X509_getm_notAfter(x), f->req.not_before - 1);
}
static void b_201_days(X509 *x, struct fx_leaf *f)
{
    set_time(X509_getm_notAfter(x), f->req.not_before + 201 * FX_DAY - 1);
}
static void b_200_days_and_a_second(X509 *x, struct fx_leaf *f)
{
    set_time(X509_getm_notAfter(x), f->req.not_before + 200 * FX_DAY);
}
static void b_past_subscription(X509 *x, struct fx_leaf *f)
{
    f->ctx.subscription_end = f->req.not_after - 1;
}
static void b_notbefore_3_days(X509 *x, struct fx_leaf *f)
{
    set_time(X509_getm_notBefore(x), f->ctx.now - 3 * FX_DAY);
    set_time(X509_getm_notAfter(x), f->ctx.now + 90 * FX_DAY);
}
static void b_notbefore_48h_1s(X509 *x, struct fx_leaf *f)
{
    set_time(X509_getm_notBefore(x), f->ctx.now - 48 * 3600 - 1);
    set_time(X509_getm_notAfter(x), f->ctx.now + 90 * FX_DAY);
}
static void b_notbefore_future(X509 *x, struct fx_leaf *f)
{
    set_time(X509_getm_notBefore(x), f->ctx.now + 3600);
}
static void p_short_issuer(struct fx_leaf *f) { f->ctx.issuer = f->req.issuer = ca_short; }

/* subject */
static void b_add_ou(X509 *x, struct fx_leaf *f)
{
    subj_add(x, NID_organizationalUnitName, V_ASN1_UTF8STRING, "営業部", -1, 0);
}
static void b_dv_add_o(X509 *x, struct fx_leaf *f)
{
    subj_add(x, NID_organizationName, V_ASN1_UTF8STRING, "例示商事株式会社", 1, 0);
}
static void b_ov_add_email(X509 *x, struct fx_leaf *f)
{
    subj_add(x, NID_pkcs9_emailAddress, V_ASN1_IA5STRING, "a@example.co.jp", -1, 0);
}
static void b_ov_drop_o(X509 *x, struct fx_leaf *f) { subj_drop(x, NID_organizationName); }
static void b_ov_drop_st_l(X509 *x, struct fx_leaf *f)
{
    subj_drop(x, NID_stateOrProvinceName);
    subj_drop(x, NID_localityName);
}
static void b_ev_drop_serial(X509 *x, struct fx_leaf *f) { subj_drop(x, NID_serialNumber); }
static void b_c_last(X509 *x, struct fx_leaf *f)
{
    subj_drop(x, NID_countryName);
    subj_add(x, NID_countryName, V_ASN1_PRINTABLESTRING, "JP", -1, 0);
}
static void b_multi_value(X509 *x, struct fx_leaf *f)
{
    int i = X509_NAME_get_index_by_NID(subj(x), NID_localityName, -1);
    subj_drop(x, NID_localityName);
    subj_add(x, NID_localityName, V_ASN1_UTF8STRING, "千代田区", i, -1); /* joins ST */
}
static void b_duplicate_o(X509 *x, struct fx_leaf *f)
{
    int i = X509_NAME_get_index_by_NID(subj(x), NID_organizationName, -1);
    subj_add(x, NID_organizationName, V_ASN1_UTF8STRING, "Example Trading", i + 1, 0);
}
static void b_c_utf8(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_countryName, V_ASN1_UTF8STRING, "JP");
}
static void b_c_lower(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_countryName, V_ASN1_PRINTABLESTRING, "jp");
}
static void b_o_bmp(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_organizationName, V_ASN1_BMPSTRING, "\x30\x42");
}
static void b_o_65(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_organizationName, V_ASN1_UTF8STRING,
                 "12345678901234567890123456789012345678901234567890123456789012345");
}
static void b_o_dash(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_organizationName, V_ASN1_UTF8STRING, "-");
}
static void b_business_category(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_businessCategory, V_ASN1_UTF8STRING, "Corporation");
}
static void b_cn_other(X509 *x, struct fx_leaf *f)
{
    subj_replace(x, NID_commonName, V_ASN1_UTF8STRING, "mail.example.co.jp");
}

/* key */
static void b_ed25519(X509 *x, struct fx_leaf *f) { X509_set_pubkey(x, fx_key(FX_ED25519)); }
static void b_ec_explicit(X509 *x, struct fx_leaf *f)
{
    EVP_PKEY *k = EVP_PKEY_dup(fx_key(FX_P256));
    assert_true(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"));
    assert_true(X509_set_pubkey(x, k));
    EVP_PKEY_free(k);
}
static void b_ec_compressed(X509 *x, struct fx_leaf *f)
{
    EVP_PKEY *k = EVP_PKEY_dup(fx_key(FX_P256));
    assert_true(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                               "compressed"));
    assert_true(X509_set_pubkey(x, k));
    EVP_PKEY_free(k);
}

/* extensions */
static void b_drop_eku(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_ext_key_usage); }
static void b_eku_empty(X509 *x, struct fx_leaf *f) { put_eku(x, NULL, 0, 0); }
static void b_eku_client(X509 *x, struct fx_leaf *f)
{
    const int nids[] = {NID_server_auth, NID_client_auth};
    put_eku(x, nids, 2, 0);
}
static void b_eku_critical(X509 *x, struct fx_leaf *f)
{
    const int nids[] = {NID_server_auth};
    put_eku(x, nids, 1, 1);
}
static void b_eku_twice(X509 *x, struct fx_leaf *f)
{
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth));
    assert_int_equal(X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_APPEND), 1);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}
static void b_drop_ku(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_key_usage); }
static void b_ku_certsign(X509 *x, struct fx_leaf *f)
{
    const int bits[] = {0, 2, 5};
    put_ku(x, bits, 3);
}
static void b_ku_ec_keyenc(X509 *x, struct fx_leaf *f)
{
    const int bits[] = {0, 2};
    put_ku(x, bits, 2);
}
static void b_ku_garbage(X509 *x, struct fx_leaf *f)
{
    put_raw_ext(x, NULL, NID_key_usage, 1, "\x04\x01\x00", 3);
}
static void b_drop_bc(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_basic_constraints); }
static void b_ca_true(X509 *x, struct fx_leaf *f)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    bc->ca = 1;
    put_ext(x, NID_basic_constraints, bc, 1);
    BASIC_CONSTRAINTS_free(bc);
}
static void b_bc_explicit_false(X509 *x, struct fx_leaf *f)
{
    put_raw_ext(x, NULL, NID_basic_constraints, 1, "\x30\x03\x01\x01\x00", 5);
}
static void b_bc_not_critical(X509 *x, struct fx_leaf *f)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    put_ext(x, NID_basic_constraints, bc, 0);
    BASIC_CONSTRAINTS_free(bc);
}
static void b_drop_aki(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_authority_key_identifier); }
static void b_aki_other(X509 *x, struct fx_leaf *f)
{
    AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();
    a->keyid = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(a->keyid, (const unsigned char *)"01234567890123456789", 20);
    put_ext(x, NID_authority_key_identifier, a, 0);
    AUTHORITY_KEYID_free(a);
}
static void b_add_ski(X509 *x, struct fx_leaf *f)
{
    ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(s, (const unsigned char *)"01234567890123456789", 20);
    put_ext(x, NID_subject_key_identifier, s, 0);
    ASN1_OCTET_STRING_free(s);
}
static void b_drop_aia(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_info_access); }
static void b_aia_extra_method(X509 *x, struct fx_leaf *f)
{
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    ad->method = OBJ_nid2obj(NID_caRepository);
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, "http://repo.shomei.test/", -1);
    GENERAL_NAME_set0_value(ad->location, GEN_URI, s);
    sk_ACCESS_DESCRIPTION_push(aia, ad);
    put_ext(x, NID_info_access, aia, 0);
    AUTHORITY_INFO_ACCESS_free(aia);
}
static void p_no_ocsp_in_cert(struct fx_leaf *f) { f->req.ocsp_url = NULL; }
/* R-CSR-2: the linter is told the CSR's key, and the certificate carries another one. */
static void p_spki_other(struct fx_leaf *f)
{
    if (spki_other == NULL) {
        spki_other = X509_new();
        assert_true(X509_set_pubkey(spki_other, fx_key(FX_P384)));
    }
    f->ctx.spki = X509_get_X509_PUBKEY(spki_other);
}
static void b_drop_crldp(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_crl_distribution_points); }
static void p_crl_other(struct fx_leaf *f) { f->req.crl_url = "http://crl.shomei.test/other.crl"; }
static void b_drop_cp(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_certificate_policies); }
static void b_cp_ov_oid(X509 *x, struct fx_leaf *f)
{
    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    POLICYINFO *pi = sk_POLICYINFO_value(cp, 0);
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj("2.23.140.1.2.2", 1);
    put_ext(x, NID_certificate_policies, cp, 0);
    CERTIFICATEPOLICIES_free(cp);
}
static void b_cp_no_cps(X509 *x, struct fx_leaf *f)
{
    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    POLICYINFO *pi = sk_POLICYINFO_value(cp, 0);
    sk_POLICYQUALINFO_pop_free(pi->qualifiers, POLICYQUALINFO_free);
    pi->qualifiers = NULL;
    put_ext(x, NID_certificate_policies, cp, 0);
    CERTIFICATEPOLICIES_free(cp);
}
static void b_unknown_critical(X509 *x, struct fx_leaf *f)
{
    put_raw_ext(x, "1.3.6.1.4.1.99999.7", NID_undef, 1, "\x05\x00", 2);
}
static void b_unknown(X509 *x, struct fx_leaf *f)
{
    put_raw_ext(x, "1.3.6.1.4.1.99999.7", NID_undef, 0, "\x05\x00", 2);
}
static void b_drop_san(X509 *x, struct fx_leaf *f) { drop_ext(x, NID_subject_alt_name); }
static void b_san_ip(X509 *x, struct fx_leaf *f) { put_san(x, f, "ip", 1); }
static void b_san_dup(X509 *x, struct fx_leaf *f) { put_san(x, f, "example.co.jp", 0); }
static void b_san_unvetted(X509 *x, struct fx_leaf *f) { put_san(x, f, "mail.example.co.jp", 0); }
static void b_san_missing_name(X509 *x, struct fx_leaf *f)
{
    static const char *const more[] = {"www.example.co.jp", "example.co.jp",
                                       "mail.example.co.jp"};
    f->ctx.names = more;
    f->ctx.nnames = 3;
}
static void b_san_critical(X509 *x, struct fx_leaf *f)
{
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    put_ext(x, NID_subject_alt_name, g, 1);
    GENERAL_NAMES_free(g);
}
static void p_ev_wildcard(struct fx_leaf *f)
{
    static const char *const n[] = {"*.example.co.jp", "example.co.jp"};
    f->req.names = f->ctx.names = n;
    f->subj.cn = n[1];
}

/* sigalg */
static void b_sign_sha1(X509 *x, struct fx_leaf *f)
{
    assert_true(X509_sign(x, fx_key(FX_RSA2048), EVP_sha1()) > 0);
}
static void p_issuer_p384(struct fx_leaf *f) { f->ctx.issuer = f->req.issuer = ca_p384; }
static void b_sign_p384_sha256(X509 *x, struct fx_leaf *f)
{
    assert_true(X509_sign(x, fx_key(FX_P384), EVP_sha256()) > 0);
}
/* issue 8 item 28: the algorithm the signer will use is linted before signing */
static void p_unsigned_p384_sha256(struct fx_leaf *f)
{
    f->ctx.issuer = f->req.issuer = ca_p384;
    f->ctx.sig_md = "SHA256";
}
static void p_unsigned_no_md(struct fx_leaf *f) { f->ctx.sig_md = NULL; }
static void p_unsigned_sha1(struct fx_leaf *f) { f->ctx.sig_md = "SHA1"; }
static void p_fresh_issuer(struct fx_leaf *f) { f->ctx.issuer = f->req.issuer = ca_fresh; }
static void b_outer_differs(X509 *x, struct fx_leaf *f)
{
    assert_true(X509_sign(x, fx_key(FX_RSA2048), EVP_sha256()) > 0);
    const ASN1_BIT_STRING *sig;
    const X509_ALGOR *outer;
    X509_get0_signature(&sig, &outer, x);
    X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_sha384WithRSAEncryption), V_ASN1_NULL,
                    NULL);
}

#define R(name, rule, lvl, key, prep, brk) {"test_lint_cert_" name, rule, lvl, key, prep, brk}
#define DV LEVEL_DV
#define OV LEVEL_OV
#define EV LEVEL_EV
static const struct row rows[] = {
    R("version_v1", "lint.version", DV, FX_P256, NULL, b_version),
    R("serial_4_bytes", "lint.serial.too_short", DV, FX_P256, NULL, b_serial_4),
    R("serial_negative", "lint.serial.negative", DV, FX_P256, NULL, b_serial_negative),
    R("serial_zero", "lint.serial.zero", DV, FX_P256, NULL, b_serial_zero),
    R("serial_21_octets", "lint.serial.too_long", DV, FX_P256, NULL, b_serial_21),
    R("issuer_other_ca", "lint.issuer.mismatch", DV, FX_P256, NULL, b_issuer),
    R("generalized_before_2050", "lint.validity.encoding", DV, FX_P256, NULL,
      b_utc_as_generalized),
    R("validity_inverted", "lint.validity.inverted", DV, FX_P256, NULL, b_inverted),
    R("validity_201_days_on_2026_11_22", "lint.validity.too_long", DV, FX_P256, NULL,
      b_201_days),
    R("validity_200_days_plus_1s", "lint.validity.too_long", DV, FX_RSA2048, NULL,
      b_200_days_and_a_second),
    R("past_subscription_end", "lint.validity.past_subscription", OV, FX_P256, NULL,
      b_past_subscription),
    R("past_issuer_not_after", "lint.validity.past_issuer", DV, FX_P256, p_short_issuer,
      NULL),
    R("notbefore_3_days_back", "lint.notbefore.far", DV, FX_P256, NULL, b_notbefore_3_days),
    R("notbefore_48h_and_1s_back", "lint.notbefore.far", DV, FX_P256, NULL,
      b_notbefore_48h_1s),
    R("notbefore_in_future", "lint.notbefore.far", DV, FX_P256, NULL, b_notbefore_future),
    R("subject_ou", "lint.subject.ou_present", OV, FX_P256, NULL, b_add_ou),
    R("dv_subject_ou", "lint.subject.ou_present", DV, FX_P256, NULL, b_add_ou),
    R("dv_subject_o", "lint.dv.subject_extra_attr", DV, FX_P256, NULL, b_dv_add_o),
    R("ov_subject_email", "lint.subject.attr_unexpected", OV, FX_P256, NULL, b_ov_add_email),
    R("ov_without_o", "lint.subject.missing_attr", OV, FX_P256, NULL, b_ov_drop_o),
    R("ov_without_l_st", "lint.subject.missing_attr", OV, FX_P256, NULL, b_ov_drop_st_l),
    R("ev_without_serial", "lint.subject.missing_attr", EV, FX_P256, NULL, b_ev_drop_serial),
    R("subject_c_last", "lint.subject.order", OV, FX_P256, NULL, b_c_last),
    R("subject_multi_valued_rdn", "lint.subject.multi_value", OV, FX_P256, NULL, b_multi_value),
    R("subject_two_o", "lint.subject.duplicate_attr", OV, FX_P256, NULL, b_duplicate_o),
    R("subject_c_utf8", "lint.subject.encoding", OV, FX_P256, NULL, b_c_utf8),
    R("subject_c_lower", "lint.subject.encoding", DV, FX_P256, NULL, b_c_lower),
    R("subject_o_bmpstring", "lint.subject.encoding", OV, FX_P256, NULL, b_o_bmp),
    R("subject_o_65_chars", "lint.subject.too_long", OV, FX_P256, NULL, b_o_65),
    R("subject_o_dash", "lint.subject.bad_value", OV, FX_P256, NULL, b_o_dash),
    R("ev_business_category", "lint.ev.business_category", EV, FX_P256, NULL,
      b_business_category),
    R("key_rsa_1024", "lint.key.weak", DV, FX_RSA1024, NULL, NULL),
    R("key_p521", "lint.key.weak", DV, FX_P521, NULL, NULL),
    R("key_ed25519", "lint.key.type", DV, FX_P256, NULL, b_ed25519),
    R("key_explicit_curve", "lint.key.encoding", DV, FX_P256, NULL, b_ec_explicit),
    R("key_compressed_point", "lint.key.encoding", DV, FX_P256, NULL, b_ec_compressed),
    R("key_not_the_csr_key", "lint.key.mismatch", DV, FX_P256, p_spki_other, NULL),
    R("eku_dropped", "lint.eku.missing", DV, FX_P256, NULL, b_drop_eku),
    R("eku_empty", "lint.eku.not_serverauth", DV, FX_P256, NULL, b_eku_empty),
    R("eku_client_auth", "lint.eku.extra", DV, FX_P256, NULL, b_eku_client),
    R("eku_critical", "lint.ext.criticality", DV, FX_P256, NULL, b_eku_critical),
    R("eku_twice", "lint.ext.duplicate", DV, FX_P256, NULL, b_eku_twice),
    R("ku_dropped", "lint.ku.missing", DV, FX_RSA2048, NULL, b_drop_ku),
    R("ku_cert_sign", "lint.ku.wrong", DV, FX_RSA2048, NULL, b_ku_certsign),
    R("ku_ec_key_encipherment", "lint.ku.wrong", DV, FX_P256, NULL, b_ku_ec_keyenc),
    R("ku_undecodable", "lint.ext.malformed", DV, FX_P256, NULL, b_ku_garbage),
    R("bc_dropped", "lint.bc.missing", DV, FX_P256, NULL, b_drop_bc),
    R("bc_ca_true", "lint.bc.ca_true", DV, FX_P256, NULL, b_ca_true),
    R("bc_explicit_false", "lint.bc.encoding", DV, FX_P256, NULL, b_bc_explicit_false),
    R("bc_not_critical", "lint.ext.criticality", DV, FX_P256, NULL, b_bc_not_critical),
    R("aki_dropped", "lint.aki.missing", DV, FX_P256, NULL, b_drop_aki),
    R("aki_other_keyid", "lint.aki.mismatch", DV, FX_P256, NULL, b_aki_other),
    R("ski_added", "lint.ski.present", DV, FX_P256, NULL, b_add_ski),
    R("aia_dropped", "lint.aia.missing", DV, FX_P256, NULL, b_drop_aia),
    R("aia_ca_repository", "lint.aia.bad", DV, FX_P256, NULL, b_aia_extra_method),
    R("aia_without_ocsp", "lint.aia.ocsp_missing", DV, FX_P256, p_no_ocsp_in_cert, NULL),
    R("crldp_dropped", "lint.crldp.missing", DV, FX_P256, NULL, b_drop_crldp),
    R("crldp_other_url", "lint.crldp.bad", DV, FX_P256, p_crl_other, NULL),
    R("policies_dropped", "lint.policy.missing", DV, FX_P256, NULL, b_drop_cp),
    R("policy_ov_oid_on_dv", "lint.policy.wrong_oid", DV, FX_P256, NULL, b_cp_ov_oid),
    R("policy_without_cps", "lint.policy.cps", DV, FX_P256, NULL, b_cp_no_cps),
    R("unknown_critical_ext", "lint.ext.unknown_critical", DV, FX_P256, NULL,
      b_unknown_critical),
    R("unknown_ext", "lint.ext.unexpected", DV, FX_P256, NULL, b_unknown),
    R("san_dropped", "lint.san.missing", DV, FX_P256, NULL, b_drop_san),
    R("san_ip_address", "lint.san.not_dns", DV, FX_P256, NULL, b_san_ip),
    R("san_duplicate", "lint.san.duplicate", DV, FX_P256, NULL, b_san_dup),
    R("san_unvetted_name", "lint.san.mismatch", DV, FX_P256, NULL, b_san_unvetted),
    R("san_vetted_name_missing", "lint.san.mismatch", DV, FX_P256, NULL, b_san_missing_name),
    R("san_critical_with_subject", "lint.ext.criticality", DV, FX_P256, NULL, b_san_critical),
    R("cn_not_in_san", "lint.san.missing_cn", OV, FX_P256, NULL, b_cn_other),
    R("ev_wildcard", "lint.ev.wildcard", EV, FX_P256, p_ev_wildcard, NULL),
    R("signed_sha1", "lint.sigalg.bad", DV, FX_P256, NULL, b_sign_sha1),
    R("p384_issuer_signed_sha256", "lint.sigalg.bad", DV, FX_P256, p_issuer_p384,
      b_sign_p384_sha256),
    R("outer_sigalg_differs", "lint.sigalg.mismatch", DV, FX_P256, NULL, b_outer_differs),
    R("item28_unsigned_p384_issuer_sha256", "lint.sigalg.bad", DV, FX_P256,
      p_unsigned_p384_sha256, NULL),
    R("item28_unsigned_no_digest", "lint.sigalg.unknown", DV, FX_P256, p_unsigned_no_md, NULL),
    R("item28_unsigned_sha1", "lint.sigalg.unknown", DV, FX_P256, p_unsigned_sha1, NULL),
    R("item28_notbefore_before_issuer", "lint.notbefore.before_issuer", DV, FX_P256,
      p_fresh_issuer, NULL),
};

/* Lints the row's broken certificate (with m: after m has seen the same certificate
 * unbroken) and requires exactly the row's rule. */
static void check_row(const struct row *row, struct lint_memo *m)
{
    struct fx_leaf f;
    fx_leaf_init(&f, row->level, fx_key(row->key), ca_rsa);
    if (row->prep != NULL)
        row->prep(&f);
    f.ctx.memo = m;
    X509 *x = fx_build(&f);
    struct lint_report r;
    if (m != NULL)
        (void)lint_cert(x, &f.ctx, &r); /* the unbroken one: its clean extensions remembered */
    if (row->breakit != NULL)
        row->breakit(x, &f);
    int rc = lint_cert(x, &f.ctx, &r);
    int only = r.n > 0;
    for (size_t i = 0; i < r.n; i++)
        only &= strcmp(r.f[i].id, row->rule) == 0;
    if (rc != -SM_E_LINT || !only) {
        dump(row->test, &r);
        fail_msg("%s%s: expected only %s", row->test, m ? " (with a memo)" : "", row->rule);
    }
    X509_free(x);
}

static void run_row(void **state) { check_row(*state, NULL); }

/* R-ISS-3: what a lint memo remembers hides nothing. Every broken certificate of the table
 * is linted right after its unbroken self with the same memo, and must show exactly its
 * rule, as without one. */
static void test_lint_memo_hides_no_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct lint_memo m = {0};
        check_row(&rows[i], &m);
        lint_memo_free(&m);
    }
}

/* R-ISS-3: the memo remembers the extensions of a clean certificate (so a bulk run skips
 * them), and forgets them when the context they were checked in changes: the same bytes
 * under another OCSP URL, CPS URL, level or issuer are checked again and refused. */
static void test_lint_memo_context(void **state)
{
    (void)state;
    struct lint_memo m = {0};
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.ctx.memo = &m;
    X509 *x = fx_build(&f);
    struct lint_report r;
    assert_int_equal(lint_cert(x, &f.ctx, &r), 0);
    int kept = 0;
    for (int k = 0; k < LINT_MEMO_SLOTS; k++)
        kept += m.clean[k] != NULL;
    assert_int_equal(kept, 6); /* EKU, KU, BC, AKI, AIA, policies; never SAN or CDP */
    assert_int_equal(lint_cert(x, &f.ctx, &r), 0);

    f.ctx.ocsp_url = "http://ocsp.other.test";
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    assert_true(lint_report_has(&r, "lint.aia.bad"));
    f.ctx.ocsp_url = FX_OCSP;
    assert_int_equal(lint_cert(x, &f.ctx, &r), 0);

    f.ctx.cps_url = "https://repo.other.test/cps";
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    assert_true(lint_report_has(&r, "lint.policy.cps"));
    f.ctx.cps_url = FX_CPS;
    assert_int_equal(lint_cert(x, &f.ctx, &r), 0);

    f.ctx.level = LEVEL_OV;
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    assert_true(lint_report_has(&r, "lint.policy.wrong_oid"));
    f.ctx.level = LEVEL_DV;
    assert_int_equal(lint_cert(x, &f.ctx, &r), 0);

    f.ctx.issuer = ca_p384; /* another SKI: the AKI no longer matches */
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    assert_true(lint_report_has(&r, "lint.aki.mismatch"));
    f.ctx.issuer = ca_rsa;

    const int bits[] = {0, 2}; /* keyEncipherment on an EC key: refused, and each time */
    put_ku(x, bits, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
        assert_true(lint_report_has(&r, "lint.ku.wrong"));
    }
    X509_free(x);
    lint_memo_free(&m);
    assert_null(m.key.issuer);
}

/* Names the BR forbid in a dNSName (lint.name.invalid), each added to the SAN and to the
 * vetted list so that nothing but the name rule can fire. */
static void test_lint_cert_invalid_names(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "WWW.example.co.jp",    "www_1.example.co.jp",  "intranet.local",
        "server",               "192.0.2.1",            "*.example.co.jp",
        "co.jp",                "foo.*.example.co.jp",  "ab--cd.example.co.jp",
        "xn--zz.example.co.jp", "-www.example.co.jp",   "www.example.co.jp.",
        "1.2.0.192.in-addr.arpa", "host.internal",      "example.test",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fx_leaf f;
        fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
        const char *names[] = {f.names[0], f.names[1], bad[i]};
        X509 *x = fx_build(&f);
        f.ctx.names = names;
        f.ctx.nnames = 3;
        put_san(x, &f, NULL, 0);
        struct lint_report r;
        int rc = lint_cert(x, &f.ctx, &r);
        int only = r.n == 1 && strcmp(r.f[0].id, "lint.name.invalid") == 0;
        if (rc != -SM_E_LINT || !only) {
            dump(bad[i], &r);
            fail_msg("%s: expected only lint.name.invalid", bad[i]);
        }
        X509_free(x);
    }
}

/* RFC 5280 4.1.2.5: a certificate reaching into 2050 switches to GeneralizedTime there
 * and still passes. */
static void test_lint_cert_good_across_2050(void **state)
{
    (void)state;
    time_t t;
    assert_int_equal(clock_parse_utc("2049-12-01T00:00:00Z", &t), 0);
    clock_set(t);
    X509 *ca = fx_ca(fx_key(FX_P256), "Test CA 2049", t, t + 5 * 365 * FX_DAY, 1);
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_OV, fx_key(FX_P256), ca);
    X509 *x = fx_build(&f);
    assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(x)), V_ASN1_UTCTIME);
    assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)), V_ASN1_GENERALIZEDTIME);
    expect_clean(x, &f.ctx, "2049-2050");
    /* The 2029 schedule applies: 47 days, so 48 days is too long. */
    set_time(X509_getm_notAfter(x), f.req.not_before + 48 * FX_DAY - 1);
    struct lint_report r;
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.f[0].id, "lint.validity.too_long");
    X509_free(x);
    X509_free(ca);
    clock_set(fx_now());
}

/* Length of the DER element at p (header included); *hdr receives the header length. */
static long der_elem(const unsigned char *p, long max, long *hdr)
{
    const unsigned char *q = p;
    long len;
    int tag, cls;
    assert_false(ASN1_get_object(&q, &len, &tag, &cls, max) & 0x80);
    *hdr = (long)(q - p);
    return *hdr + len;
}

/* BR 7.1.2.7: subjectUniqueID MUST NOT be present. OpenSSL cannot set it, so the test
 * splices "[2] BIT STRING" into a signed good certificate's DER before the extensions. */
static void test_lint_cert_unique_id_present(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    X509 *x = fx_build(&f);
    assert_true(X509_sign(x, fx_key(FX_RSA2048), EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    long h0, h1;
    der_elem(der, n, &h0);
    long tbs = der_elem(der + h0, n - h0, &h1);
    assert_true(der[1] == 0x82 && der[h0 + 1] == 0x82); /* two-octet lengths */
    const unsigned char *p = der + h0 + h1, *end = der + h0 + tbs;
    while (p < end && *p != 0xa3) {
        long h;
        p += der_elem(p, end - p, &h);
    }
    assert_true(p < end);
    size_t off = (size_t)(p - der);
    unsigned char *nd = malloc((size_t)n + 4);
    assert_non_null(nd);
    memcpy(nd, der, off);
    memcpy(nd + off, "\x82\x02\x00\xff", 4);
    memcpy(nd + off + 4, der + off, (size_t)n - off);
    for (long at = 2; at <= h0 + 2; at += h0) { /* outer and tbs lengths grow by 4 */
        unsigned v = ((unsigned)nd[at] << 8 | nd[at + 1]) + 4;
        nd[at] = (unsigned char)(v >> 8);
        nd[at + 1] = (unsigned char)v;
    }
    const unsigned char *cp = nd;
    X509 *y = d2i_X509(NULL, &cp, n + 4);
    assert_non_null(y);
    struct lint_report r;
    assert_int_equal(lint_cert(y, &f.ctx, &r), -SM_E_LINT);
    if (r.n != 1 || strcmp(r.f[0].id, "lint.uid.present") != 0) {
        dump("uid", &r);
        fail();
    }
    X509_free(y);
    free(nd);
    OPENSSL_free(der);
    X509_free(x);
}

/* A context without an issuer cannot be evaluated: fail closed. */
static void test_lint_cert_incomplete_context_fails_closed(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    X509 *x = fx_build(&f);
    struct lint_report r;
    f.ctx.issuer = NULL;
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    assert_true(lint_report_has(&r, "lint.internal"));
    f.ctx.issuer = ca_rsa;
    f.ctx.now = 0;
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    f.ctx.now = clock_now();
    assert_int_equal(lint_cert(NULL, &f.ctx, &r), -SM_E_LINT);
    assert_int_equal(r.n, 1);
    X509_free(x);
}

/* Many failures at once: all are listed up to the cap, and the log line carries the ids. */
static void test_lint_report_lists_every_failure(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_OV, fx_key(FX_RSA2048), ca_rsa);
    X509 *x = fx_build(&f);
    b_add_ou(x, &f);
    b_drop_eku(x, &f);
    b_ca_true(x, &f);
    b_serial_4(x, &f);
    b_201_days(x, &f);
    struct lint_report r;
    assert_int_equal(lint_cert(x, &f.ctx, &r), -SM_E_LINT);
    static const char *const ids[] = {"lint.subject.ou_present", "lint.eku.missing",
                                      "lint.bc.ca_true", "lint.serial.too_short",
                                      "lint.validity.too_long"};
    for (size_t i = 0; i < 5; i++)
        assert_true(lint_report_has(&r, ids[i]));
    assert_int_equal(r.n, 5);
    char line[512];
    assert_int_equal(lint_report_format(&r, line, sizeof line), 5);
    assert_non_null(strstr(line, "lint.eku.missing: "));
    char tiny[8];
    lint_report_format(&r, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
    X509_free(x);
}

/* Every id the table-driven tests expect is a documented rule, and ids are unique. */
static void test_lint_rules_table_complete(void **state)
{
    (void)state;
    size_t n;
    const struct lint_rule *t = lint_rules(&n);
    assert_true(n >= 50);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(strstr(t[i].id, "lint."));
        assert_true(strlen(t[i].ref) > 0 && strlen(t[i].summary) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t[i].id, t[j].id);
    }
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= strcmp(rows[k].rule, t[i].id) == 0;
        if (!found)
            fail_msg("%s not in the rule table", rows[k].rule);
    }
}

int main(void)
{
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_lint_cert_good_profiles_pass),
        cmocka_unit_test(test_lint_cert_good_variants_pass),
        cmocka_unit_test(test_lint_cert_invalid_names),
        cmocka_unit_test(test_lint_cert_good_across_2050),
        cmocka_unit_test(test_lint_cert_unique_id_present),
        cmocka_unit_test(test_lint_cert_incomplete_context_fails_closed),
        cmocka_unit_test(test_lint_report_lists_every_failure),
        cmocka_unit_test(test_lint_rules_table_complete),
        cmocka_unit_test(test_lint_memo_hides_no_rule),
        cmocka_unit_test(test_lint_memo_context),
    };
    enum { NFIXED = sizeof fixed / sizeof fixed[0], NROWS = sizeof rows / sizeof rows[0] };
    struct CMUnitTest tests[NFIXED + NROWS];
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < NROWS; i++) {
        struct CMUnitTest t = {rows[i].test, run_row, NULL, NULL, (void *)&rows[i]};
        tests[NFIXED + i] = t;
    }
    return _cmocka_run_group_tests("test_lint", tests, NFIXED + NROWS, setup, teardown);
}
