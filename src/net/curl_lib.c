/* SPDX-License-Identifier: MIT */
/* libcurl loaded when first used (curl_lib.h). */
#include "net/curl_lib.h"

#include <pthread.h>
#include <stdio.h>

struct curl_fns curl_fn;
DYNLIB_DEFINE(lib, CURL_LIB, CURL_FUNCS, curl_fn);
static int init_failed;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    init_failed = curl_fn.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK;
}

int curl_load(char *why, size_t n)
{
    if (dynlib_get(&lib) < 0) {
        snprintf(why, n, "%s", lib.why);
        return -1;
    }
    pthread_once(&init_once, global_init);
    if (init_failed) {
        snprintf(why, n, "curl_global_init failed");
        return -1;
    }
    return 0;
}
