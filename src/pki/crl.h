/* SPDX-License-Identifier: MIT */
/* Full CRLs (R-REV-2, RFC 5280 5; BR 7.2): built and signed from structs, no database.
 * Version 2, issuer = the issuing CA's subject, thisUpdate/nextUpdate (nextUpdate at most
 * 10 days later), CRL number and authority key identifier extensions, one entry per
 * revoked serial with its revocation date and, unless unspecified, a reasonCode among
 * those BR 7.2.2 allows (1, 3, 4, 5, 9). The signature follows the key (SHA-256 or
 * SHA-384, never SHA-1). The CRL is checked before signing (crl_lint). A sharded CRL
 * carries a critical Issuing Distribution Point naming the URL the certificates of its
 * shard carry in their CDP.
 * Encoding: OpenSSL encodes the parts that are the same for every entry count (version,
 * issuer, times, extensions, signature algorithm); the revokedCertificates list is
 * written as DER directly, in the order given (one pass, no per-entry allocation), and
 * the TBSCertList is signed once. 100,000 entries take well under a second. */
#ifndef SM_PKI_CRL_H
#define SM_PKI_CRL_H
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/err.h"

struct signer;

#define CRL_MAX_VALIDITY (10 * 86400) /* nextUpdate - thisUpdate, BR 4.9.7 */

struct crl_entry {
    const char *serial; /* lower-case hex */
    int64_t revoked_at;
    int reason; /* 0 = unspecified (no reasonCode) */
};

struct crl_params {
    X509 *issuer;          /* the issuing CA certificate (name and SKI are taken from it) */
    struct signer *signer; /* its key */
    int64_t number;        /* CRL number, > 0 */
    int64_t this_update, next_update;
    const char *idp_url; /* NULL, or the CDP URL of the shard: a critical Issuing
                          * Distribution Point (fullName = this URL, onlyContainsUserCerts) */
};

/* 1 when reason may appear on a CRL (0 unspecified, 1, 3, 4, 5, 9). */
int crl_reason_allowed(int reason);

/* The pre-signing checks: number > 0, 0 < next_update - this_update <= CRL_MAX_VALIDITY,
 * idp_url (when set) an http:// URL, every reason allowed, every serial 1..40 lower-case
 * hex digits, every revocation date in (0, this_update]. -SM_E_LINT naming the problem. */
int crl_lint(const struct crl_params *p, const struct crl_entry *v, size_t n, struct sm_err *e);

/* Builds, lints and signs the CRL; *der (OPENSSL_free) receives its DER. */
int crl_sign(const struct crl_params *p, const struct crl_entry *v, size_t n, unsigned char **der,
             size_t *len, struct sm_err *e);

/* Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo of a DER certificate (the key of
 * the compromised-key blocklist). 0, or -1 when the certificate cannot be read. */
int pki_cert_spki_sha256(const unsigned char *der, size_t len, char hex[65]);

#endif
