/* SPDX-License-Identifier: MIT */
/* The download formats of R-DL-1, made from a leaf's stored DER and its issuing chains.
 * The leaf PEM and DER are written from the stored bytes as they are (no re-encoding of
 * the certificate); the chain is checked signature by signature before anything is
 * written. Roots are never part of a download: clients must trust them on their own. */
#include "pki/bundle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "core/failalloc.h"

#define PEM_CHAIN_TYPE "application/pem-certificate-chain"
#define LEAF_MAX       (1024 * 1024) /* a leaf with 100 names is a few KiB */

static const struct bundle_format_info formats[BUNDLE__COUNT] = {
    [BUNDLE_PEM] = {"pem", "cert.pem", "pem", PEM_CHAIN_TYPE, 0},
    [BUNDLE_DER] = {"der", "cert.der", "der", "application/pkix-cert", 1},
    [BUNDLE_INTERMEDIATE] = {"intermediate", "intermediate.pem", "intermediate.pem", PEM_CHAIN_TYPE,
                             0},
    [BUNDLE_INTERMEDIATE_CROSS] = {"intermediate-cross", "intermediate-cross.pem",
                                   "intermediate-cross.pem", PEM_CHAIN_TYPE, 0},
    [BUNDLE_FULLCHAIN] = {"fullchain", "fullchain.pem", "fullchain.pem", PEM_CHAIN_TYPE, 0},
    [BUNDLE_P7B] = {"p7b", "cert.p7b", "p7b", "application/x-pkcs7-certificates", 1},
};

static const struct {
    const char *name;
    enum bundle_format f;
} aliases[] = {{"chain", BUNDLE_FULLCHAIN}, {"pkcs7", BUNDLE_P7B}};

const struct bundle_format_info *bundle_format_info(enum bundle_format f)
{
    return (unsigned)f < BUNDLE__COUNT ? &formats[f] : NULL;
}

int bundle_format_parse(const char *s, enum bundle_format *out, struct sm_err *e)
{
    if (s != NULL) {
        for (int i = 0; i < BUNDLE__COUNT; i++)
            if (strcmp(s, formats[i].key) == 0 || strcmp(s, formats[i].file) == 0) {
                *out = (enum bundle_format)i;
                return 0;
            }
        for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
            if (strcmp(s, aliases[i].name) == 0) {
                *out = aliases[i].f;
                return 0;
            }
    }
    return sm_err_set(e, SM_E_INVALID, "format",
                      "format must be pem, der, intermediate, intermediate-cross, fullchain"
                      " or p7b");
}

static int root_ok(const char *root)
{
    return root != NULL && (strcmp(root, "a") == 0 || strcmp(root, "b") == 0);
}

unsigned bundle_needs(enum bundle_format f, const char *root)
{
    switch (f) {
    case BUNDLE_INTERMEDIATE: return BUNDLE_NEED_A;
    case BUNDLE_INTERMEDIATE_CROSS: return BUNDLE_NEED_B;
    case BUNDLE_FULLCHAIN:
    case BUNDLE_P7B:
        if (!root_ok(root))
            return 0;
        return root[0] == 'a' ? BUNDLE_NEED_A : BUNDLE_NEED_B;
    default: return 0;
    }
}

void bundle_clear(struct bundle *b)
{
    if (b == NULL)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Exactly one certificate, not a CA. The caller frees *out. */
static int parse_leaf(const unsigned char *der, size_t len, X509 **out, struct sm_err *e)
{
    *out = NULL;
    if (der == NULL || len == 0)
        return sm_err_set(e, SM_E_INVALID, "certificate", "no certificate given");
    if (len > LEAF_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "certificate", "certificate over %d bytes", LEAF_MAX);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) {
        ERR_clear_error();
        return sm_err_set(e, SM_E_INVALID, "certificate", "not a DER X.509 certificate");
    }
    if (p != der + len) {
        X509_free(x);
        return sm_err_set(e, SM_E_INVALID, "certificate", "bytes after the certificate");
    }
    if (X509_check_ca(x) != 0) {
        X509_free(x);
        return sm_err_set(e, SM_E_INVALID, "certificate", "a CA certificate, not a leaf");
    }
    *out = x;
    return 0;
}

/* 1 when ca's name and key issued x. Leaves no OpenSSL error behind. */
static int signed_by(X509 *x, X509 *ca)
{
    EVP_PKEY *k = ca != NULL ? X509_get0_pubkey(ca) : NULL;
    int ok = k != NULL && X509_check_issued(ca, x) == X509_V_OK && X509_verify(x, k) == 1;
    ERR_clear_error();
    return ok;
}

/* The CA certificates found issued by their parent, by SHA-256 of both: a CA link is
 * checked once per process (a P-384 signature costs a millisecond, on every download
 * otherwise); the leaf is checked every time. */
#define LINKS_KEPT 32
static struct link {
    unsigned char child[32], parent[32];
} links[LINKS_KEPT];
static size_t links_n, links_next;
static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;

static int link_key(X509 *child, X509 *parent, struct link *k)
{
    unsigned int n1 = 0, n2 = 0;
    return X509_digest(child, EVP_sha256(), k->child, &n1) == 1 && n1 == 32 &&
           X509_digest(parent, EVP_sha256(), k->parent, &n2) == 1 && n2 == 32;
}

static int link_known(const struct link *k)
{
    int found = 0;
    pthread_mutex_lock(&links_lock);
    for (size_t i = 0; i < links_n && !found; i++)
        found = memcmp(&links[i], k, sizeof *k) == 0;
    pthread_mutex_unlock(&links_lock);
    return found;
}

static void link_add(const struct link *k)
{
    pthread_mutex_lock(&links_lock);
    links[links_next] = *k;
    links_next = (links_next + 1) % LINKS_KEPT;
    if (links_n < LINKS_KEPT)
        links_n++;
    pthread_mutex_unlock(&links_lock);
}

/* signed_by for a link between two CA certificates, remembered once true. */
static int ca_signed_by(X509 *x, X509 *ca)
{
    struct link k;
    int keyed = link_key(x, ca, &k);
    ERR_clear_error();
    if (keyed && link_known(&k))
        return 1;
    int ok = signed_by(x, ca);
    if (ok && keyed)
        link_add(&k);
    return ok;
}

/* sk: issuing CA of leaf first, each issued by the next, a self-signed root last. */
static int check_chain(STACK_OF(X509) * sk, X509 *leaf, const char *root, struct sm_err *e)
{
    int n = sk_X509_num(sk);
    if (n < 2)
        return sm_err_set(e, SM_E_INVALID, "chain",
                          "chain of root %s must hold the issuing CA and the root", root);
    if (!signed_by(leaf, sk_X509_value(sk, 0)))
        return sm_err_set(e, SM_E_INVALID, "chain",
                          "chain of root %s did not issue the certificate", root);
    for (int i = 1; i < n; i++)
        if (!ca_signed_by(sk_X509_value(sk, i - 1), sk_X509_value(sk, i)))
            return sm_err_set(e, SM_E_INVALID, "chain",
                              "chain of root %s: certificate %d did not issue certificate %d", root,
                              i + 1, i);
    X509 *last = sk_X509_value(sk, n - 1);
    if (!ca_signed_by(last, last))
        return sm_err_set(e, SM_E_INVALID, "chain", "chain of root %s does not end in a root",
                          root);
    return 0;
}

/* The certificates of chain without its root, each as PEM. */
static int pem_cas(BIO *m, STACK_OF(X509) * chain, int with_root)
{
    int n = sk_X509_num(chain) - (with_root ? 0 : 1);
    for (int i = 0; i < n; i++)
        if (!PEM_write_bio_X509(m, sk_X509_value(chain, i)))
            return -1;
    return 0;
}

/* PKCS#7 SignedData without signers or content (certs-only): leaf, then chain without root. */
static int p7_certs(BIO *m, X509 *leaf, STACK_OF(X509) * chain)
{
    PKCS7 *p7 = PKCS7_new();
    int ok = p7 != NULL && PKCS7_set_type(p7, NID_pkcs7_signed) &&
             PKCS7_content_new(p7, NID_pkcs7_data) && PKCS7_set_detached(p7, 1) &&
             PKCS7_add_certificate(p7, leaf);
    for (int i = 0; ok && i < sk_X509_num(chain) - 1; i++)
        ok = PKCS7_add_certificate(p7, sk_X509_value(chain, i));
    ok = ok && i2d_PKCS7_bio(m, p7);
    PKCS7_free(p7);
    return ok ? 0 : -1;
}

static int chains_check(enum bundle_format f, const struct bundle_chains *ch, X509 *leaf,
                        struct sm_err *e)
{
    STACK_OF(X509) *a = ch != NULL ? ch->a : NULL, *b = ch != NULL ? ch->b : NULL;
    const char *root = ch != NULL ? ch->root : NULL;
    if ((f == BUNDLE_FULLCHAIN || f == BUNDLE_P7B) && !root_ok(root))
        return sm_err_set(e, SM_E_INVALID, "root", "root option must be a or b");
    unsigned need = bundle_needs(f, root);
    if ((need & BUNDLE_NEED_A) && a == NULL)
        return sm_err_set(e, SM_E_INVALID, "chain", "%s needs the chain of root a", formats[f].key);
    if ((need & BUNDLE_NEED_B) && b == NULL)
        return sm_err_set(e, SM_E_INVALID, "chain", "%s needs the chain of root b", formats[f].key);
    int rc = a != NULL ? check_chain(a, leaf, "a", e) : 0;
    if (rc == 0 && b != NULL)
        rc = check_chain(b, leaf, "b", e);
    return rc;
}

/* Writes format f into m (f is not DER). */
static int write_format(BIO *m, enum bundle_format f, const unsigned char *der, size_t len,
                        X509 *leaf, const struct bundle_chains *ch)
{
    STACK_OF(X509) *chosen = NULL;
    if (f == BUNDLE_FULLCHAIN || f == BUNDLE_P7B)
        chosen = ch->root[0] == 'a' ? ch->a : ch->b;
    switch (f) {
    case BUNDLE_PEM: return PEM_write_bio(m, PEM_STRING_X509, "", der, (long)len) > 0 ? 0 : -1;
    case BUNDLE_INTERMEDIATE: return PEM_write_bio_X509(m, sk_X509_value(ch->a, 0)) ? 0 : -1;
    case BUNDLE_INTERMEDIATE_CROSS: return PEM_write_bio_X509(m, sk_X509_value(ch->b, 0)) ? 0 : -1;
    case BUNDLE_FULLCHAIN:
        if (PEM_write_bio(m, PEM_STRING_X509, "", der, (long)len) <= 0)
            return -1;
        return pem_cas(m, chosen, 0);
    case BUNDLE_P7B: return p7_certs(m, leaf, chosen);
    default: return -1;
    }
}

int bundle_make(enum bundle_format f, const unsigned char *leaf_der, size_t len,
                const struct bundle_chains *ch, struct bundle *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    const struct bundle_format_info *fi = bundle_format_info(f);
    if (fi == NULL)
        return sm_err_set(e, SM_E_INVALID, "format", "unknown download format");
    X509 *leaf = NULL;
    BIO *m = NULL;
    const unsigned char *src = leaf_der;
    long n = (long)len;
    int rc = parse_leaf(leaf_der, len, &leaf, e);
    if (rc == 0)
        rc = chains_check(f, ch, leaf, e);
    if (rc == 0 && f != BUNDLE_DER) {
        m = BIO_new(BIO_s_mem());
        char *p = NULL;
        if (m == NULL || write_format(m, f, leaf_der, len, leaf, ch) < 0 ||
            (n = BIO_get_mem_data(m, &p)) <= 0)
            rc = sm_err_openssl(e, formats[f].file);
        src = (const unsigned char *)p;
    }
    if (rc == 0 && (out->data = sm_malloc((size_t)n)) == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0) {
        memcpy(out->data, src, (size_t)n);
        out->len = (size_t)n;
        out->format = f;
        out->media_type = fi->media_type;
        snprintf(out->filename, sizeof out->filename, "%s", fi->file);
    }
    BIO_free(m);
    X509_free(leaf);
    return rc;
}
