/* SPDX-License-Identifier: MIT */
/* pki/keyfile and pki/signer: encrypted CA key files (R-OPS-1: keys in files, encrypted,
 * mode 0600, never overwritten) and the signing interface (digest per key type, BR 7.1.3.2;
 * concurrent signing on one signer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testdir.h"

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "pki/keyfile.h"
#include "pki/p11.h"
#include "pki/signer.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    return testdir_make(tmpdir, sizeof tmpdir, "signer");
}

static int teardown(void **state)
{
    (void)state;
    testdir_remove(tmpdir);
    return 0;
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static EVP_PKEY *gen(enum keyfile_type t)
{
    EVP_PKEY *k = NULL;
    assert_int_equal(keyfile_generate(t, &k, NULL), 0);
    assert_non_null(k);
    return k;
}

/* R-OPS-1: only the five CA key types are accepted. */
static void test_keyfile_type_parse_rejects_unknown(void **state)
{
    (void)state;
    static const char *const bad[] = {"",        "ec-p521",   "rsa-1024", "EC-P256",
                                      "ed25519", "rsa-2048 ", "rsa",      "p256"};
    enum keyfile_type t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(keyfile_type_parse(bad[i], &t), -SM_E_INVALID);
    assert_int_equal(keyfile_type_parse(NULL, &t), -SM_E_INVALID);
    static const char *const good[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(keyfile_type_parse(good[i], &t), 0);
        assert_string_equal(keyfile_type_name(t), good[i]);
    }
}

/* R-OPS-1: every type generates, survives the file round trip and keeps its type. */
static void test_keyfile_write_roundtrip_each_type(void **state)
{
    (void)state;
    static const enum keyfile_type all[] = {KEYFILE_EC_P256, KEYFILE_EC_P384, KEYFILE_RSA_2048,
                                            KEYFILE_RSA_3072, KEYFILE_RSA_4096};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char path[512], name[64];
        snprintf(name, sizeof name, "rt-%s.key", keyfile_type_name(all[i]));
        path_of(path, sizeof path, name);
        EVP_PKEY *k = gen(all[i]), *back = NULL;
        assert_int_equal(keyfile_write(path, k, "correct horse", NULL), 0);
        assert_int_equal(keyfile_read(path, "correct horse", &back, NULL), 0);
        assert_int_equal(EVP_PKEY_eq(k, back), 1);
        enum keyfile_type t;
        assert_int_equal(keyfile_type_of(back, &t), 0);
        assert_int_equal(t, all[i]);
        EVP_PKEY_free(k);
        EVP_PKEY_free(back);
    }
}

/* R-OPS-1: key files are mode 0600, PEM-encrypted, and no temporary file is left. */
static void test_keyfile_write_mode_0600_encrypted(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "mode.key");
    mode_t old = umask(022); /* even under a loose umask */
    EVP_PKEY *k = gen(KEYFILE_EC_P256);
    int rc = keyfile_write(path, k, "pass-1234", NULL);
    umask(old);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[128] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    EVP_PKEY_free(k);
}

/* R-OPS-1: an existing key file is never overwritten (O_EXCL semantics). */
static void test_keyfile_write_refuses_existing(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "exists.key");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    close(fd);
    EVP_PKEY *k = gen(KEYFILE_EC_P256);
    struct sm_err e = {0};
    assert_int_equal(keyfile_write(path, k, "pass-1234", &e), -SM_E_EXISTS);
    assert_int_equal(e.code, SM_E_EXISTS);
    char buf[16] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "keep");
    EVP_PKEY_free(k);
}

/* R-OPS-1: a key is never written without a passphrase. */
static void test_keyfile_write_refuses_empty_passphrase(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "nopass.key");
    EVP_PKEY *k = gen(KEYFILE_EC_P256);
    assert_int_equal(keyfile_write(path, k, "", NULL), -SM_E_INVALID);
    assert_int_equal(keyfile_write(path, k, NULL, NULL), -SM_E_INVALID);
    assert_int_equal(access(path, F_OK), -1);
    EVP_PKEY_free(k);
}

/* R-OPS-1: a wrong passphrase is refused. */
static void test_keyfile_read_wrong_passphrase(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "wrong.key");
    EVP_PKEY *k = gen(KEYFILE_EC_P384), *back = NULL;
    assert_int_equal(keyfile_write(path, k, "right-pass", NULL), 0);
    static const char *const wrong[] = {"wrong-pass", "right-pas", "right-pass ", "x"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        struct sm_err e = {0};
        assert_int_equal(keyfile_read(path, wrong[i], &back, &e), -SM_E_CRYPTO);
        assert_null(back);
    }
    assert_int_equal(keyfile_read(path, "", &back, NULL), -SM_E_INVALID);
    EVP_PKEY_free(k);
}

/* Writes k to path as PKCS#8 encrypted under pass with alg (PBES2 parameters). */
static void write_p8(const char *path, EVP_PKEY *k, const char *pass, X509_ALGOR *alg)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
    assert_non_null(p8);
    assert_non_null(alg);
    X509_SIG *sig = PKCS8_set0_pbe_ex(pass, (int)strlen(pass), p8, alg, NULL, NULL);
    assert_non_null(sig);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PKCS8(f, sig), 1);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0);
    X509_SIG_free(sig);
    PKCS8_PRIV_KEY_INFO_free(p8);
}

/* R-OPS-1, issue 8 item 29: key files are decrypted with libsodium's scrypt when they use
 * the scheme keyfile_write writes (PBES2, scrypt, AES-256-CBC), with any parameters in
 * bounds, and by OpenSSL otherwise: each gives the key OpenSSL's own reader gives; a
 * damaged file is refused. */
static void test_keyfile_read_schemes_and_damage(void **state)
{
    (void)state;
    char path[512];
    EVP_PKEY *k = gen(KEYFILE_EC_P256), *back = NULL;
    struct {
        const char *name;
        X509_ALGOR *alg;
    } files[] = {
        {"scrypt-n12-p2.key",
         PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL, 1 << 12, 8, 2)},
        {"scrypt-aes128.key",
         PKCS5_pbe2_set_scrypt(EVP_aes_128_cbc(), NULL, 0, NULL, 1 << 12, 8, 1)},
        {"pbkdf2.key",
         PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 2048, NULL, 0, NULL, NID_hmacWithSHA256)},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        path_of(path, sizeof path, files[i].name);
        write_p8(path, k, "pass-5678", files[i].alg);
        assert_int_equal(keyfile_read(path, "pass-5678", &back, NULL), 0);
        assert_int_equal(EVP_PKEY_eq(back, k), 1);
        EVP_PKEY_free(back);
        back = NULL;
        assert_int_equal(keyfile_read(path, "pass-5679", &back, NULL), -SM_E_CRYPTO);
        assert_null(back);
    }
    /* keyfile_write's own file: the key OpenSSL's reader gives */
    path_of(path, sizeof path, "own.key");
    assert_int_equal(keyfile_write(path, k, "pass-5678", NULL), 0);
    assert_int_equal(keyfile_read(path, "pass-5678", &back, NULL), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    EVP_PKEY *ossl = PEM_read_PrivateKey(f, NULL, NULL, (void *)"pass-5678");
    fclose(f);
    assert_non_null(ossl);
    assert_int_equal(EVP_PKEY_eq(back, ossl), 1);
    assert_int_equal(EVP_PKEY_eq(back, k), 1);
    EVP_PKEY_free(back);
    EVP_PKEY_free(ossl);
    back = NULL;
    /* one character of the encrypted key changed in each of its lines */
    char text[4096];
    f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *line = strchr(text, '\n');
    assert_non_null(line);
    for (int damaged = 0; line != NULL && line[1] != '-'; line = strchr(line + 1, '\n')) {
        char was = line[5];
        line[5] = was == 'A' ? 'B' : 'A';
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, n, f), n);
        fclose(f);
        assert_int_equal(keyfile_read(path, "pass-5678", &back, NULL), -SM_E_CRYPTO);
        assert_null(back);
        line[5] = was;
        damaged++;
        assert_true(damaged < 20);
    }
    EVP_PKEY_free(k);
}

static void write_pem_file(const char *path, const char *name, const char *header,
                           const unsigned char *der, long len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(PEM_write(f, name, header, der, len) > 0);
    fclose(f);
}

/* R-OPS-1: a key file whose scrypt parameters are out of bounds (a cost that is not a
 * power of two, a block size that asks 128 MiB, no parallelization) is refused before any
 * key is derived, by the fast path and by OpenSSL alike: a file cannot make the process
 * spend memory or time it did not plan for. Each file is keyfile_write's with one
 * parameter changed; OpenSSL's reason tells that it refused the parameters (a key derived
 * with them would have failed later, as "bad decrypt"). */
static void test_keyfile_read_scrypt_parameters_out_of_bounds(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "bounds.key");
    EVP_PKEY *k = gen(KEYFILE_EC_P256), *back = NULL;
    assert_int_equal(keyfile_write(path, k, "pass-5678", NULL), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long len = 0;
    assert_int_equal(PEM_read(f, &name, &header, &der, &len), 1);
    fclose(f);
    /* N = 16384, r = 8, p = 1, as keyfile_write writes them */
    static const unsigned char params[] = {0x02, 0x02, 0x40, 0x00, 0x02,
                                           0x01, 0x08, 0x02, 0x01, 0x01};
    unsigned char *at = memmem(der, (size_t)len, params, sizeof params);
    assert_non_null(at);
    static const struct {
        size_t off;
        unsigned char to;
        const char *why;
    } change[] = {
        {3, 0x01, "illegal scrypt parameters"}, /* N = 16385 */
        {6, 0x40, "memory limit exceeded"},     /* r = 64: 128 MiB */
        {9, 0x00, "illegal scrypt parameters"}, /* p = 0 */
    };
    for (size_t i = 0; i < sizeof change / sizeof change[0]; i++) {
        unsigned char was = at[change[i].off];
        at[change[i].off] = change[i].to;
        write_pem_file(path, name, header, der, len);
        at[change[i].off] = was;
        struct sm_err e = {0};
        assert_int_equal(keyfile_read(path, "pass-5678", &back, &e), -SM_E_CRYPTO);
        assert_null(back);
        assert_string_equal(e.field, path);
        assert_non_null(strstr(e.detail, change[i].why));
    }
    write_pem_file(path, name, header, der, len);
    /* the file as written again: it reads */
    assert_int_equal(keyfile_read(path, "pass-5678", &back, NULL), 0);
    assert_int_equal(EVP_PKEY_eq(back, k), 1);
    EVP_PKEY_free(back);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    EVP_PKEY_free(k);
}

/* R-OPS-1: a clear-text private key file is not accepted as a CA key file. */
static void test_keyfile_read_refuses_unencrypted(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "plain.key");
    EVP_PKEY *k = gen(KEYFILE_EC_P256), *back = NULL;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(keyfile_read(path, "any-pass", &back, NULL), -SM_E_CRYPTO);
    assert_null(back);
    EVP_PKEY_free(k);
}

static void test_keyfile_read_missing_file(void **state)
{
    (void)state;
    /* R-OPS-1 */
    char path[512];
    path_of(path, sizeof path, "absent.key");
    EVP_PKEY *back = NULL;
    assert_int_equal(keyfile_read(path, "p", &back, NULL), -SM_E_NOTFOUND);
}

/* A minimal to-be-signed certificate for key. */
static X509 *tbs_for(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    assert_true(
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0));
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
    assert_true(X509_set_subject_name(x, n) && X509_set_issuer_name(x, n));
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_true(X509_set_pubkey(x, key));
    X509_NAME_free(n);
    return x;
}

/* BR 7.1.3.2 (R-ISS-1 CA keys): SHA-384 for P-384, SHA-256 for P-256 and RSA. */
static void test_signer_sign_cert_digest_per_type(void **state)
{
    (void)state;
    static const struct {
        enum keyfile_type t;
        const char *md;
        int sig_nid;
    } cases[] = {
        {KEYFILE_EC_P256, "SHA256", NID_ecdsa_with_SHA256},
        {KEYFILE_EC_P384, "SHA384", NID_ecdsa_with_SHA384},
        {KEYFILE_RSA_2048, "SHA256", NID_sha256WithRSAEncryption},
        {KEYFILE_RSA_3072, "SHA256", NID_sha256WithRSAEncryption},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = gen(cases[i].t);
        struct signer *s = NULL;
        assert_int_equal(signer_from_pkey(k, &s, NULL), 0);
        assert_string_equal(signer_digest(s), cases[i].md);
        X509 *x = tbs_for(signer_public(s));
        assert_int_equal(signer_sign_cert(s, x, NULL), 0);
        assert_int_equal(X509_get_signature_nid(x), cases[i].sig_nid);
        assert_int_equal(X509_verify(x, k), 1);
        X509_free(x);
        signer_free(s);
        EVP_PKEY_free(k);
    }
}

/* The public half handed out by a signer carries no private key. */
static void test_signer_public_has_no_private_key(void **state)
{
    (void)state;
    EVP_PKEY *k = gen(KEYFILE_EC_P256);
    struct signer *s = NULL;
    assert_int_equal(signer_from_pkey(k, &s, NULL), 0);
    unsigned char *der = NULL;
    assert_true(i2d_PrivateKey(signer_public(s), &der) <= 0);
    assert_int_equal(EVP_PKEY_eq(k, signer_public(s)), 1);
    OPENSSL_free(der);
    signer_free(s);
    EVP_PKEY_free(k);
}

/* R-OPS-1: opening a key file needs the right passphrase; unsupported refs are refused. */
static void test_signer_open_file_wrong_passphrase(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "signer.key");
    EVP_PKEY *k = gen(KEYFILE_EC_P256);
    assert_int_equal(keyfile_write(path, k, "open-sesame", NULL), 0);
    struct signer *s = NULL;
    assert_int_equal(signer_open_file(path, "open-sesame!", &s, NULL), -SM_E_CRYPTO);
    assert_null(s);
    assert_int_equal(signer_open_ref("file:signer.key", tmpdir, "open-sesame", NULL, &s, NULL), 0);
    assert_int_equal(EVP_PKEY_eq(k, signer_public(s)), 1);
    signer_free(s);
    s = NULL;
    static const char *const refs[] = {"pkcs11:token=ca;object=dv", "signer.key", "", "File:x"};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        assert_int_equal(signer_open_ref(refs[i], tmpdir, "open-sesame", NULL, &s, NULL),
                         -SM_E_CONFIG);
    assert_null(s);
    EVP_PKEY_free(k);
}

static void test_signer_from_pkey_rejects_other_keys(void **state)
{
    (void)state;
    /* R-OPS-1: CA keys are only the five supported types. */
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *bad[] = {ed, p521, rsa1024};
    for (size_t i = 0; i < 3; i++) {
        struct signer *s = NULL;
        assert_non_null(bad[i]);
        assert_int_equal(signer_from_pkey(bad[i], &s, NULL), -SM_E_INVALID);
        assert_null(s);
        EVP_PKEY_free(bad[i]);
    }
}

static void test_signer_sign_crl_verifies(void **state)
{
    (void)state;
    EVP_PKEY *k = gen(KEYFILE_EC_P384);
    struct signer *s = NULL;
    assert_int_equal(signer_from_pkey(k, &s, NULL), 0);
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *n = X509_NAME_new();
    assert_true(
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"c", -1, -1, 0));
    assert_true(X509_CRL_set_version(crl, X509_CRL_VERSION_2));
    assert_true(X509_CRL_set_issuer_name(crl, n));
    ASN1_TIME *t = X509_gmtime_adj(NULL, 0);
    assert_true(X509_CRL_set1_lastUpdate(crl, t));
    assert_int_equal(signer_sign_crl(s, crl, NULL), 0);
    assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA384);
    assert_int_equal(X509_CRL_verify(crl, k), 1);
    ASN1_TIME_free(t);
    X509_NAME_free(n);
    X509_CRL_free(crl);
    signer_free(s);
    EVP_PKEY_free(k);
}

struct thread_arg {
    struct signer *s;
    int failures;
};

static void *sign_many(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 25; i++) {
        X509 *x = X509_new();
        X509_NAME *n = X509_NAME_new();
        int ok = x && n &&
                 X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"thread",
                                            -1, -1, 0) &&
                 X509_set_version(x, X509_VERSION_3) && X509_set_subject_name(x, n) &&
                 X509_set_issuer_name(x, n) && X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
                 X509_gmtime_adj(X509_getm_notAfter(x), 60) != NULL &&
                 X509_set_pubkey(x, signer_public(a->s)) && signer_sign_cert(a->s, x, NULL) == 0 &&
                 X509_verify(x, signer_public(a->s)) == 1;
        a->failures += !ok;
        X509_NAME_free(n);
        X509_free(x);
    }
    return NULL;
}

/* One signer is used by several threads at once (the web server's worker pool, the
 * signing threads of bulk issuance): a signer made from a key and one opened from a key
 * file (whose signatures start from copies of one prepared context). */
static void test_signer_sign_cert_concurrent_threads(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof path, "threads.key");
    EVP_PKEY *k = gen(KEYFILE_EC_P256);
    assert_int_equal(keyfile_write(path, k, "threads-pass", NULL), 0);
    for (int from_file = 0; from_file < 2; from_file++) {
        struct signer *s = NULL;
        if (from_file)
            assert_int_equal(signer_open_file(path, "threads-pass", &s, NULL), 0);
        else
            assert_int_equal(signer_from_pkey(k, &s, NULL), 0);
        pthread_t th[4];
        struct thread_arg args[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (struct thread_arg){s, 0};
            assert_int_equal(pthread_create(&th[i], NULL, sign_many, &args[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(args[i].failures, 0);
        }
        signer_free(s);
    }
    EVP_PKEY_free(k);
}

/* Issue 8 item 29: signer_sign_cert_der encodes the to-be-signed part once and wraps it
 * itself. Its DER must be exactly the certificate OpenSSL's own path gives: it parses to
 * its last byte, re-encodes to the same bytes, verifies with the key, carries the same
 * signature algorithm inside and outside the TBS, and its TBS is the one signer_sign_cert
 * signs. For key files of each type and for a signer made from a key (OpenSSL's path). */
static void test_signer_sign_cert_der_is_the_certificate(void **state)
{
    (void)state;
    static const struct {
        enum keyfile_type t;
        int sig_nid;
    } cases[] = {
        {KEYFILE_EC_P256, NID_ecdsa_with_SHA256},
        {KEYFILE_EC_P384, NID_ecdsa_with_SHA384},
        {KEYFILE_RSA_2048, NID_sha256WithRSAEncryption},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int from_file = 0; from_file < 2; from_file++) {
            char path[512];
            snprintf(path, sizeof path, "%s/der-%zu.key", tmpdir, i);
            EVP_PKEY *k = gen(cases[i].t);
            struct signer *s = NULL;
            if (from_file) {
                if (access(path, F_OK) != 0)
                    assert_int_equal(keyfile_write(path, k, "der-pass", NULL), 0);
                EVP_PKEY_free(k);
                k = NULL;
                assert_int_equal(signer_open_file(path, "der-pass", &s, NULL), 0);
            } else {
                assert_int_equal(signer_from_pkey(k, &s, NULL), 0);
            }
            X509 *x = tbs_for(signer_public(s));
            unsigned char *der = NULL;
            size_t len = 0;
            assert_int_equal(signer_sign_cert_der(s, x, &der, &len, NULL), 0);
            const unsigned char *p = der;
            X509 *back = d2i_X509(NULL, &p, (long)len);
            assert_non_null(back);
            assert_ptr_equal(p, der + len);
            unsigned char *again = NULL;
            int n = i2d_X509(back, &again);
            assert_int_equal(n, (int)len);
            assert_memory_equal(again, der, len);
            assert_int_equal(X509_verify(back, signer_public(s)), 1);
            assert_int_equal(X509_get_signature_nid(back), cases[i].sig_nid);
            const X509_ALGOR *outer = NULL;
            X509_get0_signature(NULL, &outer, back);
            assert_int_equal(X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(back)), 0);
            /* the TBS is the one OpenSSL's X509_sign_ctx signs for the same certificate */
            assert_int_equal(signer_sign_cert(s, x, NULL), 0);
            unsigned char *t1 = NULL, *t2 = NULL;
            int n1 = i2d_re_X509_tbs(back, &t1), n2 = i2d_re_X509_tbs(x, &t2);
            assert_true(n1 > 0);
            assert_int_equal(n1, n2);
            assert_memory_equal(t1, t2, (size_t)n1);
            OPENSSL_free(t1);
            OPENSSL_free(t2);
            OPENSSL_free(again);
            OPENSSL_free(der);
            X509_free(back);
            X509_free(x);
            signer_free(s);
            EVP_PKEY_free(k);
        }
}

/* Issue 8 item 29: a key file's signatures start from copies of one prepared context.
 * Each signature still draws its own ECDSA nonce (one nonce used twice would give the CA
 * key away): the same certificate signed twice gets two different signatures, both valid,
 * by X509_sign_ctx and by signer_sign_cert_der; and CRLs sign from the same signer. */
static void test_signer_prepared_context_fresh_nonce(void **state)
{
    (void)state;
    static const enum keyfile_type types[] = {KEYFILE_EC_P256, KEYFILE_EC_P384};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        char path[512];
        path_of(path, sizeof path, t == 0 ? "nonce-256.key" : "nonce-384.key");
        EVP_PKEY *k = gen(types[t]);
        assert_int_equal(keyfile_write(path, k, "nonce-pass", NULL), 0);
        struct signer *s = NULL;
        assert_int_equal(signer_open_file(path, "nonce-pass", &s, NULL), 0);
        X509 *x = tbs_for(signer_public(s));
        unsigned char first[160];
        int first_len = 0;
        for (int round = 0; round < 2; round++) {
            assert_int_equal(signer_sign_cert(s, x, NULL), 0);
            assert_int_equal(X509_verify(x, k), 1);
            const ASN1_BIT_STRING *sig = NULL;
            X509_get0_signature(&sig, NULL, x);
            assert_non_null(sig);
            int len = ASN1_STRING_length(sig);
            assert_true(len > 0 && len <= (int)sizeof first);
            if (round == 0) {
                memcpy(first, ASN1_STRING_get0_data(sig), (size_t)len);
                first_len = len;
            } else {
                assert_false(len == first_len &&
                             memcmp(first, ASN1_STRING_get0_data(sig), (size_t)len) == 0);
            }
        }
        /* the same through signer_sign_cert_der (bulk issuance's path): the same TBS, so
         * two different certificates differ in their signatures alone */
        unsigned char *d1 = NULL, *d2 = NULL;
        size_t n1 = 0, n2 = 0;
        assert_int_equal(signer_sign_cert_der(s, x, &d1, &n1, NULL), 0);
        assert_int_equal(signer_sign_cert_der(s, x, &d2, &n2, NULL), 0);
        assert_false(n1 == n2 && memcmp(d1, d2, n1) == 0);
        OPENSSL_free(d1);
        OPENSSL_free(d2);
        X509_CRL *crl = X509_CRL_new();
        assert_true(X509_CRL_set_issuer_name(crl, X509_get_subject_name(x)));
        assert_int_equal(signer_sign_crl(s, crl, NULL), 0);
        assert_int_equal(X509_CRL_verify(crl, k), 1);
        X509_CRL_free(crl);
        X509_free(x);
        signer_free(s);
        EVP_PKEY_free(k);
    }
}

/* R-OPS-1: the primitive signer_sign (bytes in, signature out) verifies with the public
 * half and the signer's digest, for an EC and an RSA key; refcounted signers. */
static void test_ops1_signer_sign(void **state)
{
    (void)state;
    static const enum keyfile_type types[] = {KEYFILE_EC_P384, KEYFILE_RSA_2048};
    static const unsigned char tbs[] = "to be signed";
    for (size_t i = 0; i < 2; i++) {
        EVP_PKEY *k = gen(types[i]);
        struct signer *s = NULL;
        assert_int_equal(signer_from_pkey(k, &s, NULL), 0);
        assert_int_equal(signer_type(s), types[i]);
        assert_int_equal(signer_in_token(s), 0);
        assert_ptr_equal(signer_up_ref(s), s);
        signer_free(s); /* one reference left */
        unsigned char *sig = NULL;
        size_t len = 0;
        assert_int_equal(signer_sign(s, tbs, sizeof tbs, &sig, &len, NULL), 0);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestVerifyInit_ex(ctx, NULL, signer_digest(s), NULL, NULL,
                                                 signer_public(s), NULL),
                         1);
        assert_int_equal(EVP_DigestVerify(ctx, sig, len, tbs, sizeof tbs), 1);
        EVP_MD_CTX_free(ctx);
        sig[len / 2] ^= 1;
        ctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestVerifyInit_ex(ctx, NULL, signer_digest(s), NULL, NULL,
                                                 signer_public(s), NULL),
                         1);
        assert_int_not_equal(EVP_DigestVerify(ctx, sig, len, tbs, sizeof tbs), 1);
        EVP_MD_CTX_free(ctx);
        OPENSSL_free(sig);
        signer_free(s);
        EVP_PKEY_free(k);
    }
}

static void test_ops1_p11_uri_parse(void **state)
{
    (void)state;
    /* R-OPS-1: RFC 7512 key URIs; percent-encoding, id bytes, a query ignored */
    struct p11_uri u;
    assert_int_equal(p11_uri_parse("pkcs11:token=shomei;object=dv;type=private", &u, NULL), 0);
    assert_string_equal(u.token, "shomei");
    assert_string_equal(u.object, "dv");
    assert_int_equal(u.id_len, 0);
    assert_int_equal(
        p11_uri_parse("pkcs11:token=My%20CA;id=%01%fe;manufacturer=x?module-name=y", &u, NULL), 0);
    assert_string_equal(u.token, "My CA");
    assert_string_equal(u.object, "");
    assert_int_equal(u.id_len, 2);
    assert_int_equal(u.id[0], 1);
    assert_int_equal(u.id[1], 0xfe);
    /* refused: no token, no object or id, a public key, bad escapes, a PIN in the URI */
    static const char *const bad[] = {
        "pkcs11:object=dv",
        "pkcs11:token=shomei",
        "pkcs11:token=shomei;object=dv;type=public",
        "pkcs11:token=sho%4;object=dv",
        "pkcs11:token=shomei;object=d%00v",
        "pkcs11:token=shomei;object=dv;pin-value=1234",
        "pkcs11:token=shomei;object=dv?pin-source=file:/x",
        "pkcs11:token",
        "file:keys/dv.key",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sm_err e = {0};
        assert_int_equal(p11_uri_parse(bad[i], &u, &e), -SM_E_CONFIG);
        assert_string_equal(e.field, "key");
    }
    /* a token key without a module is a configuration error, nothing loaded */
    struct signer *s = NULL;
    struct signer_hsm hsm = {"", "1234"};
    struct sm_err e = {0};
    assert_int_equal(signer_open_ref("pkcs11:token=shomei;object=dv", NULL, NULL, &hsm, &s, &e),
                     -SM_E_CONFIG);
    assert_string_equal(e.field, "hsm.module");
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyfile_type_parse_rejects_unknown),
        cmocka_unit_test(test_keyfile_write_roundtrip_each_type),
        cmocka_unit_test(test_keyfile_write_mode_0600_encrypted),
        cmocka_unit_test(test_keyfile_write_refuses_existing),
        cmocka_unit_test(test_keyfile_write_refuses_empty_passphrase),
        cmocka_unit_test(test_keyfile_read_wrong_passphrase),
        cmocka_unit_test(test_keyfile_read_schemes_and_damage),
        cmocka_unit_test(test_keyfile_read_scrypt_parameters_out_of_bounds),
        cmocka_unit_test(test_keyfile_read_refuses_unencrypted),
        cmocka_unit_test(test_keyfile_read_missing_file),
        cmocka_unit_test(test_signer_sign_cert_digest_per_type),
        cmocka_unit_test(test_signer_public_has_no_private_key),
        cmocka_unit_test(test_signer_open_file_wrong_passphrase),
        cmocka_unit_test(test_signer_from_pkey_rejects_other_keys),
        cmocka_unit_test(test_signer_sign_crl_verifies),
        cmocka_unit_test(test_signer_sign_cert_concurrent_threads),
        cmocka_unit_test(test_signer_prepared_context_fresh_nonce),
        cmocka_unit_test(test_signer_sign_cert_der_is_the_certificate),
        cmocka_unit_test(test_ops1_p11_uri_parse),
        cmocka_unit_test(test_ops1_signer_sign),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
