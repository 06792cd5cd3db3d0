/* SPDX-License-Identifier: MIT */
/* ra/issuance and store/certs: serials reserved before signing, certificates stored before
 * they are returned, lint failures abandoned and audited, and recovery of reservations of
 * ended processes (R-ISS-3, R-ISS-4, R-ISS-6 count). Uses a throwaway hierarchy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "testdir.h"
#include "core/clock.h"
#include "core/config.h"
#include "pki/ca.h"
#include "pki/csr.h"
#include "ra/issuer.h"
#include "core/failalloc.h"
#include "ra/issuance.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/db.h"

#define PASS "unit-test-passphrase"
#define NOW  1795305600 /* 2026-11-22T00:00:00Z */

static char tmpdir[256];
static struct config *cfg;
static struct db *db;
static struct ca_issuer *dv;
static EVP_PKEY *key;

static int setup(void **state)
{
    (void)state;
    unsetenv("SHOMEI_CA_PASSPHRASE");
    clock_set(NOW);
    if (testdir_make(tmpdir, sizeof tmpdir, "iss") < 0 || (cfg = config_defaults(tmpdir)) == NULL)
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
        rc = issuer_load(db, cfg, "dv", "a", &dv, &e);
    if (rc < 0)
        fprintf(stderr, "# setup: %s %s\n", e.field, e.detail);
    key = EVP_EC_gen("P-256");
    return rc < 0 || key == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    ca_issuer_free(dv);
    db_close(db);
    config_free(cfg);
    testdir_remove(tmpdir);
    clock_set(0);
    return 0;
}

static const char *const names_ok[] = {"www.example.com", "example.com"};
static const char *const names_wild[] = {"*.example.com"};

static struct issuance_item item(const char *const *names, size_t n)
{
    struct issuance_item it = {0};
    it.pubkey = key;
    it.names = names;
    it.nnames = n;
    it.org_id = 7;
    return it;
}

static const struct issuance_opts opts = {"test", 2, 2, NULL, NULL, NULL, NULL, NULL};

/* The audit records of a certificate: their actions ("a,b") and the last one's detail. */
struct records {
    char actions[256];
    json_t *detail;
};

static int add_record(void *ctx, const struct db_val *c, int n)
{
    struct records *r = ctx;
    assert_int_equal(n, 2);
    size_t at = strlen(r->actions);
    snprintf(r->actions + at, sizeof r->actions - at, "%s%.*s", at ? "," : "", (int)c[0].n,
             (const char *)c[0].p);
    json_decref(r->detail);
    r->detail = json_loadb((const char *)c[1].p, c[1].n, 0, NULL);
    assert_non_null(r->detail);
    return 0;
}

static struct records records_of(const char *serial)
{
    static const struct db_stmt st = {
        "t.records", "SELECT action, detail FROM audit_log WHERE object = $1 ORDER BY seq", NULL,
        NULL};
    char object[80];
    snprintf(object, sizeof object, "cert:%s", serial);
    struct records r = {{0}, NULL};
    struct db_val p[1] = {DBV_TEXT(object)};
    assert_int_equal(db_run(db, &st, p, 1, add_record, &r, NULL), 0);
    return r;
}

static void state_is(const char *serial, const char *want)
{
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(db, serial, &r, NULL), 0);
    assert_string_equal(r->state, want);
    certs_row_free(r);
}

/* R-ISS-4: every returned certificate is stored, byte for byte, with its audit records. */
static void test_issuance_run_stores_every_certificate(void **state)
{
    (void)state;
    struct issuance_item it[5];
    for (int i = 0; i < 5; i++)
        it[i] = item(names_ok, 2);
    struct sm_err e = {0};
    char me[300];
    assert_int_equal(issuance_owner(me, sizeof me), 0);
    assert_int_equal(issuance_run(db, dv, &opts, it, 5, &e), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(it[i].rc, 0);
        assert_true(strlen(it[i].serial) >= 16);
        struct certs_row *r = NULL;
        assert_int_equal(certs_get(db, it[i].serial, &r, NULL), 0);
        assert_string_equal(r->state, "issued");
        assert_int_equal(r->der_len, it[i].der_len);
        assert_memory_equal(r->der, it[i].der, it[i].der_len);
        assert_string_equal(r->sha256, it[i].sha256);
        assert_string_equal(r->cn, "www.example.com");
        assert_string_equal(r->names_json, "[\"www.example.com\",\"example.com\"]");
        assert_int_equal(r->org_id, 7);
        assert_int_equal(r->not_after - r->not_before + 1, 200 * 86400);
        const unsigned char *p = r->der;
        X509 *x = d2i_X509(NULL, &p, (long)r->der_len);
        assert_non_null(x);
        assert_int_equal(X509_verify(x, X509_get0_pubkey(dv->cert)), 1);
        X509_free(x);
        certs_row_free(r);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(it[i].serial, it[j].serial);
        /* one record: the outcome, with the reservation's context */
        struct records a = records_of(it[i].serial);
        assert_string_equal(a.actions, "cert.issue");
        assert_string_equal(json_string_value(json_object_get(a.detail, "sha256")), it[i].sha256);
        assert_string_equal(json_string_value(json_object_get(a.detail, "owner")), me);
        assert_string_equal(json_string_value(json_object_get(a.detail, "ca")), dv->name);
        assert_string_equal(json_string_value(json_object_get(a.detail, "level")), "dv");
        assert_int_equal(json_integer_value(json_object_get(a.detail, "org_id")), 7);
        assert_string_equal(json_string_value(json_object_get(a.detail, "from")), "reserved");
        assert_string_equal(json_string_value(json_object_get(a.detail, "to")), "issued");
        assert_int_equal(json_integer_value(json_object_get(a.detail, "not_after")),
                         it[i].not_after);
        char *names = json_dumps(json_object_get(a.detail, "names"), JSON_COMPACT);
        assert_string_equal(names, "[\"www.example.com\",\"example.com\"]");
        free(names);
        json_decref(a.detail);
        issuance_item_clear(&it[i]);
    }
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* R-ISS-3: a certificate that fails the linter is never signed: its reservation is
 * abandoned and audited; the other certificates of the batch are issued. */
static void test_issuance_run_lint_failure_abandons_only_that_one(void **state)
{
    (void)state;
    struct issuance_item it[3] = {item(names_ok, 2), item(names_wild, 1), item(names_ok, 2)};
    it[1].allow_wildcard = 0; /* the product does not allow wildcards */
    assert_int_equal(issuance_run(db, dv, &opts, it, 3, NULL), 0);
    assert_int_equal(it[0].rc, 0);
    assert_int_equal(it[2].rc, 0);
    assert_int_equal(it[1].rc, -SM_E_LINT);
    assert_null(it[1].der);
    state_is(it[1].serial, "abandoned");
    assert_non_null(strstr(it[1].err.detail, "lint.name.invalid"));
    struct records a = records_of(it[1].serial);
    assert_string_equal(a.actions, "cert.abandon");
    assert_string_equal(json_string_value(json_object_get(a.detail, "reason")), "SM_E_LINT");
    assert_int_equal(json_integer_value(json_object_get(a.detail, "org_id")), 7);
    assert_string_equal(json_string_value(json_array_get(json_object_get(a.detail, "names"), 0)),
                        "*.example.com");
    json_decref(a.detail);
    state_is(it[0].serial, "issued");
    state_is(it[2].serial, "issued");
    for (int i = 0; i < 3; i++)
        issuance_item_clear(&it[i]);
}

/* Items without a key or names are refused before any serial is reserved. */
static void test_issuance_run_incomplete_item_reserves_nothing(void **state)
{
    (void)state;
    int64_t before = 0, after = 0;
    assert_int_equal(certs_count_state(db, NULL, &before, NULL), 0);
    struct issuance_item it[1] = {item(names_ok, 0)};
    assert_int_equal(issuance_run(db, dv, &opts, it, 1, NULL), 0);
    assert_int_equal(it[0].rc, -SM_E_INVALID);
    assert_string_equal(it[0].serial, "");
    assert_int_equal(certs_count_state(db, NULL, &after, NULL), 0);
    assert_int_equal(before, after);
}

/* issue 8 item 29: a named P-256 key comes from the CSR check as its SubjectPublicKeyInfo
 * alone (no EVP_PKEY): it is certified and stored as any other; an item with neither a key
 * nor a SubjectPublicKeyInfo reserves nothing. */
static void test_issuance_run_named_ec_key_from_the_csr_check(void **state)
{
    (void)state;
    X509_REQ *req = X509_REQ_new();
    assert_non_null(req);
    assert_true(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                                           (const unsigned char *)"www.example.com", -1, -1, 0));
    assert_true(X509_REQ_set_pubkey(req, key));
    assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509_REQ(req, &der);
    assert_true(len > 0);
    X509_REQ_free(req);
    struct csr_info *info = NULL;
    assert_int_equal(csr_check(der, (size_t)len, NULL, &info, NULL), 0);
    OPENSSL_free(der);
    assert_true(info->acceptable);
    assert_null(info->pkey); /* the key is info->spki alone */
    int64_t before = 0, after = 0;
    assert_int_equal(certs_count_state(db, NULL, &before, NULL), 0);
    struct issuance_item it[2] = {item(names_ok, 2), item(names_ok, 2)};
    it[0].pubkey = NULL;
    it[0].spki = info->spki;
    it[1].pubkey = NULL; /* and no spki */
    assert_int_equal(issuance_run(db, dv, &opts, it, 2, NULL), 0);
    assert_int_equal(it[0].rc, 0);
    assert_int_equal(it[1].rc, -SM_E_INVALID);
    assert_string_equal(it[1].serial, "");
    assert_int_equal(certs_count_state(db, NULL, &after, NULL), 0);
    assert_int_equal(after, before + 1);
    state_is(it[0].serial, "issued");
    const unsigned char *p = it[0].der;
    X509 *x = d2i_X509(NULL, &p, (long)it[0].der_len);
    assert_non_null(x);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
    assert_int_equal(X509_verify(x, X509_get0_pubkey(dv->cert)), 1);
    X509_free(x);
    issuance_item_clear(&it[0]);
    csr_info_free(info);
}

static void reserve(const char *serial, const char *owner, int64_t at)
{
    struct certs_new c = {serial, dv->ca_id, "dv", "a", "x.example.com", "[]", 0, 0, 0};
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(certs_reserve(db, &c, owner, at, NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
}

/* R-ISS-4: reservations of dead processes on this host are abandoned on the next start,
 * those of live processes are left alone, a reused process id is told apart by its start
 * time, and other hosts' reservations wait for the lease. */
static void test_issuance_recover_tells_dead_from_alive(void **state)
{
    (void)state;
    char me[300], host[256], dead[300], reused[300];
    assert_int_equal(issuance_owner(me, sizeof me), 0);
    assert_int_equal(gethostname(host, sizeof host), 0);
    snprintf(dead, sizeof dead, "%s/%d/12345", host, 0x3ffffff0); /* no such process */
    snprintf(reused, sizeof reused, "%s/%ld/1", host, (long)getpid());
    reserve("a1", me, NOW);
    reserve("a2", dead, NOW);
    reserve("a3", reused, NOW);
    reserve("a4", "elsewhere.example/42/7", NOW);
    int64_t n = -1;
    assert_int_equal(issuance_recover(db, "test", 600, &n, NULL), 0);
    assert_int_equal(n, 2);
    state_is("a1", "reserved");
    state_is("a2", "abandoned");
    state_is("a3", "abandoned");
    state_is("a4", "reserved");
    clock_set(NOW + 601);
    assert_int_equal(issuance_recover(db, "test", 600, &n, NULL), 0);
    assert_int_equal(n, 1);
    state_is("a4", "abandoned");
    state_is("a1", "reserved");
    clock_set(NOW);
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(certs_set_abandoned(db, "a1", NULL), 0);
    assert_int_equal(db_commit(db, NULL), 0);
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* The open batches of reserved serials and the certificates rows never reserved one by
 * one: "pending serials|..." per batch in id order, and the count of rows in state
 * reserved. */
static int add_batch(void *ctx, const struct db_val *c, int n)
{
    char *out = ctx;
    size_t at = strlen(out);
    if (n != 2)
        return -SM_E_INTERNAL;
    snprintf(out + at, 4096 - at, "%s%lld %.*s", at ? "|" : "", (long long)c[0].i, (int)c[1].n,
             (const char *)c[1].p);
    return 0;
}

static int read_batches(struct db *d, char out[4096])
{
    static const struct db_stmt st = {
        "t.batches", "SELECT pending, serials FROM serial_batches ORDER BY id", NULL, NULL};
    out[0] = '\0';
    return db_run(d, &st, NULL, 0, add_batch, out, NULL);
}

static void batches_of(struct db *d, char out[4096]) { assert_int_equal(read_batches(d, out), 0); }

static void clear_batches(void)
{
    static const struct db_stmt st = {"t.clear_batches", "DELETE FROM serial_batches", NULL, NULL};
    assert_int_equal(db_run(db, &st, NULL, 0, NULL, NULL, NULL), 0);
}

static int64_t reserved_rows(void)
{
    int64_t n = -1;
    assert_int_equal(certs_count_state(db, "reserved", &n, NULL), 0);
    return n;
}

/* What the first signing thread of a run saw on a connection of its own: the batch it signs
 * is committed, open, before any signature (R-ISS-4); with take set, that connection then
 * recovers the batch as a node that took the issuing process for ended would. It runs in
 * the signing thread: it records, the test asserts. */
static struct {
    atomic_int calls;
    char seen[4096];
    int take;
    int rc;            /* 0 when every step worked */
    int64_t recovered; /* serials the recovery recorded abandoned */
} probe;

static const struct db_stmt st_orphan = {
    "t.orphan", "UPDATE serial_batches SET reserved_by = 'elsewhere.example/1/1', reserved_at = 0",
    NULL, NULL};

static void probe_start(void)
{
    if (atomic_fetch_add(&probe.calls, 1) != 0)
        return;
    struct db *other = NULL;
    probe.rc = db_open("sqlite:shomei.db", tmpdir, &other, NULL);
    if (probe.rc == 0)
        probe.rc = read_batches(other, probe.seen);
    if (probe.rc == 0 && probe.take)
        probe.rc = db_run(other, &st_orphan, NULL, 0, NULL, NULL, NULL);
    if (probe.rc == 0 && probe.take)
        probe.rc = issuance_recover(other, "node-b", 60, &probe.recovered, NULL);
    db_close(other);
}

/* issue 8 item 29, R-ISS-4: the serials of a batch are reserved as one record, committed
 * (open) before the batch is signed and closed in the transaction that writes the
 * certificates rows, each once, in its outcome; no row is ever in state reserved. */
static void test_issuance_reserves_serials_per_batch(void **state)
{
    (void)state;
    clear_batches();
    int64_t reserved0 = reserved_rows();
    memset(&probe, 0, sizeof probe);
    struct issuance_opts o = {"test", 2, 2, NULL, NULL, probe_start, NULL, NULL};
    struct issuance_item it[5];
    for (int i = 0; i < 5; i++)
        it[i] = item(names_ok, 2);
    it[2] = item(names_wild, 1);
    it[2].allow_wildcard = 0; /* refused by the linter: its serial ends abandoned */
    assert_int_equal(issuance_run(db, dv, &o, it, 5, NULL), 0);
    assert_int_equal(probe.rc, 0);
    char want[4096], got[4096];
    snprintf(want, sizeof want, "1 %s %s", it[0].serial, it[1].serial);
    /* the first batch, committed and open (the next may be reserved already) */
    assert_int_equal(strncmp(probe.seen, want, strlen(want)), 0);
    assert_true(probe.seen[strlen(want)] == '\0' || probe.seen[strlen(want)] == '|');
    snprintf(want, sizeof want, "0 %s %s|0 %s %s|0 %s", it[0].serial, it[1].serial, it[2].serial,
             it[3].serial, it[4].serial);
    batches_of(db, got);
    assert_string_equal(got, want);
    assert_int_equal(reserved_rows(), reserved0);
    for (int i = 0; i < 5; i++) {
        state_is(it[i].serial, i == 2 ? "abandoned" : "issued");
        struct records a = records_of(it[i].serial);
        assert_string_equal(a.actions, i == 2 ? "cert.abandon" : "cert.issue");
        assert_string_equal(json_string_value(json_object_get(a.detail, "from")), "reserved");
        json_decref(a.detail);
        issuance_item_clear(&it[i]);
    }
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* An item whose certificate never left: failed, no bytes, its serial abandoned with one
 * record, cert.abandon. */
static void not_returned_abandoned(const struct issuance_item *it)
{
    assert_true(it->rc < 0);
    assert_null(it->der);
    state_is(it->serial, "abandoned");
    struct records a = records_of(it->serial);
    assert_string_equal(a.actions, "cert.abandon");
    json_decref(a.detail);
}

/* R-ISS-4: a batch that another node recovered while it was being signed (its process was
 * taken for ended) is not stored: none of its certificates is returned or written issued,
 * its serials stay abandoned as the recovery wrote them, and the batch signed meanwhile is
 * abandoned too. */
static void test_issuance_store_refused_after_recovery(void **state)
{
    (void)state;
    clear_batches();
    memset(&probe, 0, sizeof probe);
    probe.take = 1;
    struct issuance_opts o = {"test", 2, 2, NULL, NULL, probe_start, NULL, NULL};
    struct issuance_item it[4];
    for (int i = 0; i < 4; i++)
        it[i] = item(names_ok, 2);
    struct sm_err e = {0};
    assert_int_equal(issuance_run(db, dv, &o, it, 4, &e), -SM_E_CONFLICT);
    assert_int_equal(probe.rc, 0);
    assert_true(probe.recovered >= 2); /* the first batch, and the second if reserved by then */
    for (int i = 0; i < 4; i++)
        not_returned_abandoned(&it[i]);
    struct records a = records_of(it[0].serial);
    assert_string_equal(json_string_value(json_object_get(a.detail, "owner")),
                        "elsewhere.example/1/1"); /* written by the recovering node */
    json_decref(a.detail);
    char got[4096];
    batches_of(db, got);
    assert_int_equal(got[0], '0');
    assert_null(strstr(got, "|1 ")); /* every batch closed */
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* R-ISS-4: the open batches of ended processes are closed on the next start and each of
 * their serials without a row is recorded abandoned (with the process and the time of the
 * reservation); a serial that was stored stays as it is; batches of live processes and of
 * other hosts inside the lease are left alone. */
static void test_issuance_recover_open_batches(void **state)
{
    (void)state;
    clear_batches();
    char me[300], host[256], dead[300];
    assert_int_equal(issuance_owner(me, sizeof me), 0);
    assert_int_equal(gethostname(host, sizeof host), 0);
    snprintf(dead, sizeof dead, "%s/%d/12345", host, 0x3ffffff0); /* no such process */
    /* one serial of the dead batch was stored before its process ended: b1 */
    struct issuance_item it[1] = {item(names_ok, 2)};
    assert_int_equal(issuance_run(db, dv, &opts, it, 1, NULL), 0);
    char dead_list[200];
    snprintf(dead_list, sizeof dead_list, "b0 %s b2", it[0].serial);
    const struct {
        const char *owner, *serials;
    } plant[] = {{me, "c0 c1"}, {dead, dead_list}, {"elsewhere.example/42/7", "d0"}};
    for (size_t i = 0; i < 3; i++) {
        struct certs_batch b = {dv->ca_id, "dv", "a", plant[i].owner, NOW, plant[i].serials};
        int64_t id = 0;
        assert_int_equal(db_begin(db, NULL), 0);
        assert_int_equal(certs_batch_reserve(db, &b, &id, NULL), 0);
        assert_int_equal(db_commit(db, NULL), 0);
        assert_true(id > 0);
    }
    int64_t n = -1;
    assert_int_equal(issuance_recover(db, "test", 600, &n, NULL), 0);
    assert_int_equal(n, 2); /* b0 and b2 */
    state_is("b0", "abandoned");
    state_is("b2", "abandoned");
    state_is(it[0].serial, "issued");
    struct records a = records_of("b2");
    assert_string_equal(a.actions, "cert.abandon");
    assert_string_equal(json_string_value(json_object_get(a.detail, "owner")), dead);
    assert_int_equal(json_integer_value(json_object_get(a.detail, "reserved_at")), NOW);
    json_decref(a.detail);
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(db, "c0", &r, NULL), -SM_E_NOTFOUND);
    assert_int_equal(certs_get(db, "d0", &r, NULL), -SM_E_NOTFOUND);
    char got[4096], want[4096];
    batches_of(db, got);
    snprintf(want, sizeof want, "0 %s|1 c0 c1|0 %s|1 d0", it[0].serial, dead_list);
    assert_string_equal(got, want);
    clock_set(NOW + 601); /* the other host's lease is over */
    assert_int_equal(issuance_recover(db, "test", 600, &n, NULL), 0);
    assert_int_equal(n, 1);
    state_is("d0", "abandoned");
    clock_set(NOW);
    issuance_item_clear(&it[0]);
    clear_batches();
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* Bad input to recovery: a batch record whose list has extra spaces is read serial by
 * serial; one that holds something longer than any serial is refused by name, with nothing
 * written and the batch left open for an operator to look at. */
static void test_issuance_recover_refuses_a_damaged_batch(void **state)
{
    (void)state;
    clear_batches();
    char host[256], dead[300], longest[80];
    assert_int_equal(gethostname(host, sizeof host), 0);
    snprintf(dead, sizeof dead, "%s/%d/12345", host, 0x3ffffff0);
    memset(longest, 'f', 60);
    longest[60] = '\0';
    char bad[120];
    snprintf(bad, sizeof bad, "e0 %s", longest);
    const char *lists[] = {"  e1   e2 ", bad};
    for (size_t i = 0; i < 2; i++) {
        struct certs_batch b = {dv->ca_id, "dv", "a", dead, NOW, lists[i]};
        int64_t id = 0;
        assert_int_equal(db_begin(db, NULL), 0);
        assert_int_equal(certs_batch_reserve(db, &b, &id, NULL), 0);
        assert_int_equal(db_commit(db, NULL), 0);
    }
    int64_t n = -1;
    struct sm_err e = {0};
    assert_int_equal(issuance_recover(db, "test", 600, &n, &e), -SM_E_INTERNAL);
    assert_non_null(strstr(e.detail, "bad serial"));
    state_is("e1", "abandoned"); /* the first batch, recovered before */
    state_is("e2", "abandoned");
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(db, "e0", &r, NULL), -SM_E_NOTFOUND);
    char got[4096], want[4096];
    batches_of(db, got);
    snprintf(want, sizeof want, "0   e1   e2 |1 %s", bad);
    assert_string_equal(got, want);
    clear_batches();
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* Bad input to the batch store: an empty list or no process is refused (nothing written);
 * closing a batch that is not open is a conflict. */
static void test_certs_batch_refusals(void **state)
{
    (void)state;
    clear_batches();
    int64_t id = 0;
    struct certs_batch empty = {dv->ca_id, "dv", "a", "h/1/1", NOW, ""};
    struct certs_batch nobody = {dv->ca_id, "dv", "a", NULL, NOW, "f0"};
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(certs_batch_reserve(db, &empty, &id, NULL), -SM_E_INVALID);
    assert_int_equal(certs_batch_reserve(db, &nobody, &id, NULL), -SM_E_INVALID);
    assert_int_equal(certs_batch_close(db, 999999, NULL), -SM_E_CONFLICT);
    db_rollback(db);
    char got[4096];
    batches_of(db, got);
    assert_string_equal(got, "");
}

/* R-ISS-4: a serial is used once; only a reserved serial can become issued or abandoned. */
static void test_certs_transitions_refused(void **state)
{
    (void)state;
    reserve("b1", "h/1/1", NOW);
    struct certs_new c = {"b1", dv->ca_id, "dv", "a", "x.example.com", "[]", 0, 0, 0};
    struct sm_err e = {0};
    assert_int_equal(db_begin(db, NULL), 0);
    assert_int_equal(certs_reserve(db, &c, "h/1/1", NOW, &e), -SM_E_CONFLICT);
    db_rollback(db);
    assert_int_equal(db_begin(db, NULL), 0);
    const unsigned char der[3] = {1, 2, 3};
    int64_t id = 0;
    assert_int_equal(certs_set_issued(db, "b1", der, 3, NOW, NOW + 10, "00", NOW, &id, NULL), 0);
    assert_true(id > 0);
    assert_int_equal(certs_set_issued(db, "b1", der, 3, NOW, NOW + 10, "00", NOW, NULL, &e),
                     -SM_E_CONFLICT);
    assert_int_equal(certs_set_abandoned(db, "b1", &e), -SM_E_CONFLICT);
    assert_int_equal(certs_set_abandoned(db, "nope", &e), -SM_E_CONFLICT);
    assert_int_equal(db_commit(db, NULL), 0);
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(db, "missing", &r, &e), -SM_E_NOTFOUND);
    assert_null(r);
}

/* R-ISS-6: valid certificates of one CN in one organization are counted. */
static void test_certs_count_valid_cn(void **state)
{
    (void)state;
    struct issuance_item it[2] = {item(names_ok, 2), item(names_ok, 2)};
    it[0].org_id = it[1].org_id = 99;
    it[1].days = 1;
    assert_int_equal(issuance_run(db, dv, &opts, it, 2, NULL), 0);
    int64_t n = 0;
    assert_int_equal(certs_count_valid_cn(db, 99, "www.example.com", NOW, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(certs_count_valid_cn(db, 99, "www.example.com", NOW + 2 * 86400, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(certs_count_valid_cn(db, 98, "www.example.com", NOW, &n, NULL), 0);
    assert_int_equal(n, 0);
    issuance_item_clear(&it[0]);
    issuance_item_clear(&it[1]);
}

struct seen {
    int calls;
    int64_t ids[8];
    int fail;       /* every call fails */
    int fail_after; /* > 0: calls after this many fail */
};

static int on_stored(void *arg, struct db *d, const struct issuance_item *it, int64_t cert_id,
                     struct sm_err *e)
{
    struct seen *s = arg;
    assert_true(db_in_transaction(d));
    if (s->fail || (s->fail_after > 0 && s->calls >= s->fail_after))
        return sm_err_set(e, SM_E_CONFLICT, "order", "order changed meanwhile");
    s->ids[s->calls++] = cert_id;
    return 0;
}

/* R-ISS-4: the stored hook runs inside the storing transaction with the certificate id;
 * when it fails the batch is rolled back, nothing is returned, and the reservations are
 * abandoned at once (audited) instead of staying reserved. */
static void test_issuance_run_stored_hook(void **state)
{
    (void)state;
    struct seen s = {0};
    struct issuance_opts o = {"test", 4, 1, on_stored, &s, NULL, NULL, NULL};
    struct issuance_item it[2] = {item(names_ok, 2), item(names_ok, 2)};
    assert_int_equal(issuance_run(db, dv, &o, it, 2, NULL), 0);
    assert_int_equal(s.calls, 2);
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(db, it[1].serial, &r, NULL), 0);
    assert_int_equal(r->id, s.ids[1]);
    certs_row_free(r);
    issuance_item_clear(&it[0]);
    issuance_item_clear(&it[1]);

    s.fail = 1;
    struct issuance_item bad[1] = {item(names_ok, 2)};
    struct sm_err e = {0};
    assert_int_equal(issuance_run(db, dv, &o, bad, 1, &e), -SM_E_CONFLICT);
    assert_int_equal(bad[0].rc, -SM_E_CONFLICT);
    assert_null(bad[0].der);
    state_is(bad[0].serial, "abandoned");
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* issue 8 item 29, R-ISS-4 with two threads: batch k+1 is reserved while batch k is
 * signed and batch k is stored while batch k+1 is signed. Every certificate is still
 * stored (or its reservation abandoned when the linter refuses it), in order; when a batch
 * cannot be stored, it and the batch signed meanwhile are abandoned, nothing of either
 * is returned, and later items are never reserved. */
static atomic_int thread_starts;
static void count_start(void) { atomic_fetch_add(&thread_starts, 1); }

static void test_issuance_run_pipelined_batches(void **state)
{
    (void)state;
    struct seen s = {0};
    struct issuance_opts o = {"test", 2, 2, on_stored, &s, count_start, NULL, NULL};
    atomic_store(&thread_starts, 0);
    struct issuance_item it[7];
    for (int i = 0; i < 7; i++)
        it[i] = item(i == 3 ? names_wild : names_ok, i == 3 ? 1 : 2);
    it[3].allow_wildcard = 0;
    assert_int_equal(issuance_run(db, dv, &o, it, 7, NULL), 0);
    assert_int_equal(s.calls, 6);
    /* the hook ran first in the one signing thread started for each of the 4 batches */
    assert_int_equal(atomic_load(&thread_starts), 4);
    for (int i = 0; i < 7; i++) {
        if (i == 3) {
            assert_int_equal(it[i].rc, -SM_E_LINT);
            assert_null(it[i].der);
            state_is(it[i].serial, "abandoned");
            continue;
        }
        assert_int_equal(it[i].rc, 0);
        assert_non_null(it[i].der);
        state_is(it[i].serial, "issued");
        struct certs_row *r = NULL;
        assert_int_equal(certs_get(db, it[i].serial, &r, NULL), 0);
        assert_int_equal(r->der_len, it[i].der_len);
        assert_memory_equal(r->der, it[i].der, it[i].der_len);
        certs_row_free(r);
        issuance_item_clear(&it[i]);
    }

    /* the second batch's store fails: batches 2 and 3 (signed meanwhile) are abandoned,
     * the last item is never reserved */
    struct seen f = {.fail_after = 2};
    struct issuance_opts of = {"test", 2, 2, on_stored, &f, NULL, NULL, NULL};
    struct issuance_item b[7];
    for (int i = 0; i < 7; i++)
        b[i] = item(names_ok, 2);
    struct sm_err e = {0};
    assert_int_equal(issuance_run(db, dv, &of, b, 7, &e), -SM_E_CONFLICT);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(b[i].rc, 0);
        state_is(b[i].serial, "issued");
        issuance_item_clear(&b[i]);
    }
    for (int i = 2; i < 6; i++) {
        assert_true(b[i].rc < 0);
        assert_null(b[i].der);
        state_is(b[i].serial, "abandoned");
    }
    assert_true(b[6].rc < 0);
    assert_null(b[6].der);
    assert_string_equal(b[6].serial, "");
    assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
}

/* A stored hook that makes the first batch's transaction fail at its commit (a hook of
 * db_on_commit), which runs in a thread of its own beside the signing of the next batch. */
static int refuse_commit(struct db *d, void *ctx, struct sm_err *e)
{
    (void)d;
    (void)ctx;
    return sm_err_set(e, SM_E_CONFLICT, "order", "changed before the commit");
}

static int on_stored_first_commit_fails(void *arg, struct db *d, const struct issuance_item *it,
                                        int64_t cert_id, struct sm_err *e)
{
    (void)it;
    (void)cert_id;
    int *calls = arg;
    return (*calls)++ == 0 ? db_on_commit(d, refuse_commit, NULL, NULL, e) : 0;
}

/* issue 8 item 29, R-ISS-4: a batch's store commit runs beside the signing of the next
 * batch, in the transaction that reserves the batch after that. When that commit fails,
 * with one thread or two: nothing of the failed batch or of the batch signed meanwhile is
 * returned (both abandoned, audited), the batch reserved in the failed transaction was
 * never reserved (no serial, no record), later items are not attempted, and no batch is
 * left open. */
static void test_issuance_run_commit_fails_beside_signing(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 2; threads++) {
        clear_batches();
        int calls = 0;
        struct issuance_opts o = {"test", 2,    threads, on_stored_first_commit_fails,
                                  &calls, NULL, NULL,    NULL};
        struct issuance_item b[7];
        for (int i = 0; i < 7; i++)
            b[i] = item(names_ok, 2);
        struct sm_err e = {0};
        assert_int_equal(issuance_run(db, dv, &o, b, 7, &e), -SM_E_CONFLICT);
        assert_string_equal(e.field, "order");
        for (int i = 0; i < 4; i++) /* the failed batch and the one signed meanwhile */
            not_returned_abandoned(&b[i]);
        char got[4096];
        batches_of(db, got);
        for (int i = 4; i < 7; i++) {
            assert_true(b[i].rc < 0);
            assert_null(b[i].der);
            assert_string_equal(b[i].serial, "");
        }
        /* two batch records (the first two, closed); the third's rolled back */
        char want[4096];
        snprintf(want, sizeof want, "0 %s %s|0 %s %s", b[0].serial, b[1].serial, b[2].serial,
                 b[3].serial);
        assert_string_equal(got, want);
        assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
    }
}

/* A stored hook that notes, for each certificate it sees, whether the item after it in the
 * run was signed yet. */
struct ahead {
    const struct issuance_item *items;
    size_t n;
    int calls;
    int next_signed[8];
};

static int on_stored_look_ahead(void *arg, struct db *d, const struct issuance_item *it,
                                int64_t cert_id, struct sm_err *e)
{
    (void)d;
    (void)cert_id;
    (void)e;
    struct ahead *a = arg;
    size_t i = (size_t)(it - a->items);
    assert_true(i < a->n);
    a->next_signed[a->calls++] = i + 1 < a->n ? a->items[i + 1].der != NULL : -1;
    return 0;
}

/* issue 8 item 29, R-ISS-4: a batch that nothing is signed beside (a run of one batch, or a
 * run's last) has its rows written as its certificates are signed, not once all are: with
 * one thread each row is written right after its signature, before the next one is made.
 * Every certificate is still stored before any is returned. */
static void test_issuance_run_stores_as_it_signs(void **state)
{
    (void)state;
    struct issuance_item it[3];
    for (int i = 0; i < 3; i++)
        it[i] = item(names_ok, 2);
    struct ahead a = {.items = it, .n = 3};
    struct issuance_opts o = {"test", 4, 1, on_stored_look_ahead, &a, NULL, NULL, NULL};
    assert_int_equal(issuance_run(db, dv, &o, it, 3, NULL), 0);
    assert_int_equal(a.calls, 3);
    assert_int_equal(a.next_signed[0], 0);
    assert_int_equal(a.next_signed[1], 0);
    assert_int_equal(a.next_signed[2], -1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(it[i].rc, 0);
        state_is(it[i].serial, "issued");
        issuance_item_clear(&it[i]);
    }
}

/* issue 8 item 29, R-ISS-4: when the last batch's store fails while its certificates are
 * still being signed (two threads; and with one), the signing stops, nothing of that batch is
 * returned, all its serials are abandoned (audited), the batches stored before stay issued, and no
 * batch is left open. */
static void test_issuance_run_last_batch_fails_while_signing(void **state)
{
    (void)state;
    for (int threads = 2; threads >= 1; threads--) {
        clear_batches();
        struct seen f = {.fail_after = 5}; /* the second certificate of the last batch */
        struct issuance_opts o = {"test", 4, threads, on_stored, &f, NULL, NULL, NULL};
        struct issuance_item b[8];
        for (int i = 0; i < 8; i++)
            b[i] = item(names_ok, 2);
        struct sm_err e = {0};
        assert_int_equal(issuance_run(db, dv, &o, b, 8, &e), -SM_E_CONFLICT);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(b[i].rc, 0);
            state_is(b[i].serial, "issued");
            issuance_item_clear(&b[i]);
        }
        for (int i = 4; i < 8; i++)
            not_returned_abandoned(&b[i]);
        char got[4096], want[4096];
        batches_of(db, got);
        snprintf(want, sizeof want, "0 %s %s %s %s|0 %s %s %s %s", b[0].serial, b[1].serial,
                 b[2].serial, b[3].serial, b[4].serial, b[5].serial, b[6].serial, b[7].serial);
        assert_string_equal(got, want);
        assert_int_equal(audit_verify(db, NULL, NULL, 0, NULL), 0);
    }
}

/* A delivered hook that checks, through a connection of its own, that each batch it gets
 * is stored already; it runs beside the run (not always in the calling thread), so it
 * counts what it finds and the test asserts after the run. */
struct handed {
    struct db *other;
    const struct issuance_item *items;
    size_t next; /* the index the next batch must start at */
    int batches, out_of_order, not_stored, no_der;
    size_t sizes[8];
};

static void on_delivered(void *arg, struct issuance_item *b, size_t m)
{
    struct handed *h = arg;
    if (b != h->items + h->next)
        h->out_of_order++;
    h->next = (size_t)(b - h->items) + m;
    if (h->batches < 8)
        h->sizes[h->batches] = m;
    h->batches++;
    for (size_t i = 0; i < m; i++) {
        if (b[i].rc != 0)
            continue;
        h->no_der += b[i].der == NULL;
        struct certs_row *r = NULL;
        if (certs_get(h->other, b[i].serial, &r, NULL) < 0 || strcmp(r->state, "issued") != 0)
            h->not_stored++;
        certs_row_free(r);
    }
}

/* issue 8 item 29, R-ISS-4: each batch is handed out (issuance_opts delivered) as soon as
 * it is committed, in order, with its certificates stored (seen from another connection)
 * and its refused items with their error; a batch that could not be stored is not handed
 * out. */
static void test_issuance_run_delivers_each_stored_batch(void **state)
{
    (void)state;
    struct handed h = {0};
    assert_int_equal(db_open("sqlite:shomei.db", tmpdir, &h.other, NULL), 0);
    struct issuance_item it[7];
    for (int i = 0; i < 7; i++)
        it[i] = item(i == 3 ? names_wild : names_ok, i == 3 ? 1 : 2);
    h.items = it;
    struct issuance_opts o = {"test", 2, 2, NULL, NULL, NULL, on_delivered, &h};
    assert_int_equal(issuance_run(db, dv, &o, it, 7, NULL), 0);
    assert_int_equal(h.batches, 4);
    assert_int_equal(h.sizes[0], 2);
    assert_int_equal(h.sizes[3], 1);
    assert_int_equal(h.next, 7);
    assert_int_equal(h.out_of_order, 0);
    assert_int_equal(h.not_stored, 0);
    assert_int_equal(h.no_der, 0);
    assert_int_equal(it[3].rc, -SM_E_LINT);
    for (int i = 0; i < 7; i++)
        issuance_item_clear(&it[i]);

    /* the second batch's store fails: only the first is handed out */
    struct seen f = {.fail_after = 2};
    struct handed g = {.other = h.other};
    struct issuance_item b[5];
    for (int i = 0; i < 5; i++)
        b[i] = item(names_ok, 2);
    g.items = b;
    struct issuance_opts of = {"test", 2, 2, on_stored, &f, NULL, on_delivered, &g};
    assert_int_equal(issuance_run(db, dv, &of, b, 5, NULL), -SM_E_CONFLICT);
    assert_int_equal(g.batches, 1);
    assert_int_equal(g.next, 2);
    assert_int_equal(g.not_stored + g.no_der + g.out_of_order, 0);
    for (int i = 0; i < 5; i++)
        issuance_item_clear(&b[i]);
    db_close(h.other);
}

/* R-ISS-4: when the run's own bookkeeping cannot be allocated, nothing is reserved,
 * signed or stored: the run fails with -SM_E_NOMEM before its first transaction. */
static void test_issuance_run_no_memory_reserves_nothing(void **state)
{
    (void)state;
    clear_batches();
    for (long nth = 1; nth <= 2; nth++) {
        struct issuance_item it[3];
        for (int i = 0; i < 3; i++)
            it[i] = item(names_ok, 2);
        struct sm_err e = {0};
        failalloc_set(nth);
        int rc = issuance_run(db, dv, &opts, it, 3, &e);
        failalloc_set(0);
        assert_int_equal(rc, -SM_E_NOMEM);
        for (int i = 0; i < 3; i++) {
            assert_true(it[i].rc < 0);
            assert_null(it[i].der);
            assert_string_equal(it[i].serial, "");
        }
        char got[4096];
        batches_of(db, got);
        assert_string_equal(got, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issuance_run_stores_every_certificate),
        cmocka_unit_test(test_issuance_run_lint_failure_abandons_only_that_one),
        cmocka_unit_test(test_issuance_run_incomplete_item_reserves_nothing),
        cmocka_unit_test(test_issuance_run_named_ec_key_from_the_csr_check),
        cmocka_unit_test(test_issuance_recover_tells_dead_from_alive),
        cmocka_unit_test(test_certs_transitions_refused),
        cmocka_unit_test(test_certs_count_valid_cn),
        cmocka_unit_test(test_issuance_run_stored_hook),
        cmocka_unit_test(test_issuance_run_pipelined_batches),
        cmocka_unit_test(test_issuance_run_commit_fails_beside_signing),
        cmocka_unit_test(test_issuance_run_stores_as_it_signs),
        cmocka_unit_test(test_issuance_run_last_batch_fails_while_signing),
        cmocka_unit_test(test_issuance_run_delivers_each_stored_batch),
        cmocka_unit_test(test_issuance_run_no_memory_reserves_nothing),
        cmocka_unit_test(test_issuance_reserves_serials_per_batch),
        cmocka_unit_test(test_issuance_store_refused_after_recovery),
        cmocka_unit_test(test_issuance_recover_open_batches),
        cmocka_unit_test(test_issuance_recover_refuses_a_damaged_batch),
        cmocka_unit_test(test_certs_batch_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
