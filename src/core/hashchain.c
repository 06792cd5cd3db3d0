/* SPDX-License-Identifier: MIT */
/* SHA-256 hash-chain link (hashchain.h) through OpenSSL EVP. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/hashchain.h"
#include "core/sha256.h"
#include "core/text.h"

const char hashchain_genesis[HASHCHAIN_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The netstrings go through a buffer, so that a link is a few digest updates, not three
 * per field. */
struct feed {
    EVP_MD_CTX *ctx;
    size_t n;
    int ok;
    unsigned char b[1024];
};

static void feed_flush(struct feed *f)
{
    if (f->ok && f->n > 0)
        f->ok = EVP_DigestUpdate(f->ctx, f->b, f->n) == 1;
    f->n = 0;
}

static void feed(struct feed *f, const void *p, size_t n)
{
    if (n > sizeof f->b - f->n)
        feed_flush(f);
    if (n >= sizeof f->b) {
        f->ok = f->ok && EVP_DigestUpdate(f->ctx, p, n) == 1;
        return;
    }
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

/* "<decimal n>:" */
static void feed_length(struct feed *f, size_t n)
{
    char d[24];
    size_t k = sizeof d;
    d[--k] = ':';
    do
        d[--k] = (char)('0' + n % 10);
    while ((n /= 10) > 0);
    feed(f, d + k, sizeof d - k);
}

int hashchain_next(const char *prev_hex, const struct hashchain_field *fields, size_t nfields,
                   char out[HASHCHAIN_HEX])
{
    if (prev_hex == NULL || strlen(prev_hex) != HASHCHAIN_HEX - 1)
        return -SM_E_INVALID;
    struct feed f = {EVP_MD_CTX_new(), 0, 1, {0}};
    f.ok = f.ctx != NULL && EVP_DigestInit_ex(f.ctx, sha256_md(), NULL) == 1;
    feed(&f, prev_hex, HASHCHAIN_HEX - 1);
    for (size_t i = 0; i < nfields; i++) {
        feed_length(&f, fields[i].n);
        if (fields[i].n > 0)
            feed(&f, fields[i].p, fields[i].n);
        feed(&f, ",", 1);
    }
    feed_flush(&f);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = f.ok && EVP_DigestFinal_ex(f.ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(f.ctx);
    if (!ok)
        return -SM_E_CRYPTO;
    text_hex(out, md, 32);
    return 0;
}
