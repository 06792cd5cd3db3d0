/* SPDX-License-Identifier: MIT */
/* R-MNG-5: the notification e-mail addresses (発行通知E-Mail 1-3, R-APP-3) of an order
 * changed as an operation of its own, audited. The addresses get the order's notices and,
 * for a certificate in a subscription, the reminders of R-REN-1 (ra/subscription.c sends
 * them to the addresses of the subscription's latest order), so a change made on any order
 * of a subscription is made on every order of it, the renewal in progress included. */
#ifndef SM_RA_NOTIFYADDR_H
#define SM_RA_NOTIFYADDR_H
#include <stdint.h>

#include "core/err.h"
#include "ra/order.h"

/* Sets the addresses of order order_id (in who's scope; else -SM_E_NOTFOUND) to emails
 * (up to 3; NULL or "" = none; repeated addresses kept once). Each given address must pass
 * text_email_ok (-SM_E_INVALID, field "notify_email1".."notify_email3", detail the address);
 * at least one is needed (-SM_E_INVALID field "notify_email1", detail ""). Writes the
 * addresses of every order of the order's subscription and one audit record
 * "order.notify_changed" {"from","to","orders"} in one transaction. *changed (may be NULL)
 * gets 0 when the addresses were already these (nothing written). */
int order_set_notify_emails(const struct order_env *env, const struct order_actor *who,
                            int64_t order_id, const char *const emails[3], int *changed,
                            struct sm_err *e);

#endif
