/* SPDX-License-Identifier: MIT */
/* SHA-256 hash-chain link (hashchain.h) through OpenSSL EVP. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/hashchain.h"
#include "core/text.h"

const char hashchain_genesis[HASHCHAIN_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int hashchain_next(const char *prev_hex, const struct hashchain_field *fields, size_t nfields,
                   char out[HASHCHAIN_HEX])
{
    if (prev_hex == NULL || strlen(prev_hex) != HASHCHAIN_HEX - 1)
        return -SM_E_INVALID;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, prev_hex, HASHCHAIN_HEX - 1) == 1;
    for (size_t i = 0; ok && i < nfields; i++) {
        char len[32];
        int k = snprintf(len, sizeof len, "%zu:", fields[i].n);
        ok = EVP_DigestUpdate(ctx, len, (size_t)k) == 1 &&
             (fields[i].n == 0 || EVP_DigestUpdate(ctx, fields[i].p, fields[i].n) == 1) &&
             EVP_DigestUpdate(ctx, ",", 1) == 1;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -SM_E_CRYPTO;
    text_hex(out, md, 32);
    return 0;
}
