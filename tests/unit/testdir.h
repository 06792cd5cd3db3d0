/* SPDX-License-Identifier: MIT */
/* Temporary directories of unit tests: made with mkdtemp under $TMPDIR (or /tmp) and
 * removed with all they hold. Static functions; include in the test file that uses them. */
#ifndef TEST_TESTDIR_H
#define TEST_TESTDIR_H
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Makes "$TMPDIR/shomei-<name>.??????" (the six characters chosen by mkdtemp) into out.
 * 0, or -1 when it does not fit or cannot be made. */
__attribute__((unused)) static int testdir_make(char *out, size_t n, const char *name)
{
    const char *t = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    int w = snprintf(out, n, "%s/shomei-%s.", t, name);
    if (w < 0 || (size_t)w + 7 > n)
        return -1;
    memset(out + w, 'X', 6); /* the mkdtemp template */
    out[w + 6] = '\0';
    return mkdtemp(out) == NULL ? -1 : 0;
}

static int testdir_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

/* Removes dir and everything below it (NULL or "" is a no-op). */
__attribute__((unused)) static void testdir_remove(const char *dir)
{
    if (dir != NULL && dir[0] != '\0')
        nftw(dir, testdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
