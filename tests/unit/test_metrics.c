/* SPDX-License-Identifier: MIT */
/* core/metrics (R-OPS-1, issue 13 item 5): counters moved by several threads at once lose
 * nothing; a histogram's buckets are cumulative with +Inf = _count; label values are
 * escaped; a family with labels shows each label set once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/metrics.h"

#define THREADS 4
#define PER     20000

static void *bump(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER; i++) {
        metrics_count(MF_DB_WAITS, NULL);
        metrics_count(MF_DCV,
                      i % 2 ? "method=\"dns\",outcome=\"ok\"" : "method=\"http\",outcome=\"fail\"");
    }
    return NULL;
}

static const char *line(const char *text, const char *prefix)
{
    const char *p = text;
    size_t n = strlen(prefix);
    while (p && *p) {
        if (strncmp(p, prefix, n) == 0)
            return p + n;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

static void test_metrics_threads_and_format(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, bump, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    metrics_observe(MF_ISSUANCE_SECONDS, NULL, 0.003);
    metrics_observe(MF_ISSUANCE_SECONDS, NULL, 0.2);
    metrics_observe(MF_ISSUANCE_SECONDS, NULL, 100);
    char v[64];
    metrics_label_value(v, sizeof v, "a\"b\\c\nd");
    assert_string_equal(v, "a\\\"b\\\\c\\nd");
    struct buf b = BUF_INIT;
    assert_int_equal(metrics_render(&b, "# extra\n"), 0);
    const char *x = line(b.p, "shomei_db_pool_waits_total ");
    assert_non_null(x);
    assert_int_equal(strtoll(x, NULL, 10), THREADS * PER);
    x = line(b.p, "shomei_dcv_checks_total{method=\"dns\",outcome=\"ok\"} ");
    assert_non_null(x);
    assert_int_equal(strtoll(x, NULL, 10), THREADS * PER / 2);
    x = line(b.p, "shomei_issuance_seconds_bucket{le=\"0.005\"} ");
    assert_non_null(x);
    assert_int_equal(strtoll(x, NULL, 10), 1);
    x = line(b.p, "shomei_issuance_seconds_bucket{le=\"0.25\"} ");
    assert_non_null(x);
    assert_int_equal(strtoll(x, NULL, 10), 2);
    x = line(b.p, "shomei_issuance_seconds_bucket{le=\"+Inf\"} ");
    assert_non_null(x);
    assert_int_equal(strtoll(x, NULL, 10), 3);
    x = line(b.p, "shomei_issuance_seconds_count ");
    assert_non_null(x);
    assert_int_equal(strtoll(x, NULL, 10), 3);
    assert_non_null(strstr(b.p, "# TYPE shomei_issuance_seconds histogram\n"));
    assert_non_null(strstr(b.p, "# extra\n"));
    /* one line per label set */
    const char *first = strstr(b.p, "shomei_dcv_checks_total{method=\"http\"");
    assert_non_null(first);
    assert_null(strstr(first + 1, "shomei_dcv_checks_total{method=\"http\""));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_metrics_threads_and_format)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
