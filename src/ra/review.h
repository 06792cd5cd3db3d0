/* SPDX-License-Identifier: MIT */
/* Officer review of orders (R-VAL-4..7): organization checks recorded with officer,
 * source, result and date; phone-verification reuse (R-VAL-5); holds with document
 * requests and the customer's uploads (R-VAL-6, PDF/JPEG/PNG sniffed by magic bytes,
 * size-limited); NG with a reason; approval once every domain is validated and every
 * required check passed. State changes go through order_transition_tx (ra/order.h). */
#ifndef SM_REVIEW_H
#define SM_REVIEW_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ra/order.h"
#include "store/vetting.h"

/* Records one organization check on an order in vetting or on hold (R-VAL-4). in->kind
 * registry|tdb|name_match|domain_owner|phone, in->result ok|ng, in->source required
 * (<= 120 characters), note <= 500; a phone check needs in->phone (a phone number) and
 * in->phone_source (where the number was taken from, e.g. "NTT 番号案内"). The officer
 * is who->user_id, the date now; org_id comes from the order. *id may be NULL. */
int review_record_check(const struct order_env *env, const struct order_actor *who,
                        int64_t order_id, const struct vetting_check_row *in, int64_t *id,
                        struct sm_err *e);

/* R-VAL-5: 1 if the phone verification may be skipped for order o at `now`: o is a
 * renewal whose predecessor certificate came from an order with the same CN and the same
 * applicant data, and the organization has an "ok" phone check younger than the identity
 * reuse period (core/policy.h). *found (may be NULL) gets that check. 0 if not, <0 on
 * error. */
int review_phone_reusable(const struct order_env *env, const struct order_row *o, time_t now,
                          struct vetting_check_row *found, struct sm_err *e);

/* Kinds of checks still missing before approval of o (OV/EV: registry, name_match,
 * domain_owner, phone unless reusable, tdb when the applicant gave a TDB code; DV: none);
 * a check older than the identity reuse period at now (398 days) counts as missing, at
 * approval and again right before signing (ra/fulfil):
 * writes up to 5 static kind names into missing and their count into *n. */
int review_checks_missing(const struct order_env *env, const struct order_row *o,
                          const struct product_row *p, time_t now, const char *missing[5],
                          size_t *n, struct sm_err *e);

/* Hold (保留, R-VAL-6): vetting → on_hold with one document request per kind
 * (phone_bill | authorization_letter | pledge | other) and the note telling the customer
 * what to upload (required). The hook's event "order.hold" carries both. */
int review_hold(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                int64_t version, const char *const *kinds, size_t nkinds, const char *note,
                struct sm_err *e);
/* on_hold → vetting. */
int review_resume(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                  int64_t version, struct sm_err *e);
/* NG (却下): vetting or on_hold → rejected with the reason (required, sent to the
 * customer through the hook). */
int review_reject(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                  int64_t version, const char *reason, struct sm_err *e);
/* Approve: vetting → approved when every domain is validated (-SM_E_CONFLICT field
 * "domains") and no required check is missing or NG (field "checks", detail lists
 * them). */
int review_approve(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                   int64_t version, struct sm_err *e);

/* "application/pdf", "image/jpeg" or "image/png" by magic bytes, else NULL. */
const char *review_sniff(const unsigned char *data, size_t len);
/* A customer's upload on an order not yet decided (awaiting_payment, vetting, on_hold):
 * kind as for holds; the type is sniffed (-SM_E_INVALID field "file" otherwise), the
 * size is at most env->max_upload (-SM_E_TOO_LARGE field "file"), file_name 1..255
 * characters without path separators or control characters (field "file_name").
 * Fulfils the open requests of that kind. *doc_id may be NULL. */
int review_upload(const struct order_env *env, const struct order_actor *who, int64_t order_id,
                  const char *kind, const char *file_name, const unsigned char *data, size_t len,
                  int64_t *doc_id, struct sm_err *e);

#endif
