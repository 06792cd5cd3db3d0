/* SPDX-License-Identifier: MIT */
/* R-MNG-4: the site seal (ra/seal.h). */
#include "ra/seal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/clock.h"
#include "core/text.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/scope.h"

int seal_id_ok(const char *s)
{
    if (s == NULL || strlen(s) != SEAL_ID_LEN)
        return 0;
    for (size_t i = 0; i < SEAL_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int issued_once(const char *state)
{
    return strcmp(state, "issued") == 0 || strcmp(state, "revocation_scheduled") == 0 ||
           strcmp(state, "revoked") == 0 || strcmp(state, "expired") == 0;
}

int seal_for_cert(struct db *db, const struct org_scope *scope, const char *serial,
                  const char *actor, const char *client_ip, char seal_id[SEAL_ID_LEN + 1],
                  struct sm_err *e)
{
    struct certs_row *c = NULL;
    int rc = certs_get_scoped(db, serial, scope, &c, e);
    if (rc == 0 && (!issued_once(c->state) || c->org_id <= 0))
        rc = -SM_E_NOTFOUND;
    if (rc == -SM_E_NOTFOUND) {
        certs_row_free(c);
        sm_err_clear(e);
        return sm_err_set(e, SM_E_NOTFOUND, "serial", "no certificate with this serial");
    }
    if (rc < 0)
        return rc;
    int64_t cert_id = c->id, org_id = c->org_id;
    certs_row_free(c);
    if ((rc = db_begin(db, e)) < 0)
        return rc;
    int64_t sub = 0;
    struct seal_row s;
    rc = seals_chain_root(db, cert_id, &sub, e);
    if (rc == 0)
        rc = seals_find(db, sub, sub > 0 ? 0 : cert_id, &s, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        unsigned char raw[SEAL_ID_LEN / 2];
        randombytes_buf(raw, sizeof raw);
        memset(&s, 0, sizeof s);
        text_hex(s.seal_id, raw, sizeof raw);
        s.org_id = org_id;
        s.subscription_id = sub;
        s.cert_id = sub > 0 ? 0 : cert_id;
        s.created_at = (int64_t)clock_now();
        rc = seals_insert(db, &s, NULL, e);
        char obj[64], det[128];
        snprintf(obj, sizeof obj, "certificate:%s", serial);
        snprintf(det, sizeof det, "{\"seal_id\":\"%s\",\"subscription_id\":%lld}", s.seal_id,
                 (long long)sub);
        if (rc == 0)
            rc = audit_append_from(db, actor, client_ip, "seal.create", obj, det, e);
    }
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        return rc;
    }
    memcpy(seal_id, s.seal_id, SEAL_ID_LEN + 1);
    return 0;
}

/* The subject's O of a certificate's DER into out ("" when none). */
static void subject_o(const unsigned char *der, size_t len, char *out, size_t n)
{
    out[0] = '\0';
    const unsigned char *p = der;
    X509 *x = der != NULL ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (x != NULL &&
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, out, (int)n) < 0)
        out[0] = '\0';
    X509_free(x);
    ERR_clear_error();
}

int seal_status(struct db *db, const char *seal_id, time_t now, struct seal_status *out,
                struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (!seal_id_ok(seal_id))
        return sm_err_set(e, SM_E_NOTFOUND, "seal", "no such seal");
    struct seal_row s;
    int rc = seals_get(db, seal_id, &s, e);
    int64_t cert_id = s.cert_id;
    if (rc == 0 && s.subscription_id > 0)
        rc = seals_current_cert(db, s.subscription_id, &cert_id, e);
    struct certs_row *c = NULL;
    if (rc == 0)
        rc = certs_get_id(db, cert_id, &c, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return sm_err_set(e, SM_E_NOTFOUND, "seal", "no such seal");
    }
    if (rc < 0)
        return rc;
    snprintf(out->cn, sizeof out->cn, "%s", c->cn != NULL ? c->cn : "");
    snprintf(out->level, sizeof out->level, "%s", c->level);
    snprintf(out->serial, sizeof out->serial, "%s", c->serial);
    if (strcmp(c->level, "dv") != 0)
        subject_o(c->der, c->der_len, out->org, sizeof out->org);
    out->not_before = c->not_before;
    out->not_after = c->not_after;
    if (strcmp(c->state, "revoked") == 0)
        out->state = SEAL_REVOKED;
    else if (strcmp(c->state, "expired") == 0 || (int64_t)now > c->not_after)
        out->state = SEAL_EXPIRED;
    else if (strcmp(c->state, "issued") == 0 || strcmp(c->state, "revocation_scheduled") == 0)
        out->state = (int64_t)now < c->not_before ? SEAL_EXPIRED : SEAL_VALID;
    else
        out->state = SEAL_REVOKED;
    certs_row_free(c);
    return 0;
}
