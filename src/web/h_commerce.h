/* SPDX-License-Identifier: MIT */
/* Commerce pages (issue 12 items 3-5): quotes (R-QUO-1), the cart (R-CRT-1), invoices and
 * payment by transfer or card (R-PAY-1), price agreements and the billing issuer
 * (R-PRD-2, admin). Handlers of web/routes_commerce.inc. */
#ifndef SM_WEB_H_COMMERCE_H
#define SM_WEB_H_COMMERCE_H

#include <jansson.h>

#include "core/err.h"
#include "doc/pdf.h"
#include "ra/quote.h"

struct req;
struct portal;

/* Answers the PDF of q (a quote or an invoice). */
void commerce_reply_pdf(struct req *r, const struct quote *q, enum pdf_kind kind);
/* Quotes (and stores) the whole cart of p's user, addressed to recipient (NULL = the
 * organization). -SM_E_INVALID field "cart" when it is empty or too long. */
int commerce_quote_cart(struct portal *p, const char *recipient, struct quote *q, struct sm_err *e);

void h_quote_form(struct req *r);
void h_quote_pdf(struct req *r);
void h_cart(struct req *r);
void h_cart_add(struct req *r);
void h_cart_remove(struct req *r);
void h_cart_attach(struct req *r);
void h_cart_quote(struct req *r);
void h_cart_checkout(struct req *r);
void h_order_pay(struct req *r);
void h_order_invoice(struct req *r);
void h_paysim_form(struct req *r);
void h_paysim(struct req *r);
/* R-CRT-1 on the dashboard (issue 12 item 1): the user's unfinished cart items with the
 * link that registers each one's application; false for staff. Its own read of the cart. */
json_t *commerce_cart_unfinished(struct req *r, struct portal *p);
void h_quote_show(struct req *r);     /* GET /quotes/:number (the stored quote's PDF) */
void h_account_quotes(struct req *r); /* GET /account/quotes */
void h_api_quotes(struct req *r);     /* GET /api/v1/quotes */
void h_api_quote_create(struct req *r);
void h_api_quote_get(struct req *r);
void h_api_cart_items(struct req *r);
void h_api_cart_add(struct req *r);
void h_api_cart_remove(struct req *r);
void h_admin_prices(struct req *r);
void h_admin_price_set(struct req *r);
void h_admin_price_remove(struct req *r);
void h_admin_issuer_set(struct req *r);

#endif
