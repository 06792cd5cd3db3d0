/* SPDX-License-Identifier: MIT */
/* Handlers of the application wizard, the order pages and the order API of customers and
 * resellers (routes_portal.inc). */
#ifndef SM_WEB_H_PORTAL_H
#define SM_WEB_H_PORTAL_H
struct req;

#endif
