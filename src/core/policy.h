/* SPDX-License-Identifier: MIT */
/* Dated policy values: the CA/Browser Forum Baseline Requirements schedules as tables of
 * {effective_from, value} (max leaf validity, DCV and identity data reuse, e-mail DCV
 * sunset) and the BR version label recorded with validations. Pure functions of a UTC
 * time: no configuration, no clock reads, no I/O. Dates are 00:00:00 UTC. */
#ifndef SM_POLICY_H
#define SM_POLICY_H
#include <stddef.h>
#include <time.h>

#define POLICY_DAY_SECONDS 86400LL /* BR 6.3.2: "a day is measured as 86,400 seconds" */

enum policy_id {
    POLICY_MAX_VALIDITY_DAYS,     /* BR 6.3.2: 398, 200 (2026-03-15), 100 (2027), 47 (2029) */
    POLICY_DCV_REUSE_DAYS,        /* BR 4.2.1, R-VAL-2: 398, 200, 100, 10 (2029-03-15) */
    POLICY_EMAIL_DCV_ALLOWED,     /* BR 3.2.2.4.4, R-VAL-1: 1 until 2028-03-15, then 0 */
    POLICY_IDENTITY_REUSE_DAYS,   /* BR 4.2.1, R-VAL-5: 825, then 398 from 2026-03-15 */
    POLICY_MPIC_MIN_PERSPECTIVES, /* BR 3.2.2.9, R-VAL-8: remote network perspectives
                                     required: 0, 2 (2025-09-15), 3 (2026-03-15),
                                     4 (2026-06-15), 5 (2026-12-15) */
    POLICY__COUNT
};

/* One row: value applies from `from` (inclusive, UTC seconds) until the next row. */
struct policy_step {
    time_t from;
    int value;
};

/* The value in force at `at`. Unknown id: -1. */
int policy_value(enum policy_id id, time_t at);
/* The table behind a policy (static storage), ascending by from; returns the row count
 * (0 for an unknown id, *out then NULL). */
size_t policy_steps(enum policy_id id, const struct policy_step **out);
/* Stable name for logs and docs, e.g. "max_validity_days"; "?" if unknown. */
const char *policy_name(enum policy_id id);

int policy_max_validity_days(time_t at);
int policy_dcv_reuse_days(time_t at);
int policy_email_dcv_allowed(time_t at); /* 1 allowed, 0 not */
int policy_identity_reuse_days(time_t at);
int policy_mpic_min_perspectives(time_t at);

/* BR 3.2.2.9 quorum table (R-VAL-8): remote perspectives that may fail to corroborate
 * the primary when `used` perspectives were asked: 0 for 0 or 1, 1 for 2..5, 2 for 6 or
 * more. */
int policy_mpic_max_disagree(size_t used);
/* Distinct RIR service regions the corroborating perspectives must span: 2 whenever
 * remote perspectives are required at `at` (from 2025-09-15), else 0. */
int policy_mpic_min_rirs(time_t at);

/* The BR version in force at `at` ("2.3.1"): the highest version this build knows whose
 * effective date is <= at (BR 1.2.1 revision table, from 2.0.0 of 2023-09-15). Before
 * 2.0.0: "pre-2.0.0". Versions published after this build are not known to it. */
const char *policy_br_version(time_t at);

/* BR 6.3.2 validity arithmetic: the period runs from notBefore through notAfter
 * inclusive, so it lasts (notAfter - notBefore + 1) seconds. */
long long policy_validity_seconds(time_t not_before, time_t not_after);
/* 1 when not_before <= not_after and the period is at most `days` days, else 0. */
int policy_validity_fits(time_t not_before, time_t not_after, int days);
/* The latest notAfter that keeps a validity of at most `days` days: nb + days*86400 - 1.
 * days must be >= 1. */
time_t policy_not_after_max(time_t not_before, int days);

/* Reuse windows (BR 4.2.1): data obtained at `obtained` may be relied on at `at` when
 * obtained <= at and at - obtained <= days * 86400, with `days` the value in force at
 * `at` (the time of issuance). 1 reusable, 0 not. */
int policy_dcv_reusable(time_t validated_at, time_t at);
int policy_identity_reusable(time_t verified_at, time_t at);

#endif
