/* SPDX-License-Identifier: MIT */
/* The mail outbox (R-NOT-1, R-NOT-2): notices are queued as rows of table outbox in the
 * same transaction as the change they announce, and a worker (jobs/mailer) claims due rows
 * with a lease, sends them and marks them sent or failed (back-off, then dead). The rows
 * are the record of each notice, listed with their order. All SQL for outbox lives here. */
#ifndef SM_OUTBOX_H
#define SM_OUTBOX_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct outbox_mail {
    const char *to;          /* one RFC 5321 address */
    const char *lang;        /* "ja" or "en" */
    const char *tmpl;        /* template name: web/mail/<tmpl>.<lang>.txt */
    const char *vars_json;   /* JSON object of template variables, NULL = {} */
    int64_t order_id;        /* the order the notice belongs to, 0 = none (R-NOT-2) */
    const char *attach_name; /* optional attachment file name, NULL = none */
    const unsigned char *attach;
    size_t attach_len;
    const char *attach_type;
};

/* Queues one mail inside the caller's open transaction (db_begin): it commits or
 * rolls back with the change it announces. Returns 0 or negative (SM_E_*). */
/* Checks (-SM_E_INVALID / -SM_E_TOO_LARGE / -SM_E_NOTFOUND naming the field, nothing
 * stored): to is a plain address without CR/LF, lang ja|en, the template exists, vars_json
 * is an object of strings and numbers holding every {{var}} the template uses, the
 * attachment's name and type fit in a MIME header. -SM_E_INTERNAL outside a transaction. */
int outbox_enqueue(struct db *db, const struct outbox_mail *m, int64_t *id, struct sm_err *e);

/* Limits checked by outbox_enqueue (-SM_E_INVALID / -SM_E_TOO_LARGE naming the field). */
/* 1 if s may name a mail template or its language: [a-z0-9_-]{1,64} (it becomes part of
 * the path web/mail/TMPL.LANG.txt). */
int outbox_name_ok(const char *s);
#define OUTBOX_MAX_VARS   65536
#define OUTBOX_MAX_ATTACH (10 * 1024 * 1024)

/* A stored mail. Every pointer is owned by the row (NULL when the column is NULL). */
struct outbox_row {
    int64_t id, created_at, order_id;
    char *to, *lang, *tmpl, *vars_json;
    char *attach_name, *attach_type;
    unsigned char *attach;
    size_t attach_len;
    char *state; /* "queued" | "sent" | "dead" */
    int64_t attempts, next_attempt_at, sent_at;
    char *last_error, *message_id, *claimed_by;
    int64_t claimed_until;
};
void outbox_row_free(struct outbox_row *r);               /* frees the members and r */
void outbox_rows_free(struct outbox_row *rows, size_t n); /* an array from claim or list */

/* Claims up to max queued mails due at clock_now() whose lease is free (claimed_until <
 * now) for node, until now + lease_seconds. Each row is taken with a conditional UPDATE,
 * so two nodes never hold the same mail at once (SQLite and PostgreSQL). Runs outside a
 * transaction. *rows (free with outbox_rows_free) and *n may be empty. */
int outbox_claim(struct db *db, const char *node, int64_t lease_seconds, size_t max,
                 struct outbox_row **rows, size_t *n, struct sm_err *e);

/* Marks a mail this node holds as sent at clock_now() with its Message-ID, releasing the
 * lease. -SM_E_CONFLICT when the node no longer holds it. */
int outbox_mark_sent(struct db *db, int64_t id, const char *node, const char *message_id,
                     struct sm_err *e);

/* Records a failed attempt of a mail this node holds: attempts + 1, last_error, and
 * next_attempt_at = now + outbox_backoff(attempts); the mail is dead once attempts reach
 * max_attempts (a permanent failure passes max_attempts = 0: dead at once). *dead (may be
 * NULL) tells which. -SM_E_CONFLICT when the node no longer holds it. */
int outbox_mark_failed(struct db *db, int64_t id, const char *node, const char *error,
                       int64_t max_attempts, int *dead, struct sm_err *e);

/* Seconds to wait after the attempts-th failed attempt: 1, 2, 4, ... minutes, capped at
 * 60 minutes. attempts < 1 counts as 1. */
int64_t outbox_backoff(int64_t attempts);

/* Mails of one order (R-NOT-2, for order pages), oldest first, at most limit. */
int outbox_list_by_order(struct db *db, int64_t order_id, size_t limit, struct outbox_row **rows,
                         size_t *n, struct sm_err *e);
/* Mails in state (NULL = every state), newest first, at most limit. */
int outbox_list(struct db *db, const char *state, size_t limit, struct outbox_row **rows, size_t *n,
                struct sm_err *e);
/* Number of mails in state ("queued", "sent" or "dead"). */
int outbox_count(struct db *db, const char *state, int64_t *count, struct sm_err *e);

#endif
