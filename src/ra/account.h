/* SPDX-License-Identifier: MIT */
/* Accounts (R-ACT-1..3): registration of customer IDs, changes of login id / password /
 * profile, and THE isolation rule every module uses to keep a user to its
 * organizations. Plain functions over a struct db: no HTTP, no SQL strings. Every state
 * change writes its audit record in the same transaction. Secrets (session cookies, API
 * keys, reset tokens) are 32 random bytes; only their SHA-256 is stored. Login and
 * sessions: ra/login.h; API keys: ra/apikey.h; password reset: ra/reset.h; announcements:
 * ra/announce.h.
 *
 * ISOLATION (R-ACT-1). Who may see the objects of organization X:
 *   customer  its own organization only
 *   reseller  its own organization and the customer organizations it manages
 *             (organizations.reseller_org_id = the reseller's organization)
 *   officer, admin  every organization
 * Enforce it in the query, not after it: build the struct org_scope (store/scope.h) of
 * the user with account_scope() and pass it to every store read of an object of an
 * organization (org_scope_sql adds "org_id IN (...)"), so that another organization's
 * object is "not found" (answer 404).
 * account_can_see_org() checks one organization id when a query cannot (e.g. an org id
 * given in a form); account_may_see() is the same rule without a database. */
#ifndef SM_RA_ACCOUNT_H
#define SM_RA_ACCOUNT_H
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "store/sessions.h"
#include "store/users.h"

struct db;

/* Settings of [account] and [server] base_url. */
struct account_policy {
    int64_t max_failures;     /* failed logins within failure_window that lock */
    int64_t failure_window;   /* seconds */
    int64_t lock_seconds;     /* how long a lock lasts */
    int64_t session_idle;     /* seconds */
    int64_t session_absolute; /* seconds */
    int registration;         /* self-registration allowed */
    char base_url[256];
};
int account_policy_load(const struct config *c, struct account_policy *p, struct sm_err *e);

/* Per-field errors of a form, as message keys ("account.err.*"). */
#define ACCOUNT_MAX_ERRORS 8
struct account_errors {
    int n;
    struct {
        char field[32];
        const char *key;
    } v[ACCOUNT_MAX_ERRORS];
};
/* The message key for field, or NULL. */
const char *account_error(const struct account_errors *fe, const char *field);

/* Field rules; each returns NULL when valid or the message key of the problem.
 * login id: 3..64 of A-Z a-z 0-9 . _ - @, starting with a letter or digit.
 * email: the address syntax of core/text.h (text_email_ok, RFC 5321 limits).
 * password: 10..128 characters, two of lower/upper/digit/other, not one repeated
 * character, not containing the login id. display name: 1..100 characters of valid UTF-8
 * without control characters. locale: "ja" or "en". */
const char *account_check_login_id(const char *s);
const char *account_check_email(const char *s);
const char *account_check_password(const char *pw, const char *login_id);
const char *account_check_name(const char *s);
const char *account_check_locale(const char *s);

/* ---- registration and users ---- */
struct account_reg {
    const char *login_id, *email, *password, *password_confirm; /* confirm NULL = unchecked */
    const char *display_name, *locale, *org_name;               /* org_name NULL = name */
};
/* Registers a customer ID with a new customer organization. -SM_E_INVALID with fe filled
 * (nothing stored); -SM_E_FORBIDDEN when registration is off. */
int account_register(struct db *db, const struct account_policy *p, const struct account_reg *r,
                     struct account_errors *fe, int64_t *user_id, struct sm_err *e);

/* Secrets (session cookies, API keys, reset tokens): 32 random bytes as base64url. */
#define ACCOUNT_TOKEN_SIZE 44 /* 32 random bytes in base64url + NUL */

#define ACCOUNT_PASSWORD_GEN 21 /* generated passwords: 20 characters + NUL */
/* A user made by an operator (CLI, demo seed). org_id 0 creates an organization: for
 * customers and resellers a new one named org_name (reseller_org_id = the managing
 * reseller org, customers only), for officers and admins the CA organization (created
 * once). password NULL generates one into gen_pw (shown once by the caller). actor is the
 * audit actor ("cli", "system"). -SM_E_INVALID names the field. */
struct account_new {
    int role;
    const char *login_id, *email, *display_name, *locale, *org_name, *password;
    int64_t org_id, reseller_org_id;
};
int account_create_user(struct db *db, const struct account_new *n, const char *actor,
                        int64_t *user_id, char gen_pw[ACCOUNT_PASSWORD_GEN], struct sm_err *e);

/* ---- changes by the user (all need the current password except the profile) ---- */
int account_change_login_id(struct db *db, const struct account_policy *p, const struct user_row *u,
                            const char *current_password, const char *login_id,
                            struct account_errors *fe, struct sm_err *e);
/* Ends every other session of the user (keep_hash = the current one, may be NULL) and
 * every pending password-reset link. */
int account_change_password(struct db *db, const struct account_policy *p, const struct user_row *u,
                            const char *current_password, const char *password,
                            const char *password_confirm, const char *keep_hash,
                            struct account_errors *fe, struct sm_err *e);
int account_change_profile(struct db *db, const struct user_row *u, const char *display_name,
                           const char *email, const char *locale, struct account_errors *fe,
                           struct sm_err *e);

/* ---- isolation (see the top of this file) ---- */
/* THE scope of u (store/scope.h): officers and admins see every organization, a customer
 * its own, a reseller its own and the ones it manages (read from the database); NULL,
 * a user without an organization or of any other role sees none. out->org_ids points
 * into *ids, which the caller frees (NULL when the scope is "all" or empty). 0 or
 * negative on database errors (*out is then "none"). */
int account_scope(struct db *db, const struct user_row *u, struct org_scope *out, int64_t **ids,
                  struct sm_err *e);
/* The rule without a database: may u see an object of organization org_id, whose managing
 * reseller organization is org_reseller_id (0 = none)? 1 or 0. */
int account_may_see(const struct user_row *u, int64_t org_id, int64_t org_reseller_id);
/* The same for an organization id read from the database: 1, 0 (also for an unknown
 * organization), or negative on database errors. */
int account_can_see_org(struct db *db, const struct user_row *u, int64_t org_id, struct sm_err *e);

/* ---- demo data ---- */
/* One user per role: customer (a demo customer org), reseller (with one managed customer
 * org), officer and admin (the CA org), with random passwords, plus one announcement.
 * Fills out[4] (role, login id, password) for the caller to show once. */
struct account_demo_user {
    int role;
    char login_id[USER_LOGIN_MAX + 1];
    char password[ACCOUNT_PASSWORD_GEN];
};
int account_seed_demo(struct db *db, struct account_demo_user out[4], struct sm_err *e);

/* Tests only: 1 makes password hashing use libsodium's minimum cost. */
void account_test_fast_hash(int on);

/* SHA-256 of s as 64 lower-case hex digits (tokens are stored this way). */
void account_token_hash(const char *s, char out[TOKEN_HASH_HEX]);

#endif
