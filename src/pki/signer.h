/* SPDX-License-Identifier: MIT */
/* The one narrow signing interface of the CA: certificates and CRLs are signed through a
 * struct signer, whether the private key lives in an encrypted file or (later) in an HSM
 * through PKCS#11. The digest follows the key (BR 7.1.3.2): SHA-384 for P-384, SHA-256
 * for P-256 and RSA (PKCS#1 v1.5).
 * Threads: a signer is immutable after opening; signer_sign_* may be called from several
 * threads at once on the same signer (each call uses its own EVP_MD_CTX; OpenSSL 3 allows
 * concurrent use of one EVP_PKEY for signing). signer_free must not race with signing. */
#ifndef SM_SIGNER_H
#define SM_SIGNER_H
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

struct signer;

/* Opens an encrypted key file (pki/keyfile). The caller frees with signer_free. */
int signer_open_file(const char *path, const char *pass, struct signer **out, struct sm_err *e);
/* Opens a key reference "file:REL_OR_ABS_PATH"; a relative path is joined to dir. Other
 * schemes (pkcs11:) give -SM_E_CONFIG until supported. */
int signer_open_ref(const char *ref, const char *dir, const char *pass, struct signer **out,
                    struct sm_err *e);
/* Wraps a key already in memory (takes a reference; the caller keeps its own). */
int signer_from_pkey(EVP_PKEY *key, struct signer **out, struct sm_err *e);
void signer_free(struct signer *s);

/* The public half (owned by the signer; do not free). */
EVP_PKEY *signer_public(const struct signer *s);
/* "SHA256" or "SHA384": the digest this signer uses. */
const char *signer_digest(const struct signer *s);

/* Sets the signature algorithm of tbs and signs it. tbs must carry the issuer name,
 * validity and extensions already; only the signature fields are written. */
int signer_sign_cert(struct signer *s, X509 *tbs, struct sm_err *e);
int signer_sign_crl(struct signer *s, X509_CRL *crl, struct sm_err *e);
/* Signs bytes already encoded (a CRL's TBSCertList built as DER, pki/crl.c) with the
 * signer's digest; *sig (OPENSSL_free) receives the signature value. */
int signer_sign_bytes(struct signer *s, const unsigned char *data, size_t len, unsigned char **sig,
                      size_t *siglen, struct sm_err *e);

#endif
