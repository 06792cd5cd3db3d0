/* SPDX-License-Identifier: MIT */
/* Login with lockout and sessions (ra/login.h). Each change runs in one transaction with
 * its audit record. */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/account_int.h"
#include "ra/login.h"
#include "store/db.h"

/* ---- login and sessions ---- */

static int deny(struct sm_err *e)
{
    return sm_err_set(e, SM_E_FORBIDDEN, "credentials", "login refused");
}

/* Records a failed password for u inside a transaction; locks at max_failures. */
int account_record_failure(struct db *db, const struct account_policy *p, const struct user_row *u,
                           int64_t now, struct sm_err *e)
{
    int64_t failed = u->failed_logins + 1, first = u->first_failed_at, until = 0;
    if (u->failed_logins == 0 || first + p->failure_window <= now) {
        failed = 1;
        first = now;
    }
    const char *action = "account.login_failed";
    if (failed >= p->max_failures) {
        until = now + p->lock_seconds;
        action = "account.locked";
    }
    int rc = user_set_failures(db, u->id, until ? 0 : failed, until ? 0 : first, until, e);
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, action, "user", u->id,
                           json_pack("{s:I, s:I}", "failures", (json_int_t)failed, "locked_until",
                                     (json_int_t)until),
                           e);
    return rc;
}

int account_login(struct db *db, const struct account_policy *p, const char *login_id,
                  const char *password, struct user_row *u, char token[ACCOUNT_TOKEN_SIZE],
                  struct sm_err *e)
{
    token[0] = '\0';
    if (password == NULL || strlen(password) > 1024)
        password = "";
    struct user_row cur;
    int rc = login_id ? user_get_by_login(db, login_id, &cur, e) : -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND) {
        account_verify_dummy(password);
        log_info("login refused", "reason", "unknown id");
        return deny(e);
    }
    if (rc < 0)
        return rc;
    int good = account_password_ok(cur.password_hash, password);
    int64_t now = clock_now();
    rc = db_begin(db, e);
    if (rc == 0)
        rc = user_get(db, cur.id, &cur, e); /* fresh counters under the write lock */
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    if (cur.disabled || cur.locked_until > now) {
        db_rollback(db);
        log_info("login refused", "reason", cur.disabled ? "disabled" : "locked");
        if (!cur.disabled && good) {
            /* only who knows the password learns of the lock: nothing about unknown ids */
            memset(u, 0, sizeof *u);
            u->locked_until = cur.locked_until;
            return sm_err_set(e, SM_E_FORBIDDEN, "locked", "account locked");
        }
        return deny(e);
    }
    if (!good) {
        rc = account_finish(db, account_record_failure(db, p, &cur, now, e), e);
        log_info("login refused", "reason", "wrong password");
        return rc < 0 && rc != -SM_E_FORBIDDEN ? rc : deny(e);
    }
    if (cur.failed_logins != 0 || cur.locked_until != 0) {
        rc = user_set_failures(db, cur.id, 0, 0, 0, e);
        cur.failed_logins = cur.first_failed_at = cur.locked_until = 0;
    }
    char tok[ACCOUNT_TOKEN_SIZE];
    account_new_token(tok);
    struct session_row s = {.user_id = cur.id,
                            .created_at = now,
                            .last_seen = now,
                            .expires_at = now + p->session_absolute};
    account_token_hash(tok, s.id_hash);
    if (rc == 0)
        rc = session_insert(db, &s, e);
    if (rc == 0)
        rc = account_audit(db, cur.id, NULL, "account.login", "user", cur.id, NULL, e);
    rc = account_finish(db, rc, e);
    if (rc < 0) {
        sodium_memzero(tok, sizeof tok);
        return rc;
    }
    memcpy(token, tok, ACCOUNT_TOKEN_SIZE);
    sodium_memzero(tok, sizeof tok);
    *u = cur;
    return 0;
}

int account_session_user(struct db *db, const struct account_policy *p, const char *token,
                         struct user_row *u, char id_hash[TOKEN_HASH_HEX], struct sm_err *e)
{
    if (!account_token_shape(token))
        return sm_err_set(e, SM_E_NOTFOUND, "session", "no session");
    char h[TOKEN_HASH_HEX];
    account_token_hash(token, h);
    struct session_row s = {0};
    int rc = session_get(db, h, &s, e);
    if (rc < 0)
        return rc;
    int64_t now = clock_now();
    if (now >= s.expires_at || now - s.last_seen >= p->session_idle) {
        session_delete(db, h, NULL);
        return sm_err_set(e, SM_E_NOTFOUND, "session", "session expired");
    }
    rc = user_get(db, s.user_id, u, e);
    if (rc == 0 && u->disabled)
        rc = sm_err_set(e, SM_E_NOTFOUND, "session", "user disabled");
    if (rc < 0)
        return rc;
    if (now - s.last_seen >= 60)
        session_touch(db, h, now, NULL);
    if (id_hash != NULL)
        memcpy(id_hash, h, TOKEN_HASH_HEX);
    return 0;
}

int account_logout(struct db *db, const struct user_row *u, const char *id_hash, struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = session_delete(db, id_hash, e);
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, "account.logout", "user", u->id, NULL, e);
    return account_finish(db, rc, e);
}
