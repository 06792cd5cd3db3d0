/* SPDX-License-Identifier: MIT */
/* Real or fixed clock; see clock.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/text.h"

static atomic_llong fixed; /* 0 = real */
static atomic_int env_read;

static void read_env(void)
{
    if (atomic_exchange(&env_read, 1))
        return;
    const char *s = getenv("SHOMEI_FAKE_NOW");
    time_t t;
    if (s && *s && clock_parse_utc(s, &t) == 0)
        atomic_store(&fixed, (long long)t);
    else if (s && *s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (*end == '\0' && v > 0)
            atomic_store(&fixed, v);
    }
}

time_t clock_now(void)
{
    read_env();
    long long f = atomic_load(&fixed);
    return f ? (time_t)f : time(NULL);
}

void clock_set(time_t t)
{
    atomic_store(&env_read, 1);
    atomic_store(&fixed, (long long)t);
}

int clock_parse_utc(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t len = strlen(s);
    if (len != 10 && len != 20)
        return -1;
    if (text_digits_value(s, 4, &y) || s[4] != '-' || text_digits_value(s + 5, 2, &mo) ||
        s[7] != '-' || text_digits_value(s + 8, 2, &d))
        return -1;
    if (len == 20 && (s[10] != 'T' || text_digits_value(s + 11, 2, &h) || s[13] != ':' ||
                      text_digits_value(s + 14, 2, &mi) || s[16] != ':' ||
                      text_digits_value(s + 17, 2, &se) || s[19] != 'Z'))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d) /* e.g. Feb 30 */
        return -1;
    *out = t;
    return 0;
}

void clock_format_utc(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void clock_tokyo_date(time_t t, int *y, int *m, int *d)
{
    struct tm tm;
    time_t j = t + 9 * 3600;
    gmtime_r(&j, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}
