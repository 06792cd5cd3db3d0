/* SPDX-License-Identifier: MIT */
/* The organization's registration information (SureBoard 登録情報の変更, issue 12 item 6):
 * names, postal code, address, main phone and a contact, read by every user of the
 * organization and changed by its administrator only. Administrator: a customer or
 * reseller user of the organization with users.org_admin set; when none has it, the
 * organization's first user (so every organization has one from the start).
 * The names, postal code, address and phone are vetted fields (what OV/EV vetting checks
 * and R-REN-3 keeps): changing one marks the organization's vetting stale
 * (organizations.vetting_reset_at), so no earlier organization check is reused and the
 * next OV/EV issuance is vetted again; the change must be confirmed for that. */
#ifndef SM_RA_ORGINFO_H
#define SM_RA_ORGINFO_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/orgreg.h"
#include "store/users.h"

struct db;

#define ORGINFO_NFIELDS 8
/* The field names in form order ("name_ja", ..., "contact_phone"). */
extern const char *const orginfo_fields[ORGINFO_NFIELDS];
/* 1 for a vetted field. */
int orginfo_field_vetted(const char *name);
/* The value of field i of r (borrowed). */
const char *orginfo_value(const struct orgreg_row *r, size_t i);

/* The registration of u's organization, and whether u may change it. */
int orginfo_get(struct db *db, const struct user_row *u, struct orgreg_row *out, int *is_admin,
                struct sm_err *e);

struct orginfo_result {
    int changed;                         /* 1 when something was written */
    int vetting_stale;                   /* 1 when a vetted field changed */
    int needs_confirm;                   /* 1: vetted fields change, not confirmed */
    const char *vetted[ORGINFO_NFIELDS]; /* the vetted fields that change */
    size_t nvetted;
};

/* Changes u's organization to in (every field; in->id and version ignored) when its
 * version is still `version`. Input errors are -SM_E_INVALID naming the field, nothing
 * changed; a user who is not the administrator -SM_E_FORBIDDEN; a changed row
 * -SM_E_STALE. When a vetted field changes and confirmed is 0, nothing is written and
 * res->needs_confirm says so (return 0). Audited "org.registration_changed" {changed:
 * {field: [from, to]}, vetting_stale}. */
int orginfo_update(struct db *db, const struct user_row *u, const char *client_ip,
                   const struct orgreg_row *in, int64_t version, int confirmed,
                   struct orginfo_result *res, struct sm_err *e);

#endif
