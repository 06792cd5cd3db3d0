/* SPDX-License-Identifier: MIT */
/* The monthly maintenance window (R-APP-7): by default the 4th Wednesday of each month
 * from 20:00 JST to 08:00 JST the next day, during which submissions are refused with a
 * message naming the window's end (reading and downloading keep working). Pure functions
 * of a UTC time and the policy from config [portal] maintenance. */
#ifndef SM_MAINT_H
#define SM_MAINT_H
#include <time.h>

struct maint_policy {
    int enabled;   /* 0: never in a window */
    int nth;       /* 1..5: the nth occurrence of weekday in the month */
    int weekday;   /* 0 = Sunday ... 6 = Saturday */
    int start_min; /* minutes after 00:00 JST of that day the window opens */
    int end_min;   /* minutes after 00:00 JST it closes; <= start_min: the next day */
};
extern const struct maint_policy maint_policy_default; /* 4th Wednesday 20:00-08:00 */

/* Parses "NTH WEEKDAY HH:MM-HH:MM" (e.g. "4 wed 20:00-08:00"; weekday sun..sat) or
 * "none". 0, or -1 with *out untouched. */
int maint_parse(const char *s, struct maint_policy *out);

/* 1 if t lies in a window of p (NULL = default): start inclusive, end exclusive; then
 * *end (may be NULL) gets the UTC instant the window closes. 0 otherwise. */
int maint_in_window(const struct maint_policy *p, time_t t, time_t *end);

/* The Tokyo date of the nth weekday of y-m; 0, or -1 when the month has no such day. */
int maint_nth_weekday(int y, int m, int nth, int weekday, int *d);

#endif
