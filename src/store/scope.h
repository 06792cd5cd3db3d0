/* SPDX-License-Identifier: MIT */
/* The organizations a caller may see (R-ACT-1), as one type for every store read that
 * serves a user: orders, certificates, organizations, accounts. ra/account.c's
 * account_scope() builds it from a user (the one place that knows the rule); store
 * modules add org_scope_sql() to their WHERE so that an object of another organization
 * is simply not found. The scope is a list of organization ids, so the condition is an
 * index-friendly "col IN ($k, ...)" rather than a subquery per row. */
#ifndef SM_SCOPE_H
#define SM_SCOPE_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Which organizations the caller may see: all (officer, admin, system) or org_ids[0..n).
 * n == 0 and !all sees nothing (every read is -SM_E_NOTFOUND / empty). At most
 * ORG_SCOPE_MAX ids (more: -SM_E_TOO_LARGE). org_ids is borrowed: whoever built the
 * scope owns it. */
struct org_scope {
    int all;
    const int64_t *org_ids;
    size_t n;
};
#define ORG_SCOPE_MAX  10000
#define ORG_SCOPE_ALL  ((struct org_scope){1, NULL, 0})
#define ORG_SCOPE_NONE ((struct org_scope){0, NULL, 0})

struct buf;
struct db_val;
/* For store modules: appends " AND <col> IN ($k, ...)" for a limited scope (binding the
 * ids into p from p[*np] on; p needs room for s->n more), " AND 1 = 0" for an empty one,
 * nothing for "all". 0, -SM_E_TOO_LARGE past ORG_SCOPE_MAX, -SM_E_NOMEM. */
int org_scope_sql(struct buf *sql, const char *col, const struct org_scope *s, struct db_val *p,
                  int *np, struct sm_err *e);

/* The same decision without a database: 1 when org_id is inside s, else 0 (NULL s, an
 * id <= 0 or one not in the list). */
int org_scope_has(const struct org_scope *s, int64_t org_id);

#endif
