/* SPDX-License-Identifier: MIT */
/* R-CSR-1..4: the CSR check. Fixtures come from tests/unit/data/csr/make.sh (openssl
 * command line); weak keys (Fermat, ROCA) and odd encodings are built here with OpenSSL.
 * Each rejection must carry its own code; notices must not reject. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/failalloc.h"
#include "pki/csr.h"

#define DATA "tests/unit/data/csr/"

static unsigned char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (run from the repository top)", path);
    unsigned char *b = malloc(1 << 17);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 17, f);
    fclose(f);
    return b;
}

static struct csr_info *check_buf(const unsigned char *b, size_t len,
                                  const struct csr_check_opts *o)
{
    struct csr_info *info = NULL;
    struct sm_err e = {0};
    assert_int_equal(csr_check(b, len, o, &info, &e), 0);
    assert_non_null(info);
    return info;
}

static struct csr_info *check_file(const char *name, const struct csr_check_opts *o)
{
    size_t len;
    unsigned char *b = slurp(name, &len);
    struct csr_info *info = check_buf(b, len, o);
    free(b);
    return info;
}

static void dump_problems(const struct csr_info *info)
{
    for (size_t i = 0; i < info->nproblems; i++)
        print_message("#   %s (%s)\n", info->problems[i].code, info->problems[i].detail);
}

/* The check of a request that must be acceptable (its problems shown when it is not). */
static struct csr_info *check_acceptable(const unsigned char *der, size_t len)
{
    struct csr_info *info = check_buf(der, len, NULL);
    if (!info->acceptable)
        dump_problems(info);
    assert_true(info->acceptable);
    return info;
}

/* ------------------------------------------------------------ fixture tables */

struct accepted_case {
    const char *file;
    const char *key_type;
    int bits;
    const char *notice; /* a notice that must be present, or NULL for none at all */
};

static const struct accepted_case accepted[] = {
    {"ok_rsa2048.pem", "RSA", 2048, NULL},
    {"ok_rsa2048.der", "RSA", 2048, NULL},
    {"ok_crlf.pem", "RSA", 2048, NULL},
    {"ok_spaced.pem", "RSA", 2048, NULL},
    {"ok_new.pem", "RSA", 2048, NULL},
    {"ok_whitespace.pem", "RSA", 2048, NULL},
    {"ok_bare_base64.txt", "RSA", 2048, NULL},
    {"ok_p256.pem", "EC", 256, NULL},
    {"ok_p384.pem", "EC", 384, NULL},
    {"ok_japanese.pem", "EC", 256, "csr.subject.ou_dropped"},
    {"ok_extensions.pem", "EC", 256, "csr.ext.ignored"},
    {"ok_uppercase.pem", "EC", 256, "name.uppercase"},
    {"ok_wildcard.pem", "EC", 256, NULL},
    {"ok_no_names.pem", "EC", 256, "csr.subject.no_names"},
    {"cn_not_in_sans.pem", "EC", 256, "csr.subject.cn_not_in_sans"},
};

/* R-CSR-1, R-CSR-4: PEM with CRLF, spaced armor lines, NEW CERTIFICATE REQUEST, surrounding
 * whitespace, bare base64 and DER are accepted; requested CA:TRUE and key usages, an OU,
 * upper case only give notices */
static void test_csr_check_accepts_variants(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        const struct accepted_case *t = &accepted[i];
        struct csr_info *info = check_file(t->file, NULL);
        if (!info->acceptable) {
            dump_problems(info);
            fail_msg("%s: rejected", t->file);
        }
        assert_string_equal(info->key_type, t->key_type);
        assert_int_equal(info->key_bits, t->bits);
        if (t->notice != NULL && !csr_info_has(info, t->notice))
            fail_msg("%s: notice %s missing", t->file, t->notice);
        if (t->notice == NULL && info->nproblems != 0) {
            dump_problems(info);
            fail_msg("%s: unexpected notices", t->file);
        }
        for (size_t k = 0; k < info->nproblems; k++)
            assert_int_equal(info->problems[k].severity, CSR_SEV_NOTICE);
        assert_non_null(info->der);
        assert_non_null(info->spki); /* the key: pkey, or for a named EC key spki alone */
        if (strcmp(info->key_type, "EC") != 0)
            assert_non_null(info->pkey);
        assert_int_equal(strlen(info->spki_sha256_hex), 64);
        csr_info_free(info);
    }
}

struct rejected_case {
    const char *file;
    const char *code;
};

static const struct rejected_case rejected[] = {
    {"bad_rsa1024.pem", "csr.key.rsa_too_small"},
    {"bad_rsa2047.pem", "csr.key.rsa_bits_not_multiple_of_8"},
    {"bad_rsa_pss.pem", "csr.key.rsa_pss"},
    {"bad_p521.pem", "csr.key.ec_p521"},
    {"bad_ec_explicit.pem", "csr.key.ec_explicit"},
    {"bad_secp256k1.pem", "csr.key.ec_curve"},
    {"bad_ed25519.pem", "csr.key.eddsa"},
    {"bad_ed448.pem", "csr.key.eddsa"},
    {"bad_dsa.pem", "csr.key.dsa"},
    {"bad_sha1.pem", "csr.sig.sha1"},
    {"bad_md5.pem", "csr.sig.md5"},
    {"bad_tampered.pem", "csr.sig.invalid"},
    {"bad_tampered_subject.der", "csr.sig.invalid"},
    /* found by fuzz_csr: an unknown signature algorithm on a request OpenSSL's own
       decoder refuses (the check then verifies on a full decode, which fails) */
    {"bad_sigalg_no_full_decode.der", "csr.sig.invalid"},
    {"bad_certificate.pem", "csr.input.certificate"},
    {"bad_certificate.der", "csr.input.certificate"},
    {"bad_privkey_pkcs8.pem", "csr.input.private_key"},
    {"bad_privkey_rsa.pem", "csr.input.private_key"},
    {"bad_privkey_ec.pem", "csr.input.private_key"},
    {"bad_privkey_encrypted.pem", "csr.input.private_key"},
    {"bad_privkey.der", "csr.input.private_key"},
    {"bad_csr_and_key.pem", "csr.input.private_key"},
    {"bad_pubkey.pem", "csr.input.not_csr"},
    {"bad_base64.pem", "csr.input.bad_base64"},
    {"bad_truncated.pem", "csr.input.damaged"},
    {"bad_no_end.pem", "csr.input.bad_pem"},
    {"bad_trailing.pem", "csr.input.trailing_data"},
    {"bad_trailing.der", "csr.input.trailing_data"},
    {"bad_text_around.pem", "csr.input.trailing_data"},
    {"bad_two_csrs.pem", "csr.input.multiple_csr"},
    {"bad_underscore.pem", "name.underscore"},
    {"bad_internal.pem", "name.internal"},
    {"bad_internal.pem", "name.single_label"},
    {"bad_ip_reserved.pem", "name.ip_reserved"},
    {"ip_public.pem", "name.ip_not_allowed"},
    {"bad_wildcard.pem", "name.wildcard_position"},
    {"bad_wildcard.pem", "name.wildcard_public_suffix"},
    {"bad_public_suffix.pem", "name.public_suffix"},
};

/* R-CSR-1, R-CSR-4: every bad input is rejected with its own code and both texts */
static void test_csr_check_rejects_with_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        const struct rejected_case *t = &rejected[i];
        struct csr_info *info = check_file(t->file, NULL);
        if (info->acceptable || !csr_info_has(info, t->code)) {
            dump_problems(info);
            fail_msg("%s: expected rejection with %s", t->file, t->code);
        }
        for (size_t k = 0; k < info->nproblems; k++) {
            assert_non_null(csr_problem_find(info->problems[k].code));
            assert_true(strlen(info->problems[k].msg_ja) > 0);
            assert_true(strlen(info->problems[k].msg_en) > 0);
        }
        csr_info_free(info);
    }
}

/* R-CSR-1: a valid CSR with one problem reports exactly that problem (codes are distinct,
 * no noise from unrelated checks) */
static void test_csr_check_single_problem_is_exact(void **state)
{
    (void)state;
    static const struct rejected_case single[] = {
        {"bad_rsa1024.pem", "csr.key.rsa_too_small"}, {"bad_sha1.pem", "csr.sig.sha1"},
        {"bad_tampered.pem", "csr.sig.invalid"},      {"bad_p521.pem", "csr.key.ec_p521"},
        {"bad_ed25519.pem", "csr.key.eddsa"},
        {"bad_certificate.pem", "csr.input.certificate"},
    };
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        struct csr_info *info = check_file(single[i].file, NULL);
        if (info->nproblems != 1 || strcmp(info->problems[0].code, single[i].code) != 0) {
            dump_problems(info);
            fail_msg("%s: expected only %s", single[i].file, single[i].code);
        }
        csr_info_free(info);
    }
}

/* Issue 8 item 9, R-CSR-3: a problem's detail is shown after the message in Japanese too,
 * so it carries no English words ("END line missing", "1024 bits", "bytes after") */
static void test_csr_problem_details_language_neutral(void **state)
{
    (void)state;
    static const struct {
        const char *file, *code, *detail;
    } t[] = {
        {"bad_no_end.pem", "csr.input.bad_pem", ""},
        {"bad_rsa1024.pem", "csr.key.rsa_too_small", "RSA-1024"},
        {"bad_rsa2047.pem", "csr.key.rsa_bits_not_multiple_of_8", "RSA-2047"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct csr_info *info = check_file(t[i].file, NULL);
        int found = 0;
        for (size_t k = 0; k < info->nproblems; k++)
            if (strcmp(info->problems[k].code, t[i].code) == 0) {
                found = 1;
                assert_string_equal(info->problems[k].detail, t[i].detail);
            }
        assert_true(found);
        csr_info_free(info);
    }
    static const char *const files[] = {"bad_trailing.pem", "bad_trailing.der",
                                        "bad_text_around.pem"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct csr_info *info = check_file(files[i], NULL);
        for (size_t k = 0; k < info->nproblems; k++) {
            const char *d = info->problems[k].detail;
            if (strstr(d, "bytes") || strstr(d, "after") || strstr(d, "missing") ||
                strstr(d, "bits") || strstr(d, "limit"))
                fail_msg("%s: English in the detail of %s: %s", files[i],
                         info->problems[k].code, d);
        }
        csr_info_free(info);
    }
}

/* R-CSR-2, R-CSR-3: a Japanese UTF8String subject survives byte-exact */
static void test_csr_check_japanese_subject_byte_exact(void **state)
{
    (void)state;
    struct csr_info *info = check_file("ok_japanese.pem", NULL);
    assert_string_equal(info->o, "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe"
                                 "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"); /* 株式会社テスト */
    assert_string_equal(info->l, "\xe5\x8d\x83\xe4\xbb\xa3\xe7\x94\xb0\xe5\x8c\xba"); /* 千代田区 */
    assert_string_equal(info->st, "東京都");
    assert_string_equal(info->ou, "情報システム部");
    assert_string_equal(info->cn, "www.example.co.jp");
    assert_string_equal(info->c, "JP");
    assert_non_null(strstr(info->subject_utf8, "O=株式会社テスト"));
    assert_non_null(strstr(info->subject_utf8, "L=千代田区"));
    assert_int_equal(info->nsans, 2);
    assert_string_equal(info->sans[0], "www.example.co.jp");
    assert_string_equal(info->sans[1], "example.co.jp");
    assert_string_equal(info->curve, "P-256");
    assert_string_equal(info->sig_alg, "ecdsa-with-SHA256");
    csr_info_free(info);
}

/* R-CSR-1: a pasted private key is never echoed: no line of it appears anywhere */
static void test_csr_check_private_key_not_echoed(void **state)
{
    (void)state;
    static const char *files[] = {"bad_privkey_pkcs8.pem", "bad_privkey_rsa.pem",
                                  "bad_csr_and_key.pem"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        unsigned char *b = slurp(files[i], &len);
        struct csr_info *info = check_buf(b, len, NULL);
        json_t *j = NULL;
        assert_int_equal(csr_info_to_json(info, &j), 0);
        char *text = json_dumps(j, 0);
        assert_non_null(text);
        const char *key = strstr((const char *)b, "PRIVATE KEY-----");
        assert_non_null(key);
        /* every 12-character window of the key body must be absent */
        for (const char *p = strchr(key, '\n') + 1; p[0] != '\0' && p[0] != '-'; p++) {
            char win[13];
            memcpy(win, p, 12);
            win[12] = '\0';
            if (strchr(win, '\n') == NULL && strstr(text, win) != NULL)
                fail_msg("%s: key text '%s' echoed", files[i], win);
        }
        assert_false(info->acceptable);
        free(text);
        json_decref(j);
        csr_info_free(info);
        free(b);
    }
}

/* ------------------------------------------------------------ blocklist */

struct fake_blocklist {
    char hex[65];
    int calls;
    int ret;
};

static int fake_blocklist(void *arg, const unsigned char sha[32], const char *hex)
{
    struct fake_blocklist *f = arg;
    char again[65];
    for (int i = 0; i < 32; i++)
        snprintf(again + 2 * i, 3, "%02x", sha[i]);
    assert_string_equal(again, hex);
    f->calls++;
    snprintf(f->hex, sizeof f->hex, "%s", hex);
    return f->ret;
}

/* R-CSR-1: a key on the compromised-key blocklist is refused; a failing blocklist does
 * not let the CSR through */
static void test_csr_check_blocklist_compromised(void **state)
{
    (void)state;
    struct fake_blocklist f = {"", 0, 0};
    struct csr_check_opts o = {fake_blocklist, &f, 0, 0};
    struct csr_info *info = check_file("ok_rsa2048.pem", &o);
    assert_true(info->acceptable);
    assert_int_equal(f.calls, 1);
    assert_string_equal(f.hex, info->spki_sha256_hex);
    csr_info_free(info);
    f.ret = 1;
    info = check_file("ok_rsa2048.pem", &o);
    assert_false(info->acceptable);
    assert_true(csr_info_has(info, "csr.key.compromised"));
    csr_info_free(info);
    f.ret = -1;
    info = check_file("ok_rsa2048.pem", &o);
    assert_false(info->acceptable);
    assert_true(csr_info_has(info, "csr.key.blocklist_unavailable"));
    csr_info_free(info);
}

/* R-CSR-1: the SPKI fingerprint is the same for PEM and DER of one CSR, and for two CSRs
 * of the same key */
static void test_csr_check_spki_fingerprint_stable(void **state)
{
    (void)state;
    struct csr_info *a = check_file("ok_rsa2048.pem", NULL);
    struct csr_info *b = check_file("ok_rsa2048.der", NULL);
    struct csr_info *c = check_file("bad_sha1.pem", NULL); /* same key */
    struct csr_info *d = check_file("ok_p256.pem", NULL);
    assert_string_equal(a->spki_sha256_hex, b->spki_sha256_hex);
    assert_string_equal(a->spki_sha256_hex, c->spki_sha256_hex);
    assert_string_not_equal(a->spki_sha256_hex, d->spki_sha256_hex);
    assert_int_equal(a->der_len, b->der_len);
    assert_memory_equal(a->der, b->der, a->der_len);
    csr_info_free(a);
    csr_info_free(b);
    csr_info_free(c);
    csr_info_free(d);
}

/* R-CSR-3, R-CSR-4: A-label SANs are shown decoded; a broken A-label is refused and shown
 * as given */
static void test_csr_check_idn_sans_display(void **state)
{
    (void)state;
    struct csr_info *info = check_file("idn.pem", NULL);
    assert_int_equal(info->nsans, 2);
    assert_string_equal(info->sans[0], "xn--eckwd4c7c.jp");
    assert_string_equal(info->sans_unicode[0], "ドメイン.jp");
    assert_string_equal(info->sans[1], "xn--zz.jp");
    assert_string_equal(info->sans_unicode[1], "xn--zz.jp");
    assert_false(info->acceptable);
    assert_true(csr_info_has(info, "name.idna_invalid"));
    json_t *j = NULL;
    assert_int_equal(csr_info_to_json(info, &j), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "sans_unicode"), 0)),
                        "ドメイン.jp");
    json_decref(j);
    csr_info_free(info);
}

/* R-CSR-4: public IP SANs pass only when the product allows IP addresses */
static void test_csr_check_ip_sans_allowed_by_option(void **state)
{
    (void)state;
    struct csr_check_opts o = {NULL, NULL, 1, 0};
    struct csr_info *info = check_file("ip_public.pem", &o);
    assert_true(info->acceptable);
    assert_int_equal(info->nsans, 2);
    assert_string_equal(info->sans[0], "8.8.8.8");
    assert_string_equal(info->sans[1], "2001:4860:4860::8888");
    csr_info_free(info);
    info = check_file("bad_ip_reserved.pem", &o);
    assert_false(info->acceptable);
    assert_true(csr_info_has(info, "name.ip_reserved"));
    csr_info_free(info);
}

/* ------------------------------------------------------------ CSRs built here */

static unsigned char *make_csr(EVP_PKEY *k, const EVP_MD *md, const char *cn, int o_type,
                               const unsigned char *o, int olen, size_t *len)
{
    X509_REQ *r = X509_REQ_new();
    assert_non_null(r);
    assert_true(X509_REQ_set_version(r, X509_REQ_VERSION_1));
    X509_NAME *n = X509_REQ_get_subject_name(r);
    assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                           -1, -1, 0));
    if (o != NULL)
        assert_true(X509_NAME_add_entry_by_NID(n, NID_organizationName, o_type, o, olen, -1, 0));
    assert_true(X509_REQ_set_pubkey(r, k));
    assert_true(X509_REQ_sign(r, k, md) > 0);
    unsigned char *der = NULL;
    int l = i2d_X509_REQ(r, &der);
    assert_true(l > 0);
    X509_REQ_free(r);
    unsigned char *copy = malloc((size_t)l);
    assert_non_null(copy);
    memcpy(copy, der, (size_t)l);
    OPENSSL_free(der);
    *len = (size_t)l;
    return copy;
}

static BIGNUM *next_prime(const BIGNUM *from)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *q = BN_dup(from);
    assert_non_null(q);
    if (!BN_is_odd(q))
        assert_true(BN_add_word(q, 1));
    while (BN_check_prime(q, ctx, NULL) != 1 || BN_mod_word(q, 65537) == 1)
        assert_true(BN_add_word(q, 2));
    BN_CTX_free(ctx);
    return q;
}

/* ROCA-form prime k*M + (65537^a mod M), M the primorial of 2..167. */
static BIGNUM *roca_prime(int bits, unsigned long a)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *m = BN_new(), *g = BN_new(), *e = BN_new(), *r = BN_new(), *k = BN_new();
    BIGNUM *p = BN_new();
    assert_non_null(p);
    assert_true(BN_one(m));
    for (BN_ULONG q = 2; q <= 167; q++) {
        int prime = 1;
        for (BN_ULONG d = 2; d * d <= q; d++)
            prime &= q % d != 0;
        if (prime)
            assert_true(BN_mul_word(m, q));
    }
    assert_true(BN_set_word(g, 65537) && BN_set_word(e, a) && BN_mod_exp(r, g, e, m, ctx));
    assert_true(BN_rand(k, bits - BN_num_bits(m), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY));
    assert_true(BN_mul(p, k, m, ctx) && BN_add(p, p, r));
    while (BN_check_prime(p, ctx, NULL) != 1 || BN_mod_word(p, 65537) == 1)
        assert_true(BN_add(p, p, m));
    BN_free(m); BN_free(g); BN_free(e); BN_free(r); BN_free(k);
    BN_CTX_free(ctx);
    return p;
}

static EVP_PKEY *rsa_from_primes(const BIGNUM *p, const BIGNUM *q)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *n = BN_new(), *e = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new();
    BIGNUM *phi = BN_new(), *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
    assert_non_null(qinv);
    assert_true(BN_set_word(e, 65537) && BN_mul(n, p, q, ctx));
    assert_true(BN_sub(p1, p, BN_value_one()) && BN_sub(q1, q, BN_value_one()));
    assert_true(BN_mul(phi, p1, q1, ctx));
    assert_non_null(BN_mod_inverse(d, e, phi, ctx));
    assert_true(BN_mod(dp, d, p1, ctx) && BN_mod(dq, d, q1, ctx));
    assert_non_null(BN_mod_inverse(qinv, q, p, ctx));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) &&
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv));
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(pctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params), 1);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n); BN_free(e); BN_free(d); BN_free(p1); BN_free(q1);
    BN_free(phi); BN_free(dp); BN_free(dq); BN_free(qinv);
    BN_CTX_free(ctx);
    return pkey;
}

/* R-CSR-1: a CSR whose RSA primes are next primes near the same 1024-bit value is
 * refused as Fermat-factorable (and is otherwise a valid 2048-bit CSR) */
static void test_csr_check_fermat_weak_key(void **state)
{
    (void)state;
    BIGNUM *base = BN_new();
    assert_true(BN_generate_prime_ex(base, 1024, 0, NULL, NULL, NULL));
    BIGNUM *p = next_prime(base);
    assert_true(BN_add_word(base, 1u << 16));
    BIGNUM *q = next_prime(base);
    EVP_PKEY *k = rsa_from_primes(p, q);
    size_t len;
    unsigned char *der = make_csr(k, EVP_sha256(), "www.example.co.jp", 0, NULL, 0, &len);
    struct csr_info *info = check_buf(der, len, NULL);
    assert_false(info->acceptable);
    assert_int_equal(info->key_bits, 2048);
    if (info->nproblems != 1 || !csr_info_has(info, "csr.key.fermat")) {
        dump_problems(info);
        fail_msg("expected only csr.key.fermat");
    }
    csr_info_free(info);
    free(der);
    EVP_PKEY_free(k);
    BN_free(p); BN_free(q); BN_free(base);
}

/* R-CSR-1: a CSR signed by a key with ROCA-form primes is refused */
static void test_csr_check_roca_key(void **state)
{
    (void)state;
    BIGNUM *p = roca_prime(1024, 1001), *q = roca_prime(1024, 4099);
    EVP_PKEY *k = rsa_from_primes(p, q);
    size_t len;
    unsigned char *der = make_csr(k, EVP_sha256(), "www.example.co.jp", 0, NULL, 0, &len);
    struct csr_info *info = check_buf(der, len, NULL);
    if (info->acceptable || !csr_info_has(info, "csr.key.roca")) {
        dump_problems(info);
        fail_msg("expected csr.key.roca");
    }
    csr_info_free(info);
    free(der);
    EVP_PKEY_free(k);
    BN_free(p); BN_free(q);
}

/* R-CSR-3: control characters (C0, DEL, C1, NUL) in a subject are shown as '?', flagged,
 * and the JSON stays valid: the API and CLI never print raw control bytes. (Bytes that
 * are not UTF-8 at all never get this far: OpenSSL refuses to decode such a name.) */
static void test_csr_check_control_chars_in_subject_sanitized(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    static const unsigned char ctl[] = {'A', 0x01, 'B', 0x1b, '[', '2', 'J', 0x7f,
                                        0xc2, 0x85, 'C', 0x00, 'D'};
    size_t len;
    unsigned char *der = make_csr(k, EVP_sha256(), "www.example.co.jp", MBSTRING_UTF8, ctl,
                                  (int)sizeof ctl, &len);
    struct csr_info *info = check_buf(der, len, NULL);
    if (!csr_info_has(info, "csr.subject.bad_encoding") || !info->acceptable) {
        dump_problems(info);
        fail_msg("expected an acceptable CSR with csr.subject.bad_encoding");
    }
    assert_non_null(info->o);
    assert_string_equal(info->o, "A?B?[2J??C?D");
    for (const char *p = info->subject_utf8; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
    json_t *j = NULL;
    assert_int_equal(csr_info_to_json(info, &j), 0);
    char *text = json_dumps(j, 0);
    assert_non_null(text);
    free(text);
    json_decref(j);
    csr_info_free(info);
    free(der);
    EVP_PKEY_free(k);
}

/* R-CSR-1: empty, whitespace-only, NULL and oversized inputs */
static void test_csr_check_empty_and_too_large(void **state)
{
    (void)state;
    struct csr_info *info = check_buf((const unsigned char *)"", 0, NULL);
    assert_true(csr_info_has(info, "csr.input.empty"));
    assert_false(info->acceptable);
    csr_info_free(info);
    info = check_buf((const unsigned char *)" \r\n\t\n", 5, NULL);
    assert_true(csr_info_has(info, "csr.input.empty"));
    csr_info_free(info);
    info = check_buf(NULL, 10, NULL);
    assert_true(csr_info_has(info, "csr.input.empty"));
    csr_info_free(info);
    info = check_buf((const unsigned char *)"hello world", 11, NULL);
    assert_true(csr_info_has(info, "csr.input.not_csr"));
    csr_info_free(info);
    size_t len;
    unsigned char *b = slurp("ok_rsa2048.pem", &len);
    struct csr_check_opts o = {NULL, NULL, 0, 100};
    info = check_buf(b, len, &o);
    assert_true(csr_info_has(info, "csr.too_large"));
    assert_false(info->acceptable);
    csr_info_free(info);
    free(b);
}

/* R-CSR-1: base64 details: missing padding and stray '=' are broken base64, a UTF-8 BOM
 * and lower-case armor are tolerated */
static void test_csr_check_base64_edge_cases(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = slurp("ok_p256.pem", &len);
    char *s = calloc(1, len + 16);
    assert_non_null(s);
    /* BOM in front */
    memcpy(s, "\xef\xbb\xbf", 3);
    memcpy(s + 3, b, len);
    struct csr_info *info = check_buf((unsigned char *)s, len + 3, NULL);
    assert_true(info->acceptable);
    csr_info_free(info);
    /* lower-case armor */
    memcpy(s, b, len);
    s[len] = '\0';
    for (char *p = strstr(s, "BEGIN"); p != NULL && *p != '\n'; p++)
        *p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
    info = check_buf((unsigned char *)s, len, NULL);
    assert_true(info->acceptable);
    csr_info_free(info);
    /* '=' in the middle of the body */
    memcpy(s, b, len);
    char *body = strchr(s, '\n') + 1;
    body[5] = '=';
    info = check_buf((unsigned char *)s, len, NULL);
    assert_true(csr_info_has(info, "csr.input.bad_base64"));
    assert_string_equal(info->problems[0].detail, "line 2");
    csr_info_free(info);
    /* one base64 character removed: length no longer a multiple of 4 */
    memcpy(s, b, len);
    body = strchr(s, '\n') + 1;
    memmove(body + 3, body + 4, len - (size_t)(body + 4 - s));
    info = check_buf((unsigned char *)s, len - 1, NULL);
    assert_true(csr_info_has(info, "csr.input.bad_base64"));
    csr_info_free(info);
    free(s);
    free(b);
    /* found by fuzzing: a bare paste with '=' before more data (decoder overran) */
    static const char *const broken[] = {"C4=/f", "QQ==QQ==", "QQ=", "=QQQ", "QQQQ="};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        info = check_buf((const unsigned char *)broken[i], strlen(broken[i]), NULL);
        assert_true(csr_info_has(info, "csr.input.not_csr"));
        assert_null(info->der);
        csr_info_free(info);
        char pem[128];
        int n = snprintf(pem, sizeof pem, "-----BEGIN CERTIFICATE REQUEST-----\n%s\n"
                         "-----END CERTIFICATE REQUEST-----\n", broken[i]);
        info = check_buf((const unsigned char *)pem, (size_t)n, NULL);
        if (!csr_info_has(info, "csr.input.bad_base64"))
            fail_msg("%s in PEM: expected csr.input.bad_base64", broken[i]);
        csr_info_free(info);
    }
}

/* R-CSR-3: the JSON has every field the page and API show */
static void test_csr_info_to_json_fields(void **state)
{
    (void)state;
    struct csr_info *info = check_file("ok_japanese.pem", NULL);
    json_t *j = NULL;
    assert_int_equal(csr_info_to_json(info, &j), 0);
    char *text = json_dumps(j, 0);
    json_decref(j);
    json_error_t err;
    j = json_loads(text, 0, &err);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "acceptable")));
    assert_string_equal(json_string_value(json_object_get(j, "o")), "株式会社テスト");
    assert_string_equal(json_string_value(json_object_get(j, "l")), "千代田区");
    json_t *key = json_object_get(j, "key");
    assert_string_equal(json_string_value(json_object_get(key, "type")), "EC");
    assert_int_equal(json_integer_value(json_object_get(key, "bits")), 256);
    assert_string_equal(json_string_value(json_object_get(key, "curve")), "P-256");
    assert_string_equal(json_string_value(json_object_get(j, "sig_alg")), "ecdsa-with-SHA256");
    assert_int_equal(json_array_size(json_object_get(j, "sans")), 2);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "spki_sha256"))), 64);
    json_t *p = json_array_get(json_object_get(j, "problems"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "code")), "csr.subject.ou_dropped");
    assert_string_equal(json_string_value(json_object_get(p, "severity")), "notice");
    assert_non_null(json_string_value(json_object_get(p, "message_ja")));
    assert_non_null(json_string_value(json_object_get(p, "message_en")));
    json_decref(j);
    free(text);
    csr_info_free(info);
    /* a rejected input still has the shape, with nulls */
    info = check_buf((const unsigned char *)"garbage", 7, NULL);
    assert_int_equal(csr_info_to_json(info, &j), 0);
    assert_true(json_is_false(json_object_get(j, "acceptable")));
    assert_true(json_is_null(json_object_get(j, "cn")));
    assert_true(json_is_null(json_object_get(json_object_get(j, "key"), "type")));
    json_decref(j);
    csr_info_free(info);
}

/* R-CSR-2: CN comparison for renewal and reissue */
static void test_csr_cn_matches_names(void **state)
{
    (void)state;
    struct csr_info *info = check_file("ok_uppercase.pem", NULL);
    assert_true(csr_cn_matches(info, "www.example.co.jp"));
    assert_false(csr_cn_matches(info, "example.co.jp"));
    csr_info_free(info);
    info = check_file("ok_no_names.pem", NULL);
    assert_false(csr_cn_matches(info, "www.example.co.jp"));
    csr_info_free(info);
}

/* R-CSR-1..4: every code has ja and en text, codes are unique, csr.* and name.* present */
static void test_csr_problem_table_complete(void **state)
{
    (void)state;
    size_t n;
    const struct csr_problem_def *t = csr_problem_table(&n);
    int csr = 0, name = 0;
    for (size_t i = 0; i < n; i++) {
        csr += strncmp(t[i].code, "csr.", 4) == 0;
        name += strncmp(t[i].code, "name.", 5) == 0;
        assert_true(strlen(t[i].msg_ja) > 0 && strlen(t[i].msg_en) > 0);
        int ja = 0;
        for (const char *m = t[i].msg_ja; *m; m++)
            ja |= (unsigned char)*m >= 0x80;
        assert_true(ja); /* Japanese text */
        for (size_t k = i + 1; k < n; k++)
            assert_string_not_equal(t[i].code, t[k].code);
    }
    assert_int_equal((size_t)(csr + name), n);
    assert_true(csr > 30 && name > 15);
    assert_null(csr_problem_find("csr.nonexistent"));
    assert_non_null(csr_problem_find("name.underscore"));
}

/* R-CSR-1: failing each allocation in turn gives -SM_E_NOMEM and no leak (ASan) */
static void test_csr_check_alloc_failures(void **state)
{
    (void)state;
    static const char *files[] = {"ok_japanese.pem", "bad_internal.pem", "bad_base64.pem"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        unsigned char *b = slurp(files[f], &len);
        for (long nth = 1; nth < 500; nth++) {
            struct csr_info *info = NULL;
            struct sm_err e = {0};
            failalloc_set(nth);
            int rc = csr_check(b, len, NULL, &info, &e);
            long used = failalloc_count();
            failalloc_set(0);
            if (rc == 0) {
                csr_info_free(info);
                if (used < nth)
                    break; /* every allocation has been failed once */
            } else {
                assert_int_equal(rc, -SM_E_NOMEM);
                assert_int_equal(e.code, SM_E_NOMEM);
                assert_null(info);
            }
        }
        free(b);
    }
}

/* issue 8 item 29: the request taken apart without OpenSSL's key decoders gives the same
 * key, SPKI and verdict as a full decode: P-256, P-384 and RSA keys, SHA-256/384/512;
 * one flipped byte of the signed part (the CN) or of the signature is csr.sig.invalid. */
static void test_csr_check_raw_parse_same_as_full_decode(void **state)
{
    (void)state;
    EVP_PKEY *keys[] = {EVP_EC_gen("P-256"), EVP_EC_gen("P-384"), EVP_RSA_gen(2048)};
    const EVP_MD *mds[] = {EVP_sha256(), EVP_sha384(), EVP_sha512()};
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(keys[i]);
        size_t len = 0;
        unsigned char *der = make_csr(keys[i], mds[i], "raw.example.com", 0, NULL, 0, &len);
        struct csr_info *info = check_acceptable(der, len);
        if (i < 2) /* a named EC key: no EVP_PKEY, the key is spki (below) */
            assert_null(info->pkey);
        else
            assert_int_equal(EVP_PKEY_eq(info->pkey, keys[i]), 1);
        const unsigned char *p = der;
        X509_REQ *full = d2i_X509_REQ(NULL, &p, (long)len);
        unsigned char *a = NULL, *b = NULL;
        int la = i2d_X509_PUBKEY(info->spki, &a);
        int lb = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(full), &b);
        assert_true(la > 0);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, (size_t)la);
        OPENSSL_free(a);
        OPENSSL_free(b);
        X509_REQ_free(full);
        csr_info_free(info);

        unsigned char *cn = memmem(der, len, "raw.example.com", 15);
        assert_non_null(cn);
        cn[0] = 'x';
        info = check_buf(der, len, NULL);
        assert_true(csr_info_has(info, "csr.sig.invalid"));
        csr_info_free(info);
        cn[0] = 'r';
        der[len - 3] ^= 0x01; /* inside the signature */
        info = check_buf(der, len, NULL);
        assert_true(csr_info_has(info, "csr.sig.invalid"));
        csr_info_free(info);
        free(der);
        EVP_PKEY_free(keys[i]);
    }
}

/* issue 8 item 29: a named P-256/P-384 key is checked without an EVP_PKEY (pki/eckey):
 * for valid requests (SHA-256/384/512) and for 360 copies with one bit flipped anywhere
 * from the CertificationRequestInfo to the end, the verdict on the signature is the one
 * X509_REQ_verify gives with the key of a full decode, and a key OpenSSL cannot decode
 * (a point off the curve) is csr.key.undecodable, never a checked signature. */
static void test_csr_check_named_ec_key_verdicts(void **state)
{
    (void)state;
    EVP_PKEY *keys[] = {EVP_EC_gen("P-256"), EVP_EC_gen("P-384")};
    const EVP_MD *mds[] = {EVP_sha256(), EVP_sha384(), EVP_sha512()};
    size_t compared = 0, invalid = 0, undecodable = 0;
    unsigned seed = 29;
    for (size_t k = 0; k < 2; k++) {
        assert_non_null(keys[k]);
        for (size_t m = 0; m < 3; m++) {
            size_t len = 0;
            unsigned char *der = make_csr(keys[k], mds[m], "ec.example.com", 0, NULL, 0, &len);
            struct csr_info *info = check_acceptable(der, len);
            assert_null(info->pkey);
            assert_int_equal(info->key_bits, k == 0 ? 256 : 384);
            unsigned char *a = NULL;
            int la = i2d_PUBKEY(keys[k], &a), lb = i2d_X509_PUBKEY(info->spki, NULL);
            assert_int_equal(la, lb);
            unsigned char *b = OPENSSL_malloc((size_t)lb), *bp = b;
            assert_int_equal(i2d_X509_PUBKEY(info->spki, &bp), lb);
            assert_memory_equal(a, b, (size_t)la);
            OPENSSL_free(a);
            OPENSSL_free(b);
            csr_info_free(info);
            for (int n = 0; n < 60; n++) {
                unsigned char *d = malloc(len);
                assert_non_null(d);
                memcpy(d, der, len);
                seed = seed * 1103515245u + 12345u;
                size_t at = 4 + (seed >> 8) % (len - 4); /* past the outer header */
                d[at] ^= (unsigned char)(1u << ((seed >> 4) % 8));
                const unsigned char *p = d;
                X509_REQ *full = d2i_X509_REQ(NULL, &p, (long)len);
                info = check_buf(d, len, NULL);
                EVP_PKEY *pk = full != NULL ? X509_REQ_get0_pubkey(full) : NULL;
                ERR_clear_error();
                if (full != NULL && info->spki != NULL && pk == NULL) {
                    /* refused for its key: off the curve, or another algorithm or curve */
                    int key_refused = 0;
                    for (size_t q = 0; q < info->nproblems; q++)
                        key_refused |= info->problems[q].severity == CSR_SEV_ERROR &&
                                       strncmp(info->problems[q].code, "csr.key.", 8) == 0;
                    if (!key_refused) {
                        dump_problems(info);
                        fail_msg("key %zu md %zu flip at %zu: key not refused", k, m, at);
                    }
                    assert_false(csr_info_has(info, "csr.sig.invalid"));
                    assert_false(info->acceptable);
                    undecodable += csr_info_has(info, "csr.key.undecodable");
                } else if (full != NULL && info->spki != NULL && p == d + len) {
                    int want = X509_REQ_verify(full, pk) == 1;
                    ERR_clear_error();
                    if (want == csr_info_has(info, "csr.sig.invalid"))
                        fail_msg("key %zu md %zu flip at %zu: OpenSSL %s, the check %s", k, m,
                                 at, want ? "valid" : "invalid", want ? "invalid" : "valid");
                    assert_false(csr_info_has(info, "csr.key.undecodable"));
                    compared++;
                    invalid += !want;
                }
                X509_REQ_free(full);
                csr_info_free(info);
                free(d);
            }
            free(der);
        }
        EVP_PKEY_free(keys[k]);
    }
    /* most flips land where the request still parses, and each kind was seen */
    if (compared < 150 || invalid < 100 || undecodable < 5)
        fail_msg("compared %zu, invalid %zu, undecodable %zu", compared, invalid, undecodable);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csr_check_accepts_variants),
        cmocka_unit_test(test_csr_check_rejects_with_code),
        cmocka_unit_test(test_csr_check_single_problem_is_exact),
        cmocka_unit_test(test_csr_problem_details_language_neutral),
        cmocka_unit_test(test_csr_check_japanese_subject_byte_exact),
        cmocka_unit_test(test_csr_check_private_key_not_echoed),
        cmocka_unit_test(test_csr_check_blocklist_compromised),
        cmocka_unit_test(test_csr_check_spki_fingerprint_stable),
        cmocka_unit_test(test_csr_check_ip_sans_allowed_by_option),
        cmocka_unit_test(test_csr_check_idn_sans_display),
        cmocka_unit_test(test_csr_check_fermat_weak_key),
        cmocka_unit_test(test_csr_check_roca_key),
        cmocka_unit_test(test_csr_check_control_chars_in_subject_sanitized),
        cmocka_unit_test(test_csr_check_empty_and_too_large),
        cmocka_unit_test(test_csr_check_base64_edge_cases),
        cmocka_unit_test(test_csr_info_to_json_fields),
        cmocka_unit_test(test_csr_cn_matches_names),
        cmocka_unit_test(test_csr_problem_table_complete),
        cmocka_unit_test(test_csr_check_alloc_failures),
        cmocka_unit_test(test_csr_check_raw_parse_same_as_full_decode),
        cmocka_unit_test(test_csr_check_named_ec_key_verdicts),
    };
    return cmocka_run_group_tests_name("csr", tests, NULL, NULL);
}
