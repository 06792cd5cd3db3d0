/* SPDX-License-Identifier: MIT */
/* JSON Web Signatures as ACME uses them (RFC 8555 6.2, RFC 7515 flattened JSON
 * serialization): parsing, verification with ES256, ES384, RS256 (RSA >= 2048 bits) and
 * EdDSA (Ed25519), JWK public keys (RFC 7517, 7518 6, 8037) and their thumbprints (RFC
 * 7638), and HS256 for external account binding (RFC 8555 7.3.4). Bytes in, bytes and
 * structs out: no database, no HTTP; the ACME rules on top (nonce, url, kid or jwk) are
 * the caller's. */
#ifndef SM_JWS_H
#define SM_JWS_H
#include <openssl/evp.h>
#include <stddef.h>

#include "core/err.h"

enum jws_alg { JWS_ALG_UNKNOWN = 0, JWS_ES256, JWS_ES384, JWS_RS256, JWS_EDDSA, JWS_HS256 };

/* Why a JWS was refused, for the caller's choice of problem type (RFC 8555 6.7). */
enum jws_fault {
    JWS_OK = 0,
    JWS_F_MALFORMED, /* not a flattened JWS, bad base64url or JSON, missing member */
    JWS_F_ALG,       /* alg missing, unknown, "none", or not that of the key */
    JWS_F_KEY,       /* jwk unreadable, of an unsupported kind, or RSA below 2048 bits */
    JWS_F_SIGNATURE, /* the signature does not verify */
};

/* Largest JWS body parsed, in bytes. */
#define JWS_MAX_BODY ((size_t)64 << 10)
/* A JWK thumbprint: base64url of a SHA-256, 43 characters and the NUL. */
#define JWK_THUMB_LEN 44

struct jws {
    enum jws_alg alg;
    char alg_name[16];
    char *nonce, *url, *kid; /* protected header members, NULL when absent */
    EVP_PKEY *jwk;           /* the protected header's "jwk", NULL when absent */
    char *jwk_canon;         /* its RFC 7638 canonical JSON (the stored form of a key) */
    char *header;            /* the decoded protected header (JSON text) */
    unsigned char *payload;  /* decoded payload, NUL-terminated; empty = POST-as-GET */
    size_t payload_len;
    char *signing_input; /* "<protected>.<payload>" as received */
    size_t signing_input_len;
    unsigned char *sig;
    size_t sig_len;
};

/* Parses a flattened JSON JWS (members "protected", "payload", "signature"; an unprotected
 * "header" is refused, RFC 8555 6.2) of at most JWS_MAX_BODY bytes. Reads alg (refusing
 * "none" and unknown ones), nonce, url, kid, and jwk (parsed into a key). On error returns
 * a negative code, sets *fault (may be NULL) and names the member in e->field
 * ("protected.alg", "payload", ...). Free with jws_clear, also after an error. */
int jws_parse(const char *body, size_t len, struct jws *out, enum jws_fault *fault,
              struct sm_err *e);
void jws_clear(struct jws *j);

/* Verifies j's signature with key (j->jwk or a stored account key): the alg must be the
 * key's (ES256 with P-256, ES384 with P-384, RS256 with RSA of 2048 bits or more, EdDSA
 * with Ed25519). 0, or negative with *fault JWS_F_ALG, JWS_F_KEY or JWS_F_SIGNATURE. */
int jws_verify(const struct jws *j, EVP_PKEY *key, enum jws_fault *fault, struct sm_err *e);

/* Verifies an HS256 JWS (external account binding) with the MAC key; constant time. */
int jws_verify_hmac(const struct jws *j, const unsigned char *mac_key, size_t mac_key_len,
                    struct sm_err *e);

/* A public key from JWK JSON text (one object): EC P-256/P-384, RSA >= 2048, OKP Ed25519.
 * *canon (may be NULL) gets the RFC 7638 canonical JSON, which parses back to the same
 * key. -SM_E_INVALID with e->field naming the member for anything else. */
int jwk_parse(const char *json, size_t len, EVP_PKEY **key, char **canon, struct sm_err *e);

/* The RFC 7638 thumbprint of canonical JWK JSON (from jwk_parse or struct jws). */
int jwk_thumbprint(const char *canon, char out[JWK_THUMB_LEN]);

/* base64url without padding (RFC 7515 2). encode: out must hold 4 * ceil(n / 3) + 1 bytes;
 * returns the length. decode: strict (no padding, no other characters, no stray bits);
 * returns the length or -1; out must hold len * 3 / 4 + 1 bytes. */
size_t b64url_encode(const unsigned char *in, size_t n, char *out);
long b64url_decode(const char *in, size_t len, unsigned char *out);

#endif
