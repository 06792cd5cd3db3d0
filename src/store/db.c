/* SPDX-License-Identifier: MIT */
/* The one database API (db.h): picks the backend from the URL, tracks the transaction,
 * runs statements with bound parameters, and applies the embedded numbered migrations.
 * Backend specifics (SQL dialect, connection) live in sqlite.c and pg.c only.
 * A struct db is one connection: use it from one thread at a time. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/asset.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/failalloc.h"
#include "store/db.h"

struct db {
    const struct db_ops *ops;
    void *h;
    int64_t changes;
    int in_tx;     /* 1 in a transaction of db_begin, 2 in one of db_begin_read */
    int lazy;      /* SQLite: the open transaction is db_begin_lazy's (synchronous=NORMAL
                      until it ends) */
    int last_fail; /* SM_E_DB_BUSY / SM_E_STORAGE_FULL seen since db_clear_failure */
    struct db_hook {
        db_hook_fn fn;
        void (*done)(void *ctx);
        void *ctx;
    } hooks[DB_MAX_HOOKS]; /* of the open transaction (db_on_commit) */
    int nhooks;
    char client_ip[65];        /* see db_for_client; "" = none */
    char *conninfo;            /* SQLite: the file, for a checkpointer's connection */
    struct checkpointer *ckpt; /* db_checkpoint_beside: asked after each commit */
};

struct checkpointer;
static void checkpoint_soon(struct checkpointer *c);
static void checkpointer_stop(struct checkpointer *c);

static _Atomic int busy_timeout_ms = 10000;

void db_set_busy_timeout(int ms) { atomic_store(&busy_timeout_ms, ms > 0 ? ms : 1); }
int db_busy_timeout(void) { return atomic_load(&busy_timeout_ms); }

/* Remembers a busy or full database on db; returns rc. */
static int note(struct db *db, int rc)
{
    if (rc == -SM_E_DB_BUSY || rc == -SM_E_STORAGE_FULL)
        db->last_fail = -rc;
    return rc;
}

int db_last_failure(const struct db *db) { return db != NULL ? db->last_fail : 0; }

void db_clear_failure(struct db *db)
{
    if (db != NULL)
        db->last_fail = 0;
}

#define MIGRATION_DIR "src/store/migrations/"

const char *db_backend(const struct db *db) { return db->ops->name; }

static int is_pg_url(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

int db_open(const char *url, const char *dir, struct db **out, struct sm_err *e)
{
    *out = NULL;
    if (url == NULL || *url == '\0')
        return sm_err_set(e, SM_E_CONFIG, "database.url", "database url is empty");
    const struct db_ops *ops;
    char *conninfo = NULL;
    if (strncmp(url, "sqlite:", 7) == 0) {
        const char *path = url + 7;
        if (*path == '\0')
            return sm_err_set(e, SM_E_CONFIG, "database.url", "sqlite url has no path");
        ops = &db_sqlite_ops;
        struct buf b = BUF_INIT;
        int rc = 0;
        if (path[0] != '/' && strcmp(path, ":memory:") != 0 && dir != NULL && *dir != '\0') {
            rc = buf_puts(&b, dir);
            if (rc == 0 && dir[strlen(dir) - 1] != '/')
                rc = buf_putc(&b, '/');
        }
        if (rc == 0)
            rc = buf_puts(&b, path);
        if (rc < 0) {
            buf_free(&b);
            return sm_err_set(e, -rc, "database.url", "cannot build database path");
        }
        conninfo = buf_detach(&b, NULL);
    } else if (is_pg_url(url)) {
        ops = &db_pg_ops;
        conninfo = sm_strdup(url);
        if (conninfo == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        return sm_err_set(e, SM_E_CONFIG, "database.url",
                          "database url must start with sqlite: or postgres://");
    }
    struct db *db = sm_calloc(1, sizeof *db);
    if (db == NULL) {
        free(conninfo);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    db->ops = ops;
    int rc = ops->open(conninfo, &db->h, e);
    if (rc < 0) {
        free(conninfo);
        free(db);
        return rc;
    }
    if (ops == &db_sqlite_ops)
        db->conninfo = conninfo;
    else
        free(conninfo); /* holds the password */
    *out = db;
    return 0;
}

void db_close(struct db *db)
{
    if (db == NULL)
        return;
    if (db->in_tx)
        db_rollback(db);
    checkpointer_stop(db->ckpt); /* after a checkpoint under way */
    db->ops->close(db->h);
    free(db->conninfo);
    free(db);
}

int db_run(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
           db_row_fn fn, void *ctx, struct sm_err *e)
{
    const char *sql = st->sql;
    if (db->ops == &db_sqlite_ops && st->sql_sqlite != NULL)
        sql = st->sql_sqlite;
    else if (db->ops == &db_pg_ops && st->sql_pg != NULL)
        sql = st->sql_pg;
    db->changes = 0;
    int rc = note(db, db->ops->run(db->h, sql, params, nparams, fn, ctx, &db->changes, e));
    if (rc < 0 && e != NULL && e->field[0] == '\0' && st->name != NULL) {
        size_t n = strlen(st->name);
        if (n >= sizeof e->field)
            n = sizeof e->field - 1;
        memcpy(e->field, st->name, n);
        e->field[n] = '\0';
    }
    return rc;
}

int64_t db_changes(struct db *db) { return db->changes; }

static int exec_plain(struct db *db, const char *sql, struct sm_err *e);

int db_run_lazy(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
                struct sm_err *e)
{
    if (db->in_tx == 2)
        return sm_err_set(e, SM_E_INTERNAL, "db", "write inside a read transaction");
    if (db->in_tx)
        return db_run(db, st, params, nparams, NULL, NULL, e);
    int rc;
    if (db->ops == &db_sqlite_ops) { /* the WAL is synced by the next FULL commit */
        rc = exec_plain(db, "PRAGMA synchronous=NORMAL", e);
        if (rc == 0) {
            rc = db_run(db, st, params, nparams, NULL, NULL, e);
            int64_t changes = db->changes;
            struct sm_err ignored = {0};
            if (exec_plain(db, "PRAGMA synchronous=FULL", &ignored) < 0 && rc == 0)
                rc = sm_err_set(e, SM_E_DB, "db", "cannot restore synchronous=FULL");
            db->changes = changes;
        }
        return rc;
    }
    rc = db_begin(db, e);
    if (rc == 0)
        rc = exec_plain(db, "SET LOCAL synchronous_commit TO OFF", e);
    if (rc == 0)
        rc = db_run(db, st, params, nparams, NULL, NULL, e);
    int64_t changes = db->changes;
    if (rc == 0)
        rc = db_commit(db, e);
    else
        db_rollback(db);
    db->changes = changes;
    return rc;
}

int db_in_transaction(const struct db *db) { return db->in_tx == 1; }

void db_for_client(struct db *db, const char *ip)
{
    if (db == NULL)
        return;
    /* longer than any address: kept empty rather than cut (audit_append_from refuses it) */
    if (ip == NULL || strlen(ip) >= sizeof db->client_ip || strcmp(ip, "-") == 0)
        ip = "";
    memcpy(db->client_ip, ip, strlen(ip) + 1);
}

const char *db_client_ip(const struct db *db)
{
    return db != NULL && db->client_ip[0] != '\0' ? db->client_ip : NULL;
}

static int exec_plain(struct db *db, const char *sql, struct sm_err *e)
{
    int64_t ch = 0;
    return note(db, db->ops->run(db->h, sql, NULL, 0, NULL, NULL, &ch, e));
}

int db_ping(struct db *db, struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc == 0)
        db_rollback(db);
    return rc;
}

int db_on_commit(struct db *db, db_hook_fn fn, void (*done)(void *ctx), void *ctx, struct sm_err *e)
{
    const char *why = db->in_tx != 1               ? "commit hook outside a transaction"
                      : db->nhooks >= DB_MAX_HOOKS ? "too many commit hooks"
                      : fn == NULL                 ? "commit hook is NULL"
                                                   : NULL;
    if (why != NULL) {
        if (done != NULL)
            done(ctx);
        return sm_err_set(e, SM_E_INTERNAL, "db", "%s", why);
    }
    db->hooks[db->nhooks++] = (struct db_hook){fn, done, ctx};
    return 0;
}

void *db_hook_ctx(const struct db *db, db_hook_fn fn)
{
    for (int i = 0; db->in_tx && i < db->nhooks; i++)
        if (db->hooks[i].fn == fn)
            return db->hooks[i].ctx;
    return NULL;
}

/* Runs the hooks of the open transaction in order; 0 or the first negative return. */
static int run_hooks(struct db *db, struct sm_err *e)
{
    for (int i = 0; i < db->nhooks; i++) {
        int rc = db->hooks[i].fn(db, db->hooks[i].ctx, e);
        if (rc < 0) {
            if (e != NULL && e->code == SM_OK)
                sm_err_set(e, -rc, "db", "commit hook failed");
            return rc;
        }
    }
    return 0;
}

/* Ends the transaction's hooks: each done(ctx) once, then none. */
static void drop_hooks(struct db *db)
{
    int n = db->nhooks;
    db->nhooks = 0;
    for (int i = 0; i < n; i++)
        if (db->hooks[i].done != NULL)
            db->hooks[i].done(db->hooks[i].ctx);
}

/* Opens a transaction with sql; mode is what in_tx becomes. */
static int begin(struct db *db, const char *sql, int mode, struct sm_err *e)
{
    if (db->in_tx)
        return sm_err_set(e, SM_E_INTERNAL, "db", "transaction already open");
    int rc = exec_plain(db, sql, e);
    if (rc < 0)
        return rc;
    db->in_tx = mode;
    return 0;
}

int db_begin(struct db *db, struct sm_err *e) { return begin(db, db->ops->begin_sql, 1, e); }

/* SQLite: the connection's synchronous=FULL again after a db_begin_lazy transaction. */
static int lazy_end(struct db *db, struct sm_err *e)
{
    if (!db->lazy)
        return 0;
    db->lazy = 0;
    struct sm_err ignored = {0};
    if (exec_plain(db, "PRAGMA synchronous=FULL", &ignored) < 0)
        return sm_err_set(e, SM_E_DB, "db", "cannot restore synchronous=FULL");
    return 0;
}

int db_begin_lazy(struct db *db, struct sm_err *e)
{
    if (db->in_tx)
        return sm_err_set(e, SM_E_INTERNAL, "db", "transaction already open");
    if (db->ops != &db_sqlite_ops) {
        int rc = db_begin(db, e);
        if (rc == 0 && (rc = exec_plain(db, "SET LOCAL synchronous_commit TO OFF", e)) < 0)
            db_rollback(db);
        return rc;
    }
    /* SQLite takes the setting only outside a transaction, and keeps it: lazy_end */
    int rc = exec_plain(db, "PRAGMA synchronous=NORMAL", e);
    if (rc < 0)
        return rc;
    db->lazy = 1;
    rc = db_begin(db, e);
    if (rc < 0)
        lazy_end(db, NULL);
    return rc;
}

int db_begin_read(struct db *db, struct sm_err *e)
{
    return begin(db, db->ops->begin_read_sql, 2, e);
}

int db_commit(struct db *db, struct sm_err *e)
{
    if (!db->in_tx)
        return sm_err_set(e, SM_E_INTERNAL, "db", "commit without a transaction");
    int rc = run_hooks(db, e);
    if (rc == 0)
        rc = exec_plain(db, "COMMIT", e);
    if (rc < 0) {
        /* A failed commit leaves nothing behind: roll back whatever is still open. */
        db_rollback(db);
        return rc;
    }
    db->in_tx = 0;
    drop_hooks(db);
    checkpoint_soon(db->ckpt);
    return lazy_end(db, e);
}

int db_rollback(struct db *db)
{
    if (db == NULL || !db->in_tx)
        return 0;
    struct sm_err ignored;
    exec_plain(db, "ROLLBACK", &ignored);
    db->in_tx = 0;
    drop_hooks(db);
    lazy_end(db, NULL);
    return 0;
}

char *db_col_strdup(const struct db_val *v)
{
    if (v == NULL || v->t == DB_NULL)
        return NULL;
    if (v->t == DB_INT) {
        struct buf b = BUF_INIT;
        if (buf_printf(&b, "%lld", (long long)v->i) < 0)
            return NULL;
        return buf_detach(&b, NULL);
    }
    char *s = sm_malloc(v->n + 1);
    if (s == NULL)
        return NULL;
    if (v->n > 0)
        memcpy(s, v->p, v->n);
    s[v->n] = '\0';
    return s;
}

int db_col_dup(char **dst, const struct db_val *v)
{
    *dst = db_col_strdup(v);
    return (v->t != DB_NULL && *dst == NULL) ? -1 : 0;
}

void db_col_copy(char *dst, size_t n, const struct db_val *v)
{
    size_t len = 0;
    if (v->t == DB_TEXT && v->p != NULL)
        len = v->n < n - 1 ? v->n : n - 1;
    if (len > 0)
        memcpy(dst, v->p, len);
    dst[len] = '\0';
}

int64_t db_col_int(const struct db_val *v)
{
    if (v == NULL)
        return 0;
    if (v->t == DB_INT)
        return v->i;
    if (v->t == DB_TEXT && v->n > 0 && v->n < 24) {
        /* A number returned as text (e.g. a backend's numeric type). */
        char tmp[24];
        memcpy(tmp, v->p, v->n);
        tmp[v->n] = '\0';
        char *end;
        long long x = strtoll(tmp, &end, 10);
        if (*end == '\0')
            return x;
    }
    return 0;
}

/* ---- collectors ---- */

struct collect {
    const struct db_rowtype *t;
    unsigned char *v; /* rows of t->size bytes */
    size_t n, cap;
    size_t max; /* stop after this many rows (db_get_one: 1), 0 = all */
    int failed; /* SM_E_NOMEM or SM_E_DB */
};

static int collect_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct collect *c = ctx;
    if (c->max > 0 && c->n >= c->max)
        return 0;
    if (ncols < c->t->ncols) {
        c->failed = SM_E_DB;
        return 1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        if (c->max > 0 && cap > c->max)
            cap = c->max;
        unsigned char *v = sm_realloc(c->v, cap * c->t->size);
        if (v == NULL) {
            c->failed = SM_E_NOMEM;
            return 1;
        }
        c->v = v;
        c->cap = cap;
    }
    void *row = c->v + c->n * c->t->size;
    memset(row, 0, c->t->size);
    if (c->t->fill(row, cols) < 0) {
        c->failed = SM_E_NOMEM;
        return 1;
    }
    c->n++;
    return 0;
}

static void collect_free(struct collect *c)
{
    for (size_t i = 0; c->t->clear != NULL && i < c->n; i++)
        c->t->clear(c->v + i * c->t->size);
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

/* Runs st into c; 0 or a negative error (then c holds nothing). */
static int collect_run(struct db *db, const struct db_stmt *st, const struct db_val *params,
                       int nparams, struct collect *c, struct sm_err *e)
{
    int rc = db_run(db, st, params, nparams, collect_row, c, e);
    if (rc >= 0 && c->failed == SM_E_DB)
        rc = sm_err_set(e, SM_E_DB, st->name, "%s: %d columns expected", st->name, c->t->ncols);
    else if (rc >= 0 && c->failed != 0)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading %s", c->t->what);
    else if (rc > 0)
        rc = sm_err_set(e, SM_E_INTERNAL, st->name, "row callback stopped");
    if (rc < 0)
        collect_free(c);
    return rc;
}

int db_collect(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
               const struct db_rowtype *t, void *rows, size_t *n, struct sm_err *e)
{
    struct collect c = {t, NULL, 0, 0, 0, 0};
    void *none = NULL;
    memcpy(rows, &none, sizeof none);
    *n = 0;
    int rc = collect_run(db, st, params, nparams, &c, e);
    if (rc < 0)
        return rc;
    if (c.n == 0) {
        free(c.v);
        c.v = NULL;
    }
    void *v = c.v;
    memcpy(rows, &v, sizeof v);
    *n = c.n;
    return 0;
}

int db_get_one(struct db *db, const struct db_stmt *st, const struct db_val *params, int nparams,
               const struct db_rowtype *t, void *row, struct sm_err *e)
{
    struct collect c = {t, NULL, 0, 0, 1, 0};
    memset(row, 0, t->size);
    int rc = collect_run(db, st, params, nparams, &c, e);
    if (rc < 0)
        return rc;
    if (c.n == 0) {
        free(c.v);
        return sm_err_set(e, SM_E_NOTFOUND, t->what, "no such %s",
                          t->what != NULL ? t->what : "row");
    }
    memcpy(row, c.v, t->size);
    free(c.v);
    return 0;
}

static int fill_int(void *row, const struct db_val *cols)
{
    *(int64_t *)row = db_col_int(&cols[0]);
    return 0;
}

const struct db_rowtype db_row_int = {sizeof(int64_t), 1, fill_int, NULL, "value"};

int db_returning_id(struct db *db, const struct db_stmt *st, const struct db_val *params,
                    int nparams, int64_t *id, struct sm_err *e)
{
    int64_t v = 0;
    int rc = db_get_one(db, st, params, nparams, &db_row_int, &v, e);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && v <= 0))
        rc = sm_err_set(e, SM_E_DB, st->name, "%s returned no id", st->name);
    if (rc == 0 && id != NULL)
        *id = v;
    return rc;
}

/* ---- migrations ---- */

struct migration {
    int64_t version;
    const char *name; /* points into the asset path: "0001_core.sql" */
    size_t name_len;  /* without ".sql" */
    const struct asset *a;
};

/* "NNNN_name.sql" directly under MIGRATION_DIR applies on every backend;
 * "NNNN_name.sqlite.sql" and "NNNN_name.pg.sql" only on that one (for what portable SQL
 * cannot say, such as triggers). Fills m; 0, or -1 when the asset is not a migration for
 * this backend. */
static int parse_migration(const struct db *db, const struct asset *a, struct migration *m)
{
    size_t dl = strlen(MIGRATION_DIR);
    if (strncmp(a->path, MIGRATION_DIR, dl) != 0)
        return -1;
    const char *s = a->path + dl;
    size_t len = strlen(s);
    if (strchr(s, '/') != NULL || len < 5 || strcmp(s + len - 4, ".sql") != 0)
        return -1;
    int64_t v = 0;
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9' && i < 9) {
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0 || s[i] != '_')
        return -1;
    const char *dot = memchr(s, '.', len);
    size_t base = (size_t)(dot - s); /* "NNNN_name" */
    size_t sfx = len - 4 - base;     /* ".pg", ".sqlite" or nothing */
    if (sfx > 0) {
        const char *mine = db->ops->name;
        if (sfx - 1 != strlen(mine) || strncmp(dot + 1, mine, sfx - 1) != 0)
            return -1;
    }
    m->version = v;
    m->name = s;
    m->name_len = len - 4;
    m->a = a;
    return 0;
}

static int cmp_migration(const void *pa, const void *pb)
{
    const struct migration *a = pa, *b = pb;
    if (a->version != b->version)
        return a->version < b->version ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Replaces the portable tokens @PK@ and @BLOB@ for this backend. Caller frees. */
static char *expand_tokens(const struct db *db, const char *sql, struct sm_err *e)
{
    int pg = db->ops == &db_pg_ops;
    static const struct {
        const char *tok, *sqlite, *pg;
    } toks[] = {
        {"@PK@", "INTEGER PRIMARY KEY AUTOINCREMENT",
         "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
        {"@BLOB@", "BLOB", "BYTEA"},
    };
    struct buf b = BUF_INIT;
    int rc = 0;
    const char *p = sql;
    while (*p != '\0' && rc == 0) {
        size_t k;
        for (k = 0; k < sizeof toks / sizeof toks[0]; k++)
            if (strncmp(p, toks[k].tok, strlen(toks[k].tok)) == 0)
                break;
        if (k < sizeof toks / sizeof toks[0]) {
            rc = buf_puts(&b, pg ? toks[k].pg : toks[k].sqlite);
            p += strlen(toks[k].tok);
        } else {
            rc = buf_putc(&b, *p++);
        }
    }
    if (rc == 0 && b.p == NULL)
        rc = buf_puts(&b, "");
    if (rc < 0) {
        buf_free(&b);
        sm_err_set(e, -rc, "migration", "cannot expand migration");
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static const struct db_stmt st_mig_lock = {
    "migrate.lock", "SELECT 1", NULL,
    /* Several nodes may start at once: one migrates, the others wait and then skip. */
    "SELECT pg_advisory_xact_lock(7526746567463510017)"};
static const struct db_stmt st_mig_table = {
    "migrate.table",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL, "
    "name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    NULL, NULL};
static const struct db_stmt st_mig_applied = {
    "migrate.applied", "SELECT 1 FROM schema_migrations WHERE name = $1", NULL, NULL};
static const struct db_stmt st_mig_record = {
    "migrate.record",
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", NULL, NULL};

static int found_row(void *ctx, const struct db_val *cols, int ncols)
{
    (void)cols;
    (void)ncols;
    *(int *)ctx = 1;
    return 0;
}

static int apply_one(struct db *db, const struct migration *m, struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = db_run(db, &st_mig_lock, NULL, 0, NULL, NULL, e);
    if (rc == 0)
        rc = db_run(db, &st_mig_table, NULL, 0, NULL, NULL, e);
    int applied = 0;
    struct db_val p[3] = {DBV_INT(m->version), DBV_TEXTN(m->name, m->name_len),
                          DBV_INT(clock_now())};
    if (rc == 0)
        rc = db_run(db, &st_mig_applied, &p[1], 1, found_row, &applied, e);
    if (rc == 0 && !applied) {
        char *sql = expand_tokens(db, (const char *)m->a->data, e);
        if (sql == NULL)
            rc = -(e ? e->code : SM_E_NOMEM);
        if (rc == 0)
            rc = db->ops->exec_script(db->h, sql, e);
        free(sql);
        if (rc == 0)
            rc = db_run(db, &st_mig_record, p, 3, NULL, NULL, e);
        if (rc < 0 && e != NULL) {
            size_t n = m->name_len < sizeof e->field - 1 ? m->name_len : sizeof e->field - 1;
            memcpy(e->field, m->name, n);
            e->field[n] = '\0';
        }
    }
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db, e);
}

int db_migrate(struct db *db, struct sm_err *e)
{
    size_t n = 0;
    for (const struct asset *a = asset_table; a->path != NULL; a++)
        n++;
    struct migration *ms = sm_calloc(n ? n : 1, sizeof *ms);
    if (ms == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    size_t k = 0;
    for (const struct asset *a = asset_table; a->path != NULL; a++)
        if (parse_migration(db, a, &ms[k]) == 0)
            k++;
    qsort(ms, k, sizeof *ms, cmp_migration);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = apply_one(db, &ms[i], e);
    free(ms);
    return rc;
}

/* ---- checkpointer ---- */

/* It borrows the connection's backend and file: db_close stops it before freeing them. */
struct checkpointer {
    const struct db *db;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wanted, stop;
};

static void *checkpointer_thread(void *arg)
{
    struct checkpointer *c = arg;
    const struct db_ops *ops = c->db->ops;
    void *h = NULL;
    struct sm_err ignored = {0};
    if (ops->open(c->db->conninfo, &h, &ignored) < 0)
        h = NULL; /* then every request is dropped: the commits' own checkpoints remain */
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->wanted = 0;
        pthread_mutex_unlock(&c->mu);
        int64_t ch = 0;
        if (h != NULL)
            ops->run(h, "PRAGMA wal_checkpoint(PASSIVE)", NULL, 0, NULL, NULL, &ch, &ignored);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    if (h != NULL)
        ops->close(h);
    return NULL;
}

int db_checkpoint_beside(struct db *db)
{
    if (db == NULL || db->ops != &db_sqlite_ops || db->conninfo == NULL ||
        strcmp(db->conninfo, ":memory:") == 0)
        return -1;
    if (db->ckpt != NULL)
        return 0;
    struct checkpointer *c = sm_calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->db = db;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->th, NULL, checkpointer_thread, c) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return -1;
    }
    db->ckpt = c;
    return 0;
}

/* Sets *flag (c->wanted or c->stop) and wakes the thread. */
static void checkpointer_tell(struct checkpointer *c, int *flag)
{
    pthread_mutex_lock(&c->mu);
    *flag = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void checkpoint_soon(struct checkpointer *c)
{
    if (c != NULL)
        checkpointer_tell(c, &c->wanted);
}

static void checkpointer_stop(struct checkpointer *c)
{
    if (c == NULL)
        return;
    checkpointer_tell(c, &c->stop);
    pthread_join(c->th, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
