/* SPDX-License-Identifier: MIT */
/* Revocation requests waiting for a phone confirmation; see revocation_requests.h. */
#include "store/db.h"
#include "store/revocation_requests.h"

#define COLS                                                                                       \
    "r.id, r.org_id, r.requested_at, r.deadline_at, r.due_at, r.phone_at, r.closed_at, "           \
    "r.reason, r.serial, r.state, COALESCE(c.cn, ''), COALESCE(c.level, ''), r.requested_by, "     \
    "r.confirmed_by, r.phone_contact, r.phone_note "                                               \
    "FROM revocation_requests r LEFT JOIN certificates c ON c.serial = r.serial "

static const struct db_stmt st_insert = {
    "revreq.insert",
    "INSERT INTO revocation_requests (serial, org_id, reason, due_at, requested_by, "
    "requested_at, deadline_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') "
    "RETURNING id",
    NULL, NULL};

static const struct db_stmt st_pending = {
    "revreq.pending", "SELECT " COLS "WHERE r.serial = $1 AND r.state = 'pending'", NULL, NULL};

static const struct db_stmt st_get = {"revreq.get", "SELECT " COLS "WHERE r.id = $1", NULL, NULL};

static const struct db_stmt st_list = {
    "revreq.list", "SELECT " COLS "WHERE r.state = 'pending' ORDER BY r.deadline_at, r.id LIMIT $1",
    NULL, NULL};

static const struct db_stmt st_confirm = {
    "revreq.confirm",
    "UPDATE revocation_requests SET state = 'confirmed', confirmed_by = $2, phone_contact = $3, "
    "phone_at = $4, phone_note = $5, closed_at = $6, closed_by = $2 "
    "WHERE id = $1 AND state = 'pending'",
    NULL, NULL};

static const struct db_stmt st_withdraw = {
    "revreq.withdraw",
    "UPDATE revocation_requests SET state = 'withdrawn', closed_at = $3, closed_by = $2 "
    "WHERE id = $1 AND state = 'pending'",
    NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct revreq_row *r = row;
    r->id = db_col_int(&c[0]);
    r->org_id = db_col_int(&c[1]);
    r->requested_at = db_col_int(&c[2]);
    r->deadline_at = db_col_int(&c[3]);
    r->due_at = db_col_int(&c[4]);
    r->phone_at = db_col_int(&c[5]);
    r->closed_at = db_col_int(&c[6]);
    r->reason = (int)db_col_int(&c[7]);
    db_col_copy(r->serial, sizeof r->serial, &c[8]);
    db_col_copy(r->state, sizeof r->state, &c[9]);
    db_col_copy(r->cn, sizeof r->cn, &c[10]);
    db_col_copy(r->level, sizeof r->level, &c[11]);
    db_col_copy(r->requested_by, sizeof r->requested_by, &c[12]);
    db_col_copy(r->confirmed_by, sizeof r->confirmed_by, &c[13]);
    db_col_copy(r->phone_contact, sizeof r->phone_contact, &c[14]);
    db_col_copy(r->phone_note, sizeof r->phone_note, &c[15]);
    return 0;
}

static const struct db_rowtype revreq_rowtype = {sizeof(struct revreq_row), 16, fill, NULL,
                                                 "revocation request"};

int revreq_insert(struct db *db, const struct revreq_row *r, int64_t *id, struct sm_err *e)
{
    struct db_val p[7] = {DBV_TEXT(r->serial),       dbv_int_or_null(r->org_id),
                          DBV_INT(r->reason),        dbv_int_or_null(r->due_at),
                          DBV_TEXT(r->requested_by), DBV_INT(r->requested_at),
                          DBV_INT(r->deadline_at)};
    return db_returning_id(db, &st_insert, p, 7, id, e);
}

int revreq_get_pending(struct db *db, const char *serial, struct revreq_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(serial)};
    int rc = db_get_one(db, &st_pending, p, 1, &revreq_rowtype, out, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no pending revocation request for %s", serial);
    return rc;
}

int revreq_get(struct db *db, int64_t id, struct revreq_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    int rc = db_get_one(db, &st_get, p, 1, &revreq_rowtype, out, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "id", "no revocation request %lld", (long long)id);
    return rc;
}

int revreq_list_pending(struct db *db, size_t max, struct revreq_row **out, size_t *n,
                        struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT((int64_t)max)};
    return db_collect(db, &st_list, p, 1, &revreq_rowtype, out, n, e);
}

int revreq_mark_confirmed(struct db *db, int64_t id, const char *officer, const char *contact,
                          int64_t phone_at, const char *note, int64_t now, struct sm_err *e)
{
    struct db_val p[6] = {DBV_INT(id),       DBV_TEXT(officer), DBV_TEXT(contact),
                          DBV_INT(phone_at), DBV_TEXT(note),    DBV_INT(now)};
    int rc = db_run(db, &st_confirm, p, 6, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "revocation request %lld is not pending",
                        (long long)id);
    return rc;
}

int revreq_mark_withdrawn(struct db *db, int64_t id, const char *actor, int64_t now,
                          struct sm_err *e)
{
    struct db_val p[3] = {DBV_INT(id), DBV_TEXT(actor), DBV_INT(now)};
    int rc = db_run(db, &st_withdraw, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "revocation request %lld is not pending",
                        (long long)id);
    return rc;
}
