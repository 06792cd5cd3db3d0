/* SPDX-License-Identifier: MIT */
/* Form body parsing (urlencoded, multipart) with bounded cursors; see form.h.
 * Never reads past len; copies what it keeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/failalloc.h"
#include "core/text.h"
#include "web/form.h"

#define PART_HEADERS_MAX 8192

int form_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min, cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

void form_free(struct form *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->f[i].name);
        free(f->f[i].value);
        free(f->f[i].filename);
        free(f->f[i].type);
    }
    f->n = 0;
}

const struct form_field *form_get(const struct form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            return &f->f[i];
    return NULL;
}

/* Takes ownership of name, value, filename and type (frees them on failure). */
static int add(struct form *f, char *name, char *value, size_t len, char *filename, char *type,
               struct sm_err *e)
{
    if (f->n >= FORM_MAX_FIELDS) {
        free(name), free(value), free(filename), free(type);
        return sm_err_set(e, SM_E_TOO_LARGE, "body", "more than %d form fields", FORM_MAX_FIELDS);
    }
    struct form_field *x = &f->f[f->n++];
    x->name = name;
    x->value = value;
    x->len = len;
    x->filename = filename;
    x->type = type;
    return 0;
}

/* Decodes s[0..n) (+ and %XX) into a new NUL-terminated string; NULL + *bad on bad escape. */
static char *url_decode(const char *s, size_t n, size_t *outlen, int *bad)
{
    char *o = sm_malloc(n + 1);
    if (o == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            o[j++] = ' ';
        } else if (s[i] == '%') {
            int a = i + 1 < n ? text_hex_value(s[i + 1]) : -1;
            int b = i + 2 < n ? text_hex_value(s[i + 2]) : -1;
            int h = (a < 0 || b < 0) ? -1 : a * 16 + b;
            if (h < 0) {
                free(o);
                *bad = 1;
                return NULL;
            }
            o[j++] = (char)h;
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = '\0';
    *outlen = j;
    return o;
}

int form_parse_urlencoded(struct form *f, const char *s, size_t len, struct sm_err *e)
{
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && s[i] != '&')
            i++;
        size_t end = i++;
        if (end == start)
            continue;
        size_t eq = start;
        while (eq < end && s[eq] != '=')
            eq++;
        size_t nlen = 0, vlen = 0;
        int bad = 0;
        char *name = url_decode(s + start, eq - start, &nlen, &bad);
        if (name == NULL)
            return bad ? sm_err_set(e, SM_E_INVALID, "body", "bad percent escape in a name")
                       : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        if (!form_utf8_valid(name, nlen) || nlen == 0) {
            free(name);
            return sm_err_set(e, SM_E_INVALID, "body", "utf8: field name is not UTF-8");
        }
        size_t vstart = eq < end ? eq + 1 : end;
        char *value = url_decode(s + vstart, end - vstart, &vlen, &bad);
        if (value == NULL) {
            int rc = bad ? sm_err_set(e, SM_E_INVALID, name, "bad percent escape")
                         : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
            free(name);
            return rc;
        }
        if (!form_utf8_valid(value, vlen)) {
            int rc = sm_err_set(e, SM_E_INVALID, name, "utf8: value is not UTF-8");
            free(name);
            free(value);
            return rc;
        }
        int rc = add(f, name, value, vlen, NULL, NULL, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int form_header_param(const char *h, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    const char *p = strchr(h, ';');
    while (p != NULL && *p == ';') {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t kl = (size_t)(p - k);
        while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
            kl--;
        int want = kl == nl && strncasecmp(k, name, nl) == 0;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t j = 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                if (want && j + 1 >= n)
                    return -SM_E_INVALID;
                if (want)
                    out[j++] = *p;
            }
            if (*p != '"')
                return -SM_E_INVALID;
            p++;
        } else {
            for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++) {
                if (want && j + 1 >= n)
                    return -SM_E_INVALID;
                if (want)
                    out[j++] = *p;
            }
        }
        if (want) {
            out[j] = '\0';
            return 0;
        }
        while (*p && *p != ';')
            p++;
    }
    return -SM_E_INVALID;
}

struct part {
    char name[256];
    char filename[256];
    int has_filename;
    char type[128];
};

/* Reads the part headers in h[0..n) (lines separated by CRLF). */
static int part_headers(const char *h, size_t n, struct part *pt)
{
    char line[PART_HEADERS_MAX + 1];
    size_t i = 0;
    memset(pt, 0, sizeof *pt);
    int have_name = 0;
    while (i < n) {
        const char *eol = memmem(h + i, n - i, "\r\n", 2);
        size_t l = eol ? (size_t)(eol - (h + i)) : n - i;
        memcpy(line, h + i, l);
        line[l] = '\0';
        i += l + 2;
        if (memchr(line, '\0', l) != NULL)
            return -SM_E_INVALID;
        static const char cd[] = "content-disposition:", ct[] = "content-type:";
        if (strncasecmp(line, cd, sizeof cd - 1) == 0) {
            const char *v = line + sizeof cd - 1;
            while (*v == ' ')
                v++;
            if (strncasecmp(v, "form-data", 9) != 0)
                return -SM_E_INVALID;
            if (form_header_param(v, "name", pt->name, sizeof pt->name) < 0)
                return -SM_E_INVALID;
            have_name = 1;
            pt->has_filename =
                form_header_param(v, "filename", pt->filename, sizeof pt->filename) == 0;
        } else if (strncasecmp(line, ct, sizeof ct - 1) == 0) {
            const char *v = line + sizeof ct - 1;
            while (*v == ' ')
                v++;
            size_t vl = strlen(v);
            if (vl >= sizeof pt->type)
                return -SM_E_INVALID;
            memcpy(pt->type, v, vl + 1);
        }
    }
    return have_name && pt->name[0] != '\0' ? 0 : -SM_E_INVALID;
}

static int multipart(struct form *f, const char *ctype, const char *body, size_t len,
                     struct sm_err *e)
{
    char bnd[80], delim[84];
    if (form_header_param(ctype, "boundary", bnd, sizeof bnd) < 0 || bnd[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "body", "multipart without a usable boundary");
    size_t dl = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", bnd);
    /* The first delimiter may open the body without the leading CRLF. */
    size_t pos;
    if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0) {
        pos = dl - 2;
    } else {
        const char *d = memmem(body, len, delim, dl);
        if (d == NULL)
            return sm_err_set(e, SM_E_INVALID, "body", "multipart boundary not found");
        pos = (size_t)(d - body) + dl;
    }
    for (;;) {
        if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0)
            return 0; /* closing delimiter; the epilogue is ignored */
        while (pos < len && (body[pos] == ' ' || body[pos] == '\t'))
            pos++;
        if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0)
            return sm_err_set(e, SM_E_INVALID, "body", "malformed multipart delimiter");
        pos += 2;
        const char *hend = memmem(body + pos, len - pos, "\r\n\r\n", 4);
        size_t hl = hend ? (size_t)(hend - (body + pos)) : 0;
        if (hend == NULL || hl > PART_HEADERS_MAX)
            return sm_err_set(e, SM_E_INVALID, "body", "malformed multipart part headers");
        struct part pt;
        if (part_headers(body + pos, hl, &pt) < 0)
            return sm_err_set(e, SM_E_INVALID, "body", "malformed multipart part headers");
        pos += hl + 4;
        const char *d = pos <= len ? memmem(body + pos, len - pos, delim, dl) : NULL;
        if (d == NULL)
            return sm_err_set(e, SM_E_INVALID, "body", "unterminated multipart part");
        size_t vl = (size_t)(d - (body + pos));
        if (!form_utf8_valid(pt.name, strlen(pt.name)))
            return sm_err_set(e, SM_E_INVALID, "body", "utf8: field name is not UTF-8");
        if (!pt.has_filename && !form_utf8_valid(body + pos, vl))
            return sm_err_set(e, SM_E_INVALID, pt.name, "utf8: value is not UTF-8");
        char *name = sm_strdup(pt.name);
        char *value = sm_malloc(vl + 1);
        char *fn = pt.has_filename ? sm_strdup(pt.filename) : NULL;
        char *ty = pt.type[0] ? sm_strdup(pt.type) : NULL;
        if (!name || !value || (pt.has_filename && !fn) || (pt.type[0] && !ty)) {
            free(name), free(value), free(fn), free(ty);
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        }
        memcpy(value, body + pos, vl);
        value[vl] = '\0';
        int rc = add(f, name, value, vl, fn, ty, e);
        if (rc < 0)
            return rc;
        pos = (size_t)(d - body) + dl;
    }
}

int form_parse(struct form *f, const char *content_type, const char *body, size_t len,
               struct sm_err *e)
{
    const char *ct = content_type ? content_type : "";
    int rc;
    if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
        (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' '))
        rc = form_parse_urlencoded(f, body, len, e);
    else if (strncasecmp(ct, "multipart/form-data", 19) == 0 &&
             (ct[19] == ';' || ct[19] == ' ' || ct[19] == '\0'))
        rc = multipart(f, ct, body, len, e);
    else
        rc = sm_err_set(e, SM_E_MEDIA_TYPE, "body", "unsupported content type '%.60s'", ct);
    if (rc < 0)
        form_free(f);
    return rc;
}
