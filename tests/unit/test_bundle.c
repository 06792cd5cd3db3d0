/* SPDX-License-Identifier: MIT */
/* pki/bundle: every download format of R-DL-1 from a throwaway hierarchy (R-ISS-1). PEM
 * parses back to the stored DER, PKCS#7 holds exactly leaf + issuing CA, the full chain
 * verifies against root A (intermediate) or root B (cross-certificate) and never holds a
 * root, and bad input (not a certificate, a chain that did not issue the leaf) makes
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "testdir.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "pki/bundle.h"
#include "pki/ca.h"
#include "ra/issuer.h"
#include "ra/issuance.h"
#include "store/db.h"

#define PASS "unit-test-passphrase"
#define NOW  1795305600 /* 2026-11-22T00:00:00Z */

static char tmpdir[256];
static struct config *cfg;
static struct db *db;
static unsigned char *leaf_der; /* DV leaf of the dv intermediate */
static size_t leaf_len;
static STACK_OF(X509) * dv_a, *dv_b, *ov_a;

static int issue_leaf(struct sm_err *e)
{
    struct ca_issuer *is = NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    static const char *const names[] = {"www.example.com"};
    struct issuance_item it = {0};
    static const struct issuance_opts o = {"test", 1, 1, NULL, NULL, NULL, NULL, NULL};
    int rc = key != NULL ? issuer_load(db, cfg, "dv", "a", &is, e) : -1;
    if (rc == 0) {
        it.pubkey = key;
        it.names = names;
        it.nnames = 1;
        it.org_id = 7;
        rc = issuance_run(db, is, &o, &it, 1, e);
    }
    if (rc == 0 && it.rc == 0) {
        leaf_der = it.der;
        leaf_len = it.der_len;
        it.der = NULL;
    } else if (rc == 0) {
        rc = it.rc;
    }
    issuance_item_clear(&it);
    ca_issuer_free(is);
    EVP_PKEY_free(key);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("SHOMEI_CA_PASSPHRASE");
    clock_set(NOW);
    if (testdir_make(tmpdir, sizeof tmpdir, "bundle") < 0 ||
        (cfg = config_defaults(tmpdir)) == NULL)
        return -1;
    config_set(cfg, "ca", "passphrase", PASS);
    struct sm_err e = {0};
    struct ca_hierarchy h = {0};
    int rc = db_open("sqlite:shomei.db", tmpdir, &db, &e);
    if (rc == 0)
        rc = db_migrate(db, &e);
    if (rc == 0)
        rc = ca_hierarchy_create(cfg, PASS, &h, &e);
    if (rc == 0)
        rc = issuer_store_hierarchy(db, &h, "cli", &e);
    ca_hierarchy_clear(&h);
    if (rc == 0)
        rc = issue_leaf(&e);
    if (rc == 0)
        rc = issuer_chain(db, "dv", "a", &dv_a, &e);
    if (rc == 0)
        rc = issuer_chain(db, "dv", "b", &dv_b, &e);
    if (rc == 0)
        rc = issuer_chain(db, "ov", "a", &ov_a, &e);
    if (rc < 0)
        fprintf(stderr, "# setup: %s %s\n", e.field, e.detail);
    return rc < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    free(leaf_der);
    sk_X509_pop_free(dv_a, X509_free);
    sk_X509_pop_free(dv_b, X509_free);
    sk_X509_pop_free(ov_a, X509_free);
    db_close(db);
    config_free(cfg);
    testdir_remove(tmpdir);
    clock_set(0);
    return 0;
}

/* ---- helpers ---- */

/* Every PEM certificate of p[0..n) into out (at most max); returns the count. */
static int pem_certs(const unsigned char *p, size_t n, X509 **out, int max)
{
    BIO *m = BIO_new_mem_buf(p, (int)n);
    assert_non_null(m);
    int k = 0;
    X509 *x = NULL;
    while (k < max && (x = PEM_read_bio_X509(m, NULL, NULL, NULL)) != NULL)
        out[k++] = x;
    ERR_clear_error();
    BIO_free(m);
    return k;
}

static void free_certs(X509 **x, int n)
{
    for (int i = 0; i < n; i++)
        X509_free(x[i]);
}

static void assert_cert_der(X509 *x, const unsigned char *der, size_t len)
{
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    assert_true(n > 0);
    assert_int_equal((size_t)n, len);
    assert_memory_equal(d, der, len);
    OPENSSL_free(d);
}

static void assert_same_cert(X509 *x, X509 *want) { assert_int_equal(X509_cmp(x, want), 0); }

/* 1 when certs[0] verifies for TLS servers against root alone, certs[1..n) untrusted. */
static int verifies(X509 **certs, int n, X509 *root)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    assert_true(st != NULL && ctx != NULL && untrusted != NULL);
    assert_int_equal(X509_STORE_add_cert(st, root), 1);
    for (int i = 1; i < n; i++)
        assert_true(sk_X509_push(untrusted, certs[i]) > 0);
    assert_int_equal(X509_STORE_CTX_init(ctx, st, certs[0], untrusted), 1);
    X509_STORE_CTX_set_time(ctx, 0, NOW + 3600);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    int ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    sk_X509_free(untrusted);
    ERR_clear_error();
    return ok;
}

static X509 *root_of(STACK_OF(X509) * sk) { return sk_X509_value(sk, sk_X509_num(sk) - 1); }

static void make_ok(enum bundle_format f, const char *root, struct bundle *b)
{
    struct bundle_chains ch = {root, dv_a, dv_b};
    struct sm_err e = {0};
    int rc = bundle_make(f, leaf_der, leaf_len, &ch, b, &e);
    if (rc < 0)
        fprintf(stderr, "# %s %s\n", e.field, e.detail);
    assert_int_equal(rc, 0);
    assert_non_null(b->data);
    assert_true(b->len > 0);
    assert_int_equal(b->format, f);
    assert_string_equal(b->media_type, bundle_format_info(f)->media_type);
    assert_string_equal(b->filename, bundle_format_info(f)->file);
}

/* ---- formats ---- */

/* R-DL-1: the format names of URLs, forms and the CLI; anything else is refused. */
static void test_bundle_format_parse_names(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int f;
    } ok[] = {
        {"pem", BUNDLE_PEM},
        {"cert.pem", BUNDLE_PEM},
        {"der", BUNDLE_DER},
        {"cert.der", BUNDLE_DER},
        {"intermediate", BUNDLE_INTERMEDIATE},
        {"intermediate.pem", BUNDLE_INTERMEDIATE},
        {"intermediate-cross", BUNDLE_INTERMEDIATE_CROSS},
        {"intermediate-cross.pem", BUNDLE_INTERMEDIATE_CROSS},
        {"fullchain", BUNDLE_FULLCHAIN},
        {"fullchain.pem", BUNDLE_FULLCHAIN},
        {"chain", BUNDLE_FULLCHAIN},
        {"p7b", BUNDLE_P7B},
        {"cert.p7b", BUNDLE_P7B},
        {"pkcs7", BUNDLE_P7B},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        enum bundle_format f = BUNDLE__COUNT;
        assert_int_equal(bundle_format_parse(ok[i].s, &f, NULL), 0);
        assert_int_equal(f, ok[i].f);
    }
    static const char *const bad[] = {
        "",     "PEM", "pem ", "cert", "p7c", "root", "crt", "intermediate-cross-b", "../cert.pem",
        "pem\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum bundle_format f = BUNDLE_DER;
        struct sm_err e = {0};
        assert_int_equal(bundle_format_parse(bad[i], &f, &e), -SM_E_INVALID);
        assert_string_equal(e.field, "format");
        assert_int_equal(f, BUNDLE_DER);
    }
    assert_int_equal(bundle_format_parse(NULL, &(enum bundle_format){0}, NULL), -SM_E_INVALID);
}

/* R-DL-1: one table of file names and media types; binary formats are DER and PKCS#7. */
static void test_bundle_format_info_table(void **state)
{
    (void)state;
    static const char *const media[BUNDLE__COUNT] = {
        "application/pem-certificate-chain", "application/pkix-cert",
        "application/pem-certificate-chain", "application/pem-certificate-chain",
        "application/pem-certificate-chain", "application/x-pkcs7-certificates"};
    for (int i = 0; i < BUNDLE__COUNT; i++) {
        const struct bundle_format_info *fi = bundle_format_info((enum bundle_format)i);
        assert_non_null(fi);
        assert_string_equal(fi->media_type, media[i]);
        assert_int_equal(fi->binary, i == BUNDLE_DER || i == BUNDLE_P7B);
        enum bundle_format f;
        assert_int_equal(bundle_format_parse(fi->key, &f, NULL), 0);
        assert_int_equal(f, i);
    }
    assert_null(bundle_format_info(BUNDLE__COUNT));
    assert_null(bundle_format_info((enum bundle_format) - 1));
}

/* R-DL-1 R-ISS-1: the chain a format needs follows the leaf's root option. */
static void test_bundle_needs_by_root(void **state)
{
    (void)state;
    static const struct {
        int f;
        const char *root;
        unsigned need;
    } t[] = {
        {BUNDLE_PEM, "a", 0},
        {BUNDLE_DER, "b", 0},
        {BUNDLE_INTERMEDIATE, "b", BUNDLE_NEED_A},
        {BUNDLE_INTERMEDIATE_CROSS, "a", BUNDLE_NEED_B},
        {BUNDLE_FULLCHAIN, "a", BUNDLE_NEED_A},
        {BUNDLE_FULLCHAIN, "b", BUNDLE_NEED_B},
        {BUNDLE_P7B, "a", BUNDLE_NEED_A},
        {BUNDLE_P7B, "b", BUNDLE_NEED_B},
        {BUNDLE_P7B, "c", 0},
        {BUNDLE_FULLCHAIN, NULL, 0},
        {BUNDLE__COUNT, "a", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal(bundle_needs((enum bundle_format)t[i].f, t[i].root), t[i].need);
}

/* R-DL-1: cert.pem is the leaf alone and parses back to the stored DER. */
static void test_bundle_make_pem_is_stored_der(void **state)
{
    (void)state;
    struct bundle b;
    make_ok(BUNDLE_PEM, "a", &b);
    assert_memory_equal(b.data, "-----BEGIN CERTIFICATE-----\n", 28);
    X509 *x[4];
    int n = pem_certs(b.data, b.len, x, 4);
    assert_int_equal(n, 1);
    assert_cert_der(x[0], leaf_der, leaf_len);
    free_certs(x, n);
    bundle_clear(&b);
    assert_null(b.data);
    bundle_clear(NULL);
}

/* R-DL-1: cert.der is the stored DER byte for byte (needs no chain). */
static void test_bundle_make_der_is_stored_der(void **state)
{
    (void)state;
    struct bundle b;
    struct sm_err e = {0};
    assert_int_equal(bundle_make(BUNDLE_DER, leaf_der, leaf_len, NULL, &b, &e), 0);
    assert_int_equal(b.len, leaf_len);
    assert_memory_equal(b.data, leaf_der, leaf_len);
    assert_string_equal(b.media_type, "application/pkix-cert");
    bundle_clear(&b);
}

/* R-DL-1 R-ISS-1: intermediate.pem is the level's intermediate signed by root A, whatever
 * root the leaf was chosen for; intermediate-cross.pem is its cross-certificate (root B). */
static void test_bundle_make_intermediates(void **state)
{
    (void)state;
    static const char *const roots[] = {"a", "b"};
    for (int r = 0; r < 2; r++) {
        struct bundle b;
        X509 *x[4];
        make_ok(BUNDLE_INTERMEDIATE, roots[r], &b);
        int n = pem_certs(b.data, b.len, x, 4);
        assert_int_equal(n, 1);
        assert_same_cert(x[0], sk_X509_value(dv_a, 0));
        assert_int_equal(X509_check_issued(root_of(dv_a), x[0]), X509_V_OK);
        free_certs(x, n);
        bundle_clear(&b);

        make_ok(BUNDLE_INTERMEDIATE_CROSS, roots[r], &b);
        n = pem_certs(b.data, b.len, x, 4);
        assert_int_equal(n, 1);
        assert_same_cert(x[0], sk_X509_value(dv_b, 0));
        assert_int_equal(X509_check_issued(root_of(dv_b), x[0]), X509_V_OK);
        assert_int_not_equal(X509_cmp(x[0], sk_X509_value(dv_a, 0)), 0);
        free_certs(x, n);
        bundle_clear(&b);
    }
}

/* R-DL-1 R-ISS-1: fullchain.pem is leaf + intermediate for root A and leaf +
 * cross-certificate for root B, never a root, and verifies against that root only. */
static void test_bundle_make_fullchain_verifies_per_root(void **state)
{
    (void)state;
    struct bundle b;
    X509 *x[4];
    make_ok(BUNDLE_FULLCHAIN, "a", &b);
    int n = pem_certs(b.data, b.len, x, 4);
    assert_int_equal(n, 2);
    assert_cert_der(x[0], leaf_der, leaf_len);
    assert_same_cert(x[1], sk_X509_value(dv_a, 0));
    assert_true(verifies(x, n, root_of(dv_a)));
    assert_false(verifies(x, n, root_of(dv_b)));
    free_certs(x, n);
    bundle_clear(&b);

    make_ok(BUNDLE_FULLCHAIN, "b", &b);
    n = pem_certs(b.data, b.len, x, 4);
    assert_int_equal(n, 2);
    assert_cert_der(x[0], leaf_der, leaf_len);
    assert_same_cert(x[1], sk_X509_value(dv_b, 0));
    assert_true(verifies(x, n, root_of(dv_b)));
    assert_false(verifies(x, n, root_of(dv_a)));
    for (int i = 0; i < n; i++) /* no root: nothing self-issued */
        assert_int_not_equal(X509_check_issued(x[i], x[i]), X509_V_OK);
    free_certs(x, n);
    bundle_clear(&b);
}

/* R-DL-1: cert.p7b is a DER PKCS#7 certs-only SignedData holding exactly leaf + issuing CA
 * of the chosen root (no signer, no content, no root). */
static void test_bundle_make_p7b_leaf_and_intermediate(void **state)
{
    (void)state;
    static const char *const roots[] = {"a", "b"};
    STACK_OF(X509) * chains[] = {dv_a, dv_b};
    for (int r = 0; r < 2; r++) {
        struct bundle b;
        make_ok(BUNDLE_P7B, roots[r], &b);
        const unsigned char *p = b.data;
        PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)b.len);
        assert_non_null(p7);
        assert_ptr_equal(p, b.data + b.len);
        assert_true(PKCS7_type_is_signed(p7));
        STACK_OF(X509) *certs = p7->d.sign->cert;
        assert_int_equal(sk_X509_num(certs), 2);
        assert_cert_der(sk_X509_value(certs, 0), leaf_der, leaf_len);
        assert_same_cert(sk_X509_value(certs, 1), sk_X509_value(chains[r], 0));
        assert_int_equal(sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)), 0);
        X509 *v[2] = {sk_X509_value(certs, 0), sk_X509_value(certs, 1)};
        assert_true(verifies(v, 2, root_of(chains[r])));
        PKCS7_free(p7);
        bundle_clear(&b);
    }
}

/* ---- bad input: a clear error naming the field, nothing produced ---- */

static void make_fails(enum bundle_format f, const unsigned char *der, size_t len,
                       const struct bundle_chains *ch, int code, const char *field)
{
    struct bundle b;
    memset(&b, 0x5a, sizeof b);
    struct sm_err e = {0};
    assert_int_equal(bundle_make(f, der, len, ch, &b, &e), -code);
    assert_string_equal(e.field, field);
    assert_true(e.detail[0] != '\0');
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(ERR_peek_error(), 0);
}

static unsigned char *der_of(X509 *x, size_t *len)
{
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    assert_true(n > 0);
    *len = (size_t)n;
    return d;
}

static void test_bundle_make_not_a_certificate(void **state)
{
    (void)state;
    static const unsigned char junk[] = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    static const unsigned char seq[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    struct bundle_chains ch = {"a", dv_a, dv_b};
    make_fails(BUNDLE_PEM, junk, sizeof junk - 1, &ch, SM_E_INVALID, "certificate");
    make_fails(BUNDLE_DER, seq, sizeof seq, &ch, SM_E_INVALID, "certificate");
    make_fails(BUNDLE_DER, NULL, 10, &ch, SM_E_INVALID, "certificate");
    make_fails(BUNDLE_DER, leaf_der, 0, &ch, SM_E_INVALID, "certificate");
    make_fails(BUNDLE_DER, leaf_der, leaf_len - 1, &ch, SM_E_INVALID, "certificate");
    make_fails(BUNDLE_DER, leaf_der, 2 * 1024 * 1024, &ch, SM_E_TOO_LARGE, "certificate");
    unsigned char *longer = malloc(leaf_len + 1);
    assert_non_null(longer);
    memcpy(longer, leaf_der, leaf_len);
    longer[leaf_len] = 0;
    make_fails(BUNDLE_PEM, longer, leaf_len + 1, &ch, SM_E_INVALID, "certificate");
    free(longer);
    /* a CA certificate is not a leaf to download */
    size_t n = 0;
    unsigned char *ca = der_of(sk_X509_value(dv_a, 0), &n);
    make_fails(BUNDLE_PEM, ca, n, NULL, SM_E_INVALID, "certificate");
    OPENSSL_free(ca);
}

static void test_bundle_make_chain_not_issuing_leaf(void **state)
{
    (void)state;
    /* another level's chain, a chain without root, root first, two roots */
    STACK_OF(X509) *only = sk_X509_new_null(), *rev = sk_X509_new_null(),
                   *roots = sk_X509_new_null(), *mixed = sk_X509_new_null();
    assert_true(only && rev && roots && mixed);
    sk_X509_push(only, sk_X509_value(dv_a, 0));
    sk_X509_push(rev, sk_X509_value(dv_a, 1));
    sk_X509_push(rev, sk_X509_value(dv_a, 0));
    sk_X509_push(roots, sk_X509_value(dv_a, 1));
    sk_X509_push(roots, sk_X509_value(dv_b, 1));
    sk_X509_push(mixed, sk_X509_value(dv_a, 0));
    sk_X509_push(mixed, sk_X509_value(dv_b, 1)); /* the intermediate under the wrong root */
    STACK_OF(X509) * bad[] = {ov_a, only, rev, roots, mixed};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bundle_chains ca = {"a", bad[i], NULL}, cb = {"b", NULL, bad[i]};
        make_fails(BUNDLE_FULLCHAIN, leaf_der, leaf_len, &ca, SM_E_INVALID, "chain");
        make_fails(BUNDLE_P7B, leaf_der, leaf_len, &cb, SM_E_INVALID, "chain");
        make_fails(BUNDLE_INTERMEDIATE, leaf_der, leaf_len, &ca, SM_E_INVALID, "chain");
        make_fails(BUNDLE_INTERMEDIATE_CROSS, leaf_der, leaf_len, &cb, SM_E_INVALID, "chain");
        /* a bad chain given is refused even when the format would not use it */
        struct bundle_chains both = {"a", dv_a, bad[i]};
        make_fails(BUNDLE_FULLCHAIN, leaf_der, leaf_len, &both, SM_E_INVALID, "chain");
    }
    sk_X509_free(only);
    sk_X509_free(rev);
    sk_X509_free(roots);
    sk_X509_free(mixed);
}

static void test_bundle_make_missing_chain_or_root(void **state)
{
    (void)state;
    struct bundle_chains none = {"a", NULL, NULL}, only_b = {"a", NULL, dv_b},
                         only_a = {"b", dv_a, NULL}, bad_root = {"c", dv_a, dv_b},
                         no_root = {NULL, dv_a, dv_b};
    make_fails(BUNDLE_INTERMEDIATE, leaf_der, leaf_len, &none, SM_E_INVALID, "chain");
    make_fails(BUNDLE_INTERMEDIATE, leaf_der, leaf_len, NULL, SM_E_INVALID, "chain");
    make_fails(BUNDLE_INTERMEDIATE_CROSS, leaf_der, leaf_len, &only_a, SM_E_INVALID, "chain");
    make_fails(BUNDLE_FULLCHAIN, leaf_der, leaf_len, &only_b, SM_E_INVALID, "chain");
    make_fails(BUNDLE_P7B, leaf_der, leaf_len, &only_a, SM_E_INVALID, "chain");
    make_fails(BUNDLE_FULLCHAIN, leaf_der, leaf_len, &bad_root, SM_E_INVALID, "root");
    make_fails(BUNDLE_P7B, leaf_der, leaf_len, &no_root, SM_E_INVALID, "root");
    make_fails(BUNDLE__COUNT, leaf_der, leaf_len, &only_a, SM_E_INVALID, "format");
}

static void test_bundle_make_out_of_memory(void **state)
{
    (void)state;
    struct bundle_chains ch = {"a", dv_a, dv_b};
    for (int f = 0; f < BUNDLE__COUNT; f++) {
        struct bundle b;
        struct sm_err e = {0};
        failalloc_set(1);
        int rc = bundle_make((enum bundle_format)f, leaf_der, leaf_len, &ch, &b, &e);
        failalloc_set(0);
        assert_int_equal(rc, -SM_E_NOMEM);
        assert_null(b.data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_format_parse_names),
        cmocka_unit_test(test_bundle_format_info_table),
        cmocka_unit_test(test_bundle_needs_by_root),
        cmocka_unit_test(test_bundle_make_pem_is_stored_der),
        cmocka_unit_test(test_bundle_make_der_is_stored_der),
        cmocka_unit_test(test_bundle_make_intermediates),
        cmocka_unit_test(test_bundle_make_fullchain_verifies_per_root),
        cmocka_unit_test(test_bundle_make_p7b_leaf_and_intermediate),
        cmocka_unit_test(test_bundle_make_not_a_certificate),
        cmocka_unit_test(test_bundle_make_chain_not_issuing_leaf),
        cmocka_unit_test(test_bundle_make_missing_chain_or_root),
        cmocka_unit_test(test_bundle_make_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
