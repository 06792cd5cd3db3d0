/* SPDX-License-Identifier: MIT */
/* EC public keys from their points, fast: EVP_PKEY_fromdata builds the curve's group from
 * scratch for every key (Montgomery set-up with a modular inversion, about a fifth of a
 * P-256 signature check). One key per curve holding only the group is made once; each key
 * copies its parameters (a group copy) and takes the encoded point, which OpenSSL checks
 * to lie on the curve (P-256 and P-384 have cofactor 1: a point on the curve is a valid
 * public key). Used by the CSR check and the JWS of ACME requests. Thread-safe.
 *
 * The CSR check of a bulk issuance goes further: struct eckey_pub checks a request's
 * signature with no EVP_PKEY at all. OpenSSL 3.0 builds an EVP_PKEY, and fetches the
 * digest and signature algorithms for every EVP_DigestVerifyInit, under locks that two
 * threads contend for; its EC_KEY and ECDSA_verify (deprecated in 3.0, and the same code
 * the EVP path ends in) need neither. Only this file uses them. */
#ifndef SHOMEI_PKI_ECKEY_H
#define SHOMEI_PKI_ECKEY_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum eckey_curve { ECKEY_P256 = 0, ECKEY_P384 = 1 };

/* The public key of an uncompressed point (0x04 || x || y) on curve c; NULL when the point
 * is not on the curve or the group key could not be made (the caller then takes the
 * general way or refuses). The caller frees it with EVP_PKEY_free. */
EVP_PKEY *eckey_from_point(enum eckey_curve c, const unsigned char *pt, size_t n);

/* 1 when spki is an id-ecPublicKey on the named curve P-256 or P-384 with an uncompressed
 * point of that curve's length (*c, *pt and *n are set then; any may be NULL), else 0. The
 * point itself is not checked here (eckey_point_ok, eckey_pub_new). */
int eckey_spki_curve(const X509_PUBKEY *spki, enum eckey_curve *c, const unsigned char **pt,
                     size_t *n);

/* 1 when pt is an uncompressed point on curve c (a valid public key), 0 when not, -1 when
 * it could not be checked (no memory). */
int eckey_point_ok(enum eckey_curve c, const unsigned char *pt, size_t n);

/* A public key for checking signatures (see above). */
struct eckey_pub;

/* *out = the key of the uncompressed point pt on curve c. 1 made, 0 when pt is not such a
 * point (*out NULL), -1 no memory. Free with eckey_pub_free. */
int eckey_pub_new(enum eckey_curve c, const unsigned char *pt, size_t n, struct eckey_pub **out);

/* 1 when sig (a DER Ecdsa-Sig-Value, strictly encoded) is k's ECDSA signature of the
 * digest md_nid (NID_sha256, NID_sha384 or NID_sha512) of the len bytes at data; 0 when it
 * is not, or md_nid is another digest; -1 when it could not be checked (no memory). */
int eckey_pub_verify(const struct eckey_pub *k, int md_nid, const unsigned char *data, size_t len,
                     const unsigned char *sig, size_t siglen);

void eckey_pub_free(struct eckey_pub *k); /* NULL is a no-op */

#endif
