/* SPDX-License-Identifier: MIT */
/* R-REV-2 (issue 9 items 5 and 6): pki/crl and pki/ocsp from structs and bytes. A CRL is
 * linted before signing (number, nextUpdate within 10 days, only the BR 7.2.2 reason codes)
 * and comes out signed, with CRL number and AKI, reasonCode only when not unspecified.
 * OCSP requests that are not one readable CertID are malformed, oversized ones refused;
 * the delegated responder certificate has id-kp-OCSPSigning and ocsp-nocheck; a response
 * carries the status, the reason and the nonce. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "leaf_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "pki/crl.h"
#include "pki/ocsp.h"
#include "pki/signer.h"

#define NOW 1800000000
#define DAY 86400

static X509 *ca;
static struct signer *sig;

static int setup(void **state)
{
    (void)state;
    ca = fx_ca(fx_key(FX_P256), "Test DV CA", NOW, NOW + 365 * DAY, 1);
    struct sm_err e = {0};
    assert_int_equal(signer_from_pkey(fx_key(FX_P256), &sig, &e), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    signer_free(sig);
    X509_free(ca);
    fx_free_keys();
    return 0;
}

static void test_rev2_crl_lint_refuses(void **state)
{
    (void)state;
    struct sm_err e = {0};
    struct crl_entry ok[] = {{"1a", NOW - 10, 1}};
    struct crl_params p = {ca, sig, 1, NOW, NOW + 10 * DAY, NULL};
    assert_int_equal(crl_lint(&p, ok, 1, &e), 0);
    p.next_update = NOW + 10 * DAY + 1;
    assert_int_equal(crl_lint(&p, ok, 1, &e), -SM_E_LINT);
    assert_string_equal(e.field, "next_update");
    p.next_update = NOW + DAY;
    p.number = 0;
    assert_int_equal(crl_lint(&p, ok, 1, &e), -SM_E_LINT);
    p.number = 2;
    static const int bad_reasons[] = {2, 6, 7, 8, 10, -1};
    for (size_t i = 0; i < sizeof bad_reasons / sizeof bad_reasons[0]; i++) {
        struct crl_entry bad[] = {{"1a", NOW - 10, bad_reasons[i]}};
        assert_int_equal(crl_lint(&p, bad, 1, &e), -SM_E_LINT);
        assert_string_equal(e.field, "reason");
    }
    struct crl_entry badser[] = {{"XYZ", NOW - 10, 0}};
    assert_int_equal(crl_lint(&p, badser, 1, &e), -SM_E_LINT);
    struct crl_entry upper[] = {{"1A", NOW - 10, 0}};
    assert_int_equal(crl_lint(&p, upper, 1, &e), -SM_E_LINT);
    struct crl_entry late[] = {{"1a", NOW + 1, 0}};
    assert_int_equal(crl_lint(&p, late, 1, &e), -SM_E_LINT);
    assert_string_equal(e.field, "revoked_at");
    p.idp_url = "ftp://x.example/dv-1.crl";
    assert_int_equal(crl_lint(&p, ok, 1, &e), -SM_E_LINT);
    assert_string_equal(e.field, "idp");
    p.idp_url = NULL;
    unsigned char *der = NULL;
    size_t len = 0;
    p.next_update = NOW + 11 * DAY;
    assert_int_equal(crl_sign(&p, ok, 1, &der, &len, &e), -SM_E_LINT);
    assert_null(der);
}

static X509_REVOKED *find(X509_CRL *crl, const char *hex)
{
    BIGNUM *bn = NULL;
    assert_true(BN_hex2bn(&bn, hex) > 0);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    X509_REVOKED *r = NULL;
    int found = X509_CRL_get0_by_serial(crl, &r, ai);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return found == 1 ? r : NULL;
}

static void test_rev2_crl_signed_with_number_aki_reasons(void **state)
{
    (void)state;
    struct sm_err e = {0};
    struct crl_entry v[] = {{"1a", NOW - 100, 1}, {"2b", NOW - 50, 0}, {"3c", NOW - 10, 4}};
    struct crl_params p = {ca, sig, 42, NOW, NOW + 7 * DAY, NULL};
    unsigned char *der = NULL;
    size_t len = 0;
    assert_int_equal(crl_sign(&p, v, 3, &der, &len, &e), 0);
    const unsigned char *q = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)len);
    assert_non_null(crl);
    assert_int_equal(X509_CRL_verify(crl, fx_key(FX_P256)), 1);
    assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)), 0);
    assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    assert_non_null(num);
    assert_int_equal(ASN1_INTEGER_get(num), 42);
    ASN1_INTEGER_free(num);
    AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
    assert_non_null(aki);
    assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(ca)), 0);
    AUTHORITY_KEYID_free(aki);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
    X509_REVOKED *r = find(crl, "1a");
    assert_non_null(r);
    ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
    assert_non_null(reason);
    assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
    ASN1_ENUMERATED_free(reason);
    r = find(crl, "2b");
    assert_non_null(r);
    assert_int_equal(X509_REVOKED_get_ext_by_NID(r, NID_crl_reason, -1), -1); /* unspecified */
    assert_null(find(crl, "4d"));
    X509_CRL_free(crl);
    OPENSSL_free(der);
}

/* ---- issue 9 item 5: the revokedCertificates list is DER written by hand (BR 7.2,
 * RFC 5280 5.1): it must be exactly what OpenSSL would encode, and sign correctly. ---- */

/* Signs v into a CRL, checks the signature, and checks that the TBSCertList is canonical
 * DER: OpenSSL's own re-encoding of what it parsed is byte for byte the same. */
static X509_CRL *sign_and_parse(const struct crl_params *p, const struct crl_entry *v, size_t n,
                                unsigned char **der, size_t *len)
{
    struct sm_err e = {0};
    assert_int_equal(crl_sign(p, v, n, der, len, &e), 0);
    const unsigned char *q = *der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)*len);
    assert_non_null(crl);
    assert_ptr_equal(q, *der + *len); /* nothing after the CRL */
    assert_int_equal(X509_CRL_verify(crl, fx_key(FX_P256)), 1);
    /* the TBS as written: the first element inside the outer SEQUENCE */
    const unsigned char *t = *der;
    long olen = 0, tlen = 0;
    int tag = 0, cls = 0;
    ASN1_get_object(&t, &olen, &tag, &cls, (long)*len);
    const unsigned char *tbs = t;
    ASN1_get_object(&t, &tlen, &tag, &cls, olen);
    size_t tbs_len = (size_t)(t - tbs) + (size_t)tlen;
    unsigned char *re = NULL;
    int rl = i2d_re_X509_CRL_tbs(crl, &re);
    assert_int_equal(rl, (int)tbs_len);
    assert_memory_equal(re, tbs, tbs_len);
    OPENSSL_free(re);
    return crl;
}

static void test_rev2_br72_der_empty_crl(void **state)
{
    (void)state;
    struct crl_params p = {ca, sig, 7, NOW, NOW + 7 * DAY, NULL};
    unsigned char *der = NULL;
    size_t len = 0;
    X509_CRL *crl = sign_and_parse(&p, NULL, 0, &der, &len);
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
    assert_true(rev == NULL || sk_X509_REVOKED_num(rev) == 0); /* field left out */
    assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), NOW), 0);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), NOW + 7 * DAY), 0);
    X509_CRL_free(crl);
    OPENSSL_free(der);
}

static void test_rev2_br72_der_one_entry_bytes(void **state)
{
    (void)state;
    struct crl_params p = {ca, sig, 7, NOW, NOW + 7 * DAY, NULL};
    struct crl_entry v[] = {{"1a", NOW, 1}};
    unsigned char *der = NULL;
    size_t len = 0;
    X509_CRL *crl = sign_and_parse(&p, v, 1, &der, &len);
    /* SEQUENCE OF { SEQUENCE { INTEGER 0x1a, UTCTime 270115080000Z, { reasonCode 1 } } } */
    static const unsigned char want[] = {0x30, 0x22, 0x30, 0x20, 0x02, 0x01, 0x1a, 0x17, 0x0d,
                                         '2',  '7',  '0',  '1',  '1',  '5',  '0',  '8',  '0',
                                         '0',  '0',  '0',  'Z',  0x30, 0x0c, 0x30, 0x0a, 0x06,
                                         0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01, 0x01};
    int found = 0;
    for (size_t i = 0; i + sizeof want <= len; i++)
        if (memcmp(der + i, want, sizeof want) == 0)
            found = 1;
    assert_true(found);
    X509_CRL_free(crl);
    OPENSSL_free(der);
}

static void test_rev2_br72_der_reasons_and_serials(void **state)
{
    (void)state;
    struct crl_params p = {ca, sig, 9, NOW, NOW + 7 * DAY, NULL};
    /* every BR 7.2.2 reason; unspecified (0) has no reasonCode; serials whose first
     * octet has the high bit (a 00 octet is needed), odd length, 20 octets, and a
     * revocation date in 2050 (GeneralizedTime) */
    struct crl_entry v[] = {
        {"80", NOW - 1, 0},
        {"abc", NOW - 2, 1},
        {"7fffffffffffffffffffffffffffffffffffffff", NOW - 3, 3},
        {"ffffffffffffffffffffffffffffffffffffffff", NOW - 4, 4},
        {"1", NOW - 5, 5},
        {"123456", NOW - 6, 9},
        {"00c1", NOW - 7, 0}, /* leading zero digits are not part of the INTEGER */
    };
    unsigned char *der = NULL;
    size_t len = 0;
    X509_CRL *crl = sign_and_parse(&p, v, 7, &der, &len);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 7);
    for (size_t i = 0; i < 7; i++) {
        X509_REVOKED *r = find(crl, v[i].serial);
        assert_non_null(r);
        assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), v[i].revoked_at),
                         0);
        ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
        if (v[i].reason == 0) {
            assert_null(reason); /* unspecified = no reasonCode */
        } else {
            assert_non_null(reason);
            assert_int_equal(ASN1_ENUMERATED_get(reason), v[i].reason);
        }
        ASN1_ENUMERATED_free(reason);
    }
    X509_CRL_free(crl);
    OPENSSL_free(der);

    struct crl_params late = {ca, sig, 10, 2524608000 + DAY, 2524608000 + 2 * DAY, NULL};
    struct crl_entry g[] = {{"2c", 2524608000, 4}};
    crl = sign_and_parse(&late, g, 1, &der, &len);
    static const unsigned char gen[] = {0x18, 0x0f, '2', '0', '5', '0', '0', '1', '0',
                                        '1',  '0',  '0', '0', '0', '0', '0', 'Z'};
    int found = 0;
    for (size_t i = 0; i + sizeof gen <= len; i++)
        if (memcmp(der + i, gen, sizeof gen) == 0)
            found = 1;
    assert_true(found);
    X509_CRL_free(crl);
    OPENSSL_free(der);
}

/* Many entries: long-form lengths, every serial found, the signature over the whole. */
static void test_rev2_br72_der_many_entries_and_idp(void **state)
{
    (void)state;
    enum { N = 3000 };
    static char serials[N][24];
    static struct crl_entry v[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(serials[i], sizeof serials[i], "%zx%06zx", i * 7919 + 1, i);
        /* dates 40,009 s apart: almost four years, across the leap day of 2024 */
        v[i] = (struct crl_entry){serials[i], NOW - (int64_t)i * 40009, (int)(i % 2 ? 4 : 0)};
    }
    const char *url = "http://repo.example.jp/repository/dv-2.crl";
    struct crl_params p = {ca, sig, 11, NOW, NOW + 7 * DAY, url};
    unsigned char *der = NULL;
    size_t len = 0;
    X509_CRL *crl = sign_and_parse(&p, v, N, &der, &len);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), N);
    for (size_t i = 0; i < N; i += 7) {
        X509_REVOKED *r = find(crl, serials[i]);
        assert_non_null(r);
        assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), v[i].revoked_at),
                         0);
    }
    /* the critical Issuing Distribution Point names the shard's URL, user certs only */
    int at = X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1);
    assert_true(at >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, at)), 1);
    ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
    assert_non_null(idp);
    assert_int_equal(idp->onlyuser, 1);
    assert_int_equal(idp->distpoint->type, 0);
    GENERAL_NAME *gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
    assert_int_equal(gn->type, GEN_URI);
    assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), url);
    ISSUING_DIST_POINT_free(idp);
    X509_CRL_free(crl);
    OPENSSL_free(der);
}

static void test_rev2_ocsp_bad_requests(void **state)
{
    (void)state;
    struct sm_err e = {0};
    struct ocsp_query q;
    static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(ocsp_query_parse(junk, sizeof junk, &q, &e), -SM_E_MALFORMED);
    assert_int_equal(ocsp_query_parse(NULL, 0, &q, &e), -SM_E_MALFORMED);
    unsigned char big[OCSP_REQUEST_MAX + 1];
    memset(big, 0x30, sizeof big);
    assert_int_equal(ocsp_query_parse(big, sizeof big, &q, &e), -SM_E_TOO_LARGE);
    unsigned char *der = NULL;
    size_t len = 0;
    assert_int_equal(ocsp_response_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &der, &len), 0);
    static const unsigned char want[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(der, want, len);
    OPENSSL_free(der);
    unsigned char out[64];
    assert_int_equal(ocsp_b64_decode("!!", out, sizeof out), -1);
    assert_int_equal(ocsp_b64_decode("MAMKAQE=", out, sizeof out), 5);
    assert_memory_equal(out, want, 5);
    assert_int_equal(ocsp_b64_decode("MAMKAQE", out, sizeof out), 5); /* padding optional */
}

/* A DER request for serial of ca, with a nonce. */
static int make_request(long serial, unsigned char **der)
{
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    ASN1_INTEGER *ai = ASN1_INTEGER_new();
    assert_true(ASN1_INTEGER_set(ai, serial));
    OCSP_CERTID *id =
        OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), ai);
    assert_non_null(OCSP_request_add0_id(req, id));
    assert_true(OCSP_request_add1_nonce(req, NULL, 16));
    int len = i2d_OCSP_REQUEST(req, der);
    OCSP_REQUEST_free(req);
    ASN1_INTEGER_free(ai);
    return len;
}

static void test_rev2_ocsp_responder_and_response(void **state)
{
    (void)state;
    struct sm_err e = {0};
    X509 *resp = NULL;
    assert_int_equal(
        ocsp_responder_make(ca, sig, fx_key(FX_RSA2048), NOW - 60, NOW + 90 * DAY, &resp, &e), 0);
    assert_int_equal(X509_verify(resp, fx_key(FX_P256)), 1);
    assert_true(X509_get_extended_key_usage(resp) & XKU_OCSP_SIGN);
    assert_true(X509_get_ext_by_NID(resp, NID_id_pkix_OCSP_noCheck, -1) >= 0);
    assert_int_equal(X509_check_ca(resp), 0);

    unsigned char *req = NULL;
    int rlen = make_request(0x1234, &req);
    struct ocsp_query q;
    assert_int_equal(ocsp_query_parse(req, (size_t)rlen, &q, &e), 0);
    assert_string_equal(q.serial, "1234");
    assert_int_equal(ocsp_query_issuer_is(&q, ca), 1);
    X509 *other = fx_ca(fx_key(FX_P384), "Other CA", NOW, NOW + DAY, 1);
    assert_int_equal(ocsp_query_issuer_is(&q, other), 0);
    X509_free(other);

    struct ocsp_answer a = {OCSP_ST_REVOKED, NOW - 3600, 1, NOW, NOW + DAY};
    struct signer *rs = NULL;
    assert_int_equal(signer_from_pkey(fx_key(FX_RSA2048), &rs, &e), 0);
    unsigned char *der = NULL;
    size_t len = 0;
    assert_int_equal(ocsp_response_sign(&q, &a, resp, rs, &der, &len, &e), 0);
    const unsigned char *p = der;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    assert_non_null(r);
    assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
    assert_non_null(bs);
    assert_int_equal(OCSP_check_nonce(q.req, bs), 1);
    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
    assert_int_equal(OCSP_resp_find_status(bs, q.id, &status, &reason, &rev, &tu, &nu), 1);
    assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, 1);
    assert_non_null(rev);
    assert_int_equal(OCSP_check_validity(tu, nu, 0, -1), 0); /* fixed clock: only parsed */
    /* the signature checks with the responder's key */
    X509_STORE *st = X509_STORE_new();
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, resp);
    assert_int_equal(OCSP_basic_verify(bs, certs, st, OCSP_NOVERIFY), 1);
    sk_X509_free(certs);
    X509_STORE_free(st);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    OPENSSL_free(der);
    /* never-issued: unknown */
    a.status = OCSP_ST_UNKNOWN;
    assert_int_equal(ocsp_response_sign(&q, &a, resp, rs, &der, &len, &e), 0);
    p = der;
    r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    bs = OCSP_response_get1_basic(r);
    assert_int_equal(OCSP_resp_find_status(bs, q.id, &status, NULL, NULL, NULL, NULL), 1);
    assert_int_equal(status, V_OCSP_CERTSTATUS_UNKNOWN);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    OPENSSL_free(der);
    ocsp_query_clear(&q);
    OPENSSL_free(req);
    X509_free(resp);
    signer_free(rs);
}

int main(void)
{
    (void)fx_build; /* the rest of leaf_fixture.h is for the profile tests */
    (void)fx_leaf_init;
    (void)fx_now;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rev2_crl_lint_refuses),
        cmocka_unit_test(test_rev2_crl_signed_with_number_aki_reasons),
        cmocka_unit_test(test_rev2_br72_der_empty_crl),
        cmocka_unit_test(test_rev2_br72_der_one_entry_bytes),
        cmocka_unit_test(test_rev2_br72_der_reasons_and_serials),
        cmocka_unit_test(test_rev2_br72_der_many_entries_and_idp),
        cmocka_unit_test(test_rev2_ocsp_bad_requests),
        cmocka_unit_test(test_rev2_ocsp_responder_and_response),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
