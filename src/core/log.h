/* SPDX-License-Identifier: MIT */
/* Structured logs: one line per event, "ts=... level=... msg=... key=value ...",
 * to stderr. Values are quoted when they contain spaces; control bytes are escaped.
 * The server's access log is these lines (msg=request). */
#ifndef SM_LOG_H
#define SM_LOG_H
#include <stdint.h>

#include "core/err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_PATH_MAX 4096

void log_set_level(enum log_level l);
/* Sends stderr (these lines and anything else written there) to the file path, appended
 * and created 0640. When max_bytes > 0 the file is rotated once it reaches that size:
 * PATH -> PATH.1 -> ... -> PATH.keep (the oldest is dropped; keep 1..99). Call before
 * threads start. 0, or -SM_E_CONFIG / -SM_E_IO (stderr unchanged). */
int log_open_file(const char *path, int64_t max_bytes, int keep, struct sm_err *e);
/* Opens the log file again under its name (after an external logrotate moved it); a
 * no-op without log_open_file. Async-signal-safe: meant for a SIGHUP handler. */
void log_reopen(void);
/* Back to the stderr the process had before log_open_file (tests). */
void log_close_file(void);
/* kv: NULL-terminated list of key, value pairs (const char *). A line with "code" =
 * SM_E_STORAGE_FULL or SM_E_DB_BUSY is written at most once a minute per code (the next
 * one written counts the dropped ones): such conditions fail every request while they last. */
void log_event(enum log_level l, const char *msg, ...);

#define log_info(msg, ...)  log_event(LOG_INFO, msg, ##__VA_ARGS__, (const char *)0)
#define log_warn(msg, ...)  log_event(LOG_WARN, msg, ##__VA_ARGS__, (const char *)0)
#define log_error(msg, ...) log_event(LOG_ERROR, msg, ##__VA_ARGS__, (const char *)0)
#define log_debug(msg, ...) log_event(LOG_DEBUG, msg, ##__VA_ARGS__, (const char *)0)

#endif
