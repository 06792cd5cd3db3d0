/* SPDX-License-Identifier: MIT */
/* R-ISS-2: the leaf profile. Serial numbers, validity at the dated policy boundaries and
 * never past the subscription end, every field and extension of the built certificate,
 * and the requests the profile refuses instead of issuing something else. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "core/policy.h"
#include "pki/profile.h"

#include "leaf_fixture.h"

static X509 *ca_rsa, *ca_p384;

static int setup(void **state)
{
    (void)state;
    clock_set(fx_now());
    time_t now = clock_now();
    ca_rsa = fx_ca(fx_key(FX_RSA2048), "Test OV CA RSA", now, now + 5 * 365 * FX_DAY, 1);
    ca_p384 = fx_ca(fx_key(FX_P384), "Test OV CA P-384", now, now + 5 * 365 * FX_DAY, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X509_free(ca_rsa);
    X509_free(ca_p384);
    fx_free_keys();
    clock_set(0);
    return 0;
}

static time_t at(const char *text)
{
    time_t t;
    assert_int_equal(clock_parse_utc(text, &t), 0);
    return t;
}

/* Hex of an extension's extnValue, "" when absent; *crit receives its criticality. */
static void ext_hex(const X509 *x, int nid, char *out, size_t n, int *crit)
{
    out[0] = '\0';
    *crit = -1;
    int i = X509_get_ext_by_NID(x, nid, -1);
    if (i < 0)
        return;
    X509_EXTENSION *ext = X509_get_ext(x, i);
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
    *crit = X509_EXTENSION_get_critical(ext);
    for (int k = 0; k < ASN1_STRING_length(v) && (size_t)(2 * k + 3) <= n; k++)
        snprintf(out + 2 * k, 3, "%02x", ASN1_STRING_get0_data(v)[k]);
}

/* ---- serial ---- */

/* R-ISS-2: >= 64 bits from the CSPRNG, positive, no leading zero octet, <= 20 octets. */
static void test_profile_serial_new_positive_16_octets(void **state)
{
    (void)state;
    unsigned char prev[PROFILE_SERIAL_MAX] = {0};
    for (int i = 0; i < 2000; i++) {
        unsigned char s[PROFILE_SERIAL_MAX];
        size_t len = 0;
        assert_int_equal(profile_serial_new(s, &len), 0);
        assert_int_equal(len, 16);
        assert_true(s[0] >= 0x01 && s[0] <= 0x7f);
        assert_memory_not_equal(s, prev, 16);
        memcpy(prev, s, 16);
    }
}

/* ---- validity ---- */

struct validity_row {
    const char *now;
    int requested;
    const char *sub_end; /* NULL = none */
    long long seconds;   /* expected notAfter - notBefore + 1 */
};

/* R-ISS-2: the policy maximum in force at signing time, at each boundary. */
static void test_profile_validity_policy_boundaries(void **state)
{
    (void)state;
    static const struct validity_row rows[] = {
        {"2026-03-14T23:59:59Z", 0, NULL, 398LL * FX_DAY},
        {"2026-03-15T00:00:00Z", 0, NULL, 200LL * FX_DAY},
        {"2026-11-22T03:00:00Z", 0, NULL, 200LL * FX_DAY},
        {"2026-11-22T03:00:00Z", 90, NULL, 90LL * FX_DAY},
        {"2026-11-22T03:00:00Z", 201, NULL, 200LL * FX_DAY}, /* cut to the maximum */
        {"2026-11-22T03:00:00Z", 1, NULL, 1LL * FX_DAY},
        {"2027-03-14T23:59:59Z", 0, NULL, 200LL * FX_DAY},
        {"2027-03-15T00:00:00Z", 0, NULL, 100LL * FX_DAY},
        {"2029-03-14T23:59:59Z", 0, NULL, 100LL * FX_DAY},
        {"2029-03-15T00:00:00Z", 0, NULL, 47LL * FX_DAY},
        {"2029-03-15T00:00:00Z", 100, NULL, 47LL * FX_DAY},
        /* Subscription ends first: notAfter is its last second. */
        {"2026-11-22T03:00:00Z", 0, "2027-01-31T14:59:59Z", -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct validity_row *r = &rows[i];
        clock_set(at(r->now));
        time_t now = clock_now(), nb, na, end = r->sub_end ? at(r->sub_end) : 0;
        struct sm_err e = {0};
        assert_int_equal(profile_validity(now, r->requested, end, &nb, &na, &e), 0);
        assert_true(nb == now - PROFILE_BACKDATE_SECONDS);
        long long want = r->seconds >= 0 ? r->seconds : (long long)(end - nb) + 1;
        if (policy_validity_seconds(nb, na) != want)
            fail_msg("row %zu (%s): %lld s, want %lld", i, r->now,
                     policy_validity_seconds(nb, na), want);
        int max = policy_max_validity_days(now);
        assert_true(policy_validity_fits(nb, na, max));
        if (r->seconds == max * (long long)FX_DAY) /* one more second would not fit */
            assert_false(policy_validity_fits(nb, na + 1, max));
    }
    clock_set(fx_now());
}

/* R-ISS-2: validity never past the subscription end, whatever is requested. */
static void test_profile_validity_never_past_subscription_end(void **state)
{
    (void)state;
    time_t now = clock_now();
    for (int days = 0; days <= 400; days += 7) {
        for (long long end_off = 120; end_off <= 400LL * FX_DAY; end_off = end_off * 3 + 1) {
            time_t nb, na, end = now + (time_t)end_off;
            assert_int_equal(profile_validity(now, days, end, &nb, &na, NULL), 0);
            assert_true(na <= end);
            assert_true(na >= nb);
            assert_true(policy_validity_fits(nb, na, policy_max_validity_days(now)));
        }
    }
}

static void test_profile_validity_refuses_ended_subscription(void **state)
{
    (void)state;
    time_t now = clock_now(), nb = 0, na = 0;
    struct sm_err e = {0};
    assert_int_equal(profile_validity(now, 0, now - PROFILE_BACKDATE_SECONDS, &nb, &na, &e),
                     -SM_E_POLICY);
    assert_int_equal(e.code, SM_E_POLICY);
    assert_int_equal(profile_validity(now, 0, now - 10 * FX_DAY, &nb, &na, &e), -SM_E_POLICY);
}

static void test_profile_validity_refuses_negative_days(void **state)
{
    (void)state;
    time_t nb, na;
    struct sm_err e = {0};
    assert_int_equal(profile_validity(clock_now(), -1, 0, &nb, &na, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "days");
}

/* ---- build ---- */

static void expect_subject(const X509 *x, const int *nids, const int *types, size_t n)
{
    const X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_entry_count(name), (int)n);
    for (size_t i = 0; i < n; i++) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, (int)i);
        assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne)), nids[i]);
        assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(ne)), types[i]);
        assert_int_equal(X509_NAME_ENTRY_set(ne), (int)i); /* one attribute per RDN */
    }
}

/* R-ISS-2: every field and extension of a DV certificate with an RSA key. */
static void test_profile_build_dv_rsa_fields(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_RSA2048), ca_rsa);
    X509 *x = fx_build(&f);
    char hex[512];
    int crit;

    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    unsigned char sb[PROFILE_SERIAL_MAX];
    assert_int_equal(BN_bn2bin(bn, sb), 16);
    assert_memory_equal(sb, f.serial, 16);
    BN_free(bn);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca_rsa)), 0);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), f.req.not_before), 0);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), f.req.not_after), 0);
    assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)), V_ASN1_UTCTIME);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), fx_key(FX_RSA2048)), 1);

    /* DV subject: C (PrintableString) then CN (UTF8String), nothing else. */
    const int nids[] = {NID_countryName, NID_commonName};
    const int types[] = {V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING};
    expect_subject(x, nids, types, 2);

    ext_hex(x, NID_key_usage, hex, sizeof hex, &crit);
    assert_string_equal(hex, "030205a0"); /* digitalSignature, keyEncipherment */
    assert_int_equal(crit, 1);
    ext_hex(x, NID_ext_key_usage, hex, sizeof hex, &crit);
    assert_string_equal(hex, "300a06082b06010505070301"); /* serverAuth only */
    assert_int_equal(crit, 0);
    ext_hex(x, NID_basic_constraints, hex, sizeof hex, &crit);
    assert_string_equal(hex, "3000"); /* CA:FALSE */
    assert_int_equal(crit, 1);
    ext_hex(x, NID_subject_key_identifier, hex, sizeof hex, &crit);
    assert_int_equal(crit, -1); /* no SKI on leaves */

    AUTHORITY_KEYID *akid = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
    assert_non_null(akid);
    assert_int_equal(crit, 0);
    assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(ca_rsa)), 0);
    assert_null(akid->issuer);
    assert_null(akid->serial);
    AUTHORITY_KEYID_free(akid);

    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
    assert_non_null(aia);
    assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 2);
    ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
    assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
    assert_string_equal(ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
                        FX_OCSP);
    ad = sk_ACCESS_DESCRIPTION_value(aia, 1);
    assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_ca_issuers);
    assert_string_equal(ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
                        FX_CA_ISSUERS);
    AUTHORITY_INFO_ACCESS_free(aia);

    CRL_DIST_POINTS *cdp = X509_get_ext_d2i(x, NID_crl_distribution_points, &crit, NULL);
    assert_non_null(cdp);
    assert_int_equal(sk_DIST_POINT_num(cdp), 1);
    DIST_POINT *dp = sk_DIST_POINT_value(cdp, 0);
    assert_null(dp->reasons);
    assert_null(dp->CRLissuer);
    GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
    assert_int_equal(gn->type, GEN_URI);
    assert_string_equal(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), FX_CRL);
    CRL_DIST_POINTS_free(cdp);

    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
    assert_non_null(cp);
    assert_int_equal(sk_POLICYINFO_num(cp), 1);
    POLICYINFO *pi = sk_POLICYINFO_value(cp, 0);
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, pi->policyid, 1);
    assert_string_equal(oid, "2.23.140.1.2.1");
    assert_int_equal(sk_POLICYQUALINFO_num(pi->qualifiers), 1);
    POLICYQUALINFO *q = sk_POLICYQUALINFO_value(pi->qualifiers, 0);
    assert_int_equal(OBJ_obj2nid(q->pqualid), NID_id_qt_cps);
    assert_string_equal(ASN1_STRING_get0_data(q->d.cpsuri), FX_CPS);
    CERTIFICATEPOLICIES_free(cp);

    GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    assert_non_null(san);
    assert_int_equal(crit, 0);
    assert_int_equal(sk_GENERAL_NAME_num(san), 2);
    for (int i = 0; i < 2; i++) {
        gn = sk_GENERAL_NAME_value(san, i);
        assert_int_equal(gn->type, GEN_DNS);
        assert_string_equal(ASN1_STRING_get0_data(gn->d.dNSName), f.names[i]);
    }
    GENERAL_NAMES_free(san);
    assert_int_equal(X509_get_ext_count(x), 8);
    X509_free(x);
}

/* R-ISS-2, R-APP-3: OV subject C, ST, L, O, CN in that order, UTF-8 values kept byte for
 * byte; no OU. */
static void test_profile_build_ov_subject_order(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_OV, fx_key(FX_RSA2048), ca_rsa);
    X509 *x = fx_build(&f);
    const int nids[] = {NID_countryName, NID_stateOrProvinceName, NID_localityName,
                        NID_organizationName, NID_commonName};
    const int types[] = {V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING, V_ASN1_UTF8STRING,
                         V_ASN1_UTF8STRING, V_ASN1_UTF8STRING};
    expect_subject(x, nids, types, 5);
    const X509_NAME_ENTRY *o = X509_NAME_get_entry(X509_get_subject_name(x), 3);
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(o);
    assert_int_equal(ASN1_STRING_length(v), (int)strlen(f.subj.o));
    assert_memory_equal(ASN1_STRING_get0_data(v), f.subj.o, strlen(f.subj.o));
    assert_int_equal(X509_NAME_get_index_by_NID(X509_get_subject_name(x),
                                                NID_organizationalUnitName, -1), -1);
    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, sk_POLICYINFO_value(cp, 0)->policyid, 1);
    assert_string_equal(oid, "2.23.140.1.2.2");
    CERTIFICATEPOLICIES_free(cp);
    X509_free(x);
}

/* R-ISS-2: EV subject with the EVG attributes and the EV policy OID. */
static void test_profile_build_ev_subject(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_EV, fx_key(FX_P256), ca_p384);
    f.subj.jurisdiction_st = "Tokyo";
    X509 *x = fx_build(&f);
    const int nids[] = {NID_businessCategory, NID_jurisdictionCountryName,
                        NID_jurisdictionStateOrProvinceName, NID_serialNumber,
                        NID_countryName, NID_stateOrProvinceName, NID_localityName,
                        NID_organizationName, NID_commonName};
    const int types[] = {V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING,
                         V_ASN1_PRINTABLESTRING, V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING,
                         V_ASN1_UTF8STRING, V_ASN1_UTF8STRING, V_ASN1_UTF8STRING};
    expect_subject(x, nids, types, 9);
    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, sk_POLICYINFO_value(cp, 0)->policyid, 1);
    assert_string_equal(oid, "2.23.140.1.1");
    CERTIFICATEPOLICIES_free(cp);
    X509_free(x);
}

/* R-ISS-2: keyEncipherment only for RSA keys. */
static void test_profile_build_ec_key_usage(void **state)
{
    (void)state;
    static const enum fx_key keys[] = {FX_P256, FX_P384};
    for (size_t i = 0; i < 2; i++) {
        struct fx_leaf f;
        fx_leaf_init(&f, LEVEL_OV, fx_key(keys[i]), ca_rsa);
        X509 *x = fx_build(&f);
        char hex[64];
        int crit;
        ext_hex(x, NID_key_usage, hex, sizeof hex, &crit);
        assert_string_equal(hex, "03020780"); /* digitalSignature */
        assert_int_equal(crit, 1);
        X509_free(x);
    }
}

/* R-ISS-2: a DV request without subject data gives an empty subject and a critical SAN
 * (RFC 5280 4.2.1.6); with only C the SAN stays non-critical. */
static void test_profile_build_dv_empty_subject_san_critical(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.subj = NULL;
    X509 *x = fx_build(&f);
    char hex[512];
    int crit;
    assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
    ext_hex(x, NID_subject_alt_name, hex, sizeof hex, &crit);
    assert_int_equal(crit, 1);
    X509_free(x);

    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.subj.cn = NULL;
    x = fx_build(&f);
    assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 1);
    ext_hex(x, NID_subject_alt_name, hex, sizeof hex, &crit);
    assert_int_equal(crit, 0);
    X509_free(x);
}

/* R-ISS-2: OCSP URL only when OCSP is enabled. */
static void test_profile_build_without_ocsp(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.ocsp_url = NULL;
    X509 *x = fx_build(&f);
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
    assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 1);
    assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method),
                     NID_ad_ca_issuers);
    AUTHORITY_INFO_ACCESS_free(aia);
    X509_free(x);
}

/* ---- refusals ---- */

static X509 *ca_noski;
static const unsigned char serial_short[] = {0x12, 0x34, 0x56, 0x78};
static const unsigned char serial_zero_lead[] = {0x00, 0x81, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                 11, 12, 13, 14, 15};
static const unsigned char serial_21[] = {0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                          11, 12, 13, 14, 15, 16, 17, 18, 19};
static const char *const names_upper[] = {"WWW.example.co.jp", "example.co.jp"};
static const char *const names_dup[] = {"www.example.co.jp", "www.example.co.jp"};
static const char *const names_underscore[] = {"www_1.example.co.jp", "example.co.jp"};

struct refusal {
    const char *name;
    void (*change)(struct fx_leaf *f);
    const char *field; /* expected sm_err field */
};

static void r_dv_with_o(struct fx_leaf *f) { f->subj.o = "例示商事株式会社"; }
static void r_dv_with_st(struct fx_leaf *f) { f->subj.st = "東京都"; }
static void r_ov_no_o(struct fx_leaf *f) { f->req.level = LEVEL_OV, f->subj.l = "港区"; }
static void r_ov_no_locality(struct fx_leaf *f)
{
    f->req.level = LEVEL_OV;
    f->subj.o = "例示商事株式会社";
}
static void r_ov_ev_attr(struct fx_leaf *f)
{
    r_ov_no_locality(f);
    f->subj.l = "港区";
    f->subj.serial_number = "010001234567";
}
static void r_ev_no_category(struct fx_leaf *f)
{
    r_ov_no_locality(f);
    f->req.level = LEVEL_EV;
    f->subj.l = "港区";
    f->subj.jurisdiction_c = "JP";
    f->subj.serial_number = "010001234567";
}
static void r_ev_bad_category(struct fx_leaf *f)
{
    r_ev_no_category(f);
    f->subj.business_category = "Corporation";
}
static void r_ev_bad_jurisdiction(struct fx_leaf *f)
{
    r_ev_bad_category(f);
    f->subj.business_category = "Private Organization";
    f->subj.jurisdiction_c = "Japan";
}
static void r_cn_not_in_names(struct fx_leaf *f) { f->subj.cn = "mail.example.co.jp"; }
static void r_c_lower(struct fx_leaf *f) { f->subj.c = "jp"; }
static void r_cn_too_long(struct fx_leaf *f)
{
    static const char *const n[] = {"a234567890123456789012345678901234567890123456789012345."
                                    "example.co.jp"};
    f->req.names = n;
    f->req.nnames = 1;
    f->subj.cn = n[0];
}
static void r_o_control(struct fx_leaf *f)
{
    f->req.level = LEVEL_OV, f->subj.o = "Acme\x01 KK", f->subj.l = "港区";
}
static void r_o_placeholder(struct fx_leaf *f)
{
    f->req.level = LEVEL_OV, f->subj.o = "-", f->subj.l = "港区";
}
static void r_o_bad_utf8(struct fx_leaf *f)
{
    f->req.level = LEVEL_OV, f->subj.o = "\xc3\x28 KK", f->subj.l = "港区";
}
static void r_names_upper(struct fx_leaf *f) { f->req.names = names_upper, f->subj.cn = NULL; }
static void r_names_dup(struct fx_leaf *f) { f->req.names = names_dup; }
static void r_names_underscore(struct fx_leaf *f)
{
    f->req.names = names_underscore, f->subj.cn = NULL;
}
static void r_names_none(struct fx_leaf *f) { f->req.nnames = 0; }
static void r_serial_short(struct fx_leaf *f)
{
    f->req.serial = serial_short, f->req.serial_len = sizeof serial_short;
}
static void r_serial_zero_lead(struct fx_leaf *f)
{
    f->req.serial = serial_zero_lead, f->req.serial_len = sizeof serial_zero_lead;
}
static void r_serial_21(struct fx_leaf *f)
{
    f->req.serial = serial_21, f->req.serial_len = sizeof serial_21;
}
static void r_ed25519(struct fx_leaf *f) { f->req.pubkey = fx_key(FX_ED25519); }
static void r_no_key(struct fx_leaf *f) { f->req.pubkey = NULL; }
static void r_ca_issuers_https(struct fx_leaf *f)
{
    f->req.ca_issuers_url = "https://repo.shomei.test/ca.der";
}
static void r_ocsp_space(struct fx_leaf *f) { f->req.ocsp_url = "http://ocsp shomei.test"; }
static void r_no_crl(struct fx_leaf *f) { f->req.crl_url = NULL; }
static void r_cps_ftp(struct fx_leaf *f) { f->req.cps_url = "ftp://repo.shomei.test/cps"; }
static void r_issuer_noski(struct fx_leaf *f) { f->req.issuer = ca_noski; }
static void r_inverted(struct fx_leaf *f) { f->req.not_after = f->req.not_before - 1; }
static void r_level(struct fx_leaf *f) { f->req.level = (enum cert_level)7; }
static void r_ov_no_subject(struct fx_leaf *f) { f->req.level = LEVEL_OV, f->req.subj = NULL; }

/* R-ISS-2, R-CSR-2: anything outside the profile is refused, not silently dropped. */
static void test_profile_build_refuses_outside_profile(void **state)
{
    (void)state;
    time_t now = clock_now();
    ca_noski = fx_ca(fx_key(FX_P256), "No SKI CA", now, now + 365 * FX_DAY, 0);
    static const struct refusal rows[] = {
        {"dv_with_o", r_dv_with_o, "subject"},
        {"dv_with_st", r_dv_with_st, "subject"},
        {"ov_no_o", r_ov_no_o, "subject.o"},
        {"ov_no_locality", r_ov_no_locality, "subject.l"},
        {"ov_ev_attr", r_ov_ev_attr, "subject"},
        {"ov_no_subject", r_ov_no_subject, "subject"},
        {"ev_no_category", r_ev_no_category, "subject.ev"},
        {"ev_bad_category", r_ev_bad_category, "subject.business_category"},
        {"ev_bad_jurisdiction", r_ev_bad_jurisdiction, "subject.jurisdiction_c"},
        {"cn_not_in_names", r_cn_not_in_names, "subject.cn"},
        {"c_lower", r_c_lower, "subject.c"},
        {"cn_too_long", r_cn_too_long, "subject.cn"},
        {"o_control_char", r_o_control, "subject.o"},
        {"o_placeholder", r_o_placeholder, "subject.o"},
        {"o_bad_utf8", r_o_bad_utf8, "subject.o"},
        {"names_upper", r_names_upper, "names"},
        {"names_dup", r_names_dup, "names"},
        {"names_underscore", r_names_underscore, "names"},
        {"names_none", r_names_none, "names"},
        {"serial_short", r_serial_short, "serial"},
        {"serial_zero_lead", r_serial_zero_lead, "serial"},
        {"serial_21_octets", r_serial_21, "serial"},
        {"ed25519", r_ed25519, "pubkey"},
        {"no_key", r_no_key, "pubkey"},
        {"ca_issuers_https", r_ca_issuers_https, "ca_issuers_url"},
        {"ocsp_space", r_ocsp_space, "ocsp_url"},
        {"no_crl", r_no_crl, "crl_url"},
        {"cps_ftp", r_cps_ftp, "cps_url"},
        {"issuer_without_ski", r_issuer_noski, "issuer"},
        {"validity_inverted", r_inverted, "validity"},
        {"unknown_level", r_level, "level"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct fx_leaf f;
        fx_leaf_init(&f, LEVEL_DV, fx_key(FX_RSA2048), ca_rsa);
        rows[i].change(&f);
        X509 *x = (X509 *)1;
        struct sm_err e = {0};
        int rc = profile_build(&f.req, &x, &e);
        if (rc != -SM_E_INVALID || strcmp(e.field, rows[i].field) != 0)
            fail_msg("%s: rc %d field '%s' (%s), want '%s'", rows[i].name, rc, e.field,
                     e.detail, rows[i].field);
        assert_null(x);
    }
    X509_free(ca_noski);
    ca_noski = NULL;
}

/* The largest serial the profile takes: 20 octets with the top bit clear. */
static void test_profile_build_serial_20_octets(void **state)
{
    (void)state;
    static const unsigned char s20[] = {0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                        11, 12, 13, 14, 15, 16, 17, 18, 19};
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.serial = s20;
    f.req.serial_len = sizeof s20;
    X509 *x = fx_build(&f);
    assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(x)), 20);
    X509_free(x);
}

static void test_profile_policy_oid_and_level_name(void **state)
{
    (void)state;
    assert_string_equal(profile_policy_oid(LEVEL_DV), "2.23.140.1.2.1");
    assert_string_equal(profile_policy_oid(LEVEL_OV), "2.23.140.1.2.2");
    assert_string_equal(profile_policy_oid(LEVEL_EV), "2.23.140.1.1");
    assert_null(profile_policy_oid((enum cert_level)9));
    assert_string_equal(profile_level_name(LEVEL_EV), "EV");
    assert_string_equal(profile_level_name((enum cert_level)9), "?");
}

/* The text rule shared with the linter. */
static void test_profile_text_check_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int printable;
        size_t max;
        enum profile_text want;
    } rows[] = {
        {"例示商事株式会社", 0, 64, PROFILE_TEXT_OK},
        {"ABC (Japan) K.K.", 1, 64, PROFILE_TEXT_OK},
        {"例示", 1, 64, PROFILE_TEXT_ENCODING},      /* not PrintableString */
        {"a&b", 1, 64, PROFILE_TEXT_ENCODING},       /* '&' not PrintableString */
        {"\xe0\x80\xaf", 0, 64, PROFILE_TEXT_ENCODING}, /* overlong */
        {"\xed\xa0\x80", 0, 64, PROFILE_TEXT_ENCODING}, /* surrogate */
        {"a\tb", 0, 64, PROFILE_TEXT_ENCODING},
        {"\xc2\x85x", 0, 64, PROFILE_TEXT_ENCODING}, /* C1 control */
        {"東京都", 0, 3, PROFILE_TEXT_OK},            /* characters, not bytes */
        {"東京都港", 0, 3, PROFILE_TEXT_TOO_LONG},
        {"-", 0, 64, PROFILE_TEXT_BAD_VALUE},
        {" . ", 0, 64, PROFILE_TEXT_BAD_VALUE},
        {" Acme", 0, 64, PROFILE_TEXT_BAD_VALUE},
        {"Acme ", 0, 64, PROFILE_TEXT_BAD_VALUE},
        {"", 0, 64, PROFILE_TEXT_BAD_VALUE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum profile_text t = profile_text_check((const unsigned char *)rows[i].s,
                                                 strlen(rows[i].s), rows[i].printable,
                                                 rows[i].max);
        if (t != rows[i].want)
            fail_msg("row %zu: %d, want %d", i, (int)t, (int)rows[i].want);
    }
}

/* ---- a kept leaf (profile_build_into) ---- */

/* The to-be-signed part of x with the signature algorithm a signer would write. */
static unsigned char *tbs_der(X509 *x, int *len)
{
    X509_ALGOR *alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
    assert_true(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL));
    unsigned char *der = NULL;
    *len = i2d_re_X509_tbs(x, &der);
    assert_true(*len > 0);
    return der;
}

/* R-ISS-2: a kept leaf gives, for every request of a varied sequence (levels, subjects,
 * key types, issuers, one to four names, CRL shards, OCSP on and off, short-lived, dates
 * past 2049, serials), the same bytes as a certificate built from nothing, and the same
 * lint result; nothing of an earlier certificate stays in a later one. The signature
 * algorithm the signer wrote into the previous certificate is unset again. */
static void test_profile_build_into_matches_new(void **state)
{
    (void)state;
    static const char *const pool[] = {"www.example.co.jp", "example.co.jp", "a.example.co.jp",
                                       "b.example.co.jp"};
    static const char *const crls[] = {FX_CRL, "http://crl.shomei.test/ov-ca-2.crl", NULL};
    const enum fx_key keys[] = {FX_P256, FX_P256, FX_RSA2048};
    struct profile_leaf leaf = {0};
    int reused = 0;
    X509 *last = NULL;
    for (int i = 0; i < 60; i++) {
        enum cert_level level = i % 11 < 6 ? LEVEL_DV : i % 11 < 9 ? LEVEL_OV : LEVEL_EV;
        EVP_PKEY *key = fx_key(keys[(i / 7) % 3]);
        X509 *ca = (i / 13) % 2 ? ca_p384 : ca_rsa;
        struct fx_leaf f;
        fx_leaf_init(&f, level, key, ca);
        X509_PUBKEY *spki = NULL;
        if (keys[(i / 7) % 3] == FX_P256 && i % 2 == 0) { /* as the CSR check hands it over */
            spki = fx_bare_spki(key);
            f.req.pubkey = NULL;
        } else {
            assert_int_equal(X509_PUBKEY_set(&spki, key), 1);
        }
        f.req.spki = spki;
        f.ctx.spki = spki;
        size_t nn = 1 + (size_t)(i % 4);
        for (size_t k = 0; k < nn; k++)
            f.names[k] = pool[(k + (size_t)i) % 4];
        f.req.nnames = f.ctx.nnames = nn;
        f.subj.cn = i % 5 == 4 ? NULL : f.names[0];
        if (level == LEVEL_DV && i % 10 == 3)
            f.req.subj = NULL; /* empty subject: SAN critical */
        if (level == LEVEL_DV && i % 10 == 5)
            f.subj.c = NULL;
        if (level == LEVEL_OV && i % 2)
            f.subj.st = NULL;
        if (level == LEVEL_EV && i % 2)
            f.subj.jurisdiction_st = "東京都";
        f.req.ocsp_url = f.ctx.ocsp_url = i % 9 == 8 ? NULL : FX_OCSP;
        f.req.crl_url = f.ctx.crl_url = crls[(i / 3) % 3];
        if (f.req.crl_url == NULL) { /* short-lived */
            f.req.ocsp_url = f.ctx.ocsp_url = NULL;
            f.req.not_after = f.req.not_before + 6 * FX_DAY;
            f.ctx.short_lived = 1;
        } else if (i % 6 == 1) {
            f.req.not_after = f.req.not_before + 90 * FX_DAY;
        }
        if (i == 57) { /* GeneralizedTime on both sides */
            f.req.not_before = at("2050-01-01T00:00:00Z");
            f.req.not_after = f.req.not_before + 30 * FX_DAY;
        }
        X509 *fresh = NULL, *kept = NULL;
        struct sm_err e = {0};
        if (profile_build(&f.req, &fresh, &e) != 0)
            fail_msg("request %d: %s %s %s", i, sm_err_name(e.code), e.field, e.detail);
        assert_int_equal(profile_build_into(&f.req, &leaf, &kept, &e), 0);
        assert_ptr_equal(kept, leaf.x);
        reused += kept == last;
        last = kept;
        const ASN1_OBJECT *alg = NULL;
        X509_ALGOR_get0(&alg, NULL, NULL, X509_get0_tbs_sigalg(kept));
        assert_true(alg == NULL || OBJ_obj2nid(alg) == NID_undef);
        if (i != 57) {
            struct lint_report ra, rb;
            int la = lint_cert(fresh, &f.ctx, &ra), lb = lint_cert(kept, &f.ctx, &rb);
            assert_int_equal(la, lb);
            assert_int_equal(ra.n, rb.n);
            for (size_t k = 0; k < ra.n && k < rb.n; k++)
                assert_string_equal(ra.f[k].id, rb.f[k].id);
        }
        int na = 0, nb = 0;
        unsigned char *a = tbs_der(fresh, &na), *b = tbs_der(kept, &nb); /* kept: "signed" */
        if (na != nb || memcmp(a, b, (size_t)na) != 0)
            fail_msg("request %d: the kept leaf encodes differently (%d and %d bytes)", i, na, nb);
        OPENSSL_free(a);
        OPENSSL_free(b);
        X509_free(fresh);
        X509_PUBKEY_free(spki);
    }
    assert_true(reused >= 20); /* the kept path was taken, not only the new one */
    profile_leaf_free(&leaf);
    assert_null(leaf.x);
}

/* R-ISS-2: a request profile_build refuses is refused by profile_build_into too, and the
 * kept leaf is dropped; a request without spki is never built into a kept leaf's
 * certificate (its key would stay decoded inside). */
static void test_profile_build_into_refuses_and_drops(void **state)
{
    (void)state;
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    X509_PUBKEY *spki = NULL;
    assert_int_equal(X509_PUBKEY_set(&spki, fx_key(FX_P256)), 1);
    f.req.spki = spki;
    struct profile_leaf leaf = {0};
    X509 *x = NULL;
    struct sm_err e = {0};
    assert_int_equal(profile_build_into(&f.req, &leaf, &x, &e), 0);
    assert_non_null(leaf.key.issuer); /* kept */
    f.names[1] = "WWW.example.co.jp";
    assert_int_equal(profile_build_into(&f.req, &leaf, &x, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "names");
    assert_null(x);
    assert_null(leaf.x);
    f.names[1] = "example.co.jp";
    f.req.spki = NULL; /* the key from the EVP_PKEY */
    assert_int_equal(profile_build_into(&f.req, &leaf, &x, &e), 0);
    assert_null(leaf.key.issuer); /* not to be kept */
    X509 *first = x;
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(first), fx_key(FX_P256)), 1);
    f.req.spki = spki;
    assert_int_equal(profile_build_into(&f.req, &leaf, &x, &e), 0);
    assert_non_null(leaf.key.issuer);
    profile_leaf_free(&leaf);
    X509_PUBKEY_free(spki);
}

/* issue 8 item 29: a named P-256/P-384 key may come as its SubjectPublicKeyInfo alone (the
 * CSR check builds no EVP_PKEY for it): the certificate is the same, byte for byte, as with
 * the key given, and lint passes it, checking the point from its bytes; a point off the
 * curve is lint.key.encoding; an RSA key or no key at all without pubkey is refused. */
static void test_profile_build_named_ec_key_from_spki_alone(void **state)
{
    (void)state;
    const enum fx_key keys[] = {FX_P256, FX_P384, FX_RSA2048};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *key = fx_key(keys[i]);
        struct fx_leaf f;
        fx_leaf_init(&f, i == 1 ? LEVEL_OV : LEVEL_DV, key, ca_rsa);
        X509_PUBKEY *bare = fx_bare_spki(key);
        f.req.spki = f.ctx.spki = bare;
        X509 *with_key = fx_build(&f), *alone = NULL;
        f.req.pubkey = NULL;
        f.ctx.spki_key = NULL;
        struct sm_err e = {0};
        int rc = profile_build(&f.req, &alone, &e);
        if (keys[i] == FX_RSA2048) { /* no RSA key without its EVP_PKEY */
            assert_int_equal(rc, -SM_E_INVALID);
            assert_string_equal(e.field, "pubkey");
            assert_null(alone);
            X509_free(with_key);
            X509_PUBKEY_free(bare);
            continue;
        }
        assert_int_equal(rc, 0);
        struct lint_report rep; /* before tbs_der, which writes a signature algorithm */
        if (lint_cert(alone, &f.ctx, &rep) != 0)
            fail_msg("key %zu: %zu findings, first %s", i, rep.n, rep.n ? rep.f[0].id : "");
        int na = 0, nb = 0;
        unsigned char *a = tbs_der(with_key, &na), *b = tbs_der(alone, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, (size_t)na);
        OPENSSL_free(a);
        OPENSSL_free(b);
        X509_free(alone);
        /* the same bytes with the point's last octet changed: off the curve */
        const unsigned char *bits = NULL;
        int nbits = 0;
        assert_int_equal(X509_PUBKEY_get0_param(NULL, &bits, &nbits, NULL, bare), 1);
        ((unsigned char *)bits)[nbits - 1] ^= 0x01;
        assert_int_equal(profile_build(&f.req, &alone, &e), 0);
        assert_int_not_equal(lint_cert(alone, &f.ctx, &rep), 0);
        assert_true(rep.n >= 1);
        assert_string_equal(rep.f[0].id, "lint.key.encoding");
        X509_free(alone);
        X509_free(with_key);
        X509_PUBKEY_free(bare);
    }
    struct fx_leaf f;
    fx_leaf_init(&f, LEVEL_DV, fx_key(FX_P256), ca_rsa);
    f.req.pubkey = NULL; /* and no spki */
    X509 *x = NULL;
    struct sm_err e = {0};
    assert_int_equal(profile_build(&f.req, &x, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "pubkey");
    assert_null(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_serial_new_positive_16_octets),
        cmocka_unit_test(test_profile_validity_policy_boundaries),
        cmocka_unit_test(test_profile_validity_never_past_subscription_end),
        cmocka_unit_test(test_profile_validity_refuses_ended_subscription),
        cmocka_unit_test(test_profile_validity_refuses_negative_days),
        cmocka_unit_test(test_profile_build_dv_rsa_fields),
        cmocka_unit_test(test_profile_build_ov_subject_order),
        cmocka_unit_test(test_profile_build_ev_subject),
        cmocka_unit_test(test_profile_build_ec_key_usage),
        cmocka_unit_test(test_profile_build_dv_empty_subject_san_critical),
        cmocka_unit_test(test_profile_build_without_ocsp),
        cmocka_unit_test(test_profile_build_refuses_outside_profile),
        cmocka_unit_test(test_profile_build_serial_20_octets),
        cmocka_unit_test(test_profile_policy_oid_and_level_name),
        cmocka_unit_test(test_profile_text_check_cases),
        cmocka_unit_test(test_profile_build_into_matches_new),
        cmocka_unit_test(test_profile_build_named_ec_key_from_spki_alone),
        cmocka_unit_test(test_profile_build_into_refuses_and_drops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
