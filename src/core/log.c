/* SPDX-License-Identifier: MIT */
/* logfmt-style structured logging; see log.h. Each event is formatted into a local buffer
 * and written with one call, so lines of several threads never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define LINE_MAX_BYTES 4096

static enum log_level min_level = LOG_INFO;
static const char *names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level l) { min_level = l; }

/* ---- the log file (log_open_file): stderr is the file, so library messages go there too ---- */

static char file_path[LOG_PATH_MAX]; /* "" = plain stderr */
static int64_t file_max;             /* bytes before a rotation; 0 = never */
static int file_keep;
static int saved_stderr = -1; /* the process's stderr before log_open_file */
static atomic_llong file_size;
static pthread_mutex_t rotate_mu = PTHREAD_MUTEX_INITIALIZER;

/* Opens file_path onto STDERR_FILENO; async-signal-safe (open, fstat, dup2, close). */
static int attach(void)
{
    int fd = open(file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return -1;
    struct stat st;
    atomic_store(&file_size, fstat(fd, &st) == 0 ? (long long)st.st_size : 0);
    int rc = dup2(fd, STDERR_FILENO) < 0 ? -1 : 0;
    close(fd);
    return rc;
}

int log_open_file(const char *path, int64_t max_bytes, int keep, struct sm_err *e)
{
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof file_path - 4)
        return sm_err_set(e, SM_E_CONFIG, "log.file", "log file path empty or too long");
    if (max_bytes < 0 || keep < 1 || keep > 99)
        return sm_err_set(e, SM_E_CONFIG, "log.max_bytes", "bad log rotation settings");
    if (saved_stderr < 0 && (saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) < 0)
        return sm_err_set(e, SM_E_IO, "log.file", "cannot keep stderr: %s", strerror(errno));
    memcpy(file_path, path, n + 1);
    file_max = max_bytes;
    file_keep = keep;
    if (attach() < 0) {
        int err = errno;
        file_path[0] = '\0';
        return sm_err_set(e, SM_E_IO, "log.file", "cannot open log file %s: %s", path,
                          strerror(err));
    }
    return 0;
}

void log_reopen(void)
{
    if (file_path[0] != '\0')
        (void)attach();
}

void log_close_file(void)
{
    if (saved_stderr >= 0) {
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
    file_path[0] = '\0';
    file_max = 0;
}

/* PATH.K-1 -> PATH.K ... PATH -> PATH.1 (the oldest dropped), then a new PATH. One thread
 * rotates; the others keep writing to the old file until the new one is in place. */
static void rotate(void)
{
    if (pthread_mutex_trylock(&rotate_mu) != 0)
        return;
    struct stat st;
    if (atomic_load(&file_size) >= file_max &&
        (fstat(STDERR_FILENO, &st) != 0 || st.st_size >= file_max)) {
        char from[LOG_PATH_MAX + 16], to[LOG_PATH_MAX + 16];
        for (int k = file_keep; k >= 1; k--) {
            int a = snprintf(to, sizeof to, "%s.%d", file_path, k);
            int b = k > 1 ? snprintf(from, sizeof from, "%s.%d", file_path, k - 1)
                          : snprintf(from, sizeof from, "%s", file_path);
            if (a > 0 && b > 0 && (size_t)a < sizeof to && (size_t)b < sizeof from)
                (void)rename(from, to);
        }
        (void)attach();
    }
    pthread_mutex_unlock(&rotate_mu);
}

struct line {
    char b[LINE_MAX_BYTES];
    size_t n;
};

static void put(struct line *ln, const char *s, size_t len)
{
    if (len > sizeof ln->b - 1 - ln->n)
        len = sizeof ln->b - 1 - ln->n; /* a too long line is cut, never overrun */
    memcpy(ln->b + ln->n, s, len);
    ln->n += len;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when p does not start one. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || p[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

static void put_value(struct line *ln, const char *v)
{
    int quote = v[0] == '\0' || strpbrk(v, " =\"") != NULL;
    if (quote)
        put(ln, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(ln, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && utf8_len(p) == 0)) {
            snprintf(esc, sizeof esc, "\\x%02x", *p); /* control or not UTF-8 */
            put(ln, esc, 4);
        } else if (*p >= 0x80) {
            size_t len = utf8_len(p);
            put(ln, (const char *)p, len);
            p += len - 1;
        } else {
            size_t run = 1;
            while (p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
                run++;
            put(ln, (const char *)p, run);
            p += run - 1;
        }
    }
    if (quote)
        put(ln, "\"", 1);
}

/* Conditions that fail every request while they last (a full disk, a locked database) are
 * logged once a minute: a line whose "code" is one of these is dropped when another was
 * written less than QUIET_S seconds ago, and the next one written says how many were. */
#define QUIET_S 60
static const char *const quiet_codes[] = {"SM_E_STORAGE_FULL", "SM_E_DB_BUSY"};
#define NQUIET (sizeof quiet_codes / sizeof quiet_codes[0])
static _Atomic long long quiet_last[NQUIET];
static _Atomic unsigned long quiet_dropped[NQUIET];

/* The quiet_codes index of the "code" value among the key/value pairs of ap, or -1. */
static int quiet_index(va_list ap)
{
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            return -1;
        const char *v = va_arg(ap, const char *);
        if (strcmp(k, "code") != 0 || v == NULL)
            continue;
        for (size_t i = 0; i < NQUIET; i++)
            if (strcmp(v, quiet_codes[i]) == 0)
                return (int)i;
    }
}

/* 1 when a line of quiet code q may be written now (and *dropped says how many were not). */
static int quiet_due(int q, unsigned long *dropped)
{
    long long now = (long long)time(NULL), was = atomic_load(&quiet_last[q]);
    if (now - was < QUIET_S || !atomic_compare_exchange_strong(&quiet_last[q], &was, now)) {
        atomic_fetch_add(&quiet_dropped[q], 1);
        return 0;
    }
    *dropped = atomic_exchange(&quiet_dropped[q], 0);
    return 1;
}

void log_event(enum log_level l, const char *msg, ...)
{
    if (l < min_level)
        return;
    unsigned long dropped = 0;
    va_list scan;
    va_start(scan, msg);
    int q = quiet_index(scan);
    va_end(scan);
    if (q >= 0 && !quiet_due(q, &dropped))
        return;
    struct line ln = {.n = 0};
    char ts[32];
    clock_format_utc(time(NULL), ts, sizeof ts);
    put(&ln, "ts=", 3);
    put(&ln, ts, strlen(ts));
    put(&ln, " level=", 7);
    put(&ln, names[l], strlen(names[l]));
    put(&ln, " msg=", 5);
    put_value(&ln, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        put(&ln, " ", 1);
        put(&ln, k, strlen(k));
        put(&ln, "=", 1);
        put_value(&ln, v ? v : "");
    }
    va_end(ap);
    if (dropped > 0) {
        char d[48];
        int n = snprintf(d, sizeof d, " dropped_since_last=%lu", dropped);
        put(&ln, d, (size_t)n);
    }
    ln.b[ln.n++] = '\n';
    /* one write(2) per line: atomic for lines up to PIPE_BUF on pipes, never interleaved
     * within this process's buffer */
    ssize_t w = write(STDERR_FILENO, ln.b, ln.n);
    if (w > 0 && file_max > 0 && atomic_fetch_add(&file_size, (long long)w) + w >= file_max)
        rotate();
}
