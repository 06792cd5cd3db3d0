/* SPDX-License-Identifier: MIT */
/* The CA hierarchy (R-ISS-1): roots A and B, one issuing intermediate per validation level
 * (dv, ov, ev) signed by root A, and a cross-certificate of each intermediate (same key, same
 * subject) signed by root B. Owns the CA certificate profiles, their creation (keys written
 * through pki/keyfile), the repository URLs, and opening an issuer for leaf issuance from
 * the bytes its storage keeps. Bytes and structs in, bytes and structs out: no database
 * handle here; ra/issuer stores the hierarchy and reads it back. */
#ifndef SM_CA_H
#define SM_CA_H
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/config.h"
#include "core/err.h"
#include "pki/signer.h"

#define CA_NAME_MAX    32
#define CA_URL_MAX     512
#define CA_KEY_REF_MAX 512
#define CA_HIERARCHY_N 8 /* root-a root-b dv ov ev dv-cross-b ov-cross-b ev-cross-b */

/* CA/Browser Forum policy OID of a level ("dv" -> "2.23.140.1.2.1"); NULL if unknown. */
const char *ca_level_policy(const char *level);

/* Effective repository URL without a trailing slash: [ca] repository_url, or [server]
 * base_url + "/repository" when that is empty. 0, or -SM_E_TOO_LARGE. */
int ca_repository_url(const struct config *c, char *out, size_t n);
/* The CA key passphrase: SHOMEI_CA_PASSPHRASE (when set and not empty) wins over
 * [ca] passphrase. -SM_E_CONFIG with a clear detail when neither is set. */
int ca_passphrase(const struct config *c, const char **out, struct sm_err *e);
/* Where token keys are ([hsm] module; PIN: SHOMEI_HSM_PIN when set and not empty, else
 * [hsm] pin). The strings belong to c and the environment. */
void ca_hsm(const struct config *c, struct signer_hsm *out);
/* Checks every [ca] setting the hierarchy needs (key types, names, days, URLs). */
int ca_check_config(const struct config *c, struct sm_err *e);

/* One CA of a freshly created hierarchy. */
struct ca_entry {
    char name[CA_NAME_MAX];       /* "root-a", "dv", "dv-cross-b", ... */
    const char *role;             /* "root", "intermediate" or "cross" (static) */
    const char *level;            /* "dv", "ov", "ev", or NULL for roots (static) */
    const char *root;             /* "a" or "b": the root that signed it (static) */
    const char *parent;           /* name of the signing CA; NULL for roots (static) */
    char key_ref[CA_KEY_REF_MAX]; /* "file:keys/dv.key" (relative to the data directory)
                                   * or "pkcs11:token=shomei;object=dv;type=private" */
    char key_type[16];            /* "ec-p256", ... */
    X509 *cert;                   /* owned */
};

struct ca_hierarchy {
    struct ca_entry ca[CA_HIERARCHY_N]; /* parents come before their children */
    int n;
    int test; /* [ca] test_ca: names say TEST, rows are marked test (issue 8 item 22) */
};

/* Generates the five keys (encrypted with pass into DIR/keys/<name>.key, DIR/keys created
 * mode 0700 when missing; or inside the [hsm] token, labelled <name>; a [ca] *_key that is
 * a pkcs11: URI uses that key of the token instead) and the eight certificates, from the [ca]
 * settings of c. Refuses (-SM_E_EXISTS) if a key file exists. On failure the key files it wrote are
 * removed and h is empty. The caller frees with ca_hierarchy_clear. */
int ca_hierarchy_create(const struct config *c, const char *pass, struct ca_hierarchy *h,
                        struct sm_err *e);
void ca_hierarchy_clear(struct ca_hierarchy *h);

/* What storage keeps of a CA certificate besides its place in the hierarchy. */
struct ca_facts {
    unsigned char *der; /* owned (OPENSSL_malloc); free with ca_facts_clear */
    size_t der_len;
    char subject[512]; /* RFC 2253, UTF-8 */
    char ski[2 * EVP_MAX_MD_SIZE + 1];
    int64_t not_before, not_after;
};
/* The facts of cert. 0, or an error with nothing to free. */
int ca_facts_of(X509 *cert, struct ca_facts *out, struct sm_err *e);
void ca_facts_clear(struct ca_facts *f);

/* Writes DIR/repository/<name>.crt (DER) and <name>.pem for cert (mode 0644 files in a
 * 0755 directory, created when missing; existing files are replaced atomically). */
int ca_repository_write(const struct config *c, const char *name, X509 *cert, struct sm_err *e);

/* Everything the issuance code needs to sign leaves for one level under one root. */
struct ca_issuer {
    int64_t ca_id;          /* cas.id of the issuing certificate */
    char name[CA_NAME_MAX]; /* "dv" (root a) or "dv-cross-b" (root b) */
    char level[4];          /* "dv", "ov", "ev" */
    char root[2];           /* "a", "b" */
    X509 *cert;             /* the issuing certificate (intermediate or its cross variant) */
    struct signer *signer;  /* the intermediate's key (the same for both roots) */
    STACK_OF(X509) * chain; /* cert first, the root last */
    char ca_issuers_url[CA_URL_MAX]; /* {repository}/{name}.crt */
    char crl_url[CA_URL_MAX];        /* {repository}/{level}.crl */
    char cps_url[CA_URL_MAX];        /* [ca] cps_url or {repository}/cps */
    char ocsp_url[CA_URL_MAX];       /* [ca] ocsp_url; empty = no OCSP entry */
    int test;       /* 1: a test CA (`shomei init --test-ca`): `shomei issue` may sign with it */
    int crl_shards; /* [revocation] crl_shards_{level}: 1 = one CRL (shard 0), N = 1..N */
};

#define CA_CRL_SHARDS_MAX 256

/* [revocation] crl_shards_{level} (1..CA_CRL_SHARDS_MAX, default 1). */
int ca_crl_shards(const struct config *c, const char *level, int *out, struct sm_err *e);
/* R-REV-2: 1 when the issuing CA of level ("dv", "ov", "ev") offers OCSP ([ca] ocsp_LEVEL,
 * true by default): its certificates carry [ca] ocsp_url in AIA and the responder answers
 * for its serials; 0 when switched off. */
int ca_ocsp_enabled(const struct config *c, const char *level);
/* The CRL a certificate of level bound to shard names in its CDP, and the distribution point
 * that CRL carries: {repository}/{level}.crl for shard 0, {repository}/{level}-{shard}.crl
 * else. -1 when it does not fit in n. */
int ca_crl_url(const struct config *c, const char *level, int shard, char *out, size_t n);
/* The same from an open issuer (no configuration needed: for the signing threads). */
int ca_issuer_crl_url(const struct ca_issuer *is, int shard, char *out, size_t n);

/* The CA that signs leaves of level under root: "dv" (root a) or "dv-cross-b" (root b), into
 * out (n bytes). 0, or -SM_E_INVALID naming "level" (not dv|ov|ev) or "root" (not a|b). */
int ca_issuer_name(const char *level, const char *root, char *out, size_t n, struct sm_err *e);

/* The chain of an issuing CA from the DER its storage keeps: the issuing certificate first,
 * its root last. -SM_E_CRYPTO for DER that does not parse. The caller frees with
 * sk_X509_pop_free(chain, X509_free). */
int ca_chain_parse(const unsigned char *der, size_t der_len, const unsigned char *root_der,
                   size_t root_der_len, STACK_OF(X509) * *out, struct sm_err *e);

/* An issuing CA as its storage keeps it (ra/issuer reads it). */
struct ca_stored {
    int64_t id;               /* becomes ca_issuer.ca_id */
    const unsigned char *der; /* the issuing certificate */
    size_t der_len;
    const unsigned char *root_der; /* the root that signed it */
    size_t root_der_len;
    const char *key_ref; /* "file:keys/dv.key", relative to the data directory */
    int test;
};

/* Opens the issuer of level (dv|ov|ev) and root (a|b) from s: parses the chain, opens the
 * key (passphrase: ca_passphrase of c), checks that it matches the certificate and fills the
 * URLs for leaves. -SM_E_INVALID for other level/root values, -SM_E_CONFIG without a
 * passphrase, -SM_E_CRYPTO for a wrong passphrase, a key that does not match or DER that
 * does not parse. Free with ca_issuer_free. */
int ca_issuer_open(const struct config *c, const char *level, const char *root,
                   const struct ca_stored *s, struct ca_issuer **out, struct sm_err *e);
void ca_issuer_free(struct ca_issuer *is);

/* Display helpers: RFC 2253 subject in UTF-8, lower-case hex SHA-256 fingerprint of the
 * DER (64 chars), lower-case hex SKI, and a time as seconds since the epoch. */
int ca_name_string(const X509_NAME *name, char *out, size_t n);
int ca_fingerprint(const X509 *cert, char *out, size_t n);
int ca_ski_hex(X509 *cert, char *out, size_t n);
int ca_time_unix(const ASN1_TIME *t, int64_t *out);

#endif
