/* SPDX-License-Identifier: MIT */
/* Payment of orders (R-PAY-1): confirmation by an officer, by card at once or by the
 * payment provider's callback, whose body is authenticated with HMAC-SHA256 under
 * [payment] hmac_secret and compared in constant time. See ra/payment.h. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/text.h"
#include "ra/payment.h"

static int do_pay(const struct order_env *env, const struct order_actor *who, struct order_row *o,
                  void *arg, struct sm_err *e)
{
    const char *method = arg;
    if (o->paid_at != 0)
        return 0; /* already confirmed: a repeated callback changes nothing */
    time_t now = clock_now();
    struct orders_state_set set = {.paid_at = now, .pay_method = method};
    int rc = orders_invoice_paid(env->db, o->id, now, e);
    if (rc == 0)
        rc = order_transition_tx(env, who, o, ORDER_VETTING, "paid", &set, NULL, e);
    return rc;
}

int order_confirm_payment(const struct order_env *env, const struct order_actor *who, int64_t id,
                          const char *method, struct sm_err *e)
{
    if (method == NULL || (strcmp(method, "officer") != 0 && strcmp(method, "callback") != 0 &&
                           strcmp(method, "card") != 0))
        return sm_err_set(e, SM_E_INVALID, "pay_method", "officer, callback or card");
    return order_with(env, who, id, 0, do_pay, (void *)method, e);
}

int order_payment_verify(const char *secret, const unsigned char *body, size_t len, const char *sig,
                         struct sm_err *e)
{
    unsigned char want[EVP_MAX_MD_SIZE], got[32];
    unsigned int wlen = 0;
    if (secret == NULL || secret[0] == '\0')
        return sm_err_set(e, SM_E_FORBIDDEN, "signature", "payment callback not configured");
    if (sig == NULL)
        return sm_err_set(e, SM_E_FORBIDDEN, "signature", "no signature");
    if (strncmp(sig, "sha256=", 7) != 0) /* the documented form only (issue 8 item 18) */
        return sm_err_set(e, SM_E_FORBIDDEN, "signature", "signature without sha256= prefix");
    sig += 7;
    if (text_unhex(got, sizeof got, sig) < 0)
        return sm_err_set(e, SM_E_FORBIDDEN, "signature", "malformed signature");
    static const unsigned char empty[1] = {0};
    if (HMAC(EVP_sha256(), secret, (int)strlen(secret), body ? body : empty, len, want, &wlen) ==
            NULL ||
        wlen != 32)
        return sm_err_openssl(e, "HMAC-SHA256");
    if (CRYPTO_memcmp(want, got, 32) != 0)
        return sm_err_set(e, SM_E_FORBIDDEN, "signature", "signature does not verify");
    return 0;
}

int order_payment_callback(const struct order_env *env, const unsigned char *body, size_t len,
                           const char *sig, int64_t *order_id, struct sm_err *e)
{
    int rc = order_payment_verify(env->hmac_secret, body, len, sig, e);
    if (rc < 0)
        return rc;
    json_error_t je;
    json_t *j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
    const char *inv = j ? json_string_value(json_object_get(j, "invoice_no")) : NULL;
    json_t *amt = j ? json_object_get(j, "amount") : NULL;
    struct order_row *o = NULL;
    if (inv == NULL)
        rc = sm_err_set(e, SM_E_INVALID, "invoice_no", "no invoice_no in callback");
    else if (!json_is_integer(amt))
        rc = sm_err_set(e, SM_E_INVALID, "amount", "no integer amount in callback");
    if (rc == 0)
        rc = orders_get_by_invoice(env->db, inv, &o, e);
    if (rc == 0 && json_integer_value(amt) != o->amount)
        rc = sm_err_set(e, SM_E_INVALID, "amount", "paid %lld, invoice %s is %lld",
                        (long long)json_integer_value(amt), inv, (long long)o->amount);
    if (rc == 0) {
        struct order_actor sys = {0, {1, NULL, 0}};
        rc = order_confirm_payment(env, &sys, o->id, "callback", e);
        if (rc == 0 && order_id != NULL)
            *order_id = o->id;
    }
    order_row_free(o);
    json_decref(j);
    return rc;
}

int order_payment_simulate(const struct order_env *env, const struct order_actor *who, int64_t id,
                           struct sm_err *e)
{
    struct order_row *o = NULL;
    int rc = orders_get(env->db, id, &who->scope, &o, e);
    if (rc < 0)
        return rc;
    if (o->invoice_no[0] == '\0' || strcmp(o->state, "awaiting_payment") != 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "invoice", "order %s does not await payment",
                        o->receipt_no);
    const char *secret = env->hmac_secret;
    if (rc == 0 && (secret == NULL || secret[0] == '\0'))
        rc = sm_err_set(e, SM_E_FORBIDDEN, "signature", "payment callback not configured");
    json_t *j = rc == 0 ? json_pack("{s:s, s:I}", "invoice_no", o->invoice_no, "amount",
                                    (json_int_t)o->amount)
                        : NULL;
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (rc == 0 && body == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    char sig[7 + 64 + 1] = "sha256=";
    if (rc == 0 && (HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)body,
                         strlen(body), mac, &mlen) == NULL ||
                    mlen != 32))
        rc = sm_err_openssl(e, "HMAC-SHA256");
    for (unsigned i = 0; rc == 0 && i < 32; i++)
        snprintf(sig + 7 + 2 * i, 3, "%02x", mac[i]);
    if (rc == 0)
        rc = order_payment_callback(env, (unsigned char *)body, strlen(body), sig, NULL, e);
    free(body);
    order_row_free(o);
    return rc;
}
