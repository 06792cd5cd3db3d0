/* SPDX-License-Identifier: MIT */
/* Crash-safe issuance (R-ISS-3, R-ISS-4): for a batch of vetted requests it reserves the
 * serials in a committed transaction, builds each leaf from vetted data (pki/profile),
 * lints it (pki/lint), signs it (pki/signer) and stores every signed certificate in one
 * more transaction before any of them is handed out. A crash between the two leaves
 * reservations behind; issuance_recover marks those of dead processes "abandoned", so no
 * serial is ever used twice and no certificate exists outside the database.
 * Parses no CSR and checks no names: the caller passes what vetting accepted. */
#ifndef SM_RA_ISSUANCE_H
#define SM_RA_ISSUANCE_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "core/err.h"
#include "pki/profile.h"
#include "store/certs.h"

struct db;
struct ca_issuer;
struct config;

/* One certificate to issue. The inputs are borrowed and must outlive issuance_run. */
struct issuance_item {
    EVP_PKEY *pubkey;         /* subscriber key from an accepted CSR; NULL for a named
                                 P-256/P-384 key, which then comes as spki alone */
    const X509_PUBKEY *spki;  /* the CSR's SubjectPublicKeyInfo (optional when pubkey is
                                 given: copied byte for byte and compared by the linter) */
    const char *const *names; /* checked lower-case names; names[0] is the CN */
    size_t nnames;
    const struct profile_subject *subj; /* vetted subject; NULL = CN only (DV) */
    int days;                           /* requested validity; 0 = the policy maximum */
    int64_t subscription_end;           /* last second of the subscription; 0 = none */
    int64_t order_id, org_id;           /* 0 = operator issuance without an order */
    int allow_wildcard;                 /* the product allows wildcard names */
    int short_lived; /* at most PROFILE_SHORT_LIVED_DAYS (days is capped), no CDP and no
                        OCSP URL (BR 7.1.2.11.2; the ACME profile "shortlived") */

    /* Results, filled by issuance_run. Free der with issuance_item_clear. */
    int rc;                            /* 0 issued; negative SM_E_* why not */
    struct sm_err err;                 /* lint findings ("lint.x: ...; ...") on -SM_E_LINT */
    char serial[CERTS_SERIAL_HEX_MAX]; /* lower-case hex; "" when never reserved */
    unsigned char serial_bin[PROFILE_SERIAL_MAX];
    size_t serial_len;
    unsigned char *der; /* the stored certificate (owned) */
    size_t der_len;
    int64_t not_before, not_after;
    char sha256[65];
    int crl_shard; /* the CRL shard its CDP names (R-REV-2; pki/ca.h ca_issuer_crl_url) */
};

struct issuance_opts {
    const char *actor; /* audit actor: "cli", "user:42", "system" */
    int batch;         /* certificates per commit (>= 1) */
    int threads;       /* signing threads (1..8) */
    /* Optional: called inside the transaction that stores each issued certificate (its
     * certificates.id in cert_id), e.g. to mark the order issued and queue the notice in
     * the same commit. A negative return rolls the whole batch back (its reservations are
     * then abandoned by recovery) and issuance_run fails with that error. */
    int (*stored)(void *arg, struct db *db, const struct issuance_item *it, int64_t cert_id,
                  struct sm_err *e);
    void *stored_arg;
    /* Optional: called first in each signing thread issuance_run starts (not in the
     * calling thread), e.g. to prepare the thread's heap (core/heap's heap_for_thread). */
    void (*thread_start)(void);
    /* Optional: called once for each batch as soon as it is committed, with its items
     * (the issued ones stored: rc 0 and der; the others with their rc and err), before
     * issuance_run returns, so that a long run can hand out its certificates as it goes
     * (and free each der, setting it NULL). Batches come in order and never two at a
     * time, from the thread that committed the batch (not always the calling one); a batch
     * that could not be stored is not delivered. */
    void (*delivered)(void *arg, struct issuance_item *items, size_t n);
    void *delivered_arg;
};

/* Issues items[0..n) with issuer is. Returns 0 when every item was attempted (each has
 * its own rc: a lint failure stops that certificate only, and is logged and audited);
 * negative when the database failed (items not issued then carry that error too).
 * Items issued before a failure stay issued and stored. */
int issuance_run(struct db *db, struct ca_issuer *is, const struct issuance_opts *o,
                 struct issuance_item *items, size_t n, struct sm_err *e);
void issuance_item_clear(struct issuance_item *it);

/* Marks every reservation whose process is gone "abandoned" (with an audit record each):
 * same host and the process id no longer runs (or runs another program start); another
 * host and older than lease seconds. Reservations of live processes are left alone.
 * *abandoned (may be NULL) receives the count. Run at every start of an issuing process. */
int issuance_recover(struct db *db, const char *actor, int64_t lease, int64_t *abandoned,
                     struct sm_err *e);
/* issuance_recover with the lease of [issue] reservation_lease (60..86400 s, default 600):
 * what an issuing process (shomei issue, the servers' job issuance.recover) calls. */
int issuance_recover_cfg(struct db *db, const struct config *cfg, const char *actor,
                         int64_t *abandoned, struct sm_err *e);

/* "host/pid/start": identifies this process across restarts and process id reuse. */
int issuance_owner(char *out, size_t n);

#endif
