/* SPDX-License-Identifier: MIT */
/* Rendered portal pages kept in memory (issue 12 item 10, R-MNG-1): the dashboard and the
 * certificate list of customers and resellers, whose rendering at a reseller's scale
 * (100,000 certificates, 200 customers as filter choices) costs far more than a read.
 *
 * A page is kept under a key of everything that decides it: the page, the viewer (user
 * id, role, organization, name and login shown in the header), the language, the query
 * as given, the test-CA banner, and the generation of the viewer's organization's data
 * (store/datagen: moved by the database in the transaction of every change of what the
 * page shows, on whichever node, so one indexed read per request tells a kept page from
 * a stale one). A page also carries the time it stops being right by the clock (the next
 * certificate of the scope to expire, the next Tokyo midnight, the dashboard figures' age).
 * The key holds the user id, so one user's page is never another's, whatever the
 * organizations and groups. Officers and admins (every organization) are not cached.
 *
 * The session's CSRF token is not part of a kept page: a page is rendered once with a
 * random mark in its place and each answer gets its own session's token in the mark's
 * stead. Memory is bounded ([server] page_cache_mb; least recently used pages go first). */
#ifndef SM_WEB_PAGECACHE_H
#define SM_WEB_PAGECACHE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"

struct req;
struct pagecache;

/* A cache of at most max_bytes (bodies, keys and bookkeeping); NULL without memory. */
struct pagecache *pagecache_new(size_t max_bytes);
void pagecache_free(struct pagecache *c);
/* The mark that stands for the CSRF token in kept bodies (random per cache). */
const char *pagecache_mark(const struct pagecache *c);

/* Low level (tests, and the two calls below). Keeps body[0..len) (copied) under key
 * until expires (exclusive); the mark's occurrences are remembered. Too large for the
 * cache: not kept. Replaces an entry of the same key. */
void pagecache_put(struct pagecache *c, const char *key, int64_t expires, const char *body,
                   size_t len);
/* 1 and *out = the body under key with csrf in place of every mark when there is one that
 * is still valid at now; 0 when there is none (an expired one is dropped); -1 without
 * memory. */
int pagecache_get(struct pagecache *c, const char *key, int64_t now, const char *csrf,
                  struct buf *out);
struct pagecache_stats {
    uint64_t hits, misses, stores, evictions;
    size_t entries, bytes;
};
void pagecache_stats(struct pagecache *c, struct pagecache_stats *s);

/* A handler's use. page names the handler ("cert_list", "dashboard"). */
struct pagecache_ticket {
    int on;    /* the page may be kept: pagecache_reply_page stores it */
    char *key; /* owned */
};
/* Before any other read: for a customer or reseller reads the generation and answers the
 * request from the cache when the page is there (1: answered, the handler returns).
 * 0: render it and answer with pagecache_reply_page. Clear t with pagecache_ticket_clear
 * either way. */
int pagecache_try(struct req *r, const char *page, struct pagecache_ticket *t);
/* Renders the page as http_reply_page does (200) and, when t is on, keeps it until
 * expires. data: reference stolen. */
int pagecache_reply_page(struct req *r, struct pagecache_ticket *t, int64_t expires,
                         const char *page, const char *title_key, json_t *data);
void pagecache_ticket_clear(struct pagecache_ticket *t);
/* The first second of the next day in Tokyo after now. */
int64_t pagecache_next_midnight(int64_t now);

#endif
