/* SPDX-License-Identifier: MIT */
/* Rendered pages kept in memory (see pagecache.h): a hash table of entries on a least
 * recently used list, under one mutex. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/datagen.h"
#include "web/http.h"
#include "web/pagecache.h"

#define BUCKETS  4096 /* a power of two */
#define MARK_LEN 40

struct entry {
    char *key;
    uint64_t hash;
    int64_t expires;
    char *body;
    size_t len;
    size_t *marks; /* offsets of the mark in body */
    size_t nmarks;
    size_t cost;
    struct entry *hnext;       /* bucket chain */
    struct entry *prev, *next; /* LRU list: head = most recent */
};

struct pagecache {
    pthread_mutex_t mu;
    size_t max_bytes, bytes, entries;
    uint64_t hits, misses, stores, evictions;
    struct entry *bucket[BUCKETS];
    struct entry *head, *tail;
    char mark[MARK_LEN + 1];
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

struct pagecache *pagecache_new(size_t max_bytes)
{
    struct pagecache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    unsigned char r[(MARK_LEN - 6) / 2]; /* "pcmark" + hex: MARK_LEN characters */
    randombytes_buf(r, sizeof r);
    int n = snprintf(c->mark, sizeof c->mark, "pcmark");
    for (size_t i = 0; i < sizeof r && n + 2 <= MARK_LEN; i++)
        n += snprintf(c->mark + n, sizeof c->mark - (size_t)n, "%02x", r[i]);
    return c;
}

static void entry_free(struct entry *x)
{
    free(x->key);
    free(x->body);
    free(x->marks);
    free(x);
}

void pagecache_free(struct pagecache *c)
{
    if (c == NULL)
        return;
    for (struct entry *x = c->head, *n; x != NULL; x = n) {
        n = x->next;
        entry_free(x);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *pagecache_mark(const struct pagecache *c) { return c->mark; }

static void lru_unlink(struct pagecache *c, struct entry *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        c->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        c->tail = x->prev;
    x->prev = x->next = NULL;
}

static void lru_front(struct pagecache *c, struct entry *x)
{
    x->prev = NULL;
    x->next = c->head;
    if (c->head)
        c->head->prev = x;
    c->head = x;
    if (c->tail == NULL)
        c->tail = x;
}

/* Takes x out of the table and the list and frees it. */
static void drop(struct pagecache *c, struct entry *x)
{
    struct entry **pp = &c->bucket[x->hash & (BUCKETS - 1)];
    while (*pp != NULL && *pp != x)
        pp = &(*pp)->hnext;
    if (*pp == x)
        *pp = x->hnext;
    lru_unlink(c, x);
    c->bytes -= x->cost;
    c->entries--;
    entry_free(x);
}

static struct entry *find(struct pagecache *c, const char *key, uint64_t h)
{
    for (struct entry *x = c->bucket[h & (BUCKETS - 1)]; x != NULL; x = x->hnext)
        if (x->hash == h && strcmp(x->key, key) == 0)
            return x;
    return NULL;
}

void pagecache_put(struct pagecache *c, const char *key, int64_t expires, const char *body,
                   size_t len)
{
    size_t klen = strlen(key), nm = 0;
    for (const char *p = body; (p = memmem(p, len - (size_t)(p - body), c->mark, MARK_LEN));
         p += MARK_LEN)
        nm++;
    size_t cost = sizeof(struct entry) + klen + 1 + len + nm * sizeof(size_t);
    if (cost > c->max_bytes / 4) /* one page never pushes out most of the others */
        return;
    struct entry *x = calloc(1, sizeof *x);
    if (x == NULL || (x->key = strdup(key)) == NULL || (x->body = malloc(len ? len : 1)) == NULL ||
        (nm > 0 && (x->marks = calloc(nm, sizeof *x->marks)) == NULL)) {
        if (x != NULL)
            entry_free(x);
        return;
    }
    memcpy(x->body, body, len);
    x->len = len;
    for (const char *p = body; (p = memmem(p, len - (size_t)(p - body), c->mark, MARK_LEN));
         p += MARK_LEN)
        x->marks[x->nmarks++] = (size_t)(p - body);
    x->hash = fnv(key);
    x->expires = expires;
    x->cost = cost;
    pthread_mutex_lock(&c->mu);
    struct entry *old = find(c, key, x->hash);
    if (old != NULL)
        drop(c, old);
    while (c->tail != NULL && c->bytes + cost > c->max_bytes) {
        drop(c, c->tail);
        c->evictions++;
    }
    struct entry **b = &c->bucket[x->hash & (BUCKETS - 1)];
    x->hnext = *b;
    *b = x;
    lru_front(c, x);
    c->bytes += cost;
    c->entries++;
    c->stores++;
    pthread_mutex_unlock(&c->mu);
}

int pagecache_get(struct pagecache *c, const char *key, int64_t now, const char *csrf,
                  struct buf *out)
{
    uint64_t h = fnv(key);
    size_t clen = strlen(csrf);
    *out = (struct buf)BUF_INIT;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, key, h);
    if (x != NULL && now >= x->expires) {
        drop(c, x);
        x = NULL;
    }
    if (x == NULL) {
        c->misses++;
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    lru_unlink(c, x);
    lru_front(c, x);
    c->hits++;
    size_t n = x->len - x->nmarks * MARK_LEN + x->nmarks * clen;
    char *p = malloc(n + 1);
    if (p == NULL) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    size_t from = 0, at = 0;
    for (size_t i = 0; i < x->nmarks; i++) {
        memcpy(p + at, x->body + from, x->marks[i] - from);
        at += x->marks[i] - from;
        memcpy(p + at, csrf, clen);
        at += clen;
        from = x->marks[i] + MARK_LEN;
    }
    memcpy(p + at, x->body + from, x->len - from);
    at += x->len - from;
    pthread_mutex_unlock(&c->mu);
    p[at] = '\0';
    out->p = p;
    out->len = at;
    out->cap = n + 1;
    return 1;
}

void pagecache_stats(struct pagecache *c, struct pagecache_stats *s)
{
    pthread_mutex_lock(&c->mu);
    *s =
        (struct pagecache_stats){c->hits, c->misses, c->stores, c->evictions, c->entries, c->bytes};
    pthread_mutex_unlock(&c->mu);
}

int64_t pagecache_next_midnight(int64_t now)
{
    int64_t jst = now + 9 * 3600;
    return now - (jst % 86400 + 86400) % 86400 + 86400;
}

/* ---- the handlers' side ---- */

/* "len:text" so that no two different inputs make one key. */
static int field(struct buf *b, const char *s)
{
    s = s ? s : "";
    return buf_printf(b, "%zu:%s|", strlen(s), s);
}

struct key_query {
    struct buf *b;
    int err;
};

static int query_arg(void *ctx, const char *name, const char *value)
{
    struct key_query *q = ctx;
    if (field(q->b, name) < 0 || buf_puts(q->b, value ? "=" : "!") < 0 || field(q->b, value) < 0)
        q->err = 1;
    return q->err;
}

int pagecache_try(struct req *r, const char *page, struct pagecache_ticket *t)
{
    memset(t, 0, sizeof *t);
    struct pagecache *c = r->web != NULL ? r->web->pcache : NULL;
    const struct user_row *u = req_user(r);
    if (c == NULL || u == NULL || u->org_id <= 0 ||
        (u->role != USER_CUSTOMER && u->role != USER_RESELLER))
        return 0;
    struct db *db = req_db(r);
    int64_t gen = 0;
    struct sm_err e = {0};
    if (db == NULL || datagen_get(db, u->org_id, &gen, &e) < 0)
        return 0; /* the handler reads (and answers a failure) as without the cache */
    struct buf k = BUF_INIT;
    k.max = 16384; /* a longer query is answered without the cache */
    int rc = buf_printf(&k, "%s|%lld|%d|%lld|%lld|%s|%d|", page, (long long)u->id, u->role,
                        (long long)u->org_id, (long long)gen, r->lang, r->web->test_ca);
    if (rc == 0)
        rc = field(&k, u->display_name);
    if (rc == 0)
        rc = field(&k, u->login_id);
    struct key_query kq = {&k, 0};
    if (rc == 0)
        req_query_each(r, query_arg, &kq);
    if (rc < 0 || kq.err || k.p == NULL) {
        buf_free(&k);
        return 0;
    }
    struct buf out;
    int hit = pagecache_get(c, k.p, (int64_t)clock_now(), req_csrf_token(r), &out);
    char labels[64];
    snprintf(labels, sizeof labels, "page=\"%s\",result=\"%s\"", page, hit == 1 ? "hit" : "miss");
    metrics_count(MF_PAGE_CACHE, labels);
    if (hit == 1) {
        buf_free(&k);
        http_reply_html(r, 200, &out);
        buf_free(&out);
        return 1;
    }
    t->on = 1;
    t->key = k.p;
    return 0;
}

int pagecache_reply_page(struct req *r, struct pagecache_ticket *t, int64_t expires,
                         const char *page, const char *title_key, json_t *data)
{
    struct pagecache *c = r->web != NULL ? r->web->pcache : NULL;
    if (!t->on || c == NULL)
        return http_reply_page(r, 200, page, title_key, data);
    struct buf b;
    if (http_render_page(r, page, title_key, data, pagecache_mark(c), &b) < 0)
        return http_reply_error(r, 500, "err.internal", NULL);
    pagecache_put(c, t->key, expires, b.p ? b.p : "", b.len);
    struct buf out;
    int rc = pagecache_get(c, t->key, (int64_t)clock_now(), req_csrf_token(r), &out);
    if (rc != 1) { /* not kept (too large, already expired): the mark goes here */
        const char *tok = req_csrf_token(r);
        struct buf o = BUF_INIT;
        const char *p = b.p ? b.p : "", *m;
        size_t ml = strlen(pagecache_mark(c));
        int ok = 0;
        while (ok == 0 && (m = strstr(p, pagecache_mark(c))) != NULL) {
            ok = buf_append(&o, p, (size_t)(m - p));
            if (ok == 0)
                ok = buf_puts(&o, tok);
            p = m + ml;
        }
        if (ok == 0)
            ok = buf_puts(&o, p);
        buf_free(&b);
        if (ok < 0) {
            buf_free(&o);
            return http_reply_error(r, 503, "err.nomem", NULL);
        }
        rc = http_reply_html(r, 200, &o);
        buf_free(&o);
        return rc;
    }
    buf_free(&b);
    rc = http_reply_html(r, 200, &out);
    buf_free(&out);
    return rc;
}

void pagecache_ticket_clear(struct pagecache_ticket *t)
{
    free(t->key);
    t->key = NULL;
    t->on = 0;
}
