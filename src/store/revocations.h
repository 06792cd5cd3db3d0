/* SPDX-License-Identifier: MIT */
/* The revocation columns of the certificates table (migration 0020_revocation.sql) and
 * the reads the CRL and OCSP need (R-REV-1, R-REV-2). The state column itself is written
 * only through ra/cert.c's cert_transition_tx; these functions write the data that goes
 * with the edges to revocation_scheduled and revoked, inside the caller's transaction.
 * Reason codes are RFC 5280 CRLReason values (0 = unspecified). */
#ifndef SM_STORE_REVOCATIONS_H
#define SM_STORE_REVOCATIONS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

#define REVOCATIONS_SERIAL_MAX 41

/* Records the revocation data of serial: revoked_at (0 = NULL, not yet revoked), the
 * reason code, due_at (0 = NULL) and source. Inside the caller's transaction, in the same
 * one as the state change. -SM_E_NOTFOUND for an unknown serial. */
int revocations_set(struct db *db, const char *serial, int64_t revoked_at, int reason,
                    int64_t due_at, const char *source, struct sm_err *e);

/* The scheduled revocation of serial: *due_at (0 when none), *reason (-1 when none). */
int revocations_get_due(struct db *db, const char *serial, int64_t *due_at, int *reason,
                        struct sm_err *e);

/* One revoked certificate as a CRL lists it. */
struct revoked_entry_row {
    char serial[REVOCATIONS_SERIAL_MAX];
    int64_t revoked_at;
    int reason; /* 0 = unspecified */
};
/* Every revoked certificate issued by a CA of level (dv, ov, ev: the intermediate and its
 * cross-certificate) and bound to CRL shard (migration 0032; 0 = the level's whole CRL),
 * in serial order, read by one statement (a consistent snapshot).
 * *out (free()) may be empty. */
int revocations_list_level(struct db *db, const char *level, int shard,
                           struct revoked_entry_row **out, size_t *n, struct sm_err *e);
/* The number of revoked certificates of level in shard. */
int revocations_count_level(struct db *db, const char *level, int shard, int64_t *n,
                            struct sm_err *e);

/* Serials of every certificate in state revocation_scheduled due at or before now. The
 * caller frees *out with free(); each entry is REVOCATIONS_SERIAL_MAX bytes. */
int revocations_list_due(struct db *db, int64_t now, char (**out)[REVOCATIONS_SERIAL_MAX],
                         size_t *n, struct sm_err *e);

/* Serials of the certificates a mass revocation may take (BR SC-089): issued by a CA of
 * level (dv, ov, ev), in state issued or revocation_scheduled, issued_at in [from, to),
 * ordered by id. The caller frees *out with free(). */
int revocations_list_issued(struct db *db, const char *level, int64_t from, int64_t to,
                            char (**out)[REVOCATIONS_SERIAL_MAX], size_t *n, struct sm_err *e);

#endif
