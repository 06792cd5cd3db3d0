/* SPDX-License-Identifier: MIT */
/* CSRF protection by signed tokens: forms carry HMAC-SHA256(server secret, binding).
 * The binding of a logged-in request is its session ("s:" + the session hash), so a token
 * is worth nothing outside the session it was made for, and a new login makes new tokens;
 * anonymous pages (login, registration, password reset) bind to a random value in an
 * HttpOnly cookie ("a:" + cookie value), and that token is refused once a session exists
 * (a cookie and token pair planted in a victim's browser does not reach the victim's
 * session). Also owns the server secret file DIR/secret.key (32 random bytes, 0600). */
#ifndef SM_WEB_CSRF_H
#define SM_WEB_CSRF_H
#include <stddef.h>

#include "core/err.h"

#define CSRF_KEY_LEN      32
#define CSRF_NONCE_SIZE   44 /* 32 random bytes in base64url without padding, + NUL */
#define CSRF_TOKEN_SIZE   44
#define CSRF_COOKIE       "csrf"
#define CSRF_FIELD        "csrf"
#define CSRF_BINDING_SIZE 80 /* "a:" + nonce or "s:" + 64 hex digits, + NUL */

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
/* The binding of an anonymous request from its cookie value: 0, or -SM_E_INVALID (out
 * empty) when nonce is not a value csrf_nonce made. */
int csrf_bind_anon(const char *nonce, char out[CSRF_BINDING_SIZE]);
/* The binding of a logged-in request from its session hash (64 hex digits): 0, or
 * -SM_E_INVALID (out empty) for anything else. */
int csrf_bind_session(const char *session_hash, char out[CSRF_BINDING_SIZE]);

#endif
