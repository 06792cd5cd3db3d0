/* SPDX-License-Identifier: MIT */
/* The route table: every URL the server answers, with its role and input flags.
 * Order matters only among patterns that match the same path (first wins). */
#include "web/h_subscriptions.h"
#include "web/handlers.h"

const struct route web_routes[] = {
    {"GET", "/healthz", h_health, ROLE_PUBLIC, RF_NODB},
    {"GET", "/", h_home, ROLE_PUBLIC, 0},
    {"GET", "/static/:name", h_static, ROLE_PUBLIC, RF_CACHE},
    {"GET", "/repository/cps", h_document, ROLE_PUBLIC, 0},
    {"GET", "/repository/subscriber-agreement", h_document, ROLE_PUBLIC, 0},
    {"GET", "/repository/privacy", h_document, ROLE_PUBLIC, 0},
    {"GET", "/repository/:name", h_repository, ROLE_PUBLIC, RF_CACHE},
    {"GET", "/tools/csr", h_csr_form, ROLE_PUBLIC, 0},
    {"POST", "/tools/csr", h_csr_check, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"POST", "/api/v1/csr/check", h_api_csr_check, ROLE_PUBLIC, RF_API | RF_BODY},

    /* accounts (h_account.c) */
    {"GET", "/login", h_login_form, ROLE_PUBLIC, 0},
    {"POST", "/login", h_login, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"POST", "/logout", h_logout, ROLE_CUSTOMER, RF_FORM | RF_CSRF},
    {"GET", "/register", h_register_form, ROLE_PUBLIC, 0},
    {"POST", "/register", h_register, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"GET", "/password/forgot", h_forgot_form, ROLE_PUBLIC, 0},
    {"POST", "/password/forgot", h_forgot, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"GET", "/password/reset/:token", h_reset_form, ROLE_PUBLIC, 0},
    {"POST", "/password/reset/:token", h_reset, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"GET", "/dashboard", h_dashboard, ROLE_CUSTOMER, 0},
    {"GET", "/account", h_account, ROLE_CUSTOMER, 0},
    {"POST", "/account/profile", h_account_profile, ROLE_CUSTOMER, RF_FORM | RF_CSRF},
    {"POST", "/account/login-id", h_account_login_id, ROLE_CUSTOMER, RF_FORM | RF_CSRF},
    {"POST", "/account/password", h_account_password, ROLE_CUSTOMER, RF_FORM | RF_CSRF},
    {"GET", "/account/keys", h_keys, ROLE_CUSTOMER, 0},
    {"POST", "/account/keys", h_keys_create, ROLE_CUSTOMER, RF_FORM | RF_CSRF},
    {"POST", "/account/keys/:id/revoke", h_keys_revoke, ROLE_CUSTOMER, RF_FORM | RF_CSRF},
    {"GET", "/admin/announcements", h_admin_announcements, ROLE_ADMIN, 0},
    {"POST", "/admin/announcements", h_admin_announce, ROLE_ADMIN, RF_FORM | RF_CSRF},
    {"GET", "/api/v1/me", h_api_me, ROLE_CUSTOMER, RF_API},
/* Feature route lists, one file each (kept apart so features grow independently). */
#include "web/routes_portal.inc"
#include "web/routes_officer.inc"
#include "web/routes_certs.inc"
#include "web/routes_lifecycle.inc"
#include "web/routes_subscriptions.inc"
};

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
