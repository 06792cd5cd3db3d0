/* SPDX-License-Identifier: MIT */
/* Revocation now or on a date (see revoke.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/text.h"
#include "pki/crl.h"
#include "ra/cert.h"
#include "ra/notice.h"
#include "ra/revoke.h"
#include "ra/subscription.h"
#include "store/certs.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/keyblock.h"
#include "store/orders.h"
#include "store/revocation_requests.h"
#include "store/revocations.h"

static const struct {
    int code;
    const char *name;
} reasons[] = {
    {REVOKE_UNSPECIFIED, "unspecified"},
    {REVOKE_KEY_COMPROMISE, "keyCompromise"},
    {REVOKE_AFFILIATION_CHANGED, "affiliationChanged"},
    {REVOKE_SUPERSEDED, "superseded"},
    {REVOKE_CESSATION_OF_OPERATION, "cessationOfOperation"},
    {REVOKE_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn"},
};

#define NREASONS (sizeof reasons / sizeof reasons[0])
#define DAY      86400

const char *revoke_reason_name(int code)
{
    for (size_t i = 0; i < NREASONS; i++)
        if (reasons[i].code == code)
            return reasons[i].name;
    return NULL;
}

int revoke_reason_parse(const char *s, int *code)
{
    if (s == NULL)
        return -1;
    if (s[0] == '\0' || strcmp(s, "none") == 0) {
        *code = REVOKE_UNSPECIFIED;
        return 0;
    }
    for (size_t i = 0; i < NREASONS; i++)
        if (strcmp(s, reasons[i].name) == 0) {
            *code = reasons[i].code;
            return 0;
        }
    return -1;
}

int revoke_serial_norm(const char *s, char out[41])
{
    size_t n = s ? strlen(s) : 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0 || n > 40)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (text_hex_value(c) < 0)
            return -1;
        if (k == 0 && c == '0')
            continue; /* leading zero */
        out[k++] = c;
    }
    if (k == 0)
        out[k++] = '0';
    out[k] = '\0';
    return 0;
}

/* Puts the public key of the certificate on the blocklist (keyCompromise). */
static int block_key(struct db *db, const struct certs_row *c, struct sm_err *e)
{
    char hex[65], source[64];
    if (pki_cert_spki_sha256(c->der, c->der_len, hex) < 0)
        return sm_err_set(e, SM_E_INTERNAL, "serial", "certificate %s has no readable key",
                          c->serial);
    snprintf(source, sizeof source, "revocation:%s", c->serial);
    return keyblock_add(db, hex, "keyCompromise", source, e);
}

static json_t *detail_of(const struct revoke_req *r, int reason, int64_t at, int scheduled)
{
    return json_pack("{s:s, s:I, s:s, s:s}", "reason", revoke_reason_name(reason),
                     scheduled ? "due_at" : "revoked_at", (json_int_t)at, "source",
                     r->source ? r->source : "cli", "requested_by", r->actor ? r->actor : "system");
}

/* Ends the transaction begun for one action: commits when rc is 0, rolls back when it is
 * negative. Returns rc or the commit's error. */
static int end_tx(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        db_rollback(db);
    return rc;
}

/* R-NOT-1 "revocation done": the mail to the notification addresses of the certificate's
 * order, in its organization's language, in the transaction of the revocation.
 * Certificates of no order (operator issuance) have nobody to tell. */
static int notify_revoked(struct db *db, const struct certs_row *c, int reason, int64_t at,
                          struct sm_err *e)
{
    if (c->order_id <= 0)
        return 0;
    struct order_row *o = NULL;
    struct org_scope all = ORG_SCOPE_ALL;
    int rc = orders_get(db, c->order_id, &all, &o, e);
    if (rc < 0)
        return rc;
    char when[40];
    notice_tokyo_time(at, when, sizeof when);
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s}", "cn", c->cn ? c->cn : "", "serial",
                          c->serial, "reason", revoke_reason_name(reason), "revoked_at", when,
                          "receipt_no", o->receipt_no);
    char *vars = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    rc = vars ? notice_queue_order(db, o, notice_org_lang(db, o->org_id), "cert_revoked", vars, e)
              : sm_err_set(e, SM_E_NOMEM, "mail", "out of memory");
    free(vars);
    order_row_free(o);
    return rc;
}

/* R-REN-5: a customer may not revoke a certificate whose subscription is being renewed
 * until that renewal ends. keyCompromise, and officers and operators (who work to the BR
 * 4.9.1.1 deadlines), are never held back. */
static int renewal_lock(struct db *db, const struct revoke_req *r, const struct certs_row *c,
                        struct sm_err *e)
{
    if (r->officer || r->reason == REVOKE_KEY_COMPROMISE)
        return 0;
    int locked = subscription_cert_locked(db, c->id, e);
    if (locked <= 0)
        return locked;
    return sm_err_set(e, SM_E_CONFLICT, "renewal", "certificate %s is in a renewal in progress",
                      c->serial);
}

/* Day number (days since 1970-01-01) of the Japan date of t. */
static int64_t jst_day(int64_t t)
{
    int64_t s = t + 9 * 3600;
    return s >= 0 ? s / DAY : -((-s + DAY - 1) / DAY);
}

int revoke_date_in_range(int64_t when, int64_t now)
{
    if (when == 0)
        return 1;
    int64_t day = jst_day(when), today = jst_day(now);
    return day >= today && day <= today + REVOKE_MAX_DAYS;
}

/* The reason and the desired date of r, before anything is read or written. */
static int check_request(const struct revoke_req *r, int64_t now, struct sm_err *e)
{
    if (revoke_reason_name(r->reason) == NULL)
        return sm_err_set(e, SM_E_INVALID, "reason", "reason %d is not allowed", r->reason);
    if (r->reason == REVOKE_PRIVILEGE_WITHDRAWN && !r->officer)
        return sm_err_set(e, SM_E_INVALID, "reason", "privilegeWithdrawn is for officers only");
    if (!revoke_date_in_range(r->when, now))
        return sm_err_set(e, SM_E_INVALID, "date", "the revocation date is not today .. +%d days",
                          REVOKE_MAX_DAYS);
    return 0;
}

int revoke_tx(struct db *db, const struct revoke_req *r, int64_t now, struct revoke_result *out,
              struct sm_err *e)
{
    struct revoke_result res = {0};
    char serial[41];
    if (out != NULL)
        *out = res;
    if (r == NULL || revoke_serial_norm(r->serial, serial) < 0)
        return sm_err_set(e, SM_E_INVALID, "serial", "a serial is 1 to 40 hexadecimal digits");
    int rc = check_request(r, now, e);
    if (rc < 0)
        return rc;
    int64_t when = r->when;
    if (r->reason == REVOKE_KEY_COMPROMISE)
        when = 0; /* within 24 hours whatever was asked: now */
    int now_ = when <= now;

    struct certs_row *c = NULL;
    rc = r->scope ? certs_get_scoped(db, serial, r->scope, &c, e) : certs_get(db, serial, &c, e);
    if (rc < 0)
        return rc;
    enum cert_state st = CERT__NSTATES;
    if (cert_state_parse(c->state, &st) < 0 ||
        (st != CERT_ISSUED && st != CERT_REVOCATION_SCHEDULED))
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s is %s", serial, c->state);
    else if (c->not_after > 0 && c->not_after < now)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s has expired", serial);
    else if (st == CERT_REVOCATION_SCHEDULED && !now_)
        rc = sm_err_set(e, SM_E_CONFLICT, "state",
                        "certificate %s already has a scheduled revocation", serial);
    else
        rc = renewal_lock(db, r, c, e);
    if (rc == 0) {
        struct cert_change ch = {.actor = r->actor ? r->actor : "system",
                                 .serial = serial,
                                 .to = now_ ? CERT_REVOKED : CERT_REVOCATION_SCHEDULED,
                                 .now = now,
                                 .detail = detail_of(r, r->reason, now_ ? now : when, !now_)};
        rc = cert_transition_tx(db, &ch, NULL, e);
    }
    if (rc == 0)
        rc = revocations_set(db, serial, now_ ? now : 0, r->reason, now_ ? 0 : when,
                             r->source ? r->source : "cli", e);
    if (rc == 0 && !now_)
        rc = jobs_ensure(db, REVOKE_JOB_KIND, serial, 0, when, e);
    if (rc == 0 && now_)
        rc = notify_revoked(db, c, r->reason, now, e);
    if (rc == 0 && r->reason == REVOKE_KEY_COMPROMISE) {
        rc = block_key(db, c, e);
        res.key_blocked = rc == 0;
    }
    certs_row_free(c);
    if (rc < 0)
        return rc;
    res.revoked = now_;
    res.at = now_ ? now : when;
    if (out != NULL)
        *out = res;
    return 0;
}

int revoke_cert(struct db *db, const struct revoke_req *r, struct revoke_result *out,
                struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    return end_tx(db, revoke_tx(db, r, (int64_t)clock_now(), out, e), e);
}

int revoke_run_due(struct db *db, const char *serial, int64_t now, int *done, struct sm_err *e)
{
    if (done != NULL)
        *done = 0;
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct certs_row *c = NULL;
    int64_t due = 0;
    int reason = -1, did = 0;
    rc = certs_get(db, serial, &c, e);
    if (rc == 0)
        rc = revocations_get_due(db, serial, &due, &reason, e);
    if (rc == 0 && strcmp(c->state, "revocation_scheduled") == 0 && due <= now) {
        if (revoke_reason_name(reason) == NULL)
            reason = REVOKE_UNSPECIFIED;
        struct revoke_req r = {.actor = "system", .source = "schedule", .serial = serial};
        struct cert_change ch = {.actor = "system",
                                 .serial = c->serial,
                                 .to = CERT_REVOKED,
                                 .now = now,
                                 .detail = detail_of(&r, reason, now, 0)};
        rc = cert_transition_tx(db, &ch, NULL, e);
        if (rc == 0)
            rc = revocations_set(db, c->serial, now, reason, due, "schedule", e);
        if (rc == 0)
            rc = notify_revoked(db, c, reason, now, e);
        did = rc == 0;
    } else if (rc == 0 && strcmp(c->state, "revocation_scheduled") == 0) {
        rc = sm_err_set(e, SM_E_CONFLICT, "date", "revocation of %s is not due yet", serial);
    }
    certs_row_free(c);
    rc = end_tx(db, rc, e);
    if (rc == 0 && done != NULL)
        *done = did;
    return rc;
}

int revoke_run_all_due(struct db *db, int64_t now, int *done, struct sm_err *e)
{
    char(*due)[REVOCATIONS_SERIAL_MAX] = NULL;
    size_t n = 0;
    int rc = revocations_list_due(db, now, &due, &n, e);
    if (done != NULL)
        *done = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int did = 0;
        rc = revoke_run_due(db, due[i], now, &did, e);
        if (done != NULL)
            *done += did;
    }
    free(due);
    return rc;
}

int revoke_needs_phone(const char *level, const char *source)
{
    return source != NULL && strcmp(source, "customer") == 0 && level != NULL &&
           (strcmp(level, "ov") == 0 || strcmp(level, "ev") == 0);
}

int64_t revoke_deadline(int reason, int64_t t)
{
    return t + (reason == REVOKE_KEY_COMPROMISE ? DAY : 5 * DAY);
}

static int audit_request(struct db *db, const char *actor, const char *action,
                         const struct revreq_row *q, json_t *extra, struct sm_err *e)
{
    char object[64];
    snprintf(object, sizeof object, "cert:%s", q->serial);
    json_t *d =
        json_pack("{s:I, s:s, s:I, s:I}", "request", (json_int_t)q->id, "reason",
                  revoke_reason_name(q->reason) ? revoke_reason_name(q->reason) : "", "due_at",
                  (json_int_t)q->due_at, "deadline_at", (json_int_t)q->deadline_at);
    if (d != NULL && extra != NULL)
        json_object_update(d, extra);
    json_decref(extra);
    int rc = d != NULL ? audit_append_json(db, actor, action, object, d, e)
                       : sm_err_set(e, SM_E_NOMEM, "audit", "out of memory");
    json_decref(d);
    return rc;
}

/* The pending request of a customer: the checks of revoke_tx without the change. */
static int request_tx(struct db *db, const struct revoke_req *r, const struct certs_row *c,
                      int64_t now, struct revoke_result *out, struct sm_err *e)
{
    struct revreq_row q = {0};
    int rc = revreq_get_pending(db, c->serial, &q, e);
    if (rc == 0)
        return sm_err_set(e, SM_E_CONFLICT, "state",
                          "certificate %s already has a revocation request", c->serial);
    if (rc != -SM_E_NOTFOUND)
        return rc;
    sm_err_clear(e);
    if (strcmp(c->state, "issued") != 0)
        return sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s is %s", c->serial, c->state);
    if (c->not_after > 0 && c->not_after < now)
        return sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s has expired", c->serial);
    rc = renewal_lock(db, r, c, e);
    if (rc < 0)
        return rc;
    memset(&q, 0, sizeof q);
    snprintf(q.serial, sizeof q.serial, "%s", c->serial);
    snprintf(q.requested_by, sizeof q.requested_by, "%s", r->actor ? r->actor : "system");
    q.org_id = c->org_id;
    q.reason = r->reason;
    q.due_at = r->reason == REVOKE_KEY_COMPROMISE || r->when <= now ? 0 : r->when;
    q.requested_at = now;
    q.deadline_at = revoke_deadline(r->reason, now);
    rc = revreq_insert(db, &q, &q.id, e);
    if (rc == 0)
        rc = audit_request(db, q.requested_by, "cert.revocation_requested", &q, NULL, e);
    if (rc == 0) {
        out->pending = 1;
        out->request_id = q.id;
        out->at = q.due_at ? q.due_at : now;
    }
    return rc;
}

int revoke_request(struct db *db, const struct revoke_req *r, struct revoke_result *out,
                   struct sm_err *e)
{
    struct revoke_result res = {0};
    char serial[41];
    int64_t now = (int64_t)clock_now();
    if (out != NULL)
        *out = res;
    if (r == NULL || revoke_serial_norm(r->serial, serial) < 0)
        return sm_err_set(e, SM_E_INVALID, "serial", "a serial is 1 to 40 hexadecimal digits");
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct certs_row *c = NULL;
    rc = r->scope ? certs_get_scoped(db, serial, r->scope, &c, e) : certs_get(db, serial, &c, e);
    if (rc == 0 && revoke_needs_phone(c->level, r->source)) {
        /* the reason and date checks of revoke_tx; then the request waits for the call */
        struct revoke_req probe = *r;
        probe.serial = serial;
        rc = check_request(r, now, e);
        if (rc == 0)
            rc = request_tx(db, &probe, c, now, &res, e);
    } else if (rc == 0) {
        rc = revoke_tx(db, r, now, &res, e);
    }
    certs_row_free(c);
    rc = end_tx(db, rc, e);
    if (rc == 0 && out != NULL)
        *out = res;
    return rc;
}

int revoke_confirm(struct db *db, int64_t request_id, const struct revoke_phone *ph,
                   struct revoke_result *out, struct sm_err *e)
{
    int64_t now = (int64_t)clock_now();
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (ph == NULL || ph->contact == NULL || ph->contact[0] == '\0' || strlen(ph->contact) > 120)
        return sm_err_set(e, SM_E_INVALID, "contact", "who confirmed by phone is required");
    int64_t at = ph->phone_at > 0 ? ph->phone_at : now;
    if (at > now + 300)
        return sm_err_set(e, SM_E_INVALID, "phone_at", "the call cannot be in the future");
    const char *note = ph->note ? ph->note : "";
    if (strlen(note) > 500)
        return sm_err_set(e, SM_E_INVALID, "note", "the note is longer than 500 characters");
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct revreq_row q = {0};
    rc = revreq_get(db, request_id, &q, e);
    if (rc == 0 && strcmp(q.state, "pending") != 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "revocation request %lld is %s",
                        (long long)request_id, q.state);
    if (rc == 0)
        rc = revreq_mark_confirmed(db, q.id, ph->officer, ph->contact, at, note, now, e);
    if (rc == 0)
        rc = audit_request(db, ph->officer, "cert.revocation_confirmed", &q,
                           json_pack("{s:s, s:I, s:s, s:s}", "phone_contact", ph->contact,
                                     "phone_at", (json_int_t)at, "phone_note", note, "requested_by",
                                     q.requested_by),
                           e);
    struct revoke_result res = {0};
    if (rc == 0) {
        struct revoke_req r = {.actor = ph->officer,
                               .source = "customer",
                               .serial = q.serial,
                               .reason = q.reason,
                               .when = q.due_at > now ? q.due_at : 0};
        rc = revoke_tx(db, &r, now, &res, e);
    }
    rc = end_tx(db, rc, e);
    if (rc == 0 && out != NULL)
        *out = res;
    return rc;
}

int revoke_withdraw(struct db *db, const char *actor, const char *serial_in,
                    const struct org_scope *scope, struct sm_err *e)
{
    char serial[41];
    int64_t now = (int64_t)clock_now();
    if (revoke_serial_norm(serial_in, serial) < 0)
        return sm_err_set(e, SM_E_INVALID, "serial", "a serial is 1 to 40 hexadecimal digits");
    int rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct certs_row *c = NULL;
    rc = scope ? certs_get_scoped(db, serial, scope, &c, e) : certs_get(db, serial, &c, e);
    struct revreq_row q = {0};
    int pend = -1;
    if (rc == 0) {
        pend = revreq_get_pending(db, serial, &q, e);
        if (pend == -SM_E_NOTFOUND)
            sm_err_clear(e);
        else if (pend < 0)
            rc = pend;
    }
    if (rc == 0 && pend == 0) {
        rc = revreq_mark_withdrawn(db, q.id, actor, now, e);
        if (rc == 0)
            rc = audit_request(db, actor, "cert.revocation_request_withdrawn", &q, NULL, e);
    } else if (rc == 0 && strcmp(c->state, "revocation_scheduled") == 0) {
        struct cert_change ch = {.actor = actor,
                                 .serial = serial,
                                 .to = CERT_ISSUED,
                                 .now = now,
                                 .detail = json_pack("{s:s}", "withdrawn_by", actor)};
        rc = cert_transition_tx(db, &ch, NULL, e);
        if (rc == 0)
            rc = revocations_set(db, serial, 0, 0, 0, NULL, e);
    } else if (rc == 0) {
        rc = sm_err_set(e, SM_E_CONFLICT, "state", "certificate %s has no revocation to withdraw",
                        serial);
    }
    certs_row_free(c);
    return end_tx(db, rc, e);
}
