/* SPDX-License-Identifier: MIT */
/* The one table of error codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "core/err.h"

static const struct {
    const char *name;
    int http;
    const char *key;
    const char *type; /* problem type: "urn:shomei:problem:" + this */
} table[SM_E__COUNT] = {
    [SM_OK] = {"SM_OK", 200, "err.ok", "urn:shomei:problem:ok"},
    [SM_E_NOMEM] = {"SM_E_NOMEM", 503, "err.nomem", "urn:shomei:problem:nomem"},
    [SM_E_IO] = {"SM_E_IO", 500, "err.io", "urn:shomei:problem:io"},
    [SM_E_INVALID] = {"SM_E_INVALID", 422, "err.invalid", "urn:shomei:problem:invalid"},
    [SM_E_TOO_LARGE] = {"SM_E_TOO_LARGE", 413, "err.too_large", "urn:shomei:problem:too_large"},
    [SM_E_NOTFOUND] = {"SM_E_NOTFOUND", 404, "err.notfound", "urn:shomei:problem:notfound"},
    [SM_E_EXISTS] = {"SM_E_EXISTS", 409, "err.exists", "urn:shomei:problem:exists"},
    [SM_E_CONFLICT] = {"SM_E_CONFLICT", 409, "err.conflict", "urn:shomei:problem:conflict"},
    [SM_E_FORBIDDEN] = {"SM_E_FORBIDDEN", 403, "err.forbidden", "urn:shomei:problem:forbidden"},
    [SM_E_DB] = {"SM_E_DB", 500, "err.db", "urn:shomei:problem:db"},
    [SM_E_CRYPTO] = {"SM_E_CRYPTO", 500, "err.crypto", "urn:shomei:problem:crypto"},
    [SM_E_CONFIG] = {"SM_E_CONFIG", 500, "err.config", "urn:shomei:problem:config"},
    [SM_E_CSR] = {"SM_E_CSR", 422, "err.csr", "urn:shomei:problem:csr"},
    [SM_E_LINT] = {"SM_E_LINT", 500, "err.lint", "urn:shomei:problem:lint"},
    [SM_E_POLICY] = {"SM_E_POLICY", 422, "err.policy", "urn:shomei:problem:policy"},
    [SM_E_INTERNAL] = {"SM_E_INTERNAL", 500, "err.internal", "urn:shomei:problem:internal"},
    [SM_E_MAINTENANCE] = {"SM_E_MAINTENANCE", 503, "err.maintenance",
                          "urn:shomei:problem:maintenance"},
    [SM_E_STALE] = {"SM_E_STALE", 409, "err.stale", "urn:shomei:problem:stale"},
    [SM_E_MEDIA_TYPE] = {"SM_E_MEDIA_TYPE", 415, "err.media_type", "urn:shomei:problem:media_type"},
    [SM_E_DCV_METHOD] = {"SM_E_DCV_METHOD", 422, "err.dcv_method", "urn:shomei:problem:dcv_method"},
    [SM_E_RATE_LIMITED] = {"SM_E_RATE_LIMITED", 429, "err.rate_limited",
                           "urn:shomei:problem:rate_limited"},
    [SM_E_DB_BUSY] = {"SM_E_DB_BUSY", 503, "web.db_unavailable", "urn:shomei:problem:db_busy"},
    [SM_E_STORAGE_FULL] = {"SM_E_STORAGE_FULL", 507, "err.storage_full",
                           "urn:shomei:problem:storage_full"},
    [SM_E_MALFORMED] = {"SM_E_MALFORMED", 400, "web.bad_request", "urn:shomei:problem:malformed"},
    [SM_E_NOT_IMPLEMENTED] = {"SM_E_NOT_IMPLEMENTED", 501, "err.not_implemented",
                              "urn:shomei:problem:not_implemented"},
    [SM_E_ACME_MALFORMED] = {"SM_E_ACME_MALFORMED", 400, "acme.malformed",
                             "urn:ietf:params:acme:error:malformed"},
    [SM_E_ACME_BAD_NONCE] = {"SM_E_ACME_BAD_NONCE", 400, "acme.bad_nonce",
                             "urn:ietf:params:acme:error:badNonce"},
    [SM_E_ACME_BAD_SIG_ALG] = {"SM_E_ACME_BAD_SIG_ALG", 400, "acme.bad_signature_algorithm",
                               "urn:ietf:params:acme:error:badSignatureAlgorithm"},
    [SM_E_ACME_BAD_PUBLIC_KEY] = {"SM_E_ACME_BAD_PUBLIC_KEY", 400, "acme.bad_public_key",
                                  "urn:ietf:params:acme:error:badPublicKey"},
    [SM_E_ACME_UNAUTHORIZED] = {"SM_E_ACME_UNAUTHORIZED", 403, "acme.unauthorized",
                                "urn:ietf:params:acme:error:unauthorized"},
    [SM_E_ACME_UNVETTED] = {"SM_E_ACME_UNVETTED", 403, "acme.unvetted",
                            "urn:ietf:params:acme:error:unauthorized"},
    [SM_E_ACME_STALE] = {"SM_E_ACME_STALE", 403, "acme.stale",
                         "urn:ietf:params:acme:error:unauthorized"},
    [SM_E_ACME_NO_ACCOUNT] = {"SM_E_ACME_NO_ACCOUNT", 400, "acme.account_does_not_exist",
                              "urn:ietf:params:acme:error:accountDoesNotExist"},
    [SM_E_ACME_EAB_REQUIRED] = {"SM_E_ACME_EAB_REQUIRED", 400, "acme.external_account_required",
                                "urn:ietf:params:acme:error:externalAccountRequired"},
    [SM_E_MPIC] = {"SM_E_MPIC", 503, "err.mpic", "urn:shomei:problem:mpic"},
    [SM_E_ACME_INVALID_CONTACT] = {"SM_E_ACME_INVALID_CONTACT", 400, "acme.invalid_contact",
                                   "urn:ietf:params:acme:error:invalidContact"},
    [SM_E_ACME_ALREADY_REVOKED] = {"SM_E_ACME_ALREADY_REVOKED", 400, "acme.already_revoked",
                                   "urn:ietf:params:acme:error:alreadyRevoked"},
    [SM_E_ACME_BAD_REV_REASON] = {"SM_E_ACME_BAD_REV_REASON", 400, "acme.bad_revocation_reason",
                                  "urn:ietf:params:acme:error:badRevocationReason"},
    [SM_E_ACME_KEY_CONFLICT] = {"SM_E_ACME_KEY_CONFLICT", 409, "acme.key_conflict",
                                "urn:ietf:params:acme:error:malformed"},
    [SM_E_ACME_REJECTED_IDENTIFIER] = {"SM_E_ACME_REJECTED_IDENTIFIER", 400,
                                       "acme.rejected_identifier",
                                       "urn:ietf:params:acme:error:rejectedIdentifier"},
    [SM_E_ACME_UNSUPPORTED_IDENTIFIER] = {"SM_E_ACME_UNSUPPORTED_IDENTIFIER", 400,
                                          "acme.unsupported_identifier",
                                          "urn:ietf:params:acme:error:unsupportedIdentifier"},
    [SM_E_ACME_INVALID_PROFILE] = {"SM_E_ACME_INVALID_PROFILE", 400, "acme.invalid_profile",
                                   "urn:ietf:params:acme:error:invalidProfile"},
    [SM_E_ACME_NOT_FOUND] = {"SM_E_ACME_NOT_FOUND", 404, "acme.not_found",
                             "urn:ietf:params:acme:error:malformed"},
    [SM_E_ACME_ORDER_NOT_READY] = {"SM_E_ACME_ORDER_NOT_READY", 403, "acme.order_not_ready",
                                   "urn:ietf:params:acme:error:orderNotReady"},
    [SM_E_ACME_BAD_CSR] = {"SM_E_ACME_BAD_CSR", 400, "acme.bad_csr",
                           "urn:ietf:params:acme:error:badCSR"},
    [SM_E_ACME_CAA] = {"SM_E_ACME_CAA", 403, "acme.caa", "urn:ietf:params:acme:error:caa"},
    [SM_E_ACME_INCORRECT_RESPONSE] = {"SM_E_ACME_INCORRECT_RESPONSE", 403,
                                      "acme.incorrect_response",
                                      "urn:ietf:params:acme:error:incorrectResponse"},
    [SM_E_ACME_CONNECTION] = {"SM_E_ACME_CONNECTION", 400, "acme.connection",
                              "urn:ietf:params:acme:error:connection"},
    [SM_E_ACME_DNS] = {"SM_E_ACME_DNS", 400, "acme.dns", "urn:ietf:params:acme:error:dns"},
    [SM_E_ACME_SERVER_INTERNAL] = {"SM_E_ACME_SERVER_INTERNAL", 500, "acme.server_internal",
                                   "urn:ietf:params:acme:error:serverInternal"},
    [SM_E_ACME_TLS] = {"SM_E_ACME_TLS", 400, "acme.tls", "urn:ietf:params:acme:error:tls"},
    [SM_E_ACME_RATE_LIMITED] = {"SM_E_ACME_RATE_LIMITED", 429, "acme.rate_limited",
                                "urn:ietf:params:acme:error:rateLimited"},
};

static int valid(int code) { return code >= 0 && code < SM_E__COUNT; }

int sm_err_set(struct sm_err *e, int code, const char *field, const char *fmt, ...)
{
    if (!valid(code) || code == SM_OK)
        code = SM_E_INTERNAL;
    if (e != NULL) {
        e->code = code;
        snprintf(e->field, sizeof e->field, "%s", field ? field : "");
        e->detail[0] = '\0';
        if (fmt != NULL) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->detail, sizeof e->detail, fmt, ap);
            va_end(ap);
        }
    }
    return -code;
}

int sm_err_openssl(struct sm_err *e, const char *what)
{
    char buf[160];
    unsigned long l = ERR_get_error();
    if (l != 0)
        ERR_error_string_n(l, buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "no OpenSSL error queued");
    ERR_clear_error();
    return sm_err_set(e, SM_E_CRYPTO, NULL, "%s: %s", what ? what : "crypto", buf);
}

void sm_err_clear(struct sm_err *e)
{
    if (e != NULL)
        memset(e, 0, sizeof *e);
}

const char *sm_err_name(int code) { return valid(code) ? table[code].name : "SM_E_?"; }
int sm_err_http(int code) { return valid(code) ? table[code].http : 500; }
const char *sm_err_msgkey(int code) { return valid(code) ? table[code].key : "err.internal"; }
const char *sm_err_type(int code)
{
    return valid(code) ? table[code].type : table[SM_E_INTERNAL].type;
}

int sm_err_lookup(const char *key, int status)
{
    for (int i = 1; key != NULL && i < SM_E__COUNT; i++)
        if (strcmp(table[i].key, key) == 0)
            return i;
    for (int i = 1; i < SM_E__COUNT; i++)
        if (table[i].http == status)
            return i;
    return -1;
}
