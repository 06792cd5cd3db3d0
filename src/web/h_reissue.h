/* SPDX-License-Identifier: MIT */
/* Reissue (再発行, R-RI-1..7) on the certificate page and the API: the form (reason,
 * desired revocation date of the original, previous or new CSR, names, root option,
 * consent), its confirmation page with the fee, the done page, and
 * POST /api/v1/certificates/:serial/reissue. The change is ra/reissue's. */
#ifndef SM_WEB_H_REISSUE_H
#define SM_WEB_H_REISSUE_H
#include <jansson.h>
#include <stdint.h>

struct req;
struct portal;

void h_cert_reissue_form(struct req *r);    /* GET /certificates/:serial/reissue */
void h_cert_reissue_confirm(struct req *r); /* POST /certificates/:serial/reissue/confirm */
void h_cert_reissue(struct req *r);         /* POST /certificates/:serial/reissue */
void h_cert_reissue_done(struct req *r);    /* GET /certificates/:serial/reissue/done */
void h_api_cert_reissue(struct req *r);     /* POST /api/v1/certificates/:serial/reissue */

/* The certificate page's reissue data: "reissue" = {can, history: [...]} (R-RI-7). */
void reissue_page_data(struct req *r, struct portal *p, int64_t cert_id, const char *state,
                       json_t *data);

#endif
