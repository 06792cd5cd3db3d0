/* SPDX-License-Identifier: MIT */
/* Outgoing mail (R-NOT-1): builds one RFC 5322 message (RFC 2047 encoded headers, UTF-8
 * text/plain body in base64, multipart/mixed with a base64 attachment) and delivers it
 * to one recipient through libcurl's SMTP (smtp:// with STARTTLS none|try|required, or
 * smtps://, optional AUTH). Nothing here touches the database. */
#ifndef SM_SMTP_H
#define SM_SMTP_H
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct config;

enum smtp_starttls { SMTP_STARTTLS_NONE, SMTP_STARTTLS_TRY, SMTP_STARTTLS_REQUIRED };

/* The [mail] settings needed to deliver. Strings point into the config (not owned). */
struct smtp_config {
    const char *url; /* smtp://host:port or smtps://host:port */
    enum smtp_starttls starttls;
    int tls_verify;       /* 0 only for tests and development ([mail] tls_verify=false) */
    const char *username; /* "" = no AUTH */
    const char *password;
    const char *from;      /* envelope sender and From address */
    const char *from_name; /* UTF-8 display name, may be "" */
    long timeout;          /* seconds for one delivery */
};

/* Reads and checks [mail] url, starttls, tls_verify, username, password, from, from_name
 * and timeout. -SM_E_CONFIG naming the key when one is invalid. */
int smtp_config_load(const struct config *c, struct smtp_config *out, struct sm_err *e);

/* One message. Every header value is checked: CR, LF or other control characters are
 * refused (-SM_E_INVALID naming the header), so no header can be injected. */
struct smtp_message {
    const char *from, *from_name; /* from_name may be NULL or "" */
    const char *to;
    const char *subject;    /* UTF-8 */
    const char *body;       /* UTF-8 text, LF or CRLF line ends */
    const char *message_id; /* "<...@...>" (see smtp_message_id) */
    time_t date;
    const char *attach_name; /* NULL = no attachment */
    const char *attach_type;
    const unsigned char *attach;
    size_t attach_len;
};

/* A new random Message-ID "<32 hex@domain>" with the domain of from; out >= 128 bytes. */
int smtp_message_id(const char *from, char *out, size_t n, struct sm_err *e);

/* Appends header "name: value" CRLF to out. ASCII values stay plain (folded at spaces
 * when longer than 78 columns); others become RFC 2047 UTF-8 B encoded-words of at most 75
 * characters, split on character boundaries, one per folded line of at most 76 columns.
 * -SM_E_INVALID for control characters or invalid UTF-8. */
int smtp_header_text(struct buf *out, const char *name, const char *value, struct sm_err *e);

/* Appends base64 of data in lines of at most 76 characters, each ending in CRLF. */
int smtp_base64_lines(struct buf *out, const unsigned char *data, size_t len);

/* Builds the whole message (headers, CRLF line ends) into out. */
int smtp_build(const struct smtp_message *m, struct buf *out, struct sm_err *e);

/* Delivers data (a message from smtp_build) from cfg->from to one recipient.
 * -SM_E_IO with the server's answer or curl's error in e->detail on failure. */
int smtp_send(const struct smtp_config *cfg, const char *to, const char *data, size_t len,
              struct sm_err *e);

#endif
