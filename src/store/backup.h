/* SPDX-License-Identifier: MIT */
/* Consistent copies of the database for `shomei backup` and `shomei restore` (R-OPS-1).
 * SQLite: the online backup API copies the live database page by page inside one read
 * transaction (WAL: writers go on meanwhile). PostgreSQL: pg_dump (plain SQL) run on a
 * snapshot exported by a REPEATABLE READ transaction, so the figures read for the manifest
 * and the dump see the same committed state; psql loads it back. Both client programs come
 * from the PATH and get the connection string as their --dbname (a password belongs in
 * ~/.pgpass or PGPASSFILE, not in the URL, so it is never on a command line). */
#ifndef SM_BACKUP_H
#define SM_BACKUP_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* What a backup says about the data it holds, read in the same snapshot as the copy. */
struct backup_facts {
    char schema[128];      /* name of the newest applied migration */
    int64_t migrations;    /* applied migrations */
    int64_t certificates;  /* rows of certificates */
    int64_t orders;        /* rows of orders */
    int64_t audit_records; /* rows of audit_log */
};

/* 1 when url names a PostgreSQL database, 0 for SQLite. */
int backup_is_pg(const char *url);
/* The file of an sqlite: url (relative to dir unless absolute) into out; -1 when the url
 * is not sqlite: or out is too small. */
int backup_sqlite_file(const char *url, const char *dir, char *out, size_t n);

/* Copies the live SQLite database of url into the new file dest and reads its facts from
 * the copy. 0 or negative (e filled). */
int backup_sqlite_copy(const char *url, const char *dir, const char *dest, struct backup_facts *f,
                       struct sm_err *e);
/* Dumps the PostgreSQL database of url into the new file dest (pg_dump, plain SQL, no
 * owners or privileges) and reads its facts in the dump's snapshot. */
int backup_pg_dump(const char *url, const char *dest, struct backup_facts *f, struct sm_err *e);
/* Loads a dump made by backup_pg_dump into the database of url, which must hold no
 * shomei tables yet (refused otherwise), in one transaction (psql, ON_ERROR_STOP). */
int backup_pg_load(const char *url, const char *src, struct sm_err *e);
/* The facts of the database of url (after a restore). */
int backup_facts_read_url(const char *url, const char *dir, struct backup_facts *f,
                          struct sm_err *e);

#endif
