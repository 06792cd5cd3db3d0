/* SPDX-License-Identifier: MIT */
/* shomei dcv check / shomei caa check (R-VAL-1, R-VAL-3): run one domain validation or one
 * CAA check with the data directory's [dns], [dcv] and [caa] settings and print the
 * outcome, the reason code and the evidence JSON. Exit 0 ok, 1 failed/refused, 2 usage.
 * The rules live in ra/dcv and ra/caa. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/dns.h"
#include "net/fetch.h"
#include "ra/caa.h"
#include "ra/dcv.h"
#include "ra/mpic.h"

static int dcv_usage(FILE *f, const char *why)
{
    if (why)
        fprintf(f, "shomei dcv: %s\n", why);
    fprintf(f,
            "使い方: shomei dcv check --dir DIR --method dns|http|http-01 --domain ドメイン "
            "--value 乱数値 [--file ファイル名]\n"
            "usage: shomei dcv check --dir DIR --method dns|http|http-01 --domain D --value V "
            "[--file F]\n"
            "  dns:  TXT record at %s.D holding V\n"
            "  http: http://D%sF holding V (F defaults to shomei-<hash of V>.txt)\n"
            "  http-01: ACME, http://D%sF (F the token) answering the key authorization V\n",
            DCV_DNS_LABEL, DCV_HTTP_PATH, DCV_ACME_HTTP_PATH);
    return f == stdout ? 0 : 2;
}

static int caa_usage(FILE *f, const char *why)
{
    if (why)
        fprintf(f, "shomei caa: %s\n", why);
    fprintf(f, "使い方: shomei caa check --dir DIR --name 名前 [--method 方法] "
               "[--account URI]\n"
               "usage: shomei caa check --dir DIR --name N [--method M] [--account URI]\n"
               "  M: dns|http|email|http-01|dns-01|tls-alpn-01\n");
    return f == stdout ? 0 : 2;
}

struct opts {
    const char *dir, *method, *domain, *value, *file, *name, *account;
};

/* Parses "check" and --flag VALUE pairs. 0, 1 (help), or -1 (error in *why). */
static int parse(int argc, char **argv, struct opts *o, const char **why)
{
    memset(o, 0, sizeof *o);
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        return 1;
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        *why = "サブコマンドは check です / the subcommand is check";
        return -1;
    }
    static const struct {
        const char *flag;
        size_t off;
    } flags[] = {
        {"--dir", offsetof(struct opts, dir)},         {"--method", offsetof(struct opts, method)},
        {"--domain", offsetof(struct opts, domain)},   {"--value", offsetof(struct opts, value)},
        {"--file", offsetof(struct opts, file)},       {"--name", offsetof(struct opts, name)},
        {"--account", offsetof(struct opts, account)},
    };
    for (int i = 2; i < argc; i += 2) {
        size_t k;
        for (k = 0; k < sizeof flags / sizeof flags[0]; k++)
            if (strcmp(argv[i], flags[k].flag) == 0)
                break;
        if (k == sizeof flags / sizeof flags[0]) {
            *why = "不明なオプションです / unknown option";
            return -1;
        }
        if (i + 1 >= argc || argv[i + 1][0] == '\0') {
            *why = "オプションに値がありません / an option has no value";
            return -1;
        }
        *(const char **)(void *)((char *)o + flags[k].off) = argv[i + 1];
    }
    if (o->dir == NULL) {
        *why = "--dir が必要です / --dir is required";
        return -1;
    }
    return 0;
}

static void print_result(int ok, const char *reason, const char *detail, const char *evidence)
{
    printf("result: %s\n", ok ? "ok" : "refused");
    if (!ok)
        printf("reason: %s\n", reason ? reason : "?");
    printf("detail: %s\n", detail);
    printf("evidence: %s\n", evidence ? evidence : "{}");
}

static int load(const char *dir, struct config **c, struct dns **d)
{
    struct sm_err e = {0};
    *d = NULL;
    if (config_load(dir, c, &e) < 0 || dns_open(*c, d, &e) < 0 || mpic_configure(*c, &e) < 0) {
        fprintf(stderr, "shomei: 設定を読めません / cannot use the configuration: %s\n", e.detail);
        return -1;
    }
    return 0;
}

int cmd_dcv(int argc, char **argv)
{
    struct opts o;
    const char *why = NULL;
    int p = parse(argc, argv, &o, &why);
    if (p == 1)
        return dcv_usage(stdout, NULL);
    if (p < 0)
        return dcv_usage(stderr, why);
    if (o.name || o.account)
        return dcv_usage(stderr, "--name/--account は caa 用です / are for caa check");
    if (o.method == NULL || o.domain == NULL || o.value == NULL)
        return dcv_usage(stderr, "--method, --domain, --value が必要です / are required");
    int m = dcv_method_parse(o.method);
    if (m != DCV_DNS_TXT && m != DCV_HTTP_FILE && m != DCV_ACME_HTTP01)
        return dcv_usage(stderr, "--method は dns, http, http-01 のいずれかです / --method is "
                                 "dns, http or http-01");
    if (strlen(o.value) > 255)
        return dcv_usage(stderr, "--value が長すぎます / --value is too long");
    if (m == DCV_ACME_HTTP01 && (o.file == NULL || *o.file == '\0' || strlen(o.file) > 128))
        return dcv_usage(stderr, "http-01 には --file (トークン) が必要です / http-01 needs "
                                 "--file TOKEN (base64url)");
    if (o.file != NULL && m != DCV_ACME_HTTP01 &&
        (m != DCV_HTTP_FILE || !dcv_http_file_ok(o.file, o.value)))
        return dcv_usage(stderr, "--file が不正です / --file is not an acceptable file name");
    char adns[DCV_ADN_MAX][256];
    if (dcv_adns(o.domain, adns, DCV_ADN_MAX) < 0 || strncmp(o.domain, "*.", 2) == 0)
        return dcv_usage(stderr, "--domain が不正です / --domain is not a domain name");

    struct config *c = NULL;
    struct dns *d = NULL;
    struct dcv_result r = {0};
    int rc = 1;
    if (load(o.dir, &c, &d) < 0)
        goto out;
    int st;
    if (m == DCV_DNS_TXT) {
        st = dcv_check_dns(d, adns[0], o.value, clock_now(), &r);
    } else {
        struct fetch_opts fo;
        struct sm_err e = {0};
        if (fetch_opts_from_config(c, &fo, &e) < 0) {
            fprintf(stderr, "shomei dcv: %s\n", e.detail);
            goto out;
        }
        fo.dns = d;
        st = m == DCV_ACME_HTTP01
                 ? dcv_check_acme_http(&fo, adns[0], o.file, o.value, clock_now(), &r)
                 : dcv_check_http(&fo, adns[0], o.value, o.file, clock_now(), &r);
    }
    if (st < 0) {
        fprintf(stderr, "shomei dcv: メモリ不足です / out of memory\n");
        goto out;
    }
    print_result(r.ok, r.reason, r.detail, r.evidence);
    rc = r.ok ? 0 : 1;
out:
    dcv_result_free(&r);
    dns_close(d);
    config_free(c);
    return rc;
}

int cmd_caa(int argc, char **argv)
{
    struct opts o;
    const char *why = NULL;
    int p = parse(argc, argv, &o, &why);
    if (p == 1)
        return caa_usage(stdout, NULL);
    if (p < 0)
        return caa_usage(stderr, why);
    if (o.domain || o.value || o.file)
        return caa_usage(stderr, "--domain/--value/--file は dcv 用です / are for dcv check");
    if (o.name == NULL)
        return caa_usage(stderr, "--name が必要です / --name is required");
    const char *label = NULL;
    if (o.method != NULL) {
        int m = dcv_method_parse(o.method);
        if (m < 0)
            return caa_usage(stderr, "--method が不明です / unknown --method");
        label = dcv_method_caa_label(m);
    }
    struct config *c = NULL;
    struct dns *d = NULL;
    struct caa_result r = {0};
    int rc = 1;
    if (load(o.dir, &c, &d) < 0)
        goto out;
    struct caa_request q = {o.name, config_str(c, "caa", "identities"), o.account, label};
    if (caa_check(d, &q, clock_now(), &r) < 0) {
        fprintf(stderr, "shomei caa: メモリ不足です / out of memory\n");
        goto out;
    }
    print_result(r.ok, r.reason, r.detail, r.evidence);
    rc = r.ok ? 0 : 1;
out:
    caa_result_free(&r);
    dns_close(d);
    config_free(c);
    return rc;
}
