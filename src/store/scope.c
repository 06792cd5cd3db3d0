/* SPDX-License-Identifier: MIT */
/* The organization scope's SQL condition (see scope.h). */
#include "store/scope.h"

#include "core/buf.h"
#include "store/db.h"

int org_scope_sql(struct buf *sql, const char *col, const struct org_scope *s, struct db_val *p,
                  int *np, struct sm_err *e)
{
    if (s == NULL)
        return sm_err_set(e, SM_E_INTERNAL, "scope", "no scope given");
    if (s->all)
        return 0;
    if (s->n == 0)
        return buf_puts(sql, " AND 1 = 0") < 0 ? sm_err_set(e, SM_E_NOMEM, NULL, "no memory") : 0;
    if (s->n > ORG_SCOPE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, "scope", "too many organizations (%zu)", s->n);
    int rc = buf_printf(sql, " AND %s IN (", col);
    /* "$k, " written by hand: a reseller's scope binds hundreds of ids on every read */
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        p[*np] = DBV_INT(s->org_ids[i]);
        (*np)++;
        char t[16], *q = t + sizeof t;
        for (unsigned v = (unsigned)*np; v > 0 || q == t + sizeof t; v /= 10)
            *--q = (char)('0' + v % 10);
        *--q = '$';
        if (i > 0) {
            *--q = ' ';
            *--q = ',';
        }
        rc = buf_append(sql, q, (size_t)(t + sizeof t - q));
    }
    if (rc == 0)
        rc = buf_puts(sql, ")");
    return rc < 0 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory") : 0;
}

int org_scope_has(const struct org_scope *s, int64_t org_id)
{
    if (s == NULL)
        return 0;
    if (s->all)
        return 1;
    if (org_id <= 0 || s->org_ids == NULL)
        return 0;
    for (size_t i = 0; i < s->n && i < ORG_SCOPE_MAX; i++)
        if (s->org_ids[i] == org_id)
            return 1;
    return 0;
}
