/* SPDX-License-Identifier: MIT */
/* The certificates table (migrations 0002_ca.sql, 0003_issuance.sql): reservation of
 * serials before signing, the issued DER, abandoned reservations, lookups. See certs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "core/buf.h"
#include "store/certs.h"
#include "store/datagen.h"
#include "store/scope.h"
#include "store/db.h"

static const struct db_stmt st_reserve = {
    "certs.reserve",
    "INSERT INTO certificates (serial, ca_id, state, order_id, org_id, level, root, cn, names, "
    "reserved_by, reserved_at, crl_shard) "
    "VALUES ($1, $2, 'reserved', $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    NULL, NULL};

static const struct db_stmt st_issued = {
    "certs.issued",
    "UPDATE certificates SET state = 'issued', der = $2, not_before = $3, not_after = $4, "
    "sha256 = $5, issued_at = $6 WHERE serial = $1 AND state = 'reserved' "
    "RETURNING id, COALESCE(org_id, 0)",
    NULL, NULL};

static const struct db_stmt st_abandoned = {
    "certs.abandoned",
    "UPDATE certificates SET state = 'abandoned' WHERE serial = $1 AND state = 'reserved'", NULL,
    NULL};

static const struct db_stmt st_set_state = {
    "certs.set_state", "UPDATE certificates SET state = $1 WHERE serial = $2 AND state = $3", NULL,
    NULL};

static const struct db_stmt st_reserved = {
    "certs.reserved",
    "SELECT serial, reserved_by, reserved_at FROM certificates WHERE state = 'reserved' "
    "ORDER BY reserved_at, id",
    NULL, NULL};

#define COLS                                                                                       \
    "id, ca_id, order_id, org_id, serial, state, level, root, cn, names, sha256, der, "            \
    "not_before, not_after, reserved_at, issued_at, revoked_at, revocation_reason"

static const struct db_stmt st_get = {
    "certs.get", "SELECT " COLS " FROM certificates WHERE serial = $1", NULL, NULL};

static const struct db_stmt st_get_id = {
    "certs.get_id", "SELECT " COLS " FROM certificates WHERE id = $1", NULL, NULL};

static const struct db_stmt st_count_cn = {
    "certs.count_cn",
    "SELECT COUNT(*) FROM certificates WHERE org_id = $1 AND cn = $2 "
    "AND state IN ('issued', 'revocation_scheduled') AND not_after >= $3",
    NULL, NULL};

static const struct db_stmt st_count_state = {
    "certs.count_state", "SELECT COUNT(*) FROM certificates WHERE state = $1", NULL, NULL};
static const struct db_stmt st_count_all = {"certs.count_all", "SELECT COUNT(*) FROM certificates",
                                            NULL, NULL};

static struct db_val id_or_null(int64_t v) { return v > 0 ? DBV_INT(v) : DBV_NULL; }

int certs_reserve(struct db *db, const struct certs_new *c, const char *reserved_by, int64_t now,
                  struct sm_err *e)
{
    if (c == NULL || c->serial == NULL || c->serial[0] == '\0' || c->level == NULL ||
        c->root == NULL || reserved_by == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "incomplete reservation");
    if (c->crl_shard < 0)
        return sm_err_set(e, SM_E_INVALID, "crl_shard", "negative CRL shard");
    struct db_val p[11] = {
        DBV_TEXT(c->serial),     DBV_INT(c->ca_id),
        id_or_null(c->order_id), id_or_null(c->org_id),
        DBV_TEXT(c->level),      DBV_TEXT(c->root),
        dbv_text_or_null(c->cn), dbv_text_or_null(c->names_json),
        DBV_TEXT(reserved_by),   DBV_INT(now),
        DBV_INT(c->crl_shard),
    };
    return db_run(db, &st_reserve, p, 11, NULL, NULL, e);
}

static int change_one(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                      const char *serial, struct sm_err *e)
{
    int rc = db_run(db, st, p, np, NULL, NULL, e);
    if (rc < 0)
        return rc;
    if (db_changes(db) != 1)
        return sm_err_set(e, SM_E_CONFLICT, "serial", "serial %s is not reserved", serial);
    return 0;
}

static int fill_id_org(void *row, const struct db_val *cols)
{
    int64_t *v = row;
    v[0] = db_col_int(&cols[0]);
    v[1] = db_col_int(&cols[1]);
    return 0;
}

static const struct db_rowtype id_org_rowtype = {2 * sizeof(int64_t), 2, fill_id_org, NULL,
                                                 "certificate"};

int certs_set_issued(struct db *db, const char *serial, const unsigned char *der, size_t len,
                     int64_t not_before, int64_t not_after, const char *sha256, int64_t now,
                     int64_t *id, struct sm_err *e)
{
    int64_t got[2] = {0, 0}; /* id, organization */
    if (id != NULL)
        *id = 0;
    if (serial == NULL || der == NULL || len == 0 || sha256 == NULL)
        return sm_err_set(e, SM_E_INVALID, "der", "no certificate to store");
    struct db_val p[6] = {DBV_TEXT(serial),   DBV_BLOB(der, len), DBV_INT(not_before),
                          DBV_INT(not_after), DBV_TEXT(sha256),   DBV_INT(now)};
    int rc = db_get_one(db, &st_issued, p, 6, &id_org_rowtype, got, e);
    if (rc < 0 && rc != -SM_E_NOTFOUND)
        return rc;
    if (got[0] <= 0)
        return sm_err_set(e, SM_E_CONFLICT, "serial", "serial %s is not reserved", serial);
    if (id != NULL)
        *id = got[0];
    return datagen_bump_cert_of(db, got[0], got[1], e);
}

int certs_set_abandoned(struct db *db, const char *serial, struct sm_err *e)
{
    if (serial == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    struct db_val p[1] = {DBV_TEXT(serial)};
    return change_one(db, &st_abandoned, p, 1, serial, e);
}

int certs_set_state(struct db *db, const char *serial, const char *from, const char *to,
                    struct sm_err *e)
{
    if (serial == NULL || from == NULL || to == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial or state");
    struct db_val p[3] = {DBV_TEXT(to), DBV_TEXT(serial), DBV_TEXT(from)};
    int rc = db_run(db, &st_set_state, p, 3, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s is not %s", serial, from);
    if (rc == 0 && strcmp(from, "reserved") != 0) /* a reservation shows on no page */
        rc = datagen_bump_cert(db, serial, 0, e);
    return rc;
}

/* ---- batches of serials (migration 0071) ---- */

static const struct db_stmt st_batch_reserve = {
    "certs.batch_reserve",
    "INSERT INTO serial_batches (ca_id, level, root, reserved_by, reserved_at, serials, pending) "
    "VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id",
    NULL, NULL};

static const struct db_stmt st_batch_close = {
    "certs.batch_close", "UPDATE serial_batches SET pending = 0 WHERE id = $1 AND pending = 1",
    NULL, NULL};

static const struct db_stmt st_batches_open = {
    "certs.batches_open",
    "SELECT id, ca_id, level, root, reserved_by, reserved_at, serials FROM serial_batches "
    "WHERE pending = 1 ORDER BY reserved_at, id",
    NULL, NULL};

static const struct db_stmt st_insert_issued = {
    "certs.insert_issued",
    "INSERT INTO certificates (serial, ca_id, state, order_id, org_id, level, root, cn, names, "
    "reserved_by, reserved_at, crl_shard, der, not_before, not_after, sha256, issued_at) "
    "VALUES ($1, $2, 'issued', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
    "RETURNING id",
    NULL, NULL};

static const struct db_stmt st_insert_abandoned = {
    "certs.insert_abandoned",
    "INSERT INTO certificates (serial, ca_id, state, order_id, org_id, level, root, cn, names, "
    "reserved_by, reserved_at, crl_shard) "
    "VALUES ($1, $2, 'abandoned', $3, $4, $5, $6, $7, $8, $9, $10, $11) "
    "ON CONFLICT (serial) DO NOTHING",
    NULL, NULL};

int certs_batch_reserve(struct db *db, const struct certs_batch *b, int64_t *id, struct sm_err *e)
{
    if (b == NULL || b->level == NULL || b->root == NULL || b->reserved_by == NULL ||
        b->serials == NULL || b->serials[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "serial", "incomplete reservation");
    struct db_val p[6] = {DBV_INT(b->ca_id),        DBV_TEXT(b->level),      DBV_TEXT(b->root),
                          DBV_TEXT(b->reserved_by), DBV_INT(b->reserved_at), DBV_TEXT(b->serials)};
    return db_returning_id(db, &st_batch_reserve, p, 6, id, e);
}

int certs_batch_close(struct db *db, int64_t id, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    int rc = db_run(db, &st_batch_close, p, 1, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "serial", "batch %lld of reserved serials is closed",
                        (long long)id);
    return rc;
}

static int fill_batch(void *row, const struct db_val *c)
{
    struct certs_batch_row *b = row;
    b->id = db_col_int(&c[0]);
    b->ca_id = db_col_int(&c[1]);
    db_col_copy(b->level, sizeof b->level, &c[2]);
    db_col_copy(b->root, sizeof b->root, &c[3]);
    db_col_copy(b->reserved_by, sizeof b->reserved_by, &c[4]);
    b->reserved_at = db_col_int(&c[5]);
    return db_col_dup(&b->serials, &c[6]);
}

static void clear_batch(void *row)
{
    struct certs_batch_row *b = row;
    free(b->serials);
    memset(b, 0, sizeof *b);
}

static const struct db_rowtype batch_rowtype = {sizeof(struct certs_batch_row), 7, fill_batch,
                                                clear_batch, "serial batch"};

int certs_list_open_batches(struct db *db, struct certs_batch_row **out, size_t *n,
                            struct sm_err *e)
{
    return db_collect(db, &st_batches_open, NULL, 0, &batch_rowtype, out, n, e);
}

void certs_batch_rows_free(struct certs_batch_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        clear_batch(&v[i]);
    free(v);
}

int certs_insert(struct db *db, const struct certs_born *b, const unsigned char *der, size_t len,
                 int64_t not_before, int64_t not_after, const char *sha256, int64_t now,
                 int64_t *id, struct sm_err *e)
{
    if (id != NULL)
        *id = 0;
    const struct certs_new *c = b != NULL ? b->n : NULL;
    if (c == NULL || c->serial == NULL || c->serial[0] == '\0' || c->level == NULL ||
        c->root == NULL || b->reserved_by == NULL || c->crl_shard < 0 ||
        (der != NULL && (len == 0 || sha256 == NULL)))
        return sm_err_set(e, SM_E_INVALID, "serial", "incomplete certificate row");
    struct db_val p[16] = {
        DBV_TEXT(c->serial),      DBV_INT(c->ca_id),
        id_or_null(c->order_id),  id_or_null(c->org_id),
        DBV_TEXT(c->level),       DBV_TEXT(c->root),
        dbv_text_or_null(c->cn),  dbv_text_or_null(c->names_json),
        DBV_TEXT(b->reserved_by), DBV_INT(b->reserved_at),
        DBV_INT(c->crl_shard),
    };
    if (der == NULL)
        return db_run(db, &st_insert_abandoned, p, 11, NULL, NULL, e);
    p[11] = DBV_BLOB(der, len);
    p[12] = DBV_INT(not_before);
    p[13] = DBV_INT(not_after);
    p[14] = DBV_TEXT(sha256);
    p[15] = DBV_INT(now);
    int64_t got = 0;
    int rc = db_returning_id(db, &st_insert_issued, p, 16, &got, e);
    if (rc == 0 && id != NULL)
        *id = got;
    return rc == 0 ? datagen_bump_cert_of(db, got, c->org_id, e) : rc;
}

static int fill_pending(void *row, const struct db_val *cols)
{
    struct certs_pending_row *p = row;
    db_col_copy(p->serial, sizeof p->serial, &cols[0]);
    db_col_copy(p->reserved_by, sizeof p->reserved_by, &cols[1]);
    p->reserved_at = db_col_int(&cols[2]);
    return 0;
}

static const struct db_rowtype pending_rowtype = {sizeof(struct certs_pending_row), 3, fill_pending,
                                                  NULL, "certificate"};

int certs_list_reserved(struct db *db, struct certs_pending_row **out, size_t *n, struct sm_err *e)
{
    return db_collect(db, &st_reserved, NULL, 0, &pending_rowtype, out, n, e);
}

static void clear(void *row)
{
    struct certs_row *r = row;
    free(r->cn);
    free(r->names_json);
    free(r->sha256);
    free(r->der);
    memset(r, 0, sizeof *r);
}

static int fill(void *row, const struct db_val *c)
{
    struct certs_row *r = row;
    int bad = 0;
    r->id = db_col_int(&c[0]);
    r->ca_id = db_col_int(&c[1]);
    r->order_id = db_col_int(&c[2]);
    r->org_id = db_col_int(&c[3]);
    db_col_copy(r->serial, sizeof r->serial, &c[4]);
    db_col_copy(r->state, sizeof r->state, &c[5]);
    db_col_copy(r->level, sizeof r->level, &c[6]);
    db_col_copy(r->root, sizeof r->root, &c[7]);
    bad |= db_col_dup(&r->cn, &c[8]);
    bad |= db_col_dup(&r->names_json, &c[9]);
    bad |= db_col_dup(&r->sha256, &c[10]);
    if (c[11].t == DB_BLOB && c[11].n > 0) {
        r->der = sm_malloc(c[11].n);
        if (r->der == NULL)
            bad = -1;
        else {
            memcpy(r->der, c[11].p, c[11].n);
            r->der_len = c[11].n;
        }
    }
    r->not_before = db_col_int(&c[12]);
    r->not_after = db_col_int(&c[13]);
    r->reserved_at = db_col_int(&c[14]);
    r->issued_at = db_col_int(&c[15]);
    r->revoked_at = db_col_int(&c[16]);
    r->revocation_reason = c[17].t == DB_NULL ? -1 : db_col_int(&c[17]);
    if (bad)
        clear(r);
    return bad ? -1 : 0;
}

static const struct db_rowtype cert_rowtype = {sizeof(struct certs_row), 18, fill, clear,
                                               "certificate"};

/* One certificate into a new row; -SM_E_NOTFOUND is left for the caller to word. */
static int get_alloc(struct db *db, const struct db_stmt *st, const struct db_val *p, int np,
                     struct certs_row **out, struct sm_err *e)
{
    *out = NULL;
    struct certs_row *r = sm_calloc(1, sizeof *r);
    if (r == NULL)
        return sm_err_set(e, SM_E_NOMEM, "certificates", "out of memory");
    int rc = db_get_one(db, st, p, np, &cert_rowtype, r, e);
    if (rc < 0)
        free(r);
    else
        *out = r;
    return rc;
}

int certs_get(struct db *db, const char *serial, struct certs_row **out, struct sm_err *e)
{
    *out = NULL;
    if (serial == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    struct db_val p[1] = {DBV_TEXT(serial)};
    int rc = get_alloc(db, &st_get, p, 1, out, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with serial %s", serial);
    return rc;
}

int certs_get_scoped(struct db *db, const char *serial, const struct org_scope *scope,
                     struct certs_row **out, struct sm_err *e)
{
    *out = NULL;
    if (serial == NULL || scope == NULL)
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial or scope");
    if (!scope->all && scope->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations");
    struct db_val *p = sm_calloc(1 + (scope->all ? 0 : scope->n), sizeof *p);
    struct buf sql = BUF_INIT;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, "certificates", "out of memory");
    p[0] = DBV_TEXT(serial);
    int np = 1;
    int rc = buf_puts(&sql, "SELECT " COLS " FROM certificates WHERE serial = $1") < 0
                 ? sm_err_set(e, SM_E_NOMEM, "certificates", "out of memory")
                 : org_scope_sql(&sql, "org_id", scope, p, &np, e);
    if (rc == 0) {
        struct db_stmt st = {"certs.get_scoped", sql.p, NULL, NULL};
        rc = get_alloc(db, &st, p, np, out, e);
        if (rc == -SM_E_NOTFOUND)
            rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with serial %s", serial);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int certs_get_id(struct db *db, int64_t id, struct certs_row **out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    int rc = get_alloc(db, &st_get_id, p, 1, out, e);
    if (rc == -SM_E_NOTFOUND)
        rc = sm_err_set(e, SM_E_NOTFOUND, "certificate", "no certificate %lld", (long long)id);
    return rc;
}

void certs_rows_free(struct certs_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        clear(&v[i]);
    free(v);
}

void certs_row_free(struct certs_row *r) { certs_rows_free(r, r != NULL ? 1 : 0); }

int certs_count_valid_cn(struct db *db, int64_t org_id, const char *cn, int64_t now, int64_t *count,
                         struct sm_err *e)
{
    *count = 0;
    if (cn == NULL)
        return sm_err_set(e, SM_E_INVALID, "cn", "no common name");
    struct db_val p[3] = {DBV_INT(org_id), DBV_TEXT(cn), DBV_INT(now)};
    return db_get_one(db, &st_count_cn, p, 3, &db_row_int, count, e);
}

int certs_count_state(struct db *db, const char *state, int64_t *count, struct sm_err *e)
{
    *count = 0;
    if (state == NULL)
        return db_get_one(db, &st_count_all, NULL, 0, &db_row_int, count, e);
    struct db_val p[1] = {DBV_TEXT(state)};
    return db_get_one(db, &st_count_state, p, 1, &db_row_int, count, e);
}

static const struct db_stmt st_set_profile = {
    "certs.set_profile", "UPDATE certificates SET profile = $2 WHERE id = $1", NULL, NULL};

int certs_set_profile(struct db *db, int64_t id, const char *profile, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(id), DBV_TEXT(profile)};
    int rc = db_run(db, &st_set_profile, p, 2, NULL, NULL, e);
    return rc == 0 ? datagen_bump_cert(db, NULL, id, e) : rc;
}
