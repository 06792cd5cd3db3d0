/* SPDX-License-Identifier: MIT */
/* R-RI-1, R-RI-2, R-RI-3, R-RI-4, R-RI-5, R-RI-6, R-RI-7, R-REN-5 (issue 9 item 3): the rules of
 * ra/reissue.c on SQLite, and on PostgreSQL too when SHOMEI_TEST_PG_URL is set: the reason
 * list and its RFC 5280 codes; each refusal (bad reason, a revocation date outside today ..
 * +60 days, no consent, a revoked or expired original, the month of its end, a renewal in
 * progress, the per-CN limit, a change of CN or organization, a CSR of another CN, a
 * keyCompromise reissue without a new key, a blocked key, a SAN on a single-name product,
 * a root the product does not offer) changes nothing; an accepted reissue schedules the
 * original's revocation (keyCompromise: revoked now and its key blocked), links the new
 * order to the subscription, mails the customer, charges only by the product's rule, and
 * its certificate ends with the original and shows in the history. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/policy.h"
#include "pki/crl.h"
#include "ra/fulfil.h"
#include "ra/product.h"
#include "ra/reissue.h"
#include "ra/revoke.h"
#include "ra/subscription.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/keyblock.h"
#include "store/order_domains.h"
#include "store/orders.h"
#include "store/products.h"
#include "store/subscriptions.h"

#define DAY          86400
#define T_2026_12_01 ((time_t)1796083200) /* 2026-12-01T00:00:00Z */
#define CN           "www.ri-test.co.jp"

struct fx {
    char dir[256];
    char url[1024];
    struct db *db;
    struct config *cfg;
    struct product_row p;
    int64_t ca_id, org_id;
    EVP_PKEY *k1, *k2;
    struct order_env env;
    struct order_actor who;
};

static const struct db_stmt st_count = {"t.count", "SELECT COUNT(*) FROM orders", NULL, NULL};
static const struct db_stmt st_mails = {"t.mails", "SELECT COUNT(*) FROM outbox WHERE tmpl = $1",
                                        NULL, NULL};
static const struct db_stmt st_jobs = {
    "t.jobs", "SELECT COUNT(*) FROM jobs WHERE kind = 'cert.revoke' AND key = $1", NULL, NULL};
static const struct db_stmt st_state = {
    "t.state", "SELECT COUNT(*) FROM certificates WHERE serial = $1 AND state = $2", NULL, NULL};

static int64_t norders(struct fx *f) { return dbfx_count(f->db, &st_count, NULL, 0); }

static int cert_in(struct fx *f, const char *serial, const char *state)
{
    struct db_val p[2] = {DBV_TEXT(serial), DBV_TEXT(state)};
    return dbfx_count(f->db, &st_state, p, 2) == 1;
}

/* A CSR (PEM, malloc'd) for cn with key k. */
static char *csr_pem(EVP_PKEY *k, const char *cn)
{
    X509_REQ *q = X509_REQ_new();
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_REQ_set_subject_name(q, n);
    X509_REQ_set_pubkey(q, k);
    assert_true(X509_REQ_sign(q, k, EVP_sha256()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(b, q);
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)len);
    BIO_free(b);
    X509_NAME_free(n);
    X509_REQ_free(q);
    return out;
}

/* A certificate DER (self-signed) carrying key k, for the SPKI checks. */
static unsigned char *cert_der(EVP_PKEY *k, int *len)
{
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)CN, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    *len = i2d_X509(x, &der);
    X509_free(x);
    return der;
}

static int fx_setup(void **state)
{
    const struct backend *be = *state;
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = dbfx_open(be, "reissue", f->dir, sizeof f->dir, f->url, sizeof f->url);
    f->cfg = config_defaults(f->dir);
    struct sm_err e = {0};
    int created = 0;
    assert_int_equal(product_seed_demo(f->db, "test", &created, &e), 0);
    assert_int_equal(products_get_by_code(f->db, "dv-1y", &f->p, &e), 0);
    f->ca_id = dbfx_add_ca(f->db, "dv-a", "dv");
    f->org_id = 7;
    f->k1 = EVP_EC_gen("P-256");
    f->k2 = EVP_EC_gen("P-256");
    f->env = (struct order_env){.db = f->db};
    f->who.user_id = 1;
    f->who.scope = (struct org_scope){0, &f->org_id, 1};
    clock_set(T_2026_12_01 + 3 * 3600);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    EVP_PKEY_free(f->k1);
    EVP_PKEY_free(f->k2);
    config_free(f->cfg);
    db_close(f->db);
    testdir_remove(f->dir);
    free(f);
    clock_set(0);
    return 0;
}

static int seq;

/* The subscription record of an issued certificate, inside the transaction storing it. */
struct record {
    const struct order_row *o;
    const struct sub_plan *plan;
    time_t at;
};

static int record(struct db *db, int64_t cert_id, void *ctx, struct sm_err *e)
{
    struct record *r = ctx;
    return subscription_record_tx(db, r->o, r->plan, cert_id, r->at, e);
}

/* An issued certificate of CN for a paid order of product p (opening a subscription),
 * with key k, issued at `at` and ending at not_after. Its serial in serial (24 bytes). */
static int64_t issued(struct fx *f, const struct product_row *p, EVP_PKEY *k, time_t at,
                      time_t not_after, char *serial)
{
    struct sm_err e = {0};
    char *csr = csr_pem(k, CN);
    struct dbfx_order spec = {
        "ri",
        "new",
        "issued",
        p->id,
        f->org_id,
        0,
        CN,
        "cert@ri-test.co.jp",
        "{\"org\":{\"name_ja\":\"株式会社リイシュー\",\"name_en\":\"Reissue KK\"}}",
        csr};
    int64_t oid = dbfx_add_order(f->db, &spec);
    free(csr);
    static const struct org_scope all = {1, NULL, 0};
    struct order_row *r = NULL;
    struct sub_plan plan;
    assert_int_equal(orders_get(f->db, oid, &all, &r, &e), 0);
    assert_int_equal(subscription_plan(f->db, r, p, at, &plan, &e), 0);
    snprintf(serial, 24, "7ee%05d", ++seq);
    struct certs_new c = {.serial = serial,
                          .ca_id = f->ca_id,
                          .level = "dv",
                          .root = "a",
                          .cn = CN,
                          .names_json = "[\"" CN "\"]",
                          .order_id = oid,
                          .org_id = f->org_id};
    int len = 0;
    unsigned char *der = cert_der(k, &len);
    struct record rec = {r, &plan, at};
    int64_t id = dbfx_add_issued(f->db, &c, der, (size_t)len, at, not_after, record, &rec);
    OPENSSL_free(der);
    order_row_free(r);
    return id;
}

/* A request on serial that passes every rule (as of the fixture's clock). */
static struct reissue_req good(const char *serial)
{
    struct reissue_req q = {0};
    q.serial = serial;
    q.reason = "replacement";
    q.revoke_date = "2026-12-11";
    q.consent = 1;
    return q;
}

/* Expects reissue_check and reissue_apply both refuse q with code/field; nothing created. */
static void refused(struct fx *f, const struct reissue_req *q, int code, const char *field)
{
    struct reissue_plan pl;
    struct sm_err e = {0};
    int64_t before = norders(f), id = 0;
    int rc = reissue_check(&f->env, &f->who, f->cfg, q, &pl, &e);
    if (rc != -code || strcmp(e.field, field) != 0)
        fail_msg("check: want %d %s, got %d %s (%s)", -code, field, rc, e.field, e.detail);
    memset(&e, 0, sizeof e);
    rc = reissue_apply(&f->env, &f->who, f->cfg, q, NULL, &id, &e);
    if (rc != -code || strcmp(e.field, field) != 0)
        fail_msg("apply: want %d %s, got %d %s (%s)", -code, field, rc, e.field, e.detail);
    assert_int_equal(norders(f), before);
}

/* R-RI-1: each reason's code on the original */
static void test_reason_codes(void **state)
{
    (void)state;
    assert_int_equal(reissue_reason_code("site_closed"), REVOKE_CESSATION_OF_OPERATION);
    assert_int_equal(reissue_reason_code("domain_released"), REVOKE_CESSATION_OF_OPERATION);
    assert_int_equal(reissue_reason_code("org_changed"), REVOKE_AFFILIATION_CHANGED);
    assert_int_equal(reissue_reason_code("replacement"), REVOKE_SUPERSEDED);
    assert_int_equal(reissue_reason_code("key_compromise"), REVOKE_KEY_COMPROMISE);
    assert_int_equal(reissue_reason_code("key_lost"), REVOKE_SUPERSEDED);
    assert_int_equal(reissue_reason_code("other"), REVOKE_UNSPECIFIED);
    assert_int_equal(reissue_reason_code("privilegeWithdrawn"), -1);
    assert_int_equal(reissue_reason_code(NULL), -1);
}

/* R-RI-1, R-RI-2, R-RI-4: input refusals */
static void test_refusals_input(void **state)
{
    struct fx *f = *state;
    char s[24];
    time_t now = clock_now();
    issued(f, &f->p, f->k1, now - 40 * DAY, now + 150 * DAY, s);
    struct reissue_req q = good(s);
    q.reason = "bored";
    refused(f, &q, SM_E_INVALID, "reason");
    q = good(s);
    q.revoke_date = "2026-11-30"; /* yesterday in Japan */
    refused(f, &q, SM_E_INVALID, "revoke_date");
    q.revoke_date = "2027-01-31"; /* today + 61 */
    refused(f, &q, SM_E_INVALID, "revoke_date");
    q.revoke_date = "2026-13-01";
    refused(f, &q, SM_E_INVALID, "revoke_date");
    q.revoke_date = "2026-11-31"; /* not a day (would be today, 12-01, if normalized) */
    refused(f, &q, SM_E_INVALID, "revoke_date");
    q.revoke_date = "2026-12-1";
    refused(f, &q, SM_E_INVALID, "revoke_date");
    q = good(s);
    q.consent = 0;
    refused(f, &q, SM_E_INVALID, "consent");
    q = good(s);
    q.cn = "other.ri-test.co.jp";
    refused(f, &q, SM_E_POLICY, "reissue.forbidden");
    q = good(s);
    q.org_name = "株式会社ベツメイ";
    refused(f, &q, SM_E_POLICY, "reissue.forbidden");
    q = good(s);
    const char *names[] = {"ri-test.co.jp"};
    memcpy((void *)q.names, names, sizeof names);
    q.names_given = 1;
    q.nnames = 1; /* another CN first */
    refused(f, &q, SM_E_POLICY, "reissue.forbidden");
    q = good(s);
    q.names_given = 1;
    q.names[0] = CN;
    q.names[1] = "shop.ri-test.co.jp"; /* a SAN on a single-name product */
    q.nnames = 2;
    refused(f, &q, SM_E_INVALID, "names");
    q = good(s);
    char *other = csr_pem(f->k2, "other.ri-test.co.jp");
    q.csr_pem = other;
    refused(f, &q, SM_E_INVALID, "csr");
    free(other);
    q = good(s);
    q.reason = "key_compromise"; /* no new key */
    refused(f, &q, SM_E_INVALID, "csr");
    char *same = csr_pem(f->k1, CN);
    q.csr_pem = same;
    refused(f, &q, SM_E_INVALID, "csr");
    free(same);
    q = good(s);
    q.root = "c";
    refused(f, &q, SM_E_INVALID, "root");
    struct product_row one = f->p;
    snprintf(one.root_options, sizeof one.root_options, "a");
    struct sm_err e = {0};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(products_update(f->db, &one, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    q.root = "b";
    refused(f, &q, SM_E_INVALID, "root");
    /* a blocked key in a new CSR */
    char *fresh = csr_pem(f->k2, CN);
    struct reissue_plan pl;
    q = good(s);
    q.csr_pem = fresh;
    assert_int_equal(reissue_check(&f->env, &f->who, f->cfg, &q, &pl, &e), 0);
    reissue_plan_clear(&pl);
    int len = 0;
    unsigned char *der = cert_der(f->k2, &len);
    char hex[65];
    assert_int_equal(pki_cert_spki_sha256(der, (size_t)len, hex), 0);
    OPENSSL_free(der);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(keyblock_add(f->db, hex, "keyCompromise", "test", &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    refused(f, &q, SM_E_CSR, "csr");
    free(fresh);
    /* another organization sees nothing */
    int64_t other_org = 8;
    struct order_actor stranger = {2, {0, &other_org, 1}};
    q = good(s);
    assert_int_equal(reissue_check(&f->env, &stranger, f->cfg, &q, &pl, &e), -SM_E_NOTFOUND);
}

/* R-RI-4, R-REN-5: refusals by the original's state */
static void test_refusals_state(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    time_t now = clock_now();
    char s1[24], s2[24], s3[24], s4[24];
    /* the month of its end (Japan time): ends 2026-12-20 */
    issued(f, &f->p, f->k1, now - 100 * DAY, T_2026_12_01 + 19 * DAY, s1);
    struct reissue_req q = good(s1);
    refused(f, &q, SM_E_POLICY, "reissue.expiry_month");
    /* expired */
    issued(f, &f->p, f->k1, now - 300 * DAY, now - DAY, s2);
    q = good(s2);
    refused(f, &q, SM_E_CONFLICT, "reissue.state");
    /* revoked */
    issued(f, &f->p, f->k1, now - 10 * DAY, now + 150 * DAY, s3);
    struct revoke_req rr = {.actor = "test", .source = "cli", .serial = s3, .reason = 0};
    assert_int_equal(revoke_cert(f->db, &rr, NULL, &e), 0);
    q = good(s3);
    refused(f, &q, SM_E_CONFLICT, "reissue.state");
    /* a renewal in progress (R-REN-5) */
    int64_t c4 = issued(f, &f->p, f->k1, now - 10 * DAY, now + 150 * DAY, s4);
    struct subscription_row sub;
    assert_int_equal(subscriptions_get_by_cert(f->db, c4, &sub, &e), 0);
    struct order_row *o = NULL;
    static const struct org_scope all = {1, NULL, 0};
    struct certs_row *cr = NULL;
    assert_int_equal(certs_get(f->db, s4, &cr, &e), 0);
    assert_int_equal(orders_get(f->db, cr->order_id, &all, &o, &e), 0);
    struct order_row ren = *o;
    snprintf(ren.receipt_no, sizeof ren.receipt_no, "R-ri-renewal");
    snprintf(ren.kind, sizeof ren.kind, "renewal");
    snprintf(ren.state, sizeof ren.state, "awaiting_payment");
    ren.idem_key = "renewal-1";
    int64_t rid = 0;
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(orders_insert(f->db, &ren, &rid, &e), 0);
    assert_int_equal(subscriptions_set_renewal(f->db, sub.id, rid, now, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    order_row_free(o);
    certs_row_free(cr);
    q = good(s4);
    refused(f, &q, SM_E_CONFLICT, "reissue.renewal");
}

/* R-RI-2, R-RI-3, R-RI-4 (per-CN limit), R-RI-7: an accepted reissue */
static void test_apply(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    time_t now = clock_now();
    char s[24];
    time_t end = now + 150 * DAY;
    int64_t cid = issued(f, &f->p, f->k1, now - 40 * DAY, end, s);
    struct reissue_req q = good(s);
    char *fresh = csr_pem(f->k2, CN);
    q.csr_pem = fresh;
    q.names_given = 1;
    q.names[0] = CN;
    q.names[1] = "ri-test.co.jp"; /* the double address partner */
    q.nnames = 2;
    q.idem_key = "form-1";
    struct reissue_plan pl;
    int64_t id = 0;
    if (reissue_apply(&f->env, &f->who, f->cfg, &q, &pl, &id, &e) != 0)
        fail_msg("apply: %s %s", e.field, e.detail);
    assert_true(id > 0);
    assert_int_equal(pl.fee, 0); /* dv-1y: free */
    assert_string_equal(pl.added_json, "[\"ri-test.co.jp\"]");
    assert_int_equal(pl.revoke_at, T_2026_12_01 + 10 * DAY - 9 * 3600); /* 2026-12-11 JST */
    reissue_plan_clear(&pl);
    /* the original waits for its date, with its job */
    assert_true(cert_in(f, s, "revocation_scheduled"));
    struct db_val jp[1] = {DBV_TEXT(s)};
    assert_int_equal(dbfx_count(f->db, &st_jobs, jp, 1), 1);
    struct db_val mp[1] = {DBV_TEXT("order_reissue")};
    assert_int_equal(dbfx_count(f->db, &st_mails, mp, 1), 1);
    /* the order: a reissue of the original, in vetting (the new name needs DCV), free */
    static const struct org_scope all = {1, NULL, 0};
    struct order_row *o = NULL;
    assert_int_equal(orders_get(f->db, id, &all, &o, &e), 0);
    assert_string_equal(o->kind, "reissue");
    assert_string_equal(o->state, "vetting");
    assert_int_equal(o->predecessor_cert_id, cid);
    assert_int_equal(o->amount, 0);
    /* the same form again: the same order */
    int64_t again = 0;
    assert_int_equal(reissue_apply(&f->env, &f->who, f->cfg, &q, NULL, &again, &e), 0);
    assert_int_equal(again, id);
    /* a second reissue of the original: it is scheduled for revocation now */
    q.idem_key = "form-2";
    refused(f, &q, SM_E_CONFLICT, "reissue.state");
    /* R-RI-3: the new certificate ends with the original, in the same subscription */
    struct sub_plan plan;
    assert_int_equal(subscription_plan(f->db, o, &f->p, now, &plan, &e), 0);
    assert_int_equal(plan.kind, 1);
    assert_int_equal(plan.ends_at, end);
    char s2[24] = "7eefff01";
    struct certs_new c = {.serial = s2,
                          .ca_id = f->ca_id,
                          .level = "dv",
                          .root = "a",
                          .cn = CN,
                          .names_json = "[]",
                          .order_id = id,
                          .org_id = f->org_id};
    int64_t nid = 0;
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(certs_reserve(f->db, &c, "test", now, &e), 0);
    assert_int_equal(certs_set_issued(f->db, s2, (const unsigned char *)"\x30\x00", 2, now,
                                      plan.ends_at, "00", now, &nid, &e),
                     0);
    assert_int_equal(subscription_record_tx(f->db, o, &plan, nid, now, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    order_row_free(o);
    /* R-RI-4: the original (scheduled, still valid) and the new one make the limit of 2 */
    struct reissue_req q2 = good(s2);
    refused(f, &q2, SM_E_POLICY, "reissue.cn_limit");
    /* R-RI-7: the history */
    json_t *h = reissue_history(f->db, nid, &e);
    assert_non_null(h);
    assert_int_equal(json_array_size(h), 2);
    json_t *h0 = json_array_get(h, 0), *h1 = json_array_get(h, 1);
    assert_string_equal(json_string_value(json_object_get(h0, "issued_why")), "first");
    assert_string_equal(json_string_value(json_object_get(h0, "state")), "revocation_scheduled");
    assert_string_equal(json_string_value(json_object_get(h0, "revocation_reason")), "superseded");
    assert_string_equal(json_string_value(json_object_get(h0, "replaced_by")), s2);
    assert_string_equal(json_string_value(json_object_get(h1, "issued_why")), "reissue");
    assert_string_equal(json_string_value(json_object_get(h1, "reissue_reason")), "replacement");
    assert_string_equal(json_string_value(json_object_get(h1, "replaces")), s);
    json_decref(h);
    /* the date comes: the original is revoked by its job's function */
    int done = 0;
    assert_int_equal(revoke_run_due(f->db, s, T_2026_12_01 + 10 * DAY, &done, &e), 0);
    assert_int_equal(done, 1);
    assert_true(cert_in(f, s, "revoked"));
    free(fresh);
}

/* R-RI-2: keyCompromise revokes the original now (whatever date) and blocks its key */
static void test_key_compromise(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    time_t now = clock_now();
    char s[24];
    issued(f, &f->p, f->k1, now - 40 * DAY, now + 150 * DAY, s);
    struct reissue_req q = good(s);
    q.reason = "key_compromise";
    q.revoke_date = "2027-01-20";
    char *fresh = csr_pem(f->k2, CN);
    q.csr_pem = fresh;
    int64_t id = 0;
    struct reissue_plan pl;
    if (reissue_apply(&f->env, &f->who, f->cfg, &q, &pl, &id, &e) != 0)
        fail_msg("apply: %s %s", e.field, e.detail);
    assert_int_equal(pl.revoke_now, 1);
    reissue_plan_clear(&pl);
    assert_true(cert_in(f, s, "revoked"));
    /* the old key is blocked: a reissue of another certificate with it is refused */
    char s2[24];
    issued(f, &f->p, f->k2, now - 40 * DAY, now + 150 * DAY, s2);
    struct reissue_req q2 = good(s2);
    q2.idem_key = "kc-2";
    char *old = csr_pem(f->k1, CN);
    q2.csr_pem = old;
    refused(f, &q2, SM_E_CSR, "csr");
    free(old);
    free(fresh);
}

/* R-RI-6: the fee rule after:DAYS:YEN charges only late and changed reissues */
static void test_fee(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    time_t now = clock_now();
    struct product_row m;
    assert_int_equal(products_get_by_code(f->db, "ov-multi-1y", &m, &e), 0);
    assert_string_equal(m.reissue_fee, "after:30:10000");
    char s1[24], s2[24], s3[24];
    issued(f, &m, f->k1, now - 40 * DAY, now + 150 * DAY, s1);
    struct reissue_req q = good(s1);
    struct reissue_plan pl;
    assert_int_equal(reissue_check(&f->env, &f->who, f->cfg, &q, &pl, &e), 0);
    assert_int_equal(pl.fee, 0); /* nothing changes: free */
    reissue_plan_clear(&pl);
    q.names_given = 1;
    q.names[0] = CN;
    q.names[1] = "shop.ri-test.co.jp"; /* multi-domain: a SAN may be added */
    q.nnames = 2;
    assert_int_equal(reissue_check(&f->env, &f->who, f->cfg, &q, &pl, &e), 0);
    assert_int_equal(pl.fee, 10000); /* changed, 40 days after issue */
    reissue_plan_clear(&pl);
    int64_t id = 0;
    assert_int_equal(reissue_apply(&f->env, &f->who, f->cfg, &q, NULL, &id, &e), 0);
    static const struct org_scope all = {1, NULL, 0};
    struct order_row *o = NULL;
    assert_int_equal(orders_get(f->db, id, &all, &o, &e), 0);
    assert_string_equal(o->state, "awaiting_payment"); /* invoiced, waits for payment */
    assert_int_equal(o->amount, 10000);
    assert_true(o->invoice_no[0] != '\0');
    order_row_free(o);
    /* within 30 days of issue: free even with a change */
    issued(f, &m, f->k1, now - 10 * DAY, now + 150 * DAY, s2);
    q.serial = s2;
    q.idem_key = "fee-2";
    assert_int_equal(reissue_check(&f->env, &f->who, f->cfg, &q, &pl, &e), -SM_E_POLICY);
    assert_string_equal(e.field, "reissue.cn_limit"); /* s1 (scheduled) and s2 valid */
    (void)s3;
}

/* R-RI-5 (issue 9 item 3): an original whose CN was validated (DNS) at validated_at, on
 * product p; its serial in serial. */
static void validated_original(struct fx *f, const struct product_row *p, time_t validated_at,
                               char *serial)
{
    struct sm_err e = {0};
    time_t now = clock_now();
    int64_t cid = issued(f, p, f->k1, now - 40 * DAY, now + 150 * DAY, serial);
    struct certs_row *c = NULL;
    assert_int_equal(certs_get_id(f->db, cid, &c, &e), 0);
    const char *names[1] = {CN}, *methods[1] = {"dns"};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(order_domains_replace(f->db, c->order_id, names, methods, 1, &e), 0);
    assert_int_equal(order_domains_set_result(f->db, c->order_id, CN, "validated",
                                              (int64_t)validated_at, "2.1.9", "{}", &e),
                     0);
    assert_int_equal(db_commit(f->db, &e), 0);
    certs_row_free(c);
}

/* R-RI-5: the reissue order id of a free reissue of serial; its CN domain's state in
 * dstate (16 bytes), the order's state in ostate (24 bytes). */
static int64_t reissue_states(struct fx *f, const char *serial, char *dstate, char *ostate)
{
    struct sm_err e = {0};
    struct reissue_req q = good(serial);
    int64_t id = 0;
    if (reissue_apply(&f->env, &f->who, f->cfg, &q, NULL, &id, &e) != 0)
        fail_msg("apply: %s %s", e.field, e.detail);
    struct order_domain_row *d = NULL;
    size_t n = 0;
    assert_int_equal(order_domains_list(f->db, id, &d, &n, &e), 0);
    assert_int_equal(n, 1);
    snprintf(dstate, 16, "%s", d[0].state);
    order_domain_rows_free(d, n);
    static const struct org_scope all = {1, NULL, 0};
    struct order_row *o = NULL;
    assert_int_equal(orders_get(f->db, id, &all, &o, &e), 0);
    snprintf(ostate, 24, "%s", o->state);
    assert_int_equal(o->cert_id, 0);
    order_row_free(o);
    return id;
}

/* R-RI-5 policy none: the original's DCV is reused inside the dated reuse period and the
 * reissue goes on to approval at once */
static void test_vetting_none_reuse(void **state)
{
    struct fx *f = *state;
    char s[24], ds[16], os[24];
    int days = policy_dcv_reuse_days(clock_now());
    assert_string_equal(f->p.reissue_vetting, "none"); /* the default */
    validated_original(f, &f->p, clock_now() - (time_t)(days - 5) * DAY, s);
    reissue_states(f, s, ds, os);
    assert_string_equal(ds, "validated");
    assert_string_not_equal(os, "vetting");
}

/* R-RI-5 policy none: evidence past the reuse period is never reused; the reissue waits
 * for DCV and cannot be approved */
static void test_vetting_none_stale(void **state)
{
    struct fx *f = *state;
    char s[24], ds[16], os[24];
    int days = policy_dcv_reuse_days(clock_now());
    validated_original(f, &f->p, clock_now() - (time_t)(days + 5) * DAY, s);
    int64_t id = reissue_states(f, s, ds, os);
    assert_string_equal(ds, "pending");
    assert_string_equal(os, "vetting");
    struct sm_err e = {0};
    static const struct order_actor officer = {2, {1, NULL, 0}};
    assert_true(fulfil_approve(&f->env, &officer, f->cfg, id, 0, &e) < 0);
}

/* R-RI-5 policy full: a fresh validation of the original is not reused either; control
 * must be proven again before any approval, and the organization checks are not copied */
static void test_vetting_full(void **state)
{
    struct fx *f = *state;
    struct sm_err e = {0};
    char s[24], ds[16], os[24];
    snprintf(f->p.reissue_vetting, sizeof f->p.reissue_vetting, "full");
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(products_update(f->db, &f->p, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    struct product_row back;
    assert_int_equal(products_get(f->db, f->p.id, &back, &e), 0);
    assert_string_equal(back.reissue_vetting, "full");
    validated_original(f, &f->p, clock_now() - 2 * DAY, s);
    int64_t id = reissue_states(f, s, ds, os);
    assert_string_equal(ds, "pending");
    assert_string_equal(os, "vetting");
    static const struct order_actor officer = {2, {1, NULL, 0}};
    assert_true(fulfil_approve(&f->env, &officer, f->cfg, id, 0, &e) < 0);
    /* a policy other than none or full is refused by the product rules */
    snprintf(back.reissue_vetting, sizeof back.reissue_vetting, "some");
    assert_int_equal(product_validate(&back, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "reissue_vetting");
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_reason_codes),
    };
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_refusals_input, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_state, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_apply, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_key_compromise, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fee, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_vetting_none_reuse, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_vetting_none_stale, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_vetting_full, fx_setup, fx_teardown),
    };
    int failed = cmocka_run_group_tests_name("reissue_rules", pure, NULL, NULL);
    return failed + dbfx_run_both("reissue", t, sizeof t / sizeof t[0], NULL, 0);
}
