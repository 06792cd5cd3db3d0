/* SPDX-License-Identifier: MIT */
/* Reads of org_data_gen (see datagen.h). */
#include <stdlib.h>

#include "core/buf.h"
#include "store/datagen.h"
#include "store/db.h"

static const struct db_stmt get_st = {
    "datagen.get", "SELECT COALESCE(SUM(gen), 0) FROM org_data_gen WHERE org_id IN (0, $1)", NULL,
    NULL};

/* The organization of one certificate and its reseller, in id order (the order every
 * transaction takes these rows' locks in); nothing for a certificate of no organization. */
#define BUMP_CERT(where)                                                                           \
    "INSERT INTO org_data_gen (org_id, gen) SELECT x, 1 FROM ("                                    \
    "SELECT c.org_id AS x FROM certificates c WHERE " where " AND c.org_id IS NOT NULL "           \
    "UNION SELECT o.reseller_org_id FROM certificates c JOIN organizations o ON o.id = c.org_id "  \
    "WHERE " where " AND o.reseller_org_id IS NOT NULL) s WHERE true ORDER BY x "                  \
    "ON CONFLICT (org_id) DO UPDATE SET gen = org_data_gen.gen + 1"

static const struct db_stmt bump_serial_st = {"datagen.bump_serial", BUMP_CERT("c.serial = $1"),
                                              NULL, NULL};
static const struct db_stmt bump_id_st = {"datagen.bump_id", BUMP_CERT("c.id = $1"), NULL, NULL};

int datagen_bump_cert(struct db *db, const char *serial, int64_t id, struct sm_err *e)
{
    struct db_val p[1] = {serial != NULL ? DBV_TEXT(serial) : DBV_INT(id)};
    return db_run(db, serial != NULL ? &bump_serial_st : &bump_id_st, p, 1, NULL, NULL, e);
}

/* The organizations whose generation the open transaction moved already (at most
 * MOVED_MAX are remembered; more are moved again, which is harmless). Kept as the context
 * of a pre-commit hook that does nothing else, so it ends with the transaction. */
#define MOVED_MAX 16
struct moved {
    size_t n;
    int64_t org[MOVED_MAX];
};

static int moved_hook(struct db *db, void *ctx, struct sm_err *e) { return 0; }

int datagen_bump_cert_of(struct db *db, int64_t id, int64_t org_id, struct sm_err *e)
{
    if (org_id <= 0)
        return 0;
    struct moved *m = db_hook_ctx(db, moved_hook);
    for (size_t i = 0; m != NULL && i < m->n; i++)
        if (m->org[i] == org_id)
            return 0;
    int rc = datagen_bump_cert(db, NULL, id, e);
    if (rc < 0)
        return rc;
    if (m == NULL) {
        struct sm_err ignored = {0}; /* remembering is an optimization: no room, no harm */
        m = calloc(1, sizeof *m);
        if (m == NULL || db_on_commit(db, moved_hook, free, m, &ignored) < 0)
            return 0; /* m was taken (and freed) by the failed registration */
    }
    if (m->n < MOVED_MAX)
        m->org[m->n++] = org_id;
    return 0;
}

int datagen_get(struct db *db, int64_t org_id, int64_t *gen, struct sm_err *e)
{
    struct db_val p[] = {DBV_INT(org_id)};
    *gen = 0;
    return db_get_one(db, &get_st, p, 1, &db_row_int, gen, e);
}

int datagen_next_expiry(struct db *db, const struct org_scope *scope, int64_t after, int64_t *t,
                        struct sm_err *e)
{
    *t = 0;
    if (scope->all || scope->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_INVALID, "scope", "a limited scope is needed");
    struct db_val *p = calloc(scope->n + 1, sizeof *p);
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    p[0] = DBV_INT(after);
    int np = 1;
    struct buf sql = BUF_INIT;
    /* per organization one probe into certificates_org_expiry (org_id, not_after, state) */
    int rc = buf_puts(&sql, "SELECT COALESCE(MIN((SELECT MIN(c.not_after) FROM certificates c "
                            "WHERE c.org_id = o.id AND c.not_after >= $1)), 0) "
                            "FROM organizations o WHERE 1 = 1");
    if (rc == 0)
        rc = org_scope_sql(&sql, "o.id", scope, p, &np, e);
    if (rc == 0) {
        struct db_stmt st = {"datagen.next_expiry", sql.p, NULL, NULL};
        rc = db_get_one(db, &st, p, np, &db_row_int, t, e);
    } else if (rc == -SM_E_NOMEM || sql.p == NULL) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    buf_free(&sql);
    free(p);
    return rc;
}
