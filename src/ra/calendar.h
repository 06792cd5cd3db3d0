/* SPDX-License-Identifier: MIT */
/* The business calendar (R-CAL-1): Japanese national holidays computed from the rules of
 * the Act on National Holidays (国民の祝日に関する法律) with its amendments and the special
 * laws of 2019-2021, and business days in Asia/Tokyo. Pure functions: no allocation, no
 * global state, safe from any thread. Holidays are known for CALENDAR_YEAR_MIN..MAX. */
#ifndef SM_CALENDAR_H
#define SM_CALENDAR_H
#include <time.h>

/* The equinox approximation and the rules coded here hold for these years; outside them
 * calendar_holiday_name() reports no national holiday (weekends and the closure still
 * apply). */
#define CALENDAR_YEAR_MIN 1980
#define CALENDAR_YEAR_MAX 2099

/* Non-business period around the new year, as month*100+day, both days inclusive;
 * to < from wraps past December 31. closure_from = 0 means no closure. */
struct calendar_policy {
    int closure_from; /* default 1229 (December 29) */
    int closure_to;   /* default 103 (January 3) */
};
extern const struct calendar_policy calendar_policy_default; /* {1229, 103} */

/* Reads a closure setting: "MM-DD..MM-DD" (e.g. "12-29..01-03", at most 31 days) or
 * "none". 0 or -1; *out untouched on failure. */
int calendar_policy_parse(const char *s, struct calendar_policy *out);

/* 1 if y-m-d is a real Gregorian date with 1 <= y <= 9999, else 0. */
int calendar_date_valid(int y, int m, int d);
/* Strict "YYYY-MM-DD" (exactly 10 characters, a real date). 0 or -1; outputs untouched
 * on failure. */
int calendar_parse_date(const char *s, int *y, int *m, int *d);
/* 0 = Sunday ... 6 = Saturday. */
int calendar_weekday(int y, int m, int d);
/* Day n after (n > 0) or before (n < 0) the given date in the proleptic Gregorian
 * calendar. */
void calendar_add_days(int y, int m, int d, int n, int *oy, int *om, int *od);

/* 1 if y-m-d is a national holiday (国民の祝日, 振替休日, 国民の休日 or a day made a
 * holiday by special law), else 0. When 1, *name_ja / *name_en (either may be NULL) get
 * static strings such as "春分の日" / "Vernal Equinox Day". */
int calendar_holiday_name(int y, int m, int d, const char **name_ja, const char **name_en);
/* 1 if month-day lies in the year-end closure of policy p (NULL = default). */
int calendar_in_closure(const struct calendar_policy *p, int m, int d);

/* 1 unless the day is a Saturday, Sunday, national holiday or in the year-end closure
 * (December 29 - January 3). */
int calendar_is_business_day(int y, int m, int d);
int calendar_is_business_day_p(const struct calendar_policy *p, int y, int m, int d);

/* The n-th business day after y-m-d (the given day does not count, so the result is a
 * business day for n > 0); n < 0 counts backwards; n = 0 returns the date unchanged.
 * Walks day by day: O(|n|). */
void calendar_add_business_days(int y, int m, int d, int n, int *oy, int *om, int *od);
void calendar_add_business_days_p(const struct calendar_policy *p, int y, int m, int d, int n,
                                  int *oy, int *om, int *od);

/* UTC seconds of 00:00 Asia/Tokyo on y-m-d. */
time_t calendar_tokyo_midnight(int y, int m, int d);
/* The same on an instant: the date is t's calendar date in Asia/Tokyo. */
int calendar_is_business_day_at(time_t t);
/* The instant n business days after t in Asia/Tokyo with the same Tokyo time of day
 * (Tokyo has no daylight saving, so a day is always 86400 s). */
time_t calendar_add_business_days_at(time_t t, int n);

#endif
