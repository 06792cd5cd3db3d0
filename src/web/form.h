/* SPDX-License-Identifier: MIT */
/* Request form bodies: application/x-www-form-urlencoded and multipart/form-data,
 * parsed from a complete, size-capped body by bounded cursor parsers. Text fields must be
 * valid UTF-8 without NUL; file parts (with a filename) are kept as bytes.
 * The form owns copies of every value; free with form_free(). */
#ifndef SM_WEB_FORM_H
#define SM_WEB_FORM_H
#include <stddef.h>

#include "core/err.h"

#define FORM_MAX_FIELDS 64

struct form_field {
    char *name;  /* NUL-terminated UTF-8 */
    char *value; /* NUL-terminated (bytes of a file may contain NUL: use len) */
    size_t len;
    char *filename; /* NULL unless a multipart file part */
    char *type;     /* Content-Type of a multipart part, or NULL */
};

struct form {
    int n;
    struct form_field f[FORM_MAX_FIELDS];
};

/* Parses body according to content_type (the request header, parameters included).
 * Errors: -SM_E_INVALID with e->field naming the field (or "body") and e->detail saying
 * why: "utf8" in e->detail for text that is not UTF-8; -SM_E_TOO_LARGE past
 * FORM_MAX_FIELDS; -SM_E_NOMEM. An unsupported content type is -SM_E_INVALID, field "body". */
int form_parse(struct form *f, const char *content_type, const char *body, size_t len,
               struct sm_err *e);
/* Parses an urlencoded string (also used for query strings). */
int form_parse_urlencoded(struct form *f, const char *s, size_t len, struct sm_err *e);

/* The first field with this name, or NULL. */
const struct form_field *form_get(const struct form *f, const char *name);
void form_free(struct form *f);

/* 1 when s[0..len) is valid UTF-8 (no overlongs, surrogates or values past U+10FFFF)
 * and holds no NUL byte. */
int form_utf8_valid(const char *s, size_t len);

/* Reads parameter name of a header value like 'multipart/form-data; boundary="x"' into out.
 * 0 or -SM_E_INVALID when absent or longer than out. */
int form_header_param(const char *header, const char *name, char *out, size_t n);

#endif
