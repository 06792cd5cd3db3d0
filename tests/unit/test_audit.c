/* SPDX-License-Identifier: MIT */
/* R-OPS-1: the tamper-evident audit log (hash chain) and its verification: changed,
 * deleted, reordered and added records are each caught. Runs on SQLite, and on PostgreSQL
 * too when SHOMEI_TEST_PG_URL is set (tests/it/store_pg.sh). */
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
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "core/hashchain.h"
#include "store/audit.h"
#include "store/db.h"

static int fx_setup(void **state)
{
    dbfx_setup(state, "audit", 1700000000);
    return 0;
}

static int append_tx(struct db *db, const char *actor, const char *action, const char *object,
                     const char *detail, struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = audit_append(db, actor, action, object, detail, e);
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db, e);
}

static void append_five(struct db *db)
{
    struct sm_err e = {0};
    const char *detail[] = {"{}", "{\"note\":\"承認\"}", "{\"a\":[1,2]}", NULL, "{\"x\":\"\"}"};
    for (int i = 0; i < 5; i++) {
        char object[32];
        snprintf(object, sizeof object, "order:%d", i + 1);
        clock_set(1700000000 + i);
        assert_int_equal(append_tx(db, "user:7", "order.approve", object, detail[i], &e), 0);
    }
}

static int64_t verify(struct db *db, int64_t *bad, char *why, size_t n)
{
    struct sm_err e = {0};
    int64_t records = -1;
    int rc = audit_verify_count(db, &records, bad, why, n, &e);
    if (rc == -SM_E_CONFLICT)
        return -1;
    assert_int_equal(rc, 0);
    return records;
}

static int copy_text(void *ctx, const struct db_val *c, int ncols)
{
    assert_int_equal(c[0].t, DB_TEXT);
    assert_true(c[0].n < HASHCHAIN_HEX);
    memcpy(ctx, c[0].p, c[0].n);
    ((char *)ctx)[c[0].n] = '\0';
    return 0;
}

/* ---- tests ---- */

/* R-OPS-1: the link hash is SHA-256 over prev_hash and netstring fields (reference value
 * computed independently with sha256sum), and field boundaries matter. */
static void test_hashchain_next_matches_reference(void **state)
{
    (void)state;
    struct hashchain_field f[6] = {{"1", 1},
                                   {"1700000000", 10},
                                   {"user:7", 6},
                                   {"order.approve", 13},
                                   {"order:2024-0001", 15},
                                   {"{\"note\":\"承認\"}", 17}};
    char out[HASHCHAIN_HEX];
    assert_int_equal(hashchain_next(hashchain_genesis, f, 6, out), 0);
    assert_string_equal(out, "3e3d8b7c3eb7b2f5e7633bea5b2791c42b18922e8f133c781a43badd23d964b1");
    struct hashchain_field g1[2] = {{"ab", 2}, {"c", 1}};
    struct hashchain_field g2[2] = {{"a", 1}, {"bc", 2}};
    char h1[HASHCHAIN_HEX], h2[HASHCHAIN_HEX];
    assert_int_equal(hashchain_next(hashchain_genesis, g1, 2, h1), 0);
    assert_int_equal(hashchain_next(hashchain_genesis, g2, 2, h2), 0);
    assert_string_not_equal(h1, h2);
    assert_int_equal(hashchain_next("abc", g1, 2, h1), -SM_E_INVALID);
}

/* The link over fields of every size around hashchain.c's 1024-byte buffer (empty,
 * one digit, two digits, just under, at and over the buffer, several times it) is the
 * SHA-256 of the netstrings written out whole (the reference built here with snprintf and
 * one EVP_Digest). */
static void test_hashchain_next_any_field_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 9, 10, 1000, 1023, 1024, 1025, 3000, 7, 1021};
    enum { NF = sizeof sizes / sizeof sizes[0] };
    struct hashchain_field f[NF];
    char *data[NF];
    size_t total = HASHCHAIN_HEX;
    for (size_t i = 0; i < NF; i++) {
        data[i] = malloc(sizes[i] + 1);
        assert_non_null(data[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            data[i][j] = (char)('a' + (i * 7 + j) % 26);
        f[i] = (struct hashchain_field){data[i], sizes[i]};
        total += sizes[i] + 24;
    }
    for (size_t start = 0; start < NF; start++) { /* each suffix of the list */
        char *msg = malloc(total), *p = msg;
        assert_non_null(msg);
        memcpy(p, hashchain_genesis, HASHCHAIN_HEX - 1);
        p += HASHCHAIN_HEX - 1;
        for (size_t i = start; i < NF; i++) {
            p += snprintf(p, 24, "%zu:", sizes[i]);
            memcpy(p, data[i], sizes[i]);
            p += sizes[i];
            *p++ = ',';
        }
        unsigned char md[32];
        unsigned int mdlen = 0;
        assert_int_equal(EVP_Digest(msg, (size_t)(p - msg), md, &mdlen, EVP_sha256(), NULL), 1);
        char want[HASHCHAIN_HEX], got[HASHCHAIN_HEX];
        for (int i = 0; i < 32; i++)
            snprintf(want + 2 * i, 3, "%02x", md[i]);
        assert_int_equal(hashchain_next(hashchain_genesis, f + start, NF - start, got), 0);
        assert_string_equal(got, want);
        free(msg);
    }
    for (size_t i = 0; i < NF; i++)
        free(data[i]);
}

/* R-OPS-1: appended records form an intact chain; an empty log is intact too. */
static void test_audit_verify_intact_chain(void **state)
{
    struct dbfx *f = *state;
    int64_t bad = -1;
    char why[160];
    assert_int_equal(verify(f->db, &bad, why, sizeof why), 0);
    append_five(f->db);
    assert_int_equal(verify(f->db, &bad, why, sizeof why), 5);
    assert_int_equal(bad, 0);
    assert_string_equal(why, "");
    struct sm_err e = {0};
    assert_int_equal(audit_verify(f->db, &bad, why, sizeof why, &e), 0);
}

/* R-OPS-1: audit_append belongs inside the caller's transaction. */
static void test_audit_append_outside_transaction_refused(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    assert_int_equal(audit_append(f->db, "system", "x", NULL, NULL, &e), -SM_E_INTERNAL);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 0);
}

/* Bad input is refused and nothing is appended. */
static void test_audit_append_invalid_input_refused(void **state)
{
    struct dbfx *f = *state;
    static char big[AUDIT_MAX_DETAIL + 32];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    const struct {
        const char *actor, *action, *detail;
        int rc;
    } cases[] = {
        {NULL, "a", NULL, -SM_E_INVALID},
        {"", "a", NULL, -SM_E_INVALID},
        {"u", NULL, NULL, -SM_E_INVALID},
        {"u", "", NULL, -SM_E_INVALID},
        {"u", "a", "not json", -SM_E_INVALID},
        {"u", "a", "[1]", -SM_E_INVALID},
        {"u", "a", "{\"a\":1,\"a\":2}", -SM_E_INVALID},
        {"u", "a", big, -SM_E_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sm_err e = {0};
        assert_int_equal(
            append_tx(f->db, cases[i].actor, cases[i].action, "o", cases[i].detail, &e),
            cases[i].rc);
    }
    assert_int_equal(verify(f->db, NULL, NULL, 0), 0);
}

/* Issue 8 item 29: a detail built as a JSON object is stored as audit_append stores its
 * text (compact, keys sorted), without being parsed again, also when its text is made
 * first (audit_detail_text) and appended after (audit_append_text); the chain verifies;
 * what is not an object, or too large, is refused with nothing appended (also a text
 * handed to audit_append_text that cannot be audit_detail_text's). */
static const struct db_stmt st_detail_of = {
    "t.detail_of", "SELECT detail FROM audit_log WHERE seq = $1", NULL, NULL};

static void test_audit_append_json_stores_the_object(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    json_t *d = json_pack("{s:s, s:i, s:[s,s]}", "note", "承認", "b", 1, "names", "a.jp", "b.jp");
    json_t *arr = json_array(), *big = json_object();
    static char text[AUDIT_MAX_DETAIL + 8];
    memset(text, 'x', sizeof text - 1);
    json_object_set_new(big, "x", json_string(text));
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(audit_append_json(f->db, "cli", "cert.issue", "cert:01", d, &e), 0);
    assert_int_equal(audit_append_json(f->db, "cli", "cert.issue", "cert:02", NULL, &e), 0);
    assert_int_equal(audit_append_json(f->db, "cli", "x", "o", arr, &e), -SM_E_INVALID);
    assert_int_equal(audit_append_json(f->db, "cli", "x", "o", big, &e), -SM_E_TOO_LARGE);
    assert_int_equal(audit_append_json(f->db, "", "x", "o", d, &e), -SM_E_INVALID);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 2);
    char got[256] = "";
    struct db_val p = DBV_INT(1);
    assert_int_equal(db_run(f->db, &st_detail_of, &p, 1, copy_text, got, &e), 0);
    assert_string_equal(got, "{\"b\":1,\"names\":[\"a.jp\",\"b.jp\"],\"note\":\"承認\"}");
    p = (struct db_val)DBV_INT(2);
    assert_int_equal(db_run(f->db, &st_detail_of, &p, 1, copy_text, got, &e), 0);
    assert_string_equal(got, "{}");

    /* the same in two steps (the text made where no connection is, then appended): the
     * same stored text; what is not an object, or too large, gives no text */
    char *made = audit_detail_text(d, &e);
    assert_non_null(made);
    assert_null(audit_detail_text(arr, &e));
    assert_int_equal(e.code, SM_E_INVALID);
    assert_null(audit_detail_text(big, &e));
    assert_int_equal(e.code, SM_E_TOO_LARGE);
    assert_null(audit_detail_text(NULL, &e));
    assert_int_equal(db_begin(f->db, &e), 0);
    static const char *const not_made[] = {"", "[1]", "{\"a\":1", "x}", "{"};
    for (size_t i = 0; i < sizeof not_made / sizeof not_made[0]; i++)
        assert_int_equal(audit_append_text(f->db, "cli", "x", "o", not_made[i], &e), -SM_E_INVALID);
    assert_int_equal(audit_append_text(f->db, "cli", "x", "o", NULL, &e), -SM_E_INVALID);
    text[0] = '{';
    text[sizeof text - 2] = '}';
    assert_int_equal(audit_append_text(f->db, "cli", "x", "o", text, &e), -SM_E_TOO_LARGE);
    assert_int_equal(audit_append_text(f->db, "cli", "cert.issue", "cert:03", made, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    free(made);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 3);
    p = (struct db_val)DBV_INT(3);
    assert_int_equal(db_run(f->db, &st_detail_of, &p, 1, copy_text, got, &e), 0);
    assert_string_equal(got, "{\"b\":1,\"names\":[\"a.jp\",\"b.jp\"],\"note\":\"承認\"}");
    json_decref(d);
    json_decref(arr);
    json_decref(big);
}

/* A rolled-back append leaves no record and no gap in the sequence. */
static void test_audit_append_rollback_leaves_no_gap(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(audit_append(f->db, "system", "gone", "x", NULL, &e), 0);
    db_rollback(f->db);
    append_five(f->db);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 5);
}

/* ---- the chain head kept per transaction (issue 8 item 29) ---- */

static const struct db_stmt st_head_row = {"t.head_row", "SELECT seq FROM audit_head WHERE id = 1",
                                           NULL, NULL};
static const struct db_stmt st_log_count = {"t.log_count", "SELECT count(*) FROM audit_log", NULL,
                                            NULL};
static const struct db_stmt st_prev_of = {
    "t.prev_of", "SELECT prev_hash FROM audit_log WHERE seq = $1", NULL, NULL};

static const struct db_stmt st_hash_at = {"t.hash_at", "SELECT hash FROM audit_log WHERE seq = $1",
                                          NULL, NULL};

static int64_t head_row(struct db *db) { return dbfx_count(db, &st_head_row, NULL, 0); }
static int64_t log_count(struct db *db) { return dbfx_count(db, &st_log_count, NULL, 0); }

/* prev_hash of record seq equals the hash of record seq - 1 */
static void assert_linked(struct db *db, int64_t seq)
{
    struct sm_err e = {0};
    char prev[HASHCHAIN_HEX] = "", hash[HASHCHAIN_HEX] = "";
    struct db_val p = DBV_INT(seq), q = DBV_INT(seq - 1);
    assert_int_equal(db_run(db, &st_prev_of, &p, 1, copy_text, prev, &e), 0);
    assert_int_equal(db_run(db, &st_hash_at, &q, 1, copy_text, hash, &e), 0);
    assert_string_equal(prev, hash);
}

static void append_n(struct db *db, int n, const char *action)
{
    struct sm_err e = {0};
    for (int i = 0; i < n; i++) {
        char object[32];
        snprintf(object, sizeof object, "cert:%02d", i);
        if (audit_append(db, "cli", action, object, "{\"n\":1}", &e) != 0)
            fail_msg("append %d: %s", i, e.detail);
    }
}

/* R-OPS-1: many records in one transaction form one intact chain; they are kept in memory
 * and linked, inserted and the head row written at commit, the transaction's last lock
 * (inside the transaction the log and the head still show the committed state). */
static void test_audit_many_records_one_transaction(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    append_five(f->db);
    assert_int_equal(db_begin(f->db, &e), 0);
    append_n(f->db, 50, "cert.reserve");
    assert_int_equal(head_row(f->db), 5); /* not yet written */
    assert_int_equal(log_count(f->db), 5);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 5);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(head_row(f->db), 55);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 55);
    assert_linked(f->db, 6);
    assert_int_equal(db_begin(f->db, &e), 0);
    append_n(f->db, 3, "cert.issue");
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 58);
    assert_int_equal(head_row(f->db), 58);
    /* a transaction without a record leaves the head alone */
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 58);
}

/* R-OPS-1: a rolled-back transaction of several records leaves the head and the log as
 * they were, and the next transaction reads the head again and chains on record 5. */
static void test_audit_rollback_discards_the_kept_head(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    append_five(f->db);
    assert_int_equal(db_begin(f->db, &e), 0);
    append_n(f->db, 3, "gone");
    assert_int_equal(db_rollback(f->db), 0);
    assert_int_equal(head_row(f->db), 5);
    assert_int_equal(log_count(f->db), 5);
    assert_int_equal(db_begin(f->db, &e), 0);
    append_n(f->db, 2, "kept");
    assert_int_equal(db_commit(f->db, &e), 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 7);
    assert_linked(f->db, 6);
}

static int failing_hook(struct db *db, void *ctx, struct sm_err *e)
{
    (void)db;
    (*(int *)ctx)++;
    return sm_err_set(e, SM_E_CONFLICT, "t", "hook refuses");
}

static const struct db_stmt st_drop_head = {"t.drop_head", "DELETE FROM audit_head", NULL, NULL};

/* R-OPS-1: when a pre-commit hook fails (another module's, or the head's own write: here
 * the head row vanished inside the transaction, so the records cannot be linked), the
 * commit fails and nothing of the
 * transaction is written; the next append chains on the last committed record. */
static void test_audit_hook_failure_writes_nothing(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    int ran = 0;
    append_five(f->db);
    for (int order = 0; order < 2; order++) { /* the failing hook after, then before */
        assert_int_equal(db_begin(f->db, &e), 0);
        if (order == 1)
            assert_int_equal(db_on_commit(f->db, failing_hook, NULL, &ran, &e), 0);
        append_n(f->db, 4, "lost");
        if (order == 0)
            assert_int_equal(db_on_commit(f->db, failing_hook, NULL, &ran, &e), 0);
        sm_err_clear(&e);
        assert_int_equal(db_commit(f->db, &e), -SM_E_CONFLICT);
        assert_int_equal(ran, order + 1);
        assert_int_equal(db_in_transaction(f->db), 0);
        assert_int_equal(head_row(f->db), 5);
        assert_int_equal(log_count(f->db), 5);
    }
    assert_int_equal(db_begin(f->db, &e), 0);
    append_n(f->db, 2, "lost");
    assert_int_equal(db_run(f->db, &st_drop_head, NULL, 0, NULL, NULL, &e), 0);
    sm_err_clear(&e);
    assert_int_equal(db_commit(f->db, &e), -SM_E_DB);
    assert_non_null(strstr(e.detail, "audit head row is missing"));
    assert_int_equal(head_row(f->db), 5);
    assert_int_equal(log_count(f->db), 5);
    assert_int_equal(append_tx(f->db, "system", "kept", "x", NULL, &e), 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 6);
    assert_linked(f->db, 6);
}

struct tamper {
    const char *name;
    const char *sql[3]; /* run after five records were appended */
    int64_t bad;        /* first bad record reported */
    const char *reason; /* substring of why */
};

static const struct tamper tampers[] = {
    {"actor", {"UPDATE audit_log SET actor = 'user:8' WHERE seq = 3"}, 3, "changed"},
    {"action", {"UPDATE audit_log SET action = 'order.reject' WHERE seq = 2"}, 2, "changed"},
    {"object", {"UPDATE audit_log SET object = 'order:9' WHERE seq = 5"}, 5, "changed"},
    {"detail", {"UPDATE audit_log SET detail = '{\"note\":\"否認\"}' WHERE seq = 2"}, 2, "changed"},
    {"at", {"UPDATE audit_log SET at = at + 1 WHERE seq = 1"}, 1, "changed"},
    {"hash", {"UPDATE audit_log SET hash = prev_hash WHERE seq = 4"}, 4, "changed"},
    {"prev_hash", {"UPDATE audit_log SET prev_hash = hash WHERE seq = 3"}, 3, "prev_hash"},
    {"delete middle", {"DELETE FROM audit_log WHERE seq = 3"}, 3, "missing"},
    {"delete first", {"DELETE FROM audit_log WHERE seq = 1"}, 1, "missing"},
    {"delete last", {"DELETE FROM audit_log WHERE seq = 5"}, 5, "missing"},
    {"delete all", {"DELETE FROM audit_log"}, 1, "missing"},
    {"swap 2 and 4",
     {"UPDATE audit_log SET seq = -2 WHERE seq = 2", "UPDATE audit_log SET seq = 2 WHERE seq = 4",
      "UPDATE audit_log SET seq = 4 WHERE seq = -2"},
     2,
     "prev_hash"},
    {"renumber after delete",
     {"DELETE FROM audit_log WHERE seq = 2", "UPDATE audit_log SET seq = -seq WHERE seq > 2",
      "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0"},
     2,
     "prev_hash"},
    {"head rewound", {"UPDATE audit_head SET seq = 4"}, 4, "head changed"},
    {"head rewound with hash",
     {"UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_log WHERE seq = 4)"},
     5,
     "beyond the head"},
    {"head hash",
     {"UPDATE audit_head SET hash = (SELECT hash FROM audit_log WHERE seq = 4)"},
     5,
     "head changed"},
    {"record added",
     {"INSERT INTO audit_log (seq, at, actor, action, object, detail, prev_hash, hash) "
      "SELECT 6, at, actor, action, object, detail, hash, hash FROM audit_log WHERE seq = 5"},
     6,
     "beyond the head"},
};

static const struct db_stmt st_unguard1 = {"t.unguard1", "DROP TRIGGER audit_log_no_update", NULL,
                                           "DROP TRIGGER audit_log_no_change ON audit_log"};
static const struct db_stmt st_unguard2 = {"t.unguard2", "DROP TRIGGER audit_log_no_delete", NULL,
                                           "SELECT 1"};

/* What an attacker with database access does first: drop the append-only triggers. */
static void unguard(struct db *db)
{
    struct sm_err e = {0};
    assert_int_equal(db_run(db, &st_unguard1, NULL, 0, NULL, NULL, &e), 0);
    assert_int_equal(db_run(db, &st_unguard2, NULL, 0, NULL, NULL, &e), 0);
}

/* R-OPS-1: the database refuses to change or delete audit records (kept >= 2 years). */
static void test_audit_log_refuses_update_and_delete(void **state)
{
    struct dbfx *f = *state;
    append_five(f->db);
    static const struct db_stmt upd = {"t.upd", "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
                                       NULL, NULL};
    static const struct db_stmt del = {"t.del", "DELETE FROM audit_log WHERE seq = 5", NULL, NULL};
    static const struct db_stmt trunc = {"t.trunc", "DELETE FROM audit_log", NULL,
                                         "TRUNCATE audit_log"};
    const struct db_stmt *bad[] = {&upd, &del, &trunc};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sm_err e = {0};
        assert_int_equal(db_run(f->db, bad[i], NULL, 0, NULL, NULL, &e), -SM_E_DB);
        assert_non_null(strstr(e.detail, "append-only"));
    }
    assert_int_equal(verify(f->db, NULL, NULL, 0), 5);
}

static const struct db_stmt st_clear_log = {"t.clear", "DELETE FROM audit_log", NULL, NULL};
static const struct db_stmt st_clear_head = {
    "t.clear_head", "UPDATE audit_head SET seq = 0, hash = $1", NULL, NULL};

/* R-OPS-1: every kind of tampering (changed field, deleted, reordered or added record,
 * rewound head) is caught at the first bad record. */
static void test_audit_verify_tampering_detected(void **state)
{
    struct dbfx *f = *state;
    unguard(f->db);
    for (size_t i = 0; i < sizeof tampers / sizeof tampers[0]; i++) {
        const struct tamper *t = &tampers[i];
        struct sm_err e = {0};
        /* A fresh chain for each case. */
        struct db_val g = DBV_TEXT(hashchain_genesis);
        assert_int_equal(db_run(f->db, &st_clear_log, NULL, 0, NULL, NULL, &e), 0);
        assert_int_equal(db_run(f->db, &st_clear_head, &g, 1, NULL, NULL, &e), 0);
        append_five(f->db);
        assert_int_equal(verify(f->db, NULL, NULL, 0), 5);
        for (int s = 0; s < 3 && t->sql[s] != NULL; s++) {
            struct db_stmt st = {t->name, t->sql[s], NULL, NULL};
            int rc = db_run(f->db, &st, NULL, 0, NULL, NULL, &e);
            if (rc != 0)
                fail_msg("%s: %s", t->name, e.detail);
        }
        int64_t bad = 0;
        char why[160];
        if (verify(f->db, &bad, why, sizeof why) != -1)
            fail_msg("tampering '%s' not detected", t->name);
        if (bad != t->bad || strstr(why, t->reason) == NULL)
            fail_msg("tampering '%s': got record %lld (%s), want %lld (%s)", t->name,
                     (long long)bad, why, (long long)t->bad, t->reason);
    }
}

/* A record rewritten with a correct hash of its own still breaks the next link. */
static void test_audit_verify_rehashed_record_detected(void **state)
{
    struct dbfx *f = *state;
    append_five(f->db);
    unguard(f->db);
    struct hashchain_field fl[6] = {{"3", 1},        {"1700000002", 10},
                                    {"user:666", 8}, {"order.approve", 13},
                                    {"order:3", 7},  {"{\"a\":[1,2]}", 11}};
    char prev[HASHCHAIN_HEX] = "", forged[HASHCHAIN_HEX];
    static const struct db_stmt get = {"t.prev", "SELECT prev_hash FROM audit_log WHERE seq = 3",
                                       NULL, NULL};
    static const struct db_stmt put = {
        "t.forge", "UPDATE audit_log SET actor = 'user:666', hash = $1 WHERE seq = 3", NULL, NULL};
    struct sm_err e = {0};
    assert_int_equal(db_run(f->db, &get, NULL, 0, copy_text, prev, &e), 0);
    assert_int_equal(hashchain_next(prev, fl, 6, forged), 0);
    struct db_val p = DBV_TEXT(forged);
    assert_int_equal(db_run(f->db, &put, &p, 1, NULL, NULL, &e), 0);
    int64_t bad = 0;
    char why[160];
    assert_int_equal(verify(f->db, &bad, why, sizeof why), -1);
    assert_int_equal(bad, 4);
    assert_non_null(strstr(why, "prev_hash"));
}

/* Issue 8 (migration 0019): a record of an HTTP request keeps the client address and
 * hashes it as a seventh field; records without one (those written before the column
 * existed, jobs, CLI) hash as six fields, so an old chain verifies unchanged. Changing,
 * removing or adding an address is caught at that record. */
static const struct db_stmt st_ip_of = {"t.ip_of", "SELECT client_ip FROM audit_log WHERE seq = $1",
                                        NULL, NULL};
static const struct db_stmt st_hash_of = {"t.hash_of", "SELECT hash FROM audit_log WHERE seq = $1",
                                          NULL, NULL};

static void ip_chain(struct db *db, int clear) /* clear: after unguard only */
{
    struct sm_err e = {0};
    struct db_val g = DBV_TEXT(hashchain_genesis);
    if (clear) {
        assert_int_equal(db_run(db, &st_clear_log, NULL, 0, NULL, NULL, &e), 0);
        assert_int_equal(db_run(db, &st_clear_head, &g, 1, NULL, NULL, &e), 0);
    }
    clock_set(1700000000);
    assert_int_equal(append_tx(db, "system", "order.issued", "order:1", "{}", &e), 0);
    assert_int_equal(append_tx(db, "cli", "ca.init", "ca:dv", "{}", &e), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(db_begin(db, &e), 0);
        assert_int_equal(audit_append_from(db, "user:7", i ? "2001:db8::7" : "192.0.2.7",
                                           "order.approve", "order:1", "{}", &e),
                         0);
        assert_int_equal(db_commit(db, &e), 0);
    }
}

static void test_audit_client_ip_hashed_for_new_records_only(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    ip_chain(f->db, 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 4);
    char got[HASHCHAIN_HEX];
    struct db_val s3 = DBV_INT(3), s1 = DBV_INT(1);
    assert_true(db_run(f->db, &st_ip_of, &s3, 1, copy_text, got, &e) >= 0);
    assert_string_equal(got, "192.0.2.7");
    /* a record without an address hashes exactly as before the column existed */
    struct hashchain_field six[6] = {{"1", 1},       {"1700000000", 10},
                                     {"system", 6},  {"order.issued", 12},
                                     {"order:1", 7}, {"{}", 2}};
    char want[HASHCHAIN_HEX];
    assert_int_equal(hashchain_next(hashchain_genesis, six, 6, want), 0);
    assert_true(db_run(f->db, &st_hash_of, &s1, 1, copy_text, got, &e) >= 0);
    assert_string_equal(got, want);
    assert_int_equal(audit_append_from(f->db, "user:7", "192.0.2.7", "x", "", "{}", &e),
                     -SM_E_INTERNAL); /* outside a transaction */
    unguard(f->db);
    static const struct {
        const char *sql;
        int64_t bad;
    } cases[] = {
        {"UPDATE audit_log SET client_ip = '198.51.100.1' WHERE seq = 3", 3},
        {"UPDATE audit_log SET client_ip = NULL WHERE seq = 4", 4},
        {"UPDATE audit_log SET client_ip = '198.51.100.1' WHERE seq = 2", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ip_chain(f->db, 1);
        struct db_stmt st = {"t.ip_tamper", cases[i].sql, NULL, NULL};
        assert_int_equal(db_run(f->db, &st, NULL, 0, NULL, NULL, &e), 0);
        int64_t bad = 0;
        char why[160];
        assert_int_equal(verify(f->db, &bad, why, sizeof why), -1);
        assert_int_equal(bad, cases[i].bad);
        assert_non_null(strstr(why, "changed"));
    }
}

/* Allocation failures during append and verify are reported, never crash or leak. */
static void test_audit_append_failalloc(void **state)
{
    struct dbfx *f = *state;
    int done = 0;
    for (long nth = 1; nth < 200 && !done; nth++) {
        struct sm_err e = {0};
        failalloc_set(nth);
        int rc = append_tx(f->db, "system", "test.alloc", "x", "{\"k\":\"値\"}", &e);
        int64_t n = 0;
        if (rc == 0)
            rc = audit_verify_count(f->db, &n, NULL, NULL, 0, &e);
        long used = failalloc_count();
        failalloc_set(0);
        if (rc < 0)
            assert_int_equal(e.code, SM_E_NOMEM);
        else if (used < nth)
            done = 1;
    }
    assert_true(done);
    int64_t bad = 0;
    assert_true(verify(f->db, &bad, NULL, 0) >= 1);
}

struct worker {
    const char *url;
    const char *dir;
    int id;
    int failures;
    int per_tx; /* records per transaction; 0 = 1 */
};

/* 40 records in transactions of w->per_tx records. */
static int append_batches(struct db *db, struct worker *w, struct sm_err *e)
{
    int per = w->per_tx > 0 ? w->per_tx : 1;
    for (int i = 0; i < 40; i += per) {
        int rc = db_begin(db, e);
        for (int k = 0; rc == 0 && k < per; k++) {
            char obj[32];
            snprintf(obj, sizeof obj, "w%d:%d", w->id, i + k);
            rc = audit_append(db, "system", "test.concurrent", obj, NULL, e);
        }
        if (rc == 0)
            rc = db_commit(db, e);
        if (rc < 0) {
            db_rollback(db);
            return rc;
        }
    }
    return 0;
}

static void *appender(void *arg)
{
    struct worker *w = arg;
    struct sm_err e = {0};
    struct db *db = NULL;
    if (db_open(w->url, w->dir, &db, &e) < 0) {
        w->failures++;
        return NULL;
    }
    if (append_batches(db, w, &e) < 0)
        w->failures++;
    db_close(db);
    return NULL;
}

/* R-SCL-1: several connections appending at once keep one gap-free chain, whether each
 * transaction appends one record or several (the head is read and locked once per
 * transaction and written at its commit: on PostgreSQL the row lock is held from the
 * first append to the commit, so no two connections chain on the same head). */
static void concurrent(struct dbfx *f, int per_tx)
{
    struct worker w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct worker){f->url, f->dir, i, 0, per_tx};
        assert_int_equal(pthread_create(&th[i], NULL, appender, &w[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(verify(f->db, NULL, NULL, 0), 120);
    for (int64_t seq = 2; seq <= 120; seq++)
        assert_linked(f->db, seq);
}

static void test_audit_append_concurrent_connections(void **state) { concurrent(*state, 1); }

static void test_audit_append_concurrent_multi_record_transactions(void **state)
{
    concurrent(*state, 5);
}

/* ---- PostgreSQL: the chain head is the last lock of a transaction ---- */

static const struct db_stmt st_gen_row = {
    "t.gen_row", "INSERT INTO org_data_gen (org_id, gen) VALUES (777, 1)", NULL, NULL};
static const struct db_stmt st_gen_bump = {
    "t.gen_bump", "UPDATE org_data_gen SET gen = gen + 1 WHERE org_id = 777", NULL, NULL};

struct late {
    struct db *db;
    int rc;
};

/* B's end: its record, then its commit (the head's lock is taken in the commit). */
static void *late_commit(void *arg)
{
    struct late *l = arg;
    struct sm_err e = {0};
    l->rc = audit_append(l->db, "system", "test.b", "b", NULL, &e);
    if (l->rc == 0)
        l->rc = db_commit(l->db, &e);
    if (l->rc < 0)
        db_rollback(l->db);
    return NULL;
}

/* R-SCL-1: transaction A appends its record and then changes a row; B changes that row
 * first and then appends. When the first append took the head's lock, A held the head and
 * waited for the row while B held the row and waited for the head at its commit:
 * PostgreSQL found the deadlock and aborted one of them. The head is now taken at commit,
 * after every row, so A waits for B's commit and both end well, in one chain. */
static void test_audit_head_is_the_last_lock(void **state)
{
    struct dbfx *f = *state;
    struct sm_err e = {0};
    struct db *b = NULL;
    assert_int_equal(db_run(f->db, &st_gen_row, NULL, 0, NULL, NULL, &e), 0);
    assert_int_equal(db_open(f->url, f->dir, &b, &e), 0);
    assert_int_equal(db_begin(f->db, &e), 0);
    assert_int_equal(audit_append(f->db, "system", "test.a", "a", NULL, &e), 0);
    assert_int_equal(db_begin(b, &e), 0);
    assert_int_equal(db_run(b, &st_gen_bump, NULL, 0, NULL, NULL, &e), 0);
    struct late l = {b, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, late_commit, &l), 0);
    struct timespec pause = {0, 200 * 1000 * 1000}; /* B reaches its commit */
    nanosleep(&pause, NULL);
    int rc = db_run(f->db, &st_gen_bump, NULL, 0, NULL, NULL, &e); /* waits for B */
    if (rc == 0)
        rc = db_commit(f->db, &e);
    if (rc < 0) {
        db_rollback(f->db);
        fail_msg("transaction A: %s", e.detail);
    }
    pthread_join(th, NULL);
    db_close(b);
    assert_int_equal(l.rc, 0);
    assert_int_equal(verify(f->db, NULL, NULL, 0), 2);
    assert_linked(f->db, 2);
}

#define T(fn)                                                                                      \
    {                                                                                              \
#fn, fn, fx_setup, dbfx_teardown, NULL                                                     \
    }

static const struct CMUnitTest table[] = {
    T(test_audit_verify_intact_chain),
    T(test_audit_append_outside_transaction_refused),
    T(test_audit_append_invalid_input_refused),
    T(test_audit_append_json_stores_the_object),
    T(test_audit_append_rollback_leaves_no_gap),
    T(test_audit_log_refuses_update_and_delete),
    T(test_audit_verify_tampering_detected),
    T(test_audit_verify_rehashed_record_detected),
    T(test_audit_client_ip_hashed_for_new_records_only),
    T(test_audit_append_failalloc),
    T(test_audit_append_concurrent_connections),
    T(test_audit_append_concurrent_multi_record_transactions),
    T(test_audit_many_records_one_transaction),
    T(test_audit_rollback_discards_the_kept_head),
    T(test_audit_hook_failure_writes_nothing),
};

#define NT (sizeof table / sizeof table[0])

static const struct CMUnitTest pg_only[] = {
    {"test_audit_head_is_the_last_lock_pg", test_audit_head_is_the_last_lock, fx_setup,
     dbfx_teardown, NULL},
};

int main(void)
{
    const struct CMUnitTest pure[] = {cmocka_unit_test(test_hashchain_next_matches_reference),
                                      cmocka_unit_test(test_hashchain_next_any_field_sizes)};
    int failed = cmocka_run_group_tests_name("hashchain", pure, NULL, NULL);
    return failed + dbfx_run_both("audit", table, NT, pg_only, 1);
}
