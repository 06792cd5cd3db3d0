/* SPDX-License-Identifier: MIT */
/* The OCSP responder (see ocsp.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "pki/ca.h"
#include "pki/keyfile.h"
#include "pki/ocsp.h"
#include "pki/signer.h"
#include "ra/issuer.h"
#include "ra/ocsp.h"
#include "store/cas.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/ocsp_responders.h"
#include "store/ocsp_responses.h"

static const char *const levels[] = {"dv", "ov", "ev"};
#define NLEVELS      3
#define DAY          86400
#define CACHE_RELOAD 300 /* seconds before a loaded responder is read again */

/* ---- making responders ---- */

static int make_responder(struct db *db, const struct config *cfg, const char *level, int64_t now,
                          int64_t days, struct sm_err *e)
{
    const char *pass = NULL;
    struct ca_issuer *is = NULL;
    struct signer *rs = NULL;
    X509 *cert = NULL;
    unsigned char *der = NULL;
    struct ocsp_responder_row row = {0};
    char path[1024], label[64];
    const char *token = config_str(cfg, "hsm", "token");
    snprintf(row.key_ref, sizeof row.key_ref, "file:keys/ocsp-%s-%lld.key", level, (long long)now);
    snprintf(label, sizeof label, "ocsp-%s-%lld", level, (long long)now);
    int rc = ca_passphrase(cfg, &pass, e);
    if (rc == 0)
        rc = issuer_load(db, cfg, level, "a", &is, e);
    if (rc == 0 && token[0] != '\0') { /* beside the CA keys, in the token (R-OPS-1) */
        struct signer_hsm hsm;
        ca_hsm(cfg, &hsm);
        rc = signer_generate_token(&hsm, token, label, KEYFILE_EC_P256, row.key_ref,
                                   sizeof row.key_ref, &rs, e);
    } else if (rc == 0) {
        EVP_PKEY *key = NULL;
        rc = keyfile_generate(KEYFILE_EC_P256, &key, e);
        if (rc == 0 && config_path(cfg, row.key_ref + 5, path, sizeof path) < 0)
            rc = sm_err_set(e, SM_E_CONFIG, "dir", "data directory path too long");
        if (rc == 0)
            rc = keyfile_write(path, key, pass, e);
        if (rc == 0)
            rc = signer_from_pkey(key, &rs, e);
        EVP_PKEY_free(key);
    }
    if (rc == 0)
        rc = ocsp_responder_make(is->cert, is->signer, signer_public(rs), now - 3600,
                                 now + days * DAY, &cert, e);
    int len = rc == 0 ? i2d_X509(cert, &der) : 0;
    if (rc == 0 && len <= 0)
        rc = sm_err_openssl(e, "OCSP responder certificate");
    if (rc == 0) {
        snprintf(row.issuer, sizeof row.issuer, "%s", level);
        row.cert_der = der;
        row.cert_len = (size_t)len;
        row.not_before = now - 3600;
        row.not_after = now + days * DAY;
        row.created_at = now;
        rc = ocsp_responders_insert(db, &row, e);
        if (rc == 0)
            log_info("OCSP responder made", "issuer", level, "key", row.key_ref);
    }
    OPENSSL_free(der);
    X509_free(cert);
    signer_free(rs);
    ca_issuer_free(is);
    return rc;
}

int ocsp_responders_ensure(struct db *db, const struct config *cfg, int64_t now, int *made,
                           struct sm_err *e)
{
    int64_t days = 90;
    int rc = config_int(cfg, "revocation", "ocsp_responder_days", 7, 365, &days, e);
    if (made != NULL)
        *made = 0;
    for (int i = 0; rc == 0 && i < NLEVELS; i++) {
        rc = issuer_exists(db, levels[i], e);
        if (rc == 0)
            continue; /* no CA of that level */
        rc = rc < 0 ? rc : 0;
        struct ocsp_responder_row cur;
        /* valid for more than a third of its validity from now: keep it */
        int have = rc == 0
                       ? ocsp_responders_get_current(db, levels[i], now + days * DAY / 3, &cur, e)
                       : rc;
        if (have == 0)
            ocsp_responder_row_clear(&cur);
        if (have < 0)
            rc = have;
        else if (have == 1) {
            rc = make_responder(db, cfg, levels[i], now, days, e);
            if (rc == 0 && made != NULL)
                (*made)++;
        }
    }
    return rc;
}

/* ---- answering ---- */

struct loaded {
    X509 *ca;           /* the issuing certificate (subject and key match the cross too) */
    X509 *responder;    /* delegated responder certificate */
    struct signer *key; /* its key: a file's or a token's */
    int64_t not_after, loaded_at;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct loaded cache[NLEVELS];

static void loaded_clear(struct loaded *l)
{
    X509_free(l->ca);
    X509_free(l->responder);
    signer_free(l->key);
    memset(l, 0, sizeof *l);
}

void ocsp_cache_clear(void)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < NLEVELS; i++)
        loaded_clear(&cache[i]);
    pthread_mutex_unlock(&cache_mu);
}

static X509 *d2i_cert(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    return der ? d2i_X509(NULL, &p, (long)len) : NULL;
}

/* Loads level i into l (cache_mu held). 1 when the level has no CA or no responder. */
static int load_level(struct db *db, const struct config *cfg, int i, int64_t now, struct loaded *l,
                      struct sm_err *e)
{
    struct loaded n = {0};
    struct cas_row *ca = NULL;
    struct ocsp_responder_row row;
    const char *pass = NULL;
    int rc = cas_get(db, levels[i], &ca, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 1;
    }
    if (rc < 0)
        return rc;
    n.ca = d2i_cert(ca->der, ca->der_len);
    cas_row_free(ca);
    int have = ocsp_responders_get_current(db, levels[i], now, &row, e);
    if (have != 0) {
        loaded_clear(&n);
        return have;
    }
    n.responder = d2i_cert(row.cert_der, row.cert_len);
    n.not_after = row.not_after;
    struct signer_hsm hsm;
    ca_hsm(cfg, &hsm);
    rc = strncmp(row.key_ref, "pkcs11:", 7) != 0 ? ca_passphrase(cfg, &pass, e) : 0;
    if (rc == 0)
        rc = signer_open_ref(row.key_ref, config_dir(cfg), pass, &hsm, &n.key, e);
    if (rc == 0 && (n.ca == NULL || n.responder == NULL))
        rc = sm_err_set(e, SM_E_INTERNAL, "ocsp", "stored certificates unreadable");
    ocsp_responder_row_clear(&row);
    if (rc < 0) {
        loaded_clear(&n);
        return rc;
    }
    n.loaded_at = now;
    loaded_clear(l);
    *l = n;
    return 0;
}

/* The status of q's serial for level. */
static int status_of(struct db *db, const char *level, const char *serial, struct ocsp_answer *a,
                     struct sm_err *e)
{
    struct certs_row *c = NULL;
    int rc = certs_get(db, serial, &c, e);
    a->status = OCSP_ST_UNKNOWN;
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 0; /* never issued: unknown, never good (BR 4.9.10) */
    }
    if (rc < 0)
        return rc;
    if (strcmp(c->level, level) == 0) {
        if (strcmp(c->state, "revoked") == 0) {
            a->status = OCSP_ST_REVOKED;
            a->revoked_at = c->revoked_at;
            a->reason = c->revocation_reason > 0 ? (int)c->revocation_reason : 0;
        } else if (strcmp(c->state, "issued") == 0 ||
                   strcmp(c->state, "revocation_scheduled") == 0 ||
                   strcmp(c->state, "expired") == 0) {
            a->status = OCSP_ST_GOOD;
        } else if (strcmp(c->state, "abandoned") == 0) {
            /* possibly signed and never stored: revoked, never good (BR 4.9.10) */
            a->status = OCSP_ST_REVOKED;
            a->revoked_at = c->reserved_at;
            a->reason = 0;
        }
    }
    certs_row_free(c);
    return 0;
}

static int error_answer(int status, unsigned char **resp, size_t *len)
{
    return ocsp_response_error(status, resp, len) < 0 ? -SM_E_NOMEM : 0;
}

int ocsp_answer(struct db *db, const struct config *cfg, const unsigned char *req, size_t len,
                int64_t now, unsigned char **resp, size_t *resp_len, struct sm_err *e)
{
    *resp = NULL;
    *resp_len = 0;
    struct ocsp_query q;
    if (ocsp_query_parse(req, len, &q, e) < 0)
        return error_answer(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, resp, resp_len);
    int64_t hours = 24;
    int rc = config_int(cfg, "revocation", "ocsp_validity_hours", 8, 240, &hours, e);
    pthread_mutex_lock(&cache_mu);
    int found = -1, unavailable = 0;
    for (int i = 0; rc == 0 && i < NLEVELS && found < 0; i++) {
        struct loaded *l = &cache[i];
        if (l->ca == NULL || l->loaded_at + CACHE_RELOAD <= now || l->not_after <= now) {
            int lr = load_level(db, cfg, i, now, l, e);
            if (lr < 0) {
                log_warn("OCSP responder unavailable", "issuer", levels[i], "error", e->detail);
                unavailable = 1;
            }
            if (lr != 0)
                continue;
        }
        if (ocsp_query_issuer_is(&q, l->ca))
            found = i;
    }
    /* sign outside the lock with references of our own (a reload may replace them) */
    X509 *responder = NULL;
    struct signer *key = NULL;
    if (rc == 0 && found >= 0 && X509_up_ref(cache[found].responder) == 1) {
        responder = cache[found].responder;
        key = signer_up_ref(cache[found].key);
    }
    pthread_mutex_unlock(&cache_mu);
    if (rc == 0 && found >= 0 && !ca_ocsp_enabled(cfg, levels[found])) {
        /* R-REV-2: OCSP switched off for this CA: not a serial this responder answers for */
        X509_free(responder);
        signer_free(key);
        ocsp_query_clear(&q);
        metrics_count(MF_OCSP, "source=\"error\"");
        return error_answer(OCSP_RESPONSE_STATUS_UNAUTHORIZED, resp, resp_len);
    }
    if (rc == 0 && found >= 0 && key == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, "ocsp", "out of memory");
    struct ocsp_answer a = {OCSP_ST_UNKNOWN, 0, 0, now, now + hours * 3600};
    /* a pre-signed response when one is stored and still tells the current state */
    unsigned char *stored = NULL;
    size_t slen = 0;
    if (rc == 0 && found >= 0 && ocsp_query_presignable(&q) &&
        ocsp_responses_get(db, q.serial, levels[found], now, &stored, &slen, e) == 0) {
        *resp = OPENSSL_malloc(slen);
        if (*resp != NULL) {
            memcpy(*resp, stored, slen);
            *resp_len = slen;
        }
        free(stored);
        X509_free(responder);
        signer_free(key);
        ocsp_query_clear(&q);
        metrics_count(MF_OCSP, *resp != NULL ? "source=\"presigned\"" : "source=\"error\"");
        return *resp != NULL ? 0 : error_answer(OCSP_RESPONSE_STATUS_INTERNALERROR, resp, resp_len);
    }
    sm_err_clear(e);
    if (rc == 0 && found >= 0)
        rc = status_of(db, levels[found], q.serial, &a, e);
    if (rc == 0 && found >= 0)
        rc = ocsp_response_sign(&q, &a, responder, key, resp, resp_len, e);
    X509_free(responder);
    signer_free(key);
    ocsp_query_clear(&q);
    metrics_count(MF_OCSP, rc == 0 && found >= 0 ? "source=\"signed\"" : "source=\"error\"");
    if (rc == 0 && found < 0)
        return error_answer(unavailable ? OCSP_RESPONSE_STATUS_TRYLATER
                                        : OCSP_RESPONSE_STATUS_UNAUTHORIZED,
                            resp, resp_len);
    if (rc < 0)
        return error_answer(OCSP_RESPONSE_STATUS_INTERNALERROR, resp, resp_len);
    return 0;
}

/* ---- pre-signed responses ---- */

#define PRESIGN_BATCH 500

/* Takes references to level i's issuer, responder and key (loading them if needed). */
static int level_refs(struct db *db, const struct config *cfg, int i, int64_t now, X509 **ca,
                      X509 **responder, struct signer **key, struct sm_err *e)
{
    *ca = *responder = NULL;
    *key = NULL;
    pthread_mutex_lock(&cache_mu);
    struct loaded *l = &cache[i];
    int rc = 0;
    if (l->ca == NULL || l->loaded_at + CACHE_RELOAD <= now || l->not_after <= now)
        rc = load_level(db, cfg, i, now, l, e);
    if (rc == 0 && X509_up_ref(l->ca) == 1) {
        *ca = l->ca;
        if (X509_up_ref(l->responder) == 1)
            *responder = l->responder;
        *key = signer_up_ref(l->key);
    }
    pthread_mutex_unlock(&cache_mu);
    if (rc == 0 && (*ca == NULL || *responder == NULL || *key == NULL)) {
        X509_free(*ca);
        X509_free(*responder);
        signer_free(*key);
        *ca = *responder = NULL;
        *key = NULL;
        rc = sm_err_set(e, SM_E_NOMEM, "ocsp", "out of memory");
    }
    return rc;
}

static int level_index(const char *level)
{
    for (int i = 0; i < NLEVELS; i++)
        if (strcmp(levels[i], level) == 0)
            return i;
    return -1;
}

int ocsp_presign_refresh(struct db *db, const struct config *cfg, int64_t now, size_t max,
                         size_t *count, struct sm_err *e)
{
    int64_t hours = 24;
    size_t done = 0;
    if (count != NULL)
        *count = 0;
    int rc = config_int(cfg, "revocation", "ocsp_validity_hours", 8, 240, &hours, e);
    X509 *ca[NLEVELS] = {0}, *rsp[NLEVELS] = {0};
    struct signer *key[NLEVELS] = {0};
    int tried[NLEVELS] = {0};
    while (rc == 0 && done < max) {
        struct ocsp_due_row *v = NULL;
        size_t n = 0;
        size_t want = max - done < PRESIGN_BATCH ? max - done : PRESIGN_BATCH;
        rc = ocsp_responses_list_due(db, now, want, &v, &n, e);
        if (rc < 0 || n == 0) {
            free(v);
            break;
        }
        size_t wrote = 0;
        rc = db_begin(db, e);
        for (size_t j = 0; rc == 0 && j < n; j++) {
            int i = level_index(v[j].level);
            if (i < 0)
                continue;
            if (!tried[i]) {
                tried[i] = 1;
                if (level_refs(db, cfg, i, now, &ca[i], &rsp[i], &key[i], e) != 0)
                    sm_err_clear(e); /* no responder for the level: signed on request */
            }
            if (key[i] == NULL)
                continue;
            struct ocsp_answer a = {OCSP_ST_GOOD, 0, 0, now, now + hours * 3600};
            if (strcmp(v[j].state, "revoked") == 0) {
                a.status = OCSP_ST_REVOKED;
                a.revoked_at = v[j].revoked_at;
                a.reason = v[j].reason > 0 ? (int)v[j].reason : 0;
            }
            unsigned char *der = NULL;
            size_t len = 0;
            rc = ocsp_response_presign(ca[i], v[j].serial, &a, rsp[i], key[i], &der, &len, e);
            if (rc == 0)
                rc = ocsp_responses_put(db, v[j].serial, v[j].level, v[j].state, der, len, now,
                                        a.next_update, now + hours * 1800, e);
            OPENSSL_free(der);
            wrote += rc == 0;
        }
        if (rc == 0)
            rc = db_commit(db, e);
        else
            db_rollback(db);
        free(v);
        done += wrote;
        if (wrote < n)
            break; /* the rest has no responder: nothing more to do now */
    }
    for (int i = 0; i < NLEVELS; i++) {
        X509_free(ca[i]);
        X509_free(rsp[i]);
        signer_free(key[i]);
    }
    if (count != NULL)
        *count = done;
    return rc;
}
