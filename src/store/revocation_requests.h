/* SPDX-License-Identifier: MIT */
/* Revocation requests waiting for the officer's phone confirmation (R-REV-1; migration
 * 0026_revocation_requests.sql). A row is pending until an officer confirms it (with who
 * was reached by phone, when, and a note) or the customer or an officer withdraws it. At
 * most one pending request per serial (the caller checks inside its transaction). Every
 * writer runs inside the caller's transaction. */
#ifndef SM_STORE_REVOCATION_REQUESTS_H
#define SM_STORE_REVOCATION_REQUESTS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct revreq_row {
    int64_t id, org_id, requested_at, deadline_at, due_at, phone_at, closed_at;
    int reason;
    char serial[41];
    char state[12]; /* pending | confirmed | withdrawn */
    char cn[256];   /* the certificate's common name (list only) */
    char level[4];  /* dv | ov | ev (list only) */
    char requested_by[48];
    char confirmed_by[48];
    char phone_contact[128];
    char phone_note[512];
};

/* Inserts a pending request; *id (may be NULL) = its id. */
int revreq_insert(struct db *db, const struct revreq_row *r, int64_t *id, struct sm_err *e);
/* The pending request of serial; -SM_E_NOTFOUND when none. */
int revreq_get_pending(struct db *db, const char *serial, struct revreq_row *out, struct sm_err *e);
/* The request by id; -SM_E_NOTFOUND when absent. */
int revreq_get(struct db *db, int64_t id, struct revreq_row *out, struct sm_err *e);
/* Every pending request, nearest deadline first, at most max. *out: free(). */
int revreq_list_pending(struct db *db, size_t max, struct revreq_row **out, size_t *n,
                        struct sm_err *e);
/* pending -> confirmed with the phone record; -SM_E_CONFLICT when no longer pending. */
int revreq_mark_confirmed(struct db *db, int64_t id, const char *officer, const char *contact,
                          int64_t phone_at, const char *note, int64_t now, struct sm_err *e);
/* pending -> withdrawn; -SM_E_CONFLICT when no longer pending. */
int revreq_mark_withdrawn(struct db *db, int64_t id, const char *actor, int64_t now,
                          struct sm_err *e);

#endif
