/* SPDX-License-Identifier: MIT */
/* Handlers of the officer queue, the order review page, payment confirmation and the admin
 * product pages (routes_officer.inc). */
#ifndef SM_WEB_H_OFFICER_H
#define SM_WEB_H_OFFICER_H
struct req;

#endif
