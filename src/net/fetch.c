/* SPDX-License-Identifier: MIT */
/* Validation fetches with libcurl: one easy handle per hop, our own redirect loop, host
 * names resolved first (through net/dns when given) and pinned with CURLOPT_RESOLVE, and
 * the address checked again at connect time (CURLOPT_OPENSOCKETFUNCTION), so a name that
 * changes its answer between the two cannot reach a refused address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "net/curl_lib.h"
#include "net/dns.h"
#include "net/fetch.h"

/* ---- address classes ---- */

struct v4_range {
    uint32_t net;
    int bits;
    int cls;
};

static const struct v4_range v4_ranges[] = {
    {0x00000000u, 8, FETCH_ADDR_RESERVED},   /* 0/8 "this network" */
    {0x0a000000u, 8, FETCH_ADDR_PRIVATE},    /* 10/8 */
    {0x64400000u, 10, FETCH_ADDR_CGNAT},     /* 100.64/10 */
    {0x7f000000u, 8, FETCH_ADDR_LOOPBACK},   /* 127/8 */
    {0xa9fe0000u, 16, FETCH_ADDR_LINKLOCAL}, /* 169.254/16 */
    {0xac100000u, 12, FETCH_ADDR_PRIVATE},   /* 172.16/12 */
    {0xc0000000u, 24, FETCH_ADDR_RESERVED},  /* 192.0.0/24 IETF protocol assignments */
    {0xc0000200u, 24, FETCH_ADDR_RESERVED},  /* 192.0.2/24 TEST-NET-1 */
    {0xc0586300u, 24, FETCH_ADDR_RESERVED},  /* 192.88.99/24 6to4 relay anycast */
    {0xc0a80000u, 16, FETCH_ADDR_PRIVATE},   /* 192.168/16 */
    {0xc6120000u, 15, FETCH_ADDR_BENCHMARK}, /* 198.18/15 benchmarking */
    {0xc6336400u, 24, FETCH_ADDR_RESERVED},  /* 198.51.100/24 TEST-NET-2 */
    {0xcb007100u, 24, FETCH_ADDR_RESERVED},  /* 203.0.113/24 TEST-NET-3 */
    {0xe0000000u, 4, FETCH_ADDR_MULTICAST},  /* 224/4 */
    {0xf0000000u, 4, FETCH_ADDR_RESERVED},   /* 240/4, broadcast */
};

static int class_v4(uint32_t a)
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_ranges[i].bits);
        if ((a & mask) == v4_ranges[i].net)
            return v4_ranges[i].cls;
    }
    return FETCH_ADDR_PUBLIC;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int class_v6(const unsigned char *a)
{
    static const unsigned char zero[16];
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
        return a[15] == 1 ? FETCH_ADDR_LOOPBACK : FETCH_ADDR_RESERVED;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return class_v4(be32(a + 12));
    if (a[0] == 0x20 && a[1] == 0x02) /* 2002::/16 6to4 */
        return class_v4(be32(a + 2));
    if (a[0] == 0xff)
        return FETCH_ADDR_MULTICAST;
    if ((a[0] & 0xfe) == 0xfc)
        return FETCH_ADDR_ULA;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return FETCH_ADDR_LINKLOCAL;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
        return FETCH_ADDR_PRIVATE; /* deprecated site-local */
    if ((a[0] & 0xe0) != 0x20)     /* outside 2000::/3 global unicast */
        return FETCH_ADDR_RESERVED;
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02) /* 2001::/23 IETF protocol */
        return FETCH_ADDR_RESERVED;
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) /* 2001:db8::/32 */
        return FETCH_ADDR_RESERVED;
    if (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0) /* 3fff::/20 documentation */
        return FETCH_ADDR_RESERVED;
    return FETCH_ADDR_PUBLIC;
}

int fetch_addr_class(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        return class_v4(ntohl(s4->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        return class_v6(s6->sin6_addr.s6_addr);
    }
    return FETCH_ADDR_RESERVED;
}

int fetch_addr_class_text(const char *text)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return class_v4(be32(a));
    if (inet_pton(AF_INET6, text, a) == 1)
        return class_v6(a);
    return -1;
}

const char *fetch_addr_class_name(int cls)
{
    static const char *const names[] = {"public",    "loopback",   "private",
                                        "cgnat",     "link-local", "ula",
                                        "multicast", "reserved",   "benchmarking"};
    if (cls >= 0 && cls < (int)(sizeof names / sizeof names[0]))
        return names[cls];
    return "?";
}

int fetch_class_allowed(const struct fetch_opts *o, int cls)
{
    switch (cls) {
    case FETCH_ADDR_PUBLIC: return 1;
    case FETCH_ADDR_LOOPBACK: return o->allow_loopback;
    case FETCH_ADDR_PRIVATE:
    case FETCH_ADDR_CGNAT:
    case FETCH_ADDR_LINKLOCAL:
    case FETCH_ADDR_ULA: return o->allow_private;
    case FETCH_ADDR_BENCHMARK: return o->allow_benchmarking;
    default: return 0;
    }
}

int fetch_opts_from_config(const struct config *c, struct fetch_opts *o, struct sm_err *e)
{
    int64_t port, aport, ct, t, body, redirects;
    memset(o, 0, sizeof *o);
    if (config_int(c, "dcv", "http_port", 1, 65535, &port, e) < 0 ||
        config_int(c, "dcv", "tls_alpn_port", 1, 65535, &aport, e) < 0 ||
        config_int(c, "dcv", "connect_timeout", 1, 120, &ct, e) < 0 ||
        config_int(c, "dcv", "timeout", 1, 600, &t, e) < 0 ||
        config_int(c, "dcv", "max_body", 1, 1 << 24, &body, e) < 0 ||
        config_int(c, "dcv", "max_redirects", 0, FETCH_MAX_HOPS - 1, &redirects, e) < 0)
        return -SM_E_CONFIG;
    o->allow_private = config_bool(c, "dcv", "allow_private");
    o->allow_loopback = config_bool(c, "dcv", "allow_loopback");
    o->allow_benchmarking = config_bool(c, "dcv", "allow_benchmarking");
    /* BR 1.6.1 Authorized Ports and no fetches into the CA's own networks: anything else
     * is a test relaxation (issue 8 item 26). */
    if ((o->allow_private && config_test_only(c, "dcv", "allow_private", e) < 0) ||
        (o->allow_loopback && config_test_only(c, "dcv", "allow_loopback", e) < 0) ||
        (o->allow_benchmarking && config_test_only(c, "dcv", "allow_benchmarking", e) < 0) ||
        (port != 80 && config_test_only(c, "dcv", "http_port", e) < 0) ||
        (aport != 443 && config_test_only(c, "dcv", "tls_alpn_port", e) < 0))
        return -SM_E_CONFIG;
    o->http_port = (int)port;
    o->https_port = 443;
    o->tls_alpn_port = (int)aport;
    o->connect_timeout_ms = (long)ct * 1000;
    o->timeout_ms = (long)t * 1000;
    o->max_body = (size_t)body;
    o->max_redirects = (int)redirects;
    return 0;
}

/* ---- one hop ---- */

__attribute__((format(printf, 3, 4))) static int fail(struct fetch_result *r, const char *reason,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->reason = reason;
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
    return 1;
}

struct hop_ctx {
    const struct fetch_opts *o;
    struct buf body;
    int too_large;
    int refused_class; /* -1 none */
    char refused_addr[48];
};

static size_t on_write(char *data, size_t size, size_t n, void *user)
{
    struct hop_ctx *h = user;
    if (buf_append(&h->body, data, size * n) < 0) {
        h->too_large = 1;
        return 0;
    }
    return size * n;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t n)
{
    const void *p = NULL;
    if (sa->sa_family == AF_INET)
        p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (p == NULL || inet_ntop(sa->sa_family, p, out, (socklen_t)n) == NULL)
        snprintf(out, n, "?");
}

static curl_socket_t on_open(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct hop_ctx *h = user;
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    int cls = fetch_addr_class(&a->addr);
    if (!fetch_class_allowed(h->o, cls)) {
        h->refused_class = cls;
        addr_text(&a->addr, h->refused_addr, sizeof h->refused_addr);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

struct target {
    char scheme[8];
    char host[256];
    int port;
};

/* Parses and checks scheme and port of url. Returns 0 or 1 (r filled). */
static int parse_target(const struct fetch_opts *o, const char *url, struct target *t,
                        struct fetch_result *r)
{
    CURLU *u = curl_fn.curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = 1;
    if (u == NULL)
        return fail(r, "fetch.url_invalid", "out of memory parsing the URL");
    if (curl_fn.curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_fn.curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        fail(r, "fetch.url_invalid", "cannot parse URL %.200s", url);
        goto out;
    }
    if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        fail(r, "fetch.scheme", "scheme %.32s is not http or https", scheme);
        goto out;
    }
    if (curl_fn.curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_fn.curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        fail(r, "fetch.url_invalid", "cannot parse URL %.200s", url);
        goto out;
    }
    char *end;
    long long p = strtoll(port, &end, 10);
    int want = strcasecmp(scheme, "http") == 0 ? o->http_port : o->https_port;
    if (*end != '\0' || p != want) {
        fail(r, "fetch.port", "port %.16s is not an authorized port", port);
        goto out;
    }
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2) { /* IPv6 literal */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if (snprintf(t->host, sizeof t->host, "%s", host) >= (int)sizeof t->host) {
        fail(r, "fetch.url_invalid", "host name too long in %.200s", url);
        goto out;
    }
    snprintf(t->scheme, sizeof t->scheme, "%s", strcasecmp(scheme, "http") == 0 ? "http" : "https");
    t->port = (int)p;
    rc = 0;
out:
    curl_fn.curl_free(scheme);
    curl_fn.curl_free(host);
    curl_fn.curl_free(port);
    curl_fn.curl_url_cleanup(u);
    return rc;
}

int fetch_resolve(const struct fetch_opts *o, const char *host, struct fetch_addr *out, size_t max,
                  size_t *n, char *dnssec, size_t dn, struct fetch_result *r)
{
    *n = 0;
    if (dn > 0)
        dnssec[0] = '\0';
    int cls = fetch_addr_class_text(host);
    if (cls >= 0) {
        if (!fetch_class_allowed(o, cls))
            return fail(r, "fetch.address_refused", "address %.64s is not allowed", host);
        if (max > 0) {
            out[0].family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
            snprintf(out[0].text, sizeof out[0].text, "%s", host);
            *n = 1;
        }
        return 0;
    }
    if (o->dns == NULL)
        return 0;
    static const int types[] = {DNS_A, DNS_AAAA};
    int refused = -1, failed = 0;
    char text[48];
    for (size_t k = 0; k < 2; k++) {
        struct dns_answer a;
        if (dns_lookup(o->dns, host, types[k], &a) < 0) {
            if (a.status == -SM_E_NOMEM)
                return -SM_E_NOMEM;
            failed = 1;
            continue;
        }
        if (a.security == DNS_BOGUS) {
            snprintf(dnssec, dn, "bogus");
            dns_answer_free(&a);
            return fail(r, "fetch.dns_bogus", "DNSSEC validation failed for %.200s", host);
        }
        if (k == 0 || dnssec[0] == '\0' || a.security != DNS_SECURE)
            snprintf(dnssec, dn, "%s", dns_security_name(a.security));
        if (a.rcode != 0 && a.rcode != 3)
            failed = 1;
        for (size_t i = 0; i < a.n; i++) {
            int fam = types[k] == DNS_A ? AF_INET : AF_INET6;
            if (a.len[i] != (fam == AF_INET ? 4u : 16u) ||
                inet_ntop(fam, a.rr[i], text, sizeof text) == NULL)
                continue;
            int c = fetch_addr_class_text(text);
            if (!fetch_class_allowed(o, c)) {
                refused = c;
                continue;
            }
            if (*n < max) {
                out[*n].family = fam;
                snprintf(out[*n].text, sizeof out[*n].text, "%s", text);
                (*n)++;
            }
        }
        dns_answer_free(&a);
    }
    if (*n > 0)
        return 0;
    if (refused >= 0)
        return fail(r, "fetch.address_refused", "only %s addresses for the host",
                    fetch_addr_class_name(refused));
    if (failed)
        return fail(r, "fetch.dns_failed", "cannot resolve %.200s", host);
    return fail(r, "fetch.no_address", "no A/AAAA records for %.200s", host);
}

/* Resolves t->host through o->dns into a CURLOPT_RESOLVE entry of allowed addresses.
 * Returns 0 (entry in out, or empty for an IP literal / no resolver) or 1 refused. */
static int resolve_pin(const struct fetch_opts *o, const struct target *t, struct fetch_hop *hop,
                       struct buf *out, struct fetch_result *r)
{
    if (fetch_addr_class_text(t->host) >= 0 || o->dns == NULL) {
        struct fetch_addr lit;
        size_t n = 0;
        return fetch_resolve(o, t->host, &lit, 1, &n, hop->dnssec, sizeof hop->dnssec, r);
    }
    struct fetch_addr addrs[FETCH_MAX_ADDRS];
    size_t n = 0;
    int rc =
        fetch_resolve(o, t->host, addrs, FETCH_MAX_ADDRS, &n, hop->dnssec, sizeof hop->dnssec, r);
    if (rc != 0)
        return rc;
    if (buf_printf(out, "%s:%d:", t->host, t->port) < 0)
        return -SM_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (buf_printf(out, addrs[i].family == AF_INET ? "%s%s" : "%s[%s]", i ? "," : "",
                       addrs[i].text) < 0)
            return -SM_E_NOMEM;
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One GET without following redirects. Returns 0 (status in hop), 1 refused, <0 error.
 * On a redirect status the Location, resolved against url, goes to *next (curl_free). */
static int one_hop(const struct fetch_opts *o, const char *url, long left_ms, struct fetch_hop *hop,
                   char **next, struct fetch_result *r)
{
    struct target t;
    struct buf pin = BUF_INIT;
    struct hop_ctx h = {o, BUF_INIT, 0, -1, ""};
    struct curl_slist *resolve = NULL;
    CURL *c = NULL;
    int rc = parse_target(o, url, &t, r);
    if (rc != 0)
        goto out;
    if ((rc = resolve_pin(o, &t, hop, &pin, r)) != 0)
        goto out;
    rc = -SM_E_NOMEM;
    if (pin.len > 0 && pin.p[pin.len - 1] != ':' &&
        (resolve = curl_fn.curl_slist_append(NULL, pin.p)) == NULL)
        goto out;
    if ((c = curl_fn.curl_easy_init()) == NULL)
        goto out;
    h.body.max = o->max_body;
    (curl_fn.curl_easy_setopt)(c, CURLOPT_URL, url);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_PROTOCOLS_STR, "http,https");
    (curl_fn.curl_easy_setopt)(c, CURLOPT_FOLLOWLOCATION, 0L);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_NOSIGNAL, 1L);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_PROXY, "");
    (curl_fn.curl_easy_setopt)(c, CURLOPT_USERAGENT, "shomei-dcv/1");
    /* The random value proves control; the server's certificate is not part of the method. */
    (curl_fn.curl_easy_setopt)(c, CURLOPT_SSL_VERIFYPEER, 0L);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_SSL_VERIFYHOST, 0L);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_CONNECTTIMEOUT_MS,
                               o->connect_timeout_ms < left_ms ? o->connect_timeout_ms : left_ms);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_TIMEOUT_MS, left_ms);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_WRITEFUNCTION, on_write);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_WRITEDATA, &h);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_OPENSOCKETFUNCTION, on_open);
    (curl_fn.curl_easy_setopt)(c, CURLOPT_OPENSOCKETDATA, &h);
    if (resolve != NULL)
        (curl_fn.curl_easy_setopt)(c, CURLOPT_RESOLVE, resolve);
    CURLcode cc = curl_fn.curl_easy_perform(c);
    char *ip = NULL;
    if ((curl_fn.curl_easy_getinfo)(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL)
        snprintf(hop->address, sizeof hop->address, "%s", ip);
    (curl_fn.curl_easy_getinfo)(c, CURLINFO_RESPONSE_CODE, &hop->status);
    if (h.refused_class >= 0) {
        snprintf(hop->address, sizeof hop->address, "%s", h.refused_addr);
        rc = fail(r, "fetch.address_refused", "%s address refused",
                  fetch_addr_class_name(h.refused_class));
    } else if (h.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        rc = fail(r, "fetch.too_large", "response body larger than the limit");
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        rc = fail(r, "fetch.timeout", "no complete response in time");
    } else if (cc != CURLE_OK) {
        rc = fail(r, "fetch.connect_failed", "%s", curl_fn.curl_easy_strerror(cc));
    } else {
        long s = hop->status;
        rc = 0;
        if (s == 301 || s == 302 || s == 307 || s == 308) {
            char *loc = NULL;
            if ((curl_fn.curl_easy_getinfo)(c, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK ||
                loc == NULL)
                rc = fail(r, "fetch.redirect_invalid", "redirect without a usable Location");
            else if ((*next = sm_strdup(loc)) == NULL)
                rc = -SM_E_NOMEM;
        } else if (s >= 300 && s < 400) {
            rc = fail(r, "fetch.redirect_status", "redirect status %ld not allowed by BR", s);
        } else if (s < 200 || s > 299) {
            rc = fail(r, "fetch.status", "HTTP status %ld", s);
        } else {
            size_t len = 0;
            if (h.body.p == NULL && buf_append(&h.body, "", 0) < 0) {
                rc = -SM_E_NOMEM;
            } else {
                r->body = buf_detach(&h.body, &len);
                r->body_len = len;
            }
        }
    }
out:
    if (c != NULL)
        curl_fn.curl_easy_cleanup(c);
    curl_fn.curl_slist_free_all(resolve);
    buf_free(&pin);
    buf_free(&h.body);
    return rc;
}

int fetch_get(const struct fetch_opts *o, const char *url, struct fetch_result *r)
{
    memset(r, 0, sizeof *r);
    char why[200];
    if (curl_load(why, sizeof why) < 0)
        return fail(r, "fetch.connect_failed", "libcurl unavailable: %s", why);
    long long deadline = now_ms() + o->timeout_ms;
    char *cur = sm_strdup(url);
    if (cur == NULL)
        return -SM_E_NOMEM;
    int rc;
    for (;;) {
        struct fetch_hop *hop = &r->hops[r->nhops++];
        snprintf(hop->url, sizeof hop->url, "%s", cur);
        long long left = deadline - now_ms();
        if (left <= 0) {
            rc = fail(r, "fetch.timeout", "no complete response in time");
            break;
        }
        char *next = NULL;
        rc = one_hop(o, cur, (long)left, hop, &next, r);
        r->status = hop->status;
        free(cur);
        cur = next;
        if (rc != 0 || next == NULL)
            break;
        if ((int)r->nhops > o->max_redirects || r->nhops >= FETCH_MAX_HOPS) {
            rc = fail(r, "fetch.too_many_redirects", "more than the allowed redirects");
            break;
        }
    }
    free(cur);
    return rc;
}

void fetch_result_free(struct fetch_result *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
