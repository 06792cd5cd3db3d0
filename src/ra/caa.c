/* SPDX-License-Identifier: MIT */
/* CAA (RFC 8659 with the RFC 8657 parameters): RDATA and issue-value parsing, evaluation of
 * a relevant RRset against this CA's identities, and the tree climb through a lookup
 * function (net/dns in production, a table in unit tests). Evidence through jansson. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/metrics.h"
#include "core/policy.h"
#include "net/dns.h"
#include "ra/caa.h"
#include "ra/mpic.h"

static int is_alnum(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

int caa_parse_rdata(const unsigned char *rd, size_t len, struct caa_record *out)
{
    memset(out, 0, sizeof *out);
    if (len < 2)
        return -1;
    size_t tl = rd[1];
    if (tl == 0 || tl >= sizeof out->tag || 2 + tl > len || len - 2 - tl >= sizeof out->value)
        return -1;
    out->flags = rd[0];
    for (size_t i = 0; i < tl; i++) {
        if (!is_alnum(rd[2 + i]))
            return -1;
        out->tag[i] = (char)rd[2 + i];
    }
    size_t vl = len - 2 - tl;
    for (size_t i = 0; i < vl; i++) {
        unsigned char ch = rd[2 + tl + i];
        out->value[i] = (ch < 0x20 || ch > 0x7e) ? '?' : (char)ch;
    }
    return 0;
}

void caa_record_text(const struct caa_record *c, char *out, size_t n)
{
    snprintf(out, n, "%d %s \"%s\"", c->flags, c->tag, c->value);
}

static const char *skip_wsp(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* label *("." label), label = alnum *(*"-" alnum) */
static const char *domain_end(const char *p)
{
    const char *start = p;
    for (;;) {
        if (!is_alnum(*p))
            return p == start ? start : NULL;
        while (is_alnum(*p) || *p == '-')
            p++;
        if (p[-1] == '-')
            return NULL;
        if (*p != '.')
            return p;
        p++;
    }
}

int caa_parse_issue(const char *value, struct caa_issue *out)
{
    memset(out, 0, sizeof *out);
    const char *p = skip_wsp(value);
    const char *end = domain_end(p);
    if (end == NULL || (size_t)(end - p) >= sizeof out->issuer)
        return -1;
    memcpy(out->issuer, p, (size_t)(end - p));
    p = skip_wsp(end);
    if (*p == '\0')
        return 0;
    if (*p != ';')
        return -1;
    p = skip_wsp(p + 1);
    while (*p != '\0') {
        const char *tag = p;
        while (is_alnum(*p) || *p == '-')
            p++;
        size_t tl = (size_t)(p - tag);
        if (tl == 0 || tag[tl - 1] == '-')
            return -1;
        p = skip_wsp(p);
        if (*p != '=')
            return -1;
        p = skip_wsp(p + 1);
        const char *v = p;
        while (*p > 0x20 && *p < 0x7f && *p != ';')
            p++;
        size_t vl = (size_t)(p - v);
        if (tl == 10 && strncasecmp(tag, "accounturi", tl) == 0) {
            if (vl >= sizeof out->account)
                return -1;
            memcpy(out->account, v, vl);
            out->account[vl] = '\0';
            out->has_account = 1;
        } else if (tl == 17 && strncasecmp(tag, "validationmethods", tl) == 0) {
            if (vl >= sizeof out->methods)
                return -1;
            memcpy(out->methods, v, vl);
            out->methods[vl] = '\0';
            out->has_methods = 1;
        }
        p = skip_wsp(p);
        if (*p == ';')
            p = skip_wsp(p + 1);
        else if (*p != '\0')
            return -1;
    }
    return 0;
}

/* 1 if item (len n) is one of the comma-separated entries of list (spaces trimmed). */
static int in_list(const char *list, const char *item, size_t n, int nocase)
{
    const char *p = list;
    while (*p != '\0') {
        p = skip_wsp(p);
        size_t k = strcspn(p, ",");
        size_t t = k;
        while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t == n && t > 0 && (nocase ? strncasecmp(p, item, n) == 0 : strncmp(p, item, n) == 0))
            return 1;
        p += k;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int known_tag(const char *tag)
{
    static const char *const tags[] = {"issue",        "issuewild", "iodef",   "contactemail",
                                       "contactphone", "issuemail", "issuevmc"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strcasecmp(tag, tags[i]) == 0)
            return 1;
    return 0;
}

int caa_evaluate(const struct caa_record *set, size_t n, int wildcard, const struct caa_request *q,
                 const char **reason, char *detail, size_t dn)
{
    for (size_t i = 0; i < n; i++)
        if ((set[i].flags & CAA_FLAG_CRITICAL) && !known_tag(set[i].tag)) {
            *reason = "caa.critical_unknown";
            snprintf(detail, dn, "critical property '%s' is not understood", set[i].tag);
            return 0;
        }
    const char *tag = "issue";
    if (wildcard)
        for (size_t i = 0; i < n; i++)
            if (strcasecmp(set[i].tag, "issuewild") == 0)
                tag = "issuewild";
    int relevant = 0;
    *reason = "caa.forbidden";
    snprintf(detail, dn, "no %s property names this CA", tag);
    for (size_t i = 0; i < n; i++) {
        struct caa_issue iv;
        if (strcasecmp(set[i].tag, tag) != 0)
            continue;
        relevant++;
        if (caa_parse_issue(set[i].value, &iv) < 0 || iv.issuer[0] == '\0' ||
            !in_list(q->identities, iv.issuer, strlen(iv.issuer), 1))
            continue;
        if (iv.has_account && (q->account_uri == NULL || strcmp(iv.account, q->account_uri) != 0)) {
            *reason = "caa.account_mismatch";
            snprintf(detail, dn, "%s names this CA for account %.180s only", tag, iv.account);
            continue;
        }
        if (iv.has_methods &&
            (q->method == NULL || !in_list(iv.methods, q->method, strlen(q->method), 0))) {
            *reason = "caa.method_mismatch";
            snprintf(detail, dn, "%s allows the methods %.180s only", tag, iv.methods);
            continue;
        }
        *reason = NULL;
        snprintf(detail, dn, "%s \"%.200s\" permits this CA", tag, set[i].value);
        return 1;
    }
    if (relevant == 0) {
        *reason = NULL;
        snprintf(detail, dn, "the RRset has no %s property", tag);
        return 1;
    }
    return 0;
}

void caa_result_free(struct caa_result *r)
{
    if (r == NULL)
        return;
    free(r->evidence);
    r->evidence = NULL;
}

static int finish(struct caa_result *r, json_t *ev, const char *reason, const char *detail)
{
    r->ok = reason == NULL;
    r->reason = reason;
    snprintf(r->detail, sizeof r->detail, "%s", detail);
    if (json_object_set_new(ev, "result", json_string(r->ok ? "permit" : "refuse")) < 0 ||
        json_object_set_new(ev, "detail", json_string(detail)) < 0 ||
        (reason && json_object_set_new(ev, "reason", json_string(reason)) < 0) ||
        (r->relevant[0] && json_object_set_new(ev, "relevant", json_string(r->relevant)) < 0)) {
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    r->evidence = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    return r->evidence ? 0 : -SM_E_NOMEM;
}

/* Lower-cases name without "*." and a final dot into out; 0, or -1 if not a plain name. */
static int base_name(const char *name, char *out, size_t n, int *wildcard)
{
    *wildcard = strncmp(name, "*.", 2) == 0;
    if (*wildcard)
        name += 2;
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len >= n || len > 253)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!(is_alnum(ch) || ch == '-' || ch == '_' || ch == '.') ||
            (ch == '.' && (i == 0 || name[i - 1] == '.')))
            return -1;
        out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    out[len] = '\0';
    return 0;
}

#define CAA_MAX_SET 32

/* Records one step into steps; consumes nothing. */
static json_t *step_json(const char *qname, const struct dns_answer *a, int looked_up,
                         const struct caa_record *set, size_t n)
{
    json_t *s = json_pack("{s:s}", "query", qname);
    if (s == NULL)
        return NULL;
    if (!looked_up) {
        json_object_set_new(s, "error", json_string(a->error[0] ? a->error : "no answer"));
        return s;
    }
    json_object_set_new(s, "rcode", json_string(dns_rcode_name(a->rcode)));
    json_object_set_new(s, "dnssec", json_string(dns_security_name(a->security)));
    if (a->canonical[0])
        json_object_set_new(s, "canonical", json_string(a->canonical));
    if (a->why_bogus[0])
        json_object_set_new(s, "why_bogus", json_string(a->why_bogus));
    json_t *recs = json_array();
    char text[600];
    for (size_t i = 0; recs != NULL && i < n; i++) {
        caa_record_text(&set[i], text, sizeof text);
        json_array_append_new(recs, json_string(text));
    }
    if (recs == NULL || json_object_set_new(s, "records", recs) < 0) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* ---- a lookup without an answer (issue 8 item 5): which failure, told apart from a
 * refusal by CAA ---- */

/* caa.resolver when this CA's own resolver cannot work (its set-up: an operator's
 * matter), else caa.timeout (no answer in time: the domain's DNS servers, or the network). */
static const char *no_answer_reason(const struct dns_answer *a)
{
    return a->status == -SM_E_CONFIG ? "caa.resolver" : "caa.timeout";
}

static const char *no_answer_detail(const struct dns_answer *a, const char *x, char *out, size_t n)
{
    snprintf(out, n, "no answer for CAA %.140s: %.90s", x, a->error[0] ? a->error : "no answer");
    return out;
}

int caa_check_with(caa_lookup_fn fn, void *ctx, const struct caa_request *q, time_t now,
                   struct caa_result *r)
{
    char base[256], at[32], detail[256];
    int wildcard = 0;
    memset(r, 0, sizeof *r);
    clock_format_utc(now, at, sizeof at);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "name", q->name ? q->name : "", "identities",
                           q->identities ? q->identities : "", "at", at, "br_version",
                           policy_br_version(now));
    json_t *steps = json_array();
    if (ev == NULL || steps == NULL) {
        json_decref(steps);
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    if (json_object_set_new(ev, "steps", steps) < 0) { /* steps released by jansson */
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    if (q->account_uri)
        json_object_set_new(ev, "account_uri", json_string(q->account_uri));
    if (q->method)
        json_object_set_new(ev, "method", json_string(q->method));
    if (q->name == NULL || q->identities == NULL ||
        base_name(q->name, base, sizeof base, &wildcard) < 0)
        return finish(r, ev, "caa.name_invalid", "the name is not a DNS name");
    json_object_set_new(ev, "wildcard", json_boolean(wildcard));

    const char *x = base;
    for (;;) {
        struct dns_answer a = {0};
        struct caa_record set[CAA_MAX_SET];
        size_t n = 0;
        int malformed = 0;
        int rc = fn(ctx, x, &a);
        if (rc == -SM_E_NOMEM) {
            json_decref(ev);
            return rc;
        }
        if (rc == 0)
            for (size_t i = 0; i < a.n && n < CAA_MAX_SET; i++) {
                if (caa_parse_rdata(a.rr[i], a.len[i], &set[n]) < 0)
                    malformed = 1;
                else
                    n++;
            }
        json_t *s = step_json(x, &a, rc == 0, set, n);
        if (s == NULL || json_array_append_new(steps, s) < 0) {
            if (rc == 0)
                dns_answer_free(&a);
            json_decref(ev);
            return -SM_E_NOMEM;
        }
        if (rc < 0)
            return finish(r, ev, no_answer_reason(&a),
                          no_answer_detail(&a, x, detail, sizeof detail));
        int security = a.security, rcode = a.rcode;
        size_t total = a.n;
        dns_answer_free(&a);
        if (security == DNS_BOGUS) {
            snprintf(detail, sizeof detail, "DNSSEC validation failed for CAA %.200s", x);
            return finish(r, ev, "caa.bogus", detail);
        }
        if (rcode != 0 && rcode != 3) { /* SERVFAIL, REFUSED ...: the DNS failed, not CAA */
            snprintf(detail, sizeof detail, "the DNS servers answered CAA %.200s with %s", x,
                     dns_rcode_name(rcode));
            return finish(r, ev, "caa.servfail", detail);
        }
        if (total > 0) {
            snprintf(r->relevant, sizeof r->relevant, "%s", x);
            if (malformed || total > CAA_MAX_SET) {
                snprintf(detail, sizeof detail, "unreadable CAA record at %.200s", x);
                return finish(r, ev, "caa.malformed", detail);
            }
            const char *reason = NULL;
            caa_evaluate(set, n, wildcard, q, &reason, detail, sizeof detail);
            return finish(r, ev, reason, detail);
        }
        const char *dot = strchr(x, '.');
        if (dot == NULL)
            break; /* the TLD was the last name asked; the root is not */
        x = dot + 1;
    }
    return finish(r, ev, NULL, "no CAA records up to the top-level domain");
}

static int dns_fn(void *ctx, const char *name, struct dns_answer *a)
{
    int rc = dns_lookup(ctx, name, DNS_CAA, a);
    return rc < 0 && a->status == -SM_E_NOMEM ? -SM_E_NOMEM : rc;
}

/* R-VAL-8: a permitting answer is corroborated by the remote perspectives (ra/mpic). */
int caa_check(struct dns *d, const struct caa_request *q, time_t now, struct caa_result *r)
{
    int rc = caa_check_with(dns_fn, d, q, now, r);
    if (rc == 0) {
        struct mpic_check m = {.kind = MPIC_CAA,
                               .name = q->name,
                               .identities = q->identities,
                               .method = q->method,
                               .account = q->account_uri};
        rc = mpic_after(&m, now, &r->ok, &r->reason, r->detail, sizeof r->detail, &r->evidence);
    }
    metrics_count(MF_CAA, rc < 0 || caa_dns_failure(r->reason) ? "outcome=\"dns_error\""
                          : r->ok                              ? "outcome=\"permitted\""
                                                               : "outcome=\"forbidden\"");
    return rc;
}

/* The DNS failures a CAA check refuses with (issue 8 item 5), and whether each may pass
 * when asked again: a bad DNSSEC chain stays bad until the domain's zone is fixed. */
static const struct {
    const char *reason;
    int may_pass;
} dns_failures[] = {
    {"caa.bogus", 0},
    {"caa.servfail", 1},
    {"caa.timeout", 1},
    {"caa.resolver", 1},
};

/* -1 when reason is no DNS failure, else its may_pass */
static int dns_failure_kind(const char *reason)
{
    for (size_t i = 0; reason != NULL && i < sizeof dns_failures / sizeof dns_failures[0]; i++)
        if (strcmp(reason, dns_failures[i].reason) == 0)
            return dns_failures[i].may_pass;
    return -1;
}

int caa_dns_failure(const char *reason) { return dns_failure_kind(reason) >= 0; }

int caa_dns_may_pass(const char *reason) { return dns_failure_kind(reason) == 1; }
