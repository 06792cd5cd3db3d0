/* SPDX-License-Identifier: MIT */
/* Handlers of subscriptions, continued issuance and renewal (routes_subscriptions.inc,
 * R-REN-2, R-REN-3, R-REN-6). */
#ifndef SM_WEB_H_SUBSCRIPTIONS_H
#define SM_WEB_H_SUBSCRIPTIONS_H
#include <jansson.h>
#include <stdint.h>

struct buf;
struct req;
struct portal;
struct sm_err;

void h_cert_continue(struct req *r);         /* POST /certificates/:serial/continue */
void h_cert_renew(struct req *r);            /* POST /certificates/:serial/renew */
void h_api_cert_subscription(struct req *r); /* GET /api/v1/certificates/:serial/subscription */
void h_api_cert_continue(struct req *r);     /* POST /api/v1/certificates/:serial/continue */
void h_api_cert_renew(struct req *r);        /* POST /api/v1/certificates/:serial/renew */

/* h_notify.c, R-MNG-5: the notification addresses of an order */
void h_order_notify_form(struct req *r); /* GET /orders/:id/notify */
void h_order_notify(struct req *r);      /* POST /orders/:id/notify */
void h_api_order_notify(struct req *r);  /* POST /api/v1/orders/:id/notify_emails */

/* The localized message of a refusal of ra/subscription (fields "renewal.*",
 * "continue.*", "subscription") appended to out: 1, or 0 when e is not one of them. */
int hs_err_text(struct buf *out, const char *lang, const struct sm_err *e);
/* Answers a refusal of ra/subscription (its message keys "sub.err.*"). */
void hs_reply_err(struct req *r, const struct sm_err *e);

/* The subscription of certificate cert_id for the certificate page (R-REN-6: the
 * subscription, its certificates and what comes next), or JSON false when it has none.
 * New reference. */
json_t *hs_cert_subscription(struct req *r, struct portal *p, int64_t cert_id);

#endif
