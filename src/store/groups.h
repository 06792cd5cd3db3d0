/* SPDX-License-Identifier: MIT */
/* Groups of users of one organization (migration 0057): the groups, their members and the
 * certificates filed under them. Every read for a user takes the caller's org scope, so a
 * group of another organization is not found. Writers run inside the caller's
 * transaction. */
#ifndef SM_STORE_GROUPS_H
#define SM_STORE_GROUPS_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/scope.h"

struct db;

struct group_row {
    int64_t id, org_id;
    char name[129];
    char *template_json; /* owned */
    int64_t members, certs;
    int64_t created_by, created_at;
};

/* Inserts a group; a second group of the same name in the organization is
 * -SM_E_EXISTS (field "name"). */
int groups_insert(struct db *db, int64_t org_id, const char *name, const char *template_json,
                  int64_t created_by, int64_t *id, struct sm_err *e);
/* One group inside scope; -SM_E_NOTFOUND otherwise. Free with group_row_clear. */
int groups_get(struct db *db, int64_t id, const struct org_scope *scope, struct group_row *out,
               struct sm_err *e);
/* The groups inside scope with their member and certificate counts, by name. Free with
 * group_rows_free. */
int groups_list(struct db *db, const struct org_scope *scope, struct group_row **rows, size_t *n,
                struct sm_err *e);
/* Adds user_id to the group (no-op when it is a member already). */
int groups_add_member(struct db *db, int64_t group_id, int64_t user_id, struct sm_err *e);
/* Files the certificate under group_id (replacing any group); *from gets the previous group
 * (0 = none). */
int groups_set_cert(struct db *db, int64_t cert_id, int64_t group_id, int64_t now, int64_t *from,
                    struct sm_err *e);
/* The group of a certificate, 0 when none. */
int groups_of_cert(struct db *db, int64_t cert_id, int64_t *group_id, struct sm_err *e);
/* Renames the group and replaces its template (the caller checked both); a name used by
 * another group of the organization is -SM_E_EXISTS (field "name"). */
int groups_update(struct db *db, int64_t id, int64_t org_id, const char *name,
                  const char *template_json, struct sm_err *e);
/* Deletes the group and its memberships (the caller checked that no certificate is filed
 * under it). */
int groups_delete(struct db *db, int64_t id, struct sm_err *e);
/* Removes user_id from the group; -SM_E_NOTFOUND when it is no member. */
int groups_remove_member(struct db *db, int64_t group_id, int64_t user_id, struct sm_err *e);
/* The user ids of the group's members, by id. *ids malloc'd (free()), NULL when none. */
int groups_member_ids(struct db *db, int64_t group_id, int64_t **ids, size_t *n, struct sm_err *e);
/* How many groups user_id is a member of. */
int groups_count_of_user(struct db *db, int64_t user_id, int64_t *n, struct sm_err *e);
/* The one home of that visibility rule (R-MNG-1) in SQL: appends " AND (...)" limiting a
 * certificate aliased c to those the group member whose id is bound as $k sees: filed
 * under one of their groups, or ordered by them. 0 or -1 (out of memory). */
struct buf;
int groups_visible_sql(struct buf *sql, int k);
/* 1 in *yes when the certificate is filed under a group user_id is a member of, or was
 * ordered by user_id (the visibility of a group member, docs/requirements.md R-MNG-1). */
int groups_cert_visible(struct db *db, int64_t cert_id, int64_t user_id, int *yes,
                        struct sm_err *e);
void group_row_clear(struct group_row *r);
void group_rows_free(struct group_row *v, size_t n);

#endif
