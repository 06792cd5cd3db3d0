/* SPDX-License-Identifier: MIT */
/* Template rendering: each template text is compiled once into a flat node list (literal
 * runs, tags with pre-split names, sections knowing their close) that rendering walks,
 * with context-specific escapers. The embedded templates are compiled on first use, once
 * per process (pthread_once), and only read afterwards; text from a caller's loader is
 * compiled for the call. A syntax error compiles into an error node at its place, so
 * errors come out in the same order and with the same text as a walk over the text. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asset.h"
#include "core/failalloc.h"
#include "web/i18n.h"
#include "web/tmpl.h"

#define NAME_MAX_LEN      96
#define STACK_MAX         32
#define PARTIAL_DEPTH_MAX 8
#define TMPL_DIR          "web/templates/"
#define TMPL_EXT          ".html"

enum kind {
    K_LIT,     /* literal text */
    K_TEXT,    /* {{name}} */
    K_ATTR,    /* {{attr:name}} */
    K_URL,     /* {{url:name}} */
    K_MSG,     /* {{t:key}} */
    K_OPEN,    /* {{#name}} */
    K_INVERT,  /* {{^name}} */
    K_CLOSE,   /* {{/name}} */
    K_PARTIAL, /* {{> name}} */
    K_COMMENT, /* {{! ...}} (parsed, no node) */
    K_ERROR,   /* a syntax error: rendering stops here */
    K_END      /* end of the text */
};

struct node {
    enum kind kind;
    int dot;          /* name is "." */
    size_t at;        /* offset of "{{" (K_LIT: of the text; K_ERROR: of the error) */
    size_t len;       /* K_LIT: bytes of text */
    size_t close;     /* K_OPEN, K_INVERT: index of the matching K_CLOSE (when closed) */
    int closed;       /* K_OPEN, K_INVERT: the close tag exists (else an error node follows) */
    int msgs;         /* K_OPEN, K_INVERT: the body holds {{t:..}} (checked even when skipped) */
    const char *what; /* K_ERROR: what is wrong */
    char *name;       /* owned: the name as written, then its '.'-separated segments as
                       * NUL-terminated strings (segs) */
    const char *segs;
    int nseg;
};

/* A compiled template: nodes end with K_ERROR or K_END. */
struct tmpl {
    const char *text; /* borrowed: outlives the compiled form */
    struct node *nodes;
    size_t n, cap;
};

struct run {
    const char *tname; /* current template, for messages */
    const struct tmpl *t;
    const struct tmpl_ctx *c;
    const char *lang;
    struct buf *out;
    struct sm_err *e;
    const json_t *stack[STACK_MAX];
    int sp;
    int partials;
};

/* ---- escapers ---- */

/* Bytes that need an entity, per context; NUL ends the scan. */
enum { ESC_NONE = 0, ESC_END = 1, ESC_HTML = 2, ESC_ATTR_ONLY = 4 };

static const unsigned char esc_class[256] = {
    ['\0'] = ESC_END, ['&'] = ESC_HTML,  ['<'] = ESC_HTML,      ['>'] = ESC_HTML,
    ['"'] = ESC_HTML, ['\''] = ESC_HTML, ['`'] = ESC_ATTR_ONLY, ['='] = ESC_ATTR_ONLY,
};

static int put_entity(struct buf *out, unsigned char ch)
{
    switch (ch) {
    case '&': return buf_append(out, "&amp;", 5);
    case '<': return buf_append(out, "&lt;", 4);
    case '>': return buf_append(out, "&gt;", 4);
    case '"': return buf_append(out, "&quot;", 6);
    case '\'': return buf_append(out, "&#39;", 5);
    case '`': return buf_append(out, "&#96;", 5);
    case '=': return buf_append(out, "&#61;", 5);
    default: return buf_putc(out, (char)ch);
    }
}

/* Copies runs of safe bytes at once and escapes the bytes whose class is in mask. */
static int escape_set(struct buf *out, const char *s, unsigned mask)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (;; p++) {
        if ((esc_class[*p] & mask) == 0)
            continue;
        int rc = buf_append(out, run, (size_t)(p - run));
        if (rc < 0 || *p == '\0')
            return rc;
        rc = put_entity(out, *p);
        if (rc < 0)
            return rc;
        run = p + 1;
    }
}

int tmpl_escape_html(struct buf *out, const char *s)
{
    return escape_set(out, s, ESC_END | ESC_HTML);
}

int tmpl_escape_attr(struct buf *out, const char *s)
{
    return escape_set(out, s, ESC_END | ESC_HTML | ESC_ATTR_ONLY);
}

/* Unreserved bytes of RFC 3986, copied as they are. */
static const unsigned char url_safe[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1, ['.'] = 1,
    ['_'] = 1, ['~'] = 1,
};

int tmpl_escape_url(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (;; p++) {
        if (url_safe[*p])
            continue;
        int rc = buf_append(out, run, (size_t)(p - run));
        if (rc < 0 || *p == '\0')
            return rc;
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if ((rc = buf_append(out, enc, 3)) < 0)
            return rc;
        run = p + 1;
    }
}

/* ---- compiling ---- */

static void tmpl_free(struct tmpl *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->nodes[i].name);
    free(t->nodes);
    free(t);
}

/* Appends a node (name copied, may be NULL); NULL without memory. */
static struct node *add(struct tmpl *t, enum kind kind, size_t at, const char *name)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct node *v = sm_realloc(t->nodes, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        t->nodes = v;
        t->cap = cap;
    }
    struct node *x = &t->nodes[t->n];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->at = at;
    if (name != NULL) {
        size_t len = strlen(name);
        x->name = sm_malloc(2 * (len + 1));
        if (x->name == NULL)
            return NULL;
        memcpy(x->name, name, len + 1);
        char *segs = x->name + len + 1;
        memcpy(segs, name, len + 1);
        x->nseg = 1;
        for (char *p = segs; *p; p++)
            if (*p == '.') {
                *p = '\0';
                x->nseg++;
            }
        x->segs = segs;
        x->dot = strcmp(name, ".") == 0;
    }
    t->n++;
    return x;
}

static int add_error(struct tmpl *t, size_t at, const char *what, const char *name)
{
    struct node *x = add(t, K_ERROR, at, name);
    if (x == NULL)
        return -SM_E_NOMEM;
    x->what = what;
    return 0;
}

static int valid_name(const char *s, int partial)
{
    if (strcmp(s, ".") == 0 && !partial)
        return 1;
    if (partial && strcmp(s, "@page") == 0)
        return 1;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
                 (!partial && ((*p >= 'A' && *p <= 'Z') || *p == '.'));
        if (!ok)
            return 0;
    }
    return !partial ? (s[0] != '.' && s[strlen(s) - 1] != '.') : 1;
}

struct tag {
    enum kind kind;
    char name[NAME_MAX_LEN];
    size_t end;       /* offset after "}}" */
    const char *what; /* set when the tag is malformed */
};

/* Parses the tag starting at "{{" at offset at; a malformed tag sets t->what and the name
 * its message shows. */
static void parse_tag(const char *text, size_t at, struct tag *t)
{
    const char *s = text + at + 2;
    const char *close = strstr(s, "}}");
    t->what = NULL;
    if (close == NULL) {
        t->what = "unterminated tag";
        memcpy(t->name, "{{", 3);
        return;
    }
    t->end = (size_t)(close + 2 - text);
    if (*s == '{') {
        t->what = "raw insertion is not supported";
        memcpy(t->name, "{{{", 4);
        return;
    }
    t->kind = K_TEXT;
    switch (*s) {
    case '#': t->kind = K_OPEN; break;
    case '^': t->kind = K_INVERT; break;
    case '/': t->kind = K_CLOSE; break;
    case '>': t->kind = K_PARTIAL; break;
    case '!':
        t->kind = K_COMMENT;
        t->name[0] = '\0';
        return;
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
    if (n >= sizeof t->name) {
        t->what = "name too long";
        memcpy(t->name, "{{", 3);
        return;
    }
    memcpy(t->name, s, n);
    t->name[n] = '\0';
    if (!valid_name(t->name, t->kind == K_PARTIAL))
        t->what = "bad tag";
}

/* Compiles text (borrowed; must outlive the result). NULL only without memory. The open
 * sections form a stack through their close fields (index + 1 of the enclosing open
 * section, 0 = none) until their close tag sets the real index. */
static struct tmpl *compile(const char *text)
{
    struct tmpl *t = sm_calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->text = text;
    size_t top = 0; /* index + 1 of the innermost open section, 0 = none */
    size_t p = 0;
    int rc = 0;
    for (;;) {
        const char *o = strstr(text + p, "{{");
        size_t upto = o ? (size_t)(o - text) : p + strlen(text + p);
        if (upto > p) {
            struct node *x = add(t, K_LIT, p, NULL);
            if (x == NULL)
                goto nomem;
            x->len = upto - p;
        }
        if (o == NULL) {
            if (top > 0)
                rc = add_error(t, p, "unclosed section", t->nodes[top - 1].name);
            else
                rc = add(t, K_END, p, NULL) ? 0 : -SM_E_NOMEM;
            break;
        }
        struct tag g;
        parse_tag(text, upto, &g);
        if (g.what != NULL) {
            rc = add_error(t, upto, g.what, g.name);
            break;
        }
        p = g.end;
        if (g.kind == K_COMMENT)
            continue;
        if (g.kind == K_CLOSE) {
            if (top == 0 || strcmp(t->nodes[top - 1].name, g.name) != 0) {
                rc = add_error(t, upto, "unexpected close", g.name);
                break;
            }
            if (add(t, K_CLOSE, upto, g.name) == NULL)
                goto nomem;
            struct node *s = &t->nodes[top - 1];
            top = s->close;
            s->close = t->n - 1;
            s->closed = 1;
            continue;
        }
        if (add(t, g.kind, upto, g.name) == NULL)
            goto nomem;
        if (g.kind == K_MSG) /* every open section (outer ones are marked already) */
            for (size_t k = top; k > 0 && !t->nodes[k - 1].msgs; k = t->nodes[k - 1].close)
                t->nodes[k - 1].msgs = 1;
        if (g.kind == K_OPEN || g.kind == K_INVERT) {
            t->nodes[t->n - 1].close = top;
            top = t->n;
        }
    }
    if (rc == 0)
        return t;
nomem:
    tmpl_free(t);
    return NULL;
}

/* ---- the compiled embedded templates ---- */

struct cached {
    const char *name; /* without directory and extension */
    size_t name_len;
    const char *text;
    struct tmpl *t; /* NULL when compiling ran out of memory: compiled per use then */
};

static struct cached *cache;
static size_t ncache;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_build(void)
{
    size_t n = 0;
    for (const struct asset *a = asset_table; a->path != NULL; a++)
        n++;
    struct cached *c = sm_calloc(n ? n : 1, sizeof *c);
    if (c == NULL)
        return;
    size_t k = 0, dl = strlen(TMPL_DIR), el = strlen(TMPL_EXT);
    for (const struct asset *a = asset_table; a->path != NULL; a++) {
        size_t pl = strlen(a->path);
        if (pl <= dl + el || strncmp(a->path, TMPL_DIR, dl) != 0 ||
            strcmp(a->path + pl - el, TMPL_EXT) != 0)
            continue;
        c[k].name = a->path + dl;
        c[k].name_len = pl - dl - el;
        c[k].text = (const char *)a->data;
        c[k].t = compile(c[k].text);
        k++;
    }
    cache = c;
    ncache = k;
}

/* The embedded template name: its text and compiled form (NULL when not compiled). */
static const struct cached *cache_get(const char *name)
{
    pthread_once(&cache_once, cache_build);
    size_t len = strlen(name);
    for (size_t i = 0; i < ncache; i++)
        if (cache[i].name_len == len && memcmp(cache[i].name, name, len) == 0)
            return &cache[i];
    return NULL;
}

static const char *load_asset(const char *name, void *arg)
{
    (void)arg;
    char path[160];
    int n = snprintf(path, sizeof path, TMPL_DIR "%s" TMPL_EXT, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    const struct asset *a = asset_get(path);
    return a ? (const char *)a->data : NULL;
}

/* The compiled template name of c: from the cache for embedded templates (*own = NULL),
 * else compiled now (*own = the same, for the caller to free). -SM_E_NOTFOUND when the
 * template does not exist, -SM_E_NOMEM. */
static int get(const struct tmpl_ctx *c, const char *name, const struct tmpl **out,
               struct tmpl **own)
{
    *out = NULL;
    *own = NULL;
    const char *text;
    if (c->load == NULL) {
        const struct cached *k = cache_get(name);
        if (k != NULL && k->t != NULL) {
            *out = k->t;
            return 0;
        }
        text = k != NULL ? k->text : load_asset(name, NULL);
    } else {
        text = c->load(name, c->load_arg);
    }
    if (text == NULL)
        return -SM_E_NOTFOUND;
    if ((*own = compile(text)) == NULL)
        return -SM_E_NOMEM;
    *out = *own;
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
                      line_of(r->t->text, at), what, name);
}

static int out_rc(struct run *r, int rc)
{
    if (rc < 0)
        return sm_err_set(r->e, -rc, "template", "template %s: output %s", r->tname,
                          rc == -SM_E_TOO_LARGE ? "too large" : "allocation failed");
    return 0;
}

static int nomem(struct run *r)
{
    return sm_err_set(r->e, SM_E_NOMEM, "template", "template %s: out of memory", r->tname);
}

/* ---- data ---- */

static const json_t *lookup(const struct run *r, const struct node *x)
{
    if (x->dot)
        return r->sp > 0 ? r->stack[r->sp - 1] : NULL;
    const char *seg = x->segs;
    const json_t *v = NULL;
    for (int i = r->sp - 1; i >= 0 && v == NULL; i--)
        if (json_is_object(r->stack[i]))
            v = json_object_get(r->stack[i], seg);
    for (int k = 1; v != NULL && k < x->nseg; k++) {
        seg += strlen(seg) + 1;
        v = json_is_object(v) ? json_object_get(v, seg) : NULL;
    }
    return v;
}

static int truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return 1;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_TRUE: return 1;
    default: return 0;
    }
}

static int emit_value(struct run *r, const struct node *x, const json_t *v)
{
    char num[64];
    const char *s;
    switch (json_typeof(v)) {
    case JSON_STRING: s = json_string_value(v); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%g", json_real_value(v));
        s = num;
        break;
    case JSON_TRUE: s = "true"; break;
    case JSON_FALSE: s = "false"; break;
    case JSON_NULL: s = ""; break;
    default: return fail(r, x->at, "not a scalar", x->name);
    }
    int rc = x->kind == K_ATTR  ? tmpl_escape_attr(r->out, s)
             : x->kind == K_URL ? tmpl_escape_url(r->out, s)
                                : tmpl_escape_html(r->out, s);
    return out_rc(r, rc);
}

/* ---- rendering ---- */

static int block(struct run *r, size_t *i, int emit);

static int push(struct run *r, const struct node *x, const json_t *v)
{
    if (r->sp >= STACK_MAX)
        return fail(r, x->at, "sections nested too deep at", x->name);
    r->stack[r->sp++] = v;
    return 0;
}

/* The section whose open node is *i; leaves *i after its close. */
static int section(struct run *r, size_t *i, int emit)
{
    const struct node *x = &r->t->nodes[*i];
    size_t start = *i + 1;
    const json_t *v = NULL;
    if (emit) {
        v = lookup(r, x);
        if (v == NULL)
            return fail(r, x->at, "unknown key", x->name);
    }
    int rc = 0;
    if (emit && x->kind == K_OPEN && json_is_array(v) && json_array_size(v) > 0) {
        for (size_t k = 0; k < json_array_size(v) && rc == 0; k++) {
            *i = start;
            rc = push(r, x, json_array_get(v, k));
            if (rc == 0) {
                rc = block(r, i, 1);
                r->sp--;
            }
        }
        return rc;
    }
    int on = emit && (x->kind == K_OPEN ? truthy(v) : !truthy(v));
    if (on && x->kind == K_OPEN) {
        if ((rc = push(r, x, v)) < 0)
            return rc;
        *i = start;
        rc = block(r, i, 1);
        r->sp--;
        return rc;
    }
    if (!on && x->closed && !x->msgs) { /* nothing to render or check inside */
        *i = x->close + 1;
        return 0;
    }
    *i = start;
    return block(r, i, on);
}

static int partial(struct run *r, const struct node *x)
{
    const char *name = x->name;
    if (strcmp(name, "@page") == 0) {
        if (r->c->page == NULL)
            return fail(r, x->at, "no page for slot", name);
        name = r->c->page;
    }
    if (r->partials >= PARTIAL_DEPTH_MAX)
        return fail(r, x->at, "partials nested too deep at", name);
    const struct tmpl *t;
    struct tmpl *own;
    int rc = get(r->c, name, &t, &own);
    if (rc == -SM_E_NOMEM)
        return nomem(r);
    if (rc < 0)
        return fail(r, x->at, "unknown partial", name);
    const char *saved_name = r->tname;
    const struct tmpl *saved = r->t;
    r->tname = name;
    r->t = t;
    r->partials++;
    size_t k = 0;
    rc = block(r, &k, 1);
    r->partials--;
    r->tname = saved_name;
    r->t = saved;
    tmpl_free(own);
    return rc;
}

/* Renders (or, with emit 0, only checks) the nodes from *i until the close of the
 * enclosing section or the end. Leaves *i after the close. */
static int block(struct run *r, size_t *i, int emit)
{
    const struct node *nodes = r->t->nodes;
    for (;;) {
        const struct node *x = &nodes[*i];
        int rc = 0;
        switch (x->kind) {
        case K_END: return 0;
        case K_CLOSE: (*i)++; return 0;
        case K_ERROR: return fail(r, x->at, x->what, x->name);
        case K_OPEN:
        case K_INVERT:
            if ((rc = section(r, i, emit)) < 0)
                return rc;
            continue;
        case K_LIT:
            if (emit)
                rc = out_rc(r, buf_append(r->out, r->t->text + x->at, x->len));
            break;
        case K_PARTIAL:
            if (emit)
                rc = partial(r, x);
            break;
        case K_MSG: {
            const char *m = i18n_get(r->lang, x->name);
            if (m == NULL)
                return fail(r, x->at, "unknown message", x->name);
            if (emit)
                rc = out_rc(r, tmpl_escape_html(r->out, m));
            break;
        }
        default:
            if (emit) {
                const json_t *v = lookup(r, x);
                rc = v == NULL ? fail(r, x->at, "unknown key", x->name) : emit_value(r, x, v);
            }
            break;
        }
        if (rc < 0)
            return rc;
        (*i)++;
    }
}

static int render(const char *name, const struct tmpl *t, const json_t *data,
                  const struct tmpl_ctx *c, struct buf *out, struct sm_err *e)
{
    struct run r = {.tname = name, .t = t, .c = c, .out = out, .e = e};
    r.lang = c->lang ? c->lang : I18N_DEFAULT;
    if (data != NULL)
        r.stack[r.sp++] = data;
    size_t i = 0;
    return block(&r, &i, 1);
}

static const struct tmpl_ctx no_ctx = {NULL, NULL, NULL, NULL};

int tmpl_render_text(const char *name, const char *text, const json_t *data,
                     const struct tmpl_ctx *c, struct buf *out, struct sm_err *e)
{
    struct tmpl *t = compile(text);
    if (t == NULL)
        return sm_err_set(e, SM_E_NOMEM, "template", "template %s: out of memory", name);
    int rc = render(name, t, data, c ? c : &no_ctx, out, e);
    tmpl_free(t);
    return rc;
}

int tmpl_render(const char *name, const json_t *data, const struct tmpl_ctx *c, struct buf *out,
                struct sm_err *e)
{
    const struct tmpl_ctx *cc = c ? c : &no_ctx;
    const struct tmpl *t;
    struct tmpl *own;
    int rc = get(cc, name, &t, &own);
    if (rc == -SM_E_NOMEM)
        return sm_err_set(e, SM_E_NOMEM, "template", "template %s: out of memory", name);
    if (rc < 0)
        return sm_err_set(e, SM_E_INTERNAL, "template", "unknown template '%s'", name);
    rc = render(name, t, data, cc, out, e);
    tmpl_free(own);
    return rc;
}
