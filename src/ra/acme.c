/* SPDX-License-Identifier: MIT */
/* The checks of a JWS-signed ACME request (RFC 8555 6.2-6.5); see ra/acme.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ra/acme.h"
#include "ra/acme_nonce.h"
#include "store/acme_accounts.h"

void acme_request_clear(struct acme_request *q)
{
    if (q == NULL)
        return;
    jws_clear(&q->jws);
    memset(q, 0, sizeof *q);
}

/* The SM_E_ACME_* code of a JWS refusal. */
static int fault_code(enum jws_fault f)
{
    switch (f) {
    case JWS_F_ALG: return SM_E_ACME_BAD_SIG_ALG;
    case JWS_F_KEY: return SM_E_ACME_BAD_PUBLIC_KEY;
    default: return SM_E_ACME_MALFORMED;
    }
}

static int refuse(struct sm_err *e, int code, const char *field, const char *detail)
{
    return sm_err_set(e, code, field, "%s", detail);
}

/* The account id of an account URL under prefix, or 0. */
static int64_t account_id_of(const char *kid, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(kid, prefix, n) != 0 || kid[n] < '1' || kid[n] > '9')
        return 0;
    char *end;
    errno = 0;
    long long id = strtoll(kid + n, &end, 10);
    return errno == 0 && *end == '\0' && id > 0 ? (int64_t)id : 0;
}

/* The key of the request: its jwk, or the stored key of the account its kid names. */
static int request_key(struct db *db, struct acme_request *q, const char *acct_prefix,
                       enum acme_key_by by, EVP_PKEY **key, struct sm_err *e)
{
    const struct jws *j = &q->jws;
    *key = NULL;
    if (j->kid != NULL && j->jwk_canon != NULL)
        return refuse(e, SM_E_ACME_MALFORMED, "protected.kid", "both kid and jwk");
    if (by == ACME_BY_EITHER)
        by = j->kid != NULL ? ACME_BY_KID : ACME_BY_JWK;
    if (by == ACME_BY_JWK) {
        if (j->jwk == NULL)
            return refuse(e, SM_E_ACME_MALFORMED, "protected.jwk", "jwk expected");
        jwk_thumbprint(j->jwk_canon, q->thumbprint);
        *key = j->jwk;
        return 0;
    }
    if (j->kid == NULL)
        return refuse(e, SM_E_ACME_MALFORMED, "protected.kid", "kid expected");
    int64_t id = account_id_of(j->kid, acct_prefix);
    if (id == 0)
        return refuse(e, SM_E_ACME_NO_ACCOUNT, "protected.kid", "kid is no account URL");
    struct acme_account_row a = {0};
    int rc = acme_account_get(db, id, &a, e);
    if (rc == -SM_E_NOTFOUND)
        return refuse(e, SM_E_ACME_NO_ACCOUNT, "protected.kid", "no such account");
    if (rc < 0)
        return rc;
    if (strcmp(a.status, "valid") != 0) {
        acme_account_row_free(&a);
        return refuse(e, SM_E_ACME_UNAUTHORIZED, "account", "account is not valid");
    }
    rc = jwk_parse(a.jwk, strlen(a.jwk), key, NULL, e);
    if (rc == 0) {
        q->account_id = a.id;
        q->org_id = a.org_id;
        snprintf(q->thumbprint, sizeof q->thumbprint, "%.43s", a.thumbprint);
    } else {
        rc = sm_err_set(e, SM_E_INTERNAL, "account", "stored key of account %lld unreadable",
                        (long long)id);
    }
    acme_account_row_free(&a);
    return rc;
}

int acme_request_verify(struct db *db, const char *body, size_t len, const char *url,
                        const char *acct_prefix, enum acme_key_by by, int64_t now,
                        struct acme_request *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    enum jws_fault f = JWS_OK;
    struct sm_err je = {0};
    if (jws_parse(body, len, &out->jws, &f, &je) < 0)
        return refuse(e, fault_code(f), je.field, je.detail);
    const struct jws *j = &out->jws;
    if (j->alg == JWS_HS256)
        return refuse(e, SM_E_ACME_BAD_SIG_ALG, "protected.alg", "MAC where a signature belongs");
    if (j->url == NULL || strcmp(j->url, url) != 0)
        return refuse(e, SM_E_ACME_UNAUTHORIZED, "protected.url",
                      "url header is not the request URL");
    if (j->nonce == NULL || j->nonce[0] == '\0')
        return refuse(e, SM_E_ACME_BAD_NONCE, "protected.nonce", "no nonce");
    EVP_PKEY *key = NULL;
    int rc = request_key(db, out, acct_prefix, by, &key, e);
    if (rc < 0)
        return rc;
    rc = jws_verify(j, key, &f, &je);
    if (key != j->jwk)
        EVP_PKEY_free(key);
    if (rc < 0)
        return refuse(e, fault_code(f), je.field, je.detail);
    rc = acme_nonce_redeem(db, j->nonce, now, e);
    if (rc == -SM_E_NOTFOUND)
        return refuse(e, SM_E_ACME_BAD_NONCE, "protected.nonce", "nonce unknown, used or expired");
    return rc;
}
