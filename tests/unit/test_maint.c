/* SPDX-License-Identifier: MIT */
/* R-APP-7: the monthly maintenance window (4th Wednesday 20:00 JST to 08:00 JST the next
 * day by default): its edges at 19:59/20:00/07:59/08:00 JST, several months, windows
 * that cross a month and a year end, the policy syntax. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ra/calendar.h"
#include "ra/maint.h"

static time_t jst(int y, int m, int d, int h, int mi)
{
    return calendar_tokyo_midnight(y, m, d) + h * 3600 + mi * 60;
}

struct edge {
    int y, m, d, h, mi;
    int in;
    int ey, em, ed; /* window end date (08:00 JST) when in */
};

/* 4th Wednesdays: 2026-11-25, 2026-12-23, 2027-01-27, 2027-02-24, 2026-04-22, 2028-02-23. */
static const struct edge default_edges[] = {
    {2026, 11, 25, 19, 59, 0, 0, 0, 0},
    {2026, 11, 25, 20, 0, 1, 2026, 11, 26},
    {2026, 11, 25, 23, 59, 1, 2026, 11, 26},
    {2026, 11, 26, 0, 0, 1, 2026, 11, 26},
    {2026, 11, 26, 7, 59, 1, 2026, 11, 26},
    {2026, 11, 26, 8, 0, 0, 0, 0, 0},
    {2026, 11, 18, 20, 30, 0, 0, 0, 0}, /* 3rd Wednesday */
    {2026, 11, 19, 7, 0, 0, 0, 0, 0},   /* morning after the 3rd Wednesday */
    {2026, 12, 23, 20, 0, 1, 2026, 12, 24},
    {2026, 12, 30, 21, 0, 0, 0, 0, 0}, /* 5th Wednesday of December */
    {2027, 1, 27, 19, 59, 0, 0, 0, 0},
    {2027, 1, 28, 7, 59, 1, 2027, 1, 28},
    {2027, 2, 24, 20, 0, 1, 2027, 2, 25},
    {2027, 2, 25, 8, 0, 0, 0, 0, 0},
    {2026, 4, 22, 22, 0, 1, 2026, 4, 23},
    {2028, 2, 24, 7, 59, 1, 2028, 2, 24},
    {2028, 2, 23, 12, 0, 0, 0, 0, 0}, /* the Wednesday itself before 20:00 */
};

static void test_maint_in_window_default_edges(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof default_edges / sizeof default_edges[0]; i++) {
        const struct edge *c = &default_edges[i];
        time_t end = 0;
        int in = maint_in_window(NULL, jst(c->y, c->m, c->d, c->h, c->mi), &end);
        if (in != c->in)
            fail_msg("%04d-%02d-%02d %02d:%02d JST: in=%d, want %d", c->y, c->m, c->d, c->h, c->mi,
                     in, c->in);
        if (in)
            assert_int_equal(end, jst(c->ey, c->em, c->ed, 8, 0));
    }
}

/* The 4th Wednesday 20:00 JST is 11:00 UTC; 08:00 JST is 23:00 UTC the day before. */
static void test_maint_in_window_utc_instants(void **state)
{
    (void)state;
    /* 2026-11-25T11:00:00Z = 2026-11-25 20:00 JST */
    assert_int_equal(maint_in_window(NULL, 1795604400, NULL), 1);
    assert_int_equal(maint_in_window(NULL, 1795604400 - 1, NULL), 0);
    /* 2026-11-25T23:00:00Z = 2026-11-26 08:00 JST: end is exclusive */
    assert_int_equal(maint_in_window(NULL, 1795604400 + 12 * 3600, NULL), 0);
    assert_int_equal(maint_in_window(NULL, 1795604400 + 12 * 3600 - 1, NULL), 1);
}

/* A 5th-Wednesday policy crosses month ends and the year end. */
static void test_maint_in_window_month_and_year_end(void **state)
{
    (void)state;
    struct maint_policy p;
    assert_int_equal(maint_parse("5 wed 20:00-08:00", &p), 0);
    time_t end = 0;
    assert_int_equal(maint_in_window(&p, jst(2027, 3, 31, 20, 0), &end), 1);
    assert_int_equal(end, jst(2027, 4, 1, 8, 0));
    assert_int_equal(maint_in_window(&p, jst(2027, 4, 1, 7, 59), &end), 1);
    assert_int_equal(end, jst(2027, 4, 1, 8, 0));
    assert_int_equal(maint_in_window(&p, jst(2027, 4, 1, 8, 0), NULL), 0);
    assert_int_equal(maint_in_window(&p, jst(2025, 12, 31, 23, 0), &end), 1);
    assert_int_equal(end, jst(2026, 1, 1, 8, 0));
    assert_int_equal(maint_in_window(&p, jst(2026, 1, 1, 7, 59), NULL), 1);
    /* November 2026 has four Wednesdays: no window at all. */
    assert_int_equal(maint_in_window(&p, jst(2026, 11, 25, 21, 0), NULL), 0);
    assert_int_equal(maint_in_window(&p, jst(2026, 12, 1, 7, 0), NULL), 0);
}

static void test_maint_in_window_same_day_and_none(void **state)
{
    (void)state;
    struct maint_policy p;
    assert_int_equal(maint_parse("2 sun 01:00-05:00", &p), 0);
    /* 2nd Sunday of December 2026: the 13th */
    time_t end;
    assert_int_equal(maint_in_window(&p, jst(2026, 12, 13, 0, 59), NULL), 0);
    assert_int_equal(maint_in_window(&p, jst(2026, 12, 13, 1, 0), &end), 1);
    assert_int_equal(end, jst(2026, 12, 13, 5, 0));
    assert_int_equal(maint_in_window(&p, jst(2026, 12, 13, 5, 0), NULL), 0);
    assert_int_equal(maint_in_window(&p, jst(2026, 12, 14, 1, 30), NULL), 0);
    assert_int_equal(maint_parse("none", &p), 0);
    assert_int_equal(maint_in_window(&p, jst(2026, 11, 25, 21, 0), NULL), 0);
}

static void test_maint_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "4 wed",
                                      "0 wed 20:00-08:00",
                                      "6 wed 20:00-08:00",
                                      "4 xyz 20:00-08:00",
                                      "4 wed 24:00-08:00",
                                      "4 wed 20:60-08:00",
                                      "4 wed 20:00-20:00",
                                      "4 wed 20:00 08:00",
                                      "4 wed 20:00-08:00 ",
                                      "4wed 20:00-08:00",
                                      "four wed 20:00-08:00",
                                      "4 WED 20:00-08:00"};
    struct maint_policy p = maint_policy_default;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (maint_parse(bad[i], &p) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(maint_parse(NULL, &p), -1);
    assert_memory_equal(&p, &maint_policy_default, sizeof p);
    assert_int_equal(maint_parse("4 wed 20:00-08:00", &p), 0);
    assert_memory_equal(&p, &maint_policy_default, sizeof p);
}

static void test_maint_nth_weekday_table(void **state)
{
    (void)state;
    static const int want[][4] = {{2026, 11, 4, 25}, {2026, 12, 4, 23}, {2027, 1, 4, 27},
                                  {2027, 2, 4, 24},  {2028, 2, 4, 23},  {2027, 3, 5, 31},
                                  {2026, 12, 5, 30}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int d = 0;
        assert_int_equal(maint_nth_weekday(want[i][0], want[i][1], want[i][2], 3, &d), 0);
        assert_int_equal(d, want[i][3]);
    }
    int d;
    assert_int_equal(maint_nth_weekday(2026, 11, 5, 3, &d), -1);
    assert_int_equal(maint_nth_weekday(2026, 13, 1, 3, &d), -1);
    assert_int_equal(maint_nth_weekday(2026, 11, 1, 7, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maint_in_window_default_edges),
        cmocka_unit_test(test_maint_in_window_utc_instants),
        cmocka_unit_test(test_maint_in_window_month_and_year_end),
        cmocka_unit_test(test_maint_in_window_same_day_and_none),
        cmocka_unit_test(test_maint_parse_invalid),
        cmocka_unit_test(test_maint_nth_weekday_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
