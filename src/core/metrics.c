/* SPDX-License-Identifier: MIT */
/* Process counters (see metrics.h): one fixed table of slots found by hashing (family,
 * labels). A slot goes empty -> writing -> ready once; after that only its atomic values
 * change, so counting never takes a lock. */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/metrics.h"

#define SLOTS  1024 /* a power of two */
#define LABELS 176
#define NB     11 /* histogram buckets */

static const double bounds[NB] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30};

enum kind { K_COUNTER, K_SECONDS, K_HISTOGRAM };

static const struct {
    const char *name, *help;
    enum kind kind;
} families[MF__COUNT] = {
    [MF_ISSUANCE] = {"shomei_issuance_total", "Certificates signed and stored (ok) or not (error).",
                     K_COUNTER},
    [MF_ISSUANCE_SECONDS] = {"shomei_issuance_seconds",
                             "Time of one issuance run: reserve, sign, store.", K_HISTOGRAM},
    [MF_DCV] = {"shomei_dcv_checks_total", "Domain validation checks by method and outcome.",
                K_COUNTER},
    [MF_CAA] = {"shomei_caa_checks_total",
                "CAA checks by outcome (permitted, forbidden, dns_error).", K_COUNTER},
    [MF_HTTP] = {"shomei_http_responses_total", "HTTP responses by route, method and status.",
                 K_COUNTER},
    [MF_DB_WAITS] = {"shomei_db_pool_waits_total",
                     "Database connections that were not free at once.", K_COUNTER},
    [MF_DB_WAIT_SECONDS] = {"shomei_db_pool_wait_seconds_total",
                            "Time spent waiting for a database connection.", K_SECONDS},
    [MF_DB_TIMEOUTS] = {"shomei_db_pool_timeouts_total",
                        "Waits for a database connection that gave up.", K_COUNTER},
    [MF_OCSP] = {"shomei_ocsp_responses_total",
                 "OCSP responses by source (presigned, signed, error).", K_COUNTER},
    [MF_JOBS] = {"shomei_jobs_runs_total", "Job runs of this node by kind and result.", K_COUNTER},
    [MF_MPIC] = {"shomei_mpic_attempts_total",
                 "Multi-perspective corroborations by check kind and outcome (pass, fail).",
                 K_COUNTER},
    [MF_MPIC_ANSWERS] = {"shomei_mpic_perspective_answers_total",
                         "Answers of each remote perspective by result (agree, disagree, "
                         "timeout, error).",
                         K_COUNTER},
    [MF_PAGE_CACHE] = {"shomei_page_cache_total",
                       "Dashboard and certificate list views by page and result: hit (answered "
                       "from the kept page), miss (rendered).",
                       K_COUNTER},
};

struct slot {
    _Atomic int state; /* 0 empty, 1 being written, 2 ready */
    int family;
    char labels[LABELS];
    _Atomic uint64_t v[NB + 2]; /* counter: v[0]; histogram: buckets, count, sum (us) */
};

static struct slot table[SLOTS];
static _Atomic uint64_t dropped;

static uint64_t hash(int f, const char *s)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)f;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct slot *find(enum metric_family f, const char *labels)
{
    if ((unsigned)f >= MF__COUNT)
        return NULL;
    if (labels == NULL)
        labels = "";
    if (strlen(labels) >= LABELS) {
        atomic_fetch_add(&dropped, 1);
        return NULL;
    }
    uint64_t h = hash((int)f, labels);
    for (unsigned i = 0; i < SLOTS; i++) {
        struct slot *s = &table[(h + i) & (SLOTS - 1)];
        int st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (st == 0) {
            int want = 0;
            if (atomic_compare_exchange_strong(&s->state, &want, 1)) {
                s->family = (int)f;
                memcpy(s->labels, labels, strlen(labels) + 1);
                atomic_store_explicit(&s->state, 2, memory_order_release);
                return s;
            }
            st = want;
        }
        /* Another thread is writing this slot's name (a few instructions, never blocked):
         * wait for it, however long it is kept off a core, since moving on would make a
         * second slot for the same name and split its count. */
        for (unsigned spin = 0; st == 1; spin++) {
            if (spin >= 1000)
                sched_yield();
            st = atomic_load_explicit(&s->state, memory_order_acquire);
        }
        if (st == 2 && s->family == (int)f && strcmp(s->labels, labels) == 0)
            return s;
    }
    atomic_fetch_add(&dropped, 1);
    return NULL;
}

void metrics_add(enum metric_family f, const char *labels, uint64_t n)
{
    struct slot *s = find(f, labels);
    if (s != NULL)
        atomic_fetch_add_explicit(&s->v[0], n, memory_order_relaxed);
}

void metrics_add_seconds(enum metric_family f, const char *labels, double seconds)
{
    metrics_add(f, labels, seconds > 0 ? (uint64_t)(seconds * 1e6 + 0.5) : 0);
}

void metrics_observe(enum metric_family f, const char *labels, double seconds)
{
    struct slot *s = find(f, labels);
    if (s == NULL)
        return;
    for (int i = 0; i < NB; i++)
        if (seconds <= bounds[i]) {
            atomic_fetch_add_explicit(&s->v[i], 1, memory_order_relaxed);
            break;
        }
    atomic_fetch_add_explicit(&s->v[NB], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->v[NB + 1], seconds > 0 ? (uint64_t)(seconds * 1e6 + 0.5) : 0,
                              memory_order_relaxed);
}

void metrics_label_value(char *out, size_t n, const char *s)
{
    size_t k = 0;
    for (; s != NULL && *s && k + 3 < n; s++) {
        if (*s == '\\' || *s == '"') {
            out[k++] = '\\';
            out[k++] = *s;
        } else if (*s == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
        } else {
            out[k++] = *s;
        }
    }
    if (n > 0)
        out[k < n ? k : n - 1] = '\0';
}

double metrics_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* name{labels} or name{labels,extra} or name, then a space */
static int series(struct buf *o, const char *name, const char *suffix, const char *labels,
                  const char *extra)
{
    int has = labels[0] != '\0', ex = extra != NULL && extra[0] != '\0';
    if (!has && !ex)
        return buf_printf(o, "%s%s ", name, suffix);
    return buf_printf(o, "%s%s{%s%s%s} ", name, suffix, labels, has && ex ? "," : "",
                      ex ? extra : "");
}

int metrics_render(struct buf *o, const char *extra)
{
    int rc = 0;
    for (int f = 0; f < MF__COUNT && rc == 0; f++) {
        const char *name = families[f].name;
        enum kind k = families[f].kind;
        rc = buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, families[f].help, name,
                        k == K_HISTOGRAM ? "histogram" : "counter");
        int any = 0;
        for (int i = 0; i < SLOTS && rc == 0; i++) {
            struct slot *s = &table[i];
            if (atomic_load_explicit(&s->state, memory_order_acquire) != 2 || s->family != f)
                continue;
            any = 1;
            if (k == K_COUNTER) {
                rc = series(o, name, "", s->labels, NULL);
                if (rc == 0)
                    rc = buf_printf(o, "%llu\n", (unsigned long long)atomic_load(&s->v[0]));
            } else if (k == K_SECONDS) {
                rc = series(o, name, "", s->labels, NULL);
                if (rc == 0)
                    rc = buf_printf(o, "%.6f\n", (double)atomic_load(&s->v[0]) / 1e6);
            } else {
                uint64_t cum = 0, b[NB + 2];
                for (int j = 0; j < NB + 2; j++)
                    b[j] = atomic_load(&s->v[j]);
                for (int j = 0; j < NB && rc == 0; j++) {
                    char le[32];
                    cum += b[j];
                    snprintf(le, sizeof le, "le=\"%g\"", bounds[j]);
                    rc = series(o, name, "_bucket", s->labels, le);
                    if (rc == 0)
                        rc = buf_printf(o, "%llu\n", (unsigned long long)cum);
                }
                /* the count is read last: never below a bucket read before it */
                if (b[NB] < cum)
                    b[NB] = cum;
                if (rc == 0)
                    rc = series(o, name, "_bucket", s->labels, "le=\"+Inf\"");
                if (rc == 0)
                    rc = buf_printf(o, "%llu\n", (unsigned long long)b[NB]);
                if (rc == 0)
                    rc = series(o, name, "_sum", s->labels, NULL);
                if (rc == 0)
                    rc = buf_printf(o, "%.6f\n", (double)b[NB + 1] / 1e6);
                if (rc == 0)
                    rc = series(o, name, "_count", s->labels, NULL);
                if (rc == 0)
                    rc = buf_printf(o, "%llu\n", (unsigned long long)b[NB]);
            }
        }
        /* a family without labels shows 0 before its first event */
        if (rc == 0 && !any && k != K_HISTOGRAM && f != MF_HTTP && f != MF_DCV && f != MF_CAA &&
            f != MF_JOBS && f != MF_ISSUANCE && f != MF_OCSP && f != MF_MPIC &&
            f != MF_MPIC_ANSWERS && f != MF_PAGE_CACHE)
            rc = buf_printf(o, "%s 0\n", name);
    }
    if (rc == 0)
        rc = buf_printf(o,
                        "# HELP shomei_metrics_dropped_total Counts lost for want of a slot.\n"
                        "# TYPE shomei_metrics_dropped_total counter\n"
                        "shomei_metrics_dropped_total %llu\n",
                        (unsigned long long)atomic_load(&dropped));
    if (rc == 0 && extra != NULL)
        rc = buf_puts(o, extra);
    return rc;
}
