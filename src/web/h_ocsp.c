/* SPDX-License-Identifier: MIT */
/* The OCSP responder over HTTP (RFC 6960 A.1): POST with the DER request as body
 * (application/ocsp-request), or GET with its base64 in the path. Answers are always
 * 200 application/ocsp-response (malformedRequest for anything unreadable), except a
 * request over OCSP_REQUEST_MAX bytes, refused with 413. ra/ocsp.h does the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/clock.h"
#include "core/config.h"
#include "pki/ca.h"
#include "pki/ocsp.h"
#include "ra/crl.h"
#include "ra/ocsp.h"
#include "web/handlers.h"

#define OCSP_CTYPE "application/ocsp-response"

static void answer(struct req *r, const unsigned char *der, size_t len)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    unsigned char *resp = NULL;
    size_t rlen = 0;
    struct sm_err e = {0};
    if (ocsp_answer(db, r->web->cfg, der, len, (int64_t)clock_now(), &resp, &rlen, &e) < 0) {
        http_reply_err(r, &e);
        return;
    }
    http_reply(r, 200, OCSP_CTYPE, resp, rlen);
    OPENSSL_free(resp);
}

static void too_large(struct req *r)
{
    struct sm_err e = {0};
    sm_err_set(&e, SM_E_TOO_LARGE, "request", "OCSP request too large");
    http_reply_err(r, &e);
}

void h_ocsp_post(struct req *r)
{
    if (r->body.len > OCSP_REQUEST_MAX) {
        too_large(r);
        return;
    }
    answer(r, (const unsigned char *)(r->body.p ? r->body.p : ""), r->body.len);
}

void h_ocsp_get(struct req *r)
{
    const char *b64 = r->path != NULL && strncmp(r->path, "/ocsp/", 6) == 0 ? r->path + 6 : "";
    if (strlen(b64) > OCSP_REQUEST_MAX * 4 / 3 + 4) {
        too_large(r);
        return;
    }
    unsigned char der[OCSP_REQUEST_MAX];
    int n = ocsp_b64_decode(b64, der, sizeof der);
    answer(r, der, n > 0 ? (size_t)n : 0);
}

/* Every full CRL URL (CCADB "JSON Array of Partitioned CRLs"): {repository}/{level}.crl
 * and each shard's {repository}/{level}-{k}.crl whose CRL has been published (is in the
 * database, ra/crl.h crl_published), appended to a as strings. */
static int published(struct db *db, const char *name)
{
    struct sm_err e = {0};
    return crl_published(db, name, NULL, NULL, &e) == 0;
}

int web_crl_urls(const struct config *cfg, struct db *db, json_t *a)
{
    static const char *const levels[] = {"dv", "ov", "ev"};
    char url[CA_URL_MAX + 16], name[16];
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        int shards = 1;
        struct sm_err e = {0};
        ca_crl_shards(cfg, levels[i], &shards, &e);
        /* shard 0 always; 1..N configured, and a few past N in case N was lowered */
        for (int k = 0; k <= CA_CRL_SHARDS_MAX && k <= shards + 16; k++) {
            if (k == 0)
                snprintf(name, sizeof name, "%s", levels[i]);
            else
                snprintf(name, sizeof name, "%s-%d", levels[i], k);
            if (!published(db, name) || ca_crl_url(cfg, levels[i], k, url, sizeof url) < 0)
                continue;
            if (json_array_append_new(a, json_string(url)) < 0)
                return -1;
        }
    }
    return 0;
}

/* GET /crl-urls.json: web_crl_urls as a JSON array. */
void h_crl_urls(struct req *r)
{
    struct db *db = req_db_or_reply(r);
    if (db == NULL)
        return;
    json_t *a = json_array();
    if (a == NULL || web_crl_urls(r->web->cfg, db, a) < 0) {
        json_decref(a);
        http_reply_error(r, 500, "err.internal", NULL);
        return;
    }
    http_reply_json(r, 200, a);
}
