/* SPDX-License-Identifier: MIT */
/* Multi-perspective corroboration on the officer's pages (R-VAL-8): the attempts of an
 * order (who answered what, "n/m", the BR version) and the operator's health page of the
 * remote perspectives (/officer/perspectives). */
#ifndef SM_WEB_H_MPIC_H
#define SM_WEB_H_MPIC_H
#include <jansson.h>
#include <stdint.h>

struct req;
struct db;

/* {"status", "refusing", "has_attempts", "attempts": [...]} for the order page. */
json_t *mpic_order_json(struct req *r, struct db *db, int64_t order_id);
void h_officer_perspectives(struct req *r);

#endif
