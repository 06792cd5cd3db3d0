/* SPDX-License-Identifier: MIT */
/* revokeCert (RFC 8555 7.6); see ra/acme_revoke.h. */
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "core/clock.h"
#include "ra/acme_revoke.h"
#include "ra/dcv.h"
#include "store/acme_orders.h"
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

/* RFC 8555 7.6: 1 if account_id holds a valid authorization, its validation inside the
 * dated reuse period (R-VAL-2), for every DNS name of x; 0 otherwise (why names the first
 * name missing); <0 on error. */
static int account_holds_names(struct db *db, int64_t account_id, X509 *x, char *why, size_t wn,
                               struct sm_err *e)
{
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = g ? sk_GENERAL_NAME_num(g) : 0, rc = n > 0 ? 1 : 0, seen = 0;
    time_t now = clock_now();
    if (n <= 0)
        snprintf(why, wn, "the certificate names no DNS name");
    for (int i = 0; rc == 1 && i < n; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
        if (gn->type != GEN_DNS) { /* an IP address: never authorized through ACME here */
            snprintf(why, wn, "the certificate names an address");
            rc = 0;
            break;
        }
        char name[256];
        int len = ASN1_STRING_length(gn->d.dNSName);
        if (len <= 0 || len >= (int)sizeof name) {
            rc = 0;
            break;
        }
        memcpy(name, ASN1_STRING_get0_data(gn->d.dNSName), (size_t)len);
        name[len] = '\0';
        int wild = strncmp(name, "*.", 2) == 0;
        struct acme_authz_row a;
        int r = acme_authz_last_valid(db, 0, account_id, name + (wild ? 2 : 0), wild, &a, e);
        if (r == -SM_E_NOTFOUND) {
            sm_err_clear(e);
            snprintf(why, wn, "the account holds no valid authorization for %s", name);
            rc = 0;
        } else if (r < 0) {
            rc = r;
        } else {
            if (!dcv_reusable((time_t)a.validated_at, now)) {
                snprintf(why, wn,
                         "the account's authorization for %s is older than the reuse period", name);
                rc = 0;
            }
            acme_authz_rows_free(&a, 1);
            seen++;
        }
    }
    GENERAL_NAMES_free(g);
    return rc == 1 && seen == n ? 1 : rc < 0 ? rc : 0;
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
    int holds = 0; /* RFC 8555 7.6: an account authorized for every name of the certificate */
    char why[320] = "";
    if (!by_cert_key && (c->org_id <= 0 || c->org_id != q->org_id)) {
        holds = account_holds_names(db, q->account_id, x, why, sizeof why, e);
        if (holds < 0) {
            rc = holds;
            goto out;
        }
    }
    if (by_cert_key ? EVP_PKEY_eq(X509_get0_pubkey(x), q->jws.jwk) != 1
                    : (c->org_id <= 0 || c->org_id != q->org_id) && holds != 1) {
        if (by_cert_key)
            rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "jwk",
                        "the request is not signed with the certificate's key");
        else
            rc = sm_err_set(e, SM_E_ACME_UNAUTHORIZED, "kid",
                            "the certificate is not of the account's organization, and %s", why);
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
