/* SPDX-License-Identifier: MIT */
/* EC public keys from their points (see eckey.h). */
#include "pki/eckey.h"

#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

static EVP_PKEY *group_key[2];
static pthread_once_t group_once = PTHREAD_ONCE_INIT;

static void group_init(void)
{
    static const char *const groups[2] = {"P-256", "P-384"};
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
    }
    ERR_clear_error();
}

EVP_PKEY *eckey_from_point(enum eckey_curve c, const unsigned char *pt, size_t n)
{
    size_t len = c == ECKEY_P256 ? 65 : c == ECKEY_P384 ? 97 : 0;
    if (len == 0 || pt == NULL || n != len || pt[0] != 0x04)
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
