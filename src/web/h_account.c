/* SPDX-License-Identifier: MIT */
/* Account pages (R-ACT-1..3): login with announcements, logout, registration, password
 * reset by mail, the account page (profile, login id, password), API keys, the admins'
 * announcements page, the dashboard (menu of the portal) and GET /api/v1/me. Thin: read the form,
 * call ra/account, render. Form errors answer 422 with the message beside each field;
 * nothing is saved then. Passwords are never echoed back. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/announce.h"
#include "ra/apikey.h"
#include "ra/login.h"
#include "ra/reset.h"
#include "store/announcements.h"
#include "web/handlers.h"
#include "web/i18n.h"

/* ---- helpers ---- */

struct fv {
    const char *name, *value; /* value NULL = from the form (passwords: never shown) */
};

/* {"name": {"v": value, "err": message or ""}, ...} for a form's fields. */
static json_t *fieldset(struct req *r, const struct fv *f, size_t n,
                        const struct account_errors *fe)
{
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < n; i++) {
        const char *v = f[i].value;
        if (v == NULL)
            v = strstr(f[i].name, "password") ? "" : req_form_text(r, f[i].name);
        const char *key = account_error(fe, f[i].name);
        json_t *x =
            json_pack("{s:s, s:s}", "v", v ? v : "", "err", key ? i18n_text(r->lang, key) : "");
        if (x == NULL || json_object_set_new(o, f[i].name, x) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *locale_choice(const char *locale)
{
    return json_pack("{s:b, s:b}", "ja", strcmp(locale ? locale : "", "ja") == 0, "en",
                     strcmp(locale ? locale : "", "en") == 0);
}

/* A local path to go to after login: next when it is one ("/x", not "//"), else
 * /dashboard. Control characters are refused anywhere: browsers drop tabs and line
 * breaks from a Location, so "/\t/host" would become "//host", another site. */
static const char *safe_next(const char *next)
{
    if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strlen(next) > 512 ||
        strncmp(next, "/login", 6) == 0)
        return "/dashboard";
    for (const unsigned char *s = (const unsigned char *)next; *s; s++)
        if (*s < 0x20 || *s == 0x7f)
            return "/dashboard";
    return next;
}

static int parse_id(const char *s, int64_t *out)
{
    if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0)
        return -1;
    *out = v;
    return 0;
}

static void date_of(int64_t t, char out[16])
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

/* "YYYY-MM-DD HH:MM JST" */
static void tokyo_minute(int64_t t, char *out, size_t n)
{
    char day[16];
    date_of(t, day);
    int64_t local = t + 9 * 3600;
    snprintf(out, n, "%s %02u:%02u JST", day, (unsigned)((local / 3600) % 24),
             (unsigned)((local / 60) % 60));
}

/* Answers 500 for an unexpected failure of ra/ or store/ (logged). */
static void internal(struct req *r, const char *what, const struct sm_err *e)
{
    log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    http_reply_error(r, e->code == SM_E_NOMEM ? 503 : 500,
                     e->code == SM_E_NOMEM ? "err.nomem" : "err.internal", NULL);
}

/* The newest announcements in the request language. */
static json_t *announcements(struct req *r, struct db *db, size_t limit)
{
    struct announcement_row *a = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    json_t *arr = json_array();
    if (announcement_list(db, limit, &a, &n, &e) < 0) {
        log_error("announcements unavailable", "detail", e.detail);
        return arr;
    }
    int ja = strcmp(r->lang, "ja") == 0;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char date[16];
        date_of(a[i].published_at, date);
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)a[i].id, "date",
                                        date, "title", ja ? a[i].title_ja : a[i].title_en, "body",
                                        ja ? a[i].body_ja : a[i].body_en));
    }
    announcement_rows_free(a, n);
    return arr;
}

/* ---- login and logout ---- */

/* failed: 0 none, 1 wrong credentials, 2 locked until locked_until (issue 8 item 9) */
static void login_page_locked(struct req *r, int status, const char *next, int failed,
                              int64_t locked_until);

static void login_page(struct req *r, int status, const char *next, int failed)
{
    login_page_locked(r, status, next, failed, 0);
}

static void login_page_locked(struct req *r, int status, const char *next, int failed,
                              int64_t locked_until)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    const char *flash = NULL;
    if (req_query(r, "registered"))
        flash = "account.flash.registered";
    else if (req_query(r, "reset"))
        flash = "account.flash.reset_done";
    else if (req_query(r, "bye"))
        flash = "account.flash.logged_out";
    struct fv f[] = {{"login_id", NULL}};
    json_t *d = json_pack("{s:o, s:s, s:b, s:s, s:o, s:b}", "f", fieldset(r, f, 1, NULL), "next",
                          safe_next(next), "failed", failed == 1, "flash",
                          flash ? i18n_text(r->lang, flash) : "", "announcements",
                          announcements(r, db, 10), "registration", r->web->acct.registration);
    struct buf lk = BUF_INIT, fail = BUF_INIT;
    if (failed == 2) {
        char until[40];
        int64_t t = locked_until + 59; /* "until HH:MM": round up to the minute */
        tokyo_minute(t - t % 60, until, sizeof until);
        i18n_format(&lk, r->lang, "account.err.locked", until);
    }
    /* the lock's duration, for everyone: it tells nothing about any id */
    char mins[24];
    snprintf(mins, sizeof mins, "%lld", (long long)((r->web->acct.lock_seconds + 59) / 60));
    i18n_format(&fail, r->lang, "account.err.lock_policy", mins);
    json_object_set_new(d, "locked", json_string(lk.p ? lk.p : ""));
    json_object_set_new(d, "lock_policy", json_string(fail.p ? fail.p : ""));
    buf_free(&lk);
    buf_free(&fail);
    http_reply_page(r, status, "login", "account.login.title", d);
}

void h_login_form(struct req *r)
{
    if (req_user(r) != NULL) {
        http_redirect(r, 303, safe_next(req_query(r, "next")));
        return;
    }
    login_page(r, 200, req_query(r, "next"), 0);
}

void h_login(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    const char *next = req_form_text(r, "next");
    struct user_row u;
    char token[ACCOUNT_TOKEN_SIZE];
    struct sm_err e = {0};
    int rc = account_login(db, &r->web->acct, req_form_text(r, "login_id"),
                           req_form_text(r, "password"), &u, token, &e);
    if (rc == -SM_E_FORBIDDEN) {
        int locked = strcmp(e.field, "locked") == 0;
        login_page_locked(r, 422, next, locked ? 2 : 1, locked ? u.locked_until : 0);
        return;
    }
    if (rc < 0) {
        internal(r, "login failed", &e);
        return;
    }
    rc = http_set_cookie(r, SESSION_COOKIE, token, -1);
    sodium_memzero(token, sizeof token);
    req_csrf_rotate(r);
    if (rc < 0) {
        http_reply_error(r, 500, "err.internal", NULL);
        return;
    }
    http_redirect(r, 303, safe_next(next));
}

void h_logout(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct sm_err e = {0};
    if (r->cred == CRED_SESSION && account_logout(db, &r->user, r->session_hash, &e) < 0) {
        internal(r, "logout failed", &e);
        return;
    }
    http_set_cookie(r, SESSION_COOKIE, "", 0);
    req_csrf_rotate(r);
    http_redirect(r, 303, "/login?bye=1");
}

/* ---- registration ---- */

static const struct fv reg_fields[] = {{"login_id", NULL},     {"email", NULL},
                                       {"display_name", NULL}, {"org_name", NULL},
                                       {"password", NULL},     {"password_confirm", NULL}};

static void register_page(struct req *r, int status, const struct account_errors *fe,
                          const char *locale)
{
    json_t *d = json_pack("{s:o, s:o}", "f",
                          fieldset(r, reg_fields, sizeof reg_fields / sizeof reg_fields[0], fe),
                          "locale", locale_choice(locale));
    if (d != NULL && fe != NULL) {
        const char *k = account_error(fe, "locale");
        json_object_set_new(d, "locale_err", json_string(k ? i18n_text(r->lang, k) : ""));
    } else if (d != NULL) {
        json_object_set_new(d, "locale_err", json_string(""));
    }
    http_reply_page(r, status, "register", "account.register.title", d);
}

void h_register_form(struct req *r)
{
    if (!r->web->acct.registration) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    register_page(r, 200, NULL, r->lang);
}

void h_register(struct req *r)
{
    if (!r->web->acct.registration) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct account_reg g = {req_form_text(r, "login_id"),     req_form_text(r, "email"),
                            req_form_text(r, "password"),     req_form_text(r, "password_confirm"),
                            req_form_text(r, "display_name"), req_form_text(r, "locale"),
                            req_form_text(r, "org_name")};
    if (g.password_confirm == NULL)
        g.password_confirm = "";
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int64_t id = 0;
    int rc = account_register(db, &r->web->acct, &g, &fe, &id, &e);
    if (rc == -SM_E_INVALID) {
        register_page(r, 422, &fe, g.locale);
        return;
    }
    if (rc < 0) {
        internal(r, "registration failed", &e);
        return;
    }
    struct user_row u;
    char token[ACCOUNT_TOKEN_SIZE];
    if (account_login(db, &r->web->acct, g.login_id, g.password, &u, token, &e) == 0 &&
        http_set_cookie(r, SESSION_COOKIE, token, -1) == 0) {
        sodium_memzero(token, sizeof token);
        req_csrf_rotate(r);
        http_redirect(r, 303, "/dashboard");
        return;
    }
    http_redirect(r, 303, "/login?registered=1");
}

/* ---- password reset ---- */

static void forgot_page(struct req *r, int status, int sent, const struct account_errors *fe)
{
    struct fv f[] = {{"login_id", NULL}};
    json_t *d = json_pack("{s:o, s:b}", "f", fieldset(r, f, 1, fe), "sent", sent);
    http_reply_page(r, status, "password_forgot", "account.forgot.title", d);
}

void h_forgot_form(struct req *r) { forgot_page(r, 200, 0, NULL); }

void h_forgot(struct req *r)
{
    const char *login = req_form_text(r, "login_id");
    if (login == NULL || *login == '\0') {
        struct account_errors fe = {1, {{"login_id", "account.err.login_required"}}};
        forgot_page(r, 422, 0, &fe);
        return;
    }
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct sm_err e = {0};
    if (account_reset_request(db, &r->web->acct, login, &e) < 0) {
        internal(r, "password reset request failed", &e);
        return;
    }
    forgot_page(r, 200, 1, NULL);
}

static void reset_page(struct req *r, int status, int valid, const struct account_errors *fe)
{
    struct fv f[] = {{"password", NULL}, {"password_confirm", NULL}};
    json_t *d = json_pack("{s:o, s:b, s:s}", "f", fieldset(r, f, 2, fe), "valid", valid, "token",
                          req_param(r, "token") ? req_param(r, "token") : "");
    http_reply_page(r, status, "password_reset", "account.reset.title", d);
}

void h_reset_form(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct sm_err e = {0};
    int rc = account_reset_check(db, req_param(r, "token"), &e);
    if (rc < 0 && rc != -SM_E_NOTFOUND) {
        internal(r, "reset check failed", &e);
        return;
    }
    reset_page(r, rc == 0 ? 200 : 404, rc == 0, NULL);
}

void h_reset(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct account_errors fe = {0};
    struct sm_err e = {0};
    const char *confirm = req_form_text(r, "password_confirm");
    int rc = account_reset_confirm(db, req_param(r, "token"), req_form_text(r, "password"),
                                   confirm ? confirm : "", &fe, &e);
    if (rc == -SM_E_NOTFOUND)
        reset_page(r, 404, 0, NULL);
    else if (rc == -SM_E_INVALID)
        reset_page(r, 422, 1, &fe);
    else if (rc < 0)
        internal(r, "password reset failed", &e);
    else
        http_redirect(r, 303, "/login?reset=1");
}

/* ---- the account page ---- */

enum acct_form { AF_NONE, AF_PROFILE, AF_LOGIN, AF_PASSWORD };

static void account_page(struct req *r, int status, enum acct_form which,
                         const struct account_errors *fe)
{
    const struct user_row *u = req_user(r);
    int p = which == AF_PROFILE;
    struct fv pf[] = {{"display_name", p ? NULL : u->display_name}, {"email", p ? NULL : u->email}};
    struct fv lf[] = {{"login_id", which == AF_LOGIN ? NULL : u->login_id},
                      {"current_password", NULL}};
    struct fv wf[] = {{"current_password", NULL}, {"password", NULL}, {"password_confirm", NULL}};
    const char *locale = p ? req_form_text(r, "locale") : u->locale;
    const char *lk = p ? account_error(fe, "locale") : NULL;
    const char *saved = req_query(r, "saved");
    const char *flash = NULL;
    if (saved && strcmp(saved, "profile") == 0)
        flash = "account.flash.profile";
    else if (saved && strcmp(saved, "login_id") == 0)
        flash = "account.flash.login_id";
    else if (saved && strcmp(saved, "password") == 0)
        flash = "account.flash.password";
    json_t *d =
        json_pack("{s:o, s:o, s:o, s:o, s:s, s:s, s:s}", "pf", fieldset(r, pf, 2, p ? fe : NULL),
                  "lf", fieldset(r, lf, 2, which == AF_LOGIN ? fe : NULL), "wf",
                  fieldset(r, wf, 3, which == AF_PASSWORD ? fe : NULL), "locale",
                  locale_choice(locale), "locale_err", lk ? i18n_text(r->lang, lk) : "", "flash",
                  flash ? i18n_text(r->lang, flash) : "", "role",
                  i18n_text(r->lang, u->role == USER_ADMIN      ? "account.role.admin"
                                     : u->role == USER_OFFICER  ? "account.role.officer"
                                     : u->role == USER_RESELLER ? "account.role.reseller"
                                                                : "account.role.customer"));
    http_reply_page(r, status, "account", "account.page.title", d);
}

void h_account(struct req *r) { account_page(r, 200, AF_NONE, NULL); }

/* Runs one of the three account forms; rc/fe from ra decide the answer. */
static void account_done(struct req *r, int rc, enum acct_form which,
                         const struct account_errors *fe, const struct sm_err *e, const char *saved)
{
    if (rc == -SM_E_INVALID) {
        account_page(r, 422, which, fe);
    } else if (rc < 0) {
        internal(r, "account change failed", e);
    } else {
        char loc[64];
        snprintf(loc, sizeof loc, "/account?saved=%s", saved);
        http_redirect(r, 303, loc);
    }
}

void h_account_profile(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int rc = account_change_profile(db, req_user(r), req_form_text(r, "display_name"),
                                    req_form_text(r, "email"), req_form_text(r, "locale"), &fe, &e);
    account_done(r, rc, AF_PROFILE, &fe, &e, "profile");
}

void h_account_login_id(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int rc = account_change_login_id(db, &r->web->acct, req_user(r),
                                     req_form_text(r, "current_password"),
                                     req_form_text(r, "login_id"), &fe, &e);
    account_done(r, rc, AF_LOGIN, &fe, &e, "login_id");
}

void h_account_password(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct account_errors fe = {0};
    struct sm_err e = {0};
    const char *confirm = req_form_text(r, "password_confirm");
    int rc = account_change_password(db, &r->web->acct, req_user(r),
                                     req_form_text(r, "current_password"),
                                     req_form_text(r, "password"), confirm ? confirm : "",
                                     r->cred == CRED_SESSION ? r->session_hash : NULL, &fe, &e);
    account_done(r, rc, AF_PASSWORD, &fe, &e, "password");
}

/* ---- API keys ---- */

static void keys_page(struct req *r, int status, const char *new_key, const char *label_err)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct api_key_row *k = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (apikey_list(db, req_user(r)->id, &k, &n, &e) < 0) {
        internal(r, "api key list failed", &e);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char created[16], used[16] = "";
        date_of(k[i].created_at, created);
        if (k[i].last_used)
            date_of(k[i].last_used, used);
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)k[i].id,
                                        "prefix", k[i].prefix, "label", k[i].label, "created",
                                        created, "used", used, "revoked", k[i].revoked_at != 0));
    }
    free(k);
    struct fv f[] = {{"label", new_key ? "" : NULL}};
    json_t *d =
        json_pack("{s:o, s:s, s:o, s:b}", "f", fieldset(r, f, 1, NULL), "new_key",
                  new_key ? new_key : "", "keys", arr, "revoked", req_query(r, "revoked") != NULL);
    if (d != NULL && label_err != NULL)
        json_object_set_new(json_object_get(json_object_get(d, "f"), "label"), "err",
                            json_string(i18n_text(r->lang, label_err)));
    http_reply_page(r, status, "account_keys", "account.keys.title", d);
}

void h_keys(struct req *r) { keys_page(r, 200, NULL, NULL); }

void h_keys_create(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    char key[ACCOUNT_APIKEY_SIZE];
    int64_t id;
    struct sm_err e = {0};
    int rc = account_apikey_create(db, req_user(r), req_form_text(r, "label"), key, &id, &e);
    if (rc == -SM_E_INVALID) {
        keys_page(r, 422, NULL, "account.err.label");
        return;
    }
    if (rc < 0) {
        internal(r, "api key creation failed", &e);
        return;
    }
    keys_page(r, 201, key, NULL);
    sodium_memzero(key, sizeof key);
}

void h_keys_revoke(struct req *r)
{
    int64_t id;
    if (parse_id(req_param(r, "id"), &id) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct sm_err e = {0};
    int rc = account_apikey_revoke(db, req_user(r), id, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "web.notfound", NULL);
    else if (rc < 0)
        internal(r, "api key revocation failed", &e);
    else
        http_redirect(r, 303, "/account/keys?revoked=1");
}

/* ---- announcements (admins) ---- */

static const struct fv ann_fields[] = {
    {"title_ja", NULL}, {"title_en", NULL}, {"body_ja", NULL}, {"body_en", NULL}};

static void ann_page(struct req *r, int status, const struct account_errors *fe, int clear)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct fv f[4];
    memcpy(f, ann_fields, sizeof f);
    for (int i = 0; clear && i < 4; i++)
        f[i].value = "";
    json_t *d = json_pack("{s:o, s:o, s:b}", "f", fieldset(r, f, 4, fe), "announcements",
                          announcements(r, db, 50), "posted", req_query(r, "posted") != NULL);
    http_reply_page(r, status, "admin_announcements", "account.ann.title", d);
}

void h_admin_announcements(struct req *r) { ann_page(r, 200, NULL, 1); }

void h_admin_announce(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct account_errors fe = {0};
    struct sm_err e = {0};
    int64_t id;
    int rc = account_announce(db, req_user(r), req_form_text(r, "title_ja"),
                              req_form_text(r, "title_en"), req_form_text(r, "body_ja"),
                              req_form_text(r, "body_en"), &fe, &id, &e);
    if (rc == -SM_E_INVALID)
        ann_page(r, 422, &fe, 0);
    else if (rc == -SM_E_FORBIDDEN)
        http_reply_error(r, 404, "web.notfound", NULL);
    else if (rc < 0)
        internal(r, "announcement failed", &e);
    else
        http_redirect(r, 303, "/admin/announcements?posted=1");
}

/* ---- dashboard and API ---- */

void h_api_me(struct req *r)
{
    const struct user_row *u = req_user(r);
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)u->id, "login_id",
                  u->login_id, "display_name", u->display_name, "email", u->email, "role",
                  user_role_name(u->role), "locale", u->locale, "org_id", (json_int_t)u->org_id);
    http_reply_json(r, 200, j);
}
