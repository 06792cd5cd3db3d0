/* SPDX-License-Identifier: MIT */
/* The subscriptions tables (migration 0023_subscriptions.sql, R-REN-1..6): subscriptions
 * (a paid term that may outlast the validity cap of one certificate), subscription_certs
 * (each order issued inside a subscription and its certificate) and subscription_notices
 * (every reminder or notice, recorded once per subscription, kind and key). Functions that
 * write run inside the caller's transaction (ra/subscription.c owns it). Nothing here
 * decides a rule. */
#ifndef SM_STORE_SUBSCRIPTIONS_H
#define SM_STORE_SUBSCRIPTIONS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

struct subscription_row {
    int64_t id, org_id, product_id, first_order_id, predecessor_id;
    int64_t starts_at, ends_at; /* ends_at: the last second covered */
    int64_t carried_days;
    char state[12];           /* active | renewed | cancelled */
    int64_t renewal_order_id; /* 0 = no renewal in progress */
    int64_t created_at, updated_at;
};

/* One order of a subscription with its certificate (certificate columns 0 / "" until
 * issued). */
struct subscription_cert_row {
    int64_t id, subscription_id, order_id, cert_id, created_at;
    char reason[12]; /* first | continued | renewal */
    char serial[41];
    char cert_state[24];
    int64_t not_before, not_after;
};

/* Inserts s (id, created_at, updated_at set here from now). Caller's transaction. */
int subscriptions_insert(struct db *db, const struct subscription_row *s, int64_t now, int64_t *id,
                         struct sm_err *e);
/* One subscription; -SM_E_NOTFOUND. */
int subscriptions_get(struct db *db, int64_t id, struct subscription_row *out, struct sm_err *e);
/* The subscription certificate cert_id was issued in; -SM_E_NOTFOUND. */
int subscriptions_get_by_cert(struct db *db, int64_t cert_id, struct subscription_row *out,
                              struct sm_err *e);
/* The subscription order order_id belongs to (its link row in *link, may be NULL);
 * -SM_E_NOTFOUND when the order is in none yet. */
int subscriptions_get_by_order(struct db *db, int64_t order_id, struct subscription_row *out,
                               struct subscription_cert_row *link, struct sm_err *e);
/* The subscription that renewed or replaced subscription id (its predecessor_id is id);
 * -SM_E_NOTFOUND. */
int subscriptions_get_successor(struct db *db, int64_t id, struct subscription_row *out,
                                struct sm_err *e);
/* The subscription whose renewal in progress is order_id; -SM_E_NOTFOUND. */
int subscriptions_get_by_renewal(struct db *db, int64_t order_id, struct subscription_row *out,
                                 struct sm_err *e);
/* Moves subscription id from state `from` to `to` (and clears renewal_order_id when to is
 * not active); -SM_E_CONFLICT when it was not in `from`. Caller's transaction. */
int subscriptions_set_state(struct db *db, int64_t id, const char *from, const char *to,
                            int64_t now, struct sm_err *e);
/* Sets (order_id > 0) or clears (0) the renewal in progress of subscription id. */
int subscriptions_set_renewal(struct db *db, int64_t id, int64_t order_id, int64_t now,
                              struct sm_err *e);
/* Active subscriptions with ends_at <= until, oldest end first, at most limit (1..1000). */
int subscriptions_list_active_ending(struct db *db, int64_t until, int limit,
                                     struct subscription_row **rows, size_t *n, struct sm_err *e);
/* Active subscriptions whose latest issued certificate ends at or before until and before
 * the subscription does (a next certificate is due: 継続発行); the certificate's id in
 * cert_ids[i] (allocated, free with free()). */
int subscriptions_list_cert_ending(struct db *db, int64_t until, int limit,
                                   struct subscription_row **rows, int64_t **cert_ids, size_t *n,
                                   struct sm_err *e);

/* Links order_id (cert_id 0 = not issued yet) to subscription sub_id. Caller's
 * transaction; a second link of the same order is -SM_E_CONFLICT. */
int subscription_certs_insert(struct db *db, int64_t sub_id, int64_t order_id, int64_t cert_id,
                              const char *reason, int64_t now, struct sm_err *e);
/* Records the certificate of the linked order_id. Caller's transaction. */
int subscription_certs_set_cert(struct db *db, int64_t order_id, int64_t cert_id, struct sm_err *e);
/* The orders of subscription sub_id in order of creation, with their certificates. *rows
 * NULL when *n == 0; free with free(). */
int subscription_certs_list(struct db *db, int64_t sub_id, struct subscription_cert_row **rows,
                            size_t *n, struct sm_err *e);

/* Records notice (kind, key) of subscription sub_id unless it is recorded already:
 * *inserted is 1 when this call recorded it, 0 when it was there (another process or an
 * earlier run sent it). Caller's transaction. */
int subscription_notices_insert(struct db *db, int64_t sub_id, const char *kind, const char *key,
                                int mailed, int64_t at, int *inserted, struct sm_err *e);
/* Number of notices of sub_id of kind (all kinds when NULL) that were mailed. */
int subscription_notices_count(struct db *db, int64_t sub_id, const char *kind, int64_t *count,
                               struct sm_err *e);

#endif
