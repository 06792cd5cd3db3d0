/* SPDX-License-Identifier: MIT */
/* The ACME server's order resources (RFC 8555 7.1.3-7.1.6, 7.4, 7.5; issue 10): newOrder,
 * the order, finalize, authorizations, challenges and the certificate, each a JWS-signed
 * POST checked by acme_begin (h_acme.c); the work is ra/acme_order's. Errors are RFC 8555
 * problem documents through the core/err table. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ra/acme_order.h"
#include "ra/context.h"
#include "ra/download.h"
#include "web/h_acme.h"
#include "web/http.h"

/* The positive id of route parameter name, or 0. */
static int64_t param_id(struct req *r, const char *name)
{
    const char *s = req_param(r, name);
    char *end;
    long long n = strtoll(s ? s : "", &end, 10);
    return s != NULL && *s != '\0' && *end == '\0' && n > 0 ? (int64_t)n : 0;
}

static int not_found(struct req *r, const char *what)
{
    struct sm_err e = {0};
    sm_err_set(&e, SM_E_ACME_NOT_FOUND, what, "no such %s", what);
    return http_reply_err(r, &e);
}

/* acme_begin (by kid) of a request on the object of route parameter "id": 0 with q to clear
 * and *id positive, or -1 once answered (the JWS refused, or an id that is not one: no such
 * what). */
static int begin_id(struct req *r, struct acme_request *q, const char *what, int64_t *id)
{
    if (acme_begin(r, ACME_BY_KID, q) < 0)
        return -1;
    *id = param_id(r, "id");
    if (*id == 0) {
        acme_request_clear(q);
        not_found(r, what);
        return -1;
    }
    return 0;
}

static void rfc3339(int64_t t, char out[32]) { clock_format_utc((time_t)t, out, 32); }

/* base_url + "/acme/" + kind + "/" + id */
static void id_url(struct req *r, const char *kind, int64_t id, char *out, size_t n)
{
    char path[96];
    snprintf(path, sizeof path, "/acme/%s/%lld", kind, (long long)id);
    acme_url(r, path, out, n);
}

/* The challenge objects of authorization a (RFC 8555 8). */
static json_t *challenges(struct req *r, const struct acme_authz_row *a)
{
    const char *types[3];
    size_t n = acme_challenge_types(a, types);
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        char path[96], url[URL_MAX];
        snprintf(path, sizeof path, "/acme/chall/%lld/%s", (long long)a->id, types[i]);
        acme_url(r, path, url, sizeof url);
        int mine = strcmp(a->method, types[i]) == 0;
        const char *st = "pending";
        if (mine && (strcmp(a->status, "valid") == 0 || strcmp(a->status, "invalid") == 0))
            st = a->status;
        json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "type", types[i], "url", url, "token",
                              a->token, "status", st);
        if (c != NULL && mine && a->validated_at > 0) {
            char at[32];
            rfc3339(a->validated_at, at);
            json_object_set_new(c, "validated", json_string(at));
        }
        if (c != NULL && mine && a->error != NULL && strcmp(st, "invalid") == 0) {
            json_t *err = json_loads(a->error, 0, NULL);
            if (err != NULL)
                json_object_set_new(c, "error", err);
        }
        json_array_append_new(arr, c);
    }
    return arr;
}

static json_t *authz_json(struct req *r, const struct acme_authz_row *a)
{
    char exp[32];
    rfc3339(a->expires_at, exp);
    json_t *j =
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "status", a->status, "expires", exp,
                  "identifier", "type", "dns", "value", a->name, "challenges", challenges(r, a));
    if (j != NULL && a->wildcard)
        json_object_set_new(j, "wildcard", json_true());
    return j;
}

/* Answers the order object (RFC 8555 7.1.3); Location when status is 201. */
static void reply_order(struct req *r, int status, struct acme_order_view *v)
{
    char url[URL_MAX], fin[URL_MAX + 16], exp[32];
    id_url(r, "order", v->o.id, url, sizeof url);
    snprintf(fin, sizeof fin, "%s/finalize", url);
    rfc3339(v->o.expires_at, exp);
    json_t *ids = json_array(), *authz = json_array();
    json_t *names = json_loads(v->o.names, 0, NULL);
    size_t i;
    json_t *nm;
    json_array_foreach(names, i, nm)
    {
        json_array_append_new(ids, json_pack("{s:s, s:O}", "type", "dns", "value", nm));
    }
    for (i = 0; i < v->nauthz; i++) {
        char au[URL_MAX];
        id_url(r, "authz", v->authz[i].id, au, sizeof au);
        json_array_append_new(authz, json_string(au));
    }
    json_decref(names);
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "status", v->o.status, "expires", exp,
                          "identifiers", ids, "authorizations", authz, "finalize", fin, "profile",
                          v->o.profile);
    if (j != NULL && v->o.replaces != NULL)
        json_object_set_new(j, "replaces", json_string(v->o.replaces));
    if (j != NULL && v->o.cert_id != 0 && strcmp(v->o.status, "valid") == 0) {
        char cu[URL_MAX];
        id_url(r, "cert", v->o.cert_id, cu, sizeof cu);
        json_object_set_new(j, "certificate", json_string(cu));
    }
    if (j != NULL && v->o.error != NULL) {
        json_t *err = json_loads(v->o.error, 0, NULL);
        if (err != NULL)
            json_object_set_new(j, "error", err);
    }
    if (status == 201)
        http_add_header(r, MHD_HTTP_HEADER_LOCATION, url);
    if (strcmp(v->o.status, "processing") == 0) { /* RFC 8555 7.4: poll again later */
        char ra[16];
        snprintf(ra, sizeof ra, "%d", ACME_RETRY_AFTER);
        http_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    acme_order_view_free(v);
    http_reply_json(r, status, j);
}

void h_acme_new_order(struct req *r)
{
    struct acme_request q;
    if (acme_begin(r, ACME_BY_KID, &q) < 0)
        return;
    struct acme_order_view v;
    struct sm_err e = {0};
    int rc =
        acme_order_new(req_db(r), r->web->cfg, &q, req_client(r), (int64_t)clock_now(), &v, &e);
    acme_request_clear(&q);
    if (rc < 0) {
        if (rc == -SM_E_ACME_RATE_LIMITED && v.retry_after > 0) /* RFC 8555 6.7 */
            r->retry_after = v.retry_after > 86400 * 366 ? 86400 * 366 : (int)v.retry_after;
        http_reply_err(r, &e);
        return;
    }
    reply_order(r, 201, &v);
}

void h_acme_order(struct req *r)
{
    struct acme_request q;
    int64_t id;
    if (begin_id(r, &q, "order", &id) < 0)
        return;
    struct acme_order_view v;
    struct sm_err e = {0};
    int rc = acme_order_read(req_db(r), &q, id, (int64_t)clock_now(), &v, &e);
    acme_request_clear(&q);
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    reply_order(r, 200, &v);
}

void h_acme_finalize(struct req *r)
{
    struct acme_request q;
    int64_t id;
    if (begin_id(r, &q, "order", &id) < 0)
        return;
    struct order_env env = ra_env(r->web->ra, req_db(r));
    env.client_ip = req_client(r);
    struct acme_order_view v;
    struct sm_err e = {0};
    int rc = acme_order_finalize(&env, r->web->cfg, &q, id, (int64_t)clock_now(), &v, &e);
    acme_request_clear(&q);
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    reply_order(r, 200, &v);
}

void h_acme_authz(struct req *r)
{
    struct acme_request q;
    int64_t id;
    if (begin_id(r, &q, "authorization", &id) < 0)
        return;
    struct acme_authz_row a;
    struct sm_err e = {0};
    int rc = acme_authz_post(req_db(r), &q, id, req_client(r), (int64_t)clock_now(), &a, &e);
    acme_request_clear(&q);
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    json_t *j = authz_json(r, &a);
    acme_authz_rows_free(&a, 1);
    http_reply_json(r, 200, j);
}

void h_acme_challenge(struct req *r)
{
    struct acme_request q;
    int64_t id;
    if (begin_id(r, &q, "challenge", &id) < 0)
        return;
    const char *type = req_param(r, "type");
    struct acme_authz_row a;
    struct sm_err e = {0};
    int rc = type != NULL ? acme_challenge_respond(req_db(r), r->web->cfg, &q, id, type,
                                                   req_client(r), (int64_t)clock_now(), &a, &e)
                          : not_found(r, "challenge");
    acme_request_clear(&q);
    if (type == NULL)
        return;
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    char au[URL_MAX], link[URL_MAX + 16];
    id_url(r, "authz", id, au, sizeof au);
    snprintf(link, sizeof link, "<%s>;rel=\"up\"", au);
    http_add_header(r, "Link", link);
    json_t *all = challenges(r, &a), *c = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "type")), type) == 0)
            c = json_incref(v);
    }
    json_decref(all);
    acme_authz_rows_free(&a, 1);
    http_reply_json(r, 200, c);
}

/* The certificate as a PEM chain (RFC 8555 7.4.2): root option a or b. */
static void reply_cert(struct req *r, const char *root)
{
    struct acme_request q;
    int64_t id;
    if (begin_id(r, &q, "certificate", &id) < 0)
        return;
    struct sm_err e = {0};
    struct bundle b = {0};
    int64_t org = q.org_id;
    acme_request_clear(&q);
    struct org_scope scope = {0, &org, 1};
    int rc = download_get_id(req_db(r), &scope, id, BUNDLE_FULLCHAIN, root, &b, &e);
    if (rc == -SM_E_NOTFOUND || rc == -SM_E_INVALID) {
        not_found(r, "certificate");
        return;
    }
    if (rc < 0) {
        http_reply_err(r, &e);
        return;
    }
    if (root == NULL) { /* RFC 8555 7.4.2: the chain to root B as an alternate */
        char alt[URL_MAX], link[URL_MAX + 32];
        id_url(r, "cert", id, alt, sizeof alt);
        snprintf(link, sizeof link, "<%s/b>;rel=\"alternate\"", alt);
        http_add_header(r, "Link", link);
    }
    http_reply(r, 200, "application/pem-certificate-chain", b.data, b.len);
    bundle_clear(&b);
}

void h_acme_cert(struct req *r) { reply_cert(r, NULL); }

void h_acme_cert_alt(struct req *r) { reply_cert(r, "b"); }
