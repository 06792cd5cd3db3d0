/* SPDX-License-Identifier: MIT */
/* pki/ca, ra/issuer and store/cas: the CA hierarchy of R-ISS-1 (roots A and B, an issuing
 * intermediate per level signed by root A, a cross-certificate of the same key and subject
 * signed by root B), the CA certificate profiles (BR 7.1.2.1, 7.1.2.10), the [ca] settings,
 * storing the hierarchy and loading an issuer (R-OPS-1: keys in encrypted files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testdir.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "pki/ca.h"
#include "ra/issuer.h"
#include "store/audit.h"
#include "store/cas.h"
#include "store/db.h"

#define PASS "unit-test-passphrase"

static char tmpdir[256];
static int ndirs;
static struct config *cfg;       /* the shared hierarchy's config */
static struct ca_hierarchy hier; /* created once with the default settings */

/* A fresh directory under tmpdir. */
static void new_dir(char *out, size_t n)
{
    snprintf(out, n, "%s/d%d", tmpdir, ++ndirs);
    assert_int_equal(mkdir(out, 0700), 0);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("SHOMEI_CA_PASSPHRASE");
    clock_set(1795305600); /* 2026-11-22T00:00:00Z */
    if (testdir_make(tmpdir, sizeof tmpdir, "ca") < 0)
        return -1;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/shared", tmpdir);
    if (mkdir(dir, 0700) != 0 || (cfg = config_defaults(dir)) == NULL)
        return -1;
    struct sm_err e = {0};
    int rc = ca_hierarchy_create(cfg, PASS, &hier, &e);
    if (rc < 0)
        fprintf(stderr, "# setup: %s %s\n", e.field, e.detail);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    ca_hierarchy_clear(&hier);
    config_free(cfg);
    clock_set(0);
    testdir_remove(tmpdir);
    return 0;
}

static X509 *by_name(const struct ca_hierarchy *h, const char *name)
{
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->ca[i].name, name) == 0)
            return h->ca[i].cert;
    fail_msg("no CA %s", name);
    return NULL;
}

static int is_critical(X509 *x, int nid)
{
    int idx = X509_get_ext_by_NID(x, nid, -1);
    assert_true(idx >= 0);
    return X509_EXTENSION_get_critical(X509_get_ext(x, idx));
}

static void name_text(const X509_NAME *n, char *out, size_t len)
{
    assert_int_equal(ca_name_string(n, out, len), 0);
}

/* R-ISS-1: eight CAs with the expected names, roles and parents. */
static void test_ca_hierarchy_create_names_and_roles(void **state)
{
    (void)state;
    static const struct {
        const char *name, *role, *level, *root, *parent, *key_ref;
    } want[] = {
        {"root-a", "root", NULL, "a", NULL, "file:keys/root-a.key"},
        {"root-b", "root", NULL, "b", NULL, "file:keys/root-b.key"},
        {"dv", "intermediate", "dv", "a", "root-a", "file:keys/dv.key"},
        {"ov", "intermediate", "ov", "a", "root-a", "file:keys/ov.key"},
        {"ev", "intermediate", "ev", "a", "root-a", "file:keys/ev.key"},
        {"dv-cross-b", "cross", "dv", "b", "root-b", "file:keys/dv.key"},
        {"ov-cross-b", "cross", "ov", "b", "root-b", "file:keys/ov.key"},
        {"ev-cross-b", "cross", "ev", "b", "root-b", "file:keys/ev.key"},
    };
    assert_int_equal(hier.n, 8);
    for (int i = 0; i < 8; i++) {
        const struct ca_entry *c = &hier.ca[i];
        assert_string_equal(c->name, want[i].name);
        assert_string_equal(c->role, want[i].role);
        assert_string_equal(c->root, want[i].root);
        assert_string_equal(c->key_ref, want[i].key_ref);
        if (want[i].level)
            assert_string_equal(c->level, want[i].level);
        else
            assert_null(c->level);
        if (want[i].parent)
            assert_string_equal(c->parent, want[i].parent);
        else
            assert_null(c->parent);
        /* defaults: roots P-384, intermediates P-256 */
        assert_string_equal(c->key_type, want[i].parent ? "ec-p256" : "ec-p384");
    }
    char s[512];
    name_text(X509_get_subject_name(by_name(&hier, "root-a")), s, sizeof s);
    assert_string_equal(s, "CN=Shomei Demo Root CA A,O=Shomei Demo CA,C=JP");
    name_text(X509_get_subject_name(by_name(&hier, "root-b")), s, sizeof s);
    assert_string_equal(s, "CN=Shomei Demo Root CA B,O=Shomei Demo CA,C=JP");
    name_text(X509_get_subject_name(by_name(&hier, "ov")), s, sizeof s);
    assert_string_equal(s, "CN=Shomei Demo OV CA 2026,O=Shomei Demo CA,C=JP");
}

/* R-ISS-1, BR 7.1.2.1: roots are self-signed v3 CA certificates with critical
 * basicConstraints (no pathlen), critical keyCertSign+cRLSign, an SKI and no EKU. */
static void test_ca_hierarchy_create_root_profile(void **state)
{
    (void)state;
    static const char *const roots[] = {"root-a", "root-b"};
    for (int i = 0; i < 2; i++) {
        X509 *x = by_name(&hier, roots[i]);
        assert_int_equal(X509_get_version(x), X509_VERSION_3);
        assert_int_equal(X509_check_issued(x, x), X509_V_OK);
        assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
        assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
        assert_true(is_critical(x, NID_basic_constraints));
        assert_int_equal(X509_get_pathlen(x), -1);
        assert_true(is_critical(x, NID_key_usage));
        assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
        assert_non_null(X509_get0_subject_key_id(x));
        assert_int_equal(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
        assert_int_equal(X509_get_ext_by_NID(x, NID_certificate_policies, -1), -1);
        assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
        /* serial: positive, 16 octets of randomness */
        const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
        assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);
        assert_int_equal(ASN1_STRING_length(sn), 16);
    }
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(by_name(&hier, "root-a")),
                                          X509_get0_serialNumber(by_name(&hier, "root-b"))),
                         0);
}

static void check_policy(X509 *x, const char *oid)
{
    CERTIFICATEPOLICIES *pol = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    assert_non_null(pol);
    assert_int_equal(sk_POLICYINFO_num(pol), 1);
    char got[64];
    OBJ_obj2txt(got, sizeof got, sk_POLICYINFO_value(pol, 0)->policyid, 1);
    assert_string_equal(got, oid);
    CERTIFICATEPOLICIES_free(pol);
}

static void check_uri(X509 *x, int nid, const char *want)
{
    char got[600] = "";
    if (nid == NID_info_access) {
        AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, nid, NULL, NULL);
        assert_non_null(aia);
        assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 1);
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
        assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_ca_issuers);
        assert_int_equal(ad->location->type, GEN_URI);
        snprintf(got, sizeof got, "%s",
                 (const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier));
        AUTHORITY_INFO_ACCESS_free(aia);
    } else {
        CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, nid, NULL, NULL);
        assert_non_null(dps);
        DIST_POINT *dp = sk_DIST_POINT_value(dps, 0);
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
        assert_int_equal(gn->type, GEN_URI);
        snprintf(got, sizeof got, "%s",
                 (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
        CRL_DIST_POINTS_free(dps);
    }
    assert_string_equal(got, want);
}

/* R-ISS-1, BR 7.1.2.10: intermediates and cross-certificates: CA:TRUE pathlen:0 critical,
 * keyCertSign+cRLSign critical, EKU serverAuth only, the level's CA/B policy OID, AKI =
 * issuer's SKI, AIA caIssuers and CRL DP under the repository URL of their root. */
static void test_ca_hierarchy_create_intermediate_profile(void **state)
{
    (void)state;
    static const struct {
        const char *name, *parent, *oid;
    } cases[] = {
        {"dv", "root-a", "2.23.140.1.2.1"},         {"ov", "root-a", "2.23.140.1.2.2"},
        {"ev", "root-a", "2.23.140.1.1"},           {"dv-cross-b", "root-b", "2.23.140.1.2.1"},
        {"ov-cross-b", "root-b", "2.23.140.1.2.2"}, {"ev-cross-b", "root-b", "2.23.140.1.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *x = by_name(&hier, cases[i].name), *p = by_name(&hier, cases[i].parent);
        assert_int_equal(X509_get_version(x), X509_VERSION_3);
        assert_int_equal(X509_check_issued(p, x), X509_V_OK);
        assert_int_equal(X509_verify(x, X509_get0_pubkey(p)), 1);
        assert_true(is_critical(x, NID_basic_constraints));
        assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
        assert_int_equal(X509_get_pathlen(x), 0);
        assert_true(is_critical(x, NID_key_usage));
        assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
        assert_false(is_critical(x, NID_ext_key_usage));
        assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
        check_policy(x, cases[i].oid);
        assert_int_equal(
            ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(p)), 0);
        assert_null(X509_get0_authority_issuer(x));
        assert_null(X509_get0_authority_serial(x));
        char url[600];
        snprintf(url, sizeof url, "http://127.0.0.1:8080/repository/%s.crt", cases[i].parent);
        check_uri(x, NID_info_access, url);
        snprintf(url, sizeof url, "http://127.0.0.1:8080/repository/%s.crl", cases[i].parent);
        check_uri(x, NID_crl_distribution_points, url);
        assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384); /* P-384 root */
        /* validity inside the parent's */
        assert_true(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(p)) <= 0);
    }
}

/* R-ISS-1: each cross-certificate has the same subject and key as its intermediate, and
 * a different issuer and serial. */
static void test_ca_hierarchy_create_cross_same_subject_and_key(void **state)
{
    (void)state;
    static const char *const levels[] = {"dv", "ov", "ev"};
    for (int i = 0; i < 3; i++) {
        char cross[32];
        snprintf(cross, sizeof cross, "%s-cross-b", levels[i]);
        X509 *a = by_name(&hier, levels[i]), *b = by_name(&hier, cross);
        assert_int_equal(X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)), 0);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)), 1);
        assert_int_equal(
            ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(a), X509_get0_subject_key_id(b)), 0);
        assert_int_not_equal(X509_NAME_cmp(X509_get_issuer_name(a), X509_get_issuer_name(b)), 0);
        assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
                             0);
    }
}

/* Validity comes from [ca] root_days and intermediate_days (counted with both end
 * seconds, BR 6.3.2), starting an hour before now (issue 8 item 28: a leaf backdated a
 * minute must not start before its CA). */
static void test_ca_hierarchy_create_validity(void **state)
{
    (void)state;
    int64_t nb, na;
    assert_int_equal(ca_time_unix(X509_get0_notBefore(by_name(&hier, "root-a")), &nb), 0);
    assert_int_equal(ca_time_unix(X509_get0_notAfter(by_name(&hier, "root-a")), &na), 0);
    assert_int_equal(nb, 1795305600 - 3600);
    assert_int_equal(na - nb + 1, 9125LL * 86400);
    assert_int_equal(ca_time_unix(X509_get0_notBefore(by_name(&hier, "ev-cross-b")), &nb), 0);
    assert_int_equal(ca_time_unix(X509_get0_notAfter(by_name(&hier, "ev-cross-b")), &na), 0);
    assert_int_equal(na - nb + 1, 1825LL * 86400);
}

/* R-OPS-1: five encrypted key files of mode 0600 in a 0700 keys directory. */
static void test_ca_hierarchy_create_key_files(void **state)
{
    (void)state;
    static const char *const names[] = {"root-a", "root-b", "dv", "ov", "ev"};
    char path[600];
    struct stat st;
    snprintf(path, sizeof path, "%s/keys", config_dir(cfg));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/keys/%s.key", config_dir(cfg), names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        struct signer *s = NULL;
        assert_int_equal(signer_open_file(path, "not-the-passphrase", &s, NULL), -SM_E_CRYPTO);
        assert_int_equal(signer_open_file(path, PASS, &s, NULL), 0);
        assert_int_equal(EVP_PKEY_eq(signer_public(s), X509_get0_pubkey(by_name(&hier, names[i]))),
                         1);
        signer_free(s);
    }
}

/* R-OPS-1: creating a hierarchy where keys exist refuses and leaves the keys alone. */
static void test_ca_hierarchy_create_refuses_existing_keys(void **state)
{
    (void)state;
    char path[600];
    struct stat before, after;
    snprintf(path, sizeof path, "%s/keys/dv.key", config_dir(cfg));
    assert_int_equal(stat(path, &before), 0);
    struct ca_hierarchy h2;
    struct sm_err e = {0};
    assert_int_equal(ca_hierarchy_create(cfg, PASS, &h2, &e), -SM_E_EXISTS);
    assert_int_equal(h2.n, 0);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(before.st_mtime, after.st_mtime);
    /* the keys written before the refusal (none: root-a is first and exists) */
    struct signer *s = NULL;
    snprintf(path, sizeof path, "%s/keys/root-a.key", config_dir(cfg));
    assert_int_equal(signer_open_file(path, PASS, &s, NULL), 0);
    assert_int_equal(EVP_PKEY_eq(signer_public(s), X509_get0_pubkey(by_name(&hier, "root-a"))), 1);
    signer_free(s);
}

/* A failure midway removes the key files it wrote: the second root's key exists. */
static void test_ca_hierarchy_create_failure_removes_written_keys(void **state)
{
    (void)state;
    char dir[300], path[600];
    new_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/keys", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/keys/ov.key", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    struct config *c = config_defaults(dir);
    struct ca_hierarchy h;
    assert_int_equal(ca_hierarchy_create(c, PASS, &h, NULL), -SM_E_EXISTS);
    static const char *const gone[] = {"root-a", "root-b", "dv"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/keys/%s.key", dir, gone[i]);
        assert_int_equal(access(path, F_OK), -1);
    }
    snprintf(path, sizeof path, "%s/keys/ov.key", dir);
    assert_int_equal(access(path, F_OK), 0); /* not ours: kept */
    config_free(c);
}

/* R-OPS-1, R-ISS-1: key types are selectable per CA; the digest follows the issuer key. */
static void test_ca_hierarchy_create_key_types(void **state)
{
    (void)state;
    char dir[300];
    new_dir(dir, sizeof dir);
    struct config *c = config_defaults(dir);
    assert_int_equal(config_set(c, "ca", "root_a_key", "rsa-2048"), 0);
    assert_int_equal(config_set(c, "ca", "root_b_key", "ec-p256"), 0);
    assert_int_equal(config_set(c, "ca", "dv_key", "rsa-3072"), 0);
    assert_int_equal(config_set(c, "ca", "ov_key", "ec-p384"), 0);
    struct ca_hierarchy h;
    assert_int_equal(ca_hierarchy_create(c, PASS, &h, NULL), 0);
    static const struct {
        const char *name, *type;
        int base_id, sig_nid;
    } want[] = {
        {"root-a", "rsa-2048", EVP_PKEY_RSA, NID_sha256WithRSAEncryption},
        {"root-b", "ec-p256", EVP_PKEY_EC, NID_ecdsa_with_SHA256},
        {"dv", "rsa-3072", EVP_PKEY_RSA, NID_sha256WithRSAEncryption},
        {"ov", "ec-p384", EVP_PKEY_EC, NID_sha256WithRSAEncryption},
        {"ev", "ec-p256", EVP_PKEY_EC, NID_sha256WithRSAEncryption},
        {"dv-cross-b", "rsa-3072", EVP_PKEY_RSA, NID_ecdsa_with_SHA256},
        {"ov-cross-b", "ec-p384", EVP_PKEY_EC, NID_ecdsa_with_SHA256},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        X509 *x = by_name(&h, want[i].name);
        assert_string_equal(h.ca[i].key_type, want[i].type);
        assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), want[i].base_id);
        assert_int_equal(X509_get_signature_nid(x), want[i].sig_nid);
    }
    ca_hierarchy_clear(&h);
    config_free(c);
}

/* Bad [ca] settings are refused before anything is created, naming the setting. */
static void test_ca_check_config_rejects_bad_settings(void **state)
{
    (void)state;
    static const struct {
        const char *section, *key, *value, *field;
    } cases[] = {
        {"ca", "dv_key", "ec-p521", "dv_key"},
        {"ca", "root_a_key", "rsa-1024", "root_a_key"},
        {"ca", "ev_key", "", "ev_key"},
        {"ca", "organization", "", "organization"},
        {"ca", "organization", "An Organization Name That Is Far Too Long For A CA Name",
         "organization"},
        {"ca", "country", "jp", "country"},
        {"ca", "country", "JPN", "country"},
        {"ca", "country", "", "country"},
        {"ca", "root_days", "0", "root_days"},
        {"ca", "root_days", "x", "root_days"},
        /* issue 8 item 28: BR 7.1.2.1.1 allows 2922 to 9132 days */
        {"ca", "root_days", "2921", "root_days"},
        {"ca", "root_days", "9133", "root_days"},
        {"ca", "root_days", "36525", "root_days"},
        {"ca", "intermediate_days", "9126", "intermediate_days"},
        {"ca", "repository_url", "ftp://example.jp/repo", "repository_url"},
        {"ca", "repository_url", "http://example.jp/a,b", "repository_url"},
        {"ca", "repository_url", "http://example.jp/a b", "repository_url"},
        {"server", "base_url", "example.jp", "repository_url"},
        {"ca", "cps_url", "javascript:alert(1)", "cps_url"},
        {"ca", "ocsp_url", "http://ocsp.example.jp/\n", "ocsp_url"},
    };
    char dir[300];
    new_dir(dir, sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config *c = config_defaults(dir);
        assert_int_equal(config_set(c, cases[i].section, cases[i].key, cases[i].value), 0);
        struct sm_err e = {0};
        assert_int_equal(ca_check_config(c, &e), -SM_E_CONFIG);
        assert_string_equal(e.field, cases[i].field);
        struct ca_hierarchy h;
        assert_true(ca_hierarchy_create(c, PASS, &h, NULL) < 0);
        config_free(c);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/keys", dir);
    assert_int_equal(access(path, F_OK), -1); /* nothing created */
}

static void test_ca_repository_url_default_and_override(void **state)
{
    (void)state;
    /* R-ISS-1: AIA and CRL URLs point at the repository */
    static const struct {
        const char *base, *repo, *want;
    } cases[] = {
        {"http://127.0.0.1:9000", "", "http://127.0.0.1:9000/repository"},
        {"http://ca.example.jp/", "", "http://ca.example.jp/repository"},
        {"http://ca.example.jp", "http://repo.example.jp/pki/", "http://repo.example.jp/pki"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config *c = config_defaults(tmpdir);
        config_set(c, "server", "base_url", cases[i].base);
        config_set(c, "ca", "repository_url", cases[i].repo);
        char out[CA_URL_MAX];
        assert_int_equal(ca_repository_url(c, out, sizeof out), 0);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(ca_repository_url(c, out, 10), -SM_E_TOO_LARGE);
        config_free(c);
    }
}

/* R-OPS-1: the passphrase comes from SHOMEI_CA_PASSPHRASE (wins) or [ca] passphrase. */
static void test_ca_passphrase_env_wins_and_missing_refused(void **state)
{
    (void)state;
    struct config *c = config_defaults(tmpdir);
    const char *p = NULL;
    struct sm_err e = {0};
    assert_int_equal(ca_passphrase(c, &p, &e), -SM_E_CONFIG);
    assert_string_equal(e.field, "ca.passphrase");
    setenv("SHOMEI_CA_PASSPHRASE", "", 1);
    assert_int_equal(ca_passphrase(c, &p, NULL), -SM_E_CONFIG);
    config_set(c, "ca", "passphrase", "from-ini");
    assert_int_equal(ca_passphrase(c, &p, NULL), 0);
    assert_string_equal(p, "from-ini");
    setenv("SHOMEI_CA_PASSPHRASE", "from-env", 1);
    assert_int_equal(ca_passphrase(c, &p, NULL), 0);
    assert_string_equal(p, "from-env");
    unsetenv("SHOMEI_CA_PASSPHRASE");
    config_free(c);
}

static struct db *open_db(const char *dir)
{
    struct db *db = NULL;
    struct sm_err e = {0};
    if (db_open("sqlite:shomei.db", dir, &db, &e) < 0 || db_migrate(db, &e) < 0)
        fail_msg("db: %s", e.detail);
    return db;
}

static int count_audit(void *ctx, const struct db_val *cols, int n)
{
    (void)cols;
    (void)n;
    (*(int *)ctx)++;
    return 0;
}

/* R-ISS-1, R-OPS-1: the hierarchy is stored once with an audit record per CA; a second
 * store conflicts and changes nothing. */
static void test_ca_hierarchy_store_once_with_audit(void **state)
{
    (void)state;
    struct db *db = open_db(config_dir(cfg));
    assert_int_equal(issuer_store_hierarchy(db, &hier, "cli", NULL), 0);
    struct cas_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(cas_list(db, &rows, &n, NULL), 0);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].name, hier.ca[i].name);
        const unsigned char *p = rows[i].der;
        X509 *x = d2i_X509(NULL, &p, (long)rows[i].der_len);
        assert_int_equal(X509_cmp(x, hier.ca[i].cert), 0);
        X509_free(x);
        if (i >= 2)
            assert_int_equal(rows[i].parent_id, rows[i < 5 ? 0 : 1].id);
        else
            assert_int_equal(rows[i].parent_id, 0);
    }
    assert_null(rows[0].level);
    assert_string_equal(rows[5].level, "dv");
    assert_string_equal(rows[5].root, "b");
    assert_string_equal(rows[2].subject, "CN=Shomei Demo DV CA 2026,O=Shomei Demo CA,C=JP");
    assert_int_equal(strlen(rows[2].ski), 40);
    cas_rows_free(rows, n);

    static const struct db_stmt st = {
        "t.audit", "SELECT seq FROM audit_log WHERE action = 'ca.create'", NULL, NULL};
    int audits = 0;
    assert_int_equal(db_run(db, &st, NULL, 0, count_audit, &audits, NULL), 0);
    assert_int_equal(audits, 8);
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);

    struct sm_err e = {0};
    assert_int_equal(issuer_store_hierarchy(db, &hier, "cli", &e), -SM_E_CONFLICT);
    audits = 0;
    assert_int_equal(db_run(db, &st, NULL, 0, count_audit, &audits, NULL), 0);
    assert_int_equal(audits, 8);
    struct cas_row *one = NULL;
    assert_int_equal(cas_get(db, "nope", &one, NULL), -SM_E_NOTFOUND);
    assert_null(one);
    db_close(db);
}

/* R-ISS-1: an issuer for every level and root: the right certificate, the chain ending in
 * the chosen root, the intermediate's key, and the URLs for leaves. */
static void test_ca_load_issuer_each_level_and_root(void **state)
{
    (void)state;
    struct db *db = open_db(config_dir(cfg)); /* stored by the previous test */
    config_set(cfg, "ca", "passphrase", PASS);
    static const char *const levels[] = {"dv", "ov", "ev"};
    static const char *const roots[] = {"a", "b"};
    for (int l = 0; l < 3; l++)
        for (int r = 0; r < 2; r++) {
            struct ca_issuer *is = NULL;
            struct sm_err e = {0};
            assert_int_equal(issuer_load(db, cfg, levels[l], roots[r], &is, &e), 0);
            char name[32], rname[16], url[600];
            snprintf(name, sizeof name, r == 0 ? "%s" : "%s-cross-b", levels[l]);
            snprintf(rname, sizeof rname, "root-%s", roots[r]);
            assert_string_equal(is->name, name);
            assert_true(is->ca_id > 0);
            assert_int_equal(X509_cmp(is->cert, by_name(&hier, name)), 0);
            assert_int_equal(sk_X509_num(is->chain), 2);
            assert_ptr_equal(sk_X509_value(is->chain, 0), is->cert);
            assert_int_equal(X509_cmp(sk_X509_value(is->chain, 1), by_name(&hier, rname)), 0);
            assert_int_equal(EVP_PKEY_eq(signer_public(is->signer), X509_get0_pubkey(is->cert)), 1);
            snprintf(url, sizeof url, "http://127.0.0.1:8080/repository/%s.crt", name);
            assert_string_equal(is->ca_issuers_url, url);
            snprintf(url, sizeof url, "http://127.0.0.1:8080/repository/%s.crl", levels[l]);
            assert_string_equal(is->crl_url, url);
            assert_string_equal(is->cps_url, "http://127.0.0.1:8080/repository/cps");
            assert_string_equal(is->ocsp_url, "");
            ca_issuer_free(is);
        }
    config_set(cfg, "ca", "passphrase", "");
    db_close(db);
}

/* R-OPS-1: loading an issuer refuses bad arguments, a missing or wrong passphrase, a
 * database without a hierarchy, and a key file that does not match the certificate. */
static void test_ca_load_issuer_failures(void **state)
{
    (void)state;
    struct db *db = open_db(config_dir(cfg));
    struct ca_issuer *is = NULL;
    static const struct {
        const char *level, *root, *pass;
        int rc;
    } cases[] = {
        {"xv", "a", PASS, -SM_E_INVALID}, {"DV", "a", PASS, -SM_E_INVALID},
        {"dv", "c", PASS, -SM_E_INVALID}, {"dv", "", PASS, -SM_E_INVALID},
        {"dv", "a", "", -SM_E_CONFIG},    {"dv", "b", "wrong-passphrase", -SM_E_CRYPTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config_set(cfg, "ca", "passphrase", cases[i].pass);
        assert_int_equal(issuer_load(db, cfg, cases[i].level, cases[i].root, &is, NULL),
                         cases[i].rc);
        assert_null(is);
    }
    config_set(cfg, "ca", "passphrase", "");
    db_close(db);

    /* an empty database */
    char dir[300];
    new_dir(dir, sizeof dir);
    struct config *c = config_defaults(dir);
    config_set(c, "ca", "passphrase", PASS);
    db = open_db(dir);
    assert_int_equal(issuer_load(db, c, "dv", "a", &is, NULL), -SM_E_NOTFOUND);
    STACK_OF(X509) *chain = NULL;
    assert_int_equal(issuer_chain(db, "ov", "b", &chain, NULL), -SM_E_NOTFOUND);
    assert_null(chain);

    /* a key file swapped for another CA's key */
    struct ca_hierarchy h;
    assert_int_equal(ca_hierarchy_create(c, PASS, &h, NULL), 0);
    assert_int_equal(issuer_store_hierarchy(db, &h, "cli", NULL), 0);
    char from[600], to[600];
    snprintf(from, sizeof from, "%s/keys/ov.key", dir);
    snprintf(to, sizeof to, "%s/keys/dv.key", dir);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(issuer_load(db, c, "dv", "a", &is, NULL), -SM_E_CRYPTO);
    assert_null(is);
    assert_int_equal(issuer_chain(db, "dv", "a", &chain, NULL), 0); /* no key needed */
    assert_int_equal(sk_X509_num(chain), 2);
    sk_X509_pop_free(chain, X509_free);
    ca_hierarchy_clear(&h);
    config_free(c);
    db_close(db);
}

/* Issue 9 (CRL speed): the issuer a job signs with is opened once per process and kept
 * open: asked again, the same one comes back without decrypting the key (a wrong
 * passphrase by then changes nothing); a database with another CA gets that CA, never the
 * one kept for the first; issuer_cache_close frees them all. */
static void test_ca_issuer_cached_opened_once(void **state)
{
    (void)state;
    struct db *db = open_db(config_dir(cfg)); /* stored by the earlier test */
    config_set(cfg, "ca", "passphrase", PASS);
    struct ca_issuer *a = NULL, *b = NULL, *other = NULL;
    assert_int_equal(issuer_cached(db, cfg, "dv", "a", &a, NULL), 0);
    assert_int_equal(X509_cmp(a->cert, by_name(&hier, "dv")), 0);
    config_set(cfg, "ca", "passphrase", "wrong-passphrase");
    assert_int_equal(issuer_cached(db, cfg, "dv", "a", &b, NULL), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(issuer_cached(db, cfg, "ov", "a", &b, NULL), -SM_E_CRYPTO); /* not open */
    assert_null(b);
    config_set(cfg, "ca", "passphrase", PASS);

    char dir[300];
    new_dir(dir, sizeof dir);
    struct config *c = config_defaults(dir);
    config_set(c, "ca", "passphrase", PASS);
    struct db *db2 = open_db(dir);
    struct ca_hierarchy h;
    assert_int_equal(ca_hierarchy_create(c, PASS, &h, NULL), 0);
    assert_int_equal(issuer_store_hierarchy(db2, &h, "cli", NULL), 0);
    assert_int_equal(issuer_cached(db2, c, "dv", "a", &other, NULL), 0);
    assert_ptr_not_equal(other, a);
    assert_int_equal(X509_cmp(other->cert, by_name(&h, "dv")), 0);
    assert_int_equal(issuer_cached(db, cfg, "dv", "a", &b, NULL), 0); /* both kept */
    assert_ptr_equal(a, b);
    issuer_cache_close();
    ca_hierarchy_clear(&h);
    config_free(c);
    db_close(db2);
    db_close(db);
}

/* Issue 10 item 9: the chain of a download is parsed once per process and shared: asked
 * twice, the same certificates come back, each in the caller's own stack; a database
 * whose CA differs gets its own chain, never the one kept for the first. */
static void test_ca_issuer_chain_kept(void **state)
{
    (void)state;
    struct db *db = open_db(config_dir(cfg)); /* stored by the earlier test */
    STACK_OF(X509) *c1 = NULL, *c2 = NULL, *c3 = NULL;
    assert_int_equal(issuer_chain(db, "dv", "a", &c1, NULL), 0);
    assert_int_equal(issuer_chain(db, "dv", "a", &c2, NULL), 0);
    assert_ptr_not_equal(c1, c2);
    assert_int_equal(sk_X509_num(c2), 2);
    assert_ptr_equal(sk_X509_value(c1, 0), sk_X509_value(c2, 0)); /* parsed once */
    assert_int_equal(X509_cmp(sk_X509_value(c1, 0), by_name(&hier, "dv")), 0);
    sk_X509_pop_free(c1, X509_free); /* the other stack keeps its references */
    assert_int_equal(X509_cmp(sk_X509_value(c2, 0), by_name(&hier, "dv")), 0);

    char dir[300];
    new_dir(dir, sizeof dir);
    struct config *c = config_defaults(dir);
    struct db *db2 = open_db(dir);
    struct ca_hierarchy h;
    assert_int_equal(ca_hierarchy_create(c, PASS, &h, NULL), 0);
    assert_int_equal(issuer_store_hierarchy(db2, &h, "cli", NULL), 0);
    assert_int_equal(issuer_chain(db2, "dv", "a", &c3, NULL), 0);
    assert_int_equal(X509_cmp(sk_X509_value(c3, 0), by_name(&h, "dv")), 0);
    assert_int_not_equal(X509_cmp(sk_X509_value(c3, 0), sk_X509_value(c2, 0)), 0);
    sk_X509_pop_free(c2, X509_free);
    sk_X509_pop_free(c3, X509_free);
    issuer_cache_close(); /* frees the kept chains too */
    ca_hierarchy_clear(&h);
    config_free(c);
    db_close(db2);
    db_close(db);
}

/* R-OPS-1: every allocation failure while loading an issuer or listing CAs is reported as
 * an error with nothing returned and nothing leaked (ASan checks the leaks). */
static void test_ca_load_issuer_each_allocation_failure(void **state)
{
    (void)state;
    struct db *db = open_db(config_dir(cfg));
    config_set(cfg, "ca", "passphrase", PASS);
    int failures = 0, n;
    for (n = 1; n < 500; n++) {
        struct ca_issuer *is = NULL;
        struct cas_row *rows = NULL;
        size_t nrows = 0;
        failalloc_set(n);
        int rc = issuer_load(db, cfg, "ev", "b", &is, NULL);
        int rc2 = cas_list(db, &rows, &nrows, NULL);
        long used = failalloc_count();
        failalloc_set(0);
        if (rc < 0) {
            assert_null(is);
            failures++;
        }
        if (rc2 < 0)
            failures++;
        ca_issuer_free(is);
        cas_rows_free(rows, nrows);
        if (rc == 0 && rc2 == 0 && used < n)
            break; /* the nth allocation was never reached: all paths covered */
    }
    assert_true(n < 500);
    assert_true(failures > 5);
    config_set(cfg, "ca", "passphrase", "");
    db_close(db);
}

/* issue 7 item 1, R-ISS-1: pki/ca opens an issuer from bytes alone, with no database: the
 * facts storage keeps of a certificate give back the same chain and a signing issuer; DER
 * that does not parse, a root that is not DER and a key of another CA are refused. */
static void test_ca_issuer_open_from_bytes(void **state)
{
    (void)state;
    struct ca_facts dv, ra;
    assert_int_equal(ca_facts_of(by_name(&hier, "dv"), &dv, NULL), 0);
    assert_int_equal(ca_facts_of(by_name(&hier, "root-a"), &ra, NULL), 0);
    assert_string_equal(dv.subject, "CN=Shomei Demo DV CA 2026,O=Shomei Demo CA,C=JP");
    assert_int_equal(strlen(dv.ski), 40);
    assert_true(dv.not_before < dv.not_after);
    config_set(cfg, "ca", "passphrase", PASS);
    struct ca_stored st = {42, dv.der, dv.der_len, ra.der, ra.der_len, "file:keys/dv.key", 0};
    struct ca_issuer *is = NULL;
    assert_int_equal(ca_issuer_open(cfg, "dv", "a", &st, &is, NULL), 0);
    assert_int_equal(is->ca_id, 42);
    assert_string_equal(is->name, "dv");
    assert_int_equal(X509_cmp(is->cert, by_name(&hier, "dv")), 0);
    assert_int_equal(X509_cmp(sk_X509_value(is->chain, 1), by_name(&hier, "root-a")), 0);
    ca_issuer_free(is);

    STACK_OF(X509) *chain = NULL;
    assert_int_equal(ca_chain_parse(dv.der, dv.der_len, ra.der, ra.der_len, &chain, NULL), 0);
    assert_int_equal(sk_X509_num(chain), 2);
    sk_X509_pop_free(chain, X509_free);
    static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(ca_chain_parse(junk, sizeof junk, ra.der, ra.der_len, &chain, NULL),
                     -SM_E_CRYPTO);
    assert_null(chain);
    assert_int_equal(ca_chain_parse(dv.der, dv.der_len, dv.der, dv.der_len - 1, &chain, NULL),
                     -SM_E_CRYPTO);
    assert_int_equal(ca_chain_parse(NULL, 0, ra.der, ra.der_len, &chain, NULL), -SM_E_CRYPTO);
    struct ca_stored bad = st;
    bad.der = junk;
    bad.der_len = sizeof junk;
    assert_int_equal(ca_issuer_open(cfg, "dv", "a", &bad, &is, NULL), -SM_E_CRYPTO);
    assert_null(is);
    bad = st;
    bad.key_ref = "file:keys/ov.key";
    assert_int_equal(ca_issuer_open(cfg, "dv", "a", &bad, &is, NULL), -SM_E_CRYPTO);
    assert_null(is);
    struct sm_err e = {0};
    assert_int_equal(ca_issuer_open(cfg, "xv", "a", &st, &is, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "level");
    config_set(cfg, "ca", "passphrase", "");
    ca_facts_clear(&dv);
    ca_facts_clear(&ra);
}

/* R-ISS-1: repository files (DER and PEM) of a CA certificate, readable by the server. */
static void test_ca_repository_write_der_and_pem(void **state)
{
    (void)state;
    X509 *x = by_name(&hier, "dv-cross-b");
    assert_int_equal(ca_repository_write(cfg, "dv-cross-b", x, NULL), 0);
    assert_int_equal(ca_repository_write(cfg, "dv-cross-b", x, NULL), 0); /* replaces */
    char path[600];
    snprintf(path, sizeof path, "%s/repository/dv-cross-b.crt", config_dir(cfg));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    X509 *der = d2i_X509_fp(f, NULL);
    fclose(f);
    assert_non_null(der);
    assert_int_equal(X509_cmp(der, x), 0);
    X509_free(der);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    snprintf(path, sizeof path, "%s/repository/dv-cross-b.pem", config_dir(cfg));
    f = fopen(path, "r");
    assert_non_null(f);
    X509 *pem = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(pem);
    assert_int_equal(X509_cmp(pem, x), 0);
    X509_free(pem);
}

static void test_ca_fingerprint_and_ski_hex(void **state)
{
    (void)state;
    /* R-ISS-1 (ca list shows these) */
    X509 *x = by_name(&hier, "root-a");
    char fp[65], small[10], ski[41];
    assert_int_equal(ca_fingerprint(x, fp, sizeof fp), 0);
    assert_int_equal(strlen(fp), 64);
    assert_int_equal(strspn(fp, "0123456789abcdef"), 64);
    assert_int_equal(ca_fingerprint(x, small, sizeof small), -SM_E_TOO_LARGE);
    assert_int_equal(ca_ski_hex(x, ski, sizeof ski), 0);
    assert_int_equal(strlen(ski), 40);
    assert_int_equal(ca_ski_hex(x, small, sizeof small), -SM_E_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ca_hierarchy_create_names_and_roles),
        cmocka_unit_test(test_ca_hierarchy_create_root_profile),
        cmocka_unit_test(test_ca_hierarchy_create_intermediate_profile),
        cmocka_unit_test(test_ca_hierarchy_create_cross_same_subject_and_key),
        cmocka_unit_test(test_ca_hierarchy_create_validity),
        cmocka_unit_test(test_ca_hierarchy_create_key_files),
        cmocka_unit_test(test_ca_hierarchy_create_refuses_existing_keys),
        cmocka_unit_test(test_ca_hierarchy_create_failure_removes_written_keys),
        cmocka_unit_test(test_ca_hierarchy_create_key_types),
        cmocka_unit_test(test_ca_check_config_rejects_bad_settings),
        cmocka_unit_test(test_ca_repository_url_default_and_override),
        cmocka_unit_test(test_ca_passphrase_env_wins_and_missing_refused),
        cmocka_unit_test(test_ca_hierarchy_store_once_with_audit),
        cmocka_unit_test(test_ca_load_issuer_each_level_and_root),
        cmocka_unit_test(test_ca_issuer_cached_opened_once),
        cmocka_unit_test(test_ca_issuer_chain_kept),
        cmocka_unit_test(test_ca_load_issuer_failures),
        cmocka_unit_test(test_ca_load_issuer_each_allocation_failure),
        cmocka_unit_test(test_ca_issuer_open_from_bytes),
        cmocka_unit_test(test_ca_repository_write_der_and_pem),
        cmocka_unit_test(test_ca_fingerprint_and_ski_hex),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
