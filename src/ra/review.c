/* SPDX-License-Identifier: MIT */
/* Officer review: checks, phone reuse, hold/resume/NG/approve, document uploads. See
 * review.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/policy.h"
#include "ra/field.h"
#include "ra/review.h"
#include "store/db.h"
#include "store/orgreg.h"

static const char *const check_kinds[] = {"registry", "tdb", "name_match", "domain_owner", "phone"};
static const char *const doc_kinds[] = {"phone_bill", "authorization_letter", "pledge", "other"};

static int one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int in_review(const struct order_row *o)
{
    return strcmp(o->state, "vetting") == 0 || strcmp(o->state, "on_hold") == 0;
}

/* Text with something besides white space, no control characters, <= max characters. */
static int bounded(const char *s, long max, int nl)
{
    if (s == NULL || s[strspn(s, " \t\r\n")] == '\0')
        return 0;
    return !field_has_control(s, nl) && field_chars(s) <= max;
}

static int check_input(const struct vetting_check_row *in, struct sm_err *e)
{
    if (!one_of(in->kind, check_kinds, 5))
        return sm_err_set(e, SM_E_INVALID, "check.kind", "unknown check kind");
    if (strcmp(in->result, "ok") != 0 && strcmp(in->result, "ng") != 0)
        return sm_err_set(e, SM_E_INVALID, "check.result", "ok or ng");
    if (!bounded(in->source, 120, 0))
        return sm_err_set(e, SM_E_INVALID, "check.source", "source required");
    if (in->note[0] != '\0' && !bounded(in->note, 500, 1))
        return sm_err_set(e, SM_E_INVALID, "check.note", "note too long");
    if (strcmp(in->kind, "phone") == 0) {
        if (!field_phone(in->phone))
            return sm_err_set(e, SM_E_INVALID, "check.phone", "phone number required");
        if (!bounded(in->phone_source, 120, 0))
            return sm_err_set(e, SM_E_INVALID, "check.phone_source", "number source required");
    }
    return 0;
}

struct rec_arg {
    const struct vetting_check_row *in;
    int64_t *id;
};

static int do_record(const struct order_env *env, const struct order_actor *who,
                     struct order_row *o, void *arg, struct sm_err *e)
{
    struct rec_arg *a = arg;
    if (!in_review(o))
        return sm_err_set(e, SM_E_CONFLICT, "state", "order %s is not in review", o->receipt_no);
    struct vetting_check_row c = *a->in;
    c.order_id = o->id;
    c.org_id = o->org_id;
    c.officer_id = who->user_id;
    c.at = clock_now();
    if (strcmp(c.kind, "phone") != 0)
        c.phone[0] = c.phone_source[0] = '\0';
    int64_t id = 0;
    int rc = vetting_check_insert(env->db, &c, &id, e);
    json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s?}", "check_id", (json_int_t)id,
                          "kind", c.kind, "result", c.result, "source", c.source, "note",
                          c.note[0] ? c.note : NULL, "phone", c.phone[0] ? c.phone : NULL,
                          "phone_source", c.phone_source[0] ? c.phone_source : NULL);
    if (rc == 0 && d == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = order_audit(env, who, o, "order.check", d, e);
    json_decref(d);
    if (rc == 0 && a->id != NULL)
        *a->id = id;
    return rc;
}

int review_record_check(const struct order_env *env, const struct order_actor *who,
                        int64_t order_id, const struct vetting_check_row *in, int64_t *id,
                        struct sm_err *e)
{
    int rc = check_input(in, e);
    if (rc < 0)
        return rc;
    struct rec_arg a = {in, id};
    return order_with(env, who, order_id, 0, do_record, &a, e);
}

int review_phone_reusable(const struct order_env *env, const struct order_row *o, time_t now,
                          struct vetting_check_row *found, struct sm_err *e)
{
    if (strcmp(o->kind, "renewal") != 0 || o->predecessor_cert_id <= 0)
        return 0;
    int64_t prev_id = 0;
    int rc = orders_of_cert(env->db, o->predecessor_cert_id, &prev_id, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 0;
    }
    if (rc < 0)
        return rc;
    struct order_row *prev = NULL;
    static const struct org_scope all = {1, NULL, 0};
    rc = orders_get(env->db, prev_id, &all, &prev, e);
    if (rc < 0)
        return rc == -SM_E_NOTFOUND ? (sm_err_clear(e), 0) : rc;
    int same = prev->org_id == o->org_id && prev->cn && o->cn && strcmp(prev->cn, o->cn) == 0 &&
               prev->applicant && o->applicant && strcmp(prev->applicant, o->applicant) == 0;
    order_row_free(prev);
    if (!same)
        return 0;
    struct vetting_check_row c;
    rc = vetting_check_last_ok(env->db, o->org_id, "phone", now, &c, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!policy_identity_reusable(c.at, now))
        return 0;
    if (found != NULL)
        *found = c;
    return 1;
}

/* The newest result per kind among the order's checks still inside the identity reuse
 * period at now (R-VAL-4, 398 days; issue 8 item 21) and made after the organization's
 * registration last changed a vetted field (reset; issue 12 item 6): 1 ok, 0 ng, -1 none. */
static int latest(const struct vetting_check_row *v, size_t n, const char *kind, time_t now,
                  int64_t reset)
{
    int r = -1;
    for (size_t i = 0; i < n; i++) /* oldest first: the last one wins */
        if (strcmp(v[i].kind, kind) == 0 && v[i].at > reset &&
            policy_identity_reusable((time_t)v[i].at, now))
            r = strcmp(v[i].result, "ok") == 0;
    return r;
}

int review_checks_missing(const struct order_env *env, const struct order_row *o,
                          const struct product_row *p, time_t now, const char *missing[5],
                          size_t *n, struct sm_err *e)
{
    *n = 0;
    if (strcmp(p->level, "dv") == 0)
        return 0;
    struct vetting_check_row *v = NULL;
    size_t nv = 0;
    int rc = vetting_checks_list(env->db, o->id, &v, &nv, e);
    if (rc < 0)
        return rc;
    struct orgreg_row reg;
    int64_t reset = 0;
    rc = orgreg_get(env->db, o->org_id, &reg, e);
    if (rc == 0)
        reset = reg.vetting_reset_at;
    else if (rc == -SM_E_NOTFOUND)
        sm_err_clear(e);
    else {
        free(v);
        return rc;
    }
    rc = 0;
    json_t *app = o->applicant ? json_loads(o->applicant, 0, NULL) : NULL;
    const char *tdb = json_string_value(json_object_get(json_object_get(app, "org"), "tdb_code"));
    int want_tdb = tdb != NULL && tdb[0] != '\0';
    json_decref(app);
    for (size_t i = 0; i < 5; i++) {
        const char *k = check_kinds[i];
        if (strcmp(k, "tdb") == 0 && !want_tdb)
            continue;
        if (latest(v, nv, k, now, reset) == 1)
            continue;
        if (strcmp(k, "phone") == 0 && latest(v, nv, k, now, reset) == -1) {
            rc = review_phone_reusable(env, o, now, NULL, e);
            if (rc < 0)
                break;
            if (rc == 1) {
                rc = 0;
                continue;
            }
        }
        missing[(*n)++] = k;
    }
    free(v);
    return rc < 0 ? rc : 0;
}

struct hold_arg {
    const char *const *kinds;
    size_t nkinds;
    const char *note;
};

static int do_hold(const struct order_env *env, const struct order_actor *who, struct order_row *o,
                   void *arg, struct sm_err *e)
{
    struct hold_arg *h = arg;
    time_t now = clock_now();
    json_t *kinds = json_array();
    int rc = kinds ? 0 : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < h->nkinds && rc == 0; i++) {
        struct doc_request_row r = {0};
        r.order_id = o->id;
        snprintf(r.kind, sizeof r.kind, "%s", h->kinds[i]);
        snprintf(r.note, sizeof r.note, "%s", h->note);
        r.requested_by = who->user_id;
        r.at = now;
        rc = vetting_docreq_insert(env->db, &r, NULL, e);
        if (rc == 0 && json_array_append_new(kinds, json_string(h->kinds[i])) < 0)
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    json_t *d = rc == 0 ? json_pack("{s:O, s:s}", "documents", kinds, "note", h->note) : NULL;
    if (rc == 0 && d == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    struct orders_state_set set = {.decision_note = h->note};
    if (rc == 0)
        rc = order_transition_tx(env, who, o, ORDER_ON_HOLD, "hold", &set, d, e);
    json_decref(d);
    json_decref(kinds);
    return rc;
}

int review_hold(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                int64_t version, const char *const *kinds, size_t nkinds, const char *note,
                struct sm_err *e)
{
    if (!bounded(note, 500, 1))
        return sm_err_set(e, SM_E_INVALID, "note", "what to provide is required");
    if (nkinds > 4 || (nkinds > 0 && kinds == NULL))
        return sm_err_set(e, SM_E_INVALID, "doc.kind", "at most 4 document kinds");
    for (size_t i = 0; i < nkinds; i++)
        if (!one_of(kinds[i], doc_kinds, 4))
            return sm_err_set(e, SM_E_INVALID, "doc.kind", "unknown document kind");
    struct hold_arg h = {kinds, nkinds, note};
    return order_with(env, who, order_id, version, do_hold, &h, e);
}

int review_resume(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                  int64_t version, struct sm_err *e)
{
    return order_transition(env, who, order_id, version, ORDER_VETTING, "resumed", e);
}

static int do_reject(const struct order_env *env, const struct order_actor *who,
                     struct order_row *o, void *arg, struct sm_err *e)
{
    const char *reason = arg;
    struct orders_state_set set = {.decided_at = clock_now(), .decision_note = reason};
    json_t *d = json_pack("{s:s}", "reason", reason);
    int rc = d ? order_transition_tx(env, who, o, ORDER_REJECTED, "rejected", &set, d, e)
               : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    json_decref(d);
    return rc;
}

int review_reject(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                  int64_t version, const char *reason, struct sm_err *e)
{
    if (!bounded(reason, 1000, 1))
        return sm_err_set(e, SM_E_INVALID, "reason", "a reason is required");
    return order_with(env, who, order_id, version, do_reject, (void *)reason, e);
}

static int domains_pending(const struct order_env *env, const struct order_row *o, struct sm_err *e)
{
    struct order_domain_row *d = NULL;
    size_t n = 0;
    int rc = order_domains_list(env->db, o->id, &d, &n, e);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (strcmp(d[i].state, "validated") != 0)
            rc = sm_err_set(e, SM_E_CONFLICT, "domains", "%s not validated", d[i].name);
    if (rc == 0 && n == 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "domains", "order has no domains");
    order_domain_rows_free(d, n);
    return rc;
}

static int do_approve(const struct order_env *env, const struct order_actor *who,
                      struct order_row *o, void *arg, struct sm_err *e)
{
    (void)arg;
    if (strcmp(o->state, "vetting") != 0)
        return sm_err_set(e, SM_E_CONFLICT, "state", "order %s is not in vetting", o->receipt_no);
    struct product_row p;
    int rc = products_get(env->db, o->product_id, &p, e);
    if (rc == 0)
        rc = domains_pending(env, o, e);
    const char *missing[5];
    size_t nm = 0;
    time_t now = clock_now();
    if (rc == 0)
        rc = review_checks_missing(env, o, &p, now, missing, &nm, e);
    if (rc == 0 && nm > 0) {
        char list[96] = "";
        for (size_t i = 0; i < nm; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? "," : "", missing[i]);
        }
        rc = sm_err_set(e, SM_E_CONFLICT, "checks", "%s", list);
    }
    struct orders_state_set set = {.decided_at = now};
    if (rc == 0)
        rc = order_transition_tx(env, who, o, ORDER_APPROVED, "approved", &set, NULL, e);
    return rc;
}

int review_approve(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                   int64_t version, struct sm_err *e)
{
    return order_with(env, who, order_id, version, do_approve, NULL, e);
}

const char *review_sniff(const unsigned char *d, size_t n)
{
    if (n >= 5 && memcmp(d, "%PDF-", 5) == 0)
        return "application/pdf";
    if (n >= 4 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return "image/jpeg";
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    return NULL;
}

struct up_arg {
    const char *kind, *file_name, *type;
    const unsigned char *data;
    size_t len;
    int64_t *doc_id;
};

static int do_upload(const struct order_env *env, const struct order_actor *who,
                     struct order_row *o, void *arg, struct sm_err *e)
{
    struct up_arg *a = arg;
    if (!in_review(o) && strcmp(o->state, "awaiting_payment") != 0)
        return sm_err_set(e, SM_E_CONFLICT, "state", "order %s takes no documents now",
                          o->receipt_no);
    struct document_row d = {0};
    d.order_id = o->id;
    snprintf(d.kind, sizeof d.kind, "%s", a->kind);
    snprintf(d.file_name, sizeof d.file_name, "%s", a->file_name);
    snprintf(d.sniffed_type, sizeof d.sniffed_type, "%s", a->type);
    d.size = (int64_t)a->len;
    d.data = (unsigned char *)a->data; /* borrowed for the insert */
    d.uploaded_by = who->user_id;
    d.at = clock_now();
    int64_t id = 0;
    int rc = vetting_doc_insert(env->db, &d, &id, e);
    if (rc == 0)
        rc = vetting_docreq_fulfil(env->db, o->id, a->kind, d.at, e);
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:I}", "document_id", (json_int_t)id, "kind", a->kind,
                  "file_name", a->file_name, "type", a->type, "size", (json_int_t)a->len);
    if (rc == 0 && j == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = order_audit(env, who, o, "order.document", j, e);
    json_decref(j);
    if (rc == 0 && a->doc_id != NULL)
        *a->doc_id = id;
    return rc;
}

int review_upload(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                  const char *kind, const char *file_name, const unsigned char *data, size_t len,
                  int64_t *doc_id, struct sm_err *e)
{
    int64_t max = env->max_upload > 0 ? env->max_upload : 10 * 1024 * 1024;
    if (!one_of(kind, doc_kinds, 4))
        return sm_err_set(e, SM_E_INVALID, "doc.kind", "unknown document kind");
    if (!bounded(file_name, 255, 0) || strpbrk(file_name, "/\\") != NULL || strlen(file_name) > 255)
        return sm_err_set(e, SM_E_INVALID, "file_name", "bad file name");
    if ((int64_t)len > max)
        return sm_err_set(e, SM_E_TOO_LARGE, "file", "%zu bytes > %lld", len, (long long)max);
    const char *type = data ? review_sniff(data, len) : NULL;
    if (type == NULL)
        return sm_err_set(e, SM_E_MEDIA_TYPE, "file", "not a PDF, JPEG or PNG file");
    struct up_arg a = {kind, file_name, type, data, len, doc_id};
    return order_with(env, who, order_id, 0, do_upload, &a, e);
}
