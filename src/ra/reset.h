/* SPDX-License-Identifier: MIT */
/* Password reset by a mailed one-time link (R-ACT-1; split from ra/account.c). */
#ifndef SM_RA_RESET_H
#define SM_RA_RESET_H
#include <stdint.h>

#include "ra/account.h"

#define ACCOUNT_RESET_TTL 3600 /* a reset link works for one hour, once */
/* Queues mail template password_reset with the link base_url/password/reset/<token> to
 * the user with this login id, if there is one (not disabled). Answers 0 the same way
 * whether or not it exists, so the form reveals nothing. */
int account_reset_request(struct db *db, const struct account_policy *p, const char *login_id,
                          struct sm_err *e);
/* 0 when token is an unused, unexpired reset token; -SM_E_NOTFOUND otherwise. */
int account_reset_check(struct db *db, const char *token, struct sm_err *e);
/* Sets the new password, uses the token up, ends every other pending reset link of the
 * user, clears the lock, ends every session of the user. -SM_E_NOTFOUND for unknown/used/expired
 * tokens; -SM_E_INVALID with fe. */
int account_reset_confirm(struct db *db, const char *token, const char *password,
                          const char *password_confirm, struct account_errors *fe,
                          struct sm_err *e);

#endif
