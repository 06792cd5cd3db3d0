/* SPDX-License-Identifier: MIT */
/* The certificates aggregate: every serial the CA ever used, from its reservation before
 * signing to its issued (or abandoned, revoked) state (R-ISS-4). All SQL for the
 * certificates table lives here. The state setters (certs_set_*) are called only by
 * ra/cert.c's cert_transition_tx, which checks the edge and writes the audit record in the
 * same transaction (scripts/layers checks). Serials are lower-case hex without leading zeros. */
#ifndef SM_CERTS_H
#define SM_CERTS_H
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

struct db;

#define CERTS_SERIAL_HEX_MAX 41 /* 20 octets as hex + NUL */

/* A serial to reserve. names_json is the JSON array of the SAN names. */
struct certs_new {
    const char *serial;
    int64_t ca_id;
    const char *level, *root, *cn, *names_json;
    int64_t order_id, org_id; /* 0 = none (operator issuance) */
    int crl_shard;            /* the CRL its CDP names: 0 = {level}.crl, k = {level}-k.crl */
};

/* Records the serial in state "reserved" by reserved_by ("host/pid/start"). Must run
 * inside the caller's transaction. A serial used before gives -SM_E_CONFLICT. */
int certs_reserve(struct db *db, const struct certs_new *c, const char *reserved_by, int64_t now,
                  struct sm_err *e);
/* reserved -> issued with the signed DER; *id (may be NULL) gets certificates.id.
 * -SM_E_CONFLICT when the serial is not reserved (already issued, abandoned, or unknown):
 * nothing is changed then. */
int certs_set_issued(struct db *db, const char *serial, const unsigned char *der, size_t len,
                     int64_t not_before, int64_t not_after, const char *sha256, int64_t now,
                     int64_t *id, struct sm_err *e);
/* reserved -> abandoned (never signed, or signed and never stored). -SM_E_CONFLICT when
 * the serial is not reserved. */
int certs_set_abandoned(struct db *db, const char *serial, struct sm_err *e);
/* from -> to for the edges without data of their own (ra/cert.c checks the edge).
 * -SM_E_CONFLICT when the serial is not in state from: nothing is changed then. */
int certs_set_state(struct db *db, const char *serial, const char *from, const char *to,
                    struct sm_err *e);

/* A reservation not yet resolved. */
struct certs_pending_row {
    char serial[CERTS_SERIAL_HEX_MAX];
    char reserved_by[128];
    int64_t reserved_at;
};
/* Every serial in state reserved, oldest first. The caller frees *out with free(). */
int certs_list_reserved(struct db *db, struct certs_pending_row **out, size_t *n, struct sm_err *e);

/* One stored certificate; every pointer is owned by the row. */
struct certs_row {
    int64_t id, ca_id, order_id, org_id;
    char serial[CERTS_SERIAL_HEX_MAX];
    char state[24]; /* longest: "revocation_scheduled" */
    char level[4], root[2];
    char *cn, *names_json, *sha256;
    unsigned char *der;
    size_t der_len;
    int64_t not_before, not_after, reserved_at, issued_at, revoked_at, revocation_reason;
};
/* The certificate with this serial; -SM_E_NOTFOUND when absent. Free with certs_row_free. */
int certs_get(struct db *db, const char *serial, struct certs_row **out, struct sm_err *e);
/* The same, limited in SQL to certificates of organizations in scope (a certificate
 * without an organization only with an "all" scope); -SM_E_NOTFOUND otherwise. */
struct org_scope;
int certs_get_scoped(struct db *db, const char *serial, const struct org_scope *scope,
                     struct certs_row **out, struct sm_err *e);
/* The same by certificates.id. */
int certs_get_id(struct db *db, int64_t id, struct certs_row **out, struct sm_err *e);
void certs_row_free(struct certs_row *r);
/* Records the ACME profile a certificate was issued under (migration 0043; "classic",
 * "shortlived"). Caller's transaction. */
int certs_set_profile(struct db *db, int64_t id, const char *profile, struct sm_err *e);
void certs_rows_free(struct certs_row *v, size_t n);

/* Certificates of org_id for cn issued or with a revocation scheduled (still valid) and not
 * expired at now (R-ISS-6, R-RI-4). */
int certs_count_valid_cn(struct db *db, int64_t org_id, const char *cn, int64_t now, int64_t *count,
                         struct sm_err *e);
/* Number of certificates in state (any state when state is NULL). */
int certs_count_state(struct db *db, const char *state, int64_t *count, struct sm_err *e);

#endif
