/* SPDX-License-Identifier: MIT */
/* The organizations table (migration 0004_accounts.sql): insert and read rows, and the
 * organization ids a user's scope lists (store/scope.h). Writers run inside the caller's
 * transaction. */
#ifndef SM_ORGS_H
#define SM_ORGS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/scope.h"

struct db;

#define ORG_NAME_MAX 400

struct org_row {
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
int org_insert(struct db *db, const struct org_row *o, int64_t *id, struct sm_err *e);
/* -SM_E_NOTFOUND when absent. */
int org_get(struct db *db, int64_t id, struct org_row *out, struct sm_err *e);
/* The first organization of kind (lowest id). -SM_E_NOTFOUND when there is none. */
int org_find_kind(struct db *db, const char *kind, struct org_row *out, struct sm_err *e);

/* ---- isolation (R-ACT-1) ----
 * The ids a user's struct org_scope (store/scope.h) lists, as account_scope()
 * (ra/account.h) asks for them: organization own and, when managed > 0, the organizations
 * whose reseller_org_id is managed, ordered by id. *ids is NULL when *n == 0; free() it. */
int org_ids_seen(struct db *db, int64_t own, int64_t managed, int64_t **ids, size_t *n,
                 struct sm_err *e);
/* The organizations inside scope, ordered by id (for pickers of resellers and staff).
 * Free *rows with org_rows_free(rows, n) (or free()). */
int org_list_scope(struct db *db, const struct org_scope *scope, struct org_row **rows, size_t *n,
                   struct sm_err *e);

void org_rows_free(struct org_row *v, size_t n);

#endif
