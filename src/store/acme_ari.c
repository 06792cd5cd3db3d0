/* SPDX-License-Identifier: MIT */
/* The ARI drill tables (see acme_ari.h). */
#include <stdlib.h>
#include <string.h>

#include "store/acme_ari.h"
#include "store/db.h"

static const struct db_stmt st_drill = {
    "acme_ari.drill_insert",
    "INSERT INTO acme_ari_drills (ca_id, issued_before, org_id, created_by, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
    NULL, NULL};
#define TAKE                                                                                       \
    "INSERT INTO acme_ari_drill_certs (drill_id, serial) SELECT $1, serial FROM certificates "     \
    "WHERE ca_id = $2 AND issued_at < $3 AND not_after > $4 "                                      \
    "AND state IN ('issued', 'revocation_scheduled')"
static const struct db_stmt st_take_all = {"acme_ari.take_all", TAKE, NULL, NULL};
static const struct db_stmt st_take_org = {"acme_ari.take_org", TAKE " AND org_id = $5", NULL,
                                           NULL};
static const struct db_stmt st_drilled_at = {
    "acme_ari.drilled_at",
    "SELECT COALESCE(MAX(d.created_at), 0) FROM acme_ari_drill_certs c "
    "JOIN acme_ari_drills d ON d.id = c.drill_id WHERE c.serial = $1",
    NULL, NULL};
#define DRILL_COLS                                                                                 \
    "SELECT d.id, d.ca_id, d.issued_before, COALESCE(d.org_id, 0), d.created_at, a.name "          \
    "FROM acme_ari_drills d JOIN cas a ON a.id = d.ca_id "
static const struct db_stmt st_get = {"acme_ari.drill_get", DRILL_COLS "WHERE d.id = $1", NULL,
                                      NULL};
static const struct db_stmt st_latest = {"acme_ari.drill_latest",
                                         DRILL_COLS "ORDER BY d.id DESC LIMIT 1", NULL, NULL};
static const struct db_stmt st_report = {
    "acme_ari.report",
    "SELECT COALESCE(c.org_id, 0), COALESCE(o.name_ja, ''), c.serial, COALESCE(c.cn, ''), "
    "COALESCE((SELECT n.serial FROM certificates n WHERE n.org_id = c.org_id AND n.cn = c.cn "
    "AND n.id <> c.id AND n.issued_at >= d.created_at "
    "AND n.state IN ('issued', 'revocation_scheduled', 'revoked') "
    "ORDER BY n.issued_at, n.id LIMIT 1), '') "
    "FROM acme_ari_drill_certs x JOIN acme_ari_drills d ON d.id = x.drill_id "
    "JOIN certificates c ON c.serial = x.serial LEFT JOIN organizations o ON o.id = c.org_id "
    "WHERE x.drill_id = $1 ORDER BY COALESCE(c.org_id, 0), c.serial",
    NULL, NULL};

int acme_ari_drill_insert(struct db *db, int64_t ca_id, int64_t issued_before, int64_t org_id,
                          const char *created_by, int64_t now, int64_t *id, int64_t *count,
                          struct sm_err *e)
{
    struct db_val p[5] = {DBV_INT(ca_id), DBV_INT(issued_before), dbv_int_or_null(org_id),
                          DBV_TEXT(created_by), DBV_INT(now)};
    int rc = db_returning_id(db, &st_drill, p, 5, id, e);
    if (rc < 0)
        return rc;
    struct db_val q[5] = {DBV_INT(*id), DBV_INT(ca_id), DBV_INT(issued_before), DBV_INT(now),
                          DBV_INT(org_id)};
    rc = db_run(db, org_id > 0 ? &st_take_org : &st_take_all, q, org_id > 0 ? 5 : 4, NULL, NULL, e);
    if (rc == 0)
        *count = db_changes(db);
    return rc;
}

int acme_ari_drilled_at(struct db *db, const char *serial, int64_t *at, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(serial)};
    *at = 0;
    return db_get_one(db, &st_drilled_at, p, 1, &db_row_int, at, e);
}

static int fill_drill(void *row, const struct db_val *c)
{
    struct acme_ari_drill_row *d = row;
    d->id = db_col_int(&c[0]);
    d->ca_id = db_col_int(&c[1]);
    d->issued_before = db_col_int(&c[2]);
    d->org_id = db_col_int(&c[3]);
    d->created_at = db_col_int(&c[4]);
    db_col_copy(d->ca_name, sizeof d->ca_name, &c[5]);
    return 0;
}

static const struct db_rowtype drill_rowtype = {sizeof(struct acme_ari_drill_row), 6, fill_drill,
                                                NULL, "ARI drill"};

int acme_ari_drill_get(struct db *db, int64_t id, struct acme_ari_drill_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    return id > 0 ? db_get_one(db, &st_get, p, 1, &drill_rowtype, out, e)
                  : db_get_one(db, &st_latest, NULL, 0, &drill_rowtype, out, e);
}

static int fill_report(void *row, const struct db_val *c)
{
    struct acme_ari_report_row *r = row;
    r->org_id = db_col_int(&c[0]);
    db_col_copy(r->org_name, sizeof r->org_name, &c[1]);
    db_col_copy(r->serial, sizeof r->serial, &c[2]);
    db_col_copy(r->cn, sizeof r->cn, &c[3]);
    db_col_copy(r->replaced_by, sizeof r->replaced_by, &c[4]);
    return 0;
}

static const struct db_rowtype report_rowtype = {sizeof(struct acme_ari_report_row), 5, fill_report,
                                                 NULL, "ARI drill certificate"};

int acme_ari_report_list(struct db *db, int64_t drill_id, struct acme_ari_report_row **out,
                         size_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(drill_id)};
    return db_collect(db, &st_report, p, 1, &report_rowtype, out, n, e);
}
