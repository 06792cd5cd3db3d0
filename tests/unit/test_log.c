/* SPDX-License-Identifier: MIT */
/* core/log to a file, issue 8 item 18 (the access log grows without bound): size-based
 * rotation into FILE.1 .. FILE.KEEP with the oldest dropped, the reopen that an external
 * logrotate's SIGHUP triggers, and back to the old stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdir.h"

#include "core/log.h"

static off_t size_of(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static int count_lines(const char *dir, const char *name, const char *needle)
{
    char p[512], line[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    int n = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        n += strstr(line, needle) != NULL;
    if (f != NULL)
        fclose(f);
    return n;
}

static void test_log_file_rotates_by_size(void **state)
{
    (void)state;
    char dir[128], path[256];
    assert_int_equal(testdir_make(dir, sizeof dir, "log"), 0);
    snprintf(path, sizeof path, "%s/serve.log", dir);
    struct sm_err e = {0};
    assert_int_equal(log_open_file(path, 4000, 2, &e), 0);
    for (int i = 0; i < 400; i++) /* about 40 kB: many rotations */
        log_info("request", "method", "GET", "path", "/healthz", "status", "200");
    log_info("last line");
    log_close_file();
    /* the current file and exactly two rotated ones, none much past the limit */
    assert_true(size_of(dir, "serve.log") > 0);
    assert_true(size_of(dir, "serve.log") < 4000 + 200);
    assert_true(size_of(dir, "serve.log.1") >= 4000);
    assert_true(size_of(dir, "serve.log.1") < 4000 + 200);
    assert_true(size_of(dir, "serve.log.2") >= 4000);
    assert_int_equal(size_of(dir, "serve.log.3"), -1);
    assert_int_equal(count_lines(dir, "serve.log", "msg=\"last line\""), 1);
    /* after log_close_file nothing more reaches the file */
    off_t before = size_of(dir, "serve.log");
    log_info("to the old stderr");
    assert_int_equal(size_of(dir, "serve.log"), before);
    testdir_remove(dir);
}

static void test_log_reopen_after_external_move(void **state)
{
    (void)state;
    char dir[128], path[256], moved[256];
    assert_int_equal(testdir_make(dir, sizeof dir, "log"), 0);
    snprintf(path, sizeof path, "%s/serve.log", dir);
    snprintf(moved, sizeof moved, "%s/serve.log-old", dir);
    struct sm_err e = {0};
    assert_int_equal(log_open_file(path, 0, 5, &e), 0);
    log_info("before the move");
    assert_int_equal(rename(path, moved), 0); /* what logrotate does */
    log_info("still to the moved file");
    log_reopen(); /* what the SIGHUP handler of serve calls */
    log_info("after the reopen");
    log_close_file();
    assert_int_equal(count_lines(dir, "serve.log-old", "before the move"), 1);
    assert_int_equal(count_lines(dir, "serve.log-old", "still to the moved file"), 1);
    assert_int_equal(count_lines(dir, "serve.log", "after the reopen"), 1);
    assert_int_equal(count_lines(dir, "serve.log", "before the move"), 0);
    testdir_remove(dir);
}

static void test_log_open_file_refuses(void **state)
{
    (void)state;
    struct sm_err e = {0};
    assert_int_equal(log_open_file("", 0, 5, &e), -SM_E_CONFIG);
    assert_int_equal(log_open_file("/tmp/x.log", 10, 0, &e), -SM_E_CONFIG);
    assert_int_equal(log_open_file("/nonexistent-dir/x/serve.log", 0, 5, &e), -SM_E_IO);
    assert_string_equal(e.field, "log.file");
    log_close_file();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_file_rotates_by_size),
        cmocka_unit_test(test_log_reopen_after_external_move),
        cmocka_unit_test(test_log_open_file_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
