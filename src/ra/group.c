/* SPDX-License-Identifier: MIT */
/* Groups of users of one organization (ra/group.h). */
#include "ra/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/text.h"
#include "ra/field.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/orgreg.h"

static int template_ok(const char *tj, struct sm_err *e)
{
    json_t *t = json_loads(tj, 0, NULL);
    int rc = 0;
    const char *k;
    json_t *v;
    if (!json_is_object(t) || strlen(tj) > 8192) {
        rc = sm_err_set(e, SM_E_INVALID, "template", "a JSON object");
        goto out;
    }
    json_object_foreach(t, k, v)
    {
        if (strcmp(k, "org") != 0 && strcmp(k, "contacts") != 0 &&
            strcmp(k, "notify_emails") != 0) {
            rc = sm_err_set(e, SM_E_INVALID, "template", "unknown key %s", k);
            goto out;
        }
    }
    json_t *ne = json_object_get(t, "notify_emails");
    if (ne != NULL && (!json_is_array(ne) || json_array_size(ne) > 3)) {
        rc = sm_err_set(e, SM_E_INVALID, "template", "notify_emails: up to 3 addresses");
        goto out;
    }
    for (size_t i = 0; ne != NULL && i < json_array_size(ne); i++) {
        const char *a = json_string_value(json_array_get(ne, i));
        if (a == NULL || !text_email_ok(a, 0)) {
            rc = sm_err_set(e, SM_E_INVALID, "template", "notify_emails: not an address");
            goto out;
        }
    }
out:
    json_decref(t);
    return rc;
}

static int audit(struct db *db, const struct user_row *u, const char *ip, const char *action,
                 const char *obj, json_t *detail, struct sm_err *e)
{
    char actor[32];
    snprintf(actor, sizeof actor, "user:%lld", (long long)u->id);
    char *d = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    int rc = d != NULL ? audit_append_from(db, actor, ip, action, obj, d, e)
                       : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    free(d);
    return rc;
}

static int finish(struct db *db, int rc, struct sm_err *e)
{
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        db_rollback(db);
    return rc;
}

int group_may_manage(struct db *db, const struct user_row *u, int *yes, struct sm_err *e)
{
    *yes = 0;
    if (u == NULL || u->org_id <= 0 || (u->role != USER_CUSTOMER && u->role != USER_RESELLER))
        return 0;
    return orgreg_is_admin(db, u->org_id, u->id, yes, e);
}

static int must_manage(struct db *db, const struct user_row *u, struct sm_err *e)
{
    int yes = 0;
    int rc = group_may_manage(db, u, &yes, e);
    if (rc == 0 && !yes)
        rc = sm_err_set(e, SM_E_FORBIDDEN, "group",
                        "only the organization's administrator manages its groups");
    return rc;
}

int group_viewer(struct db *db, const struct user_row *u, int64_t *viewer, struct sm_err *e)
{
    *viewer = 0;
    if (u == NULL || u->org_id <= 0 || (u->role != USER_CUSTOMER && u->role != USER_RESELLER))
        return 0;
    int admin = 0;
    int64_t n = 0;
    int rc = orgreg_is_admin(db, u->org_id, u->id, &admin, e);
    if (rc == 0 && !admin)
        rc = groups_count_of_user(db, u->id, &n, e);
    if (rc == 0 && !admin && n > 0)
        *viewer = u->id;
    return rc;
}

int group_check_visible(struct db *db, int64_t viewer, int64_t cert_id, struct sm_err *e)
{
    if (viewer <= 0)
        return 0;
    int yes = 0;
    int rc = groups_cert_visible(db, cert_id, viewer, &yes, e);
    if (rc == 0 && !yes)
        rc = sm_err_set(e, SM_E_NOTFOUND, "serial", "no such certificate");
    return rc;
}

static int name_ok(const char *name, struct sm_err *e)
{
    long n = name != NULL ? field_chars(name) : -1;
    if (n < 1 || n > 128 || field_has_control(name, 0))
        return sm_err_set(e, SM_E_INVALID, "name", "1 to 128 characters");
    return 0;
}

int group_create(struct db *db, const struct user_row *u, const char *client_ip, const char *name,
                 const char *template_json, int64_t *id, struct sm_err *e)
{
    const char *tj = template_json != NULL && template_json[0] ? template_json : "{}";
    int rc = name_ok(name, e);
    if (rc == 0)
        rc = template_ok(tj, e);
    if (rc == 0)
        rc = must_manage(db, u, e);
    if (rc < 0)
        return rc;
    if ((rc = db_begin(db, e)) < 0)
        return rc;
    rc = groups_insert(db, u->org_id, name, tj, u->id, id, e);
    if (rc == 0)
        rc = groups_add_member(db, *id, u->id, e);
    char obj[40];
    snprintf(obj, sizeof obj, "group:%lld", (long long)*id);
    if (rc == 0)
        rc = audit(db, u, client_ip, "group.create", obj,
                   json_pack("{s:s, s:I}", "name", name, "org_id", (json_int_t)u->org_id), e);
    return finish(db, rc, e);
}

int group_add_member(struct db *db, const struct user_row *u, const struct org_scope *scope,
                     const char *client_ip, int64_t gid, int64_t member_id, struct sm_err *e)
{
    struct group_row g = {0};
    int rc = groups_get(db, gid, scope, &g, e); /* another organization's: 404 first */
    group_row_clear(&g);
    if (rc == 0)
        rc = must_manage(db, u, e);
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc < 0)
        return rc;
    struct user_row m;
    rc = groups_get(db, gid, scope, &g, e);
    if (rc == 0) {
        rc = user_get(db, member_id, &m, e);
        if (rc == -SM_E_NOTFOUND || (rc == 0 && m.org_id != g.org_id)) {
            sm_err_clear(e);
            rc = sm_err_set(e, SM_E_NOTFOUND, "user_id", "no such user in the organization");
        }
    }
    if (rc == 0)
        rc = groups_add_member(db, gid, member_id, e);
    char obj[40];
    snprintf(obj, sizeof obj, "group:%lld", (long long)gid);
    if (rc == 0)
        rc = audit(db, u, client_ip, "group.member_add", obj,
                   json_pack("{s:I}", "user_id", (json_int_t)member_id), e);
    group_row_clear(&g);
    return finish(db, rc, e);
}

int group_move_cert(struct db *db, const struct user_row *u, const struct org_scope *scope,
                    const char *client_ip, const char *serial, int64_t gid, struct sm_err *e)
{
    struct certs_row *c = NULL;
    int rc = certs_get_scoped(db, serial, scope, &c, e);
    if (rc < 0)
        return rc;
    int64_t cert_id = c->id, org = c->org_id;
    certs_row_free(c);
    if ((rc = db_begin(db, e)) < 0)
        return rc;
    struct group_row g = {0};
    rc = groups_get(db, gid, scope, &g, e);
    if (rc == 0 && g.org_id != org)
        rc = -SM_E_NOTFOUND; /* a group of another organization of the scope */
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        rc = sm_err_set(e, SM_E_NOTFOUND, "group_id", "no such group");
    }
    int manager = 0;
    if (rc == 0)
        rc = group_may_manage(db, u, &manager, e);
    if (rc == 0 && !manager) {
        int64_t *ids = NULL;
        size_t nids = 0, i = 0;
        rc = groups_member_ids(db, gid, &ids, &nids, e);
        while (rc == 0 && i < nids && ids[i] != u->id)
            i++;
        if (rc == 0 && i == nids)
            rc = sm_err_set(e, SM_E_FORBIDDEN, "group_id", "not a member of the group");
        free(ids);
    }
    int64_t from = 0;
    if (rc == 0)
        rc = groups_set_cert(db, cert_id, gid, (int64_t)clock_now(), &from, e);
    char obj[80];
    snprintf(obj, sizeof obj, "certificate:%s", serial);
    if (rc == 0)
        rc = audit(db, u, client_ip, "cert.group_moved", obj,
                   json_pack("{s:I, s:I}", "from", (json_int_t)from, "to", (json_int_t)gid), e);
    group_row_clear(&g);
    return finish(db, rc, e);
}

/* The group gid inside scope, the caller allowed to manage it; in a transaction. */
static int begin_managed(struct db *db, const struct user_row *u, const struct org_scope *scope,
                         int64_t gid, struct group_row *g, struct sm_err *e)
{
    int rc = groups_get(db, gid, scope, g, e);
    if (rc == 0)
        rc = must_manage(db, u, e);
    if (rc == 0 && g->org_id != u->org_id)
        rc = sm_err_set(e, SM_E_NOTFOUND, "group", "no such group");
    if (rc == 0)
        rc = db_begin(db, e);
    return rc;
}

int group_update(struct db *db, const struct user_row *u, const struct org_scope *scope,
                 const char *client_ip, int64_t gid, const char *name, const char *template_json,
                 struct sm_err *e)
{
    const char *tj = template_json != NULL && template_json[0] ? template_json : "{}";
    struct group_row g = {0};
    int rc = begin_managed(db, u, scope, gid, &g, e);
    if (rc < 0) {
        group_row_clear(&g);
        return rc;
    }
    rc = name_ok(name, e);
    if (rc == 0)
        rc = template_ok(tj, e);
    if (rc == 0)
        rc = groups_update(db, gid, g.org_id, name, tj, e);
    char obj[40];
    snprintf(obj, sizeof obj, "group:%lld", (long long)gid);
    if (rc == 0)
        rc = audit(db, u, client_ip, "group.update", obj,
                   json_pack("{s:s, s:s}", "from", g.name, "name", name), e);
    group_row_clear(&g);
    return finish(db, rc, e);
}

int group_delete(struct db *db, const struct user_row *u, const struct org_scope *scope,
                 const char *client_ip, int64_t gid, struct sm_err *e)
{
    struct group_row g = {0};
    int rc = begin_managed(db, u, scope, gid, &g, e);
    if (rc < 0) {
        group_row_clear(&g);
        return rc;
    }
    if (g.certs > 0)
        rc = sm_err_set(e, SM_E_CONFLICT, "group", "certificates are filed under the group");
    if (rc == 0)
        rc = groups_delete(db, gid, e);
    char obj[40];
    snprintf(obj, sizeof obj, "group:%lld", (long long)gid);
    if (rc == 0)
        rc = audit(db, u, client_ip, "group.delete", obj, json_pack("{s:s}", "name", g.name), e);
    group_row_clear(&g);
    return finish(db, rc, e);
}

int group_remove_member(struct db *db, const struct user_row *u, const struct org_scope *scope,
                        const char *client_ip, int64_t gid, int64_t member_id, struct sm_err *e)
{
    struct group_row g = {0};
    int rc = begin_managed(db, u, scope, gid, &g, e);
    group_row_clear(&g);
    if (rc < 0)
        return rc;
    rc = groups_remove_member(db, gid, member_id, e);
    char obj[40];
    snprintf(obj, sizeof obj, "group:%lld", (long long)gid);
    if (rc == 0)
        rc = audit(db, u, client_ip, "group.member_remove", obj,
                   json_pack("{s:I}", "user_id", (json_int_t)member_id), e);
    return finish(db, rc, e);
}
