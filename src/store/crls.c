/* SPDX-License-Identifier: MIT */
/* The crls table; see crls.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/failalloc.h"
#include "store/crls.h"
#include "store/db.h"

static const struct db_stmt st_get = {
    "crls.get",
    "SELECT crl_number, this_update, next_update, revoked_count, updated_at, der FROM crls "
    "WHERE issuer = $1",
    NULL, NULL};
static const struct db_stmt st_get_meta = {
    "crls.get_meta",
    "SELECT crl_number, this_update, next_update, revoked_count, updated_at FROM crls "
    "WHERE issuer = $1",
    NULL, NULL};
static const struct db_stmt st_insert = {
    "crls.insert",
    "INSERT INTO crls (issuer, crl_number, this_update, next_update, revoked_count, der, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (issuer) DO NOTHING",
    NULL, NULL};
static const struct db_stmt st_update = {
    "crls.update",
    "UPDATE crls SET crl_number = $2, this_update = $3, next_update = $4, revoked_count = $5, "
    "der = $6, updated_at = $7 WHERE issuer = $1 AND crl_number = $8 AND crl_number < $2",
    NULL, NULL};

static const struct db_stmt st_shards = {
    "crls.shards", "SELECT issuer FROM crls WHERE issuer LIKE $1", NULL, NULL};

void crls_row_clear(struct crls_row *r)
{
    if (r == NULL)
        return;
    free(r->der);
    memset(r, 0, sizeof *r);
}

static int fill_meta(void *row, const struct db_val *c)
{
    struct crls_row *r = row;
    r->crl_number = db_col_int(&c[0]);
    r->this_update = db_col_int(&c[1]);
    r->next_update = db_col_int(&c[2]);
    r->revoked_count = db_col_int(&c[3]);
    r->updated_at = db_col_int(&c[4]);
    return 0;
}

static int fill_full(void *row, const struct db_val *c)
{
    struct crls_row *r = row;
    fill_meta(r, c);
    if (c[5].t == DB_BLOB && c[5].n > 0) {
        r->der = sm_malloc(c[5].n);
        if (r->der == NULL)
            return -1;
        memcpy(r->der, c[5].p, c[5].n);
        r->der_len = c[5].n;
    }
    return 0;
}

static void clear(void *row) { crls_row_clear(row); }

static const struct db_rowtype meta_rowtype = {sizeof(struct crls_row), 5, fill_meta, clear,
                                               "crls"};
static const struct db_rowtype full_rowtype = {sizeof(struct crls_row), 6, fill_full, clear,
                                               "crls"};

int crls_get(struct db *db, const char *issuer, int with_der, struct crls_row *out,
             struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (issuer == NULL || strlen(issuer) >= sizeof out->issuer)
        return sm_err_set(e, SM_E_INVALID, "issuer", "bad issuer");
    struct db_val p[1] = {DBV_TEXT(issuer)};
    int rc = with_der ? db_get_one(db, &st_get, p, 1, &full_rowtype, out, e)
                      : db_get_one(db, &st_get_meta, p, 1, &meta_rowtype, out, e);
    memcpy(out->issuer, issuer, strlen(issuer) + 1);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 1;
    }
    return rc;
}

int crls_set(struct db *db, const struct crls_row *r, int64_t prev_number, struct sm_err *e)
{
    if (r == NULL || r->der == NULL || r->der_len == 0 || r->crl_number <= prev_number)
        return sm_err_set(e, SM_E_INVALID, "crl_number",
                          "no CRL or a CRL number that does not "
                          "grow");
    struct db_val p[8] = {DBV_TEXT(r->issuer),       DBV_INT(r->crl_number),
                          DBV_INT(r->this_update),   DBV_INT(r->next_update),
                          DBV_INT(r->revoked_count), DBV_BLOB(r->der, r->der_len),
                          DBV_INT(r->updated_at),    DBV_INT(prev_number)};
    int rc = db_run(db, prev_number == 0 ? &st_insert : &st_update, p, prev_number == 0 ? 7 : 8,
                    NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_CONFLICT, "crl_number", "the CRL of %s changed meanwhile",
                        r->issuer);
    return rc;
}

static int fill_name(void *row, const struct db_val *c)
{
    db_col_copy(row, 8, &c[0]);
    return 0;
}

static const struct db_rowtype name_rowtype = {8, 1, fill_name, NULL, "crls"};

int crls_max_shard(struct db *db, const char *level, int *out, struct sm_err *e)
{
    *out = 0;
    char pat[16];
    if (level == NULL || strlen(level) > 4)
        return sm_err_set(e, SM_E_INVALID, "issuer", "bad level");
    snprintf(pat, sizeof pat, "%s-%%", level);
    char(*names)[8] = NULL;
    size_t n = 0;
    struct db_val p[1] = {DBV_TEXT(pat)};
    int rc = db_collect(db, &st_shards, p, 1, &name_rowtype, &names, &n, e);
    size_t ll = strlen(level);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int k = 0;
        const char *d = names[i] + ll + 1;
        for (; *d >= '0' && *d <= '9' && k <= 100000; d++)
            k = k * 10 + (*d - '0');
        if (*d == '\0' && k > *out && k <= 100000)
            *out = k;
    }
    free(names);
    return rc;
}
