/* SPDX-License-Identifier: MIT */
/* Template rendering: a recursive walk over the template text (no compiled form),
 * with context-specific escapers. Owns no state between calls; thread-safe. */
#include <stdio.h>
#include <string.h>

#include "core/asset.h"
#include "web/i18n.h"
#include "web/tmpl.h"

#define NAME_MAX_LEN 96
#define STACK_MAX 32
#define PARTIAL_DEPTH_MAX 8

struct run {
    const char *tname; /* current template, for messages */
    const char *text;
    const struct tmpl_ctx *c;
    struct buf *out;
    struct sm_err *e;
    const json_t *stack[STACK_MAX];
    int sp;
    int partials;
};

enum kind { K_TEXT, K_ATTR, K_URL, K_MSG, K_OPEN, K_INVERT, K_CLOSE, K_PARTIAL, K_COMMENT };

struct tag {
    enum kind kind;
    char name[NAME_MAX_LEN];
    size_t at;  /* offset of "{{" */
    size_t end; /* offset after "}}" */
};

/* ---- escapers ---- */

static int put_entity(struct buf *out, unsigned char ch)
{
    switch (ch) {
    case '&':
        return buf_puts(out, "&amp;");
    case '<':
        return buf_puts(out, "&lt;");
    case '>':
        return buf_puts(out, "&gt;");
    case '"':
        return buf_puts(out, "&quot;");
    case '\'':
        return buf_puts(out, "&#39;");
    case '`':
        return buf_puts(out, "&#96;");
    case '=':
        return buf_puts(out, "&#61;");
    default:
        return buf_putc(out, (char)ch);
    }
}

/* Copies runs of safe bytes at once and escapes the bytes in special. */
static int escape_set(struct buf *out, const char *s, const char *special)
{
    const char *run = s;
    for (const char *p = s;; p++) {
        if (*p != '\0' && strchr(special, *p) == NULL)
            continue;
        int rc = buf_append(out, run, (size_t)(p - run));
        if (rc < 0 || *p == '\0')
            return rc;
        rc = put_entity(out, (unsigned char)*p);
        if (rc < 0)
            return rc;
        run = p + 1;
    }
}

int tmpl_escape_html(struct buf *out, const char *s) { return escape_set(out, s, "&<>\"'"); }

int tmpl_escape_attr(struct buf *out, const char *s) { return escape_set(out, s, "&<>\"'`="); }

int tmpl_escape_url(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            rc = buf_putc(out, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = buf_append(out, enc, 3);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- errors ---- */

static int line_of(const char *text, size_t at)
{
    int line = 1;
    for (size_t i = 0; i < at && text[i]; i++)
        line += text[i] == '\n';
    return line;
}

static int fail(struct run *r, size_t at, const char *what, const char *name)
{
    return sm_err_set(r->e, SM_E_INTERNAL, "template", "template %s line %d: %s '%s'", r->tname,
                      line_of(r->text, at), what, name);
}

static int out_rc(struct run *r, int rc)
{
    if (rc < 0)
        return sm_err_set(r->e, -rc, "template", "template %s: output %s", r->tname,
                          rc == -SM_E_TOO_LARGE ? "too large" : "allocation failed");
    return 0;
}

/* ---- tags ---- */

static int valid_name(const char *s, int partial)
{
    if (strcmp(s, ".") == 0 && !partial)
        return 1;
    if (partial && strcmp(s, "@page") == 0)
        return 1;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                 *p == '-' || (!partial && ((*p >= 'A' && *p <= 'Z') || *p == '.'));
        if (!ok)
            return 0;
    }
    return !partial ? (s[0] != '.' && s[strlen(s) - 1] != '.') : 1;
}

/* Parses the tag starting at "{{" at offset at. */
static int parse_tag(struct run *r, size_t at, struct tag *t)
{
    const char *s = r->text + at + 2;
    const char *close = strstr(s, "}}");
    if (close == NULL)
        return fail(r, at, "unterminated tag", "{{");
    t->at = at;
    t->end = (size_t)(close + 2 - r->text);
    if (*s == '{')
        return fail(r, at, "raw insertion is not supported", "{{{");
    t->kind = K_TEXT;
    switch (*s) {
    case '#':
        t->kind = K_OPEN;
        break;
    case '^':
        t->kind = K_INVERT;
        break;
    case '/':
        t->kind = K_CLOSE;
        break;
    case '>':
        t->kind = K_PARTIAL;
        break;
    case '!':
        t->kind = K_COMMENT;
        t->name[0] = '\0';
        return 0;
    }
    if (t->kind != K_TEXT)
        s++;
    while (s < close && *s == ' ')
        s++;
    const char *e = close;
    while (e > s && e[-1] == ' ')
        e--;
    if (t->kind == K_TEXT) {
        static const struct {
            const char *prefix;
            enum kind kind;
        } prefixes[] = {{"attr:", K_ATTR}, {"url:", K_URL}, {"t:", K_MSG}};
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
            size_t pl = strlen(prefixes[i].prefix);
            if ((size_t)(e - s) > pl && strncmp(s, prefixes[i].prefix, pl) == 0) {
                t->kind = prefixes[i].kind;
                s += pl;
                break;
            }
        }
    }
    size_t n = (size_t)(e - s);
    if (n >= sizeof t->name)
        return fail(r, at, "name too long", "{{");
    memcpy(t->name, s, n);
    t->name[n] = '\0';
    if (!valid_name(t->name, t->kind == K_PARTIAL))
        return fail(r, at, "bad tag", t->name);
    return 0;
}

/* ---- data ---- */

static const json_t *lookup(struct run *r, const char *name)
{
    if (strcmp(name, ".") == 0)
        return r->sp > 0 ? r->stack[r->sp - 1] : NULL;
    char seg[NAME_MAX_LEN];
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    memcpy(seg, name, n);
    seg[n] = '\0';
    const json_t *v = NULL;
    for (int i = r->sp - 1; i >= 0 && v == NULL; i--)
        if (json_is_object(r->stack[i]))
            v = json_object_get(r->stack[i], seg);
    while (v != NULL && dot != NULL) {
        const char *p = dot + 1;
        dot = strchr(p, '.');
        n = dot ? (size_t)(dot - p) : strlen(p);
        memcpy(seg, p, n);
        seg[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, seg) : NULL;
    }
    return v;
}

static int truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return 1;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return 1;
    default:
        return 0;
    }
}

static int emit_value(struct run *r, const struct tag *t, const json_t *v)
{
    char num[64];
    const char *s;
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%g", json_real_value(v));
        s = num;
        break;
    case JSON_TRUE:
        s = "true";
        break;
    case JSON_FALSE:
        s = "false";
        break;
    case JSON_NULL:
        s = "";
        break;
    default:
        return fail(r, t->at, "not a scalar", t->name);
    }
    int rc = t->kind == K_ATTR  ? tmpl_escape_attr(r->out, s)
             : t->kind == K_URL ? tmpl_escape_url(r->out, s)
                                : tmpl_escape_html(r->out, s);
    return out_rc(r, rc);
}

/* ---- rendering ---- */

static int block(struct run *r, size_t *pos, const char *close, int emit);

static int push(struct run *r, const struct tag *t, const json_t *v)
{
    if (r->sp >= STACK_MAX)
        return fail(r, t->at, "sections nested too deep at", t->name);
    r->stack[r->sp++] = v;
    return 0;
}

static int section(struct run *r, const struct tag *t, size_t *pos, int emit)
{
    size_t start = *pos;
    const json_t *v = NULL;
    if (emit) {
        v = lookup(r, t->name);
        if (v == NULL)
            return fail(r, t->at, "unknown key", t->name);
    }
    int rc = 0;
    if (emit && t->kind == K_OPEN && json_is_array(v) && json_array_size(v) > 0) {
        for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
            *pos = start;
            rc = push(r, t, json_array_get(v, i));
            if (rc == 0) {
                rc = block(r, pos, t->name, 1);
                r->sp--;
            }
        }
        return rc;
    }
    int on = emit && (t->kind == K_OPEN ? truthy(v) : !truthy(v));
    if (on && t->kind == K_OPEN) {
        if ((rc = push(r, t, v)) < 0)
            return rc;
        rc = block(r, pos, t->name, 1);
        r->sp--;
        return rc;
    }
    return block(r, pos, t->name, on);
}

static const char *load_asset(const char *name, void *arg)
{
    (void)arg;
    char path[160];
    int n = snprintf(path, sizeof path, "web/templates/%s.html", name);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    const struct asset *a = asset_get(path);
    return a ? (const char *)a->data : NULL;
}

static int partial(struct run *r, const struct tag *t)
{
    const char *name = t->name;
    if (strcmp(name, "@page") == 0) {
        if (r->c->page == NULL)
            return fail(r, t->at, "no page for slot", name);
        name = r->c->page;
    }
    if (r->partials >= PARTIAL_DEPTH_MAX)
        return fail(r, t->at, "partials nested too deep at", name);
    tmpl_loader load = r->c->load ? r->c->load : load_asset;
    const char *text = load(name, r->c->load_arg);
    if (text == NULL)
        return fail(r, t->at, "unknown partial", name);
    const char *saved_name = r->tname, *saved_text = r->text;
    r->tname = name;
    r->text = text;
    r->partials++;
    size_t p = 0;
    int rc = block(r, &p, NULL, 1);
    r->partials--;
    r->tname = saved_name;
    r->text = saved_text;
    return rc;
}

static int tag_run(struct run *r, const struct tag *t, size_t *pos, int emit)
{
    switch (t->kind) {
    case K_COMMENT:
        return 0;
    case K_OPEN:
    case K_INVERT:
        return section(r, t, pos, emit);
    case K_PARTIAL:
        return emit ? partial(r, t) : 0;
    case K_MSG: {
        const char *lang = r->c->lang ? r->c->lang : I18N_DEFAULT;
        const char *m = i18n_get(lang, t->name);
        if (m == NULL)
            return fail(r, t->at, "unknown message", t->name);
        return emit ? out_rc(r, tmpl_escape_html(r->out, m)) : 0;
    }
    default:
        if (!emit)
            return 0;
        const json_t *v = lookup(r, t->name);
        if (v == NULL)
            return fail(r, t->at, "unknown key", t->name);
        return emit_value(r, t, v);
    }
}

/* Renders (or, with emit 0, only parses) from *pos until {{/close}} or, with close NULL,
 * the end of the text. Leaves *pos after the closing tag. */
static int block(struct run *r, size_t *pos, const char *close, int emit)
{
    size_t p = *pos;
    for (;;) {
        const char *open = strstr(r->text + p, "{{");
        size_t upto = open ? (size_t)(open - r->text) : p + strlen(r->text + p);
        if (emit && upto > p) {
            int rc = out_rc(r, buf_append(r->out, r->text + p, upto - p));
            if (rc < 0)
                return rc;
        }
        if (open == NULL) {
            if (close != NULL)
                return fail(r, p, "unclosed section", close);
            *pos = upto;
            return 0;
        }
        struct tag t;
        int rc = parse_tag(r, upto, &t);
        if (rc < 0)
            return rc;
        p = t.end;
        if (t.kind == K_CLOSE) {
            if (close == NULL || strcmp(close, t.name) != 0)
                return fail(r, t.at, "unexpected close", t.name);
            *pos = p;
            return 0;
        }
        rc = tag_run(r, &t, &p, emit);
        if (rc < 0)
            return rc;
    }
}

int tmpl_render_text(const char *name, const char *text, const json_t *data,
                     const struct tmpl_ctx *c, struct buf *out, struct sm_err *e)
{
    static const struct tmpl_ctx none = {NULL, NULL, NULL, NULL};
    struct run r = {.tname = name, .text = text, .c = c ? c : &none, .out = out, .e = e};
    if (data != NULL)
        r.stack[r.sp++] = data;
    size_t p = 0;
    return block(&r, &p, NULL, 1);
}

int tmpl_render(const char *name, const json_t *data, const struct tmpl_ctx *c, struct buf *out,
                struct sm_err *e)
{
    static const struct tmpl_ctx none = {NULL, NULL, NULL, NULL};
    const struct tmpl_ctx *cc = c ? c : &none;
    tmpl_loader load = cc->load ? cc->load : load_asset;
    const char *text = load(name, cc->load_arg);
    if (text == NULL)
        return sm_err_set(e, SM_E_INTERNAL, "template", "unknown template '%s'", name);
    return tmpl_render_text(name, text, data, cc, out, e);
}
