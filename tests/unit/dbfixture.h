/* SPDX-License-Identifier: MIT */
/* Database fixtures of store tests that run on both backends: a migrated database in a
 * fresh temporary directory (SQLite), or an emptied public schema of the PostgreSQL server
 * that tests/pg.sh started (SHOMEI_TEST_PG_URL). Include after cmocka.h and testdir.h. */
#ifndef TEST_DBFIXTURE_H
#define TEST_DBFIXTURE_H
#include <stdio.h>

#include "store/db.h"

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

#endif
