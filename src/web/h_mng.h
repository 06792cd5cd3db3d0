/* SPDX-License-Identifier: MIT */
/* Managing many certificates (R-MNG-1, R-MNG-3): the dashboard (h_dashboard.c), the
 * certificate list with filters and column choice (h_certlist.c) and its CSV export
 * (h_csv.c), which share the parsing of the list's query. */
#ifndef SM_WEB_H_MNG_H
#define SM_WEB_H_MNG_H
#include <stdint.h>

#include "core/buf.h"
#include "store/certsearch.h"

struct req;
struct portal;

/* The list's query as parsed: the filter plus what it borrows. */
struct certlist_query {
    struct certsearch_filter f;
    int64_t *ids; /* owned: the CSV's selected certificates ("id", repeated) */
    size_t nids;
    const char *state; /* "valid" ... or NULL */
    char product[32], level[4], from[11], to[11];
    int64_t page; /* ?page=N of the page (1 when absent) */
};
enum { MNG_PAGE, MNG_API, MNG_CSV };

/* Reads the query of a list (mode MNG_PAGE), API (MNG_API: limit, offset) or CSV
 * (MNG_CSV: repeated id) request into q inside p's scope. 0, or -1 after answering 400
 * naming the argument (an unknown one, a malformed date, a state, level or product that
 * does not exist, an organization outside the scope). Free with mng_query_clear. */
int mng_parse_query(struct req *r, const struct portal *p, struct certlist_query *q, int mode);
void mng_query_clear(struct certlist_query *q);
/* Appends q's filter (and sort when with_sort) as "&name=value" query arguments. */
int mng_query_args(struct buf *b, const struct certlist_query *q, int with_sort);
/* A positive decimal id, or -1. */
int64_t mng_parse_id(const char *s);
/* "valid", "expired" or "revoked" at now. */
const char *mng_status(const char *state, int64_t not_after, int64_t now);

void h_certs_columns(struct req *r);
void h_certs_csv(struct req *r);
void h_api_certs_csv(struct req *r);

#endif
