/* SPDX-License-Identifier: MIT */
/* libmicrohttpd, loaded when a process starts to listen (core/dynlib.h) rather than linked:
 * with GnuTLS and the libraries it brings it cost every other run of shomei (every CLI
 * call, every bulk issuance) ~5 ms of dynamic loading. The three listeners (web/server,
 * web/metrics, cli/cmd_perspective) call mhd_load before their first MHD call; the rest of
 * the web layer runs inside a started daemon and calls mhd_fn.MHD_...(...). */
#ifndef SM_WEB_MHD_LIB_H
#define SM_WEB_MHD_LIB_H
#include <microhttpd.h>

#include "core/dynlib.h"
#include "core/err.h"

#define MHD_LIB "libmicrohttpd.so.12"
#define MHD_FUNCS(X)                                                                               \
    X(MHD_add_response_header)                                                                     \
    X(MHD_create_response_from_buffer)                                                             \
    X(MHD_create_response_from_buffer_with_free_callback)                                          \
    X(MHD_create_response_from_callback)                                                           \
    X(MHD_create_response_from_fd)                                                                 \
    X(MHD_destroy_response)                                                                        \
    X(MHD_get_connection_info)                                                                     \
    X(MHD_get_connection_values)                                                                   \
    X(MHD_get_connection_values_n)                                                                 \
    X(MHD_get_daemon_info)                                                                         \
    X(MHD_is_feature_supported)                                                                    \
    X(MHD_lookup_connection_value)                                                                 \
    X(MHD_queue_response)                                                                          \
    X(MHD_start_daemon)                                                                            \
    X(MHD_stop_daemon)

struct mhd_fns {
    MHD_FUNCS(DYNLIB_FIELD)
};

/* The functions; set once mhd_load has returned 0 (in this thread or one before it). */
extern struct mhd_fns mhd_fn;

/* Loads libmicrohttpd once per process (thread-safe). 0, or -SM_E_CONFIG naming what is
 * missing. */
int mhd_load(struct sm_err *e);
#endif
