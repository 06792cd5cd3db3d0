/* SPDX-License-Identifier: MIT */
/* The one clock. Stores and compares UTC seconds; tests can set it
 * (clock_set, or SHOMEI_FAKE_NOW=<unix seconds | YYYY-MM-DDTHH:MM:SSZ> in the environment). */
#ifndef SM_CLOCK_H
#define SM_CLOCK_H
#include <time.h>

time_t clock_now(void);
void clock_set(time_t t); /* 0 = real time again */

/* Parses "YYYY-MM-DD" (00:00 UTC) or "YYYY-MM-DDTHH:MM:SSZ" into UTC seconds. 0 or -1. */
int clock_parse_utc(const char *s, time_t *out);
/* Formats as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void clock_format_utc(time_t t, char *out, size_t n);
/* Calendar date of t in Asia/Tokyo (UTC+9, no DST). */
void clock_tokyo_date(time_t t, int *y, int *m, int *d);

#endif
