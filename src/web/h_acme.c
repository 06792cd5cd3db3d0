/* SPDX-License-Identifier: MIT */
/* The ACME server's resources (RFC 8555, issue 10): the directory, nonces and accounts.
 * Every POST starts with acme_begin, the AUTH_JWS step: a fresh Replay-Nonce and the
 * directory Link on whatever is answered, the JWS checked by ra/acme (nonce, url, key,
 * signature). Errors are RFC 8555 problem documents through the core/err table. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "ra/acme.h"
#include "ra/acme_nonce.h"
#include "ra/acme_order.h"
#include "web/h_acme.h"
#include "web/http.h"

/* base_url without a trailing slash, followed by path. */
void acme_url(const struct req *r, const char *path, char *out, size_t n)
{
    const char *base = config_str(r->web->cfg, "server", "base_url");
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(out, n, "%.*s%s", (int)bl, base, path);
}

/* Replay-Nonce with a fresh nonce, and the directory as rel="index" (RFC 8555 6.5, 7.1). */
static int acme_headers(struct req *r, struct sm_err *e)
{
    char dir[URL_MAX], link[URL_MAX + 32], nonce[ACME_NONCE_LEN];
    acme_url(r, "/acme/directory", dir, sizeof dir);
    snprintf(link, sizeof link, "<%s>;rel=\"index\"", dir);
    http_add_header(r, "Link", link);
    struct db *db = req_db(r);
    if (db == NULL)
        return sm_err_set(e, SM_E_DB_BUSY, NULL, "no database connection for a nonce");
    int rc = acme_nonce_issue(db, (int64_t)clock_now(), nonce, e);
    if (rc == 0)
        http_add_header(r, "Replay-Nonce", nonce);
    return rc;
}

/* The AUTH_JWS step of a POST: 0 with q filled, or negative after answering. */
int acme_begin(struct req *r, enum acme_key_by by, struct acme_request *q)
{
    struct sm_err e = {0};
    memset(q, 0, sizeof *q);
    int rc = acme_headers(r, &e);
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (rc == 0 && (ct == NULL || strncasecmp(ct, "application/jose+json", 21) != 0 ||
                    (ct[21] != '\0' && ct[21] != ';')))
        rc = sm_err_set(&e, SM_E_ACME_MALFORMED, "Content-Type",
                        "Content-Type must be application/jose+json");
    if (rc == 0) {
        char url[URL_MAX], prefix[URL_MAX];
        acme_url(r, r->path, url, sizeof url);
        acme_url(r, "/acme/acct/", prefix, sizeof prefix);
        rc = acme_request_verify(req_db(r), r->body.p ? r->body.p : "", r->body.len, url, prefix,
                                 by, (int64_t)clock_now(), q, &e);
    }
    if (rc < 0) {
        if (e.code >= SM_E_ACME_MALFORMED)
            log_info("acme request refused", "path", r->path, "code", sm_err_name(e.code), "field",
                     e.field, "detail", e.detail);
        acme_request_clear(q);
        http_reply_err(r, &e);
    }
    return rc;
}

void h_acme_directory(struct req *r)
{
    char nn[URL_MAX], na[URL_MAX], no[URL_MAX], rc[URL_MAX], kc[URL_MAX], web[URL_MAX], ri[URL_MAX];
    acme_url(r, "/acme/new-nonce", nn, sizeof nn);
    acme_url(r, "/acme/new-account", na, sizeof na);
    acme_url(r, "/acme/new-order", no, sizeof no);
    acme_url(r, "/acme/revoke-cert", rc, sizeof rc);
    acme_url(r, "/acme/key-change", kc, sizeof kc);
    acme_url(r, "/", web, sizeof web);
    acme_url(r, "/acme/renewal-info", ri, sizeof ri);
    /* draft-ietf-acme-profiles: what an order's "profile" may name (ra/acme_order.h) */
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b, s:s, s:{s:s, s:s, s:s, s:s}}}", "newNonce", nn,
                  "newAccount", na, "newOrder", no, "revokeCert", rc, "keyChange", kc, "meta",
                  "externalAccountRequired", 1, "website", web, "profiles", "classic",
                  ACME_PROFILE_CLASSIC_TEXT, "shortlived", ACME_PROFILE_SHORTLIVED_TEXT, "ov",
                  ACME_PROFILE_OV_TEXT, "ev", ACME_PROFILE_EV_TEXT);
    if (j != NULL) /* RFC 9773 3 */
        json_object_set_new(j, "renewalInfo", json_string(ri));
    http_reply_json(r, 200, j);
}

void h_acme_new_nonce(struct req *r)
{
    struct sm_err e = {0};
    if (acme_headers(r, &e) < 0) {
        http_reply_err(r, &e);
        return;
    }
    /* RFC 8555 7.2: HEAD answers 200, GET 204; neither is cached (no-store) */
    http_reply(r, strcmp(r->method, "HEAD") == 0 ? 200 : 204, "text/plain", "", 0);
}

/* Answers an account object (RFC 8555 7.1.2) with status; Location when location. */
static void reply_account(struct req *r, int status, struct acme_account_result *a, int location)
{
    char path[64], acct[URL_MAX], orders[URL_MAX + 16];
    snprintf(path, sizeof path, "/acme/acct/%lld", (long long)a->id);
    acme_url(r, path, acct, sizeof acct);
    if (location)
        http_add_header(r, MHD_HTTP_HEADER_LOCATION, acct);
    json_t *contact = json_loads(a->contact ? a->contact : "[]", 0, NULL);
    snprintf(orders, sizeof orders, "%s/orders", acct);
    json_t *j = json_pack("{s:s, s:o, s:s}", "status", a->status, "contact",
                          contact ? contact : json_array(), "orders", orders);
    acme_account_result_clear(a);
    http_reply_json(r, status, j);
}

void h_acme_account(struct req *r)
{
    struct acme_request q;
    if (acme_begin(r, ACME_BY_KID, &q) < 0)
        return;
    const char *id = req_param(r, "id");
    char *end;
    long long n = strtoll(id ? id : "", &end, 10);
    struct acme_account_result a;
    struct sm_err e = {0};
    int rc = id != NULL && *end == '\0' && n > 0
                 ? acme_account_change(req_db(r), &q, (int64_t)n, req_client(r), &a, &e)
                 : sm_err_set(&e, SM_E_ACME_UNAUTHORIZED, "kid", "kid is not this account");
    acme_request_clear(&q);
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    reply_account(r, 200, &a, 0);
}

void h_acme_key_change(struct req *r)
{
    struct acme_request q;
    if (acme_begin(r, ACME_BY_KID, &q) < 0)
        return;
    char url[URL_MAX];
    acme_url(r, r->path, url, sizeof url);
    struct acme_account_result a;
    struct sm_err e = {0};
    int rc = acme_account_key_change(req_db(r), &q, url, req_client(r), &a, &e);
    acme_request_clear(&q);
    if (rc < 0 && e.code == SM_E_ACME_KEY_CONFLICT && a.id > 0) {
        char path[64], acct[URL_MAX];
        snprintf(path, sizeof path, "/acme/acct/%lld", (long long)a.id);
        acme_url(r, path, acct, sizeof acct);
        http_add_header(r, MHD_HTTP_HEADER_LOCATION, acct);
    }
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    reply_account(r, 200, &a, 0);
}

void h_acme_new_account(struct req *r)
{
    struct acme_request q;
    if (acme_begin(r, ACME_BY_JWK, &q) < 0)
        return;
    char url[URL_MAX];
    acme_url(r, r->path, url, sizeof url);
    struct acme_new_account in = {.eab_required = 1, .url = url, .client_ip = req_client(r)};
    struct acme_account_result a;
    struct sm_err e = {0};
    int rc = acme_account_new(req_db(r), &q, &in, (int64_t)clock_now(), &a, &e);
    acme_request_clear(&q);
    if (rc < 0) {
        acme_account_result_clear(&a);
        http_reply_err(r, &e);
        return;
    }
    if (a.created) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)a.id);
        log_info("acme account created", "account", id);
    }
    reply_account(r, a.created ? 201 : 200, &a, 1);
}
