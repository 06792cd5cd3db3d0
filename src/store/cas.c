/* SPDX-License-Identifier: MIT */
/* The cas table (migration 0002_ca.sql): insert one CA, read one CA by name, list them
 * all. See cas.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "store/cas.h"
#include "store/db.h"

static const struct db_stmt st_insert = {
    "cas.insert",
    "INSERT INTO cas (name, role, level, root, parent_id, key_ref, key_type, cert_der, subject, "
    "ski, not_before, not_after, created_at, test) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    NULL, NULL};

#define COLS                                                                                       \
    "id, name, role, level, root, parent_id, key_ref, key_type, cert_der, subject, ski, "          \
    "not_before, not_after, created_at, test"

static const struct db_stmt st_get = {"cas.get", "SELECT " COLS " FROM cas WHERE name = $1", NULL,
                                      NULL};
static const struct db_stmt st_list = {"cas.list", "SELECT " COLS " FROM cas ORDER BY id", NULL,
                                       NULL};

static struct db_val text_or_null(const char *s) { return s ? DBV_TEXT(s) : DBV_NULL; }

static int got_id(void *ctx, const struct db_val *cols, int ncols)
{
    if (ncols >= 1)
        *(int64_t *)ctx = db_col_int(&cols[0]);
    return 0;
}

int cas_insert(struct db *db, const struct cas_new *r, int64_t *id, struct sm_err *e)
{
    struct db_val p[14] = {
        DBV_TEXT(r->name),
        DBV_TEXT(r->role),
        text_or_null(r->level),
        text_or_null(r->root),
        r->parent_id > 0 ? DBV_INT(r->parent_id) : DBV_NULL,
        DBV_TEXT(r->key_ref),
        DBV_TEXT(r->key_type),
        DBV_BLOB(r->der, r->der_len),
        DBV_TEXT(r->subject),
        DBV_TEXT(r->ski),
        DBV_INT(r->not_before),
        DBV_INT(r->not_after),
        DBV_INT(clock_now()),
        DBV_INT(r->test ? 1 : 0),
    };
    *id = 0;
    int rc = db_run(db, &st_insert, p, 14, got_id, id, e);
    if (rc == 0 && *id <= 0)
        rc = sm_err_set(e, SM_E_DB, "cas.insert", "no id returned for CA %s", r->name);
    return rc;
}

/* Row callback filling a growing array of cas_row. */
struct rows {
    struct cas_row *v;
    size_t n, cap;
    int nomem;
};

static int fill(struct cas_row *r, const struct db_val *c)
{
    r->id = db_col_int(&c[0]);
    r->name = db_col_strdup(&c[1]);
    r->role = db_col_strdup(&c[2]);
    r->level = db_col_strdup(&c[3]);
    r->root = db_col_strdup(&c[4]);
    r->parent_id = db_col_int(&c[5]);
    r->key_ref = db_col_strdup(&c[6]);
    r->key_type = db_col_strdup(&c[7]);
    r->der_len = c[8].t == DB_BLOB ? c[8].n : 0;
    r->der = sm_malloc(r->der_len ? r->der_len : 1);
    if (r->der != NULL && r->der_len > 0)
        memcpy(r->der, c[8].p, r->der_len);
    r->subject = db_col_strdup(&c[9]);
    r->ski = db_col_strdup(&c[10]);
    r->not_before = db_col_int(&c[11]);
    r->not_after = db_col_int(&c[12]);
    r->created_at = db_col_int(&c[13]);
    r->test = db_col_int(&c[14]) != 0;
    int bad = r->name == NULL || r->role == NULL || (c[3].t != DB_NULL && r->level == NULL) ||
              (c[4].t != DB_NULL && r->root == NULL) || r->key_ref == NULL || r->key_type == NULL ||
              r->der == NULL || r->subject == NULL || r->ski == NULL;
    return bad ? -1 : 0;
}

static void clear(struct cas_row *r)
{
    free(r->name);
    free(r->role);
    free(r->level);
    free(r->root);
    free(r->key_ref);
    free(r->key_type);
    free(r->der);
    free(r->subject);
    free(r->ski);
    memset(r, 0, sizeof *r);
}

static int on_row(void *ctx, const struct db_val *cols, int ncols)
{
    struct rows *rs = ctx;
    if (ncols < 15)
        return -SM_E_DB;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct cas_row *v = sm_realloc(rs->v, cap * sizeof *v);
        if (v == NULL) {
            rs->nomem = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    struct cas_row *r = &rs->v[rs->n];
    memset(r, 0, sizeof *r);
    if (fill(r, cols) < 0) {
        clear(r);
        rs->nomem = 1;
        return 1;
    }
    rs->n++;
    return 0;
}

static int select_rows(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                       struct rows *rs, struct sm_err *e)
{
    int rc = db_run(db, st, p, np, on_row, rs, e);
    if (rc > 0 || rs->nomem)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory reading CAs");
    if (rc < 0) {
        cas_rows_free(rs->v, rs->n);
        memset(rs, 0, sizeof *rs);
    }
    return rc;
}

int cas_get(struct db *db, const char *name, struct cas_row **out, struct sm_err *e)
{
    *out = NULL;
    struct rows rs = {0};
    struct db_val p[1] = {DBV_TEXT(name)};
    int rc = select_rows(db, &st_get, p, 1, &rs, e);
    if (rc < 0)
        return rc;
    if (rs.n == 0) {
        free(rs.v);
        return sm_err_set(e, SM_E_NOTFOUND, "ca", "no CA named %s (run shomei init)", name);
    }
    *out = rs.v; /* exactly one row: name is unique */
    return 0;
}

int cas_list(struct db *db, struct cas_row **rows, size_t *n, struct sm_err *e)
{
    struct rows rs = {0};
    int rc = select_rows(db, &st_list, NULL, 0, &rs, e);
    *rows = rs.v;
    *n = rs.n;
    return rc;
}

void cas_row_free(struct cas_row *r) { cas_rows_free(r, r ? 1 : 0); }

void cas_rows_free(struct cas_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        clear(&rows[i]);
    free(rows);
}
