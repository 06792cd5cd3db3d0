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
} table[SM_E__COUNT] = {
    [SM_OK] = {"SM_OK", 200, "err.ok"},
    [SM_E_NOMEM] = {"SM_E_NOMEM", 503, "err.nomem"},
    [SM_E_IO] = {"SM_E_IO", 500, "err.io"},
    [SM_E_INVALID] = {"SM_E_INVALID", 400, "err.invalid"},
    [SM_E_TOO_LARGE] = {"SM_E_TOO_LARGE", 413, "err.too_large"},
    [SM_E_NOTFOUND] = {"SM_E_NOTFOUND", 404, "err.notfound"},
    [SM_E_EXISTS] = {"SM_E_EXISTS", 409, "err.exists"},
    [SM_E_CONFLICT] = {"SM_E_CONFLICT", 409, "err.conflict"},
    [SM_E_FORBIDDEN] = {"SM_E_FORBIDDEN", 403, "err.forbidden"},
    [SM_E_DB] = {"SM_E_DB", 500, "err.db"},
    [SM_E_CRYPTO] = {"SM_E_CRYPTO", 500, "err.crypto"},
    [SM_E_CONFIG] = {"SM_E_CONFIG", 500, "err.config"},
    [SM_E_CSR] = {"SM_E_CSR", 422, "err.csr"},
    [SM_E_LINT] = {"SM_E_LINT", 500, "err.lint"},
    [SM_E_POLICY] = {"SM_E_POLICY", 422, "err.policy"},
    [SM_E_INTERNAL] = {"SM_E_INTERNAL", 500, "err.internal"},
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
