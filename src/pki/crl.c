/* SPDX-License-Identifier: MIT */
/* Full CRLs (see crl.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/text.h"
#include "pki/crl.h"
#include "pki/signer.h"

int crl_reason_allowed(int reason)
{
    return reason == 0 || reason == 1 || reason == 3 || reason == 4 || reason == 5 || reason == 9;
}

static int serial_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 40 && text_is_lower_hex(s, n);
}

int crl_lint(const struct crl_params *p, const struct crl_entry *v, size_t n, struct sm_err *e)
{
    if (p == NULL || p->issuer == NULL || p->signer == NULL)
        return sm_err_set(e, SM_E_LINT, "issuer", "no issuer or key");
    if (p->number <= 0)
        return sm_err_set(e, SM_E_LINT, "crl_number", "the CRL number must be positive");
    int64_t span = p->next_update - p->this_update;
    if (span <= 0 || span > CRL_MAX_VALIDITY)
        return sm_err_set(e, SM_E_LINT, "next_update",
                          "nextUpdate must be after thisUpdate and at most 10 days later");
    const char *md = signer_digest(p->signer);
    if (md == NULL || (strcmp(md, "SHA256") != 0 && strcmp(md, "SHA384") != 0))
        return sm_err_set(e, SM_E_LINT, "signature", "CRL digest must be SHA-256 or SHA-384");
    for (size_t i = 0; i < n; i++) {
        if (!serial_ok(v[i].serial))
            return sm_err_set(e, SM_E_LINT, "serial", "bad serial on the CRL");
        if (!crl_reason_allowed(v[i].reason))
            return sm_err_set(e, SM_E_LINT, "reason", "reason %d is not allowed on a CRL",
                              v[i].reason);
        if (v[i].revoked_at <= 0 || v[i].revoked_at > p->this_update)
            return sm_err_set(e, SM_E_LINT, "revoked_at",
                              "serial %s: revocation date after "
                              "thisUpdate",
                              v[i].serial);
    }
    return 0;
}

static int set_time(X509_CRL *crl, int64_t t, int next)
{
    ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);
    if (a == NULL)
        return 0;
    int ok = next ? X509_CRL_set1_nextUpdate(crl, a) : X509_CRL_set1_lastUpdate(crl, a);
    ASN1_TIME_free(a);
    return ok;
}

static int add_entry(X509_CRL *crl, const struct crl_entry *en)
{
    X509_REVOKED *r = X509_REVOKED_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)en->revoked_at);
    int ok = r != NULL && t != NULL && BN_hex2bn(&bn, en->serial) > 0 &&
             (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
             X509_REVOKED_set_serialNumber(r, serial) && X509_REVOKED_set_revocationDate(r, t);
    if (ok && en->reason != 0) {
        ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();
        ok = code != NULL && ASN1_ENUMERATED_set(code, en->reason) &&
             X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0) > 0;
        ASN1_ENUMERATED_free(code);
    }
    if (ok)
        ok = X509_CRL_add0_revoked(crl, r);
    if (!ok)
        X509_REVOKED_free(r);
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(t);
    return ok;
}

static int add_extensions(X509_CRL *crl, const struct crl_params *p)
{
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    int ok = num != NULL && ASN1_INTEGER_set_int64(num, p->number) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) > 0;
    ASN1_INTEGER_free(num);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(p->issuer);
    AUTHORITY_KEYID *aki = ok ? AUTHORITY_KEYID_new() : NULL;
    ok = aki != NULL && ski != NULL && (aki->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
         X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0) > 0;
    AUTHORITY_KEYID_free(aki);
    return ok;
}

int crl_sign(const struct crl_params *p, const struct crl_entry *v, size_t n, unsigned char **der,
             size_t *len, struct sm_err *e)
{
    *der = NULL;
    *len = 0;
    int rc = crl_lint(p, v, n, e);
    if (rc < 0)
        return rc;
    X509_CRL *crl = X509_CRL_new();
    int ok = crl != NULL && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->issuer)) &&
             set_time(crl, p->this_update, 0) && set_time(crl, p->next_update, 1);
    for (size_t i = 0; ok && i < n; i++)
        ok = add_entry(crl, &v[i]);
    if (ok)
        ok = X509_CRL_sort(crl) && add_extensions(crl, p);
    if (!ok)
        rc = sm_err_openssl(e, "CRL");
    if (rc == 0)
        rc = signer_sign_crl(p->signer, crl, e);
    if (rc == 0) {
        int l = i2d_X509_CRL(crl, der);
        if (l <= 0)
            rc = sm_err_openssl(e, "CRL encoding");
        else
            *len = (size_t)l;
    }
    X509_CRL_free(crl);
    return rc;
}

int pki_cert_spki_sha256(const unsigned char *der, size_t len, char hex[65])
{
    const unsigned char *p = der;
    X509 *x = der ? d2i_X509(NULL, &p, (long)len) : NULL;
    unsigned char *spki = NULL, md[32];
    int l = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki) : -1;
    int ok = l > 0 && EVP_Digest(spki, (size_t)l, md, NULL, EVP_sha256(), NULL);
    OPENSSL_free(spki);
    X509_free(x);
    if (!ok)
        return -1;
    text_hex(hex, md, 32);
    return 0;
}
