/* SPDX-License-Identifier: MIT */
/* shomei ca list --dir DIR: the CA hierarchy as a table (R-ISS-1).
 * shomei ca chain --dir DIR --level dv|ov|ev --root a|b: the PEM chain for leaves of that
 * level under that root, issuing certificate first (the cross-certificate for root b),
 * root last. Read-only; needs no passphrase. Exit 0 done, 1 failed, 2 usage. */
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "pki/ca.h"
#include "ra/issuer.h"
#include "store/cas.h"
#include "store/db.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei ca list --dir DIR\n"
                    "       shomei ca chain --dir DIR --level dv|ov|ev --root a|b\n");
    return 2;
}

static void fail_msg(const char *ja, const char *en, const struct sm_err *e)
{
    fprintf(stderr, "shomei ca: %s / %s", ja, en);
    if (e != NULL && e->detail[0] != '\0')
        fprintf(stderr, " (%s)", e->detail);
    fputc('\n', stderr);
}

static int open_dir(const char *dir, struct config **c, struct db **db)
{
    struct sm_err e = {0};
    if (config_load(dir, c, &e) < 0) {
        fail_msg("設定を読めません", "cannot read the configuration", &e);
        return -1;
    }
    if (db_open(config_str(*c, "database", "url"), dir, db, &e) < 0) {
        fail_msg("データベースを開けません", "cannot open the database", &e);
        return -1;
    }
    return 0;
}

static void print_row(const struct cas_row *r)
{
    const unsigned char *p = r->der;
    X509 *x = d2i_X509(NULL, &p, (long)r->der_len);
    char issuer[512] = "?", fp[65] = "?", until[32];
    if (x != NULL) {
        ca_name_string(X509_get_issuer_name(x), issuer, sizeof issuer);
        ca_fingerprint(x, fp, sizeof fp);
    }
    clock_format_utc((time_t)r->not_after, until, sizeof until);
    printf("%-11s %-12s %-5s %-8s %-20s %s%s\n", r->name, r->role, r->level ? r->level : "-",
           r->key_type, until, fp, r->test ? "  TEST" : "");
    printf("            subject: %s\n            issuer:  %s\n", r->subject, issuer);
    X509_free(x);
}

static int ca_list(const char *dir)
{
    struct config *c = NULL;
    struct db *db = NULL;
    struct cas_row *rows = NULL;
    size_t n = 0;
    struct sm_err e = {0};
    int status = 1;
    if (open_dir(dir, &c, &db) < 0)
        goto out;
    if (cas_list(db, &rows, &n, &e) < 0) {
        fail_msg("CA を読めません (shomei init を実行しましたか)",
                 "cannot read the CAs (was shomei init run?)", &e);
        goto out;
    }
    int test = 0;
    for (size_t i = 0; i < n; i++)
        test |= rows[i].test;
    if (test)
        printf("試験用 CA (shomei init --test-ca): 本番には使えません / "
               "TEST CAs (shomei init --test-ca): not for production\n");
    printf("%-11s %-12s %-5s %-8s %-20s %s\n", "NAME", "ROLE", "LEVEL", "KEY", "NOT_AFTER",
           "SHA256");
    for (size_t i = 0; i < n; i++)
        print_row(&rows[i]);
    status = 0;
out:
    cas_rows_free(rows, n);
    db_close(db);
    config_free(c);
    return status;
}

static int ca_chain(const char *dir, const char *level, const char *root)
{
    struct config *c = NULL;
    struct db *db = NULL;
    STACK_OF(X509) *chain = NULL;
    struct sm_err e = {0};
    int status = 1;
    if (open_dir(dir, &c, &db) < 0)
        goto out;
    if (issuer_chain(db, level, root, &chain, &e) < 0) {
        fail_msg("チェーンを読めません", "cannot read the chain", &e);
        goto out;
    }
    status = 0;
    for (int i = 0; i < sk_X509_num(chain); i++)
        if (!PEM_write_X509(stdout, sk_X509_value(chain, i)))
            status = 1;
out:
    sk_X509_pop_free(chain, X509_free);
    db_close(db);
    config_free(c);
    return status;
}

int cmd_ca(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1], *dir = NULL, *level = NULL, *root = NULL;
    int chain = strcmp(sub, "chain") == 0;
    if (!chain && strcmp(sub, "list") != 0)
        return usage();
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(argv[i], "--dir") == 0 && dir == NULL)
            dir = v;
        else if (chain && strcmp(argv[i], "--level") == 0 && level == NULL)
            level = v;
        else if (chain && strcmp(argv[i], "--root") == 0 && root == NULL)
            root = v;
        else
            return usage();
        i++;
    }
    if (dir == NULL || *dir == '\0')
        return usage();
    if (!chain)
        return ca_list(dir);
    if (level == NULL || root == NULL || ca_level_policy(level) == NULL ||
        (strcmp(root, "a") != 0 && strcmp(root, "b") != 0))
        return usage();
    return ca_chain(dir, level, root);
}
