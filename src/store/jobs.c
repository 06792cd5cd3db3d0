/* SPDX-License-Identifier: MIT */
/* The jobs table (see jobs.h): ensure, claim with a lease in one atomic statement, renew,
 * complete, fail, read. */
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/jobs.h"

#define COLS                                                                                       \
    "id, kind, key, every_seconds, next_run_at, owner, lease_until, attempts, last_error, runs, "  \
    "last_run_at, done, created_at"
#define NCOLS 13

static const struct db_stmt st_ensure = {
    "jobs.ensure",
    "INSERT INTO jobs (kind, key, every_seconds, next_run_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (kind, key) DO UPDATE SET every_seconds = excluded.every_seconds",
    NULL, NULL};
/* The kind filter is a comma list: ',a,b,' LIKE '%,kind,%'. Kinds are [a-z0-9.-]
 * (jobs_ensure checks), so a stored kind never holds a LIKE wildcard. */
#define CLAIM_WHERE                                                                                \
    "done = 0 AND next_run_at <= $3 AND lease_until < $3 "                                         \
    "AND (',' || CAST($4 AS TEXT) || ',') LIKE ('%,' || kind || ',%')"
static const struct db_stmt st_claim = {
    "jobs.claim", NULL,
    "UPDATE jobs SET owner = $1, lease_until = $2 WHERE id = (SELECT id FROM jobs "
    "WHERE " CLAIM_WHERE " ORDER BY next_run_at, id LIMIT 1) AND " CLAIM_WHERE " RETURNING " COLS,
    "UPDATE jobs SET owner = $1, lease_until = $2 WHERE id = (SELECT id FROM jobs "
    "WHERE " CLAIM_WHERE
    " ORDER BY next_run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) AND " CLAIM_WHERE
    " RETURNING " COLS};
static const struct db_stmt st_any_due = {
    "jobs.any_due",
    "SELECT id FROM jobs WHERE done = 0 AND next_run_at <= $1 AND lease_until < $1 "
    "AND (',' || CAST($2 AS TEXT) || ',') LIKE ('%,' || kind || ',%') LIMIT 1",
    NULL, NULL};
static const struct db_stmt st_renew = {
    "jobs.renew",
    "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND lease_until > 0 "
    "AND done = 0",
    NULL, NULL};
static const struct db_stmt st_complete = {
    "jobs.complete",
    "UPDATE jobs SET lease_until = 0, attempts = 0, last_error = NULL, runs = runs + 1, "
    "last_run_at = $1, next_run_at = $2, done = $3 "
    "WHERE id = $4 AND owner = $5 AND lease_until > 0 AND done = 0",
    NULL, NULL};
static const struct db_stmt st_fail = {
    "jobs.fail",
    "UPDATE jobs SET lease_until = 0, attempts = attempts + 1, last_error = $1, "
    "next_run_at = $2 WHERE id = $3 AND owner = $4 AND lease_until > 0 AND done = 0",
    NULL, NULL};
static const struct db_stmt st_hold = {
    "jobs.hold",
    "UPDATE jobs SET owner = $1, lease_until = $2 WHERE kind = $3 AND key = $4 AND done = 0 "
    "AND lease_until < $5 RETURNING id",
    NULL, NULL};
static const struct db_stmt st_get = {
    "jobs.get", "SELECT " COLS " FROM jobs WHERE kind = $1 AND key = $2", NULL, NULL};
/* A one-shot job due again: created, or an ended one (done = 1) made due with a fresh count
 * of attempts; a job not ended (queued, running, waiting after a failure) is left as it is,
 * so that one job of a key runs at a time. */
static const struct db_stmt st_rearm = {
    "jobs.rearm",
    "INSERT INTO jobs (kind, key, every_seconds, next_run_at, created_at) "
    "VALUES ($1, $2, 0, $3, $3) "
    "ON CONFLICT (kind, key) DO UPDATE SET done = 0, attempts = 0, last_error = NULL, "
    "next_run_at = excluded.next_run_at WHERE jobs.done = 1",
    NULL, NULL};
static const struct db_stmt st_list = {"jobs.list", "SELECT " COLS " FROM jobs ORDER BY id", NULL,
                                       NULL};

/* ---- rows ---- */

void job_row_clear(struct job_row *r)
{
    if (r == NULL)
        return;
    free(r->kind);
    free(r->key);
    free(r->owner);
    free(r->last_error);
    memset(r, 0, sizeof *r);
}

void job_rows_free(struct job_row *rows, size_t n)
{
    for (size_t i = 0; rows != NULL && i < n; i++)
        job_row_clear(&rows[i]);
    free(rows);
}

static void clear(void *row) { job_row_clear(row); }

static int fill(void *row, const struct db_val *c)
{
    struct job_row *r = row;
    int bad = 0;
    r->id = db_col_int(&c[0]);
    bad |= db_col_dup(&r->kind, &c[1]);
    bad |= db_col_dup(&r->key, &c[2]);
    r->every_seconds = db_col_int(&c[3]);
    r->next_run_at = db_col_int(&c[4]);
    bad |= db_col_dup(&r->owner, &c[5]);
    r->lease_until = db_col_int(&c[6]);
    r->attempts = db_col_int(&c[7]);
    bad |= db_col_dup(&r->last_error, &c[8]);
    r->runs = db_col_int(&c[9]);
    r->last_run_at = db_col_int(&c[10]);
    r->done = db_col_int(&c[11]);
    r->created_at = db_col_int(&c[12]);
    if (bad)
        job_row_clear(r);
    return bad ? -1 : 0;
}

static const struct db_rowtype job_rowtype = {sizeof(struct job_row), NCOLS, fill, clear, "job"};

/* ---- checks ---- */

static int name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int check_owner(const char *owner, struct sm_err *e)
{
    if (owner == NULL || *owner == '\0')
        return sm_err_set(e, SM_E_INVALID, "owner", "a job needs an owner name");
    return 0;
}

static int held(struct db *db, int64_t id, struct sm_err *e)
{
    if (db_changes(db) != 1)
        return sm_err_set(e, SM_E_CONFLICT, "owner", "job %lld is no longer held by this process",
                          (long long)id);
    return 0;
}

/* ---- operations ---- */

int jobs_ensure(struct db *db, const char *kind, const char *key, int64_t every_seconds,
                int64_t first_run_at, struct sm_err *e)
{
    if (kind == NULL || *kind == '\0' || !name_ok(kind, JOBS_MAX_KIND))
        return sm_err_set(e, SM_E_INVALID, "kind", "job kind must be 1..%d of [a-z0-9.-]",
                          JOBS_MAX_KIND);
    if (key == NULL)
        key = "";
    if (strlen(key) > JOBS_MAX_KEY)
        return sm_err_set(e, SM_E_TOO_LARGE, "key", "job key longer than %d bytes", JOBS_MAX_KEY);
    if (every_seconds < 0)
        return sm_err_set(e, SM_E_INVALID, "every_seconds", "job period must be >= 0");
    struct db_val p[5] = {DBV_TEXT(kind), DBV_TEXT(key), DBV_INT(every_seconds),
                          DBV_INT(first_run_at), DBV_INT(first_run_at)};
    return db_run(db, &st_ensure, p, 5, NULL, NULL, e);
}

int jobs_rearm(struct db *db, const char *kind, const char *key, int64_t run_at, struct sm_err *e)
{
    if (kind == NULL || *kind == '\0' || !name_ok(kind, JOBS_MAX_KIND))
        return sm_err_set(e, SM_E_INVALID, "kind", "job kind must be 1..%d of [a-z0-9.-]",
                          JOBS_MAX_KIND);
    if (key == NULL || strlen(key) > JOBS_MAX_KEY)
        return sm_err_set(e, SM_E_TOO_LARGE, "key", "job key missing or longer than %d bytes",
                          JOBS_MAX_KEY);
    struct db_val p[3] = {DBV_TEXT(kind), DBV_TEXT(key), DBV_INT(run_at)};
    return db_run(db, &st_rearm, p, 3, NULL, NULL, e);
}

int jobs_claim(struct db *db, const char *owner, const char *kinds, int64_t now,
               int64_t lease_seconds, struct job_row *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = check_owner(owner, e);
    if (rc < 0)
        return rc;
    if (kinds == NULL || *kinds == '\0' || lease_seconds < 1)
        return sm_err_set(e, SM_E_INVALID, "kinds", "a claim needs kinds and a lease");
    if (db_in_transaction(db))
        return sm_err_set(e, SM_E_INTERNAL, "jobs", "jobs_claim inside a transaction");
    struct db_val p[4] = {DBV_TEXT(owner), DBV_INT(now + lease_seconds), DBV_INT(now),
                          DBV_TEXT(kinds)};
    /* A read first: an idle runner polls often and must not take SQLite's write lock
     * each time. */
    int64_t any = 0;
    struct sm_err err = {0}; /* nothing due is no error */
    rc = db_get_one(db, &st_any_due, p + 2, 2, &db_row_int, &any, &err);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && any == 0))
        return 0;
    if (rc < 0) {
        if (e != NULL)
            *e = err;
        return rc;
    }
    rc = db_begin(db, e); /* SQLite: BEGIN IMMEDIATE, so claims serialize */
    if (rc == 0)
        rc = db_get_one(db, &st_claim, p, 4, &job_rowtype, out, e);
    if (rc == -SM_E_NOTFOUND) { /* another process took it since the read */
        db_rollback(db);
        return 0;
    }
    if (rc == 0) {
        rc = db_commit(db, e);
        if (rc < 0)
            job_row_clear(out);
    }
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    return 1;
}

int jobs_hold(struct db *db, const char *kind, const char *key, const char *owner, int64_t now,
              int64_t lease_seconds, int64_t *id, struct sm_err *e)
{
    *id = 0;
    int rc = check_owner(owner, e);
    if (rc < 0)
        return rc;
    if (kind == NULL || key == NULL || lease_seconds < 1)
        return sm_err_set(e, SM_E_INVALID, "kind", "a hold needs a kind, a key and a lease");
    struct db_val p[5] = {DBV_TEXT(owner), DBV_INT(now + lease_seconds), DBV_TEXT(kind),
                          DBV_TEXT(key), DBV_INT(now)};
    struct sm_err err = {0};
    rc = db_get_one(db, &st_hold, p, 5, &db_row_int, id, &err);
    if (rc == -SM_E_NOTFOUND)
        return 0; /* done, held by another process, or no such job */
    if (rc < 0) {
        if (e != NULL)
            *e = err;
        return rc;
    }
    return 1;
}

int jobs_renew(struct db *db, int64_t id, const char *owner, int64_t lease_until, struct sm_err *e)
{
    int rc = check_owner(owner, e);
    struct db_val p[3] = {DBV_INT(lease_until), DBV_INT(id), DBV_TEXT(owner ? owner : "")};
    if (rc == 0)
        rc = db_run(db, &st_renew, p, 3, NULL, NULL, e);
    return rc < 0 ? rc : held(db, id, e);
}

int jobs_complete(struct db *db, int64_t id, const char *owner, int64_t now, int64_t next_run_at,
                  struct sm_err *e)
{
    int rc = check_owner(owner, e);
    struct db_val p[5] = {DBV_INT(now), DBV_INT(next_run_at > 0 ? next_run_at : now),
                          DBV_INT(next_run_at > 0 ? 0 : 1), DBV_INT(id),
                          DBV_TEXT(owner ? owner : "")};
    if (rc == 0)
        rc = db_run(db, &st_complete, p, 5, NULL, NULL, e);
    return rc < 0 ? rc : held(db, id, e);
}

int jobs_fail(struct db *db, int64_t id, const char *owner, const char *error, int64_t next_run_at,
              struct sm_err *e)
{
    int rc = check_owner(owner, e);
    if (error == NULL || *error == '\0')
        error = "failed";
    size_t n = strlen(error);
    if (n > JOBS_MAX_ERROR) /* cut on a UTF-8 boundary */
        for (n = JOBS_MAX_ERROR; n > 0 && ((unsigned char)error[n] & 0xC0) == 0x80; n--)
            ;
    struct db_val p[4] = {DBV_TEXTN(error, n), DBV_INT(next_run_at), DBV_INT(id),
                          DBV_TEXT(owner ? owner : "")};
    if (rc == 0)
        rc = db_run(db, &st_fail, p, 4, NULL, NULL, e);
    return rc < 0 ? rc : held(db, id, e);
}

int64_t jobs_backoff(int64_t every_seconds, int64_t attempts)
{
    int64_t base = every_seconds > 0 ? every_seconds : 30;
    int64_t cap = base > 3600 ? base : 3600;
    if (attempts < 1)
        attempts = 1;
    int64_t d = base;
    for (int64_t i = 1; i < attempts && d < cap; i++)
        d *= 2;
    return d < cap ? d : cap;
}

int jobs_get(struct db *db, const char *kind, const char *key, struct job_row *out,
             struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(kind ? kind : ""), DBV_TEXT(key ? key : "")};
    int rc = db_get_one(db, &st_get, p, 2, &job_rowtype, out, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "kind", "no job %s/%s", kind ? kind : "", key ? key : "");
    return rc;
}

int jobs_list(struct db *db, struct job_row **rows, size_t *n, struct sm_err *e)
{
    return db_collect(db, &st_list, NULL, 0, &job_rowtype, rows, n, e);
}
