/* SPDX-License-Identifier: MIT */
/* The network half of the install check (R-DL-2): connect to an https host and port with
 * bounded time-outs and read the certificate chain the server sends, as DER in the order
 * it was sent. Every address is classified by net/fetch's private/reserved table and only
 * connected to when the options allow its class. No judgement of the chain (ra/check). */
#ifndef SM_NET_TLSCHECK_H
#define SM_NET_TLSCHECK_H
#include <stddef.h>

#include "core/err.h"

struct fetch_opts;

#define TLSCHECK_MAX_CERTS 10

struct tlscheck_result {
    /* NULL when a chain was read; else a stable code: target.invalid (no https URL),
     * target.refused (address class not allowed), target.dns (no address),
     * tls.no_answer (nothing listens or no answer in time), tls.no_tls (the port answered
     * but no TLS handshake). */
    const char *reason;
    char detail[256]; /* English detail */
    char host[256];   /* the host of the URL */
    char servername[256];
    char address[64]; /* the address connected to */
    int port;
    size_t ncerts;
    unsigned char *der[TLSCHECK_MAX_CERTS]; /* owned */
    size_t der_len[TLSCHECK_MAX_CERTS];
    char version[16]; /* "TLSv1.3" */
    char alpn[32];    /* the ALPN protocol negotiated, "" when none */
    char dnssec[12];  /* tlscheck_alpn: security of the name's address answers */
};

/* Splits "https://HOST[:PORT][/...]" (HOST a name, an IPv4 address or [IPv6]) into host
 * and port (443 by default). 0, or -SM_E_INVALID with field "url". */
int tlscheck_parse_url(const char *url, char *host, size_t hn, int *port, struct sm_err *e);

/* Connects to url's host (servername: the SNI and the name to expect; NULL or "" = the
 * host when it is a name) within o->connect_timeout_ms for the connection and
 * o->timeout_ms for the whole check, and reads the served chain. Returns 0 with
 * r->reason NULL when a chain was read, 1 when the target failed (r->reason), <0 on
 * allocation failure. Free with tlscheck_result_free. */
int tlscheck_fetch(const struct fetch_opts *o, const char *url, const char *servername,
                   struct tlscheck_result *r);
void tlscheck_result_free(struct tlscheck_result *r);

/* The connection of ACME's tls-alpn-01 (RFC 8737 3): the addresses of name as every
 * validation that connects finds them (fetch_resolve: o->dns, DNSSEC bogus refused, only
 * the address classes o allows), then on port of each, until one answers: a TLS handshake
 * with SNI = name offering the single ALPN protocol alpn, which must be the one negotiated.
 * 0 with r->der[0] the certificate presented (no judgement of it here), 1 with r->reason
 * target.invalid, target.dns (no address), target.dns_bogus, target.refused (address class
 * not allowed), tls.no_answer (nothing listens or no answer in time), tls.no_tls (no
 * handshake, or no certificate), tls.alpn (another or no protocol negotiated); <0 on
 * allocation failure. Free with tlscheck_result_free. */
int tlscheck_alpn(const struct fetch_opts *o, const char *name, int port, const char *alpn,
                  struct tlscheck_result *r);

#endif
