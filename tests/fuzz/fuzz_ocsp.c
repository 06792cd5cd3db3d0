/* SPDX-License-Identifier: MIT */
/* libFuzzer target for OCSP requests (R-REV-2, RFC 6960): the DER of a POST and
 * the base64 of a GET come from anyone; any bytes must parse or be refused cleanly, and a
 * parsed request has one CertID whose serial is lower-case hex of at most 20 octets
 * without leading zeros. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An issuer to compare requests with: a self-signed P-256 certificate made once. */
static X509 *issuer(void)
{
    static X509 *x;
    if (x != NULL)
        return x;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    x = X509_new();
    if (k == NULL || x == NULL)
        abort();
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Fuzz CA", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    if (X509_sign(x, k, EVP_sha256()) <= 0)
        abort();
    EVP_PKEY_free(k);
    return x;
}

static void query(const unsigned char *der, size_t len)
{
    struct ocsp_query q;
    struct sm_err e = {0};
    int rc = ocsp_query_parse(der, len, &q, &e);
    if (rc < 0) {
        if (q.req != NULL || q.id != NULL)
            abort(); /* a refusal keeps nothing */
        return;
    }
    size_t n = strlen(q.serial);
    if (q.req == NULL || q.id == NULL || n == 0 || n > 40 || (n > 1 && q.serial[0] == '0'))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!((q.serial[i] >= '0' && q.serial[i] <= '9') ||
              (q.serial[i] >= 'a' && q.serial[i] <= 'f')))
            abort();
    (void)ocsp_query_presignable(&q);
    if (ocsp_query_issuer_is(&q, NULL) != 0)
        abort();
    (void)ocsp_query_issuer_is(&q, issuer());
    ocsp_query_clear(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0) { /* POST: the body as it came */
        query(data + 1, size - 1);
        return 0;
    }
    /* GET: the path's text after /ocsp/ */
    char *s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    unsigned char der[OCSP_REQUEST_MAX];
    int n = ocsp_b64_decode(s, der, sizeof der);
    if (n > (int)sizeof der)
        abort();
    if (n > 0)
        query(der, (size_t)n);
    free(s);
    return 0;
}
