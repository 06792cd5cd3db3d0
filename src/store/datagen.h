/* SPDX-License-Identifier: MIT */
/* The generation of an organization's portal data (table org_data_gen, migration 0069;
 * issue 12 item 10, R-MNG-1). Triggers move it in the transaction of every change of the
 * rows the dashboard and the certificate list show (certificates, orders and their DCV
 * names, organizations, groups, memberships, filed certificates, cart items, list
 * settings); a customer's change moves its reseller's too, a product's moves organization
 * 0. Certificates are the exception: a trigger on them would run its program for each of the
 * two writes of every issuance (a quarter of bulk issuance, even with nothing to move), so
 * store/certs.c and store/revocations.c, the only writers of that table, call
 * datagen_bump_cert after a change that a page shows. */
#ifndef SM_STORE_DATAGEN_H
#define SM_STORE_DATAGEN_H
#include <stdint.h>

#include "core/err.h"
#include "store/scope.h"

struct db;

/* Moves the generation of the organization of the certificate with this serial (or, with
 * serial NULL, this id) and of its reseller; nothing for a certificate of no organization.
 * In the caller's transaction. */
int datagen_bump_cert(struct db *db, const char *serial, int64_t id, struct sm_err *e);

/* The same for a certificate of org_id (0: none, nothing to move) that the caller just
 * wrote: moves the generation once per organization and transaction (a bulk issuance of
 * 500 certificates of one organization moves it once; one move is all a reader needs to
 * see that something changed). */
int datagen_bump_cert_of(struct db *db, int64_t id, int64_t org_id, struct sm_err *e);

/* *gen = the generation of org_id plus that of organization 0 (products): a number that
 * grows with every committed change of what org_id's pages show (0 before the first).
 * One indexed read. */
int datagen_get(struct db *db, int64_t org_id, int64_t *gen, struct sm_err *e);

/* *t = the earliest not_after at or after after among the certificates in scope (0 when
 * there is none): until then no certificate in scope turns from valid to expired. One
 * index probe per organization of the scope; scope must not be "all". */
int datagen_next_expiry(struct db *db, const struct org_scope *scope, int64_t after, int64_t *t,
                        struct sm_err *e);

#endif
