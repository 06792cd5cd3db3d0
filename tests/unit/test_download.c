/* SPDX-License-Identifier: MIT */
/* ra/download (R-DL-1, R-ACT-1 isolation): a certificate is handed out only to callers who
 * see its organization, with the same error as an unknown serial otherwise; only issued
 * certificates; the chain follows the certificate's level and root option (R-ISS-1); the
 * file name is <cn>-<serial>.<suffix>, safe for Content-Disposition. The re-download by
 * mail (issue 7 item 1: one ra/ action) checks the same way, then queues the mail and its
 * audit record in one transaction. */
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

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testdir.h"
#include "core/clock.h"
#include "core/config.h"
#include "pki/ca.h"
#include "ra/issuer.h"
#include "ra/download.h"
#include "ra/issuance.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/outbox.h"

#define PASS "unit-test-passphrase"
#define NOW  1795305600 /* 2026-11-22T00:00:00Z */

static char tmpdir[256];
static struct config *cfg;
static struct db *db;
static char serial_a[CERTS_SERIAL_HEX_MAX];  /* dv, root a, org 7, *.example.com */
static char serial_b[CERTS_SERIAL_HEX_MAX];  /* dv, root b, org 8, www.example.jp */
static char serial_op[CERTS_SERIAL_HEX_MAX]; /* dv, root a, no organization */
static STACK_OF(X509) * dv_a, *dv_b;

static const int64_t org7[] = {7}, org8[] = {3, 8, 9};
static const struct org_scope see7 = {0, org7, 1}, see8 = {0, org8, 3};
static const struct org_scope see_none = {0, NULL, 0}, see_all = {1, NULL, 0};

static int issue(const char *root, const char *name, int64_t org, char *serial, struct sm_err *e)
{
    struct ca_issuer *is = NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    const char *names[] = {name};
    struct issuance_item it = {0};
    static const struct issuance_opts o = {"test", 1, 1, NULL, NULL, NULL, NULL, NULL};
    int rc = key != NULL ? issuer_load(db, cfg, "dv", root, &is, e) : -1;
    if (rc == 0) {
        it.pubkey = key;
        it.names = names;
        it.nnames = 1;
        it.org_id = org;
        it.allow_wildcard = 1;
        rc = issuance_run(db, is, &o, &it, 1, e);
    }
    if (rc == 0)
        rc = it.rc;
    if (rc == 0)
        memcpy(serial, it.serial, CERTS_SERIAL_HEX_MAX);
    else if (e != NULL && it.err.detail[0] != '\0')
        *e = it.err;
    issuance_item_clear(&it);
    ca_issuer_free(is);
    EVP_PKEY_free(key);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("SHOMEI_CA_PASSPHRASE");
    clock_set(NOW);
    if (testdir_make(tmpdir, sizeof tmpdir, "dl") < 0 || (cfg = config_defaults(tmpdir)) == NULL)
        return -1;
    config_set(cfg, "ca", "passphrase", PASS);
    struct sm_err e = {0};
    struct ca_hierarchy h = {0};
    int rc = db_open("sqlite:shomei.db", tmpdir, &db, &e);
    if (rc == 0)
        rc = db_migrate(db, &e);
    if (rc == 0)
        rc = ca_hierarchy_create(cfg, PASS, &h, &e);
    if (rc == 0)
        rc = issuer_store_hierarchy(db, &h, "cli", &e);
    ca_hierarchy_clear(&h);
    if (rc == 0)
        rc = issue("a", "*.example.com", 7, serial_a, &e);
    if (rc == 0)
        rc = issue("b", "www.example.jp", 8, serial_b, &e);
    if (rc == 0)
        rc = issue("a", "op.example.com", 0, serial_op, &e);
    if (rc == 0)
        rc = issuer_chain(db, "dv", "a", &dv_a, &e);
    if (rc == 0)
        rc = issuer_chain(db, "dv", "b", &dv_b, &e);
    if (rc < 0)
        fprintf(stderr, "# setup: %s %s\n", e.field, e.detail);
    return rc < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    sk_X509_pop_free(dv_a, X509_free);
    sk_X509_pop_free(dv_b, X509_free);
    db_close(db);
    config_free(cfg);
    testdir_remove(tmpdir);
    clock_set(0);
    return 0;
}

/* Second PEM certificate of b (the issuing CA of a full chain). */
static X509 *second_cert(const struct bundle *b)
{
    BIO *m = BIO_new_mem_buf(b->data, (int)b->len);
    assert_non_null(m);
    X509 *x = PEM_read_bio_X509(m, NULL, NULL, NULL);
    X509 *y = PEM_read_bio_X509(m, NULL, NULL, NULL);
    X509 *z = PEM_read_bio_X509(m, NULL, NULL, NULL);
    ERR_clear_error();
    BIO_free(m);
    assert_non_null(x);
    assert_null(z);
    X509_free(x);
    return y;
}

/* R-DL-1: serials as people write them (upper case, colons, leading zeros). */
static void test_download_serial_norm_forms(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } ok[] = {
        {"0A:1b:FF", "a1bff"},
        {"00ff", "ff"},
        {"0", "0"},
        {"7fffffffffffffffffffffffffffffffffffffff", "7fffffffffffffffffffffffffffffffffffffff"},
        {"007fffffffffffffffffffffffffffffffffffffff", "7fffffffffffffffffffffffffffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char out[CERTS_SERIAL_HEX_MAX];
        assert_int_equal(download_serial_norm(ok[i].in, out, NULL), 0);
        assert_string_equal(out, ok[i].want);
    }
    static const char *const bad[] = {"",    ":",     "::",
                                      "xyz", "12 34", "0x12",
                                      "-1",  "12g",   "17fffffffffffffffffffffffffffffffffffffff",
                                      NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[CERTS_SERIAL_HEX_MAX];
        struct sm_err e = {0};
        assert_int_equal(download_serial_norm(bad[i], out, &e), -SM_E_INVALID);
        assert_string_equal(e.field, "serial");
    }
    char big[200];
    memset(big, '0', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char out[CERTS_SERIAL_HEX_MAX];
    assert_int_equal(download_serial_norm(big, out, NULL), -SM_E_INVALID);
}

/* R-DL-1: <cn>-<serial>.<suffix>, nothing a Content-Disposition header or a file system
 * could misread. */
static void test_download_filename_safe(void **state)
{
    (void)state;
    static const struct {
        const char *cn;
        int f;
        const char *want;
    } t[] = {
        {"www.example.com", BUNDLE_PEM, "www.example.com-ab12.pem"},
        {"www.example.com", BUNDLE_DER, "www.example.com-ab12.der"},
        {"*.example.com", BUNDLE_FULLCHAIN, "wildcard.example.com-ab12.fullchain.pem"},
        {"a.jp", BUNDLE_INTERMEDIATE, "a.jp-ab12.intermediate.pem"},
        {"a.jp", BUNDLE_INTERMEDIATE_CROSS, "a.jp-ab12.intermediate-cross.pem"},
        {"a.jp", BUNDLE_P7B, "a.jp-ab12.p7b"},
        {"", BUNDLE_PEM, "certificate-ab12.pem"},
        {NULL, BUNDLE_PEM, "certificate-ab12.pem"},
        {"..", BUNDLE_PEM, "certificate-ab12.pem"},
        {".hidden", BUNDLE_PEM, "hidden-ab12.pem"},
        {"a\"b/c\\d\r\n;e", BUNDLE_PEM, "a_b_c_d___e-ab12.pem"},
        {"日本.jp", BUNDLE_PEM, "______.jp-ab12.pem"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char out[BUNDLE_NAME_MAX];
        download_filename(t[i].cn, "ab12", (enum bundle_format)t[i].f, out, sizeof out);
        assert_string_equal(out, t[i].want);
    }
    char cn[300], out[BUNDLE_NAME_MAX];
    memset(cn, 'x', sizeof cn - 1);
    cn[sizeof cn - 1] = '\0';
    download_filename(cn, "7fffffffffffffffffffffffffffffffffffffff", BUNDLE_INTERMEDIATE_CROSS,
                      out, sizeof out);
    assert_int_equal(strlen(out), 64 + 1 + 40 + 1 + strlen("intermediate-cross.pem"));
}

/* R-DL-1 R-ISS-1: the owner gets every format; fullchain and p7b follow the root option. */
static void test_download_get_owner_every_format(void **state)
{
    (void)state;
    for (int f = 0; f < BUNDLE__COUNT; f++) {
        struct bundle b;
        struct sm_err e = {0};
        int rc = download_get(db, &see7, serial_a, (enum bundle_format)f, &b, &e);
        if (rc < 0)
            fprintf(stderr, "# %s %s\n", e.field, e.detail);
        assert_int_equal(rc, 0);
        assert_true(b.len > 0);
        char want[BUNDLE_NAME_MAX];
        snprintf(want, sizeof want, "wildcard.example.com-%s.%s", serial_a,
                 bundle_format_info((enum bundle_format)f)->suffix);
        assert_string_equal(b.filename, want);
        bundle_clear(&b);
    }
    struct bundle b;
    assert_int_equal(download_get(db, &see7, serial_a, BUNDLE_FULLCHAIN, &b, NULL), 0);
    X509 *ca = second_cert(&b);
    assert_int_equal(X509_cmp(ca, sk_X509_value(dv_a, 0)), 0);
    X509_free(ca);
    bundle_clear(&b);
    assert_int_equal(download_get(db, &see8, serial_b, BUNDLE_FULLCHAIN, &b, NULL), 0);
    ca = second_cert(&b);
    assert_int_equal(X509_cmp(ca, sk_X509_value(dv_b, 0)), 0); /* the cross-certificate */
    X509_free(ca);
    bundle_clear(&b);
}

/* R-DL-1: the serial may be written with upper case, colons and leading zeros. */
static void test_download_get_serial_forms(void **state)
{
    (void)state;
    char s[3 * CERTS_SERIAL_HEX_MAX];
    size_t n = 0;
    s[n++] = '0';
    s[n++] = '0';
    for (const char *p = serial_a; *p != '\0'; p++) {
        if (p != serial_a && (p - serial_a) % 2 == 0)
            s[n++] = ':';
        s[n++] = (*p >= 'a' && *p <= 'f') ? (char)(*p - 'a' + 'A') : *p;
    }
    s[n] = '\0';
    struct bundle b;
    assert_int_equal(download_get(db, &see7, s, BUNDLE_DER, &b, NULL), 0);
    bundle_clear(&b);
}

static void get_fails(const struct org_scope *scope, const char *serial, int f, int code,
                      const char *field, struct sm_err *e)
{
    struct bundle b;
    memset(&b, 0x5a, sizeof b);
    memset(e, 0, sizeof *e);
    assert_int_equal(download_get(db, scope, serial, (enum bundle_format)f, &b, e), -code);
    assert_string_equal(e->field, field);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

/* R-ACT-1 R-DL-1: another organization's certificate is "not found", exactly like a serial
 * that was never issued; an operator certificate is seen by officers only. */
static void test_download_get_other_org_not_found(void **state)
{
    (void)state;
    struct sm_err unknown, other;
    get_fails(&see7, "1234567890abcdef", BUNDLE_PEM, SM_E_NOTFOUND, "serial", &unknown);
    const struct org_scope *scopes[] = {&see8, &see_none, NULL};
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        for (int f = 0; f < BUNDLE__COUNT; f++) {
            get_fails(scopes[i], serial_a, f, SM_E_NOTFOUND, "serial", &other);
            assert_memory_equal(&other, &unknown, sizeof other);
        }
    get_fails(&see7, serial_b, BUNDLE_P7B, SM_E_NOTFOUND, "serial", &other);
    assert_memory_equal(&other, &unknown, sizeof other);
    get_fails(&see7, serial_op, BUNDLE_PEM, SM_E_NOTFOUND, "serial", &other);
    assert_memory_equal(&other, &unknown, sizeof other);

    struct bundle b;
    assert_int_equal(download_get(db, &see_all, serial_op, BUNDLE_FULLCHAIN, &b, NULL), 0);
    bundle_clear(&b);
    assert_int_equal(download_get(db, &see_all, serial_b, BUNDLE_P7B, &b, NULL), 0);
    bundle_clear(&b);
}

static const struct db_stmt st_state = {
    "test.cert_state", "UPDATE certificates SET state = $1 WHERE serial = $2", NULL, NULL};

/* R-DL-1: only issued certificates; reservations look like unknown serials; a revoked
 * certificate is refused with the reason to its owner. */
static void test_download_get_state(void **state)
{
    (void)state;
    struct sm_err unknown, e;
    get_fails(&see_all, "abcdef0123456789", BUNDLE_PEM, SM_E_NOTFOUND, "serial", &unknown);
    struct certs_new c = {"abcdef0123456789", 1, "dv", "a", "r.example.com", "[]", 0, 7, 0};
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(certs_reserve(db, &c, "test/1/1", NOW, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
    get_fails(&see_all, "abcdef0123456789", BUNDLE_PEM, SM_E_NOTFOUND, "serial", &e);
    assert_memory_equal(&e, &unknown, sizeof e);
    assert_int_equal(certs_set_abandoned(db, "abcdef0123456789", NULL), 0);
    get_fails(&see7, "abcdef0123456789", BUNDLE_DER, SM_E_NOTFOUND, "serial", &e);

    struct db_val p[2] = {DBV_TEXT("revoked"), DBV_TEXT(serial_op)};
    assert_int_equal(db_run(db, &st_state, p, 2, NULL, NULL, NULL), 0);
    get_fails(&see_all, serial_op, BUNDLE_PEM, SM_E_CONFLICT, "state", &e);
    get_fails(&see7, serial_op, BUNDLE_PEM, SM_E_NOTFOUND, "serial", &e); /* not its own */
    p[0] = DBV_TEXT("issued");
    assert_int_equal(db_run(db, &st_state, p, 2, NULL, NULL, NULL), 0);
}

/* Bad serial or format: a clear error naming the field. */
static void test_download_get_bad_input(void **state)
{
    (void)state;
    struct sm_err e;
    get_fails(&see_all, "not-hex", BUNDLE_PEM, SM_E_INVALID, "serial", &e);
    get_fails(&see_all, "", BUNDLE_PEM, SM_E_INVALID, "serial", &e);
    get_fails(&see_all, NULL, BUNDLE_PEM, SM_E_INVALID, "serial", &e);
    get_fails(&see_all, serial_a, BUNDLE__COUNT, SM_E_INVALID, "format", &e);
    get_fails(&see_all, serial_a, -1, SM_E_INVALID, "format", &e);
}

static int got_count(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

/* Mails queued and re-download audit records so far. */
static void mail_counts(int64_t *queued, int64_t *audits)
{
    static const struct db_stmt st = {
        "test.redownload_audits",
        "SELECT COUNT(*) FROM audit_log WHERE action = 'certificate.redownload_mail'", NULL, NULL};
    *queued = *audits = -1;
    assert_int_equal(outbox_count(db, "queued", queued, NULL), 0);
    assert_int_equal(db_run(db, &st, NULL, 0, got_count, audits, NULL), 0);
}

static struct download_mail_req mail_req(const struct org_scope *scope, const char *serial,
                                         enum bundle_format f)
{
    struct download_mail_req m = {.scope = scope,
                                  .serial = serial,
                                  .format = f,
                                  .to = "owner@example.com",
                                  .lang = "ja",
                                  .format_label = "フルチェーン（PEM）",
                                  .actor = "user:7"};
    return m;
}

/* issue 7 item 1, R-ACT-1, R-DL-1: a re-download by mail of another organization's
 * certificate is refused exactly like an unknown serial, and nothing is queued or recorded;
 * the same for a revoked certificate, a bad serial, a bad format and an address the outbox
 * refuses (the checks and the mail are one transaction). */
static void test_download_mail_other_org_refused_nothing_queued(void **state)
{
    (void)state;
    int64_t q0, a0, q, a, id = -1;
    mail_counts(&q0, &a0);
    struct sm_err unknown = {0}, e = {0};
    struct download_mail_req m = mail_req(&see7, "1234567890abcdef", BUNDLE_PEM);
    assert_int_equal(download_mail(db, &m, &id, &unknown), -SM_E_NOTFOUND);
    assert_string_equal(unknown.field, "serial");
    const struct org_scope *scopes[] = {&see8, &see_none, NULL};
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        m = mail_req(scopes[i], serial_a, BUNDLE_FULLCHAIN);
        memset(&e, 0, sizeof e);
        assert_int_equal(download_mail(db, &m, &id, &e), -SM_E_NOTFOUND);
        assert_memory_equal(&e, &unknown, sizeof e);
    }
    m = mail_req(&see7, serial_op, BUNDLE_PEM); /* operator issuance: officers only */
    assert_int_equal(download_mail(db, &m, &id, &e), -SM_E_NOTFOUND);

    struct db_val p[2] = {DBV_TEXT("revoked"), DBV_TEXT(serial_op)};
    assert_int_equal(db_run(db, &st_state, p, 2, NULL, NULL, NULL), 0);
    m = mail_req(&see_all, serial_op, BUNDLE_PEM);
    memset(&e, 0, sizeof e);
    assert_int_equal(download_mail(db, &m, &id, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "state");
    p[0] = DBV_TEXT("issued");
    assert_int_equal(db_run(db, &st_state, p, 2, NULL, NULL, NULL), 0);

    m = mail_req(&see7, "not-hex", BUNDLE_PEM);
    assert_int_equal(download_mail(db, &m, &id, &e), -SM_E_INVALID);
    m = mail_req(&see7, serial_a, BUNDLE__COUNT);
    memset(&e, 0, sizeof e);
    assert_int_equal(download_mail(db, &m, &id, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "format");
    m = mail_req(&see7, serial_a, BUNDLE_PEM);
    m.to = "owner@example.com\r\nBcc: x@example.net";
    assert_true(download_mail(db, &m, &id, &e) < 0);
    assert_false(db_in_transaction(db));
    assert_int_equal(id, -1);
    mail_counts(&q, &a);
    assert_int_equal(q, q0);
    assert_int_equal(a, a0);
}

/* issue 7 item 1, R-DL-1: the owner's re-download queues one mail with the file attached
 * and one audit record, together. */
static void test_download_mail_owner_queued_with_audit(void **state)
{
    (void)state;
    int64_t q0, a0, q, a, id = 0;
    mail_counts(&q0, &a0);
    char zeros[3 * CERTS_SERIAL_HEX_MAX];
    snprintf(zeros, sizeof zeros, "00%s", serial_a); /* as people write it */
    struct download_mail_req m = mail_req(&see7, zeros, BUNDLE_FULLCHAIN);
    struct sm_err e = {0};
    assert_int_equal(download_mail(db, &m, &id, &e), 0);
    assert_true(id > 0);
    assert_false(db_in_transaction(db));
    mail_counts(&q, &a);
    assert_int_equal(q, q0 + 1);
    assert_int_equal(a, a0 + 1);
    struct outbox_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(outbox_list(db, "queued", 1, &rows, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, id);
    assert_string_equal(rows[0].to, "owner@example.com");
    assert_string_equal(rows[0].tmpl, "cert_redownload");
    char file[BUNDLE_NAME_MAX];
    snprintf(file, sizeof file, "wildcard.example.com-%s.fullchain.pem", serial_a);
    assert_string_equal(rows[0].attach_name, file);
    assert_true(rows[0].attach_len > 0);
    assert_non_null(strstr(rows[0].vars_json, "フルチェーン"));
    assert_non_null(strstr(rows[0].vars_json, serial_a));
    outbox_rows_free(rows, n);
    static const struct db_stmt st = {"test.redownload_object",
                                      "SELECT COUNT(*) FROM audit_log WHERE action = "
                                      "'certificate.redownload_mail' AND actor = 'user:7' AND "
                                      "object = $1",
                                      NULL, NULL};
    char object[64];
    snprintf(object, sizeof object, "certificate:%s", serial_a);
    struct db_val p[1] = {DBV_TEXT(object)};
    int64_t k = 0;
    assert_int_equal(db_run(db, &st, p, 1, got_count, &k, NULL), 0);
    assert_int_equal(k, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download_serial_norm_forms),
        cmocka_unit_test(test_download_filename_safe),
        cmocka_unit_test(test_download_get_owner_every_format),
        cmocka_unit_test(test_download_get_serial_forms),
        cmocka_unit_test(test_download_get_other_org_not_found),
        cmocka_unit_test(test_download_get_state),
        cmocka_unit_test(test_download_get_bad_input),
        cmocka_unit_test(test_download_mail_other_org_refused_nothing_queued),
        cmocka_unit_test(test_download_mail_owner_queued_with_audit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
