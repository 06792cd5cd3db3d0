/* SPDX-License-Identifier: MIT */
/* Connection deadlines that bytes do not extend (issue 8 item 10). libmicrohttpd's
 * timeout counts inactivity only, so a client that sends one header byte every few seconds
 * holds its connection for ever. The guard notes when each connection began waiting for a
 * request head (accept, or the end of the previous request) and for its body; a thread
 * shuts down the socket of a connection past its deadline, and libmicrohttpd then sees the
 * end of the stream and closes the connection itself. Thread-safe: one mutex. */
#ifndef SM_WEB_GUARD_H
#define SM_WEB_GUARD_H
#include <microhttpd.h>

#include "core/err.h"

struct guard;

/* Starts the guard thread: a head must arrive within head_s seconds, a body within body_s
 * after its head. The caller stops it with guard_stop after MHD_stop_daemon. */
int guard_start(unsigned head_s, unsigned body_s, struct guard **out, struct sm_err *e);
/* Joins the thread and frees g (NULL is a no-op). Every connection must be closed. */
void guard_stop(struct guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe);
/* The request head of c is complete: its body deadline starts. */
void guard_head_done(struct guard *g, struct MHD_Connection *c);
/* An answer to c was queued: no deadline while it is sent. */
void guard_answered(struct guard *g, struct MHD_Connection *c);
/* The request on c ended: the connection waits for the next head. */
void guard_request_done(struct guard *g, struct MHD_Connection *c);
/* Connections closed for a missed deadline since the start (for tests and logs). */
unsigned long guard_closed(struct guard *g);

#endif
