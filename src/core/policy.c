/* SPDX-License-Identifier: MIT */
/* Dated policy tables (BR schedules from ballot SC-081 and SC-090) and the BR version
 * table; see policy.h. Adding a date means adding a row, never editing a past row. */
#include "core/policy.h"

/* 00:00:00 UTC of the dates the tables use. */
#define T_2025_09_15 ((time_t)1757894400)
#define T_2026_03_15 ((time_t)1773532800)
#define T_2026_06_15 ((time_t)1781481600)
#define T_2026_12_15 ((time_t)1797292800)
#define T_2027_03_15 ((time_t)1805068800)
#define T_2028_03_15 ((time_t)1836691200)
#define T_2029_03_15 ((time_t)1868227200)

/* BR 6.3.2 (SC-081): maximum validity of Subscriber Certificates issued at or after. */
static const struct policy_step max_validity[] = {
    {0, 398},
    {T_2026_03_15, 200},
    {T_2027_03_15, 100},
    {T_2029_03_15, 47},
};

/* BR 4.2.1 (SC-081): reuse of domain name validation data. */
static const struct policy_step dcv_reuse[] = {
    {0, 398},
    {T_2026_03_15, 200},
    {T_2027_03_15, 100},
    {T_2029_03_15, 10},
};

/* BR 3.2.2.4 (SC-090): method 3.2.2.4.4 (constructed e-mail) not relied on from
 * 2028-03-15. */
static const struct policy_step email_dcv[] = {
    {0, 1},
    {T_2028_03_15, 0},
};

/* BR 4.2.1 (SC-081): reuse of Subject Identity Information (825 days before). */
static const struct policy_step identity_reuse[] = {
    {0, 825},
    {T_2026_03_15, 398},
};

/* BR 3.2.2.9 (SC-067): minimum remote network perspectives of multi-perspective issuance
 * corroboration. */
static const struct policy_step mpic_min[] = {
    {0, 0}, {T_2025_09_15, 2}, {T_2026_03_15, 3}, {T_2026_06_15, 4}, {T_2026_12_15, 5},
};

static const struct {
    const char *name;
    const struct policy_step *steps;
    size_t n;
} tables[POLICY__COUNT] = {
    [POLICY_MAX_VALIDITY_DAYS] = {"max_validity_days", max_validity,
                                  sizeof max_validity / sizeof max_validity[0]},
    [POLICY_DCV_REUSE_DAYS] = {"dcv_reuse_days", dcv_reuse, sizeof dcv_reuse / sizeof dcv_reuse[0]},
    [POLICY_EMAIL_DCV_ALLOWED] = {"email_dcv_allowed", email_dcv,
                                  sizeof email_dcv / sizeof email_dcv[0]},
    [POLICY_IDENTITY_REUSE_DAYS] = {"identity_reuse_days", identity_reuse,
                                    sizeof identity_reuse / sizeof identity_reuse[0]},
    [POLICY_MPIC_MIN_PERSPECTIVES] = {"mpic_min_perspectives", mpic_min,
                                      sizeof mpic_min / sizeof mpic_min[0]},
};

/* BR section 1.2.1 revision table: version and effective date (00:00 UTC). Effective
 * dates are not monotonic in the version number (2.0.1 took effect after 2.0.2). */
static const struct {
    const char *version;
    time_t from;
} br_versions[] = {
    {"2.0.0", 1694736000}, /* SC-062 profiles, 2023-09-15 */
    {"2.0.1", 1710460800}, /* SC-063 CRL mandatory, 2024-03-15 */
    {"2.0.2", 1704672000}, /* 2024-01-08 */
    {"2.0.3", 1713139200}, /* 2024-04-15 */
    {"2.0.4", 1715731200}, /* 2024-05-15 */
    {"2.0.5", 1719792000}, /* 2024-07-01 */
    {"2.0.6", 1722902400}, /* SC-075 pre-sign linting, 2024-08-06 */
    {"2.0.7", 1725580800}, /* SC-067 MPIC, 2024-09-06 */
    {"2.0.8", 1727827200}, /* 2024-10-02 */
    {"2.0.9", 1731024000}, /* 2024-11-08 */
    {"2.1.0", 1731542400}, /* 2024-11-14 */
    {"2.1.1", 1731542400}, /* 2024-11-14 */
    {"2.1.2", 1734307200}, /* 2024-12-16 */
    {"2.1.3", 1740355200}, /* 2025-02-24 */
    {"2.1.4", 1740787200}, /* 2025-03-01 */
    {"2.1.5", 1747353600}, /* SC-081 validity and reuse schedule, 2025-05-16 */
    {"2.1.6", 1753056000}, /* SC-085 DNSSEC, 2025-07-21 */
    {"2.1.7", 1756080000}, /* 2025-08-25 */
    {"2.1.8", 1762214400}, /* 2025-11-04 */
    {"2.1.9", 1762732800}, /* 2025-11-10 */
    {"2.2.0", 1765756800}, /* 2025-12-15 */
    {"2.2.1", 1765843200}, /* 2025-12-16 */
    {"2.2.2", 1768176000}, /* SC-090 e-mail and phone DCV sunset, 2026-01-12 */
    {"2.2.3", 1771200000}, /* 2026-02-16 */
    {"2.2.4", 1771286400}, /* 2026-02-17 */
    {"2.2.5", 1771977600}, /* 2026-02-25 */
    {"2.2.6", 1774915200}, /* 2026-03-31 */
    {"2.2.7", 1779148800}, /* 2026-05-19 */
    {"2.2.8", 1781568000}, /* 2026-06-16 */
    {"2.2.9", 1785974400}, /* 2026-08-06 */
    {"2.3.0", 1788739200}, /* 2026-09-07 */
    {"2.3.1", 1791072000}, /* 2026-10-04 */
};

static int lookup(const struct policy_step *t, size_t n, time_t at)
{
    int v = t[0].value;
    for (size_t i = 1; i < n; i++) {
        if (at < t[i].from)
            break;
        v = t[i].value;
    }
    return v;
}

int policy_value(enum policy_id id, time_t at)
{
    if ((int)id < 0 || id >= POLICY__COUNT)
        return -1;
    return lookup(tables[id].steps, tables[id].n, at);
}

size_t policy_steps(enum policy_id id, const struct policy_step **out)
{
    if ((int)id < 0 || id >= POLICY__COUNT) {
        *out = NULL;
        return 0;
    }
    *out = tables[id].steps;
    return tables[id].n;
}

const char *policy_name(enum policy_id id)
{
    if ((int)id < 0 || id >= POLICY__COUNT)
        return "?";
    return tables[id].name;
}

int policy_max_validity_days(time_t at) { return policy_value(POLICY_MAX_VALIDITY_DAYS, at); }
int policy_dcv_reuse_days(time_t at) { return policy_value(POLICY_DCV_REUSE_DAYS, at); }
int policy_email_dcv_allowed(time_t at) { return policy_value(POLICY_EMAIL_DCV_ALLOWED, at); }
int policy_identity_reuse_days(time_t at) { return policy_value(POLICY_IDENTITY_REUSE_DAYS, at); }
int policy_mpic_min_perspectives(time_t at)
{
    return policy_value(POLICY_MPIC_MIN_PERSPECTIVES, at);
}

int policy_mpic_max_disagree(size_t used)
{
    if (used < 2)
        return 0;
    return used <= 5 ? 1 : 2;
}

int policy_mpic_min_rirs(time_t at) { return policy_mpic_min_perspectives(at) > 0 ? 2 : 0; }

const char *policy_br_version(time_t at)
{
    const char *best = "pre-2.0.0";
    /* Rows are in version order: the last row in effect is the highest version. */
    for (size_t i = 0; i < sizeof br_versions / sizeof br_versions[0]; i++)
        if (br_versions[i].from <= at)
            best = br_versions[i].version;
    return best;
}

long long policy_validity_seconds(time_t not_before, time_t not_after)
{
    return (long long)not_after - (long long)not_before + 1;
}

int policy_validity_fits(time_t not_before, time_t not_after, int days)
{
    if (days < 1 || not_after < not_before)
        return 0;
    return policy_validity_seconds(not_before, not_after) <= (long long)days * POLICY_DAY_SECONDS;
}

time_t policy_not_after_max(time_t not_before, int days)
{
    return (time_t)((long long)not_before + (long long)days * POLICY_DAY_SECONDS - 1);
}

static int reusable(time_t obtained, time_t at, int days)
{
    if (obtained > at || days < 0)
        return 0;
    return (long long)at - (long long)obtained <= (long long)days * POLICY_DAY_SECONDS;
}

int policy_dcv_reusable(time_t validated_at, time_t at)
{
    return reusable(validated_at, at, policy_dcv_reuse_days(at));
}

int policy_identity_reusable(time_t verified_at, time_t at)
{
    return reusable(verified_at, at, policy_identity_reuse_days(at));
}
