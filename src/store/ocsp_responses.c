/* SPDX-License-Identifier: MIT */
/* Pre-signed OCSP responses; see ocsp_responses.h. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/ocsp_responses.h"

static const struct db_stmt st_get = {
    "ocsp_responses.get",
    "SELECT o.der FROM ocsp_responses o JOIN certificates c ON c.serial = o.serial "
    "WHERE o.serial = $1 AND o.level = $2 AND o.state = c.state AND o.next_update > $3",
    NULL, NULL};

static const struct db_stmt st_put = {
    "ocsp_responses.put",
    "INSERT INTO ocsp_responses (serial, level, state, der, this_update, next_update, "
    "refresh_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (serial) DO UPDATE SET "
    "level = excluded.level, state = excluded.state, der = excluded.der, "
    "this_update = excluded.this_update, next_update = excluded.next_update, "
    "refresh_at = excluded.refresh_at",
    NULL, NULL};

static const struct db_stmt st_due = {
    "ocsp_responses.due",
    "SELECT c.serial, c.level, c.state, c.revoked_at, c.revocation_reason, c.reserved_at "
    "FROM certificates c LEFT JOIN ocsp_responses o ON o.serial = c.serial "
    "WHERE c.state IN ('issued', 'revocation_scheduled', 'revoked') AND c.not_after > $1 "
    "AND (o.serial IS NULL OR o.refresh_at <= $1 OR o.state <> c.state) "
    "ORDER BY c.id LIMIT $2",
    NULL, NULL};

struct blob {
    unsigned char *p;
    size_t n;
};

static int fill_blob(void *row, const struct db_val *c)
{
    struct blob *b = row;
    if (c[0].n == 0)
        return 0;
    b->p = sm_malloc(c[0].n);
    if (b->p == NULL)
        return -1;
    memcpy(b->p, c[0].p, c[0].n);
    b->n = c[0].n;
    return 0;
}

static const struct db_rowtype blob_rowtype = {sizeof(struct blob), 1, fill_blob, NULL, "ocsp"};

int ocsp_responses_get(struct db *db, const char *serial, const char *level, int64_t now,
                       unsigned char **der, size_t *len, struct sm_err *e)
{
    struct blob b;
    *der = NULL;
    *len = 0;
    struct db_val p[3] = {DBV_TEXT(serial), DBV_TEXT(level), DBV_INT(now)};
    int rc = db_get_one(db, &st_get, p, 3, &blob_rowtype, &b, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return -SM_E_NOTFOUND;
    }
    if (rc < 0)
        return rc;
    if (b.n == 0)
        return sm_err_set(e, SM_E_DB, "ocsp", "empty pre-signed response");
    *der = b.p;
    *len = b.n;
    return 0;
}

int ocsp_responses_put(struct db *db, const char *serial, const char *level, const char *state,
                       const unsigned char *der, size_t len, int64_t this_update,
                       int64_t next_update, int64_t refresh_at, struct sm_err *e)
{
    struct db_val p[7] = {DBV_TEXT(serial),   DBV_TEXT(level),      DBV_TEXT(state),
                          DBV_BLOB(der, len), DBV_INT(this_update), DBV_INT(next_update),
                          DBV_INT(refresh_at)};
    return db_run(db, &st_put, p, 7, NULL, NULL, e);
}

static int fill_due(void *row, const struct db_val *c)
{
    struct ocsp_due_row *d = row;
    db_col_copy(d->serial, sizeof d->serial, &c[0]);
    db_col_copy(d->level, sizeof d->level, &c[1]);
    db_col_copy(d->state, sizeof d->state, &c[2]);
    d->revoked_at = db_col_int(&c[3]);
    d->reason = db_col_int(&c[4]);
    d->reserved_at = db_col_int(&c[5]);
    return 0;
}

static const struct db_rowtype due_rowtype = {sizeof(struct ocsp_due_row), 6, fill_due, NULL,
                                              "ocsp"};

int ocsp_responses_list_due(struct db *db, int64_t now, size_t max, struct ocsp_due_row **out,
                            size_t *n, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(now), DBV_INT((int64_t)max)};
    return db_collect(db, &st_due, p, 2, &due_rowtype, out, n, e);
}
