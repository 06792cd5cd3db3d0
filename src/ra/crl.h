/* SPDX-License-Identifier: MIT */
/* Publishing full CRLs (R-REV-2): per issuing key (dv, ov, ev; the intermediate and its
 * cross-certificate share key and subject) and CRL shard, at the CDP URL the certificates
 * carry: {repository}/{level}.crl for shard 0 (the only one when [revocation]
 * crl_shards_{level} = 1) and {repository}/{level}-{k}.crl for shards 1..N; each carries a
 * critical Issuing Distribution Point with its own URL. crl_refresh re-signs a shard's CRL
 * when a certificate of that shard was revoked since the last one (compared by the count
 * of its revoked certificates), when it is older than half its validity, or when there is
 * none yet; it reads the revoked certificates in one statement (a consistent snapshot),
 * signs with the next CRL number of that shard, stores the CRL in the crls table (the
 * number only grows; a concurrent signer loses) and writes it to DIR/repository/NAME.crl,
 * a copy for operators who publish the folder with a static web server. GET
 * /repository/NAME.crl serves the stored CRL (crl_published), so every node of a
 * multi-node set-up serves the newest CRL whichever node signed it. Revocations never wait for it:
 * it runs as the job crl.sign every [revocation] crl_check_seconds. The issuing CAs are opened once
 * per process (ra/issuer.h issuer_cached), so the job decrypts no key per run; a process that ends
 * calls issuer_cache_close. */
#ifndef SM_RA_CRL_H
#define SM_RA_CRL_H
#include <stdint.h>

#include "core/err.h"

struct config;
struct db;

#define CRL_JOB_KIND "crl.sign"

/* One pass at now over every shard of dv, ov and ev (levels without a CA are skipped). force = 1
 * signs every CRL anew. *signed_n (may be NULL) counts the CRLs signed. */
int crl_refresh(struct db *db, const struct config *cfg, int64_t now, int force, int *signed_n,
                struct sm_err *e);

/* The same for the shards of one level only (dv, ov, ev; NULL = every level). */
int crl_refresh_level(struct db *db, const struct config *cfg, const char *level, int64_t now,
                      int force, int *signed_n, struct sm_err *e);

/* The published CRL NAME ("dv", "dv-3"): 0 with *der (malloc'ed, the caller frees) and *len
 * when stored, 1 when none is, <0 on error. der = NULL only asks whether it is published. */
int crl_published(struct db *db, const char *name, unsigned char **der, size_t *len,
                  struct sm_err *e);

#endif
