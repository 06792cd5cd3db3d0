/* SPDX-License-Identifier: MIT */
/* Maintenance-window arithmetic in Asia/Tokyo (R-APP-7). See maint.h. */
#include <string.h>

#include "core/clock.h"
#include "ra/calendar.h"
#include "ra/maint.h"

const struct maint_policy maint_policy_default = {1, 4, 3, 20 * 60, 8 * 60};

static const char *const wdays[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int parse_hhmm(const char *s, int *min)
{
    if (strlen(s) < 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    *min = h * 60 + m;
    return 0;
}

int maint_parse(const char *s, struct maint_policy *out)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "none") == 0) {
        *out = (struct maint_policy){0, 0, 0, 0, 0};
        return 0;
    }
    /* exactly "N www HH:MM-HH:MM" */
    if (strlen(s) != 17 || s[0] < '1' || s[0] > '5' || s[1] != ' ' || s[5] != ' ' || s[11] != '-')
        return -1;
    struct maint_policy p = {1, s[0] - '0', -1, 0, 0};
    for (int i = 0; i < 7; i++)
        if (strncmp(s + 2, wdays[i], 3) == 0)
            p.weekday = i;
    if (p.weekday < 0 || parse_hhmm(s + 6, &p.start_min) < 0 ||
        parse_hhmm(s + 12, &p.end_min) < 0 || p.start_min == p.end_min)
        return -1;
    *out = p;
    return 0;
}

int maint_nth_weekday(int y, int m, int nth, int weekday, int *d)
{
    if (nth < 1 || nth > 5 || weekday < 0 || weekday > 6 || !calendar_date_valid(y, m, 1))
        return -1;
    int first = calendar_weekday(y, m, 1);
    int day = 1 + (weekday - first + 7) % 7 + (nth - 1) * 7;
    if (!calendar_date_valid(y, m, day))
        return -1;
    *d = day;
    return 0;
}

static int is_start_day(const struct maint_policy *p, int y, int m, int d)
{
    int wd;
    return maint_nth_weekday(y, m, p->nth, p->weekday, &wd) == 0 && wd == d;
}

int maint_in_window(const struct maint_policy *p, time_t t, time_t *end)
{
    if (p == NULL)
        p = &maint_policy_default;
    if (!p->enabled)
        return 0;
    int y, m, d;
    clock_tokyo_date(t, &y, &m, &d);
    time_t midnight = calendar_tokyo_midnight(y, m, d);
    long min = (long)((t - midnight) / 60);
    int overnight = p->end_min <= p->start_min;
    /* Opened today. */
    if (is_start_day(p, y, m, d) && min >= p->start_min && (overnight || min < p->end_min)) {
        if (end != NULL)
            *end = midnight + (time_t)(overnight ? 86400 : 0) + (time_t)p->end_min * 60;
        return 1;
    }
    /* Opened yesterday evening, still open this morning. */
    if (overnight && min < p->end_min) {
        int py, pm, pd;
        calendar_add_days(y, m, d, -1, &py, &pm, &pd);
        if (is_start_day(p, py, pm, pd)) {
            if (end != NULL)
                *end = midnight + (time_t)p->end_min * 60;
            return 1;
        }
    }
    return 0;
}
