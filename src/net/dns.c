/* SPDX-License-Identifier: MIT */
/* libunbound resolver with DNSSEC validation: one ub_ctx per struct dns, asynchronous
 * resolution in unbound's own thread so that every lookup is bounded by the configured
 * timeout (ub_cancel on expiry). Records are copied out of the ub_result. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "core/config.h"
#include "core/failalloc.h"
#include "net/dns.h"

/* The root zone's KSK-2017 (key tag 20326) as a DS record: the default trust anchor when
 * resolving recursively and no root_trust_anchor file is configured. */
static const char root_ds[] = ". IN DS 20326 8 2 "
                              "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

struct dns {
    struct ub_ctx *ctx;
    int timeout_ms;
};

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

static int setup(struct dns *d, const struct config *c, struct sm_err *e)
{
    struct ub_ctx *ctx = d->ctx;
    int rc;
    int64_t t;
    if (config_int(c, "dns", "timeout", 1, 120, &t, e) < 0)
        return -SM_E_CONFIG;
    d->timeout_ms = (int)t * 1000;
    /* Loopback servers are legitimate upstreams here (local resolver, test servers). */
    if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
        return ub_fail(e, "do-not-query-localhost", rc);
    if ((rc = ub_ctx_set_option(ctx, "val-log-level:", "2")) != 0)
        return ub_fail(e, "val-log-level", rc);
    if ((rc = ub_ctx_async(ctx, 1)) != 0)
        return ub_fail(e, "async", rc);

    const char *mode = config_str(c, "dns", "resolver");
    if (strcmp(mode, "recursive") == 0) {
        const char *root = config_str(c, "dns", "root_trust_anchor");
        if (*root == '\0') {
            if ((rc = ub_ctx_add_ta(ctx, root_ds)) != 0)
                return ub_fail(e, "root trust anchor", rc);
        } else {
            char path[4096];
            if (config_path(c, root, path, sizeof path) < 0)
                return sm_err_set(e, SM_E_CONFIG, "root_trust_anchor", "path too long");
            if ((rc = ub_ctx_add_ta_file(ctx, path)) != 0)
                return sm_err_set(e, SM_E_CONFIG, "root_trust_anchor",
                                  "[dns] root_trust_anchor %s: %s", path, ub_strerror(rc));
        }
    } else {
        if (add_forwarders(ctx, mode, e) < 0)
            return -SM_E_CONFIG;
        /* RFC 6761 6.2: configured servers may serve test.; unbound would answer it from
         * a built-in empty zone instead of asking the forwarders. */
        if ((rc = ub_ctx_set_option(ctx, "local-zone:", "test. transparent")) != 0)
            return ub_fail(e, "local-zone test.", rc);
    }

    const char *ta = config_str(c, "dns", "trust_anchor_file");
    if (*ta != '\0') {
        char path[4096];
        if (config_path(c, ta, path, sizeof path) < 0)
            return sm_err_set(e, SM_E_CONFIG, "trust_anchor_file", "path too long");
        if ((rc = ub_ctx_add_ta_file(ctx, path)) != 0)
            return sm_err_set(e, SM_E_CONFIG, "trust_anchor_file", "[dns] trust_anchor_file %s: %s",
                              path, ub_strerror(rc));
    }
    return 0;
}

int dns_open(const struct config *c, struct dns **out, struct sm_err *e)
{
    *out = NULL;
    struct dns *d = sm_calloc(1, sizeof *d);
    if (d == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    d->ctx = ub_ctx_create();
    if (d->ctx == NULL) {
        free(d);
        return sm_err_set(e, SM_E_NOMEM, NULL, "cannot create resolver");
    }
    int rc = setup(d, c, e);
    if (rc < 0) {
        dns_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

void dns_close(struct dns *d)
{
    if (d == NULL)
        return;
    if (d->ctx != NULL)
        ub_ctx_delete(d->ctx);
    free(d);
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
    if (rc != 0)
        return a->status = -SM_E_IO;
    long long deadline = now_ms() + d->timeout_ms;
    while (!p.done) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            ub_cancel(d->ctx, id);
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
        return a->status = -SM_E_IO;
    }
    rc = copy_result(p.result, a);
    ub_resolve_free(p.result);
    if (rc < 0) {
        dns_answer_free(a);
        return a->status = rc;
    }
    return 0;
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
