/* SPDX-License-Identifier: MIT */
/* ACME (RFC 8555; issue 10, R-ACME-1): the checks every JWS-signed request passes (6.2
 * JWS, 6.4 url, 6.5 nonce, account key by kid or jwk), accounts with external account
 * binding to a portal organization (7.3, 7.3.4) and the EAB credentials themselves.
 * Errors carry the SM_E_ACME_* codes, answered as RFC 8555 problem documents; nothing is
 * changed by a refused request but the nonce it used. */
#ifndef SM_RA_ACME_H
#define SM_RA_ACME_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "pki/jws.h"

struct db;

/* What the request must identify itself with. */
/* ACME_BY_EITHER: kid when the request has one, else jwk (revokeCert, RFC 8555 7.6). */
enum acme_key_by { ACME_BY_KID, ACME_BY_JWK, ACME_BY_EITHER };

/* A request that passed the checks. */
struct acme_request {
    struct jws jws;
    int64_t account_id;             /* ACME_BY_KID: the account; 0 for ACME_BY_JWK */
    int64_t org_id;                 /* ACME_BY_KID: the account's organization */
    char thumbprint[JWK_THUMB_LEN]; /* of the key that signed */
};
void acme_request_clear(struct acme_request *q);

/* Checks a POST body sent to url (the full URL, base_url + path): a flattened JWS with a
 * supported alg, exactly one of kid (an account URL under acct_prefix, of an account that
 * is valid) or jwk as by asks, the url header equal to url, a signature that verifies, and
 * then a nonce of this server not used before (redeemed here). */
int acme_request_verify(struct db *db, const char *body, size_t len, const char *url,
                        const char *acct_prefix, enum acme_key_by by, int64_t now,
                        struct acme_request *out, struct sm_err *e);

/* newAccount (RFC 8555 7.3). */
struct acme_new_account {
    int eab_required; /* [acme] eab_required */
    const char *url;  /* the newAccount URL (the EAB's url header must equal it) */
    const char *client_ip;
};
struct acme_account_result {
    int64_t id;
    int created; /* 1: new (201), 0: the existing account of this key (200) */
    char status[16];
    char *contact; /* JSON array text (owned) */
};
void acme_account_result_clear(struct acme_account_result *a);
/* Finds the account of the request's key, or (unless onlyReturnExisting) creates it for
 * the organization of the externalAccountBinding credentials, with its audit record. */
int acme_account_new(struct db *db, const struct acme_request *q, const struct acme_new_account *in,
                     int64_t now, struct acme_account_result *out, struct sm_err *e);

/* POST to the account URL of account_id (RFC 8555 7.3.2, 7.3.6), signed with that
 * account's kid: an empty payload (POST-as-GET) reads the account, "contact" replaces the
 * contacts and "status": "deactivated" deactivates it for good (later requests with its
 * kid are unauthorized). Another account's URL is unauthorized. */
int acme_account_change(struct db *db, const struct acme_request *q, int64_t account_id,
                        const char *client_ip, struct acme_account_result *out, struct sm_err *e);

/* keyChange (RFC 8555 7.3.5), the outer request q signed with the account's kid and sent
 * to url: its payload is an inner JWS signed by the new key (jwk, the same url, no nonce)
 * over {"account": the kid, "oldKey": the account's current key}. The account then has the
 * new key; a key of another account is refused with SM_E_ACME_KEY_CONFLICT and out->id set
 * to that account (answered 409 with its URL in Location). */
int acme_account_key_change(struct db *db, const struct acme_request *q, const char *url,
                            const char *client_ip, struct acme_account_result *out,
                            struct sm_err *e);

/* EAB credentials for organization org_id (issue 10 item 4): a fresh key id and a 32-byte
 * HMAC key, shown once (kid: 23 characters; key: base64url, 44 characters). */
#define ACME_EAB_KID_LEN 24
#define ACME_EAB_KEY_LEN 48
int acme_eab_create(struct db *db, int64_t org_id, const char *actor, int64_t now,
                    char kid[ACME_EAB_KID_LEN], char key_b64[ACME_EAB_KEY_LEN], struct sm_err *e);

#endif
