/* SPDX-License-Identifier: MIT */
/* The quotes table (migration 0065): every numbered quote with its content as JSON, read
 * back by number inside the caller's organization scope (a quote of another organization
 * is -SM_E_NOTFOUND, like one that does not exist). The content's shape is ra/quote's.
 * quotes_insert runs inside the caller's transaction. */
#ifndef SM_STORE_QUOTES_H
#define SM_STORE_QUOTES_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/scope.h"

struct db;

struct quote_row {
    int64_t id, org_id, created_by, created_at, valid_until, total;
    char number[32];
    char recipient[416];
    char subject[256];
    char *body; /* owned: JSON */
};

int quotes_insert(struct db *db, const struct quote_row *q, int64_t *id, struct sm_err *e);
/* The quote numbered number inside scope. Free with quote_row_clear. */
int quotes_get(struct db *db, const char *number, const struct org_scope *scope,
               struct quote_row *out, struct sm_err *e);
/* The newest quotes inside scope (at most limit, 1..200), newest first, body left NULL.
 * Free with quote_rows_free. */
int quotes_list(struct db *db, const struct org_scope *scope, int limit, struct quote_row **rows,
                size_t *n, struct sm_err *e);
void quote_row_clear(struct quote_row *q);
void quote_rows_free(struct quote_row *v, size_t n);

#endif
