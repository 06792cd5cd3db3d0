/* SPDX-License-Identifier: MIT */
/* CA keys in a PKCS#11 token (R-OPS-1): the module is loaded with dlopen and called
 * directly (C_Sign, C_GenerateKeyPair); no engine or provider in between. A token key is
 * handed to the rest of the CA as an EVP_PKEY that holds only the public half; its private
 * operations (ECDSA of a digest, RSA PKCS#1 v1.5 of a DigestInfo) are C_Sign calls in the
 * token, so the private key never leaves it.
 * Keys are named by RFC 7512 URIs: pkcs11:token=LABEL;object=LABEL[;id=%01%02][;type=private].
 * A PIN in the URI (pin-value, pin-source) is refused: the PIN comes from the caller.
 * Threads: one module per process, initialized with CKF_OS_LOCKING_OK on the first key and
 * finalized when the last key is freed; each key has its own session, and its signatures
 * are serialized by a lock of that key. */
#ifndef SM_P11_H
#define SM_P11_H
#include <stddef.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "pki/keyfile.h"

#define P11_LABEL_MAX 64

struct p11_uri {
    char token[P11_LABEL_MAX + 1];
    char object[P11_LABEL_MAX + 1];
    unsigned char id[64];
    size_t id_len;
};

/* Parses uri. -SM_E_CONFIG naming "key" for anything not a usable private-key URI (no
 * token or no object and no id, a type other than private, a PIN in the URI, bad
 * percent-encoding). */
int p11_uri_parse(const char *uri, struct p11_uri *out, struct sm_err *e);

/* Opens the private key named by uri in the token of module after logging in with pin.
 * *out is an EVP_PKEY whose private operations run in the token (EVP_PKEY_free frees it
 * and its session). Errors: -SM_E_CONFIG (module cannot be loaded, token or key not found),
 * -SM_E_FORBIDDEN (wrong or locked PIN), -SM_E_CRYPTO (other token failures). */
int p11_key_open(const char *module, const char *uri, const char *pin, EVP_PKEY **out,
                 struct sm_err *e);

/* Generates a key pair of type t in the token labelled token, both objects labelled
 * object (CKA_ID = the label's bytes; private: sensitive, not extractable). -SM_E_EXISTS
 * when the token has an object of that label. Writes the key's URI into uri (n bytes) and
 * opens it as p11_key_open does. */
int p11_key_generate(const char *module, const char *token, const char *object, enum keyfile_type t,
                     const char *pin, char *uri, size_t n, EVP_PKEY **out, struct sm_err *e);

#endif
