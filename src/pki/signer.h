/* SPDX-License-Identifier: MIT */
/* The one narrow signing interface of the CA: certificates, CRLs and OCSP responses are
 * signed through a struct signer, whether the private key lives in an encrypted file or in
 * a PKCS#11 token (pki/p11: the key never leaves the token, every signature is a C_Sign). The
 * digest follows the key (BR 7.1.3.2): SHA-384 for P-384, SHA-256 for P-256 and RSA (PKCS#1 v1.5).
 * Threads: a signer is immutable after opening; signer_sign_* may be called from several
 * threads at once on the same signer (each call uses its own EVP_MD_CTX; OpenSSL 3 allows
 * concurrent use of one EVP_PKEY for signing). signer_free must not race with signing on
 * the last reference. */
#ifndef SM_SIGNER_H
#define SM_SIGNER_H
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "pki/keyfile.h"

struct signer;

/* Where token keys are: the PKCS#11 module (shared object path) and the user PIN. */
struct signer_hsm {
    const char *module;
    const char *pin;
};

/* Opens an encrypted key file (pki/keyfile). The caller frees with signer_free. */
int signer_open_file(const char *path, const char *pass, struct signer **out, struct sm_err *e);
/* Opens a key reference: "file:REL_OR_ABS_PATH" (a relative path is joined to dir; pass
 * decrypts it) or an RFC 7512 "pkcs11:..." URI (opened through hsm; see pki/p11.h for the
 * errors). Other schemes give -SM_E_CONFIG. */
int signer_open_ref(const char *ref, const char *dir, const char *pass,
                    const struct signer_hsm *hsm, struct signer **out, struct sm_err *e);
/* Generates a key of type t inside the token labelled token under the label object and
 * opens it; its reference (a pkcs11: URI) goes into ref (n bytes). -SM_E_EXISTS when the
 * token already has that label. */
int signer_generate_token(const struct signer_hsm *hsm, const char *token, const char *object,
                          enum keyfile_type t, char *ref, size_t n, struct signer **out,
                          struct sm_err *e);
/* Wraps a key already in memory (takes a reference; the caller keeps its own). */
int signer_from_pkey(EVP_PKEY *key, struct signer **out, struct sm_err *e);
/* Another reference to s (signer_free drops one; the last frees it). Returns s. */
struct signer *signer_up_ref(struct signer *s);
void signer_free(struct signer *s);

/* The public half (owned by the signer; do not free). */
EVP_PKEY *signer_public(const struct signer *s);
/* "SHA256" or "SHA384": the digest this signer uses. */
const char *signer_digest(const struct signer *s);
/* The key type (from the public half). */
enum keyfile_type signer_type(const struct signer *s);
/* 1 when the private key is in a PKCS#11 token. */
int signer_in_token(const struct signer *s);

/* The primitive every signature below is made of: signs the bytes tbs with the signer's
 * digest (ECDSA: DER Ecdsa-Sig-Value; RSA: PKCS#1 v1.5). *sig is the caller's
 * (OPENSSL_free). */
int signer_sign(struct signer *s, const unsigned char *tbs, size_t len, unsigned char **sig,
                size_t *siglen, struct sm_err *e);

/* Sets the signature algorithm of tbs and signs it. tbs must carry the issuer name,
 * validity and extensions already; only the signature fields are written. */
int signer_sign_cert(struct signer *s, X509 *tbs, struct sm_err *e);
/* signer_sign_cert and the DER of the signed certificate in one: *der (OPENSSL_free) is
 * the certificate that i2d_X509 would give, with the to-be-signed part encoded once (a
 * file key: the TBS is encoded, signed and wrapped; tbs itself is left unsigned, with its
 * signature algorithm set). */
int signer_sign_cert_der(struct signer *s, X509 *tbs, unsigned char **der, size_t *len,
                         struct sm_err *e);
int signer_sign_crl(struct signer *s, X509_CRL *crl, struct sm_err *e);
/* Signs an OCSP basic response as responder (the certificate of this signer's key, put
 * into the response). */
int signer_sign_ocsp(struct signer *s, OCSP_BASICRESP *bs, X509 *responder, struct sm_err *e);

#endif
