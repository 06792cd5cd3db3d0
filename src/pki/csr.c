/* SPDX-License-Identifier: MIT */
/* CSR check (R-CSR-1..4): input decoding (PEM variants, bare base64, DER), then the key,
 * signature, subject, requested extensions and names, each failure as a coded problem.
 * Must not echo pasted private keys, must not fail on hostile input (fuzzed), and
 * never decides what goes into a certificate (the vetted application does). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/failalloc.h"
#include "core/sha256.h"
#include "core/text.h"
#include "pki/csr.h"
#include "pki/eckey.h"
#include "pki/names.h"
#include "pki/weakkey.h"

#define DEFAULT_MAX_LEN (64 * 1024)
#define RSA_MIN_BITS    2048
#define RSA_MAX_BITS    8192
#define MAX_BLOCKS      8

/* ---------------------------------------------------------------- problem table */

static const struct csr_problem_def csr_defs[] = {
    {"csr.too_large", CSR_SEV_ERROR, "CSRが大きすぎます。", "The CSR is too large."},
    {"csr.input.empty", CSR_SEV_ERROR, "CSRが入力されていません。", "No CSR was entered."},
    {"csr.input.certificate", CSR_SEV_ERROR,
     "貼り付けられたのは証明書です。CSR（-----BEGIN CERTIFICATE REQUEST-----で始まるもの）を"
     "貼り付けてください。",
     "This is a certificate, not a CSR. Paste the CSR (starting with -----BEGIN CERTIFICATE "
     "REQUEST-----)."},
    {"csr.input.private_key", CSR_SEV_ERROR,
     "秘密鍵が貼り付けられました。秘密鍵は誰にも渡さず、サーバーで厳重に保管してください。"
     "送信内容は保存していません。CSRだけを貼り付けてください。",
     "A private key was pasted. Never give your private key to anyone, including us; keep it "
     "safe on your server. It was not stored. Paste only the CSR."},
    {"csr.input.bad_base64", CSR_SEV_ERROR,
     "CSRの本文（Base64）が壊れています。途中が欠けていないか、余計な文字が入っていないか"
     "確認してください。",
     "The body of the CSR (Base64) is broken. Check that nothing is missing and no stray "
     "characters were added."},
    {"csr.input.bad_pem", CSR_SEV_ERROR,
     "CSRの開始行と終了行（-----BEGIN/-----END）が対応していません。",
     "The CSR's BEGIN and END lines do not match."},
    {"csr.input.not_csr", CSR_SEV_ERROR,
     "CSRとして読み取れません。-----BEGIN CERTIFICATE REQUEST-----から-----END CERTIFICATE "
     "REQUEST-----までを貼り付けてください。",
     "This cannot be read as a CSR. Paste everything from -----BEGIN CERTIFICATE "
     "REQUEST----- to -----END CERTIFICATE REQUEST-----."},
    {"csr.input.damaged", CSR_SEV_ERROR,
     "CSRの内容が壊れています。途中が欠けていないか確認し、全体を貼り付け直してください。",
     "The CSR is damaged. Check that nothing is missing and paste all of it again."},
    {"csr.input.trailing_data", CSR_SEV_ERROR,
     "CSRの前後に余計なデータがあります。CSRの部分だけを貼り付けてください。",
     "There is extra data before or after the CSR. Paste only the CSR."},
    {"csr.input.multiple_csr", CSR_SEV_ERROR,
     "複数のCSRが含まれています。1つだけ貼り付けてください。",
     "More than one CSR was pasted. Paste exactly one."},
    {"csr.input.bad_version", CSR_SEV_ERROR, "CSRのバージョンが正しくありません。",
     "The CSR version is invalid."},
    {"csr.sig.invalid", CSR_SEV_ERROR,
     "CSRの署名を検証できません（CSRが改変されたか、壊れています）。CSRを作り直してください。",
     "The CSR's signature does not verify (it was altered or damaged). Create the CSR again."},
    {"csr.sig.sha1", CSR_SEV_ERROR,
     "SHA-1で署名されたCSRは受け付けられません。SHA-256で作り直してください。",
     "CSRs signed with SHA-1 are not accepted. Create it again with SHA-256."},
    {"csr.sig.md5", CSR_SEV_ERROR,
     "MD5で署名されたCSRは受け付けられません。SHA-256で作り直してください。",
     "CSRs signed with MD5 are not accepted. Create it again with SHA-256."},
    {"csr.sig.weak", CSR_SEV_ERROR, "CSRの署名アルゴリズムが弱いため受け付けられません。",
     "The CSR's signature algorithm is too weak."},
    {"csr.sig.unsupported", CSR_SEV_ERROR,
     "CSRの署名アルゴリズムに対応していません（SHA-256/384/512を使ってください）。",
     "The CSR's signature algorithm is not supported (use SHA-256, SHA-384 or SHA-512)."},
    {"csr.key.undecodable", CSR_SEV_ERROR, "CSRの公開鍵を読み取れません。",
     "The CSR's public key cannot be read."},
    {"csr.key.rsa_too_small", CSR_SEV_ERROR,
     "RSA鍵が短すぎます。2048ビット以上の鍵でCSRを作り直してください。",
     "The RSA key is too small. Create the CSR again with a key of 2048 bits or more."},
    {"csr.key.rsa_too_large", CSR_SEV_ERROR, "RSA鍵が長すぎます（8192ビットまで）。",
     "The RSA key is too large (at most 8192 bits)."},
    {"csr.key.rsa_bits_not_multiple_of_8", CSR_SEV_ERROR,
     "RSA鍵の長さが8の倍数ではありません（2048、3072、4096ビットなどを使ってください）。",
     "The RSA key size is not a multiple of 8 (use 2048, 3072 or 4096 bits)."},
    {"csr.key.rsa_exponent", CSR_SEV_ERROR, "RSA鍵の公開指数が不正です（65537を使ってください）。",
     "The RSA public exponent is invalid (use 65537)."},
    {"csr.key.rsa_pss", CSR_SEV_ERROR,
     "RSASSA-PSS専用鍵は受け付けられません。通常のRSA鍵（rsaEncryption）を使ってください。",
     "RSASSA-PSS keys are not accepted. Use a plain RSA key (rsaEncryption)."},
    {"csr.key.ec_p521", CSR_SEV_ERROR,
     "楕円曲線P-521は受け付けられません。P-256またはP-384を使ってください。",
     "The P-521 curve is not accepted. Use P-256 or P-384."},
    {"csr.key.ec_curve", CSR_SEV_ERROR,
     "この楕円曲線には対応していません。P-256またはP-384を使ってください。",
     "This elliptic curve is not supported. Use P-256 or P-384."},
    {"csr.key.ec_explicit", CSR_SEV_ERROR,
     "楕円曲線のパラメータが明示形式です。名前付き曲線（P-256またはP-384）で作り直してください。",
     "The curve is given with explicit parameters. Use a named curve (P-256 or P-384)."},
    {"csr.key.eddsa", CSR_SEV_ERROR,
     "Ed25519/Ed448鍵にはまだ対応していません。RSAまたはECDSA（P-256/P-384）を使ってください。",
     "Ed25519 and Ed448 keys are not accepted. Use RSA or ECDSA (P-256/P-384)."},
    {"csr.key.dsa", CSR_SEV_ERROR, "DSA鍵は受け付けられません。RSAまたはECDSAを使ってください。",
     "DSA keys are not accepted. Use RSA or ECDSA."},
    {"csr.key.unsupported", CSR_SEV_ERROR,
     "この種類の鍵には対応していません。RSAまたはECDSAを使ってください。",
     "This key type is not supported. Use RSA or ECDSA."},
    {"csr.key.compromised", CSR_SEV_ERROR,
     "この公開鍵は危殆化した鍵として登録されています。新しい鍵を生成してCSRを作り直してください。",
     "This public key is known to be compromised. Generate a new key and create a new CSR."},
    {"csr.key.blocklist_unavailable", CSR_SEV_ERROR,
     "鍵の危殆化チェックを実行できませんでした。しばらくしてからやり直してください。",
     "The compromised-key check could not be run. Try again later."},
    {"csr.key.roca", CSR_SEV_ERROR,
     "この鍵にはROCA脆弱性（CVE-2017-15361）の特徴があります。別の方法で鍵を生成し直してください。",
     "This key has the ROCA fingerprint (CVE-2017-15361). Generate a new key another way."},
    {"csr.key.fermat", CSR_SEV_ERROR,
     "この鍵は素因数分解できる弱い鍵です（2つの素数が近すぎます）。新しい鍵を生成してください。",
     "This key can be factored (its two primes are too close). Generate a new key."},
    {"csr.key.debian_weak", CSR_SEV_ERROR,
     "この鍵は2008年のDebian OpenSSLの不具合（CVE-2008-0166）で作られた、推測可能な弱い鍵です。"
     "最新のOpenSSLで新しい鍵を生成してください。",
     "This key is one of the predictable Debian weak keys (CVE-2008-0166). Generate a new key "
     "with a current OpenSSL."},
    {"csr.key.small_factor", CSR_SEV_ERROR, "この鍵の法は小さな素因数を持つ不正なものです。",
     "The key's modulus has a small prime factor and is broken."},
    {"csr.subject.bad_encoding", CSR_SEV_NOTICE,
     "サブジェクトに読み取れない文字があります（表示では?に置き換えています）。",
     "The subject contains unreadable characters (shown as ?)."},
    {"csr.subject.ou_dropped", CSR_SEV_NOTICE,
     "部署名（OU）は証明書に記載されません（業界基準により廃止）。",
     "The organizational unit (OU) is not put into certificates (no longer allowed)."},
    {"csr.subject.cn_not_in_sans", CSR_SEV_NOTICE,
     "CSRのコモンネームがSANに含まれていません。証明書の内容は申請情報から作られます。",
     "The CSR's common name is not among its SANs. The certificate is made from the "
     "application data."},
    {"csr.subject.no_names", CSR_SEV_NOTICE,
     "CSRにコモンネームもSANもありません。証明書の内容は申請情報から作られます。",
     "The CSR has neither a common name nor SANs. The certificate is made from the "
     "application data."},
    {"csr.ext.ignored", CSR_SEV_NOTICE,
     "CSRで要求された拡張（CA:TRUE、鍵用途など）は使われません。"
     "証明書の内容は当社の規定で決まります。",
     "Extensions requested in the CSR (CA:TRUE, key usages and so on) are ignored; the "
     "certificate profile decides them."},
    {"csr.ext.malformed", CSR_SEV_NOTICE,
     "CSRの拡張要求を読み取れませんでした（証明書には影響しません）。",
     "The CSR's extension request could not be read (it does not affect the certificate)."},
    {"csr.ext.san_other_ignored", CSR_SEV_NOTICE,
     "SANのうちドメイン名・IPアドレス以外（メールアドレスなど）は使われません。",
     "SAN entries other than domain names and IP addresses (e-mail and so on) are ignored."},
    {"csr.attr.challenge_password", CSR_SEV_NOTICE,
     "CSRのチャレンジパスワードは使われません（空欄で作成して構いません）。",
     "The CSR's challenge password is not used (it may be left empty)."},
};
#define NCSR (sizeof csr_defs / sizeof csr_defs[0])

static struct csr_problem_def all_defs[NCSR + 32];
static size_t nall;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void all_init(void)
{
    size_t nn;
    const struct names_problem_def *nd = names_problem_table(&nn);
    memcpy(all_defs, csr_defs, sizeof csr_defs);
    nall = NCSR;
    for (size_t i = 0; i < nn && nall < sizeof all_defs / sizeof all_defs[0]; i++) {
        all_defs[nall].code = nd[i].code;
        all_defs[nall].severity = nd[i].severity;
        all_defs[nall].msg_ja = nd[i].msg_ja;
        all_defs[nall].msg_en = nd[i].msg_en;
        nall++;
    }
}

const struct csr_problem_def *csr_problem_table(size_t *n)
{
    pthread_once(&all_once, all_init);
    *n = nall;
    return all_defs;
}

const struct csr_problem_def *csr_problem_find(const char *code)
{
    size_t n;
    const struct csr_problem_def *t = csr_problem_table(&n);
    for (size_t i = 0; code != NULL && i < n; i++)
        if (strcmp(t[i].code, code) == 0)
            return &t[i];
    return NULL;
}

/* ---------------------------------------------------------------- raw parse (fast path) */

/* OpenSSL 3.0 decodes the public key of every parsed request with its provider decoders,
 * which costs more than the signature check (issue 8 item 29). Well-formed DER requests are
 * therefore taken apart here: the CertificationRequestInfo bytes are kept for the signature
 * check, the key is built from its raw parameters (EVP_PKEY_fromdata), the subject is
 * decoded on its own, and an X509_REQ without key or subject carries the version and the
 * attributes for the other checks. Anything this
 * parser does not take falls back to d2i_X509_REQ, which then reports what is wrong. */

struct tlv {
    unsigned char tag;
    const unsigned char *start, *p; /* element, content */
    size_t len, total;              /* content length, element length */
};

/* One DER element (low tag numbers, definite minimal lengths) at p[0..n). 0 or -1. */
static int tlv_read(const unsigned char *p, size_t n, struct tlv *t)
{
    if (n < 2 || (p[0] & 0x1f) == 0x1f)
        return -1;
    size_t len = p[1], hdr = 2;
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 3 || n < 2 + k || p[2] == 0)
            return -1;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = len << 8 | p[2 + i];
        if (len < 128)
            return -1;
        hdr += k;
    }
    if (len > n - hdr)
        return -1;
    *t = (struct tlv){p[0], p, p + hdr, len, hdr + len};
    return 0;
}

struct raw_req {
    const unsigned char *cri, *subject, *spki, *attrs, *sigalg, *sig;
    size_t cri_len, subject_len, spki_len, attrs_len, sigalg_len, sig_len;
    long version;
    size_t used; /* bytes of the whole request */
};

static int raw_split(const unsigned char *der, size_t len, struct raw_req *r)
{
    struct tlv outer, cri, v, subj, spki, attrs, alg, sig;
    if (tlv_read(der, len, &outer) < 0 || outer.tag != 0x30)
        return -1;
    const unsigned char *p = outer.p, *end = outer.p + outer.len;
    if (tlv_read(p, (size_t)(end - p), &cri) < 0 || cri.tag != 0x30)
        return -1;
    p += cri.total;
    if (tlv_read(p, (size_t)(end - p), &alg) < 0 || alg.tag != 0x30)
        return -1;
    p += alg.total;
    if (tlv_read(p, (size_t)(end - p), &sig) < 0 || sig.tag != 0x03 || p + sig.total != end ||
        sig.len < 2 || sig.p[0] != 0)
        return -1;
    const unsigned char *q = cri.p, *qend = cri.p + cri.len;
    if (tlv_read(q, (size_t)(qend - q), &v) < 0 || v.tag != 0x02 || v.len != 1 || v.p[0] > 2)
        return -1;
    q += v.total;
    if (tlv_read(q, (size_t)(qend - q), &subj) < 0 || subj.tag != 0x30)
        return -1;
    q += subj.total;
    if (tlv_read(q, (size_t)(qend - q), &spki) < 0 || spki.tag != 0x30)
        return -1;
    q += spki.total;
    if (tlv_read(q, (size_t)(qend - q), &attrs) < 0 || attrs.tag != 0xa0 || q + attrs.total != qend)
        return -1;
    *r = (struct raw_req){cri.start, subj.start,  spki.start, attrs.p,    alg.start,
                          sig.p + 1, cri.total,   subj.total, spki.total, attrs.len,
                          alg.total, sig.len - 1, v.p[0],     outer.total};
    return 0;
}

/* A key-less X509_REQ with r's version and attributes, and r's subject decoded into
 * *name (not copied into the request: X509_REQ_set_subject_name would encode and decode
 * it once more); NULL if they do not parse exactly. */
static X509_REQ *raw_req_body(const struct raw_req *r, X509_NAME **name)
{
    X509_REQ *req = X509_REQ_new();
    const unsigned char *p = r->subject;
    *name = d2i_X509_NAME(NULL, &p, (long)r->subject_len);
    int ok = req != NULL && *name != NULL && p == r->subject + r->subject_len &&
             X509_REQ_set_version(req, r->version);
    const unsigned char *a = r->attrs, *end = r->attrs + r->attrs_len;
    while (ok && a < end) {
        struct tlv t;
        X509_ATTRIBUTE *at = NULL;
        p = a;
        ok = tlv_read(a, (size_t)(end - a), &t) == 0 &&
             (at = d2i_X509_ATTRIBUTE(NULL, &p, (long)t.total)) != NULL && p == a + t.total &&
             X509_REQ_add1_attr(req, at);
        X509_ATTRIBUTE_free(at);
        a += ok ? t.total : 0;
    }
    if (!ok) {
        X509_REQ_free(req);
        X509_NAME_free(*name);
        *name = NULL;
        return NULL;
    }
    return req;
}

/* An INTEGER's magnitude as a BIGNUM (positive DER integers only). */
static BIGNUM *der_uint(const unsigned char **p, const unsigned char *end)
{
    struct tlv t;
    if (tlv_read(*p, (size_t)(end - *p), &t) < 0 || t.tag != 0x02 || t.len == 0 ||
        (t.p[0] & 0x80) || (t.len > 1 && t.p[0] == 0 && !(t.p[1] & 0x80)))
        return NULL;
    *p += t.total;
    return BN_bin2bn(t.p, (int)t.len, NULL);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    EVP_PKEY *k = NULL;
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

/* The key of an rsaEncryption SubjectPublicKeyInfo, built from its raw parameters; NULL
 * for other keys or bad encodings (the caller then decodes it the general way, which
 * reports what is wrong). Named P-256/P-384 keys are read_key's (struct eckey_pub). */
static EVP_PKEY *raw_key(const X509_PUBKEY *xpk)
{
    ASN1_OBJECT *kobj = NULL;
    const unsigned char *bits = NULL;
    int nbits = 0, ptype = 0;
    X509_ALGOR *alg = NULL;
    if (!X509_PUBKEY_get0_param(&kobj, &bits, &nbits, &alg, xpk) || nbits <= 0)
        return NULL;
    X509_ALGOR_get0(NULL, &ptype, NULL, alg);
    int nid = OBJ_obj2nid(kobj);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *k = NULL;
    if (nid == NID_rsaEncryption && ptype == V_ASN1_NULL && bld != NULL) {
        struct tlv seq;
        const unsigned char *p;
        BIGNUM *n = NULL, *e = NULL;
        if (tlv_read(bits, (size_t)nbits, &seq) == 0 && seq.tag == 0x30 &&
            seq.total == (size_t)nbits && (p = seq.p, n = der_uint(&p, seq.p + seq.len)) != NULL &&
            (e = der_uint(&p, seq.p + seq.len)) != NULL && p == seq.p + seq.len &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            k = from_params("RSA", bld);
        BN_free(n);
        BN_free(e);
    }
    OSSL_PARAM_BLD_free(bld);
    ERR_clear_error();
    return k;
}

/* r's SubjectPublicKeyInfo as an X509_PUBKEY without a decoded key. NULL if malformed. */
static X509_PUBKEY *raw_spki(const struct raw_req *r)
{
    struct tlv spki, alg, bits;
    if (tlv_read(r->spki, r->spki_len, &spki) < 0 || tlv_read(spki.p, spki.len, &alg) < 0 ||
        alg.tag != 0x30 || tlv_read(spki.p + alg.total, spki.len - alg.total, &bits) < 0 ||
        bits.tag != 0x03 || alg.total + bits.total != spki.len || bits.len < 2 || bits.p[0] != 0)
        return NULL;
    const unsigned char *p = alg.start;
    X509_ALGOR *a = d2i_X509_ALGOR(NULL, &p, (long)alg.total);
    X509_PUBKEY *xpk = X509_PUBKEY_new();
    unsigned char *penc = OPENSSL_memdup(bits.p + 1, bits.len - 1);
    ASN1_OBJECT *obj = NULL;
    int ptype = V_ASN1_UNDEF;
    const void *pval = NULL;
    void *param = NULL;
    int ok = a != NULL && xpk != NULL && penc != NULL && p == alg.start + alg.total;
    if (ok) {
        const ASN1_OBJECT *o = NULL;
        X509_ALGOR_get0(&o, &ptype, &pval, a);
        obj = OBJ_dup(o);
        if (ptype == V_ASN1_OBJECT)
            param = OBJ_dup(pval);
        else if (ptype == V_ASN1_SEQUENCE)
            param = ASN1_STRING_dup(pval);
        ok = obj != NULL && (ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL || param != NULL) &&
             X509_PUBKEY_set0_param(xpk, obj, ptype, param, penc, (int)(bits.len - 1));
    }
    X509_ALGOR_free(a);
    if (!ok) {
        ASN1_OBJECT_free(obj);
        if (ptype == V_ASN1_OBJECT)
            ASN1_OBJECT_free(param);
        else
            ASN1_STRING_free(param);
        OPENSSL_free(penc);
        X509_PUBKEY_free(xpk);
        return NULL;
    }
    return xpk;
}

/* ---------------------------------------------------------------- check state */

struct check {
    struct csr_info *info;
    const struct csr_check_opts *opts;
    size_t cap;           /* of info->problems */
    int nomem;            /* an allocation failed: csr_check returns -SM_E_NOMEM */
    int key_bad;          /* a key problem was reported (skip signature-algorithm noise) */
    int fast;             /* the request was taken apart by raw_split: see "raw parse" */
    struct raw_req raw;   /* when fast: pointers into info->der */
    X509_PUBKEY *raw_xpk; /* when fast: the key-less SPKI until read_key takes it */
    X509_NAME *raw_name;  /* when fast: the subject (the X509_REQ's own stays empty) */
    struct eckey_pub *ec; /* when fast: a named P-256/P-384 key, checked without an
                             EVP_PKEY (info->pkey stays NULL; see eckey.h) */
};

/* snprintf that never cuts a UTF-8 sequence in half. */
static void utf8_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--; /* src[n] is now the lead byte of the sequence that did not fit */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void add_raw(struct check *c, const char *code, int sev, const char *ja, const char *en,
                    const char *detail)
{
    struct csr_info *info = c->info;
    if (info->nproblems == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct csr_problem *p = sm_realloc(info->problems, cap * sizeof *p);
        if (p == NULL) {
            c->nomem = 1;
            return;
        }
        info->problems = p;
        c->cap = cap;
    }
    struct csr_problem *p = &info->problems[info->nproblems++];
    p->code = code;
    p->severity = sev;
    p->msg_ja = ja;
    p->msg_en = en;
    utf8_copy(p->detail, sizeof p->detail, detail ? detail : "");
    if (sev == CSR_SEV_ERROR)
        info->acceptable = 0;
}

static void add(struct check *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(struct check *c, const char *code, const char *fmt, ...)
{
    char detail[128] = "";
    const struct csr_problem_def *d = csr_problem_find(code);
    if (d == NULL)
        abort(); /* a code missing from the table is a programming error */
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    add_raw(c, d->code, d->severity, d->msg_ja, d->msg_en, detail);
}

static void add_name(struct check *c, const struct names_problem *np)
{
    if (np->code != NULL)
        add_raw(c, np->code, np->severity, np->msg_ja, np->msg_en, np->detail);
}

/* Copies n bytes as a NUL-terminated UTF-8 string: invalid sequences, NUL and control
 * characters become '?'. *bad is set when something was replaced. NULL on no memory. */
static char *utf8_clean(const unsigned char *s, size_t n, int *bad)
{
    char *d = sm_malloc(n + 1);
    if (d == NULL)
        return NULL;
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t len = b < 0x80             ? 1
                     : (b & 0xe0) == 0xc0 ? 2
                     : (b & 0xf0) == 0xe0 ? 3
                     : (b & 0xf8) == 0xf0 ? 4
                                          : 0;
        unsigned long cp = len == 1   ? b
                           : len == 2 ? (b & 0x1fu)
                           : len == 3 ? (b & 0x0fu)
                                      : (b & 0x07u);
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) {
            ok = (s[i + k] & 0xc0) == 0x80;
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (ok) /* overlong, surrogates, out of range */
            ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) &&
                 !(len == 4 && (cp < 0x10000 || cp > 0x10ffff)) && !(cp >= 0xd800 && cp <= 0xdfff);
        if (!ok || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            d[o++] = '?'; /* one '?' per bad byte, or per control character */
            *bad = 1;
            i += ok ? len : 1;
            continue;
        }
        memcpy(d + o, s + i, len);
        o += len;
        i += len;
    }
    d[o] = '\0';
    return d;
}

/* ---------------------------------------------------------------- input decoding */

enum kind { K_CSR, K_CERT, K_PRIVKEY, K_OTHER };

struct block {
    char label[64]; /* normalized: upper case, single spaces */
    const unsigned char *body;
    size_t body_len;
    size_t body_line; /* 1-based line number of the body's first line */
    int has_end;      /* END line found with the same label */
};

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static enum kind classify(const char *label)
{
    if (strcmp(label, "CERTIFICATE REQUEST") == 0 || strcmp(label, "NEW CERTIFICATE REQUEST") == 0)
        return K_CSR;
    if (strstr(label, "PRIVATE KEY") != NULL)
        return K_PRIVKEY;
    if (strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "X509 CERTIFICATE") == 0 ||
        strcmp(label, "TRUSTED CERTIFICATE") == 0)
        return K_CERT;
    return K_OTHER;
}

/* Matches an armor line "-----BEGIN LABEL-----" with any spacing, case-insensitively
 * (kw is "BEGIN" or "END"). Fills label (normalized). Returns 1 on match. */
static int armor(const unsigned char *s, size_t n, const char *kw, char label[64])
{
    size_t i = 0, dashes = 0, kl = strlen(kw), o = 0;
    while (i < n && is_space(s[i]))
        i++;
    while (i < n && s[i] == '-')
        i++, dashes++;
    if (dashes < 3)
        return 0;
    while (i < n && is_space(s[i]))
        i++;
    for (size_t k = 0; k < kl; k++, i++)
        if (i >= n || (s[i] & 0xdf) != kw[k])
            return 0;
    if (i >= n || !is_space(s[i]))
        return 0;
    while (i < n && s[i] != '-') {
        unsigned char ch = s[i++];
        if (is_space(ch)) {
            if (o > 0 && label[o - 1] != ' ')
                label[o++] = ' ';
        } else if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                   (ch >= '0' && ch <= '9')) {
            label[o++] = (char)(ch >= 'a' ? ch - 'a' + 'A' : ch);
        } else {
            return 0;
        }
        if (o >= 62)
            return 0;
    }
    if (o > 0 && label[o - 1] == ' ')
        o--;
    label[o] = '\0';
    dashes = 0;
    while (i < n && s[i] == '-')
        i++, dashes++;
    while (i < n && is_space(s[i]))
        i++;
    return o > 0 && dashes >= 3 && i == n;
}

/* Splits the input into armored blocks. Returns the number found (at most MAX_BLOCKS
 * are kept; *more counts the rest); *outside is set if non-space text lies outside. */
static size_t find_blocks(const unsigned char *in, size_t len, struct block *b, size_t *more,
                          int *outside)
{
    size_t nb = 0, line = 0, pos = 0;
    struct block *cur = NULL;
    char label[64];
    *more = 0;
    *outside = 0;
    while (pos < len) {
        const unsigned char *nl = memchr(in + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - in) : len, ll = end - pos;
        line++;
        if (cur != NULL && armor(in + pos, ll, "END", label)) {
            cur->body_len = (size_t)(in + pos - cur->body);
            cur->has_end = strcmp(label, cur->label) == 0;
            cur = NULL;
        } else if (armor(in + pos, ll, "BEGIN", label)) {
            if (cur != NULL)
                cur->body_len = (size_t)(in + pos - cur->body);
            cur = NULL;
            if (nb < MAX_BLOCKS) {
                cur = &b[nb++];
                memcpy(cur->label, label, sizeof label);
                cur->body = nl ? nl + 1 : in + len;
                cur->body_len = 0;
                cur->body_line = line + 1;
                cur->has_end = 0;
            } else {
                (*more)++;
            }
        } else if (cur == NULL) {
            for (size_t k = pos; k < end; k++)
                if (!is_space(in[k]))
                    *outside = 1;
        }
        pos = nl ? end + 1 : len;
    }
    if (cur != NULL)
        cur->body_len = (size_t)(in + len - cur->body);
    return nb;
}

/* Strict base64 with whitespace anywhere. Returns 0 (out malloc'd), 1 invalid (*bad_line
 * = line of the first bad character, the first line being line0), -SM_E_NOMEM. */
static int b64_decode(const unsigned char *s, size_t n, size_t line0, unsigned char **out,
                      size_t *outlen, size_t *bad_line)
{
    unsigned char *d = sm_malloc(n / 4 * 3 + 3);
    unsigned long acc = 0;
    size_t o = 0, count = 0, pad = 0, line = line0;
    int bad = 0;
    if (d == NULL)
        return -SM_E_NOMEM;
    for (size_t i = 0; i < n && !bad; i++) {
        unsigned char c = s[i];
        if (c == '\n')
            line++;
        if (is_space(c))
            continue;
        int v = c == '=' ? 0 : text_b64_value(c, TEXT_B64_STD);
        if (v < 0 || (pad > 0 && c != '=') || (c == '=' && count % 4 < 2)) {
            bad = 1;
            break;
        }
        pad += c == '=';
        acc = (acc << 6) | (unsigned long)v;
        if (++count % 4 == 0) {
            d[o++] = (unsigned char)(acc >> 16);
            d[o++] = (unsigned char)(acc >> 8);
            d[o++] = (unsigned char)acc;
            acc = 0;
        }
    }
    if (bad || count == 0 || count % 4 != 0 || pad > 2 || o < pad) {
        *bad_line = line;
        free(d);
        return 1;
    }
    *out = d;
    *outlen = o - pad;
    return 0;
}

/* Parses DER as a CSR; when it is not one, says what it is (labelled: the input said it
 * was a CSR, so it is damaged). Returns the request or NULL (problem reported).
 * *used receives the bytes consumed. */
static X509_REQ *parse_der(struct check *c, const unsigned char *der, size_t len, size_t *used,
                           int labelled)
{
    const unsigned char *p = der;
    long l = len > (size_t)0x7fffffff ? 0x7fffffff : (long)len;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, l);
    ERR_clear_error();
    if (req != NULL) {
        *used = (size_t)(p - der);
        return req;
    }
    p = der;
    X509 *x = d2i_X509(NULL, &p, l);
    if (x != NULL) {
        X509_free(x);
        add(c, "csr.input.certificate", NULL);
        return NULL;
    }
    p = der;
    EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, l);
    X509_SIG *sig = NULL;
    if (k == NULL) {
        p = der;
        sig = d2i_X509_SIG(NULL, &p, l); /* encrypted PKCS#8 */
    }
    ERR_clear_error();
    if (k != NULL || sig != NULL) {
        EVP_PKEY_free(k);
        X509_SIG_free(sig);
        add(c, "csr.input.private_key", NULL);
        return NULL;
    }
    add(c, labelled ? "csr.input.damaged" : "csr.input.not_csr", NULL);
    return NULL;
}

/* Keeps a copy of the DER that was parsed. */
static void keep_der(struct check *c, const unsigned char *der, size_t len)
{
    c->info->der = sm_malloc(len);
    if (c->info->der == NULL) {
        c->nomem = 1;
        return;
    }
    memcpy(c->info->der, der, len);
    c->info->der_len = len;
}

/* The fast path for well-formed DER (see "raw parse"); NULL to take the general one. */
static X509_REQ *from_raw(struct check *c, const unsigned char *der, size_t len)
{
    struct raw_req r;
    if (raw_split(der, len, &r) < 0)
        return NULL;
    keep_der(c, der, r.used);
    if (c->nomem || raw_split(c->info->der, c->info->der_len, &c->raw) < 0)
        return NULL;
    X509_REQ *req = raw_req_body(&c->raw, &c->raw_name);
    c->raw_xpk = req != NULL ? raw_spki(&c->raw) : NULL;
    ERR_clear_error();
    if (req == NULL || c->raw_xpk == NULL) {
        X509_REQ_free(req);
        X509_PUBKEY_free(c->raw_xpk);
        c->raw_xpk = NULL;
        X509_NAME_free(c->raw_name);
        c->raw_name = NULL;
        free(c->info->der);
        c->info->der = NULL;
        c->info->der_len = 0;
        return NULL;
    }
    c->fast = 1;
    if (r.used != len)
        add(c, "csr.input.trailing_data", "+%zu B", len - r.used);
    return req;
}

static X509_REQ *from_der(struct check *c, const unsigned char *der, size_t len, int labelled)
{
    X509_REQ *fast = from_raw(c, der, len);
    if (fast != NULL || c->nomem)
        return fast;
    size_t used = 0;
    X509_REQ *req = parse_der(c, der, len, &used, labelled);
    if (req == NULL)
        return NULL;
    if (used != len)
        add(c, "csr.input.trailing_data", "+%zu B", len - used);
    keep_der(c, der, used);
    return req;
}

static int all_base64(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]) && s[i] != '=' && text_b64_value(s[i], TEXT_B64_STD) < 0)
            return 0;
    return 1;
}

/* Base64 text (a PEM body from line line0, or a bare paste: line0 == 0) to a request. */
static X509_REQ *from_base64(struct check *c, const unsigned char *s, size_t n, size_t line0,
                             int labelled)
{
    unsigned char *der = NULL;
    size_t dlen = 0, bad = 0;
    int rc = b64_decode(s, n, line0, &der, &dlen, &bad);
    if (rc < 0) {
        c->nomem = 1;
        return NULL;
    }
    if (rc > 0 && line0 == 0) { /* bare text that is not base64 at all */
        add(c, "csr.input.not_csr", NULL);
        return NULL;
    }
    if (rc > 0) {
        add(c, "csr.input.bad_base64", "line %zu", bad);
        return NULL;
    }
    X509_REQ *req = from_der(c, der, dlen, labelled);
    free(der);
    return req;
}

static X509_REQ *from_pem(struct check *c, const unsigned char *in, size_t len)
{
    struct block b[MAX_BLOCKS];
    size_t more, ncsr = 0;
    int outside, certs = 0, keys = 0;
    const struct block *csr = NULL;
    size_t nb = find_blocks(in, len, b, &more, &outside);
    if (nb == 0) {
        if (all_base64(in, len))
            return from_base64(c, in, len, 0, 0);
        add(c, "csr.input.not_csr", NULL);
        return NULL;
    }
    for (size_t i = 0; i < nb; i++) {
        enum kind k = classify(b[i].label);
        if (k == K_CSR && ncsr++ == 0)
            csr = &b[i];
        certs += k == K_CERT;
        keys += k == K_PRIVKEY;
        if (k == K_OTHER)
            add(c, "csr.input.not_csr", "%s", b[i].label);
    }
    if (keys > 0) /* never echo anything of the key */
        add(c, "csr.input.private_key", NULL);
    if (certs > 0)
        add(c, "csr.input.certificate", NULL);
    if (ncsr + more > 1)
        add(c, "csr.input.multiple_csr", NULL);
    if (outside)
        add(c, "csr.input.trailing_data", NULL);
    if (csr == NULL)
        return NULL;
    if (!csr->has_end) {
        add(c, "csr.input.bad_pem", NULL); /* the message says it all */
        return NULL;
    }
    return from_base64(c, csr->body, csr->body_len, csr->body_line, 1);
}

static X509_REQ *decode_input(struct check *c, const unsigned char *in, size_t len)
{
    size_t max = c->opts && c->opts->max_len ? c->opts->max_len : DEFAULT_MAX_LEN;
    if (len > max) {
        add(c, "csr.too_large", "%zu B > %zu B", len, max);
        return NULL;
    }
    if (len > 0 && in[0] == 0x30) /* ASN.1 SEQUENCE: DER */
        return from_der(c, in, len, 0);
    if (len >= 3 && in[0] == 0xef && in[1] == 0xbb && in[2] == 0xbf) { /* UTF-8 BOM */
        in += 3;
        len -= 3;
    }
    while (len > 0 && is_space(in[0]))
        in++, len--;
    while (len > 0 && is_space(in[len - 1]))
        len--;
    if (len == 0) {
        add(c, "csr.input.empty", NULL);
        return NULL;
    }
    return from_pem(c, in, len);
}

/* ---------------------------------------------------------------- subject */

static char *entry_utf8(struct check *c, const X509_NAME *name, int nid)
{
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0)
        return NULL;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char *u = NULL;
    int n = ASN1_STRING_to_UTF8(&u, s);
    int bad = 0;
    char *out;
    if (n < 0) {
        ERR_clear_error(); /* only a failure leaves an error queued */
        out = sm_strdup("?");
        bad = 1;
    } else {
        out = utf8_clean(u, (size_t)n, &bad);
    }
    OPENSSL_free(u);
    if (out == NULL)
        c->nomem = 1;
    if (bad)
        add(c, "csr.subject.bad_encoding", "%s", OBJ_nid2sn(nid));
    return out;
}

static void read_subject(struct check *c, X509_REQ *req)
{
    struct csr_info *info = c->info;
    const X509_NAME *name = c->fast ? c->raw_name : X509_REQ_get_subject_name(req);
    unsigned long flags =
        (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    int bad = 0;
    if (bio == NULL) {
        c->nomem = 1;
        return;
    }
    if (name != NULL && X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
        long n = BIO_get_mem_data(bio, &data);
        info->subject_utf8 = utf8_clean((const unsigned char *)data, n > 0 ? (size_t)n : 0, &bad);
    } else {
        info->subject_utf8 = sm_strdup("?");
        bad = 1;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (info->subject_utf8 == NULL)
        c->nomem = 1;
    if (bad)
        add(c, "csr.subject.bad_encoding", "subject");
    if (name == NULL)
        return;
    info->cn = entry_utf8(c, name, NID_commonName);
    info->o = entry_utf8(c, name, NID_organizationName);
    info->ou = entry_utf8(c, name, NID_organizationalUnitName);
    info->l = entry_utf8(c, name, NID_localityName);
    info->st = entry_utf8(c, name, NID_stateOrProvinceName);
    info->c = entry_utf8(c, name, NID_countryName);
    if (info->ou != NULL)
        add(c, "csr.subject.ou_dropped", NULL);
}

/* ---------------------------------------------------------------- key */

static void set_str(struct check *c, char **dst, const char *s)
{
    *dst = sm_strdup(s);
    if (*dst == NULL)
        c->nomem = 1;
}

static void key_problem(struct check *c, const char *code, const char *detail)
{
    c->key_bad = 1;
    add(c, code, "%s", detail ? detail : "");
}

static void check_rsa(struct check *c, EVP_PKEY *pkey)
{
    struct csr_info *info = c->info;
    BIGNUM *e = NULL;
    const char *weak = NULL;
    char d[32];
    snprintf(d, sizeof d, "RSA-%d", info->key_bits);
    if (info->key_bits < RSA_MIN_BITS)
        key_problem(c, "csr.key.rsa_too_small", d);
    else if (info->key_bits > RSA_MAX_BITS)
        key_problem(c, "csr.key.rsa_too_large", d);
    if (info->key_bits % 8 != 0)
        key_problem(c, "csr.key.rsa_bits_not_multiple_of_8", d);
    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) || !BN_is_odd(e) ||
        BN_num_bits(e) < 2 || BN_num_bits(e) > 256)
        key_problem(c, "csr.key.rsa_exponent", NULL);
    BN_free(e);
    ERR_clear_error();
    if (info->key_bits > RSA_MAX_BITS)
        return; /* bounded work */
    if (weakkey_check_rsa(pkey, &weak) < 0)
        c->nomem = 1;
    else if (weak != NULL)
        key_problem(c, weak, NULL);
}

static const char *curve_display(int nid)
{
    switch (nid) {
    case NID_X9_62_prime256v1: return "P-256";
    case NID_secp384r1: return "P-384";
    case NID_secp521r1: return "P-521";
    default: return OBJ_nid2sn(nid);
    }
}

static void check_ec(struct check *c, const X509_ALGOR *alg)
{
    int ptype = V_ASN1_UNDEF;
    const void *pval = NULL;
    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    set_str(c, &c->info->key_type, "EC");
    if (ptype != V_ASN1_OBJECT) {
        set_str(c, &c->info->curve, "explicit");
        key_problem(c, "csr.key.ec_explicit", NULL);
        return;
    }
    int nid = OBJ_obj2nid(pval);
    const char *name = nid != NID_undef ? curve_display(nid) : NULL;
    char oid[80] = "";
    if (name == NULL) {
        OBJ_obj2txt(oid, sizeof oid, pval, 1);
        name = oid;
    }
    set_str(c, &c->info->curve, name);
    if (nid == NID_secp521r1)
        key_problem(c, "csr.key.ec_p521", name);
    else if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
        key_problem(c, "csr.key.ec_curve", name);
}

static void spki_hash(struct check *c, X509_PUBKEY *xpk)
{
    unsigned char *der = NULL, md[32];
    char hex[65];
    int n = i2d_X509_PUBKEY(xpk, &der);
    if (n <= 0 || sha256_digest(der, (size_t)n, md) < 0) {
        OPENSSL_free(der);
        ERR_clear_error();
        return;
    }
    OPENSSL_free(der);
    text_hex(hex, md, 32);
    set_str(c, &c->info->spki_sha256_hex, hex);
    if (c->opts != NULL && c->opts->blocklist != NULL) {
        int rc = c->opts->blocklist(c->opts->blocklist_arg, md, hex);
        if (rc > 0)
            key_problem(c, "csr.key.compromised", NULL);
        else if (rc < 0)
            add(c, "csr.key.blocklist_unavailable", NULL);
    }
}

static void read_key(struct check *c, X509_REQ *req)
{
    struct csr_info *info = c->info;
    X509_PUBKEY *xpk = c->fast ? c->raw_xpk : X509_REQ_get_X509_PUBKEY(req);
    ASN1_OBJECT *algobj = NULL;
    X509_ALGOR *alg = NULL;
    char oid[80];
    if (xpk == NULL || !X509_PUBKEY_get0_param(&algobj, NULL, NULL, &alg, xpk)) {
        key_problem(c, "csr.key.undecodable", NULL);
        return;
    }
    spki_hash(c, xpk);
    enum eckey_curve curve;
    const unsigned char *pt = NULL;
    size_t ptlen = 0;
    if (c->fast && eckey_spki_curve(xpk, &curve, &pt, &ptlen)) { /* see struct check's ec */
        if (eckey_pub_new(curve, pt, ptlen, &c->ec) < 0)
            c->nomem = 1;
        else if (c->ec != NULL)
            info->key_bits = curve == ECKEY_P256 ? 256 : 384;
        info->spki = xpk; /* handed over */
        c->raw_xpk = NULL;
    } else if (c->fast) { /* no decoder: see "raw parse" */
        const unsigned char *p = c->raw.spki;
        info->pkey = raw_key(xpk);
        if (info->pkey == NULL)
            info->pkey = d2i_PUBKEY(NULL, &p, (long)c->raw.spki_len);
        info->spki = xpk; /* handed over */
        c->raw_xpk = NULL;
    } else {
        info->pkey = X509_REQ_get_pubkey(req);
        info->spki = X509_PUBKEY_dup(xpk);
    }
    ERR_clear_error();
    if (info->pkey != NULL)
        info->key_bits = EVP_PKEY_get_bits(info->pkey);
    int nid = OBJ_obj2nid(algobj);
    switch (nid) {
    case NID_rsaEncryption:
        set_str(c, &info->key_type, "RSA");
        if (info->pkey != NULL)
            check_rsa(c, info->pkey);
        break;
    case NID_rsassaPss:
        set_str(c, &info->key_type, "RSA-PSS");
        key_problem(c, "csr.key.rsa_pss", NULL);
        break;
    case NID_X9_62_id_ecPublicKey: check_ec(c, alg); break;
    case NID_ED25519:
    case NID_ED448:
        set_str(c, &info->key_type, nid == NID_ED25519 ? "ED25519" : "ED448");
        key_problem(c, "csr.key.eddsa", info->key_type);
        break;
    case NID_dsa:
        set_str(c, &info->key_type, "DSA");
        key_problem(c, "csr.key.dsa", NULL);
        break;
    default:
        OBJ_obj2txt(oid, sizeof oid, algobj, 0);
        set_str(c, &info->key_type, oid);
        key_problem(c, "csr.key.unsupported", oid);
        break;
    }
    if (info->pkey == NULL && c->ec == NULL && !c->key_bad && !c->nomem)
        key_problem(c, "csr.key.undecodable", NULL);
}

/* ---------------------------------------------------------------- signature */

/* The request's signature checked over the raw CertificationRequestInfo bytes with
 * the key already built (fast path); other algorithms go through X509_REQ_verify on a
 * full decode. 1 valid, 0 not. */
static int raw_verify(struct check *c, int md, int pk, int ptype)
{
    if (c->ec != NULL && pk == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_UNDEF &&
        (md == NID_sha256 || md == NID_sha384 || md == NID_sha512)) {
        int rc =
            eckey_pub_verify(c->ec, md, c->raw.cri, c->raw.cri_len, c->raw.sig, c->raw.sig_len);
        if (rc < 0)
            c->nomem = 1;
        return rc == 1;
    }
    EVP_PKEY *k = c->info->pkey;
    const char *mdname = md == NID_sha256   ? "SHA256"
                         : md == NID_sha384 ? "SHA384"
                         : md == NID_sha512 ? "SHA512"
                                            : NULL;
    int rsa = k != NULL && pk == NID_rsaEncryption && EVP_PKEY_is_a(k, "RSA") &&
              (ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF);
    int ec = k != NULL && pk == NID_X9_62_id_ecPublicKey && EVP_PKEY_is_a(k, "EC") &&
             ptype == V_ASN1_UNDEF;
    int ok = 0;
    if (mdname != NULL && (rsa || ec)) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        ok = m != NULL && EVP_DigestVerifyInit_ex(m, NULL, mdname, NULL, NULL, k, NULL) == 1 &&
             EVP_DigestVerify(m, c->raw.sig, c->raw.sig_len, c->raw.cri, c->raw.cri_len) == 1;
        EVP_MD_CTX_free(m);
    } else {
        const unsigned char *p = c->info->der;
        X509_REQ *full = d2i_X509_REQ(NULL, &p, (long)c->info->der_len);
        /* a key read_key took as struct eckey_pub: the one the full decode holds */
        EVP_PKEY *fk = k != NULL ? k : full != NULL ? X509_REQ_get0_pubkey(full) : NULL;
        ok = full != NULL && fk != NULL && X509_REQ_verify(full, fk) == 1;
        X509_REQ_free(full);
    }
    ERR_clear_error();
    return ok;
}

static void check_signature(struct check *c, X509_REQ *req)
{
    const ASN1_BIT_STRING *sig = NULL;
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR *own = NULL;
    char name[80] = "";
    int md = NID_undef, pk = NID_undef, ptype = V_ASN1_UNDEF;
    if (c->fast) {
        const unsigned char *p = c->raw.sigalg;
        alg = own = d2i_X509_ALGOR(NULL, &p, (long)c->raw.sigalg_len);
    } else {
        X509_REQ_get0_signature(req, &sig, &alg);
    }
    if (alg != NULL)
        X509_ALGOR_get0(&obj, &ptype, NULL, alg);
    if (obj != NULL)
        OBJ_obj2txt(name, sizeof name, obj, 0);
    set_str(c, &c->info->sig_alg, name);
    int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef)
        OBJ_find_sigid_algs(nid, &md, &pk);
    if (md == NID_sha1)
        add(c, "csr.sig.sha1", "%s", name);
    else if (md == NID_md5 || md == NID_md5_sha1)
        add(c, "csr.sig.md5", "%s", name);
    else if (md == NID_md2 || md == NID_md4 || md == NID_mdc2 || md == NID_ripemd160 ||
             md == NID_sha224)
        add(c, "csr.sig.weak", "%s", name);
    else if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512 && nid != NID_rsassaPss &&
             !c->key_bad)
        add(c, "csr.sig.unsupported", "%s", name);
    if ((c->info->pkey != NULL || c->ec != NULL) &&
        (c->fast ? !raw_verify(c, md, pk, ptype) : X509_REQ_verify(req, c->info->pkey) != 1))
        add(c, "csr.sig.invalid", NULL);
    X509_ALGOR_free(own);
    ERR_clear_error();
}

/* ---------------------------------------------------------------- extensions, names */

/* Adds a SAN; decode: the name passed the IDNA2008 check, so its xn-- labels may be
 * shown decoded (never decode unchecked names: they could hide control characters). */
static void push_san(struct check *c, const char *text, int decode)
{
    struct csr_info *info = c->info;
    char *u = NULL;
    char **p = sm_realloc(info->sans, (info->nsans + 1) * sizeof *p);
    if (p != NULL)
        info->sans = p;
    p = p != NULL ? sm_realloc(info->sans_unicode, (info->nsans + 1) * sizeof *p) : NULL;
    if (p != NULL)
        info->sans_unicode = p;
    char *t = p != NULL ? sm_strdup(text) : NULL;
    if (t != NULL && decode && strstr(t, "xn--") != NULL && names_to_unicode(t, &u) == -SM_E_NOMEM)
        c->nomem = 1;
    if (t != NULL && u == NULL)
        u = sm_strdup(t);
    if (t == NULL || u == NULL) {
        free(t);
        free(u);
        c->nomem = 1;
        return;
    }
    info->sans[info->nsans] = t;
    info->sans_unicode[info->nsans] = u;
    info->nsans++;
}

static void read_gn(struct check *c, const GENERAL_NAME *gn, int *other)
{
    struct names_problem np;
    char norm[NAMES_NORM_MAX];
    int allow_ip = c->opts != NULL && c->opts->allow_ip;
    if (gn->type == GEN_DNS) {
        const ASN1_IA5STRING *s = gn->d.dNSName;
        int bad = 0;
        char *t = utf8_clean(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), &bad);
        if (t == NULL) {
            c->nomem = 1;
            return;
        }
        /* bytes that are not clean UTF-8 became '?', which the name check refuses */
        int rc = names_check_dns(t, 1, norm, &np);
        if (rc < 0)
            c->nomem = 1;
        push_san(c, t, rc == 0);
        add_name(c, &np);
        free(t);
    } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING *s = gn->d.iPAddress;
        int rc = names_check_ip_bytes(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
                                      allow_ip, norm, &np);
        push_san(c, norm[0] ? norm : "?", 0);
        if (rc < 0)
            c->nomem = 1;
        add_name(c, &np);
    } else {
        *other = 1;
    }
}

static void read_extensions(struct check *c, X509_REQ *req)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    char ignored[128] = "";
    size_t used = 0;
    int other = 0, malformed = 0;
    ERR_clear_error();
    if (exts == NULL && X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) >= 0)
        malformed = 1;
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        if (nid != NID_subject_alt_name) {
            const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown";
            int n = snprintf(ignored + used, sizeof ignored - used, "%s%s", used ? ", " : "", sn);
            if (n > 0 && used + (size_t)n < sizeof ignored)
                used += (size_t)n;
            continue;
        }
        GENERAL_NAMES *gns = X509V3_EXT_d2i(ext);
        ERR_clear_error();
        if (gns == NULL) {
            malformed = 1;
            continue;
        }
        for (int k = 0; k < sk_GENERAL_NAME_num(gns); k++)
            read_gn(c, sk_GENERAL_NAME_value(gns, k), &other);
        GENERAL_NAMES_free(gns);
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (used > 0)
        add(c, "csr.ext.ignored", "%s", ignored);
    if (other)
        add(c, "csr.ext.san_other_ignored", NULL);
    if (malformed)
        add(c, "csr.ext.malformed", NULL);
    if (X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1) >= 0)
        add(c, "csr.attr.challenge_password", NULL);
}

static void check_cn(struct check *c)
{
    struct csr_info *info = c->info;
    struct names_problem np;
    char norm[NAMES_NORM_MAX];
    if (info->cn == NULL) {
        if (info->nsans == 0)
            add(c, "csr.subject.no_names", NULL);
        return;
    }
    for (size_t i = 0; i < info->nsans; i++)
        if (names_equal(info->cn, info->sans[i]))
            return; /* already checked as a SAN */
    int rc = names_check(info->cn, 1, c->opts != NULL && c->opts->allow_ip, norm, &np);
    if (rc < 0)
        c->nomem = 1;
    add_name(c, &np);
    if (info->nsans > 0)
        add(c, "csr.subject.cn_not_in_sans", "%s", info->cn);
}

/* ---------------------------------------------------------------- entry points */

static void examine(struct check *c, X509_REQ *req)
{
    if (X509_REQ_get_version(req) != X509_REQ_VERSION_1)
        add(c, "csr.input.bad_version", NULL);
    read_subject(c, req);
    read_key(c, req);
    check_signature(c, req);
    read_extensions(c, req);
    check_cn(c);
}

int csr_check(const unsigned char *in, size_t len, const struct csr_check_opts *opts,
              struct csr_info **out, struct sm_err *e)
{
    struct check c = {0};
    *out = NULL;
    c.opts = opts;
    c.info = sm_calloc(1, sizeof *c.info);
    if (c.info == NULL)
        return sm_err_set(e, SM_E_NOMEM, "csr", "csr_check");
    c.info->acceptable = 1;
    X509_REQ *req = decode_input(&c, in != NULL ? in : (const unsigned char *)"", in ? len : 0);
    if (req != NULL && !c.nomem)
        examine(&c, req);
    X509_REQ_free(req);
    X509_PUBKEY_free(c.raw_xpk);
    X509_NAME_free(c.raw_name);
    eckey_pub_free(c.ec);
    ERR_clear_error();
    if (c.nomem) {
        csr_info_free(c.info);
        return sm_err_set(e, SM_E_NOMEM, "csr", "csr_check: out of memory");
    }
    *out = c.info;
    return 0;
}

void csr_info_free(struct csr_info *info)
{
    if (info == NULL)
        return;
    free(info->der);
    free(info->subject_utf8);
    free(info->cn);
    free(info->o);
    free(info->ou);
    free(info->l);
    free(info->st);
    free(info->c);
    free(info->key_type);
    free(info->curve);
    free(info->sig_alg);
    for (size_t i = 0; i < info->nsans; i++) {
        free(info->sans[i]);
        free(info->sans_unicode[i]);
    }
    free(info->sans);
    free(info->sans_unicode);
    free(info->spki_sha256_hex);
    EVP_PKEY_free(info->pkey);
    X509_PUBKEY_free(info->spki);
    free(info->problems);
    free(info);
}

int csr_info_has(const struct csr_info *info, const char *code)
{
    for (size_t i = 0; info != NULL && code != NULL && i < info->nproblems; i++)
        if (strcmp(info->problems[i].code, code) == 0)
            return 1;
    return 0;
}

int csr_cn_matches(const struct csr_info *info, const char *name)
{
    return info != NULL && info->cn != NULL && names_equal(info->cn, name);
}

/* ---------------------------------------------------------------- JSON */

static int jset(json_t *o, const char *k, json_t *v)
{
    return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : -1;
}

static json_t *jstr(const char *s) { return s != NULL ? json_string(s) : json_null(); }

static json_t *problem_json(const struct csr_problem *p)
{
    json_t *o = json_object();
    if (o == NULL || jset(o, "code", jstr(p->code)) < 0 ||
        jset(o, "severity", json_string(p->severity == CSR_SEV_ERROR ? "error" : "notice")) < 0 ||
        jset(o, "message_ja", jstr(p->msg_ja)) < 0 || jset(o, "message_en", jstr(p->msg_en)) < 0 ||
        jset(o, "detail", json_string(p->detail)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int json_lists(const struct csr_info *info, json_t *o)
{
    json_t *sans = json_array(), *uni = json_array(), *probs = json_array();
    int rc = jset(o, "sans", sans) | jset(o, "sans_unicode", uni) | jset(o, "problems", probs);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < info->nsans; i++)
        if (json_array_append_new(sans, json_string(info->sans[i])) < 0 ||
            json_array_append_new(uni, json_string(info->sans_unicode[i])) < 0)
            return -1;
    for (size_t i = 0; i < info->nproblems; i++)
        if (json_array_append_new(probs, problem_json(&info->problems[i])) < 0)
            return -1;
    return 0;
}

int csr_info_to_json(const struct csr_info *info, json_t **out)
{
    json_t *o = json_object(), *key = json_object();
    *out = NULL;
    if (o == NULL || key == NULL || jset(o, "key", key) < 0) {
        json_decref(o);
        return -SM_E_NOMEM;
    }
    int rc = jset(o, "acceptable", json_boolean(info->acceptable)) |
             jset(o, "subject", jstr(info->subject_utf8)) | jset(o, "cn", jstr(info->cn)) |
             jset(o, "o", jstr(info->o)) | jset(o, "ou", jstr(info->ou)) |
             jset(o, "l", jstr(info->l)) | jset(o, "st", jstr(info->st)) |
             jset(o, "c", jstr(info->c)) | jset(key, "type", jstr(info->key_type)) |
             jset(key, "bits", json_integer(info->key_bits)) |
             jset(key, "curve", jstr(info->curve)) | jset(o, "sig_alg", jstr(info->sig_alg)) |
             jset(o, "spki_sha256", jstr(info->spki_sha256_hex)) | json_lists(info, o);
    if (rc < 0) {
        json_decref(o);
        return -SM_E_NOMEM;
    }
    *out = o;
    return 0;
}
