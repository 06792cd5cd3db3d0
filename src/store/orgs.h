/* SPDX-License-Identifier: MIT */
/* The organizations table (migration 0004_accounts.sql): insert and read rows, and the SQL
 * condition every other store module uses to keep a user to the organizations it may see
 * (ORG_SCOPE_SQL). Writers run inside the caller's transaction. */
#ifndef SM_ORGS_H
#define SM_ORGS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define ORG_NAME_MAX 400

struct org {
    int64_t id;
    char kind[16]; /* "customer" | "reseller" | "ca" */
    char name_ja[ORG_NAME_MAX + 1];
    char name_en[ORG_NAME_MAX + 1];
    int64_t reseller_org_id; /* 0 = none */
    int64_t created_at;
};

/* ---- organizations ---- */
/* Inserts o (id and created_at are ignored; created_at = clock_now()). A reseller_org_id
 * must name an organization of kind reseller (-SM_E_INVALID otherwise). */
int org_insert(struct db *db, const struct org *o, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int org_get(struct db *db, int64_t id, struct org *out, struct sm_err *e);
/* The first organization of kind (lowest id). -SM_E_NOTFOUND when there is none. */
int org_find_kind(struct db *db, const char *kind, struct org *out, struct sm_err *e);

/* ---- isolation (R-ACT-1) ----
 * The organizations a user may see, as three bound integers:
 *   all     = 1 for officers and admins (every organization), else 0
 *   own     = the user's organization
 *   managed = the user's organization when it is a reseller (its customer organizations
 *             have reseller_org_id = managed), else 0 (matches nothing)
 * Build it with account_scope() (ra/account.h). Every query that returns objects of an
 * organization adds ORG_SCOPE_SQL over its org id column, with ORG_SCOPE_PARAMS bound at
 * the numbers given, so an object outside the scope is simply not found (404). Example:
 *   "SELECT ... FROM orders WHERE id = $1 AND " ORG_SCOPE_SQL("org_id", "$2", "$3", "$4")
 *   struct db_val p[4] = {DBV_INT(id), ORG_SCOPE_PARAMS(scope)}; */
struct org_scope {
    int64_t all, own, managed;
};
#define ORG_SCOPE_SQL(col, p_all, p_own, p_managed)                                                \
    "(" p_all " = 1 OR " col " = " p_own " OR " col                                                \
    " IN (SELECT id FROM organizations WHERE reseller_org_id = " p_managed "))"
#define ORG_SCOPE_PARAMS(s) DBV_INT((s).all), DBV_INT((s).own), DBV_INT((s).managed)

/* 1 when org_id is inside scope (reads organizations), 0 when not or absent, negative on
 * database errors. */
int org_in_scope(struct db *db, const struct org_scope *scope, int64_t org_id, struct sm_err *e);
/* The organizations inside scope, ordered by id (for pickers of resellers and staff).
 * Free *rows with orgs_rows_free(rows, n) (or free()). */
int org_list_scope(struct db *db, const struct org_scope *scope, struct org **rows, size_t *n,
                   struct sm_err *e);

void orgs_rows_free(struct org *v, size_t n);

#endif
