/* SPDX-License-Identifier: MIT */
/* The heap of a short batch process (bulk issuance from the command line). */
#ifndef SM_HEAP_H
#define SM_HEAP_H
#include <stddef.h>

/* Prepares the process heap for a batch that will need about `bytes` at its peak:
 * freed memory stays in the heap for the next allocation instead of going back to the
 * kernel, large blocks come from the heap too, and the first `bytes` of it are asked
 * to be backed by huge pages (MADV_HUGEPAGE; the kernel may decline). Each fresh page
 * costs a page fault, so a batch that touches tens of megabytes (the CA key's scrypt
 * alone takes 32 MiB) pays for thousands of them otherwise. For a process that ends
 * with its batch, not for a server. Returns 1 when the huge-page advice was given (the
 * kernel may still decline it), 0 when it was not: the allocator is not the C library's
 * own heap (for example under a sanitizer), the heap could not grow in place, or the
 * kernel knows no huge pages. */
int heap_for_batch(size_t bytes);

/* The same for the calling thread's own heap (the C library gives each thread an arena),
 * once heap_for_batch has prepared the process: the arena is grown by `bytes` in one step
 * and the block asked to be backed by huge pages, then freed, so the thread's allocations
 * come from it. Without it a thread's arena grows a page or a few at a time, each step a
 * system call (mprotect) and a page fault. A no-op (0) when heap_for_batch was not called
 * or did not take effect; 1 when the advice was given. */
int heap_for_thread(size_t bytes);

#endif
