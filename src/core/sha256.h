/* SPDX-License-Identifier: MIT */
/* SHA-256 with the method fetched once per process: EVP_sha256() in EVP_Digest looks the
 * method up again on every call, which costs more than hashing a key or a certificate. */
#ifndef SM_SHA256_H
#define SM_SHA256_H
#include <stddef.h>

#include <openssl/evp.h>

/* The fetched SHA-256 (EVP_sha256() when the fetch failed); never freed. */
const EVP_MD *sha256_md(void);
/* out = SHA-256(data[0..n)). 0 or -SM_E_CRYPTO. */
int sha256_digest(const void *data, size_t n, unsigned char out[32]);

#endif
