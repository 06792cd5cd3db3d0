/* SPDX-License-Identifier: MIT */
/* SHA-256 (sha256.h). */
#include <pthread.h>

#include "core/err.h"
#include "core/sha256.h"

static EVP_MD *fetched;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fetch(void) { fetched = EVP_MD_fetch(NULL, "SHA256", NULL); }

const EVP_MD *sha256_md(void)
{
    pthread_once(&once, fetch);
    return fetched != NULL ? fetched : EVP_sha256();
}

int sha256_digest(const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    if (EVP_Digest(data, n, out, &len, sha256_md(), NULL) != 1 || len != 32)
        return -SM_E_CRYPTO;
    return 0;
}
