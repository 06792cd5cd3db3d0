/* SPDX-License-Identifier: MIT */
/* Mail (R-NOT-1, R-NOT-2): templates and the delivery of queued notices.
 * Templates are web/mail/<name>.<lang>.txt, embedded as assets. The first line is
 * "Subject: <text>", then one empty line, then the UTF-8 body. {{var}} (spaces inside the
 * braces allowed) takes the value of var from a JSON object of strings and numbers; an
 * unknown template or a missing variable is an error. Values are plain text. */
#ifndef SM_RA_MAIL_H
#define SM_RA_MAIL_H
#include <stddef.h>

#include "core/err.h"

/* A rendered mail. Both strings are owned (free with mail_text_free). The subject has no
 * CR, LF or other control characters; the body uses LF line ends. */
struct mail_text {
    char *subject;
    char *body;
};

/* Renders web/mail/<tmpl>.<lang>.txt with vars_json (NULL = {}). Errors: -SM_E_NOTFOUND
 * (field "tmpl") for an unknown template, -SM_E_INVALID naming the variable for a missing
 * variable, a variable that is not a string or number, or a control character that would
 * go into the subject (header injection); -SM_E_NOMEM. */
int mail_render(const char *tmpl, const char *lang, const char *vars_json, struct mail_text *out,
                struct sm_err *e);
/* The same for template text given directly (len bytes, need not be NUL-terminated). */
int mail_render_text(const char *text, size_t len, const char *vars_json, struct mail_text *out,
                     struct sm_err *e);
void mail_text_free(struct mail_text *m);

struct config;
struct db;

/* Sends every outbox mail due now once, as node "host/pid": claims them in batches of
 * [mail] batch with a lease (store/outbox), renders, builds and sends each (net/smtp) and
 * marks it sent with its Message-ID, or failed (back-off; dead after [mail] max_attempts;
 * a mail that cannot be rendered or built is dead at once). *sent and *failed (may be
 * NULL) count this run. -SM_E_CONFIG when [mail] is disabled or invalid; a database error
 * stops the run (claimed mails are retried after their lease). */
int mail_send_due(struct db *db, const struct config *cfg, int *sent, int *failed,
                  struct sm_err *e);
/* Checks the [mail] settings mail_send_due needs (enabled, SMTP, retries, batch). */
int mail_settings_check(const struct config *cfg, struct sm_err *e);

#endif
