/* SPDX-License-Identifier: MIT */
/* R-NOT-1, R-NOT-2: the mail outbox store. Enqueue only inside a transaction (commits or
 * rolls back with the change), bad input refused naming the field, claim with a lease (two
 * nodes never hold the same mail), back-off 1, 2, 4 ... 60 minutes, dead after max
 * attempts, records listed by order. Runs on SQLite, and on PostgreSQL too when
 * SHOMEI_TEST_PG_URL is set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"
#include "dbfixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "store/db.h"
#include "store/outbox.h"

#define T0 1700000000

static int fx_setup(void **state)
{
    dbfx_setup(state, "outbox", T0);
    return 0;
}

static const struct outbox_mail good = {
    .to = "user@example.jp",
    .lang = "ja",
    .tmpl = "test",
    .vars_json = "{\"node\":\"n1\",\"date\":\"2026-01-01\"}",
    .order_id = 7,
};

static int64_t enqueue_ok(struct db *db, const struct outbox_mail *m)
{
    struct sm_err e = {0};
    int64_t id = 0;
    assert_int_equal(db_begin(db, &e), 0);
    assert_int_equal(outbox_enqueue(db, m, &id, &e), 0);
    assert_int_equal(db_commit(db, &e), 0);
    assert_true(id > 0);
    return id;
}

static int64_t count(struct db *db, const char *state)
{
    struct sm_err e = {0};
    int64_t n = -1;
    assert_int_equal(outbox_count(db, state, &n, &e), 0);
    return n;
}

static void test_outbox_enqueue_outside_transaction_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = 99;
    assert_int_equal(outbox_enqueue(f->db, &good, &id, &e), -SM_E_INTERNAL);
    assert_int_equal(id, 0);
    assert_int_equal(count(f->db, "queued"), 0);
}

/* R-NOT-2: the notice commits with the change it announces, and is listed by order. */
static void test_outbox_enqueue_inside_transaction_commits(void **state)
{
    struct dbfx *f = *state;
    int64_t id = enqueue_ok(f->db, &good);
    assert_int_equal(count(f->db, "queued"), 1);
    struct outbox_row *rows = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    assert_int_equal(outbox_list_by_order(f->db, 7, 10, &rows, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, id);
    assert_string_equal(rows[0].to, "user@example.jp");
    assert_string_equal(rows[0].lang, "ja");
    assert_string_equal(rows[0].tmpl, "test");
    assert_string_equal(rows[0].vars_json, "{\"date\":\"2026-01-01\",\"node\":\"n1\"}");
    assert_string_equal(rows[0].state, "queued");
    assert_int_equal(rows[0].attempts, 0);
    assert_int_equal(rows[0].created_at, T0);
    assert_int_equal(rows[0].next_attempt_at, T0);
    assert_null(rows[0].attach_name);
    assert_null(rows[0].message_id);
    outbox_rows_free(rows, n);
    assert_int_equal(outbox_list_by_order(f->db, 8, 10, &rows, &n, &e), 0);
    assert_int_equal(n, 0);
    outbox_rows_free(rows, n);
}

static void test_outbox_enqueue_rollback_leaves_nothing(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = 0;
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(outbox_enqueue(f->db, &good, &id, &e), 0);
    db_rollback(f->db);
    assert_int_equal(count(f->db, "queued"), 0);
}

static void test_outbox_enqueue_invalid_input_refused(void **state)
{
    struct dbfx *f = *state;
    static const unsigned char blob[3] = {1, 2, 3};
    char long_to[300];
    memset(long_to, 'a', sizeof long_to);
    memcpy(long_to + 250, "@x.jp", 6);
    const struct {
        struct outbox_mail m;
        int code;
        const char *field;
    } cases[] = {
        {{.to = NULL, .lang = "ja", .tmpl = "test"}, SM_E_INVALID, "to"},
        {{.to = "user@example.jp\r\nBcc: x@y.jp", .lang = "ja", .tmpl = "test"},
         SM_E_INVALID,
         "to"},
        {{.to = "User <user@example.jp>", .lang = "ja", .tmpl = "test"}, SM_E_INVALID, "to"},
        {{.to = "user@", .lang = "ja", .tmpl = "test"}, SM_E_INVALID, "to"},
        {{.to = "a..b@example.jp", .lang = "ja", .tmpl = "test"}, SM_E_INVALID, "to"},
        {{.to = "a@example..jp", .lang = "ja", .tmpl = "test"}, SM_E_INVALID, "to"},
        {{.to = long_to, .lang = "ja", .tmpl = "test"}, SM_E_INVALID, "to"},
        {{.to = "a@b.jp", .lang = "fr", .tmpl = "test"}, SM_E_INVALID, "lang"},
        {{.to = "a@b.jp", .lang = NULL, .tmpl = "test"}, SM_E_INVALID, "lang"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "../test"}, SM_E_INVALID, "tmpl"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "no_such_template"}, SM_E_NOTFOUND, "tmpl"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "test", .vars_json = "[1]"},
         SM_E_INVALID,
         "vars_json"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "test", .vars_json = "{bad"},
         SM_E_INVALID,
         "vars_json"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "test", .vars_json = "{\"a\":{\"b\":1}}"},
         SM_E_INVALID,
         "vars_json"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "test", .vars_json = "{\"a\":1,\"a\":2}"},
         SM_E_INVALID,
         "vars_json"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "test", .vars_json = "{\"node\":\"n\"}"},
         SM_E_INVALID,
         "vars_json"},
        {{.to = "a@b.jp", .lang = "en", .tmpl = "test", .vars_json = NULL},
         SM_E_INVALID,
         "vars_json"},
        {{.to = "a@b.jp", .lang = "ja", .tmpl = "test", .order_id = -1}, SM_E_INVALID, "order_id"},
        {{.to = "a@b.jp",
          .lang = "ja",
          .tmpl = "test",
          .attach_name = "a.pem\r\nX: y",
          .attach = blob,
          .attach_len = 3,
          .attach_type = "application/x-pem-file"},
         SM_E_INVALID,
         "attach_name"},
        {{.to = "a@b.jp",
          .lang = "ja",
          .tmpl = "test",
          .attach_name = "a.pem",
          .attach = blob,
          .attach_len = 3,
          .attach_type = "text/plain; charset=x"},
         SM_E_INVALID,
         "attach_type"},
        {{.to = "a@b.jp",
          .lang = "ja",
          .tmpl = "test",
          .attach_name = "a.pem",
          .attach = blob,
          .attach_len = OUTBOX_MAX_ATTACH + 1,
          .attach_type = "application/x-pem-file"},
         SM_E_TOO_LARGE,
         "attach"},
    };
    struct sm_err e = {0};
    assert_int_equal(db_begin(f->db, &e), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t id = 5;
        sm_err_clear(&e);
        int rc = outbox_enqueue(f->db, &cases[i].m, &id, &e);
        if (rc != -cases[i].code || strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: rc %d field '%s' (%s)", i, rc, e.field, e.detail);
        assert_int_equal(id, 0);
    }
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(count(f->db, "queued"), 0);
}

static void test_outbox_attachment_roundtrip(void **state)
{
    struct dbfx *f = *state;
    static const unsigned char der[5] = {0x30, 0x03, 0x02, 0x01, 0x00};
    struct outbox_mail m = good;
    m.attach_name = "cert.cer";
    m.attach_type = "application/pkix-cert";
    m.attach = der;
    m.attach_len = sizeof der;
    enqueue_ok(f->db, &m);
    struct outbox_row *rows = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &rows, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].attach_name, "cert.cer");
    assert_string_equal(rows[0].attach_type, "application/pkix-cert");
    assert_int_equal(rows[0].attach_len, sizeof der);
    assert_memory_equal(rows[0].attach, der, sizeof der);
    outbox_rows_free(rows, n);
}

/* Two nodes: while A holds the lease, B claims nothing; after it runs out B may take it,
 * and then A can no longer mark it. */
static void test_outbox_claim_lease_excludes_other_node(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct db *db2 = NULL;
    assert_int_equal(db_open(f->url, f->dir, &db2, &e), 0);
    int64_t id = enqueue_ok(f->db, &good);
    enqueue_ok(f->db, &good);

    struct outbox_row *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    assert_int_equal(outbox_claim(f->db, "node-a", 120, 1, &a, &na, &e), 0);
    assert_int_equal(na, 1);
    assert_int_equal(a[0].id, id);
    assert_string_equal(a[0].claimed_by, "node-a");
    assert_int_equal(a[0].claimed_until, T0 + 120);
    assert_int_equal(outbox_claim(db2, "node-b", 120, 10, &b, &nb, &e), 0);
    assert_int_equal(nb, 1); /* only the second mail */
    assert_true(b[0].id != id);
    outbox_rows_free(b, nb);
    assert_int_equal(outbox_claim(db2, "node-b", 120, 10, &b, &nb, &e), 0);
    assert_int_equal(nb, 0);
    outbox_rows_free(b, nb);

    clock_set(T0 + 121);
    assert_int_equal(outbox_claim(db2, "node-b", 120, 1, &b, &nb, &e), 0);
    assert_int_equal(nb, 1);
    assert_int_equal(b[0].id, id);
    assert_int_equal(outbox_mark_sent(f->db, id, "node-a", "<m1@x>", &e), -SM_E_CONFLICT);
    assert_int_equal(outbox_mark_sent(db2, id, "node-b", "<m2@x>", &e), 0);
    outbox_rows_free(a, na);
    outbox_rows_free(b, nb);
    db_close(db2);
}

static void test_outbox_claim_invalid_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct outbox_row *r = (struct outbox_row *)1;
    size_t n = 9;
    assert_int_equal(outbox_claim(f->db, "", 60, 1, &r, &n, &e), -SM_E_INVALID);
    assert_null(r);
    assert_int_equal(n, 0);
    assert_int_equal(outbox_claim(f->db, "a", 0, 1, &r, &n, &e), -SM_E_INVALID);
    assert_int_equal(outbox_claim(f->db, "a", 60, 0, &r, &n, &e), 0);
    assert_int_equal(n, 0);
}

static void test_outbox_backoff_schedule(void **state)
{
    (void)state;
    const int64_t minutes[] = {1, 1, 2, 4, 8, 16, 32, 60, 60, 60};
    for (int64_t i = 0; i < 10; i++)
        assert_int_equal(outbox_backoff(i), minutes[i] * 60);
    assert_int_equal(outbox_backoff(1000000), 3600);
    assert_int_equal(outbox_backoff(-5), 60);
}

/* R-NOT-1: failures wait 1, 2, 4 ... minutes; nothing is lost; dead after max attempts. */
static void test_outbox_mark_failed_backoff_then_dead(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = enqueue_ok(f->db, &good);
    int64_t now = T0;
    for (int attempt = 1; attempt <= 4; attempt++) {
        struct outbox_row *r = NULL;
        size_t n = 0;
        assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &r, &n, &e), 0);
        assert_int_equal(n, 1);
        assert_int_equal(r[0].attempts, attempt - 1);
        outbox_rows_free(r, n);
        int dead = -1;
        assert_int_equal(
            outbox_mark_failed(f->db, id, "node-a", "connection refused", 4, &dead, &e), 0);
        assert_int_equal(dead, attempt == 4);
        assert_int_equal(outbox_list_by_order(f->db, 7, 10, &r, &n, &e), 0);
        assert_int_equal(n, 1);
        assert_int_equal(r[0].attempts, attempt);
        assert_string_equal(r[0].last_error, "connection refused");
        assert_int_equal(r[0].claimed_until, 0);
        if (attempt < 4) {
            assert_string_equal(r[0].state, "queued");
            assert_int_equal(r[0].next_attempt_at, now + outbox_backoff(attempt));
            /* Not due before its time, even with the lease free. */
            clock_set(r[0].next_attempt_at - 1);
            struct outbox_row *r2 = NULL;
            size_t n2 = 0;
            assert_int_equal(outbox_claim(f->db, "node-b", 60, 10, &r2, &n2, &e), 0);
            assert_int_equal(n2, 0);
            outbox_rows_free(r2, n2);
            now = r[0].next_attempt_at;
            clock_set(now);
        } else {
            assert_string_equal(r[0].state, "dead");
        }
        outbox_rows_free(r, n);
    }
    assert_int_equal(count(f->db, "dead"), 1);
    assert_int_equal(count(f->db, "queued"), 0);
    clock_set(now + 100000);
    struct outbox_row *r = NULL;
    size_t n = 0;
    assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &r, &n, &e), 0);
    assert_int_equal(n, 0);
    outbox_rows_free(r, n);
}

static void test_outbox_mark_failed_permanent_is_dead_at_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = enqueue_ok(f->db, &good);
    struct outbox_row *r = NULL;
    size_t n = 0;
    assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &r, &n, &e), 0);
    outbox_rows_free(r, n);
    int dead = 0;
    assert_int_equal(outbox_mark_failed(f->db, id, "node-a", "template", 0, &dead, &e), 0);
    assert_int_equal(dead, 1);
    assert_int_equal(count(f->db, "dead"), 1);
}

static void test_outbox_mark_not_held_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = enqueue_ok(f->db, &good);
    assert_int_equal(outbox_mark_sent(f->db, id, "node-a", "<a@b>", &e), -SM_E_CONFLICT);
    assert_int_equal(outbox_mark_failed(f->db, id, "node-a", "x", 5, NULL, &e), -SM_E_CONFLICT);
    assert_int_equal(outbox_mark_failed(f->db, id + 100, "node-a", "x", 5, NULL, &e),
                     -SM_E_CONFLICT);
    struct outbox_row *r = NULL;
    size_t n = 0;
    assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &r, &n, &e), 0);
    outbox_rows_free(r, n);
    assert_int_equal(outbox_mark_sent(f->db, id, "node-b", "<a@b>", &e), -SM_E_CONFLICT);
    assert_int_equal(count(f->db, "queued"), 1);
}

/* R-NOT-1: a sent mail records its Message-ID and time and is never claimed again. */
static void test_outbox_mark_sent_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int64_t id = enqueue_ok(f->db, &good);
    struct outbox_row *r = NULL;
    size_t n = 0;
    assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &r, &n, &e), 0);
    outbox_rows_free(r, n);
    clock_set(T0 + 5);
    assert_int_equal(outbox_mark_sent(f->db, id, "node-a", "<abc@example.jp>", &e), 0);
    assert_int_equal(outbox_mark_sent(f->db, id, "node-a", "<abc@example.jp>", &e), -SM_E_CONFLICT);
    assert_int_equal(outbox_list(f->db, "sent", 10, &r, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].message_id, "<abc@example.jp>");
    assert_int_equal(r[0].sent_at, T0 + 5);
    outbox_rows_free(r, n);
    clock_set(T0 + 100000);
    assert_int_equal(outbox_claim(f->db, "node-a", 60, 10, &r, &n, &e), 0);
    assert_int_equal(n, 0);
    outbox_rows_free(r, n);
    assert_int_equal(count(f->db, "sent"), 1);
}

static void test_outbox_list_and_count_bad_state_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct outbox_row *r = NULL;
    size_t n = 0;
    int64_t c = 0;
    assert_int_equal(outbox_list(f->db, "sent'; --", 10, &r, &n, &e), -SM_E_INVALID);
    assert_string_equal(e.field, "state");
    assert_int_equal(outbox_count(f->db, "bogus", &c, &e), -SM_E_INVALID);
    enqueue_ok(f->db, &good);
    enqueue_ok(f->db, &good);
    assert_int_equal(outbox_list(f->db, NULL, 1, &r, &n, &e), 0);
    assert_int_equal(n, 1); /* limit honoured, newest first */
    assert_int_equal(r[0].id, 2);
    outbox_rows_free(r, n);
}

static void test_outbox_claim_failalloc(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    enqueue_ok(f->db, &good);
    enqueue_ok(f->db, &good);
    /* Every allocation failing in turn: claim fails cleanly, and what it took stays
     * leased (never lost: claimable again after the lease). */
    for (long nth = 1; nth < 200; nth++) {
        struct outbox_row *r = NULL;
        size_t n = 0;
        clock_set(T0 + nth * 1000);
        failalloc_set(nth);
        int rc = outbox_claim(f->db, "node-a", 10, 10, &r, &n, &e);
        failalloc_set(0);
        outbox_rows_free(r, n);
        if (rc == 0) {
            assert_int_equal(n, 2);
            break;
        }
        assert_int_equal(rc, -SM_E_NOMEM);
        assert_null(r);
    }
    assert_int_equal(count(f->db, "queued"), 2);
}

#define NMAIL 60
#define NNODE 4

struct node {
    const char *url, *dir;
    char name[32];
    int64_t got[NMAIL];
    int ngot, errors;
};

static void *node_main(void *arg)
{
    struct node *nd = arg;
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(nd->url, nd->dir, &db, &e) < 0) {
        nd->errors++;
        return NULL;
    }
    for (int round = 0; round < 200; round++) {
        struct outbox_row *r = NULL;
        size_t n = 0;
        if (outbox_claim(db, nd->name, 600, 3, &r, &n, &e) < 0) {
            nd->errors++;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (nd->ngot < NMAIL)
                nd->got[nd->ngot++] = r[i].id;
            if (outbox_mark_sent(db, r[i].id, nd->name, "<x@y>", &e) < 0)
                nd->errors++;
        }
        outbox_rows_free(r, n);
        if (n == 0)
            break;
    }
    db_close(db);
    return NULL;
}

/* Several nodes claiming at once: every mail is taken by exactly one node. */
static void test_outbox_claim_concurrent_nodes_exactly_once(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    assert_int_equal(db_begin(f->db, &e), 0);
    for (int i = 0; i < NMAIL; i++)
        assert_int_equal(outbox_enqueue(f->db, &good, NULL, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    static struct node nodes[NNODE];
    pthread_t th[NNODE];
    for (int i = 0; i < NNODE; i++) {
        memset(&nodes[i], 0, sizeof nodes[i]);
        nodes[i].url = f->url;
        nodes[i].dir = f->dir;
        snprintf(nodes[i].name, sizeof nodes[i].name, "node-%d", i);
        assert_int_equal(pthread_create(&th[i], NULL, node_main, &nodes[i]), 0);
    }
    int seen[NMAIL + 1] = {0};
    for (int i = 0; i < NNODE; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(nodes[i].errors, 0);
        for (int k = 0; k < nodes[i].ngot; k++) {
            assert_true(nodes[i].got[k] >= 1 && nodes[i].got[k] <= NMAIL);
            seen[nodes[i].got[k]]++;
        }
    }
    for (int id = 1; id <= NMAIL; id++)
        assert_int_equal(seen[id], 1);
    assert_int_equal(count(f->db, "sent"), NMAIL);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_outbox_enqueue_outside_transaction_refused),
    T(test_outbox_enqueue_inside_transaction_commits),
    T(test_outbox_enqueue_rollback_leaves_nothing),
    T(test_outbox_enqueue_invalid_input_refused),
    T(test_outbox_attachment_roundtrip),
    T(test_outbox_claim_lease_excludes_other_node),
    T(test_outbox_claim_invalid_refused),
    T(test_outbox_backoff_schedule),
    T(test_outbox_mark_failed_backoff_then_dead),
    T(test_outbox_mark_failed_permanent_is_dead_at_once),
    T(test_outbox_mark_not_held_refused),
    T(test_outbox_mark_sent_once),
    T(test_outbox_list_and_count_bad_state_refused),
    T(test_outbox_claim_failalloc),
    T(test_outbox_claim_concurrent_nodes_exactly_once),
};

#define NT (sizeof table / sizeof table[0])

int main(void) { return dbfx_run_both("outbox", table, NT, NULL, 0); }
