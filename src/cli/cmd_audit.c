/* SPDX-License-Identifier: MIT */
/* shomei audit verify --dir DIR: checks the audit log's hash chain (R-OPS-1) in the
 * database named by DIR/shomei.ini and reports the first bad record. Read-only: it
 * neither migrates nor changes anything. Exit 0 intact, 1 broken or failed, 2 usage. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "store/audit.h"
#include "store/db.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei audit verify --dir DIR\n");
    return 2;
}

int cmd_audit(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "verify") != 0)
        return usage();
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc && dir == NULL)
            dir = argv[++i];
        else
            return usage();
    }
    if (dir == NULL || *dir == '\0')
        return usage();

    struct sm_err e = {0};
    struct config *cfg = NULL;
    struct db *db = NULL;
    int status = 1;
    if (config_load(dir, &cfg, &e) < 0) {
        fprintf(stderr, "shomei audit: %s\n", e.detail);
        return 1;
    }
    if (db_open(config_str(cfg, "database", "url"), dir, &db, &e) < 0) {
        fprintf(stderr, "shomei audit: %s\n", e.detail);
        goto out;
    }
    int64_t records = 0, bad = 0;
    char why[200];
    int rc = audit_verify_count(db, &records, &bad, why, sizeof why, &e);
    if (rc == 0) {
        printf("audit log OK: %lld records\n", (long long)records);
        status = 0;
    } else if (rc == -SM_E_CONFLICT) {
        printf("audit log broken at record %lld: %s\n", (long long)bad, why);
    } else {
        fprintf(stderr, "shomei audit: cannot read the audit log: %s\n", e.detail);
    }
out:
    db_close(db);
    config_free(cfg);
    return status;
}
