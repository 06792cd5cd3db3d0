/* SPDX-License-Identifier: MIT */
/* libcurl loaded when first used (curl_lib.h). */
#include "net/curl_lib.h"

#include <pthread.h>
#include <stdio.h>

static struct curl_fns fns;
static const char *const fn_names[] = {CURL_FUNCS(DYNLIB_NAME)};
_Static_assert(sizeof fns == DYNLIB_COUNT(fn_names) * sizeof(void *), "one slot per name");
static const struct curl_fns *loaded; /* &fns once loaded and initialized */
static char lib_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    if (dynlib_load(CURL_LIB, fn_names, DYNLIB_COUNT(fn_names), &fns, lib_error, sizeof lib_error) <
        0)
        return;
    if (fns.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(lib_error, sizeof lib_error, "curl_global_init failed");
        return;
    }
    loaded = &fns;
}

const struct curl_fns *curl_lib(char *why, size_t n)
{
    pthread_once(&once, load);
    if (loaded == NULL && why != NULL && n > 0)
        snprintf(why, n, "%s", lib_error);
    return loaded;
}

const struct curl_fns *curl_loaded(void) { return loaded; }
