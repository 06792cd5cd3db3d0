/* SPDX-License-Identifier: MIT */
/* Site seals; see seals.h. The chain reads walk subscriptions and subscription_certs
 * (read-only) with a recursive query, so that a seal follows renewals and reissues. */
#include "store/seals.h"

#include "store/db.h"

#define COLS "id, seal_id, org_id, subscription_id, cert_id, created_at FROM site_seals "

static const struct db_stmt st_insert = {
    "seals.insert",
    "INSERT INTO site_seals (seal_id, org_id, subscription_id, cert_id, created_at) VALUES ($1, "
    "$2, $3, $4, $5) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_get = {"seals.get", "SELECT " COLS "WHERE seal_id = $1", NULL, NULL};
static const struct db_stmt st_by_sub = {"seals.by_sub",
                                         "SELECT " COLS "WHERE subscription_id = $1", NULL, NULL};
static const struct db_stmt st_by_cert = {"seals.by_cert", "SELECT " COLS "WHERE cert_id = $1",
                                          NULL, NULL};
static const struct db_stmt st_root = {
    "seals.chain_root",
    "WITH RECURSIVE up(id, pred, depth) AS ("
    " SELECT s.id, s.predecessor_id, 0 FROM subscriptions s"
    " JOIN subscription_certs sc ON sc.subscription_id = s.id WHERE sc.cert_id = $1"
    " UNION ALL SELECT s.id, s.predecessor_id, up.depth + 1 FROM subscriptions s"
    " JOIN up ON s.id = up.pred WHERE up.depth < 100)"
    " SELECT id FROM up ORDER BY depth DESC LIMIT 1",
    NULL, NULL};
static const struct db_stmt st_current = {
    "seals.current_cert",
    "WITH RECURSIVE chain(id, depth) AS (SELECT CAST($1 AS BIGINT), 0"
    " UNION ALL SELECT s.id, chain.depth + 1 FROM subscriptions s"
    " JOIN chain ON s.predecessor_id = chain.id WHERE chain.depth < 100)"
    " SELECT c.id FROM subscription_certs sc JOIN certificates c ON c.id = sc.cert_id"
    " WHERE sc.subscription_id IN (SELECT id FROM chain)"
    " AND c.state IN ('issued', 'revocation_scheduled', 'revoked', 'expired')"
    " ORDER BY c.issued_at DESC, c.id DESC LIMIT 1",
    NULL, NULL};

static int fill(void *row, const struct db_val *c)
{
    struct seal_row *s = row;
    s->id = db_col_int(&c[0]);
    db_col_copy(s->seal_id, sizeof s->seal_id, &c[1]);
    s->org_id = db_col_int(&c[2]);
    s->subscription_id = db_col_int(&c[3]);
    s->cert_id = db_col_int(&c[4]);
    s->created_at = db_col_int(&c[5]);
    return 0;
}

static const struct db_rowtype seal_rowtype = {sizeof(struct seal_row), 6, fill, NULL, "seal"};

int seals_insert(struct db *db, const struct seal_row *s, int64_t *id, struct sm_err *e)
{
    struct db_val p[5] = {DBV_TEXT(s->seal_id), DBV_INT(s->org_id),
                          dbv_int_or_null(s->subscription_id), dbv_int_or_null(s->cert_id),
                          DBV_INT(s->created_at)};
    return db_returning_id(db, &st_insert, p, 5, id, e);
}

int seals_get(struct db *db, const char *seal_id, struct seal_row *out, struct sm_err *e)
{
    struct db_val p[1] = {DBV_TEXT(seal_id)};
    return db_get_one(db, &st_get, p, 1, &seal_rowtype, out, e);
}

int seals_find(struct db *db, int64_t sub_id, int64_t cert_id, struct seal_row *out,
               struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(sub_id > 0 ? sub_id : cert_id)};
    return db_get_one(db, sub_id > 0 ? &st_by_sub : &st_by_cert, p, 1, &seal_rowtype, out, e);
}

int seals_chain_root(struct db *db, int64_t cert_id, int64_t *sub_id, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(cert_id)};
    *sub_id = 0;
    int rc = db_get_one(db, &st_root, p, 1, &db_row_int, sub_id, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 0;
    }
    return rc;
}

int seals_current_cert(struct db *db, int64_t sub_id, int64_t *cert_id, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(sub_id)};
    return db_get_one(db, &st_current, p, 1, &db_row_int, cert_id, e);
}
