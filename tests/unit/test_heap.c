/* SPDX-License-Identifier: MIT */
/* core/heap: the heap of a bulk-issuance run (issue 8 item 29: page faults were a sixth
 * of a one-thread run's CPU). With the C library's allocator the grown heap carries the
 * huge-page advice, memory freed stays in the process and a block larger than the mmap
 * threshold comes from the heap; under a sanitizer nothing is changed. A thread's own
 * arena is prepared the same way (heap_for_thread), once the process heap is. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/heap.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* 1 if a mapping of /proc/self/smaps that contains addr has "hg" (MADV_HUGEPAGE). */
static int advised_at(const void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    int in = 0, hg = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        /* a mapping's first line: "lo-hi perms ..." in hex */
        char *end = NULL;
        unsigned long long lo = strtoull(line, &end, 16);
        if (end != line && *end == '-') {
            char *end2 = NULL;
            unsigned long long hi = strtoull(end + 1, &end2, 16);
            in = end2 != end + 1 && *end2 == ' ' && (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
        } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            hg = strstr(line, " hg") != NULL;
        }
    }
    fclose(f);
    return hg;
}

static int thp_available(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char line[128] = "";
    if (f == NULL)
        return 0;
    int ok = fgets(line, sizeof line, f) != NULL && strstr(line, "[never]") == NULL;
    fclose(f);
    return ok;
}

static void test_heap_for_batch(void **state)
{
    (void)state;
    const size_t mib = (size_t)1 << 20;
    char *brk0 = sbrk(0);
    int advised = heap_for_batch(16 * mib);
    if (SANITIZED) {
        /* The sanitizer's allocator: no advice and the program break never moved. */
        assert_int_equal(advised, 0);
        assert_ptr_equal(sbrk(0), brk0);
    } else {
        /* Where the kernel has huge pages the advice is given (with them compiled in
         * but switched off it may be given too: it is only advice). */
        assert_true(advised || !thp_available());
        char *brk1 = sbrk(0);
        assert_true(brk1 >= brk0 + 16 * mib); /* the heap grew in place */
        /* A block above the default mmap threshold now comes from the heap (below the
         * break, not from a mapping of its own), inside the advised part, and freeing it
         * gives nothing back to the kernel. */
        char *big = malloc(8 * mib);
        assert_non_null(big);
        assert_true(big < brk1 && big + 8 * mib <= brk1 && (size_t)(brk1 - big) < 32 * mib);
        if (advised)
            assert_true(advised_at(big + 4 * mib));
        memset(big, 0x5a, 8 * mib);
        free(big);
        assert_ptr_equal(sbrk(0), brk1);
    }
    /* Nonsense sizes change nothing. */
    assert_int_equal(heap_for_batch(0), 0);
    assert_int_equal(heap_for_batch((size_t)-1), 0);
    /* Allocation still works either way. */
    char *p = malloc(3 * mib);
    assert_non_null(p);
    memset(p, 1, 3 * mib);
    free(p);
}

struct in_thread {
    int advised;
    int big_advised; /* a later block of the thread lies in the advised part */
};

static void *thread_body(void *arg)
{
    struct in_thread *t = arg;
    const size_t mib = (size_t)1 << 20;
    t->advised = heap_for_thread(16 * mib);
    char *big = malloc(8 * mib);
    if (big != NULL) {
        memset(big, 0x5a, 8 * mib);
        t->big_advised = advised_at(big + 4 * mib);
        free(big);
    }
    return NULL;
}

static struct in_thread run_thread(void)
{
    struct in_thread t = {-1, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_body, &t), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    return t;
}

/* Before heap_for_batch (the first test of this program) a thread's heap is left alone. */
static void test_heap_for_thread_unprepared(void **state)
{
    (void)state;
    struct in_thread t = run_thread();
    assert_int_equal(t.advised, 0);
}

static void test_heap_for_thread(void **state)
{
    (void)state;
    struct in_thread t = run_thread(); /* after test_heap_for_batch */
    if (SANITIZED) {
        assert_int_equal(t.advised, 0);
    } else {
        /* the thread's arena grew once for the block; the next block of the thread
         * comes from it, inside the advised part */
        assert_true(t.advised || !thp_available());
        if (t.advised)
            assert_int_equal(t.big_advised, 1);
    }
    assert_int_equal(heap_for_thread(0), 0);
    assert_int_equal(heap_for_thread((size_t)-1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_for_thread_unprepared),
        cmocka_unit_test(test_heap_for_batch),
        cmocka_unit_test(test_heap_for_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
