/* SPDX-License-Identifier: MIT */
/* EC public keys from their points (see eckey.h). */
#define OPENSSL_SUPPRESS_DEPRECATED /* EC_KEY and ECDSA_verify: see eckey.h */
#include "pki/eckey.h"

#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "core/failalloc.h"

static EVP_PKEY *group_key[2];
static EC_GROUP *group[2];
static EVP_MD *digest[3]; /* SHA-256, SHA-384, SHA-512 */
static pthread_once_t group_once = PTHREAD_ONCE_INIT;
static const int curve_nid[2] = {NID_X9_62_prime256v1, NID_secp384r1};
static const size_t point_len[2] = {65, 97};

static void group_init(void)
{
    static const char *const groups[2] = {"P-256", "P-384"};
    static const char *const mds[3] = {"SHA256", "SHA384", "SHA512"};
    for (int i = 0; i < 2; i++) {
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (bld != NULL &&
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, groups[i], 0) &&
            (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && ctx != NULL &&
            EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &group_key[i], EVP_PKEY_KEY_PARAMETERS, params) != 1)
            group_key[i] = NULL;
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        group[i] = EC_GROUP_new_by_curve_name(curve_nid[i]);
    }
    for (int i = 0; i < 3; i++)
        digest[i] = EVP_MD_fetch(NULL, mds[i], NULL);
    ERR_clear_error();
}

/* The group of curve c, or NULL (bad curve, or it could not be made). */
static const EC_GROUP *group_of(enum eckey_curve c)
{
    if (c != ECKEY_P256 && c != ECKEY_P384)
        return NULL;
    pthread_once(&group_once, group_init);
    return group[c];
}

/* 1 when pt has the form of an uncompressed point of curve c. */
static int point_form(enum eckey_curve c, const unsigned char *pt, size_t n)
{
    return (c == ECKEY_P256 || c == ECKEY_P384) && pt != NULL && n == point_len[c] && pt[0] == 0x04;
}

EVP_PKEY *eckey_from_point(enum eckey_curve c, const unsigned char *pt, size_t n)
{
    if (!point_form(c, pt, n))
        return NULL;
    pthread_once(&group_once, group_init);
    EVP_PKEY *k = EVP_PKEY_new();
    if (k == NULL || group_key[c] == NULL || EVP_PKEY_copy_parameters(k, group_key[c]) != 1 ||
        EVP_PKEY_set1_encoded_public_key(k, pt, n) != 1) {
        EVP_PKEY_free(k);
        ERR_clear_error();
        return NULL;
    }
    return k;
}

int eckey_spki_curve(const X509_PUBKEY *spki, enum eckey_curve *c, const unsigned char **pt,
                     size_t *n)
{
    ASN1_OBJECT *kobj = NULL;
    const unsigned char *bits = NULL;
    int nbits = 0, ptype = 0;
    X509_ALGOR *alg = NULL;
    const void *pval = NULL;
    if (spki == NULL || !X509_PUBKEY_get0_param(&kobj, &bits, &nbits, &alg, spki) || nbits <= 0 ||
        OBJ_obj2nid(kobj) != NID_X9_62_id_ecPublicKey)
        return 0;
    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    if (ptype != V_ASN1_OBJECT)
        return 0;
    int nid = OBJ_obj2nid(pval);
    enum eckey_curve cv = nid == curve_nid[ECKEY_P256] ? ECKEY_P256 : ECKEY_P384;
    if ((nid != curve_nid[ECKEY_P256] && nid != curve_nid[ECKEY_P384]) ||
        !point_form(cv, bits, (size_t)nbits))
        return 0;
    if (c != NULL)
        *c = cv;
    if (pt != NULL)
        *pt = bits;
    if (n != NULL)
        *n = (size_t)nbits;
    return 1;
}

struct eckey_pub {
    EC_KEY *key;
};

int eckey_pub_new(enum eckey_curve c, const unsigned char *pt, size_t n, struct eckey_pub **out)
{
    *out = NULL;
    const EC_GROUP *g = group_of(c);
    if (g == NULL)
        return -1;
    if (!point_form(c, pt, n))
        return 0;
    struct eckey_pub *k = sm_malloc(sizeof *k);
    if (k == NULL)
        return -1;
    k->key = EC_KEY_new();
    if (k->key == NULL || EC_KEY_set_group(k->key, g) != 1) { /* a copy of the group */
        eckey_pub_free(k);
        ERR_clear_error();
        return -1;
    }
    /* the point is decoded and checked to lie on the curve */
    if (EC_KEY_oct2key(k->key, pt, n, NULL) != 1 || EC_KEY_get0_public_key(k->key) == NULL ||
        EC_POINT_is_at_infinity(g, EC_KEY_get0_public_key(k->key))) {
        eckey_pub_free(k);
        ERR_clear_error();
        return 0;
    }
    *out = k;
    return 1;
}

int eckey_pub_verify(const struct eckey_pub *k, int md_nid, const unsigned char *data, size_t len,
                     const unsigned char *sig, size_t siglen)
{
    int i = md_nid == NID_sha256 ? 0 : md_nid == NID_sha384 ? 1 : md_nid == NID_sha512 ? 2 : -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (k == NULL || i < 0 || sig == NULL || siglen > 0x7fffffff)
        return 0;
    pthread_once(&group_once, group_init);
    if (digest[i] == NULL || EVP_Digest(data, len, md, &mdlen, digest[i], NULL) != 1) {
        ERR_clear_error();
        return -1;
    }
    /* 1 valid; 0 not; -1 a signature that does not decode or is not strict DER */
    int ok = ECDSA_verify(0, md, (int)mdlen, sig, (int)siglen, k->key) == 1;
    ERR_clear_error();
    return ok;
}

void eckey_pub_free(struct eckey_pub *k)
{
    if (k == NULL)
        return;
    EC_KEY_free(k->key);
    free(k);
}

int eckey_point_ok(enum eckey_curve c, const unsigned char *pt, size_t n)
{
    struct eckey_pub *k = NULL;
    int rc = eckey_pub_new(c, pt, n, &k); /* the one decoding of a point */
    eckey_pub_free(k);
    return rc;
}
