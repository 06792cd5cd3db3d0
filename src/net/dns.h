/* SPDX-License-Identifier: MIT */
/* DNS lookups through libunbound with DNSSEC validation (R-VAL-3): TXT, CAA, A and AAAA
 * answers with their security status (secure / insecure / bogus) and rcode. A struct dns
 * owns one ub_ctx and is used by one thread at a time: make one per check or per worker
 * thread (the cache then lives as long as the struct). No policy decisions here. */
#ifndef SM_NET_DNS_H
#define SM_NET_DNS_H
#include <stddef.h>

#include "core/err.h"

struct config;
struct dns;

enum dns_type { DNS_A = 1, DNS_TXT = 16, DNS_AAAA = 28, DNS_DNSKEY = 48, DNS_CAA = 257 };

enum dns_security {
    DNS_INSECURE = 0, /* no trust anchor covers the name, or provably unsigned */
    DNS_SECURE,       /* validated chain of trust */
    DNS_BOGUS,        /* validation failed: never to be relied on */
};

/* One lookup's outcome. status: 0 the resolver answered (rcode says how), <0 no answer:
 * -SM_E_IO none within the time-out (or a network failure), -SM_E_CONFIG the resolver
 * cannot work (its set-up, e.g. an unreadable anchor), -SM_E_NOMEM; error then says why
 * in English. rr[i] are the raw RDATA of the final RRset after any CNAME chain
 * (owned by the answer). */
#define DNS_MAX_RR 64
struct dns_answer {
    int status;
    int rcode;           /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
    int security;        /* enum dns_security */
    char why_bogus[160]; /* resolver's reason when bogus, else empty */
    char error[96];      /* why there was no answer (status < 0), else empty */
    char canonical[256]; /* name after CNAMEs (empty if none) */
    size_t n;            /* number of records in rr */
    unsigned char *rr[DNS_MAX_RR];
    size_t len[DNS_MAX_RR];
};

/* Opens a resolver from [dns] of the config: resolver ("recursive", or a comma list of
 * ADDR[@PORT] forwarders, loopback allowed), timeout (seconds), and the trust anchors:
 * in both modes the IANA root anchor, kept current by RFC 5011 in root_anchor_state
 * (seeded from root_trust_anchor); only under [testing] not_for_production may
 * trust_anchor_file replace it, and only then is the RFC 6761 test. zone asked of the
 * servers. A missing anchor is an SM_E_CONFIG error (fail closed). Caller frees with
 * dns_close(). */
int dns_open(const struct config *c, struct dns **out, struct sm_err *e);
void dns_close(struct dns *d);
/* Frees the contexts dns_close kept ([dns] cache_seconds > 0), at shutdown. */
void dns_idle_close(void);

/* Lowers the time-out of each later lookup to ms (never raises it): for a caller that
 * has a person waiting. */
void dns_cap_timeout(struct dns *d, int ms);

/* The start-up check of the root trust anchor (issue 8 item 25): asks for the root's
 * DNSKEY set, waiting at most DNS_CHECK_MS. 0 when it validates (or own anchors replace
 * the root); -SM_E_CONFIG when the anchor does not validate it (it misses the root's
 * current signing key) or the resolver cannot start; -SM_E_IO when no answer came (lookups then
 * fail closed on their own). e says which, for the log. */
#define DNS_CHECK_MS 3000
int dns_check_anchor(struct dns *d, struct sm_err *e);

/* Looks up name/type, bounded by the configured timeout. Returns 0 with *a filled (also
 * for NXDOMAIN, SERVFAIL and bogus answers: read a->rcode / a->security), or <0 when no
 * answer at all (a->status is set then too). Free with dns_answer_free(). */
int dns_lookup(struct dns *d, const char *name, int type, struct dns_answer *a);
void dns_answer_free(struct dns_answer *a);

/* "NOERROR", "NXDOMAIN", ... or "RCODE<n>". */
const char *dns_rcode_name(int rcode);
/* "secure", "insecure", "bogus". */
const char *dns_security_name(int security);

/* TXT RDATA → its character-strings concatenated (RFC 7208 style) into out (NUL-terminated,
 * control bytes replaced by '?'). Returns 0, or -1 if malformed or too long for out. */
int dns_txt_string(const unsigned char *rd, size_t len, char *out, size_t n);

#endif
