/* SPDX-License-Identifier: MIT */
/* Placing an order (R-APP-1..7, R-CSR-2, R-VAL-1 choice of method, R-PAY-1): the one door
 * of the application wizard and of POST /api/v1/orders. order_apply finds the product,
 * checks that the applying organization is the actor's, checks the application
 * (ra/appform), then in ONE transaction creates the order with its domains, sets the DCV
 * method of each name asked for, writes the audit records and queues the mails
 * (order_create_then). A refusal changes nothing. No SQL here, no HTTP. */
#ifndef SM_RA_ORDER_APPLY_H
#define SM_RA_ORDER_APPLY_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ra/appform.h"
#include "ra/order.h"
#include "store/products.h"

struct config;

/* The method of one name ("dns", "http", "email:LOCAL[@ADN]"), set on top of the
 * application's method (appform_in.dcv_method, which every name gets first). */
struct order_apply_dcv {
    const char *name;
    const char *method;
};

struct order_application {
    const char *product;               /* catalog code of an active product */
    int64_t org_id;                    /* the applying organization (in the actor's scope) */
    const struct appform_in *form;     /* the fields as entered; form->kind NULL/"" = "new" */
    const struct order_apply_dcv *dcv; /* methods of single names; may be NULL */
    size_t ndcv;
    const char *idem_key;   /* one per form display; NULL = a random one (a new order) */
    const char *pay_method; /* "invoice" (NULL) or "card" */
    int draft;              /* 1: save as draft */
    /* R-APP-1 renewal (R-REN-2, R-REN-3): the serial of a certificate whose subscription
     * this application renews (kind "renewal"; what it may not change is refused with
     * -SM_E_POLICY field "renewal.forbidden"), or replaces with a new application (kind
     * "new"; its days left are carried over at issuance). NULL/"" = neither. The refusals
     * of subscription_source (ra/subscription.h); a renewal under way is returned as the
     * earlier submission (created 0). */
    const char *renewal_of, *replaces;
    int caller_errors; /* field errors the caller found reading the request (the API's
                          kind, notify_emails): > 0 refuses the application after the
                          form check, so both are reported together */
};

/* What order_apply found. Free with order_applied_free (also after a refusal). */
struct order_applied {
    struct product_row product; /* valid when have_product */
    int have_product;
    struct appform_result form; /* valid when checked: the form's errors of a refusal */
    int checked;
    size_t dcv_bad;          /* field "dcv_methods": the index in dcv of the refused one */
    struct order_row *order; /* the order placed (or found by idem_key); owned */
    int created;             /* 1 placed now, 0 an earlier submission with the same key */
};

/* Places the order of application a for actor who. 0 with out->order, or:
 *   -SM_E_INVALID field "product": no active product with that code;
 *   -SM_E_INVALID field "org_id": no organization of that id in the actor's scope;
 *   -SM_E_INVALID field "form": the application has errors (out->form.errors; out->form.
 *     ineligible for an ineligible one) or a->caller_errors > 0;
 *   -SM_E_INVALID or -SM_E_DCV_METHOD field "dcv_methods": a->dcv[out->dcv_bad] is an
 *     unknown method, a name not in the application, or a method not allowed for that name
 *     or date (DCV_METHOD);
 *   the refusals of order_create (maintenance, idem_key, pay_method) and database errors.
 * An earlier submission with the same key returns that order with created 0 and sets no
 * methods. */
int order_apply(const struct order_env *env, const struct order_actor *who,
                const struct config *cfg, const struct order_application *a,
                struct order_applied *out, struct sm_err *e);
void order_applied_free(struct order_applied *out);

#endif
