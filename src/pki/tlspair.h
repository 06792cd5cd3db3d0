/* SPDX-License-Identifier: MIT */
/* The web server's own TLS certificate and key ([server] tls_cert, tls_key): PEM bytes
 * in, a verdict out. Knows nothing of files or configuration. */
#ifndef SM_TLSPAIR_H
#define SM_TLSPAIR_H
#include <stddef.h>

#include "core/err.h"

/* Checks that cert holds at least one PEM certificate (the server's first, then its
 * chain) and key one unencrypted PEM private key matching the first certificate. 0, or
 * -SM_E_CONFIG with e->field "tls_cert" or "tls_key" and a detail saying what is wrong. */
int tls_pair_check(const char *cert, size_t cert_len, const char *key, size_t key_len,
                   struct sm_err *e);

#endif
