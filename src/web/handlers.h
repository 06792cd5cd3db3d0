/* SPDX-License-Identifier: MIT */
/* Every request handler and the route table that names them (routes.c).
 * A handler answers through web/http.h and returns; it keeps no statics. */
#ifndef SM_WEB_HANDLERS_H
#define SM_WEB_HANDLERS_H
#include <stddef.h>

#include "web/http.h"
#include "web/router.h"

extern const struct route web_routes[];
extern const size_t web_nroutes;

void h_health(struct req *r);           /* h_health.c */
void h_home(struct req *r);             /* h_home.c */
void h_static(struct req *r);           /* h_static.c */
void h_repository(struct req *r);       /* h_repository.c */
void h_repository_index(struct req *r); /* h_repository.c: documents, CA certificates, CRLs */
void h_document(struct req *r);         /* h_repository.c: CPS, subscriber agreement, privacy */
void h_csr_form(struct req *r);         /* h_csr.c */
void h_csr_check(struct req *r);        /* h_csr.c */
void h_api_csr_check(struct req *r);    /* h_csr.c */

/* h_account.c */
void h_login_form(struct req *r);
void h_login(struct req *r);
void h_logout(struct req *r);
void h_register_form(struct req *r);
void h_register(struct req *r);
void h_forgot_form(struct req *r);
void h_forgot(struct req *r);
void h_reset_form(struct req *r);
void h_reset(struct req *r);
void h_account(struct req *r);
void h_account_profile(struct req *r);
void h_account_login_id(struct req *r);
void h_account_password(struct req *r);
void h_keys(struct req *r);
void h_keys_create(struct req *r);
void h_keys_revoke(struct req *r);
void h_admin_announcements(struct req *r);
void h_admin_announce(struct req *r);
void h_dashboard(struct req *r);
void h_api_me(struct req *r);

#include "web/h_portal.h"    /* applications and orders of customers and resellers */
#include "web/h_officer.h"   /* vetting, payment and products for CA staff */
#include "web/h_certs.h"     /* certificate list, detail and downloads */
#include "web/h_lifecycle.h" /* revocation requests, OCSP, CRL URLs */

#endif
