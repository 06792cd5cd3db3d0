/* SPDX-License-Identifier: MIT */
/* The site_seals table (migration 0055, R-MNG-4): the public seal id of a subscription
 * chain or of a certificate outside any subscription, and the reads that find the
 * certificate a seal stands for today. Writers run inside the caller's transaction. */
#ifndef SM_STORE_SEALS_H
#define SM_STORE_SEALS_H
#include <stdint.h>

#include "core/err.h"

struct db;

#define SEAL_ID_LEN 24 /* lower-case hex */

struct seal_row {
    int64_t id;
    char seal_id[SEAL_ID_LEN + 1];
    int64_t org_id;
    int64_t subscription_id; /* 0 = none */
    int64_t cert_id;         /* 0 = none */
    int64_t created_at;
};

/* Inserts s (id ignored). A second seal of the same subscription or certificate is
 * -SM_E_CONFLICT (unique). Caller's transaction. */
int seals_insert(struct db *db, const struct seal_row *s, int64_t *id, struct sm_err *e);
/* The seal with this public id; -SM_E_NOTFOUND when absent. */
int seals_get(struct db *db, const char *seal_id, struct seal_row *out, struct sm_err *e);
/* The seal of a subscription (first of its chain) or of a certificate (sub_id 0);
 * -SM_E_NOTFOUND when none. */
int seals_find(struct db *db, int64_t sub_id, int64_t cert_id, struct seal_row *out,
               struct sm_err *e);
/* The first subscription of the chain the certificate cert_id belongs to (following
 * predecessor_id back, at most 100 steps); 0 in *sub_id when the certificate is in none. */
int seals_chain_root(struct db *db, int64_t cert_id, int64_t *sub_id, struct sm_err *e);
/* The newest certificate (by issue time) issued, revoked, expired or with a revocation
 * scheduled inside the chain that starts at sub_id (renewals followed forward);
 * -SM_E_NOTFOUND when none. */
int seals_current_cert(struct db *db, int64_t sub_id, int64_t *cert_id, struct sm_err *e);

#endif
