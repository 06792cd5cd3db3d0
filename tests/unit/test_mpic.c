/* SPDX-License-Identifier: MIT */
/* R-VAL-8 (BR 3.2.2.9), issue 11: the dated minimum of remote perspectives and the quorum
 * rule around every boundary, the refusal with too few perspectives, the primary-only
 * record of the test relaxation, and the perspective agent's refusals of unsigned,
 * malformed, stale and replayed requests (no network needed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testdir.h"

#include "core/clock.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/policy.h"
#include "net/perspective.h"
#include "ra/mpic.h"

static time_t at(const char *text)
{
    time_t t;
    if (clock_parse_utc(text, &t) != 0)
        fail_msg("bad time %s", text);
    return t;
}

static void test_mpic_min_perspectives_dated(void **state)
{
    (void)state;
    static const struct {
        const char *when;
        int min;
    } rows[] = {
        {"2025-09-14T23:59:59Z", 0}, {"2025-09-15T00:00:00Z", 2}, {"2026-03-14T23:59:59Z", 2},
        {"2026-03-15T00:00:00Z", 3}, {"2026-06-14T23:59:59Z", 3}, {"2026-06-15T00:00:00Z", 4},
        {"2026-12-14T23:59:59Z", 4}, {"2026-12-15T00:00:00Z", 5}, {"2035-01-01T00:00:00Z", 5},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (policy_mpic_min_perspectives(at(rows[i].when)) != rows[i].min)
            fail_msg("%s: %d", rows[i].when, policy_mpic_min_perspectives(at(rows[i].when)));
    assert_int_equal(policy_mpic_min_rirs(at("2025-09-14T00:00:00Z")), 0);
    assert_int_equal(policy_mpic_min_rirs(at("2026-12-15T00:00:00Z")), 2);
    /* BR 3.2.2.9 quorum table */
    static const int disagree[] = {0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2};
    for (size_t n = 0; n < sizeof disagree / sizeof disagree[0]; n++)
        assert_int_equal(policy_mpic_max_disagree(n), disagree[n]);
}

static void test_mpic_quorum_table(void **state)
{
    (void)state;
    static const struct {
        const char *when;
        size_t used, agree, rirs;
        const char *why; /* NULL = pass */
    } rows[] = {
        /* before the 5 of 2026-12-15: 4 required */
        {"2026-12-14T23:59:59Z", 4, 4, 2, NULL},
        {"2026-12-14T23:59:59Z", 4, 3, 2, NULL},
        {"2026-12-14T23:59:59Z", 4, 2, 2, "mpic.quorum"},
        {"2026-12-14T23:59:59Z", 3, 3, 3, "mpic.too_few"},
        /* from 2026-12-15: 5 required, 1 disagreement for 5, 2 for 6 or more */
        {"2026-12-15T00:00:00Z", 4, 4, 2, "mpic.too_few"},
        {"2026-12-15T00:00:00Z", 5, 5, 2, NULL},
        {"2026-12-15T00:00:00Z", 5, 4, 2, NULL},
        {"2026-12-15T00:00:00Z", 5, 3, 2, "mpic.quorum"},
        {"2026-12-15T00:00:00Z", 6, 4, 2, NULL},
        {"2026-12-15T00:00:00Z", 6, 3, 3, "mpic.quorum"},
        {"2026-12-15T00:00:00Z", 8, 6, 2, NULL},
        /* two RIRs among the agreeing ones */
        {"2026-12-15T00:00:00Z", 6, 6, 1, "mpic.rirs"},
        {"2026-12-15T00:00:00Z", 5, 5, 0, "mpic.rirs"},
        /* before the rule: nothing required */
        {"2025-09-14T00:00:00Z", 0, 0, 0, NULL},
        {"2025-09-15T00:00:00Z", 1, 1, 1, "mpic.too_few"},
        {"2025-09-15T00:00:00Z", 2, 1, 1, "mpic.rirs"},
        {"2025-09-15T00:00:00Z", 2, 2, 2, NULL},
        /* nonsense never passes */
        {"2026-12-15T00:00:00Z", 5, 6, 2, "mpic.quorum"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *why = "unset";
        int pass = mpic_quorum(at(rows[i].when), rows[i].used, rows[i].agree, rows[i].rirs, &why);
        if (pass != (rows[i].why == NULL) ||
            (rows[i].why != NULL && (why == NULL || strcmp(why, rows[i].why) != 0)) ||
            (rows[i].why == NULL && why != NULL))
            fail_msg("row %zu (%s %zu/%zu rirs %zu): pass %d why %s", i, rows[i].when,
                     rows[i].agree, rows[i].used, rows[i].rirs, pass, why ? why : "NULL");
    }
}

/* A data directory with settings; *c loaded from it. */
static struct config *make_config(char *dir, size_t n, const char *ini)
{
    assert_int_equal(testdir_make(dir, n, "mpic"), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/shomei.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    struct config *c = NULL;
    struct sm_err e = {0};
    if (config_load(dir, &c, &e) < 0)
        fail_msg("config: %s", e.detail);
    return c;
}

static void test_mpic_unconfigured_and_primary_only(void **state)
{
    (void)state;
    mpic_unconfigure();
    int ok = 1;
    const char *reason = NULL;
    char detail[256] = "";
    char *ev = strdup("{\"method\":\"dns\"}");
    struct mpic_check q = {.kind = MPIC_DNS_TXT, .name = "example.com", .value = "v"};
    time_t now = at("2026-12-20T00:00:00Z");
    /* unconfigured (the agent itself, unit tests): nothing changes */
    assert_int_equal(mpic_after(&q, now, &ok, &reason, detail, sizeof detail, &ev), 0);
    assert_int_equal(ok, 1);
    assert_string_equal(ev, "{\"method\":\"dns\"}");

    /* test relaxation: no [mpic] perspectives, primary only, recorded as such */
    char dir[512];
    struct config *c = make_config(dir, sizeof dir, "[testing]\nnot_for_production = true\n");
    struct sm_err e = {0};
    assert_int_equal(mpic_configure(c, &e), 0);
    assert_int_equal(mpic_ready(now, &e), 0);
    assert_int_equal(mpic_after(&q, now, &ok, &reason, detail, sizeof detail, &ev), 0);
    assert_int_equal(ok, 1);
    assert_non_null(strstr(ev, "\"mode\":\"primary-only\""));
    assert_non_null(strstr(ev, "\"result\":\"0/0\""));
    free(ev);
    config_free(c);
    testdir_remove(dir);

    /* production without perspectives: refused with a reason once the rule applies */
    c = make_config(dir, sizeof dir, "[caa]\nidentities = x.example\n");
    assert_int_equal(mpic_configure(c, &e), 0);
    assert_int_equal(mpic_ready(at("2025-01-01T00:00:00Z"), &e), 0);
    memset(&e, 0, sizeof e);
    assert_int_equal(mpic_ready(now, &e), -SM_E_MPIC);
    assert_int_equal(e.code, SM_E_MPIC);
    assert_non_null(strstr(e.detail, "5 remote perspectives"));
    ev = strdup("{}");
    ok = 1;
    assert_int_equal(mpic_after(&q, now, &ok, &reason, detail, sizeof detail, &ev), 0);
    assert_int_equal(ok, 0);
    assert_string_equal(reason, "mpic.too_few");
    assert_non_null(strstr(ev, "\"passed\":false"));
    free(ev);
    config_free(c);
    testdir_remove(dir);
    mpic_unconfigure();
}

static void test_mpic_configure_refuses_bad_entries(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "ARIN tokyo http://127.0.0.1:1\n",                                             /* no key */
        "XYZ tokyo http://127.0.0.1:1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", /* RIR */
        "ARIN tokyo ftp://127.0.0.1:1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", /* URL */
        "ARIN tokyo http://127.0.0.1:1 not-a-key\n",                                   /* key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char dir[512], path[600];
        struct config *c = make_config(dir, sizeof dir,
                                       "[mpic]\nperspectives = p.txt\n[testing]\n"
                                       "not_for_production = true\n");
        snprintf(path, sizeof path, "%s/p.txt", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(bad[i], f);
        fclose(f);
        struct sm_err e = {0};
        if (mpic_configure(c, &e) != -SM_E_CONFIG)
            fail_msg("entry %zu accepted", i);
        assert_string_equal(e.field, "mpic.perspectives");
        config_free(c);
        testdir_remove(dir);
    }
    mpic_unconfigure();
}

/* Configures the perspectives of entries (a key made in the directory) under ini;
 * mpic_configure's result, e filled. */
static int configure_with(const char *ini, const char *entries, struct sm_err *e)
{
    char dir[512], path[600], pk[PERSP_B64_MAX];
    struct config *c = make_config(dir, sizeof dir, ini);
    snprintf(path, sizeof path, "%s/p.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(entries, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/mpic.key", dir);
    assert_int_equal(persp_key_generate(path, pk, e), 0);
    memset(e, 0, sizeof *e);
    int rc = mpic_configure(c, e);
    config_free(c);
    testdir_remove(dir);
    mpic_unconfigure();
    return rc;
}

/* R-VAL-8, BR 3.2.2.9: remote perspectives are 500 km or more apart. A location carries
 * its coordinates (LABEL@LAT,LON); two closer than 500 km are refused at start, and so is
 * a perspective without coordinates unless [testing] not_for_production. */
static void test_mpic_perspectives_500km_apart(void **state)
{
    (void)state;
    /* the distance itself: Tokyo-Osaka ~400 km, Tokyo-Frankfurt ~9,350 km */
    double d = mpic_distance_km(35.6812, 139.7671, 34.7025, 135.4959);
    if (d < 390 || d > 410)
        fail_msg("Tokyo-Osaka %.1f km", d);
    d = mpic_distance_km(35.68, 139.69, 50.11, 8.68);
    if (d < 9300 || d > 9400)
        fail_msg("Tokyo-Frankfurt %.1f km", d);
    assert_true(mpic_distance_km(10, 20, 10, 20) < 0.001);

#define K " http://127.0.0.1:1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    const char *prod = "[mpic]\nperspectives = p.txt\n";
    const char *test = "[mpic]\nperspectives = p.txt\n[testing]\nnot_for_production = true\n";
    const char *far =
        "APNIC tokyo@35.68,139.69" K "RIPE frankfurt@50.11,8.68" K "ARIN virginia@38.95,-77.45" K
        "APNIC sydney@-33.87,151.21" K "LACNIC saopaulo@-23.55,-46.63" K;
    struct sm_err e = {0};
    if (configure_with(prod, far, &e) != 0)
        fail_msg("five perspectives far apart refused: %s", e.detail);

    /* Osaka joins, 400 km from Tokyo: refused naming both, in production and in tests */
    char close[2048];
    snprintf(close, sizeof close, "%sAPNIC osaka@34.69,135.50" K, far);
    for (int testing = 0; testing < 2; testing++) {
        assert_int_equal(configure_with(testing ? test : prod, close, &e), -SM_E_CONFIG);
        assert_string_equal(e.field, "mpic.perspectives");
        if (strstr(e.detail, "'tokyo' and 'osaka'") == NULL || strstr(e.detail, "500 km") == NULL)
            fail_msg("detail: %s", e.detail);
    }

    /* a perspective without coordinates: refused in production, named */
    char unplaced[2048];
    snprintf(unplaced, sizeof unplaced, "%sRIPE paris" K, far);
    assert_int_equal(configure_with(prod, unplaced, &e), -SM_E_CONFIG);
    if (strstr(e.detail, "'paris' has no coordinates") == NULL)
        fail_msg("detail: %s", e.detail);
    /* ... allowed under the test relaxation (namespaces of one machine have no place) */
    if (configure_with(test, unplaced, &e) != 0)
        fail_msg("test relaxation: %s", e.detail);

    /* malformed coordinates */
    static const char *const bad[] = {"ARIN x@91,0" K, "ARIN x@0,181" K, "ARIN x@35.6" K,
                                      "ARIN x@a,b" K,  "ARIN @35,139" K, "ARIN x@35,139z" K,
                                      "ARIN x@nan,0" K};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (configure_with(test, bad[i], &e) != -SM_E_CONFIG)
            fail_msg("entry %zu accepted", i);
        assert_string_equal(e.field, "mpic.perspectives");
    }
#undef K
}

/* The agent's refusals: every one answered with its status, never a crash. */
static void test_mpic_agent_refusals(void **state)
{
    (void)state;
    char dir[512], path[600], ppk[PERSP_B64_MAX], apk[PERSP_B64_MAX];
    struct sm_err e = {0};
    assert_int_equal(testdir_make(dir, sizeof dir, "mpic-agent"), 0);
    snprintf(path, sizeof path, "%s/primary.key", dir);
    assert_int_equal(persp_key_generate(path, ppk, &e), 0);
    unsigned char psk[PERSP_SK_BYTES], ppub[PERSP_PK_BYTES];
    assert_int_equal(persp_key_load(path, psk, ppub, &e), 0);
    /* a second key file refuses to overwrite */
    assert_int_equal(persp_key_generate(path, apk, &e), -SM_E_EXISTS);

    char ini[800];
    snprintf(ini, sizeof ini,
             "[perspective]\nprimary_key = %s\nlabel = unit\n[dns]\nresolver = 127.0.0.1@1\n"
             "timeout = 1\n[testing]\nnot_for_production = true\n",
             ppk);
    snprintf(path, sizeof path, "%s/shomei.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    struct config *c = NULL;
    assert_int_equal(config_load(dir, &c, &e), 0);
    snprintf(path, sizeof path, "%s/perspective.key", dir);
    assert_int_equal(persp_key_generate(path, apk, &e), 0);
    unsigned char apub[PERSP_PK_BYTES];
    assert_int_equal(persp_pubkey_parse(apk, apub), 0);
    struct mpic_agent *a = NULL;
    assert_int_equal(mpic_agent_open(c, &a, &e), 0);

    time_t now = clock_now();
    struct mpic_check q = {.kind = MPIC_DNS_TXT, .name = "plain.test", .value = "v"};
    char *body = NULL, sig[PERSP_B64_MAX], asig[PERSP_B64_MAX];
    char *ans = NULL;
    int status = 0;
    const char *id = "0123456789abcdef0123456789abcdef";

    /* a fresh signed request: answered, signed by the agent, the id echoed */
    assert_int_equal(mpic_request_build(psk, &q, id, now, (int64_t)now * 1000 + 3000, &body, sig),
                     0);
    assert_int_equal(mpic_agent_handle(a, body, strlen(body), sig, &status, &ans, asig), 0);
    assert_int_equal(status, 200);
    assert_true(persp_verify(apub, ans, strlen(ans), asig));
    assert_non_null(strstr(ans, id));
    free(ans);
    /* the same request again: a replay */
    assert_int_equal(mpic_agent_handle(a, body, strlen(body), sig, &status, &ans, asig), 0);
    assert_int_equal(status, 409);
    free(ans);
    /* the body changed after signing, or no signature: 401 */
    body[strlen(body) - 2] ^= 1;
    assert_int_equal(mpic_agent_handle(a, body, strlen(body), sig, &status, &ans, asig), 0);
    assert_int_equal(status, 401);
    free(ans);
    assert_int_equal(mpic_agent_handle(a, body, strlen(body), NULL, &status, &ans, asig), 0);
    assert_int_equal(status, 401);
    free(ans);
    assert_int_equal(mpic_agent_handle(a, body, strlen(body), "garbage!", &status, &ans, asig), 0);
    assert_int_equal(status, 401);
    free(ans);
    free(body);
    /* stale timestamp, deadline passed, deadline far ahead: 408 */
    const struct {
        time_t ts;
        int64_t dl;
    } stale[] = {
        {now - 300, (int64_t)now * 1000 + 3000},
        {now + 300, (int64_t)now * 1000 + 3000},
        {now, (int64_t)now * 1000 - 5000},
        {now, (int64_t)(now + 3600) * 1000},
    };
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        char sid[33];
        snprintf(sid, sizeof sid, "%031zx%c", i, 'a');
        assert_int_equal(mpic_request_build(psk, &q, sid, stale[i].ts, stale[i].dl, &body, sig), 0);
        assert_int_equal(mpic_agent_handle(a, body, strlen(body), sig, &status, &ans, asig), 0);
        if (status != 408)
            fail_msg("stale case %zu: %d", i, status);
        free(ans);
        free(body);
    }
    /* signed garbage and a bad id: 400 */
    static const char *const junk[] = {
        "not json",
        "[]",
        "{\"v\":1,\"id\":\"short\",\"ts\":1,\"deadline_ms\":1,\"kind\":\"caa\",\"name\":\"x\"}",
        "{\"v\":2}",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        persp_sign(psk, junk[i], strlen(junk[i]), sig);
        assert_int_equal(mpic_agent_handle(a, junk[i], strlen(junk[i]), sig, &status, &ans, asig),
                         0);
        if (status != 400)
            fail_msg("junk %zu: %d", i, status);
        free(ans);
    }
    mpic_agent_close(a);
    config_free(c);
    testdir_remove(dir);
}

static void test_persp_sign_verify(void **state)
{
    (void)state;
    char dir[512], path[600], pk_b64[PERSP_B64_MAX], sig[PERSP_B64_MAX];
    struct sm_err e = {0};
    assert_int_equal(testdir_make(dir, sizeof dir, "mpic-key"), 0);
    snprintf(path, sizeof path, "%s/k", dir);
    assert_int_equal(persp_key_generate(path, pk_b64, &e), 0);
    unsigned char sk[PERSP_SK_BYTES], pk[PERSP_PK_BYTES], pk2[PERSP_PK_BYTES];
    assert_int_equal(persp_key_load(path, sk, pk, &e), 0);
    assert_int_equal(persp_pubkey_parse(pk_b64, pk2), 0);
    assert_memory_equal(pk, pk2, sizeof pk);
    persp_sign(sk, "hello", 5, sig);
    assert_true(persp_verify(pk, "hello", 5, sig));
    assert_false(persp_verify(pk, "hellO", 5, sig));
    assert_false(persp_verify(pk, "hello", 5, "AAAA"));
    assert_false(persp_verify(pk, "hello", 5, ""));
    assert_int_equal(persp_pubkey_parse("AAAA", pk2), -SM_E_INVALID);
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(persp_key_load(path, sk, pk, &e), -SM_E_CONFIG);
    testdir_remove(dir);
}

/* ---- a fake network for the retries (issue 11 item 4) ---- */

enum fake_mode { FAKE_RESET_THEN_AGENT, FAKE_SILENT, FAKE_FORGE };
struct fake {
    int fd, port;
    enum fake_mode mode;
    struct mpic_agent *agent;
    /* FAKE_FORGE: the agent's answer rewritten to ok = true with these, signed again with
     * the agent's key (a perspective that claims agreement on a bad lookup) */
    const char *forge_dnssec, *forge_reason;
    unsigned char sk[PERSP_SK_BYTES];
    int accepted;
    volatile int stop;
    pthread_t t;
};

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) < 0)
        fail_msg("socket");
    *port = ntohs(a.sin_port);
    return fd;
}

/* Reads one HTTP request and answers it through the agent. */
static void serve_agent(struct fake *f, int c)
{
    char req[8192];
    size_t n = 0;
    char *end = NULL;
    while (n < sizeof req - 1 && (end = strstr(req, "\r\n\r\n")) == NULL) {
        ssize_t k = read(c, req + n, sizeof req - 1 - n);
        if (k <= 0)
            return;
        n += (size_t)k;
        req[n] = '\0';
    }
    if (end == NULL)
        return;
    const char *cl = strcasestr(req, "Content-Length:");
    const char *sh = strcasestr(req, PERSP_SIG_HEADER ":");
    size_t want = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    char sig[PERSP_B64_MAX] = "";
    if (sh != NULL) {
        const char *v = sh + strlen(PERSP_SIG_HEADER) + 1;
        v += strspn(v, " ");
        size_t k = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
        if (k < sizeof sig) {
            memcpy(sig, v, k);
            sig[k] = '\0';
        }
    }
    size_t head = (size_t)(end + 4 - req);
    while (n - head < want && n < sizeof req - 1) {
        ssize_t k = read(c, req + n, sizeof req - 1 - n);
        if (k <= 0)
            return;
        n += (size_t)k;
    }
    int status = 0;
    char *ans = NULL, asig[PERSP_B64_MAX] = "";
    if (mpic_agent_handle(f->agent, req + head, want, sig, &status, &ans, asig) < 0)
        return;
    if (f->mode == FAKE_FORGE) {
        json_t *a = json_loads(ans, 0, NULL), *ev = json_object();
        assert_non_null(a);
        json_object_set_new(a, "ok", json_true());
        json_object_set_new(a, "reason",
                            f->forge_reason ? json_string(f->forge_reason) : json_null());
        if (f->forge_dnssec != NULL)
            json_object_set_new(ev, "dnssec", json_string(f->forge_dnssec));
        json_object_set_new(a, "evidence", ev);
        free(ans);
        ans = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        persp_sign(f->sk, ans, strlen(ans), asig);
    }
    char top[512];
    int tn = snprintf(top, sizeof top,
                      "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s: %s\r\nConnection: close\r\n\r\n",
                      status, strlen(ans), PERSP_SIG_HEADER, asig);
    if (write(c, top, (size_t)tn) < 0 || write(c, ans, strlen(ans)) < 0)
        fprintf(stderr, "fake: write failed\n");
    free(ans);
}

static void *fake_run(void *arg)
{
    struct fake *f = arg;
    int held[8], nheld = 0;
    for (int round = 0; round < 200 && !f->stop; round++) { /* 20 s at most */
        struct pollfd p = {.fd = f->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        if (f->mode == FAKE_SILENT) {
            if (nheld < 8)
                held[nheld++] = c;
            else
                close(c);
        } else if (f->mode == FAKE_FORGE) {
            serve_agent(f, c);
            close(c);
        } else if (f->accepted == 0) { /* the first connection is reset */
            struct linger l = {1, 0};
            setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(c);
        } else {
            serve_agent(f, c);
            close(c);
        }
        f->accepted++;
    }
    for (int i = 0; i < nheld; i++)
        close(held[i]);
    return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode, struct mpic_agent *a)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    f->agent = a;
    f->fd = listen_any(&f->port);
    assert_int_equal(listen(f->fd, 8), 0);
    assert_int_equal(pthread_create(&f->t, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
    f->stop = 1;
    pthread_join(f->t, NULL);
    close(f->fd);
}

/* The value of one series in /metrics now (0 when absent). */
static unsigned long long metric(const char *series)
{
    struct buf out = BUF_INIT;
    assert_int_equal(metrics_render(&out, NULL), 0);
    unsigned long long v = 0;
    size_t k = strlen(series);
    for (const char *p = out.p; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, series, k) == 0 && p[k] == ' ')
            v = strtoull(p + k + 1, NULL, 10);
    buf_free(&out);
    return v;
}

static json_t *who(json_t *mpic, const char *loc)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(mpic, "perspectives"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "location")), loc) == 0)
            return p;
    }
    fail_msg("no perspective %s", loc);
    return NULL;
}

/* A test directory with the primary's and the perspective's keys and a shomei.ini whose
 * [mpic] lists p.txt (written by the caller), the in-process agent opened on it (*c is its
 * config: free after closing the agent); apk gets the perspective's public key. */
static struct mpic_agent *agent_setup(const char *name, int timeout_ms, char dir[512],
                                      char apk[PERSP_B64_MAX], struct config **c)
{
    char path[600], ppk[PERSP_B64_MAX], ini[800];
    struct sm_err e = {0};
    assert_int_equal(testdir_make(dir, 512, name), 0);
    snprintf(path, sizeof path, "%s/mpic.key", dir);
    assert_int_equal(persp_key_generate(path, ppk, &e), 0);
    snprintf(path, sizeof path, "%s/perspective.key", dir);
    assert_int_equal(persp_key_generate(path, apk, &e), 0);
    snprintf(ini, sizeof ini,
             "[perspective]\nprimary_key = %s\nlabel = unit\n[dns]\nresolver = 127.0.0.1@1\n"
             "timeout = 1\n[mpic]\nperspectives = p.txt\ntimeout_ms = %d\n[testing]\n"
             "not_for_production = true\n",
             ppk, timeout_ms);
    snprintf(path, sizeof path, "%s/shomei.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini, f);
    fclose(f);
    assert_int_equal(config_load(dir, c, &e), 0);
    struct mpic_agent *a = NULL;
    assert_int_equal(mpic_agent_open(*c, &a, &e), 0);
    return a;
}

/* Issue 11 items 3 and 4 (R-VAL-8): a perspective whose connection is reset is asked once
 * more with a new request id and its answer counts; one that refuses the connection is asked
 * once more and stays an error; one that never answers times out, is not asked again and
 * counts as a disagreement. The /metrics counters of the attempt and each answer move. */
static void test_mpic_retry_transient_within_deadline(void **state)
{
    (void)state;
    char dir[512], path[600], apk[PERSP_B64_MAX];
    struct sm_err e = {0};
    /* the agent answers in-process behind a fake network */
    struct config *c = NULL;
    struct mpic_agent *a = agent_setup("mpic-retry", 1500, dir, apk, &c);
    struct fake reset, silent;
    FILE *f;
    fake_start(&reset, FAKE_RESET_THEN_AGENT, a);
    fake_start(&silent, FAKE_SILENT, NULL);
    int refused_port;
    close(listen_any(&refused_port)); /* bound once, nobody listens: refused */
    snprintf(path, sizeof path, "%s/p.txt", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "ARIN reset http://127.0.0.1:%d %s\nRIPE refused http://127.0.0.1:%d %s\n"
            "APNIC silent http://127.0.0.1:%d %s\n",
            reset.port, apk, refused_port, apk, silent.port, apk);
    fclose(f);
    struct config *cm = NULL; /* the primary's, with the list (the agent keeps c) */
    assert_int_equal(config_load(dir, &cm, &e), 0);
    assert_int_equal(mpic_configure(cm, &e), 0);
    config_free(cm);

    static const char *const series[] = {
        "shomei_mpic_attempts_total{kind=\"dns-txt\",outcome=\"fail\"}",
        "shomei_mpic_perspective_answers_total{perspective=\"reset\",result=\"disagree\"}",
        "shomei_mpic_perspective_answers_total{perspective=\"refused\",result=\"error\"}",
        "shomei_mpic_perspective_answers_total{perspective=\"silent\",result=\"timeout\"}",
    };
    unsigned long long before[4];
    for (size_t i = 0; i < 4; i++)
        before[i] = metric(series[i]);
    int ok = 1;
    const char *reason = NULL;
    char detail[256] = "";
    char *ev = strdup("{}");
    struct mpic_check q = {.kind = MPIC_DNS_TXT, .name = "plain.test", .value = "v"};
    time_t now = at("2025-01-01T00:00:00Z"); /* the rules: no minimum yet */
    assert_int_equal(mpic_after(&q, now, &ok, &reason, detail, sizeof detail, &ev), 0);
    fake_stop(&reset);
    fake_stop(&silent);
    json_t *root = json_loads(ev, 0, NULL);
    json_t *m = json_object_get(root, "mpic");
    assert_non_null(m);
    json_t *r = who(m, "reset"), *x = who(m, "refused"), *s = who(m, "silent");
    /* reset, asked again: a signed answer (the check itself fails here: no DNS) */
    assert_int_equal(reset.accepted, 2);
    assert_true(json_is_true(json_object_get(r, "retried")));
    assert_null(json_object_get(r, "error"));
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 200);
    /* refused, asked again, still an error */
    assert_true(json_is_true(json_object_get(x, "retried")));
    assert_true(json_is_false(json_object_get(x, "agree")));
    assert_non_null(json_string_value(json_object_get(x, "error")));
    /* silent: one connection, a time-out, a disagreement */
    assert_int_equal(silent.accepted, 1);
    assert_null(json_object_get(s, "retried"));
    assert_string_equal(json_string_value(json_object_get(s, "error")), "timeout");
    assert_true(json_is_false(json_object_get(s, "agree")));
    assert_string_equal(json_string_value(json_object_get(m, "result")), "0/3");
    assert_int_equal(ok, 0);
    json_decref(root);

    /* each moved by one */
    for (size_t i = 0; i < sizeof series / sizeof series[0]; i++)
        if (metric(series[i]) != before[i] + 1)
            fail_msg("%s: %llu, was %llu", series[i], metric(series[i]), before[i]);
    free(ev);
    mpic_agent_close(a);
    config_free(c);
    testdir_remove(dir);
    mpic_unconfigure();
}

/* Issue 11 item 3 (R-VAL-8): a perspective whose lookup was DNSSEC-bogus or failed
 * (SERVFAIL) never counts as agreement, even when its signed answer says ok; the same
 * forged "ok" with a secure lookup does (the control). */
static void test_mpic_bogus_or_failed_never_agrees(void **state)
{
    (void)state;
    char dir[512], path[600], apk[PERSP_B64_MAX];
    unsigned char pk[PERSP_PK_BYTES];
    struct sm_err e = {0};
    struct config *c = NULL;
    struct mpic_agent *a = agent_setup("mpic-bogus", 3000, dir, apk, &c);
    FILE *f;
    struct fake bogus, servfail, secure;
    struct fake *all[] = {&bogus, &servfail, &secure};
    for (size_t i = 0; i < 3; i++) {
        fake_start(all[i], FAKE_FORGE, a);
        snprintf(path, sizeof path, "%s/perspective.key", dir);
        assert_int_equal(persp_key_load(path, all[i]->sk, pk, &e), 0);
    }
    bogus.forge_dnssec = "bogus";
    servfail.forge_reason = "dns.servfail";
    secure.forge_dnssec = "secure";
    snprintf(path, sizeof path, "%s/p.txt", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "ARIN bogus http://127.0.0.1:%d %s\nRIPE servfail http://127.0.0.1:%d %s\n"
            "APNIC secure http://127.0.0.1:%d %s\n",
            bogus.port, apk, servfail.port, apk, secure.port, apk);
    fclose(f);
    struct config *cm = NULL;
    assert_int_equal(config_load(dir, &cm, &e), 0);
    assert_int_equal(mpic_configure(cm, &e), 0);
    config_free(cm);
    int ok = 1;
    const char *reason = NULL;
    char detail[256] = "";
    char *ev = strdup("{}");
    struct mpic_check q = {.kind = MPIC_DNS_TXT, .name = "plain.test", .value = "v"};
    time_t now = at("2025-01-01T00:00:00Z");
    assert_int_equal(mpic_after(&q, now, &ok, &reason, detail, sizeof detail, &ev), 0);
    for (size_t i = 0; i < 3; i++)
        fake_stop(all[i]);
    json_t *root = json_loads(ev, 0, NULL);
    json_t *m = json_object_get(root, "mpic");
    assert_non_null(m);
    assert_true(json_is_false(json_object_get(who(m, "bogus"), "agree")));
    assert_true(json_is_false(json_object_get(who(m, "servfail"), "agree")));
    assert_true(json_is_true(json_object_get(who(m, "secure"), "agree")));
    assert_string_equal(json_string_value(json_object_get(m, "result")), "1/3");
    json_decref(root);
    free(ev);
    mpic_agent_close(a);
    config_free(c);
    testdir_remove(dir);
    mpic_unconfigure();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mpic_min_perspectives_dated),
        cmocka_unit_test(test_mpic_quorum_table),
        cmocka_unit_test(test_mpic_unconfigured_and_primary_only),
        cmocka_unit_test(test_mpic_configure_refuses_bad_entries),
        cmocka_unit_test(test_mpic_perspectives_500km_apart),
        cmocka_unit_test(test_mpic_agent_refusals),
        cmocka_unit_test(test_persp_sign_verify),
        cmocka_unit_test(test_mpic_retry_transient_within_deadline),
        cmocka_unit_test(test_mpic_bogus_or_failed_never_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
