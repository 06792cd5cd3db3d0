/* SPDX-License-Identifier: MIT */
/* Revocation requests waiting for a phone confirmation; see revocation_requests.h. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
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

static struct db_val int_or_null(int64_t v) { return v > 0 ? DBV_INT(v) : DBV_NULL; }

static void copy_text(char *dst, size_t n, const struct db_val *v)
{
    size_t len = 0;
    if (v->t == DB_TEXT && v->p != NULL) {
        len = v->n < n - 1 ? v->n : n - 1;
        memcpy(dst, v->p, len);
    }
    dst[len] = '\0';
}

static void fill(struct revreq_row *r, const struct db_val *c)
{
    memset(r, 0, sizeof *r);
    r->id = db_col_int(&c[0]);
    r->org_id = db_col_int(&c[1]);
    r->requested_at = db_col_int(&c[2]);
    r->deadline_at = db_col_int(&c[3]);
    r->due_at = db_col_int(&c[4]);
    r->phone_at = db_col_int(&c[5]);
    r->closed_at = db_col_int(&c[6]);
    r->reason = (int)db_col_int(&c[7]);
    copy_text(r->serial, sizeof r->serial, &c[8]);
    copy_text(r->state, sizeof r->state, &c[9]);
    copy_text(r->cn, sizeof r->cn, &c[10]);
    copy_text(r->level, sizeof r->level, &c[11]);
    copy_text(r->requested_by, sizeof r->requested_by, &c[12]);
    copy_text(r->confirmed_by, sizeof r->confirmed_by, &c[13]);
    copy_text(r->phone_contact, sizeof r->phone_contact, &c[14]);
    copy_text(r->phone_note, sizeof r->phone_note, &c[15]);
}

struct one {
    struct revreq_row *r;
    int found;
};

static int on_one(void *ctx, const struct db_val *c, int n)
{
    struct one *o = ctx;
    if (n < 16)
        return -SM_E_DB;
    fill(o->r, c);
    o->found = 1;
    return 0;
}

static int on_id(void *ctx, const struct db_val *c, int n)
{
    *(int64_t *)ctx = n > 0 ? db_col_int(&c[0]) : 0;
    return 0;
}

int revreq_insert(struct db *db, const struct revreq_row *r, int64_t *id, struct sm_err *e)
{
    int64_t got = 0;
    struct db_val p[7] = {DBV_TEXT(r->serial),       int_or_null(r->org_id),
                          DBV_INT(r->reason),        int_or_null(r->due_at),
                          DBV_TEXT(r->requested_by), DBV_INT(r->requested_at),
                          DBV_INT(r->deadline_at)};
    int rc = db_run(db, &st_insert, p, 7, on_id, &got, e);
    if (rc == 0 && id != NULL)
        *id = got;
    return rc;
}

int revreq_get_pending(struct db *db, const char *serial, struct revreq_row *out, struct sm_err *e)
{
    struct one o = {out, 0};
    struct db_val p[1] = {DBV_TEXT(serial)};
    int rc = db_run(db, &st_pending, p, 1, on_one, &o, e);
    if (rc == 0 && !o.found)
        rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no pending revocation request for %s", serial);
    return rc;
}

int revreq_get(struct db *db, int64_t id, struct revreq_row *out, struct sm_err *e)
{
    struct one o = {out, 0};
    struct db_val p[1] = {DBV_INT(id)};
    int rc = db_run(db, &st_get, p, 1, on_one, &o, e);
    if (rc == 0 && !o.found)
        rc = sm_err_set(e, SM_E_NOTFOUND, "id", "no revocation request %lld", (long long)id);
    return rc;
}

struct list {
    struct revreq_row *v;
    size_t n, cap;
};

static int on_list(void *ctx, const struct db_val *c, int n)
{
    struct list *l = ctx;
    if (n < 16)
        return -SM_E_DB;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct revreq_row *v = sm_realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -SM_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    fill(&l->v[l->n++], c);
    return 0;
}

int revreq_list_pending(struct db *db, size_t max, struct revreq_row **out, size_t *n,
                        struct sm_err *e)
{
    struct list l = {0};
    *out = NULL;
    *n = 0;
    struct db_val p[1] = {DBV_INT((int64_t)max)};
    int rc = db_run(db, &st_list, p, 1, on_list, &l, e);
    if (rc < 0) {
        free(l.v);
        return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "revocations", "out of memory") : rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
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
