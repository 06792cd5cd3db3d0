/* SPDX-License-Identifier: MIT */
/* Handlers of the ACME server (RFC 8555, issue 10; routes_acme.inc). */
#ifndef SM_WEB_H_ACME_H
#define SM_WEB_H_ACME_H

struct req;

void h_acme_directory(struct req *r);   /* GET /acme/directory */
void h_acme_new_nonce(struct req *r);   /* HEAD, GET /acme/new-nonce */
void h_acme_new_account(struct req *r); /* POST /acme/new-account */
void h_acme_account(struct req *r);     /* POST /acme/acct/:id */
void h_acme_key_change(struct req *r);  /* POST /acme/key-change */

#endif
