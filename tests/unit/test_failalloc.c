/* SPDX-License-Identifier: MIT */
/* core/failalloc: nothing is counted until a test arms it (so a program's threads never
 * share a counter they would all write), then every allocation is counted, from any thread,
 * and the nth one fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/failalloc.h"

/* Runs first (cmocka keeps the order): failalloc_set has not been called in this process. */
static void test_failalloc_counts_nothing_until_armed(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        free(sm_malloc(16));
    assert_int_equal(failalloc_count(), 0);
    failalloc_set(0);
    for (int i = 0; i < 10; i++)
        free(sm_malloc(16));
    free(sm_calloc(2, 8));
    free(sm_strdup("x"));
    assert_int_equal(failalloc_count(), 12);
}

static void test_failalloc_fails_the_nth(void **state)
{
    (void)state;
    failalloc_set(3);
    void *a = sm_malloc(8), *b = sm_calloc(1, 8), *c = sm_strdup("three"), *d = sm_malloc(8);
    failalloc_set(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_non_null(d);
    free(a);
    free(b);
    free(d);
}

static void *allocate_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10000; i++)
        free(sm_malloc(32));
    return NULL;
}

static void test_failalloc_counts_every_thread(void **state)
{
    (void)state;
    failalloc_set(0);
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, allocate_many, NULL), 0);
    allocate_many(NULL);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(failalloc_count(), 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failalloc_counts_nothing_until_armed),
        cmocka_unit_test(test_failalloc_fails_the_nth),
        cmocka_unit_test(test_failalloc_counts_every_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
