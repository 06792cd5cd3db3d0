/* SPDX-License-Identifier: MIT */
/* The certificate state machine (see cert.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/cert.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/db.h"

static const char *const state_names[CERT__NSTATES] = {
    [CERT_RESERVED] = "reserved",
    [CERT_ISSUED] = "issued",
    [CERT_REVOCATION_SCHEDULED] = "revocation_scheduled",
    [CERT_REVOKED] = "revoked",
    [CERT_EXPIRED] = "expired",
    [CERT_ABANDONED] = "abandoned",
};

/* The edges of the state machine (see the drawing in cert.h). */
static const unsigned char edges[CERT__NSTATES][CERT__NSTATES] = {
    [CERT_RESERVED] = {[CERT_ISSUED] = 1, [CERT_ABANDONED] = 1},
    [CERT_ISSUED] = {[CERT_REVOCATION_SCHEDULED] = 1, [CERT_REVOKED] = 1, [CERT_EXPIRED] = 1},
    [CERT_REVOCATION_SCHEDULED] = {[CERT_ISSUED] = 1, [CERT_REVOKED] = 1, [CERT_EXPIRED] = 1},
};

const char *cert_state_name(enum cert_state s)
{
    return (unsigned)s < CERT__NSTATES ? state_names[s] : "?";
}

int cert_state_parse(const char *s, enum cert_state *out)
{
    for (int i = 0; s != NULL && i < CERT__NSTATES; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum cert_state)i;
            return 0;
        }
    return -1;
}

int cert_edge_allowed(enum cert_state from, enum cert_state to)
{
    if ((unsigned)from >= CERT__NSTATES || (unsigned)to >= CERT__NSTATES)
        return 0;
    return edges[from][to];
}

/* The audit action of an edge. */
static const char *action_of(enum cert_state from, enum cert_state to)
{
    switch (to) {
    case CERT_ISSUED: return from == CERT_RESERVED ? "cert.issue" : "cert.revocation_withdrawn";
    case CERT_ABANDONED: return "cert.abandon";
    case CERT_REVOCATION_SCHEDULED: return "cert.revocation_scheduled";
    case CERT_REVOKED: return "cert.revoke";
    case CERT_EXPIRED: return "cert.expire";
    default: return "cert.change";
    }
}

/* Writes the row for the edge from -> to. */
static int write_row(struct db *db, const struct cert_change *c, enum cert_state from, int64_t *id,
                     struct sm_err *e)
{
    if (from == CERT_RESERVED && c->to == CERT_ISSUED)
        return certs_set_issued(db, c->serial, c->der, c->der_len, c->not_before, c->not_after,
                                c->sha256, c->now, id, e);
    if (from == CERT_RESERVED && c->to == CERT_ABANDONED)
        return certs_set_abandoned(db, c->serial, e);
    return certs_set_state(db, c->serial, cert_state_name(from), cert_state_name(c->to), e);
}

char *cert_detail_text(json_t *detail, enum cert_state from, enum cert_state to, struct sm_err *e)
{
    if (json_object_set_new(detail, "from", json_string(cert_state_name(from))) < 0 ||
        json_object_set_new(detail, "to", json_string(cert_state_name(to))) < 0) {
        sm_err_set(e, SM_E_NOMEM, "audit", "out of memory");
        return NULL;
    }
    return audit_detail_text(detail, e);
}

/* The change's record, its detail c->detail_text or detail (given "from" and "to"). */
static int append_audit(struct db *db, const struct cert_change *c, enum cert_state from,
                        json_t *detail, struct sm_err *e)
{
    char *own = c->detail_text ? NULL : cert_detail_text(detail, from, c->to, e);
    const char *text = c->detail_text ? c->detail_text : own;
    if (text == NULL)
        return -(e && e->code ? e->code : SM_E_NOMEM);
    char object[8 + CERTS_SERIAL_HEX_MAX];
    snprintf(object, sizeof object, "cert:%s", c->serial);
    int rc = audit_append_text(db, c->actor ? c->actor : "system", action_of(from, c->to), object,
                               text, e);
    free(own);
    return rc;
}

/* What every change checks first: an object for the audit detail (*detail: c's, or a new
 * one; none is needed when c->detail_text is given), inside a write transaction, a serial.
 * 0 or the error; *detail is set either way (the caller releases it). */
static int change_check(struct db *db, const struct cert_change *c, json_t **detail, const char *fn,
                        struct sm_err *e)
{
    *detail = c->detail ? c->detail : c->detail_text ? NULL : json_object();
    if (c->detail_text == NULL && (*detail == NULL || !json_is_object(*detail)))
        return sm_err_set(e, *detail ? SM_E_INVALID : SM_E_NOMEM, "detail", "bad audit detail");
    if (!db_in_transaction(db))
        return sm_err_set(e, SM_E_INTERNAL, "state", "%s outside a transaction", fn);
    if (c->serial == NULL || c->serial[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "serial", "no serial");
    return 0;
}

int cert_create_tx(struct db *db, const struct cert_change *c, const struct certs_born *b,
                   int64_t *id, int *written, struct sm_err *e)
{
    json_t *detail = NULL;
    if (id != NULL)
        *id = 0;
    if (written != NULL)
        *written = 0;
    int rc = change_check(db, c, &detail, "cert_create_tx", e);
    if (rc == 0 &&
        (b == NULL || b->n == NULL || b->n->serial == NULL || strcmp(c->serial, b->n->serial) != 0))
        rc = sm_err_set(e, SM_E_INVALID, "serial", "the serial is not the reservation's");
    else if (rc == 0 && c->to != CERT_ISSUED && c->to != CERT_ABANDONED)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s cannot go from %s to %s",
                        c->serial, cert_state_name(CERT_RESERVED), cert_state_name(c->to));
    else if (rc == 0 && c->to == CERT_ISSUED && c->der == NULL)
        rc = sm_err_set(e, SM_E_INVALID, "der", "no certificate to store");
    if (rc == 0)
        rc = certs_insert(db, b, c->to == CERT_ISSUED ? c->der : NULL, c->der_len, c->not_before,
                          c->not_after, c->sha256, c->now, id, e);
    int w = rc == 0 && (c->to == CERT_ISSUED || db_changes(db) == 1);
    if (w)
        rc = append_audit(db, c, CERT_RESERVED, detail, e);
    if (rc == 0 && written != NULL)
        *written = w;
    json_decref(detail);
    return rc;
}

int cert_transition_tx(struct db *db, const struct cert_change *c, int64_t *id, struct sm_err *e)
{
    json_t *detail = NULL;
    struct certs_row *row = NULL;
    enum cert_state from = CERT_RESERVED;
    if (id != NULL)
        *id = 0;
    int rc = change_check(db, c, &detail, "cert_transition_tx", e);
    if (rc == 0)
        rc = certs_get(db, c->serial, &row, e);
    if (rc == 0 && cert_state_parse(row->state, &from) < 0)
        rc = sm_err_set(e, SM_E_INTERNAL, "state", "certificate %s has unknown state %s", c->serial,
                        row->state);
    if (rc == 0 && !cert_edge_allowed(from, c->to))
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s cannot go from %s to %s",
                        c->serial, cert_state_name(from), cert_state_name(c->to));
    if (rc == 0)
        rc = write_row(db, c, from, id, e);
    if (rc == 0)
        rc = append_audit(db, c, from, detail, e);
    certs_row_free(row);
    json_decref(detail);
    return rc;
}
