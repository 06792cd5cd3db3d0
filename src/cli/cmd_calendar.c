/* SPDX-License-Identifier: MIT */
/* shomei calendar FROM TO: one line per day, "YYYY-MM-DD holiday|business" (R-CAL-1).
 * Holiday covers weekends, national holidays and the year-end closure. Only argument
 * checking and printing live here; the rules are in ra/calendar. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ra/calendar.h"

#define MAX_DAYS 36525 /* about 100 years */

static int usage(FILE *f, const char *why)
{
    if (why)
        fprintf(f, "shomei calendar: %s\n", why);
    fprintf(f,
            "使い方: shomei calendar 開始日 終了日 (YYYY-MM-DD、%d〜%d年、最大%d日)\n"
            "usage: shomei calendar FROM TO (YYYY-MM-DD, FROM <= TO, %d-%d, at most %d days)\n"
            "  各日を 1 行ずつ出力します: YYYY-MM-DD holiday|business\n"
            "  prints one line per day: YYYY-MM-DD holiday|business\n",
            CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX, MAX_DAYS, CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX,
            MAX_DAYS);
    return f == stdout ? 0 : 2;
}

static int parse_arg(const char *s, int *y, int *m, int *d)
{
    return calendar_parse_date(s, y, m, d) == 0 && *y >= CALENDAR_YEAR_MIN &&
                   *y <= CALENDAR_YEAR_MAX
               ? 0
               : -1;
}

int cmd_calendar(int argc, char **argv)
{
    int fy, fm, fd, ty, tm, td;
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        return usage(stdout, NULL);
    if (argc != 3)
        return usage(stderr, NULL);
    if (parse_arg(argv[1], &fy, &fm, &fd) < 0)
        return usage(stderr, "開始日が不正です / FROM is not a date in the supported range");
    if (parse_arg(argv[2], &ty, &tm, &td) < 0)
        return usage(stderr, "終了日が不正です / TO is not a date in the supported range");

    int y = fy, m = fm, d = fd;
    int n = 0;
    for (;;) {
        if (n >= MAX_DAYS)
            return usage(stderr, "期間が長すぎます / the range is too long");
        if (y == ty && m == tm && d == td)
            break;
        if (y > ty || (y == ty && (m > tm || (m == tm && d > td))))
            return usage(stderr, "開始日が終了日より後です / FROM is after TO");
        calendar_add_days(y, m, d, 1, &y, &m, &d);
        n++;
    }

    y = fy, m = fm, d = fd;
    for (int i = 0; i <= n; i++) {
        printf("%04d-%02d-%02d %s\n", y, m, d,
               calendar_is_business_day(y, m, d) ? "business" : "holiday");
        calendar_add_days(y, m, d, 1, &y, &m, &d);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "shomei calendar: 書き込みに失敗しました / write error\n");
        return 1;
    }
    return 0;
}
