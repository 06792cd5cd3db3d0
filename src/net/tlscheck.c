/* SPDX-License-Identifier: MIT */
/* R-DL-2: connect and read the served chain (net/tlscheck.h). Non-blocking socket and
 * handshake under one deadline, so neither a silent host nor a slow TLS peer holds the
 * caller longer than the options say. */
#include "net/tlscheck.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/fetch.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4))) static int fail(struct tlscheck_result *r, const char *reason,
                                                      const char *fmt, ...)
{
    r->reason = reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
    return 1;
}

int tlscheck_parse_url(const char *url, char *host, size_t hn, int *port, struct sm_err *e)
{
    static const char pfx[] = "https://";
    if (url == NULL || strncmp(url, pfx, sizeof pfx - 1) != 0)
        return sm_err_set(e, SM_E_INVALID, "url", "not an https:// URL");
    const char *h = url + sizeof pfx - 1, *end;
    size_t len;
    if (*h == '[') {
        end = strchr(h, ']');
        if (end == NULL)
            return sm_err_set(e, SM_E_INVALID, "url", "unclosed [");
        len = (size_t)(end - h - 1);
        h++;
        end++;
    } else {
        end = h + strcspn(h, ":/?#");
        len = (size_t)(end - h);
    }
    if (len == 0 || len >= hn || len > 253)
        return sm_err_set(e, SM_E_INVALID, "url", "no host or host too long");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == ':' || c == '_';
        if (!ok)
            return sm_err_set(e, SM_E_INVALID, "url", "host has a character not allowed");
    }
    memcpy(host, h, len);
    host[len] = '\0';
    *port = 443;
    if (*end == ':') {
        char *pe = NULL;
        errno = 0;
        long long p = strtoll(end + 1, &pe, 10);
        if (errno != 0 || pe == end + 1 || p < 1 || p > 65535 ||
            (*pe != '\0' && *pe != '/' && *pe != '?' && *pe != '#'))
            return sm_err_set(e, SM_E_INVALID, "url", "port out of range");
        *port = (int)p;
    } else if (*end != '\0' && *end != '/' && *end != '?' && *end != '#') {
        return sm_err_set(e, SM_E_INVALID, "url", "malformed URL");
    }
    return 0;
}

/* Connects fd to sa within the deadline. 0 connected, -1 refused/failed, -2 timed out. */
static int connect_by(int fd, const struct sockaddr *sa, socklen_t len, long deadline)
{
    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    struct pollfd pf = {fd, POLLOUT, 0};
    long left = deadline - now_ms();
    if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
        return -2;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0)
        return -1;
    return 0;
}

/* alpn: NULL, or the one ALPN protocol to offer (then it must be the one negotiated). */
static int handshake(struct tlscheck_result *r, int fd, const char *sni, const char *alpn,
                     long deadline)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
    int rc = -SM_E_NOMEM;
    if (ssl == NULL)
        goto out;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* the check judges, not the handshake */
    SSL_set_fd(ssl, fd);
    if (sni != NULL && sni[0] != '\0' && fetch_addr_class_text(sni) < 0)
        SSL_set_tlsext_host_name(ssl, sni);
    if (alpn != NULL) {
        unsigned char wire[64];
        size_t al = strlen(alpn);
        if (al == 0 || al >= sizeof wire)
            goto out;
        wire[0] = (unsigned char)al;
        memcpy(wire + 1, alpn, al);
        if (SSL_set_alpn_protos(ssl, wire, (unsigned)(al + 1)) != 0)
            goto out;
    }
    rc = 1;
    for (int i = 0; i < 1000; i++) {
        ERR_clear_error();
        int h = SSL_connect(ssl);
        if (h == 1) {
            rc = 0;
            break;
        }
        int why = SSL_get_error(ssl, h);
        short ev = why == SSL_ERROR_WANT_READ ? POLLIN : why == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (ev == 0) {
            fail(r, "tls.no_tls", "no TLS handshake on this port");
            break;
        }
        struct pollfd pf = {fd, ev, 0};
        long left = deadline - now_ms();
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
            fail(r, "tls.no_answer", "no TLS answer in time");
            break;
        }
    }
    if (rc == 0) {
        STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
        for (int i = 0; sk != NULL && i < sk_X509_num(sk) && r->ncerts < TLSCHECK_MAX_CERTS; i++) {
            unsigned char *p = NULL;
            int n = i2d_X509(sk_X509_value(sk, i), &p);
            if (n <= 0) {
                rc = -SM_E_NOMEM;
                break;
            }
            r->der[r->ncerts] = p;
            r->der_len[r->ncerts++] = (size_t)n;
        }
        snprintf(r->version, sizeof r->version, "%s", SSL_get_version(ssl));
        const unsigned char *got = NULL;
        unsigned gl = 0;
        SSL_get0_alpn_selected(ssl, &got, &gl);
        if (got != NULL && gl > 0)
            snprintf(r->alpn, sizeof r->alpn, "%.*s", (int)gl, (const char *)got);
        if (rc == 0 && r->ncerts == 0)
            rc = fail(r, "tls.no_tls", "the server sent no certificate");
        else if (rc == 0 && alpn != NULL && strcmp(r->alpn, alpn) != 0)
            rc = fail(r, "tls.alpn", "the server did not negotiate ALPN %s%s%s", alpn,
                      r->alpn[0] ? " but " : "", r->alpn);
    }
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

int tlscheck_fetch(const struct fetch_opts *o, const char *url, const char *servername,
                   struct tlscheck_result *r)
{
    memset(r, 0, sizeof *r);
    struct sm_err e = {0};
    if (tlscheck_parse_url(url, r->host, sizeof r->host, &r->port, &e) < 0)
        return fail(r, "target.invalid", "%s", e.detail);
    const char *sn = servername != NULL && servername[0] != '\0' ? servername : r->host;
    snprintf(r->servername, sizeof r->servername, "%s", sn);
    long start = now_ms();
    long deadline = start + (o->timeout_ms > 0 ? o->timeout_ms : 10000);
    long cto = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    char port[8];
    snprintf(port, sizeof port, "%d", r->port);
    int g = getaddrinfo(r->host, port, &hints, &ai);
    if (g != 0 || ai == NULL)
        return fail(r, "target.dns", "no address for %s", r->host);
    int rc = 1, tried = 0;
    for (struct addrinfo *a = ai; a != NULL && tried < 4; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        int cls = fetch_addr_class(a->ai_addr);
        char text[INET6_ADDRSTRLEN] = "";
        const void *bin =
            a->ai_family == AF_INET
                ? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
                : (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
        inet_ntop(a->ai_family, bin, text, sizeof text);
        snprintf(r->address, sizeof r->address, "%s", text);
        if (!fetch_class_allowed(o, cls)) {
            rc = fail(r, "target.refused", "%s is a %s address", text, fetch_addr_class_name(cls));
            continue;
        }
        tried++;
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            rc = fail(r, "tls.no_answer", "socket: %s", strerror(errno));
            continue;
        }
        long cdl = now_ms() + cto;
        int c = connect_by(fd, a->ai_addr, a->ai_addrlen, cdl < deadline ? cdl : deadline);
        if (c < 0) {
            rc = fail(r, "tls.no_answer", "%s port %d: %s", text, r->port,
                      c == -2 ? "no answer in time" : "connection refused");
            close(fd);
            continue;
        }
        r->reason = NULL;
        r->detail[0] = '\0';
        rc = handshake(r, fd, sn, NULL, deadline);
        close(fd);
        break;
    }
    freeaddrinfo(ai);
    return rc;
}

/* Connects to one address (text) and does the ALPN handshake. 0 read, 1 failed. */
static int alpn_one(struct tlscheck_result *r, int family, const char *text, const char *name,
                    const char *alpn, long cto, long deadline)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)(void *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)r->port);
        if (inet_pton(AF_INET, text, &a->sin_addr) != 1)
            return fail(r, "tls.no_answer", "bad address %.64s", text);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)r->port);
        if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1)
            return fail(r, "tls.no_answer", "bad address %.64s", text);
        sl = sizeof *a;
    }
    snprintf(r->address, sizeof r->address, "%s", text);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(r, "tls.no_answer", "socket: %s", strerror(errno));
    long cdl = now_ms() + cto;
    int c = connect_by(fd, (struct sockaddr *)&ss, sl, cdl < deadline ? cdl : deadline);
    if (c < 0) {
        close(fd);
        return fail(r, "tls.no_answer", "%s port %d: %s", text, r->port,
                    c == -2 ? "no answer in time" : "connection refused");
    }
    r->reason = NULL;
    r->detail[0] = '\0';
    int rc = handshake(r, fd, name, alpn, deadline);
    close(fd);
    return rc;
}

int tlscheck_alpn(const struct fetch_opts *o, const char *name, int port, const char *alpn,
                  struct tlscheck_result *r)
{
    memset(r, 0, sizeof *r);
    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof r->host || port < 1 ||
        port > 65535)
        return fail(r, "target.invalid", "no name or port");
    snprintf(r->host, sizeof r->host, "%s", name);
    snprintf(r->servername, sizeof r->servername, "%s", name);
    r->port = port;
    long deadline = now_ms() + (o->timeout_ms > 0 ? o->timeout_ms : 10000);
    long cto = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    struct fetch_addr addrs[FETCH_MAX_ADDRS];
    size_t n = 0;
    struct fetch_result fr;
    memset(&fr, 0, sizeof fr);
    int rc = fetch_resolve(o, name, addrs, FETCH_MAX_ADDRS, &n, r->dnssec, sizeof r->dnssec, &fr);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        const char *why = strcmp(fr.reason, "fetch.dns_bogus") == 0         ? "target.dns_bogus"
                          : strcmp(fr.reason, "fetch.address_refused") == 0 ? "target.refused"
                                                                            : "target.dns";
        return fail(r, why, "%s", fr.detail);
    }
    if (n == 0) { /* no resolver given: the system's, each address checked here */
        struct addrinfo hints = {0}, *ai = NULL;
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(name, NULL, &hints, &ai) != 0 || ai == NULL)
            return fail(r, "target.dns", "no address for %.200s", name);
        int refused = -1;
        for (struct addrinfo *a = ai; a != NULL && n < FETCH_MAX_ADDRS; a = a->ai_next) {
            if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
                continue;
            int cls = fetch_addr_class(a->ai_addr);
            if (!fetch_class_allowed(o, cls)) {
                refused = cls;
                continue;
            }
            const void *bin =
                a->ai_family == AF_INET
                    ? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
                    : (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
            addrs[n].family = a->ai_family;
            inet_ntop(a->ai_family, bin, addrs[n].text, sizeof addrs[n].text);
            n++;
        }
        freeaddrinfo(ai);
        if (n == 0)
            return refused >= 0 ? fail(r, "target.refused", "only %s addresses for %.200s",
                                       fetch_addr_class_name(refused), name)
                                : fail(r, "target.dns", "no address for %.200s", name);
    }
    rc = 1;
    for (size_t i = 0; i < n && i < 4; i++) {
        rc = alpn_one(r, addrs[i].family, addrs[i].text, name, alpn, cto, deadline);
        /* the next address only when this one did not answer at all */
        if (rc != 1 || strcmp(r->reason, "tls.no_answer") != 0)
            break;
    }
    return rc;
}

void tlscheck_result_free(struct tlscheck_result *r)
{
    for (size_t i = 0; i < r->ncerts; i++)
        OPENSSL_free(r->der[i]);
    r->ncerts = 0;
}
