/* SPDX-License-Identifier: MIT */
/* Revocation data of the certificates table; see revocations.h. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
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
    "SELECT c.serial, c.revoked_at, c.revocation_reason FROM certificates c "
    "JOIN cas a ON a.id = c.ca_id WHERE a.level = $1 AND c.state = 'revoked' ORDER BY c.id",
    NULL, NULL};

static const struct db_stmt st_count = {
    "revocations.count",
    "SELECT COUNT(*) FROM certificates c JOIN cas a ON a.id = c.ca_id "
    "WHERE a.level = $1 AND c.state = 'revoked'",
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

static struct db_val int_or_null(int64_t v) { return v > 0 ? DBV_INT(v) : DBV_NULL; }

int revocations_set(struct db *db, const char *serial, int64_t revoked_at, int reason,
                    int64_t due_at, const char *source, struct sm_err *e)
{
    if (serial == NULL || serial[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    struct db_val p[5] = {DBV_TEXT(serial), int_or_null(revoked_at), DBV_INT(reason),
                          int_or_null(due_at), source ? DBV_TEXT(source) : DBV_NULL};
    int rc = db_run(db, &st_set, p, 5, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with serial %s", serial);
    return rc;
}

struct due {
    int64_t due_at;
    int reason, found;
};

static int on_due(void *ctx, const struct db_val *c, int n)
{
    struct due *d = ctx;
    if (n < 2)
        return -SM_E_DB;
    d->found = 1;
    d->due_at = db_col_int(&c[0]);
    d->reason = c[1].t == DB_NULL ? -1 : (int)db_col_int(&c[1]);
    return 0;
}

int revocations_get_due(struct db *db, const char *serial, int64_t *due_at, int *reason,
                        struct sm_err *e)
{
    struct due d = {0, -1, 0};
    *due_at = 0;
    *reason = -1;
    if (serial == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    struct db_val p[1] = {DBV_TEXT(serial)};
    int rc = db_run(db, &st_due, p, 1, on_due, &d, e);
    if (rc < 0)
        return rc;
    if (!d.found)
        return sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with serial %s", serial);
    *due_at = d.due_at;
    *reason = d.reason;
    return 0;
}

struct list {
    struct revoked_entry *v;
    size_t n, cap;
};

static void copy_text(char *dst, size_t n, const struct db_val *v)
{
    size_t len = 0;
    if (v->t == DB_TEXT && v->p != NULL) {
        len = v->n < n - 1 ? v->n : n - 1;
        memcpy(dst, v->p, len);
    }
    dst[len] = '\0';
}

static int on_entry(void *ctx, const struct db_val *c, int n)
{
    struct list *l = ctx;
    if (n < 3)
        return -SM_E_DB;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct revoked_entry *v = sm_realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -SM_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    struct revoked_entry *r = &l->v[l->n++];
    copy_text(r->serial, sizeof r->serial, &c[0]);
    r->revoked_at = db_col_int(&c[1]);
    r->reason = (int)db_col_int(&c[2]);
    return 0;
}

int revocations_list_level(struct db *db, const char *level, struct revoked_entry **out, size_t *n,
                           struct sm_err *e)
{
    struct list l = {0};
    *out = NULL;
    *n = 0;
    if (level == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "no level");
    struct db_val p[1] = {DBV_TEXT(level)};
    int rc = db_run(db, &st_list, p, 1, on_entry, &l, e);
    if (rc == -SM_E_NOMEM)
        sm_err_set(e, SM_E_NOMEM, "revocations", "out of memory");
    if (rc < 0) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

static int on_count(void *ctx, const struct db_val *c, int n)
{
    *(int64_t *)ctx = n > 0 ? db_col_int(&c[0]) : 0;
    return 0;
}

int revocations_count_level(struct db *db, const char *level, int64_t *n, struct sm_err *e)
{
    *n = 0;
    if (level == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "no level");
    struct db_val p[1] = {DBV_TEXT(level)};
    return db_run(db, &st_count, p, 1, on_count, n, e);
}

struct serials {
    char (*v)[REVOCATIONS_SERIAL_MAX];
    size_t n, cap;
};

static int on_serial(void *ctx, const struct db_val *c, int n)
{
    struct serials *l = ctx;
    if (n < 1)
        return -SM_E_DB;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char(*v)[REVOCATIONS_SERIAL_MAX] = sm_realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -SM_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    copy_text(l->v[l->n++], REVOCATIONS_SERIAL_MAX, &c[0]);
    return 0;
}

int revocations_list_due(struct db *db, int64_t now, char (**out)[REVOCATIONS_SERIAL_MAX],
                         size_t *n, struct sm_err *e)
{
    struct serials l = {0};
    *out = NULL;
    *n = 0;
    struct db_val p[1] = {DBV_INT(now)};
    int rc = db_run(db, &st_list_due, p, 1, on_serial, &l, e);
    if (rc < 0) {
        free(l.v);
        return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "revocations", "out of memory") : rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

int revocations_list_issued(struct db *db, const char *level, int64_t from, int64_t to,
                            char (**out)[REVOCATIONS_SERIAL_MAX], size_t *n, struct sm_err *e)
{
    struct serials l = {0};
    *out = NULL;
    *n = 0;
    if (level == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "no level");
    struct db_val p[3] = {DBV_TEXT(level), DBV_INT(from), DBV_INT(to)};
    int rc = db_run(db, &st_list_issued, p, 3, on_serial, &l, e);
    if (rc < 0) {
        free(l.v);
        return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "revocations", "out of memory") : rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}
