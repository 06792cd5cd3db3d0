/* SPDX-License-Identifier: MIT */
/* EC public keys from their points, fast: EVP_PKEY_fromdata builds the curve's group from
 * scratch for every key (Montgomery set-up with a modular inversion, about a fifth of a
 * P-256 signature check). One key per curve holding only the group is made once; each key
 * copies its parameters (a group copy) and takes the encoded point, which OpenSSL checks
 * to lie on the curve (P-256 and P-384 have cofactor 1: a point on the curve is a valid
 * public key). Used by the CSR check and the JWS of ACME requests. Thread-safe. */
#ifndef SHOMEI_PKI_ECKEY_H
#define SHOMEI_PKI_ECKEY_H

#include <stddef.h>

#include <openssl/evp.h>

enum eckey_curve { ECKEY_P256 = 0, ECKEY_P384 = 1 };

/* The public key of an uncompressed point (0x04 || x || y) on curve c; NULL when the point
 * is not on the curve or the group key could not be made (the caller then takes the
 * general way or refuses). The caller frees it with EVP_PKEY_free. */
EVP_PKEY *eckey_from_point(enum eckey_curve c, const unsigned char *pt, size_t n);

#endif
