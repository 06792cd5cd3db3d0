/* SPDX-License-Identifier: MIT */
/* Domain control validation rules (R-VAL-1, R-VAL-2, BR 3.2.2.4): methods, their one
 * spelling and which names and dates they are allowed for, random values and their
 * expiry, the constructed e-mail addresses, the DNS TXT check and the web-page file check.
 * The one home of these rules: the portal, the API, ra/validate and the CLI ask here. Each check
 * returns ok/fail, a reason code and an evidence JSON text; storing them (order_domains) is the
 * caller's business. */
#ifndef SM_RA_DCV_H
#define SM_RA_DCV_H
#include <stddef.h>
#include <time.h>

#include "core/err.h"

struct dns;
struct fetch_opts;

enum dcv_method {
    DCV_EMAIL = 0,      /* BR 3.2.2.4.4 constructed e-mail; off from 2028-03-15 */
    DCV_DNS_TXT,        /* BR 3.2.2.4.7 DNS change */
    DCV_HTTP_FILE,      /* BR 3.2.2.4.18 agreed-upon change to website v2 */
    DCV_ACME_HTTP01,    /* BR 3.2.2.4.19, reserved for ACME orders */
    DCV_ACME_DNS01,     /* BR 3.2.2.4.7, reserved for ACME orders */
    DCV_ACME_TLSALPN01, /* BR 3.2.2.4.20, reserved for ACME orders */
    DCV__COUNT
};

/* The one spelling of each method, the same in forms, the API, order_domains.dcv_method,
 * evidence and the CLI: "dns", "http", "email" (stored with its address, "email:LOCAL@ADN"),
 * and RFC 8555's "http-01", "dns-01", "tls-alpn-01" for ACME. "?" for anything else. */
const char *dcv_method_name(int m);
/* The method of a spelling (a stored "email:..." is DCV_EMAIL); -1 for anything else
 * (e.g. "reuse" rows of older versions). */
int dcv_method_parse(const char *name);
const char *dcv_method_br_section(int m); /* "3.2.2.4.7" */
/* RFC 8657 validationmethods label: "http-01", "dns-01", "tls-alpn-01" for ACME, and the
 * CA-specific "ca-email", "ca-dns-txt", "ca-http-file" for ours. */
const char *dcv_method_caa_label(int m);
/* Is this method allowed for this name and date: dcv_method_applies(m, name) and
 * dcv_method_allowed(m, at). */
int dcv_method_allowed_for(int m, const char *name, time_t at);
/* The date half: 1 if the method may be used at `at` (core/policy: e-mail off from
 * 2028-03-15). */
int dcv_method_allowed(int m, time_t at);
/* The name half: 1 if the method can validate name (NULL: some name). Never for an IP
 * address (no BR 3.2.2.5 method here); "http", "http-01" and "tls-alpn-01" never for a
 * wildcard name (BR 3.2.2.4.18, .19, .20). */
int dcv_method_applies(int m, const char *name);

/* The constructed local parts (BR 3.2.2.4.4): admin, administrator, webmaster,
 * hostmaster, postmaster; NULL for i >= DCV_EMAIL_LOCALS. */
#define DCV_EMAIL_LOCALS 5
const char *dcv_email_local(size_t i);

/* 1 if m is a method an order may ask for before its names are known: "dns", "http",
 * "email:LOCAL" or "email:LOCAL@ADN" with LOCAL one of the constructed local parts and a
 * non-empty ADN (whether it fits a name: dcv_method_for_name; ACME methods are for ACME
 * orders). */
int dcv_method_well_formed(const char *m);
/* The stored form of method for name, or -1 when method does not apply to it: "dns";
 * "http" except for wildcard names (BR 3.2.2.4.18); "email:LOCAL@ADN" with LOCAL one of
 * the constructed local parts and ADN one of the Authorization Domain Names of name
 * (lower-cased), where "email:LOCAL" alone means LOCAL at the name itself ("*." removed).
 * out: at least 300 bytes. No date policy here (dcv_method_allowed). */
int dcv_method_for_name(const char *method, const char *name, char *out, size_t n);
/* The address a stored e-mail method writes to: "email:LOCAL@ADN" -> LOCAL@ADN; the
 * "email:LOCAL" of rows of older versions -> LOCAL@registrable domain of name (where
 * those versions sent the link). -1 when stored is not an e-mail method. */
int dcv_email_address(const char *stored, const char *name, char *out, size_t n);
/* 1 if evidence of method shown for adn covers name (R-VAL-2 reuse, issuance): the
 * web-page and ACME http-01 / tls-alpn-01 methods only the exact FQDN adn, never a
 * wildcard (BR 3.2.2.4.18/19/20); the other methods adn and every name under it (a
 * wildcard "*.X" counts as X). */
int dcv_covers_evidence(int method, const char *adn, const char *name);

/* Random values (BR 1.6.1): 24 bytes (192 bits) from libsodium as unpadded base64url,
 * 32 characters. They expire 30 days after creation, or after the reuse period in force
 * at creation when that is shorter (10 days from 2029-03-15; R-VAL-1, R-VAL-2). */
#define DCV_VALUE_BYTES 24
#define DCV_VALUE_LEN   32
#define DCV_VALUE_DAYS  30
/* out: at least DCV_VALUE_LEN + 1 bytes. 0 or -SM_E_CRYPTO. */
int dcv_random_value(char *out, size_t n);
/* 1 if value has the format of dcv_random_value (length and alphabet). */
int dcv_value_well_formed(const char *value);
time_t dcv_value_expires(time_t created);
/* 1 if a value created at `created` may still be used at `now`. */
int dcv_value_usable(time_t created, time_t now);

/* R-VAL-2: a validation done at validated_at may be reused at now (dated reuse period). */
int dcv_reusable(time_t validated_at, time_t now);

/* The Authorization Domain Names of name ("*." stripped), longest first, ending at the
 * registrable domain (public suffix list). Writes up to max names of NAMES_NORM_MAX bytes
 * into adns (a char[max][256] array); returns the count, or -SM_E_INVALID if the name has
 * no registrable domain (a public suffix itself). */
#define DCV_ADN_MAX 16
int dcv_adns(const char *name, char (*adns)[256], size_t max);
/* 1 if a validation of adn covers name (name equals adn or lies under it). */
int dcv_covers(const char *adn, const char *name);

/* The constructed addresses (BR 3.2.2.4.4): admin@, administrator@, webmaster@,
 * hostmaster@, postmaster@ for each ADN of name. Writes up to max into addrs (char[][320])
 * and returns the count (5 per ADN), or -SM_E_INVALID. */
#define DCV_EMAIL_MAX (DCV_EMAIL_LOCALS * DCV_ADN_MAX)
int dcv_email_addresses(const char *name, char (*addrs)[320], size_t max);

/* The DNS TXT method checks the TXT RRset at "_pki-validation.<ADN>" (a label starting
 * with an underscore, BR 3.2.2.4.7 case 2): one record, its strings concatenated and
 * surrounding white space trimmed, must equal the value. */
#define DCV_DNS_LABEL "_pki-validation"
/* The web-page method fetches http://<ADN>/.well-known/pki-validation/<file>; the file
 * name is "shomei-" + 16 hex digits of SHA-256(value) + ".txt" (the value itself must not
 * appear in the request), and the body must contain the value. */
#define DCV_HTTP_PATH "/.well-known/pki-validation/"
/* out: at least 32 bytes. */
int dcv_http_file_name(const char *value, char *out, size_t n);
/* 1 if a caller-chosen file name is acceptable ([A-Za-z0-9._-], 1..64, no leading '.',
 * not containing the value). */
int dcv_http_file_ok(const char *file, const char *value);

struct dcv_result {
    int ok;             /* 1 validated, 0 not */
    const char *reason; /* NULL when ok; stable code, also the i18n key, e.g.
                           "dcv.dns.mismatch" */
    char detail[256];   /* English detail for logs */
    char *evidence;     /* JSON text (malloc'd, free with dcv_result_free) */
};
void dcv_result_free(struct dcv_result *r);

/* Checks the DNS TXT method for adn and value at `now`. Returns 0 with r filled (ok or
 * not), or <0 on allocation failure. A DNSSEC-bogus answer always fails. */
int dcv_check_dns(struct dns *d, const char *adn, const char *value, time_t now,
                  struct dcv_result *r);
/* Checks the web-page method: file NULL = dcv_http_file_name(value). Uses o for limits,
 * allowed addresses, redirects and (o->dns) name resolution. */
int dcv_check_http(const struct fetch_opts *o, const char *adn, const char *value, const char *file,
                   time_t now, struct dcv_result *r);

/* ACME (RFC 8555 8.3, 8.4; issue 10), the same checks with ACME's names and values:
 * http-01 fetches http://<name>/.well-known/acme-challenge/<token> (same limits, address
 * rules and redirects as the web-page method) and the body, trailing white space removed,
 * must equal the key authorization; dns-01 wants a TXT record at "_acme-challenge.<name>"
 * equal to digest, base64url(SHA-256(key authorization)). Evidence as for the portal's
 * methods, with method "http-01" / "dns-01". A pass is corroborated by the remote
 * perspectives (ra/mpic, R-VAL-8) as the portal's methods are. */
#define DCV_ACME_HTTP_PATH "/.well-known/acme-challenge/"
#define DCV_ACME_DNS_LABEL "_acme-challenge"
int dcv_check_acme_http(const struct fetch_opts *o, const char *name, const char *token,
                        const char *key_auth, time_t now, struct dcv_result *r);
int dcv_check_acme_dns(struct dns *d, const char *name, const char *digest, time_t now,
                       struct dcv_result *r);
/* tls-alpn-01 (RFC 8737 3, BR 3.2.2.4.20): a TLS connection to name's addresses (the same
 * address rules as http-01, fetch_resolve) on o->tls_alpn_port with SNI = name and ALPN
 * "acme-tls/1" (net/tlscheck's tlscheck_alpn); the certificate presented must carry a
 * subjectAltName of exactly the one dNSName name and the critical acmeIdentifier extension
 * (DCV_ACME_IDENTIFIER_OID) whose value is the DER OCTET STRING of SHA-256(key_auth).
 * Reasons: dcv.tls.dns_failed, dcv.tls.dns_bogus, dcv.tls.address_refused,
 * dcv.tls.connect_failed, dcv.tls.handshake, dcv.tls.alpn, dcv.tls.certificate,
 * dcv.tls.san, dcv.tls.no_identifier, dcv.tls.not_critical, dcv.tls.mismatch. Evidence:
 * method "tls-alpn-01", port, address, TLS version, the certificate's SHA-256. A pass is
 * corroborated by the perspectives (kind acme-tls-alpn-01). */
#define DCV_ACME_TLS_ALPN       "acme-tls/1"
#define DCV_ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31"
int dcv_check_acme_tlsalpn(const struct fetch_opts *o, const char *name, const char *key_auth,
                           time_t now, struct dcv_result *r);

#endif
