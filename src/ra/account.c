/* SPDX-License-Identifier: MIT */
/* Accounts (see account.h): field rules, the helpers the account files share
 * (ra/account_int.h), registration, operator-made users, changes by the user, the
 * isolation rule and the demo data. Login and sessions, API keys, password reset and
 * announcements live in ra/login.c, ra/apikey.c, ra/reset.c and ra/announce.c. Passwords: argon2id
 * (crypto_pwhash_str); tokens: randombytes_buf, kept as SHA-256 hex. Each change runs in one
 * transaction with its audit record. */
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "ra/account.h"
#include "ra/account_int.h"
#include "ra/announce.h"
#include "store/announcements.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/outbox.h"

static int fast_hash; /* tests only (account_test_fast_hash) */

void account_test_fast_hash(int on) { fast_hash = on; }

int account_policy_load(const struct config *c, struct account_policy *p, struct sm_err *e)
{
    memset(p, 0, sizeof *p);
    int rc = config_int(c, "account", "max_failures", 1, 1000, &p->max_failures, e);
    if (rc == 0)
        rc = config_int(c, "account", "failure_window", 1, 86400 * 30, &p->failure_window, e);
    if (rc == 0)
        rc = config_int(c, "account", "lock_seconds", 1, 86400 * 30, &p->lock_seconds, e);
    if (rc == 0)
        rc = config_int(c, "account", "session_idle", 60, 86400 * 30, &p->session_idle, e);
    if (rc == 0)
        rc = config_int(c, "account", "session_absolute", 60, 86400 * 365, &p->session_absolute, e);
    if (rc < 0)
        return rc;
    p->registration = config_bool(c, "account", "registration");
    const char *base = config_str(c, "server", "base_url");
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (n >= sizeof p->base_url)
        return sm_err_set(e, SM_E_CONFIG, "base_url", "[server] base_url is too long");
    memcpy(p->base_url, base, n);
    p->base_url[n] = '\0';
    return 0;
}

/* ---- field rules ---- */

const char *account_error(const struct account_errors *fe, const char *field)
{
    for (int i = 0; fe != NULL && i < fe->n; i++)
        if (strcmp(fe->v[i].field, field) == 0)
            return fe->v[i].key;
    return NULL;
}

void account_add_error(struct account_errors *fe, const char *field, const char *key)
{
    if (fe == NULL || key == NULL || account_error(fe, field) != NULL ||
        fe->n >= ACCOUNT_MAX_ERRORS)
        return;
    snprintf(fe->v[fe->n].field, sizeof fe->v[fe->n].field, "%s", field);
    fe->v[fe->n].key = key;
    fe->n++;
}

static int is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *account_check_login_id(const char *s)
{
    if (s == NULL || *s == '\0')
        return "account.err.login_required";
    size_t n = strlen(s);
    if (n < 3 || n > USER_LOGIN_MAX)
        return "account.err.login_length";
    if (!is_alnum((unsigned char)s[0]))
        return "account.err.login_chars";
    for (size_t i = 0; i < n; i++)
        if (!is_alnum((unsigned char)s[i]) && strchr("._-@", s[i]) == NULL)
            return "account.err.login_chars";
    return NULL;
}

const char *account_check_email(const char *s)
{
    if (s == NULL || *s == '\0')
        return "account.err.email_required";
    return text_email_ok(s, 0) ? NULL : "account.err.email_invalid";
}

/* Number of UTF-8 characters of s, or -1 when s is not valid UTF-8 or holds control
 * characters (tab and newline allowed when multiline). */
long account_utf8_chars(const char *s, int multiline)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int len = c < 0x80             ? 1
                  : (c & 0xe0) == 0xc0 ? 2
                  : (c & 0xf0) == 0xe0 ? 3
                  : (c & 0xf8) == 0xf0 ? 4
                                       : 0;
        if (len == 0 || (len == 2 && c < 0xc2) || (len == 4 && c > 0xf4))
            return -1;
        unsigned cp = len == 1 ? c : c & (0xff >> (len + 1));
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return -1;
        if ((cp < 0x20 && !(multiline && (cp == '\n' || cp == '\r' || cp == '\t'))) || cp == 0x7f ||
            (cp >= 0x80 && cp < 0xa0))
            return -1;
        p += len;
        n++;
    }
    return n;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle), h = strlen(hay);
    for (size_t i = 0; n > 0 && i + n <= h; i++) {
        size_t k = 0;
        while (k < n) {
            int a = (unsigned char)hay[i + k], b = (unsigned char)needle[k];
            if (a >= 'A' && a <= 'Z')
                a += 32;
            if (b >= 'A' && b <= 'Z')
                b += 32;
            if (a != b)
                break;
            k++;
        }
        if (k == n)
            return 1;
    }
    return 0;
}

const char *account_check_password(const char *pw, const char *login_id)
{
    if (pw == NULL || *pw == '\0')
        return "account.err.password_required";
    long n = account_utf8_chars(pw, 0);
    if (n < 0)
        return "account.err.password_chars";
    if (n < 10)
        return "account.err.password_short";
    if (n > 128 || strlen(pw) > 512)
        return "account.err.password_long";
    int lower = 0, upper = 0, digit = 0, other = 0, same = 1;
    for (const char *p = pw; *p; p++) {
        lower |= *p >= 'a' && *p <= 'z';
        upper |= *p >= 'A' && *p <= 'Z';
        digit |= *p >= '0' && *p <= '9';
        other |= !is_alnum((unsigned char)*p);
        same &= *p == pw[0];
    }
    if (same || lower + upper + digit + other < 2)
        return "account.err.password_weak";
    if (login_id != NULL && strlen(login_id) >= 3 && contains_ci(pw, login_id))
        return "account.err.password_login";
    return NULL;
}

const char *account_check_name(const char *s)
{
    if (s == NULL || *s == '\0')
        return "account.err.name_required";
    long n = account_utf8_chars(s, 0);
    if (n < 0)
        return "account.err.name_invalid";
    if (n > 100 || strlen(s) > USER_NAME_MAX)
        return "account.err.name_long";
    for (const char *p = s; *p; p++)
        if (*p != ' ')
            return NULL;
    return "account.err.name_required";
}

const char *account_check_locale(const char *s)
{
    return s != NULL && (strcmp(s, "ja") == 0 || strcmp(s, "en") == 0) ? NULL
                                                                       : "account.err.locale";
}

/* ---- secrets ---- */

void account_token_hash(const char *s, char out[TOKEN_HASH_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, TOKEN_HASH_HEX, h, sizeof h);
}

void account_new_token(char out[ACCOUNT_TOKEN_SIZE])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, ACCOUNT_TOKEN_SIZE, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

/* 1 when s has the shape of a token new_token made. */
int account_token_shape(const char *s)
{
    if (s == NULL || strlen(s) != ACCOUNT_TOKEN_SIZE - 1)
        return 0;
    for (const char *p = s; *p; p++)
        if (!is_alnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

int account_hash_password(const char *pw, char out[USER_HASH_MAX + 1], struct sm_err *e)
{
    unsigned long long ops =
        fast_hash ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = fast_hash ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str(out, pw, strlen(pw), ops, mem) != 0)
        return sm_err_set(e, SM_E_NOMEM, "password", "password hashing failed (memory)");
    return 0;
}

int account_new_password(const char *pw, const char *confirm, const char *login_id,
                         char out[USER_HASH_MAX + 1], struct account_errors *fe, struct sm_err *e)
{
    account_add_error(fe, "password", account_check_password(pw, login_id));
    if (confirm != NULL && pw != NULL && strcmp(pw, confirm))
        account_add_error(fe, "password_confirm", "account.err.password_mismatch");
    if (fe->n > 0)
        return account_invalid(fe, e);
    return account_hash_password(pw, out, e);
}

int account_password_ok(const char *hash, const char *pw)
{
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

/* A hash to verify against when the login id is unknown, so both paths cost the same. */
static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[2][USER_HASH_MAX + 1];

void account_verify_dummy(const char *pw)
{
    int slot = fast_hash ? 1 : 0;
    pthread_mutex_lock(&dummy_mu);
    if (dummy_hash[slot][0] == '\0') {
        char tok[ACCOUNT_TOKEN_SIZE];
        account_new_token(tok);
        if (account_hash_password(tok, dummy_hash[slot], NULL) < 0)
            dummy_hash[slot][0] = '\0';
    }
    char h[USER_HASH_MAX + 1];
    memcpy(h, dummy_hash[slot], sizeof h);
    pthread_mutex_unlock(&dummy_mu);
    if (h[0] != '\0')
        (void)account_password_ok(h, pw);
}

static void gen_password(char out[ACCOUNT_PASSWORD_GEN])
{
    static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    for (int tries = 0; tries < 100; tries++) {
        for (int i = 0; i < ACCOUNT_PASSWORD_GEN - 1; i++)
            out[i] = alpha[randombytes_uniform(sizeof alpha - 1)];
        out[ACCOUNT_PASSWORD_GEN - 1] = '\0';
        if (account_check_password(out, NULL) == NULL)
            return;
    }
}

/* ---- transactions and audit ---- */

int account_finish(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0)
        return db_commit(db, e);
    db_rollback(db);
    return rc;
}

/* Appends the audit record: actor "user:ID" (or actor_s when given), object "TYPE:ID".
 * detail is stolen (NULL = {}). */
int account_audit(struct db *db, int64_t actor_id, const char *actor_s, const char *action,
                  const char *type, int64_t object_id, json_t *detail, struct sm_err *e)
{
    char actor[48], object[64];
    if (actor_s != NULL)
        snprintf(actor, sizeof actor, "%s", actor_s);
    else
        snprintf(actor, sizeof actor, "user:%lld", (long long)actor_id);
    snprintf(object, sizeof object, "%s:%lld", type, (long long)object_id);
    char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (detail != NULL && d == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = audit_append(db, actor, action, object, d, e);
    free(d);
    return rc;
}

int account_invalid(struct account_errors *fe, struct sm_err *e)
{
    return sm_err_set(e, SM_E_INVALID, fe && fe->n > 0 ? fe->v[0].field : "", "invalid input");
}

/* ---- registration and users ---- */

static int make_org(struct db *db, const char *kind, const char *name, int64_t reseller,
                    int64_t *id, struct sm_err *e)
{
    struct org_row o = {0};
    snprintf(o.kind, sizeof o.kind, "%s", kind);
    snprintf(o.name_ja, sizeof o.name_ja, "%s", name);
    snprintf(o.name_en, sizeof o.name_en, "%s", name);
    o.reseller_org_id = reseller;
    return org_insert(db, &o, id, e);
}

int account_register(struct db *db, const struct account_policy *p, const struct account_reg *r,
                     struct account_errors *fe, int64_t *user_id, struct sm_err *e)
{
    *user_id = 0;
    if (!p->registration)
        return sm_err_set(e, SM_E_FORBIDDEN, "registration", "registration is off");
    account_add_error(fe, "login_id", account_check_login_id(r->login_id));
    account_add_error(fe, "email", account_check_email(r->email));
    account_add_error(fe, "display_name", account_check_name(r->display_name));
    account_add_error(fe, "password", account_check_password(r->password, r->login_id));
    if (r->password_confirm != NULL && r->password != NULL &&
        strcmp(r->password, r->password_confirm) != 0)
        account_add_error(fe, "password_confirm", "account.err.password_mismatch");
    account_add_error(fe, "locale", account_check_locale(r->locale));
    if (r->org_name != NULL && *r->org_name != '\0' && account_check_name(r->org_name))
        account_add_error(fe, "org_name", "account.err.org_name");
    if (fe->n > 0)
        return account_invalid(fe, e);
    struct user_row u = {0};
    u.role = USER_CUSTOMER;
    snprintf(u.login_id, sizeof u.login_id, "%s", r->login_id);
    snprintf(u.email, sizeof u.email, "%s", r->email);
    snprintf(u.display_name, sizeof u.display_name, "%s", r->display_name);
    snprintf(u.locale, sizeof u.locale, "%s", r->locale);
    int rc = account_hash_password(r->password, u.password_hash, e);
    if (rc < 0)
        return rc;
    const char *org_name = r->org_name && *r->org_name ? r->org_name : r->display_name;
    rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = make_org(db, "customer", org_name, 0, &u.org_id, e);
    if (rc == 0)
        rc = user_insert(db, &u, user_id, e);
    if (rc == -SM_E_EXISTS) {
        account_add_error(fe, "login_id", "account.err.login_taken");
        rc = account_invalid(fe, e);
    }
    if (rc == 0)
        rc = account_audit(db, *user_id, NULL, "account.register", "user", *user_id,
                           json_pack("{s:s, s:s, s:I}", "login_id", u.login_id, "email", u.email,
                                     "org_id", (json_int_t)u.org_id),
                           e);
    rc = account_finish(db, rc, e);
    if (rc < 0)
        *user_id = 0;
    return rc;
}

int account_create_user(struct db *db, const struct account_new *n, const char *actor,
                        int64_t *user_id, char gen_pw[ACCOUNT_PASSWORD_GEN], struct sm_err *e)
{
    *user_id = 0;
    const char *bad = NULL, *field = NULL;
    if (n->role < USER_CUSTOMER || n->role > USER_ADMIN)
        bad = "account.err.role", field = "role";
    else if ((bad = account_check_login_id(n->login_id)) != NULL)
        field = "login_id";
    else if ((bad = account_check_email(n->email)) != NULL)
        field = "email";
    else if ((bad = account_check_name(n->display_name)) != NULL)
        field = "display_name";
    else if ((bad = account_check_locale(n->locale)) != NULL)
        field = "locale";
    else if (n->password && (bad = account_check_password(n->password, n->login_id)) != NULL)
        field = "password";
    if (bad != NULL)
        return sm_err_set(e, SM_E_INVALID, field, "%s", bad);
    const char *pw = n->password;
    if (pw == NULL) {
        gen_password(gen_pw);
        pw = gen_pw;
    } else if (gen_pw != NULL) {
        gen_pw[0] = '\0';
    }
    struct user_row u = {0};
    u.role = n->role;
    snprintf(u.login_id, sizeof u.login_id, "%s", n->login_id);
    snprintf(u.email, sizeof u.email, "%s", n->email);
    snprintf(u.display_name, sizeof u.display_name, "%s", n->display_name);
    snprintf(u.locale, sizeof u.locale, "%s", n->locale);
    int rc = account_hash_password(pw, u.password_hash, e);
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    u.org_id = n->org_id;
    const char *name = n->org_name && *n->org_name ? n->org_name : n->display_name;
    if (u.org_id == 0 && (n->role == USER_CUSTOMER || n->role == USER_RESELLER)) {
        rc = make_org(db, n->role == USER_CUSTOMER ? "customer" : "reseller", name,
                      n->role == USER_CUSTOMER ? n->reseller_org_id : 0, &u.org_id, e);
    } else if (u.org_id == 0) {
        struct org_row ca;
        rc = org_find_kind(db, "ca", &ca, e);
        if (rc == 0)
            u.org_id = ca.id;
        else if (rc == -SM_E_NOTFOUND)
            rc = make_org(db, "ca", n->org_name && *n->org_name ? n->org_name : "Shomei CA", 0,
                          &u.org_id, e);
    }
    if (rc == 0)
        rc = user_insert(db, &u, user_id, e);
    if (rc == 0)
        rc = account_audit(db, 0, actor, "user.create", "user", *user_id,
                           json_pack("{s:s, s:s, s:s, s:I}", "login_id", u.login_id, "role",
                                     user_role_name(u.role), "email", u.email, "org_id",
                                     (json_int_t)u.org_id),
                           e);
    rc = account_finish(db, rc, e);
    if (rc < 0)
        *user_id = 0;
    return rc;
}

/* ---- changes by the user ---- */

/* The current password before a change of login ID or password. A wrong one counts
 * towards the lockout like a failed login (a stolen session cannot guess it without
 * limit), and a locked account changes nothing until the lock ends. */
static int check_current(struct db *db, const struct account_policy *p, const struct user_row *u,
                         const char *pw, struct account_errors *fe, struct sm_err *e)
{
    struct user_row fresh;
    int64_t now = (int64_t)clock_now();
    int rc = user_get(db, u->id, &fresh, e);
    if (rc < 0)
        return rc;
    if (fresh.locked_until > now) {
        account_add_error(fe, "current_password", "account.err.current_locked");
    } else if (pw == NULL || *pw == '\0') {
        account_add_error(fe, "current_password", "account.err.current_required");
    } else if (!account_password_ok(fresh.password_hash, pw)) {
        account_add_error(fe, "current_password", "account.err.current_password");
        rc = db_begin(db, e);
        if (rc == 0)
            rc = account_record_failure(db, p, &fresh, now, e);
        rc = account_finish(db, rc, e);
    }
    return rc;
}

int account_change_login_id(struct db *db, const struct account_policy *p, const struct user_row *u,
                            const char *current_password, const char *login_id,
                            struct account_errors *fe, struct sm_err *e)
{
    int rc = check_current(db, p, u, current_password, fe, e);
    if (rc < 0)
        return rc;
    account_add_error(fe, "login_id", account_check_login_id(login_id));
    if (fe->n > 0)
        return account_invalid(fe, e);
    rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = user_set_login_id(db, u->id, login_id, e);
    if (rc == -SM_E_EXISTS) {
        account_add_error(fe, "login_id", "account.err.login_taken");
        rc = account_invalid(fe, e);
    }
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, "account.login_id", "user", u->id,
                           json_pack("{s:s, s:s}", "from", u->login_id, "to", login_id), e);
    return account_finish(db, rc, e);
}

int account_change_password(struct db *db, const struct account_policy *p, const struct user_row *u,
                            const char *current_password, const char *password,
                            const char *password_confirm, const char *keep_hash,
                            struct account_errors *fe, struct sm_err *e)
{
    int rc = check_current(db, p, u, current_password, fe, e);
    if (rc < 0)
        return rc;
    char hash[USER_HASH_MAX + 1];
    rc = account_new_password(password, password_confirm, u->login_id, hash, fe, e);
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = user_set_password(db, u->id, hash, e);
    if (rc == 0)
        rc = pwreset_revoke_user(db, u->id, clock_now(), e);
    if (rc == 0)
        rc = session_delete_user(db, u->id, keep_hash, e);
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, "account.password", "user", u->id, NULL, e);
    return account_finish(db, rc, e);
}

int account_change_profile(struct db *db, const struct user_row *u, const char *display_name,
                           const char *email, const char *locale, struct account_errors *fe,
                           struct sm_err *e)
{
    account_add_error(fe, "display_name", account_check_name(display_name));
    account_add_error(fe, "email", account_check_email(email));
    account_add_error(fe, "locale", account_check_locale(locale));
    if (fe->n > 0)
        return account_invalid(fe, e);
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    rc = user_set_profile(db, u->id, display_name, email, locale, e);
    if (rc == 0)
        rc = account_audit(db, u->id, NULL, "account.profile", "user", u->id,
                           json_pack("{s:s, s:s, s:s}", "display_name", display_name, "email",
                                     email, "locale", locale),
                           e);
    return account_finish(db, rc, e);
}

/* ---- isolation ---- */

int account_scope(struct db *db, const struct user_row *u, struct org_scope *out, int64_t **ids,
                  struct sm_err *e)
{
    *out = ORG_SCOPE_NONE;
    *ids = NULL;
    if (u == NULL || u->id <= 0 || u->org_id <= 0)
        return 0;
    if (u->role == USER_OFFICER || u->role == USER_ADMIN) {
        *out = ORG_SCOPE_ALL;
        return 0;
    }
    if (u->role != USER_CUSTOMER && u->role != USER_RESELLER)
        return 0;
    size_t n = 0;
    int rc = org_ids_seen(db, u->org_id, u->role == USER_RESELLER ? u->org_id : 0, ids, &n, e);
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        return rc;
    }
    *out = (struct org_scope){0, *ids, n};
    return 0;
}

int account_may_see(const struct user_row *u, int64_t org_id, int64_t org_reseller_id)
{
    if (u == NULL || u->id <= 0 || u->org_id <= 0 || org_id <= 0)
        return 0;
    switch (u->role) {
    case USER_OFFICER:
    case USER_ADMIN: return 1;
    case USER_RESELLER: return org_id == u->org_id || org_reseller_id == u->org_id;
    case USER_CUSTOMER: return org_id == u->org_id;
    default: return 0;
    }
}

int account_can_see_org(struct db *db, const struct user_row *u, int64_t org_id, struct sm_err *e)
{
    struct org_row o;
    int rc = org_id > 0 ? org_get(db, org_id, &o, e) : -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    return account_may_see(u, o.id, o.reseller_org_id);
}

/* ---- demo data ---- */

int account_seed_demo(struct db *db, struct account_demo_user out[4], struct sm_err *e)
{
    struct {
        struct account_new n;
        char pw[ACCOUNT_PASSWORD_GEN];
        int64_t id;
    } d[4] = {
        {{USER_RESELLER, "demo-reseller", "reseller@example.com", "デモ リセラー", "ja",
          "デモリセラー株式会社", NULL, 0, 0},
         "",
         0},
        {{USER_CUSTOMER, "demo-customer", "customer@example.com", "デモ 顧客", "ja",
          "デモ顧客株式会社", NULL, 0, 0},
         "",
         0},
        {{USER_OFFICER, "demo-officer", "officer@example.com", "デモ 審査担当", "ja", "Shomei CA",
          NULL, 0, 0},
         "",
         0},
        {{USER_ADMIN, "demo-admin", "admin@example.com", "デモ 管理者", "ja", "Shomei CA", NULL, 0,
          0},
         "",
         0},
    };
    for (int i = 0; i < 4; i++) {
        int rc = account_create_user(db, &d[i].n, "system", &d[i].id, d[i].pw, e);
        if (rc < 0)
            return rc;
    }
    struct user_row reseller;
    int64_t managed = 0, ann = 0;
    int rc = user_get(db, d[0].id, &reseller, e);
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc == 0) {
        rc = make_org(db, "customer", "リセラー管理下の顧客株式会社", reseller.org_id, &managed, e);
        if (rc == 0)
            rc = account_audit(db, 0, "system", "org.create", "org", managed,
                               json_pack("{s:I}", "reseller_org_id", (json_int_t)reseller.org_id),
                               e);
        rc = account_finish(db, rc, e);
    }
    struct user_row admin;
    struct account_errors fe = {0};
    if (rc == 0)
        rc = user_get(db, d[3].id, &admin, e);
    if (rc == 0)
        rc = account_announce(db, &admin, "ポータルを公開しました", "The portal is open",
                              "証明書の申請をオンラインで受け付けています。",
                              "Certificate applications are now accepted online.", &fe, &ann, e);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 4; i++) {
        out[i].role = d[i].n.role;
        snprintf(out[i].login_id, sizeof out[i].login_id, "%s", d[i].n.login_id);
        memcpy(out[i].password, d[i].pw, sizeof out[i].password);
        sodium_memzero(d[i].pw, sizeof d[i].pw);
    }
    return 0;
}
