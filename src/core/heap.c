/* SPDX-License-Identifier: MIT */
/* The heap of a short batch process (heap.h). */
#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/heap.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

static atomic_int prepared; /* heap_for_batch set the allocator up: no trim, no mmap */

/* Asks for huge pages on the 2 MiB-aligned part of [from, to). 1 when given. */
static int advise(uintptr_t from, uintptr_t to)
{
    uintptr_t a = (from + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t b = to & ~(HUGE_PAGE - 1);
    return b > a && madvise((void *)a, b - a, MADV_HUGEPAGE) == 0;
}

int heap_for_batch(size_t bytes)
{
    if (bytes == 0 || bytes > (size_t)INT_MAX / 2)
        return 0;
    /* Nothing back to the kernel before the process ends, and no block of its own
     * mapping: a freed block (the scrypt buffer) is reused by the next ones. */
    if (mallopt(M_TRIM_THRESHOLD, INT_MAX) != 1 || mallopt(M_MMAP_MAX, 0) != 1)
        return 0;
    char *before = sbrk(0);
    char *p = malloc(bytes);
    char *after = sbrk(0);
    int advised = 0;
    /* Only when the heap itself grew for the block (it may start in the old top). */
    if (p != NULL && before != (char *)-1 && after != (char *)-1 && after > before) {
        advised = advise((uintptr_t)before, (uintptr_t)after);
        atomic_store(&prepared, 1); /* the C library's own heap: threads can do the same */
    }
    free(p);
    return advised;
}

int heap_for_thread(size_t bytes)
{
    if (!atomic_load(&prepared) || bytes == 0 || bytes > (size_t)INT_MAX / 2)
        return 0;
    /* with mmap off, the block comes from this thread's arena, which grows for it once;
     * freed, it stays there (no trim) for the thread's next allocations */
    char *p = malloc(bytes);
    if (p == NULL)
        return 0;
    int advised = advise((uintptr_t)p, (uintptr_t)p + bytes);
    free(p);
    return advised;
}
