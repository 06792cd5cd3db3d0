/* SPDX-License-Identifier: MIT */
/* R-CSR-1 (BR 6.1.1.3): weak RSA key detection. The weak keys are built here: ROCA-form
 * moduli p = k*M + (65537^a mod M) with M the primorial of 2..167, and Fermat-weak keys
 * whose primes are next primes near the same value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/asset.h"
#include "core/err.h"
#include "pki/weakkey.h"
#include "testdir.h"

static BIGNUM *primorial167(void)
{
    BIGNUM *m = BN_new();
    assert_non_null(m);
    assert_true(BN_one(m));
    for (BN_ULONG p = 2; p <= 167; p++) {
        int prime = 1;
        for (BN_ULONG d = 2; d * d <= p; d++)
            prime &= p % d != 0;
        if (prime)
            assert_true(BN_mul_word(m, p));
    }
    return m;
}

/* k*M + (65537^a mod M) with k of about bits - |M| bits; prime when want_prime. */
static BIGNUM *roca_number(int bits, unsigned long a, int want_prime)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *m = primorial167(), *g = BN_new(), *e = BN_new(), *r = BN_new(), *k = BN_new();
    BIGNUM *p = BN_new();
    assert_non_null(ctx);
    assert_non_null(p);
    assert_true(BN_set_word(g, 65537) && BN_set_word(e, a));
    assert_true(BN_mod_exp(r, g, e, m, ctx));
    assert_true(BN_rand(k, bits - BN_num_bits(m), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY));
    assert_true(BN_mul(p, k, m, ctx) && BN_add(p, p, r));
    while (want_prime && (BN_check_prime(p, ctx, NULL) != 1 || BN_mod_word(p, 65537) == 1))
        assert_true(BN_add(p, p, m));
    BN_free(m);
    BN_free(g);
    BN_free(e);
    BN_free(r);
    BN_free(k);
    BN_CTX_free(ctx);
    return p;
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

/* A complete RSA key pair (e = 65537) from two primes. */
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

static BIGNUM *modulus(const EVP_PKEY *k)
{
    BIGNUM *n = NULL;
    assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n));
    return n;
}

/* R-CSR-1: ROCA-form moduli carry the fingerprint, whatever a and k are */
static void test_weakkey_roca_form_detected(void **state)
{
    (void)state;
    static const unsigned long exps[] = {1, 2, 77, 1234, 65535, 1000003};
    BN_CTX *ctx = BN_CTX_new();
    for (size_t i = 0; i < sizeof exps / sizeof exps[0]; i++) {
        BIGNUM *p = roca_number(1024, exps[i], 0), *q = roca_number(1024, exps[i] * 7 + 3, 0);
        BIGNUM *n = BN_new();
        assert_true(BN_mul(n, p, q, ctx));
        assert_int_equal(weakkey_roca(n), 1);
        /* move n to 0 mod 3: 0 is never in the subgroup, so no fingerprint */
        assert_true(BN_sub_word(n, BN_mod_word(n, 3)));
        assert_int_equal(weakkey_roca(n), 0);
        BN_free(p);
        BN_free(q);
        BN_free(n);
    }
    BN_CTX_free(ctx);
}

/* R-CSR-1: the detector's residue sets equal the published roca-detect masks. For each
 * of the first primes p, n is moved through every residue mod p (adding multiples of
 * M/p keeps the other residues in the subgroup) and detection must follow the mask. */
static void test_weakkey_roca_matches_published_masks(void **state)
{
    (void)state;
    static const struct {
        BN_ULONG p;
        unsigned long long mask;
    } pub[] = {{3, 6}, {5, 30}, {7, 126}, {11, 1026}, {13, 5658}, {17, 107286},
               {19, 199410}, {23, 8388606}};
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *base = roca_number(2048, 31337, 0), *m = primorial167(), *step = BN_new();
    BIGNUM *n = BN_new();
    assert_int_equal(weakkey_roca(base), 1);
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        BN_ULONG rem = 0;
        assert_non_null(BN_copy(step, m));
        rem = BN_div_word(step, pub[i].p); /* step = M / p */
        assert_int_equal(rem, 0);
        assert_non_null(BN_copy(n, base));
        for (BN_ULONG j = 0; j < pub[i].p; j++) {
            BN_ULONG r = BN_mod_word(n, pub[i].p);
            int want = (int)((pub[i].mask >> r) & 1);
            if (weakkey_roca(n) != want)
                fail_msg("p=%lu residue %lu: expected %d", (unsigned long)pub[i].p,
                         (unsigned long)r, want);
            assert_true(BN_add(n, n, step));
        }
    }
    BN_free(base); BN_free(m); BN_free(step); BN_free(n);
    BN_CTX_free(ctx);
}

/* R-CSR-1: an ordinary key is not flagged by any check */
static void test_weakkey_check_rsa_ordinary_key_clean(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_RSA_gen(2048);
    const char *code = "unset";
    assert_non_null(k);
    assert_int_equal(weakkey_check_rsa(k, &code), 0);
    assert_null(code);
    BIGNUM *n = modulus(k);
    assert_int_equal(weakkey_roca(n), 0);
    assert_int_equal(weakkey_fermat(n, WEAKKEY_FERMAT_ROUNDS, NULL), 0);
    assert_int_equal(weakkey_small_factor(n), 0);
    BN_free(n);
    EVP_PKEY_free(k);
}

/* R-CSR-1: a real key pair with ROCA-form primes is reported as csr.key.roca */
static void test_weakkey_check_rsa_roca_key(void **state)
{
    (void)state;
    BIGNUM *p = roca_number(1024, 4242, 1), *q = roca_number(1024, 999, 1);
    EVP_PKEY *k = rsa_from_primes(p, q);
    const char *code = NULL;
    assert_int_equal(weakkey_check_rsa(k, &code), 0);
    assert_non_null(code);
    assert_string_equal(code, "csr.key.roca");
    EVP_PKEY_free(k);
    BN_free(p);
    BN_free(q);
}

/* R-CSR-1: primes that are next primes near the same 1024-bit value are factored */
static void test_weakkey_fermat_close_primes(void **state)
{
    (void)state;
    BIGNUM *base = BN_new(), *found = NULL;
    assert_true(BN_generate_prime_ex(base, 1024, 0, NULL, NULL, NULL));
    BIGNUM *p = next_prime(base);
    assert_true(BN_add_word(base, 1u << 20));
    BIGNUM *q = next_prime(base);
    EVP_PKEY *k = rsa_from_primes(p, q);
    BIGNUM *n = modulus(k);
    assert_int_equal(weakkey_fermat(n, WEAKKEY_FERMAT_ROUNDS, &found), 1);
    assert_non_null(found);
    assert_int_equal(BN_cmp(found, p), 0);
    const char *code = NULL;
    assert_int_equal(weakkey_check_rsa(k, &code), 0);
    assert_string_equal(code, "csr.key.fermat");
    BN_free(found);
    BN_free(n);
    EVP_PKEY_free(k);
    BN_free(p);
    BN_free(q);
    BN_free(base);
}

/* R-CSR-1: the search is bounded: a gap needing more rounds than allowed is not found,
 * one needing a few rounds is */
static void test_weakkey_fermat_bounded_rounds(void **state)
{
    (void)state;
    static const struct {
        int gap_bits;    /* q - p = 2^gap_bits (both odd) */
        unsigned rounds;
        int expect;
    } cases[] = {
        {514, 100, 1},  /* about 2 rounds needed */
        {530, 100, 0},  /* about 2^33 rounds needed */
        {514, 0, 0},    /* no rounds allowed */
        {1, 100, 1},    /* twin factors */
    };
    BN_CTX *ctx = BN_CTX_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        BIGNUM *a = BN_new(), *b = BN_new(), *g = BN_new(), *n = BN_new();
        assert_true(BN_rand(a, 1024, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD));
        assert_true(BN_set_word(g, 0) && BN_set_bit(g, cases[i].gap_bits));
        assert_true(BN_add(b, a, g) && BN_mul(n, a, b, ctx));
        if (!BN_is_odd(n)) /* gap 2^1 keeps both odd; others too */
            fail_msg("even modulus in case %zu", i);
        if (weakkey_fermat(n, cases[i].rounds, NULL) != cases[i].expect)
            fail_msg("case %zu: expected %d", i, cases[i].expect);
        BN_free(a); BN_free(b); BN_free(g); BN_free(n);
    }
    BN_CTX_free(ctx);
}

/* R-CSR-1: degenerate inputs are not weak keys and do not crash */
static void test_weakkey_fermat_degenerate_inputs(void **state)
{
    (void)state;
    BIGNUM *n = BN_new();
    assert_int_equal(weakkey_fermat(NULL, 100, NULL), 0);
    assert_true(BN_set_word(n, 0));
    assert_int_equal(weakkey_fermat(n, 100, NULL), 0);
    assert_int_equal(weakkey_roca(n), 0);
    assert_true(BN_set_word(n, 1000)); /* even */
    assert_int_equal(weakkey_fermat(n, 100, NULL), 0);
    assert_true(BN_set_word(n, 15)); /* 3 * 5: a - b == 3 */
    assert_int_equal(weakkey_fermat(n, 100, NULL), 1);
    assert_true(BN_set_word(n, 13)); /* prime: only the trivial split 1 * 13 */
    assert_int_equal(weakkey_fermat(n, 100, NULL), 0);
    BN_free(n);
}

/* R-CSR-1: a modulus with a small prime factor is broken */
static void test_weakkey_small_factor_found(void **state)
{
    (void)state;
    static const BN_ULONG factors[] = {3, 7, 997};
    BIGNUM *big = BN_new(), *n = BN_new();
    BN_CTX *ctx = BN_CTX_new();
    assert_true(BN_generate_prime_ex(big, 512, 0, NULL, NULL, NULL));
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(BN_copy(n, big));
        assert_true(BN_mul_word(n, factors[i]));
        assert_int_equal(weakkey_small_factor(n), 1);
    }
    assert_int_equal(weakkey_small_factor(big), 0);
    assert_true(BN_set_word(n, 997)); /* the prime itself is not "a factor of a modulus" */
    assert_int_equal(weakkey_small_factor(n), 0);
    BN_free(big);
    BN_free(n);
    BN_CTX_free(ctx);
}

/* R-CSR-1: only RSA keys are examined */
static void test_weakkey_check_rsa_rejects_non_rsa(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    const char *code = "unset";
    assert_non_null(k);
    assert_int_equal(weakkey_check_rsa(k, &code), -SM_E_INVALID);
    assert_null(code);
    assert_int_equal(weakkey_check_rsa(NULL, &code), -SM_E_INVALID);
    EVP_PKEY_free(k);
}

/* issue 8 item 23 (BR 6.1.1.3): the Debian weak-key fingerprint, computed by openssl
 * itself as openssl-vulnkey does (`openssl rsa -noout -modulus | sha1sum`, last 20 hex
 * digits), is found by the check; the key is then reported as csr.key.debian_weak. */
static void test_weakkey_debian_list_from_openssl_fingerprint(void **state)
{
    (void)state;
    char dir[256], path[300], cmd[700], fp[64] = "";
    assert_int_equal(testdir_make(dir, sizeof dir, "weakkey"), 0);
    snprintf(path, sizeof path, "%s/k.pem", dir);
    EVP_PKEY *k = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
    assert_non_null(k);
    assert_non_null(other);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    snprintf(cmd, sizeof cmd, "openssl rsa -in '%s' -noout -modulus | sha1sum | cut -c21-40",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(fp, sizeof fp, p));
    assert_int_equal(pclose(p), 0);
    fp[strcspn(fp, "\n")] = '\0';
    assert_int_equal(strlen(fp), 20);
    testdir_remove(dir);

    char text[256];
    snprintf(text, sizeof text, "# test list\n\n1024 00000000000000000000\n2048 %s\n", fp);
    struct weakkey_list *l = NULL;
    size_t bad = 0;
    assert_int_equal(weakkey_list_parse(text, strlen(text), &l, &bad), 0);
    assert_int_equal(weakkey_list_count(l), 2);
    const char *code = NULL;
    assert_int_equal(weakkey_check_rsa_list(k, l, &code), 0);
    assert_non_null(code);
    assert_string_equal(code, "csr.key.debian_weak");
    assert_int_equal(weakkey_check_rsa_list(other, l, &code), 0);
    assert_null(code);
    /* the same fingerprint under another key size is not a match */
    snprintf(text, sizeof text, "4096 %s\n", fp);
    weakkey_list_free(l);
    assert_int_equal(weakkey_list_parse(text, strlen(text), &l, &bad), 0);
    assert_int_equal(weakkey_check_rsa_list(k, l, &code), 0);
    assert_null(code);
    weakkey_list_free(l);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

/* issue 8 item 23: malformed list lines are refused with their line number; a missing
 * list fails closed. */
static void test_weakkey_debian_list_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2048 0123456789abcdef012\n",   /* 19 digits */
        "2048 0123456789ABCDEF0123\n",  /* upper case */
        "# c\nabc 0123456789abcdef0123\n", /* no bits */
        "2048\t0123456789abcdef0123\n",
        "100 0123456789abcdef0123\n", /* no such key size */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct weakkey_list *l = (struct weakkey_list *)1;
        size_t line = 0;
        assert_int_equal(weakkey_list_parse(bad[i], strlen(bad[i]), &l, &line), -SM_E_INVALID);
        assert_null(l);
        assert_int_equal(line, i == 2 ? 2 : 1);
    }
    BIGNUM *n = BN_new();
    assert_true(BN_set_word(n, 65537));
    assert_true(weakkey_debian(NULL, 2048, n) < 0);
    BN_free(n);
}

/* issue 8 item 23: the list compiled into the binary parses and names its source. */
static void test_weakkey_debian_list_shipped(void **state)
{
    (void)state;
    const struct asset *a = asset_get(WEAKKEY_DEBIAN_ASSET);
    assert_non_null(a);
    assert_non_null(strstr((const char *)a->data, "Source: the Debian package openssl-blacklist"));
    assert_non_null(strstr((const char *)a->data, "CVE-2008-0166"));
    assert_non_null(weakkey_debian_list());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weakkey_roca_form_detected),
        cmocka_unit_test(test_weakkey_roca_matches_published_masks),
        cmocka_unit_test(test_weakkey_check_rsa_ordinary_key_clean),
        cmocka_unit_test(test_weakkey_check_rsa_roca_key),
        cmocka_unit_test(test_weakkey_fermat_close_primes),
        cmocka_unit_test(test_weakkey_fermat_bounded_rounds),
        cmocka_unit_test(test_weakkey_fermat_degenerate_inputs),
        cmocka_unit_test(test_weakkey_small_factor_found),
        cmocka_unit_test(test_weakkey_check_rsa_rejects_non_rsa),
        cmocka_unit_test(test_weakkey_debian_list_from_openssl_fingerprint),
        cmocka_unit_test(test_weakkey_debian_list_parse_errors),
        cmocka_unit_test(test_weakkey_debian_list_shipped),
    };
    return cmocka_run_group_tests_name("weakkey", tests, NULL, NULL);
}
