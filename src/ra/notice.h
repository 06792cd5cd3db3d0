/* SPDX-License-Identifier: MIT */
/* Notices of order events (R-NOT-1, R-NOT-2, R-ISS-5): the order hook that turns
 * "order.submitted", "order.paid", "order.hold", "order.rejected", "order.issued" ... into
 * outbox mails to the order's notification addresses (and, for issuance, the managing
 * reseller's users), in the organization's language, inside the transaction of the change.
 * Templates: web/mail/order_<event>.<lang>.txt. The hook also prepares domain validation
 * (ra/validate) when an order enters vetting or is re-applied. */
#ifndef SM_RA_NOTICE_H
#define SM_RA_NOTICE_H
#include "ra/order.h"

struct config;

/* Fills h with the notice hook; cfg (base_url for links) must outlive h. */
void notice_hooks_init(struct order_hooks *h, const struct config *cfg);

/* The language of an organization's mails: the locale of its first user, else "ja". */
const char *notice_org_lang(struct db *db, int64_t org_id);

/* t as "YYYY-MM-DD hh:mm JST", the time mails show. */
void notice_tokyo_time(int64_t t, char *out, size_t n);

/* Queues the mail tmpl with vars (JSON text) to each of the order's notification addresses
 * once (compared without case), in lang, inside the caller's transaction. */
int notice_queue_order(struct db *db, const struct order_row *o, const char *lang, const char *tmpl,
                       const char *vars, struct sm_err *e);
/* Queues it to every user with an address of the reseller managing organization org_id
 * (none: nothing), each in the user's language (R-ISS-5, R-REN-1). */
int notice_queue_reseller(struct db *db, int64_t org_id, int64_t order_id, const char *tmpl,
                          const char *vars, struct sm_err *e);

#endif
