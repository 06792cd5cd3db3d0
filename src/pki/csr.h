/* SPDX-License-Identifier: MIT */
/* CSR checking (R-CSR-1..4): decodes a pasted PEM or DER certificate request, verifies
 * its proof of possession, and lists every problem with a stable code and ja/en text.
 * It never decides the certificate's subject (that comes from the vetted application)
 * and never echoes a private key that was pasted by mistake. */
#ifndef SM_PKI_CSR_H
#define SM_PKI_CSR_H
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

/* Severity of a problem: an error rejects the CSR; a notice is only shown
 * (e.g. "OU is dropped", "requested extensions are ignored"). */
enum csr_severity { CSR_SEV_ERROR = 0, CSR_SEV_NOTICE = 1 };

/* One entry of the fixed table of problems (static storage, never freed). */
struct csr_problem_def {
    const char *code;   /* stable, e.g. "csr.key.rsa_too_small", "name.underscore" */
    int severity;       /* enum csr_severity */
    const char *msg_ja; /* user text, Japanese */
    const char *msg_en; /* user text, English */
};

/* A problem found in one CSR. code/msg_* point into the static table. */
struct csr_problem {
    const char *code;
    int severity;
    const char *msg_ja;
    const char *msg_en;
    char detail[128]; /* language-neutral, shown after the message in either language:
                         e.g. "RSA-1024", "secp521r1", the offending name; may be "" */
};

/* Everything shown to the user. All strings are UTF-8 and owned by the struct;
 * csr_info_free releases all of it. Fields that could not be read are NULL / 0. */
struct csr_info {
    unsigned char *der; /* the CSR in DER (for storing with the application) */
    size_t der_len;
    char *subject_utf8;             /* one line, most specific first (RFC 2253 order), as
                                       "CN=..., O=..., C=JP"; UTF-8 values byte-exact, control
                                       characters shown as '?' or escaped */
    char *cn, *o, *ou, *l, *st, *c; /* NULL when absent (first occurrence) */
    char *key_type;                 /* "RSA", "RSA-PSS", "EC", "ED25519", "ED448", "DSA", ... */
    int key_bits;                   /* modulus / field size in bits, 0 if unknown */
    char *curve;                    /* "P-256", "P-384", "P-521", other OpenSSL short name,
                                       "explicit" for explicit parameters; NULL if not EC */
    char *sig_alg;                  /* "sha256WithRSAEncryption", "ecdsa-with-SHA256", ... */
    char **sans;                    /* requested dNSName / iPAddress entries as text */
    char **sans_unicode;            /* same length: display form, xn-- labels decoded to UTF-8
                                       (equal to sans[i] when there is nothing to decode) */
    size_t nsans;
    char *spki_sha256_hex;        /* SHA-256 of the DER SubjectPublicKeyInfo, 64 lower-case hex */
    EVP_PKEY *pkey;               /* the public key (owned), or NULL: not decodable, or a
                                     named P-256/P-384 key with an uncompressed point, which
                                     the check reads from spki (on the curve, proof of
                                     possession) without building an EVP_PKEY (pki/eckey.h).
                                     An acceptable CSR's key is in pkey or spki. */
    X509_PUBKEY *spki;            /* the SubjectPublicKeyInfo as sent (owned; for issuance
                                     without re-encoding), or NULL. Its decoded key may be
                                     absent (X509_PUBKEY_get0 NULL): use pkey */
    struct csr_problem *problems; /* every problem, errors and notices, in check order */
    size_t nproblems;
    int acceptable; /* 1 when no problem has severity CSR_SEV_ERROR */
};

/* Compromised-key blocklist hook. Called with the SHA-256 of the DER SPKI (raw and as
 * 64 lower-case hex). Returns 1 if the key is known compromised, 0 if not, <0 on
 * failure (the check then reports "csr.key.blocklist_unavailable"). */
typedef int (*csr_blocklist_fn)(void *arg, const unsigned char spki_sha256[32],
                                const char *spki_sha256_hex);

struct csr_check_opts {
    csr_blocklist_fn blocklist; /* NULL: no blocklist lookup */
    void *blocklist_arg;
    int allow_ip;   /* 1: public IP address SANs are fine (product allows them);
                       0: any IP address SAN is "name.ip_not_allowed". Reserved IP
                       ranges are always an error. */
    size_t max_len; /* input size cap; 0 = 64 KiB. Larger input: "csr.too_large" */
};

/* Checks a pasted CSR (PEM, with the usual variations, or DER). opts may be NULL.
 * Returns 0 and sets *out (caller frees with csr_info_free) whenever the input could be
 * examined, also when it is rejected: then (*out)->acceptable == 0 and the problems say
 * why. Returns <0 (and fills e) only on internal failure (memory, OpenSSL internal);
 * *out is NULL then. */
int csr_check(const unsigned char *in, size_t len, const struct csr_check_opts *opts,
              struct csr_info **out, struct sm_err *e);

void csr_info_free(struct csr_info *info); /* NULL is a no-op */

/* Every problem code the CSR check can report (csr.* and name.*), with ja/en text.
 * Static storage; *n receives the count. */
const struct csr_problem_def *csr_problem_table(size_t *n);
/* Looks a code up in that table; NULL if unknown. */
const struct csr_problem_def *csr_problem_find(const char *code);

/* 1 if the CSR reported the given code. */
int csr_info_has(const struct csr_info *info, const char *code);

/* JSON for the CLI and the API (caller json_decref's *out):
 * {"acceptable":true,"subject":"CN=...","cn":..,"o":..,"ou":..,"l":..,"st":..,"c":..,
 *  "key":{"type":"RSA","bits":2048,"curve":null},"sig_alg":"sha256WithRSAEncryption",
 *  "sans":["www.example.co.jp"],"sans_unicode":["www.example.co.jp"],"spki_sha256":"<hex>",
 *  "problems":[{"code":"csr.subject.ou_dropped","severity":"notice",
 *               "message_ja":"...","message_en":"...","detail":"..."}]}
 * Absent strings are JSON null. Returns 0 or -SM_E_NOMEM. */
int csr_info_to_json(const struct csr_info *info, json_t **out);

/* Case-insensitive comparison of the CSR's CN with an expected name, after lower-casing
 * and IDNA A-label conversion of both (for R-CSR-2: CN mismatch on renewal / reissue).
 * Returns 1 equal, 0 different or CN absent. */
int csr_cn_matches(const struct csr_info *info, const char *name);

#endif
