/* SPDX-License-Identifier: MIT */
/* The wire of multi-perspective issuance corroboration (R-VAL-8, BR 3.2.2.9): Ed25519 keys
 * (libsodium), signed message bodies and the parallel calls of the primary to its remote
 * perspectives (libcurl multi, one deadline for all). A request and its answer are JSON
 * bodies sent with the header "X-Shomei-Signature: <base64 Ed25519 signature of the
 * body>"; what they must contain (request id, timestamp, deadline) is ra/mpic's business.
 * No validation rules here. */
#ifndef SM_NET_PERSPECTIVE_H
#define SM_NET_PERSPECTIVE_H
#include <stddef.h>

#include "core/err.h"

#define PERSP_PK_BYTES   32
#define PERSP_SK_BYTES   64
#define PERSP_SIG_BYTES  64
#define PERSP_B64_MAX    128 /* base64 text of a key or a signature, NUL included */
#define PERSP_SIG_HEADER "X-Shomei-Signature"
/* Largest answer body the primary reads; a longer one is refused (oversized). */
#define PERSP_MAX_ANSWER 65536

/* Writes a new secret key to path (base64 text, mode 0600, refuses to overwrite) and its
 * public key as base64 into pk_b64 (PERSP_B64_MAX bytes). */
int persp_key_generate(const char *path, char *pk_b64, struct sm_err *e);
/* Reads a secret key file; pk gets the public half. */
int persp_key_load(const char *path, unsigned char sk[PERSP_SK_BYTES],
                   unsigned char pk[PERSP_PK_BYTES], struct sm_err *e);
/* Base64 public key -> 32 bytes. 0, or -SM_E_INVALID. */
int persp_pubkey_parse(const char *b64, unsigned char pk[PERSP_PK_BYTES]);
void persp_pubkey_text(const unsigned char pk[PERSP_PK_BYTES], char *out, size_t n);

/* Signs body into sig_b64 (PERSP_B64_MAX bytes). */
void persp_sign(const unsigned char sk[PERSP_SK_BYTES], const char *body, size_t len,
                char *sig_b64);
/* 1 when sig_b64 is a valid signature of body by pk, else 0 (malformed text included). */
int persp_verify(const unsigned char pk[PERSP_PK_BYTES], const char *body, size_t len,
                 const char *sig_b64);

/* One call: POST body (with its signature) to url; the answer's status, body and
 * signature header come back. error says why when there is no answer ("timeout",
 * "connect", "too_large", ...). */
struct persp_call {
    const char *url;
    const char *body;
    const char *sig_b64;
    long status;  /* HTTP status, 0 when none */
    char *answer; /* NUL-terminated body (malloc'd), NULL when none */
    size_t answer_len;
    char answer_sig[PERSP_B64_MAX];
    char error[64]; /* "" when an answer came */
    int transient;  /* the connection was refused or reset */
    long elapsed_ms;
    /* Optional: called when the call failed transiently and the deadline leaves at least
     * PERSP_RETRY_MIN_MS; it replaces body and sig_b64 (a new request) and returns 0, and
     * the call is made once more (retried = 1). */
    int (*renew)(struct persp_call *c, void *arg);
    void *renew_arg;
    int retried;
};
#define PERSP_RETRY_MIN_MS 100
/* Runs every call in parallel and returns when all are done or timeout_ms has passed
 * (calls still running then end with error "timeout", never retried). A call refused or
 * reset on the way is made once more through its renew hook when there is time (issue 11
 * item 4). 0, or -SM_E_NOMEM. */
int persp_call_all(struct persp_call *calls, size_t n, long timeout_ms);
void persp_call_clear(struct persp_call *c);

#endif
