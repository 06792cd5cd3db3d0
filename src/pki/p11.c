/* SPDX-License-Identifier: MIT */
/* PKCS#11 keys; see p11.h. The EVP_PKEY of a token key is a legacy EC_KEY or RSA with a
 * method whose signing calls C_Sign: OpenSSL 3 treats such keys as "foreign" and routes
 * EVP_DigestSign (and so X509_sign_ctx, X509_CRL_sign_ctx, OCSP_basic_sign_ctx) to the
 * method. Those method hooks are deprecated in OpenSSL 3.0 but kept for exactly this;
 * Debian 12 ships no PKCS#11 provider, so they are the one way to give OpenSSL a key it
 * cannot read. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <p11-kit/pkcs11.h>

#include "core/failalloc.h"
#include "core/text.h"
#include "pki/p11.h"

/* ---- URIs (RFC 7512) ---- */

/* Percent-decodes s[0..len) into out (cap bytes); returns the length or -1. */
static long pct_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int a = i + 2 < len ? text_hex_value(s[i + 1]) : -1;
            int b = i + 2 < len ? text_hex_value(s[i + 2]) : -1;
            if (a < 0 || b < 0)
                return -1;
            c = a * 16 + b;
            i += 2;
        }
        if (n >= cap)
            return -1;
        out[n++] = (unsigned char)c;
    }
    return (long)n;
}

static int decode_text(const char *v, size_t len, char *out, size_t cap)
{
    long n = pct_decode(v, len, (unsigned char *)out, cap - 1);
    if (n < 0 || memchr(out, '\0', (size_t)n) != NULL)
        return -1;
    out[n] = '\0';
    return 0;
}

int p11_uri_parse(const char *uri, struct p11_uri *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (uri == NULL || strncmp(uri, "pkcs11:", 7) != 0)
        return sm_err_set(e, SM_E_CONFIG, "key", "not a PKCS#11 URI");
    if (strstr(uri, "pin-value") != NULL || strstr(uri, "pin-source") != NULL)
        return sm_err_set(e, SM_E_CONFIG, "key",
                          "a PKCS#11 URI must not carry the PIN: set [hsm] pin or SHOMEI_HSM_PIN");
    const char *p = uri + 7;
    const char *end = p + strcspn(p, "?"); /* query attributes (module-path ...) unused */
    while (p < end) {
        size_t len = strcspn(p, ";?");
        const char *eq = memchr(p, '=', len);
        if (eq == NULL)
            return sm_err_set(e, SM_E_CONFIG, "key", "PKCS#11 URI attribute without '='");
        size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
        int bad = 0;
        if (klen == 5 && memcmp(p, "token", 5) == 0)
            bad = decode_text(eq + 1, vlen, out->token, sizeof out->token);
        else if (klen == 6 && memcmp(p, "object", 6) == 0)
            bad = decode_text(eq + 1, vlen, out->object, sizeof out->object);
        else if (klen == 2 && memcmp(p, "id", 2) == 0) {
            long n = pct_decode(eq + 1, vlen, out->id, sizeof out->id);
            bad = n <= 0;
            out->id_len = n > 0 ? (size_t)n : 0;
        } else if (klen == 4 && memcmp(p, "type", 4) == 0)
            bad = !(vlen == 7 && memcmp(eq + 1, "private", 7) == 0);
        if (bad)
            return sm_err_set(e, SM_E_CONFIG, "key", "bad PKCS#11 URI attribute '%.*s'",
                              (int)(klen > 40 ? 40 : klen), p);
        p += len;
        if (p < end && *p == ';')
            p++;
    }
    if (out->token[0] == '\0' || (out->object[0] == '\0' && out->id_len == 0))
        return sm_err_set(e, SM_E_CONFIG, "key",
                          "a PKCS#11 key URI needs token= and object= (or id=)");
    return 0;
}

static void pct_encode(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s != '\0' && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
    }
    out[n] = '\0';
}

/* ---- the module ---- */

static pthread_mutex_t mod_lock = PTHREAD_MUTEX_INITIALIZER;
static void *mod_handle; /* kept loaded for the process once loaded */
static CK_FUNCTION_LIST_PTR fl;
static char mod_path[4096];
static int mod_refs;

static const char *rv_name(CK_RV rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    default: return "CKR_other";
    }
}

static int rv_err(struct sm_err *e, CK_RV rv, const char *what)
{
    return sm_err_set(e, SM_E_CRYPTO, "hsm", "PKCS#11 %s failed: %s (0x%lx)", what, rv_name(rv),
                      (unsigned long)rv);
}

static int mod_acquire(const char *module, struct sm_err *e)
{
    if (module == NULL || module[0] == '\0')
        return sm_err_set(e, SM_E_CONFIG, "hsm.module",
                          "a CA key is in a PKCS#11 token but [hsm] module is not set");
    pthread_mutex_lock(&mod_lock);
    int rc = 0;
    if (mod_refs > 0 && strcmp(mod_path, module) != 0)
        rc = sm_err_set(e, SM_E_CONFIG, "hsm.module", "one PKCS#11 module per process");
    if (rc == 0 && mod_handle == NULL) {
        mod_handle = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        CK_C_GetFunctionList get =
            mod_handle != NULL ? (CK_C_GetFunctionList)dlsym(mod_handle, "C_GetFunctionList")
                               : NULL;
        if (get == NULL || get(&fl) != CKR_OK || fl == NULL) {
            rc = sm_err_set(e, SM_E_CONFIG, "hsm.module", "cannot load PKCS#11 module %.200s: %s",
                            module, mod_handle == NULL ? dlerror() : "no C_GetFunctionList");
            if (mod_handle != NULL)
                dlclose(mod_handle);
            mod_handle = NULL;
            fl = NULL;
        } else {
            snprintf(mod_path, sizeof mod_path, "%s", module);
        }
    } else if (rc == 0 && strcmp(mod_path, module) != 0) {
        rc = sm_err_set(e, SM_E_CONFIG, "hsm.module", "one PKCS#11 module per process");
    }
    if (rc == 0 && mod_refs == 0) {
        CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
        CK_RV rv = fl->C_Initialize(&args);
        if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
            rc = rv_err(e, rv, "C_Initialize");
    }
    if (rc == 0)
        mod_refs++;
    pthread_mutex_unlock(&mod_lock);
    return rc;
}

static void mod_release(void)
{
    pthread_mutex_lock(&mod_lock);
    if (mod_refs > 0 && --mod_refs == 0)
        fl->C_Finalize(NULL);
    pthread_mutex_unlock(&mod_lock);
}

/* ---- sessions and objects ---- */

static int find_slot(const char *token, CK_SLOT_ID *out, struct sm_err *e)
{
    CK_ULONG n = 0;
    CK_RV rv = fl->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK)
        return rv_err(e, rv, "C_GetSlotList");
    CK_SLOT_ID *slots = n > 0 ? sm_calloc(n, sizeof *slots) : NULL;
    if (n > 0 && slots == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    rv = n > 0 ? fl->C_GetSlotList(CK_TRUE, slots, &n) : CKR_OK;
    int found = 0;
    for (CK_ULONG i = 0; rv == CKR_OK && i < n && !found; i++) {
        CK_TOKEN_INFO ti;
        if (fl->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
            continue;
        size_t len = sizeof ti.label;
        while (len > 0 && ti.label[len - 1] == ' ')
            len--;
        if (len == strlen(token) && memcmp(ti.label, token, len) == 0) {
            *out = slots[i];
            found = 1;
        }
    }
    free(slots);
    if (rv != CKR_OK)
        return rv_err(e, rv, "C_GetSlotList");
    return found ? 0
                 : sm_err_set(e, SM_E_CONFIG, "hsm", "no PKCS#11 token labelled '%.64s'", token);
}

static int open_session(const char *token, const char *pin, CK_SESSION_HANDLE *out,
                        struct sm_err *e)
{
    if (pin == NULL || pin[0] == '\0')
        return sm_err_set(e, SM_E_CONFIG, "hsm.pin",
                          "no HSM PIN: set [hsm] pin in shomei.ini or SHOMEI_HSM_PIN");
    CK_SLOT_ID slot = 0;
    int rc = find_slot(token, &slot, e);
    if (rc < 0)
        return rc;
    CK_RV rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, out);
    if (rv != CKR_OK)
        return rv_err(e, rv, "C_OpenSession");
    rv = fl->C_Login(*out, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return 0;
    fl->C_CloseSession(*out);
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE)
        return sm_err_set(e, SM_E_FORBIDDEN, "hsm.pin",
                          "HSM login to token '%.64s' refused: %s (check [hsm] pin or "
                          "SHOMEI_HSM_PIN)",
                          token, rv_name(rv));
    return rv_err(e, rv, "C_Login");
}

/* Up to two matches of class (or any class when cls is -1) with the URI's label and id. */
static int find_objects(CK_SESSION_HANDLE s, long cls, const struct p11_uri *u,
                        CK_OBJECT_HANDLE found[2], CK_ULONG *count, struct sm_err *e)
{
    CK_OBJECT_CLASS c = (CK_OBJECT_CLASS)cls;
    CK_ATTRIBUTE t[3];
    CK_ULONG n = 0;
    if (cls >= 0)
        t[n++] = (CK_ATTRIBUTE){CKA_CLASS, &c, sizeof c};
    if (u->object[0] != '\0')
        t[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)u->object, strlen(u->object)};
    if (u->id_len > 0)
        t[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)u->id, u->id_len};
    CK_RV rv = fl->C_FindObjectsInit(s, t, n);
    if (rv == CKR_OK) {
        rv = fl->C_FindObjects(s, found, 2, count);
        fl->C_FindObjectsFinal(s);
    }
    return rv == CKR_OK ? 0 : rv_err(e, rv, "C_FindObjects");
}

static int get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                    unsigned char **out, CK_ULONG *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    *out = NULL;
    if (fl->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen == 0 ||
        a.ulValueLen > 65536 || (a.pValue = sm_calloc(1, a.ulValueLen)) == NULL)
        return -1;
    if (fl->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) {
        free(a.pValue);
        return -1;
    }
    *out = a.pValue;
    *len = a.ulValueLen;
    return 0;
}

/* ---- keys ---- */

struct p11_key {
    CK_SESSION_HANDLE sess;
    CK_OBJECT_HANDLE priv;
    pthread_mutex_t lock;
};

static void key_close(struct p11_key *k)
{
    if (k == NULL)
        return;
    fl->C_CloseSession(k->sess);
    pthread_mutex_destroy(&k->lock);
    free(k);
    mod_release();
}

static int sign_raw(struct p11_key *k, CK_MECHANISM_TYPE mech, const unsigned char *in,
                    CK_ULONG inlen, unsigned char *out, CK_ULONG *outlen)
{
    CK_MECHANISM m = {mech, NULL, 0};
    pthread_mutex_lock(&k->lock);
    CK_RV rv = fl->C_SignInit(k->sess, &m, k->priv);
    if (rv == CKR_OK)
        rv = fl->C_Sign(k->sess, (CK_BYTE_PTR)in, inlen, out, outlen);
    pthread_mutex_unlock(&k->lock);
    return rv == CKR_OK ? 0 : -1;
}

static pthread_once_t methods_once = PTHREAD_ONCE_INIT;
static int ec_idx = -1, rsa_idx = -1;
static EC_KEY_METHOD *ec_meth;
static RSA_METHOD *rsa_meth;

static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
                              const BIGNUM *r, EC_KEY *ec)
{
    struct p11_key *k = EC_KEY_get_ex_data(ec, ec_idx);
    unsigned char sig[256];
    CK_ULONG len = sizeof sig;
    if (k == NULL || dlen <= 0 || sign_raw(k, CKM_ECDSA, dgst, (CK_ULONG)dlen, sig, &len) < 0 ||
        len == 0 || len % 2 != 0)
        return NULL;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(sig, (int)(len / 2), NULL);
    BIGNUM *bs = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
    if (s == NULL || br == NULL || bs == NULL || !ECDSA_SIG_set0(s, br, bs)) {
        ECDSA_SIG_free(s);
        BN_free(br);
        BN_free(bs);
        return NULL;
    }
    return s;
}

static int ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
                   unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
    ECDSA_SIG *s = ec_sign_sig(dgst, dlen, kinv, r, ec);
    if (s == NULL)
        return 0;
    unsigned char *p = sig;
    int len = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    if (len <= 0)
        return 0;
    *siglen = (unsigned int)len;
    return 1;
}

static int rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
                        int padding)
{
    struct p11_key *k = RSA_get_ex_data(rsa, rsa_idx);
    CK_ULONG len = (CK_ULONG)RSA_size(rsa);
    if (k == NULL || padding != RSA_PKCS1_PADDING || flen <= 0 ||
        sign_raw(k, CKM_RSA_PKCS, from, (CK_ULONG)flen, to, &len) < 0)
        return -1;
    return (int)len;
}

static void free_key(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    key_close(ptr);
}

static void make_methods(void)
{
    ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, free_key);
    rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, free_key);
    ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (ec_meth != NULL)
        EC_KEY_METHOD_set_sign(ec_meth, ec_sign, NULL, ec_sign_sig);
    rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    if (rsa_meth != NULL && (!RSA_meth_set1_name(rsa_meth, "shomei PKCS#11") ||
                             !RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc))) {
        RSA_meth_free(rsa_meth);
        rsa_meth = NULL;
    }
}

/* The EC_POINT attribute: DER OCTET STRING (PKCS#11 2.20+) or the bare point. */
static EC_KEY *ec_public(const unsigned char *params, CK_ULONG plen, const unsigned char *point,
                         CK_ULONG ptlen)
{
    const unsigned char *p = params;
    ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)plen);
    int nid = oid != NULL ? OBJ_obj2nid(oid) : NID_undef;
    ASN1_OBJECT_free(oid);
    EC_KEY *ec = nid != NID_undef ? EC_KEY_new_by_curve_name(nid) : NULL;
    if (ec == NULL)
        return NULL;
    p = point;
    ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)ptlen);
    const unsigned char *q = point;
    long qlen = (long)ptlen;
    if (os != NULL && p == point + ptlen) {
        q = ASN1_STRING_get0_data(os);
        qlen = ASN1_STRING_length(os);
    }
    int ok = o2i_ECPublicKey(&ec, &q, qlen) != NULL;
    ASN1_OCTET_STRING_free(os);
    if (!ok) {
        EC_KEY_free(ec);
        return NULL;
    }
    return ec;
}

/* Builds the EVP_PKEY of k from its public object; takes k (freed with the key). */
static int make_pkey(struct p11_key *k, CK_OBJECT_HANDLE pub, EVP_PKEY **out, struct sm_err *e)
{
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
    unsigned char *x = NULL, *y = NULL;
    CK_ULONG xl = 0, yl = 0;
    EVP_PKEY *pk = EVP_PKEY_new();
    int ok = 0;
    if (pk == NULL || fl->C_GetAttributeValue(k->sess, k->priv, &a, 1) != CKR_OK) {
        /* nothing */
    } else if (kt == CKK_EC && ec_meth != NULL &&
               get_attr(k->sess, pub, CKA_EC_PARAMS, &x, &xl) == 0 &&
               get_attr(k->sess, pub, CKA_EC_POINT, &y, &yl) == 0) {
        EC_KEY *ec = ec_public(x, xl, y, yl);
        if (ec != NULL && EC_KEY_set_method(ec, ec_meth) && EC_KEY_set_ex_data(ec, ec_idx, k)) {
            k = NULL; /* owned by ec now */
            ok = EVP_PKEY_assign_EC_KEY(pk, ec);
        }
        if (!ok)
            EC_KEY_free(ec);
    } else if (kt == CKK_RSA && rsa_meth != NULL &&
               get_attr(k->sess, pub, CKA_MODULUS, &x, &xl) == 0 &&
               get_attr(k->sess, pub, CKA_PUBLIC_EXPONENT, &y, &yl) == 0) {
        RSA *rsa = RSA_new();
        BIGNUM *n = BN_bin2bn(x, (int)xl, NULL), *ex = BN_bin2bn(y, (int)yl, NULL);
        if (rsa != NULL && n != NULL && ex != NULL && RSA_set0_key(rsa, n, ex, NULL)) {
            n = ex = NULL;
            if (RSA_set_method(rsa, rsa_meth) && RSA_set_ex_data(rsa, rsa_idx, k)) {
                k = NULL;
                ok = EVP_PKEY_assign_RSA(pk, rsa);
            }
        }
        BN_free(n);
        BN_free(ex);
        if (!ok)
            RSA_free(rsa);
    }
    free(x);
    free(y);
    key_close(k);
    if (!ok) {
        EVP_PKEY_free(pk);
        return sm_err_set(e, SM_E_CRYPTO, "hsm",
                          "the token key is not an EC or RSA key with a readable public key");
    }
    *out = pk;
    return 0;
}

int p11_key_open(const char *module, const char *uri, const char *pin, EVP_PKEY **out,
                 struct sm_err *e)
{
    *out = NULL;
    struct p11_uri u;
    int rc = p11_uri_parse(uri, &u, e);
    if (rc < 0)
        return rc;
    pthread_once(&methods_once, make_methods);
    rc = mod_acquire(module, e);
    if (rc < 0)
        return rc;
    struct p11_key *k = sm_calloc(1, sizeof *k);
    if (k == NULL) {
        mod_release();
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    pthread_mutex_init(&k->lock, NULL);
    rc = open_session(u.token, pin, &k->sess, e);
    if (rc < 0) {
        pthread_mutex_destroy(&k->lock);
        free(k);
        mod_release();
        return rc;
    }
    CK_OBJECT_HANDLE priv[2], pub[2];
    CK_ULONG np = 0, nq = 0;
    rc = find_objects(k->sess, CKO_PRIVATE_KEY, &u, priv, &np, e);
    if (rc == 0)
        rc = find_objects(k->sess, CKO_PUBLIC_KEY, &u, pub, &nq, e);
    if (rc == 0 && (np != 1 || nq != 1))
        rc = sm_err_set(e, SM_E_CONFIG, "key",
                        np == 0   ? "no private key %.200s in the token"
                        : np > 1  ? "more than one private key matches %.200s"
                        : nq == 0 ? "no public key object beside %.200s in the token"
                                  : "more than one public key matches %.200s",
                        uri);
    if (rc < 0) {
        key_close(k);
        return rc;
    }
    k->priv = priv[0];
    return make_pkey(k, pub[0], out, e);
}

int p11_key_generate(const char *module, const char *token, const char *object, enum keyfile_type t,
                     const char *pin, char *uri, size_t n, EVP_PKEY **out, struct sm_err *e)
{
    *out = NULL;
    char tok[3 * P11_LABEL_MAX + 1], obj[3 * P11_LABEL_MAX + 1];
    if (strlen(token) > P11_LABEL_MAX || strlen(object) > P11_LABEL_MAX)
        return sm_err_set(e, SM_E_CONFIG, "hsm.token", "token or key label too long");
    pct_encode(token, tok, sizeof tok);
    pct_encode(object, obj, sizeof obj);
    int w = snprintf(uri, n, "pkcs11:token=%s;object=%s;type=private", tok, obj);
    if (w < 0 || (size_t)w >= n)
        return sm_err_set(e, SM_E_TOO_LARGE, "key", "PKCS#11 URI too long");
    struct p11_uri u;
    int rc = p11_uri_parse(uri, &u, e);
    if (rc == 0)
        rc = mod_acquire(module, e);
    if (rc < 0)
        return rc;
    CK_SESSION_HANDLE s = 0;
    rc = open_session(token, pin, &s, e);
    if (rc < 0) {
        mod_release();
        return rc;
    }
    CK_OBJECT_HANDLE found[2];
    CK_ULONG nf = 0;
    rc = find_objects(s, -1, &u, found, &nf, e);
    if (rc == 0 && nf > 0)
        rc = sm_err_set(e, SM_E_EXISTS, "key",
                        "token '%.64s' already has an object labelled '%.64s'", token, object);
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG bits = t == KEYFILE_RSA_2048 ? 2048 : t == KEYFILE_RSA_3072 ? 3072 : 4096;
    CK_BYTE f4[] = {1, 0, 1};
    unsigned char *params = NULL;
    int plen = 0;
    int ec = t == KEYFILE_EC_P256 || t == KEYFILE_EC_P384;
    if (rc == 0 && ec) {
        ASN1_OBJECT *oid = OBJ_nid2obj(t == KEYFILE_EC_P256 ? NID_X9_62_prime256v1 : NID_secp384r1);
        plen = oid != NULL ? i2d_ASN1_OBJECT(oid, &params) : 0;
        if (plen <= 0)
            rc = sm_err_openssl(e, "curve");
    }
    CK_ULONG olen = strlen(object);
    CK_ATTRIBUTE pubt[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_LABEL, (void *)object, olen},
        {CKA_ID, (void *)object, olen},
        ec ? (CK_ATTRIBUTE){CKA_EC_PARAMS, params, (CK_ULONG)plen}
           : (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof bits},
        {CKA_PUBLIC_EXPONENT, f4, sizeof f4},
    };
    CK_ATTRIBUTE privt[] = {
        {CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes}, {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},      {CKA_LABEL, (void *)object, olen},
        {CKA_ID, (void *)object, olen},
    };
    CK_MECHANISM m = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
    if (rc == 0) {
        CK_RV rv = fl->C_GenerateKeyPair(s, &m, pubt, ec ? 5 : 6, privt,
                                         sizeof privt / sizeof privt[0], &hpub, &hpriv);
        if (rv != CKR_OK)
            rc = rv_err(e, rv, "C_GenerateKeyPair");
    }
    OPENSSL_free(params);
    /* opened by its URI like any other key, before this session closes (login stays) */
    if (rc == 0)
        rc = p11_key_open(module, uri, pin, out, e);
    fl->C_CloseSession(s);
    mod_release();
    return rc;
}
