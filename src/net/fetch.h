/* SPDX-License-Identifier: MIT */
/* HTTP(S) GET for domain validation (BR 3.2.2.4.18, R-VAL-1) through libcurl: bounded
 * time, size and redirects; redirects followed here, hop by hop, only as the BR allows
 * (301/302/307/308, http/https, authorized ports); every connected address checked
 * against the private/reserved table. No validation rules (ra/dcv has them). */
#ifndef SM_NET_FETCH_H
#define SM_NET_FETCH_H
#include <stddef.h>
#include <sys/socket.h>

#include "core/err.h"

struct config;
struct dns;

enum fetch_addr_class {
    FETCH_ADDR_PUBLIC = 0,
    FETCH_ADDR_LOOPBACK,  /* 127/8, ::1 */
    FETCH_ADDR_PRIVATE,   /* 10/8, 172.16/12, 192.168/16, fec0::/10 */
    FETCH_ADDR_CGNAT,     /* 100.64/10 */
    FETCH_ADDR_LINKLOCAL, /* 169.254/16, fe80::/10 */
    FETCH_ADDR_ULA,       /* fc00::/7 */
    FETCH_ADDR_MULTICAST, /* 224/4, ff00::/8: never fetched */
    FETCH_ADDR_RESERVED,  /* unspecified, documentation, 240/4, outside 2000::/3, ...:
                             never fetched */
    FETCH_ADDR_BENCHMARK, /* 198.18/15 (RFC 2544): fetched only under allow_benchmarking */
};

struct fetch_opts {
    int allow_private;      /* PRIVATE, CGNAT, LINKLOCAL, ULA */
    int allow_loopback;     /* LOOPBACK */
    int allow_benchmarking; /* BENCHMARK (a test network of namespaces) */
    int http_port;          /* authorized port of http:// (80; other only not_for_production) */
    int https_port;         /* authorized port of https:// (443) */
    long connect_timeout_ms;
    long timeout_ms; /* whole fetch, all hops */
    size_t max_body;
    int max_redirects;
    struct dns *dns;   /* resolver for host names (DNSSEC bogus refused); NULL = system */
    int tls_alpn_port; /* port of ACME tls-alpn-01 (443; other only not_for_production) */
};

/* Reads [dcv] allow_private, allow_loopback, allow_benchmarking, http_port, tls_alpn_port,
 * connect_timeout, timeout, max_body, max_redirects; dns is left NULL. allow_* true,
 * http_port other than 80 or tls_alpn_port other than 443 need [testing]
 * not_for_production (SM_E_CONFIG otherwise). */
int fetch_opts_from_config(const struct config *c, struct fetch_opts *o, struct sm_err *e);

/* Classifies an AF_INET/AF_INET6 address (IPv4-mapped, NAT64 and 6to4 addresses by their
 * embedded IPv4 address). Other families: RESERVED. */
int fetch_addr_class(const struct sockaddr *sa);
/* Same for a textual address; -1 if it is not an IP literal. */
int fetch_addr_class_text(const char *text);
const char *fetch_addr_class_name(int cls); /* "public", "loopback", ... */
/* 1 if a fetch may connect to an address of this class under these options. */
int fetch_class_allowed(const struct fetch_opts *o, int cls);

/* An address a host name resolved to, allowed by the options. */
#define FETCH_MAX_ADDRS 32
struct fetch_addr {
    int family;    /* AF_INET, AF_INET6 */
    char text[48]; /* its text form */
};

struct fetch_result;
/* The addresses of host that o allows (A then AAAA through o->dns; an IP literal is
 * itself): up to max into out, *n of them, dnssec gets the answers' security ("secure",
 * "insecure", "bogus"). 0 with *n >= 1, or with *n == 0 when o->dns is NULL (the caller
 * resolves and checks each address itself); 1 refused or failed (r->reason fetch.dns_bogus,
 * fetch.address_refused, fetch.dns_failed, fetch.no_address, and r->detail); -SM_E_NOMEM.
 * The one address rule of every validation that connects (web page, http-01,
 * tls-alpn-01). */
int fetch_resolve(const struct fetch_opts *o, const char *host, struct fetch_addr *out, size_t max,
                  size_t *n, char *dnssec, size_t dn, struct fetch_result *r);

#define FETCH_MAX_HOPS 12
struct fetch_hop {
    char url[512];
    long status;      /* HTTP status, 0 if none */
    char address[48]; /* address connected to, empty if none */
    char dnssec[12];  /* security of the host's A/AAAA answers, or "" */
};

struct fetch_result {
    /* NULL when a 2xx response was read; else a stable reason code:
     * fetch.url_invalid, fetch.scheme, fetch.port, fetch.dns_bogus, fetch.dns_failed,
     * fetch.no_address, fetch.address_refused, fetch.timeout, fetch.connect_failed,
     * fetch.too_large, fetch.redirect_status, fetch.redirect_invalid,
     * fetch.too_many_redirects, fetch.status */
    const char *reason;
    char detail[256]; /* English detail for logs and evidence */
    long status;      /* last HTTP status */
    char *body;       /* NUL-terminated, owned by the result */
    size_t body_len;
    size_t nhops;
    struct fetch_hop hops[FETCH_MAX_HOPS];
};

/* GETs url following allowed redirects. Returns 0 with r->reason NULL on a 2xx answer,
 * 1 when refused or failed (r->reason, r->detail), -SM_E_NOMEM on allocation failure.
 * Free with fetch_result_free(). */
int fetch_get(const struct fetch_opts *o, const char *url, struct fetch_result *r);
void fetch_result_free(struct fetch_result *r);

#endif
