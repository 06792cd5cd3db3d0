/* SPDX-License-Identifier: MIT */
/* libFuzzer target for ACME request bodies (issue 10 item 2, R-ACME-1): any bytes must
 * parse as a flattened JWS or be refused cleanly with a fault; a parsed JWS must verify
 * or fail cleanly against its own jwk and as an HMAC, and a jwk's canonical form must
 * parse back to a key with the same thumbprint. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jws j;
    enum jws_fault f = JWS_OK;
    int rc = jws_parse((const char *)data, size, &j, &f, NULL);
    if (rc < 0 && f == JWS_OK)
        abort(); /* a refusal always says why */
    if (rc == 0) {
        if (j.jwk != NULL) {
            (void)jws_verify(&j, j.jwk, &f, NULL);
            EVP_PKEY *k = NULL;
            char *canon = NULL, t1[JWK_THUMB_LEN], t2[JWK_THUMB_LEN];
            if (jwk_parse(j.jwk_canon, strlen(j.jwk_canon), &k, &canon, NULL) != 0)
                abort(); /* the canonical form always parses */
            jwk_thumbprint(j.jwk_canon, t1);
            jwk_thumbprint(canon, t2);
            if (strcmp(t1, t2) != 0)
                abort();
            EVP_PKEY_free(k);
            free(canon);
        }
        static const unsigned char mac[32] = {1};
        (void)jws_verify_hmac(&j, mac, sizeof mac, NULL);
    }
    jws_clear(&j);
    return 0;
}
