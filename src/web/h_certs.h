/* SPDX-License-Identifier: MIT */
/* Handlers of the certificate list and detail pages, downloads and the certificate API
 * (routes_certs.inc). */
#ifndef SM_WEB_H_CERTS_H
#define SM_WEB_H_CERTS_H
struct req;

/* h_certs.c (R-MNG-1 list, R-MNG-2, R-DL-1, R-API-1) */
void h_certs_list(struct req *r);        /* GET /certificates */
void h_cert_detail(struct req *r);       /* GET /certificates/:serial */
void h_cert_download(struct req *r);     /* GET /certificates/:serial/download/:format */
void h_cert_mail(struct req *r);         /* POST /certificates/:serial/mail */
void h_api_certs_list(struct req *r);    /* GET /api/v1/certificates */
void h_api_cert(struct req *r);          /* GET /api/v1/certificates/:serial */
void h_api_cert_download(struct req *r); /* GET /api/v1/certificates/:serial/download/:format */

#endif
