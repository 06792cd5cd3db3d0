/* SPDX-License-Identifier: MIT */
/* The route table: every URL the server answers, with its role, input flags and
 * authenticator. Order matters only among patterns that match the same path (first wins).
 * Routes of a common shape use the macros of web/router.h (GET_PAGE, POST_FORM, GET_API,
 * POST_API); any other is written out with designated initializers. */
#include "web/h_acme.h"
#include "web/h_mng.h"
#include "web/h_commerce.h"
#include "web/h_mpic.h"
#include "web/h_org.h"
#include "web/h_reissue.h"
#include "web/h_subscriptions.h"
#include "web/handlers.h"

/* One route a line (two for a written-out route), as in the .inc files. */
/* clang-format off */
const struct route web_routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = h_health,
     .role = ROLE_PUBLIC, .flags = RF_NODB, .auth = AUTH_NONE},
    GET_PAGE("/", h_home, ROLE_PUBLIC),
    {.method = "GET", .pattern = "/static/:name", .handler = h_static,
     .role = ROLE_PUBLIC, .flags = RF_CACHE, .auth = AUTH_NONE},
    GET_PAGE("/repository", h_repository_index, ROLE_PUBLIC),
    GET_PAGE("/repository/cps", h_document, ROLE_PUBLIC),
    GET_PAGE("/repository/subscriber-agreement", h_document, ROLE_PUBLIC),
    GET_PAGE("/repository/privacy", h_document, ROLE_PUBLIC),
    {.method = "GET", .pattern = "/repository/:name", .handler = h_repository,
     .role = ROLE_PUBLIC, .flags = RF_CACHE, .auth = AUTH_NONE},
    GET_PAGE("/tools/csr", h_csr_form, ROLE_PUBLIC),
    POST_FORM("/tools/csr", h_csr_check, ROLE_PUBLIC),
    POST_API("/api/v1/csr/check", h_api_csr_check, ROLE_PUBLIC),

    /* accounts (h_account.c) */
    GET_PAGE("/login", h_login_form, ROLE_PUBLIC),
    POST_FORM("/login", h_login, ROLE_PUBLIC),
    POST_FORM("/logout", h_logout, ROLE_CUSTOMER),
    GET_PAGE("/register", h_register_form, ROLE_PUBLIC),
    POST_FORM("/register", h_register, ROLE_PUBLIC),
    GET_PAGE("/password/forgot", h_forgot_form, ROLE_PUBLIC),
    POST_FORM("/password/forgot", h_forgot, ROLE_PUBLIC),
    GET_PAGE("/password/reset/:token", h_reset_form, ROLE_PUBLIC),
    POST_FORM("/password/reset/:token", h_reset, ROLE_PUBLIC),
    GET_PAGE("/dashboard", h_dashboard, ROLE_CUSTOMER),
    GET_PAGE("/account", h_account, ROLE_CUSTOMER),
    POST_FORM("/account/profile", h_account_profile, ROLE_CUSTOMER),
    POST_FORM("/account/login-id", h_account_login_id, ROLE_CUSTOMER),
    POST_FORM("/account/password", h_account_password, ROLE_CUSTOMER),
    GET_PAGE("/account/keys", h_keys, ROLE_CUSTOMER),
    POST_FORM("/account/keys", h_keys_create, ROLE_CUSTOMER),
    POST_FORM("/account/keys/:id/revoke", h_keys_revoke, ROLE_CUSTOMER),
    GET_PAGE("/admin/announcements", h_admin_announcements, ROLE_ADMIN),
    POST_FORM("/admin/announcements", h_admin_announce, ROLE_ADMIN),
    GET_API("/api/v1/me", h_api_me, ROLE_CUSTOMER),
/* Feature route lists, one file each (kept apart so features grow independently). */
#include "web/routes_portal.inc"
#include "web/routes_officer.inc"
#include "web/routes_certs.inc"
#include "web/routes_lifecycle.inc"
#include "web/routes_subscriptions.inc"
#include "web/routes_acme.inc"
#include "web/routes_reissue.inc"
#include "web/routes_mng.inc"
#include "web/routes_commerce.inc"
#include "web/routes_org.inc"
};
/* clang-format on */

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
