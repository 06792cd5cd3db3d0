/* SPDX-License-Identifier: MIT */
/* The registration information of an organization (migration 0056: columns of
 * organizations and users.org_admin): read, update under optimistic locking, who the
 * organization's administrator is, and when its vetting was last made stale. The rules
 * (who may change what, which fields are vetted) live in ra/orginfo.c. Writers run inside
 * the caller's transaction. */
#ifndef SM_STORE_ORGREG_H
#define SM_STORE_ORGREG_H
#include <stdint.h>

#include "core/err.h"
#include "store/orgs.h"

struct db;

struct orgreg_row {
    int64_t id;
    char kind[16];
    char name_ja[ORG_NAME_MAX + 1], name_en[ORG_NAME_MAX + 1];
    char postal[16];
    char address[ORG_NAME_MAX + 1];
    char phone[32];
    char contact_name[129], contact_email[255], contact_phone[32];
    int64_t vetting_reset_at; /* checks at or before this time are stale (0 = none) */
    int64_t version;
};

/* -SM_E_NOTFOUND when absent. */
int orgreg_get(struct db *db, int64_t org_id, struct orgreg_row *out, struct sm_err *e);
/* Writes the fields of r where reg_version is still expect_version (and adds one);
 * reset_at > 0 also sets vetting_reset_at. -SM_E_STALE when the row changed meanwhile
 * (or is gone). Caller's transaction. */
int orgreg_update(struct db *db, const struct orgreg_row *r, int64_t expect_version,
                  int64_t reset_at, struct sm_err *e);
/* 1 in *yes when user_id is an administrator of org_id: an enabled customer or reseller
 * user of the organization with org_admin set or, when none of its users has it, its
 * first such user. */
int orgreg_is_admin(struct db *db, int64_t org_id, int64_t user_id, int *yes, struct sm_err *e);
/* Sets or clears users.org_admin of user_id (a user of org_id). -SM_E_NOTFOUND otherwise. */
int orgreg_set_admin(struct db *db, int64_t org_id, int64_t user_id, int flag, struct sm_err *e);

#endif
