/* SPDX-License-Identifier: MIT */
/* CA private keys in files: key types, generation, and encrypted PKCS#8 PEM files
 * (AES-256-CBC, scrypt KDF). Files are created with O_EXCL under umask 077 at a temporary
 * name, fsync'd and renamed without replacing; an existing key file is never overwritten.
 * Knows nothing of configuration or the database. */
#ifndef SM_KEYFILE_H
#define SM_KEYFILE_H
#include <openssl/evp.h>

#include "core/err.h"

enum keyfile_type {
    KEYFILE_EC_P256,
    KEYFILE_EC_P384,
    KEYFILE_RSA_2048,
    KEYFILE_RSA_3072,
    KEYFILE_RSA_4096,
};

/* "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096" <-> enum. Parse: 0 or
 * -SM_E_INVALID. */
int keyfile_type_parse(const char *s, enum keyfile_type *out);
const char *keyfile_type_name(enum keyfile_type t);
/* The type of an existing key; -SM_E_INVALID for keys outside the five types. */
int keyfile_type_of(const EVP_PKEY *key, enum keyfile_type *out);

/* Generates a fresh key of type t. The caller frees *out with EVP_PKEY_free. */
int keyfile_generate(enum keyfile_type t, EVP_PKEY **out, struct sm_err *e);

/* Writes key encrypted under pass to path (mode 0600). -SM_E_EXISTS when path exists,
 * -SM_E_INVALID for an empty pass, -SM_E_IO / -SM_E_CRYPTO otherwise. */
int keyfile_write(const char *path, EVP_PKEY *key, const char *pass, struct sm_err *e);

/* Reads and decrypts path. A wrong pass or a file that is not an encrypted private key
 * gives -SM_E_CRYPTO; a missing file -SM_E_NOTFOUND. The caller frees *out. */
int keyfile_read(const char *path, const char *pass, EVP_PKEY **out, struct sm_err *e);

#endif
