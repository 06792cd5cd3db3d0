/* SPDX-License-Identifier: MIT */
/* Registration information of organizations; see orgreg.h. */
#include "store/orgreg.h"

#include "store/db.h"

#define COLS                                                                                       \
    "id, kind, name_ja, name_en, postal, address, phone, contact_name, contact_email, "            \
    "contact_phone, vetting_reset_at, reg_version"

static const struct db_stmt st_get = {
    "orgreg.get", "SELECT " COLS " FROM organizations WHERE id = $1", NULL, NULL};
static const struct db_stmt st_update = {
    "orgreg.update",
    "UPDATE organizations SET name_ja = $3, name_en = $4, postal = $5, address = $6, phone = $7, "
    "contact_name = $8, contact_email = $9, contact_phone = $10, reg_version = reg_version + 1, "
    "vetting_reset_at = CASE WHEN $11 > 0 THEN $11 ELSE vetting_reset_at END "
    "WHERE id = $1 AND reg_version = $2 RETURNING reg_version",
    NULL,
    "UPDATE organizations SET name_ja = $3, name_en = $4, postal = $5, address = $6, phone = $7, "
    "contact_name = $8, contact_email = $9, contact_phone = $10, reg_version = reg_version + 1, "
    "vetting_reset_at = CASE WHEN $11::BIGINT > 0 THEN $11::BIGINT ELSE vetting_reset_at END "
    "WHERE id = $1 AND reg_version = $2 RETURNING reg_version"};
static const struct db_stmt st_is_admin = {
    "orgreg.is_admin",
    "SELECT COUNT(*) FROM users u WHERE u.id = $2 AND u.org_id = $1 AND u.disabled = 0 "
    "AND u.role IN ('customer', 'reseller') AND (u.org_admin = 1 OR (NOT EXISTS (SELECT 1 FROM "
    "users a WHERE a.org_id = $1 AND a.org_admin = 1 AND a.disabled = 0) AND u.id = (SELECT "
    "MIN(b.id) FROM users b WHERE b.org_id = $1 AND b.role IN ('customer', 'reseller'))))",
    NULL, NULL};
static const struct db_stmt st_set_admin = {
    "orgreg.set_admin",
    "UPDATE users SET org_admin = $3 WHERE id = $2 AND org_id = $1 RETURNING id", NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct orgreg_row *r = row;
    r->id = db_col_int(&c[0]);
    db_col_copy(r->kind, sizeof r->kind, &c[1]);
    db_col_copy(r->name_ja, sizeof r->name_ja, &c[2]);
    db_col_copy(r->name_en, sizeof r->name_en, &c[3]);
    db_col_copy(r->postal, sizeof r->postal, &c[4]);
    db_col_copy(r->address, sizeof r->address, &c[5]);
    db_col_copy(r->phone, sizeof r->phone, &c[6]);
    db_col_copy(r->contact_name, sizeof r->contact_name, &c[7]);
    db_col_copy(r->contact_email, sizeof r->contact_email, &c[8]);
    db_col_copy(r->contact_phone, sizeof r->contact_phone, &c[9]);
    r->vetting_reset_at = db_col_int(&c[10]);
    r->version = db_col_int(&c[11]);
    return 0;
}

static const struct db_rowtype orgreg_rowtype = {sizeof(struct orgreg_row), 12, fill, NULL,
                                                 "organization"};

int orgreg_get(struct db *db, int64_t org_id, struct orgreg_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(org_id)};
    return db_get_one(db, &st_get, p, 1, &orgreg_rowtype, out, e);
}

int orgreg_update(struct db *db, const struct orgreg_row *r, int64_t expect_version,
                  int64_t reset_at, struct sm_err *e)
{
    struct db_val p[11] = {DBV_INT(r->id),
                           DBV_INT(expect_version),
                           DBV_TEXT(r->name_ja),
                           DBV_TEXT(r->name_en),
                           DBV_TEXT(r->postal),
                           DBV_TEXT(r->address),
                           DBV_TEXT(r->phone),
                           DBV_TEXT(r->contact_name),
                           DBV_TEXT(r->contact_email),
                           DBV_TEXT(r->contact_phone),
                           DBV_INT(reset_at)};
    int64_t v = 0;
    int rc = db_get_one(db, &st_update, p, 11, &db_row_int, &v, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return sm_err_set(e, SM_E_STALE, "version", "the organization changed meanwhile");
    }
    return rc;
}

int orgreg_is_admin(struct db *db, int64_t org_id, int64_t user_id, int *yes, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(org_id), DBV_INT(user_id)};
    int64_t n = 0;
    int rc = db_get_one(db, &st_is_admin, p, 2, &db_row_int, &n, e);
    *yes = rc == 0 && n > 0;
    return rc;
}

int orgreg_set_admin(struct db *db, int64_t org_id, int64_t user_id, int flag, struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(org_id), DBV_INT(user_id), DBV_INT(flag ? 1 : 0)};
    int64_t id = 0;
    return db_get_one(db, &st_set_admin, p, 3, &db_row_int, &id, e);
}
