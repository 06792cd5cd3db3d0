/* SPDX-License-Identifier: MIT */
/* Database fixtures of store tests that run on both backends: a migrated database in a
 * fresh temporary directory (SQLite), or an emptied public schema of the PostgreSQL server
 * that tests/pg.sh started (SHOMEI_TEST_PG_URL). Include after cmocka.h and testdir.h. */
#ifndef TEST_DBFIXTURE_H
#define TEST_DBFIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/orders.h"
#include "store/orgs.h"

struct backend {
    const char *label;
    const char *url; /* NULL = temporary SQLite file */
};

/* Opens and migrates the database of backend be: SQLite file NAME.db in a new directory
 * written to dir (dn bytes), or be->url with its schema emptied first; url (un bytes)
 * receives the URL used. Fails the test on any error. */
__attribute__((unused)) static struct db *dbfx_open(const struct backend *be, const char *name,
                                                    char *dir, size_t dn, char *url, size_t un)
{
    static const struct db_stmt drop = {"t.drop", "SELECT 1", NULL, "DROP SCHEMA public CASCADE"};
    static const struct db_stmt mk = {"t.schema", "SELECT 1", NULL, "CREATE SCHEMA public"};
    struct db *db = NULL;
    struct sm_err e = {0};
    dir[0] = '\0';
    if (be->url == NULL) {
        assert_int_equal(testdir_make(dir, dn, name), 0);
        snprintf(url, un, "sqlite:%s.db", name);
    } else {
        snprintf(url, un, "%s", be->url);
    }
    assert_int_equal(db_open(url, dir, &db, &e), 0);
    if (be->url != NULL) {
        assert_int_equal(db_run(db, &drop, NULL, 0, NULL, NULL, &e), 0);
        assert_int_equal(db_run(db, &mk, NULL, 0, NULL, NULL, &e), 0);
    }
    if (db_migrate(db, &e) != 0)
        fail_msg("migrate: %s", e.detail);
    return db;
}

/* The state of a store test: its database and where that lives. */
struct dbfx {
    char dir[256];
    char url[1024];
    struct db *db;
};

/* The one setup of a store test: opens and migrates the database of the backend in *state
 * (named name for SQLite), sets the clock to now when now != 0, and replaces *state with
 * the new struct dbfx, which it also returns for a setup that seeds more. */
__attribute__((unused)) static struct dbfx *dbfx_setup(void **state, const char *name, int64_t now)
{
    const struct backend *be = *state;
    struct dbfx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = dbfx_open(be, name, f->dir, sizeof f->dir, f->url, sizeof f->url);
    if (now != 0)
        clock_set(now);
    *state = f;
    return f;
}

/* The one teardown: real clock, no failing allocations, database closed and removed. */
__attribute__((unused)) static int dbfx_teardown(void **state)
{
    struct dbfx *f = *state;
    clock_set(0);
    failalloc_set(0);
    db_close(f->db);
    testdir_remove(f->dir);
    free(f);
    return 0;
}

/* Adds a stub intermediate CA (certificate 30 00, CN=t, root a) named name of level and
 * returns its id: the ca_id that certificate rows of ra/ and store/ tests point to. */
__attribute__((unused)) static int64_t dbfx_add_ca(struct db *db, const char *name,
                                                   const char *level)
{
    static const struct db_stmt st = {
        "t.ca",
        "INSERT INTO cas (name, role, level, root, key_ref, key_type, cert_der, subject, ski, "
        "not_before, not_after, created_at) VALUES ($2, 'intermediate', $3, 'a', 'file:x', "
        "'ec-p256', $1, 'CN=t', '00', 0, 4000000000, 0) RETURNING id",
        NULL, NULL};
    static const unsigned char der[] = {0x30, 0x00};
    struct db_val p[3] = {DBV_BLOB(der, 2), DBV_TEXT(name), DBV_TEXT(level)};
    struct sm_err e = {0};
    int64_t id = 0;
    if (db_returning_id(db, &st, p, 3, &id, &e) != 0)
        fail_msg("stub CA: %s", e.detail);
    return id;
}

/* Adds an organization of kind (customer, reseller) named name (Japanese and English), under
 * reseller (0: none), and returns its id. Fails the test on any error. */
__attribute__((unused)) static int64_t dbfx_add_org(struct db *db, const char *kind,
                                                    const char *name, int64_t reseller)
{
    struct org_row o = {0};
    snprintf(o.kind, sizeof o.kind, "%s", kind);
    snprintf(o.name_ja, sizeof o.name_ja, "%s", name);
    snprintf(o.name_en, sizeof o.name_en, "%s", name);
    o.reseller_org_id = reseller;
    int64_t id = 0;
    struct sm_err e = {0};
    assert_int_equal(org_insert(db, &o, &id, &e), 0);
    return id;
}

static int dbfx_got_int(void *ctx, const struct db_val *c, int n)
{
    *(int64_t *)ctx = n > 0 ? db_col_int(&c[0]) : 0;
    return 0;
}

/* The first column of the row st gives with the parameters p[0..np) (a COUNT), or -1 when
 * there is none; a database error fails the test. */
__attribute__((unused)) static int64_t dbfx_count(struct db *db, const struct db_stmt *st,
                                                  struct db_val *p, int np)
{
    int64_t v = -1;
    struct sm_err e = {0};
    if (db_run(db, st, p, np, dbfx_got_int, &v, &e) != 0)
        fail_msg("%s: %s", st->name, e.detail);
    return v;
}

/* An order as the ra/ tests need one: kind and state as stored, one name (cn), root a. */
struct dbfx_order {
    const char *tag; /* receipt number R-TAG-NNNNN, unique in the process */
    const char *kind, *state;
    int64_t product_id, org_id, predecessor_cert_id;
    const char *cn, *notify_email, *applicant, *csr_pem; /* csr_pem may be NULL */
};

/* Stores the order spec in a transaction of its own and returns its id. */
__attribute__((unused)) static int64_t dbfx_add_order(struct db *db, const struct dbfx_order *spec)
{
    static int seq;
    struct sm_err e = {0};
    struct order_row o;
    char names[300], key[32];
    memset(&o, 0, sizeof o);
    snprintf(o.receipt_no, sizeof o.receipt_no, "R-%s-%05d", spec->tag, ++seq);
    snprintf(o.kind, sizeof o.kind, "%s", spec->kind);
    snprintf(o.state, sizeof o.state, "%s", spec->state);
    snprintf(o.root_option, sizeof o.root_option, "a");
    snprintf(names, sizeof names, "[\"%s\"]", spec->cn);
    snprintf(key, sizeof key, "k-%d", seq);
    o.product_id = spec->product_id;
    o.org_id = spec->org_id;
    o.predecessor_cert_id = spec->predecessor_cert_id;
    o.created_by = 1;
    o.cn = (char *)spec->cn;
    o.names = names;
    o.notify_email[0] = (char *)spec->notify_email;
    o.applicant = (char *)spec->applicant;
    o.csr_pem = (char *)spec->csr_pem;
    o.idem_key = key;
    int64_t id = 0;
    if (db_begin(db, &e) != 0 || orders_insert(db, &o, &id, &e) != 0 || db_commit(db, &e) != 0)
        fail_msg("order: %s", e.detail);
    return id;
}

/* Stores certificate c as issued at `at` until not_after with DER der (reserved and issued
 * in one transaction, as ra/issuance does); in_tx (may be NULL) runs inside that
 * transaction with the certificate's id before the commit (a subscription's record).
 * Returns the id. */
__attribute__((unused)) static int64_t
dbfx_add_issued(struct db *db, const struct certs_new *c, const unsigned char *der, size_t len,
                time_t at, time_t not_after,
                int (*in_tx)(struct db *db, int64_t cert_id, void *ctx, struct sm_err *e),
                void *ctx)
{
    struct sm_err e = {0};
    int64_t id = 0;
    if (db_begin(db, &e) != 0 || certs_reserve(db, c, "test/1/1", at, &e) != 0 ||
        certs_set_issued(db, c->serial, der, len, at, not_after, "00", at, &id, &e) != 0 ||
        (in_tx != NULL && in_tx(db, id, ctx, &e) != 0) || db_commit(db, &e) != 0)
        fail_msg("issued certificate %s: %s", c->serial, e.detail);
    return id;
}

/* Most tests one table may hold for dbfx_run_both. */
#define DBFX_MAX_TESTS 64

static int dbfx_run_on(const char *group, const struct CMUnitTest *t, size_t n,
                       const struct CMUnitTest *pg_only, size_t npg, struct backend *be)
{
    static struct CMUnitTest tests[DBFX_MAX_TESTS];
    static char names[DBFX_MAX_TESTS][128];
    if (n + npg > DBFX_MAX_TESTS) {
        fprintf(stderr, "dbfixture: %zu tests, at most %d\n", n + npg, DBFX_MAX_TESTS);
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        tests[k] = t[i];
        snprintf(names[k], sizeof names[k], "%s_%s", t[i].name, be->label);
        tests[k].name = names[k];
        tests[k].initial_state = be;
    }
    for (size_t i = 0; i < npg; i++, k++) {
        tests[k] = pg_only[i];
        tests[k].initial_state = be;
    }
    char g[64];
    snprintf(g, sizeof g, "%s_%s", group, be->label);
    return _cmocka_run_group_tests(g, tests, k, NULL, NULL);
}

/* The one runner of the tests that prove a store on both databases: the table t (n tests)
 * runs on a temporary SQLite database and, when tests/pg.sh set SHOMEI_TEST_PG_URL, on that
 * PostgreSQL server too, each test getting its struct backend as initial state and the
 * backend's label appended to its name; pg_only (npg tests, may be NULL) run on PostgreSQL
 * alone. Returns the number of failures (main's exit status). */
__attribute__((unused)) static int dbfx_run_both(const char *group, const struct CMUnitTest *t,
                                                 size_t n, const struct CMUnitTest *pg_only,
                                                 size_t npg)
{
    static struct backend sqlite = {"sqlite", NULL}, pg = {"pg", NULL};
    int failed = dbfx_run_on(group, t, n, NULL, 0, &sqlite);
    const char *url = getenv("SHOMEI_TEST_PG_URL");
    if (url != NULL && *url != '\0') {
        pg.url = url;
        failed += dbfx_run_on(group, t, n, pg_only, npg, &pg);
    }
    return failed;
}

#endif
