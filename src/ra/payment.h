/* SPDX-License-Identifier: MIT */
/* Payment of orders (R-PAY-1): confirmation by an officer, by card at once or by the
 * payment provider's callback (ra/payment.c). The order types are those of ra/order.h. */
#ifndef SM_RA_PAYMENT_H
#define SM_RA_PAYMENT_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ra/order.h"

/* Payment (R-PAY-1). Officer or callback: awaiting_payment → vetting with paid_at and
 * pay method ("officer", "callback", "card"). Repeating it on a paid order changes nothing
 * and returns 0 (callbacks are delivered at least once). */
int order_confirm_payment(const struct order_env *env, const struct order_actor *who, int64_t id,
                          const char *method, struct sm_err *e);
/* Verifies a callback signature: sig is "sha256=" and the lower- or upper-case hex
 * HMAC-SHA256 of body under secret (the prefix is required); compared in constant time.
 * 0, or -SM_E_FORBIDDEN (also for an empty secret). */
int order_payment_verify(const char *secret, const unsigned char *body, size_t len, const char *sig,
                         struct sm_err *e);
/* The callback POST /api/v1/payments: verifies the signature, reads
 * {"invoice_no":"BILL-...","amount":N} and confirms the payment of that invoice when the
 * amount matches (-SM_E_INVALID field "amount" otherwise; unknown invoice
 * -SM_E_NOTFOUND). *order_id (may be NULL) gets the order. */
int order_payment_callback(const struct order_env *env, const unsigned char *body, size_t len,
                           const char *sig, int64_t *order_id, struct sm_err *e);

/* The demo payment provider (a simulator page, never a real card): for order id in who's
 * scope that awaits payment, builds the callback body {"invoice_no","amount"} the provider
 * would send, signs it with env->hmac_secret as the provider does, and hands it to
 * order_payment_callback: the same verification and confirmation as a real callback.
 * -SM_E_CONFLICT field "invoice" when the order has no invoice or is not awaiting
 * payment; -SM_E_FORBIDDEN without a secret. */
int order_payment_simulate(const struct order_env *env, const struct order_actor *who, int64_t id,
                           struct sm_err *e);

#endif
