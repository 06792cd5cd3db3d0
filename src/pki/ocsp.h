/* SPDX-License-Identifier: MIT */
/* OCSP (RFC 6960) from bytes and structs, no database: reading a request, signing a
 * response with a delegated responder, error responses, and making the delegated
 * responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; RFC 6960 4.2.2.2). */
#ifndef SM_PKI_OCSP_H
#define SM_PKI_OCSP_H
#include <stddef.h>
#include <stdint.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "core/err.h"

struct signer;

#define OCSP_REQUEST_MAX 4096 /* bytes of a DER request; larger ones are refused */

/* A parsed request with exactly one CertID. */
struct ocsp_query {
    OCSP_REQUEST *req; /* owned */
    OCSP_CERTID *id;   /* borrowed from req */
    char serial[41];   /* lower-case hex, no leading zeros ("0" for zero) */
};

/* Parses a DER request. -SM_E_MALFORMED for anything that is not one OCSPRequest with
 * one CertID and a serial of at most 20 octets; -SM_E_TOO_LARGE past OCSP_REQUEST_MAX. */
int ocsp_query_parse(const unsigned char *der, size_t len, struct ocsp_query *q, struct sm_err *e);
void ocsp_query_clear(struct ocsp_query *q);
/* 1 when the request's issuerNameHash and issuerKeyHash are those of issuer. */
int ocsp_query_issuer_is(const struct ocsp_query *q, X509 *issuer);

/* Decodes the base64 of a GET request (RFC 6960 A.1; '-' '_' tolerated) into out (cap
 * bytes); returns the length or -1. */
int ocsp_b64_decode(const char *s, unsigned char *out, size_t cap);

enum ocsp_cert_status { OCSP_ST_GOOD, OCSP_ST_REVOKED, OCSP_ST_UNKNOWN };

struct ocsp_answer {
    enum ocsp_cert_status status;
    int64_t revoked_at;
    int reason; /* CRLReason; 0 = unspecified (no reason given) */
    int64_t this_update, next_update;
};

/* The signed successful response for q (nonce copied when present), signed by responder
 * (included in the response) through its signer s. *der (OPENSSL_free). */
int ocsp_response_sign(const struct ocsp_query *q, const struct ocsp_answer *a, X509 *responder,
                       struct signer *s, unsigned char **der, size_t *len, struct sm_err *e);
/* 1 when a pre-signed response answers q (RFC 5019): no nonce asked and a SHA-1 CertID
 * (the hash pre-signed responses use). */
int ocsp_query_presignable(const struct ocsp_query *q);
/* The response for serial (hex) of issuer signed ahead of any request: SHA-1 CertID, no
 * nonce; otherwise as ocsp_response_sign. */
int ocsp_response_presign(X509 *issuer, const char *serial, const struct ocsp_answer *a,
                          X509 *responder, struct signer *s, unsigned char **der, size_t *len,
                          struct sm_err *e);
/* An unsigned error response: OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, _INTERNALERROR,
 * _TRYLATER, _UNAUTHORIZED. *der (OPENSSL_free). 0 or -SM_E_NOMEM. */
int ocsp_response_error(int status, unsigned char **der, size_t *len);

/* The delegated responder certificate for issuer (signed with its key s): subject = the
 * issuer's with CN "<issuer CN> OCSP Responder", key pub, validity not_before..not_after,
 * basicConstraints CA:FALSE, keyUsage digitalSignature, EKU OCSPSigning, ocsp-nocheck,
 * AKI, SKI, random serial. *out is the caller's (X509_free). */
int ocsp_responder_make(X509 *issuer, struct signer *s, EVP_PKEY *pub, int64_t not_before,
                        int64_t not_after, X509 **out, struct sm_err *e);

#endif
