/* SPDX-License-Identifier: MIT */
/* R-VAL-3: CAA rules without a network: RDATA and issue-value parsing (RFC 8659 4.2),
 * evaluation of fake RRsets (issue/issuewild, identities, accounturi and validationmethods
 * of RFC 8657, critical tags), and the climb through a fake lookup table (first non-empty
 * RRset, TLD last, DNSSEC bogus and lookup failures refuse, evidence JSON). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/failalloc.h"
#include "net/dns.h"
#include "ra/caa.h"

/* RDATA bytes of flags/tag/value; returns the length. */
static size_t rdata(unsigned char *out, int flags, const char *tag, const char *value)
{
    size_t tl = strlen(tag), vl = strlen(value);
    out[0] = (unsigned char)flags;
    out[1] = (unsigned char)tl;
    memcpy(out + 2, tag, tl);
    memcpy(out + 2 + tl, value, vl);
    return 2 + tl + vl;
}

static void test_caa_parse_rdata_good_and_malformed(void **state)
{
    (void)state;
    unsigned char b[700];
    struct caa_record c;
    size_t n = rdata(b, 128, "issue", "ca.example; accounturi=x");
    assert_int_equal(caa_parse_rdata(b, n, &c), 0);
    assert_int_equal(c.flags, 128);
    assert_string_equal(c.tag, "issue");
    assert_string_equal(c.value, "ca.example; accounturi=x");
    char text[600];
    caa_record_text(&c, text, sizeof text);
    assert_string_equal(text, "128 issue \"ca.example; accounturi=x\"");
    /* empty value is fine */
    n = rdata(b, 0, "iodef", "");
    assert_int_equal(caa_parse_rdata(b, n, &c), 0);
    /* malformed */
    assert_int_equal(caa_parse_rdata(b, 0, &c), -1);
    assert_int_equal(caa_parse_rdata(b, 1, &c), -1);
    n = rdata(b, 0, "", "x");
    assert_int_equal(caa_parse_rdata(b, n, &c), -1); /* empty tag */
    n = rdata(b, 0, "iss-ue", "x");
    assert_int_equal(caa_parse_rdata(b, n, &c), -1); /* tag not alphanumeric */
    n = rdata(b, 0, "abcdefghijklmnop", "x");
    assert_int_equal(caa_parse_rdata(b, n, &c), -1); /* 16-octet tag */
    b[0] = 0;
    b[1] = 10;
    memcpy(b + 2, "issue", 5);
    assert_int_equal(caa_parse_rdata(b, 7, &c), -1); /* tag length past the end */
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = rdata(b, 0, "issue", big);
    assert_int_equal(caa_parse_rdata(b, n, &c), -1); /* value too long for the struct */
    /* control bytes are shown as '?' */
    n = rdata(b, 0, "issue", "a\nb");
    assert_int_equal(caa_parse_rdata(b, n, &c), 0);
    assert_string_equal(c.value, "a?b");
}

struct issue_row {
    const char *value;
    int rc;
    const char *issuer;
    const char *account; /* NULL = absent */
    const char *methods; /* NULL = absent */
};

static const struct issue_row issue_rows[] = {
    {"ca.example", 0, "ca.example", NULL, NULL},
    {"  ca.example  ", 0, "ca.example", NULL, NULL},
    {";", 0, "", NULL, NULL},
    {"", 0, "", NULL, NULL},
    {"ca.example;", 0, "ca.example", NULL, NULL},
    {"ca.example; accounturi=https://a.test/1", 0, "ca.example", "https://a.test/1", NULL},
    {"ca.example;accounturi = x ; validationmethods=dns-01,http-01", 0, "ca.example", "x",
     "dns-01,http-01"},
    {"ca.example; future-param=1; ValidationMethods=ca-dns-txt", 0, "ca.example", NULL,
     "ca-dns-txt"},
    {"ca.example; accounturi=", 0, "ca.example", "", NULL},
    {"ca-.example", -1, NULL, NULL, NULL},
    {"-ca.example", -1, NULL, NULL, NULL},
    {"ca..example", -1, NULL, NULL, NULL},
    {"ca.example junk", -1, NULL, NULL, NULL},
    {"ca.example; =x", -1, NULL, NULL, NULL},
    {"ca.example; tag", -1, NULL, NULL, NULL},
    {"ca.example; a=b c=d", -1, NULL, NULL, NULL},
    {"ca_example", -1, NULL, NULL, NULL},
};

/* R-VAL-3: the issue-value grammar, parameters included. */
static void test_caa_parse_issue_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof issue_rows / sizeof issue_rows[0]; i++) {
        const struct issue_row *t = &issue_rows[i];
        struct caa_issue iv;
        int rc = caa_parse_issue(t->value, &iv);
        if (rc != t->rc)
            fail_msg("'%s': rc %d want %d", t->value, rc, t->rc);
        if (rc < 0)
            continue;
        assert_string_equal(iv.issuer, t->issuer);
        assert_int_equal(iv.has_account, t->account != NULL);
        if (t->account)
            assert_string_equal(iv.account, t->account);
        assert_int_equal(iv.has_methods, t->methods != NULL);
        if (t->methods)
            assert_string_equal(iv.methods, t->methods);
    }
}

struct eval_row {
    const char *what;
    struct caa_record set[4];
    size_t n;
    int wildcard;
    const char *account;
    const char *method;
    int permitted;
    const char *reason;
};

#define R(f, t, v)                                                                                 \
    {                                                                                              \
        f, t, v                                                                                    \
    }

static const struct eval_row eval_rows[] = {
    {"issue names us", {R(0, "issue", "shomei.example")}, 1, 0, NULL, NULL, 1, NULL},
    {"second identity", {R(0, "issue", "alt.example")}, 1, 0, NULL, NULL, 1, NULL},
    {"identity case-insensitive", {R(0, "issue", "SHOMEI.Example")}, 1, 0, NULL, NULL, 1, NULL},
    {"other CA", {R(0, "issue", "other.example")}, 1, 0, NULL, NULL, 0, "caa.forbidden"},
    {"our name as a suffix only",
     {R(0, "issue", "xshomei.example")},
     1,
     0,
     NULL,
     NULL,
     0,
     "caa.forbidden"},
    {"one of several",
     {R(0, "issue", "other.example"), R(0, "issue", "shomei.example")},
     2,
     0,
     NULL,
     NULL,
     1,
     NULL},
    {"nobody", {R(0, "issue", ";")}, 1, 0, NULL, NULL, 0, "caa.forbidden"},
    {"malformed value", {R(0, "issue", "shomei.example; =")}, 1, 0, NULL, NULL, 0, "caa.forbidden"},
    {"iodef only", {R(0, "iodef", "mailto:a@b.test")}, 1, 0, NULL, NULL, 1, NULL},
    {"issuewild ignored for a plain name",
     {R(0, "issuewild", "shomei.example"), R(0, "issue", "other.example")},
     2,
     0,
     NULL,
     NULL,
     0,
     "caa.forbidden"},
    {"issuewild only, plain name", {R(0, "issuewild", ";")}, 1, 0, NULL, NULL, 1, NULL},
    {"wildcard uses issue without issuewild",
     {R(0, "issue", "shomei.example")},
     1,
     1,
     NULL,
     NULL,
     1,
     NULL},
    {"wildcard: issuewild wins",
     {R(0, "issue", "shomei.example"), R(0, "issuewild", "other.example")},
     2,
     1,
     NULL,
     NULL,
     0,
     "caa.forbidden"},
    {"wildcard: issuewild names us",
     {R(0, "issue", ";"), R(0, "issuewild", "shomei.example")},
     2,
     1,
     NULL,
     NULL,
     1,
     NULL},
    {"critical unknown",
     {R(128, "tbs", "x"), R(0, "issue", "shomei.example")},
     2,
     0,
     NULL,
     NULL,
     0,
     "caa.critical_unknown"},
    {"critical unknown beats wildcard",
     {R(0, "issuewild", "shomei.example"), R(129, "future", "")},
     2,
     1,
     NULL,
     NULL,
     0,
     "caa.critical_unknown"},
    {"critical known", {R(128, "issue", "shomei.example")}, 1, 0, NULL, NULL, 1, NULL},
    {"non-critical unknown",
     {R(0, "tbs", "x"), R(0, "issue", "shomei.example")},
     2,
     0,
     NULL,
     NULL,
     1,
     NULL},
    {"tag case-insensitive",
     {R(0, "ISSUE", "other.example")},
     1,
     0,
     NULL,
     NULL,
     0,
     "caa.forbidden"},
    {"accounturi match",
     {R(0, "issue", "shomei.example; accounturi=https://p.test/a/1")},
     1,
     0,
     "https://p.test/a/1",
     NULL,
     1,
     NULL},
    {"accounturi other",
     {R(0, "issue", "shomei.example; accounturi=https://p.test/a/1")},
     1,
     0,
     "https://p.test/a/2",
     NULL,
     0,
     "caa.account_mismatch"},
    {"accounturi none",
     {R(0, "issue", "shomei.example; accounturi=https://p.test/a/1")},
     1,
     0,
     NULL,
     NULL,
     0,
     "caa.account_mismatch"},
    {"accounturi on another record",
     {R(0, "issue", "shomei.example; accounturi=https://p.test/a/1"),
      R(0, "issue", "shomei.example; accounturi=https://p.test/a/2")},
     2,
     0,
     "https://p.test/a/2",
     NULL,
     1,
     NULL},
    {"methods match",
     {R(0, "issue", "shomei.example; validationmethods=dns-01,ca-dns-txt")},
     1,
     0,
     NULL,
     "ca-dns-txt",
     1,
     NULL},
    {"methods other",
     {R(0, "issue", "shomei.example; validationmethods=http-01")},
     1,
     0,
     NULL,
     "ca-dns-txt",
     0,
     "caa.method_mismatch"},
    {"methods prefix only",
     {R(0, "issue", "shomei.example; validationmethods=ca-dns")},
     1,
     0,
     NULL,
     "ca-dns-txt",
     0,
     "caa.method_mismatch"},
    {"methods unknown to us",
     {R(0, "issue", "shomei.example; validationmethods=dns-01")},
     1,
     0,
     NULL,
     NULL,
     0,
     "caa.method_mismatch"},
    {"both parameters",
     {R(0, "issue", "shomei.example; accounturi=u; validationmethods=http-01")},
     1,
     0,
     "u",
     "http-01",
     1,
     NULL},
};

/* R-VAL-3: evaluation of fake relevant RRsets for identities "shomei.example, alt.example". */
static void test_caa_evaluate_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof eval_rows / sizeof eval_rows[0]; i++) {
        const struct eval_row *t = &eval_rows[i];
        struct caa_request q = {"x.test", "shomei.example, alt.example", t->account, t->method};
        const char *reason = "unset";
        char detail[256];
        int p = caa_evaluate(t->set, t->n, t->wildcard, &q, &reason, detail, sizeof detail);
        if (p != t->permitted)
            fail_msg("%s: permitted %d, want %d (%s)", t->what, p, t->permitted, detail);
        if (t->reason == NULL ? reason != NULL : (reason == NULL || strcmp(reason, t->reason)))
            fail_msg("%s: reason %s, want %s", t->what, reason ? reason : "NULL",
                     t->reason ? t->reason : "NULL");
        assert_true(detail[0] != '\0');
    }
}

/* A fake DNS: owner name → answer. */
struct fake_rr {
    const char *name;
    int rc; /* <0: no answer */
    int rcode;
    int security;
    const char *records[3]; /* "flags tag value" */
};

struct fake {
    const struct fake_rr *rows;
    size_t n;
    char asked[16][64];
    size_t nasked;
};

static int fake_lookup(void *ctx, const char *name, struct dns_answer *a)
{
    struct fake *f = ctx;
    memset(a, 0, sizeof *a);
    if (f->nasked < 16)
        snprintf(f->asked[f->nasked++], 64, "%s", name);
    for (size_t i = 0; i < f->n; i++) {
        const struct fake_rr *r = &f->rows[i];
        if (strcmp(r->name, name) != 0)
            continue;
        if (r->rc < 0)
            return a->status = r->rc;
        a->rcode = r->rcode;
        a->security = r->security;
        for (size_t k = 0; k < 3 && r->records[k]; k++) {
            int flags;
            char tag[16], value[256];
            const char *p = r->records[k];
            flags = (int)strtoll(p, (char **)&p, 10);
            p++;
            size_t tl = strcspn(p, " ");
            memcpy(tag, p, tl);
            tag[tl] = '\0';
            snprintf(value, sizeof value, "%s", p + tl + 1);
            unsigned char *b = malloc(300);
            assert_non_null(b);
            a->len[a->n] = rdata(b, flags, tag, value);
            a->rr[a->n++] = b;
        }
        return 0;
    }
    a->rcode = 3; /* NXDOMAIN */
    return 0;
}

struct climb_row {
    const char *what;
    const char *name;
    struct fake_rr rows[4];
    size_t nrows;
    int ok;
    const char *reason;
    const char *relevant;
    int nasked;
};

static const struct climb_row climb_rows[] = {
    {"apex record",
     "a.b.example.test",
     {{"example.test", 0, 0, DNS_INSECURE, {"0 issue shomei.example"}}},
     1,
     1,
     NULL,
     "example.test",
     3},
    {"nearest wins",
     "a.example.test",
     {{"a.example.test", 0, 0, DNS_SECURE, {"0 issue shomei.example"}},
      {"example.test", 0, 0, DNS_SECURE, {"0 issue ;"}}},
     2,
     1,
     NULL,
     "a.example.test",
     1},
    {"nearest forbids",
     "a.example.test",
     {{"a.example.test", 0, 0, DNS_INSECURE, {"0 issue other.example"}},
      {"example.test", 0, 0, DNS_INSECURE, {"0 issue shomei.example"}}},
     2,
     0,
     "caa.forbidden",
     "a.example.test",
     1},
    {"nothing anywhere, TLD last",
     "a.example.test",
     {{"test", 0, 0, DNS_INSECURE, {NULL}}},
     1,
     1,
     NULL,
     "",
     3},
    {"wildcard label removed",
     "*.example.test",
     {{"example.test", 0, 0, DNS_INSECURE, {"0 issuewild ;"}}},
     1,
     0,
     "caa.forbidden",
     "example.test",
     1},
    {"bogus on the way",
     "a.example.test",
     {{"example.test", 0, 0, DNS_BOGUS, {"0 issue shomei.example"}}},
     1,
     0,
     "caa.bogus",
     "",
     2},
    {"bogus empty answer",
     "a.example.test",
     {{"a.example.test", 0, 3, DNS_BOGUS, {NULL}}},
     1,
     0,
     "caa.bogus",
     "",
     1},
    /* issue 8 item 5: each DNS failure has its own reason, none is a CAA refusal */
    {"SERVFAIL",
     "a.example.test",
     {{"example.test", 0, 2, DNS_INSECURE, {NULL}}},
     1,
     0,
     "caa.servfail",
     "",
     2},
    {"REFUSED",
     "a.example.test",
     {{"a.example.test", 0, 5, DNS_INSECURE, {NULL}}},
     1,
     0,
     "caa.servfail",
     "",
     1},
    {"no answer in time",
     "a.example.test",
     {{"example.test", -SM_E_IO, 0, 0, {NULL}}},
     1,
     0,
     "caa.timeout",
     "",
     2},
    {"own resolver broken",
     "a.example.test",
     {{"a.example.test", -SM_E_CONFIG, 0, 0, {NULL}}},
     1,
     0,
     "caa.resolver",
     "",
     1},
    {"secure permit",
     "example.test",
     {{"example.test", 0, 0, DNS_SECURE, {"0 issue shomei.example", "0 iodef mailto:x@y.test"}}},
     1,
     1,
     NULL,
     "example.test",
     1},
    {"bad name", "a..b", {{"x", 0, 0, 0, {NULL}}}, 1, 0, "caa.name_invalid", "", 0},
    {"empty name", "", {{"x", 0, 0, 0, {NULL}}}, 1, 0, "caa.name_invalid", "", 0},
    {"space in name", "a b.test", {{"x", 0, 0, 0, {NULL}}}, 1, 0, "caa.name_invalid", "", 0},
};

/* R-VAL-3: the climb over fake answers: which names are asked, which RRset decides, and
 * refusal on bogus / failed lookups, with evidence naming result and reason. */
static void test_caa_check_with_climb_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof climb_rows / sizeof climb_rows[0]; i++) {
        const struct climb_row *t = &climb_rows[i];
        struct fake f = {t->rows, t->nrows, {{0}}, 0};
        struct caa_request q = {t->name, "shomei.example", NULL, NULL};
        struct caa_result r;
        assert_int_equal(caa_check_with(fake_lookup, &f, &q, 1800000000, &r), 0);
        if (r.ok != t->ok)
            fail_msg("%s: ok %d want %d (%s)", t->what, r.ok, t->ok, r.detail);
        if (t->reason == NULL ? r.reason != NULL
                              : (r.reason == NULL || strcmp(r.reason, t->reason) != 0))
            fail_msg("%s: reason %s want %s", t->what, r.reason ? r.reason : "NULL",
                     t->reason ? t->reason : "NULL");
        assert_string_equal(r.relevant, t->relevant);
        if ((int)f.nasked != t->nasked)
            fail_msg("%s: asked %zu names, want %d", t->what, f.nasked, t->nasked);
        json_error_t je;
        json_t *ev = json_loads(r.evidence, 0, &je);
        assert_non_null(ev);
        assert_string_equal(json_string_value(json_object_get(ev, "result")),
                            t->ok ? "permit" : "refuse");
        if (t->reason)
            assert_string_equal(json_string_value(json_object_get(ev, "reason")), t->reason);
        assert_non_null(json_object_get(ev, "br_version"));
        assert_int_equal(json_array_size(json_object_get(ev, "steps")), f.nasked);
        json_decref(ev);
        caa_result_free(&r);
    }
}

/* R-VAL-3, issue 8 item 5: the DNS failures and which of them may pass when asked again
 * (a bogus DNSSEC chain does not); CAA's own refusals are no DNS failure. */
static void test_caa_dns_failure_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *reason;
        int dns, may_pass;
    } t[] = {
        {"caa.bogus", 1, 0},
        {"caa.servfail", 1, 1},
        {"caa.timeout", 1, 1},
        {"caa.resolver", 1, 1},
        {"caa", 0, 0},
        {"caa.malformed", 0, 0},
        {"caa.name_invalid", 0, 0},
        {"caa.servfail.x", 0, 0},
        {"", 0, 0},
        {NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(caa_dns_failure(t[i].reason), t[i].dns);
        assert_int_equal(caa_dns_may_pass(t[i].reason), t[i].may_pass);
    }
}

/* R-VAL-3: the TLD is the last name asked; the root never is. */
static void test_caa_check_with_stops_at_tld(void **state)
{
    (void)state;
    struct fake f = {NULL, 0, {{0}}, 0};
    struct caa_request q = {"A.B.Example.TEST.", "shomei.example", NULL, NULL};
    struct caa_result r;
    assert_int_equal(caa_check_with(fake_lookup, &f, &q, 1800000000, &r), 0);
    assert_true(r.ok);
    assert_int_equal(f.nasked, 4);
    assert_string_equal(f.asked[0], "a.b.example.test");
    assert_string_equal(f.asked[3], "test");
    caa_result_free(&r);
}

/* Allocation failures during the check (evidence JSON) fail cleanly (no leak, no crash). */
static void test_caa_check_with_allocation_failures(void **state)
{
    (void)state;
    json_set_alloc_funcs(sm_malloc, free);
    static const struct fake_rr rows[] = {
        {"example.test", 0, 0, DNS_INSECURE, {"0 issue shomei.example"}}};
    for (long nth = 1; nth < 40; nth++) {
        struct fake f = {rows, 1, {{0}}, 0};
        struct caa_request q = {"a.example.test", "shomei.example", NULL, NULL};
        struct caa_result r;
        failalloc_set(nth);
        int rc = caa_check_with(fake_lookup, &f, &q, 1800000000, &r);
        failalloc_set(0);
        assert_true(rc == 0 || rc == -SM_E_NOMEM);
        if (rc == 0)
            assert_non_null(r.evidence);
        caa_result_free(&r);
    }
    json_set_alloc_funcs(malloc, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caa_parse_rdata_good_and_malformed),
        cmocka_unit_test(test_caa_parse_issue_table),
        cmocka_unit_test(test_caa_evaluate_table),
        cmocka_unit_test(test_caa_check_with_climb_table),
        cmocka_unit_test(test_caa_check_with_stops_at_tld),
        cmocka_unit_test(test_caa_check_with_allocation_failures),
        cmocka_unit_test(test_caa_dns_failure_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
