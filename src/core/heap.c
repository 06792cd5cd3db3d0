/* SPDX-License-Identifier: MIT */
/* The heap of a short batch process (heap.h). */
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/heap.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

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
        uintptr_t a = ((uintptr_t)before + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t b = (uintptr_t)after & ~(HUGE_PAGE - 1);
        advised = b > a && madvise((void *)a, b - a, MADV_HUGEPAGE) == 0;
    }
    free(p);
    return advised;
}
