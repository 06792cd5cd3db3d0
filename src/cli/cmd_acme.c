/* SPDX-License-Identifier: MIT */
/* shomei acme: ACME operator commands (issue 10).
 *   shomei acme eab --dir DIR --org ID
 * creates external account binding credentials for organization ID and prints them once:
 * the key id and the HMAC key (base64url), as ACME clients take them (certbot --eab-kid
 * --eab-hmac-key, lego --kid --hmac).
 *   shomei acme ari-drill --dir DIR --ca NAME --issued-before DATE [--org ID]
 * moves the ARI renewal window (RFC 9773) of every valid certificate of CA NAME issued
 * before DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC), of organization ID if given, to
 * now (ra/acme_ari.h), audited; prints the drill's id and how many certificates it took.
 *   shomei acme ari-report --dir DIR [--drill ID]
 * shows, per organization, which certificates of the drill (default: the latest) were
 * replaced since (a newer certificate of the same organization and common name).
 * Exit 0, 1 on an error, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "ra/acme.h"
#include "ra/acme_ari.h"
#include "store/acme_ari.h"
#include "store/db.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei acme eab --dir DIR --org ID\n"
                    "       shomei acme ari-drill --dir DIR --ca NAME --issued-before DATE "
                    "[--org ID]\n"
                    "       shomei acme ari-report --dir DIR [--drill ID]\n");
    return 2;
}

/* A positive id, or 0. */
static long long id_of(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && v > 0 ? v : 0;
}

static int open_db(const char *dir, struct config **c, struct db **db, struct sm_err *e)
{
    int rc = config_load(dir, c, e);
    if (rc == 0)
        rc = db_open(config_str(*c, "database", "url"), dir, db, e);
    if (rc == 0)
        rc = db_migrate(*db, e);
    return rc;
}

static int ari_drill(int argc, char **argv)
{
    const char *dir = NULL, *ca = NULL, *before = NULL, *org = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
            ca = argv[++i];
        else if (strcmp(argv[i], "--issued-before") == 0 && i + 1 < argc)
            before = argv[++i];
        else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
            org = argv[++i];
        else
            return usage();
    }
    if (dir == NULL || ca == NULL || before == NULL)
        return usage();
    time_t t;
    if (clock_parse_utc(before, &t) < 0) {
        fprintf(stderr, "shomei acme ari-drill: --issued-before は YYYY-MM-DD です / "
                        "--issued-before must be YYYY-MM-DD (UTC)\n");
        return 2;
    }
    long long org_id = org ? id_of(org) : 0;
    if (org != NULL && org_id == 0) {
        fprintf(stderr, "shomei acme ari-drill: --org は組織 ID（正の整数）です / --org must be "
                        "an organization id (a positive integer)\n");
        return 2;
    }
    struct config *c = NULL;
    struct db *db = NULL;
    struct sm_err e = {0};
    int64_t id = 0, n = 0;
    int rc = open_db(dir, &c, &db, &e);
    if (rc == 0)
        rc = acme_ari_drill(db, ca, (int64_t)t, (int64_t)org_id, "cli", (int64_t)clock_now(), &id,
                            &n, &e);
    if (rc < 0)
        fprintf(stderr,
                "shomei acme ari-drill: 更新時期を移せません / cannot move the renewal "
                "windows: %s\n",
                e.detail);
    else
        printf("drill %lld certificates %lld\n", (long long)id, (long long)n);
    db_close(db);
    config_free(c);
    return rc < 0 ? 1 : 0;
}

static int ari_report(int argc, char **argv)
{
    const char *dir = NULL, *drill = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--drill") == 0 && i + 1 < argc)
            drill = argv[++i];
        else
            return usage();
    }
    long long drill_id = drill ? id_of(drill) : 0;
    if (dir == NULL || (drill != NULL && drill_id == 0))
        return usage();
    struct config *c = NULL;
    struct db *db = NULL;
    struct sm_err e = {0};
    struct acme_ari_drill_row d = {0};
    struct acme_ari_report_row *v = NULL;
    size_t n = 0;
    int rc = open_db(dir, &c, &db, &e);
    if (rc == 0)
        rc = acme_ari_drill_get(db, (int64_t)drill_id, &d, &e);
    if (rc == 0)
        rc = acme_ari_report_list(db, d.id, &v, &n, &e);
    if (rc < 0) {
        fprintf(stderr, "shomei acme ari-report: 報告を作れません / cannot report: %s\n", e.detail);
    } else {
        char at[32], before[32];
        clock_format_utc((time_t)d.created_at, at, sizeof at);
        clock_format_utc((time_t)d.issued_before, before, sizeof before);
        printf("drill %lld ca %s issued_before %s at %s certificates %zu\n", (long long)d.id,
               d.ca_name, before, at, n);
        for (size_t i = 0; i < n;) {
            size_t j = i, replaced = 0;
            for (; j < n && v[j].org_id == v[i].org_id; j++)
                replaced += v[j].replaced_by[0] != '\0';
            printf("org %lld %s: replaced %zu of %zu\n", (long long)v[i].org_id,
                   v[i].org_name[0] ? v[i].org_name : "-", replaced, j - i);
            for (; i < j; i++)
                printf("  %s %s %s\n", v[i].serial, v[i].cn[0] ? v[i].cn : "-",
                       v[i].replaced_by[0] ? v[i].replaced_by : "not-replaced");
        }
    }
    free(v);
    db_close(db);
    config_free(c);
    return rc < 0 ? 1 : 0;
}

int cmd_acme(int argc, char **argv)
{
    const char *dir = NULL, *org = NULL;
    if (argc >= 2 && strcmp(argv[1], "ari-drill") == 0)
        return ari_drill(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "ari-report") == 0)
        return ari_report(argc, argv);
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
