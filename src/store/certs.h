/* SPDX-License-Identifier: MIT */
/* The certificates aggregate: every serial the CA ever used, from its reservation before
 * signing (a batch of serial_batches, or a row in state reserved) to its issued (or
 * abandoned, revoked) state (R-ISS-4). All SQL for the certificates and serial_batches
 * tables lives here. The state setters (certs_set_*, certs_insert) are called only by
 * ra/cert.c's cert_transition_tx and cert_create_tx, which check the edge and write the
 * audit record in the same transaction (scripts/layers checks). Serials are lower-case hex
 * without leading zeros. */
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
 * inside the caller's transaction. A serial used before gives -SM_E_CONFLICT. Issuance
 * reserves per batch (certs_batch_reserve); rows in state reserved come from earlier
 * versions, and recovery still resolves them. */
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

/* A batch of serials reserved before signing (R-ISS-4, migration 0071): one record for the
 * batch, committed before any of its serials is signed; each serial's certificate row is
 * written once, in its outcome (certs_insert), in the transaction that closes the batch. */
struct certs_batch {
    int64_t ca_id;
    const char *level, *root;
    const char *reserved_by; /* "host/pid/start" */
    int64_t reserved_at;
    const char *serials; /* lower-case hex, separated by single spaces */
};
/* Records the batch, open; *id gets its id. Caller's transaction. */
int certs_batch_reserve(struct db *db, const struct certs_batch *b, int64_t *id, struct sm_err *e);
/* Closes the open batch id. -SM_E_CONFLICT when it is not open (recovery closed it): the
 * caller's transaction must not commit then. */
int certs_batch_close(struct db *db, int64_t id, struct sm_err *e);
/* An open batch. */
struct certs_batch_row {
    int64_t id, ca_id, reserved_at;
    char level[4], root[2];
    char reserved_by[128];
    char *serials; /* owned */
};
/* Every open batch, oldest first. Free with certs_batch_rows_free. */
int certs_list_open_batches(struct db *db, struct certs_batch_row **out, size_t *n,
                            struct sm_err *e);
void certs_batch_rows_free(struct certs_batch_row *v, size_t n);

/* The reservation of a serial of a batch, whose row certs_insert writes once, in its
 * outcome. */
struct certs_born {
    const struct certs_new *n; /* serial, issuer, names, order, organization, CRL shard */
    const char *reserved_by;
    int64_t reserved_at;
};
/* The row of b in its outcome, as certs_set_issued's arguments give it: issued (der given;
 * *id gets certificates.id; a serial used before gives -SM_E_CONFLICT) or abandoned (der
 * NULL; a serial that has a row already is left as it is, and db_changes says 0). Called
 * only by ra/cert.c (cert_create_tx), inside the caller's transaction. */
int certs_insert(struct db *db, const struct certs_born *b, const unsigned char *der, size_t len,
                 int64_t not_before, int64_t not_after, const char *sha256, int64_t now,
                 int64_t *id, struct sm_err *e);

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
