/* SPDX-License-Identifier: MIT */
/* The announcements table (R-ACT-3): notices admins post, shown on the login page newest
 * first. Inserting expects the caller's transaction (with its audit record). */
#ifndef SM_ANNOUNCEMENTS_H
#define SM_ANNOUNCEMENTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define ANN_TITLE_MAX 400
#define ANN_BODY_MAX  8000

/* A stored announcement; every string is owned by the row. */
struct announcement_row {
    int64_t id, published_at, author_id;
    char *title_ja, *title_en, *body_ja, *body_en;
};

/* Inserts one announcement published at clock_now(). */
int announcement_insert(struct db *db, const char *title_ja, const char *title_en,
                        const char *body_ja, const char *body_en, int64_t author_id, int64_t *id,
                        struct sm_err *e);
/* The newest at most limit announcements, newest first. Free with announcement_rows_free. */
int announcement_list(struct db *db, size_t limit, struct announcement_row **rows, size_t *n,
                      struct sm_err *e);
void announcement_rows_free(struct announcement_row *rows, size_t n);

#endif
