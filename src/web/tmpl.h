/* SPDX-License-Identifier: MIT */
/* The HTML template engine: auto-escaping placeholders over embedded templates
 * (web/templates/NAME.html) with data from a jansson object. Templates hold no logic:
 *   {{name}} {{a.b}} {{.}}   value escaped for HTML text
 *   {{attr:name}}            value escaped for a quoted attribute
 *   {{url:name}}             value percent-encoded as a URL component
 *   {{t:key}}                message of the page language (escaped)
 *   {{#name}}..{{/name}}     section: once per array element, once for a true value
 *   {{^name}}..{{/name}}     inverted section: once when false, null, "" or empty array
 *   {{> partial}}            includes web/templates/partial.html; {{> @page}} is the page
 *                            slot of a layout
 *   {{! comment}}
 * An unknown key, message or partial is an error; there is no raw insertion. */
#ifndef SM_WEB_TMPL_H
#define SM_WEB_TMPL_H
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Returns the text of template name (NUL-terminated), or NULL when it does not exist. */
typedef const char *(*tmpl_loader)(const char *name, void *arg);

struct tmpl_ctx {
    const char *lang; /* language of {{t:key}}; NULL = i18n default */
    const char *page; /* template included by {{> @page}}; NULL = none */
    tmpl_loader load; /* NULL = embedded assets web/templates/NAME.html */
    void *load_arg;
};

/* Renders template name with data (an object, borrowed) and appends to out.
 * 0, or negative with e->detail naming the template, line and key. out may then hold
 * partial output; the caller discards it. */
int tmpl_render(const char *name, const json_t *data, const struct tmpl_ctx *c, struct buf *out,
                struct sm_err *e);
/* The same over template text given directly (name is used in messages). */
int tmpl_render_text(const char *name, const char *text, const json_t *data,
                     const struct tmpl_ctx *c, struct buf *out, struct sm_err *e);

/* The escapers the engine uses, for other code that builds markup or URLs. */
int tmpl_escape_html(struct buf *out, const char *s);
int tmpl_escape_attr(struct buf *out, const char *s);
int tmpl_escape_url(struct buf *out, const char *s);

#endif
