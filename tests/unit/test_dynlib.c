/* SPDX-License-Identifier: MIT */
/* core/dynlib: a library loaded when first used gives typed pointers to its functions, and
 * a missing library or function is told by name with every slot left empty. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/dynlib.h"

#define LIBC_FUNCS(X) X(strlen) X(strcmp)
static const char *const libc_names[] = {LIBC_FUNCS(DYNLIB_NAME)};

static void test_dynlib_loads_typed_functions(void **state)
{
    (void)state;
    struct {
        LIBC_FUNCS(DYNLIB_FIELD)
    } f;
    memset(&f, 0, sizeof f);
    char why[256] = "";
    assert_int_equal(
        dynlib_load("libc.so.6", libc_names, DYNLIB_COUNT(libc_names), &f, why, sizeof why), 0);
    assert_non_null(f.strlen);
    assert_int_equal(f.strlen("shomei"), 6);
    assert_true(f.strcmp("a", "b") < 0);
}

static void test_dynlib_missing_function_is_named(void **state)
{
    (void)state;
    static const char *const names[] = {"strlen", "no_such_function_in_libc"};
    void *slots[2] = {(void *)1, (void *)1};
    char why[256] = "";
    assert_int_equal(dynlib_load("libc.so.6", names, 2, slots, why, sizeof why), -1);
    assert_non_null(strstr(why, "libc.so.6 has no no_such_function_in_libc"));
    assert_null(slots[0]);
    assert_null(slots[1]);
}

static void test_dynlib_missing_library_is_named(void **state)
{
    (void)state;
    void *slot = (void *)1;
    char why[256] = "";
    assert_int_equal(dynlib_load("libshomei-absent.so.9", libc_names, 1, &slot, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "libshomei-absent.so.9"));
    assert_ptr_equal(slot, (void *)1); /* nothing written */
}

/* dynlib_get: one load however many threads ask at once; a failure is kept with its why. */
static struct {
    LIBC_FUNCS(DYNLIB_FIELD)
} shared;
DYNLIB_DEFINE(libc_lib, "libc.so.6", LIBC_FUNCS, shared); /* as the library users do */

static void *get_and_call(void *arg)
{
    int *ok = arg;
    *ok = dynlib_get(&libc_lib) == 0 && shared.strlen("abc") == 3;
    return NULL;
}

static void test_dynlib_get_once_from_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    int ok[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, get_and_call, &ok[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(ok[i], 1);
    }
    assert_int_equal(dynlib_get(&libc_lib), 0);
}

static void test_dynlib_get_failure_kept(void **state)
{
    (void)state;
    static const char *const names[] = {"strlen", "no_such_function_in_libc"};
    static void *slots[2];
    static struct dynlib bad = DYNLIB_INIT("libc.so.6", names, slots);
    assert_int_equal(dynlib_get(&bad), -1);
    assert_non_null(strstr(bad.why, "has no no_such_function_in_libc"));
    assert_int_equal(dynlib_get(&bad), -1); /* not tried again, still told */
    assert_non_null(strstr(bad.why, "no_such_function_in_libc"));
    assert_null(slots[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynlib_loads_typed_functions),
        cmocka_unit_test(test_dynlib_missing_function_is_named),
        cmocka_unit_test(test_dynlib_missing_library_is_named),
        cmocka_unit_test(test_dynlib_get_once_from_threads),
        cmocka_unit_test(test_dynlib_get_failure_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
