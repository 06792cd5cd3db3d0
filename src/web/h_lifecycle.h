/* SPDX-License-Identifier: MIT */
/* Handlers of revocation status (routes_lifecycle.inc): the OCSP responder. CRLs are files
 * of the repository (GET /repository/LEVEL.crl, h_repository.c) written by the CRL job. */
#ifndef SM_WEB_H_LIFECYCLE_H
#define SM_WEB_H_LIFECYCLE_H
struct req;

/* h_ocsp.c (R-REV-2, RFC 6960 A.1) */
void h_ocsp_post(struct req *r); /* POST /ocsp: DER request body */
void h_ocsp_get(struct req *r);  /* GET /ocsp/BASE64: base64 of the DER request */
void h_crl_urls(struct req *r);  /* GET /crl-urls.json: every full CRL URL (CCADB) */

#endif
