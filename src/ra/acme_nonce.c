/* SPDX-License-Identifier: MIT */
/* ACME nonces over the acme_nonces table (see ra/acme_nonce.h). */
#include <sodium.h>
#include <string.h>

#include "pki/jws.h"
#include "ra/acme_nonce.h"
#include "store/acme_nonces.h"

/* One issue in this many also purges the expired nonces. */
#define PURGE_ONE_IN 64

int acme_nonce_issue(struct db *db, int64_t now, char out[ACME_NONCE_LEN], struct sm_err *e)
{
    unsigned char r[17];
    randombytes_buf(r, sizeof r);
    b64url_encode(r, 16, out);
    int rc = acme_nonce_insert(db, out, now + ACME_NONCE_SECONDS, e);
    if (rc == 0 && r[16] % PURGE_ONE_IN == 0) {
        struct sm_err ignored = {0};
        (void)acme_nonces_delete_expired(db, now, NULL, &ignored);
    }
    return rc;
}

int acme_nonce_redeem(struct db *db, const char *nonce, int64_t now, struct sm_err *e)
{
    if (nonce == NULL || strlen(nonce) != ACME_NONCE_LEN - 1)
        return sm_err_set(e, SM_E_NOTFOUND, "nonce", "not a nonce of this server");
    return acme_nonce_claim(db, nonce, now, e);
}
