/* SPDX-License-Identifier: MIT */
/* The one database API. Backends (sqlite.c, pg.c) fill a const struct db_ops; callers
 * in store/ describe each statement once as a struct db_stmt (SQL text with $1..$N
 * placeholders, optionally a per-backend override) and run it with bound parameters.
 * Nothing outside store/ includes this file or writes SQL. */
#ifndef SM_DB_H
#define SM_DB_H
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* strlen in DBV_TEXT */

#include "core/err.h"

struct db;

enum db_type { DB_NULL, DB_INT, DB_TEXT, DB_BLOB };

struct db_val {
    enum db_type t;
    int64_t i;     /* DB_INT */
    const void *p; /* DB_TEXT (UTF-8) / DB_BLOB; for results valid only inside the row callback */
    size_t n;      /* bytes of p */
};

#define DBV_NULL          ((struct db_val){DB_NULL, 0, NULL, 0})
#define DBV_INT(v)        ((struct db_val){DB_INT, (int64_t)(v), NULL, 0})
#define DBV_TEXT(s)       ((struct db_val){DB_TEXT, 0, (s), strlen(s)})
#define DBV_TEXTN(s, len) ((struct db_val){DB_TEXT, 0, (s), (len)})
#define DBV_BLOB(d, len)  ((struct db_val){DB_BLOB, 0, (d), (len)})

/* A statement: sql uses $1..$N for both backends (sqlite.c rewrites to ?N);
 * sql_pg / sql_sqlite replace it for one backend when the dialects differ. */
struct db_stmt {
    const char *name; /* for logs and errors */
    const char *sql;
    const char *sql_sqlite; /* NULL = use sql */
    const char *sql_pg;     /* NULL = use sql */
};

/* Called once per result row; return 0 to continue, nonzero to stop (that value is returned
 * by db_run when positive; a negative value is treated as an error and returned as is). */
typedef int (*db_row_fn)(void *ctx, const struct db_val *cols, int ncols);

/* url: "sqlite:PATH" (PATH relative to dir unless absolute) or "postgres://...".
 * Opens, applies the connection settings (SQLite: WAL, synchronous=FULL, foreign keys,
 * busy timeout). Does not migrate. The caller closes with db_close(). */
int db_open(const char *url, const char *dir, struct db **out, struct sm_err *e);
void db_close(struct db *db);
const char *db_backend(const struct db *db); /* "sqlite" or "pg" */

/* Applies every numbered migration (embedded src/store/migrations/NNNN_*.sql) not yet
 * applied, each in its own transaction, recording it in schema_migrations. Order is
 * (number, file name); a migration is known by its file name, so two files with the same
 * number (written at the same time by two people) both apply. In the SQL, @PK@ becomes
 * the backend's auto-increment primary key and @BLOB@ its byte-string type; use BIGINT
 * and TEXT otherwise. NNNN_name.sqlite.sql / NNNN_name.pg.sql apply on one backend only.
 * On PostgreSQL an advisory lock lets several nodes start at once. */
int db_migrate(struct db *db, struct sm_err *e);

/* Runs one statement with params; fn may be NULL. Returns 0, a positive stop value
 * from fn, or a negative error. */
int db_run(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
           db_row_fn fn, void *ctx, struct sm_err *e);
/* db_run for one statement whose loss in a power failure harms nothing (an ACME nonce
 * issued or used): outside a transaction it commits without waiting for the disk (SQLite
 * synchronous=NORMAL, PostgreSQL synchronous_commit off for it alone), and the next
 * durable commit of any connection carries it to the disk; inside one it is db_run. */
int db_run_lazy(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
                struct sm_err *e);
/* Number of rows changed by the last db_run on this handle. */
int64_t db_changes(struct db *db);

/* Transactions. begin is "BEGIN IMMEDIATE" on SQLite so writers serialize early. */
int db_begin(struct db *db, struct sm_err *e);
int db_commit(struct db *db, struct sm_err *e);
/* db_begin for a transaction whose commit does not wait for the disk (SQLite
 * synchronous=NORMAL until it ends, PostgreSQL synchronous_commit off for it): it is
 * visible at once when committed, and durable with the next ordinary commit of any
 * connection (SQLite's WAL and PostgreSQL's log are written, and synced, in order). For a
 * write whose loss in a system crash harms nothing while nothing durable depends on it:
 * issuance's serial reservation, whose certificates leave only after their store's
 * ordinary commit. Ended with db_commit or db_rollback as any other. */
int db_begin_lazy(struct db *db, struct sm_err *e);
int db_rollback(struct db *db); /* never fails visibly; safe when no transaction is open */
/* A transaction for reads only, ended with db_rollback: on SQLite ("BEGIN", which takes
 * no write lock) many lookups share one snapshot and one lock instead of taking them per
 * statement; on PostgreSQL it is READ ONLY (under READ COMMITTED each statement still
 * sees the newest commits). db_in_transaction is 0 in it: audit_append, db_on_commit and
 * db_run_lazy refuse it, and dbpool_release rolls it back. */
int db_begin_read(struct db *db, struct sm_err *e);
/* 1 between a successful db_begin and its commit/rollback (audit_append checks it); 0 in
 * a read transaction. */
int db_in_transaction(const struct db *db);

/* From now until db_close, each commit of db asks a thread with a SQLite connection of
 * its own to copy what the write-ahead log holds into the database file (a passive
 * checkpoint: it waits for no reader or writer), beside the next writes of db; a request
 * made while a checkpoint runs is served after it, and db_close waits for the one under
 * way. For a run of large commits (bulk issuance): the log stays short and no commit of db
 * stops to copy it (SQLite does so in the commit that takes the log past 1000 pages, and
 * db_close copies what is left). 0 when on (or already on); -1 on PostgreSQL (its server
 * checkpoints), for a database in memory, or when the thread cannot start: then nothing
 * changes. */
int db_checkpoint_beside(struct db *db);

/* Pre-commit hooks: work a store module keeps in memory for the open transaction and
 * writes once at its end (the audit log's chain head: read once, written once, not per
 * record). There are no nested transactions or savepoints, so a hook belongs to the one
 * open transaction. db_commit runs the hooks in the order they were registered, inside
 * the transaction, before COMMIT; a hook's negative return (with e set) makes db_commit
 * fail and roll everything back. done (may be NULL) runs once for ctx when the
 * transaction ends in any way (commit, failed commit, rollback, db_close), after which the
 * hook is gone; the next transaction starts with none. ctx is taken even when
 * registering fails (no transaction open: -SM_E_INTERNAL; more than DB_MAX_HOOKS:
 * -SM_E_INTERNAL): done(ctx) has then already run. */
#define DB_MAX_HOOKS 4
typedef int (*db_hook_fn)(struct db *db, void *ctx, struct sm_err *e);
int db_on_commit(struct db *db, db_hook_fn fn, void (*done)(void *ctx), void *ctx,
                 struct sm_err *e);
/* The ctx registered with fn on the open transaction, or NULL when there is none. */
void *db_hook_ctx(const struct db *db, db_hook_fn fn);

/* The address of the HTTP client the connection works for while it serves one request
 * (set by the web layer when it takes the connection from the pool, cleared when it gives
 * it back): audit_append records it, so that every record of a request names its client,
 * whichever layer writes it (issue 8: logins, API keys, password resets). NULL, "" or "-"
 * = none. db_client_ip: NULL when none. */
void db_for_client(struct db *db, const char *ip);
const char *db_client_ip(const struct db *db);

/* The wait for a locked database (SQLite busy timeout, PostgreSQL lock_timeout) of
 * connections opened from now on, in milliseconds (default 10000 for the commands; the
 * server sets [database] busy_timeout_ms, 5000). A wait past it fails with -SM_E_DB_BUSY. */
void db_set_busy_timeout(int ms);
int db_busy_timeout(void);
/* SM_E_DB_BUSY or SM_E_STORAGE_FULL when a statement on db failed so since the last
 * db_clear_failure, else 0: lets the web layer answer 503/507 where a handler only saw a
 * failure. */
int db_last_failure(const struct db *db);
void db_clear_failure(struct db *db);
/* Whether the database takes a write now: opens and rolls back a write transaction
 * (BEGIN IMMEDIATE on SQLite, so a held write lock shows). 0 or negative. */
int db_ping(struct db *db, struct sm_err *e);

/* The collectors: what store/ modules run their SELECTs through, so that each keeps only
 * its statements, a fill() and a _free(). A row type says how big one row struct is, how
 * many columns fill() reads (a result with fewer is -SM_E_DB), how to fill one from a
 * result row (0, or -1 when a copy failed: fill leaves the row cleared) and how to free
 * what fill allocated (NULL: nothing to free). what names the row in a not-found error
 * ("order"). */
struct db_rowtype {
    size_t size;
    int ncols;
    int (*fill)(void *row, const struct db_val *cols);
    void (*clear)(void *row);
    const char *what;
};

/* Runs st with params and appends every result row, filled by t->fill, to a growing array
 * of t->size rows: *rows (really a `struct X_row **`) receives the array, NULL when no row
 * came, and *n its length. On error nothing is left to free (*rows NULL, *n 0): a failed
 * copy is -SM_E_NOMEM. The caller frees with its X_rows_free(*rows, *n). */
int db_collect(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
               const struct db_rowtype *t, void *rows, size_t *n, struct sm_err *e);

/* Runs st with params and fills row (t->size bytes, the caller's) from the first result row;
 * later rows are ignored. -SM_E_NOTFOUND (field t->what) when there is none; on any error
 * the row is zeroed and owns nothing. */
int db_get_one(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
               const struct db_rowtype *t, void *row, struct sm_err *e);

/* The stock row type of one int64_t from the first column (COUNT(*), a single id). */
extern const struct db_rowtype db_row_int;

/* Runs an INSERT ... RETURNING id (SQLite 3.35+ and PostgreSQL both take it) and gives the
 * new row's id in *id (may be NULL); a statement that returned no id is -SM_E_DB. */
int db_returning_id(struct db *db, const struct db_stmt *st, const struct db_val *params,
                    int nparams, int64_t *id, struct sm_err *e);

/* Row helpers for callbacks: copy a column out (caller frees), or read an int. */
char *db_col_strdup(const struct db_val *v); /* NULL for DB_NULL or no memory */
int64_t db_col_int(const struct db_val *v);  /* 0 for DB_NULL */
/* For fill(): *dst = a copy of a nullable text column; -1 when a non-NULL value could not
 * be copied (no memory), else 0. */
int db_col_dup(char **dst, const struct db_val *v);
/* For fill(): copies a text column into the fixed array dst of n bytes, cut to n - 1 bytes
 * and always NUL-terminated ("" for NULL or a non-text column). */
void db_col_copy(char *dst, size_t n, const struct db_val *v);

/* Parameters: NULL for a NULL string, NULL for 0 (an unset time or id). */
static inline struct db_val dbv_text_or_null(const char *s) { return s ? DBV_TEXT(s) : DBV_NULL; }
static inline struct db_val dbv_int_or_null(int64_t v) { return v ? DBV_INT(v) : DBV_NULL; }

/* Backend interface (filled by sqlite.c and pg.c). */
struct db_ops {
    const char *name;
    int (*open)(const char *conninfo, void **handle, struct sm_err *e);
    void (*close)(void *handle);
    int (*run)(void *handle, const char *sql, const struct db_val *params, int nparams,
               db_row_fn fn, void *ctx, int64_t *changes, struct sm_err *e);
    int (*exec_script)(void *handle, const char *sql, struct sm_err *e); /* migrations */
    const char *begin_sql;
    const char *begin_read_sql;
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

#endif
