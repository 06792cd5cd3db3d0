/* SPDX-License-Identifier: MIT */
/* ACME Renewal Information (RFC 9773); see ra/acme_ari.h. */
#include <jansson.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/jws.h"
#include "ra/acme_ari.h"
#include "store/acme_ari.h"
#include "store/audit.h"
#include "store/cas.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/orgs.h"

#define PART_MAX 128 /* base64url characters of one part (a 20-byte serial is 28) */

/* Decodes one base64url part of a certID into out (PART_MAX bytes); its length or -1. */
static long part(const char *s, size_t n, unsigned char *out)
{
    if (n == 0 || n > PART_MAX)
        return -1;
    return b64url_decode(s, n, out);
}

/* 1 when the keyIdentifier of der's AKI is aki[0..n). */
static int aki_is(const unsigned char *der, size_t len, const unsigned char *aki, long n)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    const ASN1_OCTET_STRING *k = x ? X509_get0_authority_key_id(x) : NULL;
    int ok = k != NULL && ASN1_STRING_length(k) == n &&
             memcmp(ASN1_STRING_get0_data(k), aki, (size_t)n) == 0;
    X509_free(x);
    return ok;
}

int acme_ari_window_get(struct db *db, const char *certid, int64_t now, struct acme_ari_window *out,
                        struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    const char *dot = certid ? strchr(certid, '.') : NULL;
    unsigned char aki[PART_MAX], ser[PART_MAX];
    long an = dot ? part(certid, (size_t)(dot - certid), aki) : -1;
    long sn = dot ? part(dot + 1, strlen(dot + 1), ser) : -1;
    /* the serial: a positive DER INTEGER's content octets, at most 20 (RFC 5280 4.1.2.2)
     * and one leading zero octet only before a high bit */
    if (an <= 0 || sn <= 0 || sn > 21 || (ser[0] & 0x80) != 0 ||
        (sn > 1 && ser[0] == 0 && (ser[1] & 0x80) == 0))
        return sm_err_set(e, SM_E_ACME_MALFORMED, "certID",
                          "certID is base64url(AKI keyIdentifier) \".\" base64url(serial)");
    char serial[43];
    size_t k = 0;
    for (long i = 0; i < sn; i++)
        k += (size_t)snprintf(serial + k, sizeof serial - k, "%02x", ser[i]);
    const char *s = serial;
    while (s[0] == '0' && s[1] != '\0')
        s++;
    struct certs_row *c = NULL;
    int rc = certs_get(db, s, &c, e);
    if (rc == 0 && (c->der == NULL || !aki_is(c->der, c->der_len, aki, an)))
        rc = -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND) {
        certs_row_free(c);
        return sm_err_set(e, SM_E_NOTFOUND, "certID", "no certificate of this CA has this certID");
    }
    if (rc < 0)
        return rc;
    int64_t drilled = 0;
    rc = acme_ari_drilled_at(db, c->serial, &drilled, e);
    if (rc == 0) {
        if (strcmp(c->state, "revocation_scheduled") == 0 || strcmp(c->state, "revoked") == 0) {
            *out = (struct acme_ari_window){now, now + 3600, "revocation"};
        } else if (drilled > 0) {
            *out = (struct acme_ari_window){drilled, drilled + 3600, "drill"};
        } else {
            int64_t v = c->not_after - c->not_before;
            *out = (struct acme_ari_window){c->not_before + v * 2 / 3, c->not_before + v * 5 / 6,
                                            "default"};
        }
    }
    certs_row_free(c);
    return rc;
}

int acme_ari_drill(struct db *db, const char *ca_name, int64_t issued_before, int64_t org_id,
                   const char *actor, int64_t now, int64_t *drill_id, int64_t *count,
                   struct sm_err *e)
{
    struct cas_row *ca = NULL;
    int rc = cas_get(db, ca_name, &ca, e);
    if (rc == -SM_E_NOTFOUND)
        return sm_err_set(e, SM_E_NOTFOUND, "ca", "no CA called %s", ca_name);
    if (rc < 0)
        return rc;
    int64_t ca_id = ca->id;
    cas_row_free(ca);
    if (org_id > 0) {
        struct org_row o;
        rc = org_get(db, org_id, &o, e);
        if (rc == -SM_E_NOTFOUND)
            return sm_err_set(e, SM_E_NOTFOUND, "org", "no organization %lld", (long long)org_id);
        if (rc < 0)
            return rc;
    }
    int64_t id = 0, n = 0;
    rc = db_begin(db, e);
    if (rc == 0)
        rc = acme_ari_drill_insert(db, ca_id, issued_before, org_id, actor, now, &id, &n, e);
    char object[48];
    snprintf(object, sizeof object, "acme_ari_drill:%lld", (long long)id);
    json_t *d =
        json_pack("{s:s, s:I, s:I, s:I}", "ca", ca_name, "issued_before", (json_int_t)issued_before,
                  "org_id", (json_int_t)org_id, "certificates", (json_int_t)n);
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (rc == 0 && detail == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = audit_append(db, actor, "acme.ari.drill", object, detail, e);
    free(detail);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    if (drill_id != NULL)
        *drill_id = id;
    if (count != NULL)
        *count = n;
    return 0;
}
