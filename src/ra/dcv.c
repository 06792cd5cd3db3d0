/* SPDX-License-Identifier: MIT */
/* Domain control validation rules (R-VAL-1, R-VAL-2): method table with BR sections and
 * dated policy, random values (libsodium), ADNs (public suffix list of pki/names) and constructed
 * addresses, the DNS TXT and web-page checks with their evidence (jansson). No storage, no HTTP
 * server. */
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/failalloc.h"
#include "core/policy.h"
#include "net/dns.h"
#include "net/fetch.h"
#include "net/tlscheck.h"
#include "pki/names.h"
#include "ra/dcv.h"
#include "ra/mpic.h"

static const struct {
    const char *name;
    const char *br;
    const char *caa;
} methods[DCV__COUNT] = {
    [DCV_EMAIL] = {"email", "3.2.2.4.4", "ca-email"},
    [DCV_DNS_TXT] = {"dns", "3.2.2.4.7", "ca-dns-txt"},
    [DCV_HTTP_FILE] = {"http", "3.2.2.4.18", "ca-http-file"},
    [DCV_ACME_HTTP01] = {"http-01", "3.2.2.4.19", "http-01"},
    [DCV_ACME_DNS01] = {"dns-01", "3.2.2.4.7", "dns-01"},
    [DCV_ACME_TLSALPN01] = {"tls-alpn-01", "3.2.2.4.20", "tls-alpn-01"},
};

/* BR 3.2.2.4.4: the constructed local parts, in this order. */
static const char *const email_locals[DCV_EMAIL_LOCALS] = {"admin", "administrator", "webmaster",
                                                           "hostmaster", "postmaster"};

const char *dcv_method_name(int m) { return m >= 0 && m < DCV__COUNT ? methods[m].name : "?"; }
const char *dcv_method_br_section(int m) { return m >= 0 && m < DCV__COUNT ? methods[m].br : "?"; }
const char *dcv_method_caa_label(int m) { return m >= 0 && m < DCV__COUNT ? methods[m].caa : "?"; }

int dcv_method_parse(const char *name)
{
    if (name != NULL && strncmp(name, "email:", 6) == 0)
        return DCV_EMAIL;
    for (int m = 0; name != NULL && m < DCV__COUNT; m++)
        if (strcmp(name, methods[m].name) == 0)
            return m;
    return -1;
}

const char *dcv_email_local(size_t i) { return i < DCV_EMAIL_LOCALS ? email_locals[i] : NULL; }

int dcv_method_allowed(int m, time_t at)
{
    if (m < 0 || m >= DCV__COUNT)
        return 0;
    if (m == DCV_EMAIL)
        return policy_email_dcv_allowed(at);
    return 1;
}

int dcv_method_applies(int m, const char *name)
{
    if (m < 0 || m >= DCV__COUNT)
        return 0;
    if (name == NULL)
        return 1;
    if (names_is_ip(name))
        return 0; /* no IP address methods (BR 3.2.2.5) */
    int wildcard = strncmp(name, "*.", 2) == 0;
    /* BR 3.2.2.4.18, .19 and .20: not for wildcard names */
    return !(wildcard && (m == DCV_HTTP_FILE || m == DCV_ACME_HTTP01 || m == DCV_ACME_TLSALPN01));
}

int dcv_method_allowed_for(int m, const char *name, time_t at)
{
    return dcv_method_applies(m, name) && dcv_method_allowed(m, at);
}

int dcv_random_value(char *out, size_t n)
{
    unsigned char raw[DCV_VALUE_BYTES];
    if (n < DCV_VALUE_LEN + 1 || sodium_init() < 0)
        return -SM_E_CRYPTO;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, n, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

int dcv_value_well_formed(const char *value)
{
    if (value == NULL || strlen(value) != DCV_VALUE_LEN)
        return 0;
    for (const char *p = value; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

time_t dcv_value_expires(time_t created)
{
    int days = policy_dcv_reuse_days(created);
    if (days <= 0 || days > DCV_VALUE_DAYS)
        days = DCV_VALUE_DAYS;
    return created + (time_t)days * POLICY_DAY_SECONDS;
}

int dcv_value_usable(time_t created, time_t now)
{
    return created <= now && now < dcv_value_expires(created);
}

int dcv_reusable(time_t validated_at, time_t now) { return policy_dcv_reusable(validated_at, now); }

static int email_local_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < DCV_EMAIL_LOCALS; i++)
        if (strlen(email_locals[i]) == n && strncmp(p, email_locals[i], n) == 0)
            return 1;
    return 0;
}

int dcv_method_well_formed(const char *m)
{
    int k = dcv_method_parse(m);
    if (k == DCV_DNS_TXT || k == DCV_HTTP_FILE)
        return 1;
    if (k != DCV_EMAIL || strncmp(m, "email:", 6) != 0)
        return 0;
    const char *local = m + 6, *at = strchr(local, '@');
    return email_local_ok(local, at ? (size_t)(at - local) : strlen(local)) &&
           (at == NULL || at[1] != '\0');
}

/* ---- names ---- */

int dcv_adns(const char *name, char (*adns)[256], size_t max)
{
    char low[256];
    if (name == NULL)
        return -SM_E_INVALID;
    if (strncmp(name, "*.", 2) == 0)
        name += 2;
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len >= sizeof low)
        return -SM_E_INVALID;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        if (ch == '.' && (i == 0 || name[i - 1] == '.'))
            return -SM_E_INVALID;
    }
    low[len] = '\0';
    const char *reg = names_registrable_domain(low);
    if (reg == NULL)
        return -SM_E_INVALID;
    size_t n = 0;
    const char *p = low;
    while (n < max) {
        memcpy(adns[n], p, strlen(p) + 1);
        n++;
        if (p == reg || strcmp(p, reg) == 0)
            break;
        const char *dot = strchr(p, '.');
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    return (int)n;
}

int dcv_covers(const char *adn, const char *name)
{
    if (strncmp(name, "*.", 2) == 0)
        name += 2;
    size_t a = strlen(adn), b = strlen(name);
    if (a == 0 || b < a || strcasecmp(name + (b - a), adn) != 0)
        return 0;
    return b == a || name[b - a - 1] == '.';
}

int dcv_email_addresses(const char *name, char (*addrs)[320], size_t max)
{
    const char *const *locals = email_locals;
    char adns[DCV_ADN_MAX][256];
    int n = dcv_adns(name, adns, DCV_ADN_MAX);
    if (n < 0)
        return n;
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < DCV_EMAIL_LOCALS && k < max; j++)
            snprintf(addrs[k++], 320, "%s@%.255s", locals[j], adns[i]);
    return (int)k;
}

int dcv_method_for_name(const char *method, const char *name, char *out, size_t n)
{
    char adns[DCV_ADN_MAX][256];
    int k = dcv_adns(name, adns, DCV_ADN_MAX);
    int m = dcv_method_parse(method);
    int len = -1;
    if (k <= 0 || !dcv_method_applies(m, name))
        return -1;
    if (m == DCV_DNS_TXT || m == DCV_HTTP_FILE)
        len = snprintf(out, n, "%s", methods[m].name);
    if (m != DCV_EMAIL || strncmp(method, "email:", 6) != 0) /* ACME methods: ACME orders */
        return len < 0 || (size_t)len >= n ? -1 : 0;
    const char *local = method + 6, *at = strchr(local, '@');
    if (!email_local_ok(local, at ? (size_t)(at - local) : strlen(local)))
        return -1;
    int pick = at == NULL ? 0 : -1; /* LOCAL alone: at the name itself */
    for (int i = 0; at != NULL && i < k; i++)
        if (strcasecmp(at + 1, adns[i]) == 0)
            pick = i;
    if (pick < 0)
        return -1;
    len = snprintf(out, n, "%s:%.*s@%s", methods[DCV_EMAIL].name,
                   (int)(at ? (size_t)(at - local) : strlen(local)), local, adns[pick]);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

int dcv_email_address(const char *stored, const char *name, char *out, size_t n)
{
    if (dcv_method_parse(stored) != DCV_EMAIL || strncmp(stored, "email:", 6) != 0)
        return -1;
    const char *local = stored + 6;
    int len;
    if (strchr(local, '@') != NULL) {
        len = snprintf(out, n, "%s", local);
    } else { /* rows of older versions: the link went to the registrable domain */
        char adns[DCV_ADN_MAX][256];
        int k = dcv_adns(name, adns, DCV_ADN_MAX);
        if (k <= 0)
            return -1;
        len = snprintf(out, n, "%s@%s", local, adns[k - 1]);
    }
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

int dcv_covers_evidence(int method, const char *adn, const char *name)
{
    if (method < 0 || adn == NULL || adn[0] == '\0' || name == NULL)
        return 0;
    if (method == DCV_HTTP_FILE || method == DCV_ACME_HTTP01 || method == DCV_ACME_TLSALPN01)
        return strncmp(name, "*.", 2) != 0 && strcasecmp(adn, name) == 0;
    return dcv_covers(adn, name);
}

int dcv_http_file_name(const char *value, char *out, size_t n)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[17];
    if (n < 32 || sodium_init() < 0)
        return -SM_E_INVALID;
    crypto_hash_sha256(h, (const unsigned char *)value, strlen(value));
    sodium_bin2hex(hex, sizeof hex, h, 8);
    snprintf(out, n, "shomei-%s.txt", hex);
    return 0;
}

int dcv_http_file_ok(const char *file, const char *value)
{
    size_t n = file ? strlen(file) : 0;
    if (n == 0 || n > 64 || file[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = file[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return value == NULL || *value == '\0' || strstr(file, value) == NULL;
}

void dcv_result_free(struct dcv_result *r)
{
    if (r == NULL)
        return;
    free(r->evidence);
    r->evidence = NULL;
}

/* ---- checks ---- */

static json_t *evidence_new(int method, const char *adn, time_t now)
{
    char at[32];
    clock_format_utc(now, at, sizeof at);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "method", dcv_method_name(method), "br_section",
                     dcv_method_br_section(method), "br_version", policy_br_version(now), "domain",
                     adn, "at", at);
}

/* Sets the outcome, adds it to ev and serializes ev into r->evidence (ev is consumed). */
static int finish(struct dcv_result *r, json_t *ev, const char *reason, const char *detail)
{
    r->ok = reason == NULL;
    r->reason = reason;
    snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
    if (ev == NULL)
        return -SM_E_NOMEM;
    if (json_object_set_new(ev, "result", json_string(r->ok ? "ok" : "fail")) < 0 ||
        (reason != NULL && json_object_set_new(ev, "reason", json_string(reason)) < 0) ||
        (detail != NULL && *detail && json_object_set_new(ev, "detail", json_string(detail)) < 0)) {
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    r->evidence = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    return r->evidence != NULL ? 0 : -SM_E_NOMEM;
}

static const char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* The TXT check of method m at label.adn (DCV_DNS_TXT, DCV_ACME_DNS01), here only. */
static int check_txt(struct dns *d, int m, const char *label, const char *adn, const char *value,
                     time_t now, struct dcv_result *r)
{
    char qname[300], txt[1024], detail[256];
    memset(r, 0, sizeof *r);
    json_t *ev = evidence_new(m, adn, now);
    snprintf(qname, sizeof qname, "%s.%s", label, adn);
    if (ev == NULL || json_object_set_new(ev, "query", json_string(qname)) < 0 ||
        json_object_set_new(ev, "type", json_string("TXT")) < 0) {
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    if (value == NULL || *value == '\0')
        return finish(r, ev, "dcv.value_missing", "no random value");

    struct dns_answer a;
    if (dns_lookup(d, qname, DNS_TXT, &a) < 0) {
        if (a.status == -SM_E_NOMEM) {
            json_decref(ev);
            return -SM_E_NOMEM;
        }
        return finish(r, ev, "dcv.dns.lookup_failed", "no answer from the resolver");
    }
    json_t *answers = json_array();
    int match = 0;
    for (size_t i = 0; answers != NULL && i < a.n; i++) {
        if (dns_txt_string(a.rr[i], a.len[i], txt, sizeof txt) < 0)
            continue;
        json_array_append_new(answers, json_string(txt));
        const char *t = trim(txt);
        if (strlen(t) == strlen(value) && sodium_memcmp(t, value, strlen(value)) == 0)
            match = 1;
    }
    json_object_set_new(ev, "rcode", json_string(dns_rcode_name(a.rcode)));
    json_object_set_new(ev, "dnssec", json_string(dns_security_name(a.security)));
    if (a.canonical[0])
        json_object_set_new(ev, "canonical", json_string(a.canonical));
    if (a.why_bogus[0])
        json_object_set_new(ev, "why_bogus", json_string(a.why_bogus));
    if (answers == NULL || json_object_set_new(ev, "answers", answers) < 0) {
        dns_answer_free(&a);
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    int security = a.security, rcode = a.rcode;
    size_t n = a.n;
    dns_answer_free(&a);
    if (security == DNS_BOGUS)
        return finish(r, ev, "dcv.dns.bogus", "DNSSEC validation failed");
    if (rcode != 0 && rcode != 3) {
        snprintf(detail, sizeof detail, "resolver answered %s", dns_rcode_name(rcode));
        return finish(r, ev, "dcv.dns.lookup_failed", detail);
    }
    if (n == 0)
        return finish(r, ev, "dcv.dns.not_found", "no TXT record at the validation name");
    if (!match)
        return finish(r, ev, "dcv.dns.mismatch", "no TXT record holds the random value");
    return finish(r, ev, NULL, "a TXT record holds the random value");
}

static int check_dns_here(struct dns *d, const char *adn, const char *value, time_t now,
                          struct dcv_result *r)
{
    return check_txt(d, DCV_DNS_TXT, DCV_DNS_LABEL, adn, value, now, r);
}

static int check_acme_dns_here(struct dns *d, const char *name, const char *digest, time_t now,
                               struct dcv_result *r)
{
    return check_txt(d, DCV_ACME_DNS01, DCV_ACME_DNS_LABEL, name, digest, now, r);
}

static json_t *hops_json(const struct fetch_result *f)
{
    json_t *hops = json_array();
    for (size_t i = 0; hops != NULL && i < f->nhops; i++) {
        const struct fetch_hop *h = &f->hops[i];
        json_t *o = json_pack("{s:s, s:I}", "url", h->url, "status", (json_int_t)h->status);
        if (o == NULL || json_array_append_new(hops, o) < 0) {
            json_decref(hops);
            return NULL;
        }
        if (h->address[0])
            json_object_set_new(o, "address", json_string(h->address));
        if (h->dnssec[0])
            json_object_set_new(o, "dnssec", json_string(h->dnssec));
    }
    return hops;
}

/* Static reason codes of the web-page method, one per fetch reason. */
static const char *const http_reasons[] = {
    "dcv.http.url_invalid",        "dcv.http.scheme",          "dcv.http.port",
    "dcv.http.dns_bogus",          "dcv.http.dns_failed",      "dcv.http.no_address",
    "dcv.http.address_refused",    "dcv.http.timeout",         "dcv.http.connect_failed",
    "dcv.http.too_large",          "dcv.http.redirect_status", "dcv.http.redirect_invalid",
    "dcv.http.too_many_redirects", "dcv.http.status",
};

static const char *reason_key_static(const char *key)
{
    for (size_t i = 0; i < sizeof http_reasons / sizeof http_reasons[0]; i++)
        if (strcmp(key, http_reasons[i]) == 0)
            return http_reasons[i];
    return "dcv.http.failed";
}

/* The fetch of method m (DCV_HTTP_FILE: the body holds value; DCV_ACME_HTTP01: the body,
 * trailing white space removed, is value) of http://adn[:port]<path><file>; ev consumed. */
static int check_fetch(const struct fetch_opts *o, int m, json_t *ev, const char *adn,
                       const char *path, const char *file, const char *value, time_t now,
                       struct dcv_result *r)
{
    char url[512], reason_key[48];
    (void)now;
    /* The authorized port is implied for port 80; another (test) port is written out. */
    if (o->http_port == 80)
        snprintf(url, sizeof url, "http://%s%s%s", adn, path, file);
    else
        snprintf(url, sizeof url, "http://%s:%d%s%s", adn, o->http_port, path, file);
    if (json_object_set_new(ev, "url", json_string(url)) < 0) {
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    struct fetch_result f;
    int rc = fetch_get(o, url, &f);
    if (rc < 0) {
        fetch_result_free(&f);
        json_decref(ev);
        return rc;
    }
    json_t *hops = hops_json(&f);
    if (hops == NULL || json_object_set_new(ev, "hops", hops) < 0) {
        fetch_result_free(&f);
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    if (rc == 1) {
        /* fetch.X → dcv.http.X: the fetch reason names what went wrong. */
        snprintf(reason_key, sizeof reason_key, "dcv.http.%s", f.reason + strlen("fetch."));
        const char *key = reason_key_static(reason_key);
        char detail[256];
        snprintf(detail, sizeof detail, "%s", f.detail);
        fetch_result_free(&f);
        return finish(r, ev, key, detail);
    }
    size_t vl = strlen(value), bl = f.body_len;
    int found;
    if (m == DCV_ACME_HTTP01) { /* RFC 8555 8.3: trailing white space aside, equal */
        while (bl > 0 && (f.body[bl - 1] == ' ' || f.body[bl - 1] == '\t' ||
                          f.body[bl - 1] == '\r' || f.body[bl - 1] == '\n'))
            bl--;
        found = bl == vl && sodium_memcmp(f.body, value, vl) == 0;
    } else {
        found = bl >= vl && memmem(f.body, bl, value, vl) != NULL;
    }
    json_object_set_new(ev, "body_bytes", json_integer((json_int_t)f.body_len));
    fetch_result_free(&f);
    if (!found)
        return finish(r, ev, "dcv.http.mismatch", "the file does not hold the random value");
    return finish(r, ev, NULL, "the file holds the random value");
}

static int check_http_here(const struct fetch_opts *o, const char *adn, const char *value,
                           const char *file, time_t now, struct dcv_result *r)
{
    char name[80];
    memset(r, 0, sizeof *r);
    json_t *ev = evidence_new(DCV_HTTP_FILE, adn, now);
    if (ev == NULL)
        return -SM_E_NOMEM;
    if (value == NULL || *value == '\0')
        return finish(r, ev, "dcv.value_missing", "no random value");
    if (file == NULL) {
        dcv_http_file_name(value, name, sizeof name);
        file = name;
    } else if (!dcv_http_file_ok(file, value)) {
        return finish(r, ev, "dcv.http.file_name", "file name not acceptable");
    }
    return check_fetch(o, DCV_HTTP_FILE, ev, adn, DCV_HTTP_PATH, file, value, now, r);
}

static int check_acme_http_here(const struct fetch_opts *o, const char *name, const char *token,
                                const char *key_auth, time_t now, struct dcv_result *r)
{
    memset(r, 0, sizeof *r);
    json_t *ev = evidence_new(DCV_ACME_HTTP01, name, now);
    if (ev == NULL)
        return -SM_E_NOMEM;
    if (key_auth == NULL || *key_auth == '\0' || token == NULL ||
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            strlen(token) ||
        *token == '\0')
        return finish(r, ev, "dcv.value_missing", "no token or key authorization");
    return check_fetch(o, DCV_ACME_HTTP01, ev, name, DCV_ACME_HTTP_PATH, token, key_auth, now, r);
}

/* The tls-alpn-01 certificate rules (RFC 8737 3): a subjectAltName with exactly one
 * entry, the dNSName name; the acmeIdentifier extension critical, its value the DER
 * OCTET STRING of SHA-256(key authorization). NULL when it passes, else the reason. */
static const char *alpn_cert_problem(const unsigned char *der, size_t len, const char *name,
                                     const char *key_auth, char *detail, size_t dn)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    const char *why = NULL;
    if (x == NULL) {
        snprintf(detail, dn, "the certificate presented cannot be parsed");
        return "dcv.tls.certificate";
    }
    int crit = -1;
    GENERAL_NAMES *gn = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    int nsan = gn ? sk_GENERAL_NAME_num(gn) : 0;
    const GENERAL_NAME *g = nsan == 1 ? sk_GENERAL_NAME_value(gn, 0) : NULL;
    const ASN1_IA5STRING *dns = g && g->type == GEN_DNS ? g->d.dNSName : NULL;
    if (dns == NULL || (size_t)ASN1_STRING_length(dns) != strlen(name) ||
        strncasecmp((const char *)ASN1_STRING_get0_data(dns), name, strlen(name)) != 0) {
        snprintf(detail, dn, "the subjectAltName must be the one dNSName %.200s (%d entries)", name,
                 nsan);
        why = "dcv.tls.san";
    }
    GENERAL_NAMES_free(gn);
    ASN1_OBJECT *oid = why ? NULL : OBJ_txt2obj(DCV_ACME_IDENTIFIER_OID, 1);
    int at = oid ? X509_get_ext_by_OBJ(x, oid, -1) : -1;
    X509_EXTENSION *ext = at >= 0 ? X509_get_ext(x, at) : NULL;
    if (why == NULL && ext == NULL) {
        snprintf(detail, dn, "no acmeIdentifier extension (%s)", DCV_ACME_IDENTIFIER_OID);
        why = "dcv.tls.no_identifier";
    } else if (why == NULL && X509_get_ext_by_OBJ(x, oid, at) >= 0) {
        snprintf(detail, dn, "more than one acmeIdentifier extension");
        why = "dcv.tls.no_identifier";
    } else if (why == NULL && !X509_EXTENSION_get_critical(ext)) {
        snprintf(detail, dn, "the acmeIdentifier extension is not critical");
        why = "dcv.tls.not_critical";
    } else if (why == NULL) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)key_auth, strlen(key_auth));
        const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
        const unsigned char *q = ASN1_STRING_get0_data(v);
        long vl = ASN1_STRING_length(v);
        ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &q, vl);
        if (inner == NULL || q != ASN1_STRING_get0_data(v) + vl ||
            ASN1_STRING_length(inner) != (int)sizeof h ||
            sodium_memcmp(ASN1_STRING_get0_data(inner), h, sizeof h) != 0) {
            snprintf(detail, dn,
                     "the acmeIdentifier is not the OCTET STRING of SHA-256 of the key "
                     "authorization");
            why = "dcv.tls.mismatch";
        }
        ASN1_OCTET_STRING_free(inner);
    }
    ASN1_OBJECT_free(oid);
    X509_free(x);
    return why;
}

/* tls.X / target.X of net/tlscheck -> the static reason of the check. */
static const char *alpn_reason(const char *r)
{
    static const struct {
        const char *from, *to;
    } map[] = {
        {"target.invalid", "dcv.tls.name"},
        {"target.dns", "dcv.tls.dns_failed"},
        {"target.dns_bogus", "dcv.tls.dns_bogus"},
        {"target.refused", "dcv.tls.address_refused"},
        {"tls.no_answer", "dcv.tls.connect_failed"},
        {"tls.no_tls", "dcv.tls.handshake"},
        {"tls.alpn", "dcv.tls.alpn"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(r, map[i].from) == 0)
            return map[i].to;
    return "dcv.tls.handshake";
}

static int check_acme_tlsalpn_here(const struct fetch_opts *o, const char *name,
                                   const char *key_auth, time_t now, struct dcv_result *r)
{
    memset(r, 0, sizeof *r);
    json_t *ev = evidence_new(DCV_ACME_TLSALPN01, name, now);
    if (ev == NULL)
        return -SM_E_NOMEM;
    if (key_auth == NULL || *key_auth == '\0')
        return finish(r, ev, "dcv.value_missing", "no key authorization");
    if (json_object_set_new(ev, "port", json_integer(o->tls_alpn_port)) < 0 ||
        json_object_set_new(ev, "alpn", json_string(DCV_ACME_TLS_ALPN)) < 0 ||
        json_object_set_new(ev, "servername", json_string(name)) < 0) {
        json_decref(ev);
        return -SM_E_NOMEM;
    }
    struct tlscheck_result t;
    int rc = tlscheck_alpn(o, name, o->tls_alpn_port, DCV_ACME_TLS_ALPN, &t);
    if (rc < 0) {
        tlscheck_result_free(&t);
        json_decref(ev);
        return rc;
    }
    if (t.address[0])
        json_object_set_new(ev, "address", json_string(t.address));
    if (t.dnssec[0])
        json_object_set_new(ev, "dnssec", json_string(t.dnssec));
    if (t.version[0])
        json_object_set_new(ev, "tls_version", json_string(t.version));
    char detail[256];
    const char *why = NULL;
    if (rc == 1) {
        why = alpn_reason(t.reason);
        snprintf(detail, sizeof detail, "%s", t.detail);
    } else {
        unsigned char fp[crypto_hash_sha256_BYTES];
        char hex[2 * sizeof fp + 1];
        crypto_hash_sha256(fp, t.der[0], t.der_len[0]);
        sodium_bin2hex(hex, sizeof hex, fp, sizeof fp);
        json_object_set_new(ev, "certificate_sha256", json_string(hex));
        why = alpn_cert_problem(t.der[0], t.der_len[0], name, key_auth, detail, sizeof detail);
    }
    tlscheck_result_free(&t);
    if (why != NULL)
        return finish(r, ev, why, detail);
    return finish(r, ev, NULL, "the acme-tls/1 certificate holds the key authorization");
}

/* R-VAL-8: a check that passes here is corroborated by the remote perspectives (ra/mpic)
 * before it counts; every caller of the portal's methods (portal, API, CLI) goes through
 * these two, and ACME's challenges through the two after them. */
int dcv_check_dns(struct dns *d, const char *adn, const char *value, time_t now,
                  struct dcv_result *r)
{
    int rc = check_dns_here(d, adn, value, now, r);
    if (rc < 0)
        return rc;
    struct mpic_check q = {.kind = MPIC_DNS_TXT, .name = adn, .value = value};
    return mpic_after(&q, now, &r->ok, &r->reason, r->detail, sizeof r->detail, &r->evidence);
}

int dcv_check_http(const struct fetch_opts *o, const char *adn, const char *value, const char *file,
                   time_t now, struct dcv_result *r)
{
    int rc = check_http_here(o, adn, value, file, now, r);
    if (rc < 0)
        return rc;
    struct mpic_check q = {.kind = MPIC_HTTP_FILE, .name = adn, .value = value, .file = file};
    return mpic_after(&q, now, &r->ok, &r->reason, r->detail, sizeof r->detail, &r->evidence);
}

int dcv_check_acme_dns(struct dns *d, const char *name, const char *digest, time_t now,
                       struct dcv_result *r)
{
    int rc = check_acme_dns_here(d, name, digest, now, r);
    if (rc < 0)
        return rc;
    struct mpic_check q = {.kind = MPIC_ACME_DNS01, .name = name, .value = digest};
    return mpic_after(&q, now, &r->ok, &r->reason, r->detail, sizeof r->detail, &r->evidence);
}

int dcv_check_acme_http(const struct fetch_opts *o, const char *name, const char *token,
                        const char *key_auth, time_t now, struct dcv_result *r)
{
    int rc = check_acme_http_here(o, name, token, key_auth, now, r);
    if (rc < 0)
        return rc;
    struct mpic_check q = {
        .kind = MPIC_ACME_HTTP01, .name = name, .value = key_auth, .file = token};
    return mpic_after(&q, now, &r->ok, &r->reason, r->detail, sizeof r->detail, &r->evidence);
}

int dcv_check_acme_tlsalpn(const struct fetch_opts *o, const char *name, const char *key_auth,
                           time_t now, struct dcv_result *r)
{
    int rc = check_acme_tlsalpn_here(o, name, key_auth, now, r);
    if (rc < 0)
        return rc;
    struct mpic_check q = {.kind = MPIC_ACME_TLSALPN01, .name = name, .value = key_auth};
    return mpic_after(&q, now, &r->ok, &r->reason, r->detail, sizeof r->detail, &r->evidence);
}
