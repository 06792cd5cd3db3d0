/* SPDX-License-Identifier: MIT */
/* shomei revoke: the operator's revocation (R-REV-3; BR 4.9.1.1, SC-089 mass revocation).
 *   shomei revoke --dir DIR --serial HEX --reason REASON [--date YYYY-MM-DD]
 *   shomei revoke --dir DIR --batch FILE --reason REASON [--date YYYY-MM-DD]
 *   shomei revoke --dir DIR --ca LEVEL --issued-between FROM TO --reason REASON [--date D]
 * The query form takes every certificate of the issuing CA LEVEL (dv, ov, ev) in state
 * issued or revocation_scheduled issued from FROM up to TO (YYYY-MM-DD or
 * YYYY-MM-DDTHH:MM:SSZ, UTC; a date as TO counts its whole day), read once before the first
 * change, and revokes them like a batch.
 * FILE holds one serial per line (blank lines and lines starting with # are skipped).
 * REASON: unspecified keyCompromise affiliationChanged superseded cessationOfOperation
 * privilegeWithdrawn. Without --date the certificates are revoked now; with a date
 * (today .. +60 days) the revocation is scheduled (keyCompromise is always now). The date
 * is a calendar day in Japan time, as on the certificate page's form: the revocation falls
 * at 00:00 JST of that day (15:00 UTC the day before). Each
 * revocation is audited (actor "cli"); a batch commits in chunks and reports each serial it
 * could not revoke (unknown, not issued, expired) without stopping. Exit 0 all revoked or
 * scheduled, 1 some not, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "ra/revoke.h"
#include "store/db.h"
#include "store/revocations.h"

#define CHUNK 500
#define JST   (9 * 3600)

static int usage(void)
{
    fprintf(stderr, "usage: shomei revoke --dir DIR --serial HEX|--batch FILE --reason REASON"
                    " [--date YYYY-MM-DD]\n"
                    "       shomei revoke --dir DIR --ca dv|ov|ev --issued-between FROM TO"
                    " --reason REASON [--date YYYY-MM-DD]\n"
                    "       REASON: unspecified keyCompromise affiliationChanged superseded"
                    " cessationOfOperation privilegeWithdrawn\n"
                    "       --date: 失効日（日本時間の暦日、その日の 0:00 JST に失効）"
                    " / the day of revocation in Japan time (at 00:00 JST, as on the web form)\n");
    return 2;
}

static void report(const char *serial, int rc, const struct sm_err *e)
{
    const char *ja = rc == -SM_E_NOTFOUND ? "このシリアル番号の証明書はありません"
                     : rc == -SM_E_CONFLICT ? "失効できる状態ではありません"
                     : rc == -SM_E_INVALID  ? "入力が正しくありません"
                                            : "失効できません";
    fprintf(stderr, "shomei revoke: %s: %s / %s\n", serial, ja, e->detail);
}

/* One chunk of serials in one transaction; refusals of one serial are reported and
 * skipped (they wrote nothing), database errors abandon the chunk. */
static int run_chunk(struct db *db, char **serials, size_t n, const struct revoke_req *tmpl,
                     int *failed)
{
    struct sm_err e = {0};
    if (db_begin(db, &e) < 0) {
        fprintf(stderr, "shomei revoke: %s\n", e.detail);
        return -1;
    }
    int64_t now = (int64_t)clock_now();
    for (size_t i = 0; i < n; i++) {
        struct revoke_req r = *tmpl;
        struct revoke_result res;
        r.serial = serials[i];
        sm_err_clear(&e);
        int rc = revoke_tx(db, &r, now, &res, &e);
        if (rc == -SM_E_NOTFOUND || rc == -SM_E_CONFLICT || rc == -SM_E_INVALID) {
            report(serials[i], rc, &e);
            (*failed)++;
            continue;
        }
        if (rc < 0) {
            report(serials[i], rc, &e);
            db_rollback(db);
            return -1;
        }
        char when[32];
        clock_format_utc((time_t)res.at, when, sizeof when);
        printf("%s %s %s%s\n", serials[i], res.revoked ? "revoked" : "scheduled", when,
               res.key_blocked ? " key-blocked" : "");
    }
    if (db_commit(db, &e) < 0) {
        fprintf(stderr, "shomei revoke: %s\n", e.detail);
        db_rollback(db);
        return -1;
    }
    return 0;
}

static int run_batch(struct db *db, FILE *f, const struct revoke_req *tmpl, int *failed)
{
    char line[256];
    char *chunk[CHUNK];
    size_t n = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        size_t l = strcspn(line, "\r\n");
        line[l] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t k = strlen(s);
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            s[--k] = '\0';
        if (*s == '\0' || *s == '#')
            continue;
        chunk[n] = strdup(s);
        if (chunk[n] == NULL) {
            rc = -1;
            break;
        }
        if (++n == CHUNK) {
            rc = run_chunk(db, chunk, n, tmpl, failed);
            for (size_t i = 0; i < n; i++)
                free(chunk[i]);
            n = 0;
        }
    }
    if (rc == 0 && n > 0)
        rc = run_chunk(db, chunk, n, tmpl, failed);
    for (size_t i = 0; i < n; i++)
        free(chunk[i]);
    return rc;
}

/* The query form: every serial of the query, in chunks. */
static int run_query(struct db *db, const char *level, int64_t from, int64_t to,
                     const struct revoke_req *tmpl, int *failed)
{
    char(*v)[REVOCATIONS_SERIAL_MAX] = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    if (revocations_list_issued(db, level, from, to, &v, &n, &e) < 0) {
        fprintf(stderr, "shomei revoke: %s\n", e.detail);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i += CHUNK) {
        char *chunk[CHUNK];
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        for (size_t j = 0; j < k; j++)
            chunk[j] = v[i + j];
        rc = run_chunk(db, chunk, k, tmpl, failed);
    }
    fprintf(stderr, "shomei revoke: %zu 件を対象にしました / %zu certificates matched\n", n, n);
    free(v);
    return rc;
}

/* FROM or TO of --issued-between; a bare date as TO means the end of that day. */
static int parse_bound(const char *s, int end, int64_t *out)
{
    time_t t = 0;
    if (clock_parse_utc(s, &t) < 0)
        return -1;
    *out = (int64_t)t + (end && strlen(s) == 10 ? 86400 : 0);
    return 0;
}

int cmd_revoke(int argc, char **argv)
{
    const char *dir = NULL, *serial = NULL, *batch = NULL, *reason = NULL, *date = NULL;
    const char *level = NULL, *from_s = NULL, *to_s = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(argv[i], "--issued-between") == 0 && from_s == NULL && i + 2 < argc) {
            from_s = v;
            to_s = argv[i + 2];
            i++;
        } else if (strcmp(argv[i], "--ca") == 0 && level == NULL)
            level = v;
        else if (strcmp(argv[i], "--dir") == 0 && dir == NULL)
            dir = v;
        else if (strcmp(argv[i], "--serial") == 0 && serial == NULL)
            serial = v;
        else if (strcmp(argv[i], "--batch") == 0 && batch == NULL)
            batch = v;
        else if (strcmp(argv[i], "--reason") == 0 && reason == NULL)
            reason = v;
        else if (strcmp(argv[i], "--date") == 0 && date == NULL)
            date = v;
        else
            return usage();
    }
    int forms = (serial != NULL) + (batch != NULL) + (level != NULL || from_s != NULL);
    if (dir == NULL || reason == NULL || forms != 1 || (level == NULL) != (from_s == NULL))
        return usage();
    int64_t from = 0, to = 0;
    if (level != NULL && strcmp(level, "dv") != 0 && strcmp(level, "ov") != 0 &&
        strcmp(level, "ev") != 0) {
        fprintf(stderr,
                "shomei revoke: --ca は dv, ov, ev のどれかです / --ca must be dv, ov or ev\n");
        return 2;
    }
    if (from_s != NULL &&
        (parse_bound(from_s, 0, &from) < 0 || parse_bound(to_s, 1, &to) < 0 || to <= from)) {
        fprintf(stderr, "shomei revoke: --issued-between FROM TO は YYYY-MM-DD で FROM <= TO です"
                        " / --issued-between wants FROM TO as YYYY-MM-DD, FROM <= TO\n");
        return 2;
    }
    struct revoke_req tmpl = {.actor = "cli", .source = "cli", .officer = 1};
    if (revoke_reason_parse(reason, &tmpl.reason) < 0) {
        fprintf(stderr, "shomei revoke: 失効理由 '%s' は使えません / reason '%s' is not allowed\n",
                reason, reason);
        return usage();
    }
    /* --date is a Japan-time calendar day, as on the web form (h_revoke.c): 00:00 JST. */
    time_t when = 0;
    if (date != NULL && (strlen(date) != 10 || clock_parse_utc(date, &when) < 0)) {
        fprintf(stderr, "shomei revoke: 日付 '%s' が読めません / --date must be YYYY-MM-DD\n",
                date);
        return 2;
    }
    tmpl.when = date != NULL ? (int64_t)when - JST : 0;
    FILE *f = NULL;
    if (batch != NULL && (f = fopen(batch, "r")) == NULL) {
        fprintf(stderr, "shomei revoke: %s を開けません / cannot open %s: %s\n", batch, batch,
                strerror(errno));
        return 1;
    }
    struct config *c = NULL;
    struct db *db = NULL;
    struct sm_err e = {0};
    int failed = 0, rc = config_load(dir, &c, &e);
    if (rc == 0)
        rc = db_open(config_str(c, "database", "url"), dir, &db, &e);
    if (rc < 0) {
        fprintf(stderr, "shomei revoke: データベースを開けません / cannot open the database: %s\n",
                e.detail);
    } else if (f != NULL) {
        rc = run_batch(db, f, &tmpl, &failed);
    } else if (level != NULL) {
        rc = run_query(db, level, from, to, &tmpl, &failed);
    } else {
        char *one[1] = {(char *)serial};
        rc = run_chunk(db, one, 1, &tmpl, &failed);
    }
    if (f != NULL)
        fclose(f);
    db_close(db);
    config_free(c);
    return rc < 0 || failed > 0 ? 1 : 0;
}
