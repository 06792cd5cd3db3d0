/* SPDX-License-Identifier: MIT */
/* R-ISS-4 (issue 7): the certificate state machine of ra/cert.c. cert_transition_tx
 * allows exactly the edges of the drawing in ra/cert.h, writes the row and its audit record
 * in the caller's transaction (a rollback undoes both), and refuses every other edge with
 * -SM_E_CONFLICT changing nothing. Runs on SQLite, and on PostgreSQL too when
 * SHOMEI_TEST_PG_URL is set. */
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

#include "ra/cert.h"
#include "store/certs.h"
#include "store/db.h"

#define NOW 1800000000

static const struct db_stmt st_audit = {
    "t.audit", "SELECT action, detail FROM audit_log WHERE object = $1 ORDER BY seq", NULL, NULL};

static int64_t ca_id;

static int fx_setup(void **state)
{
    struct dbfx *f = dbfx_setup(state, "cert", 0);
    ca_id = dbfx_add_ca(f->db, "dv-a", "dv");
    return 0;
}

static void reserve(struct db *db, const char *serial)
{
    struct sm_err e = {0};
    struct certs_new c = {.serial = serial,
                          .ca_id = ca_id,
                          .level = "dv",
                          .root = "a",
                          .cn = "www.example.jp",
                          .names_json = "[\"www.example.jp\"]"};
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(certs_reserve(db, &c, "test/1/1", NOW, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
}

static const unsigned char leaf[] = {0x30, 0x03, 0x02, 0x01, 0x01};

/* One transition in a transaction of its own; returns its result. */
/* A change to `to`, with the test certificate when with_der. */
static struct cert_change change_to(const char *serial, enum cert_state to, int with_der)
{
    struct cert_change c = {.actor = "test", .serial = serial, .to = to};
    if (with_der) {
        c.der = leaf;
        c.der_len = sizeof leaf;
        c.not_before = NOW;
        c.not_after = NOW + 86400;
        c.now = NOW;
        c.sha256 = "00ff";
    }
    return c;
}

static int move(struct db *db, const char *serial, enum cert_state to, struct sm_err *e)
{
    struct cert_change c = change_to(serial, to, to == CERT_ISSUED);
    assert_int_equal(db_begin(db, e), 0);
    int rc = cert_transition_tx(db, &c, NULL, e);
    if (rc == 0)
        assert_int_equal(db_commit(db, e), 0);
    else
        db_rollback(db);
    return rc;
}

static enum cert_state state_of(struct db *db, const char *serial)
{
    struct certs_row *r = NULL;
    struct sm_err e = {0};
    enum cert_state s = CERT__NSTATES;
    assert_int_equal(certs_get(db, serial, &r, &e), 0);
    assert_int_equal(cert_state_parse(r->state, &s), 0);
    certs_row_free(r);
    return s;
}

struct audit {
    char actions[512];
    int n;
};

static int on_audit(void *ctx, const struct db_val *c, int n)
{
    struct audit *a = ctx;
    size_t used = strlen(a->actions);
    snprintf(a->actions + used, sizeof a->actions - used, "%s%.*s", a->n ? "," : "", (int)c[0].n,
             (const char *)c[0].p);
    a->n++;
    return 0;
}

/* The audit actions of a certificate, comma-separated in order. */
static void audit_of(struct db *db, const char *serial, struct audit *a)
{
    char object[64];
    snprintf(object, sizeof object, "cert:%s", serial);
    struct db_val p[1] = {DBV_TEXT(object)};
    struct sm_err e = {0};
    memset(a, 0, sizeof *a);
    assert_int_equal(db_run(db, &st_audit, p, 1, on_audit, a, &e), 0);
}

static void test_cert_edge_table_is_exactly_the_drawing(void **state)
{
    (void)state;
    static const char *const allowed[] = {
        "reserved>issued",
        "reserved>abandoned",
        "issued>revocation_scheduled",
        "issued>revoked",
        "issued>expired",
        "revocation_scheduled>issued",
        "revocation_scheduled>revoked",
        "revocation_scheduled>expired",
    };
    int nallowed = 0;
    for (int f = 0; f < CERT__NSTATES; f++)
        for (int t = 0; t < CERT__NSTATES; t++) {
            char edge[64];
            snprintf(edge, sizeof edge, "%s>%s", cert_state_name((enum cert_state)f),
                     cert_state_name((enum cert_state)t));
            int want = 0;
            for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
                want |= strcmp(edge, allowed[i]) == 0;
            if (cert_edge_allowed((enum cert_state)f, (enum cert_state)t) != want)
                fail_msg("edge %s: expected %s", edge, want ? "allowed" : "refused");
            nallowed += want;
        }
    assert_int_equal(nallowed, 8);
    assert_int_equal(cert_edge_allowed(CERT__NSTATES, CERT_ISSUED), 0);
    assert_int_equal(cert_edge_allowed(CERT_ISSUED, (enum cert_state) - 1), 0);
    enum cert_state s;
    for (int i = 0; i < CERT__NSTATES; i++) {
        assert_int_equal(cert_state_parse(cert_state_name((enum cert_state)i), &s), 0);
        assert_int_equal(s, i);
    }
    assert_int_equal(cert_state_parse("valid", &s), -1);
    assert_int_equal(cert_state_parse(NULL, &s), -1);
    assert_string_equal(cert_state_name(CERT__NSTATES), "?");
}

static void test_cert_issue_writes_row_and_audit(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    reserve(f->db, "0a01");
    int64_t id = 0;
    struct cert_change c = {.actor = "test",
                            .serial = "0a01",
                            .to = CERT_ISSUED,
                            .der = leaf,
                            .der_len = sizeof leaf,
                            .not_before = NOW,
                            .not_after = NOW + 86400,
                            .now = NOW,
                            .sha256 = "00ff"};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(cert_transition_tx(f->db, &c, &id, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_true(id > 0);
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(f->db, "0a01", &r, &e), 0);
    assert_string_equal(r->state, "issued");
    assert_int_equal(r->der_len, sizeof leaf);
    assert_int_equal(r->not_after, NOW + 86400);
    assert_int_equal(r->id, id);
    certs_row_free(r);
    struct audit a;
    audit_of(f->db, "0a01", &a);
    assert_string_equal(a.actions, "cert.issue");
}

static void test_cert_full_lifecycle_allowed(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    reserve(f->db, "0b01");
    assert_int_equal(move(f->db, "0b01", CERT_ISSUED, &e), 0);
    assert_int_equal(move(f->db, "0b01", CERT_REVOCATION_SCHEDULED, &e), 0);
    assert_int_equal(move(f->db, "0b01", CERT_ISSUED, &e), 0); /* withdrawn */
    assert_int_equal(move(f->db, "0b01", CERT_REVOCATION_SCHEDULED, &e), 0);
    assert_int_equal(move(f->db, "0b01", CERT_REVOKED, &e), 0);
    assert_int_equal(state_of(f->db, "0b01"), CERT_REVOKED);
    struct audit a;
    audit_of(f->db, "0b01", &a);
    assert_string_equal(a.actions, "cert.issue,cert.revocation_scheduled,"
                                   "cert.revocation_withdrawn,cert.revocation_scheduled,"
                                   "cert.revoke");
    reserve(f->db, "0b02");
    assert_int_equal(move(f->db, "0b02", CERT_ABANDONED, &e), 0);
    reserve(f->db, "0b03");
    assert_int_equal(move(f->db, "0b03", CERT_ISSUED, &e), 0);
    assert_int_equal(move(f->db, "0b03", CERT_EXPIRED, &e), 0);
    audit_of(f->db, "0b03", &a);
    assert_string_equal(a.actions, "cert.issue,cert.expire");
}

/* Refused edges answer -SM_E_CONFLICT naming the state, and change neither the row nor
 * the audit log. */
static void test_cert_refused_edges_change_nothing(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct audit a;
    reserve(f->db, "0c01");
    assert_int_equal(move(f->db, "0c01", CERT_REVOKED, &e), -SM_E_CONFLICT);
    assert_string_equal(e.field, "state");
    assert_int_equal(move(f->db, "0c01", CERT_REVOCATION_SCHEDULED, &e), -SM_E_CONFLICT);
    assert_int_equal(move(f->db, "0c01", CERT_EXPIRED, &e), -SM_E_CONFLICT);
    assert_int_equal(move(f->db, "0c01", CERT_RESERVED, &e), -SM_E_CONFLICT);
    assert_int_equal(state_of(f->db, "0c01"), CERT_RESERVED);
    audit_of(f->db, "0c01", &a);
    assert_int_equal(a.n, 0);

    assert_int_equal(move(f->db, "0c01", CERT_ABANDONED, &e), 0);
    for (int t = 0; t < CERT__NSTATES; t++) /* abandoned is final */
        assert_int_equal(move(f->db, "0c01", (enum cert_state)t, &e), -SM_E_CONFLICT);
    assert_int_equal(state_of(f->db, "0c01"), CERT_ABANDONED);

    reserve(f->db, "0c02");
    assert_int_equal(move(f->db, "0c02", CERT_ISSUED, &e), 0);
    assert_int_equal(move(f->db, "0c02", CERT_ISSUED, &e), -SM_E_CONFLICT); /* not twice */
    assert_string_equal(e.field, "state"); /* the state machine's answer, not the store's */
    assert_non_null(strstr(e.detail, "cannot go from issued to issued"));
    assert_int_equal(move(f->db, "0c02", CERT_ABANDONED, &e), -SM_E_CONFLICT);
    assert_int_equal(move(f->db, "0c02", CERT_RESERVED, &e), -SM_E_CONFLICT);
    assert_int_equal(move(f->db, "0c02", CERT_REVOKED, &e), 0);
    for (int t = 0; t < CERT__NSTATES; t++) /* revoked is final */
        assert_int_equal(move(f->db, "0c02", (enum cert_state)t, &e), -SM_E_CONFLICT);
    audit_of(f->db, "0c02", &a);
    assert_string_equal(a.actions, "cert.issue,cert.revoke");
}

/* The caller owns the transaction: a rollback undoes the row and the audit record. */
static void test_cert_rollback_undoes_row_and_audit(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    reserve(f->db, "0d01");
    struct cert_change c = {.actor = "test", .serial = "0d01", .to = CERT_ABANDONED};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(cert_transition_tx(f->db, &c, NULL, &e), 0);
    db_rollback(f->db);
    assert_int_equal(state_of(f->db, "0d01"), CERT_RESERVED);
    struct audit a;
    audit_of(f->db, "0d01", &a);
    assert_int_equal(a.n, 0);
}

static void test_cert_bad_calls_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    reserve(f->db, "0e01");
    struct cert_change c = {.actor = "test", .serial = "0e01", .to = CERT_ABANDONED};
    assert_int_equal(cert_transition_tx(f->db, &c, NULL, &e), -SM_E_INTERNAL); /* no tx */
    assert_int_equal(state_of(f->db, "0e01"), CERT_RESERVED);
    assert_int_equal(move(f->db, "ffff", CERT_ABANDONED, &e), -SM_E_NOTFOUND);
    assert_int_equal(move(f->db, "ffff", CERT_ISSUED, &e), -SM_E_NOTFOUND);
    assert_int_equal(move(f->db, "", CERT_ABANDONED, &e), -SM_E_INVALID);
    assert_int_equal(move(f->db, "0e01", CERT__NSTATES, &e), -SM_E_CONFLICT);
    /* issuing without a certificate is refused by the store, nothing written */
    c.to = CERT_ISSUED;
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(cert_transition_tx(f->db, &c, NULL, &e), -SM_E_INVALID);
    db_rollback(f->db);
    assert_int_equal(state_of(f->db, "0e01"), CERT_RESERVED);
}

/* cert_create_tx (issue 8 item 29, R-ISS-4): a serial reserved in a batch gets its row
 * once, in its outcome, audited as the edge from reserved; a serial used before is refused
 * for issuance and left as it is when abandoned; other targets and bad calls change
 * nothing. */
static int create(struct db *db, const char *serial, enum cert_state to, int with_der, int64_t *id,
                  int *written, struct sm_err *e)
{
    struct certs_new n = {.serial = serial,
                          .ca_id = ca_id,
                          .level = "dv",
                          .root = "a",
                          .cn = "www.example.jp",
                          .names_json = "[\"www.example.jp\"]",
                          .crl_shard = 2};
    struct certs_born b = {.n = &n, .reserved_by = "test/1/1", .reserved_at = NOW - 5};
    struct cert_change c = change_to(serial, to, with_der);
    assert_int_equal(db_begin(db, e), 0);
    int rc = cert_create_tx(db, &c, &b, id, written, e);
    if (rc == 0)
        assert_int_equal(db_commit(db, e), 0);
    else
        db_rollback(db);
    return rc;
}

static void test_cert_create_writes_row_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = 0;
    int written = -1;
    assert_int_equal(create(f->db, "0f01", CERT_ISSUED, 1, &id, &written, &e), 0);
    assert_true(id > 0);
    assert_int_equal(written, 1);
    struct certs_row *r = NULL;
    assert_int_equal(certs_get(f->db, "0f01", &r, &e), 0);
    assert_string_equal(r->state, "issued");
    assert_int_equal(r->id, id);
    assert_int_equal(r->der_len, sizeof leaf);
    assert_int_equal(r->reserved_at, NOW - 5);
    assert_int_equal(r->issued_at, NOW);
    assert_int_equal(r->not_after, NOW + 86400);
    assert_string_equal(r->names_json, "[\"www.example.jp\"]");
    certs_row_free(r);
    struct audit a;
    audit_of(f->db, "0f01", &a);
    assert_string_equal(a.actions, "cert.issue");
    /* the serial is used: issuing it again is refused, abandoning it leaves it */
    assert_int_equal(create(f->db, "0f01", CERT_ISSUED, 1, NULL, NULL, &e), -SM_E_CONFLICT);
    assert_int_equal(create(f->db, "0f01", CERT_ABANDONED, 0, NULL, &written, &e), 0);
    assert_int_equal(written, 0);
    assert_int_equal(state_of(f->db, "0f01"), CERT_ISSUED);
    audit_of(f->db, "0f01", &a);
    assert_string_equal(a.actions, "cert.issue");
    /* abandoned: a row without a certificate */
    assert_int_equal(create(f->db, "0f02", CERT_ABANDONED, 0, NULL, &written, &e), 0);
    assert_int_equal(written, 1);
    assert_int_equal(certs_get(f->db, "0f02", &r, &e), 0);
    assert_string_equal(r->state, "abandoned");
    assert_null(r->der);
    certs_row_free(r);
    audit_of(f->db, "0f02", &a);
    assert_string_equal(a.actions, "cert.abandon");
    /* refused, nothing written */
    assert_int_equal(create(f->db, "0f03", CERT_REVOKED, 1, NULL, NULL, &e), -SM_E_CONFLICT);
    assert_int_equal(create(f->db, "0f03", CERT_ISSUED, 0, NULL, NULL, &e), -SM_E_INVALID);
    struct certs_new n = {.serial = "0f03", .ca_id = ca_id, .level = "dv", .root = "a"};
    struct certs_born b = {.n = &n, .reserved_by = "test/1/1", .reserved_at = NOW};
    struct cert_change c = {.actor = "test", .serial = "0f03", .to = CERT_ABANDONED};
    assert_int_equal(cert_create_tx(f->db, &c, &b, NULL, NULL, &e), -SM_E_INTERNAL); /* no tx */
    c.serial = "0f04"; /* not the row's */
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(cert_create_tx(f->db, &c, &b, NULL, NULL, &e), -SM_E_INVALID);
    db_rollback(f->db);
    assert_int_equal(certs_get(f->db, "0f03", &r, &e), -SM_E_NOTFOUND);
    audit_of(f->db, "0f03", &a);
    assert_int_equal(a.n, 0);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_cert_edge_table_is_exactly_the_drawing),
    T(test_cert_issue_writes_row_and_audit),
    T(test_cert_full_lifecycle_allowed),
    T(test_cert_refused_edges_change_nothing),
    T(test_cert_rollback_undoes_row_and_audit),
    T(test_cert_bad_calls_refused),
    T(test_cert_create_writes_row_once),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("cert", table, NT, NULL, 0); }
