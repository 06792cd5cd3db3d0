/* SPDX-License-Identifier: MIT */
/* The CA hierarchy's storage half (R-ISS-1, R-OPS-1): pki/ca makes the certificates and
 * opens an issuer from bytes; this module stores a new hierarchy in the cas table with an
 * audit record per CA, and reads CAs back as a signing issuer or a chain. Every caller that
 * needs a stored CA (init, `shomei ca`, `shomei issue`, issuance of orders, downloads) comes
 * through here. No SQL, no HTTP. */
#ifndef SM_RA_ISSUER_H
#define SM_RA_ISSUER_H
#include <openssl/x509.h>

#include "core/config.h"
#include "core/err.h"
#include "pki/ca.h"

struct db;

/* Stores every CA of h (parents first) with one audit record "ca.create" per CA by actor,
 * in one transaction of its own (the caller must not hold one). A CA name that exists gives
 * -SM_E_CONFLICT and stores nothing. */
int issuer_store_hierarchy(struct db *db, const struct ca_hierarchy *h, const char *actor,
                           struct sm_err *e);

/* The issuer that signs leaves of level (dv|ov|ev) under root (a|b), key opened.
 * -SM_E_INVALID for other values, -SM_E_CONFIG without a passphrase, -SM_E_NOTFOUND when
 * the hierarchy is not in the database, -SM_E_CRYPTO for a wrong passphrase or a key that
 * does not match the certificate. Free with ca_issuer_free. */
int issuer_load(struct db *db, const struct config *c, const char *level, const char *root,
                struct ca_issuer **out, struct sm_err *e);

/* The same issuer, opened once per process and kept open for the process's jobs
 * (decrypting a CA key is slow on purpose): the server's issuance and its CRL job sign with
 * it run after run. Each call reads the stored CA (two small reads) and opens it anew only
 * when its certificate or key reference changed; *out stays valid until
 * issuer_cache_close. Thread-safe; signing through one issuer from several threads is
 * (pki/signer.h). Errors as issuer_load's. */
int issuer_cached(struct db *db, const struct config *c, const char *level, const char *root,
                  struct ca_issuer **out, struct sm_err *e);

/* Frees every issuer issuer_cached opened (the private keys cleared with them), at
 * shutdown after the jobs stopped. */
void issuer_cache_close(void);

/* The chain for level and root without opening any key: issuing certificate first, root
 * last. The certificates are parsed once per process and shared (kept by their stored
 * bytes, so a replaced CA is parsed anew; freed by issuer_cache_close): *out is the
 * caller's own stack of references. Errors as issuer_load's. The caller frees with
 * sk_X509_pop_free(chain, X509_free). */
int issuer_chain(struct db *db, const char *level, const char *root, STACK_OF(X509) * *out,
                 struct sm_err *e);

/* Whether the CA named name (a level: dv, ov, ev) is stored: 1 yes, 0 no (e stays clear),
 * or a negative error. For the jobs that do something per level only when it exists. */
int issuer_exists(struct db *db, const char *name, struct sm_err *e);

/* Opens every issuing CA whose key is in a PKCS#11 token once and closes it again, so that a
 * wrong PIN, a missing token or key, or a URI naming the wrong object stops `serve` at start
 * (R-OPS-1). 0 when there is none or all open; errors as issuer_load's. */
int issuer_check_token_keys(struct db *db, const struct config *c, struct sm_err *e);

#endif
