/* SPDX-License-Identifier: MIT */
/* Password reset (ra/reset.h): a one-hour single-use link by mail, queued in the same
 * transaction as the token and the audit record. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/account_int.h"
#include "ra/reset.h"
#include "store/db.h"
#include "store/outbox.h"

/* ---- password reset ---- */

int account_reset_request(struct db *db, const struct account_policy *p, const char *login_id,
                          struct sm_err *e)
{
    struct user_row u;
    int rc = login_id && *login_id ? user_get_by_login(db, login_id, &u, e) : -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND || (rc == 0 && u.disabled)) {
        log_info("password reset for an unknown or disabled id");
        sm_err_clear(e);
        return 0;
    }
    if (rc < 0)
        return rc;
    char tok[ACCOUNT_TOKEN_SIZE];
    account_new_token(tok);
    int64_t now = clock_now();
    struct reset_token_row t = {
        .user_id = u.id, .created_at = now, .expires_at = now + ACCOUNT_RESET_TTL};
    account_token_hash(tok, t.token_hash);
    char url[512];
    snprintf(url, sizeof url, "%s/password/reset/%s", p->base_url, tok);
    sodium_memzero(tok, sizeof tok);
    json_t *vars = json_pack("{s:s, s:s, s:s, s:s}", "name", u.display_name, "login_id", u.login_id,
                             "url", url, "minutes", "60");
    char *vs = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
    json_decref(vars);
    sodium_memzero(url, sizeof url);
    if (vs == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    struct outbox_mail m = {
        .to = u.email, .lang = u.locale, .tmpl = "password_reset", .vars_json = vs};
    int64_t mail_id = 0;
    rc = db_begin(db, e);
    if (rc == 0) {
        rc = pwreset_insert(db, &t, e);
        if (rc == 0)
            rc = outbox_enqueue(db, &m, &mail_id, e);
        if (rc == 0)
            rc = account_audit(db, u.id, NULL, "account.reset_request", "user", u.id,
                               json_pack("{s:I}", "mail", (json_int_t)mail_id), e);
        rc = account_finish(db, rc, e);
    }
    sodium_memzero(vs, strlen(vs));
    free(vs);
    return rc;
}

/* The reset row of token when it is unused and unexpired. */
static int valid_reset(struct db *db, const char *token, struct reset_token_row *t,
                       struct sm_err *e)
{
    if (!account_token_shape(token))
        return sm_err_set(e, SM_E_NOTFOUND, "token", "no such token");
    char h[TOKEN_HASH_HEX];
    account_token_hash(token, h);
    int rc = pwreset_get(db, h, t, e);
    if (rc == 0 && (t->used_at != 0 || clock_now() >= t->expires_at))
        rc = sm_err_set(e, SM_E_NOTFOUND, "token", "token used or expired");
    return rc;
}

int account_reset_check(struct db *db, const char *token, struct sm_err *e)
{
    struct reset_token_row t = {0};
    return valid_reset(db, token, &t, e);
}

int account_reset_confirm(struct db *db, const char *token, const char *password,
                          const char *password_confirm, struct account_errors *fe, struct sm_err *e)
{
    struct reset_token_row t = {0};
    struct user_row u;
    int rc = valid_reset(db, token, &t, e);
    if (rc == 0)
        rc = user_get(db, t.user_id, &u, e);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && u.disabled))
        return sm_err_set(e, SM_E_NOTFOUND, "token", "no such token");
    if (rc < 0)
        return rc;
    char hash[USER_HASH_MAX + 1];
    rc = account_new_password(password, password_confirm, u.login_id, hash, fe, e);
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = pwreset_use(db, t.token_hash, clock_now(), e);
    if (rc == -SM_E_CONFLICT)
        rc = sm_err_set(e, SM_E_NOTFOUND, "token", "token already used");
    if (rc == 0)
        rc = user_set_password(db, u.id, hash, e);
    if (rc == 0)
        rc = pwreset_revoke_user(db, u.id, clock_now(), e);
    if (rc == 0)
        rc = user_set_failures(db, u.id, 0, 0, 0, e);
    if (rc == 0)
        rc = session_delete_user(db, u.id, NULL, e);
    if (rc == 0)
        rc = account_audit(db, u.id, NULL, "account.password_reset", "user", u.id, NULL, e);
    return account_finish(db, rc, e);
}
