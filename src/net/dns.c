/* SPDX-License-Identifier: MIT */
/* libunbound resolver with DNSSEC validation: one ub_ctx per struct dns, asynchronous
 * resolution in unbound's own thread so that every lookup is bounded by the configured
 * timeout (ub_cancel on expiry). Records are copied out of the ub_result. With
 * [dns] cache_seconds > 0, dns_close keeps the context (and its cache) for the next
 * dns_open of the same settings, one user at a time. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "core/config.h"
#include "core/failalloc.h"
#include "net/dns.h"

#define DNS_KEY_MAX 1200

struct dns {
    struct ub_ctx *ctx;
    int timeout_ms, base_timeout_ms;
    int own_anchors; /* [dns] trust_anchor_file replaces the root anchor (test mode) */
    int kept;        /* cache_seconds > 0: dns_close keeps it for the same settings */
    char key[DNS_KEY_MAX];
};

/* The idle contexts kept by dns_close, newest first. */
#define DNS_IDLE_MAX 16
static struct dns *idle[DNS_IDLE_MAX];
static int idle_n;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;

static int ub_fail(struct sm_err *e, const char *what, int rc)
{
    return sm_err_set(e, SM_E_CONFIG, "dns", "%s: %s", what, ub_strerror(rc));
}

/* Adds each forwarder of a comma list "ADDR[@PORT],..." (spaces allowed). */
static int add_forwarders(struct ub_ctx *ctx, const char *list, struct sm_err *e)
{
    char one[128];
    const char *p = list;
    int n = 0;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, ", ");
        if (k == 0)
            break;
        if (k >= sizeof one)
            return sm_err_set(e, SM_E_CONFIG, "resolver", "[dns] resolver entry too long");
        memcpy(one, p, k);
        one[k] = '\0';
        int rc = ub_ctx_set_fwd(ctx, one);
        if (rc != 0)
            return sm_err_set(e, SM_E_CONFIG, "resolver", "[dns] resolver '%s': %s", one,
                              ub_strerror(rc));
        n++;
        p += k;
    }
    if (n == 0)
        return sm_err_set(e, SM_E_CONFIG, "resolver", "[dns] resolver is empty");
    return 0;
}

/* 1 if the anchor file at path can be read and holds at least one DS or DNSKEY line
 * whose owner is the root ("."). libunbound reads anchor files only at the first query,
 * so a missing or empty file is found here to give a clear error at set-up. */
static int root_key_line(const char *line)
{
    static const char sep[] = " \t\r\n";
    const char *p = line + strspn(line, sep);
    if (p[0] != '.' || strchr(sep, p[1]) == NULL || p[1] == '\0')
        return 0; /* owner is not the root */
    p += 1;
    for (int i = 0; i < 3; i++) { /* [TTL] [CLASS] TYPE */
        p += strspn(p, sep);
        size_t n = strcspn(p, sep);
        if ((n == 2 && strncmp(p, "DS", 2) == 0) || (n == 6 && strncmp(p, "DNSKEY", 6) == 0))
            return 1;
        p += n;
    }
    return 0;
}

static int root_anchor_readable(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int found = 0;
    for (int i = 0; i < 10000 && !found && fgets(line, sizeof line, f) != NULL; i++)
        found = root_key_line(line);
    fclose(f);
    return found;
}

/* Creates the writable RFC 5011 state file from the distribution's anchor when it does
 * not exist yet: written to a temporary file, then linked into place (another process
 * seeding at the same time wins, and no reader sees half a file). */
static int seed_state(const char *from, const char *to, struct sm_err *e)
{
    if (access(to, F_OK) == 0)
        return 0;
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", to) >= (int)sizeof tmp)
        return sm_err_set(e, SM_E_CONFIG, "root_anchor_state", "path too long");
    FILE *in = fopen(from, "r");
    int fd = in ? mkstemp(tmp) : -1;
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = out != NULL;
    char buf[4096];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in) && fflush(out) == 0 && fsync(fileno(out)) == 0;
    if (out != NULL)
        ok = fclose(out) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    if (in != NULL)
        fclose(in);
    if (ok && link(tmp, to) < 0 && errno != EEXIST)
        ok = 0;
    int saved = errno;
    if (fd >= 0)
        unlink(tmp);
    if (!ok)
        return sm_err_set(e, SM_E_CONFIG, "root_anchor_state",
                          "[dns] root_anchor_state %s cannot be created from %s: %s", to, from,
                          strerror(saved));
    return 0;
}

/* The IANA root anchor (issue 8 items 25, 27): the distribution's file seeds a state file
 * in the data directory that libunbound keeps current by RFC 5011. */
static int add_root_anchor(struct ub_ctx *ctx, const struct config *c, struct sm_err *e)
{
    char from[4096], state[4096];
    const char *root = config_str(c, "dns", "root_trust_anchor");
    if (*root == '\0' || config_path(c, root, from, sizeof from) < 0 ||
        config_path(c, config_str(c, "dns", "root_anchor_state"), state, sizeof state) < 0)
        return sm_err_set(e, SM_E_CONFIG, "root_trust_anchor",
                          "[dns] root_trust_anchor or root_anchor_state is empty or too long");
    errno = 0;
    if (!root_anchor_readable(from))
        return sm_err_set(e, SM_E_CONFIG, "root_trust_anchor",
                          "[dns] root_trust_anchor %s holds no root DS or DNSKEY record (%s); "
                          "install the dns-root-data package or point the setting at the "
                          "root trust anchor: DNS validation cannot work without it",
                          from, errno ? strerror(errno) : "no record");
    int rc = seed_state(from, state, e);
    if (rc < 0)
        return rc;
    if (!root_anchor_readable(state))
        return sm_err_set(e, SM_E_CONFIG, "root_anchor_state",
                          "[dns] root_anchor_state %s holds no root DS or DNSKEY record; "
                          "delete it to start again from %s",
                          state, from);
    if ((rc = ub_ctx_add_ta_autr(ctx, state)) != 0)
        return sm_err_set(e, SM_E_CONFIG, "root_anchor_state", "[dns] root_anchor_state %s: %s",
                          state, ub_strerror(rc));
    return 0;
}

/* Own anchors instead of the root (test mode only). */
static int add_own_anchors(struct ub_ctx *ctx, const struct config *c, const char *ta,
                           struct sm_err *e)
{
    char path[4096];
    int rc = config_test_only(c, "dns", "trust_anchor_file", e);
    if (rc < 0)
        return rc;
    if (config_path(c, ta, path, sizeof path) < 0)
        return sm_err_set(e, SM_E_CONFIG, "trust_anchor_file", "path too long");
    if (access(path, R_OK) < 0)
        return sm_err_set(e, SM_E_CONFIG, "trust_anchor_file", "[dns] trust_anchor_file %s: %s",
                          path, strerror(errno));
    if ((rc = ub_ctx_add_ta_file(ctx, path)) != 0)
        return sm_err_set(e, SM_E_CONFIG, "trust_anchor_file", "[dns] trust_anchor_file %s: %s",
                          path, ub_strerror(rc));
    return 0;
}

static int setup(struct dns *d, const struct config *c, struct sm_err *e)
{
    struct ub_ctx *ctx = d->ctx;
    int rc;
    int64_t t;
    if (config_int(c, "dns", "timeout", 1, 120, &t, e) < 0)
        return -SM_E_CONFIG;
    d->timeout_ms = (int)t * 1000;
    /* Loopback servers are legitimate upstreams (a local validating resolver). */
    if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
        return ub_fail(e, "do-not-query-localhost", rc);
    if ((rc = ub_ctx_set_option(ctx, "val-log-level:", "2")) != 0)
        return ub_fail(e, "val-log-level", rc);
    if ((rc = ub_ctx_async(ctx, 1)) != 0)
        return ub_fail(e, "async", rc);

    const char *mode = config_str(c, "dns", "resolver");
    if (strcmp(mode, "recursive") != 0 && add_forwarders(ctx, mode, e) < 0)
        return -SM_E_CONFIG;
    /* Validation back to the IANA root in both modes (BR 3.2.2.4, 3.2.2.8.1); only a test
     * data directory may replace the root with its own hierarchy. */
    const char *ta = config_str(c, "dns", "trust_anchor_file");
    d->own_anchors = *ta != '\0';
    rc = d->own_anchors ? add_own_anchors(ctx, c, ta, e) : add_root_anchor(ctx, c, e);
    if (rc < 0)
        return rc;
    /* RFC 6761 6.2: unbound answers test. from a built-in empty zone; a test data
     * directory asks its configured servers instead. */
    if (config_not_for_production(c) &&
        (rc = ub_ctx_set_option(ctx, "local-zone:", "test. transparent")) != 0)
        return ub_fail(e, "local-zone test.", rc);
    if (d->kept) {
        int64_t keep = 0;
        char v[24];
        if (config_int(c, "dns", "cache_seconds", 0, 300, &keep, e) < 0)
            return -SM_E_CONFIG;
        snprintf(v, sizeof v, "%" PRId64, keep);
        if ((rc = ub_ctx_set_option(ctx, "cache-max-ttl:", v)) != 0)
            return ub_fail(e, "cache-max-ttl", rc);
        if ((rc = ub_ctx_set_option(ctx, "cache-max-negative-ttl:", "1")) != 0)
            return ub_fail(e, "cache-max-negative-ttl", rc);
    }
    return 0;
}

/* The settings a kept context was made with; *keep = cache_seconds. */
static int settings_key(const struct config *c, char *key, size_t n, int64_t *keep,
                        struct sm_err *e)
{
    if (config_int(c, "dns", "cache_seconds", 0, 300, keep, e) < 0)
        return -SM_E_CONFIG;
    int len = snprintf(
        key, n, "%s|%s|%s|%s|%s|%s|%d|%s", config_dir(c), config_str(c, "dns", "resolver"),
        config_str(c, "dns", "timeout"), config_str(c, "dns", "trust_anchor_file"),
        config_str(c, "dns", "root_trust_anchor"), config_str(c, "dns", "root_anchor_state"),
        config_not_for_production(c), config_str(c, "dns", "cache_seconds"));
    if (len < 0 || (size_t)len >= n)
        *keep = 0; /* settings too long to compare: never shared */
    return 0;
}

/* An idle context of the same settings, or NULL. */
static struct dns *take_idle(const char *key)
{
    struct dns *d = NULL;
    pthread_mutex_lock(&idle_lock);
    for (int i = 0; i < idle_n && d == NULL; i++)
        if (strcmp(idle[i]->key, key) == 0) {
            d = idle[i];
            memmove(&idle[i], &idle[i + 1], (size_t)(idle_n - i - 1) * sizeof idle[0]);
            idle_n--;
        }
    pthread_mutex_unlock(&idle_lock);
    return d;
}

static void dns_free(struct dns *d)
{
    if (d->ctx != NULL)
        ub_ctx_delete(d->ctx);
    free(d);
}

int dns_open(const struct config *c, struct dns **out, struct sm_err *e)
{
    *out = NULL;
    char key[DNS_KEY_MAX];
    int64_t keep = 0;
    if (settings_key(c, key, sizeof key, &keep, e) < 0)
        return -SM_E_CONFIG;
    struct dns *d = keep > 0 ? take_idle(key) : NULL;
    if (d != NULL) {
        d->timeout_ms = d->base_timeout_ms;
        *out = d;
        return 0;
    }
    d = sm_calloc(1, sizeof *d);
    if (d == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    d->kept = keep > 0;
    memcpy(d->key, key, sizeof key);
    d->ctx = ub_ctx_create();
    if (d->ctx == NULL) {
        free(d);
        return sm_err_set(e, SM_E_NOMEM, NULL, "cannot create resolver");
    }
    int rc = setup(d, c, e);
    if (rc < 0) {
        dns_free(d);
        return rc;
    }
    d->base_timeout_ms = d->timeout_ms;
    *out = d;
    return 0;
}

void dns_close(struct dns *d)
{
    if (d == NULL)
        return;
    if (d->kept) {
        pthread_mutex_lock(&idle_lock);
        struct dns *out = NULL;
        if (idle_n == DNS_IDLE_MAX)
            out = idle[--idle_n]; /* the oldest idle one goes */
        memmove(&idle[1], &idle[0], (size_t)idle_n * sizeof idle[0]);
        idle[0] = d;
        idle_n++;
        pthread_mutex_unlock(&idle_lock);
        if (out != NULL)
            dns_free(out);
        return;
    }
    dns_free(d);
}

void dns_idle_close(void)
{
    pthread_mutex_lock(&idle_lock);
    while (idle_n > 0)
        dns_free(idle[--idle_n]);
    pthread_mutex_unlock(&idle_lock);
}

void dns_answer_free(struct dns_answer *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->rr[i]);
    a->n = 0;
}

struct pending {
    int done;
    int err;
    struct ub_result *result;
};

static void on_result(void *arg, int err, struct ub_result *result)
{
    struct pending *p = arg;
    p->done = 1;
    p->err = err;
    p->result = result;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int copy_result(const struct ub_result *r, struct dns_answer *a)
{
    a->rcode = r->rcode;
    a->security = r->bogus ? DNS_BOGUS : r->secure ? DNS_SECURE : DNS_INSECURE;
    if (r->bogus && r->why_bogus != NULL)
        snprintf(a->why_bogus, sizeof a->why_bogus, "%s", r->why_bogus);
    if (r->canonname != NULL && r->qname != NULL && strcmp(r->canonname, r->qname) != 0)
        snprintf(a->canonical, sizeof a->canonical, "%s", r->canonname);
    for (size_t i = 0; r->havedata && r->data[i] != NULL && i < DNS_MAX_RR; i++) {
        size_t len = (size_t)r->len[i];
        unsigned char *rr = sm_malloc(len ? len : 1);
        if (rr == NULL)
            return -SM_E_NOMEM;
        memcpy(rr, r->data[i], len);
        a->rr[a->n] = rr;
        a->len[a->n] = len;
        a->n++;
    }
    return 0;
}

int dns_lookup(struct dns *d, const char *name, int type, struct dns_answer *a)
{
    memset(a, 0, sizeof *a);
    struct pending p = {0, 0, NULL};
    int id = 0;
    int rc = ub_resolve_async(d->ctx, name, type, 1 /* IN */, &p, on_result, &id);
    if (rc != 0) { /* the resolver cannot start: its set-up (anchors, options) is broken */
        snprintf(a->error, sizeof a->error, "resolver: %s", ub_strerror(rc));
        return a->status = -SM_E_CONFIG;
    }
    long long deadline = now_ms() + d->timeout_ms;
    while (!p.done) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            ub_cancel(d->ctx, id);
            snprintf(a->error, sizeof a->error, "no answer within %d s", d->timeout_ms / 1000);
            return a->status = -SM_E_IO;
        }
        struct pollfd pfd = {ub_fd(d->ctx), POLLIN, 0};
        int n = poll(&pfd, 1, (int)(left > 200 ? 200 : left));
        if (n < 0 && errno != EINTR) {
            ub_cancel(d->ctx, id);
            return a->status = -SM_E_IO;
        }
        if (n > 0 && ub_process(d->ctx) != 0) {
            if (!p.done)
                ub_cancel(d->ctx, id);
            if (p.result != NULL)
                ub_resolve_free(p.result);
            return a->status = -SM_E_IO;
        }
    }
    if (p.err != 0 || p.result == NULL) {
        if (p.result != NULL)
            ub_resolve_free(p.result);
        snprintf(a->error, sizeof a->error, "resolver: %s", ub_strerror(p.err));
        return a->status = p.err == UB_NOMEM ? -SM_E_NOMEM : -SM_E_CONFIG;
    }
    rc = copy_result(p.result, a);
    ub_resolve_free(p.result);
    if (rc < 0) {
        dns_answer_free(a);
        return a->status = rc;
    }
    return 0;
}

void dns_cap_timeout(struct dns *d, int ms)
{
    if (ms > 0 && ms < d->timeout_ms)
        d->timeout_ms = ms;
}

int dns_check_anchor(struct dns *d, struct sm_err *e)
{
    if (d->own_anchors)
        return 0; /* a test hierarchy: its anchors need not cover the root */
    struct dns_answer a;
    int saved = d->timeout_ms;
    d->timeout_ms = saved < DNS_CHECK_MS ? saved : DNS_CHECK_MS;
    int rc = dns_lookup(d, ".", DNS_DNSKEY, &a);
    d->timeout_ms = saved;
    if (rc < 0 && a.status == -SM_E_CONFIG)
        return sm_err_set(e, SM_E_CONFIG, "dns", "the DNS resolver cannot start: %s", a.error);
    if (rc < 0)
        return sm_err_set(e, -a.status, "dns",
                          "the root trust anchor could not be checked at start (%s); "
                          "DNS answers stay unusable until the root's DNSKEY set validates",
                          a.error);
    int security = a.security, rcode = a.rcode;
    char why[sizeof a.why_bogus];
    snprintf(why, sizeof why, "%s", a.why_bogus);
    dns_answer_free(&a);
    if (security == DNS_SECURE)
        return 0;
    if (security == DNS_BOGUS || rcode == 0)
        return sm_err_set(e, SM_E_CONFIG, "root_trust_anchor",
                          "the root trust anchor does not validate the root zone's DNSKEY set "
                          "(%s%s): it lacks the key that signs the root now (a KSK rollover?). "
                          "Update the dns-root-data package or [dns] root_trust_anchor, and "
                          "delete [dns] root_anchor_state to start again from it",
                          security == DNS_BOGUS ? "bogus: " : "insecure",
                          security == DNS_BOGUS ? why : "");
    return sm_err_set(e, SM_E_IO, "dns",
                      "the root trust anchor could not be checked at start (root DNSKEY: %s)",
                      dns_rcode_name(rcode));
}

const char *dns_rcode_name(int rcode)
{
    static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                        "NXDOMAIN", "NOTIMP",  "REFUSED"};
    static _Thread_local char other[16];
    if (rcode >= 0 && rcode < (int)(sizeof names / sizeof names[0]))
        return names[rcode];
    snprintf(other, sizeof other, "RCODE%d", rcode);
    return other;
}

const char *dns_security_name(int security)
{
    switch (security) {
    case DNS_SECURE: return "secure";
    case DNS_BOGUS: return "bogus";
    default: return "insecure";
    }
}

int dns_txt_string(const unsigned char *rd, size_t len, char *out, size_t n)
{
    size_t o = 0, i = 0;
    if (n == 0)
        return -1;
    while (i < len) {
        size_t k = rd[i++];
        if (k > len - i || o + k >= n)
            return -1;
        for (size_t j = 0; j < k; j++) {
            unsigned char ch = rd[i + j];
            out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        }
        i += k;
    }
    out[o] = '\0';
    return 0;
}
