/* SPDX-License-Identifier: MIT */
/* Counting allocator wrappers; see failalloc.h. Thread-safe counters, kept only once a test
 * has called failalloc_set: otherwise every allocation of every thread would write the one
 * shared counter, whose cache line the cores of a multi-threaded run would pass back and
 * forth (shomei issue's signing threads allocate for every certificate). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"

static atomic_int armed; /* failalloc_set was called: count */
static atomic_long fail_at;
static atomic_long count;

static int should_fail(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return 0;
    long n = atomic_fetch_add(&count, 1) + 1;
    long f = atomic_load(&fail_at);
    return f > 0 && n == f;
}

void failalloc_set(long nth)
{
    atomic_store(&armed, 1);
    atomic_store(&count, 0);
    atomic_store(&fail_at, nth);
}

long failalloc_count(void) { return atomic_load(&count); }

void *sm_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *sm_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}
void *sm_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }

char *sm_strndup(const char *s, size_t n)
{
    size_t l = strnlen(s, n);
    char *d = sm_malloc(l + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, l);
    d[l] = '\0';
    return d;
}

char *sm_strdup(const char *s) { return sm_strndup(s, strlen(s)); }
