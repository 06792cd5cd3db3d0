/* SPDX-License-Identifier: MIT */
/* ACME accounts with external account binding (RFC 8555 7.3, 7.3.4) and the EAB
 * credentials of organizations; see ra/acme.h. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/acme.h"
#include "store/acme_accounts.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/orgs.h"

#define CONTACTS_MAX    4
#define CONTACT_LEN_MAX 320

void acme_account_result_clear(struct acme_account_result *a)
{
    if (a == NULL)
        return;
    free(a->contact);
    memset(a, 0, sizeof *a);
}

static int refuse(struct sm_err *e, int code, const char *field, const char *detail)
{
    return sm_err_set(e, code, field, "%s", detail);
}

/* The contact array as JSON text: at most CONTACTS_MAX mailto: URLs. */
static int contacts(json_t *payload, char **out, struct sm_err *e)
{
    json_t *c = json_object_get(payload, "contact");
    if (c == NULL)
        c = json_array();
    else
        json_incref(c);
    int ok = json_is_array(c) && json_array_size(c) <= CONTACTS_MAX;
    size_t i;
    json_t *v;
    json_array_foreach(c, i, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL || strncmp(s, "mailto:", 7) != 0 || strlen(s) > CONTACT_LEN_MAX ||
            strchr(s + 7, '@') == NULL || strpbrk(s, " ,?\r\n") != NULL)
            ok = 0;
    }
    *out = ok ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);
    if (!ok)
        return refuse(e, SM_E_ACME_INVALID_CONTACT, "contact",
                      "contact must be up to 4 mailto: addresses");
    return *out != NULL ? 0 : sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
}

/* Checks the externalAccountBinding (RFC 8555 7.3.4): an HS256 JWS over the account's own
 * key with the EAB key id as kid, the newAccount URL as url and no nonce, whose MAC
 * verifies with a usable key of that id. Sets *org_id and kid. */
static int check_eab(struct db *db, const struct acme_request *q, json_t *eab, const char *url,
                     int64_t *org_id, char kid[64], struct sm_err *e)
{
    char *text = json_dumps(eab, JSON_COMPACT);
    if (text == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    struct jws j;
    enum jws_fault f;
    struct sm_err je = {0};
    int rc = jws_parse(text, strlen(text), &j, &f, &je);
    free(text);
    if (rc < 0) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "externalAccountBinding", je.detail);
        goto out;
    }
    if (j.alg != JWS_HS256 || j.kid == NULL || j.nonce != NULL || j.jwk != NULL) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "externalAccountBinding",
                    "alg HS256 and kid, no nonce and no jwk");
        goto out;
    }
    if (j.url == NULL || strcmp(j.url, url) != 0) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "externalAccountBinding.url",
                    "url is not the newAccount URL");
        goto out;
    }
    EVP_PKEY *k = NULL;
    char *canon = NULL;
    rc = jwk_parse((const char *)j.payload, j.payload_len, &k, &canon, &je);
    EVP_PKEY_free(k);
    int same = rc == 0 && strcmp(canon, q->jws.jwk_canon) == 0;
    free(canon);
    if (!same) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "externalAccountBinding.payload",
                    "payload is not the account key");
        goto out;
    }
    struct acme_eab_row key;
    rc = acme_eab_get(db, j.kid, &key, e);
    if (rc == -SM_E_NOTFOUND || (rc == 0 && key.revoked_at != 0)) {
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "externalAccountBinding.kid",
                    "unknown or revoked EAB key id");
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = jws_verify_hmac(&j, key.hmac_key, key.hmac_key_len, &je);
    sodium_memzero(key.hmac_key, sizeof key.hmac_key);
    if (rc < 0) {
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "externalAccountBinding.signature",
                    "EAB MAC does not verify");
        goto out;
    }
    *org_id = key.org_id;
    snprintf(kid, 64, "%s", key.kid);
out:
    jws_clear(&j);
    return rc;
}

static int found(struct acme_account_row *a, struct acme_account_result *out)
{
    out->id = a->id;
    out->created = 0;
    snprintf(out->status, sizeof out->status, "%s", a->status);
    out->contact = a->contact;
    a->contact = NULL;
    acme_account_row_free(a);
    return 0;
}

int acme_account_new(struct db *db, const struct acme_request *q, const struct acme_new_account *in,
                     int64_t now, struct acme_account_result *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    json_t *p =
        json_loadb((const char *)q->jws.payload, q->jws.payload_len, JSON_REJECT_DUPLICATES, NULL);
    int rc = 0;
    char *contact = NULL;
    if (!json_is_object(p)) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "payload", "payload is not a JSON object");
        goto out;
    }
    struct acme_account_row a = {0};
    rc = acme_account_by_thumbprint(db, q->thumbprint, &a, e);
    if (rc == 0 && strcmp(a.status, "valid") != 0) { /* RFC 8555 7.3.6: its key is done */
        acme_account_row_free(&a);
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "account", "the account of this key is not valid");
        goto out;
    }
    if (rc == 0) { /* RFC 8555 7.3.1: the existing account of this key */
        rc = found(&a, out);
        goto out;
    }
    if (rc != -SM_E_NOTFOUND)
        goto out;
    if (json_is_true(json_object_get(p, "onlyReturnExisting"))) {
        rc = refuse(e, SM_E_ACME_NO_ACCOUNT, "onlyReturnExisting", "no account has this key");
        goto out;
    }
    rc = contacts(p, &contact, e);
    if (rc < 0)
        goto out;
    json_t *eab = json_object_get(p, "externalAccountBinding");
    int64_t org_id = 0;
    char kid[64] = "";
    if (eab == NULL) {
        rc = in->eab_required ? refuse(e, SM_E_ACME_EAB_REQUIRED, "externalAccountBinding",
                                       "external account binding required")
                              : refuse(e, SM_E_ACME_EAB_REQUIRED, "externalAccountBinding",
                                       "accounts without an organization are not offered");
        goto out;
    }
    rc = check_eab(db, q, eab, in->url, &org_id, kid, e);
    if (rc < 0)
        goto out;
    rc = db_begin(db, e);
    if (rc < 0)
        goto out;
    a = (struct acme_account_row){
        .org_id = org_id, .created_at = now, .jwk = q->jws.jwk_canon, .contact = contact};
    snprintf(a.thumbprint, sizeof a.thumbprint, "%s", q->thumbprint);
    snprintf(a.status, sizeof a.status, "valid");
    snprintf(a.eab_kid, sizeof a.eab_kid, "%s", kid);
    rc = acme_account_insert(db, &a, &out->id, e);
    char object[48], detail[256];
    snprintf(object, sizeof object, "acme_account:%lld", (long long)out->id);
    snprintf(detail, sizeof detail, "{\"org_id\":%lld,\"eab_kid\":\"%s\",\"thumbprint\":\"%s\"}",
             (long long)org_id, kid, q->thumbprint);
    if (rc == 0)
        rc = audit_append_from(db, "acme", in->client_ip, "acme.account.create", object, detail, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        /* a concurrent newAccount with the same key won the race: answer its account */
        struct acme_account_row b = {0};
        if (acme_account_by_thumbprint(db, q->thumbprint, &b, NULL) == 0)
            rc = found(&b, out);
        goto out;
    }
    out->created = 1;
    snprintf(out->status, sizeof out->status, "valid");
    out->contact = contact;
    contact = NULL;
out:
    free(contact);
    json_decref(p);
    return rc;
}

int acme_account_change(struct db *db, const struct acme_request *q, int64_t account_id,
                        const char *client_ip, struct acme_account_result *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    if (q->account_id == 0 || q->account_id != account_id)
        return refuse(e, SM_E_ACME_UNAUTHORIZED, "kid", "kid is not this account");
    struct acme_account_row a = {0};
    int rc = acme_account_get(db, account_id, &a, e);
    if (rc < 0)
        return rc;
    json_t *p = NULL;
    char *contact = NULL;
    const char *status = a.status, *action = NULL;
    if (q->jws.payload_len > 0) { /* else POST-as-GET: the account as it is */
        p = json_loadb((const char *)q->jws.payload, q->jws.payload_len, JSON_REJECT_DUPLICATES,
                       NULL);
        json_t *st = json_object_get(p, "status");
        if (!json_is_object(p) || (st != NULL && !json_is_string(st)) ||
            (st != NULL && strcmp(json_string_value(st), "deactivated") != 0 &&
             strcmp(json_string_value(st), a.status) != 0)) {
            rc = refuse(e, SM_E_ACME_MALFORMED, "status",
                        "payload must be an object; status can only become deactivated");
            goto out;
        }
        if (json_object_get(p, "contact") != NULL) {
            rc = contacts(p, &contact, e);
            if (rc < 0)
                goto out;
            action = "acme.account.update";
        }
        if (st != NULL && strcmp(json_string_value(st), "deactivated") == 0) {
            status = "deactivated";
            action = "acme.account.deactivate";
        }
    }
    if (action != NULL) {
        char object[48], detail[64];
        snprintf(object, sizeof object, "acme_account:%lld", (long long)account_id);
        snprintf(detail, sizeof detail, "{\"status\":\"%s\"}", status);
        rc = db_begin(db, e);
        if (rc == 0)
            rc = acme_account_update(db, account_id, status, contact ? contact : a.contact, e);
        if (rc == 0)
            rc = audit_append_from(db, "acme", client_ip, action, object, detail, e);
        if (rc == 0)
            rc = db_commit(db, e);
        if (rc < 0) {
            db_rollback(db);
            goto out;
        }
    }
    out->id = account_id;
    snprintf(out->status, sizeof out->status, "%s", status);
    out->contact = contact ? contact : a.contact;
    if (contact != NULL)
        contact = NULL;
    else
        a.contact = NULL;
out:
    free(contact);
    json_decref(p);
    acme_account_row_free(&a);
    return rc;
}

int acme_account_key_change(struct db *db, const struct acme_request *q, const char *url,
                            const char *client_ip, struct acme_account_result *out,
                            struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    struct jws in;
    enum jws_fault f;
    struct sm_err je = {0};
    struct acme_account_row a = {0}, other = {0};
    json_t *p = NULL;
    EVP_PKEY *old = NULL;
    char *old_canon = NULL, thumb[JWK_THUMB_LEN];
    int rc = jws_parse((const char *)q->jws.payload, q->jws.payload_len, &in, &f, &je);
    if (rc < 0) {
        rc = refuse(e, f == JWS_F_KEY ? SM_E_ACME_BAD_PUBLIC_KEY : SM_E_ACME_MALFORMED, "payload",
                    je.detail);
        goto out;
    }
    if (in.jwk == NULL || in.kid != NULL || in.nonce != NULL || in.url == NULL ||
        strcmp(in.url, url) != 0) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "payload",
                    "inner JWS: jwk, the outer url and no nonce or kid");
        goto out;
    }
    if (jws_verify(&in, in.jwk, &f, &je) < 0) {
        rc = refuse(e, f == JWS_F_ALG ? SM_E_ACME_BAD_SIG_ALG : SM_E_ACME_MALFORMED, "payload",
                    je.detail);
        goto out;
    }
    p = json_loadb((const char *)in.payload, in.payload_len, JSON_REJECT_DUPLICATES, NULL);
    const char *account = json_string_value(json_object_get(p, "account"));
    json_t *oldkey = json_object_get(p, "oldKey");
    char *oldtext = oldkey != NULL ? json_dumps(oldkey, JSON_COMPACT) : NULL;
    rc = oldtext != NULL ? jwk_parse(oldtext, strlen(oldtext), &old, &old_canon, &je) : -1;
    free(oldtext);
    if (account == NULL || rc < 0) {
        rc = refuse(e, SM_E_ACME_MALFORMED, "payload", "inner payload: account and oldKey");
        goto out;
    }
    rc = acme_account_get(db, q->account_id, &a, e);
    if (rc < 0)
        goto out;
    if (strcmp(account, q->jws.kid) != 0 || strcmp(old_canon, a.jwk) != 0) {
        rc = refuse(e, SM_E_ACME_UNAUTHORIZED, "oldKey", "account or oldKey is not this account's");
        goto out;
    }
    jwk_thumbprint(in.jwk_canon, thumb);
    if (acme_account_by_thumbprint(db, thumb, &other, NULL) == 0) {
        out->id = other.id; /* RFC 8555 7.3.5: 409 with that account's URL in Location */
        rc = refuse(e, SM_E_ACME_KEY_CONFLICT, "newKey", "the new key is another account's key");
        goto out;
    }
    char object[48], detail[128];
    snprintf(object, sizeof object, "acme_account:%lld", (long long)a.id);
    snprintf(detail, sizeof detail, "{\"old\":\"%s\",\"new\":\"%s\"}", a.thumbprint, thumb);
    rc = db_begin(db, e);
    if (rc == 0)
        rc = acme_account_update_key(db, a.id, in.jwk_canon, thumb, e);
    if (rc == 0)
        rc = audit_append_from(db, "acme", client_ip, "acme.account.key_change", object, detail, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        goto out;
    }
    out->id = a.id;
    snprintf(out->status, sizeof out->status, "%s", a.status);
    out->contact = a.contact;
    a.contact = NULL;
out:
    EVP_PKEY_free(old);
    free(old_canon);
    json_decref(p);
    acme_account_row_free(&a);
    acme_account_row_free(&other);
    jws_clear(&in);
    return rc;
}

int acme_eab_create(struct db *db, int64_t org_id, const char *actor, int64_t now,
                    char kid[ACME_EAB_KID_LEN], char key_b64[ACME_EAB_KEY_LEN], struct sm_err *e)
{
    struct org_row o;
    int rc = org_get(db, org_id, &o, e);
    if (rc == -SM_E_NOTFOUND)
        return sm_err_set(e, SM_E_NOTFOUND, "org", "no organization %lld", (long long)org_id);
    if (rc < 0)
        return rc;
    struct acme_eab_row k = {.org_id = org_id, .created_at = now, .hmac_key_len = 32};
    unsigned char id[16];
    randombytes_buf(id, sizeof id);
    randombytes_buf(k.hmac_key, k.hmac_key_len);
    b64url_encode(id, sizeof id, k.kid);
    rc = db_begin(db, e);
    if (rc == 0)
        rc = acme_eab_insert(db, &k, actor, e);
    char object[96], detail[64];
    snprintf(object, sizeof object, "acme_eab:%s", k.kid);
    snprintf(detail, sizeof detail, "{\"org_id\":%lld}", (long long)org_id);
    if (rc == 0)
        rc = audit_append(db, actor, "acme.eab.create", object, detail, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        sodium_memzero(k.hmac_key, sizeof k.hmac_key);
        return rc;
    }
    snprintf(kid, ACME_EAB_KID_LEN, "%.22s", k.kid);
    b64url_encode(k.hmac_key, k.hmac_key_len, key_b64);
    sodium_memzero(k.hmac_key, sizeof k.hmac_key);
    return 0;
}
