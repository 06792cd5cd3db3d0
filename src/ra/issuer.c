/* SPDX-License-Identifier: MIT */
/* The CA hierarchy's storage half (see issuer.h): pki/ca's structs to rows of store/cas and
 * back, with the transaction and the audit records of init. */
#include "ra/issuer.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/cas.h"
#include "store/db.h"

/* The audit record of one new CA: action "ca.create", object "ca:NAME". */
static int audit_one(struct db *db, const struct ca_entry *ca, const struct cas_new *r, int64_t id,
                     const char *actor, struct sm_err *e)
{
    json_t *d = json_pack(
        "{s:I, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "id", (json_int_t)id,
        "role", r->role, "level", r->level, "root", r->root, "parent", ca->parent, "key_ref",
        r->key_ref, "key_type", r->key_type, "subject", r->subject, "ski", r->ski, "not_before",
        (json_int_t)r->not_before, "not_after", (json_int_t)r->not_after, "test", r->test);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (detail == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    char object[96];
    snprintf(object, sizeof object, "ca:%s", r->name);
    int rc = audit_append(db, actor, "ca.create", object, detail, e);
    free(detail);
    return rc;
}

/* Inserts the CA i of h (its parent stored before it, ids[] of those) with its record. */
static int store_one(struct db *db, const struct ca_hierarchy *h, int i, const struct ca_facts *f,
                     int64_t *ids, const char *actor, struct sm_err *e)
{
    const struct ca_entry *ca = &h->ca[i];
    struct cas_new r = {.name = ca->name,
                        .role = ca->role,
                        .level = ca->level,
                        .root = ca->root,
                        .key_ref = ca->key_ref,
                        .key_type = ca->key_type,
                        .subject = f->subject,
                        .ski = f->ski,
                        .der = f->der,
                        .der_len = f->der_len,
                        .not_before = f->not_before,
                        .not_after = f->not_after,
                        .test = h->test};
    for (int k = 0; ca->parent != NULL && k < i; k++)
        if (strcmp(h->ca[k].name, ca->parent) == 0)
            r.parent_id = ids[k];
    if (ca->parent != NULL && r.parent_id == 0)
        return sm_err_set(e, SM_E_INTERNAL, ca->name, "parent %s of CA %s not stored first",
                          ca->parent, ca->name);
    int rc = cas_insert(db, &r, &ids[i], e);
    if (rc == 0)
        rc = audit_one(db, ca, &r, ids[i], actor, e);
    return rc;
}

int issuer_store_hierarchy(struct db *db, const struct ca_hierarchy *h, const char *actor,
                           struct sm_err *e)
{
    struct ca_facts facts[CA_HIERARCHY_N];
    int64_t ids[CA_HIERARCHY_N] = {0};
    int n = h->n < CA_HIERARCHY_N ? h->n : CA_HIERARCHY_N, made = 0, rc = 0;
    memset(facts, 0, sizeof facts);
    for (; made < n && rc == 0; made++) {
        rc = ca_facts_of(h->ca[made].cert, &facts[made], e);
        if (rc < 0)
            break;
    }
    if (rc == 0)
        rc = db_begin(db, e);
    if (rc == 0) {
        for (int i = 0; i < n && rc == 0; i++)
            rc = store_one(db, h, i, &facts[i], ids, actor, e);
        if (rc == 0)
            rc = db_commit(db, e);
        if (rc < 0)
            db_rollback(db);
    }
    for (int i = 0; i < made; i++)
        ca_facts_clear(&facts[i]);
    return rc;
}

/* The stored issuing CA of level/root and its root; -SM_E_NOTFOUND without a hierarchy. */
static int load_rows(struct db *db, const char *level, const char *root, struct cas_row **ca,
                     struct cas_row **rt, struct sm_err *e)
{
    char name[CA_NAME_MAX], rname[CA_NAME_MAX];
    *ca = *rt = NULL;
    int rc = ca_issuer_name(level, root, name, sizeof name, e);
    if (rc < 0)
        return rc;
    snprintf(rname, sizeof rname, "root-%s", root);
    rc = cas_get(db, name, ca, e);
    if (rc == 0)
        rc = cas_get(db, rname, rt, e);
    if (rc < 0) {
        cas_row_free(*ca);
        *ca = NULL;
    }
    return rc;
}

int issuer_load(struct db *db, const struct config *c, const char *level, const char *root,
                struct ca_issuer **out, struct sm_err *e)
{
    *out = NULL;
    char name[CA_NAME_MAX];
    const char *pass = NULL;
    /* the caller's mistakes first, as ca_issuer_open checks them, before the database */
    int rc = ca_issuer_name(level, root, name, sizeof name, e);
    if (rc == 0)
        rc = ca_passphrase(c, &pass, e);
    if (rc < 0)
        return rc;
    struct cas_row *ca = NULL, *rt = NULL;
    rc = load_rows(db, level, root, &ca, &rt, e);
    if (rc == 0) {
        struct ca_stored s = {ca->id,      ca->der,     ca->der_len, rt->der,
                              rt->der_len, ca->key_ref, ca->test};
        rc = ca_issuer_open(c, level, root, &s, out, e);
    }
    cas_row_free(ca);
    cas_row_free(rt);
    return rc;
}

/* ---- the issuers kept open by a process ---- */

struct kept {
    struct ca_issuer *is;
    unsigned char *der; /* the issuing certificate it was opened for */
    size_t der_len;
    char key_ref[256];
    struct kept *next;
};

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept *kept_list; /* the newest first; a replaced one stays until the close */

static void kept_free(struct kept *k)
{
    ca_issuer_free(k->is);
    free(k->der);
    free(k);
}

int issuer_cached(struct db *db, const struct config *c, const char *level, const char *root,
                  struct ca_issuer **out, struct sm_err *e)
{
    *out = NULL;
    char name[CA_NAME_MAX];
    int rc = ca_issuer_name(level, root, name, sizeof name, e);
    struct cas_row *ca = NULL, *rt = NULL;
    if (rc == 0)
        rc = load_rows(db, level, root, &ca, &rt, e);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&kept_lock);
    for (struct kept *k = kept_list; k != NULL && *out == NULL; k = k->next)
        if (k->der_len == ca->der_len && memcmp(k->der, ca->der, ca->der_len) == 0 &&
            strcmp(k->key_ref, ca->key_ref) == 0)
            *out = k->is;
    if (*out == NULL) { /* first use, or the stored CA changed: open it (slow on purpose) */
        struct kept *k = calloc(1, sizeof *k);
        const char *pass = NULL;
        if (k == NULL || (k->der = malloc(ca->der_len ? ca->der_len : 1)) == NULL)
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        if (rc == 0)
            rc = ca_passphrase(c, &pass, e);
        if (rc == 0) {
            struct ca_stored s = {ca->id,      ca->der,     ca->der_len, rt->der,
                                  rt->der_len, ca->key_ref, ca->test};
            rc = ca_issuer_open(c, level, root, &s, &k->is, e);
        }
        if (rc == 0) {
            memcpy(k->der, ca->der, ca->der_len);
            k->der_len = ca->der_len;
            snprintf(k->key_ref, sizeof k->key_ref, "%s", ca->key_ref);
            k->next = kept_list;
            kept_list = k;
            *out = k->is;
        } else if (k != NULL) {
            kept_free(k);
        }
    }
    pthread_mutex_unlock(&kept_lock);
    cas_row_free(ca);
    cas_row_free(rt);
    return rc;
}

static void chains_close(void);

void issuer_cache_close(void)
{
    pthread_mutex_lock(&kept_lock);
    while (kept_list != NULL) {
        struct kept *k = kept_list;
        kept_list = k->next;
        kept_free(k);
    }
    chains_close();
    pthread_mutex_unlock(&kept_lock);
}

/* ---- parsed chains kept by a process ----
 * Parsing a CA certificate decodes its public key (OpenSSL's decoders: the most expensive
 * step of a download). The chains stay parsed, keyed by the stored bytes, so that a
 * replaced CA is parsed anew; a caller gets a stack of its own holding references. */

struct kept_chain {
    unsigned char *der; /* issuing CA's DER, then the root's */
    size_t ca_len, root_len;
    STACK_OF(X509) * chain;
    struct kept_chain *next;
};

static struct kept_chain *chain_list; /* under kept_lock */
static size_t chain_count;
#define CHAINS_KEPT_MAX 64 /* more distinct chains than any hierarchy has: a stale one goes */

static void chain_free(struct kept_chain *k)
{
    sk_X509_pop_free(k->chain, X509_free);
    free(k->der);
    free(k);
}

/* A stack of references to k's certificates, or NULL. */
static STACK_OF(X509) * chain_refs(const struct kept_chain *k)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    for (int i = 0; sk != NULL && i < sk_X509_num(k->chain); i++) {
        X509 *x = sk_X509_value(k->chain, i);
        if (!X509_up_ref(x)) {
            sk_X509_pop_free(sk, X509_free);
            return NULL;
        }
        if (!sk_X509_push(sk, x)) {
            X509_free(x);
            sk_X509_pop_free(sk, X509_free);
            return NULL;
        }
    }
    return sk;
}

static int chain_matches(const struct kept_chain *k, const struct cas_row *ca,
                         const struct cas_row *rt)
{
    return k->ca_len == ca->der_len && k->root_len == rt->der_len &&
           memcmp(k->der, ca->der, ca->der_len) == 0 &&
           memcmp(k->der + ca->der_len, rt->der, rt->der_len) == 0;
}

/* Keeps a parsed copy of ca + rt (best effort: nothing kept on failure). */
static void chain_keep(const struct cas_row *ca, const struct cas_row *rt)
{
    struct kept_chain *k = calloc(1, sizeof *k);
    struct sm_err ignored = {0};
    if (k == NULL || (k->der = malloc(ca->der_len + rt->der_len + 1)) == NULL ||
        ca_chain_parse(ca->der, ca->der_len, rt->der, rt->der_len, &k->chain, &ignored) < 0) {
        if (k != NULL)
            chain_free(k);
        return;
    }
    memcpy(k->der, ca->der, ca->der_len);
    memcpy(k->der + ca->der_len, rt->der, rt->der_len);
    k->ca_len = ca->der_len;
    k->root_len = rt->der_len;
    if (chain_count >= CHAINS_KEPT_MAX) { /* drop the oldest */
        struct kept_chain **pp = &chain_list;
        while ((*pp)->next != NULL)
            pp = &(*pp)->next;
        chain_free(*pp);
        *pp = NULL;
        chain_count--;
    }
    k->next = chain_list;
    chain_list = k;
    chain_count++;
}

static void chains_close(void)
{
    while (chain_list != NULL) {
        struct kept_chain *k = chain_list;
        chain_list = k->next;
        chain_free(k);
    }
    chain_count = 0;
}

int issuer_chain(struct db *db, const char *level, const char *root, STACK_OF(X509) * *out,
                 struct sm_err *e)
{
    *out = NULL;
    struct cas_row *ca = NULL, *rt = NULL;
    int rc = load_rows(db, level, root, &ca, &rt, e);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&kept_lock);
    struct kept_chain *k = chain_list;
    while (k != NULL && !chain_matches(k, ca, rt))
        k = k->next;
    if (k == NULL) {
        chain_keep(ca, rt);
        k = chain_list != NULL && chain_matches(chain_list, ca, rt) ? chain_list : NULL;
    }
    *out = k != NULL ? chain_refs(k) : NULL;
    pthread_mutex_unlock(&kept_lock);
    if (*out == NULL) /* not kept (out of memory, or bytes that do not parse): say why */
        rc = ca_chain_parse(ca->der, ca->der_len, rt->der, rt->der_len, out, e);
    cas_row_free(ca);
    cas_row_free(rt);
    return rc;
}

int issuer_exists(struct db *db, const char *name, struct sm_err *e)
{
    struct cas_row *ca = NULL;
    int rc = cas_get(db, name, &ca, e);
    cas_row_free(ca);
    if (rc == -SM_E_NOTFOUND) {
        sm_err_clear(e);
        return 0;
    }
    return rc < 0 ? rc : 1;
}

int issuer_check_token_keys(struct db *db, const struct config *c, struct sm_err *e)
{
    static const char *const levels[] = {"dv", "ov", "ev"};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        struct cas_row *ca = NULL;
        rc = cas_get(db, levels[i], &ca, e);
        if (rc == -SM_E_NOTFOUND) {
            sm_err_clear(e);
            rc = 0;
            continue;
        }
        int token = rc == 0 && strncmp(ca->key_ref, "pkcs11:", 7) == 0;
        cas_row_free(ca);
        struct ca_issuer *is = NULL;
        if (token)
            rc = issuer_load(db, c, levels[i], "a", &is, e);
        ca_issuer_free(is);
    }
    return rc;
}
