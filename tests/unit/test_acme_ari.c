/* SPDX-License-Identifier: MIT */
/* Issue 10 item 6 (R-ACME-1, RFC 9773): ra/acme_ari and store/acme_ari (migration 0045).
 * The certID is base64url(AKI keyIdentifier) "." base64url(serial octets): a well-formed
 * one finds its certificate only when the AKI matches, malformed ones (no dot, not
 * base64url, a negative or padded serial) are SM_E_ACME_MALFORMED; the default window is
 * two thirds to five sixths of the validity, now for a certificate with a revocation
 * scheduled, and the drill's time for a certificate an operator drill took; a drill takes
 * the valid certificates of one CA issued before a date (of one organization if asked),
 * is audited, refuses an unknown CA or organization, and its report names the newer
 * certificate of the same organization and common name. Runs on SQLite, and on PostgreSQL
 * when SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "pki/jws.h"
#include "ra/acme_ari.h"
#include "ra/cert.h"
#include "ra/revoke.h"
#include "store/acme_ari.h"
#include "store/certs.h"
#include "store/db.h"

#define NOW 1800000000
#define DAY 86400

static const unsigned char AKI[20] = {0xa1, 0xb2, 0xc3, 0xd4, 1,  2,  3,  4,  5,  6,
                                      7,    8,    9,    10,   11, 12, 13, 14, 15, 16};
static int64_t ca_id, org1, org2;

static int fx_setup(void **state)
{
    struct dbfx *f = dbfx_setup(state, "acme_ari", NOW);
    ca_id = dbfx_add_ca(f->db, "dv-test", "dv");
    org1 = dbfx_add_org(f->db, "customer", "Org One", 0);
    org2 = dbfx_add_org(f->db, "customer", "Org Two", 0);
    return 0;
}

/* A certificate with serial (hex), the AKI above, valid nb .. na, signed by a fresh key. */
static unsigned char *cert_der(const char *serial_hex, int64_t nb, int64_t na, int *len)
{
    X509 *x = X509_new();
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIGNUM *bn = NULL;
    assert_non_null(x);
    assert_non_null(k);
    assert_true(BN_hex2bn(&bn, serial_hex) > 0);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    BN_free(bn);
    X509_NAME *n = X509_get_subject_name(x);
    assert_true(X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_ASC,
                                           (const unsigned char *)"www.example.jp", -1, -1, 0));
    assert_true(X509_set_issuer_name(x, n));
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
    assert_true(X509_set_pubkey(x, k));
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    akid->keyid = ASN1_OCTET_STRING_new();
    assert_true(ASN1_OCTET_STRING_set(akid->keyid, AKI, sizeof AKI));
    assert_true(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0));
    AUTHORITY_KEYID_free(akid);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    *len = i2d_X509(x, &der);
    assert_true(*len > 0);
    X509_free(x);
    EVP_PKEY_free(k);
    return der;
}

/* Issues serial for org at now (the clock), valid from nb for days. */
static void issue(struct db *db, const char *serial, int64_t org, const char *cn, int64_t now,
                  int64_t nb, int days)
{
    struct sm_err e = {0};
    int len;
    unsigned char *der = cert_der(serial, nb, nb + (int64_t)days * DAY, &len);
    char names[300];
    snprintf(names, sizeof names, "[\"%s\"]", cn);
    struct certs_new c = {.serial = serial,
                          .ca_id = ca_id,
                          .level = "dv",
                          .root = "a",
                          .cn = cn,
                          .names_json = names,
                          .org_id = org};
    struct cert_change ch = {.actor = "test",
                             .serial = serial,
                             .to = CERT_ISSUED,
                             .der = der,
                             .der_len = (size_t)len,
                             .not_before = nb,
                             .not_after = nb + (int64_t)days * DAY,
                             .now = now,
                             .sha256 = "00ff"};
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(certs_reserve(db, &c, "test/1/1", now, &e), 0);
    assert_int_equal(cert_transition_tx(db, &ch, NULL, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
    OPENSSL_free(der);
}

/* The certID of serial (hex, even number of digits) with aki. */
static void cert_id(const char *serial_hex, const unsigned char *aki, char out[128])
{
    unsigned char s[32];
    size_t n = strlen(serial_hex) / 2;
    for (size_t i = 0; i < n; i++) {
        char two[3] = {serial_hex[2 * i], serial_hex[2 * i + 1], '\0'};
        char *end;
        s[i] = (unsigned char)strtoul(two, &end, 16);
        assert_true(*end == '\0');
    }
    size_t k = b64url_encode(aki, sizeof AKI, out);
    out[k++] = '.';
    b64url_encode(s, n, out + k);
}

static void test_ari_default_window_and_certids(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct acme_ari_window w;
    issue(f->db, "7a11ce01", org1, "www.example.jp", NOW, NOW - DAY, 90);
    char id[128];
    cert_id("7a11ce01", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW, &w, &e), 0);
    int64_t nb = NOW - DAY, v = 90 * DAY;
    assert_int_equal(w.start, nb + v * 2 / 3);
    assert_int_equal(w.end, nb + v * 5 / 6);
    assert_string_equal(w.why, "default");
    /* another AKI, an unknown serial: not found */
    unsigned char other[20] = {0};
    cert_id("7a11ce01", other, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW, &w, &e), -SM_E_NOTFOUND);
    cert_id("7a11ce02", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW, &w, &e), -SM_E_NOTFOUND);
    /* malformed: no dot, empty parts, not base64url, negative or padded serials */
    char aki_b64[64];
    b64url_encode(AKI, sizeof AKI, aki_b64);
    const char *bad[] = {"", "nodot", ".AQ", NULL, NULL, NULL, NULL};
    char b1[96], b2[96], b3[96], b4[96];
    snprintf(b1, sizeof b1, "%s.", aki_b64);
    snprintf(b2, sizeof b2, "%s.!!", aki_b64);
    snprintf(b3, sizeof b3, "%s.gA", aki_b64);  /* 0x80: negative */
    snprintf(b4, sizeof b4, "%s.AAE", aki_b64); /* 00 01: a zero octet not needed */
    bad[3] = b1, bad[4] = b2, bad[5] = b3, bad[6] = b4;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sm_err_clear(&e);
        assert_int_equal(acme_ari_window_get(f->db, bad[i], NOW, &w, &e), -SM_E_ACME_MALFORMED);
        assert_string_equal(e.field, "certID");
    }
    assert_int_equal(acme_ari_window_get(f->db, NULL, NOW, &w, &e), -SM_E_ACME_MALFORMED);
    /* a serial whose high bit is set carries its zero octet: found */
    issue(f->db, "ff01", org1, "www.example.jp", NOW, NOW - DAY, 90);
    cert_id("00ff01", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW, &w, &e), 0);
}

static void test_ari_window_now_when_revocation_scheduled(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct acme_ari_window w;
    issue(f->db, "7a11ce03", org1, "www.example.jp", NOW, NOW - DAY, 90);
    struct revoke_req r = {.actor = "test",
                           .source = "officer",
                           .serial = "7a11ce03",
                           .reason = REVOKE_SUPERSEDED,
                           .when = NOW + 10 * DAY,
                           .officer = 1};
    struct revoke_result res;
    assert_int_equal(revoke_cert(f->db, &r, &res, &e), 0);
    assert_int_equal(res.revoked, 0);
    char id[128];
    cert_id("7a11ce03", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW + 60, &w, &e), 0);
    assert_int_equal(w.start, NOW + 60);
    assert_int_equal(w.end, NOW + 60 + 3600);
    assert_string_equal(w.why, "revocation");
}

static void test_ari_drill_and_report(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct acme_ari_window w;
    issue(f->db, "a01", org1, "a.example.jp", NOW - 10 * DAY, NOW - 10 * DAY, 90);
    issue(f->db, "a02", org1, "b.example.jp", NOW - 10 * DAY, NOW - 10 * DAY, 90);
    issue(f->db, "b01", org2, "c.example.jp", NOW - 10 * DAY, NOW - 10 * DAY, 90);
    issue(f->db, "a03", org1, "d.example.jp", NOW - DAY, NOW - DAY, 90); /* after the date */
    int64_t drill = 0, n = -1;
    /* refusals */
    assert_int_equal(acme_ari_drill(f->db, "no-such-ca", NOW, 0, "cli", NOW, &drill, &n, &e),
                     -SM_E_NOTFOUND);
    assert_string_equal(e.field, "ca");
    assert_int_equal(acme_ari_drill(f->db, "dv-test", NOW, 999999, "cli", NOW, &drill, &n, &e),
                     -SM_E_NOTFOUND);
    assert_string_equal(e.field, "org");
    assert_int_equal(
        acme_ari_drill(f->db, "dv-test", NOW - 20 * DAY, 0, "cli", NOW, &drill, &n, &e), 0);
    assert_int_equal(n, 0);
    /* organization one, issued before NOW - 5 days: 0a01 and 0a02 */
    assert_int_equal(
        acme_ari_drill(f->db, "dv-test", NOW - 5 * DAY, org1, "cli", NOW + 100, &drill, &n, &e), 0);
    assert_int_equal(n, 2);
    char id[128];
    cert_id("0a01", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW + 200, &w, &e), 0);
    assert_int_equal(w.start, NOW + 100);
    assert_string_equal(w.why, "drill");
    cert_id("0b01", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW + 200, &w, &e), 0);
    assert_string_equal(w.why, "default");
    cert_id("0a03", AKI, id);
    assert_int_equal(acme_ari_window_get(f->db, id, NOW + 200, &w, &e), 0);
    assert_string_equal(w.why, "default");
    /* a.example.jp replaced after the drill; b.example.jp not; org two's newer one is no
     * replacement of organization one's */
    issue(f->db, "a11", org1, "a.example.jp", NOW + 300, NOW + 300, 90);
    issue(f->db, "b11", org2, "b.example.jp", NOW + 300, NOW + 300, 90);
    struct acme_ari_drill_row d;
    assert_int_equal(acme_ari_drill_get(f->db, 0, &d, &e), 0);
    assert_int_equal(d.id, drill);
    assert_string_equal(d.ca_name, "dv-test");
    assert_int_equal(d.org_id, org1);
    struct acme_ari_report_row *v = NULL;
    size_t nv = 0;
    assert_int_equal(acme_ari_report_list(f->db, drill, &v, &nv, &e), 0);
    assert_int_equal(nv, 2);
    assert_string_equal(v[0].serial, "a01");
    assert_string_equal(v[0].replaced_by, "a11");
    assert_string_equal(v[0].org_name, "Org One");
    assert_string_equal(v[1].serial, "a02");
    assert_string_equal(v[1].replaced_by, "");
    free(v);
    assert_int_equal(acme_ari_drill_get(f->db, 999, &d, &e), -SM_E_NOTFOUND);
    int64_t audits = 0;
    static const struct db_stmt st = {
        "t.audit", "SELECT COUNT(*) FROM audit_log WHERE action = 'acme.ari.drill'", NULL, NULL};
    assert_int_equal(db_get_one(f->db, &st, NULL, 0, &db_row_int, &audits, &e), 0);
    assert_int_equal(audits, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ari_default_window_and_certids, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_ari_window_now_when_revocation_scheduled, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_ari_drill_and_report, fx_setup, dbfx_teardown),
    };
    return dbfx_run_both("acme_ari", tests, sizeof tests / sizeof tests[0], NULL, 0);
}
