/* SPDX-License-Identifier: MIT */
/* Handlers of the officer queue, the order review page, payment confirmation and the admin
 * product pages (routes_officer.inc). h_officer.c: the queue and the order page;
 * h_officer_act.c: the actions on an order and its documents; h_officer_products.c: the
 * product catalog of admins. */
#ifndef SM_WEB_H_OFFICER_H
#define SM_WEB_H_OFFICER_H
#include <stdint.h>

struct req;
struct portal;
struct sm_err;

/* h_officer.c */
void h_officer_queue(struct req *r);
void h_officer_order(struct req *r);
/* The order page of order id with status; err (may be NULL) is the failed action's error
 * shown in a banner, and in the check form beside its field when it names one. */
void officer_order_page(struct req *r, struct portal *p, int64_t id, int status,
                        const struct sm_err *err);
/* The :id parameter as an order id, or -1. */
int64_t officer_param_id(struct req *r, const char *name);

/* h_officer_act.c */
void h_officer_pay(struct req *r);
void h_officer_check(struct req *r);
void h_officer_hold(struct req *r);
void h_officer_resume(struct req *r);
void h_officer_reject(struct req *r);
void h_officer_approve(struct req *r);
void h_officer_issue(struct req *r);
void h_officer_document(struct req *r);

/* h_officer_products.c */
void h_admin_products(struct req *r);
void h_admin_product_new(struct req *r);
void h_admin_product_create(struct req *r);
void h_admin_product_edit(struct req *r);
void h_admin_product_update(struct req *r);

#endif
