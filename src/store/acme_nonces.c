/* SPDX-License-Identifier: MIT */
/* The acme_nonces table (see acme_nonces.h). */
#include "store/acme_nonces.h"
#include "store/db.h"

static const struct db_stmt st_insert = {
    "acme_nonce.insert", "INSERT INTO acme_nonces (nonce, expires_at) VALUES ($1, $2)", NULL, NULL};
static const struct db_stmt st_claim = {
    "acme_nonce.claim", "DELETE FROM acme_nonces WHERE nonce = $1 AND expires_at > $2", NULL, NULL};
static const struct db_stmt st_purge = {
    "acme_nonce.purge", "DELETE FROM acme_nonces WHERE expires_at <= $1", NULL, NULL};

int acme_nonce_insert(struct db *db, const char *nonce, int64_t expires_at, struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(nonce), DBV_INT(expires_at)};
    return db_run_lazy(db, &st_insert, p, 2, e);
}

int acme_nonce_claim(struct db *db, const char *nonce, int64_t now, struct sm_err *e)
{
    struct db_val p[2] = {DBV_TEXT(nonce), DBV_INT(now)};
    int rc = db_run_lazy(db, &st_claim, p, 2, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "nonce", "nonce unknown, used or expired");
    return rc;
}

int acme_nonces_delete_expired(struct db *db, int64_t now, int64_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(now)};
    int rc = db_run(db, &st_purge, p, 1, NULL, NULL, e);
    if (n != NULL)
        *n = rc == 0 ? db_changes(db) : 0;
    return rc;
}
