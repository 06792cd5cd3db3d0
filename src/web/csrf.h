/* SPDX-License-Identifier: MIT */
/* CSRF protection by signed double submit: a random value in an HttpOnly cookie (later:
 * the session id) is the binding; forms carry HMAC-SHA256(server secret, binding).
 * Also owns the server secret file DIR/secret.key (32 random bytes, mode 0600). */
#ifndef SM_WEB_CSRF_H
#define SM_WEB_CSRF_H
#include <stddef.h>

#include "core/err.h"

#define CSRF_KEY_LEN    32
#define CSRF_NONCE_SIZE 44 /* 32 random bytes in base64url without padding, + NUL */
#define CSRF_TOKEN_SIZE 44
#define CSRF_COOKIE     "csrf"
#define CSRF_FIELD      "csrf"

/* Reads the secret at path, creating it when missing (O_EXCL temporary file, fsync,
 * link into place; a concurrent creator wins and its key is read). */
int csrf_secret_load(const char *path, unsigned char key[CSRF_KEY_LEN], struct sm_err *e);
/* A fresh random binding value for the cookie. 0 or -SM_E_CRYPTO. */
int csrf_nonce(char out[CSRF_NONCE_SIZE]);
/* The token for binding (out gets CSRF_TOKEN_SIZE bytes). */
void csrf_token(const unsigned char key[CSRF_KEY_LEN], const char *binding,
                char out[CSRF_TOKEN_SIZE]);
/* 1 when token is the token of binding (constant time), else 0; NULLs are invalid. */
int csrf_check(const unsigned char key[CSRF_KEY_LEN], const char *binding, const char *token);
/* 1 when s looks like a value csrf_nonce made (so a cookie can be reused). */
int csrf_nonce_valid(const char *s);

#endif
