/* SPDX-License-Identifier: MIT */
/* POST /acme/revoke-cert (RFC 8555 7.6; issue 10 item 2): signed with an account's kid or
 * with the certificate's key; ra/acme_revoke does the rest. 200 with an empty body. */
#include "ra/acme_revoke.h"
#include "web/h_acme.h"
#include "web/http.h"

void h_acme_revoke_cert(struct req *r)
{
    struct acme_request q;
    if (acme_begin(r, ACME_BY_EITHER, &q) < 0)
        return;
    struct sm_err e = {0};
    int rc = acme_revoke(req_db(r), &q, &e);
    acme_request_clear(&q);
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    http_reply(r, 200, "text/plain", "", 0);
}
