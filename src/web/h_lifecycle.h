/* SPDX-License-Identifier: MIT */
/* Handlers of revocation (routes_lifecycle.inc): requests from the certificate page and the
 * OCSP responder. CRLs are files of the repository (GET /repository/LEVEL.crl,
 * h_repository.c) written by the CRL job. */
#ifndef SM_WEB_H_LIFECYCLE_H
#define SM_WEB_H_LIFECYCLE_H
#include <stdint.h>

#include <jansson.h>

struct config;
struct db;
struct portal;
struct req;

/* h_ocsp.c (R-REV-2, RFC 6960 A.1) */
void h_ocsp_post(struct req *r); /* POST /ocsp: DER request body */
void h_ocsp_get(struct req *r);  /* GET /ocsp/BASE64: base64 of the DER request */
void h_crl_urls(struct req *r);  /* GET /crl-urls.json: every full CRL URL (CCADB) */
/* Appends every full CRL URL whose CRL is published to the array a (the list of
 * /crl-urls.json and of the repository page); -1 when out of memory. */
int web_crl_urls(const struct config *cfg, struct db *db, json_t *a);

/* h_revoke.c (R-REV-1, R-REV-3) */
void h_cert_revoke(struct req *r);                /* POST /certificates/:serial/revoke */
void h_cert_revoke_withdraw(struct req *r);       /* POST /certificates/:serial/revoke/withdraw */
void h_api_cert_revoke(struct req *r);            /* POST /api/v1/certificates/:serial/revoke */
void h_api_cert_revoke_withdraw(struct req *r);   /* POST .../revoke/withdraw */
void h_officer_revocations(struct req *r);        /* GET /officer/revocations */
void h_officer_revocation_confirm(struct req *r); /* POST /officer/revocations/:id/confirm */
/* Sets "revoke" of the certificate page's data: false, or the form (can), the scheduled
 * date and the banner after a request. */
void revoke_page_data(struct req *r, const struct portal *p, const char *serial, const char *state,
                      int64_t not_after, json_t *data);

#endif
