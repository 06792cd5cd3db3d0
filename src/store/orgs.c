/* SPDX-License-Identifier: MIT */
/* The organizations table (see orgs.h). Writers expect the caller's transaction; readers
 * run anywhere. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/failalloc.h"
#include "store/db.h"
#include "store/orgs.h"

#define ORG_COLS "id, kind, name_ja, name_en, reseller_org_id, created_at FROM organizations"

static const struct db_stmt st_org_insert = {
    "org.insert",
    "INSERT INTO organizations (kind, name_ja, name_en, reseller_org_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_org_get = {"org.get", "SELECT " ORG_COLS " WHERE id = $1", NULL,
                                          NULL};
static const struct db_stmt st_org_kind = {
    "org.find_kind", "SELECT " ORG_COLS " WHERE kind = $1 ORDER BY id LIMIT 1", NULL, NULL};
static const struct db_stmt st_org_ids_seen = {
    "org.ids_seen",
    "SELECT id FROM organizations WHERE id = $1 OR reseller_org_id = $2 ORDER BY id", NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct org_row *o = row;
    o->id = db_col_int(&c[0]);
    db_col_copy(o->kind, sizeof o->kind, &c[1]);
    db_col_copy(o->name_ja, sizeof o->name_ja, &c[2]);
    db_col_copy(o->name_en, sizeof o->name_en, &c[3]);
    o->reseller_org_id = db_col_int(&c[4]);
    o->created_at = db_col_int(&c[5]);
    return 0;
}

static const struct db_rowtype org_rowtype = {sizeof(struct org_row), 6, fill, NULL,
                                              "organization"};

void org_rows_free(struct org_row *v, size_t n)
{
    (void)n; /* fixed buffers: nothing inside to free */
    free(v);
}

int org_insert(struct db *db, const struct org_row *o, int64_t *id, struct sm_err *e)
{
    *id = 0;
    if (o->reseller_org_id > 0) {
        struct org_row r;
        int rc = org_get(db, o->reseller_org_id, &r, e);
        if (rc == -SM_E_NOTFOUND || (rc == 0 && strcmp(r.kind, "reseller") != 0))
            return sm_err_set(e, SM_E_INVALID, "reseller_org_id",
                              "organization %lld is not a reseller", (long long)o->reseller_org_id);
        if (rc < 0)
            return rc;
    }
    struct db_val p[5] = {DBV_TEXT(o->kind), DBV_TEXT(o->name_ja), DBV_TEXT(o->name_en),
                          dbv_int_or_null(o->reseller_org_id > 0 ? o->reseller_org_id : 0),
                          DBV_INT(clock_now())};
    return db_returning_id(db, &st_org_insert, p, 5, id, e);
}

int org_get(struct db *db, int64_t id, struct org_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_org_get, p, 1, &org_rowtype, out, e);
}

int org_find_kind(struct db *db, const char *kind, struct org_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(kind)};
    return db_get_one(db, &st_org_kind, p, 1, &org_rowtype, out, e);
}

int org_ids_seen(struct db *db, int64_t own, int64_t managed, int64_t **ids, size_t *n,
                 struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(own), DBV_INT(managed > 0 ? managed : 0)};
    return db_collect(db, &st_org_ids_seen, p, 2, &db_row_int, ids, n, e);
}

int org_list_scope(struct db *db, const struct org_scope *scope, struct org_row **rows, size_t *n,
                   struct sm_err *e)
{
    *rows = NULL;
    *n = 0;
    struct buf sql = BUF_INIT;
    struct db_val *p = sm_calloc(scope && !scope->all && scope->n ? scope->n : 1, sizeof *p);
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int np = 0;
    int rc = buf_puts(&sql, "SELECT " ORG_COLS " WHERE 1 = 1") < 0
                 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory")
                 : org_scope_sql(&sql, "id", scope, p, &np, e);
    if (rc == 0 && buf_puts(&sql, " ORDER BY id") < 0)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0) {
        struct db_stmt st = {"org.list_scope", sql.p, NULL, NULL};
        rc = db_collect(db, &st, p, np, &org_rowtype, rows, n, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}
