/* SPDX-License-Identifier: MIT */
/* Commerce pages (issue 12 items 3-5): quotes (R-QUO-1), the cart (R-CRT-1), invoices and
 * payment by transfer or card (R-PAY-1), price agreements and the billing issuer
 * (R-PRD-2, admin). Handlers of web/routes_commerce.inc. */
#ifndef SM_WEB_H_COMMERCE_H
#define SM_WEB_H_COMMERCE_H

struct req;

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
void h_admin_prices(struct req *r);
void h_admin_price_set(struct req *r);
void h_admin_price_remove(struct req *r);
void h_admin_issuer_set(struct req *r);

#endif
