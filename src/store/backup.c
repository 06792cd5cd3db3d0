/* SPDX-License-Identifier: MIT */
/* Database copies for backup and restore (see backup.h). */
#include <errno.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "store/backup.h"
#include "store/db.h"

extern char **environ;

static const struct db_stmt st_schema = {
    "backup.schema", "SELECT COUNT(*), COALESCE(MAX(name), '') FROM schema_migrations", NULL, NULL};
static const struct db_stmt st_certs = {"backup.certs", "SELECT COUNT(*) FROM certificates", NULL,
                                        NULL};
static const struct db_stmt st_orders = {"backup.orders", "SELECT COUNT(*) FROM orders", NULL,
                                         NULL};
static const struct db_stmt st_audit = {"backup.audit", "SELECT COUNT(*) FROM audit_log", NULL,
                                        NULL};
static const struct db_stmt st_snapshot_begin = {
    "backup.begin", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", NULL, NULL};
static const struct db_stmt st_snapshot_export = {"backup.snapshot", "SELECT pg_export_snapshot()",
                                                  NULL, NULL};
static const struct db_stmt st_end = {"backup.end", "ROLLBACK", NULL, NULL};
static const struct db_stmt st_has_tables = {
    "backup.has_tables",
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND "
    "table_name IN ('schema_migrations', 'audit_log', 'certificates')",
    NULL, NULL};

int backup_is_pg(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

int backup_sqlite_file(const char *url, const char *dir, char *out, size_t n)
{
    if (strncmp(url, "sqlite:", 7) != 0 || url[7] == '\0' || strcmp(url + 7, ":memory:") == 0)
        return -1;
    const char *path = url + 7;
    int k;
    if (path[0] == '/' || dir == NULL || *dir == '\0')
        k = snprintf(out, n, "%s", path);
    else
        k = snprintf(out, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", path);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int schema_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct backup_facts *f = ctx;
    if (ncols < 2)
        return -1;
    f->migrations = db_col_int(&cols[0]);
    db_col_copy(f->schema, sizeof f->schema, &cols[1]);
    return 1;
}

static int count(struct db *db, const struct db_stmt *st, int64_t *out, struct sm_err *e)
{
    return db_get_one(db, st, NULL, 0, &db_row_int, out, e);
}

static int facts(struct db *db, struct backup_facts *f, struct sm_err *e)
{
    memset(f, 0, sizeof *f);
    int rc = db_run(db, &st_schema, NULL, 0, schema_row, f, e);
    if (rc == 1)
        rc = 0;
    else if (rc == 0)
        rc = sm_err_set(e, SM_E_DB, NULL, "no schema_migrations row");
    if (rc == 0)
        rc = count(db, &st_certs, &f->certificates, e);
    if (rc == 0)
        rc = count(db, &st_orders, &f->orders, e);
    if (rc == 0)
        rc = count(db, &st_audit, &f->audit_records, e);
    return rc < 0 ? rc : 0;
}

int backup_facts_read_url(const char *url, const char *dir, struct backup_facts *f,
                          struct sm_err *e)
{
    struct db *db = NULL;
    int rc = db_open(url, dir, &db, e);
    if (rc == 0)
        rc = facts(db, f, e);
    db_close(db);
    return rc;
}

int backup_sqlite_copy(const char *url, const char *dir, const char *dest, struct backup_facts *f,
                       struct sm_err *e)
{
    char src[4096];
    if (backup_sqlite_file(url, dir, src, sizeof src) < 0)
        return sm_err_set(e, SM_E_CONFIG, "database.url", "not an sqlite database file: %s", url);
    sqlite3 *from = NULL, *to = NULL;
    int rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(from, db_busy_timeout());
    if (rc != SQLITE_OK) {
        int r = sm_err_set(e, SM_E_DB, "database.url", "cannot open %s: %s", src,
                           from ? sqlite3_errmsg(from) : sqlite3_errstr(rc));
        sqlite3_close(from);
        return r;
    }
    rc = sqlite3_open_v2(dest, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    int r = 0;
    if (rc != SQLITE_OK) {
        r = sm_err_set(e, SM_E_IO, NULL, "cannot create %s: %s", dest,
                       to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
    } else {
        /* One step of every page: one read transaction, so the copy is one snapshot. A busy
         * source (a writer checkpointing) is tried again a bounded number of times. */
        sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
        if (b == NULL) {
            r = sm_err_set(e, SM_E_DB, NULL, "sqlite backup: %s", sqlite3_errmsg(to));
        } else {
            for (int tries = 0; tries < 200; tries++) {
                rc = sqlite3_backup_step(b, -1);
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                    break;
                sqlite3_sleep(50);
            }
            sqlite3_backup_finish(b);
            if (rc != SQLITE_DONE)
                r = sm_err_set(e, SM_E_DB, NULL, "sqlite backup of %s: %s", src,
                               sqlite3_errstr(rc));
        }
    }
    sqlite3_close(to);
    sqlite3_close(from);
    if (r < 0)
        return r;
    char u[4200];
    snprintf(u, sizeof u, "sqlite:%s", dest);
    return backup_facts_read_url(u, NULL, f, e);
}

/* Runs argv (argv[0] from the PATH) and waits for it: 0 on exit status 0. */
static int run(char *const argv[], struct sm_err *e)
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0)
        return sm_err_set(e, SM_E_IO, NULL, "cannot run %s: %s", argv[0], strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return sm_err_set(e, SM_E_IO, NULL, "waiting for %s: %s", argv[0], strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return sm_err_set(e, SM_E_IO, NULL, "%s failed (status %d)", argv[0],
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

static int snapshot_row(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols < 1)
        return -1;
    db_col_copy(ctx, 64, &cols[0]);
    return 1;
}

int backup_pg_dump(const char *url, const char *dest, struct backup_facts *f, struct sm_err *e)
{
    struct db *db = NULL;
    char snap[64] = "";
    int rc = db_open(url, NULL, &db, e);
    if (rc == 0)
        rc = db_run(db, &st_snapshot_begin, NULL, 0, NULL, NULL, e);
    if (rc == 0) {
        rc = db_run(db, &st_snapshot_export, NULL, 0, snapshot_row, snap, e);
        rc = rc == 1 ? 0 : rc < 0 ? rc : sm_err_set(e, SM_E_DB, NULL, "no snapshot exported");
        if (rc == 0)
            rc = facts(db, f, e);
        if (rc == 0) {
            char snaparg[96], file[4200];
            snprintf(snaparg, sizeof snaparg, "--snapshot=%s", snap);
            snprintf(file, sizeof file, "--file=%s", dest);
            char *argv[] = {"pg_dump",        "--no-owner", "--no-privileges",
                            "--format=plain", snaparg,      file,
                            "--dbname",       (char *)url,  NULL};
            rc = run(argv, e);
        }
        struct sm_err ignored = {0};
        db_run(db, &st_end, NULL, 0, NULL, NULL, &ignored);
    }
    db_close(db);
    return rc;
}

int backup_pg_load(const char *url, const char *src, struct sm_err *e)
{
    struct db *db = NULL;
    int64_t n = 0;
    int rc = db_open(url, NULL, &db, e);
    if (rc == 0)
        rc = count(db, &st_has_tables, &n, e);
    db_close(db);
    if (rc < 0)
        return rc;
    if (n > 0)
        return sm_err_set(e, SM_E_CONFLICT, "database-url",
                          "the database already holds shomei tables; restore into an empty one");
    char file[4200];
    snprintf(file, sizeof file, "--file=%s", src);
    char *argv[] = {
        "psql",     "-X",        "-q", "--set=ON_ERROR_STOP=1", "--single-transaction", file,
        "--dbname", (char *)url, NULL};
    return run(argv, e);
}
