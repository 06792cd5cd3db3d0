/* SPDX-License-Identifier: MIT */
/* shomei crl: signs every CRL now (R-REV-2), as the CRL job does, without waiting for it.
 *   shomei crl --dir DIR [--level dv|ov|ev]   (--level: only that CA's CRLs, every shard)
 * Prints one line per run: the number of CRLs signed and the time it took, and apart the
 * time the CA keys took to open (scrypt; opened first, then kept open as in the server's
 * CRL job, which opens them once per process). Exit 0, 1 on an error, 2 usage. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "ra/crl.h"
#include "ra/issuer.h"
#include "store/db.h"

static double seconds(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

int cmd_crl(int argc, char **argv)
{
    const char *dir = NULL, *level = NULL;
    int bad = argc % 2 == 0;
    for (int i = 1; !bad && i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--level") == 0)
            level = argv[i + 1];
        else
            bad = 1;
    }
    if (level != NULL && strcmp(level, "dv") != 0 && strcmp(level, "ov") != 0 &&
        strcmp(level, "ev") != 0)
        bad = 1;
    if (dir == NULL || bad) {
        fprintf(stderr, "usage: shomei crl --dir DIR [--level dv|ov|ev]\n");
        return 2;
    }
    struct config *c = NULL;
    struct db *db = NULL;
    struct sm_err e = {0};
    int n = 0, rc = config_load(dir, &c, &e);
    if (rc == 0)
        rc = db_open(config_str(c, "database", "url"), dir, &db, &e);
    static const char *const levels[] = {"dv", "ov", "ev"};
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; rc == 0 && i < sizeof levels / sizeof levels[0]; i++) {
        struct ca_issuer *is = NULL;
        if (level != NULL && strcmp(level, levels[i]) != 0)
            continue;
        rc = issuer_exists(db, levels[i], &e);
        if (rc == 1)
            rc = issuer_cached(db, c, levels[i], "a", &is, &e);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == 0)
        rc = crl_refresh_level(db, c, level, (int64_t)clock_now(), 1, &n, &e);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (rc < 0)
        fprintf(stderr, "shomei crl: CRL を署名できません / cannot sign the CRLs: %s\n", e.detail);
    else
        printf("signed %d CRLs in %.3f s (CA keys opened before in %.3f s)\n", n, seconds(t1, t2),
               seconds(t0, t1));
    issuer_cache_close();
    db_close(db);
    config_free(c);
    return rc < 0 ? 1 : 0;
}
