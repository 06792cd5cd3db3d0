/* SPDX-License-Identifier: MIT */
/* Pre-signing linter (R-ISS-3): every rule of the leaf profile (R-ISS-2, BR 7.1.2.7) as a
 * check on the unsigned X509 with a stable id. Reads only; reports every failure instead
 * of stopping at the first. Name syntax rules (BR 7.1.2.7.12) come from pki/names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "core/err.h"
#include "core/policy.h"
#include "core/text.h"
#include "pki/eckey.h"
#include "pki/profile.h"
#include "pki/lint.h"
#include "pki/names.h"

static const struct lint_rule rules[] = {
    {"lint.internal", "R-ISS-3", "the linter could not evaluate the certificate"},
    {"lint.version", "BR 7.1.2.7", "version is not v3"},
    {"lint.serial.negative", "BR 7.1.2.7", "serial number is negative"},
    {"lint.serial.zero", "BR 7.1.2.7", "serial number is zero"},
    {"lint.serial.too_short", "BR 7.1.2.7", "serial number has fewer than 64 bits"},
    {"lint.serial.too_long", "RFC 5280 4.1.2.2", "serial number is longer than 20 octets"},
    {"lint.uid.present", "BR 7.1.2.7", "issuerUniqueID or subjectUniqueID present"},
    {"lint.issuer.mismatch", "BR 7.1.2.7", "issuer differs from the issuing CA's subject"},
    {"lint.validity.encoding", "RFC 5280 4.1.2.5", "UTCTime before 2050, else GeneralizedTime"},
    {"lint.validity.inverted", "RFC 5280 4.1.2.5", "notAfter is before notBefore"},
    {"lint.validity.too_long", "BR 6.3.2", "validity exceeds the maximum in force"},
    {"lint.validity.past_subscription", "R-ISS-2", "notAfter is after the subscription end"},
    {"lint.validity.past_issuer", "BR 7.1.2.7", "notAfter is after the issuer's notAfter"},
    {"lint.short_lived.validity", "BR 7.1.2.11.2", "short-lived certificate valid too long"},
    {"lint.short_lived.crldp", "BR 7.1.2.11.2", "short-lived certificate with a CDP"},
    {"lint.short_lived.ocsp", "BR 7.1.2.11.2", "short-lived certificate with an OCSP URL"},
    {"lint.notbefore.far", "BR 7.1.2.7", "notBefore not within 48 hours before signing"},
    {"lint.notbefore.before_issuer", "RFC 5280 6.1.3", "notBefore is before the issuer's"},
    {"lint.subject.ou_present", "BR 7.1.2.7.4", "organizationalUnitName present"},
    {"lint.subject.attr_unexpected", "R-ISS-2", "subject attribute outside the profile"},
    {"lint.dv.subject_extra_attr", "R-ISS-2", "DV subject carries more than CN and C"},
    {"lint.subject.missing_attr", "BR 7.1.2.7.4", "required subject attribute missing"},
    {"lint.subject.order", "BR 7.1.4.1", "subject attributes out of order"},
    {"lint.subject.multi_value", "BR 7.1.2.7", "multi-valued RDN"},
    {"lint.subject.duplicate_attr", "BR 7.1.2.7", "subject attribute repeated"},
    {"lint.subject.encoding", "BR 7.1.2.7", "wrong string type or characters"},
    {"lint.subject.too_long", "RFC 5280 A.1", "subject attribute over its length limit"},
    {"lint.subject.bad_value", "BR 7.1.2.7", "empty, padded or placeholder value"},
    {"lint.ev.business_category", "EVG 7.1.4.2.3", "businessCategory not an allowed value"},
    {"lint.key.type", "BR 6.1.5", "public key is neither RSA nor ECDSA"},
    {"lint.key.weak", "BR 6.1.5", "RSA < 2048 bits, bad exponent, or curve not P-256/P-384"},
    {"lint.key.encoding", "BR 7.1.3.1", "subjectPublicKeyInfo not in the required encoding"},
    {"lint.key.mismatch", "R-CSR-2", "subjectPublicKeyInfo is not the key of the CSR"},
    {"lint.ext.duplicate", "RFC 5280 4.2", "extension appears twice"},
    {"lint.ext.unknown_critical", "BR 7.1.2.11.5", "unknown critical extension"},
    {"lint.ext.unexpected", "R-ISS-2", "extension outside the profile"},
    {"lint.ext.criticality", "BR 7.1.2.7.6", "extension criticality differs from the profile"},
    {"lint.ext.malformed", "BR 7.1.2.11.5", "extension value does not decode"},
    {"lint.san.missing", "BR 7.1.2.7.12", "subjectAltName missing or empty"},
    {"lint.san.not_dns", "R-ISS-2", "subjectAltName entry that is not a dNSName"},
    {"lint.san.duplicate", "R-ISS-2", "subjectAltName entry repeated"},
    {"lint.san.mismatch", "R-ISS-2", "subjectAltName differs from the vetted names"},
    {"lint.san.missing_cn", "BR 7.1.2.7.4", "CN is not one of the subjectAltName entries"},
    {"lint.name.invalid", "BR 7.1.2.7.12", "dNSName not a valid public FQDN"},
    {"lint.ev.wildcard", "BR 7.1.2.7.12", "wildcard name in an EV certificate"},
    {"lint.eku.missing", "BR 7.1.2.7.10", "extKeyUsage missing"},
    {"lint.eku.not_serverauth", "BR 7.1.2.7.10", "extKeyUsage lacks serverAuth"},
    {"lint.eku.extra", "R-ISS-2", "extKeyUsage has purposes besides serverAuth"},
    {"lint.ku.missing", "R-ISS-2", "keyUsage missing"},
    {"lint.ku.wrong", "BR 7.1.2.7.11", "keyUsage bits differ from the profile for the key"},
    {"lint.bc.missing", "R-ISS-2", "basicConstraints missing"},
    {"lint.bc.ca_true", "BR 7.1.2.7.8", "basicConstraints cA true or pathLen present"},
    {"lint.bc.encoding", "BR 7.1.2.7.8", "basicConstraints value is not 3000"},
    {"lint.aki.missing", "BR 7.1.2.11.1", "authorityKeyIdentifier missing"},
    {"lint.aki.mismatch", "BR 7.1.2.11.1", "AKI keyid differs from the issuer SKI"},
    {"lint.ski.present", "BR 7.1.2.11.4", "subjectKeyIdentifier present (not recommended)"},
    {"lint.aia.missing", "BR 7.1.2.7.7", "authorityInformationAccess or caIssuers missing"},
    {"lint.aia.bad", "BR 7.1.2.7.7", "AIA entry with wrong method, type or URL"},
    {"lint.aia.ocsp_missing", "R-ISS-2", "OCSP enabled but no OCSP URL in the AIA"},
    {"lint.crldp.missing", "R-ISS-2", "cRLDistributionPoints missing"},
    {"lint.crldp.bad", "BR 7.1.2.11.2", "CRL distribution point malformed or wrong URL"},
    {"lint.policy.missing", "BR 7.1.2.7.9", "certificatePolicies missing"},
    {"lint.policy.wrong_oid", "BR 7.1.2.7.9", "policy OIDs differ from the level's CA/B OID"},
    {"lint.policy.cps", "R-ISS-2", "CPS qualifier missing, wrong or with other qualifiers"},
    {"lint.sigalg.bad", "BR 7.1.3.2", "signature algorithm not allowed for the issuer key"},
    {"lint.sigalg.mismatch", "BR 7.1.2.7", "tbs and outer signature algorithms differ"},
    {"lint.sigalg.unknown", "BR 7.1.3.2", "unsigned certificate and no signing digest given"},
};

const struct lint_rule *lint_rules(size_t *n)
{
    *n = sizeof rules / sizeof rules[0];
    return rules;
}

struct lint {
    const struct lint_ctx *ctx;
    struct lint_report *out;
    const X509 *x;
    int subject_empty;
    const ASN1_STRING *cn; /* first CN, for the SAN check */
};

static void add(struct lint *l, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(struct lint *l, const char *id, const char *fmt, ...)
{
    struct lint_report *r = l->out;
    if (r->n >= LINT_MAX_FINDINGS) {
        r->truncated = 1;
        return;
    }
    struct lint_finding *f = &r->f[r->n++];
    f->id = id;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
}

/* Lower-case hex of a DER encoding, for exact-encoding comparisons. 0 or -1. */
static int der_hex(const unsigned char *der, int len, char *out, size_t n)
{
    if (len < 0 || (size_t)len * 2 + 1 > n)
        return -1;
    text_hex(out, der, (size_t)len);
    return 0;
}

static int algor_hex(const X509_ALGOR *a, char *out, size_t n)
{
    unsigned char *der = NULL;
    int len = i2d_X509_ALGOR(a, &der);
    int rc = len > 0 ? der_hex(der, len, out, n) : -1;
    OPENSSL_free(der);
    return rc;
}

static int ia5_text(const ASN1_STRING *s, char *out, size_t n)
{
    int len = s ? ASN1_STRING_length(s) : -1;
    if (len < 0 || (size_t)len >= n)
        return -1;
    memcpy(out, ASN1_STRING_get0_data(s), (size_t)len);
    out[len] = '\0';
    if (strlen(out) != (size_t)len)
        return -1; /* embedded NUL */
    return 0;
}

static int is_http(const char *u) { return strncmp(u, "http://", 7) == 0 && u[7] != '\0'; }

/* ---- fields ---- */

static void check_basics(struct lint *l)
{
    if (X509_get_version(l->x) != X509_VERSION_3)
        add(l, "lint.version", "version field %ld", X509_get_version(l->x));
    const ASN1_BIT_STRING *iuid = NULL, *suid = NULL;
    X509_get0_uids(l->x, &iuid, &suid);
    if (iuid != NULL || suid != NULL)
        add(l, "lint.uid.present", "unique identifier present");

    const ASN1_INTEGER *sn = X509_get0_serialNumber(l->x);
    BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
    if (bn == NULL) {
        add(l, "lint.internal", "serial number unreadable");
    } else if (BN_is_negative(bn)) {
        add(l, "lint.serial.negative", "negative serial");
    } else if (BN_is_zero(bn)) {
        add(l, "lint.serial.zero", "serial is 0");
    } else {
        int bytes = BN_num_bytes(bn) + (BN_num_bits(bn) % 8 == 0 ? 1 : 0); /* + sign octet */
        if (BN_num_bits(bn) < 64)
            add(l, "lint.serial.too_short", "%d bits", BN_num_bits(bn));
        if (bytes > PROFILE_SERIAL_MAX)
            add(l, "lint.serial.too_long", "%d octets", bytes);
    }
    BN_free(bn);

    const unsigned char *a, *b;
    size_t alen, blen;
    if (!X509_NAME_get0_der(X509_get_issuer_name(l->x), &a, &alen) ||
        !X509_NAME_get0_der(X509_get_subject_name(l->ctx->issuer), &b, &blen))
        add(l, "lint.internal", "issuer name unreadable");
    else if (alen != blen || memcmp(a, b, alen) != 0)
        add(l, "lint.issuer.mismatch", "issuer name is not the CA's subject byte for byte");
}

/* Time and encoding check of one validity field; 0 with *t, or -1 (finding added). */
static int read_time(struct lint *l, const ASN1_TIME *at, const char *which, time_t *t)
{
    struct tm tm;
    if (at == NULL || !ASN1_TIME_to_tm(at, &tm)) {
        add(l, "lint.validity.encoding", "%s unreadable", which);
        return -1;
    }
    *t = timegm(&tm);
    int year = tm.tm_year + 1900, len = ASN1_STRING_length(at);
    const unsigned char *d = ASN1_STRING_get0_data(at);
    int utc = ASN1_STRING_type(at) == V_ASN1_UTCTIME;
    int ok = utc ? (year < 2050 && len == 13) : (year >= 2050 && len == 15);
    if (!ok || d[len - 1] != 'Z')
        add(l, "lint.validity.encoding", "%s: %s of %d chars for %d", which,
            utc ? "UTCTime" : "GeneralizedTime", len, year);
    return 0;
}

static void check_validity(struct lint *l)
{
    const struct lint_ctx *c = l->ctx;
    time_t nb, na;
    if (read_time(l, X509_get0_notBefore(l->x), "notBefore", &nb) < 0 ||
        read_time(l, X509_get0_notAfter(l->x), "notAfter", &na) < 0)
        return;
    int max = policy_max_validity_days(c->now);
    if (na < nb)
        add(l, "lint.validity.inverted", "notAfter before notBefore");
    else if (!policy_validity_fits(nb, na, max))
        add(l, "lint.validity.too_long", "%lld s > %d days (%s)", policy_validity_seconds(nb, na),
            max, policy_br_version(c->now));
    if (c->short_lived && !policy_validity_fits(nb, na, PROFILE_SHORT_LIVED_DAYS))
        add(l, "lint.short_lived.validity", "%lld s > %d days", policy_validity_seconds(nb, na),
            PROFILE_SHORT_LIVED_DAYS);
    if (c->subscription_end != 0 && na > c->subscription_end)
        add(l, "lint.validity.past_subscription", "notAfter %lld s past the subscription",
            (long long)(na - c->subscription_end));
    time_t ia;
    struct tm tm;
    if (!ASN1_TIME_to_tm(X509_get0_notAfter(c->issuer), &tm))
        add(l, "lint.internal", "issuer notAfter unreadable");
    else if (na > (ia = timegm(&tm)))
        add(l, "lint.validity.past_issuer", "notAfter %lld s past the issuer's",
            (long long)(na - ia));
    if (nb < c->now - 48 * 3600 || nb > c->now)
        add(l, "lint.notbefore.far", "notBefore is %lld s from signing", (long long)(nb - c->now));
    time_t ib;
    if (!ASN1_TIME_to_tm(X509_get0_notBefore(c->issuer), &tm))
        add(l, "lint.internal", "issuer notBefore unreadable");
    else if (nb < (ib = timegm(&tm)))
        add(l, "lint.notbefore.before_issuer", "notBefore %lld s before the issuer's",
            (long long)(ib - nb));
}

/* ---- subject ---- */

static const struct {
    int nid;
    int group;     /* BR 7.1.4.1 relative order; 0 = EV attribute, any position */
    int printable; /* must be PrintableString */
    size_t maxchars;
    int levels; /* bit per enum cert_level */
} subject_attrs[] = {
    {NID_countryName, 1, 1, 2, 7},
    {NID_stateOrProvinceName, 2, 0, 128, 6},
    {NID_localityName, 3, 0, 128, 6},
    {NID_organizationName, 4, 0, 64, 6},
    {NID_commonName, 5, 0, 64, 7},
    {NID_businessCategory, 0, 0, 128, 4},
    {NID_jurisdictionCountryName, 0, 1, 2, 4},
    {NID_jurisdictionStateOrProvinceName, 0, 0, 128, 4},
    {NID_jurisdictionLocalityName, 0, 0, 128, 4},
    {NID_serialNumber, 0, 1, 64, 4},
};
#define NATTRS (sizeof subject_attrs / sizeof subject_attrs[0])

static void check_value(struct lint *l, size_t k, const ASN1_STRING *v)
{
    int nid = subject_attrs[k].nid, type = ASN1_STRING_type(v);
    const char *sn = OBJ_nid2sn(nid);
    const unsigned char *d = ASN1_STRING_get0_data(v);
    size_t len = (size_t)ASN1_STRING_length(v);
    int printable = type == V_ASN1_PRINTABLESTRING;
    if (!printable && (subject_attrs[k].printable || type != V_ASN1_UTF8STRING)) {
        add(l, "lint.subject.encoding", "%s has ASN.1 string type %d", sn, type);
        return;
    }
    switch (profile_text_check(d, len, printable, subject_attrs[k].maxchars)) {
    case PROFILE_TEXT_OK: break;
    case PROFILE_TEXT_ENCODING: add(l, "lint.subject.encoding", "%s characters", sn); return;
    case PROFILE_TEXT_TOO_LONG: add(l, "lint.subject.too_long", "%s", sn); return;
    case PROFILE_TEXT_BAD_VALUE: add(l, "lint.subject.bad_value", "%s", sn); return;
    }
    if ((nid == NID_countryName || nid == NID_jurisdictionCountryName) &&
        (len != 2 || d[0] < 'A' || d[0] > 'Z' || d[1] < 'A' || d[1] > 'Z'))
        add(l, "lint.subject.encoding", "%s is not an alpha-2 code", sn);
    if (nid == NID_businessCategory) {
        static const char *const ok[] = {"Private Organization", "Government Entity",
                                         "Business Entity", "Non-Commercial Entity"};
        int found = 0;
        for (size_t i = 0; i < 4; i++)
            found |= strlen(ok[i]) == len && memcmp(ok[i], d, len) == 0;
        if (!found)
            add(l, "lint.ev.business_category", "%.*s", (int)len, (const char *)d);
    }
}

static void check_subject(struct lint *l)
{
    const X509_NAME *name = X509_get_subject_name(l->x);
    int count = X509_NAME_entry_count(name), last_set = -1, last_group = 0;
    int level_bit = 1 << l->ctx->level;
    unsigned seen = 0;
    l->subject_empty = count == 0;
    for (int i = 0; i < count; i++) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
        int set = X509_NAME_ENTRY_set(ne);
        if (set == last_set)
            add(l, "lint.subject.multi_value", "RDN %d has several attributes", set);
        last_set = set;
        if (nid == NID_organizationalUnitName) {
            add(l, "lint.subject.ou_present", "OU in subject");
            continue;
        }
        size_t k = 0;
        while (k < NATTRS && subject_attrs[k].nid != nid)
            k++;
        if (k == NATTRS || !(subject_attrs[k].levels & level_bit)) {
            const char *sn = nid == NID_undef ? "unknown" : OBJ_nid2sn(nid);
            if (l->ctx->level == LEVEL_DV)
                add(l, "lint.dv.subject_extra_attr", "%s in a DV subject", sn);
            else
                add(l, "lint.subject.attr_unexpected", "%s", sn);
            continue;
        }
        if (seen & (1u << k)) {
            add(l, "lint.subject.duplicate_attr", "%s repeated", OBJ_nid2sn(nid));
            continue;
        }
        seen |= 1u << k;
        if (subject_attrs[k].group != 0) {
            if (subject_attrs[k].group < last_group)
                add(l, "lint.subject.order", "%s after a later attribute", OBJ_nid2sn(nid));
            else
                last_group = subject_attrs[k].group;
        }
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(ne);
        if (nid == NID_commonName)
            l->cn = v;
        check_value(l, k, v);
    }
    if (l->ctx->level == LEVEL_DV)
        return;
    /* OV/EV: C, O and L or ST (BR 7.1.2.7.4); EV adds EVG 7.1.4.2 attributes. */
    static const int need_ov[] = {NID_countryName, NID_organizationName};
    static const int need_ev[] = {NID_businessCategory, NID_jurisdictionCountryName,
                                  NID_serialNumber};
    for (size_t k = 0; k < NATTRS; k++) {
        int nid = subject_attrs[k].nid, need = 0;
        for (size_t j = 0; j < 2; j++)
            need |= nid == need_ov[j];
        for (size_t j = 0; l->ctx->level == LEVEL_EV && j < 3; j++)
            need |= nid == need_ev[j];
        if (need && !(seen & (1u << k)))
            add(l, "lint.subject.missing_attr", "%s missing", OBJ_nid2sn(nid));
    }
    if (!(seen & (1u << 1)) && !(seen & (1u << 2))) /* ST, L */
        add(l, "lint.subject.missing_attr", "L or ST missing");
}

/* ---- names (BR 7.1.2.7.12) ---- */

/* NULL when the dNSName is fine as it stands in the certificate; else the reason. A
 * notice from pki/names (e.g. upper case that it would lower-case) is a failure here:
 * the certificate must already hold the normalized form. */
static const char *name_problem(const char *n, int allow_wildcard, char *why, size_t whylen)
{
    char norm[NAMES_NORM_MAX];
    struct names_problem p = {0};
    int rc = names_check_dns(n, allow_wildcard, norm, &p);
    if (rc < 0)
        snprintf(why, whylen, "name check unavailable");
    else if (rc > 0 || p.code != NULL)
        snprintf(why, whylen, "%s", p.code ? p.code : "rejected");
    else if (strcmp(norm, n) != 0)
        snprintf(why, whylen, "not in normalized form");
    else
        return NULL;
    return why;
}

/* ---- extensions ---- */

enum { X_SAN, X_EKU, X_KU, X_BC, X_AKI, X_AIA, X_CRLDP, X_CP, X__N };
static const int ext_nids[X__N] = {
    [X_SAN] = NID_subject_alt_name,
    [X_EKU] = NID_ext_key_usage,
    [X_KU] = NID_key_usage,
    [X_BC] = NID_basic_constraints,
    [X_AKI] = NID_authority_key_identifier,
    [X_AIA] = NID_info_access,
    [X_CRLDP] = NID_crl_distribution_points,
    [X_CP] = NID_certificate_policies,
};
static const char *const missing_ids[X__N] = {
    [X_SAN] = "lint.san.missing",     [X_EKU] = "lint.eku.missing",   [X_KU] = "lint.ku.missing",
    [X_BC] = "lint.bc.missing",       [X_AKI] = "lint.aki.missing",   [X_AIA] = "lint.aia.missing",
    [X_CRLDP] = "lint.crldp.missing", [X_CP] = "lint.policy.missing",
};

static void check_san(struct lint *l, const GENERAL_NAMES *gens)
{
    const struct lint_ctx *c = l->ctx;
    int n = sk_GENERAL_NAME_num(gens), cn_found = 0;
    char name[256], prev[256];
    if (n <= 0)
        add(l, "lint.san.missing", "empty subjectAltName");
    for (int i = 0; i < n; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
        if (gn->type != GEN_DNS) {
            add(l, "lint.san.not_dns", "entry %d has type %d", i, gn->type);
            continue;
        }
        if (ia5_text(gn->d.dNSName, name, sizeof name) < 0) {
            add(l, "lint.name.invalid", "entry %d unreadable", i);
            continue;
        }
        int dup = 0;
        for (int j = 0; j < i && !dup; j++) {
            const GENERAL_NAME *o = sk_GENERAL_NAME_value(gens, j);
            dup = o->type == GEN_DNS && ia5_text(o->d.dNSName, prev, sizeof prev) == 0 &&
                  strcmp(prev, name) == 0;
        }
        if (dup)
            add(l, "lint.san.duplicate", "%s", name);
        int wild = strncmp(name, "*.", 2) == 0;
        if (wild && c->level == LEVEL_EV)
            add(l, "lint.ev.wildcard", "%s", name);
        char whybuf[64];
        const char *why =
            name_problem(name, c->allow_wildcard || c->level == LEVEL_EV, whybuf, sizeof whybuf);
        if (why != NULL)
            add(l, "lint.name.invalid", "%s: %s", name, why);
        int expected = 0;
        for (size_t j = 0; j < c->nnames && !expected; j++)
            expected = strcmp(c->names[j], name) == 0;
        if (!expected)
            add(l, "lint.san.mismatch", "%s was not vetted", name);
        if (l->cn != NULL && (size_t)ASN1_STRING_length(l->cn) == strlen(name) &&
            memcmp(ASN1_STRING_get0_data(l->cn), name, strlen(name)) == 0)
            cn_found = 1;
    }
    for (size_t j = 0; j < c->nnames; j++) {
        int found = 0;
        for (int i = 0; i < n && !found; i++) {
            const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
            found = gn->type == GEN_DNS && ia5_text(gn->d.dNSName, name, sizeof name) == 0 &&
                    strcmp(name, c->names[j]) == 0;
        }
        if (!found)
            add(l, "lint.san.mismatch", "%s missing", c->names[j]);
    }
    if (l->cn != NULL && !cn_found)
        add(l, "lint.san.missing_cn", "CN is not a dNSName of the SAN");
}

static void check_eku(struct lint *l, const EXTENDED_KEY_USAGE *eku)
{
    int server = 0, n = sk_ASN1_OBJECT_num(eku);
    for (int i = 0; i < n; i++) {
        int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
        if (nid == NID_server_auth)
            server = 1;
        else
            add(l, "lint.eku.extra", "%s", nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
    }
    if (!server)
        add(l, "lint.eku.not_serverauth", "serverAuth missing");
}

static void check_ku(struct lint *l, const ASN1_BIT_STRING *ku, int rsa)
{
    /* digitalSignature (0), plus keyEncipherment (2) for RSA; nothing else. */
    for (int bit = 0; bit < 16; bit++) {
        int want = bit == 0 || (rsa && bit == 2);
        if (ASN1_BIT_STRING_get_bit(ku, bit) != want) {
            add(l, "lint.ku.wrong", "bit %d is %s for %s", bit, want ? "clear" : "set",
                rsa ? "RSA" : "EC");
            return;
        }
    }
}

static void check_bc(struct lint *l, const BASIC_CONSTRAINTS *bc, const X509_EXTENSION *ext)
{
    const ASN1_OCTET_STRING *raw = X509_EXTENSION_get_data((X509_EXTENSION *)ext);
    if (bc->ca || bc->pathlen != NULL)
        add(l, "lint.bc.ca_true", "cA %d, pathLen %s", bc->ca ? 1 : 0, bc->pathlen ? "set" : "-");
    else if (ASN1_STRING_length(raw) != 2 || memcmp(ASN1_STRING_get0_data(raw), "\x30\x00", 2))
        add(l, "lint.bc.encoding", "value is not an empty SEQUENCE");
}

static void check_aki(struct lint *l, const AUTHORITY_KEYID *akid)
{
    ASN1_OCTET_STRING *ski =
        X509_get_ext_d2i(l->ctx->issuer, NID_subject_key_identifier, NULL, NULL);
    if (akid->issuer != NULL || akid->serial != NULL)
        add(l, "lint.aki.mismatch", "authorityCertIssuer or serial present");
    else if (akid->keyid == NULL || ski == NULL || ASN1_OCTET_STRING_cmp(akid->keyid, ski))
        add(l, "lint.aki.mismatch", "%s",
            ski ? "keyid differs from issuer SKI" : "issuer has no SKI or keyid missing");
    ASN1_OCTET_STRING_free(ski);
}

static void check_aia(struct lint *l, const AUTHORITY_INFO_ACCESS *aia)
{
    const struct lint_ctx *c = l->ctx;
    int n = sk_ACCESS_DESCRIPTION_num(aia), issuers = 0, ocsp = 0;
    char url[1100];
    for (int i = 0; i < n; i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        int nid = OBJ_obj2nid(ad->method);
        if (nid != NID_ad_OCSP && nid != NID_ad_ca_issuers) {
            add(l, "lint.aia.bad", "access method %d not allowed", nid);
            continue;
        }
        const char *want = nid == NID_ad_OCSP ? c->ocsp_url : c->ca_issuers_url;
        if (ad->location->type != GEN_URI ||
            ia5_text(ad->location->d.uniformResourceIdentifier, url, sizeof url) < 0 ||
            !is_http(url) || (want != NULL && strcmp(url, want) != 0)) {
            add(l, "lint.aia.bad", "%s location is not the expected http URL",
                nid == NID_ad_OCSP ? "OCSP" : "caIssuers");
            continue;
        }
        if (nid == NID_ad_OCSP)
            ocsp++;
        else
            issuers++;
    }
    if (issuers == 0)
        add(l, "lint.aia.missing", "no caIssuers URL");
    if (c->ocsp_url != NULL && ocsp == 0)
        add(l, "lint.aia.ocsp_missing", "no OCSP URL");
    if (c->short_lived && ocsp > 0)
        add(l, "lint.short_lived.ocsp", "a short-lived certificate with an OCSP URL");
}

static void check_crldp(struct lint *l, const CRL_DIST_POINTS *cdp)
{
    char url[1100];
    const char *why = NULL;
    const DIST_POINT *dp = sk_DIST_POINT_num(cdp) == 1 ? sk_DIST_POINT_value(cdp, 0) : NULL;
    if (dp == NULL)
        why = "not exactly one distribution point";
    else if (dp->reasons != NULL || dp->CRLissuer != NULL)
        why = "reasons or cRLIssuer present";
    else if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
             sk_GENERAL_NAME_num(dp->distpoint->name.fullname) < 1)
        why = "no fullName";
    else {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
        if (gn->type != GEN_URI || ia5_text(gn->d.uniformResourceIdentifier, url, sizeof url) < 0 ||
            !is_http(url))
            why = "first name is not an http URL";
        else if (l->ctx->crl_url != NULL && strcmp(url, l->ctx->crl_url) != 0)
            why = "URL differs from the issuer's CRL";
    }
    if (why != NULL)
        add(l, "lint.crldp.bad", "%s", why);
}

static void check_cps(struct lint *l, const STACK_OF(POLICYQUALINFO) * qs)
{
    char url[1100];
    int n = sk_POLICYQUALINFO_num(qs), cps = 0;
    for (int i = 0; i < n; i++) {
        const POLICYQUALINFO *q = sk_POLICYQUALINFO_value(qs, i);
        if (OBJ_obj2nid(q->pqualid) != NID_id_qt_cps ||
            ia5_text(q->d.cpsuri, url, sizeof url) < 0 ||
            (!is_http(url) && strncmp(url, "https://", 8) != 0) ||
            (l->ctx->cps_url != NULL && strcmp(url, l->ctx->cps_url) != 0)) {
            add(l, "lint.policy.cps", "qualifier %d is not the expected CPS URI", i);
            return;
        }
        cps++;
    }
    if (cps != 1)
        add(l, "lint.policy.cps", "%d CPS qualifiers", cps);
}

static void check_policies(struct lint *l, const CERTIFICATEPOLICIES *cp)
{
    const char *want = profile_policy_oid(l->ctx->level);
    int n = sk_POLICYINFO_num(cp), found = 0;
    char oid[128];
    for (int i = 0; i < n; i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);
        if (OBJ_obj2txt(oid, sizeof oid, pi->policyid, 1) <= 0)
            oid[0] = '\0';
        if (want == NULL || strcmp(oid, want) != 0) {
            add(l, "lint.policy.wrong_oid", "policy %s for %s", oid,
                profile_level_name(l->ctx->level));
            continue;
        }
        if (found++ == 0)
            check_cps(l, pi->qualifiers);
    }
    if (found != 1)
        add(l, "lint.policy.wrong_oid", "%d times %s", found, want ? want : "?");
}

static void *ext_decode(struct lint *l, const X509_EXTENSION *ext, int nid)
{
    void *v = X509V3_EXT_d2i((X509_EXTENSION *)ext);
    if (v == NULL)
        add(l, "lint.ext.malformed", "%s does not decode", OBJ_nid2sn(nid));
    return v;
}

static void check_known(struct lint *l, int k, const X509_EXTENSION *ext, int rsa)
{
    void *v = ext_decode(l, ext, ext_nids[k]);
    if (v == NULL)
        return;
    switch (k) {
    case X_SAN:
        check_san(l, v);
        GENERAL_NAMES_free(v);
        break;
    case X_EKU:
        check_eku(l, v);
        EXTENDED_KEY_USAGE_free(v);
        break;
    case X_KU:
        check_ku(l, v, rsa);
        ASN1_BIT_STRING_free(v);
        break;
    case X_BC:
        check_bc(l, v, ext);
        BASIC_CONSTRAINTS_free(v);
        break;
    case X_AKI:
        check_aki(l, v);
        AUTHORITY_KEYID_free(v);
        break;
    case X_AIA:
        check_aia(l, v);
        AUTHORITY_INFO_ACCESS_free(v);
        break;
    case X_CRLDP:
        check_crldp(l, v);
        CRL_DIST_POINTS_free(v);
        break;
    case X_CP:
        check_policies(l, v);
        CERTIFICATEPOLICIES_free(v);
        break;
    }
}

/* obj as dotted text in buf (128 bytes), for a finding's detail. */
static const char *oid_text(const ASN1_OBJECT *obj, char buf[128])
{
    if (OBJ_obj2txt(buf, 128, obj, 1) <= 0)
        buf[0] = '\0';
    return buf;
}

/* ---- extensions found clean before (struct lint_memo) ---- */

/* The extensions whose check reads nothing but their value, the key type and the context
 * fields struct lint_memo keeps (a check that reads more must not be listed here). */
static const unsigned memo_kinds =
    1u << X_EKU | 1u << X_KU | 1u << X_BC | 1u << X_AKI | 1u << X_AIA | 1u << X_CP;

_Static_assert(X__N <= LINT_MEMO_SLOTS, "a memo slot per extension kind");

static void memo_forget(struct lint_memo *m)
{
    for (int k = 0; k < LINT_MEMO_SLOTS; k++) {
        free(m->clean[k]);
        m->clean[k] = NULL;
        m->clean_len[k] = 0;
    }
}

void lint_memo_free(struct lint_memo *m)
{
    if (m == NULL)
        return;
    memo_forget(m);
    profile_ctx_key_free(&m->key);
    memset(m, 0, sizeof *m);
}

/* m made to speak of the context of l (forgetting everything when it spoke of another);
 * NULL when it cannot (no memory): nothing is then remembered. */
static struct lint_memo *memo_for(struct lint *l, int rsa)
{
    struct lint_memo *m = l->ctx->memo;
    const struct lint_ctx *c = l->ctx;
    if (m == NULL)
        return NULL;
    if (m->short_lived == c->short_lived &&
        profile_ctx_key_same(&m->key, c->issuer, c->level, rsa, c->ca_issuers_url, c->ocsp_url,
                             c->cps_url))
        return m;
    lint_memo_free(m);
    if (profile_ctx_key_set(&m->key, c->issuer, c->level, rsa, c->ca_issuers_url, c->ocsp_url,
                            c->cps_url) < 0)
        return NULL; /* m is empty */
    m->short_lived = c->short_lived;
    return m;
}

/* check_known, skipped for an extension m found clean with the same bytes. */
static void check_remembered(struct lint *l, struct lint_memo *m, int k, const X509_EXTENSION *ext,
                             int rsa)
{
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data((X509_EXTENSION *)ext);
    const unsigned char *b = ASN1_STRING_get0_data(v);
    int len = ASN1_STRING_length(v);
    if (m == NULL || !(memo_kinds >> k & 1) || b == NULL || len <= 0) {
        check_known(l, k, ext, rsa);
        return;
    }
    if (m->clean[k] != NULL && m->clean_len[k] == (size_t)len &&
        memcmp(m->clean[k], b, (size_t)len) == 0)
        return;
    size_t before = l->out->n;
    check_known(l, k, ext, rsa);
    if (l->out->n != before || l->out->truncated)
        return;
    unsigned char *copy = malloc((size_t)len);
    if (copy == NULL)
        return; /* not remembered: checked again next time */
    memcpy(copy, b, (size_t)len);
    free(m->clean[k]);
    m->clean[k] = copy;
    m->clean_len[k] = (size_t)len;
}

static void check_extensions(struct lint *l, int rsa)
{
    struct lint_memo *m = memo_for(l, rsa);
    const X509_EXTENSION *found[X__N] = {0};
    int count = X509_get_ext_count(l->x);
    for (int i = 0; i < count; i++) {
        const X509_EXTENSION *ext = X509_get_ext(l->x, i);
        const ASN1_OBJECT *obj = X509_EXTENSION_get_object((X509_EXTENSION *)ext);
        int nid = OBJ_obj2nid(obj), crit = X509_EXTENSION_get_critical(ext), dup = 0;
        char oid[128]; /* the OID as text, written only for a finding (oid_text) */
        for (int j = 0; j < i && !dup; j++)
            dup = !OBJ_cmp(obj, X509_EXTENSION_get_object(X509_get_ext(l->x, j)));
        if (dup) {
            add(l, "lint.ext.duplicate", "%s", oid_text(obj, oid));
            continue;
        }
        int k = 0;
        while (k < X__N && ext_nids[k] != nid)
            k++;
        if (k < X__N) {
            found[k] = ext;
            int want = k == X_KU || k == X_BC || (k == X_SAN && l->subject_empty);
            if (crit != want)
                add(l, "lint.ext.criticality", "%s critical=%d", oid_text(obj, oid), crit);
        } else if (nid == NID_subject_key_identifier) {
            add(l, "lint.ski.present", "SKI in a leaf");
            if (crit)
                add(l, "lint.ext.criticality", "%s critical=1", oid_text(obj, oid));
        } else if (crit) {
            add(l, "lint.ext.unknown_critical", "%s", oid_text(obj, oid));
        } else if (nid != NID_ct_precert_scts) {
            add(l, "lint.ext.unexpected", "%s", oid_text(obj, oid));
        }
    }
    for (int k = 0; k < X__N; k++) {
        if (k == X_CRLDP && l->ctx->short_lived) {
            if (found[k] != NULL)
                add(l, "lint.short_lived.crldp", "a short-lived certificate with a CDP");
        } else if (found[k] == NULL)
            add(l, missing_ids[k], "%s absent", OBJ_nid2sn(ext_nids[k]));
        else
            check_remembered(l, m, k, found[k], rsa);
    }
}

/* ---- key and signature algorithm ---- */

#define ALG_RSA  "300d06092a864886f70d0101010500"
#define ALG_P256 "301306072a8648ce3d020106082a8648ce3d030107"
#define ALG_P384 "301006072a8648ce3d020106052b81040022"

/* 1 when a and b carry the same algorithm identifier and key bits. */
static int same_spki(const X509_PUBKEY *a, const X509_PUBKEY *b)
{
    const unsigned char *ka = NULL, *kb = NULL;
    int na = 0, nb = 0;
    X509_ALGOR *aa = NULL, *ab = NULL;
    if (a == NULL || b == NULL || !X509_PUBKEY_get0_param(NULL, &ka, &na, &aa, a) ||
        !X509_PUBKEY_get0_param(NULL, &kb, &nb, &ab, b) || na != nb ||
        memcmp(ka, kb, (size_t)na) != 0)
        return 0;
    return X509_ALGOR_cmp(aa, ab) == 0;
}

/* Returns 1 for RSA, 0 otherwise. */
static int check_key(struct lint *l)
{
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(l->x);
    EVP_PKEY *pk = NULL;
    if (l->ctx->spki != NULL && same_spki(xpk, l->ctx->spki)) {
        /* the same bytes, decoded once with the CSR */
        pk = l->ctx->spki_key != NULL ? l->ctx->spki_key : X509_PUBKEY_get0(l->ctx->spki);
    } else {
        if (l->ctx->spki != NULL)
            add(l, "lint.key.mismatch", "the certified key differs from the CSR's");
        pk = X509_get0_pubkey(l->x);
    }
    const unsigned char *pt = NULL;
    int ptlen = 0;
    X509_ALGOR *alg = NULL;
    char hex[128], group[64];
    enum eckey_curve curve;
    if (xpk == NULL || !X509_PUBKEY_get0_param(NULL, &pt, &ptlen, &alg, xpk) ||
        algor_hex(alg, hex, sizeof hex) < 0) {
        add(l, "lint.key.encoding", "public key does not decode");
        return 0;
    }
    if (pk == NULL) { /* a named EC key that came as its bytes (eckey.h): the point decodes */
        if (!eckey_spki_curve(xpk, &curve, NULL, NULL) ||
            eckey_point_ok(curve, pt, (size_t)ptlen) != 1)
            add(l, "lint.key.encoding", "public key does not decode");
        else if (strcmp(hex, curve == ECKEY_P256 ? ALG_P256 : ALG_P384) != 0)
            add(l, "lint.key.encoding", "EC key not named-curve uncompressed");
        return 0;
    }
    if (EVP_PKEY_is_a(pk, "RSA")) {
        BIGNUM *e = NULL;
        int bits = EVP_PKEY_get_bits(pk);
        if (bits < 2048 || bits % 8 != 0)
            add(l, "lint.key.weak", "RSA %d bits", bits);
        else if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) || !BN_is_odd(e) ||
                 BN_num_bits(e) < 2 || BN_is_word(e, 1))
            add(l, "lint.key.weak", "RSA public exponent");
        BN_free(e);
        if (strcmp(hex, ALG_RSA) != 0)
            add(l, "lint.key.encoding", "RSA AlgorithmIdentifier %s", hex);
        return 1;
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            NULL))
            snprintf(group, sizeof group, "explicit");
        int p256 = strcmp(group, "prime256v1") == 0, p384 = strcmp(group, "secp384r1") == 0;
        if (!p256 && !p384)
            add(l, "lint.key.weak", "curve %s", group);
        else if (strcmp(hex, p256 ? ALG_P256 : ALG_P384) != 0 || ptlen != (p256 ? 65 : 97) ||
                 pt[0] != 0x04)
            add(l, "lint.key.encoding", "EC key not named-curve uncompressed");
        return 0;
    }
    add(l, "lint.key.type", "key type %s", EVP_PKEY_get0_type_name(pk));
    return 0;
}

/* The DER (hex) of the AlgorithmIdentifier that signing with digest md ("SHA256",
 * "SHA384", "SHA512") and the issuer key ik writes: PKCS#1 v1.5 for RSA (NULL
 * parameters), ECDSA for EC. 0, or -1 when there is no such algorithm. */
static int planned_alg(EVP_PKEY *ik, const char *md, char *out, size_t n)
{
    static const struct {
        const char *md, *rsa, *ec;
    } algs[] = {
        {"SHA256", "300d06092a864886f70d01010b0500", "300a06082a8648ce3d040302"},
        {"SHA384", "300d06092a864886f70d01010c0500", "300a06082a8648ce3d040303"},
        {"SHA512", "300d06092a864886f70d01010d0500", "300a06082a8648ce3d040304"},
    };
    if (ik == NULL || md == NULL)
        return -1;
    int rsa = EVP_PKEY_is_a(ik, "RSA"), ec = EVP_PKEY_is_a(ik, "EC");
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (strcmp(md, algs[i].md) == 0 && (rsa || ec))
            return snprintf(out, n, "%s", rsa ? algs[i].rsa : algs[i].ec) < (int)n ? 0 : -1;
    return -1;
}

static void check_sigalg(struct lint *l)
{
    static const char *const rsa_algs[] = {
        "300d06092a864886f70d01010b0500",
        "300d06092a864886f70d01010c0500",
        "300d06092a864886f70d01010d0500",
        "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a8648"
        "86f70d010108300d06096086480165030402010500a203020120",
        "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a8648"
        "86f70d010108300d06096086480165030402020500a203020130",
        "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a8648"
        "86f70d010108300d06096086480165030402030500a203020140",
    };
    const X509_ALGOR *tbs = X509_get0_tbs_sigalg(l->x), *outer = NULL;
    const ASN1_OBJECT *obj = NULL;
    char a[256], b[256], group[64];
    if (tbs != NULL)
        X509_ALGOR_get0(&obj, NULL, NULL, tbs);
    EVP_PKEY *ik = X509_get0_pubkey(l->ctx->issuer);
    if (obj == NULL || OBJ_obj2nid(obj) == NID_undef) {
        /* not signed yet: the algorithm the signer will write (issue 8 item 28) */
        if (planned_alg(ik, l->ctx->sig_md, a, sizeof a) < 0) {
            add(l, "lint.sigalg.unknown", "digest %s for the issuer key",
                l->ctx->sig_md ? l->ctx->sig_md : "(none)");
            return;
        }
    } else {
        const ASN1_BIT_STRING *sig = NULL;
        X509_get0_signature(&sig, &outer, l->x);
        if (algor_hex(tbs, a, sizeof a) < 0 || outer == NULL || algor_hex(outer, b, sizeof b) < 0) {
            add(l, "lint.internal", "signature algorithm unreadable");
            return;
        }
        if (strcmp(a, b) != 0)
            add(l, "lint.sigalg.mismatch", "tbs %s, outer %s", a, b);
    }
    int ok = 0;
    if (ik != NULL && EVP_PKEY_is_a(ik, "RSA")) {
        for (size_t i = 0; i < sizeof rsa_algs / sizeof rsa_algs[0]; i++)
            ok |= strcmp(a, rsa_algs[i]) == 0;
    } else if (ik != NULL && EVP_PKEY_is_a(ik, "EC") &&
               EVP_PKEY_get_utf8_string_param(ik, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                              NULL)) {
        const char *want = strcmp(group, "prime256v1") == 0  ? "300a06082a8648ce3d040302"
                           : strcmp(group, "secp384r1") == 0 ? "300a06082a8648ce3d040303"
                           : strcmp(group, "secp521r1") == 0 ? "300a06082a8648ce3d040304"
                                                             : "";
        ok = strcmp(a, want) == 0;
    }
    if (!ok)
        add(l, "lint.sigalg.bad", "%s for the issuer key", a);
}

/* ---- entry points ---- */

int lint_cert(const X509 *tbs, const struct lint_ctx *ctx, struct lint_report *out)
{
    memset(out, 0, sizeof *out);
    struct lint l = {.ctx = ctx, .out = out, .x = tbs};
    if (tbs == NULL || ctx == NULL || ctx->issuer == NULL || ctx->now == 0 ||
        (ctx->nnames > 0 && ctx->names == NULL) || profile_policy_oid(ctx->level) == NULL) {
        add(&l, "lint.internal", "certificate or lint context incomplete");
        return -SM_E_LINT;
    }
    check_basics(&l);
    check_validity(&l);
    check_subject(&l);
    int rsa = check_key(&l);
    check_extensions(&l, rsa);
    check_sigalg(&l);
    return out->n == 0 ? 0 : -SM_E_LINT;
}

int lint_report_has(const struct lint_report *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->f[i].id, id) == 0)
            return 1;
    return 0;
}

size_t lint_report_format(const struct lint_report *r, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0)
        return r->n;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n && used < n; i++) {
        int w =
            snprintf(buf + used, n - used, "%s%s: %s", i ? "; " : "", r->f[i].id, r->f[i].detail);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return r->n;
}
