/* SPDX-License-Identifier: MIT */
/* shomei acme: ACME operator commands (issue 10).
 *   shomei acme eab --dir DIR --org ID
 * creates external account binding credentials for organization ID and prints them once:
 * the key id and the HMAC key (base64url), as ACME clients take them (certbot --eab-kid
 * --eab-hmac-key, lego --kid --hmac). Exit 0, 1 on an error, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "ra/acme.h"
#include "store/db.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei acme eab --dir DIR --org ID\n");
    return 2;
}

int cmd_acme(int argc, char **argv)
{
    const char *dir = NULL, *org = NULL;
    if (argc < 2 || strcmp(argv[1], "eab") != 0)
        return usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
            org = argv[++i];
        else
            return usage();
    }
    if (dir == NULL || org == NULL)
        return usage();
    char *end;
    errno = 0;
    long long org_id = strtoll(org, &end, 10);
    if (errno != 0 || end == org || *end != '\0' || org_id <= 0) {
        fprintf(stderr, "shomei acme eab: --org は組織 ID（正の整数）です / --org must be an "
                        "organization id (a positive integer)\n");
        return 2;
    }
    struct config *c = NULL;
    struct db *db = NULL;
    struct sm_err e = {0};
    char kid[ACME_EAB_KID_LEN], key[ACME_EAB_KEY_LEN];
    int rc = config_load(dir, &c, &e);
    if (rc == 0)
        rc = db_open(config_str(c, "database", "url"), dir, &db, &e);
    if (rc == 0)
        rc = db_migrate(db, &e);
    if (rc == 0)
        rc = acme_eab_create(db, (int64_t)org_id, "cli", (int64_t)clock_now(), kid, key, &e);
    if (rc < 0) {
        fprintf(stderr,
                "shomei acme eab: EAB 認証情報を作成できません / cannot create EAB "
                "credentials: %s\n",
                e.detail);
    } else {
        printf("kid %s\nhmac_key %s\n", kid, key);
        sodium_memzero(key, sizeof key);
    }
    db_close(db);
    config_free(c);
    return rc < 0 ? 1 : 0;
}
