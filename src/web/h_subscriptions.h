/* SPDX-License-Identifier: MIT */
/* Handlers of subscriptions, continued issuance and renewal (routes_subscriptions.inc,
 * R-REN-2, R-REN-3, R-REN-6). */
#ifndef SM_WEB_H_SUBSCRIPTIONS_H
#define SM_WEB_H_SUBSCRIPTIONS_H
#include <jansson.h>
#include <stdint.h>

struct req;
struct portal;

void h_cert_continue(struct req *r);         /* POST /certificates/:serial/continue */
void h_cert_renew(struct req *r);            /* POST /certificates/:serial/renew */
void h_api_cert_subscription(struct req *r); /* GET /api/v1/certificates/:serial/subscription */
void h_api_cert_continue(struct req *r);     /* POST /api/v1/certificates/:serial/continue */
void h_api_cert_renew(struct req *r);        /* POST /api/v1/certificates/:serial/renew */

/* The subscription of certificate cert_id for the certificate page (R-REN-6: the
 * subscription, its certificates and what comes next), or JSON false when it has none.
 * New reference. */
json_t *hs_cert_subscription(struct req *r, struct portal *p, int64_t cert_id);

#endif
