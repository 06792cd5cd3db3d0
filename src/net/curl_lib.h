/* SPDX-License-Identifier: MIT */
/* libcurl, loaded by the first transfer (core/dynlib.h) rather than linked: with the
 * libraries it brings (LDAP, Kerberos, SSH, RTMP, HTTP/2, brotli) it cost every process
 * ~5 ms of dynamic loading, and most runs of shomei fetch nothing. The users (net/fetch,
 * net/perspective, net/smtp) call curl_load at their entry point and go on only when it
 * succeeded; they and their helpers then call curl_fn.curl_...(...). curl_easy_setopt and
 * curl_easy_getinfo are called as (curl_fn.curl_easy_setopt)(...), since curl.h makes their
 * names type-checking macros. */
#ifndef SM_NET_CURL_LIB_H
#define SM_NET_CURL_LIB_H
#include <curl/curl.h>
#include <stddef.h>

#include "core/dynlib.h"

#define CURL_LIB "libcurl.so.4"
#define CURL_FUNCS(X)                                                                              \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_init)                                                                              \
    X(curl_easy_perform)                                                                           \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_strerror)                                                                          \
    X(curl_free)                                                                                   \
    X(curl_global_init)                                                                            \
    X(curl_multi_add_handle)                                                                       \
    X(curl_multi_cleanup)                                                                          \
    X(curl_multi_info_read)                                                                        \
    X(curl_multi_init)                                                                             \
    X(curl_multi_perform)                                                                          \
    X(curl_multi_poll)                                                                             \
    X(curl_multi_remove_handle)                                                                    \
    X(curl_slist_append)                                                                           \
    X(curl_slist_free_all)                                                                         \
    X(curl_url)                                                                                    \
    X(curl_url_cleanup)                                                                            \
    X(curl_url_get)                                                                                \
    X(curl_url_set)

struct curl_fns {
    CURL_FUNCS(DYNLIB_FIELD)
};

/* The functions; set once curl_load has returned 0 (in this thread or one before it). */
extern struct curl_fns curl_fn;

/* Loads libcurl and runs curl_global_init, once per process (thread-safe). 0, or -1 with
 * why (n bytes) saying what is missing or that curl_global_init failed. */
int curl_load(char *why, size_t n);
#endif
