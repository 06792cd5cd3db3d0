/* SPDX-License-Identifier: MIT */
/* OCSP requests and responses (see ocsp.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki/ocsp.h"
#include "pki/signer.h"

int ocsp_query_parse(const unsigned char *der, size_t len, struct ocsp_query *q, struct sm_err *e)
{
    memset(q, 0, sizeof *q);
    if (len > OCSP_REQUEST_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "request", "OCSP request over %d bytes",
                          OCSP_REQUEST_MAX);
    const unsigned char *p = der;
    q->req = der && len > 0 ? d2i_OCSP_REQUEST(NULL, &p, (long)len) : NULL;
    ERR_clear_error();
    if (q->req == NULL || p != der + len || OCSP_request_onereq_count(q->req) != 1) {
        ocsp_query_clear(q);
        return sm_err_set(e, SM_E_MALFORMED, "request", "not one OCSP request with one CertID");
    }
    q->id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(q->req, 0));
    ASN1_INTEGER *serial = NULL;
    ASN1_OBJECT *md = NULL;
    BIGNUM *bn = NULL;
    char *hex = NULL;
    if (q->id == NULL || !OCSP_id_get0_info(NULL, &md, NULL, &serial, q->id) || serial == NULL ||
        (bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL || BN_is_negative(bn) ||
        BN_num_bytes(bn) > 20 || (hex = BN_bn2hex(bn)) == NULL || EVP_get_digestbyobj(md) == NULL) {
        BN_free(bn);
        OPENSSL_free(hex);
        ERR_clear_error();
        ocsp_query_clear(q);
        return sm_err_set(e, SM_E_MALFORMED, "request", "unreadable CertID");
    }
    size_t k = 0;
    for (const char *s = hex; *s && k < sizeof q->serial - 1; s++) {
        char c = *s >= 'A' && *s <= 'F' ? (char)(*s - 'A' + 'a') : *s;
        if (k == 0 && c == '0' && s[1] != '\0')
            continue;
        q->serial[k++] = c;
    }
    q->serial[k] = '\0';
    BN_free(bn);
    OPENSSL_free(hex);
    return 0;
}

void ocsp_query_clear(struct ocsp_query *q)
{
    if (q == NULL)
        return;
    OCSP_REQUEST_free(q->req);
    memset(q, 0, sizeof *q);
}

int ocsp_query_issuer_is(const struct ocsp_query *q, X509 *issuer)
{
    ASN1_OBJECT *mdo = NULL;
    if (q == NULL || q->id == NULL || issuer == NULL ||
        !OCSP_id_get0_info(NULL, &mdo, NULL, NULL, q->id))
        return 0;
    const EVP_MD *md = EVP_get_digestbyobj(mdo);
    OCSP_CERTID *mine = md ? OCSP_cert_id_new(md, X509_get_subject_name(issuer),
                                              X509_get0_pubkey_bitstr(issuer), NULL)
                           : NULL;
    int same = mine != NULL && OCSP_id_issuer_cmp(mine, q->id) == 0;
    OCSP_CERTID_free(mine);
    ERR_clear_error();
    return same;
}

int ocsp_b64_decode(const char *s, unsigned char *out, size_t cap)
{
    char buf[OCSP_REQUEST_MAX * 2];
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n + 4 > sizeof buf)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == ' ')
            c = '+'; /* a '+' decoded as a space by a form decoder */
        buf[k++] = c;
    }
    while (k % 4 != 0)
        buf[k++] = '=';
    buf[k] = '\0';
    if (k / 4 * 3 > cap)
        return -1;
    int l = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)k);
    if (l < 0)
        return -1;
    for (size_t i = k; i > 0 && buf[i - 1] == '='; i--)
        l--;
    return l;
}

int ocsp_response_error(int status, unsigned char **der, size_t *len)
{
    *der = NULL;
    *len = 0;
    OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
    int l = r ? i2d_OCSP_RESPONSE(r, der) : -1;
    OCSP_RESPONSE_free(r);
    if (l <= 0)
        return -SM_E_NOMEM;
    *len = (size_t)l;
    return 0;
}

int ocsp_response_sign(const struct ocsp_query *q, const struct ocsp_answer *a, X509 *responder,
                       struct signer *s, unsigned char **der, size_t *len, struct sm_err *e)
{
    *der = NULL;
    *len = 0;
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)a->this_update);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)a->next_update);
    ASN1_TIME *rt =
        a->status == OCSP_ST_REVOKED ? ASN1_TIME_set(NULL, (time_t)a->revoked_at) : NULL;
    int st = a->status == OCSP_ST_GOOD      ? V_OCSP_CERTSTATUS_GOOD
             : a->status == OCSP_ST_REVOKED ? V_OCSP_CERTSTATUS_REVOKED
                                            : V_OCSP_CERTSTATUS_UNKNOWN;
    int reason =
        a->status == OCSP_ST_REVOKED && a->reason != 0 ? a->reason : OCSP_REVOKED_STATUS_NOSTATUS;
    int ok = bs != NULL && tu != NULL && nu != NULL &&
             (a->status != OCSP_ST_REVOKED || rt != NULL) &&
             OCSP_basic_add1_status(bs, q->id, st, reason, rt, tu, nu) != NULL &&
             (q->req == NULL || OCSP_copy_nonce(bs, q->req) > 0);
    int rc = ok ? signer_sign_ocsp(s, bs, responder, e) : sm_err_openssl(e, "OCSP response");
    OCSP_RESPONSE *r = rc == 0 ? OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs) : NULL;
    int l = r ? i2d_OCSP_RESPONSE(r, der) : -1;
    OCSP_RESPONSE_free(r);
    OCSP_BASICRESP_free(bs);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ASN1_TIME_free(rt);
    if (rc < 0)
        return rc;
    if (l <= 0)
        return sm_err_openssl(e, "OCSP response");
    *len = (size_t)l;
    return 0;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static X509_NAME *responder_name(X509 *issuer)
{
    X509_NAME *n = X509_NAME_dup(X509_get_subject_name(issuer));
    if (n == NULL)
        return NULL;
    char cn[200] = "";
    int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    if (i >= 0) {
        X509_NAME_get_text_by_NID(n, NID_commonName, cn, (int)sizeof cn - 20);
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
    }
    char full[240];
    snprintf(full, sizeof full, "%s%sOCSP Responder", cn, cn[0] ? " " : "");
    if (!X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (unsigned char *)full, -1, -1,
                                    0)) {
        X509_NAME_free(n);
        return NULL;
    }
    return n;
}

int ocsp_responder_make(X509 *issuer, struct signer *s, EVP_PKEY *pub, int64_t not_before,
                        int64_t not_after, X509 **out, struct sm_err *e)
{
    *out = NULL;
    X509 *x = X509_new();
    X509_NAME *name = responder_name(issuer);
    unsigned char sn[16];
    BIGNUM *bn = NULL;
    int ok = x != NULL && name != NULL && RAND_bytes(sn, sizeof sn) == 1;
    sn[0] &= 0x7f;
    sn[0] |= 0x01;
    ok = ok && (bn = BN_bin2bn(sn, sizeof sn, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
         X509_set_version(x, X509_VERSION_3) &&
         X509_set_issuer_name(x, X509_get_subject_name(issuer)) && X509_set_subject_name(x, name) &&
         ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) != NULL &&
         ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) != NULL && X509_set_pubkey(x, pub);
    X509V3_CTX ctx;
    if (ok) {
        X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
        ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, &ctx, NID_ext_key_usage, "OCSPSigning") &&
             add_ext(x, &ctx, NID_id_pkix_OCSP_noCheck, "ignored") &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    }
    BN_free(bn);
    X509_NAME_free(name);
    int rc = ok ? signer_sign_cert(s, x, e) : sm_err_openssl(e, "OCSP responder certificate");
    if (rc < 0) {
        X509_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

int ocsp_query_presignable(const struct ocsp_query *q)
{
    ASN1_OBJECT *md = NULL;
    if (q->req == NULL || q->id == NULL ||
        OCSP_REQUEST_get_ext_by_NID(q->req, NID_id_pkix_OCSP_Nonce, -1) >= 0)
        return 0;
    if (OCSP_id_get0_info(NULL, &md, NULL, NULL, q->id) != 1 || md == NULL)
        return 0;
    return OBJ_obj2nid(md) == NID_sha1;
}

int ocsp_response_presign(X509 *issuer, const char *serial, const struct ocsp_answer *a,
                          X509 *responder, struct signer *s, unsigned char **der, size_t *len,
                          struct sm_err *e)
{
    *der = NULL;
    *len = 0;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    if (BN_hex2bn(&bn, serial) <= 0 || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
        BN_free(bn);
        return sm_err_set(e, SM_E_INVALID, "serial", "serial %s is not hexadecimal", serial);
    }
    BN_free(bn);
    ASN1_BIT_STRING *ik = X509_get0_pubkey_bitstr(issuer);
    OCSP_CERTID *id =
        ik ? OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer), ik, sn) : NULL;
    ASN1_INTEGER_free(sn);
    if (id == NULL)
        return sm_err_openssl(e, "OCSP CertID");
    struct ocsp_query q = {.req = NULL, .id = id};
    int rc = ocsp_response_sign(&q, a, responder, s, der, len, e);
    OCSP_CERTID_free(id);
    return rc;
}
