/* SPDX-License-Identifier: MIT */
/* The organizations table (see orgs.h). Writers expect the caller's transaction; readers
 * run anywhere. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
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
static const struct db_stmt st_org_in_scope = {
    "org.in_scope",
    "SELECT id FROM organizations WHERE id = $1 AND " ORG_SCOPE_SQL("id", "$2", "$3", "$4"), NULL,
    NULL};
static const struct db_stmt st_org_list_scope = {
    "org.list_scope",
    "SELECT " ORG_COLS " WHERE " ORG_SCOPE_SQL("id", "$1", "$2", "$3") " ORDER BY id", NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct org *o = row;
    o->id = db_col_int(&c[0]);
    db_col_copy(o->kind, sizeof o->kind, &c[1]);
    db_col_copy(o->name_ja, sizeof o->name_ja, &c[2]);
    db_col_copy(o->name_en, sizeof o->name_en, &c[3]);
    o->reseller_org_id = db_col_int(&c[4]);
    o->created_at = db_col_int(&c[5]);
    return 0;
}

static const struct db_rowtype org_rowtype = {sizeof(struct org), 6, fill, NULL, "organization"};

void orgs_rows_free(struct org *v, size_t n)
{
    (void)n; /* fixed buffers: nothing inside to free */
    free(v);
}

int org_insert(struct db *db, const struct org *o, int64_t *id, struct sm_err *e)
{
    *id = 0;
    if (o->reseller_org_id > 0) {
        struct org r;
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

int org_get(struct db *db, int64_t id, struct org *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_org_get, p, 1, &org_rowtype, out, e);
}

int org_find_kind(struct db *db, const char *kind, struct org *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(kind)};
    return db_get_one(db, &st_org_kind, p, 1, &org_rowtype, out, e);
}

int org_in_scope(struct db *db, const struct org_scope *scope, int64_t org_id, struct sm_err *e)
{
    int64_t found = 0;
    struct sm_err err = {0}; /* not found is an answer, not an error */
    struct db_val p[4] = {DBV_INT(org_id), ORG_SCOPE_PARAMS(*scope)};
    int rc = db_get_one(db, &st_org_in_scope, p, 4, &db_row_int, &found, &err);
    if (rc == -SM_E_NOTFOUND)
        return 0;
    if (rc < 0) {
        if (e != NULL)
            *e = err;
        return rc;
    }
    return found == org_id && org_id > 0;
}

int org_list_scope(struct db *db, const struct org_scope *scope, struct org **rows, size_t *n,
                   struct sm_err *e)
{
    struct db_val p[3] = {ORG_SCOPE_PARAMS(*scope)};
    return db_collect(db, &st_org_list_scope, p, 3, &org_rowtype, rows, n, e);
}
