/* SPDX-License-Identifier: MIT */
/* ACME nonces (RFC 8555 6.5): handed out in Replay-Nonce, each good for one request
 * within ACME_NONCE_SECONDS, across every server process of the database. */
#ifndef SM_RA_ACME_NONCE_H
#define SM_RA_ACME_NONCE_H
#include <stdint.h>

#include "core/err.h"

struct db;

/* A nonce: 128 random bits in base64url (22 characters) and the NUL. */
#define ACME_NONCE_LEN 23
/* How long a nonce stays good, in seconds. */
#define ACME_NONCE_SECONDS 3600

/* Makes and records a fresh nonce good until now + ACME_NONCE_SECONDS; now and then also
 * deletes the expired ones. */
int acme_nonce_issue(struct db *db, int64_t now, char out[ACME_NONCE_LEN], struct sm_err *e);
/* Uses nonce: 0 the first time within its validity, -SM_E_NOTFOUND after (used, expired,
 * never issued or not of the form of a nonce: the badNonce error). */
int acme_nonce_redeem(struct db *db, const char *nonce, int64_t now, struct sm_err *e);

#endif
