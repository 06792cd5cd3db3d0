/* SPDX-License-Identifier: MIT */
/* Allocation wrappers with a test mode that fails the Nth allocation, so that
 * unit tests can prove error paths (failalloc_set). Nothing is counted before the first
 * failalloc_set, which programs other than tests never call. */
#ifndef SM_FAILALLOC_H
#define SM_FAILALLOC_H
#include <stddef.h>

void *sm_malloc(size_t n);
void *sm_calloc(size_t n, size_t size);
void *sm_realloc(void *p, size_t n);
char *sm_strdup(const char *s);
char *sm_strndup(const char *s, size_t n);

/* Fail the nth allocation from now (1 = the next one); 0 turns failing off. */
void failalloc_set(long nth);
/* Number of allocations since the last failalloc_set (0 before the first). */
long failalloc_count(void);

#endif
