/* SPDX-License-Identifier: MIT */
/* Revocation of certificates (R-REV-1, R-REV-3; BR 4.9.1.1, 7.2.2). One action revokes a
 * certificate now or schedules its revocation for a date, through the certificate state
 * machine (ra/cert.c: issued -> revoked, issued -> revocation_scheduled -> revoked), with
 * its audit record and, for a scheduled one, the one-shot job cert.revoke (key = serial)
 * that carries it out on its date, all in one transaction.
 *
 * Reasons are the RFC 5280 CRLReason codes BR 7.2.2 allows: unspecified (0, no
 * reasonCode on the CRL), keyCompromise (1), affiliationChanged (3), superseded (4),
 * cessationOfOperation (5), and privilegeWithdrawn (9) for officers only. keyCompromise
 * is revoked at once whatever date was asked (within 24 hours, BR 4.9.1.1) and puts the
 * certificate's public key on the compromised-key blocklist, so no CSR with it is ever
 * accepted again. A revocation never waits for a CRL: the CRL job notices it (ra/crl.h). */
#ifndef SM_RA_REVOKE_H
#define SM_RA_REVOKE_H
#include <stdint.h>

#include "core/err.h"

struct db;
struct org_scope;

enum revoke_reason {
    REVOKE_UNSPECIFIED = 0,
    REVOKE_KEY_COMPROMISE = 1,
    REVOKE_AFFILIATION_CHANGED = 3,
    REVOKE_SUPERSEDED = 4,
    REVOKE_CESSATION_OF_OPERATION = 5,
    REVOKE_PRIVILEGE_WITHDRAWN = 9,
};

#define REVOKE_MAX_DAYS 60 /* a desired date is today .. today + 60 days (R-RI-2) */
/* 1 when when (a time; 0 = now) falls on a calendar day in Japan from today to today +
 * REVOKE_MAX_DAYS, the desired date of a revocation (R-REV-1, R-RI-2); else 0. */
int revoke_date_in_range(int64_t when, int64_t now);
#define REVOKE_JOB_KIND "cert.revoke"

/* "unspecified", "keyCompromise", ... (RFC 5280 names); NULL for a code not allowed. */
const char *revoke_reason_name(int code);
/* Parses a reason name (also "" and "none" for unspecified); -1 when not in the list. */
int revoke_reason_parse(const char *s, int *code);

struct revoke_req {
    const char *actor;             /* audit actor: "user:42", "cli", "system" */
    const char *source;            /* cli | customer | officer | reissue */
    const char *serial;            /* lower-case hex (upper case and leading zeros taken) */
    int reason;                    /* enum revoke_reason */
    int64_t when;                  /* desired date (UTC seconds); 0 or <= now = now */
    int officer;                   /* 1: an officer or operator (privilegeWithdrawn) */
    const struct org_scope *scope; /* the actor's organizations; NULL = every one */
};

/* What the action did. */
struct revoke_result {
    int pending;        /* 1: held for the officer's phone confirmation (revoke_request) */
    int64_t request_id; /* its id */
    int revoked;        /* 1: revoked now; 0: scheduled */
    int64_t at;         /* revoked_at, or the date it is scheduled for */
    int key_blocked;    /* 1: the public key was put on the blocklist */
};

/* The action inside the caller's transaction. Refusals change nothing the caller's
 * rollback does not undo: -SM_E_INVALID (field reason or date: not in the list,
 * privilegeWithdrawn from a customer, a date before today or after today + 60 days),
 * -SM_E_NOTFOUND (unknown serial or outside scope), -SM_E_CONFLICT (field state: not
 * issued or scheduled, already scheduled and not asked for now, or expired). */
int revoke_tx(struct db *db, const struct revoke_req *r, int64_t now, struct revoke_result *out,
              struct sm_err *e);
/* The same in a transaction of its own, at clock_now(). */
int revoke_cert(struct db *db, const struct revoke_req *r, struct revoke_result *out,
                struct sm_err *e);

/* R-REV-1 policy: a customer's revocation request on an OV or EV certificate is carried
 * out only after an officer has confirmed it by phone with the customer; DV requests (the
 * applicant's control of the domain is all that was vetted) and every request of an
 * officer or the operator are carried out at once. 1 when level/source need the call. */
int revoke_needs_phone(const char *level, const char *source);

/* BR 4.9.1.1 deadline of a request made at t: 24 hours for keyCompromise, 5 days
 * otherwise. */
int64_t revoke_deadline(int reason, int64_t t);

/* The customer's or officer's request (web): checked like revoke_tx; when
 * revoke_needs_phone, a pending request is recorded instead (out->pending, audited as
 * cert.revocation_requested) and -SM_E_CONFLICT (field state) if one is already pending.
 * Own transaction, at clock_now(). */
int revoke_request(struct db *db, const struct revoke_req *r, struct revoke_result *out,
                   struct sm_err *e);

/* The officer's phone confirmation of pending request id: who was reached (contact, not
 * empty), when (phone_at, not in the future), a note; then the revocation is carried out
 * as it was asked (now or scheduled). Audited as cert.revocation_confirmed with the phone
 * record, and the revocation itself. -SM_E_NOTFOUND, -SM_E_CONFLICT (not pending, or the
 * certificate can no longer be revoked), -SM_E_INVALID (field contact or phone_at). */
struct revoke_phone {
    const char *officer; /* audit actor */
    const char *contact; /* who confirmed on the phone */
    int64_t phone_at;    /* when the call took place (0 = now) */
    const char *note;
};
int revoke_confirm(struct db *db, int64_t request_id, const struct revoke_phone *ph,
                   struct revoke_result *out, struct sm_err *e);

/* Withdraws the pending request or the scheduled revocation of serial (customer in scope
 * or officer): the request is closed (cert.revocation_request_withdrawn) or the
 * certificate goes back revocation_scheduled -> issued (cert.revocation_withdrawn), and
 * its cert.revoke job then finds nothing to do. -SM_E_CONFLICT (field state) when there is
 * nothing to withdraw. Own transaction. */
int revoke_withdraw(struct db *db, const char *actor, const char *serial,
                    const struct org_scope *scope, struct sm_err *e);

/* Carries out the scheduled revocation of serial if it is due at now (job cert.revoke);
 * a certificate no longer scheduled (withdrawn, already revoked, expired) is left as it
 * is and counts as done. *done (may be NULL) = 1 when it revoked. Own transaction. */
int revoke_run_due(struct db *db, const char *serial, int64_t now, int *done, struct sm_err *e);

/* Every scheduled revocation due at now, each as revoke_run_due (the CRL job's pass, a
 * safety net for a cert.revoke job whose run time, kept by the wall clock, has not come
 * while the RA's clock has). *done (may be NULL) counts the revoked ones. */
int revoke_run_all_due(struct db *db, int64_t now, int *done, struct sm_err *e);

/* Canonical serial (lower-case hex, no leading zeros) of s into out (41 bytes); -1 when s
 * is not 1..40 hex digits. */
int revoke_serial_norm(const char *s, char out[41]);

#endif
