/* SPDX-License-Identifier: MIT */
/* logfmt-style structured logging; see log.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level l) { min_level = l; }

static void put_value(FILE *f, const char *v)
{
    int quote = v[0] == '\0' || strpbrk(v, " =\"") != NULL;
    if (quote)
        fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    if (quote)
        fputc('"', f);
}

void log_event(enum log_level l, const char *msg, ...)
{
    if (l < min_level)
        return;
    char ts[32];
    clock_format_utc(time(NULL), ts, sizeof ts);
    pthread_mutex_lock(&mu);
    fprintf(stderr, "ts=%s level=%s msg=", ts, names[l]);
    put_value(stderr, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        fprintf(stderr, " %s=", k);
        put_value(stderr, v ? v : "");
    }
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&mu);
}
