/* SPDX-License-Identifier: MIT */
/* Groups of users of one organization; see groups.h. */
#include "store/groups.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/failalloc.h"
#include "store/db.h"

#define COLS                                                                                       \
    "g.id, g.org_id, g.name, g.template, (SELECT COUNT(*) FROM group_members m WHERE "             \
    "m.group_id = g.id), (SELECT COUNT(*) FROM cert_groups c WHERE c.group_id = g.id), "           \
    "g.created_by, g.created_at FROM user_groups g"

static const struct db_stmt st_insert = {
    "groups.insert",
    "INSERT INTO user_groups (org_id, name, template, created_by, created_at) VALUES ($1, $2, $3, "
    "$4, $5) RETURNING id",
    NULL, NULL};
static const struct db_stmt st_name_taken = {
    "groups.name_taken", "SELECT COUNT(*) FROM user_groups WHERE org_id = $1 AND name = $2", NULL,
    NULL};
static const struct db_stmt st_add_member = {
    "groups.add_member",
    "INSERT INTO group_members (group_id, user_id) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM "
    "group_members WHERE group_id = $1 AND user_id = $2)",
    NULL, "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"};
static const struct db_stmt st_of_cert = {
    "groups.of_cert", "SELECT group_id FROM cert_groups WHERE cert_id = $1", NULL, NULL};
static const struct db_stmt st_set_cert_upd = {
    "groups.set_cert_update",
    "UPDATE cert_groups SET group_id = $2, moved_at = $3 WHERE cert_id = $1", NULL, NULL};
static const struct db_stmt st_set_cert_ins = {
    "groups.set_cert_insert",
    "INSERT INTO cert_groups (cert_id, group_id, moved_at) VALUES ($1, $2, $3)", NULL, NULL};

static const struct db_stmt st_update = {
    "groups.update", "UPDATE user_groups SET name = $2, template = $3 WHERE id = $1", NULL, NULL};
static const struct db_stmt st_name_other = {
    "groups.name_other",
    "SELECT COUNT(*) FROM user_groups WHERE org_id = $1 AND name = $2 AND id <> $3", NULL, NULL};
static const struct db_stmt st_del_members = {
    "groups.delete_members", "DELETE FROM group_members WHERE group_id = $1", NULL, NULL};
static const struct db_stmt st_delete = {"groups.delete", "DELETE FROM user_groups WHERE id = $1",
                                         NULL, NULL};
static const struct db_stmt st_rm_member = {
    "groups.remove_member", "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2", NULL,
    NULL};
static const struct db_stmt st_member_ids = {
    "groups.member_ids", "SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id",
    NULL, NULL};
static const struct db_stmt st_count_user = {
    "groups.count_of_user", "SELECT COUNT(*) FROM group_members WHERE user_id = $1", NULL, NULL};
static int fill(void *row, const struct db_val *c)
{
    struct group_row *g = row;
    g->id = db_col_int(&c[0]);
    g->org_id = db_col_int(&c[1]);
    db_col_copy(g->name, sizeof g->name, &c[2]);
    if (db_col_dup(&g->template_json, &c[3]) < 0)
        return -SM_E_NOMEM;
    g->members = db_col_int(&c[4]);
    g->certs = db_col_int(&c[5]);
    g->created_by = db_col_int(&c[6]);
    g->created_at = db_col_int(&c[7]);
    return 0;
}

void group_row_clear(struct group_row *r)
{
    if (r != NULL) {
        free(r->template_json);
        r->template_json = NULL;
    }
}

static void clear_void(void *row) { group_row_clear(row); }

static const struct db_rowtype group_rowtype = {sizeof(struct group_row), 8, fill, clear_void,
                                                "group"};

void group_rows_free(struct group_row *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        group_row_clear(&v[i]);
    free(v);
}

int groups_insert(struct db *db, int64_t org_id, const char *name, const char *template_json,
                  int64_t created_by, int64_t *id, struct sm_err *e)
{
    struct db_val q[2] = {DBV_INT(org_id), DBV_TEXT(name)};
    int64_t n = 0;
    int rc = db_get_one(db, &st_name_taken, q, 2, &db_row_int, &n, e);
    if (rc < 0)
        return rc;
    if (n > 0)
        return sm_err_set(e, SM_E_EXISTS, "name", "a group of this name exists");
    struct db_val p[5] = {DBV_INT(org_id), DBV_TEXT(name), DBV_TEXT(template_json),
                          DBV_INT(created_by), DBV_INT(clock_now())};
    return db_returning_id(db, &st_insert, p, 5, id, e);
}

/* SELECT COLS WHERE <extra> <scope> [ORDER BY name] */
static int scoped(struct db *db, const char *where, int64_t id, const struct org_scope *scope,
                  int one, void *out, size_t *n, struct sm_err *e)
{
    struct buf sql = BUF_INIT;
    struct db_val *p = calloc(scope->n + 1, sizeof *p);
    int np = 0;
    if (p == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    buf_printf(&sql, "SELECT " COLS " WHERE %s", where);
    if (id > 0)
        p[np++] = (struct db_val)DBV_INT(id);
    int rc = org_scope_sql(&sql, "g.org_id", scope, p, &np, e);
    if (rc == 0 && !one)
        rc = buf_puts(&sql, " ORDER BY g.name, g.id") < 0 ? -SM_E_NOMEM : 0;
    if (rc == 0 && sql.p == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0) {
        struct db_stmt st = {one ? "groups.get" : "groups.list", sql.p, NULL, NULL};
        rc = one ? db_get_one(db, &st, p, np, &group_rowtype, out, e)
                 : db_collect(db, &st, p, np, &group_rowtype, out, n, e);
    }
    buf_free(&sql);
    free(p);
    return rc;
}

int groups_get(struct db *db, int64_t id, const struct org_scope *scope, struct group_row *out,
               struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    size_t unused = 0;
    return scoped(db, "g.id = $1", id, scope, 1, out, &unused, e);
}

int groups_list(struct db *db, const struct org_scope *scope, struct group_row **rows, size_t *n,
                struct sm_err *e)
{
    return scoped(db, "1 = 1", 0, scope, 0, rows, n, e);
}

int groups_add_member(struct db *db, int64_t group_id, int64_t user_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(group_id), DBV_INT(user_id)};
    return db_run(db, &st_add_member, p, 2, NULL, NULL, e);
}

int groups_of_cert(struct db *db, int64_t cert_id, int64_t *group_id, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(cert_id)};
    *group_id = 0;
    int rc = db_get_one(db, &st_of_cert, p, 1, &db_row_int, group_id, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        *group_id = 0;
        return 0;
    }
    return rc;
}

int groups_set_cert(struct db *db, int64_t cert_id, int64_t group_id, int64_t now, int64_t *from,
                    struct sm_err *e)
{
    int rc = groups_of_cert(db, cert_id, from, e);
    if (rc < 0)
        return rc;
    struct db_val p[3] = {DBV_INT(cert_id), DBV_INT(group_id), DBV_INT(now)};
    return db_run(db, *from > 0 ? &st_set_cert_upd : &st_set_cert_ins, p, 3, NULL, NULL, e);
}

int groups_update(struct db *db, int64_t id, int64_t org_id, const char *name,
                  const char *template_json, struct sm_err *e)
{
    struct db_val q[3] = {DBV_INT(org_id), DBV_TEXT(name), DBV_INT(id)};
    int64_t n = 0;
    int rc = db_get_one(db, &st_name_other, q, 3, &db_row_int, &n, e);
    if (rc < 0)
        return rc;
    if (n > 0)
        return sm_err_set(e, SM_E_EXISTS, "name", "a group of this name exists");
    struct db_val p[3] = {DBV_INT(id), DBV_TEXT(name), DBV_TEXT(template_json)};
    return db_run(db, &st_update, p, 3, NULL, NULL, e);
}

int groups_delete(struct db *db, int64_t id, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(id)};
    int rc = db_run(db, &st_del_members, p, 1, NULL, NULL, e);
    return rc < 0 ? rc : db_run(db, &st_delete, p, 1, NULL, NULL, e);
}

int groups_remove_member(struct db *db, int64_t group_id, int64_t user_id, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(group_id), DBV_INT(user_id)};
    int rc = db_run(db, &st_rm_member, p, 2, NULL, NULL, e);
    if (rc == 0 && db_changes(db) != 1)
        rc = sm_err_set(e, SM_E_NOTFOUND, "user_id", "not a member of the group");
    return rc;
}

struct idvec {
    int64_t *v;
    size_t n, cap;
};

static int collect_id(void *ctx, const struct db_val *c, int ncols)
{
    (void)ncols;
    struct idvec *a = ctx;
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        int64_t *v = sm_realloc(a->v, cap * sizeof *v);
        if (v == NULL)
            return -SM_E_NOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = db_col_int(&c[0]);
    return 0;
}

int groups_member_ids(struct db *db, int64_t group_id, int64_t **ids, size_t *n, struct sm_err *e)
{
    struct idvec a = {NULL, 0, 0};
    struct db_val p[1] = {DBV_INT(group_id)};
    int rc = db_run(db, &st_member_ids, p, 1, collect_id, &a, e);
    if (rc == -SM_E_NOMEM)
        sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc < 0) {
        free(a.v);
        a.v = NULL;
        a.n = 0;
    }
    *ids = a.v;
    *n = a.n;
    return rc;
}

int groups_count_of_user(struct db *db, int64_t user_id, int64_t *n, struct sm_err *e)
{
    struct db_val p[1] = {DBV_INT(user_id)};
    *n = 0;
    return db_get_one(db, &st_count_user, p, 1, &db_row_int, n, e);
}

int groups_visible_sql(struct buf *sql, int k)
{
    return buf_printf(sql,
                      " AND (c.id IN (SELECT cg.cert_id FROM cert_groups cg JOIN group_members gm "
                      "ON gm.group_id = cg.group_id WHERE gm.user_id = $%d) OR c.order_id IN "
                      "(SELECT vo.id FROM orders vo WHERE vo.created_by = $%d))",
                      k, k);
}

int groups_cert_visible(struct db *db, int64_t cert_id, int64_t user_id, int *yes, struct sm_err *e)
{
    struct db_val p[2] = {DBV_INT(cert_id), DBV_INT(user_id)};
    struct buf sql = BUF_INIT;
    int64_t n = 0;
    int rc = buf_puts(&sql, "SELECT COUNT(*) FROM certificates c WHERE c.id = $1");
    if (rc == 0)
        rc = groups_visible_sql(&sql, 2);
    if (rc < 0) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    } else {
        struct db_stmt st = {"groups.cert_visible", sql.p, NULL, NULL};
        rc = db_get_one(db, &st, p, 2, &db_row_int, &n, e);
    }
    buf_free(&sql);
    *yes = rc == 0 && n > 0;
    return rc;
}
