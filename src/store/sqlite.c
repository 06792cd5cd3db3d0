/* SPDX-License-Identifier: MIT */
/* SQLite backend of db.h: connection settings (WAL, synchronous=FULL, foreign keys,
 * busy timeout with a waiting busy handler), $N -> ?N rewriting, a prepared-statement cache keyed
 * by SQL text, and result rows as struct db_val. One handle = one connection, used by one thread at
 * a time (opened with SQLITE_OPEN_NOMUTEX); threads each open their own struct db. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/db.h"

#define CACHE_SLOTS 256 /* open addressing; at most CACHE_MAX entries */
#define CACHE_MAX   192
#define STACK_COLS  32

struct cached {
    char *sql; /* original text ($N placeholders); NULL = empty slot */
    uint64_t hash;
    sqlite3_stmt *st;
};

struct sq {
    sqlite3 *db;
    struct cached cache[CACHE_SLOTS];
    int ncached;
    struct timespec busy_since; /* when the current wait for a lock began */
};

/* ---- waiting for the write lock ----
 * SQLite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms between tries, so a thread that
 * finds the database locked by another thread of this process sleeps long after the lock
 * is free: under concurrent writers most of the time goes to sleeping, not working. Here a
 * waiting connection sleeps on a condition that every connection of the process signals
 * when it leaves a transaction, and wakes at least every BUSY_POLL_MS for locks held by
 * other processes; it gives up after the same busy timeout as before. */
#define BUSY_POLL_MS 2
static pthread_mutex_t busy_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_cv = PTHREAD_COND_INITIALIZER;
static atomic_int busy_waiters;
static unsigned long busy_gen; /* under busy_mu: moves at every release */

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
    return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static int busy_wait(void *arg, int count)
{
    struct sq *s = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (count == 0)
        s->busy_since = now;
    else if (ms_between(&s->busy_since, &now) >= db_busy_timeout())
        return 0; /* SQLITE_BUSY to the caller */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += BUSY_POLL_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&busy_mu);
    atomic_fetch_add(&busy_waiters, 1);
    unsigned long gen = busy_gen;
    while (gen == busy_gen && pthread_cond_timedwait(&busy_cv, &busy_mu, &until) == 0)
        ;
    atomic_fetch_sub(&busy_waiters, 1);
    pthread_mutex_unlock(&busy_mu);
    return 1; /* try again */
}

/* After a statement: a connection out of any transaction may have freed the lock. */
static void busy_release(struct sq *s)
{
    if (atomic_load(&busy_waiters) == 0 || !sqlite3_get_autocommit(s->db))
        return;
    pthread_mutex_lock(&busy_mu);
    busy_gen++;
    pthread_cond_broadcast(&busy_cv);
    pthread_mutex_unlock(&busy_mu);
}

static int sq_err(struct sq *s, int rc, const char *what, struct sm_err *e)
{
    int code = SM_E_DB;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = SM_E_CONFLICT;
    else if ((rc & 0xff) == SQLITE_NOMEM)
        code = SM_E_NOMEM;
    else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        code = SM_E_DB_BUSY;
    else if ((rc & 0xff) == SQLITE_FULL)
        code = SM_E_STORAGE_FULL;
    return sm_err_set(e, code, NULL, "sqlite %s: %s (%d)", what,
                      s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), rc);
}

/* A statement's journal (the pages it changed, kept so that the statement alone can be
 * undone) stays in memory up to this size; SQLite's default of 64 KiB made the statements of
 * a large transaction (bulk issuance) write every changed page to a temporary file. Set
 * once, before SQLite initializes; if something initialized it first, the default stays. */
#define STMT_JOURNAL_MEMORY (8 * 1024 * 1024)

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

static void sq_config(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_MEMORY);
    /* No memory statistics (nothing here reads them): with them every allocation of
     * SQLite takes a process-wide mutex, 2-3% of a bulk issuance's time. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(const char *path, void **handle, struct sm_err *e)
{
    pthread_once(&config_once, sq_config);
    *handle = NULL;
    struct sq *s = sm_calloc(1, sizeof *s);
    if (s == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        int r = sm_err_set(e, SM_E_DB, "database.url", "cannot open sqlite database %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sqlite3_close(s->db);
        free(s);
        return r;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_handler(s->db, busy_wait, s);
    /* journal_mode returns a row; the others do not. In-memory databases keep "memory". */
    static const char *const pragmas[] = {
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
    };
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
        rc = sqlite3_exec(s->db, pragmas[i], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            int r = sq_err(s, rc, pragmas[i], e);
            sqlite3_close(s->db);
            free(s);
            return r;
        }
    }
    *handle = s;
    return 0;
}

static void cache_clear(struct sq *s)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (s->cache[i].sql != NULL) {
            sqlite3_finalize(s->cache[i].st);
            free(s->cache[i].sql);
            s->cache[i].sql = NULL;
            s->cache[i].st = NULL;
        }
    }
    s->ncached = 0;
}

static void sq_close(void *handle)
{
    struct sq *s = handle;
    if (s == NULL)
        return;
    cache_clear(s);
    sqlite3_close(s->db);
    free(s);
}

/* Rewrites $N to ?N outside quoted text and comments. Caller frees; NULL on no memory. */
static char *rewrite(const char *sql)
{
    struct buf b = BUF_INIT;
    int rc = 0;
    const char *p = sql;
    while (*p != '\0' && rc == 0) {
        char c = *p;
        if (c == '\'' || c == '"') {
            const char *q = p + 1;
            while (*q != '\0' && *q != c)
                q++;
            if (*q == c)
                q++;
            rc = buf_append(&b, p, (size_t)(q - p));
            p = q;
        } else if (c == '-' && p[1] == '-') {
            const char *q = p;
            while (*q != '\0' && *q != '\n')
                q++;
            rc = buf_append(&b, p, (size_t)(q - p));
            p = q;
        } else if (c == '$' && p[1] >= '0' && p[1] <= '9') {
            rc = buf_putc(&b, '?');
            p++;
        } else {
            rc = buf_putc(&b, c);
            p++;
        }
    }
    if (rc == 0 && b.p == NULL)
        rc = buf_puts(&b, "");
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int prepare(struct sq *s, const char *sql, sqlite3_stmt **out, struct sm_err *e)
{
    char *q = rewrite(sql);
    if (q == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(s->db, q, -1, SQLITE_PREPARE_PERSISTENT, out, &tail);
    int r = 0;
    if (rc != SQLITE_OK) {
        r = sq_err(s, rc, "prepare", e);
    } else if (*out == NULL) {
        r = sm_err_set(e, SM_E_INTERNAL, NULL, "empty statement");
    } else {
        while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';' || *tail == '\r')
            tail++;
        if (*tail != '\0')
            r = sm_err_set(e, SM_E_INTERNAL, NULL, "more than one statement in db_run");
    }
    if (r < 0) {
        sqlite3_finalize(*out);
        *out = NULL;
    }
    free(q);
    return r;
}

/* Returns a statement for sql: cached when possible. *owned = 1 when the caller must
 * finalize it (cache full, or the cached one is in use by an enclosing db_run). */
static int lookup(struct sq *s, const char *sql, sqlite3_stmt **out, int *owned, struct sm_err *e)
{
    uint64_t h = fnv1a(sql);
    unsigned i = (unsigned)(h % CACHE_SLOTS);
    for (int probes = 0; probes < CACHE_SLOTS; probes++, i = (i + 1) % CACHE_SLOTS) {
        struct cached *c = &s->cache[i];
        if (c->sql == NULL)
            break;
        if (c->hash == h && strcmp(c->sql, sql) == 0) {
            if (sqlite3_stmt_busy(c->st))
                break; /* re-entered from a row callback: use a private copy */
            *out = c->st;
            *owned = 0;
            return 0;
        }
    }
    int rc = prepare(s, sql, out, e);
    if (rc < 0)
        return rc;
    *owned = 1;
    if (s->ncached >= CACHE_MAX || s->cache[i].sql != NULL)
        return 0;
    char *copy = sm_strdup(sql);
    if (copy == NULL)
        return 0; /* still usable, just not cached */
    s->cache[i].sql = copy;
    s->cache[i].hash = h;
    s->cache[i].st = *out;
    s->ncached++;
    *owned = 0;
    return 0;
}

static int bind(struct sq *s, sqlite3_stmt *st, const struct db_val *params, int nparams,
                struct sm_err *e)
{
    int want = sqlite3_bind_parameter_count(st);
    if (nparams < want)
        return sm_err_set(e, SM_E_INTERNAL, NULL, "statement needs %d parameters, got %d", want,
                          nparams);
    for (int i = 0; i < nparams && i < want; i++) {
        const struct db_val *v = &params[i];
        int rc;
        switch (v->t) {
        case DB_INT: rc = sqlite3_bind_int64(st, i + 1, v->i); break;
        case DB_TEXT:
            rc = sqlite3_bind_text64(st, i + 1, v->p ? v->p : "", v->n, SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
            break;
        case DB_BLOB:
            rc = sqlite3_bind_blob64(st, i + 1, v->p ? v->p : "", v->n, SQLITE_TRANSIENT);
            break;
        default: rc = sqlite3_bind_null(st, i + 1); break;
        }
        if (rc != SQLITE_OK)
            return sq_err(s, rc, "bind", e);
    }
    return 0;
}

static void column(sqlite3_stmt *st, int i, struct db_val *v)
{
    memset(v, 0, sizeof *v);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        v->t = DB_INT;
        v->i = sqlite3_column_int64(st, i);
        break;
    case SQLITE_FLOAT:
        v->t = DB_INT;
        v->i = (int64_t)sqlite3_column_double(st, i);
        break;
    case SQLITE_TEXT:
        v->t = DB_TEXT;
        v->p = sqlite3_column_text(st, i);
        v->n = (size_t)sqlite3_column_bytes(st, i);
        break;
    case SQLITE_BLOB:
        v->t = DB_BLOB;
        v->p = sqlite3_column_blob(st, i);
        v->n = (size_t)sqlite3_column_bytes(st, i);
        if (v->p == NULL)
            v->p = "";
        break;
    default: v->t = DB_NULL; break;
    }
}

static int step_all(struct sq *s, sqlite3_stmt *st, db_row_fn fn, void *ctx, struct sm_err *e)
{
    struct db_val stackcols[STACK_COLS];
    struct db_val *cols = stackcols;
    int ncols = sqlite3_column_count(st);
    if (ncols > STACK_COLS) {
        cols = sm_calloc((size_t)ncols, sizeof *cols);
        if (cols == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    int r = 0;
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            r = sq_err(s, rc, "step", e);
            break;
        }
        if (fn == NULL)
            continue;
        for (int i = 0; i < ncols; i++)
            column(st, i, &cols[i]);
        r = fn(ctx, cols, ncols);
        if (r != 0)
            break;
    }
    if (cols != stackcols)
        free(cols);
    return r;
}

static int sq_run(void *handle, const char *sql, const struct db_val *params, int nparams,
                  db_row_fn fn, void *ctx, int64_t *changes, struct sm_err *e)
{
    struct sq *s = handle;
    sqlite3_stmt *st = NULL;
    int owned = 0;
    *changes = 0;
    int r = lookup(s, sql, &st, &owned, e);
    if (r < 0)
        return r;
    r = bind(s, st, params, nparams, e);
    if (r == 0) {
        r = step_all(s, st, fn, ctx, e);
        if (r >= 0 && !sqlite3_stmt_readonly(st))
            *changes = sqlite3_changes64(s->db);
    }
    if (owned) {
        sqlite3_finalize(st);
    } else {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    busy_release(s);
    return r;
}

static int sq_exec_script(void *handle, const char *sql, struct sm_err *e)
{
    struct sq *s = handle;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    busy_release(s);
    if (rc != SQLITE_OK)
        return sq_err(s, rc, "script", e);
    /* The schema changed: cached statements are re-prepared by SQLite automatically. */
    return 0;
}

const struct db_ops db_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .run = sq_run,
    .exec_script = sq_exec_script,
    .begin_sql = "BEGIN IMMEDIATE",
    .begin_read_sql = "BEGIN",
};
