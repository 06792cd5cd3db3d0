/* SPDX-License-Identifier: MIT */
/* R-ISS-2, R-VAL-1, R-VAL-2, R-VAL-5: the dated policy tables around every boundary
 * (2026-03-14/15, 2027-03-14/15, 2028-03-14/15, 2029-03-14/15) with the fake clock, the
 * inclusive-second validity rule of BR 6.3.2, reuse windows and BR version labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/clock.h"
#include "core/policy.h"

static time_t at(const char *text)
{
    time_t t;
    if (clock_parse_utc(text, &t) != 0)
        fail_msg("bad time %s", text);
    return t;
}

struct dated {
    const char *when;
    int max_validity, dcv_reuse, email, identity;
};

static const struct dated dated_rows[] = {
    {"2025-11-22T00:00:00Z", 398, 398, 1, 825}, {"2026-03-14T23:59:59Z", 398, 398, 1, 825},
    {"2026-03-15T00:00:00Z", 200, 200, 1, 398}, {"2026-11-22T03:00:00Z", 200, 200, 1, 398},
    {"2027-03-14T23:59:59Z", 200, 200, 1, 398}, {"2027-03-15T00:00:00Z", 100, 100, 1, 398},
    {"2028-03-14T23:59:59Z", 100, 100, 1, 398}, {"2028-03-15T00:00:00Z", 100, 100, 0, 398},
    {"2029-03-14T23:59:59Z", 100, 100, 0, 398}, {"2029-03-15T00:00:00Z", 47, 10, 0, 398},
    {"2035-01-01T00:00:00Z", 47, 10, 0, 398},
};

/* R-ISS-2, R-VAL-1, R-VAL-2, R-VAL-5: each value at each boundary, read at the fake
 * clock's time. */
static void test_policy_value_at_boundaries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dated_rows / sizeof dated_rows[0]; i++) {
        const struct dated *d = &dated_rows[i];
        clock_set(at(d->when));
        time_t now = clock_now();
        if (policy_max_validity_days(now) != d->max_validity ||
            policy_dcv_reuse_days(now) != d->dcv_reuse ||
            policy_email_dcv_allowed(now) != d->email ||
            policy_identity_reuse_days(now) != d->identity)
            fail_msg("%s: got %d/%d/%d/%d", d->when, policy_max_validity_days(now),
                     policy_dcv_reuse_days(now), policy_email_dcv_allowed(now),
                     policy_identity_reuse_days(now));
        assert_int_equal(policy_value(POLICY_MAX_VALIDITY_DAYS, now), d->max_validity);
    }
    clock_set(0);
}

/* The generic lookup refuses ids outside the enum. */
static void test_policy_value_unknown_id(void **state)
{
    (void)state;
    const struct policy_step *s = (const struct policy_step *)1;
    assert_int_equal(policy_value(POLICY__COUNT, at("2026-11-22")), -1);
    assert_int_equal(policy_value((enum policy_id) - 1, at("2026-11-22")), -1);
    assert_int_equal(policy_steps(POLICY__COUNT, &s), 0);
    assert_null(s);
    assert_string_equal(policy_name(POLICY__COUNT), "?");
}

/* Tables are ascending and each step changes the value (a table a page can show). */
static void test_policy_steps_ascending(void **state)
{
    (void)state;
    static const char *const names[] = {"max_validity_days", "dcv_reuse_days", "email_dcv_allowed",
                                        "identity_reuse_days", "mpic_min_perspectives"};
    for (int id = 0; id < POLICY__COUNT; id++) {
        const struct policy_step *s;
        size_t n = policy_steps((enum policy_id)id, &s);
        assert_true(n >= 2);
        assert_string_equal(policy_name((enum policy_id)id), names[id]);
        for (size_t i = 1; i < n; i++) {
            assert_true(s[i].from > s[i - 1].from);
            assert_int_not_equal(s[i].value, s[i - 1].value);
            assert_int_equal(policy_value((enum policy_id)id, s[i].from), s[i].value);
            assert_int_equal(policy_value((enum policy_id)id, s[i].from - 1), s[i - 1].value);
        }
    }
    /* The dates are 00:00:00 UTC of the BR schedule. */
    const struct policy_step *s;
    assert_int_equal(policy_steps(POLICY_MAX_VALIDITY_DAYS, &s), 4);
    assert_true(s[1].from == at("2026-03-15"));
    assert_true(s[2].from == at("2027-03-15"));
    assert_true(s[3].from == at("2029-03-15"));
    assert_int_equal(policy_steps(POLICY_EMAIL_DCV_ALLOWED, &s), 2);
    assert_true(s[1].from == at("2028-03-15"));
}

/* R-ISS-2 (BR 6.3.2): D days of validity are D*86400 seconds counting notBefore and
 * notAfter both, so notAfter = notBefore + D*86400 - 1 is the last that fits. */
static void test_policy_validity_fits_inclusive_second(void **state)
{
    (void)state;
    time_t nb = at("2026-11-22T03:00:00Z");
    assert_int_equal(policy_validity_seconds(nb, nb), 1);
    assert_int_equal(policy_validity_seconds(nb, nb + 86399), 86400);
    assert_true(policy_not_after_max(nb, 200) == nb + 200 * 86400 - 1);
    assert_true(policy_not_after_max(nb, 1) == nb + 86399);
    assert_int_equal(policy_validity_fits(nb, nb + 200 * 86400 - 1, 200), 1);
    assert_int_equal(policy_validity_fits(nb, nb + 200 * 86400, 200), 0);
    assert_int_equal(policy_validity_fits(nb, nb + 201 * 86400 - 1, 200), 0);
    assert_int_equal(policy_validity_fits(nb, nb, 1), 1);
}

static void test_policy_validity_fits_refuses_inverted_or_zero(void **state)
{
    (void)state;
    time_t nb = at("2026-11-22T03:00:00Z");
    assert_int_equal(policy_validity_fits(nb, nb - 1, 200), 0);
    assert_int_equal(policy_validity_fits(nb, nb, 0), 0);
    assert_int_equal(policy_validity_fits(nb, nb, -5), 0);
}

/* R-VAL-2: a domain validation is reusable for the period in force at issuance,
 * boundary second included. */
static void test_policy_dcv_reusable_window(void **state)
{
    (void)state;
    time_t t = at("2026-11-22T03:00:00Z");
    clock_set(t);
    time_t now = clock_now();
    assert_int_equal(policy_dcv_reusable(now - 200 * 86400, now), 1);
    assert_int_equal(policy_dcv_reusable(now - 200 * 86400 - 1, now), 0);
    assert_int_equal(policy_dcv_reusable(now, now), 1);
    assert_int_equal(policy_dcv_reusable(now + 1, now), 0); /* from the future */
    /* A 150-day-old validation: fine on 2027-03-14, too old on 2027-03-15 (100 days). */
    time_t before = at("2027-03-14T23:59:59Z"), after = at("2027-03-15T00:00:00Z");
    assert_int_equal(policy_dcv_reusable(before - 150 * 86400, before), 1);
    assert_int_equal(policy_dcv_reusable(after - 150 * 86400, after), 0);
    /* 2029-03-15: 10 days. */
    time_t t29 = at("2029-03-15T00:00:00Z");
    assert_int_equal(policy_dcv_reusable(t29 - 10 * 86400, t29), 1);
    assert_int_equal(policy_dcv_reusable(t29 - 11 * 86400, t29), 0);
    assert_int_equal(policy_dcv_reusable(t29 - 11 * 86400, t29 - 1), 1); /* still 100 */
    clock_set(0);
}

/* R-VAL-5: identity data (phone verification) reusable 398 days. */
static void test_policy_identity_reusable_window(void **state)
{
    (void)state;
    time_t now = at("2026-11-22T03:00:00Z");
    assert_int_equal(policy_identity_reusable(now - 398 * 86400, now), 1);
    assert_int_equal(policy_identity_reusable(now - 398 * 86400 - 1, now), 0);
    assert_int_equal(policy_identity_reusable(now + 60, now), 0);
    time_t old = at("2026-03-14T12:00:00Z"); /* 825 days then */
    assert_int_equal(policy_identity_reusable(old - 800 * 86400, old), 1);
}

/* R-VAL-1: each validation records the BR version in force. */
static void test_policy_br_version_by_date(void **state)
{
    (void)state;
    static const struct {
        const char *when, *version;
    } rows[] = {
        {"2023-09-14T23:59:59Z", "pre-2.0.0"}, {"2023-09-15T00:00:00Z", "2.0.0"},
        {"2024-02-01T00:00:00Z", "2.0.2"}, /* 2.0.1 took effect after 2.0.2 */
        {"2024-03-15T00:00:00Z", "2.0.2"},     {"2024-04-15T00:00:00Z", "2.0.3"},
        {"2025-05-16T00:00:00Z", "2.1.5"},     {"2026-03-15T00:00:00Z", "2.2.5"},
        {"2026-10-03T23:59:59Z", "2.3.0"},     {"2026-10-04T00:00:00Z", "2.3.1"},
        {"2026-11-22T03:00:00Z", "2.3.1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        clock_set(at(rows[i].when));
        const char *v = policy_br_version(clock_now());
        if (strcmp(v, rows[i].version) != 0)
            fail_msg("%s: %s, want %s", rows[i].when, v, rows[i].version);
    }
    clock_set(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_value_at_boundaries),
        cmocka_unit_test(test_policy_value_unknown_id),
        cmocka_unit_test(test_policy_steps_ascending),
        cmocka_unit_test(test_policy_validity_fits_inclusive_second),
        cmocka_unit_test(test_policy_validity_fits_refuses_inverted_or_zero),
        cmocka_unit_test(test_policy_dcv_reusable_window),
        cmocka_unit_test(test_policy_identity_reusable_window),
        cmocka_unit_test(test_policy_br_version_by_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
