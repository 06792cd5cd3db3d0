/* SPDX-License-Identifier: MIT */
/* API keys (ra/apikey.h): "sk_" + a random token, stored as its SHA-256. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "ra/account_int.h"
#include "ra/apikey.h"
#include "store/db.h"

/* ---- API keys ---- */

int account_apikey_create(struct db *db, const struct user_row *u, const char *label,
                          char key[ACCOUNT_APIKEY_SIZE], int64_t *id, struct sm_err *e)
{
    key[0] = '\0';
    *id = 0;
    long n = label ? account_utf8_chars(label, 0) : -1;
    if (n < 1 || strlen(label) > APIKEY_LABEL_MAX)
        return sm_err_set(e, SM_E_INVALID, "label", "account.err.label");
    char tok[ACCOUNT_TOKEN_SIZE];
    account_new_token(tok);
    char k[ACCOUNT_APIKEY_SIZE];
    snprintf(k, sizeof k, "sk_%s", tok);
    sodium_memzero(tok, sizeof tok);
    struct api_key_row row = {.user_id = u->id, .created_at = clock_now()};
    snprintf(row.prefix, sizeof row.prefix, "%.*s", ACCOUNT_APIKEY_PREFIX, k);
    snprintf(row.label, sizeof row.label, "%s", label);
    account_token_hash(k, row.hash);
    int rc = db_begin(db, e);
    if (rc == 0) {
        rc = apikey_insert(db, &row, id, e);
        if (rc == 0)
            rc = account_audit(db, u->id, NULL, "apikey.create", "apikey", *id,
                               json_pack("{s:s, s:s}", "prefix", row.prefix, "label", label), e);
        rc = account_finish(db, rc, e);
    }
    if (rc == 0)
        memcpy(key, k, sizeof k);
    else
        *id = 0;
    sodium_memzero(k, sizeof k);
    return rc;
}

int account_apikey_user(struct db *db, const char *key, struct user_row *u, struct sm_err *e)
{
    if (key == NULL || strncmp(key, "sk_", 3) != 0 || !account_token_shape(key + 3))
        return sm_err_set(e, SM_E_NOTFOUND, "api_key", "not an API key");
    char h[TOKEN_HASH_HEX];
    account_token_hash(key, h);
    struct api_key_row k = {0};
    int rc = apikey_find(db, h, &k, e);
    if (rc == 0 && k.revoked_at != 0)
        rc = sm_err_set(e, SM_E_NOTFOUND, "api_key", "key revoked");
    if (rc == 0)
        rc = user_get(db, k.user_id, u, e);
    if (rc == 0 && u->disabled)
        rc = sm_err_set(e, SM_E_NOTFOUND, "api_key", "user disabled");
    if (rc < 0)
        return rc;
    int64_t now = clock_now();
    if (now - k.last_used >= 60)
        apikey_touch(db, k.id, now, NULL);
    return 0;
}

int account_apikey_revoke(struct db *db, const struct user_row *u, int64_t id, struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = apikey_revoke(db, id, u->id, clock_now(), e);
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, "apikey.revoke", "apikey", id, NULL, e);
    return account_finish(db, rc, e);
}
