/* SPDX-License-Identifier: MIT */
/* Handlers of the ACME server (RFC 8555, issue 10; routes_acme.inc). */
#ifndef SM_WEB_H_ACME_H
#define SM_WEB_H_ACME_H

#include <stddef.h>

#include "ra/acme.h"

struct req;

#define URL_MAX 512
/* base_url without a trailing slash, followed by path. */
void acme_url(const struct req *r, const char *path, char *out, size_t n);
/* The AUTH_JWS step of every POST (Replay-Nonce and the directory Link on whatever is
 * answered, the JWS checked by ra/acme): 0 with q filled, or negative after answering. */
int acme_begin(struct req *r, enum acme_key_by by, struct acme_request *q);

void h_acme_directory(struct req *r);    /* GET /acme/directory */
void h_acme_new_nonce(struct req *r);    /* HEAD, GET /acme/new-nonce */
void h_acme_new_account(struct req *r);  /* POST /acme/new-account */
void h_acme_account(struct req *r);      /* POST /acme/acct/:id */
void h_acme_key_change(struct req *r);   /* POST /acme/key-change */
void h_acme_revoke_cert(struct req *r);  /* POST /acme/revoke-cert (h_acme_revoke.c) */
void h_acme_renewal_info(struct req *r); /* GET /acme/renewal-info/:id (h_acme_ari.c) */
void h_acme_eab(struct req *r);          /* GET /account/acme (h_acme_eab.c) */
void h_acme_eab_create(struct req *r);   /* POST /account/acme */
void h_acme_eab_revoke(struct req *r);   /* POST /account/acme/:kid/revoke */
/* h_acme_order.c: orders, authorizations, challenges, certificates (RFC 8555 7.4, 7.5) */
void h_acme_new_order(struct req *r); /* POST /acme/new-order */
void h_acme_order(struct req *r);     /* POST /acme/order/:id */
void h_acme_finalize(struct req *r);  /* POST /acme/order/:id/finalize */
void h_acme_authz(struct req *r);     /* POST /acme/authz/:id */
void h_acme_challenge(struct req *r); /* POST /acme/chall/:id/:type */
void h_acme_cert(struct req *r);      /* POST /acme/cert/:id */
void h_acme_cert_alt(struct req *r);  /* POST /acme/cert/:id/b: the chain to root B */

#endif
