/* SPDX-License-Identifier: MIT */
/* CA hierarchy creation, CA certificate profiles, repository files and issuer loading;
 * see ca.h. Profiles follow BR 7.1.2.1 (roots) and 7.1.2.10 (TLS subordinate CAs):
 * roots carry basicConstraints CA:TRUE and keyCertSign+cRLSign, both critical, and an SKI;
 * intermediates add pathlen:0, EKU serverAuth, the level's policy OID, AKI, AIA caIssuers
 * and a CRL distribution point. No database here: ra/issuer stores and loads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "core/text.h"
#include "pki/ca.h"
#include "pki/keyfile.h"
#include "pki/p11.h"

#define DAY      86400
#define MAX_DAYS 36525 /* 100 years */
/* BR 7.1.2.1.1: a root certificate is valid for 2922 to 9132 days. */
#define ROOT_MIN_DAYS 2922
#define ROOT_MAX_DAYS 9132
/* CA certificates start an hour before their creation, so that a leaf signed right
 * after init (notBefore = signing time - PROFILE_BACKDATE_SECONDS) does not start before
 * its issuer (issue 8 item 28). BR 7.1.2.10.2 allows notBefore up to 48 h back. */
#define CA_BACKDATE 3600
#define UB_NAME     64 /* ub-common-name, ub-organization-name (RFC 5280) */

static const struct {
    const char *level, *oid;
} policies[] = {
    {"dv", "2.23.140.1.2.1"},
    {"ov", "2.23.140.1.2.2"},
    {"ev", "2.23.140.1.1"},
};

/* The hierarchy: parents first; key names a CA earlier in the table whose key is reused. */
static const struct spec {
    const char *name, *role, *level, *root, *parent, *key, *key_setting;
} specs[CA_HIERARCHY_N] = {
    {"root-a", "root", NULL, "a", NULL, "root-a", "root_a_key"},
    {"root-b", "root", NULL, "b", NULL, "root-b", "root_b_key"},
    {"dv", "intermediate", "dv", "a", "root-a", "dv", "dv_key"},
    {"ov", "intermediate", "ov", "a", "root-a", "ov", "ov_key"},
    {"ev", "intermediate", "ev", "a", "root-a", "ev", "ev_key"},
    {"dv-cross-b", "cross", "dv", "b", "root-b", "dv", "dv_key"},
    {"ov-cross-b", "cross", "ov", "b", "root-b", "ov", "ov_key"},
    {"ev-cross-b", "cross", "ev", "b", "root-b", "ev", "ev_key"},
};

const char *ca_level_policy(const char *level)
{
    for (size_t i = 0; level != NULL && i < sizeof policies / sizeof policies[0]; i++)
        if (strcmp(level, policies[i].level) == 0)
            return policies[i].oid;
    return NULL;
}

int ca_repository_url(const struct config *c, char *out, size_t n)
{
    const char *repo = config_str(c, "ca", "repository_url");
    const char *base = repo[0] != '\0' ? repo : config_str(c, "server", "base_url");
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    int w = snprintf(out, n, "%.*s%s", (int)len, base, repo[0] != '\0' ? "" : "/repository");
    return w < 0 || (size_t)w >= n ? -SM_E_TOO_LARGE : 0;
}

int ca_passphrase(const struct config *c, const char **out, struct sm_err *e)
{
    const char *env = getenv("SHOMEI_CA_PASSPHRASE");
    const char *p = env != NULL && env[0] != '\0' ? env : config_str(c, "ca", "passphrase");
    if (p[0] == '\0') {
        *out = NULL;
        return sm_err_set(e, SM_E_CONFIG, "ca.passphrase",
                          "no CA key passphrase: set [ca] passphrase in shomei.ini or the "
                          "SHOMEI_CA_PASSPHRASE environment variable");
    }
    *out = p;
    return 0;
}

void ca_hsm(const struct config *c, struct signer_hsm *out)
{
    const char *env = getenv("SHOMEI_HSM_PIN");
    out->module = config_str(c, "hsm", "module");
    out->pin = env != NULL && env[0] != '\0' ? env : config_str(c, "hsm", "pin");
}

/* Characters of a UTF-8 string (continuation bytes not counted). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* An http(s) URL that can go into an extension: printable ASCII, no spaces or commas. */
static int url_ok(const char *u)
{
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return 0;
    for (const char *p = u; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == ',' || *p == '"' || *p == '\\')
            return 0;
    return 1;
}

/* Organization without a trailing " CA": the stem of every CA common name; a test
 * hierarchy ([ca] test_ca, set by `shomei init --test-ca`) adds " TEST" to it, so that
 * every CA name says so ("Shomei Demo TEST Root CA A"). */
static void cn_stem(const struct config *c, char *out, size_t n)
{
    const char *org = config_str(c, "ca", "organization");
    size_t len = strlen(org);
    if (len > 3 && strcmp(org + len - 3, " CA") == 0)
        len -= 3;
    snprintf(out, n, "%.*s%s", (int)len, org, config_bool(c, "ca", "test_ca") ? " TEST" : "");
}

int ca_check_config(const struct config *c, struct sm_err *e)
{
    for (size_t i = 0; i < CA_HIERARCHY_N; i++) {
        enum keyfile_type t;
        struct p11_uri u;
        const char *v = config_str(c, "ca", specs[i].key_setting);
        if (strncmp(v, "pkcs11:", 7) == 0) {
            if (p11_uri_parse(v, &u, e) < 0) {
                if (e != NULL)
                    snprintf(e->field, sizeof e->field, "%s", specs[i].key_setting);
                return -SM_E_CONFIG;
            }
            if (strlen(v) >= CA_KEY_REF_MAX)
                return sm_err_set(e, SM_E_CONFIG, specs[i].key_setting,
                                  "[ca] %s: the PKCS#11 URI is too long", specs[i].key_setting);
            if (config_str(c, "hsm", "module")[0] == '\0')
                return sm_err_set(e, SM_E_CONFIG, "hsm.module",
                                  "[ca] %s is a PKCS#11 URI but [hsm] module is not set",
                                  specs[i].key_setting);
        } else if (keyfile_type_parse(v, &t) < 0)
            return sm_err_set(e, SM_E_CONFIG, specs[i].key_setting,
                              "[ca] %s = '%s': use ec-p256, ec-p384, rsa-2048, rsa-3072 or "
                              "rsa-4096",
                              specs[i].key_setting, v);
    }
    const char *tok = config_str(c, "hsm", "token");
    if (tok[0] != '\0' &&
        (strlen(tok) > P11_LABEL_MAX || config_str(c, "hsm", "module")[0] == '\0'))
        return sm_err_set(e, SM_E_CONFIG, "hsm.module",
                          "[hsm] token is set: [hsm] module must name the PKCS#11 module and "
                          "the label have at most %d bytes",
                          P11_LABEL_MAX);
    const char *org = config_str(c, "ca", "organization");
    char stem[256];
    cn_stem(c, stem, sizeof stem);
    /* The longest common name is "<stem> DV CA YYYY" (11 characters after the stem). */
    if (org[0] == '\0' || utf8_chars(org) > UB_NAME || utf8_chars(stem) + 11 > UB_NAME)
        return sm_err_set(e, SM_E_CONFIG, "organization",
                          "[ca] organization must have 1 to %d characters", UB_NAME - 11);
    const char *cc = config_str(c, "ca", "country");
    if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
        return sm_err_set(e, SM_E_CONFIG, "country",
                          "[ca] country must be two upper-case letters (ISO 3166-1)");
    int64_t root_days, int_days;
    int rc = config_int(c, "ca", "root_days", ROOT_MIN_DAYS, ROOT_MAX_DAYS, &root_days, e);
    if (rc == 0)
        rc = config_int(c, "ca", "intermediate_days", 1, root_days, &int_days, e);
    if (rc < 0)
        return rc;
    char repo[CA_URL_MAX];
    /* BR 7.1.2.7.7 and 7.1.2.11.2: caIssuers and CRL URLs are plain http (a relying
     * party fetching them must not need TLS, which may itself need them). */
    if (ca_repository_url(c, repo, sizeof repo) < 0 || !url_ok(repo) ||
        strncmp(repo, "http://", 7) != 0)
        return sm_err_set(e, SM_E_CONFIG, "repository_url",
                          "the repository URL '%.200s' must be a plain http:// URL (BR "
                          "7.1.2.11.2); when base_url is https, set [ca] repository_url",
                          repo);
    static const char *const urls[] = {"cps_url", "ocsp_url"};
    for (size_t i = 0; i < 2; i++) {
        const char *u = config_str(c, "ca", urls[i]);
        if (u[0] != '\0' && (strlen(u) >= CA_URL_MAX || !url_ok(u)))
            return sm_err_set(e, SM_E_CONFIG, urls[i], "[ca] %s '%.200s' is not a usable URL",
                              urls[i], u);
    }
    return 0;
}

/* ---- certificate profiles ---- */

struct profile {
    const X509_NAME *subject;
    EVP_PKEY *pub;      /* subject public key */
    X509 *issuer;       /* NULL = self-signed */
    struct signer *sig; /* the issuer's key */
    time_t not_before, not_after;
    const char *policy; /* CA/B policy OID; NULL for roots */
    const char *aia;    /* caIssuers URL; NULL for roots */
    const char *crl;    /* CRL distribution point; NULL for roots */
};

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* certificatePolicies with one policy OID and no qualifiers (BR 7.1.2.10.5). */
static int add_policy(X509 *x, const char *oid)
{
    CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    int ok = pols != NULL && pi != NULL;
    if (ok) {
        ASN1_OBJECT_free(pi->policyid);
        pi->policyid = OBJ_txt2obj(oid, 1);
        ok = pi->policyid != NULL && sk_POLICYINFO_push(pols, pi) > 0;
    }
    if (ok)
        pi = NULL; /* owned by pols */
    ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, X509V3_ADD_APPEND) == 1;
    POLICYINFO_free(pi);
    CERTIFICATEPOLICIES_free(pols);
    return ok ? 0 : -1;
}

static int random_serial(X509 *x)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[0] &= 0x7f; /* positive */
    if (b[0] == 0)
        b[0] = 0x01; /* keep 16 octets */
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int build_cert(const struct profile *p, X509 **out, struct sm_err *e)
{
    *out = NULL;
    X509 *x = X509_new();
    if (x == NULL)
        return sm_err_openssl(e, "X509_new");
    const X509_NAME *issuer_name = p->issuer ? X509_get_subject_name(p->issuer) : p->subject;
    int ok = X509_set_version(x, X509_VERSION_3) && random_serial(x) == 0 &&
             X509_set_subject_name(x, p->subject) && X509_set_issuer_name(x, issuer_name) &&
             ASN1_TIME_set(X509_getm_notBefore(x), p->not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(x), p->not_after) != NULL &&
             X509_set_pubkey(x, p->pub);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, p->issuer ? p->issuer : x, x, NULL, NULL, 0);
    char v[2 * CA_URL_MAX]; /* holds a prefix and a URL of up to CA_URL_MAX + 64 */
    if (ok && p->issuer == NULL) {
        ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
             add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") == 0;
    } else if (ok) {
        ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
             add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
             add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") == 0 &&
             add_policy(x, p->policy) == 0 &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") == 0 &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") == 0;
        snprintf(v, sizeof v, "caIssuers;URI:%s", p->aia);
        ok = ok && add_ext(x, &ctx, NID_info_access, v) == 0;
        snprintf(v, sizeof v, "URI:%s", p->crl);
        ok = ok && add_ext(x, &ctx, NID_crl_distribution_points, v) == 0;
    }
    if (!ok) {
        X509_free(x);
        return sm_err_openssl(e, "CA certificate fields");
    }
    int rc = signer_sign_cert(p->sig, x, e);
    if (rc == 0 && X509_verify(x, signer_public(p->sig)) != 1)
        rc = sm_err_openssl(e, "CA certificate does not verify");
    if (rc < 0) {
        X509_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

static X509_NAME *ca_name(const struct config *c, const char *cn, struct sm_err *e)
{
    X509_NAME *n = X509_NAME_new();
    const unsigned char *cc = (const unsigned char *)config_str(c, "ca", "country");
    const unsigned char *o = (const unsigned char *)config_str(c, "ca", "organization");
    if (n == NULL || !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, cc, -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, o, -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0)) {
        X509_NAME_free(n);
        sm_err_openssl(e, "CA name");
        return NULL;
    }
    return n;
}

/* ---- hierarchy creation ---- */

struct build {
    const struct config *c;
    const char *pass;
    char repo[CA_URL_MAX];
    time_t now;
    int64_t root_days, int_days;
    EVP_PKEY *keys[CA_HIERARCHY_N];         /* public halves, for every entry */
    struct signer *signers[CA_HIERARCHY_N]; /* for entries that own their key */
    struct ca_entry *ents[CA_HIERARCHY_N];
    char written[CA_HIERARCHY_N][4096]; /* key files written, for clean-up */
};

static int spec_index(const char *name)
{
    for (int i = 0; i < CA_HIERARCHY_N; i++)
        if (name != NULL && strcmp(specs[i].name, name) == 0)
            return i;
    return -1;
}

static int make_key(struct build *b, int i, struct ca_entry *ent, struct sm_err *e)
{
    const struct spec *s = &specs[i];
    int k = spec_index(s->key);
    if (k != i) { /* a cross-certificate reuses its intermediate's key */
        snprintf(ent->key_type, sizeof ent->key_type, "%s", b->ents[k]->key_type);
        snprintf(ent->key_ref, sizeof ent->key_ref, "%s", b->ents[k]->key_ref);
        b->keys[i] = b->keys[k];
        return EVP_PKEY_up_ref(b->keys[i]) ? 0 : sm_err_openssl(e, "key reference");
    }
    b->ents[i] = ent;
    const char *v = config_str(b->c, "ca", s->key_setting);
    const char *token = config_str(b->c, "hsm", "token");
    struct signer_hsm hsm;
    ca_hsm(b->c, &hsm);
    enum keyfile_type t = KEYFILE_EC_P256;
    int rc;
    if (strncmp(v, "pkcs11:", 7) == 0) { /* an existing key in a token */
        snprintf(ent->key_ref, sizeof ent->key_ref, "%s", v);
        rc = signer_open_ref(v, NULL, NULL, &hsm, &b->signers[i], e);
    } else {
        keyfile_type_parse(v, &t); /* checked before */
        if (token[0] != '\0') {
            rc = signer_generate_token(&hsm, token, s->key, t, ent->key_ref, sizeof ent->key_ref,
                                       &b->signers[i], e);
        } else {
            char rel[64];
            snprintf(ent->key_ref, sizeof ent->key_ref, "file:keys/%s.key", s->key);
            snprintf(rel, sizeof rel, "keys/%s.key", s->key);
            if (config_path(b->c, rel, b->written[i], sizeof b->written[i]) < 0)
                return sm_err_set(e, SM_E_TOO_LARGE, "dir", "data directory path too long");
            EVP_PKEY *key = NULL;
            rc = keyfile_generate(t, &key, e);
            if (rc == 0)
                rc = keyfile_write(b->written[i], key, b->pass, e);
            if (rc < 0)
                b->written[i][0] = '\0'; /* not ours to remove */
            if (rc == 0)
                rc = signer_from_pkey(key, &b->signers[i], e);
            EVP_PKEY_free(key);
        }
    }
    if (rc < 0)
        return rc;
    t = signer_type(b->signers[i]);
    snprintf(ent->key_type, sizeof ent->key_type, "%s", keyfile_type_name(t));
    b->keys[i] = signer_public(b->signers[i]);
    return EVP_PKEY_up_ref(b->keys[i]) ? 0 : sm_err_openssl(e, "key reference");
}

static int make_entry(struct build *b, struct ca_hierarchy *h, int i, struct sm_err *e)
{
    const struct spec *s = &specs[i];
    struct ca_entry *ent = &h->ca[i];
    snprintf(ent->name, sizeof ent->name, "%s", s->name);
    ent->role = s->role;
    ent->level = s->level;
    ent->root = s->root;
    ent->parent = s->parent;
    int rc = make_key(b, i, ent, e);
    if (rc < 0)
        return rc;

    struct profile p = {.pub = b->keys[i], .not_before = b->now - CA_BACKDATE};
    char stem[256], cn[512], aia[CA_URL_MAX + 64], crl[CA_URL_MAX + 64];
    X509_NAME *own = NULL;
    cn_stem(b->c, stem, sizeof stem);
    if (s->parent == NULL) {
        snprintf(cn, sizeof cn, "%s Root CA %c", stem, s->root[0] - 'a' + 'A');
        p.sig = b->signers[i];
        p.not_after = p.not_before + (time_t)b->root_days * DAY - 1; /* BR 6.3.2 count */
    } else {
        int par = spec_index(s->parent);
        p.issuer = h->ca[par].cert;
        p.sig = b->signers[par];
        p.policy = ca_level_policy(s->level);
        p.not_after = p.not_before + (time_t)b->int_days * DAY - 1;
        int64_t parent_end;
        if (ca_time_unix(X509_get0_notAfter(p.issuer), &parent_end) == 0 &&
            parent_end < p.not_after)
            p.not_after = (time_t)parent_end;
        snprintf(aia, sizeof aia, "%s/%s.crt", b->repo, s->parent);
        snprintf(crl, sizeof crl, "%s/%s.crl", b->repo, s->parent);
        p.aia = aia;
        p.crl = crl;
        int y, m, d;
        clock_tokyo_date(b->now, &y, &m, &d);
        snprintf(cn, sizeof cn, "%s %c%c CA %d", stem, s->level[0] - 'a' + 'A',
                 s->level[1] - 'a' + 'A', y);
    }
    int same_key = spec_index(s->key);
    if (same_key != i) /* cross-certificate: the very subject of its intermediate */
        p.subject = X509_get_subject_name(h->ca[same_key].cert);
    else if ((own = ca_name(b->c, cn, e)) == NULL)
        return -(e ? e->code : SM_E_CRYPTO);
    else
        p.subject = own;
    rc = build_cert(&p, &ent->cert, e);
    X509_NAME_free(own);
    return rc;
}

int ca_hierarchy_create(const struct config *c, const char *pass, struct ca_hierarchy *h,
                        struct sm_err *e)
{
    memset(h, 0, sizeof *h);
    int rc = ca_check_config(c, e);
    h->test = config_bool(c, "ca", "test_ca");
    if (rc < 0)
        return rc;
    if (pass == NULL || pass[0] == '\0')
        return sm_err_set(e, SM_E_CONFIG, "ca.passphrase", "no CA key passphrase");
    struct build *b = sm_calloc(1, sizeof *b);
    if (b == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    b->c = c;
    b->pass = pass;
    b->now = clock_now();
    ca_repository_url(c, b->repo, sizeof b->repo);
    config_int(c, "ca", "root_days", ROOT_MIN_DAYS, ROOT_MAX_DAYS, &b->root_days, NULL);
    config_int(c, "ca", "intermediate_days", 1, b->root_days, &b->int_days, NULL);

    char keydir[4096];
    if (config_path(c, "keys", keydir, sizeof keydir) < 0)
        rc = sm_err_set(e, SM_E_TOO_LARGE, "dir", "data directory path too long");
    else if (mkdir(keydir, 0700) != 0 && errno != EEXIST)
        rc = sm_err_set(e, SM_E_IO, "keys", "cannot create %s: %s", keydir, strerror(errno));
    for (int i = 0; rc == 0 && i < CA_HIERARCHY_N; i++) {
        rc = make_entry(b, h, i, e);
        h->n = i + 1;
    }
    for (int i = 0; i < CA_HIERARCHY_N; i++) {
        if (rc < 0 && b->written[i][0] != '\0')
            unlink(b->written[i]);
        signer_free(b->signers[i]);
        EVP_PKEY_free(b->keys[i]);
    }
    free(b);
    if (rc < 0)
        ca_hierarchy_clear(h);
    return rc;
}

void ca_hierarchy_clear(struct ca_hierarchy *h)
{
    for (int i = 0; i < CA_HIERARCHY_N; i++)
        X509_free(h->ca[i].cert);
    memset(h, 0, sizeof *h);
}

/* ---- display helpers ---- */

int ca_name_string(const X509_NAME *name, char *out, size_t n)
{
    BIO *m = BIO_new(BIO_s_mem());
    if (m == NULL || n == 0) {
        BIO_free(m);
        return -SM_E_NOMEM;
    }
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    int rc = X509_NAME_print_ex(m, name, 0, flags) < 0 ? -SM_E_CRYPTO : 0;
    char *p = NULL;
    long len = BIO_get_mem_data(m, &p);
    if (rc == 0 && (len < 0 || (size_t)len >= n))
        rc = -SM_E_TOO_LARGE;
    if (rc == 0) {
        memcpy(out, p, (size_t)len);
        out[len] = '\0';
    } else {
        out[0] = '\0';
    }
    BIO_free(m);
    return rc;
}

static int hex(const unsigned char *b, size_t len, char *out, size_t n)
{
    if (n < len * 2 + 1)
        return -SM_E_TOO_LARGE;
    text_hex(out, b, len);
    return 0;
}

int ca_fingerprint(const X509 *cert, char *out, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!X509_digest(cert, EVP_sha256(), md, &len))
        return -SM_E_CRYPTO;
    return hex(md, len, out, n);
}

int ca_ski_hex(X509 *cert, char *out, size_t n)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
    if (ski == NULL)
        return -SM_E_NOTFOUND;
    return hex(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski), out, n);
}

int ca_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return -SM_E_INVALID;
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* ---- what storage keeps, and the repository ---- */

int ca_facts_of(X509 *cert, struct ca_facts *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    int len = i2d_X509(cert, &out->der);
    if (len <= 0) {
        out->der = NULL;
        return sm_err_openssl(e, "encode CA certificate");
    }
    out->der_len = (size_t)len;
    if (ca_name_string(X509_get_subject_name(cert), out->subject, sizeof out->subject) < 0 ||
        ca_ski_hex(cert, out->ski, sizeof out->ski) < 0 ||
        ca_time_unix(X509_get0_notBefore(cert), &out->not_before) < 0 ||
        ca_time_unix(X509_get0_notAfter(cert), &out->not_after) < 0) {
        ca_facts_clear(out);
        return sm_err_set(e, SM_E_INTERNAL, "certificate", "cannot describe a CA certificate");
    }
    return 0;
}

void ca_facts_clear(struct ca_facts *f)
{
    OPENSSL_free(f->der);
    memset(f, 0, sizeof *f);
}

/* Writes data to path through a temporary file and a rename (replaces path). */
static int write_public_file(const char *path, const void *data, size_t len, struct sm_err *e)
{
    char tmp[4200];
    int w = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof tmp)
        return sm_err_set(e, SM_E_TOO_LARGE, "repository", "path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return sm_err_set(e, SM_E_IO, "repository", "cannot create %s: %s", tmp, strerror(errno));
    int ok = fchmod(fd, 0644) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return sm_err_set(e, SM_E_IO, "repository", "cannot write %s: %s", path, strerror(err));
    }
    return 0;
}

int ca_repository_write(const struct config *c, const char *name, X509 *cert, struct sm_err *e)
{
    char dir[4096], path[4200];
    if (config_path(c, "repository", dir, sizeof dir) < 0)
        return sm_err_set(e, SM_E_TOO_LARGE, "dir", "data directory path too long");
    if (mkdir(dir, 0755) == 0)
        chmod(dir, 0755); /* whatever the umask */
    else if (errno != EEXIST)
        return sm_err_set(e, SM_E_IO, "repository", "cannot create %s: %s", dir, strerror(errno));
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    if (len <= 0)
        return sm_err_openssl(e, "encode certificate");
    snprintf(path, sizeof path, "%s/%s.crt", dir, name);
    int rc = write_public_file(path, der, (size_t)len, e);
    OPENSSL_free(der);
    if (rc < 0)
        return rc;
    BIO *m = BIO_new(BIO_s_mem());
    char *pem = NULL;
    if (m == NULL || !PEM_write_bio_X509(m, cert)) {
        BIO_free(m);
        return sm_err_openssl(e, "PEM certificate");
    }
    long plen = BIO_get_mem_data(m, &pem);
    snprintf(path, sizeof path, "%s/%s.pem", dir, name);
    rc = write_public_file(path, pem, (size_t)plen, e);
    BIO_free(m);
    return rc;
}

/* ---- issuers from their stored bytes ---- */

static int check_level_root(const char *level, const char *root, struct sm_err *e)
{
    if (ca_level_policy(level) == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "level must be dv, ov or ev");
    if (root == NULL || (strcmp(root, "a") != 0 && strcmp(root, "b") != 0))
        return sm_err_set(e, SM_E_INVALID, "root", "root must be a or b");
    return 0;
}

int ca_issuer_name(const char *level, const char *root, char *out, size_t n, struct sm_err *e)
{
    int rc = check_level_root(level, root, e);
    if (rc == 0)
        snprintf(out, n, strcmp(root, "a") == 0 ? "%s" : "%s-cross-b", level);
    return rc;
}

static X509 *parse_der(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    return der != NULL && len > 0 && len <= INT32_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
}

int ca_chain_parse(const unsigned char *der, size_t der_len, const unsigned char *root_der,
                   size_t root_der_len, STACK_OF(X509) * *out, struct sm_err *e)
{
    *out = NULL;
    X509 *cert = parse_der(der, der_len);
    X509 *root = cert != NULL ? parse_der(root_der, root_der_len) : NULL;
    if (cert == NULL || root == NULL) {
        X509_free(cert);
        return sm_err_openssl(e, "stored CA certificate");
    }
    STACK_OF(X509) *sk = sk_X509_new_null();
    if (sk != NULL && sk_X509_push(sk, cert)) {
        cert = NULL; /* owned by sk */
        if (sk_X509_push(sk, root))
            root = NULL;
    }
    if (cert != NULL || root != NULL) {
        X509_free(cert);
        X509_free(root);
        sk_X509_pop_free(sk, X509_free);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    *out = sk;
    return 0;
}

int ca_ocsp_enabled(const struct config *c, const char *level)
{
    char key[16];
    snprintf(key, sizeof key, "ocsp_%s", level ? level : "");
    return config_bool(c, "ca", key);
}

static int issuer_urls(const struct config *c, struct ca_issuer *is, struct sm_err *e)
{
    char repo[CA_URL_MAX];
    const char *cps = config_str(c, "ca", "cps_url");
    int w1 = ca_repository_url(c, repo, sizeof repo);
    int w2 = snprintf(is->ca_issuers_url, CA_URL_MAX, "%s/%s.crt", repo, is->name);
    int w3 = snprintf(is->crl_url, CA_URL_MAX, "%s/%s.crl", repo, is->level);
    int w4 = cps[0] ? snprintf(is->cps_url, CA_URL_MAX, "%s", cps)
                    : snprintf(is->cps_url, CA_URL_MAX, "%s/cps", repo);
    int w5 = snprintf(is->ocsp_url, CA_URL_MAX, "%s",
                      ca_ocsp_enabled(c, is->level) ? config_str(c, "ca", "ocsp_url") : "");
    if (w1 < 0 || w2 >= CA_URL_MAX || w3 >= CA_URL_MAX || w4 >= CA_URL_MAX || w5 >= CA_URL_MAX)
        return sm_err_set(e, SM_E_CONFIG, "repository_url", "CA URLs are too long");
    return 0;
}

int ca_crl_shards(const struct config *c, const char *level, int *out, struct sm_err *e)
{
    char key[32];
    int64_t v = 1;
    snprintf(key, sizeof key, "crl_shards_%s", level);
    int rc = config_int(c, "revocation", key, 1, CA_CRL_SHARDS_MAX, &v, e);
    *out = rc == 0 ? (int)v : 1;
    return rc;
}

/* base is "{repository}/{level}.crl": shard k > 0 turns it into ".../{level}-k.crl". */
static int shard_url(const char *base, int shard, char *out, size_t n)
{
    size_t bl = strlen(base);
    int w = shard <= 0 ? snprintf(out, n, "%s", base)
                       : snprintf(out, n, "%.*s-%d.crl", (int)(bl > 4 ? bl - 4 : 0), base, shard);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int ca_crl_url(const struct config *c, const char *level, int shard, char *out, size_t n)
{
    char repo[CA_URL_MAX], base[CA_URL_MAX + 16];
    if (ca_repository_url(c, repo, sizeof repo) < 0)
        return -1;
    snprintf(base, sizeof base, "%s/%s.crl", repo, level);
    return shard_url(base, shard, out, n);
}

int ca_issuer_crl_url(const struct ca_issuer *is, int shard, char *out, size_t n)
{
    return shard_url(is->crl_url, shard, out, n);
}

int ca_issuer_open(const struct config *c, const char *level, const char *root,
                   const struct ca_stored *s, struct ca_issuer **out, struct sm_err *e)
{
    *out = NULL;
    const char *pass = NULL;
    char name[CA_NAME_MAX];
    struct signer_hsm hsm;
    ca_hsm(c, &hsm);
    int rc = ca_issuer_name(level, root, name, sizeof name, e);
    if (rc == 0 && strncmp(s->key_ref, "pkcs11:", 7) != 0)
        rc = ca_passphrase(c, &pass, e);
    if (rc < 0)
        return rc;
    struct ca_issuer *is = sm_calloc(1, sizeof *is);
    if (is == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    snprintf(is->name, sizeof is->name, "%s", name);
    snprintf(is->level, sizeof is->level, "%s", level);
    snprintf(is->root, sizeof is->root, "%s", root);
    is->ca_id = s->id;
    is->test = s->test;
    rc = ca_chain_parse(s->der, s->der_len, s->root_der, s->root_der_len, &is->chain, e);
    if (rc == 0) {
        is->cert = sk_X509_value(is->chain, 0);
        rc = signer_open_ref(s->key_ref, config_dir(c), pass, &hsm, &is->signer, e);
    }
    if (rc == 0 && EVP_PKEY_eq(X509_get0_pubkey(is->cert), signer_public(is->signer)) != 1)
        rc = sm_err_set(e, SM_E_CRYPTO, is->name, "key %s does not match CA certificate %s",
                        s->key_ref, is->name);
    if (rc == 0)
        rc = issuer_urls(c, is, e);
    if (rc == 0)
        rc = ca_crl_shards(c, is->level, &is->crl_shards, e);
    if (rc < 0) {
        ca_issuer_free(is);
        return rc;
    }
    *out = is;
    return 0;
}

void ca_issuer_free(struct ca_issuer *is)
{
    if (is == NULL)
        return;
    signer_free(is->signer);
    sk_X509_pop_free(is->chain, X509_free); /* is->cert is the chain's first element */
    free(is);
}
