/* SPDX-License-Identifier: MIT */
/* Database figures for /metrics (see opsstats.h). */
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/opsstats.h"

static const struct db_stmt st_outbox = {
    "opsstats.outbox",
    "SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM outbox WHERE state = 'queued'", NULL, NULL};
static const struct db_stmt st_jobs = {
    "opsstats.jobs",
    "SELECT kind, SUM(CASE WHEN next_run_at <= $1 AND lease_until < $1 THEN 1 ELSE 0 END), "
    "MAX(CASE WHEN next_run_at <= $1 AND lease_until < $1 THEN $1 - next_run_at ELSE 0 END) "
    "FROM jobs WHERE done = 0 GROUP BY kind ORDER BY kind",
    NULL, NULL};
static const struct db_stmt st_crls = {
    "opsstats.crls", "SELECT issuer, this_update, next_update FROM crls ORDER BY issuer", NULL,
    NULL};

static int fill(void *row, const struct db_val *cols)
{
    struct opsstat_row *r = row;
    db_col_copy(r->key, sizeof r->key, &cols[0]);
    r->a = db_col_int(&cols[1]);
    r->b = db_col_int(&cols[2]);
    return 0;
}

static const struct db_rowtype row_type = {sizeof(struct opsstat_row), 3, fill, NULL, "figure"};

static int outbox_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct opsstats *s = ctx;
    if (ncols < 2)
        return -1;
    s->outbox_queued = db_col_int(&cols[0]);
    s->outbox_oldest_at = db_col_int(&cols[1]);
    return 1;
}

int opsstats_read(struct db *db, int64_t now, struct opsstats *s, struct sm_err *e)
{
    memset(s, 0, sizeof *s);
    struct db_val p[] = {DBV_INT(now)};
    int rc = db_run(db, &st_outbox, NULL, 0, outbox_row, s, e);
    if (rc >= 0)
        rc = db_collect(db, &st_jobs, p, 1, &row_type, &s->jobs, &s->njobs, e);
    if (rc >= 0)
        rc = db_collect(db, &st_crls, NULL, 0, &row_type, &s->crls, &s->ncrls, e);
    if (rc < 0) {
        opsstats_clear(s);
        return rc;
    }
    return 0;
}

void opsstats_clear(struct opsstats *s)
{
    free(s->jobs);
    free(s->crls);
    memset(s, 0, sizeof *s);
}
