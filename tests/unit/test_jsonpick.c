/* SPDX-License-Identifier: MIT */
/* issue 12 item 10: store/jsonpick reads the order's JSON documents for the certificate list
 * and the CSV export (R-MNG-1, R-MNG-3) in one pass. It must give what the SQL it replaced
 * gave, CASE WHEN json_valid(doc) THEN json_extract(doc, path) END kept when a string:
 * every document and path below is also asked of SQLite and the answers compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/jsonpick.h"

static const char *const docs[] = {
    "{\"org\":{\"name_ja\":\"顧客 株式会社\",\"name_en\":\"Customer, Inc.\",\"tdb_code\":\"987\"},"
    "\"responsible\":{\"dept\":\"情報システム部\",\"name\":\"山田 太郎\"}}",
    "  { \"org\" : { \"name_ja\" : \"a\\\"b\\\\c\\/d\\n\\t\\u3042\\ud83d\\ude00\" } }  ",
    "{\"org\":\"flat\",\"dept\":\"総務部\",\"email\":\"x@example.jp\",\"phone\":\"03\"}",
    "{\"org\":{\"name_ja\":5,\"name_en\":null,\"tdb_code\":true},\"responsible\":[\"dept\"]}",
    "{\"org\":{\"name_ja\":\"first\",\"name_ja\":\"second\"}}",
    "{\"dept\":\"one\",\"dept\":\"two\"}",
    "{\"org\":{\"name_ja\":\"\"}}",
    "{\"org\":{\"x\":{\"name_ja\":\"deep\"},\"name_en\":[1,2.5e3,-0.5,{\"a\":[]}]}}",
    "[{\"org\":\"in an array\"}]",
    "\"just a string\"",
    "{}",
    "{ \"org\" : { \"a\" : \"x y \\\" z\" , \"b\" : [ 1 , 2 ] } , \"dept\" : [ \"p q\" ] }",
    "",
    "{",
    "{\"org\":\"unterminated}",
    "{\"org\":\"x\",}",
    "{\"org\":01}",
    "{\"org\":\"ctl\x01\"}",
    "{\"org\":\"x\"} trailing",
    "{\"org\":\"bad escape \\q\"}",
    "{\"org\":tru}",
    "{\"org\":{\"name_ja\":\"x\"}",
};

static const char *const paths[][2] = {
    {"org", "name_ja"},      {"org", "name_en"},      {"org", "tdb_code"},
    {"responsible", "dept"}, {"responsible", "name"}, {"org", NULL},
    {"dept", NULL},          {"email", NULL},         {"phone", NULL},
};
#define NPATHS (sizeof paths / sizeof *paths)

/* What the SQL gave: the string at the path, "" for anything else. */
static void sqlite_answer(sqlite3 *db, const char *doc, const char *k1, const char *k2, char *out,
                          size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "$.%s%s%s", k1, k2 ? "." : "", k2 ? k2 : "");
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT CASE WHEN json_valid(?1) THEN json_extract(?1, ?2) "
                                        "END",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static void test_jsonpick_agrees_with_sqlite_json_extract(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t d = 0; d < sizeof docs / sizeof *docs; d++) {
        char got[NPATHS][256];
        struct jsonpick p[NPATHS];
        for (size_t i = 0; i < NPATHS; i++)
            p[i] = (struct jsonpick){paths[i][0], paths[i][1], got[i], sizeof got[i]};
        (void)jsonpick(docs[d], strlen(docs[d]), p, (int)NPATHS);
        for (size_t i = 0; i < NPATHS; i++) {
            char want[256];
            sqlite_answer(db, docs[d], paths[i][0], paths[i][1], want, sizeof want);
            if (strcmp(want, got[i]) != 0)
                fail_msg("document %zu path %s.%s: sqlite \"%s\", jsonpick \"%s\"", d, paths[i][0],
                         paths[i][1] ? paths[i][1] : "", want, got[i]);
        }
    }
    sqlite3_close(db);
}

static void test_jsonpick_invalid_gives_nothing_and_cuts_long_values(void **state)
{
    (void)state;
    char a[8] = "junk", b[4] = "junk";
    struct jsonpick p[] = {{"org", NULL, a, sizeof a}};
    assert_int_equal(jsonpick("{\"org\":\"x\"", 10, p, 1), -1);
    assert_string_equal(a, "");
    assert_int_equal(jsonpick(NULL, 0, p, 1), -1);
    assert_string_equal(a, "");
    assert_int_equal(jsonpick("{\"org\":\"abcdefghij\"}", 20, p, 1), 0);
    assert_string_equal(a, "abcdefg");
    struct jsonpick q[] = {{"org", NULL, b, sizeof b}};
    assert_int_equal(jsonpick("{\"org\":\"ab\\u0000cd\"}", 20, q, 1), 0);
    assert_string_equal(b, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonpick_agrees_with_sqlite_json_extract),
        cmocka_unit_test(test_jsonpick_invalid_gives_nothing_and_cuts_long_values),
    };
    return cmocka_run_group_tests_name("jsonpick", tests, NULL, NULL);
}
