/* SPDX-License-Identifier: MIT */
/* R-REV-1, R-REV-3 (issue 9 item 4): revocation through ra/revoke.c. Revoke now and on a
 * date through the certificate state machine, with the audit record and the one-shot job
 * cert.revoke in the same transaction; the BR 7.2.2 reason list (privilegeWithdrawn only
 * for officers, nothing else); dates only today .. +60 days; keyCompromise revoked now
 * whatever date was asked and its key put on the blocklist; refusals (revoked, reserved,
 * expired, unknown, another organization's) change nothing. Also the crls table's CRL
 * number only grows (R-REV-2). Runs on SQLite, and on PostgreSQL when SHOMEI_TEST_PG_URL is
 * set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"
#include "leaf_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "pki/crl.h"
#include "ra/cert.h"
#include "ra/revoke.h"
#include "store/certs.h"
#include "store/crls.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/keyblock.h"
#include "store/orders.h"
#include "store/revocation_requests.h"
#include "store/revocations.h"
#include "core/config.h"
#include "jobs/revocation.h"
#include "jobs/runner.h"
#include <unistd.h>
#include <time.h>

#define NOW 1800000000
#define DAY 86400

static const struct db_stmt st_audit = {
    "t.audit", "SELECT action FROM audit_log WHERE object = $1 ORDER BY seq", NULL, NULL};

static int64_t ca_id;
static unsigned char *leaf_der;
static int leaf_len;

static int fx_setup(void **state)
{
    struct dbfx *f = dbfx_setup(state, "revoke", NOW);
    ca_id = dbfx_add_ca(f->db, "dv", "dv");
    if (leaf_der == NULL) {
        X509 *x = fx_ca(fx_key(FX_P256), "leaf", NOW, NOW + 90 * DAY, 1);
        leaf_len = i2d_X509(x, &leaf_der);
        assert_true(leaf_len > 0);
        X509_free(x);
    }
    return 0;
}

static const char *issue_level = "dv";

/* A certificate of organization org, issued at NOW, valid for days. */
static void issue(struct db *db, const char *serial, int64_t org, int days)
{
    struct sm_err e = {0};
    struct certs_new c = {.serial = serial,
                          .ca_id = ca_id,
                          .level = issue_level,
                          .root = "a",
                          .cn = "www.example.jp",
                          .names_json = "[\"www.example.jp\"]",
                          .org_id = org};
    struct cert_change ch = {.actor = "test",
                             .serial = serial,
                             .to = CERT_ISSUED,
                             .der = leaf_der,
                             .der_len = (size_t)leaf_len,
                             .not_before = NOW - DAY,
                             .not_after = NOW + (int64_t)days * DAY,
                             .now = NOW,
                             .sha256 = "00ff"};
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(certs_reserve(db, &c, "test/1/1", NOW, &e), 0);
    assert_int_equal(cert_transition_tx(db, &ch, NULL, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
}

static int do_revoke(struct db *db, const char *serial, int reason, int64_t when, int officer,
                     struct revoke_result *res, struct sm_err *e)
{
    struct revoke_req r = {.actor = "user:1",
                           .source = officer ? "officer" : "customer",
                           .serial = serial,
                           .reason = reason,
                           .when = when,
                           .officer = officer};
    sm_err_clear(e);
    return revoke_cert(db, &r, res, e);
}

static struct certs_row *row_of(struct db *db, const char *serial)
{
    struct certs_row *r = NULL;
    struct sm_err e = {0};
    assert_int_equal(certs_get(db, serial, &r, &e), 0);
    return r;
}

static void assert_state(struct db *db, const char *serial, const char *state)
{
    struct certs_row *r = row_of(db, serial);
    assert_string_equal(r->state, state);
    certs_row_free(r);
}

static int on_audit(void *ctx, const struct db_val *c, int n)
{
    char *a = ctx;
    size_t used = strlen(a);
    snprintf(a + used, 512 - used, "%s%.*s", used ? "," : "", (int)c[0].n, (const char *)c[0].p);
    return 0;
}

static void audit_of(struct db *db, const char *serial, char out[512])
{
    char object[64];
    snprintf(object, sizeof object, "cert:%s", serial);
    struct db_val p[1] = {DBV_TEXT(object)};
    struct sm_err e = {0};
    out[0] = '\0';
    assert_int_equal(db_run(db, &st_audit, p, 1, on_audit, out, &e), 0);
}

static void test_rev1_reason_list_is_br_7_2_2(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int code;
    } ok[] = {{"unspecified", 0},
              {"", 0},
              {"none", 0},
              {"keyCompromise", 1},
              {"affiliationChanged", 3},
              {"superseded", 4},
              {"cessationOfOperation", 5},
              {"privilegeWithdrawn", 9}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int c = -1;
        assert_int_equal(revoke_reason_parse(ok[i].name, &c), 0);
        assert_int_equal(c, ok[i].code);
    }
    static const char *const bad[] = {"cACompromise",
                                      "certificateHold",
                                      "removeFromCRL",
                                      "aACompromise",
                                      "keycompromise",
                                      "2",
                                      NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int c = -7;
        assert_int_equal(revoke_reason_parse(bad[i], &c), -1);
    }
    for (int code = -1; code < 12; code++) {
        int allowed = code == 0 || code == 1 || code == 3 || code == 4 || code == 5 || code == 9;
        assert_int_equal(revoke_reason_name(code) != NULL, allowed);
        assert_int_equal(crl_reason_allowed(code), allowed);
    }
    char s[41];
    assert_int_equal(revoke_serial_norm("0x00AbC1", s), 0);
    assert_string_equal(s, "abc1");
    assert_int_equal(revoke_serial_norm("xyz", s), -1);
    assert_int_equal(revoke_serial_norm("", s), -1);
}

static void test_rev1_revoke_now_audited(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue(f->db, "a1", 1, 90);
    assert_int_equal(do_revoke(f->db, "A1", REVOKE_SUPERSEDED, 0, 0, &res, &e), 0);
    assert_int_equal(res.revoked, 1);
    assert_int_equal(res.at, NOW);
    struct certs_row *r = row_of(f->db, "a1");
    assert_string_equal(r->state, "revoked");
    assert_int_equal(r->revoked_at, NOW);
    assert_int_equal(r->revocation_reason, REVOKE_SUPERSEDED);
    certs_row_free(r);
    char a[512];
    audit_of(f->db, "a1", a);
    assert_string_equal(a, "cert.issue,cert.revoke");
    /* revoked is final: a second revocation is refused */
    assert_int_equal(do_revoke(f->db, "a1", REVOKE_UNSPECIFIED, 0, 1, &res, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "state");
    audit_of(f->db, "a1", a);
    assert_string_equal(a, "cert.issue,cert.revoke");
    /* the CRL reads it */
    struct revoked_entry_row *v = NULL;
    size_t n = 0;
    int64_t count = 0;
    assert_int_equal(revocations_list_level(f->db, "dv", 0, &v, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].serial, "a1");
    assert_int_equal(v[0].reason, REVOKE_SUPERSEDED);
    free(v);
    assert_int_equal(revocations_count_level(f->db, "dv", 0, &count, &e), 0);
    assert_int_equal(count, 1);
}

static void test_rev1_scheduled_runs_on_its_date_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue(f->db, "b1", 1, 90);
    int64_t when = NOW + 10 * DAY;
    assert_int_equal(do_revoke(f->db, "b1", REVOKE_CESSATION_OF_OPERATION, when, 0, &res, &e), 0);
    assert_int_equal(res.revoked, 0);
    assert_int_equal(res.at, when);
    assert_state(f->db, "b1", "revocation_scheduled");
    struct job_row j = {0};
    assert_int_equal(jobs_get(f->db, REVOKE_JOB_KIND, "b1", &j, &e), 0);
    assert_int_equal(j.next_run_at, when);
    assert_int_equal(j.every_seconds, 0);
    job_row_clear(&j);
    /* a second schedule is refused, nothing changes */
    assert_int_equal(do_revoke(f->db, "b1", REVOKE_UNSPECIFIED, NOW + 5 * DAY, 0, &res, &e),
                     -SM_E_CONFLICT);
    /* not due yet: stays scheduled */
    int done = -1;
    assert_int_equal(revoke_run_due(f->db, "b1", when - 1, &done, &e), -SM_E_CONFLICT);
    assert_state(f->db, "b1", "revocation_scheduled");
    assert_int_equal(revoke_run_due(f->db, "b1", when, &done, &e), 0);
    assert_int_equal(done, 1);
    struct certs_row *r = row_of(f->db, "b1");
    assert_string_equal(r->state, "revoked");
    assert_int_equal(r->revoked_at, when);
    assert_int_equal(r->revocation_reason, REVOKE_CESSATION_OF_OPERATION);
    certs_row_free(r);
    /* again (a retried job): nothing more happens */
    assert_int_equal(revoke_run_due(f->db, "b1", when + 60, &done, &e), 0);
    assert_int_equal(done, 0);
    char a[512];
    audit_of(f->db, "b1", a);
    assert_string_equal(a, "cert.issue,cert.revocation_scheduled,cert.revoke");
}

static void test_rev1_scheduled_then_now(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue(f->db, "c1", 1, 90);
    assert_int_equal(do_revoke(f->db, "c1", REVOKE_UNSPECIFIED, NOW + 30 * DAY, 0, &res, &e), 0);
    assert_int_equal(do_revoke(f->db, "c1", REVOKE_AFFILIATION_CHANGED, 0, 0, &res, &e), 0);
    assert_int_equal(res.revoked, 1);
    assert_state(f->db, "c1", "revoked");
    /* the job finds nothing to do */
    int done = -1;
    assert_int_equal(revoke_run_due(f->db, "c1", NOW + 30 * DAY, &done, &e), 0);
    assert_int_equal(done, 0);
}

static void test_rev1_key_compromise_now_and_blocked(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue(f->db, "d1", 1, 90);
    char hex[65];
    assert_int_equal(pki_cert_spki_sha256(leaf_der, (size_t)leaf_len, hex), 0);
    int found = -1;
    assert_int_equal(keyblock_has(f->db, hex, &found, &e), 0);
    assert_int_equal(found, 0);
    /* asked for in 30 days: revoked now all the same (BR 4.9.1.1, 24 hours) */
    assert_int_equal(do_revoke(f->db, "d1", REVOKE_KEY_COMPROMISE, NOW + 30 * DAY, 0, &res, &e), 0);
    assert_int_equal(res.revoked, 1);
    assert_int_equal(res.key_blocked, 1);
    assert_state(f->db, "d1", "revoked");
    assert_int_equal(keyblock_has(f->db, hex, &found, &e), 0);
    assert_int_equal(found, 1);
}

static void test_rev1_refusals_change_nothing(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue(f->db, "e1", 1, 90);
    /* privilegeWithdrawn: officers only */
    assert_int_equal(do_revoke(f->db, "e1", REVOKE_PRIVILEGE_WITHDRAWN, 0, 0, &res, &e),
                     -SM_E_INVALID);
    assert_string_equal(e.field, "reason");
    /* not in the list */
    assert_int_equal(do_revoke(f->db, "e1", 2, 0, 1, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "reason");
    assert_int_equal(do_revoke(f->db, "e1", 6, 0, 1, &res, &e), -SM_E_INVALID);
    /* dates: before today, after +60 days */
    assert_int_equal(do_revoke(f->db, "e1", 0, NOW - 2 * DAY, 0, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "date");
    assert_int_equal(do_revoke(f->db, "e1", 0, NOW + 62 * DAY, 0, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "date");
    assert_int_equal(do_revoke(f->db, "e1", 0, NOW + 61 * DAY, 0, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "date");
    /* bad and unknown serials */
    assert_int_equal(do_revoke(f->db, "zz", 0, 0, 1, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "serial");
    assert_int_equal(do_revoke(f->db, "ffff", 0, 0, 1, &res, &e), -SM_E_NOTFOUND);
    /* another organization's certificate: not found */
    int64_t org2 = 2;
    struct org_scope other = {0, &org2, 1};
    struct revoke_req r = {
        .actor = "user:9", .source = "customer", .serial = "e1", .scope = &other};
    assert_int_equal(revoke_cert(f->db, &r, &res, &e), -SM_E_NOTFOUND);
    assert_state(f->db, "e1", "issued");
    char a[512];
    audit_of(f->db, "e1", a);
    assert_string_equal(a, "cert.issue");
    /* the officer may use privilegeWithdrawn, on the last day of the range */
    assert_int_equal(
        do_revoke(f->db, "e1", REVOKE_PRIVILEGE_WITHDRAWN, NOW + 60 * DAY, 1, &res, &e), 0);
    assert_state(f->db, "e1", "revocation_scheduled");
}

static void test_rev1_not_issued_or_expired_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue(f->db, "f1", 1, 1);
    clock_set(NOW + 3 * DAY); /* expired */
    assert_int_equal(do_revoke(f->db, "f1", 0, 0, 1, &res, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "state");
    assert_state(f->db, "f1", "issued");
    clock_set(NOW);
    struct certs_new c = {.serial = "f2", .ca_id = ca_id, .level = "dv", .root = "a"};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(certs_reserve(f->db, &c, "test/1/1", NOW, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(do_revoke(f->db, "f2", 0, 0, 1, &res, &e), -SM_E_CONFLICT);
    assert_state(f->db, "f2", "reserved");
}

/* R-SCL-1: the job cert.revoke, run by the jobs runner, revokes on the date and only once. */
static void test_rev1_scheduled_job_runs_once_through_runner(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    clock_set(0); /* the runner claims by the wall clock */
    issue(f->db, "ab1", 1, 90);
    int64_t when = (int64_t)time(NULL) + 1;
    assert_int_equal(do_revoke(f->db, "ab1", REVOKE_SUPERSEDED, when, 1, &res, &e), 0);
    assert_int_equal(res.revoked, 0);
    struct config *cfg = config_defaults(f->dir);
    assert_non_null(cfg);
    struct jobs_runner *r = NULL;
    assert_int_equal(jobs_runner_new("test", cfg, &r, &e), 0);
    assert_int_equal(revocation_jobs_add(r, cfg, &e), 0);
    int ran = -1;
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    if (time(NULL) < when) {
        assert_int_equal(ran, 0); /* not yet */
        assert_state(f->db, "ab1", "revocation_scheduled");
    }
    for (int i = 0; i < 30 && time(NULL) <= when; i++)
        usleep(100000);
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    assert_state(f->db, "ab1", "revoked");
    assert_int_equal(jobs_runner_run_due(r, f->db, 10, &ran, &e), 0);
    assert_int_equal(ran, 0);
    struct job_row j = {0};
    assert_int_equal(jobs_get(f->db, REVOKE_JOB_KIND, "ab1", &j, &e), 0);
    assert_int_equal(j.done, 1);
    assert_int_equal(j.runs, 1);
    job_row_clear(&j);
    jobs_runner_free(r);
    config_free(cfg);
}

/* R-REV-1: a customer's request on an OV certificate waits for the officer's phone
 * confirmation (who, when, note); the BR 4.9.1.1 deadline counts from the request. */
static void test_rev1_ov_request_waits_for_phone_confirmation(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue_level = "ov";
    issue(f->db, "e1", 1, 90);
    issue(f->db, "e2", 1, 90);
    issue_level = "dv";
    assert_true(revoke_needs_phone("ov", "customer"));
    assert_true(revoke_needs_phone("ev", "customer"));
    assert_false(revoke_needs_phone("dv", "customer"));
    assert_false(revoke_needs_phone("ov", "officer"));
    struct revoke_req r = {
        .actor = "user:7", .source = "customer", .serial = "e1", .reason = REVOKE_SUPERSEDED};
    assert_int_equal(revoke_request(f->db, &r, &res, &e), 0);
    assert_int_equal(res.pending, 1);
    assert_state(f->db, "e1", "issued");
    /* a second request while one is pending is refused */
    assert_int_equal(revoke_request(f->db, &r, &res, &e), -SM_E_CONFLICT);
    r.serial = "e2";
    r.reason = REVOKE_KEY_COMPROMISE;
    clock_set(NOW + 60);
    assert_int_equal(revoke_request(f->db, &r, &res, &e), 0);
    struct revreq_row *v = NULL;
    size_t n = 0;
    assert_int_equal(revreq_list_pending(f->db, 10, &v, &n, &e), 0);
    assert_int_equal(n, 2);
    /* keyCompromise first: 24 hours; the other 5 days */
    assert_string_equal(v[0].serial, "e2");
    assert_int_equal(v[0].deadline_at, NOW + 60 + DAY);
    assert_string_equal(v[1].serial, "e1");
    assert_int_equal(v[1].deadline_at, NOW + 5 * DAY);
    assert_string_equal(v[1].level, "ov");
    int64_t id1 = v[1].id;
    free(v);
    /* the call must say who answered; nothing changes otherwise */
    struct revoke_phone ph = {.officer = "user:2", .contact = "", .note = "n"};
    assert_int_equal(revoke_confirm(f->db, id1, &ph, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "contact");
    ph.contact = "Yamada Taro";
    ph.phone_at = NOW + 10 * DAY;
    assert_int_equal(revoke_confirm(f->db, id1, &ph, &res, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "phone_at");
    assert_state(f->db, "e1", "issued");
    ph.phone_at = NOW;
    ph.note = "called the registered number";
    assert_int_equal(revoke_confirm(f->db, id1, &ph, &res, &e), 0);
    assert_int_equal(res.revoked, 1);
    assert_state(f->db, "e1", "revoked");
    struct revreq_row q = {0};
    assert_int_equal(revreq_get(f->db, id1, &q, &e), 0);
    assert_string_equal(q.state, "confirmed");
    assert_string_equal(q.phone_contact, "Yamada Taro");
    assert_string_equal(q.confirmed_by, "user:2");
    assert_int_equal(q.phone_at, NOW);
    assert_int_equal(revoke_confirm(f->db, id1, &ph, &res, &e), -SM_E_CONFLICT);
    char a[512];
    audit_of(f->db, "e1", a);
    assert_string_equal(
        a, "cert.issue,cert.revocation_requested,cert.revocation_confirmed,cert.revoke");
}

/* R-REV-1: the customer (or an officer) withdraws a pending request or a scheduled
 * revocation (revocation_scheduled -> issued), audited; the job then does nothing. */
static void test_rev1_withdraw_request_and_schedule(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct revoke_result res;
    issue_level = "ov";
    issue(f->db, "f1", 1, 90);
    issue_level = "dv";
    issue(f->db, "f2", 1, 90);
    struct revoke_req r = {.actor = "user:7", .source = "customer", .serial = "f1"};
    assert_int_equal(revoke_request(f->db, &r, &res, &e), 0);
    assert_int_equal(revoke_withdraw(f->db, "user:7", "f1", NULL, &e), 0);
    struct revreq_row q = {0};
    assert_int_equal(revreq_get_pending(f->db, "f1", &q, &e), -SM_E_NOTFOUND);
    assert_int_equal(revoke_withdraw(f->db, "user:7", "f1", NULL, &e), -SM_E_CONFLICT);
    r.serial = "f2";
    r.when = NOW + 10 * DAY;
    assert_int_equal(revoke_request(f->db, &r, &res, &e), 0);
    assert_int_equal(res.pending, 0);
    assert_state(f->db, "f2", "revocation_scheduled");
    assert_int_equal(revoke_withdraw(f->db, "user:3", "f2", NULL, &e), 0);
    assert_state(f->db, "f2", "issued");
    int done = -1;
    assert_int_equal(revoke_run_due(f->db, "f2", NOW + 10 * DAY, &done, &e), 0);
    assert_int_equal(done, 0);
    assert_state(f->db, "f2", "issued");
    char a[512];
    audit_of(f->db, "f1", a);
    assert_string_equal(a,
                        "cert.issue,cert.revocation_requested,cert.revocation_request_withdrawn");
    audit_of(f->db, "f2", a);
    assert_string_equal(a, "cert.issue,cert.revocation_scheduled,cert.revocation_withdrawn");
}

static void test_rev2_crl_number_only_grows(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    static unsigned char der[] = {0x30, 0x00};
    struct crls_row r = {.issuer = "dv",
                         .crl_number = 5,
                         .this_update = NOW,
                         .next_update = NOW + 7 * DAY,
                         .der = der,
                         .der_len = 2};
    struct crls_row got;
    assert_int_equal(crls_get(f->db, "dv", 1, &got, &e), 1);
    assert_int_equal(crls_set(f->db, &r, 0, &e), 0);
    assert_int_equal(crls_set(f->db, &r, 0, &e), -SM_E_CONFLICT); /* stored meanwhile */
    r.crl_number = 6;
    assert_int_equal(crls_set(f->db, &r, 4, &e), -SM_E_CONFLICT); /* stale view */
    assert_int_equal(crls_set(f->db, &r, 5, &e), 0);
    r.crl_number = 6;
    assert_int_equal(crls_set(f->db, &r, 6, &e), -SM_E_INVALID); /* not greater */
    assert_int_equal(crls_get(f->db, "dv", 1, &got, &e), 0);
    assert_int_equal(got.crl_number, 6);
    assert_int_equal(got.der_len, 2);
    crls_row_clear(&got);
}

/* R-REV-1, R-RI-2: the desired date is a calendar day in Japan, today .. today + 60: the
 * day's start and end count, the day before and the 61st day do not (whatever the hour). */
static void test_rev1_date_range_is_japan_calendar_days(void **state)
{
    (void)state;
    const int64_t midnight = NOW - 17 * 3600; /* NOW is 17:00 in Japan */
    assert_int_equal((midnight + 9 * 3600) % DAY, 0);
    assert_int_equal(revoke_date_in_range(0, NOW), 1); /* now */
    assert_int_equal(revoke_date_in_range(midnight, NOW), 1);
    assert_int_equal(revoke_date_in_range(midnight - 1, NOW), 0);
    assert_int_equal(revoke_date_in_range(NOW - DAY + 1, NOW), 0); /* yesterday 17:00 */
    assert_int_equal(revoke_date_in_range(midnight + 60 * DAY, NOW), 1);
    assert_int_equal(revoke_date_in_range(midnight + 61 * DAY - 1, NOW), 1);
    assert_int_equal(revoke_date_in_range(midnight + 61 * DAY, NOW), 0);
    assert_int_equal(revoke_date_in_range(NOW + 61 * DAY, NOW), 0);
    /* the same at 00:30 in Japan (15:30 UTC the day before) */
    const int64_t early = midnight + 1800;
    assert_int_equal(revoke_date_in_range(midnight, early), 1);
    assert_int_equal(revoke_date_in_range(midnight - 1, early), 0);
    assert_int_equal(revoke_date_in_range(midnight + 60 * DAY, early), 1);
    assert_int_equal(revoke_date_in_range(midnight + 61 * DAY, early), 0);
}

int main(void)
{
    (void)fx_build; /* the rest of leaf_fixture.h is for the profile tests */
    (void)fx_leaf_init;
    (void)fx_now;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rev1_reason_list_is_br_7_2_2),
        cmocka_unit_test(test_rev1_date_range_is_japan_calendar_days),
        cmocka_unit_test_setup_teardown(test_rev1_revoke_now_audited, fx_setup, dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_scheduled_runs_on_its_date_once, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_scheduled_then_now, fx_setup, dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_key_compromise_now_and_blocked, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_refusals_change_nothing, fx_setup, dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_not_issued_or_expired_refused, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_scheduled_job_runs_once_through_runner, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev2_crl_number_only_grows, fx_setup, dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_ov_request_waits_for_phone_confirmation, fx_setup,
                                        dbfx_teardown),
        cmocka_unit_test_setup_teardown(test_rev1_withdraw_request_and_schedule, fx_setup,
                                        dbfx_teardown),
    };
    int rc = dbfx_run_both("revoke", tests, sizeof tests / sizeof tests[0], NULL, 0);
    OPENSSL_free(leaf_der);
    fx_free_keys();
    return rc;
}
