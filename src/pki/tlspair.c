/* SPDX-License-Identifier: MIT */
/* Checks the web server's certificate and key before libmicrohttpd is given them, so a
 * wrong file is a clear start-up error rather than a server that cannot listen. */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/tlspair.h"

/* Refuses to prompt for a passphrase: an encrypted key cannot be read. */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

int tls_pair_check(const char *cert, size_t cert_len, const char *key, size_t key_len,
                   struct sm_err *e)
{
    int rc = 0;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    BIO *cb = BIO_new_mem_buf(cert, (int)cert_len);
    BIO *kb = BIO_new_mem_buf(key, (int)key_len);
    if (cb == NULL || kb == NULL || cert_len > (1u << 24) || key_len > (1u << 24)) {
        rc = sm_err_set(e, SM_E_CONFIG, "tls_cert", "[server] tls_cert/tls_key: too large");
        goto out;
    }
    x = PEM_read_bio_X509(cb, NULL, no_pass, NULL);
    if (x == NULL) {
        rc = sm_err_set(e, SM_E_CONFIG, "tls_cert",
                        "[server] tls_cert holds no PEM certificate (BEGIN CERTIFICATE)");
        goto out;
    }
    k = PEM_read_bio_PrivateKey(kb, NULL, no_pass, NULL);
    if (k == NULL) {
        rc = sm_err_set(e, SM_E_CONFIG, "tls_key",
                        "[server] tls_key holds no unencrypted PEM private key");
        goto out;
    }
    if (X509_check_private_key(x, k) != 1)
        rc = sm_err_set(e, SM_E_CONFIG, "tls_key",
                        "[server] tls_key does not match the certificate of tls_cert");
out:
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}
