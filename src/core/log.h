/* SPDX-License-Identifier: MIT */
/* Structured logs: one line per event, "ts=... level=... msg=... key=value ...",
 * to stderr. Values are quoted when they contain spaces; control bytes are escaped. */
#ifndef SM_LOG_H
#define SM_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level l);
/* kv: NULL-terminated list of key, value pairs (const char *). A line with "code" =
 * SM_E_STORAGE_FULL or SM_E_DB_BUSY is written at most once a minute per code (the next
 * one written counts the dropped ones): such conditions fail every request while they last. */
void log_event(enum log_level l, const char *msg, ...);

#define log_info(msg, ...)  log_event(LOG_INFO, msg, ##__VA_ARGS__, (const char *)0)
#define log_warn(msg, ...)  log_event(LOG_WARN, msg, ##__VA_ARGS__, (const char *)0)
#define log_error(msg, ...) log_event(LOG_ERROR, msg, ##__VA_ARGS__, (const char *)0)
#define log_debug(msg, ...) log_event(LOG_DEBUG, msg, ##__VA_ARGS__, (const char *)0)

#endif
