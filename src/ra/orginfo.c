/* SPDX-License-Identifier: MIT */
/* Registration information of an organization (ra/orginfo.h). */
#include "ra/orginfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/text.h"
#include "ra/field.h"
#include "store/audit.h"
#include "store/db.h"

const char *const orginfo_fields[ORGINFO_NFIELDS] = {
    "name_ja", "name_en",      "postal",        "address",
    "phone",   "contact_name", "contact_email", "contact_phone"};

int orginfo_field_vetted(const char *name)
{
    for (size_t i = 0; i < 5; i++)
        if (strcmp(name, orginfo_fields[i]) == 0)
            return 1;
    return 0;
}

const char *orginfo_value(const struct orgreg_row *r, size_t i)
{
    switch (i) {
    case 0: return r->name_ja;
    case 1: return r->name_en;
    case 2: return r->postal;
    case 3: return r->address;
    case 4: return r->phone;
    case 5: return r->contact_name;
    case 6: return r->contact_email;
    case 7: return r->contact_phone;
    default: return "";
    }
}

int orginfo_get(struct db *db, const struct user_row *u, struct orgreg_row *out, int *is_admin,
                struct sm_err *e)
{
    *is_admin = 0;
    if (u == NULL || u->org_id <= 0)
        return sm_err_set(e, SM_E_NOTFOUND, "organization", "no organization");
    int rc = orgreg_get(db, u->org_id, out, e);
    if (rc == 0)
        rc = orgreg_is_admin(db, u->org_id, u->id, is_admin, e);
    return rc;
}

/* Syntax of every field that changes (what is stored stays acceptable, e.g. an English
 * name made from the Japanese one at registration): 0, or -SM_E_INVALID naming the first
 * bad one. */
static int check(const struct orgreg_row *cur, const struct orgreg_row *in, struct sm_err *e)
{
    static const long max[ORGINFO_NFIELDS] = {ORG_NAME_MAX, ORG_NAME_MAX, 8,   ORG_NAME_MAX,
                                              20,           128,          254, 20};
    for (size_t i = 0; i < ORGINFO_NFIELDS; i++) {
        const char *v = orginfo_value(in, i);
        if (strcmp(v, orginfo_value(cur, i)) == 0)
            continue;
        long n = field_chars(v);
        if (n < 0 || n > max[i] || field_has_control(v, 0))
            return sm_err_set(e, SM_E_INVALID, orginfo_fields[i], "too long or not valid text");
    }
    if (in->name_ja[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "name_ja", "required");
    if (in->name_en[0] != '\0' && strcmp(in->name_en, cur->name_en) != 0 &&
        !field_ascii_printable(in->name_en))
        return sm_err_set(e, SM_E_INVALID, "name_en", "ASCII only");
    if (in->postal[0] != '\0' && strcmp(in->postal, cur->postal) != 0 &&
        !field_postal(in->postal, NULL))
        return sm_err_set(e, SM_E_INVALID, "postal", "NNN-NNNN");
    if (in->phone[0] != '\0' && strcmp(in->phone, cur->phone) != 0 && !field_phone(in->phone))
        return sm_err_set(e, SM_E_INVALID, "phone", "not a phone number");
    if (in->contact_email[0] != '\0' && strcmp(in->contact_email, cur->contact_email) != 0 &&
        !text_email_ok(in->contact_email, 0))
        return sm_err_set(e, SM_E_INVALID, "contact_email", "not an e-mail address");
    if (in->contact_phone[0] != '\0' && strcmp(in->contact_phone, cur->contact_phone) != 0 &&
        !field_phone(in->contact_phone))
        return sm_err_set(e, SM_E_INVALID, "contact_phone", "not a phone number");
    return 0;
}

int orginfo_update(struct db *db, const struct user_row *u, const char *client_ip,
                   const struct orgreg_row *in, int64_t version, int confirmed,
                   struct orginfo_result *res, struct sm_err *e)
{
    memset(res, 0, sizeof *res);
    int rc;
    if (u == NULL || u->org_id <= 0)
        return sm_err_set(e, SM_E_NOTFOUND, "organization", "no organization");
    if ((rc = db_begin(db, e)) < 0)
        return rc;
    struct orgreg_row cur;
    int admin = 0;
    json_t *changed = NULL;
    rc = orginfo_get(db, u, &cur, &admin, e);
    if (rc == 0)
        rc = check(&cur, in, e);
    if (rc < 0)
        goto fail;
    if (!admin) {
        rc = sm_err_set(e, SM_E_FORBIDDEN, "organization",
                        "only the organization's administrator changes its registration");
        goto fail;
    }
    if (cur.version != version) {
        rc = sm_err_set(e, SM_E_STALE, "version", "the organization changed meanwhile");
        goto fail;
    }
    changed = json_object();
    if (changed == NULL) {
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < ORGINFO_NFIELDS; i++) {
        const char *a = orginfo_value(&cur, i), *b = orginfo_value(in, i);
        if (strcmp(a, b) == 0)
            continue;
        json_object_set_new(changed, orginfo_fields[i], json_pack("[s, s]", a, b));
        if (i < 5)
            res->vetted[res->nvetted++] = orginfo_fields[i];
    }
    if (json_object_size(changed) == 0) {
        json_decref(changed);
        db_rollback(db);
        return 0;
    }
    if (res->nvetted > 0 && !confirmed) {
        res->needs_confirm = 1;
        json_decref(changed);
        db_rollback(db);
        return 0;
    }
    struct orgreg_row w = *in;
    w.id = cur.id;
    int64_t now = (int64_t)clock_now();
    res->vetting_stale = res->nvetted > 0;
    rc = orgreg_update(db, &w, version, res->vetting_stale ? now : 0, e);
    if (rc < 0)
        goto fail;
    json_t *d = json_pack("{s:O, s:b}", "changed", changed, "vetting_stale", res->vetting_stale);
    char *dj = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    char actor[32], obj[40];
    snprintf(actor, sizeof actor, "user:%lld", (long long)u->id);
    snprintf(obj, sizeof obj, "organization:%lld", (long long)cur.id);
    rc = dj != NULL
             ? audit_append_from(db, actor, client_ip, "org.registration_changed", obj, dj, e)
             : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    free(dj);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        goto fail;
    json_decref(changed);
    res->changed = 1;
    return 0;
fail:
    json_decref(changed);
    db_rollback(db);
    return rc;
}
