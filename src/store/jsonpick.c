/* SPDX-License-Identifier: MIT */
/* One-pass string picker over a JSON document (see jsonpick.h): a validating recursive
 * descent (objects, arrays, strings, numbers, literals) that decodes only the strings at
 * the wanted paths and the keys on the way to them. */
#include <stdint.h>
#include <string.h>

#include "store/jsonpick.h"

#define DEPTH_MAX 200 /* deeper is refused: no document of ours comes near */
#define KEY_MAX   64  /* a longer key matches no path */

struct jp {
    const char *s, *end;
    struct jsonpick *p;
    int np;
    unsigned char *set; /* per path: already taken (the first of duplicate keys wins) */
};

static void ws(struct jp *j)
{
    while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r'))
        j->s++;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* Appends the bytes of one character to out (cut at cap - 1; cut stops at NUL). */
struct sink {
    char *out;
    size_t cap, len;
    int stop;
};

static void put(struct sink *k, const char *b, size_t n)
{
    if (k == NULL || k->stop)
        return;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '\0' || k->len + 1 >= k->cap) {
            k->stop = 1;
            return;
        }
        k->out[k->len++] = b[i];
    }
}

static void put_cp(struct sink *k, unsigned c)
{
    char b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xC0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xE0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    put(k, b, n);
}

/* A string at j->s (the opening quote), decoded into k when k != NULL. */
static int string(struct jp *j, struct sink *k)
{
    if (j->s >= j->end || *j->s != '"')
        return -1;
    j->s++;
    while (j->s < j->end) {
        unsigned char c = (unsigned char)*j->s;
        if (c == '"') {
            j->s++;
            if (k != NULL)
                k->out[k->len] = '\0';
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            const char *run = j->s;
            while (j->s < j->end && *j->s != '"' && *j->s != '\\' && (unsigned char)*j->s >= 0x20)
                j->s++;
            put(k, run, (size_t)(j->s - run));
            continue;
        }
        if (j->end - j->s < 2)
            return -1;
        char e = j->s[1];
        j->s += 2;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e != '\0' && simple != NULL) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            put(k, &map[simple - "\"\\/bfnrt"], 1);
            continue;
        }
        unsigned u, lo;
        if (e != 'u' || j->end - j->s < 4 || hex4(j->s, &u) < 0)
            return -1;
        j->s += 4;
        if (u >= 0xD800 && u < 0xDC00 && j->end - j->s >= 6 && j->s[0] == '\\' && j->s[1] == 'u' &&
            hex4(j->s + 2, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
            j->s += 6;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        } else if (u >= 0xD800 && u < 0xE000) {
            u = 0xFFFD; /* a lone surrogate */
        }
        put_cp(k, u);
    }
    return -1;
}

static int digits(struct jp *j)
{
    const char *a = j->s;
    while (j->s < j->end && *j->s >= '0' && *j->s <= '9')
        j->s++;
    return j->s > a ? 0 : -1;
}

static int number(struct jp *j)
{
    if (*j->s == '-')
        j->s++;
    if (j->s < j->end && *j->s == '0')
        j->s++;
    else if (digits(j) < 0)
        return -1;
    if (j->s < j->end && *j->s == '.') {
        j->s++;
        if (digits(j) < 0)
            return -1;
    }
    if (j->s < j->end && (*j->s == 'e' || *j->s == 'E')) {
        j->s++;
        if (j->s < j->end && (*j->s == '+' || *j->s == '-'))
            j->s++;
        if (digits(j) < 0)
            return -1;
    }
    return 0;
}

static int literal(struct jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->s) < n || memcmp(j->s, w, n) != 0)
        return -1;
    j->s += n;
    return 0;
}

/* A value; k1 (depth 1) and key (this value's key, NULL in an array or at the top) say
 * where it is, so that a string at a wanted path is decoded into it. */
static int value(struct jp *j, int depth, const char *k1, const char *key)
{
    if (depth > DEPTH_MAX)
        return -1;
    ws(j);
    if (j->s >= j->end)
        return -1;
    char c = *j->s;
    /* the path this value sits at, when wanted and not taken yet */
    int want = -1;
    for (int i = 0; key != NULL && i < j->np; i++) {
        const struct jsonpick *p = &j->p[i];
        if (depth != (p->k2 ? 2 : 1))
            continue;
        if (depth == 1 ? strcmp(key, p->k1) == 0
                       : k1 != NULL && strcmp(k1, p->k1) == 0 && strcmp(key, p->k2) == 0) {
            want = j->set[i] ? -1 : i;
            if (want >= 0)
                j->set[i] = 1; /* a later duplicate key does not count, string or not */
            break;
        }
    }
    if (c == '"') {
        if (want < 0)
            return string(j, NULL);
        struct sink k = {j->p[want].out, j->p[want].n, 0, 0};
        return string(j, &k);
    }
    if ((c == '{' || c == '[') && want >= 0) {
        /* json_extract gives an object or array as its text, without the spaces */
        const char *from = j->s;
        if (value(j, depth, k1, NULL) < 0)
            return -1;
        struct sink k = {j->p[want].out, j->p[want].n, 0, 0};
        int in = 0;
        for (const char *q = from; q < j->s; q++) {
            if (in && *q == '\\' && q + 1 < j->s) {
                put(&k, q, 2);
                q++;
                continue;
            }
            if (*q == '"')
                in = !in;
            if (in || (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r'))
                put(&k, q, 1);
        }
        k.out[k.len] = '\0';
        return 0;
    }
    if (c == '{' || c == '[') {
        int obj = c == '{';
        j->s++;
        ws(j);
        if (j->s < j->end && *j->s == (obj ? '}' : ']')) {
            j->s++;
            return 0;
        }
        for (;;) {
            char name[KEY_MAX + 1];
            const char *child = NULL;
            if (obj) {
                ws(j);
                struct sink k = {name, sizeof name, 0, 0};
                if (string(j, &k) < 0)
                    return -1;
                /* a key cut short, or with a NUL, matches nothing */
                child = k.stop ? "\x01" : name;
                ws(j);
                if (j->s >= j->end || *j->s != ':')
                    return -1;
                j->s++;
            }
            /* only a string at depth 1 or 2 under an object can be wanted */
            const char *down1 = depth == 0 ? child : k1;
            if (value(j, depth + 1, down1, obj && depth < 2 ? child : NULL) < 0)
                return -1;
            ws(j);
            if (j->s >= j->end)
                return -1;
            if (*j->s == ',') {
                j->s++;
                continue;
            }
            if (*j->s != (obj ? '}' : ']'))
                return -1;
            j->s++;
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(j);
    if (c == 't')
        return literal(j, "true");
    if (c == 'f')
        return literal(j, "false");
    if (c == 'n')
        return literal(j, "null");
    return -1;
}

int jsonpick(const char *s, size_t len, struct jsonpick *p, int np)
{
    unsigned char set[32] = {0};
    for (int i = 0; i < np; i++)
        p[i].out[0] = '\0';
    if (s == NULL || np > (int)sizeof set)
        return -1;
    struct jp j = {s, s + len, p, np, set};
    int rc = value(&j, 0, NULL, NULL);
    ws(&j);
    if (rc < 0 || j.s != j.end) {
        for (int i = 0; i < np; i++)
            p[i].out[0] = '\0';
        return -1;
    }
    return 0;
}
