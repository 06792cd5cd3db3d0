/* SPDX-License-Identifier: MIT */
/* The leaf (subscriber) certificate profile (BR 7.1, R-ISS-2): serial numbers, validity
 * and the unsigned X509 built from vetted data only, never from a CSR's subject or
 * extensions. It does not sign: the caller lints the result (pki/lint) and then signs it
 * (pki/signer), which sets the signature algorithm. No database, no clock reads. */
#ifndef SM_PKI_PROFILE_H
#define SM_PKI_PROFILE_H
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

enum cert_level { LEVEL_DV, LEVEL_OV, LEVEL_EV };

/* Vetted subject, UTF-8. NULL or "" = absent.
 * DV: only cn (and c); any other field is refused.
 * OV: c, o and at least one of st / l are required.
 * EV: as OV plus business_category, jurisdiction_c and serial_number (EVG 7.1.4.2). */
struct profile_subject {
    const char *cn; /* commonName, <= 64 chars; must be one of the names */
    const char *o;  /* organizationName, <= 64 chars */
    const char *l;  /* localityName, <= 128 chars */
    const char *st; /* stateOrProvinceName, <= 128 chars */
    const char *c;  /* countryName, 2 upper-case letters (PrintableString) */
    /* EV only */
    const char *business_category; /* "Private Organization", "Government Entity",
                                      "Business Entity" or "Non-Commercial Entity" */
    const char *jurisdiction_c;    /* jurisdictionCountryName, 2 upper-case letters */
    const char *jurisdiction_st;   /* jurisdictionStateOrProvinceName, optional */
    const char *jurisdiction_l;    /* jurisdictionLocalityName, optional */
    const char *serial_number;     /* registration number, PrintableString <= 64 chars
                                      (e.g. the 12-digit 会社法人等番号) */
};

struct profile_req {
    enum cert_level level;
    const struct profile_subject *subj; /* may be NULL for a DV certificate (empty subject) */
    const char *const *names;           /* DNS names, already checked, lower-case A-labels */
    size_t nnames;
    EVP_PKEY *pubkey;            /* subscriber key from the CSR (RSA or EC); may be NULL
                                    when spki is a named P-256/P-384 key (eckey.h) */
    const X509_PUBKEY *spki;     /* optional: pubkey's SubjectPublicKeyInfo as it came
                                    in the CSR; copied as is instead of re-encoding
                                    pubkey (which OpenSSL 3.0 does slowly) */
    const unsigned char *serial; /* big-endian magnitude, from profile_serial_new */
    size_t serial_len;
    time_t not_before, not_after; /* from profile_validity() */
    X509 *issuer;                 /* issuing CA certificate (must carry an SKI) */
    const char *ca_issuers_url;   /* http:// URL of the issuer certificate */
    const char *ocsp_url;         /* http:// URL of the OCSP responder; NULL = none */
    const char *crl_url;          /* http:// URL of the issuer's CRL; NULL = no CDP, only for
                                     a short-lived certificate (BR 7.1.2.11.2, at most
                                     PROFILE_SHORT_LIVED_DAYS) */
    const char *cps_url;          /* http:// or https:// URL of the CPS */
};

#define PROFILE_SHORT_LIVED_DAYS 7  /* short-lived: no CDP, no OCSP URL (BR 7.1.2.11.2) */
#define PROFILE_SERIAL_MAX       20 /* octets (BR 7.1, RFC 5280 4.1.2.2) */
#define PROFILE_BACKDATE_SECONDS 60 /* notBefore = signing time - 1 minute (BR: <= 48 h) */

/* New serial: 16 octets from RAND_bytes (127 random bits, top bit cleared so the number
 * is positive and its DER form needs no sign octet; first octet never zero).
 * out receives the big-endian magnitude, *len = 16. 0 or -SM_E_CRYPTO. */
int profile_serial_new(unsigned char out[PROFILE_SERIAL_MAX], size_t *len);

/* Validity for a certificate signed at `now`:
 *   notBefore = now - PROFILE_BACKDATE_SECONDS;
 *   notAfter  = the earliest of notBefore + days (inclusive-second rule of BR 6.3.2),
 *               subscription_end, and notBefore + the policy maximum in force at now;
 * with days = requested_days, or the policy maximum when requested_days is 0 (a request
 * above the maximum is cut to it). subscription_end is the last second the subscription
 * covers (inclusive, like notAfter); 0 means no subscription limit.
 * Errors: requested_days < 0 -> SM_E_INVALID; subscription_end <= notBefore ->
 * SM_E_POLICY (the subscription has ended). */
int profile_validity(time_t now, int requested_days, time_t subscription_end, time_t *nb,
                     time_t *na, struct sm_err *e);

/* Builds the unsigned leaf certificate (caller frees *out with X509_free):
 * v3; serial; issuer = issuer's subject (same encoding); validity; subject in the order
 * [EV: businessCategory, jurisdictionC, jurisdictionST, jurisdictionL, serialNumber,]
 * C, ST, L, O, CN (C and EV jurisdictionC / serialNumber as PrintableString, the rest as
 * UTF8String; never an OU); extensions: SAN (every name; critical only when the subject
 * is empty), EKU serverAuth, KU digitalSignature (+ keyEncipherment for RSA) critical,
 * basicConstraints CA:FALSE critical, AKI keyid = issuer SKI, AIA (OCSP when given,
 * caIssuers), CRL DP, certificatePolicies with the CA/B OID of the level and a CPS URI.
 * No SKI (BR 7.1.2.7.6: not recommended). Refuses (SM_E_INVALID, field names the input)
 * anything outside that profile instead of dropping it silently. */
int profile_build(const struct profile_req *req, X509 **out, struct sm_err *e);

/* The context that a kept leaf certificate (struct profile_leaf) or the extensions a lint
 * memo found clean (struct lint_memo, pki/lint) were made in, shared by every certificate
 * of a bulk run: the issuer, the level, the subscriber key type and the AIA and CPS URLs.
 * Zero-initialize; an empty key (issuer NULL) is the same as no context that names an
 * issuer. */
struct profile_ctx_key {
    X509 *issuer; /* a reference, so that its address stays this issuer's */
    enum cert_level level;
    int rsa;                                   /* the subscriber key is RSA */
    char *ca_issuers_url, *ocsp_url, *cps_url; /* copies; NULL: none */
};
/* k made to hold a copy of the context (issuer up-ref'd, each URL duplicated; a NULL URL
 * stays NULL), after releasing what it held. 0, or -1 (issuer NULL or no memory): k is
 * then empty. */
int profile_ctx_key_set(struct profile_ctx_key *k, const X509 *issuer, enum cert_level level,
                        int rsa, const char *ca_issuers_url, const char *ocsp_url,
                        const char *cps_url);
/* 1 if k holds this context: the same issuer (the same X509, by its address), level and key
 * type, and the same URLs (two NULLs are the same). */
int profile_ctx_key_same(const struct profile_ctx_key *k, const X509 *issuer, enum cert_level level,
                         int rsa, const char *ca_issuers_url, const char *ocsp_url,
                         const char *cps_url);
/* Releases what k holds and zeroes it. */
void profile_ctx_key_free(struct profile_ctx_key *k);

/* A leaf certificate kept from one profile_build_into call to the next, so that a bulk run
 * does not rebuild, for every certificate, what all of them have alike (the issuer name
 * alone costs an encoding and a decoding with its canonical form; key usage, EKU, basic
 * constraints, AKI, AIA and policies each an encoding). Zero-initialize; one per thread;
 * free with profile_leaf_free. */
struct profile_leaf {
    X509 *x;
    /* what x was built for (key.issuer NULL: x is not to be reused) */
    struct profile_ctx_key key;
    int has_crl;
    char *crl_url; /* the CRL URL x carries now (the shard's; NULL: none) */
};
void profile_leaf_free(struct profile_leaf *l);
/* profile_build, with the result in l: *out is l->x (valid until the next call on l or
 * profile_leaf_free; the caller does not free it). When r differs from the request l was
 * built for only in serial, validity, subject, key, CRL URL and names, and carries its key
 * as spki, those are set anew on the kept certificate (and the signature algorithm a
 * signer wrote into it is unset); otherwise it is built from nothing. Either way it
 * encodes, byte for byte, as profile_build's certificate for r. Refuses what
 * profile_build refuses; after any failure l holds nothing. */
int profile_build_into(const struct profile_req *r, struct profile_leaf *l, X509 **out,
                       struct sm_err *e);

/* Result of profile_text_check. */
enum profile_text {
    PROFILE_TEXT_OK = 0,
    PROFILE_TEXT_ENCODING,  /* invalid UTF-8, control character, or not PrintableString */
    PROFILE_TEXT_TOO_LONG,  /* more than maxchars characters (not bytes) */
    PROFILE_TEXT_BAD_VALUE, /* empty, leading/trailing space, or only punctuation ("-") */
};
/* Checks one subject attribute value of n bytes: UTF-8 (or the PrintableString set when
 * printable is 1) without control characters, at most maxchars characters, and a real
 * value (BR 7.1.2.2: no "." "-" " " placeholders). Shared by the profile and the linter. */
enum profile_text profile_text_check(const unsigned char *s, size_t n, int printable,
                                     size_t maxchars);

/* The CA/B Forum reserved policy OID of a level ("2.23.140.1.2.1", ...); NULL if unknown. */
const char *profile_policy_oid(enum cert_level level);
/* "DV", "OV", "EV"; "?" if unknown. */
const char *profile_level_name(enum cert_level level);

#endif
