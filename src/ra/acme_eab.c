/* SPDX-License-Identifier: MIT */
/* ACME credentials of the account page; see ra/acme_eab.h. */
#include <stdio.h>
#include <stdlib.h>

#include "ra/account.h"
#include "ra/acme_eab.h"
#include "store/acme_accounts.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/scope.h"
#include "store/users.h"

static void actor_of(const struct user_row *u, char out[32])
{
    snprintf(out, 32, "user:%lld", (long long)u->id);
}

int acme_eab_create_for(struct db *db, const struct user_row *u, int64_t org_id, int64_t now,
                        char kid[ACME_EAB_KID_LEN], char key_b64[ACME_EAB_KEY_LEN],
                        struct sm_err *e)
{
    int ok = account_can_see_org(db, u, org_id, e);
    if (ok < 0)
        return ok;
    if (ok == 0)
        return sm_err_set(e, SM_E_INVALID, "org_id", "not an organization the user acts for");
    char actor[32];
    actor_of(u, actor);
    return acme_eab_create(db, org_id, actor, now, kid, key_b64, e);
}

int acme_eab_revoke_for(struct db *db, const struct user_row *u, const char *kid, int64_t now,
                        struct sm_err *e)
{
    struct org_scope scope;
    int64_t *ids = NULL;
    struct acme_eab_list_row k;
    int rc = account_scope(db, u, &scope, &ids, e);
    if (rc == 0)
        rc = acme_eab_get_scoped(db, kid, &scope, &k, e);
    free(ids);
    if (rc < 0)
        return rc;
    char actor[32], object[96], detail[64];
    actor_of(u, actor);
    snprintf(object, sizeof object, "acme_eab:%s", k.kid);
    snprintf(detail, sizeof detail, "{\"org_id\":%lld}", (long long)k.org_id);
    rc = db_begin(db, e);
    if (rc == 0)
        rc = acme_eab_mark_revoked(db, k.kid, now, e);
    if (rc == 0)
        rc = audit_append(db, actor, "acme.eab.revoke", object, detail, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        db_rollback(db);
    return rc;
}
