/* SPDX-License-Identifier: MIT */
/* Orders (applications) and their state machine (R-APP-1, R-APP-7, R-PAY-1, R-VAL-7,
 * R-CAL-1). Every state change goes through ONE function (order_transition_tx) that
 * checks the allowed edge, updates the row under optimistic locking (version) and writes
 * the audit record in the same transaction; mails are queued by the caller's hook in that
 * transaction too. Vetting actions (checks, holds, documents, approve/NG) are in
 * ra/review.h. No SQL here (store/orders.h), no HTTP.
 *
 *   draft ──submit──▶ awaiting_payment ──paid──▶ vetting ◀──resume── on_hold
 *     │                   │                       │  ──hold──────────▶ │
 *     │                   │                       ├──approve──▶ approved ──issued──▶ issued
 *     │                   │                       │◀──revalidate── approved (evidence too old
 *     │                   │                       │               at signing, ra/validate)
 *     │                   │                       ├──NG───────▶ rejected ◀──NG── on_hold
 *     └──────cancel───────┴───────cancel──────────┴──cancel──▶ cancelled ◀─cancel─┘
 *
 * Receipt number (受付番号): "R" + Tokyo date YYYYMMDD + "-" + 5-digit sequence of that
 * day, e.g. R20261129-00001. Invoice number: "BILL-" + Tokyo YYYYMM + "-" + 5-digit
 * sequence of that month, e.g. BILL-202611-00001 (both from store counters, unique and
 * safe under concurrency on SQLite and PostgreSQL). */
#ifndef SM_ORDER_H
#define SM_ORDER_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "core/err.h"
#include "ra/appform.h"
#include "ra/maint.h"
#include "store/orders.h"
#include "store/products.h"

struct db;

enum order_state {
    ORDER_DRAFT = 0,        /* saved, not submitted (cart item) */
    ORDER_AWAITING_PAYMENT, /* submitted; waits for 入金確認 */
    ORDER_VETTING,          /* paid: DCV and organization checks run */
    ORDER_ON_HOLD,          /* 保留: the customer was asked for documents */
    ORDER_APPROVED,         /* officer approved; issuance pending */
    ORDER_ISSUED,           /* certificate issued (final) */
    ORDER_REJECTED,         /* NG / 却下 with a reason (final) */
    ORDER_CANCELLED,        /* cancelled before issuance (final) */
    ORDER__NSTATES
};

const char *order_state_name(enum order_state s); /* "awaiting_payment" ...; "?" if bad */
int order_state_parse(const char *s, enum order_state *out); /* 0 or -1 */
/* 1 if the state machine has the edge from -> to. */
int order_edge_allowed(enum order_state from, enum order_state to);
/* 1 for states in which a re-application (editing before issuance) is allowed:
 * draft, awaiting_payment, vetting, on_hold. */
int order_editable(enum order_state s);

/* Mail call point: called inside the transaction of every change with the order as it
 * is after the change, the event name ("order.submitted", "order.paid", "order.hold",
 * "order.resumed", "order.rejected", "order.approved", "order.issued", "order.cancelled",
 * "order.reapplied", "order.document") and the audit detail JSON. A negative return
 * rolls the change back. ra/notice queues the mails here (R-NOT-1/2). */
struct order_hooks {
    int (*notify)(void *arg, struct db *db, const struct order_row *o, const char *event,
                  const char *detail_json, struct sm_err *e);
    void *arg;
};

/* What the RA needs from configuration; built once (config [portal] maintenance via
 * maint_parse, [server] max_upload, [payment] hmac_secret). */
struct order_env {
    struct db *db;
    const struct order_hooks *hooks;  /* NULL = no mails */
    const struct maint_policy *maint; /* NULL = default window; {0} = never */
    int64_t max_upload;               /* bytes; 0 = 10 MiB */
    const char *hmac_secret;          /* payment callback; NULL/"" = callback refused */
    const char *client_ip;            /* the request's client address for the audit log; NULL = none
                                         (jobs, CLI) */
};

struct config;
/* Fills env from the configuration: [portal] maintenance (parsed into *maint, which must
 * outlive env), [server] max_upload, [payment] hmac_secret (borrowed from cfg). 0, or
 * -SM_E_CONFIG naming the bad setting. */
int order_env_init(struct order_env *env, struct db *db, const struct order_hooks *hooks,
                   const struct config *cfg, struct maint_policy *maint, struct sm_err *e);

/* Who acts: user_id 0 = the system (payment callback, jobs). scope limits which orders
 * the actor can see: customers their organization, resellers the organizations they
 * manage, officers/admins ORG_SCOPE_ALL. An order outside the scope is
 * -SM_E_NOTFOUND, exactly as a missing one. */
struct order_actor {
    int64_t user_id;
    struct org_scope scope;
};

/* Error → message key for users: "order.err.maintenance", "order.err.stale",
 * "order.err.state", "order.err.file_type", ... (web/i18n/ja-order.json and
 * en-order.json); falls back to sm_err_msgkey(e->code). */
const char *order_err_key(const struct sm_err *e);

/* A new order from a checked application (appform_check with no errors). */
struct order_new {
    int64_t org_id;
    const struct product_row *product;
    const char *kind;     /* new | renewal | reissue */
    const char *idem_key; /* one per form display (1..64 chars): a second
                             submission with the same key returns the first order */
    const struct appform_result *form;
    const char *csr_pem;         /* stored for issuance; NULL = form->csr_pem (normalized) */
    int64_t predecessor_cert_id; /* renewal / reissue */
    int draft;                   /* 1: save as draft (cart); 0: submit now */
    const char *pay_method;      /* "invoice" (default) or "card" (paid at once, R-PAY-1) */
    int64_t amount;              /* yen; <= 0 = list price + extra names; > 0 = a
                                    negotiated price (R-PRD-2) */
};

/* Submits a draft (draft → awaiting_payment): receipt time, invoice number. */
int order_submit(const struct order_env *env, const struct order_actor *who, int64_t id,
                 int64_t version, struct sm_err *e);

/* Re-application (再申請, R-APP-1): replaces CSR (csr_pem; NULL = form->csr_pem), names,
 * applicant/contact/billing data, notification e-mails and options of an order not yet
 * approved, from a new checked form.
 * New names get pending domain rows; names kept keep their validation. Refused in the
 * maintenance window, and with -SM_E_CONFLICT (field "state") once approved. */
int order_reapply(const struct order_env *env, const struct order_actor *who, int64_t id,
                  int64_t version, const struct appform_result *form, const char *csr_pem,
                  struct sm_err *e);

/* THE transition: inside the caller's transaction (db_begin), moves o (as loaded in that
 * transaction) to `to` if the edge exists and o->version is current, sets the columns in
 * set (may be NULL), appends the audit record (action "order." + event, object
 * "order:" + receipt_no, detail = {"from","to"} merged with detail, which may be NULL) and
 * calls the hook. o is updated in memory (state, version). A move to approved schedules
 * the order's issuance job (ORDER_ISSUE_JOB, issue 8 item 5) in the same transaction:
 * signing never runs inside the request that approves. */
int order_transition_tx(const struct order_env *env, const struct order_actor *who,
                        struct order_row *o, enum order_state to, const char *event,
                        const struct orders_state_set *set, json_t *detail, struct sm_err *e);
/* The same in a transaction of its own, loading order id (scoped) and checking version
 * (0 = whatever is current). */
int order_transition(const struct order_env *env, const struct order_actor *who, int64_t id,
                     int64_t version, enum order_state to, const char *event, struct sm_err *e);

/* Runs fn(arg, o) inside a transaction on order id as loaded there (scoped; version
 * checked unless 0); commits when fn returns 0, else rolls back. For ra modules. */
typedef int (*order_fn)(const struct order_env *env, const struct order_actor *who,
                        struct order_row *o, void *arg, struct sm_err *e);
int order_with(const struct order_env *env, const struct order_actor *who, int64_t id,
               int64_t version, order_fn fn, void *arg, struct sm_err *e);

/* Creates (or, for a repeated idem_key of the same user, returns) an order. Submitting
 * is refused inside the maintenance window (-SM_E_MAINTENANCE, field "maintenance"); an
 * application with errors is -SM_E_INVALID (field "form"). On success *out (caller frees
 * with order_row_free) is the order and *created (may be NULL) is 1 when it was created
 * now, 0 when an earlier submission with the same key was found. Placing an order from a
 * portal or API application is order_apply (ra/order_apply.h), which calls this. */
int order_create(const struct order_env *env, const struct order_actor *who,
                 const struct order_new *n, struct order_row **out, int *created, struct sm_err *e);
/* The same with more work in the creating transaction: then(env, who, o, arg, e) runs on
 * the new order after its row, domains, audit record and mails are written and before the
 * commit; a negative return rolls everything back. Not called for an earlier submission
 * with the same key. then NULL = order_create. */
int order_create_then(const struct order_env *env, const struct order_actor *who,
                      const struct order_new *n, order_fn then, void *arg, struct order_row **out,
                      int *created, struct sm_err *e);
/* "user:42" or "system" for user_id 0. */
void order_actor_name(const struct order_actor *who, char *out, size_t n);
/* Appends the audit record of a change that is not a transition (action, detail JSON
 * may be NULL) and calls the hook with event = action. Caller's transaction. */
int order_audit(const struct order_env *env, const struct order_actor *who,
                const struct order_row *o, const char *action, json_t *detail, struct sm_err *e);

/* The reasons a customer picks from when cancelling on the order page (issue 8 item 6),
 * NULL-terminated: their labels are the messages "order.cancel_reason.CODE". "other"
 * needs a text of its own. */
extern const char *const order_cancel_reasons[];
/* 1 if code is one of order_cancel_reasons. */
int order_cancel_reason_ok(const char *code);

/* Cancels an order not yet approved (reason optional). */
int order_cancel(const struct order_env *env, const struct order_actor *who, int64_t id,
                 int64_t version, const char *reason, struct sm_err *e);

/* The one-shot job of the jobs table that issues an approved order (jobs/issuer.c); its
 * key is the order id in decimal. */
#define ORDER_ISSUE_JOB "order.issue"
/* The notice event (not an audit action) of a new issuance refusal: the customer is mailed
 * once per refusal, not on every retry that meets the same one (ra/fulfil). */
#define ORDER_ISSUE_REFUSED "order.issue_refused"
/* Schedules (or schedules again, when its last run has ended) the issuance job of order
 * id, due now by the wall clock. Works inside or outside a transaction. */
int order_issue_schedule(struct db *db, int64_t id, struct sm_err *e);
/* 1 when the issuance job of order id is queued, running or waiting to be retried, 0
 * when there is none or it has ended (also on a read error). *attempts (may be NULL)
 * gets its failed runs in a row. */
int order_issue_pending(struct db *db, int64_t id, int64_t *attempts);

/* Marks an approved order issued with its certificate (approved → issued). Called by
 * the issuance engine in its own transaction (db_begin held by the caller) right after it
 * stores the certificate. */
int order_mark_issued_tx(const struct order_env *env, const struct order_actor *who,
                         struct order_row *o, int64_t cert_id, struct sm_err *e);

/* Expected completion (R-VAL-7, R-CAL-1): the start (paid_at, else submitted_at) plus
 * the product's review_days_max business days in Asia/Tokyo. 0, or -1 when the order has
 * not started (draft). */
int order_eta(const struct order_row *o, const struct product_row *p, time_t *eta);
/* 1 if the order is still being reviewed (vetting, on_hold) and now is past the Tokyo
 * day of its ETA (the date the customer is shown). */
int order_overdue(const struct order_row *o, const struct product_row *p, time_t now);

/* The next receipt number (R<yyyymmdd>-nnnnn, of the Tokyo day of now) or, with invoice,
 * invoice number (BILL-<yyyymm>-nnnnn, of the Tokyo month) into out (n bytes), from the
 * orders counter of that day or month. Inside the caller's transaction. */
int order_number_next(struct db *db, int invoice, time_t now, char *out, size_t n,
                      struct sm_err *e);

/* Amount of an application of org_id in yen (tax excluded): the price that applies to the
 * organization (ra/price: its agreement, its reseller's or the list price) + extra names.
 * The same for new and renewal (R-PRD-2, R-PRD-3). */
int order_amount(struct db *db, int64_t org_id, const struct product_row *p,
                 const struct appform_result *form, int64_t *amount, struct sm_err *e);

#endif
