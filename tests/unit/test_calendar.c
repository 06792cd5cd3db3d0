/* SPDX-License-Identifier: MIT */
/* R-CAL-1: Japanese national holidays and business days (ra/calendar). Expected dates
 * come from the Cabinet Office lists of national holidays (国民の祝日について, 1980-2027)
 * and, for later years, from the rules of the Act on National Holidays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "ra/calendar.h"

/* ---- full years, names included: a missing, extra or renamed holiday fails ---- */

struct named {
    int y, m, d;
    const char *ja;
};

static const struct named full_years[] = {
    {2019, 1, 1, "元日"},
    {2019, 1, 14, "成人の日"},
    {2019, 2, 11, "建国記念の日"},
    {2019, 3, 21, "春分の日"},
    {2019, 4, 29, "昭和の日"},
    {2019, 4, 30, "国民の休日"},
    {2019, 5, 1, "天皇の即位の日"},
    {2019, 5, 2, "国民の休日"},
    {2019, 5, 3, "憲法記念日"},
    {2019, 5, 4, "みどりの日"},
    {2019, 5, 5, "こどもの日"},
    {2019, 5, 6, "振替休日"},
    {2019, 7, 15, "海の日"},
    {2019, 8, 11, "山の日"},
    {2019, 8, 12, "振替休日"},
    {2019, 9, 16, "敬老の日"},
    {2019, 9, 23, "秋分の日"},
    {2019, 10, 14, "体育の日"},
    {2019, 10, 22, "即位礼正殿の儀"},
    {2019, 11, 3, "文化の日"},
    {2019, 11, 4, "振替休日"},
    {2019, 11, 23, "勤労感謝の日"},

    {2020, 1, 1, "元日"},
    {2020, 1, 13, "成人の日"},
    {2020, 2, 11, "建国記念の日"},
    {2020, 2, 23, "天皇誕生日"},
    {2020, 2, 24, "振替休日"},
    {2020, 3, 20, "春分の日"},
    {2020, 4, 29, "昭和の日"},
    {2020, 5, 3, "憲法記念日"},
    {2020, 5, 4, "みどりの日"},
    {2020, 5, 5, "こどもの日"},
    {2020, 5, 6, "振替休日"},
    {2020, 7, 23, "海の日"},
    {2020, 7, 24, "スポーツの日"},
    {2020, 8, 10, "山の日"},
    {2020, 9, 21, "敬老の日"},
    {2020, 9, 22, "秋分の日"},
    {2020, 11, 3, "文化の日"},
    {2020, 11, 23, "勤労感謝の日"},

    {2021, 1, 1, "元日"},
    {2021, 1, 11, "成人の日"},
    {2021, 2, 11, "建国記念の日"},
    {2021, 2, 23, "天皇誕生日"},
    {2021, 3, 20, "春分の日"},
    {2021, 4, 29, "昭和の日"},
    {2021, 5, 3, "憲法記念日"},
    {2021, 5, 4, "みどりの日"},
    {2021, 5, 5, "こどもの日"},
    {2021, 7, 22, "海の日"},
    {2021, 7, 23, "スポーツの日"},
    {2021, 8, 8, "山の日"},
    {2021, 8, 9, "振替休日"},
    {2021, 9, 20, "敬老の日"},
    {2021, 9, 23, "秋分の日"},
    {2021, 11, 3, "文化の日"},
    {2021, 11, 23, "勤労感謝の日"},

    {2023, 1, 1, "元日"},
    {2023, 1, 2, "振替休日"},
    {2023, 1, 9, "成人の日"},
    {2023, 2, 11, "建国記念の日"},
    {2023, 2, 23, "天皇誕生日"},
    {2023, 3, 21, "春分の日"},
    {2023, 4, 29, "昭和の日"},
    {2023, 5, 3, "憲法記念日"},
    {2023, 5, 4, "みどりの日"},
    {2023, 5, 5, "こどもの日"},
    {2023, 7, 17, "海の日"},
    {2023, 8, 11, "山の日"},
    {2023, 9, 18, "敬老の日"},
    {2023, 9, 23, "秋分の日"},
    {2023, 10, 9, "スポーツの日"},
    {2023, 11, 3, "文化の日"},
    {2023, 11, 23, "勤労感謝の日"},

    {2025, 1, 1, "元日"},
    {2025, 1, 13, "成人の日"},
    {2025, 2, 11, "建国記念の日"},
    {2025, 2, 23, "天皇誕生日"},
    {2025, 2, 24, "振替休日"},
    {2025, 3, 20, "春分の日"},
    {2025, 4, 29, "昭和の日"},
    {2025, 5, 3, "憲法記念日"},
    {2025, 5, 4, "みどりの日"},
    {2025, 5, 5, "こどもの日"},
    {2025, 5, 6, "振替休日"},
    {2025, 7, 21, "海の日"},
    {2025, 8, 11, "山の日"},
    {2025, 9, 15, "敬老の日"},
    {2025, 9, 23, "秋分の日"},
    {2025, 10, 13, "スポーツの日"},
    {2025, 11, 3, "文化の日"},
    {2025, 11, 23, "勤労感謝の日"},
    {2025, 11, 24, "振替休日"},

    {2026, 1, 1, "元日"},
    {2026, 1, 12, "成人の日"},
    {2026, 2, 11, "建国記念の日"},
    {2026, 2, 23, "天皇誕生日"},
    {2026, 3, 20, "春分の日"},
    {2026, 4, 29, "昭和の日"},
    {2026, 5, 3, "憲法記念日"},
    {2026, 5, 4, "みどりの日"},
    {2026, 5, 5, "こどもの日"},
    {2026, 5, 6, "振替休日"},
    {2026, 7, 20, "海の日"},
    {2026, 8, 11, "山の日"},
    {2026, 9, 21, "敬老の日"},
    {2026, 9, 22, "国民の休日"},
    {2026, 9, 23, "秋分の日"},
    {2026, 10, 12, "スポーツの日"},
    {2026, 11, 3, "文化の日"},
    {2026, 11, 23, "勤労感謝の日"},

    {2030, 1, 1, "元日"},
    {2030, 1, 14, "成人の日"},
    {2030, 2, 11, "建国記念の日"},
    {2030, 2, 23, "天皇誕生日"},
    {2030, 3, 20, "春分の日"},
    {2030, 4, 29, "昭和の日"},
    {2030, 5, 3, "憲法記念日"},
    {2030, 5, 4, "みどりの日"},
    {2030, 5, 5, "こどもの日"},
    {2030, 5, 6, "振替休日"},
    {2030, 7, 15, "海の日"},
    {2030, 8, 11, "山の日"},
    {2030, 8, 12, "振替休日"},
    {2030, 9, 16, "敬老の日"},
    {2030, 9, 23, "秋分の日"},
    {2030, 10, 14, "スポーツの日"},
    {2030, 11, 3, "文化の日"},
    {2030, 11, 4, "振替休日"},
    {2030, 11, 23, "勤労感謝の日"},
};

static const int full_year_list[] = {2019, 2020, 2021, 2023, 2025, 2026, 2030};

static const char *expected_name(int y, int m, int d)
{
    for (size_t i = 0; i < sizeof full_years / sizeof full_years[0]; i++)
        if (full_years[i].y == y && full_years[i].m == m && full_years[i].d == d)
            return full_years[i].ja;
    return NULL;
}

/* R-CAL-1 */
static void test_calendar_holiday_name_full_years_exact(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof full_year_list / sizeof full_year_list[0]; k++) {
        int y = full_year_list[k], found = 0;
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= 31; d++) {
                if (!calendar_date_valid(y, m, d))
                    continue;
                const char *want = expected_name(y, m, d), *ja = NULL, *en = NULL;
                int got = calendar_holiday_name(y, m, d, &ja, &en);
                if (got != (want != NULL))
                    fail_msg("%04d-%02d-%02d: holiday=%d, expected %d", y, m, d, got,
                             want != NULL);
                if (want) {
                    found++;
                    assert_non_null(en);
                    assert_true(en[0] != '\0');
                    if (strcmp(ja, want) != 0)
                        fail_msg("%04d-%02d-%02d: name %s, expected %s", y, m, d, ja, want);
                }
            }
        int listed = 0;
        for (size_t i = 0; i < sizeof full_years / sizeof full_years[0]; i++)
            listed += full_years[i].y == y;
        assert_int_equal(found, listed);
    }
}

/* ---- every holiday 2000-2030 by date (Cabinet Office lists to 2027, the law after) ---- */

static const char *const by_year[] = {
    "2000: 1/1 1/10 2/11 3/20 4/29 5/3 5/4 5/5 7/20 9/15 9/23 10/9 11/3 11/23 12/23",
    "2001: 1/1 1/8 2/11 2/12 3/20 4/29 4/30 5/3 5/4 5/5 7/20 9/15 9/23 9/24 10/8 11/3 11/23 "
    "12/23 12/24",
    "2002: 1/1 1/14 2/11 3/21 4/29 5/3 5/4 5/5 5/6 7/20 9/15 9/16 9/23 10/14 11/3 11/4 11/23 "
    "12/23",
    "2003: 1/1 1/13 2/11 3/21 4/29 5/3 5/5 7/21 9/15 9/23 10/13 11/3 11/23 11/24 12/23",
    "2004: 1/1 1/12 2/11 3/20 4/29 5/3 5/4 5/5 7/19 9/20 9/23 10/11 11/3 11/23 12/23",
    "2005: 1/1 1/10 2/11 3/20 3/21 4/29 5/3 5/4 5/5 7/18 9/19 9/23 10/10 11/3 11/23 12/23",
    "2006: 1/1 1/2 1/9 2/11 3/21 4/29 5/3 5/4 5/5 7/17 9/18 9/23 10/9 11/3 11/23 12/23",
    "2007: 1/1 1/8 2/11 2/12 3/21 4/29 4/30 5/3 5/4 5/5 7/16 9/17 9/23 9/24 10/8 11/3 11/23 "
    "12/23 12/24",
    "2008: 1/1 1/14 2/11 3/20 4/29 5/3 5/4 5/5 5/6 7/21 9/15 9/23 10/13 11/3 11/23 11/24 12/23",
    "2009: 1/1 1/12 2/11 3/20 4/29 5/3 5/4 5/5 5/6 7/20 9/21 9/22 9/23 10/12 11/3 11/23 12/23",
    "2010: 1/1 1/11 2/11 3/21 3/22 4/29 5/3 5/4 5/5 7/19 9/20 9/23 10/11 11/3 11/23 12/23",
    "2011: 1/1 1/10 2/11 3/21 4/29 5/3 5/4 5/5 7/18 9/19 9/23 10/10 11/3 11/23 12/23",
    "2012: 1/1 1/2 1/9 2/11 3/20 4/29 4/30 5/3 5/4 5/5 7/16 9/17 9/22 10/8 11/3 11/23 12/23 "
    "12/24",
    "2013: 1/1 1/14 2/11 3/20 4/29 5/3 5/4 5/5 5/6 7/15 9/16 9/23 10/14 11/3 11/4 11/23 12/23",
    "2014: 1/1 1/13 2/11 3/21 4/29 5/3 5/4 5/5 5/6 7/21 9/15 9/23 10/13 11/3 11/23 11/24 12/23",
    "2015: 1/1 1/12 2/11 3/21 4/29 5/3 5/4 5/5 5/6 7/20 9/21 9/22 9/23 10/12 11/3 11/23 12/23",
    "2016: 1/1 1/11 2/11 3/20 3/21 4/29 5/3 5/4 5/5 7/18 8/11 9/19 9/22 10/10 11/3 11/23 12/23",
    "2017: 1/1 1/2 1/9 2/11 3/20 4/29 5/3 5/4 5/5 7/17 8/11 9/18 9/23 10/9 11/3 11/23 12/23",
    "2018: 1/1 1/8 2/11 2/12 3/21 4/29 4/30 5/3 5/4 5/5 7/16 8/11 9/17 9/23 9/24 10/8 11/3 "
    "11/23 12/23 12/24",
    "2019: 1/1 1/14 2/11 3/21 4/29 4/30 5/1 5/2 5/3 5/4 5/5 5/6 7/15 8/11 8/12 9/16 9/23 10/14 "
    "10/22 11/3 11/4 11/23",
    "2020: 1/1 1/13 2/11 2/23 2/24 3/20 4/29 5/3 5/4 5/5 5/6 7/23 7/24 8/10 9/21 9/22 11/3 "
    "11/23",
    "2021: 1/1 1/11 2/11 2/23 3/20 4/29 5/3 5/4 5/5 7/22 7/23 8/8 8/9 9/20 9/23 11/3 11/23",
    "2022: 1/1 1/10 2/11 2/23 3/21 4/29 5/3 5/4 5/5 7/18 8/11 9/19 9/23 10/10 11/3 11/23",
    "2023: 1/1 1/2 1/9 2/11 2/23 3/21 4/29 5/3 5/4 5/5 7/17 8/11 9/18 9/23 10/9 11/3 11/23",
    "2024: 1/1 1/8 2/11 2/12 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/15 8/11 8/12 9/16 9/22 9/23 10/14 "
    "11/3 11/4 11/23",
    "2025: 1/1 1/13 2/11 2/23 2/24 3/20 4/29 5/3 5/4 5/5 5/6 7/21 8/11 9/15 9/23 10/13 11/3 "
    "11/23 11/24",
    "2026: 1/1 1/12 2/11 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/20 8/11 9/21 9/22 9/23 10/12 11/3 "
    "11/23",
    "2027: 1/1 1/11 2/11 2/23 3/21 3/22 4/29 5/3 5/4 5/5 7/19 8/11 9/20 9/23 10/11 11/3 11/23",
    "2028: 1/1 1/10 2/11 2/23 3/20 4/29 5/3 5/4 5/5 7/17 8/11 9/18 9/22 10/9 11/3 11/23",
    "2029: 1/1 1/8 2/11 2/12 2/23 3/20 4/29 4/30 5/3 5/4 5/5 7/16 8/11 9/17 9/23 9/24 10/8 11/3 "
    "11/23",
    "2030: 1/1 1/14 2/11 2/23 3/20 4/29 5/3 5/4 5/5 5/6 7/15 8/11 8/12 9/16 9/23 10/14 11/3 "
    "11/4 11/23",
};

static int read_int(const char **p)
{
    int v = 0;
    while (**p >= '0' && **p <= '9')
        v = v * 10 + (*(*p)++ - '0');
    return v;
}

/* 1 if m/d appears in the line for y. */
static int listed_on(const char *line, int m, int d)
{
    const char *p = strchr(line, ':');
    assert_non_null(p);
    p++;
    while (*p) {
        while (*p == ' ')
            p++;
        int lm = read_int(&p);
        assert_int_equal(*p, '/');
        p++;
        int ld = read_int(&p);
        if (lm == m && ld == d)
            return 1;
    }
    return 0;
}

/* R-CAL-1 */
static void test_calendar_holiday_name_2000_to_2030_match_lists(void **state)
{
    (void)state;
    assert_int_equal(sizeof by_year / sizeof by_year[0], 31);
    for (int y = 2000; y <= 2030; y++) {
        const char *line = by_year[y - 2000], *p = line;
        assert_int_equal(read_int(&p), y);
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= 31; d++) {
                if (!calendar_date_valid(y, m, d))
                    continue;
                int want = listed_on(line, m, d);
                int got = calendar_holiday_name(y, m, d, NULL, NULL);
                if (got != want)
                    fail_msg("%04d-%02d-%02d: holiday=%d, expected %d", y, m, d, got, want);
            }
    }
}

/* R-CAL-1: equinox days 2000-2030 (published lists; 2028-2030 announced by NAOJ). */
static void test_calendar_holiday_name_equinox_days(void **state)
{
    (void)state;
    static const struct {
        int y, spring, autumn;
    } eq[] = {
        {2000, 20, 23}, {2001, 20, 23}, {2002, 21, 23}, {2003, 21, 23}, {2004, 20, 23},
        {2005, 20, 23}, {2006, 21, 23}, {2007, 21, 23}, {2008, 20, 23}, {2009, 20, 23},
        {2010, 21, 23}, {2011, 21, 23}, {2012, 20, 22}, {2013, 20, 23}, {2014, 21, 23},
        {2015, 21, 23}, {2016, 20, 22}, {2017, 20, 23}, {2018, 21, 23}, {2019, 21, 23},
        {2020, 20, 22}, {2021, 20, 23}, {2022, 21, 23}, {2023, 21, 23}, {2024, 20, 22},
        {2025, 20, 23}, {2026, 20, 23}, {2027, 21, 23}, {2028, 20, 22}, {2029, 20, 23},
        {2030, 20, 23},
    };
    for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++) {
        for (int d = 17; d <= 25; d++) {
            const char *ja = NULL;
            int is_spring = calendar_holiday_name(eq[i].y, 3, d, &ja, NULL) &&
                            strcmp(ja, "春分の日") == 0;
            ja = NULL;
            int is_autumn = calendar_holiday_name(eq[i].y, 9, d, &ja, NULL) &&
                            strcmp(ja, "秋分の日") == 0;
            if (is_spring != (d == eq[i].spring))
                fail_msg("%d-03-%02d: spring equinox=%d", eq[i].y, d, is_spring);
            if (is_autumn != (d == eq[i].autumn))
                fail_msg("%d-09-%02d: autumn equinox=%d", eq[i].y, d, is_autumn);
        }
    }
}

struct day_case {
    int y, m, d;
    int holiday;        /* expected calendar_holiday_name result */
    const char *ja;     /* expected name when holiday */
};

static void check_days(const struct day_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *ja = NULL;
        int got = calendar_holiday_name(c[i].y, c[i].m, c[i].d, &ja, NULL);
        if (got != c[i].holiday)
            fail_msg("%04d-%02d-%02d: holiday=%d, expected %d", c[i].y, c[i].m, c[i].d, got,
                     c[i].holiday);
        if (got && c[i].ja && strcmp(ja, c[i].ja) != 0)
            fail_msg("%04d-%02d-%02d: %s, expected %s", c[i].y, c[i].m, c[i].d, ja, c[i].ja);
    }
}

/* R-CAL-1: 振替休日, both before and after the 2007 amendment. */
static void test_calendar_holiday_name_substitute_holidays(void **state)
{
    (void)state;
    static const struct day_case c[] = {
        {2001, 12, 24, 1, "振替休日"}, /* 天皇誕生日 on Sunday (old rule) */
        {2006, 1, 2, 1, "振替休日"},
        {2008, 5, 6, 1, "振替休日"}, /* みどりの日 on Sunday: skips 5/5 (2007 rule) */
        {2019, 8, 12, 1, "振替休日"},
        {2020, 2, 24, 1, "振替休日"},
        {2020, 5, 6, 1, "振替休日"}, /* 憲法記念日 on Sunday: skips 5/4 and 5/5 */
        {2021, 8, 9, 1, "振替休日"}, /* 山の日 moved to Sunday 8/8 */
        {2024, 9, 23, 1, "振替休日"},
        {2031, 5, 6, 1, "振替休日"},
        {2021, 3, 22, 0, NULL}, /* 春分の日 on Saturday: no substitute */
        {2022, 1, 3, 0, NULL},  /* 元日 on Saturday */
        {2003, 5, 6, 0, NULL},  /* 5/4 (Sunday) was no holiday before 2007 */
        {2020, 5, 7, 0, NULL},
    };
    check_days(c, sizeof c / sizeof c[0]);
}

/* R-CAL-1: 国民の休日 (a day between two national holidays). */
static void test_calendar_holiday_name_citizens_holidays(void **state)
{
    (void)state;
    static const struct day_case c[] = {
        {2009, 9, 22, 1, "国民の休日"},
        {2015, 9, 22, 1, "国民の休日"},
        {2026, 9, 22, 1, "国民の休日"},
        {2032, 9, 21, 1, "国民の休日"},
        {2019, 4, 30, 1, "国民の休日"},
        {2019, 5, 2, 1, "国民の休日"},
        {2006, 5, 4, 1, "国民の休日"}, /* before みどりの日 moved to May 4 */
        {1988, 5, 4, 1, "国民の休日"},
        {2003, 5, 4, 0, NULL},         /* a Sunday: not a citizens' holiday before 2007 */
        {1985, 5, 4, 0, NULL},         /* before the 1985 amendment */
        {2020, 9, 22, 1, "秋分の日"},  /* the equinox itself, not a sandwich */
        {2021, 9, 21, 0, NULL},        /* 敬老の日 9/20 and equinox 9/23 are two days apart */
    };
    check_days(c, sizeof c / sizeof c[0]);
}

/* R-CAL-1: rules that changed between 1999 and 2022. */
static void test_calendar_holiday_name_rule_changes(void **state)
{
    (void)state;
    static const struct day_case c[] = {
        {1999, 1, 15, 1, "成人の日"},
        {2000, 1, 15, 0, NULL},
        {2000, 1, 10, 1, "成人の日"},
        {1999, 10, 10, 1, "体育の日"},
        {2000, 10, 10, 0, NULL},
        {2000, 10, 9, 1, "体育の日"},
        {2002, 7, 20, 1, "海の日"},
        {2003, 7, 21, 1, "海の日"},
        {2002, 9, 15, 1, "敬老の日"},
        {2003, 9, 15, 1, "敬老の日"}, /* 3rd Monday happens to be the 15th */
        {2004, 9, 15, 0, NULL},
        {2004, 9, 20, 1, "敬老の日"},
        {2006, 4, 29, 1, "みどりの日"},
        {2007, 4, 29, 1, "昭和の日"},
        {2007, 5, 4, 1, "みどりの日"},
        {2015, 8, 11, 0, NULL},
        {2016, 8, 11, 1, "山の日"},
        {2018, 12, 23, 1, "天皇誕生日"},
        {2019, 12, 23, 0, NULL},
        {2019, 2, 23, 0, NULL},
        {2020, 2, 23, 1, "天皇誕生日"},
        {2019, 10, 14, 1, "体育の日"},
        {2022, 10, 10, 1, "スポーツの日"},
        {2020, 7, 20, 0, NULL},  /* 海の日 moved to 7/23 */
        {2020, 8, 11, 0, NULL},  /* 山の日 moved to 8/10 */
        {2020, 10, 12, 0, NULL}, /* スポーツの日 moved to 7/24 */
        {2021, 7, 19, 0, NULL},
        {2021, 8, 11, 0, NULL},
        {2021, 10, 11, 0, NULL},
        {1989, 2, 24, 1, "昭和天皇の大喪の礼"},
        {1990, 11, 12, 1, "即位礼正殿の儀"},
        {1993, 6, 9, 1, "皇太子徳仁親王の結婚の儀"},
        {1988, 4, 29, 1, "天皇誕生日"},
    };
    check_days(c, sizeof c / sizeof c[0]);
}

/* R-CAL-1 */
static void test_calendar_holiday_name_invalid_or_unsupported_date(void **state)
{
    (void)state;
    static const struct day_case c[] = {
        {2019, 2, 29, 0, NULL}, {2019, 13, 1, 0, NULL}, {2019, 0, 1, 0, NULL},
        {2019, 1, 0, 0, NULL},  {2019, 1, 32, 0, NULL}, {2019, 4, 31, 0, NULL},
        {0, 1, 1, 0, NULL},     {-5, 1, 1, 0, NULL},    {1979, 1, 1, 0, NULL},
        {2100, 1, 1, 0, NULL},  {10000, 1, 1, 0, NULL},
    };
    check_days(c, sizeof c / sizeof c[0]);
    const char *ja = "unchanged", *en = "unchanged";
    assert_int_equal(calendar_holiday_name(2019, 1, 2, &ja, &en), 0);
    assert_string_equal(ja, "unchanged");
    assert_string_equal(en, "unchanged");
    assert_int_equal(calendar_holiday_name(2019, 1, 1, &ja, &en), 1);
    assert_string_equal(ja, "元日");
    assert_string_equal(en, "New Year's Day");
}

/* ---- business days ---- */

/* R-CAL-1 */
static void test_calendar_is_business_day_weekends_holidays_closure(void **state)
{
    (void)state;
    static const struct {
        int y, m, d, business;
    } c[] = {
        {2024, 12, 27, 1}, /* Friday */
        {2024, 12, 28, 0}, /* Saturday */
        {2025, 12, 26, 1}, {2025, 12, 29, 0}, {2025, 12, 30, 0}, {2025, 12, 31, 0},
        {2026, 1, 1, 0},   {2026, 1, 2, 0},   {2026, 1, 3, 0},   {2026, 1, 5, 1},
        {2020, 12, 28, 1}, /* Monday before the closure */
        {2020, 1, 3, 0},   /* Friday inside the closure */
        {2024, 1, 4, 1},   /* Thursday just after it */
        {2026, 9, 22, 0},  /* citizens' holiday, a Tuesday */
        {2025, 5, 6, 0},   /* substitute holiday */
        {2025, 3, 20, 0},  /* equinox */
        {2025, 3, 21, 1},
        {2025, 6, 1, 0},   /* Sunday */
        {2025, 6, 2, 1},
        {2019, 10, 22, 0},
        {2019, 2, 30, 0},  /* not a date */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int got = calendar_is_business_day(c[i].y, c[i].m, c[i].d);
        if (got != c[i].business)
            fail_msg("%04d-%02d-%02d: business=%d, expected %d", c[i].y, c[i].m, c[i].d, got,
                     c[i].business);
    }
}

/* R-CAL-1: weekends and national holidays are never business days, 2000-2035. */
static void test_calendar_is_business_day_never_on_holiday(void **state)
{
    (void)state;
    int y = 2000, m = 1, d = 1, business = 0;
    while (y <= 2035) {
        int wd = calendar_weekday(y, m, d);
        int hol = calendar_holiday_name(y, m, d, NULL, NULL);
        int closed = (m == 12 && d >= 29) || (m == 1 && d <= 3);
        int want = wd != 0 && wd != 6 && !hol && !closed;
        if (calendar_is_business_day(y, m, d) != want)
            fail_msg("%04d-%02d-%02d: business day disagrees", y, m, d);
        business += want;
        calendar_add_days(y, m, d, 1, &y, &m, &d);
    }
    assert_true(business > 235 * 36 && business < 250 * 36);
}

/* R-CAL-1 */
static void test_calendar_is_business_day_p_policy(void **state)
{
    (void)state;
    const struct calendar_policy none = {0, 0};
    const struct calendar_policy wide = {1228, 104};
    const struct calendar_policy bogus_all_year = {101, 1231}; /* falls back to default */
    const struct calendar_policy bogus_date = {1232, 103};     /* falls back to default */
    assert_int_equal(calendar_is_business_day_p(&none, 2024, 12, 30), 1);
    assert_int_equal(calendar_is_business_day_p(&none, 2025, 1, 1), 0); /* still 元日 */
    assert_int_equal(calendar_is_business_day_p(NULL, 2024, 12, 30), 0);
    assert_int_equal(calendar_is_business_day_p(&wide, 2029, 12, 28), 0); /* Friday */
    assert_int_equal(calendar_is_business_day_p(&wide, 2027, 1, 4), 0);   /* Monday */
    assert_int_equal(calendar_is_business_day_p(NULL, 2027, 1, 4), 1);
    assert_int_equal(calendar_is_business_day_p(&bogus_all_year, 2024, 6, 3), 1);
    assert_int_equal(calendar_is_business_day_p(&bogus_all_year, 2024, 12, 30), 0);
    assert_int_equal(calendar_is_business_day_p(&bogus_date, 2024, 12, 30), 0);
    assert_int_equal(calendar_in_closure(NULL, 12, 28), 0);
    assert_int_equal(calendar_in_closure(NULL, 12, 29), 1);
    assert_int_equal(calendar_in_closure(NULL, 1, 3), 1);
    assert_int_equal(calendar_in_closure(NULL, 1, 4), 0);
    const struct calendar_policy summer = {813, 816};
    assert_int_equal(calendar_in_closure(&summer, 8, 12), 0);
    assert_int_equal(calendar_in_closure(&summer, 8, 14), 1);
    assert_int_equal(calendar_in_closure(&summer, 12, 30), 0);
}

/* R-CAL-1: the closure setting's syntax. */
static void test_calendar_policy_parse_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           "nones",        "12-29",         "12-29..1-03",  "12-29..01-3",
        "12-29-01-03", "12-29..01-03 ", "13-01..01-03", "12-32..01-03", "02-30..03-01",
        "01-01..12-31", /* a whole year: no business day left */
        "06-01..07-15", /* longer than 31 days */
        "12-29...01-03", "ab-cd..ef-gh",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct calendar_policy p = {7, 7};
        if (calendar_policy_parse(bad[i], &p) != -1)
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(p.closure_from, 7);
        assert_int_equal(p.closure_to, 7);
    }
    struct calendar_policy p = {7, 7};
    assert_int_equal(calendar_policy_parse(NULL, &p), -1);
    assert_int_equal(calendar_policy_parse("12-29..01-03", &p), 0);
    assert_int_equal(p.closure_from, calendar_policy_default.closure_from);
    assert_int_equal(p.closure_to, calendar_policy_default.closure_to);
    assert_int_equal(calendar_policy_parse("08-13..08-16", &p), 0);
    assert_int_equal(p.closure_from, 813);
    assert_int_equal(p.closure_to, 816);
    assert_int_equal(calendar_is_business_day_p(&p, 2025, 8, 13), 0); /* Wednesday */
    assert_int_equal(calendar_is_business_day_p(&p, 2025, 12, 29), 1); /* Monday */
    assert_int_equal(calendar_policy_parse("none", &p), 0);
    assert_int_equal(p.closure_from, 0);
    assert_int_equal(calendar_is_business_day_p(&p, 2025, 12, 29), 1);
}

/* R-CAL-1: across Golden Week and the new year. */
static void test_calendar_add_business_days_golden_week_and_new_year(void **state)
{
    (void)state;
    static const struct {
        int y, m, d, n, wy, wm, wd;
    } c[] = {
        {2019, 4, 26, 1, 2019, 5, 7},    /* ten days off in 2019 */
        {2019, 5, 7, -1, 2019, 4, 26},
        {2025, 5, 2, 1, 2025, 5, 7},
        {2026, 4, 28, 1, 2026, 4, 30},
        {2026, 4, 28, 3, 2026, 5, 7},
        {2024, 12, 27, 1, 2025, 1, 6},
        {2025, 12, 26, 1, 2026, 1, 5},
        {2025, 12, 25, 2, 2026, 1, 5},
        {2025, 1, 1, 1, 2025, 1, 6},     /* from a holiday */
        {2025, 1, 1, 0, 2025, 1, 1},     /* n = 0: unchanged */
        {2025, 1, 6, -1, 2024, 12, 27},
        {2025, 9, 12, 1, 2025, 9, 16},   /* over 敬老の日 */
        {2026, 9, 18, 1, 2026, 9, 24},   /* over the 2026 silver week */
        {2025, 6, 2, 5, 2025, 6, 9},     /* an ordinary week */
        {2025, 6, 2, 20, 2025, 6, 30},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int y = 0, m = 0, d = 0;
        calendar_add_business_days(c[i].y, c[i].m, c[i].d, c[i].n, &y, &m, &d);
        if (y != c[i].wy || m != c[i].wm || d != c[i].wd)
            fail_msg("%04d-%02d-%02d %+d: got %04d-%02d-%02d, expected %04d-%02d-%02d",
                     c[i].y, c[i].m, c[i].d, c[i].n, y, m, d, c[i].wy, c[i].wm, c[i].wd);
    }
}

/* R-CAL-1: instants are judged in Asia/Tokyo. */
static void test_calendar_add_business_days_at_tokyo_date(void **state)
{
    (void)state;
    time_t t, want;
    /* 2024-12-27 23:59:59 JST, a Friday: a business day. */
    assert_int_equal(clock_parse_utc("2024-12-27T14:59:59Z", &t), 0);
    assert_int_equal(calendar_is_business_day_at(t), 1);
    /* One second later it is Saturday 2024-12-28 in Tokyo (still Friday in UTC). */
    assert_int_equal(clock_parse_utc("2024-12-27T15:00:00Z", &t), 0);
    assert_int_equal(calendar_is_business_day_at(t), 0);
    /* 2024-12-28 00:30 JST + 1 business day = 2025-01-06 00:30 JST. */
    assert_int_equal(clock_parse_utc("2024-12-27T15:30:00Z", &t), 0);
    assert_int_equal(clock_parse_utc("2025-01-05T15:30:00Z", &want), 0);
    assert_int_equal((long long)calendar_add_business_days_at(t, 1), (long long)want);
    /* 2025-01-06 09:00 JST - 1 = 2024-12-27 09:00 JST. */
    assert_int_equal(clock_parse_utc("2025-01-06T00:00:00Z", &t), 0);
    assert_int_equal(clock_parse_utc("2024-12-27T00:00:00Z", &want), 0);
    assert_int_equal((long long)calendar_add_business_days_at(t, -1), (long long)want);
    assert_int_equal((long long)calendar_add_business_days_at(t, 0), (long long)t);
    assert_int_equal(clock_parse_utc("2024-12-31T15:00:00Z", &want), 0);
    assert_int_equal((long long)calendar_tokyo_midnight(2025, 1, 1), (long long)want);
}

/* ---- dates ---- */

/* R-CAL-1 */
static void test_calendar_parse_date_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           "2024-1-01",   "2024-02-30",  "2023-02-29", "2024-12-011",
        "2024/12/01", " 2024-12-01", "2024-12-01 ", "+024-12-01", "0000-01-01",
        "2024-00-10", "2024-13-10",  "2024-12-00",  "2024-12-32", "2024-12-0a",
        "20241201",   "2024-12",     "１２３４-12-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int y = -1, m = -1, d = -1;
        if (calendar_parse_date(bad[i], &y, &m, &d) != -1)
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(y, -1);
        assert_int_equal(m, -1);
        assert_int_equal(d, -1);
    }
    int y, m, d;
    assert_int_equal(calendar_parse_date(NULL, &y, &m, &d), -1);
    assert_int_equal(calendar_parse_date("2024-02-29", &y, &m, &d), 0);
    assert_int_equal(y, 2024);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    assert_int_equal(calendar_parse_date("9999-12-31", &y, &m, &d), 0);
}

/* R-CAL-1 */
static void test_calendar_weekday_and_add_days_known_dates(void **state)
{
    (void)state;
    assert_int_equal(calendar_weekday(1970, 1, 1), 4);
    assert_int_equal(calendar_weekday(2000, 1, 1), 6);
    assert_int_equal(calendar_weekday(2024, 2, 29), 4);
    assert_int_equal(calendar_weekday(1900, 3, 1), 4);
    assert_int_equal(calendar_weekday(1, 1, 1), 1);
    assert_int_equal(calendar_weekday(2019, 5, 1), 3);
    static const struct {
        int y, m, d, n, wy, wm, wd;
    } c[] = {
        {2024, 2, 28, 1, 2024, 2, 29}, {2024, 2, 28, 2, 2024, 3, 1},
        {2023, 2, 28, 1, 2023, 3, 1},  {2000, 12, 31, 1, 2001, 1, 1},
        {2000, 3, 1, -1, 2000, 2, 29}, {1900, 2, 28, 1, 1900, 3, 1},
        {2025, 1, 1, 365, 2026, 1, 1}, {2024, 1, 1, 366, 2025, 1, 1},
        {1970, 1, 1, -1, 1969, 12, 31},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int y, m, d;
        calendar_add_days(c[i].y, c[i].m, c[i].d, c[i].n, &y, &m, &d);
        if (y != c[i].wy || m != c[i].wm || d != c[i].wd)
            fail_msg("%04d-%02d-%02d %+d: got %04d-%02d-%02d", c[i].y, c[i].m, c[i].d,
                     c[i].n, y, m, d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_holiday_name_full_years_exact),
        cmocka_unit_test(test_calendar_holiday_name_2000_to_2030_match_lists),
        cmocka_unit_test(test_calendar_holiday_name_equinox_days),
        cmocka_unit_test(test_calendar_holiday_name_substitute_holidays),
        cmocka_unit_test(test_calendar_holiday_name_citizens_holidays),
        cmocka_unit_test(test_calendar_holiday_name_rule_changes),
        cmocka_unit_test(test_calendar_holiday_name_invalid_or_unsupported_date),
        cmocka_unit_test(test_calendar_is_business_day_weekends_holidays_closure),
        cmocka_unit_test(test_calendar_is_business_day_never_on_holiday),
        cmocka_unit_test(test_calendar_is_business_day_p_policy),
        cmocka_unit_test(test_calendar_policy_parse_rejects_malformed),
        cmocka_unit_test(test_calendar_add_business_days_golden_week_and_new_year),
        cmocka_unit_test(test_calendar_add_business_days_at_tokyo_date),
        cmocka_unit_test(test_calendar_parse_date_rejects_malformed),
        cmocka_unit_test(test_calendar_weekday_and_add_days_known_dates),
    };
    return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
