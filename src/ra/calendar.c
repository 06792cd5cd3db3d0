/* SPDX-License-Identifier: MIT */
/* Japanese national holidays and business days (R-CAL-1); see calendar.h. Holidays come
 * from the rules of the Act on National Holidays as amended (Happy Monday 2000/2003,
 * 2007 substitute-holiday rule, 山の日 2016, 天皇誕生日 2020) and the special laws of
 * 2019-2021; no list of dates to keep up to date. No allocation, no global state. */
#include <stddef.h>

#include "core/clock.h"
#include "core/text.h"
#include "ra/calendar.h"

enum holiday {
    H_NONE,
    H_NEW_YEAR,
    H_COMING_OF_AGE,
    H_FOUNDATION,
    H_EMPEROR,
    H_VERNAL,
    H_SHOWA,
    H_GREENERY,
    H_CONSTITUTION,
    H_CHILDREN,
    H_MARINE,
    H_MOUNTAIN,
    H_AGED,
    H_AUTUMNAL,
    H_HEALTH_SPORTS,
    H_SPORTS,
    H_CULTURE,
    H_LABOR,
    H_FUNERAL_1989,
    H_ENTHRONEMENT_CEREMONY,
    H_WEDDING_1993,
    H_ENTHRONEMENT_2019,
    H_SUBSTITUTE,
    H_CITIZENS,
};

static const struct {
    const char *ja;
    const char *en;
} names[] = {
    [H_NONE] = {"", ""},
    [H_NEW_YEAR] = {"元日", "New Year's Day"},
    [H_COMING_OF_AGE] = {"成人の日", "Coming of Age Day"},
    [H_FOUNDATION] = {"建国記念の日", "National Foundation Day"},
    [H_EMPEROR] = {"天皇誕生日", "The Emperor's Birthday"},
    [H_VERNAL] = {"春分の日", "Vernal Equinox Day"},
    [H_SHOWA] = {"昭和の日", "Showa Day"},
    [H_GREENERY] = {"みどりの日", "Greenery Day"},
    [H_CONSTITUTION] = {"憲法記念日", "Constitution Memorial Day"},
    [H_CHILDREN] = {"こどもの日", "Children's Day"},
    [H_MARINE] = {"海の日", "Marine Day"},
    [H_MOUNTAIN] = {"山の日", "Mountain Day"},
    [H_AGED] = {"敬老の日", "Respect for the Aged Day"},
    [H_AUTUMNAL] = {"秋分の日", "Autumnal Equinox Day"},
    [H_HEALTH_SPORTS] = {"体育の日", "Health and Sports Day"},
    [H_SPORTS] = {"スポーツの日", "Sports Day"},
    [H_CULTURE] = {"文化の日", "Culture Day"},
    [H_LABOR] = {"勤労感謝の日", "Labor Thanksgiving Day"},
    [H_FUNERAL_1989] = {"昭和天皇の大喪の礼", "State Funeral of Emperor Showa"},
    [H_ENTHRONEMENT_CEREMONY] = {"即位礼正殿の儀", "Enthronement Ceremony Day"},
    [H_WEDDING_1993] = {"皇太子徳仁親王の結婚の儀", "Wedding of Crown Prince Naruhito"},
    [H_ENTHRONEMENT_2019] = {"天皇の即位の日", "Enthronement Day"},
    [H_SUBSTITUTE] = {"振替休日", "Substitute Holiday"},
    [H_CITIZENS] = {"国民の休日", "Citizens' Holiday"},
};

/* ---- Gregorian day numbers (days since 1970-01-01), after H. Hinnant's algorithms ---- */

static long long days_from_civil(int y, int m, int d)
{
    long long yy = (long long)y - (m <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

static int weekday_of(long long z)
{
    long long w = (z + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

int calendar_date_valid(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

int calendar_parse_date(const char *s, int *y, int *m, int *d)
{
    int yy, mm, dd;
    if (!s)
        return -1;
    for (int i = 0; i < 10; i++)
        if (s[i] == '\0')
            return -1;
    if (s[10] != '\0' || text_digits_value(s, 4, &yy) || s[4] != '-' ||
        text_digits_value(s + 5, 2, &mm) || s[7] != '-' || text_digits_value(s + 8, 2, &dd) ||
        !calendar_date_valid(yy, mm, dd))
        return -1;
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

int calendar_weekday(int y, int m, int d) { return weekday_of(days_from_civil(y, m, d)); }

void calendar_add_days(int y, int m, int d, int n, int *oy, int *om, int *od)
{
    civil_from_days(days_from_civil(y, m, d) + n, oy, om, od);
}

/* ---- the law ---- */

/* Equinox days by the usual approximation, valid 1980-2099 (in micro-days, so the
 * result is exact integer arithmetic rather than floating point). */
static int vernal_day(int y)
{
    return (int)((20843100LL + 242194LL * (y - 1980)) / 1000000) - (y - 1980) / 4;
}

static int autumnal_day(int y)
{
    return (int)((23248800LL + 242194LL * (y - 1980)) / 1000000) - (y - 1980) / 4;
}

/* 1 if d (a Monday when wd == 1) is the n-th Monday of its month. */
static int nth_monday(int d, int wd, int n) { return wd == 1 && (d - 1) / 7 == n - 1; }

/* The holidays of Article 2 (国民の祝日) and the days special laws treat as such. */
static enum holiday national_day(int y, int m, int d, int wd)
{
    if (y < CALENDAR_YEAR_MIN || y > CALENDAR_YEAR_MAX)
        return H_NONE;
    switch (m) {
    case 1:
        if (d == 1)
            return H_NEW_YEAR;
        if (y <= 1999 ? d == 15 : nth_monday(d, wd, 2))
            return H_COMING_OF_AGE;
        break;
    case 2:
        if (d == 11)
            return H_FOUNDATION;
        if (d == 23 && y >= 2020)
            return H_EMPEROR;
        if (y == 1989 && d == 24)
            return H_FUNERAL_1989;
        break;
    case 3:
        if (d == vernal_day(y))
            return H_VERNAL;
        break;
    case 4:
        if (d == 29)
            return y <= 1988 ? H_EMPEROR : y <= 2006 ? H_GREENERY : H_SHOWA;
        break;
    case 5:
        if (d == 3)
            return H_CONSTITUTION;
        if (d == 4 && y >= 2007)
            return H_GREENERY;
        if (d == 5)
            return H_CHILDREN;
        if (y == 2019 && d == 1)
            return H_ENTHRONEMENT_2019;
        break;
    case 6:
        if (y == 1993 && d == 9)
            return H_WEDDING_1993;
        break;
    case 7:
        if (y == 2020)
            return d == 23 ? H_MARINE : d == 24 ? H_SPORTS : H_NONE;
        if (y == 2021)
            return d == 22 ? H_MARINE : d == 23 ? H_SPORTS : H_NONE;
        if ((y >= 1996 && y <= 2002) ? d == 20 : (y >= 2003 && nth_monday(d, wd, 3)))
            return H_MARINE;
        break;
    case 8:
        if (y == 2020)
            return d == 10 ? H_MOUNTAIN : H_NONE;
        if (y == 2021)
            return d == 8 ? H_MOUNTAIN : H_NONE;
        if (y >= 2016 && d == 11)
            return H_MOUNTAIN;
        break;
    case 9:
        if (y <= 2002 ? d == 15 : nth_monday(d, wd, 3))
            return H_AGED;
        if (d == autumnal_day(y))
            return H_AUTUMNAL;
        break;
    case 10:
        if (y <= 1999 ? d == 10 : (y <= 2019 && nth_monday(d, wd, 2)))
            return H_HEALTH_SPORTS;
        if (y >= 2022 && nth_monday(d, wd, 2))
            return H_SPORTS;
        if (y == 2019 && d == 22)
            return H_ENTHRONEMENT_CEREMONY;
        break;
    case 11:
        if (d == 3)
            return H_CULTURE;
        if (d == 23)
            return H_LABOR;
        if (y == 1990 && d == 12)
            return H_ENTHRONEMENT_CEREMONY;
        break;
    case 12:
        if (d == 23 && y >= 1989 && y <= 2018)
            return H_EMPEROR;
        break;
    }
    return H_NONE;
}

static enum holiday national_day_z(long long z)
{
    int y, m, d;
    civil_from_days(z, &y, &m, &d);
    return national_day(y, m, d, weekday_of(z));
}

/* Article 3(2): 振替休日. Until 2006 the Monday after a holiday on Sunday; from 2007 the
 * first day after it that is not itself a national holiday. */
static int is_substitute(long long z)
{
    if (z < days_from_civil(2007, 1, 1))
        return weekday_of(z - 1) == 0 && national_day_z(z - 1) != H_NONE;
    for (long long p = z - 1; p >= z - 7; p--) {
        if (national_day_z(p) == H_NONE)
            return 0;
        if (weekday_of(p) == 0)
            return 1;
    }
    return 0;
}

/* Article 3(3): 国民の休日, a day between two national holidays (from 1985-12-27; until
 * 2006 not when that day is a Sunday). */
static int is_citizens(long long z)
{
    if (z < days_from_civil(1985, 12, 27))
        return 0;
    if (z < days_from_civil(2007, 1, 1) && weekday_of(z) == 0)
        return 0;
    return national_day_z(z - 1) != H_NONE && national_day_z(z + 1) != H_NONE;
}

static enum holiday holiday_z(long long z)
{
    enum holiday h = national_day_z(z);
    if (h != H_NONE)
        return h;
    if (is_substitute(z))
        return H_SUBSTITUTE;
    if (is_citizens(z))
        return H_CITIZENS;
    return H_NONE;
}

int calendar_holiday_name(int y, int m, int d, const char **name_ja, const char **name_en)
{
    if (!calendar_date_valid(y, m, d))
        return 0;
    enum holiday h = holiday_z(days_from_civil(y, m, d));
    if (h == H_NONE)
        return 0;
    if (name_ja)
        *name_ja = names[h].ja;
    if (name_en)
        *name_en = names[h].en;
    return 1;
}

/* ---- business days ---- */

const struct calendar_policy calendar_policy_default = {1229, 103};

static int md_ok(int md)
{
    int m = md / 100, d = md % 100;
    return m >= 1 && m <= 12 && d >= 1 && d <= month_days(2000, m);
}

/* A usable policy: real month-days and a closure of at most 31 days, so that a walk to
 * the next business day always ends. Anything else falls back to the default. */
static const struct calendar_policy *policy_or_default(const struct calendar_policy *p)
{
    if (!p)
        return &calendar_policy_default;
    if (p->closure_from == 0)
        return p;
    if (!md_ok(p->closure_from) || !md_ok(p->closure_to))
        return &calendar_policy_default;
    long long a = days_from_civil(2001, p->closure_from / 100, p->closure_from % 100);
    long long b = days_from_civil(2001, p->closure_to / 100, p->closure_to % 100);
    long long span = (b - a + 365) % 365 + 1;
    return span <= 31 ? p : &calendar_policy_default;
}

static int parse_md(const char *s, int *md)
{
    int m, d;
    if (text_digits_value(s, 2, &m) || s[2] != '-' || text_digits_value(s + 3, 2, &d) ||
        !md_ok(m * 100 + d))
        return -1;
    *md = m * 100 + d;
    return 0;
}

int calendar_policy_parse(const char *s, struct calendar_policy *out)
{
    struct calendar_policy p = {0, 0};
    if (!s)
        return -1;
    if (s[0] == 'n' && s[1] == 'o' && s[2] == 'n' && s[3] == 'e' && s[4] == '\0') {
        *out = p;
        return 0;
    }
    for (int i = 0; i < 12; i++)
        if (s[i] == '\0')
            return -1;
    if (s[12] != '\0' || parse_md(s, &p.closure_from) || s[5] != '.' || s[6] != '.' ||
        parse_md(s + 7, &p.closure_to) || policy_or_default(&p) != &p)
        return -1;
    *out = p;
    return 0;
}

int calendar_in_closure(const struct calendar_policy *p, int m, int d)
{
    p = policy_or_default(p);
    if (p->closure_from == 0)
        return 0;
    int md = m * 100 + d;
    if (p->closure_from <= p->closure_to)
        return md >= p->closure_from && md <= p->closure_to;
    return md >= p->closure_from || md <= p->closure_to;
}

static int business_z(const struct calendar_policy *p, long long z)
{
    int wd = weekday_of(z);
    if (wd == 0 || wd == 6)
        return 0;
    int y, m, d;
    civil_from_days(z, &y, &m, &d);
    if (calendar_in_closure(p, m, d))
        return 0;
    return holiday_z(z) == H_NONE;
}

int calendar_is_business_day_p(const struct calendar_policy *p, int y, int m, int d)
{
    if (!calendar_date_valid(y, m, d))
        return 0;
    return business_z(p, days_from_civil(y, m, d));
}

int calendar_is_business_day(int y, int m, int d)
{
    return calendar_is_business_day_p(NULL, y, m, d);
}

static long long add_business_z(const struct calendar_policy *p, long long z, int n)
{
    int step = n > 0 ? 1 : -1;
    long long left = n > 0 ? (long long)n : -(long long)n;
    while (left > 0) {
        z += step;
        if (business_z(p, z))
            left--;
    }
    return z;
}

void calendar_add_business_days_p(const struct calendar_policy *p, int y, int m, int d, int n,
                                  int *oy, int *om, int *od)
{
    civil_from_days(add_business_z(p, days_from_civil(y, m, d), n), oy, om, od);
}

void calendar_add_business_days(int y, int m, int d, int n, int *oy, int *om, int *od)
{
    calendar_add_business_days_p(NULL, y, m, d, n, oy, om, od);
}

/* ---- instants in Asia/Tokyo (UTC+9, no daylight saving) ---- */

time_t calendar_tokyo_midnight(int y, int m, int d)
{
    return (time_t)(days_from_civil(y, m, d) * 86400 - 9 * 3600);
}

int calendar_is_business_day_at(time_t t)
{
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    return calendar_is_business_day(y, m, d);
}

time_t calendar_add_business_days_at(time_t t, int n)
{
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    long long z = days_from_civil(y, m, d);
    long long to = add_business_z(NULL, z, n);
    return t + (time_t)((to - z) * 86400);
}
