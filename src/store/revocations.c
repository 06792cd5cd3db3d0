/* SPDX-License-Identifier: MIT */
/* Revocation data of the certificates table; see revocations.h. */
#include "store/datagen.h"
#include "store/db.h"
#include "store/revocations.h"

static const struct db_stmt st_set = {
    "revocations.set",
    "UPDATE certificates SET revoked_at = $2, revocation_reason = $3, revocation_due_at = $4, "
    "revocation_source = $5 WHERE serial = $1",
    NULL, NULL};

static const struct db_stmt st_due = {
    "revocations.due",
    "SELECT revocation_due_at, revocation_reason FROM certificates WHERE serial = $1", NULL, NULL};

static const struct db_stmt st_list = {
    "revocations.list",
    "SELECT serial, revoked_at, revocation_reason FROM certificates "
    "WHERE state = 'revoked' AND level = $1 AND crl_shard = $2 ORDER BY serial",
    NULL, NULL};

static const struct db_stmt st_count = {
    "revocations.count",
    "SELECT COUNT(*) FROM certificates WHERE state = 'revoked' AND level = $1 "
    "AND crl_shard = $2",
    NULL, NULL};

static const struct db_stmt st_list_due = {
    "revocations.list_due",
    "SELECT serial FROM certificates WHERE state = 'revocation_scheduled' "
    "AND revocation_due_at <= $1 ORDER BY revocation_due_at, id",
    NULL, NULL};

static const struct db_stmt st_list_issued = {
    "revocations.list_issued",
    "SELECT c.serial FROM certificates c JOIN cas a ON a.id = c.ca_id WHERE a.level = $1 "
    "AND c.state IN ('issued', 'revocation_scheduled') AND c.issued_at >= $2 "
    "AND c.issued_at < $3 ORDER BY c.id",
    NULL, NULL};

int revocations_set(struct db *db, const char *serial, int64_t revoked_at, int reason,
                    int64_t due_at, const char *source, struct sm_err *e)
{
    if (serial == NULL || serial[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    struct db_val p[5] = {DBV_TEXT(serial), dbv_int_or_null(revoked_at), DBV_INT(reason),
                          dbv_int_or_null(due_at), dbv_text_or_null(source)};
    int rc = db_run(db, &st_set, p, 5, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with serial %s", serial);
    return rc == 0 ? datagen_bump_cert(db, serial, 0, e) : rc;
}

struct due_row {
    int64_t due_at;
    int reason;
};

static int fill_due(void *row, const struct db_val *c)
{
    struct due_row *d = row;
    d->due_at = db_col_int(&c[0]);
    d->reason = c[1].t == DB_NULL ? -1 : (int)db_col_int(&c[1]);
    return 0;
}

static const struct db_rowtype due_rowtype = {sizeof(struct due_row), 2, fill_due, NULL,
                                              "certificate"};

int revocations_get_due(struct db *db, const char *serial, int64_t *due_at, int *reason,
                        struct sm_err *e)
{
    struct due_row d;
    *due_at = 0;
    *reason = -1;
    if (serial == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    struct db_val p[1] = {DBV_TEXT(serial)};
    int rc = db_get_one(db, &st_due, p, 1, &due_rowtype, &d, e);
    if (rc == -SM_E_NOTFOUND)
        return sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with serial %s", serial);
    if (rc < 0)
        return rc;
    *due_at = d.due_at;
    *reason = d.reason;
    return 0;
}

static int fill_entry(void *row, const struct db_val *c)
{
    struct revoked_entry_row *r = row;
    db_col_copy(r->serial, sizeof r->serial, &c[0]);
    r->revoked_at = db_col_int(&c[1]);
    r->reason = (int)db_col_int(&c[2]);
    return 0;
}

static const struct db_rowtype entry_rowtype = {sizeof(struct revoked_entry_row), 3, fill_entry,
                                                NULL, "revocations"};

int revocations_list_level(struct db *db, const char *level, int shard,
                           struct revoked_entry_row **out, size_t *n, struct sm_err *e)
{
    *out = NULL;
    *n = 0;
    if (level == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "no level");
    struct db_val p[2] = {DBV_TEXT(level), DBV_INT(shard)};
    return db_collect(db, &st_list, p, 2, &entry_rowtype, out, n, e);
}

int revocations_count_level(struct db *db, const char *level, int shard, int64_t *n,
                            struct sm_err *e)
{
    *n = 0;
    if (level == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "no level");
    struct db_val p[2] = {DBV_TEXT(level), DBV_INT(shard)};
    return db_get_one(db, &st_count, p, 2, &db_row_int, n, e);
}

static int fill_serial(void *row, const struct db_val *c)
{
    db_col_copy(row, REVOCATIONS_SERIAL_MAX, &c[0]);
    return 0;
}

static const struct db_rowtype serial_rowtype = {REVOCATIONS_SERIAL_MAX, 1, fill_serial, NULL,
                                                 "revocations"};

int revocations_list_due(struct db *db, int64_t now, char (**out)[REVOCATIONS_SERIAL_MAX],
                         size_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(now)};
    return db_collect(db, &st_list_due, p, 1, &serial_rowtype, out, n, e);
}

int revocations_list_issued(struct db *db, const char *level, int64_t from, int64_t to,
                            char (**out)[REVOCATIONS_SERIAL_MAX], size_t *n, struct sm_err *e)
{
    *out = NULL;
    *n = 0;
    if (level == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "no level");
    struct db_val p[3] = {DBV_TEXT(level), DBV_INT(from), DBV_INT(to)};
    return db_collect(db, &st_list_issued, p, 3, &serial_rowtype, out, n, e);
}
