/* SPDX-License-Identifier: MIT */
/* Pre-signed OCSP responses (migration 0027_ocsp_responses.sql; R-REV-2). All SQL of the
 * table is here. */
#ifndef SM_STORE_OCSP_RESPONSES_H
#define SM_STORE_OCSP_RESPONSES_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* The stored response of serial for level if it is still good to serve at now: its
 * certificate is still in the state it was signed for and next_update > now. *der
 * (free()); -SM_E_NOTFOUND otherwise. One statement. */
int ocsp_responses_get(struct db *db, const char *serial, const char *level, int64_t now,
                       unsigned char **der, size_t *len, struct sm_err *e);

/* Writes (or replaces) the response of serial. */
int ocsp_responses_put(struct db *db, const char *serial, const char *level, const char *state,
                       const unsigned char *der, size_t len, int64_t this_update,
                       int64_t next_update, int64_t refresh_at, struct sm_err *e);

/* One certificate whose response is missing, stale (its state changed) or due for a
 * refresh at now. */
struct ocsp_due_row {
    char serial[41];
    char level[4];
    char state[24];
    int64_t revoked_at, reason, reserved_at;
};
/* At most max of them, oldest certificate first, not expired at now. *out: free(). */
int ocsp_responses_list_due(struct db *db, int64_t now, size_t max, struct ocsp_due_row **out,
                            size_t *n, struct sm_err *e);

#endif
