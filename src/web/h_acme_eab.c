/* SPDX-License-Identifier: MIT */
/* ACME credentials on the account page (issue 10 item 4, R-ACME-1): GET /account/acme
 * lists the EAB credentials of the user's organizations (never their HMAC keys), POST
 * /account/acme creates credentials for an organization of the picker (shown once, 201),
 * POST /account/acme/:kid/revoke revokes unused ones. Thin: ra/acme_eab does the work; an
 * organization the user may not act for is a 422 with the message beside the picker,
 * another organization's credentials are 404. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/account.h"
#include "ra/acme_eab.h"
#include "store/acme_accounts.h"
#include "store/orgs.h"
#include "store/scope.h"
#include "web/h_acme.h"
#include "web/handlers.h"
#include "web/i18n.h"

static void internal(struct req *r, const char *what, const struct sm_err *e)
{
    log_error(what, "code", sm_err_name(e->code), "detail", e->detail);
    http_reply_error(r, e->code == SM_E_NOMEM ? 503 : 500,
                     e->code == SM_E_NOMEM ? "err.nomem" : "err.internal", NULL);
}

static void day_of(int64_t t, char out[16])
{
    int y, m, d;
    clock_tokyo_date((time_t)t, &y, &m, &d);
    snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

/* The page; kid/key: the credentials just made (shown this once), err_key: the picker's
 * error, flash_key: a message on top (as an error when status is 4xx). */
static void eab_page(struct req *r, int status, int64_t org_sel, const char *kid, const char *key,
                     const char *err_key, const char *flash_key)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    struct org_scope scope;
    int64_t *ids = NULL;
    struct org_row *orgs = NULL;
    struct acme_eab_list_row *k = NULL;
    size_t no = 0, nk = 0;
    struct sm_err e = {0};
    int rc = account_scope(db, req_user(r), &scope, &ids, &e);
    if (rc == 0)
        rc = org_list_scope(db, &scope, &orgs, &no, &e);
    if (rc == 0)
        rc = acme_eab_list_scoped(db, &scope, &k, &nk, &e);
    free(ids);
    if (rc < 0) {
        free(orgs);
        free(k);
        internal(r, "acme credentials list failed", &e);
        return;
    }
    json_t *oa = json_array(), *ka = json_array();
    for (size_t i = 0; oa != NULL && i < no; i++)
        json_array_append_new(oa, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)orgs[i].id, "name",
                                            orgs[i].name_ja, "selected",
                                            orgs[i].id == org_sel || (org_sel == 0 && i == 0)));
    for (size_t i = 0; ka != NULL && i < nk; i++) {
        char created[16], acct[512] = "", path[48];
        day_of(k[i].created_at, created);
        if (k[i].account_id > 0) {
            snprintf(path, sizeof path, "/acme/acct/%lld", (long long)k[i].account_id);
            acme_url(r, path, acct, sizeof acct);
        }
        const char *st = k[i].revoked_at     ? "acme.eab.status.revoked"
                         : k[i].accounts > 0 ? "acme.eab.status.used"
                                             : "acme.eab.status.unused";
        json_array_append_new(ka, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "kid", k[i].kid,
                                            "org", k[i].org_name, "created", created, "status",
                                            i18n_text(r->lang, st), "account", acct, "accounts",
                                            (json_int_t)k[i].accounts, "revocable",
                                            k[i].revoked_at == 0 && k[i].accounts == 0));
    }
    free(orgs);
    free(k);
    char dir[512];
    acme_url(r, "/acme/directory", dir, sizeof dir);
    const char *msg = flash_key ? i18n_text(r->lang, flash_key) : "";
    json_t *d =
        json_pack("{s:o, s:b, s:o, s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "orgs",
                  oa ? oa : json_array(), "has_orgs", no > 0, "keys", ka ? ka : json_array(),
                  "has_keys", nk > 0, "new_kid", kid ? kid : "", "new_key", key ? key : "",
                  "org_err", err_key ? i18n_text(r->lang, err_key) : "", "flash",
                  status < 400 ? msg : "", "error", status >= 400 ? msg : "", "directory", dir);
    http_reply_page(r, status, "account_acme", "acme.eab.title", d);
}

void h_acme_eab(struct req *r)
{
    const char *rv = req_query(r, "revoked");
    eab_page(r, 200, 0, NULL, NULL, NULL, rv ? "acme.eab.revoked_msg" : NULL);
}

void h_acme_eab_create(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    const char *s = req_form_text(r, "org_id");
    char *end;
    errno = 0;
    long long org = s ? strtoll(s, &end, 10) : 0;
    if (s == NULL || errno != 0 || end == s || *end != '\0' || org <= 0) {
        eab_page(r, 422, 0, NULL, NULL, "acme.eab.err.org", NULL);
        return;
    }
    char kid[ACME_EAB_KID_LEN], key[ACME_EAB_KEY_LEN];
    struct sm_err e = {0};
    int rc = acme_eab_create_for(db, req_user(r), (int64_t)org, (int64_t)clock_now(), kid, key, &e);
    if (rc == -SM_E_INVALID || rc == -SM_E_NOTFOUND) {
        eab_page(r, 422, 0, NULL, NULL, "acme.eab.err.org", NULL);
        return;
    }
    if (rc < 0) {
        internal(r, "acme credentials creation failed", &e);
        return;
    }
    eab_page(r, 201, (int64_t)org, kid, key, NULL, NULL);
    sodium_memzero(key, sizeof key);
}

void h_acme_eab_revoke(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    const char *kid = req_param(r, "kid");
    struct sm_err e = {0};
    int rc = kid != NULL && strlen(kid) < 64
                 ? acme_eab_revoke_for(db, req_user(r), kid, (int64_t)clock_now(), &e)
                 : -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "web.notfound", NULL);
    else if (rc == -SM_E_CONFLICT)
        eab_page(r, 409, 0, NULL, NULL, NULL, "acme.eab.err.in_use");
    else if (rc < 0)
        internal(r, "acme credentials revocation failed", &e);
    else
        http_redirect(r, 303, "/account/acme?revoked=1");
}
