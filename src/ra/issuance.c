/* SPDX-License-Identifier: MIT */
/* Batch issuance with serial reservation and recovery (R-ISS-3, R-ISS-4). See issuance.h.
 * Per batch: [tx] reserve the batch's serials (one record), commit (in a transaction of its
 * own without waiting for the disk: durable with the store's commit, db_begin_lazy; in a
 * run of several batches, with the store of the batch two before); sign outside any
 * transaction (threads); [tx] write every certificate row in its outcome (issued, or
 * abandoned) with its audit record and close the batch, commit; only then are results
 * visible. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/failalloc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sha256.h"
#include "core/text.h"
#include "pki/ca.h"
#include "pki/lint.h"
#include "ra/cert.h"
#include "ra/issuance.h"
#include "store/db.h"

#define THREADS_MAX 8

/* What every item of a run shares (read-only while signing). */
struct run {
    const struct issuance_opts *o;
    struct ca_issuer *is;
    enum cert_level level;
    time_t now;
    const char *owner; /* issuance_owner: what the reservations record as reserved_by */
    int64_t batch_id;  /* the reservation of the batch being issued (0: none) */
    struct issuance_item *items;
    struct sign_slot *slots; /* THREADS_MAX + 1: slot t for helper t, the last one for the
                                calling thread */
    struct prepared *prep;   /* per item of items */
};

/* What the store writes for an issued item besides its certificate, made by the thread
 * that signed it (no database needed) so that the one connection has less to do: the
 * names as the row keeps them and the audit detail of its record. A NULL member (no
 * memory) is made by the store. */
struct prepared {
    char *names;
    char *detail;
};

/* What one signing thread keeps from one certificate to the next: the leaf being built
 * (pki/profile) and the extensions the linter found clean (pki/lint). */
struct sign_slot {
    struct profile_leaf leaf;
    struct lint_memo lint;
};

static int level_of(const char *s, enum cert_level *out)
{
    if (strcmp(s, "dv") == 0)
        *out = LEVEL_DV;
    else if (strcmp(s, "ov") == 0)
        *out = LEVEL_OV;
    else if (strcmp(s, "ev") == 0)
        *out = LEVEL_EV;
    else
        return -1;
    return 0;
}

/* Serial as lower-case hex without leading zeros (profile_serial_new never starts with a
 * zero octet, but a leading zero nibble is possible). */
static void serial_hex(const unsigned char *p, size_t n, char *out)
{
    char tmp[2 * PROFILE_SERIAL_MAX + 1];
    text_hex(tmp, p, n);
    const char *s = tmp;
    while (s[0] == '0' && s[1] != '\0')
        s++;
    memmove(out, s, strlen(s) + 1);
}

/* ---- the process identity of a reservation ---- */

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot. 0 if unknown. */
static unsigned long long proc_start(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (p == NULL)
        return 0;
    int field = 2;
    for (p++; *p != '\0' && field < 22; p++)
        if (*p == ' ')
            field++;
    if (field != 22)
        return 0;
    return strtoull(p, NULL, 10);
}

int issuance_owner(char *out, size_t n)
{
    char host[256];
    if (gethostname(host, sizeof host) < 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    int len = snprintf(out, n, "%s/%ld/%llu", host, (long)getpid(), proc_start((long)getpid()));
    return len < 0 || (size_t)len >= n ? -SM_E_TOO_LARGE : 0;
}

/* 1 when the process that wrote owner may still be running (and may still store its
 * certificates), 0 when it is certainly gone or its lease ran out. */
static int owner_alive(const char *owner, int64_t reserved_at, int64_t now, int64_t lease)
{
    char host[256];
    if (gethostname(host, sizeof host) < 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    const char *slash = strchr(owner, '/');
    size_t hl = strlen(host);
    if (slash == NULL || (size_t)(slash - owner) != hl || memcmp(owner, host, hl) != 0)
        return now - reserved_at < lease; /* another machine: only the lease can tell */
    char *end = NULL;
    errno = 0;
    long long pid = strtoll(slash + 1, &end, 10);
    if (errno != 0 || end == slash + 1 || *end != '/' || pid <= 0)
        return 0;
    unsigned long long start = strtoull(end + 1, NULL, 10);
    if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
        return 0;
    return proc_start((long)pid) == start;
}

/* ---- audit records ---- */

/* reserved -> abandoned through the certificate state machine (ra/cert.h) for a row in
 * state reserved (written by earlier versions; issuance reserves per batch); d is taken. */
static int abandon_tx(struct db *db, const char *actor, const char *serial, json_t *d,
                      struct sm_err *e)
{
    struct cert_change c = {.actor = actor, .serial = serial, .to = CERT_ABANDONED, .detail = d};
    return cert_transition_tx(db, &c, NULL, e);
}

static json_t *names_array(const struct issuance_item *it)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < it->nnames; i++)
        if (json_array_append_new(a, json_string(it->names[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The names as the certificate row keeps them (a JSON array); NULL: no memory. */
static char *names_text(const struct issuance_item *it)
{
    json_t *names = names_array(it);
    char *s = names ? json_dumps(names, JSON_COMPACT) : NULL;
    json_decref(names);
    return s;
}

/* The audit detail of an item's one record, cert.issue or cert.abandon: the context of its
 * reservation (issuer, process, names, order, organization), to which the caller adds the
 * outcome. A reservation has no record of its own: the batch that records the serials
 * before signing is the reservation (R-ISS-4), and every reserved serial ends in exactly
 * one of the two (recovery writes cert.abandon for those of processes that ended). NULL: no
 * memory. */
static json_t *item_detail(const struct run *r, const struct issuance_item *it)
{
    json_t *names = names_array(it);
    if (names == NULL)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "ca", r->is->name, "level", r->is->level,
                     "owner", r->owner, "names", names, "order_id", (json_int_t)it->order_id,
                     "org_id", (json_int_t)it->org_id);
}

/* item_detail with the outcome's members (outcome is taken). NULL on no memory
 * (cert_create_tx then writes the record with its states alone). */
static json_t *outcome_detail(const struct run *r, const struct issuance_item *it, json_t *outcome)
{
    json_t *d = item_detail(r, it);
    if (json_object_update_new(d, outcome) < 0) { /* frees outcome, also when d is NULL */
        json_decref(d);
        return NULL;
    }
    return d;
}

/* The detail of an issued item's cert.issue record, before "from" and "to". */
static json_t *issued_detail(const struct run *r, const struct issuance_item *it)
{
    return outcome_detail(r, it,
                          json_pack("{s:s, s:I, s:I}", "sha256", it->sha256, "not_before",
                                    (json_int_t)it->not_before, "not_after",
                                    (json_int_t)it->not_after));
}

/* ---- phase 1: reserve ---- */

static int prepare(const struct run *r, struct issuance_item *it)
{
    time_t nb, na;
    sm_err_clear(&it->err);
    it->serial[0] = '\0';
    if ((it->pubkey == NULL && it->spki == NULL) || it->names == NULL || it->nnames == 0)
        return it->rc = sm_err_set(&it->err, SM_E_INVALID, "names", "nothing to certify");
    int days = it->days;
    if (it->short_lived && (days == 0 || days > PROFILE_SHORT_LIVED_DAYS))
        days = PROFILE_SHORT_LIVED_DAYS;
    if (profile_validity(r->now, days, (time_t)it->subscription_end, &nb, &na, &it->err) < 0)
        return it->rc = -it->err.code;
    if (profile_serial_new(it->serial_bin, &it->serial_len) < 0)
        return it->rc = sm_err_set(&it->err, SM_E_CRYPTO, "serial", "no random serial");
    serial_hex(it->serial_bin, it->serial_len, it->serial);
    /* The CRL shard (R-REV-2): 0 when the level has one CRL, else 1..N from the random
     * serial's last octets, so the shards fill evenly; stored with the reservation. */
    uint32_t tail = 0;
    for (size_t i = it->serial_len > 4 ? it->serial_len - 4 : 0; i < it->serial_len; i++)
        tail = tail << 8 | it->serial_bin[i];
    it->crl_shard = r->is->crl_shards > 1 ? 1 + (int)(tail % (uint32_t)r->is->crl_shards) : 0;
    it->not_before = nb;
    it->not_after = na;
    it->rc = 0;
    return 0;
}

/* The serials of the batch's prepared items as one record, written in the open transaction;
 * r->batch_id gets its id (0 when no item was prepared: nothing is written). */
static int reserve_batch_tx(struct db *db, struct run *r, const struct issuance_item *items,
                            size_t n, struct sm_err *e)
{
    struct buf list = BUF_INIT;
    int rc = 0;
    r->batch_id = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (items[i].rc == 0)
            rc = buf_printf(&list, "%s%s", list.len ? " " : "", items[i].serial);
    if (rc < 0) {
        buf_free(&list);
        return sm_err_set(e, SM_E_NOMEM, "serial", "out of memory");
    }
    if (list.len > 0) {
        struct certs_batch b = {r->is->ca_id, r->is->level,    r->is->root,
                                r->owner,     (int64_t)r->now, list.p};
        rc = certs_batch_reserve(db, &b, &r->batch_id, e);
        if (rc < 0)
            r->batch_id = 0;
    }
    buf_free(&list);
    return rc;
}

/* ---- phase 2: build, lint, sign (no database; runs in threads) ---- */

static void sign_one(const struct run *r, struct issuance_item *it, struct sign_slot *slot)
{
    struct ca_issuer *is = r->is;
    X509 *x = NULL;
    struct profile_subject dv = {0};
    const struct profile_subject *subj = it->subj;
    char crl_url[CA_URL_MAX + 16];
    if (ca_issuer_crl_url(is, it->crl_shard, crl_url, sizeof crl_url) < 0) {
        it->rc = sm_err_set(&it->err, SM_E_CONFIG, "repository_url", "CRL URL too long");
        return;
    }
    if (subj == NULL) {
        dv.cn = it->names[0];
        subj = &dv;
    }
    struct profile_req req = {
        .level = r->level,
        .subj = subj,
        .names = it->names,
        .nnames = it->nnames,
        .pubkey = it->pubkey,
        .spki = it->spki,
        .serial = it->serial_bin,
        .serial_len = it->serial_len,
        .not_before = (time_t)it->not_before,
        .not_after = (time_t)it->not_after,
        .issuer = is->cert,
        .ca_issuers_url = is->ca_issuers_url,
        .ocsp_url = is->ocsp_url[0] && !it->short_lived ? is->ocsp_url : NULL,
        .crl_url = it->short_lived ? NULL : crl_url,
        .cps_url = is->cps_url,
    };
    if (profile_build_into(&req, &slot->leaf, &x, &it->err) < 0) { /* x is the slot's */
        it->rc = -it->err.code;
        return;
    }
    struct lint_ctx lc = {
        .level = r->level,
        .issuer = is->cert,
        .now = r->now,
        .subscription_end = (time_t)it->subscription_end,
        .names = it->names,
        .nnames = it->nnames,
        .allow_wildcard = it->allow_wildcard,
        .spki = it->spki,
        .spki_key = it->pubkey,
        .sig_md = signer_digest(is->signer),
        .ca_issuers_url = is->ca_issuers_url,
        .ocsp_url = is->ocsp_url[0] && !it->short_lived ? is->ocsp_url : NULL,
        .crl_url = it->short_lived ? NULL : crl_url,
        .cps_url = is->cps_url,
        .short_lived = it->short_lived,
        .memo = &slot->lint,
    };
    struct lint_report rep;
    if (lint_cert(x, &lc, &rep) < 0) {
        sm_err_set(&it->err, SM_E_LINT, "certificate", "lint");
        lint_report_format(&rep, it->err.detail, sizeof it->err.detail);
        it->rc = -SM_E_LINT;
        return;
    }
    unsigned char *der = NULL;
    size_t len = 0;
    if (signer_sign_cert_der(is->signer, x, &der, &len, &it->err) < 0) {
        it->rc = -it->err.code;
        return;
    }
    unsigned char md[32];
    if (sha256_digest(der, len, md) < 0) {
        OPENSSL_free(der);
        it->rc = sm_err_openssl(&it->err, "fingerprint");
        return;
    }
    text_hex(it->sha256, md, 32);
    it->der = der; /* OPENSSL_malloc'd: freed with OPENSSL_free in issuance_item_clear */
    it->der_len = len;
    struct prepared *p = &r->prep[it - r->items];
    json_t *d = issued_detail(r, it);
    p->names = names_text(it);
    p->detail = d ? cert_detail_text(d, CERT_RESERVED, CERT_ISSUED, NULL) : NULL;
    json_decref(d);
}

/* Signing of one batch: each item is claimed once through an atomic counter, by the
 * threads started for the batch and by the calling thread, which joins in when it has
 * nothing else to do (signing_wait). So no thread idles while another still has a share
 * to sign, and with the pipeline below the calling thread's database work and the
 * signatures fill the cores between them. */
struct signing {
    const struct run *r;
    struct issuance_item *items;
    size_t n;
    atomic_size_t next;
    _Atomic unsigned char *done; /* items[i] signed (or skipped) when done[i] */
    pthread_t th[THREADS_MAX];
    int started[THREADS_MAX];
    struct helper {
        struct signing *g;
        int slot;
    } helper[THREADS_MAX];
    int nth;
};

/* Claims the next unclaimed item of g and signs it with slot `slot`; 0 when none is left. */
static int sign_next(struct signing *g, int slot)
{
    if (atomic_load(&g->next) >= g->n)
        return 0;
    size_t i = atomic_fetch_add(&g->next, 1);
    if (i >= g->n)
        return 0;
    if (g->items[i].rc == 0)
        sign_one(g->r, &g->items[i], &g->r->slots[slot]);
    atomic_store_explicit(&g->done[i], 1, memory_order_release);
    return 1;
}

/* Signs the items of g this thread claims with slot `slot`, until none is left or, when
 * until is not NULL, until *until is set (checked before each claim). */
static void sign_claimed(struct signing *g, int slot, const atomic_int *until)
{
    while ((until == NULL || !atomic_load(until)) && sign_next(g, slot))
        ;
}

/* Returns once items[i] of g is signed, the calling thread signing unclaimed items (its
 * slot) meanwhile. Another thread has claimed items[i] when nothing is left to claim: it
 * is signing it, so the wait is one signature at most. */
static void sign_until(struct signing *g, size_t i)
{
    while (!atomic_load_explicit(&g->done[i], memory_order_acquire))
        if (!sign_next(g, THREADS_MAX))
            sched_yield();
}

/* No more items of g are claimed (those claimed are signed); signing_wait joins. */
static void signing_cancel(struct signing *g) { atomic_store(&g->next, g->n); }

static void *sign_thread(void *arg)
{
    const struct helper *h = arg;
    if (h->g->r->o->thread_start != NULL)
        h->g->r->o->thread_start();
    sign_claimed(h->g, h->slot, NULL);
    return NULL;
}

/* Starts `helpers` threads (at most THREADS_MAX, at most one per item) on items[0..n). A
 * thread that cannot be started leaves its share to the others. */
static void signing_start(struct signing *g, const struct run *r, struct issuance_item *items,
                          size_t n, int helpers)
{
    g->r = r;
    g->items = items;
    g->n = n;
    atomic_init(&g->next, 0);
    for (size_t i = 0; i < n; i++)
        atomic_init(&g->done[i], 0);
    if (helpers > THREADS_MAX)
        helpers = THREADS_MAX;
    if (helpers < 0 || n == 0)
        helpers = 0;
    if ((size_t)helpers > n)
        helpers = (int)n;
    g->nth = helpers;
    for (int t = 0; t < helpers; t++) {
        g->helper[t] = (struct helper){.g = g, .slot = t};
        g->started[t] = pthread_create(&g->th[t], NULL, sign_thread, &g->helper[t]) == 0;
    }
}

/* Signs what is left of the batch in the calling thread, then waits for the others. */
static void signing_wait(struct signing *g)
{
    sign_claimed(g, THREADS_MAX, NULL);
    for (int t = 0; t < g->nth; t++)
        if (g->started[t])
            pthread_join(g->th[t], NULL);
    g->nth = 0;
}

/* ---- phase 3: store ---- */

/* The certificate row of a reserved item, written in its outcome c->to (ra/cert.c), with
 * the reservation's columns. */
static int write_row(struct db *db, const struct run *r, const struct issuance_item *it,
                     const struct cert_change *c, int64_t *id, struct sm_err *e)
{
    const struct prepared *p = &r->prep[it - r->items];
    char *own = p->names ? NULL : names_text(it); /* NULL prepared: no memory then */
    const char *names_s = own ? own : p->names;
    if (names_s == NULL) {
        json_decref(c->detail);
        return sm_err_set(e, SM_E_NOMEM, "names", "out of memory");
    }
    struct certs_new n = {it->serial, r->is->ca_id, r->is->level, r->is->root,  it->names[0],
                          names_s,    it->order_id, it->org_id,   it->crl_shard};
    struct certs_born b = {.n = &n, .reserved_by = r->owner, .reserved_at = (int64_t)r->now};
    int rc = cert_create_tx(db, c, &b, id, NULL, e);
    free(own);
    return rc;
}

/* The item's serial recorded abandoned, with why (reason and the item's error). */
static int abandon_item(struct db *db, const struct run *r, const char *actor,
                        const struct issuance_item *it, const char *reason, struct sm_err *e)
{
    json_t *d =
        outcome_detail(r, it, json_pack("{s:s, s:s}", "reason", reason, "detail", it->err.detail));
    struct cert_change c = {
        .actor = actor, .serial = it->serial, .to = CERT_ABANDONED, .detail = d};
    return write_row(db, r, it, &c, NULL, e);
}

static int store_one(struct db *db, const struct run *r, const char *actor,
                     struct issuance_item *it, struct sm_err *e)
{
    if (it->rc == 0) {
        int64_t id = 0;
        const char *text = r->prep[it - r->items].detail;
        json_t *d = text ? NULL : issued_detail(r, it);
        struct cert_change c = {.actor = actor,
                                .serial = it->serial,
                                .to = CERT_ISSUED,
                                .der = it->der,
                                .der_len = it->der_len,
                                .not_before = it->not_before,
                                .not_after = it->not_after,
                                .now = (int64_t)r->now,
                                .sha256 = it->sha256,
                                .detail = d,
                                .detail_text = text};
        int rc = write_row(db, r, it, &c, &id, e);
        if (rc == 0 && r->o->stored != NULL)
            rc = r->o->stored(r->o->stored_arg, db, it, id, e);
        return rc;
    }
    return abandon_item(db, r, actor, it, sm_err_name(-it->rc), e);
}

/* Writes the batch's rows and closes its reservation in a new transaction, left open for
 * more and its commit (rolled back on failure): when recovery has closed the batch
 * meanwhile (its process was taken for ended), nothing is written and the signed
 * certificates do not leave (fail_unstored). With g (the signing of these items, NULL when
 * it has ended) each row is written as soon as its item is signed, the calling thread
 * signing while it waits, and g is joined before the return: so the rows of a batch that
 * nothing is signed beside are written beside its signatures, not after them. */
static int store_rows(struct db *db, const struct run *r, const char *actor,
                      struct issuance_item *items, size_t n, struct signing *g, struct sm_err *e)
{
    int rc = db_begin(db, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (items[i].serial[0] == '\0')
            continue;
        if (g != NULL)
            sign_until(g, i);
        rc = store_one(db, r, actor, &items[i], e);
    }
    if (rc == 0 && r->batch_id > 0)
        rc = certs_batch_close(db, r->batch_id, e);
    if (rc < 0)
        db_rollback(db);
    if (g != NULL) {
        if (rc < 0)
            signing_cancel(g); /* what is not signed yet never will be */
        signing_wait(g);
    }
    return rc;
}

static void fail_unstored(struct issuance_item *items, size_t n, const struct sm_err *e)
{
    for (size_t i = 0; i < n; i++) {
        struct issuance_item *it = &items[i];
        if (it->der != NULL) {
            OPENSSL_free(it->der); /* signed but not stored: it must not leave the process */
            it->der = NULL;
            it->der_len = 0;
        }
        if (it->rc == 0) {
            it->rc = -(e->code ? e->code : SM_E_DB);
            it->err = *e;
        }
    }
}

/* After a failed store: marks the batch's reservations abandoned in a transaction of its
 * own, so that a long-running process does not keep them reserved until it ends. */
static void abandon_batch(struct db *db, const struct run *r, struct issuance_item *items, size_t n)
{
    struct sm_err e = {0};
    int rc = db_begin(db, &e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (items[i].serial[0] == '\0')
            continue;
        rc = abandon_item(db, r, r->o->actor, &items[i], "not stored", &e);
    }
    if (rc == 0 && r->batch_id > 0)
        rc = certs_batch_close(db, r->batch_id, &e);
    if (rc == 0)
        rc = db_commit(db, &e);
    if (rc < 0) {
        db_rollback(db);
        if (rc != -SM_E_CONFLICT) /* conflict: recovery closed the batch, and wrote its rows */
            log_warn("reservations left for recovery", "error", e.detail);
    }
}

static void log_failures(const struct run *r, const struct issuance_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == -SM_E_LINT)
            log_error("issuance stopped by lint", "serial", items[i].serial, "ca", r->is->name,
                      "findings", items[i].err.detail);
}

/* One batch of a run: its items and the time its validity and lint are taken from. */
struct batch {
    struct run r;
    struct issuance_item *b;
    size_t m;
};

/* Commits the transaction that stored bt (a failed commit rolls back, db_commit); then bt
 * is handed to the caller's delivered hook. */
static int commit_batch(struct db *db, struct batch *bt, struct sm_err *e)
{
    int rc = db_commit(db, e);
    if (rc == 0 && bt->r.o->delivered != NULL)
        bt->r.o->delivered(bt->r.o->delivered_arg, bt->b, bt->m);
    return rc;
}

/* The batch of items[off..) (at most `batch` items), its items prepared for reservation. */
static void batch_prepare(const struct run *r0, struct batch *bt, struct issuance_item *items,
                          size_t n, size_t off, size_t batch)
{
    bt->r = *r0;
    bt->r.now = clock_now();
    bt->r.batch_id = 0;
    bt->b = items + off;
    bt->m = n - off < batch ? n - off : batch;
    for (size_t i = 0; i < bt->m; i++)
        prepare(&bt->r, &bt->b[i]);
}

/* A batch whose reservation was rolled back: nothing of it was reserved or signed. */
static void unreserved(struct batch *bt, const struct sm_err *e)
{
    for (size_t i = 0; i < bt->m; i++)
        bt->b[i].serial[0] = '\0';
    bt->r.batch_id = 0;
    fail_unstored(bt->b, bt->m, e);
}

/* The serials of batches bt[0..k) committed as reserved in one transaction, before any of
 * them is signed (R-ISS-4), without waiting for the disk: durable with the first store's
 * commit, before which nothing leaves (db_begin_lazy). On failure none is reserved. */
static int reserve_batches(struct db *db, struct batch *bt, size_t k, struct sm_err *e)
{
    int rc = db_begin_lazy(db, e);
    for (size_t i = 0; rc == 0 && i < k; i++)
        rc = reserve_batch_tx(db, &bt[i].r, bt[i].b, bt[i].m, e);
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        for (size_t i = 0; i < k; i++)
            unreserved(&bt[i], e);
    }
    return rc;
}

/* A batch that was signed and not stored: its certificates never leave and its
 * reservations are abandoned (if that fails, recovery does it). */
static void batch_failed(struct db *db, struct batch *bt, const struct sm_err *e)
{
    fail_unstored(bt->b, bt->m, e);
    abandon_batch(db, &bt->r, bt->b, bt->m);
}

/* The end of a batch's store: batch_failed when it failed. */
static int store_end(struct db *db, struct batch *bt, int rc, const struct sm_err *e)
{
    if (rc < 0) {
        batch_failed(db, bt, e);
        return rc;
    }
    log_failures(&bt->r, bt->b, bt->m);
    return 0;
}

/* A batch's store commit on a thread of its own, so that the wait for the disk overlaps
 * the signing of the next batch instead of stopping the thread that would sign. The
 * connection is the committer's until commit_join, which every later use of it waits for;
 * the batch's certificates leave only after it (R-ISS-4). */
struct committer {
    struct db *db;
    struct batch *bt; /* what the transaction stored */
    int rc;
    struct sm_err e;
    atomic_int done;
    pthread_t th;
    int running;
};

static void *commit_thread(void *arg)
{
    struct committer *c = arg;
    c->rc = commit_batch(c->db, c->bt, &c->e);
    atomic_store(&c->done, 1);
    return NULL;
}

/* Commits the open transaction of db beside the caller (in the caller when no thread
 * starts). */
static void commit_start(struct committer *c)
{
    c->rc = 0;
    c->e = (struct sm_err){0};
    atomic_store(&c->done, 0);
    c->running = pthread_create(&c->th, NULL, commit_thread, c) == 0;
    if (!c->running)
        commit_thread(c);
}

static int commit_join(struct committer *c, struct sm_err *e)
{
    if (c->running)
        pthread_join(c->th, NULL);
    c->running = 0;
    if (c->rc < 0)
        *e = c->e;
    return c->rc;
}

/* The batch being signed, when a store before it failed: signed for nothing. */
static void drop_signed(struct db *db, struct signing *g, struct batch *bt, const struct sm_err *e)
{
    signing_wait(g);
    batch_failed(db, bt, e);
}

/* A run of several batches, three at a time: while batch k is stored, batch k+1 is signed,
 * and batch k+2 is reserved in batch k's transaction (the first two in a transaction of
 * their own), so that the next batch to sign is always reserved and committed when the
 * signing threads reach it; batch k's commit runs beside the signing of batch k+1 (the
 * calling thread signs too). The calling thread does the database work (serial) and signs
 * with the threads - 1 others whenever it has none. Every serial is committed as reserved
 * before its certificate is signed, and a certificate leaves only once stored (R-ISS-4). */
static int run_pipelined(struct db *db, const struct run *r0, struct issuance_item *items, size_t n,
                         size_t batch, _Atomic unsigned char *done, struct sm_err *e)
{
    struct batch bt[3];
    struct signing g = {.done = done};
    struct committer cm = {.db = db};
    struct batch *committing = NULL;
    int helpers = r0->o->threads - 1;
    batch_prepare(r0, &bt[0], items, n, 0, batch);
    batch_prepare(r0, &bt[1], items, n, bt[0].m, batch); /* n > batch: there is a second */
    int rc = reserve_batches(db, bt, 2, e);
    if (rc < 0)
        return rc;
    signing_start(&g, &bt[0].r, bt[0].b, bt[0].m, helpers);
    for (int cur = 0;; cur = (cur + 1) % 3) {
        struct batch *now = &bt[cur], *next = &bt[(cur + 1) % 3], *after = &bt[(cur + 2) % 3];
        size_t next_off = (size_t)(now->b - items) + now->m;
        int have_next = next_off < n; /* and reserved with the batch before now */
        if (committing != NULL) {
            sign_claimed(&g, THREADS_MAX, &cm.done); /* while the disk syncs */
            struct sm_err ce = {0};
            rc = store_end(db, committing, commit_join(&cm, &ce), &ce);
            committing = NULL;
            if (rc < 0) { /* now is signed for nothing, next's reservation rolled back */
                *e = ce;
                drop_signed(db, &g, now, &ce);
                if (have_next)
                    unreserved(next, &ce);
                return rc;
            }
        }
        struct signing *signing_now = NULL; /* the last batch: stored as it is signed */
        if (have_next) {
            signing_wait(&g);
            signing_start(&g, &next->r, next->b, next->m, helpers);
        } else
            signing_now = &g;
        int have_after = have_next && next_off + next->m < n;
        if (have_after)
            batch_prepare(r0, after, items, n, next_off + next->m, batch);
        struct sm_err se = {0};
        rc = store_rows(db, &now->r, r0->o->actor, now->b, now->m, signing_now, &se);
        if (rc == 0 && have_after &&
            (rc = reserve_batch_tx(db, &after->r, after->b, after->m, &se)) < 0)
            db_rollback(db);
        if (rc == 0 && have_next) {
            cm.bt = committing = now;
            commit_start(&cm);
            continue;
        }
        if (rc == 0)
            rc = commit_batch(db, now, &se); /* the last batch: nothing to sign beside it */
        rc = store_end(db, now, rc, &se);
        if (rc < 0) {
            *e = se;
            if (have_next)
                drop_signed(db, &g, next, &se);
            if (have_after)
                unreserved(after, &se);
        }
        return rc;
    }
}

int issuance_run(struct db *db, struct ca_issuer *is, const struct issuance_opts *o,
                 struct issuance_item *items, size_t n, struct sm_err *e)
{
    struct sign_slot slots[THREADS_MAX + 1] = {0};
    struct run r = {.o = o, .is = is, .now = clock_now(), .items = items, .slots = slots};
    double t0 = metrics_now();
    struct sm_err own = {0};
    char owner[300];
    if (e == NULL)
        e = &own; /* the items are told why either way */
    if (is == NULL || o == NULL || o->actor == NULL || level_of(is->level, &r.level) < 0)
        return sm_err_set(e, SM_E_INVALID, "issuer", "no issuer");
    if (issuance_owner(owner, sizeof owner) < 0)
        return sm_err_set(e, SM_E_INTERNAL, "owner", "host name too long");
    r.owner = owner;
    size_t batch = o->batch > 0 ? (size_t)o->batch : 1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].der = NULL;
        items[i].der_len = 0;
        items[i].rc = -SM_E_INTERNAL; /* until attempted */
    }
    /* per item of the batch being signed, whether it is (struct signing's done) */
    _Atomic unsigned char *done = sm_calloc(n < batch ? n + 1 : batch, sizeof *done);
    r.prep = sm_calloc(n ? n : 1, sizeof *r.prep);
    if (done == NULL || r.prep == NULL) { /* nothing reserved */
        rc = sm_err_set(e, SM_E_NOMEM, "issuance", "out of memory");
        goto out;
    }
    if (n > batch) {
        db_checkpoint_beside(db); /* the log copied beside the run's commits, or by them */
        rc = run_pipelined(db, &r, items, n, batch, done, e);
        goto out;
    }
    if (n > 0) { /* one batch: reserved, then stored as it is signed */
        struct batch one;
        struct signing g = {.done = done};
        batch_prepare(&r, &one, items, n, 0, batch);
        rc = reserve_batches(db, &one, 1, e);
        if (rc == 0) {
            signing_start(&g, &one.r, items, n, o->threads - 1);
            rc = store_rows(db, &one.r, o->actor, items, n, &g, e);
            rc = store_end(db, &one, rc < 0 ? rc : commit_batch(db, &one, e), e);
        }
    }
out:
    free((void *)done);
    for (size_t i = 0; r.prep != NULL && i < n; i++) {
        free(r.prep[i].names);
        free(r.prep[i].detail);
    }
    free(r.prep);
    for (int t = 0; t <= THREADS_MAX; t++) {
        profile_leaf_free(&slots[t].leaf);
        lint_memo_free(&slots[t].lint);
    }
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            if (items[i].rc == -SM_E_INTERNAL)
                items[i].err = *e;
    }
    /* R-OPS-1: each item's outcome; the latency of the run (one item from the API) */
    uint64_t good = 0;
    for (size_t i = 0; i < n; i++)
        good += items[i].rc == 0;
    metrics_add(MF_ISSUANCE, "result=\"ok\"", good);
    metrics_add(MF_ISSUANCE, "result=\"error\"", n - good);
    metrics_observe(MF_ISSUANCE_SECONDS, NULL, metrics_now() - t0);
    return rc;
}

void issuance_item_clear(struct issuance_item *it)
{
    if (it == NULL)
        return;
    OPENSSL_free(it->der);
    it->der = NULL;
    it->der_len = 0;
}

/* ---- recovery ---- */

/* The audit detail of a reservation abandoned by recovery. */
static json_t *ended_detail(const char *owner, int64_t reserved_at)
{
    return json_pack("{s:s, s:s, s:I}", "reason", "reserving process ended", "owner", owner,
                     "reserved_at", (json_int_t)reserved_at);
}

static int abandon_one(struct db *db, const char *actor, const struct certs_pending_row *p,
                       struct sm_err *e)
{
    int rc = db_begin(db, e);
    if (rc == 0) {
        json_t *d = ended_detail(p->reserved_by, p->reserved_at);
        rc = abandon_tx(db, actor, p->serial, d, e);
    }
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0)
        db_rollback(db);
    return rc;
}

/* An open batch of an ended process: closed, and each of its serials without a row
 * recorded abandoned, in one transaction; *count gets the serials recorded (each logged once
 * committed). -SM_E_CONFLICT when the batch was closed meanwhile (stored by its owner, or
 * recovered by another node). */
static int abandon_open_batch(struct db *db, const char *actor, const struct certs_batch_row *b,
                              int64_t *count, struct sm_err *e)
{
    struct buf done = BUF_INIT; /* the serials recorded, each followed by a NUL */
    *count = 0;
    int rc = db_begin(db, e);
    if (rc == 0)
        rc = certs_batch_close(db, b->id, e);
    for (const char *p = b->serials; rc == 0 && *p != '\0';) {
        size_t len = strcspn(p, " ");
        char serial[CERTS_SERIAL_HEX_MAX];
        if (len >= sizeof serial) {
            rc = sm_err_set(e, SM_E_INTERNAL, "serial", "batch %lld holds a bad serial",
                            (long long)b->id);
            break;
        }
        memcpy(serial, p, len);
        serial[len] = '\0';
        p += len + (p[len] == ' ');
        if (len == 0)
            continue;
        struct certs_new n = {
            .serial = serial, .ca_id = b->ca_id, .level = b->level, .root = b->root};
        struct certs_born born = {
            .n = &n, .reserved_by = b->reserved_by, .reserved_at = b->reserved_at};
        json_t *d = ended_detail(b->reserved_by, b->reserved_at);
        struct cert_change c = {
            .actor = actor, .serial = serial, .to = CERT_ABANDONED, .detail = d};
        int written = 0;
        rc = cert_create_tx(db, &c, &born, NULL, &written, e);
        if (rc == 0 && written && buf_append(&done, serial, len + 1) < 0)
            rc = sm_err_set(e, SM_E_NOMEM, "serial", "out of memory");
        *count += rc == 0 && written;
    }
    if (rc == 0)
        rc = db_commit(db, e);
    if (rc < 0) {
        db_rollback(db);
        *count = 0;
    }
    for (size_t at = 0; rc == 0 && at < done.len; at += strlen(done.p + at) + 1)
        log_warn("serial reservation abandoned", "serial", done.p + at, "owner", b->reserved_by);
    buf_free(&done);
    return rc;
}

int issuance_recover(struct db *db, const char *actor, int64_t lease, int64_t *abandoned,
                     struct sm_err *e)
{
    struct certs_pending_row *p = NULL;
    size_t n = 0;
    int64_t count = 0;
    int64_t now = (int64_t)clock_now();
    int rc = certs_list_reserved(db, &p, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (owner_alive(p[i].reserved_by, p[i].reserved_at, now, lease))
            continue;
        rc = abandon_one(db, actor, &p[i], e);
        if (rc == -SM_E_CONFLICT) { /* resolved meanwhile by its owner or another node */
            sm_err_clear(e);
            rc = 0;
            continue;
        }
        if (rc == 0) {
            count++;
            log_warn("serial reservation abandoned", "serial", p[i].serial, "owner",
                     p[i].reserved_by);
        }
    }
    free(p);
    struct certs_batch_row *b = NULL;
    n = 0;
    if (rc == 0)
        rc = certs_list_open_batches(db, &b, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (owner_alive(b[i].reserved_by, b[i].reserved_at, now, lease))
            continue;
        int64_t k = 0;
        rc = abandon_open_batch(db, actor, &b[i], &k, e);
        if (rc == -SM_E_CONFLICT) { /* closed meanwhile by its owner or another node */
            sm_err_clear(e);
            rc = 0;
        }
        count += k;
    }
    certs_batch_rows_free(b, n);
    if (abandoned != NULL)
        *abandoned = count;
    return rc;
}

int issuance_recover_cfg(struct db *db, const struct config *cfg, const char *actor,
                         int64_t *abandoned, struct sm_err *e)
{
    int64_t lease = 600;
    int rc = config_int(cfg, "issue", "reservation_lease", 60, 86400, &lease, e);
    return rc < 0 ? rc : issuance_recover(db, actor, lease, abandoned, e);
}
