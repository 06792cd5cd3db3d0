/* SPDX-License-Identifier: MIT */
/* Announcements by admins (R-ACT-3). */
#ifndef SM_RA_ANNOUNCE_H
#define SM_RA_ANNOUNCE_H
#include <stdint.h>

#include "ra/account.h"

/* Admins only (-SM_E_FORBIDDEN). Titles 1..100 characters, bodies 1..2000 (fields
 * title_ja, title_en, body_ja, body_en). */
int account_announce(struct db *db, const struct user_row *u, const char *title_ja,
                     const char *title_en, const char *body_ja, const char *body_en,
                     struct account_errors *fe, int64_t *id, struct sm_err *e);

#endif
