/* SPDX-License-Identifier: MIT */
/* Certificate names as the Baseline Requirements allow them (R-CSR-4, R-APP-6): DNS names
 * (lower-case, IDNA2008 A-labels, under a public suffix, no internal names, wildcard only
 * as the whole left-most label) and IP addresses (no reserved ranges). Pure checks: no
 * network, no allocation except names_to_unicode. Used by pki/csr and by the RA layer. */
#ifndef SM_PKI_NAMES_H
#define SM_PKI_NAMES_H
#include <stddef.h>

/* Same values as enum csr_severity. */
enum names_severity { NAMES_SEV_ERROR = 0, NAMES_SEV_NOTICE = 1 };

/* Room for a normalized name: 253 octets of DNS name or an IPv6 text form, plus NUL. */
#define NAMES_NORM_MAX 256

struct names_problem_def {
    const char *code; /* stable, e.g. "name.underscore" */
    int severity;     /* enum names_severity */
    const char *msg_ja;
    const char *msg_en;
};

/* The outcome of one check. code == NULL: nothing to report. code/msg_* are static. */
struct names_problem {
    const char *code;
    int severity;
    const char *msg_ja;
    const char *msg_en;
    char detail[128]; /* the offending name (truncated) and, for IDNs, its A-label form */
};

/* Checks a DNS name (wildcard "*.x" accepted only when allow_wildcard).
 * Returns 0 when acceptable: out->code is NULL, or a notice (e.g. "name.uppercase": the
 * name was lower-cased). Returns 1 when rejected: out has the first error found.
 * norm (may be NULL, else NAMES_NORM_MAX bytes) receives the lower-case form.
 * Returns <0 only if the public suffix list cannot be loaded (-SM_E_CONFIG). */
int names_check_dns(const char *name, int allow_wildcard, char *norm, struct names_problem *out);

/* Checks an IP address in text form (dotted IPv4 or IPv6). Reserved ranges are always
 * rejected ("name.ip_reserved"); public addresses are rejected with "name.ip_not_allowed"
 * unless allow_ip. Same return convention; norm gets the canonical text form. */
int names_check_ip(const char *text, int allow_ip, char *norm, struct names_problem *out);

/* Same for an address in network byte order (len 4 or 16, as in a GeneralName). */
int names_check_ip_bytes(const unsigned char *addr, size_t len, int allow_ip, char *norm,
                         struct names_problem *out);

/* An IP literal goes to names_check_ip, anything else to names_check_dns. */
int names_check(const char *name, int allow_wildcard, int allow_ip, char *norm,
                struct names_problem *out);

/* 1 if text is an IPv4 or IPv6 literal. */
int names_is_ip(const char *text);

/* The registrable domain of a lower-case DNS name without a trailing dot under the public
 * suffix list (the one copy of the list in the program, loaded once): a pointer into
 * name ("www.example.co.jp" -> "example.co.jp"), or NULL when name is a public suffix
 * itself or has no registrable part. */
const char *names_registrable_domain(const char *name);

/* Display form of a lower-case A-label name (xn-- labels decoded to UTF-8). Returns 0 and
 * a malloc'd string in *out (caller frees), or -SM_E_INVALID / -SM_E_NOMEM. */
int names_to_unicode(const char *name, char **out);

/* 1 if a and b are the same name after lower-casing and U-label to A-label conversion. */
int names_equal(const char *a, const char *b);

/* Every code names_* can report, with ja/en text (static storage). */
const struct names_problem_def *names_problem_table(size_t *n);

#endif
