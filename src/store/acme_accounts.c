/* SPDX-License-Identifier: MIT */
/* The acme_accounts and acme_eab_keys tables (see acme_accounts.h). */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/failalloc.h"
#include "store/acme_accounts.h"
#include "store/db.h"
#include "store/scope.h"

#define ACCOUNT_COLS "id, org_id, created_at, jwk, contact, thumbprint, status, eab_kid"

static const struct db_stmt st_insert = {
    "acme_account.insert",
    "INSERT INTO acme_accounts (org_id, jwk, thumbprint, status, contact, eab_kid, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_get = {
    "acme_account.get", "SELECT " ACCOUNT_COLS " FROM acme_accounts WHERE id = $1", NULL, NULL};
static const struct db_stmt st_by_thumb = {
    "acme_account.by_thumbprint",
    "SELECT " ACCOUNT_COLS " FROM acme_accounts WHERE thumbprint = $1", NULL, NULL};
static const struct db_stmt st_update = {
    "acme_account.update", "UPDATE acme_accounts SET status = $2, contact = $3 WHERE id = $1", NULL,
    NULL};
static const struct db_stmt st_update_key = {
    "acme_account.update_key", "UPDATE acme_accounts SET jwk = $2, thumbprint = $3 WHERE id = $1",
    NULL, NULL};
static const struct db_stmt st_eab_insert = {
    "acme_eab.insert",
    "INSERT INTO acme_eab_keys (kid, org_id, hmac_key, created_by, created_at) "
    "VALUES ($1, $2, $3, $4, $5)",
    NULL, NULL};
static const struct db_stmt st_eab_get = {
    "acme_eab.get",
    "SELECT kid, org_id, created_at, revoked_at, hmac_key FROM acme_eab_keys WHERE kid = $1", NULL,
    NULL};

void acme_account_row_free(struct acme_account_row *a)
{
    if (a == NULL)
        return;
    free(a->jwk);
    free(a->contact);
    a->jwk = a->contact = NULL;
}

static int fill_account(void *row, const struct db_val *c)
{
    struct acme_account_row *a = row;
    a->id = db_col_int(&c[0]);
    a->org_id = db_col_int(&c[1]);
    a->created_at = db_col_int(&c[2]);
    if (db_col_dup(&a->jwk, &c[3]) < 0 || db_col_dup(&a->contact, &c[4]) < 0)
        return -1;
    db_col_copy(a->thumbprint, sizeof a->thumbprint, &c[5]);
    db_col_copy(a->status, sizeof a->status, &c[6]);
    db_col_copy(a->eab_kid, sizeof a->eab_kid, &c[7]);
    return 0;
}

static void clear_account(void *row) { acme_account_row_free(row); }

static const struct db_rowtype account_rowtype = {sizeof(struct acme_account_row), 8, fill_account,
                                                  clear_account, "acme account"};

int acme_account_insert(struct db *db, const struct acme_account_row *a, int64_t *id,
                        struct sm_err *e)
{
    struct db_val p[7] = {DBV_INT(a->org_id),    DBV_TEXT(a->jwk),     DBV_TEXT(a->thumbprint),
                          DBV_TEXT(a->status),   DBV_TEXT(a->contact), DBV_TEXT(a->eab_kid),
                          DBV_INT(a->created_at)};
    return db_returning_id(db, &st_insert, p, 7, id, e);
}

int acme_account_get(struct db *db, int64_t id, struct acme_account_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return db_get_one(db, &st_get, p, 1, &account_rowtype, out, e);
}

int acme_account_update(struct db *db, int64_t id, const char *status, const char *contact,
                        struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), DBV_TEXT(status), DBV_TEXT(contact)};
    int rc = db_run(db, &st_update, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "acme account", "no account %lld", (long long)id);
    return rc;
}

int acme_account_update_key(struct db *db, int64_t id, const char *jwk, const char *thumbprint,
                            struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), DBV_TEXT(jwk), DBV_TEXT(thumbprint)};
    int rc = db_run(db, &st_update_key, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "acme account", "no account %lld", (long long)id);
    return rc;
}

int acme_account_by_thumbprint(struct db *db, const char *thumbprint, struct acme_account_row *out,
                               struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(thumbprint)};
    return db_get_one(db, &st_by_thumb, p, 1, &account_rowtype, out, e);
}

static int fill_eab(void *row, const struct db_val *c)
{
    struct acme_eab_row *k = row;
    db_col_copy(k->kid, sizeof k->kid, &c[0]);
    k->org_id = db_col_int(&c[1]);
    k->created_at = db_col_int(&c[2]);
    k->revoked_at = db_col_int(&c[3]);
    if (c[4].t != DB_BLOB || c[4].n > sizeof k->hmac_key)
        return -1;
    memcpy(k->hmac_key, c[4].p, c[4].n);
    k->hmac_key_len = c[4].n;
    return 0;
}

static const struct db_rowtype eab_rowtype = {sizeof(struct acme_eab_row), 5, fill_eab, NULL,
                                              "EAB key"};

int acme_eab_insert(struct db *db, const struct acme_eab_row *k, const char *created_by,
                    struct sm_err *e)
{
    struct db_val p[5] = {DBV_TEXT(k->kid), DBV_INT(k->org_id),
                          DBV_BLOB(k->hmac_key, k->hmac_key_len), DBV_TEXT(created_by),
                          DBV_INT(k->created_at)};
    return db_run(db, &st_eab_insert, p, 5, NULL, NULL, e);
}

int acme_eab_get(struct db *db, const char *kid, struct acme_eab_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(kid)};
    return db_get_one(db, &st_eab_get, p, 1, &eab_rowtype, out, e);
}

#define EAB_LIST_SELECT                                                                            \
    "SELECT k.kid, k.org_id, k.created_at, COALESCE(k.revoked_at, 0), o.name_ja, "                 \
    "(SELECT COUNT(*) FROM acme_accounts a WHERE a.eab_kid = k.kid), "                             \
    "COALESCE((SELECT MIN(a.id) FROM acme_accounts a WHERE a.eab_kid = k.kid), 0) "                \
    "FROM acme_eab_keys k JOIN organizations o ON o.id = k.org_id WHERE 1 = 1"

static const struct db_stmt st_eab_revoke = {
    "acme_eab.mark_revoked",
    "UPDATE acme_eab_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM acme_accounts a WHERE a.eab_kid = $1)",
    NULL, NULL};

static int fill_eab_list(void *row, const struct db_val *c)
{
    struct acme_eab_list_row *k = row;
    db_col_copy(k->kid, sizeof k->kid, &c[0]);
    k->org_id = db_col_int(&c[1]);
    k->created_at = db_col_int(&c[2]);
    k->revoked_at = db_col_int(&c[3]);
    db_col_copy(k->org_name, sizeof k->org_name, &c[4]);
    k->accounts = db_col_int(&c[5]);
    k->account_id = db_col_int(&c[6]);
    return 0;
}

static const struct db_rowtype eab_list_rowtype = {sizeof(struct acme_eab_list_row), 7,
                                                   fill_eab_list, NULL, "EAB key"};

/* The statement of the list (kid NULL) or of one key, in scope: SQL into sql, parameters
 * into *p (freed by the caller), their number into *np. */
static int eab_sql(const char *kid, const struct org_scope *scope, struct buf *sql,
                   struct db_val **p, int *np, struct sm_err *e)
{
    *p = NULL;
    *np = 0;
    if (scope == NULL)
        return sm_err_set(e, SM_E_INTERNAL, "scope", "no scope given");
    if (!scope->all && scope->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    *p = sm_calloc((scope->all ? 0 : scope->n) + 1, sizeof **p);
    if (*p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = buf_puts(sql, EAB_LIST_SELECT);
    if (rc == 0 && kid != NULL) {
        (*p)[(*np)++] = DBV_TEXT(kid);
        rc = buf_puts(sql, " AND k.kid = $1");
    }
    if (rc == 0)
        rc = org_scope_sql(sql, "k.org_id", scope, *p, np, NULL);
    if (rc == 0 && kid == NULL)
        rc = buf_puts(sql, " ORDER BY k.created_at DESC, k.kid");
    return rc < 0 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory") : 0;
}

int acme_eab_list_scoped(struct db *db, const struct org_scope *scope,
                         struct acme_eab_list_row **out, size_t *n, struct sm_err *e)
{
    struct buf sql = BUF_INIT;
    struct db_val *p;
    int np;
    *out = NULL;
    *n = 0;
    int rc = eab_sql(NULL, scope, &sql, &p, &np, e);
    if (rc == 0) {
        struct db_stmt st = {"acme_eab.list_scoped", sql.p, NULL, NULL};
        rc = db_collect(db, &st, p, np, &eab_list_rowtype, out, n, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int acme_eab_get_scoped(struct db *db, const char *kid, const struct org_scope *scope,
                        struct acme_eab_list_row *out, struct sm_err *e)
{
    struct buf sql = BUF_INIT;
    struct db_val *p;
    int np;
    int rc = eab_sql(kid, scope, &sql, &p, &np, e);
    if (rc == 0) {
        struct db_stmt st = {"acme_eab.get_scoped", sql.p, NULL, NULL};
        rc = db_get_one(db, &st, p, np, &eab_list_rowtype, out, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int acme_eab_mark_revoked(struct db *db, const char *kid, int64_t now, struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(kid), DBV_INT(now)};
    int rc = db_run(db, &st_eab_revoke, p, 2, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "kid", "EAB key %s is revoked or in use", kid);
    return rc;
}
