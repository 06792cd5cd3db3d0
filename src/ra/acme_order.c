/* SPDX-License-Identifier: MIT */
/* ACME orders, authorizations, challenges and finalize (see ra/acme_order.h). */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/policy.h"
#include "net/dns.h"
#include "net/fetch.h"
#include "pki/csr.h"
#include "pki/names.h"
#include "ra/acme_order.h"
#include "ra/acme_vetted.h"
#include "ra/dcv.h"
#include "ra/fulfil.h"
#include "ra/issuance.h"
#include "ra/keyblock.h"
#include "ra/mpic.h"
#include "ra/order.h"
#include "store/acme_accounts.h"
#include "store/acme_limits.h"
#include "store/audit.h"
#include "store/certs.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/order_domains.h"
#include "store/orders.h"
#include "store/products.h"

#define TOKEN_BYTES 32

static int refuse(struct sm_err *e, int code, const char *field, const char *detail)
{
    return sm_err_set(e, code, field, "%s", detail);
}

void acme_account_url(const char *base, int64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/acme/acct/%lld", base, (long long)id);
}

void acme_order_view_free(struct acme_order_view *v)
{
    if (v == NULL)
        return;
    acme_order_row_free(&v->o);
    acme_authz_rows_free(v->authz, v->nauthz);
    free(v->authz);
    memset(v, 0, sizeof *v);
}

void acme_key_authorization(const char *token, const char *thumbprint, char *out, size_t n)
{
    snprintf(out, n, "%s.%s", token, thumbprint);
}

size_t acme_challenge_types(const struct acme_authz_row *a, const char *types[3])
{
    size_t n = 0;
    if (!a->wildcard) /* BR 3.2.2.4.19: http-01 never for a wildcard */
        types[n++] = "http-01";
    types[n++] = "dns-01";
    if (!a->wildcard) /* BR 3.2.2.4.20, RFC 8737 3: nor tls-alpn-01 */
        types[n++] = "tls-alpn-01";
    return n;
}

/* The JSON object payload of q, or NULL (then e filled). */
static json_t *payload_object(const struct acme_request *q, struct sm_err *e)
{
    json_t *p =
        json_loadb((const char *)q->jws.payload, q->jws.payload_len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        refuse(e, SM_E_ACME_MALFORMED, "payload", "payload is not a JSON object");
        return NULL;
    }
    return p;
}

static int audit(struct db *db, const char *client_ip, const char *action, const char *what,
                 int64_t id, json_t *detail, struct sm_err *e)
{
    char object[48];
    snprintf(object, sizeof object, "%s:%lld", what, (long long)id);
    char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (detail != NULL && d == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int rc = audit_append_from(db, "acme", client_ip, action, object, d, e);
    free(d);
    return rc;
}

/* ---- newOrder ---- */

/* Checks the identifiers: dns only, names R-CSR-4 accepts (wildcards too), no duplicate.
 * names gets the normalized names (NAMES_NORM_MAX each). */
static int check_identifiers(json_t *ids, char (*names)[NAMES_NORM_MAX], size_t *n,
                             struct sm_err *e)
{
    *n = 0;
    if (!json_is_array(ids) || json_array_size(ids) == 0)
        return refuse(e, SM_E_ACME_MALFORMED, "identifiers", "identifiers: a non-empty array");
    if (json_array_size(ids) > ACME_NAMES_MAX)
        return refuse(e, SM_E_ACME_REJECTED_IDENTIFIER, "identifiers", "more than 100 names");
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *value = json_string_value(json_object_get(v, "value"));
        char field[48];
        snprintf(field, sizeof field, "identifiers[%zu]", i);
        if (type == NULL || value == NULL)
            return refuse(e, SM_E_ACME_MALFORMED, field, "identifier: type and value");
        if (strcmp(type, "dns") != 0)
            return sm_err_set(e, SM_E_ACME_UNSUPPORTED_IDENTIFIER, field,
                              "identifier type %.32s is not offered", type);
        struct names_problem pr;
        memset(&pr, 0, sizeof pr);
        int rc = names_check_dns(value, 1, names[*n], &pr);
        if (rc < 0)
            return sm_err_set(e, SM_E_INTERNAL, field, "public suffix list unavailable");
        if (rc == 1) /* R-CSR-4 */
            return sm_err_set(e, SM_E_ACME_REJECTED_IDENTIFIER, field, "%s: %s (%s)", pr.code,
                              pr.msg_en, pr.detail);
        for (size_t k = 0; k < *n; k++)
            if (strcmp(names[k], names[*n]) == 0)
                return sm_err_set(e, SM_E_ACME_MALFORMED, field, "%s is listed twice", names[*n]);
        (*n)++;
    }
    return 0;
}

static int check_profile(json_t *p, const char **profile, const char **replaces, struct sm_err *e)
{
    json_t *pr = json_object_get(p, "profile"), *rp = json_object_get(p, "replaces");
    *profile = "classic";
    *replaces = NULL;
    if (pr != NULL) {
        const char *s = json_string_value(pr);
        if (s == NULL ||
            (strcmp(s, "classic") != 0 && strcmp(s, "shortlived") != 0 && !acme_profile_vetted(s)))
            return refuse(e, SM_E_ACME_INVALID_PROFILE, "profile",
                          "profile: classic, shortlived, ov or ev");
        *profile = s;
    }
    if (rp != NULL) {
        const char *s = json_string_value(rp);
        /* RFC 9773 4.1: base64url(AKI) "." base64url(serial) */
        if (s == NULL || strlen(s) > 256 || strchr(s, '.') == NULL ||
            strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") !=
                strlen(s))
            return refuse(e, SM_E_ACME_MALFORMED, "replaces", "replaces: an ARI certificate id");
        *replaces = s;
    }
    if (json_object_get(p, "notBefore") != NULL || json_object_get(p, "notAfter") != NULL)
        return refuse(e, SM_E_ACME_MALFORMED, "notBefore",
                      "notBefore and notAfter are not offered: choose a profile");
    return 0;
}

int acme_limits_from_config(const struct config *cfg, struct acme_limits *l, struct sm_err *e)
{
    memset(l, 0, sizeof *l);
    if (cfg == NULL)
        return 0;
    if (config_int(cfg, "acme", "orders_per_account", 0, 1000000, &l->orders, e) < 0 ||
        config_int(cfg, "acme", "orders_window", 1, 366 * 86400, &l->orders_window, e) < 0 ||
        config_int(cfg, "acme", "certs_per_domain", 0, 1000000, &l->certs, e) < 0 ||
        config_int(cfg, "acme", "certs_window", 1, 366 * 86400, &l->certs_window, e) < 0)
        return -SM_E_CONFIG;
    return 0;
}

/* RFC 8555 6.7 rateLimited, with the seconds until the oldest counted one leaves the
 * window in *retry. */
static int rate_refuse(struct sm_err *e, int64_t *retry, int64_t oldest, int64_t window,
                       int64_t now, const char *what, const char *domain, int64_t limit)
{
    int64_t r = oldest + window - now;
    *retry = r > 0 ? r : 1;
    char field[sizeof e->field];
    snprintf(field, sizeof field, "%s%s%.40s", what, domain ? " " : "", domain ? domain : "");
    return sm_err_set(e, SM_E_ACME_RATE_LIMITED, field, "%s: %lld per %lld s%s%.200s", what,
                      (long long)limit, (long long)window, domain ? ", " : "",
                      domain ? domain : "");
}

/* The rate limits of a new order (inside its transaction): the account's orders in the
 * window, then the certificates of each registered domain among names. */
static int check_limits(struct db *db, const struct acme_limits *l, int64_t account_id,
                        char (*names)[NAMES_NORM_MAX], size_t n, int64_t now, int64_t *retry,
                        struct sm_err *e)
{
    int64_t c = 0, oldest = 0;
    int rc = 0;
    if (l->orders > 0) {
        rc = acme_limits_count_orders(db, account_id, now - l->orders_window, &c, &oldest, e);
        if (rc == 0 && c >= l->orders)
            return rate_refuse(e, retry, oldest, l->orders_window, now, "orders_per_account", NULL,
                               l->orders);
    }
    for (size_t i = 0; rc == 0 && l->certs > 0 && i < n; i++) {
        const char *reg = names_registrable_domain(names[i] + (names[i][0] == '*' ? 2 : 0));
        if (reg == NULL)
            continue;
        rc = acme_limits_count_certs(db, reg, now - l->certs_window, &c, &oldest, e);
        if (rc == 0 && c >= l->certs)
            rc = rate_refuse(e, retry, oldest, l->certs_window, now, "certs_per_domain", reg,
                             l->certs);
    }
    return rc;
}

/* Records the registered domains of names for the per-domain limit. */
static int add_domains(struct db *db, int64_t id, char (*names)[NAMES_NORM_MAX], size_t n,
                       int64_t now, struct sm_err *e)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *reg = names_registrable_domain(names[i] + (names[i][0] == '*' ? 2 : 0));
        if (reg != NULL)
            rc = acme_limits_add_domain(db, id, reg, now, e);
    }
    return rc;
}

/* OV and EV (issue 10 item 4): the account's organization has a vetted record inside the
 * identity reuse period (ra/acme_vetted); EV names no wildcard. */
static int check_vetted(struct db *db, const struct acme_request *q, const char *profile,
                        char (*names)[NAMES_NORM_MAX], size_t n, int64_t now, struct sm_err *e)
{
    for (size_t i = 0; strcmp(profile, "ev") == 0 && i < n; i++)
        if (strncmp(names[i], "*.", 2) == 0)
            return sm_err_set(e, SM_E_ACME_REJECTED_IDENTIFIER, "identifiers",
                              "%s: an EV certificate names no wildcard", names[i]);
    struct order_row *src = NULL;
    int rc = acme_vetted_record(db, q->org_id, profile, now, &src, e);
    order_row_free(src);
    return rc;
}

/* R-VAL-2, RFC 8555 7.1.4: the newest valid authorization of a's name by an account of the
 * organization, while its validation is inside the dated reuse period (ra/dcv dcv_reusable):
 * 1 with *prev filled (free with acme_authz_rows_free), 0 when there is none. */
static int authz_reusable(struct db *db, int64_t org_id, const struct acme_authz_row *a,
                          int64_t now, struct acme_authz_row *prev, struct sm_err *e)
{
    int rc = acme_authz_last_valid(db, 1, org_id, a->name, a->wildcard, prev, e);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        memset(prev, 0, sizeof *prev);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (prev->method[0] == '\0' || !dcv_reusable((time_t)prev->validated_at, (time_t)now)) {
        acme_authz_rows_free(prev, 1);
        memset(prev, 0, sizeof *prev);
        return 0;
    }
    return 1;
}

static int load_view(struct db *db, int64_t id, struct acme_order_view *out, struct sm_err *e)
{
    int rc = acme_order_get(db, id, &out->o, e);
    if (rc == -SM_E_NOTFOUND)
        return refuse(e, SM_E_ACME_NOT_FOUND, "order", "no such order");
    if (rc == 0)
        rc = acme_authz_list(db, id, &out->authz, &out->nauthz, e);
    return rc;
}

int acme_order_new(struct db *db, const struct config *cfg, const struct acme_request *q,
                   const char *client_ip, int64_t now, struct acme_order_view *out,
                   struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct acme_limits lim;
    if (acme_limits_from_config(cfg, &lim, e) < 0)
        return -SM_E_CONFIG;
    char(*names)[NAMES_NORM_MAX] = calloc(ACME_NAMES_MAX, NAMES_NORM_MAX);
    if (names == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    json_t *p = payload_object(q, e), *arr = NULL, *reused = json_array();
    const char *profile = NULL, *replaces = NULL;
    char *names_json = NULL;
    size_t n = 0;
    int rc = p != NULL ? 0 : -SM_E_ACME_MALFORMED;
    if (rc == 0)
        rc = check_identifiers(json_object_get(p, "identifiers"), names, &n, e);
    if (rc == 0)
        rc = check_profile(p, &profile, &replaces, e);
    if (rc == 0 && acme_profile_vetted(profile)) /* issue 10 item 4: OV/EV, R-VAL-4 */
        rc = check_vetted(db, q, profile, names, n, now, e);
    if (rc == 0 && (arr = json_array()) == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (json_array_append_new(arr, json_string(names[i])) < 0)
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0 && (names_json = json_dumps(arr, JSON_COMPACT)) == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    int64_t id = 0, retry = 0;
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc == 0) {
        rc = check_limits(db, &lim, q->account_id, names, n, now, &retry, e);
        struct acme_order_row o = {.account_id = q->account_id,
                                   .org_id = q->org_id,
                                   .expires_at = now + ACME_ORDER_SECS,
                                   .created_at = now,
                                   .names = names_json,
                                   .replaces = (char *)replaces};
        snprintf(o.status, sizeof o.status, "pending");
        snprintf(o.profile, sizeof o.profile, "%s", profile);
        if (rc == 0)
            rc = acme_order_insert(db, &o, &id, e);
        if (rc == 0)
            rc = add_domains(db, id, names, n, now, e);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct acme_authz_row a = {.acme_order_id = id,
                                       .account_id = q->account_id,
                                       .expires_at = now + ACME_ORDER_SECS};
            a.wildcard = strncmp(names[i], "*.", 2) == 0;
            snprintf(a.name, sizeof a.name, "%s", names[i] + (a.wildcard ? 2 : 0));
            snprintf(a.status, sizeof a.status, "pending");
            unsigned char t[TOKEN_BYTES];
            randombytes_buf(t, sizeof t);
            b64url_encode(t, sizeof t, a.token);
            struct acme_authz_row prev;
            int re = authz_reusable(db, q->org_id, &a, now, &prev, e);
            rc = re < 0 ? re : 0;
            if (re == 1) { /* valid at once, no new challenge, the evidence of the validation */
                int64_t until =
                    prev.validated_at + (int64_t)policy_dcv_reuse_days((time_t)now) * 86400;
                snprintf(a.status, sizeof a.status, "valid");
                a.expires_at = until < a.expires_at ? until : a.expires_at;
            }
            int64_t aid = 0;
            if (rc == 0)
                rc = acme_authz_insert(db, &a, &aid, e);
            if (rc == 0 && re == 1) {
                a.id = aid;
                snprintf(a.method, sizeof a.method, "%s", prev.method);
                snprintf(a.br_version, sizeof a.br_version, "%s", prev.br_version);
                a.validated_at = prev.validated_at;
                a.evidence = prev.evidence; /* borrowed */
                rc = acme_authz_update(db, &a, "valid", e);
                a.evidence = NULL;
                if (rc == 0 &&
                    (reused == NULL ||
                     json_array_append_new(reused, json_pack("{s:s, s:I}", "name", names[i], "from",
                                                             (json_int_t)prev.id)) < 0))
                    rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
            }
            acme_authz_rows_free(&prev, 1);
        }
        if (rc == 0 && n > 0 && json_array_size(reused) == n) /* every name: ready at once */
            rc = acme_order_set_status(db, id, "pending", "ready", NULL, e);
        json_t *d = json_pack("{s:I, s:O, s:s, s:s*, s:O*}", "account", (json_int_t)q->account_id,
                              "names", arr, "profile", profile, "replaces", replaces, "reused",
                              json_array_size(reused) > 0 ? reused : NULL);
        if (rc == 0)
            rc = d ? audit(db, client_ip, "acme.order.create", "acme_order", id, d, e)
                   : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        json_decref(d);
        if (rc == 0)
            rc = db_commit(db, e);
        if (rc < 0)
            db_rollback(db);
    }
    if (rc == 0)
        rc = load_view(db, id, out, e);
    if (rc == -SM_E_ACME_RATE_LIMITED)
        out->retry_after = retry;
    free(names_json);
    json_decref(arr);
    json_decref(reused);
    json_decref(p);
    free(names);
    return rc;
}

/* ---- reading: orders and authorizations as the account sees them ---- */

static int authz_expired(const struct acme_authz_row *a, int64_t now)
{
    return strcmp(a->status, "pending") == 0 && a->expires_at <= now;
}

/* A problem document of code with detail, as JSON text in buf. */
static const char *problem(int code, const char *detail, char *buf, size_t n)
{
    snprintf(buf, n, "{\"type\":\"%s\",\"detail\":\"%s\",\"status\":%d}", sm_err_type(code), detail,
             sm_err_http(code));
    return buf;
}

/* Brings the stored status up to date (pending -> ready / invalid, processing -> valid). */
static int order_settle(struct db *db, struct acme_order_view *v, int64_t now, struct sm_err *e)
{
    const char *to = NULL, *err = NULL;
    char ebuf[256];
    if (strcmp(v->o.status, "pending") == 0) {
        size_t valid = 0;
        for (size_t i = 0; i < v->nauthz; i++) {
            const struct acme_authz_row *a = &v->authz[i];
            if (strcmp(a->status, "valid") == 0)
                valid++;
            else if (strcmp(a->status, "pending") != 0 || authz_expired(a, now))
                to = "invalid";
        }
        if (v->o.expires_at <= now)
            to = "invalid";
        if (to == NULL && valid == v->nauthz && valid > 0)
            to = "ready";
        if (to != NULL && strcmp(to, "invalid") == 0)
            err = problem(SM_E_ACME_UNAUTHORIZED, "an authorization of the order is not valid",
                          ebuf, sizeof ebuf);
    } else if (strcmp(v->o.status, "processing") == 0 && v->o.order_id != 0) {
        static const struct org_scope all = {1, NULL, 0};
        struct order_row *po = NULL;
        int rc = orders_get(db, v->o.order_id, &all, &po, e);
        if (rc < 0)
            return rc;
        int issued = strcmp(po->state, "issued") == 0 && po->cert_id != 0;
        int64_t cert = po->cert_id;
        int dead = strcmp(po->state, "rejected") == 0 || strcmp(po->state, "cancelled") == 0;
        order_row_free(po);
        if (issued) {
            rc = acme_order_set_cert(db, v->o.id, cert, e);
            if (rc == 0) {
                v->o.cert_id = cert;
                snprintf(v->o.status, sizeof v->o.status, "valid");
            }
            return rc;
        }
        if (dead) {
            to = "invalid";
            err = problem(SM_E_ACME_SERVER_INTERNAL, "the order was refused", ebuf, sizeof ebuf);
        }
    }
    if (to == NULL)
        return 0;
    int rc = acme_order_set_status(db, v->o.id, v->o.status, to, err, e);
    if (rc == -SM_E_CONFLICT) { /* another request moved it: read it again */
        sm_err_clear(e);
        int64_t id = v->o.id;
        acme_order_view_free(v);
        return load_view(db, id, v, e);
    }
    if (rc == 0) {
        snprintf(v->o.status, sizeof v->o.status, "%s", to);
        free(v->o.error);
        v->o.error = err ? strdup(err) : NULL;
    }
    return rc;
}

static int fill_serial(struct db *db, struct acme_order_view *v, struct sm_err *e)
{
    if (v->o.cert_id == 0)
        return 0;
    struct certs_row *c = NULL;
    int rc = certs_get_id(db, v->o.cert_id, &c, e);
    if (rc == 0)
        snprintf(v->serial, sizeof v->serial, "%s", c->serial);
    certs_row_free(c);
    return rc;
}

int acme_order_read(struct db *db, const struct acme_request *q, int64_t id, int64_t now,
                    struct acme_order_view *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = load_view(db, id, out, e);
    if (rc == 0 && out->o.account_id != q->account_id)
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "order", "the order of another account");
    if (rc == 0)
        rc = order_settle(db, out, now, e);
    if (rc == 0)
        rc = fill_serial(db, out, e);
    if (rc < 0)
        acme_order_view_free(out);
    return rc;
}

int acme_authz_read(struct db *db, const struct acme_request *q, int64_t id, int64_t now,
                    struct acme_authz_row *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = acme_authz_get(db, id, out, e);
    if (rc == -SM_E_NOTFOUND)
        return refuse(e, SM_E_ACME_NOT_FOUND, "authorization", "no such authorization");
    if (rc == 0 && out->account_id != q->account_id)
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "authorization",
                    "the authorization of another account");
    if (rc == 0 && authz_expired(out, now))
        snprintf(out->status, sizeof out->status, "expired");
    if (rc < 0)
        acme_authz_rows_free(out, 1);
    return rc;
}

int acme_authz_post(struct db *db, const struct acme_request *q, int64_t id, const char *client_ip,
                    int64_t now, struct acme_authz_row *out, struct sm_err *e)
{
    int rc = acme_authz_read(db, q, id, now, out, e);
    if (rc < 0 || q->jws.payload_len == 0) /* POST-as-GET */
        return rc;
    json_t *p = payload_object(q, e);
    const char *st = json_string_value(json_object_get(p, "status"));
    if (p == NULL)
        rc = -SM_E_ACME_MALFORMED;
    else if (st == NULL || strcmp(st, "deactivated") != 0)
        rc = refuse(e, SM_E_ACME_MALFORMED, "status", "status can only become deactivated");
    else if (strcmp(out->status, "pending") != 0 && strcmp(out->status, "valid") != 0)
        rc = sm_err_set(e, SM_E_ACME_MALFORMED, "status", "the authorization is %s", out->status);
    json_decref(p);
    if (rc < 0) {
        acme_authz_rows_free(out, 1);
        return rc;
    }
    char from[16];
    snprintf(from, sizeof from, "%s", out->status);
    snprintf(out->status, sizeof out->status, "deactivated");
    json_t *d = json_pack("{s:s, s:s}", "name", out->name, "from", from);
    rc = db_begin(db, e);
    if (rc == 0)
        rc = acme_authz_update(db, out, from, e);
    if (rc == 0)
        rc = d ? audit(db, client_ip, "acme.authz.deactivate", "acme_authz", id, d, e)
               : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        acme_authz_rows_free(out, 1);
    }
    json_decref(d);
    return rc;
}

/* ---- challenges ---- */

/* The ACME problem type of a failed check (the core/err table's). */
static const char *failure_type(const char *reason)
{
    int code = SM_E_ACME_INCORRECT_RESPONSE;
    if (reason == NULL || strcmp(reason, "dcv.dns.mismatch") == 0 ||
        strcmp(reason, "dcv.dns.not_found") == 0 || strcmp(reason, "dcv.http.mismatch") == 0)
        code = SM_E_ACME_INCORRECT_RESPONSE;
    else if (strncmp(reason, "dcv.dns.", 8) == 0 || strstr(reason, "dns_") != NULL ||
             strstr(reason, "no_address") != NULL)
        code = SM_E_ACME_DNS;
    else if (strstr(reason, "timeout") != NULL || strstr(reason, "connect") != NULL ||
             strstr(reason, "address_refused") != NULL)
        code = SM_E_ACME_CONNECTION;
    else if (strcmp(reason, "dcv.tls.handshake") == 0 || strcmp(reason, "dcv.tls.alpn") == 0)
        code = SM_E_ACME_TLS; /* RFC 8737 3: the TLS connection itself went wrong */
    return sm_err_type(code);
}

static int run_check(const struct config *cfg, const struct acme_authz_row *a, int method,
                     const char *key_auth, int64_t now, struct dcv_result *r, struct sm_err *e)
{
    struct dns *dns = NULL;
    struct fetch_opts fo;
    int rc = dns_open(cfg, &dns, e);
    if (rc == 0)
        rc = fetch_opts_from_config(cfg, &fo, e);
    if (rc == 0) {
        fo.dns = dns;
        if (method == DCV_ACME_HTTP01) {
            rc = dcv_check_acme_http(&fo, a->name, a->token, key_auth, (time_t)now, r);
        } else if (method == DCV_ACME_TLSALPN01) {
            rc = dcv_check_acme_tlsalpn(&fo, a->name, key_auth, (time_t)now, r);
        } else {
            unsigned char h[32];
            char digest[48];
            crypto_hash_sha256(h, (const unsigned char *)key_auth, strlen(key_auth));
            b64url_encode(h, sizeof h, digest);
            rc = dcv_check_acme_dns(dns, a->name, digest, (time_t)now, r);
        }
        if (rc < 0)
            rc = sm_err_set(e, -rc, "challenge", "validation could not run");
    }
    dns_close(dns);
    return rc;
}

int acme_challenge_respond(struct db *db, const struct config *cfg, const struct acme_request *q,
                           int64_t id, const char *type, const char *client_ip, int64_t now,
                           struct acme_authz_row *out, struct sm_err *e)
{
    int rc = acme_authz_read(db, q, id, now, out, e);
    if (rc < 0)
        return rc;
    const char *types[3];
    size_t nt = acme_challenge_types(out, types), k;
    for (k = 0; k < nt && strcmp(types[k], type) != 0; k++)
        ;
    if (k == nt) {
        acme_authz_rows_free(out, 1);
        return sm_err_set(e, SM_E_ACME_NOT_FOUND, "challenge", "no %.16s challenge here", type);
    }
    /* RFC 8555 7.5.1: the body is {}; a repeated answer of a settled one reads it */
    if (strcmp(out->status, "pending") != 0)
        return 0;
    /* R-VAL-8, issue 11 item 2: too few perspectives for the date: refused (SM_E_MPIC),
     * the challenge stays pending for a later answer */
    if ((rc = mpic_ready((time_t)now, e)) < 0) {
        acme_authz_rows_free(out, 1);
        return rc;
    }
    int method = dcv_method_parse(type); /* http-01, dns-01 or tls-alpn-01 */
    char key_auth[128];
    acme_key_authorization(out->token, q->thumbprint, key_auth, sizeof key_auth);
    struct dcv_result r = {0};
    rc = run_check(cfg, out, method, key_auth, now, &r, e);
    json_t *err = NULL;
    if (rc == 0 && !r.ok) {
        char detail[320];
        snprintf(detail, sizeof detail, "%s: %s", r.reason ? r.reason : "dcv.failed", r.detail);
        err = json_pack("{s:s, s:s, s:i}", "type", failure_type(r.reason), "detail", detail,
                        "status", 403);
    }
    if (rc == 0) {
        snprintf(out->method, sizeof out->method, "%s", type);
        snprintf(out->status, sizeof out->status, "%s", r.ok ? "valid" : "invalid");
        if (r.ok) {
            out->validated_at = now;
            snprintf(out->br_version, sizeof out->br_version, "%s", policy_br_version((time_t)now));
        }
        free(out->evidence);
        out->evidence = r.evidence;
        r.evidence = NULL;
        free(out->error);
        out->error = err ? json_dumps(err, JSON_COMPACT) : NULL;
        json_t *d = json_pack("{s:s, s:s, s:b, s:s}", "name", out->name, "method", type, "ok", r.ok,
                              "reason", r.reason ? r.reason : "");
        rc = db_begin(db, e);
        if (rc == 0)
            rc = acme_authz_update(db, out, "pending", e);
        if (rc == 0)
            rc = d ? audit(db, client_ip, r.ok ? "acme.authz.valid" : "acme.authz.invalid",
                           "acme_authz", id, d, e)
                   : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        if (rc == 0)
            rc = db_commit(db, e);
        if (rc < 0)
            db_rollback(db);
        json_decref(d);
    }
    if (rc == -SM_E_CONFLICT) { /* answered twice at once: the other one's outcome */
        sm_err_clear(e);
        acme_authz_rows_free(out, 1);
        rc = acme_authz_read(db, q, id, now, out, e);
    } else if (rc < 0) {
        acme_authz_rows_free(out, 1);
    }
    json_decref(err);
    dcv_result_free(&r);
    return rc;
}

/* ---- finalize ---- */

/* Decodes and checks the CSR of the payload: acceptable (R-CSR rules, blocklist) and
 * naming exactly the order's identifiers. */
static int check_csr(struct db *db, const struct acme_request *q, const struct acme_order_view *v,
                     struct csr_info **csr, struct sm_err *e)
{
    *csr = NULL;
    json_t *p = payload_object(q, e);
    if (p == NULL)
        return -SM_E_ACME_MALFORMED;
    const char *s = json_string_value(json_object_get(p, "csr"));
    size_t sl = s ? strlen(s) : 0;
    unsigned char *der = sl > 0 && sl < 65536 ? malloc(sl * 3 / 4 + 1) : NULL;
    long dl = der ? b64url_decode(s, sl, der) : -1;
    int rc = 0;
    if (dl <= 0) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "csr", "csr: base64url DER");
        goto out;
    }
    struct csr_check_opts o = {.blocklist = ra_keyblock_lookup, .blocklist_arg = db};
    rc = csr_check(der, (size_t)dl, &o, csr, e);
    if (rc < 0)
        goto out;
    if (!(*csr)->acceptable) {
        const struct csr_problem *pr = NULL;
        for (size_t i = 0; i < (*csr)->nproblems && pr == NULL; i++)
            if ((*csr)->problems[i].severity == CSR_SEV_ERROR)
                pr = &(*csr)->problems[i];
        rc = sm_err_set(e, SM_E_ACME_BAD_CSR, pr ? pr->code : "csr", "%s (%s)",
                        pr ? pr->msg_en : "CSR not acceptable", pr ? pr->detail : "");
        goto out;
    }
    /* the names: every SAN (and the CN, if any) an identifier, every identifier a SAN */
    json_t *names = json_loads(v->o.names, 0, NULL);
    size_t nn = json_array_size(names), seen = 0;
    for (size_t i = 0; rc == 0 && i < (*csr)->nsans; i++) {
        size_t k;
        for (k = 0; k < nn; k++)
            if (names_equal((*csr)->sans[i], json_string_value(json_array_get(names, k))))
                break;
        if (k == nn)
            rc = sm_err_set(e, SM_E_ACME_BAD_CSR, "csr.names", "%.200s is not in the order",
                            (*csr)->sans[i]);
        else
            seen++;
    }
    for (size_t k = 0; rc == 0 && k < nn; k++) {
        size_t i;
        for (i = 0; i < (*csr)->nsans; i++)
            if (names_equal((*csr)->sans[i], json_string_value(json_array_get(names, k))))
                break;
        if (i == (*csr)->nsans)
            rc = sm_err_set(e, SM_E_ACME_BAD_CSR, "csr.names", "%.200s of the order is missing",
                            json_string_value(json_array_get(names, k)));
    }
    if (rc == 0 && (*csr)->cn != NULL) {
        size_t k;
        for (k = 0; k < nn; k++)
            if (names_equal((*csr)->cn, json_string_value(json_array_get(names, k))))
                break;
        if (k == nn)
            rc = sm_err_set(e, SM_E_ACME_BAD_CSR, "csr.cn", "the CN %.200s is not in the order",
                            (*csr)->cn);
    }
    (void)seen;
    json_decref(names);
out:
    if (rc < 0) {
        csr_info_free(*csr);
        *csr = NULL;
    }
    free(der);
    json_decref(p);
    return rc;
}

/* R-VAL-2: stale evidence is never used. A ready order whose validation (its own or a
 * reused one) has left the dated reuse period becomes invalid, nothing signed. */
static int evidence_reusable(struct db *db, struct acme_order_view *v, int64_t now,
                             struct sm_err *e)
{
    for (size_t i = 0; i < v->nauthz; i++) {
        const struct acme_authz_row *a = &v->authz[i];
        if (dcv_reusable((time_t)a->validated_at, (time_t)now))
            continue;
        char detail[400], ebuf[512];
        snprintf(detail, sizeof detail,
                 "the validation of %s%s is older than the reuse period (%d days): order again",
                 a->wildcard ? "*." : "", a->name, policy_dcv_reuse_days((time_t)now));
        int rc = acme_order_set_status(db, v->o.id, "ready", "invalid",
                                       problem(SM_E_ACME_STALE, detail, ebuf, sizeof ebuf), e);
        if (rc < 0 && rc != -SM_E_CONFLICT)
            return rc;
        sm_err_clear(e);
        return sm_err_set(e, SM_E_ACME_STALE, a->name, "%s", detail);
    }
    return 0;
}

static char *csr_pem_of(const struct csr_info *c)
{
    const unsigned char *p = c->der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)c->der_len);
    BIO *b = req ? BIO_new(BIO_s_mem()) : NULL;
    char *out = NULL;
    if (b != NULL && PEM_write_bio_X509_REQ(b, req) == 1) {
        char *data;
        long n = BIO_get_mem_data(b, &data);
        out = n > 0 ? strndup(data, (size_t)n) : NULL;
    }
    BIO_free(b);
    X509_REQ_free(req);
    return out;
}

/* The issuance job of the portal order held by the finalizing request (issue 13 item 2):
 * approving the order schedules that job, and a runner of any node would claim it at once
 * and sign beside the request (the loser's certificate thrown away, its serial abandoned).
 * The request holds the job from the commit on and its issuance is the job's run; a node
 * that dies half-way loses the job with the lease, and a runner on another node issues. */
#define FIN_LEASE_MIN 30 /* seconds: the inline issuance's CAA lookups and signing */
struct fin_hold {
    char owner[320]; /* issuance_owner() + "/finalize" */
    int64_t lease;
    int64_t job_id; /* 0: not held (the runners issue) */
};

/* Work inside the transaction that creates the portal order. */
struct fin_arg {
    const struct acme_order_view *v;
    int64_t now;
    int64_t vetted_from; /* OV/EV: the organization's vetted order, its checks copied */
    struct fin_hold *hold;
};

static int fin_then(const struct order_env *env, const struct order_actor *who, struct order_row *o,
                    void *arg, struct sm_err *e)
{
    const struct fin_arg *f = arg;
    /* billed by invoice afterwards: the ACME product needs no payment before vetting */
    struct orders_state_set set = {.pay_method = "acme"};
    json_t *d = json_pack("{s:I}", "acme_order", (json_int_t)f->v->o.id);
    int rc = order_transition_tx(env, who, o, ORDER_VETTING, "acme", &set, d, e);
    json_decref(d);
    for (size_t i = 0; rc == 0 && i < f->v->nauthz; i++) {
        const struct acme_authz_row *a = &f->v->authz[i];
        char name[NAMES_NORM_MAX + 2];
        snprintf(name, sizeof name, "%s%s", a->wildcard ? "*." : "", a->name);
        int m = dcv_method_parse(a->method);
        rc = order_domains_set_method(env->db, o->id, name, a->method, NULL, 0, e);
        if (rc == 0)
            rc = order_domains_set_result(env->db, o->id, name, "validated", a->validated_at,
                                          a->br_version, a->evidence, e);
        if (rc == 0)
            rc = order_domains_set_origin(env->db, o->id, name, a->name, dcv_method_br_section(m),
                                          0, e);
    }
    if (rc == 0 && f->vetted_from > 0) /* OV/EV: the vetted record's checks, their dates kept */
        rc = acme_vetted_copy_checks_tx(env->db, f->vetted_from, o->id, e);
    /* DV: every name validated, no officer (fulfil_after_validation's rule); OV/EV: the
     * organization's checks too, inside their reuse period (checked again before signing) */
    if (rc == 0)
        rc = order_transition_tx(env, who, o, ORDER_APPROVED, "approved", NULL, NULL, e);
    if (rc == 0)
        rc = acme_order_set_portal(env->db, f->v->o.id, o->id, e);
    if (rc == 0)
        rc = acme_order_set_status(env->db, f->v->o.id, "ready", "processing", NULL, e);
    if (rc == 0) { /* the issuance job the approval scheduled: this request's from now on */
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)o->id);
        int held = jobs_hold(env->db, ORDER_ISSUE_JOB, key, f->hold->owner, (int64_t)time(NULL),
                             f->hold->lease, &f->hold->job_id, e);
        rc = held < 0 ? held : 0;
        if (held == 0)
            f->hold->job_id = 0;
    }
    return rc;
}

/* The hold's owner name and lease ([jobs] lease_seconds, at least FIN_LEASE_MIN). */
static void fin_hold_init(const struct config *cfg, struct fin_hold *h)
{
    char owner[sizeof h->owner - sizeof "/finalize" + 1];
    if (issuance_owner(owner, sizeof owner) < 0)
        snprintf(owner, sizeof owner, "unknown/%ld/0", (long)getpid());
    snprintf(h->owner, sizeof h->owner, "%s/finalize", owner);
    struct sm_err ignored = {0};
    h->lease = 60;
    if (cfg == NULL || config_int(cfg, "jobs", "lease_seconds", 2, 86400, &h->lease, &ignored) < 0)
        h->lease = 60;
    if (h->lease < FIN_LEASE_MIN)
        h->lease = FIN_LEASE_MIN;
    h->job_id = 0;
}

/* Ends the held job after the inline issuance: done (issued, or refused for good: as a
 * runner would), or due again at once for a failure that may pass. */
static void fin_release(struct db *db, const struct fin_hold *h, int issued, int retry,
                        const char *why)
{
    if (h->job_id == 0)
        return;
    struct sm_err e = {0};
    int64_t now = (int64_t)time(NULL);
    int rc = issued || !retry ? jobs_complete(db, h->job_id, h->owner, now, 0, &e)
                              : jobs_fail(db, h->job_id, h->owner, why, now, &e);
    if (rc < 0)
        log_warn("acme finalize: issuance job not released (a runner takes it over)", "error",
                 e.detail);
}

/* The notification address of the portal order: the account's first contact. */
static int notify_address(struct db *db, int64_t account_id, char *out, size_t n, struct sm_err *e)
{
    struct acme_account_row a = {0};
    int rc = acme_account_get(db, account_id, &a, e);
    if (rc < 0)
        return rc;
    json_t *c = json_loads(a.contact ? a.contact : "[]", 0, NULL);
    const char *m = json_string_value(json_array_get(c, 0));
    out[0] = '\0';
    if (m != NULL && strncmp(m, "mailto:", 7) == 0)
        snprintf(out, n, "%s", m + 7);
    json_decref(c);
    acme_account_row_free(&a);
    return 0;
}

static int make_portal_order(const struct order_env *env, const struct acme_request *q,
                             const struct acme_order_view *v, const struct csr_info *csr,
                             int64_t now, struct fin_hold *hold, int64_t *portal_id,
                             struct sm_err *e)
{
    static const struct order_actor sys = {0, {1, NULL, 0}};
    struct product_row prod;
    struct order_row *src = NULL; /* OV/EV: the vetted record, the subject from it */
    int rc = acme_profile_vetted(v->o.profile)
                 ? acme_vetted_record(env->db, v->o.org_id, v->o.profile, now, &src, e)
                 : 0;
    if (rc == 0)
        rc = acme_product_get(env->db, v->o.profile, &prod, e);
    if (rc < 0) {
        order_row_free(src);
        return rc;
    }
    json_t *names = json_loads(v->o.names, 0, NULL);
    size_t nn = json_array_size(names);
    char **list = calloc(nn ? nn : 1, sizeof *list);
    char mail[320], idem[40], *pem = csr_pem_of(csr);
    snprintf(idem, sizeof idem, "acme-%lld", (long long)v->o.id);
    rc = names && list && pem ? notify_address(env->db, q->account_id, mail, sizeof mail, e)
                              : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    /* the CN: the CSR's when it names one, else the first identifier */
    size_t cn = 0;
    for (size_t k = 0; rc == 0 && csr->cn != NULL && k < nn; k++)
        if (names_equal(csr->cn, json_string_value(json_array_get(names, k))))
            cn = k;
    for (size_t k = 0, j = 1; rc == 0 && k < nn; k++)
        list[k == cn ? 0 : j++] = (char *)json_string_value(json_array_get(names, k));
    if (rc == 0 && mail[0] == '\0')
        snprintf(mail, sizeof mail, "acme-account-%lld@invalid", (long long)q->account_id);
    struct appform_result f;
    memset(&f, 0, sizeof f);
    char *names_json = NULL;
    json_t *ordered = json_array();
    for (size_t k = 0; rc == 0 && ordered && k < nn; k++)
        json_array_append_new(ordered, json_string(list[k]));
    if (rc == 0 && (ordered == NULL || (names_json = json_dumps(ordered, JSON_COMPACT)) == NULL))
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0) {
        f.cn = list[0];
        f.names = list;
        f.nnames = nn;
        f.user_names = (int)nn;
        snprintf(f.root, sizeof f.root, "a");
        snprintf(f.dcv_method, sizeof f.dcv_method, "dns");
        f.names_json = names_json;
        f.applicant_json = src != NULL && src->applicant != NULL ? src->applicant : "{}";
        f.contact_json = "{}";
        f.billing_json = "{}";
        f.notify_email[0] = mail;
        f.csr_pem = pem;
        f.remarks = "ACME";
        struct order_new nw = {.org_id = v->o.org_id,
                               .product = &prod,
                               .kind = "new",
                               .idem_key = idem,
                               .form = &f,
                               .csr_pem = pem};
        struct fin_arg fa = {v, now, src != NULL ? src->id : 0, hold};
        struct order_row *o = NULL;
        rc = order_create_then(env, &sys, &nw, fin_then, &fa, &o, NULL, e);
        if (rc == 0)
            *portal_id = o->id;
        order_row_free(o);
    }
    json_decref(ordered);
    free(names_json);
    free(pem);
    free(list);
    json_decref(names);
    order_row_free(src);
    return rc;
}

int acme_order_finalize(const struct order_env *env, const struct config *cfg,
                        const struct acme_request *q, int64_t id, int64_t now,
                        struct acme_order_view *out, struct sm_err *e)
{
    static const struct order_actor sys = {0, {1, NULL, 0}};
    struct csr_info *csr = NULL;
    int rc = acme_order_read(env->db, q, id, now, out, e);
    if (rc < 0)
        return rc;
    if (strcmp(out->o.status, "ready") != 0) {
        rc = sm_err_set(e, SM_E_ACME_ORDER_NOT_READY, "status", "the order is %s", out->o.status);
        acme_order_view_free(out);
        return rc;
    }
    rc = evidence_reusable(env->db, out, now, e);
    if (rc == 0)
        rc = check_csr(env->db, q, out, &csr, e);
    int64_t portal = 0;
    struct fin_hold hold = {0};
    fin_hold_init(cfg, &hold);
    if (rc == 0)
        rc = make_portal_order(env, q, out, csr, now, &hold, &portal, e);
    csr_info_free(csr);
    if (rc < 0) {
        acme_order_view_free(out);
        return rc;
    }
    /* issue now (R-VAL-3 CAA with the account URL inside ra/fulfil); not when a runner
     * holds the issuance job: the order stays processing until the runner is done */
    struct sm_err fe = {0};
    int frc = hold.job_id != 0 ? fulfil_issue(env, &sys, cfg, portal, &fe)
                               : sm_err_set(&fe, SM_E_CONFLICT, "job", "issued by a runner");
    /* a failure that may pass (fulfil_may_recover: as the issuance job decides; a DNS
     * failure, a busy database, a system failure) or a runner holding the job: the job
     * goes on, the order stays processing (the client polls, Retry-After) */
    int retry = fulfil_may_recover(frc, &fe) || frc == -SM_E_CONFLICT;
    fin_release(env->db, &hold, frc == 0, retry, fe.detail);
    acme_order_view_free(out);
    rc = acme_order_read(env->db, q, id, now, out, e);
    if (rc < 0 || frc == 0 || strcmp(out->o.status, "valid") == 0)
        return rc;
    if (retry)
        return 0;
    /* refused for good: by the domain's CAA records, the per-CN limit (R-ISS-6), the
     * linter. The portal order stays approved with its refusal recorded, for an officer. */
    int acode = strcmp(fe.field, "caa") == 0 || strcmp(fe.field, "caa.bogus") == 0
                    ? SM_E_ACME_CAA
                    : SM_E_ACME_SERVER_INTERNAL;
    json_t *err = json_pack("{s:s, s:s, s:i}", "type", sm_err_type(acode), "detail", fe.detail,
                            "status", sm_err_http(acode));
    char *es = err ? json_dumps(err, JSON_COMPACT) : NULL;
    json_decref(err);
    rc = acme_order_set_status(env->db, id, "processing", "invalid", es, e);
    free(es);
    acme_order_view_free(out);
    if (rc < 0)
        return rc;
    log_warn("acme order refused at issuance", "field", fe.field, "detail", fe.detail);
    return sm_err_set(e, acode, fe.field, "%s", fe.detail);
}
