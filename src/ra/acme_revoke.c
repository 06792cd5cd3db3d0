/* SPDX-License-Identifier: MIT */
/* revokeCert (RFC 8555 7.6); see ra/acme_revoke.h. */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/acme_revoke.h"
#include "ra/revoke.h"
#include "store/certs.h"

#define CERT_B64_MAX (48 * 1024)

static int refuse(struct sm_err *e, int code, const char *field, const char *detail)
{
    return sm_err_set(e, code, field, "%s", detail);
}

/* The reason of the payload: absent = unspecified; the subscriber's BR 7.2.2 codes. */
static int reason_of(json_t *p, int by_cert_key, int *reason, struct sm_err *e)
{
    json_t *r = json_object_get(p, "reason");
    *reason = REVOKE_UNSPECIFIED;
    if (r == NULL)
        return 0;
    if (!json_is_integer(r))
        return refuse(e, SM_E_ACME_BAD_REV_REASON, "reason", "reason is not an integer");
    json_int_t v = json_integer_value(r);
    if (v != REVOKE_UNSPECIFIED && v != REVOKE_KEY_COMPROMISE && v != REVOKE_AFFILIATION_CHANGED &&
        v != REVOKE_SUPERSEDED && v != REVOKE_CESSATION_OF_OPERATION)
        return refuse(e, SM_E_ACME_BAD_REV_REASON, "reason",
                      "reason is not one of 0, 1, 3, 4, 5 (BR 7.2.2)");
    if (v == REVOKE_KEY_COMPROMISE && !by_cert_key)
        return refuse(e, SM_E_ACME_BAD_REV_REASON, "reason",
                      "keyCompromise is asked with a request signed by the certificate's key");
    *reason = (int)v;
    return 0;
}

/* The serial of x as lower-case hex without leading zeros. */
static int serial_of(X509 *x, char out[41])
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    int rc = hex != NULL ? revoke_serial_norm(hex, out) : -1;
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}

int acme_revoke(struct db *db, const struct acme_request *q, struct sm_err *e)
{
    int by_cert_key = q->account_id == 0;
    json_t *p =
        json_loadb((const char *)q->jws.payload, q->jws.payload_len, JSON_REJECT_DUPLICATES, NULL);
    const char *b64 = json_string_value(json_object_get(p, "certificate"));
    unsigned char *der = NULL;
    X509 *x = NULL;
    struct certs_row *c = NULL;
    int reason = 0, rc;
    char serial[41];
    if (!json_is_object(p) || b64 == NULL || strlen(b64) > CERT_B64_MAX) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "certificate", "payload needs certificate");
        goto out;
    }
    rc = reason_of(p, by_cert_key, &reason, e);
    if (rc < 0)
        goto out;
    size_t n = strlen(b64);
    der = malloc(n * 3 / 4 + 1);
    if (der == NULL) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto out;
    }
    long dn = b64url_decode(b64, n, der);
    const unsigned char *dp = der;
    x = dn > 0 ? d2i_X509(NULL, &dp, dn) : NULL;
    if (x == NULL || dp != der + dn || serial_of(x, serial) < 0) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "certificate", "certificate is no DER certificate");
        goto out;
    }
    rc = certs_get(db, serial, &c, e);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && (c->der == NULL || c->der_len != (size_t)dn ||
                                             memcmp(c->der, der, (size_t)dn) != 0))) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "certificate", "not a certificate of this CA");
        goto out;
    }
    if (rc < 0)
        goto out;
    if (by_cert_key ? EVP_PKEY_eq(X509_get0_pubkey(x), q->jws.jwk) != 1
                    : c->org_id <= 0 || c->org_id != q->org_id) {
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, by_cert_key ? "jwk" : "kid",
                    by_cert_key ? "the request is not signed with the certificate's key"
                                : "the certificate is not of the account's organization");
        goto out;
    }
    if (strcmp(c->state, "revoked") == 0) {
        rc = refuse(e, SM_E_ACME_ALREADY_REVOKED, "certificate", "certificate already revoked");
        goto out;
    }
    char actor[48];
    if (by_cert_key)
        snprintf(actor, sizeof actor, "acme:certificate-key");
    else
        snprintf(actor, sizeof actor, "acme:account:%lld", (long long)q->account_id);
    struct revoke_req r = {.actor = actor, .source = "acme", .serial = serial, .reason = reason};
    struct sm_err re = {0};
    rc = revoke_cert(db, &r, NULL, &re);
    if (rc == -SM_E_CONFLICT) {
        certs_row_free(c);
        c = NULL;
        int gone = certs_get(db, serial, &c, NULL) == 0 && strcmp(c->state, "revoked") == 0;
        rc = gone ? refuse(e, SM_E_ACME_ALREADY_REVOKED, "certificate",
                           "certificate already revoked")
                  : refuse(e, SM_E_ACME_UNAUTHORIZED, re.field, re.detail);
    } else if (rc < 0 && e != NULL) {
        *e = re;
    }
out:
    certs_row_free(c);
    X509_free(x);
    free(der);
    json_decref(p);
    return rc;
}
