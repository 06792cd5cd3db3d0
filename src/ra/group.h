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
/* Files the certificate with serial under group gid of the certificate's organization.
 * Audited "cert.group_moved" {from, to}. */
int group_move_cert(struct db *db, const struct user_row *u, const struct org_scope *scope,
                    const char *client_ip, const char *serial, int64_t gid, struct sm_err *e);

#endif
