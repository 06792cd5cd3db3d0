/* SPDX-License-Identifier: MIT */
/* CRL publication (see crl.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "pki/ca.h"
#include "pki/crl.h"
#include "ra/crl.h"
#include "ra/issuer.h"
#include "store/cas.h"
#include "store/crls.h"
#include "store/db.h"
#include "store/revocations.h"

static const char *const levels[] = {"dv", "ov", "ev"};

/* DIR/repository/NAME.crl, replaced atomically. */
static int write_file(const struct config *cfg, const char *name, const unsigned char *der,
                      size_t len, struct sm_err *e)
{
    char dir[1024], path[1100], tmp[1120];
    snprintf(dir, sizeof dir, "%s/repository", config_dir(cfg));
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return sm_err_set(e, SM_E_IO, "repository", "cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/%s.crl", dir, name);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sm_err_set(e, SM_E_IO, "repository", "cannot write %s: %s", tmp, strerror(errno));
    int ok = write_all(fd, der, len) == 0 && fsync(fd) == 0;
    if (close(fd) < 0)
        ok = 0;
    if (!ok || rename(tmp, path) < 0) {
        int err = errno;
        unlink(tmp);
        return sm_err_set(e, SM_E_IO, "repository", "cannot write %s: %s", path, strerror(err));
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One CRL: a level's shard ("dv" for shard 0, "dv-3" for shard 3). */
struct shard {
    const char *level;
    int n;
    char name[16];
};

/* Signs and stores the CRL of sh from the revoked certificates read now. */
static int sign_shard(struct db *db, const struct config *cfg, const struct shard *sh,
                      struct ca_issuer *is, int64_t now, const struct crls_row *prev, int have_prev,
                      int64_t validity, struct sm_err *e)
{
    struct revoked_entry_row *v = NULL;
    struct crl_entry *ent = NULL;
    size_t n = 0;
    struct crls_row row = {0};
    char idp[CA_URL_MAX + 16];
    int64_t t0 = mono_ms(), t1 = t0, t2 = t0;
    int rc = revocations_list_level(db, sh->level, sh->n, &v, &n, e);
    if (rc == 0 && ca_crl_url(cfg, sh->level, sh->n, idp, sizeof idp) < 0)
        rc = sm_err_set(e, SM_E_CONFIG, "repository_url", "CRL URL too long");
    if (rc == 0 && n > 0 && (ent = malloc(n * sizeof *ent)) == NULL)
        rc = sm_err_set(e, SM_E_NOMEM, "crl", "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++)
        ent[i] = (struct crl_entry){v[i].serial, v[i].revoked_at < now ? v[i].revoked_at : now,
                                    v[i].reason};
    unsigned char *der = NULL;
    size_t len = 0;
    /* The next number is above the stored one and above the clock, so that a CRL number
     * keeps growing even if the crls row were lost. */
    int64_t number = have_prev ? prev->crl_number + 1 : 1;
    if (number < now)
        number = now;
    if (rc == 0) {
        struct crl_params p = {is->cert, is->signer, number, now, now + validity, idp};
        t1 = mono_ms();
        rc = crl_sign(&p, ent, n, &der, &len, e);
        t2 = mono_ms();
    }
    if (rc == 0) {
        snprintf(row.issuer, sizeof row.issuer, "%.7s", sh->name);
        row.crl_number = number;
        row.this_update = now;
        row.next_update = now + validity;
        row.revoked_count = (int64_t)n;
        row.der = der;
        row.der_len = len;
        row.updated_at = now;
        rc = crls_set(db, &row, have_prev ? prev->crl_number : 0, e);
    }
    if (rc == 0)
        rc = write_file(cfg, sh->name, der, len, e);
    if (rc == 0) {
        char num[24], cnt[24], ms[64];
        snprintf(num, sizeof num, "%lld", (long long)number);
        snprintf(cnt, sizeof cnt, "%zu", n);
        snprintf(ms, sizeof ms, "read %lld, sign %lld, store %lld", (long long)(t1 - t0),
                 (long long)(t2 - t1), (long long)(mono_ms() - t2));
        log_info("CRL signed", "crl", sh->name, "crl_number", num, "entries", cnt, "ms", ms);
    }
    OPENSSL_free(der);
    free(ent);
    free(v);
    return rc;
}

/* 1 when the CRL of sh must be signed anew: none yet, older than half its validity, or a
 * certificate of its shard was revoked since (only the shards affected are re-signed). */
static int stale(struct db *db, const struct shard *sh, int64_t now, const struct crls_row *prev,
                 int have_prev, int64_t validity, struct sm_err *e, int *rcp)
{
    if (!have_prev)
        return 1;
    if (now >= prev->this_update + validity / 2 || now >= prev->next_update)
        return 1;
    int64_t count = 0;
    *rcp = revocations_count_level(db, sh->level, sh->n, &count, e);
    return *rcp == 0 && count != prev->revoked_count;
}

/* Every shard of level: 0 always (the certificates issued before sharding name it), 1..N
 * when [revocation] crl_shards_{level} = N > 1, and any higher shard published before. */
static int refresh_level(struct db *db, const struct config *cfg, const char *level, int64_t now,
                         int force, int64_t validity, int *signed_n, struct sm_err *e)
{
    int shards = 1, stored = 0;
    int rc = ca_crl_shards(cfg, level, &shards, e);
    if (rc == 0)
        rc = crls_max_shard(db, level, &stored, e);
    int last = shards > 1 ? shards : 0;
    if (stored > last)
        last = stored;
    struct ca_issuer *is = NULL;
    for (int k = 0; rc == 0 && k <= last; k++) {
        struct shard sh = {level, k, {0}};
        if (k == 0)
            snprintf(sh.name, sizeof sh.name, "%s", level);
        else
            snprintf(sh.name, sizeof sh.name, "%s-%d", level, k);
        struct crls_row prev;
        int have = 0;
        rc = crls_get(db, sh.name, 0, &prev, e);
        have = rc == 0;
        if (rc == 1)
            rc = 0;
        if (rc == 0 && (force || stale(db, &sh, now, &prev, have, validity, e, &rc)) && rc == 0) {
            if (is == NULL)
                rc = issuer_cached(db, cfg, level, "a", &is, e); /* kept open by the job */
            if (rc == 0)
                rc = sign_shard(db, cfg, &sh, is, now, &prev, have, validity, e);
            if (rc == 0 && signed_n != NULL)
                (*signed_n)++;
        }
        if (have)
            crls_row_clear(&prev);
    }
    return rc;
}

int crl_refresh_level(struct db *db, const struct config *cfg, const char *level, int64_t now,
                      int force, int *signed_n, struct sm_err *e)
{
    int64_t days = 7;
    int rc = config_int(cfg, "revocation", "crl_validity_days", 1, 10, &days, e);
    if (signed_n != NULL)
        *signed_n = 0;
    for (size_t i = 0; rc == 0 && i < sizeof levels / sizeof levels[0]; i++) {
        if (level != NULL && strcmp(level, levels[i]) != 0)
            continue;
        rc = issuer_exists(db, levels[i], e);
        if (rc == 0)
            continue; /* no CA of that level */
        rc = rc < 0 ? rc : refresh_level(db, cfg, levels[i], now, force, days * 86400, signed_n, e);
    }
    return rc;
}

int crl_refresh(struct db *db, const struct config *cfg, int64_t now, int force, int *signed_n,
                struct sm_err *e)
{
    return crl_refresh_level(db, cfg, NULL, now, force, signed_n, e);
}

int crl_published(struct db *db, const char *name, unsigned char **der, size_t *len,
                  struct sm_err *e)
{
    struct crls_row row;
    int rc = crls_get(db, name, der != NULL, &row, e);
    if (rc == 0 && der != NULL) {
        *der = row.der;
        *len = row.der_len;
        row.der = NULL;
    }
    crls_row_clear(&row);
    return rc;
}
