/* SPDX-License-Identifier: MIT */
/* Handlers of the certificate list and detail pages, downloads and the certificate API (routes_certs.inc). */
#ifndef SM_WEB_H_CERTS_H
#define SM_WEB_H_CERTS_H
struct req;

#endif
