/* SPDX-License-Identifier: MIT */
/* The ocsp_responders table; see ocsp_responders.h. */
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/db.h"
#include "store/ocsp_responders.h"

static const struct db_stmt st_current = {
    "ocsp_responders.current",
    "SELECT id, key_ref, cert_der, not_before, not_after, created_at FROM ocsp_responders "
    "WHERE issuer = $1 AND not_before <= $2 AND not_after > $2 ORDER BY not_after DESC, id DESC "
    "LIMIT 1",
    NULL, NULL};
static const struct db_stmt st_insert = {
    "ocsp_responders.insert",
    "INSERT INTO ocsp_responders (issuer, key_ref, cert_der, not_before, not_after, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)",
    NULL, NULL};

void ocsp_responder_row_clear(struct ocsp_responder_row *r)
{
    if (r == NULL)
        return;
    free(r->cert_der);
    memset(r, 0, sizeof *r);
}

static int fill(void *row, const struct db_val *c)
{
    struct ocsp_responder_row *r = row;
    r->id = db_col_int(&c[0]);
    if (c[1].t == DB_TEXT && c[1].n < sizeof r->key_ref)
        db_col_copy(r->key_ref, sizeof r->key_ref, &c[1]);
    if (c[2].t == DB_BLOB && c[2].n > 0) {
        r->cert_der = sm_malloc(c[2].n);
        if (r->cert_der == NULL)
            return -1;
        memcpy(r->cert_der, c[2].p, c[2].n);
        r->cert_len = c[2].n;
    }
    r->not_before = db_col_int(&c[3]);
    r->not_after = db_col_int(&c[4]);
    r->created_at = db_col_int(&c[5]);
    return 0;
}

static void clear(void *row) { ocsp_responder_row_clear(row); }

static const struct db_rowtype responder_rowtype = {sizeof(struct ocsp_responder_row), 6, fill,
                                                    clear, "ocsp_responders"};

int ocsp_responders_get_current(struct db *db, const char *issuer, int64_t now,
                                struct ocsp_responder_row *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (issuer == NULL || strlen(issuer) >= sizeof out->issuer)
        return sm_err_set(e, SM_E_INVALID, "issuer", "bad issuer");
    struct db_val p[2] = {DBV_TEXT(issuer), DBV_INT(now)};
    int rc = db_get_one(db, &st_current, p, 2, &responder_rowtype, out, e);
    memcpy(out->issuer, issuer, strlen(issuer) + 1);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 1;
    }
    if (rc < 0)
        return rc;
    return out->cert_der != NULL ? 0 : 1;
}

int ocsp_responders_insert(struct db *db, const struct ocsp_responder_row *r, struct sm_err *e)
{
    if (r == NULL || r->cert_der == NULL || r->key_ref[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "responder", "incomplete responder");
    struct db_val p[6] = {
        DBV_TEXT(r->issuer),    DBV_TEXT(r->key_ref),  DBV_BLOB(r->cert_der, r->cert_len),
        DBV_INT(r->not_before), DBV_INT(r->not_after), DBV_INT(r->created_at)};
    return db_run(db, &st_insert, p, 6, NULL, NULL, e);
}
