/* SPDX-License-Identifier: MIT */
/* Pre-signing linter (BR 4.3.1.2, R-ISS-3): checks a to-be-signed leaf certificate
 * against the product's profile (pki/profile, BR 7.1.2.7) and reports every failed rule
 * with a stable id. It reads the unsigned X509 as built by profile_build, with the
 * signature algorithm the signer will use (ctx->sig_md); after signing it checks the
 * certificate's signature algorithm fields. It never modifies the certificate and
 * never decides on its own to skip a rule: a rule it cannot evaluate is a finding. */
#ifndef SM_PKI_LINT_H
#define SM_PKI_LINT_H
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "pki/profile.h"

struct lint_ctx {
    enum cert_level level;
    const X509 *issuer;       /* issuing CA certificate (required) */
    time_t now;               /* signing time (required) */
    time_t subscription_end;  /* last second of the subscription; 0 = no limit */
    const char *const *names; /* the vetted names: the SAN must be exactly this set */
    size_t nnames;
    int allow_wildcard;      /* the product allows wildcard names (never for EV) */
    const X509_PUBKEY *spki; /* the CSR's key; NULL = not compared. When given, the
                                certificate's subjectPublicKeyInfo must equal it byte for
                                byte, and the key checks read spki_key (or, when it is
                                NULL, spki's decoded key, or a named P-256/P-384 key's
                                point, checked to lie on the curve) */
    EVP_PKEY *spki_key;      /* spki's key, decoded once with the CSR; may be NULL */
    /* Digest the signer will use ("SHA256", "SHA384", "SHA512": signer_digest). Required
     * before signing: the algorithm it makes with the issuer key must be allowed
     * (BR 7.1.3.2); after signing the certificate's own algorithm fields are checked. */
    const char *sig_md;
    /* Expected URLs; NULL = only the shape is checked (http:// etc.). */
    const char *ca_issuers_url, *ocsp_url, *crl_url, *cps_url;
    /* A short-lived certificate (BR 7.1.2.11.2, draft-ietf-acme-profiles "shortlived"):
     * validity at most PROFILE_SHORT_LIVED_DAYS, and then no CDP and no OCSP URL. */
    int short_lived;
    /* Optional: what this thread's earlier calls found clean (struct lint_memo). */
    struct lint_memo *memo;
};

#define LINT_MEMO_SLOTS 8
/* What lint_cert remembers between the certificates of a run on one thread: each
 * extension it found clean, by its exact bytes, with the context it was checked in (issuer,
 * level, key type, URLs, short-lived). The next certificate's extension with the same
 * bytes in the same context is not decoded and checked again: in a bulk run key usage,
 * EKU, basic constraints, AKI, AIA and policies are the same in every certificate. The
 * names (SAN), the CRL shard's URL (CDP), every extension's criticality and presence and
 * everything outside the extensions are checked every time. Zero-initialize; free with
 * lint_memo_free; one per thread. */
struct lint_memo {
    struct profile_ctx_key key; /* the context clean[] was checked in (and short_lived) */
    int short_lived;
    unsigned char *clean[LINT_MEMO_SLOTS]; /* extnValue found clean; NULL: none */
    size_t clean_len[LINT_MEMO_SLOTS];
};
void lint_memo_free(struct lint_memo *m);

#define LINT_MAX_FINDINGS 32

struct lint_finding {
    const char *id;   /* stable rule id (static string), e.g. "lint.eku.not_serverauth" */
    char detail[160]; /* English, for logs */
};

struct lint_report {
    size_t n;      /* findings in f */
    int truncated; /* more than LINT_MAX_FINDINGS were found */
    struct lint_finding f[LINT_MAX_FINDINGS];
};

/* One rule of the linter (static table). */
struct lint_rule {
    const char *id;      /* "lint.validity.too_long" */
    const char *ref;     /* where it comes from: "BR 6.3.2", "R-ISS-2", "RFC 5280 4.1.2.5" */
    const char *summary; /* English, one line */
};

/* Lints tbs in the context ctx; fills *out (always reset first).
 * Returns 0 when no rule fails, -SM_E_LINT when out lists findings (a missing ctx field
 * or an OpenSSL failure is reported as "lint.internal", so the result fails closed). */
int lint_cert(const X509 *tbs, const struct lint_ctx *ctx, struct lint_report *out);

/* 1 if the report holds a finding with that rule id. */
int lint_report_has(const struct lint_report *r, const char *id);
/* Writes "id1: detail; id2: detail" (truncated to n bytes, always terminated) for logs
 * and returns the number of findings. */
size_t lint_report_format(const struct lint_report *r, char *buf, size_t n);
/* Every rule the linter knows (static storage); *n receives the count. */
const struct lint_rule *lint_rules(size_t *n);

#endif
