/* SPDX-License-Identifier: MIT */
/* The download formats of R-DL-1 for a leaf and its issuing chain: PEM (テキスト形式), DER,
 * the intermediate for root A, the cross-certificate for root B, the full chain (leaf and
 * issuing CA, never the root) and PKCS#7 certs-only. Checks that the chain really issued
 * the leaf before it writes anything. Knows no database and no HTTP: callers pass DER and
 * chains. */
#ifndef SM_BUNDLE_H
#define SM_BUNDLE_H
#include <stddef.h>

#include <openssl/x509.h>

#include "core/err.h"

enum bundle_format {
    BUNDLE_PEM,                /* cert.pem: the leaf */
    BUNDLE_DER,                /* cert.der: the leaf */
    BUNDLE_INTERMEDIATE,       /* intermediate.pem: the level's intermediate under root A */
    BUNDLE_INTERMEDIATE_CROSS, /* intermediate-cross.pem: its cross-certificate (root B) */
    BUNDLE_FULLCHAIN,          /* fullchain.pem: leaf + issuing CA of the chosen root option */
    BUNDLE_P7B,                /* cert.p7b: PKCS#7 certs-only (DER), the same certificates */
    BUNDLE__COUNT
};

/* What a format is called and served as. Every string is static. */
struct bundle_format_info {
    const char *key;        /* "pem", "der", "intermediate", ... (bundle_format_parse) */
    const char *file;       /* "cert.pem", ... the name of the file on its own */
    const char *suffix;     /* "pem", "intermediate.pem", ...: <cn>-<serial>.<suffix> */
    const char *media_type; /* "application/pem-certificate-chain", ... */
    int binary;             /* 1 for DER and PKCS#7 */
};

/* NULL for a value outside the enum. */
const struct bundle_format_info *bundle_format_info(enum bundle_format f);
/* Accepts a key ("pem", "der", "intermediate", "intermediate-cross", "fullchain", "p7b"),
 * the aliases "chain" (fullchain) and "pkcs7" (p7b), or a file name ("cert.pem", ...).
 * 0, or -SM_E_INVALID with field "format" (*out unchanged). */
int bundle_format_parse(const char *s, enum bundle_format *out, struct sm_err *e);

/* The chains a bundle may use, each as ca_chain_parse gives it: issuing certificate first,
 * root last (borrowed). root is the leaf's root option, "a" or "b". */
struct bundle_chains {
    const char *root;
    STACK_OF(X509) * a; /* the level's intermediate, root A */
    STACK_OF(X509) * b; /* the level's cross-certificate, root B */
};

#define BUNDLE_NEED_A 1
#define BUNDLE_NEED_B 2
/* Which chains format f needs for a leaf of root option root (BUNDLE_NEED_* bits; 0 for the
 * leaf alone), so callers load only those. 0 for an unknown root or format too. */
unsigned bundle_needs(enum bundle_format f, const char *root);

#define BUNDLE_NAME_MAX 160

/* A made bundle. data is owned (bundle_clear frees it); media_type is static. */
struct bundle {
    enum bundle_format format;
    unsigned char *data;
    size_t len;
    const char *media_type;
    char filename[BUNDLE_NAME_MAX]; /* the format's file name; callers may replace it */
};

/* Makes format f from the leaf's DER (exactly one certificate, nothing after it) and the
 * chains of ch that bundle_needs names (NULL chains are allowed when not needed; every
 * chain given is checked). A chain must hold two or more certificates, each issued and
 * signed by the next, the last self-signed, and its first must have signed the leaf.
 * On failure *out is empty and e names the field ("certificate", "chain", "root", "format"):
 * -SM_E_INVALID for bad input, -SM_E_NOMEM, -SM_E_CRYPTO for an encoding failure. */
int bundle_make(enum bundle_format f, const unsigned char *leaf_der, size_t len,
                const struct bundle_chains *ch, struct bundle *out, struct sm_err *e);
/* Frees data and leaves b empty; NULL is a no-op. */
void bundle_clear(struct bundle *b);

#endif
