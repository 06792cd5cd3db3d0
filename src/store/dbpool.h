/* SPDX-License-Identifier: MIT */
/* A small pool of database connections for a multi-threaded server: a connection is
 * opened on first demand (up to size), lent to one request at a time and returned when
 * the request ends. A connection given back inside a transaction is rolled back first. */
#ifndef SM_DBPOOL_H
#define SM_DBPOOL_H
#include <stddef.h>

#include "core/err.h"

struct db;
struct dbpool;

/* Opens one connection at once (so a bad url fails here) and, when migrate is set,
 * applies pending migrations on it. The caller closes with dbpool_close. */
int dbpool_open(const char *url, const char *dir, size_t size, int migrate, struct dbpool **out,
                struct sm_err *e);
/* Every connection must have been released. NULL is a no-op. */
void dbpool_close(struct dbpool *p);
/* A connection for the caller's exclusive use, waiting up to timeout_ms when all are
 * lent; NULL on timeout or when a new connection cannot be opened (logged). */
struct db *dbpool_acquire(struct dbpool *p, int timeout_ms);
void dbpool_release(struct dbpool *p, struct db *db);
/* db_set_busy_timeout for the layers that do not include db.h: the longest wait for a
 * locked database of connections opened from now on. */
void dbpool_busy_wait(int ms);
/* SM_E_DB_BUSY or SM_E_STORAGE_FULL when a statement on db (lent by the pool) failed so
 * since it was lent, else 0 (db_last_failure for the layers that do not include db.h). */
int dbpool_failure(const struct db *db);
/* A write probe on a connection of the pool within timeout_ms (db_ping): 0, or
 * -SM_E_DB_BUSY when none is free or the database is locked, or another negative code. */
int dbpool_ping(struct dbpool *p, int timeout_ms, struct sm_err *e);

#endif
