/* SPDX-License-Identifier: MIT */
/* The route table: every URL the server answers, with its role and input flags.
 * Order matters only among patterns that match the same path (first wins). */
#include "web/handlers.h"

const struct route web_routes[] = {
    {"GET", "/healthz", h_health, ROLE_PUBLIC, 0},
    {"GET", "/", h_home, ROLE_PUBLIC, 0},
    {"GET", "/static/:name", h_static, ROLE_PUBLIC, RF_CACHE},
    {"GET", "/repository/:name", h_repository, ROLE_PUBLIC, RF_CACHE},
    {"GET", "/tools/csr", h_csr_form, ROLE_PUBLIC, 0},
    {"POST", "/tools/csr", h_csr_check, ROLE_PUBLIC, RF_FORM | RF_CSRF},
    {"POST", "/api/v1/csr/check", h_api_csr_check, ROLE_PUBLIC, RF_API | RF_BODY},
};

const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
