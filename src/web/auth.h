/* SPDX-License-Identifier: MIT */
/* Who is asking (issue 7 item 5): the authenticator of each route (enum route_auth in
 * web/router.h) reads its credential and fills the request's user, then the route's role
 * is checked. The server calls web_auth_check once per request, after routing and before
 * the body is read; nothing else decides between session and API key. */
#ifndef SM_WEB_AUTH_H
#define SM_WEB_AUTH_H
#include "core/err.h"
#include "web/http.h"

/* Runs the route's authenticator, then checks its role (see enum route_role): 0 to go on,
 * or negative after answering (redirect to /login, 401, 404 below the role, 503 without a
 * database on a non-public route, 501 for a reserved authenticator, 500 for none). */
int web_auth_check(struct req *r);

/* The authenticator alone: fills r->user and r->cred when the credential is valid, leaves
 * the request anonymous when there is none or it is unknown (a stale session cookie is
 * dropped). Negative with e filled when the request must be refused as it is: the caller
 * answers with http_reply_err. Does not answer. */
int web_auth_identify(struct req *r, struct sm_err *e);

#endif
