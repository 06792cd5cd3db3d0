/* SPDX-License-Identifier: MIT */
/* Errors as data: one table of codes with their HTTP status and message key.
 * A fallible function returns 0 or a negative value and fills an optional
 * struct sm_err. User-facing text comes from the message key in the user's language. */
#ifndef SM_ERR_H
#define SM_ERR_H

enum sm_code {
    SM_OK = 0,
    SM_E_NOMEM,     /* allocation failed */
    SM_E_IO,        /* file or socket I/O */
    SM_E_INVALID,   /* bad input; field names it */
    SM_E_TOO_LARGE, /* input past a size limit */
    SM_E_NOTFOUND,
    SM_E_EXISTS,   /* refuses to overwrite */
    SM_E_CONFLICT, /* state does not allow it */
    SM_E_FORBIDDEN,
    SM_E_DB,     /* database failure */
    SM_E_CRYPTO, /* OpenSSL failure */
    SM_E_CONFIG, /* configuration invalid */
    SM_E_CSR,    /* CSR rejected; details in the CSR problem list */
    SM_E_LINT,   /* to-be-signed certificate failed lint */
    SM_E_POLICY, /* refused by policy */
    SM_E_INTERNAL,
    SM_E_MAINTENANCE,  /* refused inside the maintenance window; field = when it ends */
    SM_E_STALE,        /* the object changed since it was shown (version mismatch) */
    SM_E_MEDIA_TYPE,   /* unsupported body or file type */
    SM_E_DCV_METHOD,   /* domain validation method not allowed for this name or date */
    SM_E_RATE_LIMITED, /* too many requests; try later */
    SM_E_DB_BUSY,      /* database locked or unreachable past the bounded wait */
    SM_E_STORAGE_FULL, /* disk or database storage full */
    SM_E_MALFORMED,    /* the request itself cannot be read (framing, encoding, syntax) */
    /* not done yet: a route whose authenticator is reserved (AUTH_JWS before ACME) */
    SM_E_NOT_IMPLEMENTED,
    SM_E_MPIC, /* validation refused: too few remote perspectives for the date (R-VAL-8) */
    /* ACME (RFC 8555 6.7): answered with their urn:ietf:params:acme:error:* types */
    SM_E_ACME_MALFORMED,              /* malformed: the JWS or its payload cannot be used */
    SM_E_ACME_BAD_NONCE,              /* badNonce: missing, unknown, used or expired nonce */
    SM_E_ACME_BAD_SIG_ALG,            /* badSignatureAlgorithm */
    SM_E_ACME_BAD_PUBLIC_KEY,         /* badPublicKey */
    SM_E_ACME_UNAUTHORIZED,           /* unauthorized: wrong url, deactivated account, bad EAB */
    SM_E_ACME_UNVETTED,               /* unauthorized: OV/EV without vetting inside reuse */
    SM_E_ACME_STALE,                  /* unauthorized: a validation past its reuse period */
    SM_E_ACME_NO_ACCOUNT,             /* accountDoesNotExist */
    SM_E_ACME_EAB_REQUIRED,           /* externalAccountRequired */
    SM_E_ACME_INVALID_CONTACT,        /* invalidContact */
    SM_E_ACME_ALREADY_REVOKED,        /* alreadyRevoked (RFC 8555 7.6) */
    SM_E_ACME_BAD_REV_REASON,         /* badRevocationReason */
    SM_E_ACME_KEY_CONFLICT,           /* 409 malformed: keyChange to another account's key */
    SM_E_ACME_REJECTED_IDENTIFIER,    /* rejectedIdentifier: a name R-CSR-4 refuses */
    SM_E_ACME_UNSUPPORTED_IDENTIFIER, /* unsupportedIdentifier: not a dns identifier */
    SM_E_ACME_INVALID_PROFILE,        /* invalidProfile (draft-ietf-acme-profiles) */
    SM_E_ACME_NOT_FOUND,              /* malformed, 404: no such order, authorization, ... */
    SM_E_ACME_ORDER_NOT_READY,        /* orderNotReady: finalize before every name is valid */
    SM_E_ACME_BAD_CSR,                /* badCSR: unacceptable CSR, other names, blocked key */
    SM_E_ACME_CAA,                    /* caa: CAA records forbid issuance (RFC 8657 too) */
    SM_E_ACME_INCORRECT_RESPONSE,     /* incorrectResponse: the challenge's answer is wrong */
    SM_E_ACME_CONNECTION,             /* connection: the validation could not connect */
    SM_E_ACME_DNS,                    /* dns: the validation's DNS lookup failed */
    SM_E_ACME_SERVER_INTERNAL,        /* serverInternal: refused at issuance (lint, limits) */
    SM_E_ACME_TLS,                    /* tls: the tls-alpn-01 handshake failed (RFC 8737) */
    SM_E_ACME_RATE_LIMITED,           /* rateLimited: a rate limit of [acme] (RFC 8555 6.7) */
    SM_E__COUNT
};

struct sm_err {
    int code;         /* enum sm_code */
    char field[64];   /* offending field or object, may be empty */
    char detail[256]; /* log detail in English (never shown raw to users) */
};

/* Fills e (if not NULL) and returns -code. detail is printf-style. */
int sm_err_set(struct sm_err *e, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends the OpenSSL error queue to e->detail and clears the queue; returns -SM_E_CRYPTO. */
int sm_err_openssl(struct sm_err *e, const char *what);
void sm_err_clear(struct sm_err *e);

const char *sm_err_name(int code);   /* "SM_E_INVALID" */
int sm_err_http(int code);           /* 400, 404, ... */
const char *sm_err_msgkey(int code); /* i18n key, e.g. "err.invalid" */
/* The stable RFC 9457 problem type of code, "urn:shomei:problem:invalid" (static). */
const char *sm_err_type(int code);
/* The code whose message key is key, else the first code answered with status, else -1
 * (401, 405): the problem type of an answer made from a status and a message key. */
int sm_err_lookup(const char *key, int status);

#endif
