/* SPDX-License-Identifier: MIT */
/* The cas table (migration 0002_ca.sql): insert one CA, read one CA by name, list them
 * all. See cas.h. */
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

int cas_insert(struct db *db, const struct cas_new *r, int64_t *id, struct sm_err *e)
{
    struct db_val p[14] = {
        DBV_TEXT(r->name),
        DBV_TEXT(r->role),
        dbv_text_or_null(r->level),
        dbv_text_or_null(r->root),
        dbv_int_or_null(r->parent_id),
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
    return db_returning_id(db, &st_insert, p, 14, id, e);
}

static void clear(void *row)
{
    struct cas_row *r = row;
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

static int fill(void *row, const struct db_val *c)
{
    struct cas_row *r = row;
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
    if (bad) {
        clear(r);
        return -1;
    }
    return 0;
}

static const struct db_rowtype cas_rowtype = {sizeof(struct cas_row), 15, fill, clear, "ca"};

int cas_get(struct db *db, const char *name, struct cas_row **out, struct sm_err *e)
{
    size_t n = 0;
    struct db_val p[1] = {DBV_TEXT(name)};
    int rc = db_collect(db, &st_get, p, 1, &cas_rowtype, out, &n, e);
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_NOTFOUND, "ca", "no CA named %s (run shomei init)", name);
    return rc; /* at most one row: name is unique */
}

int cas_list(struct db *db, struct cas_row **rows, size_t *n, struct sm_err *e)
{
    return db_collect(db, &st_list, NULL, 0, &cas_rowtype, rows, n, e);
}

void cas_row_free(struct cas_row *r) { cas_rows_free(r, r ? 1 : 0); }

void cas_rows_free(struct cas_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        clear(&rows[i]);
    free(rows);
}
