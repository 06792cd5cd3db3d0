/* SPDX-License-Identifier: MIT */
/* Certificates and their state machine (R-ISS-4; R-REV-1, R-RI-2 planned). Every change
 * of a certificate's state goes through ONE function (cert_transition_tx) that checks the
 * allowed edge, writes the row (store/certs.h) and appends the audit record in the
 * caller's transaction, as order_transition_tx does for orders. No SQL here, no HTTP.
 *
 *   reserved ──issue──▶ issued ──schedule──▶ revocation_scheduled
 *      │                 │  │ ◀───withdraw───┘  │        │
 *      │                 │  └──revoke──▶ revoked ◀──────┘
 *      └─abandon─▶ abandoned      └──expire──▶ expired ◀──┘(from scheduled too)
 *
 * Final: revoked, expired, abandoned. Issuance uses reserved → issued and reserved →
 * abandoned (cert_create_tx: the serial reserved in a batch, the row written in its
 * outcome); the other edges wait for revocation and expiry. */
#ifndef SM_RA_CERT_H
#define SM_RA_CERT_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "core/err.h"

struct db;

enum cert_state {
    CERT_RESERVED = 0,         /* serial recorded before signing */
    CERT_ISSUED,               /* signed and stored */
    CERT_REVOCATION_SCHEDULED, /* a revocation is set for a later date */
    CERT_REVOKED,              /* final */
    CERT_EXPIRED,              /* final */
    CERT_ABANDONED,            /* never signed, or signed and never stored (final) */
    CERT__NSTATES
};

const char *cert_state_name(enum cert_state s);                  /* "issued" ...; "?" if bad */
int cert_state_parse(const char *s, enum cert_state *out);       /* 0 or -1 */
int cert_edge_allowed(enum cert_state from, enum cert_state to); /* 1 if the edge exists */

/* One change of state. */
struct cert_change {
    const char *actor;  /* audit actor: "system", "user:42", a process name */
    const char *serial; /* lower-case hex */
    enum cert_state to;
    /* to == CERT_ISSUED from reserved: the signed certificate */
    const unsigned char *der;
    size_t der_len;
    int64_t not_before, not_after, now;
    const char *sha256;
    /* audit detail, taken over (decref'd) in every case; NULL = {}. "from" and "to" are
     * added. */
    json_t *detail;
    /* cert_create_tx: the audit detail as cert_detail_text made it for this change, used
     * instead of detail (which should then be NULL); NULL: made from detail here. */
    const char *detail_text;
};

/* The audit detail of the change from -> to as the record stores it: detail (kept by the
 * caller, given "from" and "to") serialized by store/audit's audit_detail_text. Touches no
 * database, so it can run in any thread. NULL with e set on no memory. */
char *cert_detail_text(json_t *detail, enum cert_state from, enum cert_state to, struct sm_err *e);

/* THE transition, inside the caller's transaction (db_begin): loads the certificate's
 * state, refuses an edge the machine does not have (-SM_E_CONFLICT, field "state",
 * nothing written), writes the row and appends the audit record (action cert.issue,
 * cert.abandon, cert.revocation_scheduled, cert.revocation_withdrawn, cert.revoke or
 * cert.expire; object "cert:" + serial). *id (may be NULL) gets certificates.id for
 * reserved → issued. -SM_E_NOTFOUND for an unknown serial; -SM_E_INTERNAL outside a
 * transaction. */
int cert_transition_tx(struct db *db, const struct cert_change *c, int64_t *id, struct sm_err *e);

/* The same edge out of reserved for a serial of a batch reservation (store/certs.h
 * certs_batch_reserve), whose row is written here for the first time, in its outcome:
 * c->to is CERT_ISSUED (c->der etc.; *id gets certificates.id) or CERT_ABANDONED. The row's
 * other columns come from b. Audited as
 * cert_transition_tx audits the edge from reserved. An abandoned serial that has a row
 * already (stored, or abandoned by another) is left as it is, with no record: *written
 * (may be NULL) says whether the row was written. */
struct certs_born;
int cert_create_tx(struct db *db, const struct cert_change *c, const struct certs_born *b,
                   int64_t *id, int *written, struct sm_err *e);

#endif
