/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend of db.h through libpq: PQexecParams with every parameter bound
 * (int8 as text, bytea in binary), text results converted back by column type (int2/4/8
 * and bool -> DB_INT, bytea hex -> DB_BLOB, the rest -> DB_TEXT). Transactions run at
 * READ COMMITTED; statements that need exclusion take row locks (SELECT ... FOR UPDATE)
 * or transaction-scoped advisory locks. One handle = one connection, one thread at a time. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dynlib.h"
#include "core/failalloc.h"
#include "core/text.h"
#include "store/db.h"

#define OID_BOOL     16
#define OID_BYTEA    17
#define OID_INT8     20
#define OID_INT2     21
#define OID_INT4     23
#define STACK_PARAMS 16
#define STACK_COLS   32

/* libpq (with LDAP, Kerberos and their libraries) is loaded by the first connection
 * (core/dynlib.h), not when a process starts: most runs of shomei use SQLite. */
#define PQ_LIB "libpq.so.5"
#define PQ_FUNCS(X)                                                                                \
    X(PQclear)                                                                                     \
    X(PQcmdStatus)                                                                                 \
    X(PQcmdTuples)                                                                                 \
    X(PQconnectdb)                                                                                 \
    X(PQerrorMessage)                                                                              \
    X(PQexec)                                                                                      \
    X(PQexecParams)                                                                                \
    X(PQfinish)                                                                                    \
    X(PQftype)                                                                                     \
    X(PQgetisnull)                                                                                 \
    X(PQgetlength)                                                                                 \
    X(PQgetvalue)                                                                                  \
    X(PQnfields)                                                                                   \
    X(PQntuples)                                                                                   \
    X(PQreset)                                                                                     \
    X(PQresultErrorField)                                                                          \
    X(PQresultErrorMessage)                                                                        \
    X(PQresultStatus)                                                                              \
    X(PQsetNoticeProcessor)                                                                        \
    X(PQstatus)                                                                                    \
    X(PQtransactionStatus)

static struct pq_fns {
    PQ_FUNCS(DYNLIB_FIELD)
} pq;
DYNLIB_DEFINE(lib, PQ_LIB, PQ_FUNCS, pq);

struct pg {
    PGconn *c;
    int in_tx; /* the server had a transaction open after the last statement */
};

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs such as "relation already exists, skipping" are expected */
}

static int pg_err(struct pg *p, PGresult *res, const char *what, struct sm_err *e)
{
    const char *state = res ? pq.PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int code = SM_E_DB;
    if (state != NULL && strcmp(state, "23505") == 0)
        code = SM_E_CONFLICT;
    else if (state != NULL && (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0))
        code = SM_E_DB_BUSY; /* lock_not_available (lock_timeout), deadlock_detected */
    else if (state != NULL && strcmp(state, "53100") == 0)
        code = SM_E_STORAGE_FULL; /* disk_full */
    else if (state != NULL && strcmp(state, "53300") == 0)
        code = SM_E_DB_BUSY; /* too_many_connections */
    else if ((state != NULL && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                                strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)) ||
             pq.PQstatus(p->c) != CONNECTION_OK)
        code = SM_E_DB_BUSY; /* connection lost, server shutting down or failing over: the
                                database is unavailable for now (503), not at fault (500) */
    const char *msg = res ? pq.PQresultErrorMessage(res) : pq.PQerrorMessage(p->c);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    return sm_err_set(e, code, NULL, "postgres %s: %.*s (%s)", what, (int)n, msg,
                      state ? state : "-");
}

static int settings(struct pg *p, struct sm_err *e)
{
    pq.PQsetNoticeProcessor(p->c, quiet_notice, NULL);
    /* UTF-8 text and UTC; the connection's defaults must not change results. */
    char sql[128];
    snprintf(sql, sizeof sql,
             "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET lock_timeout = %d",
             db_busy_timeout());
    PGresult *res = pq.PQexec(p->c, sql);
    int r = 0;
    if (pq.PQresultStatus(res) != PGRES_COMMAND_OK)
        r = pg_err(p, res, "connection settings", e);
    pq.PQclear(res);
    return r;
}

static int pg_open(const char *url, void **handle, struct sm_err *e)
{
    *handle = NULL;
    if (dynlib_get(&lib) < 0)
        return sm_err_set(e, SM_E_DB, "database.url", "PostgreSQL client library unavailable: %s",
                          lib.why);
    struct pg *p = sm_calloc(1, sizeof *p);
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    p->c = pq.PQconnectdb(url);
    if (p->c == NULL || pq.PQstatus(p->c) != CONNECTION_OK) {
        const char *msg = p->c ? pq.PQerrorMessage(p->c) : "out of memory";
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        int r =
            sm_err_set(e, SM_E_DB, "database.url", "cannot connect to postgres: %.*s", (int)n, msg);
        pq.PQfinish(p->c);
        free(p);
        return r;
    }
    int r = settings(p, e);
    if (r < 0) {
        pq.PQfinish(p->c);
        free(p);
        return r;
    }
    *handle = p;
    return 0;
}

/* A connection lost between transactions (server restart, fail-over) is re-established
 * once; one lost inside a transaction is an error, since its work is gone. */
static int revive(struct pg *p, const char *sql, struct sm_err *e)
{
    if (pq.PQstatus(p->c) == CONNECTION_OK)
        return 0;
    if (p->in_tx) {
        if (strcmp(sql, "ROLLBACK") == 0)
            p->in_tx = 0;
        return sm_err_set(e, SM_E_DB_BUSY, NULL, "postgres connection lost inside a transaction");
    }
    pq.PQreset(p->c);
    if (pq.PQstatus(p->c) != CONNECTION_OK)
        return sm_err_set(e, SM_E_DB_BUSY, NULL, "postgres connection lost and not re-established");
    return settings(p, e);
}

static void track(struct pg *p)
{
    PGTransactionStatusType t = pq.PQtransactionStatus(p->c);
    p->in_tx = t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE ||
               (t == PQTRANS_UNKNOWN && p->in_tx);
}

/* 1 when sql, sent outside a transaction, failed because it found the connection dead (a
 * pooled connection across a server restart or fail-over: libpq learns of it only then)
 * and is one that may simply be sent again: the start of a transaction or a read. Any other
 * statement may have run before the connection went, so it fails (503) and the next one
 * re-establishes the connection (revive). */
static int found_lost(struct pg *p, const PGresult *res, int was_in_tx, const char *sql)
{
    ExecStatusType st = pq.PQresultStatus(res);
    if (was_in_tx || st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ||
        pq.PQstatus(p->c) == CONNECTION_OK)
        return 0;
    return strncmp(sql, "BEGIN", 5) == 0 || strncmp(sql, "SELECT ", 7) == 0;
}

static void pg_close(void *handle)
{
    struct pg *p = handle;
    if (p == NULL)
        return;
    pq.PQfinish(p->c);
    free(p);
}

/* Decodes bytea text output ("\x0a0b...", hex format, the default since 9.0) in place
 * into out (at least (n - 2) / 2 bytes). Returns the length or -1. */
static long unhex(const char *s, size_t n, unsigned char *out)
{
    if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n - 2) % 2 != 0)
        return -1;
    size_t k = 0;
    for (size_t i = 2; i < n; i += 2) {
        int hi = text_hex_value(s[i]), lo = text_hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[k++] = (unsigned char)(hi << 4 | lo);
    }
    return (long)k;
}

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Converts one result row to db_vals. Bytea columns decode into scratch (one buffer per
 * row, sized for the row's bytea columns); the caller frees *scratch. */
static int convert_row(PGresult *res, int row, int ncols, struct db_val *cols,
                       unsigned char **scratch, struct sm_err *e)
{
    size_t need = 0;
    for (int i = 0; i < ncols; i++)
        if (pq.PQftype(res, i) == OID_BYTEA && !pq.PQgetisnull(res, row, i))
            need += (size_t)pq.PQgetlength(res, row, i) / 2 + 1;
    free(*scratch);
    *scratch = NULL;
    if (need > 0) {
        *scratch = sm_malloc(need);
        if (*scratch == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    size_t used = 0;
    for (int i = 0; i < ncols; i++) {
        struct db_val *v = &cols[i];
        memset(v, 0, sizeof *v);
        if (pq.PQgetisnull(res, row, i)) {
            v->t = DB_NULL;
            continue;
        }
        const char *s = pq.PQgetvalue(res, row, i);
        size_t n = (size_t)pq.PQgetlength(res, row, i);
        switch (pq.PQftype(res, i)) {
        case OID_INT2:
        case OID_INT4:
        case OID_INT8:
            v->t = DB_INT;
            if (parse_int(s, &v->i) < 0)
                return sm_err_set(e, SM_E_DB, NULL, "bad integer from postgres");
            break;
        case OID_BOOL:
            v->t = DB_INT;
            v->i = s[0] == 't';
            break;
        case OID_BYTEA: {
            long k = unhex(s, n, *scratch + used);
            if (k < 0)
                return sm_err_set(e, SM_E_DB, NULL, "bad bytea from postgres");
            v->t = DB_BLOB;
            v->p = *scratch + used;
            v->n = (size_t)k;
            used += (size_t)k + 1;
            break;
        }
        default:
            v->t = DB_TEXT;
            v->p = s;
            v->n = n;
            break;
        }
    }
    return 0;
}

/* Text parameters must be NUL-terminated for libpq: copies are made in one block. */
static int make_params(const struct db_val *params, int n, const char **vals, int *lens, int *fmts,
                       Oid *types, char **block, struct sm_err *e)
{
    size_t need = 0;
    for (int i = 0; i < n; i++)
        if (params[i].t == DB_TEXT)
            need += params[i].n + 1;
        else if (params[i].t == DB_INT)
            need += 24;
    *block = NULL;
    if (need > 0) {
        *block = sm_malloc(need);
        if (*block == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    char *w = *block;
    for (int i = 0; i < n; i++) {
        const struct db_val *v = &params[i];
        vals[i] = NULL;
        lens[i] = 0;
        fmts[i] = 0;
        types[i] = 0;
        switch (v->t) {
        case DB_INT: {
            /* Digits by hand: no printf family in a hot path, no sign surprises. */
            char tmp[24];
            int k = 0;
            uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
            do {
                tmp[k++] = (char)('0' + u % 10);
                u /= 10;
            } while (u > 0);
            vals[i] = w;
            if (v->i < 0)
                *w++ = '-';
            while (k > 0)
                *w++ = tmp[--k];
            *w++ = '\0';
            types[i] = OID_INT8;
            break;
        }
        case DB_TEXT:
            if (v->n > 0 && memchr(v->p, '\0', v->n) != NULL)
                return sm_err_set(e, SM_E_INVALID, NULL, "text parameter %d contains NUL", i + 1);
            vals[i] = w;
            if (v->n > 0)
                memcpy(w, v->p, v->n);
            w[v->n] = '\0';
            w += v->n + 1;
            break;
        case DB_BLOB:
            vals[i] = v->p ? v->p : "";
            if (v->n > 0x7fffffff)
                return sm_err_set(e, SM_E_TOO_LARGE, NULL, "blob parameter too large");
            lens[i] = (int)v->n;
            fmts[i] = 1;
            types[i] = OID_BYTEA;
            break;
        default: break;
        }
    }
    return 0;
}

/* Rows changed: INSERT/UPDATE/DELETE (also with RETURNING); a SELECT changes none. */
static int64_t cmd_tuples(PGresult *res)
{
    int64_t n = 0;
    const char *status = pq.PQcmdStatus(res);
    if (status == NULL || strncmp(status, "SELECT", 6) == 0)
        return 0;
    const char *s = pq.PQcmdTuples(res);
    if (s != NULL && *s != '\0' && parse_int(s, &n) < 0)
        n = 0;
    return n;
}

static int deliver(PGresult *res, db_row_fn fn, void *ctx, struct sm_err *e)
{
    int nrows = pq.PQntuples(res), ncols = pq.PQnfields(res);
    struct db_val stackcols[STACK_COLS];
    struct db_val *cols = stackcols;
    if (ncols > STACK_COLS) {
        cols = sm_calloc((size_t)ncols, sizeof *cols);
        if (cols == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    unsigned char *scratch = NULL;
    int r = 0;
    for (int row = 0; row < nrows && r == 0; row++) {
        r = convert_row(res, row, ncols, cols, &scratch, e);
        if (r == 0)
            r = fn(ctx, cols, ncols);
    }
    free(scratch);
    if (cols != stackcols)
        free(cols);
    return r;
}

static int pg_run(void *handle, const char *sql, const struct db_val *params, int nparams,
                  db_row_fn fn, void *ctx, int64_t *changes, struct sm_err *e)
{
    struct pg *p = handle;
    *changes = 0;
    const char *svals[STACK_PARAMS];
    int slens[STACK_PARAMS], sfmts[STACK_PARAMS];
    Oid stypes[STACK_PARAMS];
    const char **vals = svals;
    int *lens = slens, *fmts = sfmts;
    Oid *types = stypes;
    char *block = NULL;
    void *heap = NULL;
    if (nparams > STACK_PARAMS) {
        size_t one = sizeof *vals + sizeof *lens + sizeof *fmts + sizeof *types;
        heap = sm_calloc((size_t)nparams, one);
        if (heap == NULL)
            return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        vals = heap;
        types = (Oid *)(vals + nparams);
        lens = (int *)(types + nparams);
        fmts = lens + nparams;
    }
    int r = revive(p, sql, e);
    if (r == 0)
        r = make_params(params, nparams, vals, lens, fmts, types, &block, e);
    PGresult *res = NULL;
    if (r == 0) {
        int was_in_tx = p->in_tx;
        res = pq.PQexecParams(p->c, sql, nparams, types, vals, lens, fmts, 0);
        track(p);
        if (found_lost(p, res, was_in_tx, sql)) { /* once, on a new connection */
            pq.PQclear(res);
            res = NULL;
            r = revive(p, sql, e);
            if (r == 0) {
                res = pq.PQexecParams(p->c, sql, nparams, types, vals, lens, fmts, 0);
                track(p);
            }
        }
    }
    if (r == 0) {
        ExecStatusType st = pq.PQresultStatus(res);
        if (st == PGRES_TUPLES_OK) {
            *changes = cmd_tuples(res);
            if (fn != NULL)
                r = deliver(res, fn, ctx, e);
        } else if (st == PGRES_COMMAND_OK) {
            *changes = cmd_tuples(res);
        } else {
            r = pg_err(p, res, "query", e);
        }
    }
    pq.PQclear(res);
    free(block);
    free(heap);
    return r;
}

static int pg_exec_script(void *handle, const char *sql, struct sm_err *e)
{
    struct pg *p = handle;
    int r = revive(p, sql, e);
    if (r < 0)
        return r;
    PGresult *res = pq.PQexec(p->c, sql);
    track(p);
    ExecStatusType st = pq.PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        r = pg_err(p, res, "script", e);
    pq.PQclear(res);
    return r;
}

const struct db_ops db_pg_ops = {
    .name = "pg",
    .open = pg_open,
    .close = pg_close,
    .run = pg_run,
    .exec_script = pg_exec_script,
    .begin_sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
    .begin_read_sql = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY",
};
