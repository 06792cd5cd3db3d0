/* SPDX-License-Identifier: MIT */
/* Leaf certificate profile (BR 7.1.2.7, R-ISS-2): serial, validity and the unsigned X509
 * built field by field from vetted data. Refuses input outside the profile rather than
 * dropping it; never signs, never reads the clock (the caller passes the time). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/policy.h"
#include "core/text.h"
#include "pki/eckey.h"
#include "pki/profile.h"

#define NAME_MAX_LEN 253

int profile_serial_new(unsigned char out[PROFILE_SERIAL_MAX], size_t *len)
{
    /* A zero first octet (1 in 128) is drawn again: the magnitude then always has 16
     * octets and no leading zero. Bounded: 2^-56 chance of failing after 8 draws. */
    for (int i = 0; i < 8; i++) {
        if (RAND_bytes(out, 16) != 1)
            return -SM_E_CRYPTO;
        out[0] &= 0x7f;
        if (out[0] != 0) {
            *len = 16;
            return 0;
        }
    }
    return -SM_E_CRYPTO;
}

int profile_validity(time_t now, int requested_days, time_t subscription_end, time_t *nb,
                     time_t *na, struct sm_err *e)
{
    if (requested_days < 0)
        return sm_err_set(e, SM_E_INVALID, "days", "negative validity %d", requested_days);
    int max = policy_max_validity_days(now);
    int days = (requested_days == 0 || requested_days > max) ? max : requested_days;
    time_t b = now - PROFILE_BACKDATE_SECONDS;
    time_t a = policy_not_after_max(b, days);
    if (subscription_end != 0) {
        if (subscription_end <= b)
            return sm_err_set(e, SM_E_POLICY, "subscription_end", "subscription has ended");
        if (a > subscription_end)
            a = subscription_end;
    }
    *nb = b;
    *na = a;
    return 0;
}

const char *profile_policy_oid(enum cert_level level)
{
    switch (level) {
    case LEVEL_DV: return "2.23.140.1.2.1";
    case LEVEL_OV: return "2.23.140.1.2.2";
    case LEVEL_EV: return "2.23.140.1.1";
    }
    return NULL;
}

const char *profile_level_name(enum cert_level level)
{
    switch (level) {
    case LEVEL_DV: return "DV";
    case LEVEL_OV: return "OV";
    case LEVEL_EV: return "EV";
    }
    return "?";
}

/* ---- text rules ---- */

static int printable_char(unsigned char ch)
{
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
        return 1;
    return strchr(" '()+,-./:=?", ch) != NULL && ch != '\0';
}

/* Decodes one UTF-8 sequence at s (n bytes left): code point or -1 (overlong, surrogate,
 * past U+10FFFF, truncated). *used receives the sequence length. */
static long utf8_next(const unsigned char *s, size_t n, size_t *used)
{
    unsigned char c = s[0];
    size_t len;
    long cp, min;
    if (c < 0x80) {
        *used = 1;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (len > n)
        return -1;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *used = len;
    return cp;
}

enum profile_text profile_text_check(const unsigned char *s, size_t n, int printable,
                                     size_t maxchars)
{
    size_t chars = 0, i = 0;
    int substance = 0;
    if (s == NULL || n == 0)
        return PROFILE_TEXT_BAD_VALUE;
    while (i < n) {
        size_t used;
        long cp = utf8_next(s + i, n - i, &used);
        if (cp < 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return PROFILE_TEXT_ENCODING;
        if (printable && (cp > 0x7f || !printable_char((unsigned char)cp)))
            return PROFILE_TEXT_ENCODING;
        /* Letters, digits and anything outside ASCII count as substance. */
        if (cp > 0x7f || (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'))
            substance = 1;
        i += used;
        chars++;
    }
    if (chars > maxchars)
        return PROFILE_TEXT_TOO_LONG;
    if (!substance || s[0] == ' ' || s[n - 1] == ' ')
        return PROFILE_TEXT_BAD_VALUE;
    return PROFILE_TEXT_OK;
}

/* ---- subject ---- */

struct attr {
    const char *field; /* for errors */
    int nid;
    int printable; /* PrintableString instead of UTF8String */
    size_t maxchars;
    const char *value;
};

static int is_set(const char *s) { return s != NULL && s[0] != '\0'; }

static int country_ok(const char *c)
{
    return c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] == '\0';
}

static const char *const business_categories[] = {
    "Private Organization",
    "Government Entity",
    "Business Entity",
    "Non-Commercial Entity",
};

static int subject_check(const struct profile_req *r, struct sm_err *e)
{
    const struct profile_subject *s = r->subj;
    if (s == NULL)
        return r->level == LEVEL_DV ? 0 : sm_err_set(e, SM_E_INVALID, "subject", "missing");
    int ev_extra = is_set(s->business_category) || is_set(s->jurisdiction_c) ||
                   is_set(s->jurisdiction_st) || is_set(s->jurisdiction_l) ||
                   is_set(s->serial_number);
    if (r->level == LEVEL_DV && (is_set(s->o) || is_set(s->l) || is_set(s->st) || ev_extra))
        return sm_err_set(e, SM_E_INVALID, "subject", "DV subject carries only CN and C");
    if (r->level == LEVEL_OV && ev_extra)
        return sm_err_set(e, SM_E_INVALID, "subject", "EV attributes in an OV subject");
    if (r->level != LEVEL_DV) {
        if (!is_set(s->c) || !is_set(s->o))
            return sm_err_set(e, SM_E_INVALID, is_set(s->c) ? "subject.o" : "subject.c",
                              "required for %s", profile_level_name(r->level));
        if (!is_set(s->st) && !is_set(s->l))
            return sm_err_set(e, SM_E_INVALID, "subject.l", "L or ST required");
    }
    if (r->level == LEVEL_EV) {
        if (!is_set(s->business_category) || !is_set(s->jurisdiction_c) ||
            !is_set(s->serial_number))
            return sm_err_set(e, SM_E_INVALID, "subject.ev", "EV subject attribute missing");
        int known = 0;
        for (size_t i = 0; i < sizeof business_categories / sizeof business_categories[0]; i++)
            known |= strcmp(s->business_category, business_categories[i]) == 0;
        if (!known)
            return sm_err_set(e, SM_E_INVALID, "subject.business_category", "unknown value");
        if (!country_ok(s->jurisdiction_c))
            return sm_err_set(e, SM_E_INVALID, "subject.jurisdiction_c", "not ISO 3166 alpha-2");
    }
    if (is_set(s->c) && !country_ok(s->c))
        return sm_err_set(e, SM_E_INVALID, "subject.c", "not ISO 3166 alpha-2");
    if (is_set(s->cn)) {
        int found = 0;
        for (size_t i = 0; i < r->nnames; i++)
            found |= strcmp(s->cn, r->names[i]) == 0;
        if (!found)
            return sm_err_set(e, SM_E_INVALID, "subject.cn", "CN is not one of the names");
    }
    return 0;
}

static int subject_build(X509 *x, const struct profile_req *r, struct sm_err *e)
{
    const struct profile_subject *s = r->subj;
    if (s == NULL)
        return 0; /* DV with an empty subject: SAN is critical */
    const struct attr attrs[] = {
        {"subject.business_category", NID_businessCategory, 0, 128, s->business_category},
        {"subject.jurisdiction_c", NID_jurisdictionCountryName, 1, 2, s->jurisdiction_c},
        {"subject.jurisdiction_st", NID_jurisdictionStateOrProvinceName, 0, 128,
         s->jurisdiction_st},
        {"subject.jurisdiction_l", NID_jurisdictionLocalityName, 0, 128, s->jurisdiction_l},
        {"subject.serial_number", NID_serialNumber, 1, 64, s->serial_number},
        {"subject.c", NID_countryName, 1, 2, s->c},
        {"subject.st", NID_stateOrProvinceName, 0, 128, s->st},
        {"subject.l", NID_localityName, 0, 128, s->l},
        {"subject.o", NID_organizationName, 0, 64, s->o},
        {"subject.cn", NID_commonName, 0, 64, s->cn},
    };
    X509_NAME *name = X509_get_subject_name(x);
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        const struct attr *a = &attrs[i];
        if (!is_set(a->value))
            continue;
        size_t n = strlen(a->value);
        enum profile_text t =
            profile_text_check((const unsigned char *)a->value, n, a->printable, a->maxchars);
        if (t != PROFILE_TEXT_OK)
            return sm_err_set(e, SM_E_INVALID, a->field, "%s",
                              t == PROFILE_TEXT_TOO_LONG   ? "too long"
                              : t == PROFILE_TEXT_ENCODING ? "bad characters"
                                                           : "not a value");
        int type = a->printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
        if (!X509_NAME_add_entry_by_NID(name, a->nid, type, (const unsigned char *)a->value, (int)n,
                                        -1, 0))
            return sm_err_openssl(e, "subject");
    }
    return 0;
}

/* ---- extensions ---- */

static int url_ok(const char *u, int https_too)
{
    size_t n;
    if (u == NULL)
        return 0;
    if (strncmp(u, "http://", 7) == 0)
        n = 7;
    else if (https_too && strncmp(u, "https://", 8) == 0)
        n = 8;
    else
        return 0;
    if (u[n] == '\0' || strlen(u) > 1024)
        return 0;
    for (const char *p = u; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return 0;
    return 1;
}

static GENERAL_NAME *gen_ia5(int type, const char *text)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    if (gn == NULL || s == NULL || !ASN1_STRING_set(s, text, (int)strlen(text))) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(s);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, type, s);
    return gn;
}

static int push_gen(GENERAL_NAMES *gens, int type, const char *text)
{
    GENERAL_NAME *gn = gen_ia5(type, text);
    if (gn == NULL || !sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        return 0;
    }
    return 1;
}

/* how add_ext puts an extension: appended to a new certificate, or replacing the value of
 * the one a kept certificate has, in its place (an error if it has none) */
enum put { PUT_NEW = X509V3_ADD_DEFAULT, PUT_REPLACE = X509V3_ADD_REPLACE_EXISTING };

static int add_ext(X509 *x, int nid, void *value, int crit, enum put how, struct sm_err *e)
{
    if (X509_add1_ext_i2d(x, nid, value, crit, (unsigned long)how) != 1)
        return sm_err_openssl(e, OBJ_nid2sn(nid));
    return 0;
}

static int ext_key_usage(X509 *x, int rsa, struct sm_err *e)
{
    int rc = -SM_E_NOMEM;
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    if (ku == NULL || eku == NULL || bc == NULL)
        goto out;
    if (!ASN1_BIT_STRING_set_bit(ku, 0, 1) || (rsa && !ASN1_BIT_STRING_set_bit(ku, 2, 1)))
        goto out;
    if (!sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)))
        goto out;
    bc->ca = 0;
    if ((rc = add_ext(x, NID_key_usage, ku, 1, PUT_NEW, e)) < 0 ||
        (rc = add_ext(x, NID_ext_key_usage, eku, 0, PUT_NEW, e)) < 0 ||
        (rc = add_ext(x, NID_basic_constraints, bc, 1, PUT_NEW, e)) < 0)
        goto out;
    rc = 0;
out:
    ASN1_BIT_STRING_free(ku);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    BASIC_CONSTRAINTS_free(bc);
    return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "extensions", "key usage") : rc;
}

static int ext_aki(X509 *x, X509 *issuer, struct sm_err *e)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
    if (ski == NULL || ASN1_STRING_length(ski) <= 0)
        return sm_err_set(e, SM_E_INVALID, "issuer", "issuer has no subjectKeyIdentifier");
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    if (akid == NULL || (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL) {
        AUTHORITY_KEYID_free(akid);
        return sm_err_set(e, SM_E_NOMEM, "aki", NULL);
    }
    int rc = add_ext(x, NID_authority_key_identifier, akid, 0, PUT_NEW, e);
    AUTHORITY_KEYID_free(akid);
    return rc;
}

static int push_access(AUTHORITY_INFO_ACCESS *aia, int method, const char *url)
{
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    GENERAL_NAME *gn = gen_ia5(GEN_URI, url);
    if (ad == NULL || gn == NULL) {
        ACCESS_DESCRIPTION_free(ad);
        GENERAL_NAME_free(gn);
        return 0;
    }
    GENERAL_NAME_free(ad->location);
    ad->location = gn;
    ad->method = OBJ_nid2obj(method);
    if (!sk_ACCESS_DESCRIPTION_push(aia, ad)) {
        ACCESS_DESCRIPTION_free(ad);
        return 0;
    }
    return 1;
}

static int ext_aia(X509 *x, const struct profile_req *r, struct sm_err *e)
{
    int rc = -SM_E_NOMEM;
    AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
    if (aia != NULL && (r->ocsp_url == NULL || push_access(aia, NID_ad_OCSP, r->ocsp_url)) &&
        push_access(aia, NID_ad_ca_issuers, r->ca_issuers_url))
        rc = add_ext(x, NID_info_access, aia, 0, PUT_NEW, e);
    sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
    return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "extensions", "aia") : rc;
}

/* The CRL distribution point; none for a short-lived certificate (r->crl_url NULL). */
static int ext_cdp(X509 *x, const struct profile_req *r, enum put how, struct sm_err *e)
{
    if (r->crl_url == NULL)
        return 0;
    int rc = -SM_E_NOMEM;
    CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    if (cdp == NULL || dp == NULL || (dp->distpoint = DIST_POINT_NAME_new()) == NULL)
        goto out;
    dp->distpoint->type = 0; /* fullName */
    if ((dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null()) == NULL ||
        !push_gen(dp->distpoint->name.fullname, GEN_URI, r->crl_url))
        goto out;
    if (!sk_DIST_POINT_push(cdp, dp))
        goto out;
    dp = NULL;
    rc = add_ext(x, NID_crl_distribution_points, cdp, 0, how, e);
out:
    sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
    DIST_POINT_free(dp);
    return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "extensions", "crldp") : rc;
}

static int ext_policies(X509 *x, const struct profile_req *r, struct sm_err *e)
{
    int rc = -SM_E_NOMEM;
    CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    POLICYQUALINFO *q = POLICYQUALINFO_new();
    if (cp == NULL || pi == NULL || q == NULL)
        goto out;
    ASN1_OBJECT_free(pi->policyid);
    if ((pi->policyid = OBJ_txt2obj(profile_policy_oid(r->level), 1)) == NULL)
        goto out;
    q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
    if ((q->d.cpsuri = ASN1_IA5STRING_new()) == NULL ||
        !ASN1_STRING_set(q->d.cpsuri, r->cps_url, (int)strlen(r->cps_url)))
        goto out;
    if ((pi->qualifiers = sk_POLICYQUALINFO_new_null()) == NULL ||
        !sk_POLICYQUALINFO_push(pi->qualifiers, q))
        goto out;
    q = NULL;
    if (!sk_POLICYINFO_push(cp, pi))
        goto out;
    pi = NULL;
    rc = add_ext(x, NID_certificate_policies, cp, 0, PUT_NEW, e);
out:
    POLICYQUALINFO_free(q);
    POLICYINFO_free(pi);
    sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
    return rc == -SM_E_NOMEM ? sm_err_set(e, SM_E_NOMEM, "extensions", "policies") : rc;
}

static int ext_san(X509 *x, const struct profile_req *r, enum put how, struct sm_err *e)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL)
        return sm_err_set(e, SM_E_NOMEM, "san", NULL);
    for (size_t i = 0; i < r->nnames; i++) {
        if (!push_gen(gens, GEN_DNS, r->names[i])) {
            GENERAL_NAMES_free(gens);
            return sm_err_set(e, SM_E_NOMEM, "san", NULL);
        }
    }
    /* RFC 5280 4.2.1.6: critical when the subject is empty. */
    int crit = X509_NAME_entry_count(X509_get_subject_name(x)) == 0;
    int rc = add_ext(x, NID_subject_alt_name, gens, crit, how, e);
    GENERAL_NAMES_free(gens);
    return rc;
}

/* ---- request checks ---- */

static int name_shape_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '*'))
            return 0;
    }
    return 1;
}

static int serial_check(const struct profile_req *r, struct sm_err *e)
{
    const unsigned char *s = r->serial;
    size_t n = r->serial_len;
    if (s == NULL || n == 0 || n > PROFILE_SERIAL_MAX)
        return sm_err_set(e, SM_E_INVALID, "serial", "length %zu", n);
    if (s[0] == 0)
        return sm_err_set(e, SM_E_INVALID, "serial", "leading zero octet");
    /* DER adds a sign octet when the top bit is set. */
    if (n + ((s[0] & 0x80) ? 1 : 0) > PROFILE_SERIAL_MAX)
        return sm_err_set(e, SM_E_INVALID, "serial", "more than 20 octets in DER");
    /* At least 64 bits: the top set bit is at position >= 63. */
    int bits = (int)(n - 1) * 8;
    for (unsigned char c = s[0]; c; c >>= 1)
        bits++;
    if (bits < 64)
        return sm_err_set(e, SM_E_INVALID, "serial", "only %d bits", bits);
    return 0;
}

/* 1 for an RSA subscriber key (a request without pubkey has a named EC key: req_check). */
static int req_rsa(const struct profile_req *r)
{
    return r->pubkey != NULL && EVP_PKEY_is_a(r->pubkey, "RSA");
}

static int req_check(const struct profile_req *r, struct sm_err *e)
{
    if (profile_policy_oid(r->level) == NULL)
        return sm_err_set(e, SM_E_INVALID, "level", "unknown level %d", (int)r->level);
    if (r->issuer == NULL)
        return sm_err_set(e, SM_E_INVALID, "issuer", "missing");
    if (r->pubkey == NULL && !eckey_spki_curve(r->spki, NULL, NULL, NULL))
        return sm_err_set(e, SM_E_INVALID, "pubkey",
                          r->spki ? "no key beside a SubjectPublicKeyInfo that is not a named "
                                    "P-256/P-384 key"
                                  : "missing");
    if (r->pubkey != NULL && !EVP_PKEY_is_a(r->pubkey, "RSA") && !EVP_PKEY_is_a(r->pubkey, "EC"))
        return sm_err_set(e, SM_E_INVALID, "pubkey", "key type %s",
                          EVP_PKEY_get0_type_name(r->pubkey));
    if (r->names == NULL || r->nnames == 0)
        return sm_err_set(e, SM_E_INVALID, "names", "no names");
    for (size_t i = 0; i < r->nnames; i++) {
        if (r->names[i] == NULL || !name_shape_ok(r->names[i]))
            return sm_err_set(e, SM_E_INVALID, "names", "name %zu not a lower-case A-label", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->names[i], r->names[j]) == 0)
                return sm_err_set(e, SM_E_INVALID, "names", "duplicate %s", r->names[i]);
    }
    if (r->not_after < r->not_before)
        return sm_err_set(e, SM_E_INVALID, "validity", "notAfter before notBefore");
    if (!url_ok(r->ca_issuers_url, 0))
        return sm_err_set(e, SM_E_INVALID, "ca_issuers_url", "not an http:// URL");
    if (r->ocsp_url != NULL && !url_ok(r->ocsp_url, 0))
        return sm_err_set(e, SM_E_INVALID, "ocsp_url", "not an http:// URL");
    if (r->crl_url == NULL &&
        r->not_after - r->not_before > (time_t)PROFILE_SHORT_LIVED_DAYS * 86400)
        return sm_err_set(e, SM_E_INVALID, "crl_url", "no CDP only for a short-lived certificate");
    if (r->crl_url != NULL && !url_ok(r->crl_url, 0))
        return sm_err_set(e, SM_E_INVALID, "crl_url", "not an http:// URL");
    if (!url_ok(r->cps_url, 1))
        return sm_err_set(e, SM_E_INVALID, "cps_url", "not an http(s):// URL");
    int rc = serial_check(r, e);
    if (rc < 0)
        return rc;
    return subject_check(r, e);
}

/* Puts a copy of spki (algorithm and key bits, byte for byte) into x. 1 ok, 0 failed.
 * Only named curves and parameterless (RSA) algorithms are copied; the CSR check has
 * refused everything else already. */
static int copy_spki(X509 *x, const X509_PUBKEY *spki)
{
    ASN1_OBJECT *kobj = NULL;
    const unsigned char *bits = NULL;
    int nbits = 0;
    X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *aobj = NULL;
    int ptype = 0;
    const void *pval = NULL;
    if (!X509_PUBKEY_get0_param(&kobj, &bits, &nbits, &alg, spki) || nbits <= 0)
        return 0;
    X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
    if (ptype != V_ASN1_OBJECT && ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
        return 0;
    ASN1_OBJECT *o = OBJ_dup(kobj);
    ASN1_OBJECT *param = ptype == V_ASN1_OBJECT ? OBJ_dup(pval) : NULL;
    unsigned char *penc = OPENSSL_memdup(bits, (size_t)nbits);
    if (o == NULL || (ptype == V_ASN1_OBJECT && param == NULL) || penc == NULL ||
        !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), o, ptype, param, penc, nbits)) {
        ASN1_OBJECT_free(o);
        ASN1_OBJECT_free(param);
        OPENSSL_free(penc);
        return 0;
    }
    return 1;
}

/* What every certificate of a kept leaf has alike: version and issuer name. */
static int set_fixed(X509 *x, const struct profile_req *r, struct sm_err *e)
{
    if (X509_set_version(x, X509_VERSION_3) &&
        X509_set_issuer_name(x, X509_get_subject_name(r->issuer)))
        return 0;
    return sm_err_openssl(e, "certificate fields");
}

/* Serial, validity and key: set in place, on a new certificate or a kept one. */
static int set_varying(X509 *x, const struct profile_req *r, struct sm_err *e)
{
    int ok = 0;
    BIGNUM *bn = BN_bin2bn(r->serial, (int)r->serial_len, NULL);
    ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    if (serial != NULL && X509_set_serialNumber(x, serial) &&
        ASN1_TIME_set(X509_getm_notBefore(x), r->not_before) != NULL &&
        ASN1_TIME_set(X509_getm_notAfter(x), r->not_after) != NULL &&
        (r->spki != NULL ? copy_spki(x, r->spki) : X509_set_pubkey(x, r->pubkey)))
        ok = 1;
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    return ok ? 0 : sm_err_openssl(e, "certificate fields");
}

static int build_new(const struct profile_req *r, X509 **out, struct sm_err *e)
{
    X509 *x = X509_new();
    if (x == NULL)
        return sm_err_set(e, SM_E_NOMEM, "x509", NULL);
    int rc;
    if ((rc = set_fixed(x, r, e)) < 0 || (rc = set_varying(x, r, e)) < 0 ||
        (rc = subject_build(x, r, e)) < 0 || (rc = ext_key_usage(x, req_rsa(r), e)) < 0 ||
        (rc = ext_aki(x, r->issuer, e)) < 0 || (rc = ext_aia(x, r, e)) < 0 ||
        (rc = ext_cdp(x, r, PUT_NEW, e)) < 0 || (rc = ext_policies(x, r, e)) < 0 ||
        (rc = ext_san(x, r, PUT_NEW, e)) < 0) {
        X509_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

int profile_build(const struct profile_req *r, X509 **out, struct sm_err *e)
{
    *out = NULL;
    if (r == NULL)
        return sm_err_set(e, SM_E_INVALID, "request", "missing");
    int rc = req_check(r, e);
    return rc < 0 ? rc : build_new(r, out, e);
}

/* ---- the context a kept leaf or a lint memo was made in ---- */

/* *out = a copy of s, or NULL when s is NULL. 0, or -1 when the copy fails. */
static int dup_opt(char **out, const char *s)
{
    *out = s != NULL ? strdup(s) : NULL;
    return s != NULL && *out == NULL ? -1 : 0;
}

void profile_ctx_key_free(struct profile_ctx_key *k)
{
    if (k == NULL)
        return;
    X509_free(k->issuer);
    free(k->ca_issuers_url);
    free(k->ocsp_url);
    free(k->cps_url);
    memset(k, 0, sizeof *k);
}

int profile_ctx_key_set(struct profile_ctx_key *k, const X509 *issuer, enum cert_level level,
                        int rsa, const char *ca_issuers_url, const char *ocsp_url,
                        const char *cps_url)
{
    profile_ctx_key_free(k);
    X509 *ref = (X509 *)issuer; /* only referenced, never changed */
    if (ref == NULL || !X509_up_ref(ref))
        return -1;
    k->issuer = ref;
    k->level = level;
    k->rsa = rsa;
    if (dup_opt(&k->ca_issuers_url, ca_issuers_url) < 0 || dup_opt(&k->ocsp_url, ocsp_url) < 0 ||
        dup_opt(&k->cps_url, cps_url) < 0) {
        profile_ctx_key_free(k);
        return -1;
    }
    return 0;
}

int profile_ctx_key_same(const struct profile_ctx_key *k, const X509 *issuer, enum cert_level level,
                         int rsa, const char *ca_issuers_url, const char *ocsp_url,
                         const char *cps_url)
{
    return k->issuer == issuer && k->level == level && k->rsa == rsa &&
           text_same(k->ca_issuers_url, ca_issuers_url) && text_same(k->ocsp_url, ocsp_url) &&
           text_same(k->cps_url, cps_url);
}

/* ---- a leaf kept from one certificate to the next ---- */

/* 1 when l->x was built for a request that differs from r only in what set_varying,
 * the subject, the CRL URL and the names set; r has its key as spki (a certificate whose
 * key was set from an EVP_PKEY keeps that key decoded inside, so it is never kept). */
static int leaf_fits(const struct profile_leaf *l, const struct profile_req *r)
{
    return l->x != NULL && r->spki != NULL && l->has_crl == (r->crl_url != NULL) &&
           profile_ctx_key_same(&l->key, r->issuer, r->level, req_rsa(r), r->ca_issuers_url,
                                r->ocsp_url, r->cps_url);
}

void profile_leaf_free(struct profile_leaf *l)
{
    if (l == NULL)
        return;
    X509_free(l->x);
    profile_ctx_key_free(&l->key);
    free(l->crl_url);
    memset(l, 0, sizeof *l);
}

/* x kept in l with what it was built for (r). 0, or -1 (no memory): l still holds x then,
 * for profile_leaf_free. */
static int leaf_keep(struct profile_leaf *l, const struct profile_req *r, X509 *x)
{
    l->x = x;
    l->has_crl = r->crl_url != NULL;
    if (dup_opt(&l->crl_url, r->crl_url) < 0)
        return -1;
    return profile_ctx_key_set(&l->key, r->issuer, r->level, req_rsa(r), r->ca_issuers_url,
                               r->ocsp_url, r->cps_url);
}

/* The CRL distribution point of the kept certificate, set again only when r's CRL URL
 * (its shard's) is another than the one it carries. */
static int leaf_cdp(struct profile_leaf *l, const struct profile_req *r, struct sm_err *e)
{
    if (text_same(l->crl_url, r->crl_url))
        return 0;
    char *url;
    if (dup_opt(&url, r->crl_url) < 0)
        return sm_err_set(e, SM_E_NOMEM, "extensions", "crldp");
    int rc = ext_cdp(l->x, r, PUT_REPLACE, e);
    if (rc < 0) {
        free(url);
        return rc;
    }
    free(l->crl_url);
    l->crl_url = url;
    return 0;
}

/* Sets what differs between certificates on the kept l->x. */
static int leaf_update(struct profile_leaf *l, const struct profile_req *r, struct sm_err *e)
{
    X509 *x = l->x;
    /* the signature algorithm the signer wrote into the last one: unset, as in a new one */
    X509_ALGOR *alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
    if (!X509_ALGOR_set0(alg, OBJ_nid2obj(NID_undef), V_ASN1_UNDEF, NULL))
        return sm_err_openssl(e, "certificate fields");
    X509_NAME *subject = X509_get_subject_name(x);
    for (int n; (n = X509_NAME_entry_count(subject)) > 0;)
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(subject, n - 1));
    int rc;
    if ((rc = set_varying(x, r, e)) < 0 || (rc = subject_build(x, r, e)) < 0 ||
        (rc = leaf_cdp(l, r, e)) < 0 || (rc = ext_san(x, r, PUT_REPLACE, e)) < 0)
        return rc;
    return 0;
}

int profile_build_into(const struct profile_req *r, struct profile_leaf *l, X509 **out,
                       struct sm_err *e)
{
    *out = NULL;
    if (r == NULL || l == NULL)
        return sm_err_set(e, SM_E_INVALID, "request", "missing");
    int rc = req_check(r, e);
    if (rc < 0) {
        profile_leaf_free(l);
        return rc;
    }
    if (leaf_fits(l, r)) {
        if ((rc = leaf_update(l, r, e)) < 0) {
            profile_leaf_free(l); /* half set: never used again */
            return rc;
        }
        *out = l->x;
        return 0;
    }
    profile_leaf_free(l);
    X509 *x = NULL;
    if ((rc = build_new(r, &x, e)) < 0)
        return rc;
    if (r->spki != NULL && leaf_keep(l, r, x) < 0) {
        profile_leaf_free(l); /* frees x too */
        return sm_err_set(e, SM_E_NOMEM, "x509", NULL);
    }
    if (r->spki == NULL) /* never kept (see leaf_fits); l holds it until the next call */
        l->x = x;
    *out = x;
    return 0;
}
