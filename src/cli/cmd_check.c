/* SPDX-License-Identifier: MIT */
/* shomei check: the install check (設定確認, R-DL-2) from the command line.
 *   shomei check --dir DIR [--servername NAME] [--allow-private] https://HOST[:PORT]
 * Connects with the [dcv] time-outs, reads the served chain and prints one line per
 * finding, "CODE: detail" (ra/check.h lists the codes). --servername names the host to
 * send as SNI and to expect in the certificate when HOST is an address. Private and
 * loopback targets only with --allow-private. Exit 0 when everything is right, 1 when
 * anything is wrong, 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/fetch.h"
#include "ra/check.h"
#include "store/db.h"

static int usage(FILE *f, const char *why)
{
    if (why != NULL)
        fprintf(f, "shomei check: %s\n", why);
    fprintf(f, "usage: shomei check --dir DIR [--servername NAME] [--allow-private] [--json]"
               " https://HOST[:PORT]\n");
    return 2;
}

int cmd_check(int argc, char **argv)
{
    const char *dir = NULL, *sn = NULL, *url = NULL;
    int allow = 0, js = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(a, "--servername") == 0 && i + 1 < argc)
            sn = argv[++i];
        else if (strcmp(a, "--allow-private") == 0)
            allow = 1;
        else if (strcmp(a, "--json") == 0)
            js = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return usage(stdout, NULL), 0;
        else if (a[0] != '-' && url == NULL)
            url = a;
        else
            return usage(stderr, "unknown argument");
    }
    if (dir == NULL || url == NULL)
        return usage(stderr, "--dir and the URL are required");
    struct config *c = NULL;
    struct db *db = NULL;
    struct sm_err e = {0};
    int rc = 1;
    if (config_load(dir, &c, &e) < 0 ||
        db_open(config_str(c, "database", "url"), dir, &db, &e) < 0) {
        fprintf(stderr, "shomei check: 設定を読めません / cannot use the configuration: %s\n",
                e.detail);
        goto out;
    }
    int64_t ct = 5, t = 15;
    sm_err_clear(&e);
    if (config_int(c, "dcv", "connect_timeout", 1, 120, &ct, &e) < 0 ||
        config_int(c, "dcv", "timeout", 1, 600, &t, &e) < 0) {
        fprintf(stderr, "shomei check: %s\n", e.detail);
        goto out;
    }
    struct fetch_opts fo = {0};
    fo.allow_private = fo.allow_loopback = allow; /* the operator's own command */
    fo.connect_timeout_ms = (long)ct * 1000;
    fo.timeout_ms = (long)t * 1000;
    struct check_report rep;
    int st = check_install(db, &fo, url, sn, clock_now(), &rep, &e);
    if (st < 0) {
        fprintf(stderr, "shomei check: %s\n", e.detail);
        goto out;
    }
    if (js) {
        char *s = check_report_json(&rep);
        printf("%s\n", s != NULL ? s : "{}");
        free(s);
    } else {
        printf("target: %s (%s port %d, SNI %s)\n", rep.url, rep.address[0] ? rep.address : "-",
               rep.port, rep.servername);
        if (rep.nchain > 0)
            printf("served: CN=%s serial=%s%s%s chain=%zu\n", rep.subject_cn, rep.serial,
                   rep.ours ? " ours, state=" : " not ours", rep.ours ? rep.state : "", rep.nchain);
        for (size_t i = 0; i < rep.n; i++)
            printf("%s: %s\n", rep.f[i].code, rep.f[i].detail);
    }
    rc = st == 0 ? 0 : 1;
out:
    db_close(db);
    config_free(c);
    return rc;
}
