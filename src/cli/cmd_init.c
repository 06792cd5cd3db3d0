/* SPDX-License-Identifier: MIT */
/* shomei init --dir DIR [--demo] [--test-ca] [--port P] [--set section.key=value ...]
 * (R-OPS-1):
 * creates the data directory (0700), its documented shomei.ini, the database with every
 * migration, the CA hierarchy (R-ISS-1: encrypted keys in DIR/keys, CA rows and audit
 * records in one transaction) and the repository files DIR/repository/<name>.crt|.pem.
 * Refuses a non-empty DIR without touching it; on any later failure removes what it made.
 * --test-ca makes a test hierarchy ([ca] test_ca = true): every CA name says TEST, the
 * rows are marked test, and only there does `shomei issue` sign without an order.
 * Exit 0 done, 1 failed or refused, 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/text.h"
#include "pki/ca.h"
#include "ra/crl.h"
#include "ra/issuer.h"
#include "ra/ocsp.h"
#include "ra/product.h"
#include "store/db.h"

#define MAX_SETTINGS 64

/* --demo seeds: each puts one kind of demo data (users, products, announcements ...) into
 * the fresh database, after the CA hierarchy exists. Add a function to demo_seeds to seed
 * more; a failure makes init remove everything it created. */
typedef int (*demo_seed_fn)(struct db *db, const struct config *c, struct sm_err *e);

/* The demo catalog of R-PRD-1 (DV, OV, OV multi-domain, EV, OV wildcard). */
static int seed_products(struct db *db, const struct config *c, struct sm_err *e)
{
    (void)c;
    int n = 0;
    int rc = product_seed_demo(db, "cli", &n, e);
    if (rc == 0)
        printf("demo products: %d\n", n);
    return rc;
}

static const demo_seed_fn demo_seeds[] = {
    seed_products, user_seed_demo, NULL, /* end of the list */
};

struct opts {
    const char *dir;
    int demo;
    int test_ca;
    char port[8];
    /* settings written into shomei.ini: name ("section.key") / value pairs, NULL-ended */
    const char *ov[2 * MAX_SETTINGS + 1];
    char names[MAX_SETTINGS][96];
    int nov;
};

static int usage(void)
{
    fprintf(stderr, "usage: shomei init --dir DIR [--demo] [--test-ca] [--port P]"
                    " [--set section.key=value ...]\n");
    return 2;
}

/* Both languages in one message: Japanese first, then English. */
static void fail_msg(const char *ja, const char *en, const struct sm_err *e)
{
    fprintf(stderr, "shomei init: %s / %s", ja, en);
    if (e != NULL && e->detail[0] != '\0')
        fprintf(stderr, " (%s)", e->detail);
    fputc('\n', stderr);
}

/* Records section.key = value; a later value for the same name replaces an earlier one. */
static int put_setting(struct opts *o, const char *name, size_t name_len, const char *value)
{
    if (name_len == 0 || name_len >= sizeof o->names[0])
        return -1;
    int i;
    for (i = 0; i < o->nov; i++)
        if (strncmp(o->names[i], name, name_len) == 0 && o->names[i][name_len] == '\0')
            break;
    if (i == o->nov) {
        if (o->nov == MAX_SETTINGS)
            return -1;
        memcpy(o->names[i], name, name_len);
        o->names[i][name_len] = '\0';
        o->nov++;
    }
    o->ov[2 * i] = o->names[i];
    o->ov[2 * i + 1] = value;
    o->ov[2 * o->nov] = NULL;
    return 0;
}

/* "section.key=value" with a known setting and a value that fits on one INI line. */
static int parse_set(struct opts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *dot = strchr(arg, '.');
    if (eq == NULL || dot == NULL || dot > eq || dot == arg || dot + 1 == eq)
        return -1;
    if (strpbrk(eq + 1, "\r\n") != NULL)
        return -1;
    char section[48], key[48];
    if ((size_t)(dot - arg) >= sizeof section || (size_t)(eq - dot - 1) >= sizeof key)
        return -1;
    snprintf(section, sizeof section, "%.*s", (int)(dot - arg), arg);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    struct config *probe = config_defaults(".");
    int known = probe != NULL && config_set(probe, section, key, eq + 1) == 0;
    config_free(probe);
    if (!known) {
        fprintf(stderr, "shomei init: 不明な設定です / unknown setting: %s.%s\n", section, key);
        return -1;
    }
    return put_setting(o, arg, (size_t)(eq - arg), eq + 1);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--demo") == 0) {
            o->demo = 1;
        } else if (strcmp(a, "--test-ca") == 0) {
            o->test_ca = 1;
        } else if (strcmp(a, "--dir") == 0 && v != NULL && o->dir == NULL && *v != '\0') {
            o->dir = v;
            i++;
        } else if (strcmp(a, "--port") == 0 && v != NULL && o->port[0] == '\0') {
            char *end;
            errno = 0;
            long long p = strtoll(v, &end, 10);
            if (*v == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
                return -1;
            snprintf(o->port, sizeof o->port, "%lld", p);
            i++;
        } else if (strcmp(a, "--set") == 0 && v != NULL) {
            i++;
        } else {
            return -1;
        }
    }
    if (o->dir == NULL)
        return -1;
    if (o->test_ca)
        put_setting(o, "ca.test_ca", 10, "true");
    /* --port first, so that an explicit --set server.port wins over it; base_url stays
     * empty unless set, and then follows the port (also serve --port). */
    if (o->port[0] != '\0')
        put_setting(o, "server.port", 11, o->port);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--set") == 0 && parse_set(o, argv[++i]) < 0)
            return -1;
        else if (strcmp(argv[i], "--dir") == 0 || strcmp(argv[i], "--port") == 0)
            i++;
    return 0;
}

/* The settings as config_set calls on c. */
static int apply_settings(struct config *c, const struct opts *o)
{
    for (int i = 0; i < o->nov; i++) {
        const char *name = o->ov[2 * i];
        const char *dot = strchr(name, '.');
        char section[48];
        snprintf(section, sizeof section, "%.*s", (int)(dot - name), name);
        if (config_set(c, section, dot + 1, o->ov[2 * i + 1]) < 0)
            return -1;
    }
    return 0;
}

/* 0 when path does not exist (*exists = 0) or is an empty directory (*exists = 1). */
static int check_target(const char *path, int *exists)
{
    struct stat st;
    *exists = 0;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    *exists = 1;
    if (!S_ISDIR(st.st_mode))
        return -1;
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    struct dirent *ent;
    int empty = 1;
    while (empty && (ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty ? 0 : -1;
}

static int keep_top; /* remove_tree: 1 = keep the directory itself */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    if (f->level == 0 && keep_top)
        return 0;
    if (remove(p) != 0)
        fprintf(stderr, "shomei init: cannot remove %s: %s\n", p, strerror(errno));
    return 0;
}

/* Undoes a failed init: the directory it made, or the contents of the empty one it got. */
static void remove_tree(const char *dir, int keep_dir)
{
    keep_top = keep_dir;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_passphrase(char *out, size_t n)
{
    unsigned char b[24];
    if (n < 2 * sizeof b + 1 || RAND_bytes(b, sizeof b) != 1)
        return -1;
    text_hex(out, b, sizeof b);
    return 0;
}

/* Everything after the directory exists; any failure is reported here. */
static int populate(const struct opts *o, struct sm_err *e)
{
    struct config *c = NULL;
    struct db *db = NULL;
    struct ca_hierarchy h = {0};
    const char *pass = NULL;
    char path[4096];
    int rc = -1;
    if (snprintf(path, sizeof path, "%s/shomei.ini", o->dir) >= (int)sizeof path ||
        config_write_default(path, o->ov, e) < 0) {
        fail_msg("shomei.ini を書けません", "cannot write shomei.ini", e);
        goto out;
    }
    if (config_load(o->dir, &c, e) < 0) {
        fail_msg("shomei.ini を読めません", "cannot read back shomei.ini", e);
        goto out;
    }
    for (int i = 0; i < o->nov; i++) {
        const char *dot = strchr(o->ov[2 * i], '.');
        char section[48];
        snprintf(section, sizeof section, "%.*s", (int)(dot - o->ov[2 * i]), o->ov[2 * i]);
        if (strcmp(config_str(c, section, dot + 1), o->ov[2 * i + 1]) != 0) {
            fprintf(stderr,
                    "shomei init: 値を INI に書けません / value cannot be written to the "
                    "INI file as given: %s\n",
                    o->ov[2 * i]);
            goto out;
        }
    }
    if (ca_passphrase(c, &pass, e) < 0 ||
        db_open(config_str(c, "database", "url"), o->dir, &db, e) < 0 || db_migrate(db, e) < 0) {
        fail_msg("データベースを作成できません", "cannot create the database", e);
        goto out;
    }
    if (ca_hierarchy_create(c, pass, &h, e) < 0 || issuer_store_hierarchy(db, &h, "cli", e) < 0) {
        fail_msg("CA 階層を作成できません", "cannot create the CA hierarchy", e);
        goto out;
    }
    for (int i = 0; i < h.n; i++)
        if (ca_repository_write(c, h.ca[i].name, h.ca[i].cert, e) < 0) {
            fail_msg("リポジトリに書けません", "cannot write the repository", e);
            goto out;
        }
    /* the delegated OCSP responders and the first CRLs (R-REV-2) */
    if (ocsp_responders_ensure(db, c, (int64_t)time(NULL), NULL, e) < 0 ||
        crl_refresh(db, c, (int64_t)time(NULL), 1, NULL, e) < 0) {
        fail_msg("OCSP 応答者と CRL を作成できません", "cannot create the OCSP responders and CRLs",
                 e);
        goto out;
    }
    for (size_t i = 0; o->demo && demo_seeds[i] != NULL; i++)
        if (demo_seeds[i](db, c, e) < 0) {
            fail_msg("デモデータを作成できません", "cannot seed demo data", e);
            goto out;
        }
    printf("shomei init: %s を作成しました / created %s\n", o->dir, o->dir);
    for (int i = 0; i < h.n; i++) {
        char subject[512];
        ca_name_string(X509_get_subject_name(h.ca[i].cert), subject, sizeof subject);
        printf("  %-11s %-8s %s\n", h.ca[i].name, h.ca[i].key_type, subject);
    }
    if (h.test)
        printf("  試験用 CA です。本番には使えません / TEST CAs: not for production\n");
    if (strncmp(h.ca[0].key_ref, "pkcs11:", 7) == 0 || strncmp(h.ca[2].key_ref, "pkcs11:", 7) == 0)
        printf("  CA 鍵 / CA keys: PKCS#11 トークン内 / in the PKCS#11 token (%s ...)\n",
               h.ca[2].key_ref);
    else
        printf("  CA 鍵 / CA keys: %s/keys/ (暗号化 / encrypted, 0600)\n", o->dir);
    printf("  CA 証明書 / CA certificates: %s/repository/\n", o->dir);
    rc = 0;
out:
    issuer_cache_close(); /* the CAs the first CRLs were signed with */
    ca_hierarchy_clear(&h);
    db_close(db);
    config_free(c);
    return rc;
}

int cmd_init(int argc, char **argv)
{
    struct opts *o = calloc(1, sizeof *o);
    if (o == NULL)
        return 1;
    int status = 1;
    char generated[64] = "";
    struct sm_err e = {0};
    if (parse_args(argc, argv, o) < 0) {
        free(o);
        return usage();
    }
    umask(077);

    /* Everything that can be checked is checked before anything is created. */
    struct config *probe = config_defaults(o->dir);
    if (probe == NULL || apply_settings(probe, o) < 0) {
        config_free(probe);
        free(o);
        return 1;
    }
    const char *pass = NULL;
    if (ca_passphrase(probe, &pass, NULL) < 0) {
        if (!o->demo) {
            fail_msg("CA 鍵のパスフレーズがありません。SHOMEI_CA_PASSPHRASE を設定してください",
                     "no CA key passphrase: set SHOMEI_CA_PASSPHRASE (or use --demo)", NULL);
            goto out;
        }
        if (make_passphrase(generated, sizeof generated) < 0 ||
            put_setting(o, "ca.passphrase", 13, generated) < 0 ||
            config_set(probe, "ca", "passphrase", generated) < 0)
            goto out;
    }
    if (ca_check_config(probe, &e) < 0) {
        fail_msg("設定が正しくありません", "invalid setting", &e);
        goto out;
    }
    int existed;
    if (check_target(o->dir, &existed) < 0) {
        fprintf(stderr,
                "shomei init: %s は空のディレクトリではありません。何も変更していません / "
                "%s is not an empty directory; nothing was changed\n",
                o->dir, o->dir);
        goto out;
    }
    if (!existed && mkdir(o->dir, 0700) != 0) {
        fprintf(stderr, "shomei init: %s を作成できません / cannot create %s: %s\n", o->dir, o->dir,
                strerror(errno));
        goto out;
    }
    if (populate(o, &e) < 0) {
        remove_tree(o->dir, existed);
        fprintf(stderr, "shomei init: 作成したものを削除しました / removed what was created\n");
        goto out;
    }
    if (generated[0] != '\0')
        printf(
            "  デモ用に CA 鍵のパスフレーズを生成し、shomei.ini の [ca] passphrase に保存しました"
            " / generated a CA key passphrase for the demo and stored it in shomei.ini "
            "[ca] passphrase\n");
    status = 0;
out:
    config_free(probe);
    free(o);
    return status;
}
