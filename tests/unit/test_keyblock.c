/* SPDX-License-Identifier: MIT */
/* Issue 8 item 23 (BR 6.1.1.3): the compromised-key blocklist (migration 0009) and the
 * lookup ra/ hands to the CSR check: a listed SPKI hash is found, others are not, adding
 * twice keeps one entry, a malformed hash is refused, and a CSR with a listed key is not
 * acceptable (csr.key.compromised). Also the cas.test column of migration 0009. Runs on
 * SQLite, and on PostgreSQL too when SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/csr.h"
#include "ra/appform.h"
#include "ra/keyblock.h"
#include "store/keyblock.h"

static int fx_setup(void **state)
{
    dbfx_setup(state, "keyblock", 0);
    return 0;
}

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_keyblock_add_and_find(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int found = -1;
    assert_int_equal(keyblock_has(f->db, H1, &found, &e), 0);
    assert_int_equal(found, 0);
    assert_int_equal(keyblock_add(f->db, H1, "key published", "report:1", &e), 0);
    assert_int_equal(keyblock_add(f->db, H1, "again", "report:2", &e), 0);
    assert_int_equal(keyblock_has(f->db, H1, &found, &e), 0);
    assert_int_equal(found, 1);
    assert_int_equal(keyblock_has(f->db, H2, &found, &e), 0);
    assert_int_equal(found, 0);
    assert_int_equal(keyblock_add(f->db, "ABC", "x", "cli", &e), -SM_E_INVALID);
    assert_int_equal(keyblock_has(f->db, H1 "00", &found, &e), -SM_E_INVALID);
    assert_int_equal(ra_keyblock_lookup(f->db, NULL, H1), 1);
    assert_int_equal(ra_keyblock_lookup(f->db, NULL, H2), 0);
    assert_true(ra_keyblock_lookup(NULL, NULL, H1) < 0);
}

/* A fresh P-256 key's CSR for cn, DER in *der (OPENSSL_free); its length. The key is not
 * kept: a test lists the CSR's key by the hash csr_check reports. */
static int csr_der_of(const char *cn, unsigned char **der)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509_REQ *r = X509_REQ_new();
    assert_non_null(k);
    assert_non_null(r);
    assert_true(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_UTF8,
                                           (const unsigned char *)cn, -1, -1, 0));
    assert_true(X509_REQ_set_pubkey(r, k));
    assert_true(X509_REQ_sign(r, k, EVP_sha256()) > 0);
    *der = NULL;
    int len = i2d_X509_REQ(r, der);
    assert_true(len > 0);
    X509_REQ_free(r);
    EVP_PKEY_free(k);
    return len;
}

/* A CSR whose key is listed is refused by the CSR check through the ra/ hook. */
static void test_keyblock_csr_check_refuses_listed_key(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    unsigned char *der = NULL;
    int len = csr_der_of("kb.example.com", &der);
    struct csr_check_opts o = {ra_keyblock_lookup, f->db, 0, 0};
    struct csr_info *info = NULL;
    assert_int_equal(csr_check(der, (size_t)len, &o, &info, &e), 0);
    assert_true(info->acceptable);
    assert_int_equal(keyblock_add(f->db, info->spki_sha256_hex, "test", "cli", &e), 0);
    csr_info_free(info);
    assert_int_equal(csr_check(der, (size_t)len, &o, &info, &e), 0);
    assert_false(info->acceptable);
    assert_true(csr_info_has(info, "csr.key.compromised"));
    csr_info_free(info);
    OPENSSL_free(der);
}

/* Issue 8 item 23: the application form consults the blocklist for the CSR's key and
 * refuses a listed one on field "csr" with its own message (csr.key.compromised). */
static void test_keyblock_appform_refuses_listed_key(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    unsigned char *der = NULL;
    int len = csr_der_of("form.example.com", &der);
    struct product_row p;
    memset(&p, 0, sizeof p);
    snprintf(p.code, sizeof p.code, "dv-1y");
    snprintf(p.level, sizeof p.level, "dv");
    snprintf(p.root_options, sizeof p.root_options, "a");
    p.term_months = 12;
    p.sans_included = p.sans_max = 1;
    p.active = 1;
    struct appform_in in;
    memset(&in, 0, sizeof in);
    in.kind = "new";
    in.csr = (const char *)der;
    in.csr_len = (size_t)len;
    in.key_blocklist = ra_keyblock_lookup;
    in.key_blocklist_arg = f->db;
    struct appform_result res;
    assert_int_equal(appform_check(&in, &p, 1780000000, &res, &e), 0);
    for (size_t i = 0; i < res.nerrors; i++)
        assert_false(strcmp(res.errors[i].key, "csr.key.compromised") == 0);
    assert_non_null(res.csr);
    char hex[65];
    snprintf(hex, sizeof hex, "%s", res.csr->spki_sha256_hex);
    appform_result_free(&res);
    assert_int_equal(keyblock_add(f->db, hex, "published private key", "test", &e), 0);
    assert_int_equal(appform_check(&in, &p, 1780000000, &res, &e), 0);
    int found = 0;
    for (size_t i = 0; i < res.nerrors; i++)
        if (strcmp(res.errors[i].key, "csr.key.compromised") == 0) {
            assert_string_equal(res.errors[i].field, "csr");
            found = 1;
        }
    assert_true(found);
    const struct csr_problem_def *def = csr_problem_find("csr.key.compromised");
    assert_non_null(def);
    appform_result_free(&res);
    OPENSSL_free(der);
}

static const struct CMUnitTest table[] = {
    cmocka_unit_test_setup_teardown(test_keyblock_appform_refuses_listed_key, fx_setup,
                                    dbfx_teardown),
    cmocka_unit_test_setup_teardown(test_keyblock_add_and_find, fx_setup, dbfx_teardown),
    cmocka_unit_test_setup_teardown(test_keyblock_csr_check_refuses_listed_key, fx_setup,
                                    dbfx_teardown),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("keyblock", table, NT, NULL, 0); }
