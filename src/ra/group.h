/* SPDX-License-Identifier: MIT */
/* Groups of users of one organization (SureBoard グループ, issue 12 item 6): a group holds an
 * application template for the wizard (organization, contacts, notification addresses, as
 * a JSON object) and members; certificates are filed under a group and moved between the
 * groups of their organization. Every change is audited; a group or certificate of another
 * organization is -SM_E_NOTFOUND like one that does not exist. */
#ifndef SM_RA_GROUP_H
#define SM_RA_GROUP_H
#include <stdint.h>

#include "core/err.h"
#include "store/groups.h"
#include "store/users.h"

struct db;

/* Who manages the groups: the organization's administrator (store/orgreg's rule). Creating,
 * renaming, deleting a group and changing its members or template is refused to anyone
 * else with -SM_E_FORBIDDEN field "group". */
int group_may_manage(struct db *db, const struct user_row *u, int *yes, struct sm_err *e);
/* Visibility of certificates inside an organization (docs/requirements.md R-MNG-1): the
 * organization's administrator, and a user of no group, see every certificate of the
 * scope; a user who is a member of a group sees the certificates filed under their
 * groups plus the ones they ordered. *viewer gets u's id in that last case, else 0. */
int group_viewer(struct db *db, const struct user_row *u, int64_t *viewer, struct sm_err *e);
/* -SM_E_NOTFOUND (field "serial") when viewer > 0 may not see the certificate cert_id. */
int group_check_visible(struct db *db, int64_t viewer, int64_t cert_id, struct sm_err *e);
/* Creates a group of u's organization with template_json (NULL = {}: an object whose keys
 * are among org, contacts, notify_emails; notify_emails up to 3 valid addresses), u its
 * first member. -SM_E_INVALID naming "name" or "template"; -SM_E_EXISTS for a name in use.
 * Audited "group.create". */
int group_create(struct db *db, const struct user_row *u, const char *client_ip, const char *name,
                 const char *template_json, int64_t *id, struct sm_err *e);
/* Adds user member_id (a user of the group's organization) to group gid. Audited
 * "group.member_add". */
int group_add_member(struct db *db, const struct user_row *u, const struct org_scope *scope,
                     const char *client_ip, int64_t gid, int64_t member_id, struct sm_err *e);
/* Renames group gid and replaces its template (as group_create checks them). Audited
 * "group.update". */
int group_update(struct db *db, const struct user_row *u, const struct org_scope *scope,
                 const char *client_ip, int64_t gid, const char *name, const char *template_json,
                 struct sm_err *e);
/* Deletes group gid when no certificate is filed under it (-SM_E_CONFLICT field "group"
 * otherwise); its members simply leave it. Audited "group.delete". */
int group_delete(struct db *db, const struct user_row *u, const struct org_scope *scope,
                 const char *client_ip, int64_t gid, struct sm_err *e);
/* Removes member_id from group gid. Audited "group.member_remove". */
int group_remove_member(struct db *db, const struct user_row *u, const struct org_scope *scope,
                        const char *client_ip, int64_t gid, int64_t member_id, struct sm_err *e);
/* Files the certificate with serial under group gid of the certificate's organization.
 * A user who does not manage the groups moves it only into a group they are a member of.
 * Audited "cert.group_moved" {from, to}. */
int group_move_cert(struct db *db, const struct user_row *u, const struct org_scope *scope,
                    const char *client_ip, const char *serial, int64_t gid, struct sm_err *e);

#endif
