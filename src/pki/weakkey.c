/* SPDX-License-Identifier: MIT */
/* Weak RSA modulus detection: ROCA residue fingerprint (the "moduli" test of the
 * published roca-detect tool: primes 3..167, generator 65537), bounded Fermat factoring,
 * small prime factors, and the Debian weak-key fingerprint lists. Works on the public
 * modulus only. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "core/asset.h"
#include "core/err.h"
#include "core/failalloc.h"
#include "core/text.h"
#include "pki/weakkey.h"

/* The primes of the ROCA detector. */
static const unsigned roca_primes[] = {
    3,  5,  7,  11, 13, 17,  19,  23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
    73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
};
#define ROCA_NPRIMES (sizeof roca_primes / sizeof roca_primes[0])
#define ROCA_GEN     65537u

/* member[p] has bit r set when r is in <65537 mod p>. Computed on each call: at most
 * 38 small cycles, cheaper than sharing state between threads. */
static void subgroup(unsigned p, unsigned char member[168])
{
    memset(member, 0, 168);
    unsigned g = ROCA_GEN % p, x = 1;
    do {
        member[x] = 1;
        x = (x * g) % p;
    } while (x != 1);
}

int weakkey_roca(const BIGNUM *n)
{
    unsigned char member[168];
    if (n == NULL || BN_is_zero(n) || BN_is_negative(n))
        return 0;
    for (size_t i = 0; i < ROCA_NPRIMES; i++) {
        BN_ULONG r = BN_mod_word(n, roca_primes[i]);
        if (r == (BN_ULONG)-1)
            return -SM_E_CRYPTO;
        subgroup(roca_primes[i], member);
        if (!member[r])
            return 0;
    }
    return 1;
}

/* r = floor(sqrt(n)) by Newton's iteration. Returns 1 ok, 0 failure. */
static int bn_isqrt(BIGNUM *r, const BIGNUM *n, BN_CTX *ctx)
{
    int ok = 0;
    BN_CTX_start(ctx);
    BIGNUM *x = BN_CTX_get(ctx), *y = BN_CTX_get(ctx);
    if (y == NULL)
        goto out;
    if (BN_is_zero(n)) {
        BN_zero(r);
        ok = 1;
        goto out;
    }
    /* x0 = 2^ceil(bits/2) >= sqrt(n) */
    if (!BN_set_word(x, 0) || !BN_set_bit(x, (BN_num_bits(n) + 1) / 2))
        goto out;
    for (int guard = 0; guard < 4096; guard++) {
        /* y = (x + n / x) / 2 */
        if (!BN_div(y, NULL, n, x, ctx) || !BN_add(y, y, x) || !BN_rshift1(y, y))
            goto out;
        if (BN_cmp(y, x) >= 0)
            break;
        if (!BN_copy(x, y))
            goto out;
    }
    ok = BN_copy(r, x) != NULL;
out:
    BN_CTX_end(ctx);
    return ok;
}

int weakkey_fermat(const BIGNUM *n, unsigned rounds, BIGNUM **p_out)
{
    int rc = -SM_E_NOMEM;
    if (p_out != NULL)
        *p_out = NULL;
    if (n == NULL || BN_is_negative(n) || BN_num_bits(n) < 4 || !BN_is_odd(n))
        return 0;
    BN_CTX *ctx = BN_CTX_new();
    if (ctx == NULL)
        return -SM_E_NOMEM;
    BN_CTX_start(ctx);
    BIGNUM *a = BN_CTX_get(ctx), *b2 = BN_CTX_get(ctx), *b = BN_CTX_get(ctx);
    BIGNUM *t = BN_CTX_get(ctx);
    if (t == NULL || !bn_isqrt(a, n, ctx) || !BN_sqr(t, a, ctx))
        goto out;
    if (BN_cmp(t, n) < 0 && !BN_add_word(a, 1)) /* a = ceil(sqrt(n)) */
        goto out;
    rc = 0;
    for (unsigned i = 0; i < rounds; i++) {
        /* b2 = a^2 - n; is it a square? */
        if (!BN_sqr(b2, a, ctx) || !BN_sub(b2, b2, n) || !bn_isqrt(b, b2, ctx) ||
            !BN_sqr(t, b, ctx)) {
            rc = -SM_E_NOMEM;
            goto out;
        }
        if (BN_cmp(t, b2) == 0) {
            /* n = (a - b)(a + b); a trivial split (a - b == 1) is no weakness */
            if (!BN_sub(t, a, b)) {
                rc = -SM_E_NOMEM;
                goto out;
            }
            if (!BN_is_one(t)) {
                rc = 1;
                if (p_out != NULL && (*p_out = BN_dup(t)) == NULL)
                    rc = -SM_E_NOMEM;
            }
            goto out;
        }
        if (!BN_add_word(a, 1)) {
            rc = -SM_E_NOMEM;
            goto out;
        }
    }
out:
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    return rc;
}

int weakkey_small_factor(const BIGNUM *n)
{
    if (n == NULL || BN_is_zero(n))
        return 0;
    for (BN_ULONG p = 2; p < 1000; p++) {
        int prime = 1;
        for (BN_ULONG d = 2; d * d <= p; d++)
            if (p % d == 0)
                prime = 0;
        if (!prime)
            continue;
        BN_ULONG r = BN_mod_word(n, p);
        if (r == (BN_ULONG)-1)
            return -SM_E_CRYPTO;
        if (r == 0 && !BN_is_word(n, p))
            return 1;
    }
    return 0;
}

/* ---- Debian weak keys ---- */

struct wk_entry {
    uint32_t bits;
    unsigned char fp[10];
};

struct weakkey_list {
    struct wk_entry *v; /* sorted by (bits, fp) */
    size_t n;
};

static int wk_cmp(const void *a, const void *b)
{
    const struct wk_entry *x = a, *y = b;
    if (x->bits != y->bits)
        return x->bits < y->bits ? -1 : 1;
    return memcmp(x->fp, y->fp, sizeof x->fp);
}

/* One line without its end: 1 entry read, 0 comment/blank, -1 malformed. */
static int wk_line(const char *s, size_t n, struct wk_entry *out)
{
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || s[0] == '#')
        return 0;
    size_t i = 0;
    uint32_t bits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && bits < 100000)
        bits = bits * 10 + (uint32_t)(s[i++] - '0');
    if (i == 0 || bits < 512 || bits > 16384 || i >= n || s[i] != ' ' || n - i - 1 != 20)
        return -1;
    if (text_unhex_lower(out->fp, 10, s + i + 1) < 0)
        return -1;
    out->bits = bits;
    return 1;
}

int weakkey_list_parse(const char *text, size_t len, struct weakkey_list **out, size_t *bad_line)
{
    *out = NULL;
    if (bad_line != NULL)
        *bad_line = 0;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    struct weakkey_list *l = sm_calloc(1, sizeof *l);
    if (l == NULL || (l->v = sm_calloc(lines, sizeof *l->v)) == NULL) {
        free(l);
        return -SM_E_NOMEM;
    }
    size_t start = 0, line = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        line++;
        int rc = wk_line(text + start, end - start, &l->v[l->n]);
        if (rc < 0) {
            if (bad_line != NULL)
                *bad_line = line;
            weakkey_list_free(l);
            return -SM_E_INVALID;
        }
        l->n += (size_t)rc;
        start = end + 1;
    }
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, wk_cmp);
    *out = l;
    return 0;
}

void weakkey_list_free(struct weakkey_list *l)
{
    if (l == NULL)
        return;
    free(l->v);
    free(l);
}

size_t weakkey_list_count(const struct weakkey_list *l) { return l ? l->n : 0; }

static struct weakkey_list *debian_list;
static pthread_once_t debian_once = PTHREAD_ONCE_INIT;

static void debian_load(void)
{
    const struct asset *a = asset_get(WEAKKEY_DEBIAN_ASSET);
    if (a != NULL)
        weakkey_list_parse((const char *)a->data, a->len, &debian_list, NULL);
}

const struct weakkey_list *weakkey_debian_list(void)
{
    pthread_once(&debian_once, debian_load);
    return debian_list;
}

int weakkey_debian_use_file(const char *path, size_t *count, size_t *bad_line)
{
    const struct asset *a = asset_get(WEAKKEY_DEBIAN_ASSET);
    size_t base = a != NULL ? a->len : 0;
    *count = 0;
    *bad_line = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -SM_E_NOTFOUND;
    /* the compiled-in list, a line end, then the file: one parse, one sorted list */
    size_t cap = base + 1 + 65536, n = base + 1;
    char *text = sm_malloc(cap);
    if (text != NULL && base > 0)
        memcpy(text, a->data, base);
    if (text != NULL)
        text[base] = '\n';
    int rc = text == NULL ? -SM_E_NOMEM : 0;
    while (rc == 0) {
        if (n == cap) {
            char *t = cap < ((size_t)1 << 30) ? sm_realloc(text, cap * 2) : NULL;
            if (t == NULL) {
                rc = -SM_E_NOMEM;
                break;
            }
            text = t;
            cap *= 2;
        }
        size_t got = fread(text + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            rc = ferror(f) ? -SM_E_IO : 1;
    }
    fclose(f);
    struct weakkey_list *l = NULL;
    if (rc == 1)
        rc = weakkey_list_parse(text, n, &l, bad_line);
    free(text);
    if (rc < 0) {
        if (*bad_line > 0) { /* count the file's lines, not the compiled-in ones */
            size_t lines = 1;
            for (size_t i = 0; i < base; i++)
                lines += a->data[i] == '\n';
            *bad_line = *bad_line > lines ? *bad_line - lines : 0;
        }
        return rc;
    }
    pthread_once(&debian_once, debian_load);
    weakkey_list_free(debian_list); /* at start-up, before any check runs */
    debian_list = l;
    *count = l->n;
    return 0;
}

int weakkey_debian_fp(const BIGNUM *n, unsigned char fp[10])
{
    char *hex = BN_bn2hex(n); /* upper case; may start with one '0' nibble */
    if (hex == NULL)
        return -SM_E_NOMEM;
    const char *h = hex;
    while (h[0] == '0' && h[1] != '\0')
        h++;
    size_t len = strlen(h) + 10;
    char *line = sm_malloc(len);
    unsigned char md[20];
    unsigned int mdlen = 0;
    int rc = -SM_E_NOMEM;
    if (line != NULL) {
        snprintf(line, len, "Modulus=%s\n", h);
        rc = EVP_Digest(line, strlen(line), md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == 20
                 ? 0
                 : -SM_E_CRYPTO;
    }
    if (rc == 0)
        memcpy(fp, md + 10, 10);
    free(line);
    OPENSSL_free(hex);
    return rc;
}

int weakkey_debian(const struct weakkey_list *l, int bits, const BIGNUM *n)
{
    if (l == NULL)
        return -SM_E_INTERNAL;
    if (l->n == 0 || bits <= 0)
        return 0;
    struct wk_entry key = {(uint32_t)bits, {0}};
    int rc = weakkey_debian_fp(n, key.fp);
    if (rc < 0)
        return rc;
    return bsearch(&key, l->v, l->n, sizeof *l->v, wk_cmp) != NULL;
}

int weakkey_check_rsa(const EVP_PKEY *pkey, const char **code)
{
    return weakkey_check_rsa_list(pkey, weakkey_debian_list(), code);
}

int weakkey_check_rsa_list(const EVP_PKEY *pkey, const struct weakkey_list *debian,
                           const char **code)
{
    BIGNUM *n = NULL;
    int rc;
    *code = NULL;
    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "RSA"))
        return -SM_E_INVALID;
    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n))
        return -SM_E_CRYPTO;
    rc = weakkey_small_factor(n);
    if (rc == 1)
        *code = "csr.key.small_factor";
    if (rc == 0) {
        rc = weakkey_roca(n);
        if (rc == 1)
            *code = "csr.key.roca";
    }
    if (rc == 0) {
        rc = weakkey_fermat(n, WEAKKEY_FERMAT_ROUNDS, NULL);
        if (rc == 1)
            *code = "csr.key.fermat";
    }
    if (rc == 0) {
        rc = weakkey_debian(debian, EVP_PKEY_get_bits(pkey), n);
        if (rc == 1)
            *code = "csr.key.debian_weak";
    }
    BN_free(n);
    return rc < 0 ? rc : 0;
}
