/* SPDX-License-Identifier: MIT */
/* The ocsp_responders table (migration 0022_ocsp.sql): the delegated OCSP responder
 * certificates per issuing key (dv, ov, ev) and where their keys are. All SQL of the
 * table is here. */
#ifndef SM_STORE_OCSP_RESPONDERS_H
#define SM_STORE_OCSP_RESPONDERS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct ocsp_responder_row {
    int64_t id;
    char issuer[8];
    char key_ref[128];
    unsigned char *cert_der; /* owned */
    size_t cert_len;
    int64_t not_before, not_after, created_at;
};
void ocsp_responder_row_clear(struct ocsp_responder_row *r);

/* The responder of issuer valid longest (greatest not_after) among those valid at now;
 * 0 found, 1 none. */
int ocsp_responders_get_current(struct db *db, const char *issuer, int64_t now,
                                struct ocsp_responder_row *out, struct sm_err *e);
/* Stores a new responder (r->id is ignored). */
int ocsp_responders_insert(struct db *db, const struct ocsp_responder_row *r, struct sm_err *e);

#endif
