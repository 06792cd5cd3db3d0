/* SPDX-License-Identifier: MIT */
/* The acme_nonces table (migration 0040): ACME nonces handed out and not yet used. A
 * nonce is used by deleting its row, so among any number of server processes on one
 * database exactly one request can use it. None of these needs a transaction. */
#ifndef SM_ACME_NONCES_H
#define SM_ACME_NONCES_H
#include <stdint.h>

#include "core/err.h"

struct db;

int acme_nonce_insert(struct db *db, const char *nonce, int64_t expires_at, struct sm_err *e);
/* Deletes the nonce if it is there and expires after now: 0 when this call used it,
 * -SM_E_NOTFOUND when it is unknown, already used or expired. */
int acme_nonce_claim(struct db *db, const char *nonce, int64_t now, struct sm_err *e);
/* Deletes every nonce expired at now; *n (may be NULL) gets how many. */
int acme_nonces_delete_expired(struct db *db, int64_t now, int64_t *n, struct sm_err *e);

#endif
