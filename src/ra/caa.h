/* SPDX-License-Identifier: MIT */
/* CAA checks right before issuance (R-VAL-3, RFC 8659, RFC 8657): the relevant RRset found
 * by climbing the name tree, issue vs issuewild, this CA's issuer domain names, the
 * accounturi and validationmethods parameters, critical unknown tags, and refusal on
 * DNSSEC failure or lookup failure. Returns a decision, a reason code and evidence JSON. */
#ifndef SM_RA_CAA_H
#define SM_RA_CAA_H
#include <stddef.h>
#include <time.h>

struct dns;
struct dns_answer;

#define CAA_FLAG_CRITICAL 0x80

struct caa_record {
    int flags;
    char tag[16];    /* 1..15 ASCII letters/digits */
    char value[512]; /* bytes 0x20..0x7e; others replaced by '?' */
};

/* Parses one CAA RDATA. 0, or -1 when malformed (empty or bad tag, truncated, value too
 * long for the struct). */
int caa_parse_rdata(const unsigned char *rd, size_t len, struct caa_record *out);
/* Zone-file form: 0 issue "value". */
void caa_record_text(const struct caa_record *c, char *out, size_t n);

/* What is about to be issued. */
struct caa_request {
    const char *name;        /* FQDN, or "*.base" for a wildcard */
    const char *identities;  /* this CA's issuer domain names, comma list ([caa] identities) */
    const char *account_uri; /* the account's URI for accounturi, or NULL */
    const char *method;      /* RFC 8657 label of the validation method used, or NULL */
};

/* The issue / issuewild value grammar of RFC 8659 4.2. Returns 0 and fills issuer (may be
 * empty: nobody may issue) and the accounturi / validationmethods parameter values (empty
 * when absent; *has_* set when present), or -1 when malformed. Unknown parameters are
 * ignored. */
struct caa_issue {
    char issuer[256];
    int has_account;
    char account[512];
    int has_methods;
    char methods[512];
};
int caa_parse_issue(const char *value, struct caa_issue *out);

/* Evaluates a non-empty relevant RRset for the request (pure). Returns 1 permitted, 0 not;
 * *reason then is one of caa.forbidden, caa.critical_unknown, caa.account_mismatch,
 * caa.method_mismatch (static). detail gets an English explanation. */
int caa_evaluate(const struct caa_record *set, size_t n, int wildcard, const struct caa_request *q,
                 const char **reason, char *detail, size_t dn);

struct caa_result {
    int ok;             /* 1 issuance permitted */
    const char *reason; /* NULL when ok; caa.* code, also the i18n key */
    char detail[256];
    char relevant[256]; /* owner of the relevant RRset, empty when none */
    char *evidence;     /* JSON (malloc'd; caa_result_free) */
};
void caa_result_free(struct caa_result *r);

/* The lookup behind the climb: fills a like dns_lookup(). */
typedef int (*caa_lookup_fn)(void *ctx, const char *name, struct dns_answer *a);

/* Climbs from the name (wildcard label removed) towards the TLD until the first non-empty
 * CAA RRset and evaluates it. A failure of the DNS on the way refuses with its own reason
 * (issue 8 item 5), never one of CAA's: caa.bogus (DNSSEC validation failed), caa.servfail
 * (an error rcode such as SERVFAIL or REFUSED), caa.timeout (no answer in time),
 * caa.resolver (this CA's resolver cannot work, e.g. no trust anchor); a malformed record refuses
 * (caa.malformed); a bad name refuses (caa.name_invalid). Returns 0 (r filled) or
 * -SM_E_NOMEM. */
int caa_check_with(caa_lookup_fn fn, void *ctx, const struct caa_request *q, time_t now,
                   struct caa_result *r);
int caa_check(struct dns *d, const struct caa_request *q, time_t now, struct caa_result *r);
/* 1 if reason is a DNS failure (caa.bogus, caa.servfail, caa.timeout, caa.resolver)
 * rather than a refusal by the domain's CAA records. */
int caa_dns_failure(const char *reason);
/* 1 if reason is a DNS failure that may pass when asked again (caa.servfail, caa.timeout,
 * caa.resolver); 0 for caa.bogus (a DNSSEC chain that does not validate) and the rest. */
int caa_dns_may_pass(const char *reason);

#endif
