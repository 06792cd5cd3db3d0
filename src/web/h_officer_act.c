/* SPDX-License-Identifier: MIT */
/* The officer's actions on an order (R-PAY-1, R-VAL-4..7): confirm payment, record an
 * organization check (phone verification with number, its source, when and with whom),
 * hold with a document request, resume, NG with a reason, approve and issue
 * (ra/fulfil), and the download of a customer's document. Each action is a form POST
 * carrying the order version it was shown with; a changed order answers 409 with the
 * stale message and changes nothing. Success redirects back to the order page. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ra/fulfil.h"
#include "ra/payment.h"
#include "ra/review.h"
#include "store/vetting.h"
#include "web/handlers.h"
#include "web/portal.h"

/* The "version" field of the form, or -1 when absent or malformed. */
static int64_t form_version(struct req *r)
{
    const char *s = req_form_text(r, "version");
    if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : v;
}

/* After an action: 303 to the order page, or the page with the error. */
static void finish(struct req *r, struct portal *p, int64_t id, int rc, const struct sm_err *e,
                   const char *done)
{
    if (rc == 0) {
        char loc[96];
        snprintf(loc, sizeof loc, "/officer/orders/%lld?done=%s", (long long)id, done);
        http_redirect(r, 303, loc);
        return;
    }
    int st = http_err_status(e);
    if (e->code == SM_E_NOTFOUND)
        http_reply_err_msg(r, e, "web.notfound", NULL);
    else if (st >= 500)
        http_reply_err(r, e);
    else
        officer_order_page(r, p, id, st, e);
}

/* Common start of every action: the order id, the RA context, the version shown. */
static int begin(struct req *r, struct portal *p, int64_t *id, int64_t *version, struct sm_err *e)
{
    *id = officer_param_id(r, "id");
    if (*id < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return -1;
    }
    if (portal_or_reply(r, p) < 0)
        return -1;
    *version = form_version(r);
    if (*version < 0)
        sm_err_set(e, SM_E_STALE, "version", "no version in the form");
    return 0;
}

/* -SM_E_STALE (field "version") when order id is no longer at version. */
static int still_current(struct portal *p, int64_t id, int64_t version, struct sm_err *e)
{
    struct order_row *o = NULL;
    int rc = orders_get(p->db, id, &p->who.scope, &o, e);
    if (rc == 0 && o->version != version)
        rc = sm_err_set(e, SM_E_STALE, "version", "order changed: %lld != %lld",
                        (long long)o->version, (long long)version);
    order_row_free(o);
    return rc;
}

/* One officer action on order id at the version the page showed; fills e and returns
 * negative to show the order page with the message, may change *done (the outcome named
 * in the redirect after success). */
typedef int (*action_fn)(struct req *r, struct portal *p, int64_t id, int64_t version,
                         const char **done, struct sm_err *e);

/* The frame of every action: id and version from the request, the action, then the
 * redirect or the order page with the message. */
static void run_action(struct req *r, action_fn fn, const char *done)
{
    struct portal p;
    int64_t id, version;
    struct sm_err e = {0};
    memset(&p, 0, sizeof p);
    if (begin(r, &p, &id, &version, &e) == 0) {
        int rc = version < 0 ? -SM_E_STALE : fn(r, &p, id, version, &done, &e);
        finish(r, &p, id, rc, &e, done);
    }
    portal_clear(&p);
}

static int act_pay(struct req *r, struct portal *p, int64_t id, int64_t version, const char **done,
                   struct sm_err *e)
{
    int rc = still_current(p, id, version, e);
    return rc == 0 ? order_confirm_payment(&p->env, &p->who, id, "officer", e) : rc;
}

void h_officer_pay(struct req *r) { run_action(r, act_pay, "paid"); }

/* Copies text of form field name into out; -SM_E_INVALID naming field when too long. */
static int copy_field(struct req *r, const char *name, char *out, size_t n, const char *field,
                      struct sm_err *e)
{
    const char *v = req_form_text(r, name);
    if (v == NULL)
        v = "";
    if (strlen(v) >= n)
        return sm_err_set(e, SM_E_TOO_LARGE, field, "too long");
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

/* "YYYY-MM-DD HH:MM" (or with a T), as the datetime-local input sends it. */
static int datetime_ok(const char *s)
{
    static const char shape[] = "dddd-dd-dd dd:dd";
    if (strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
                            : (i == 10 ? s[i] != ' ' && s[i] != 'T' : s[i] != shape[i]))
            return 0;
    }
    return 1;
}

/* The phone call's time and counterpart go in front of the note. */
static int phone_note(struct req *r, struct vetting_check_row *c, struct sm_err *e)
{
    const char *at = req_form_text(r, "called_at"), *with = req_form_text(r, "callee");
    if (at != NULL && *at != '\0' && !datetime_ok(at))
        return sm_err_set(e, SM_E_INVALID, "check.called_at", "want YYYY-MM-DD HH:MM");
    if (with == NULL || with[strspn(with, " \t")] == '\0')
        return sm_err_set(e, SM_E_INVALID, "check.callee", "who answered the call");
    if (strlen(with) > 120 || strpbrk(with, "\r\n\t") != NULL)
        return sm_err_set(e, SM_E_INVALID, "check.callee", "at most 120 bytes, one line");
    char when[20] = "-";
    if (at != NULL && *at != '\0') {
        memcpy(when, at, 16);
        when[10] = ' ';
        when[16] = '\0';
    }
    char note[sizeof c->note];
    int n = snprintf(note, sizeof note, "%s JST / %s%s%s", when, with, c->note[0] ? " / " : "",
                     c->note);
    if (n < 0 || (size_t)n >= sizeof note)
        return sm_err_set(e, SM_E_INVALID, "check.note", "too long");
    memcpy(c->note, note, (size_t)n + 1);
    return 0;
}

static int act_check(struct req *r, struct portal *p, int64_t id, int64_t version,
                     const char **done, struct sm_err *e)
{
    struct vetting_check_row c = {0};
    int rc = copy_field(r, "kind", c.kind, sizeof c.kind, "check.kind", e);
    if (rc == 0)
        rc = copy_field(r, "result", c.result, sizeof c.result, "check.result", e);
    if (rc == 0)
        rc = copy_field(r, "source", c.source, sizeof c.source, "check.source", e);
    if (rc == 0)
        rc = copy_field(r, "note", c.note, sizeof c.note, "check.note", e);
    if (rc == 0 && strcmp(c.kind, "phone") == 0) {
        rc = copy_field(r, "phone", c.phone, sizeof c.phone, "check.phone", e);
        if (rc == 0)
            rc = copy_field(r, "phone_source", c.phone_source, sizeof c.phone_source,
                            "check.phone_source", e);
        if (rc == 0 && c.phone[0] != '\0' && c.phone_source[0] != '\0')
            rc = phone_note(r, &c, e);
    }
    if (rc == 0)
        rc = still_current(p, id, version, e);
    if (rc == 0)
        rc = review_record_check(&p->env, &p->who, id, &c, NULL, e);
    return rc;
}

void h_officer_check(struct req *r) { run_action(r, act_check, "checked"); }

static int act_hold(struct req *r, struct portal *p, int64_t id, int64_t version, const char **done,
                    struct sm_err *e)
{
    static const char *const kinds[] = {"phone_bill", "authorization_letter", "pledge", "other"};
    const char *chosen[4];
    size_t n = 0;
    for (size_t i = 0; i < 4; i++) {
        char name[40];
        snprintf(name, sizeof name, "doc_%s", kinds[i]);
        const char *v = req_form_text(r, name);
        if (v != NULL && *v != '\0')
            chosen[n++] = kinds[i];
    }
    if (n == 0)
        return sm_err_set(e, SM_E_INVALID, "doc.kind", "choose at least one document");
    return review_hold(&p->env, &p->who, id, version, chosen, n, req_form_text(r, "note"), e);
}

static int act_resume(struct req *r, struct portal *p, int64_t id, int64_t version,
                      const char **done, struct sm_err *e)
{
    return review_resume(&p->env, &p->who, id, version, e);
}

static int act_reject(struct req *r, struct portal *p, int64_t id, int64_t version,
                      const char **done, struct sm_err *e)
{
    return review_reject(&p->env, &p->who, id, version, req_form_text(r, "reason"), e);
}

void h_officer_hold(struct req *r) { run_action(r, act_hold, "held"); }
void h_officer_resume(struct req *r) { run_action(r, act_resume, "resumed"); }
void h_officer_reject(struct req *r) { run_action(r, act_reject, "rejected"); }

/* Approve hands issuance to the job (issue 8 item 5): the answer comes at once and the
 * order page says "issuing" until the job has run. */
static int act_approve(struct req *r, struct portal *p, int64_t id, int64_t version,
                       const char **done, struct sm_err *e)
{
    *done = "issuing";
    return fulfil_approve(&p->env, &p->who, r->web->cfg, id, version, e);
}

/* Issue again after a refusal: schedules the job again (never signs in the request). */
static int act_issue(struct req *r, struct portal *p, int64_t id, int64_t version,
                     const char **done, struct sm_err *e)
{
    int rc = still_current(p, id, version, e);
    *done = "issuing";
    if (rc == 0)
        rc = fulfil_retry(&p->env, &p->who, id, e);
    return rc;
}

void h_officer_approve(struct req *r) { run_action(r, act_approve, "issuing"); }
void h_officer_issue(struct req *r) { run_action(r, act_issue, "issuing"); }

/* "document-ID-NAME" for Content-Disposition: letters, digits, '.', '-', '_' of the
 * uploaded name (others become '_'), the extension of the sniffed type. */
static void safe_name(const struct document_row *d, const char *type, char *out, size_t n)
{
    char base[64];
    size_t j = 0;
    for (size_t i = 0; d->file_name[i] != '\0' && j < sizeof base - 1; i++) {
        unsigned char c = (unsigned char)d->file_name[i];
        int okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (c == '.')
            break; /* the extension comes from the sniffed type */
        if (okc || j == 0 || base[j - 1] != '_')
            base[j++] = okc ? (char)c : '_';
    }
    base[j] = '\0';
    const char *ext = type == NULL                           ? "bin"
                      : strcmp(type, "application/pdf") == 0 ? "pdf"
                      : strcmp(type, "image/png") == 0       ? "png"
                                                             : "jpg";
    snprintf(out, n, "document-%lld-%s.%s", (long long)d->id, base, ext);
}

/* A customer's document, as uploaded, with the type sniffed at upload. */
void h_officer_document(struct req *r)
{
    int64_t id = officer_param_id(r, "id"), doc = officer_param_id(r, "doc");
    if (id < 0 || doc < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct portal p;
    struct document_row d = {0};
    struct order_row *o = NULL;
    struct sm_err e = {0};
    if (portal_or_reply(r, &p) < 0)
        goto out;
    int rc = orders_get(p.db, id, &p.who.scope, &o, &e);
    if (rc == 0)
        rc = vetting_doc_get(p.db, id, doc, &d, &e);
    if (rc == -SM_E_NOTFOUND) {
        http_reply_error(r, 404, "web.notfound", NULL);
    } else if (rc < 0) {
        log_error("officer: document", "detail", e.detail);
        http_reply_error(r, 500, "err.internal", NULL);
    } else {
        const char *type = review_sniff(d.data, (size_t)d.size);
        char name[300];
        safe_name(&d, type, name, sizeof name);
        r->attachment = name;
        http_reply(r, 200, type ? type : "application/octet-stream", d.data, (size_t)d.size);
        r->attachment = NULL;
    }
out:
    free(d.data);
    order_row_free(o);
    portal_clear(&p);
}
