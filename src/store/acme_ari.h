/* SPDX-License-Identifier: MIT */
/* The acme_ari_drills and acme_ari_drill_certs tables (migration 0045): ARI drills of the
 * operator (ra/acme_ari.c) and the certificates each took. The inserts run inside the
 * caller's transaction. */
#ifndef SM_ACME_ARI_H
#define SM_ACME_ARI_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct db;

/* Records a drill and takes into it every certificate of CA ca_id issued before
 * issued_before, still valid at now (issued or revocation scheduled, not expired), of
 * organization org_id (0 = any). *id gets the drill, *count the certificates taken. */
int acme_ari_drill_insert(struct db *db, int64_t ca_id, int64_t issued_before, int64_t org_id,
                          const char *created_by, int64_t now, int64_t *id, int64_t *count,
                          struct sm_err *e);

/* The time of the latest drill that took serial; 0 when none. */
int acme_ari_drilled_at(struct db *db, const char *serial, int64_t *at, struct sm_err *e);

struct acme_ari_drill_row {
    int64_t id, ca_id, issued_before, org_id, created_at;
    char ca_name[64];
};
/* Drill id, or the latest when id is 0; -SM_E_NOTFOUND when none. */
int acme_ari_drill_get(struct db *db, int64_t id, struct acme_ari_drill_row *out, struct sm_err *e);

/* One certificate of a drill, with the first certificate of the same organization and
 * common name issued at or after the drill (its replacement; "" when none yet). */
struct acme_ari_report_row {
    int64_t org_id;
    char org_name[128];
    char serial[41], cn[256], replaced_by[41];
};
/* Ordered by organization, then serial. Free with free(). */
int acme_ari_report_list(struct db *db, int64_t drill_id, struct acme_ari_report_row **out,
                         size_t *n, struct sm_err *e);

#endif
