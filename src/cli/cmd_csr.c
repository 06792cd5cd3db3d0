/* SPDX-License-Identifier: MIT */
/* shomei csr check [--json] [--lang ja|en] FILE: the CSR checker on the command line
 * (R-CSR-3). Prints the parsed CSR and every problem; exit 0 acceptable, 1 rejected or
 * unreadable, 2 usage error. Reads FILE ("-" = stdin) up to the size limit only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/failalloc.h"
#include "pki/csr.h"

#define READ_MAX (64 * 1024)

struct opts {
    int json;
    int en;
    const char *file;
};

static int usage(void)
{
    fprintf(stderr, "usage: shomei csr check [--json] [--lang ja|en] FILE   (FILE may be -)\n");
    return 2;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    const char *lang = getenv("LANG");
    int only_files = 0;
    o->en = lang != NULL && strncmp(lang, "en", 2) == 0;
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!only_files && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (!only_files && strcmp(a, "--lang") == 0 && i + 1 < argc) {
            a = argv[++i];
            if (strcmp(a, "en") != 0 && strcmp(a, "ja") != 0)
                return -1;
            o->en = strcmp(a, "en") == 0;
        } else if (!only_files && strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (!only_files && a[0] == '-' && a[1] != '\0') {
            return -1;
        } else if (o->file == NULL) {
            o->file = a;
        } else {
            return -1;
        }
    }
    return o->file != NULL ? 0 : -1;
}

/* Reads at most READ_MAX + 1 bytes (enough for the check to see the input is too large). */
static int read_input(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return -1;
    *buf = sm_malloc(READ_MAX + 1);
    *len = 0;
    if (*buf != NULL) {
        size_t n;
        while (*len < READ_MAX + 1 && (n = fread(*buf + *len, 1, READ_MAX + 1 - *len, f)) > 0)
            *len += n;
    }
    int bad = *buf == NULL || ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(*buf);
        *buf = NULL;
        return -1;
    }
    return 0;
}

static void line(const char *label, const char *value)
{
    if (value != NULL)
        printf("%s: %s\n", label, value);
}

static void print_text(const struct csr_info *info, int en)
{
    line(en ? "Subject" : "サブジェクト", info->subject_utf8);
    line("CN", info->cn);
    line("O", info->o);
    line("OU", info->ou);
    line("L", info->l);
    line("ST", info->st);
    line("C", info->c);
    if (info->key_type != NULL)
        printf("%s: %s %d%s\n", en ? "Key" : "鍵", info->key_type, info->key_bits,
               en ? " bits" : "ビット");
    line(en ? "Curve" : "曲線", info->curve);
    line(en ? "Signature algorithm" : "署名アルゴリズム", info->sig_alg);
    for (size_t i = 0; i < info->nsans; i++) {
        if (strcmp(info->sans[i], info->sans_unicode[i]) != 0)
            printf("SAN: %s (%s)\n", info->sans[i], info->sans_unicode[i]);
        else
            line("SAN", info->sans[i]);
    }
    line(en ? "Public key SHA-256" : "公開鍵SHA-256", info->spki_sha256_hex);
    printf("%s: %s\n", en ? "Result" : "判定",
           info->acceptable ? (en ? "acceptable" : "受付可能") : (en ? "rejected" : "受付不可"));
    for (int sev = CSR_SEV_ERROR; sev <= CSR_SEV_NOTICE; sev++) {
        for (size_t i = 0; i < info->nproblems; i++) {
            const struct csr_problem *p = &info->problems[i];
            if (p->severity != sev)
                continue;
            printf("%s: %s", p->code, en ? p->msg_en : p->msg_ja);
            if (p->detail[0] != '\0')
                printf(" (%s)", p->detail);
            putchar('\n');
        }
    }
}

static int print_json(const struct csr_info *info)
{
    json_t *j = NULL;
    if (csr_info_to_json(info, &j) < 0)
        return -1;
    int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    putchar('\n');
    return rc;
}

int cmd_csr(int argc, char **argv)
{
    struct opts o = {0};
    struct sm_err e = {0};
    struct csr_info *info = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (parse_args(argc, argv, &o) < 0)
        return usage();
    if (read_input(o.file, &buf, &len) < 0) {
        fprintf(stderr, "shomei csr: %s: %s\n", o.file, strerror(errno ? errno : EIO));
        return 1;
    }
    int rc = csr_check(buf, len, NULL, &info, &e);
    free(buf);
    if (rc < 0) {
        fprintf(stderr, "shomei csr: %s: %s\n", sm_err_name(e.code), e.detail);
        return 1;
    }
    if (o.json)
        rc = print_json(info);
    else
        print_text(info, o.en);
    int status = rc < 0 ? 1 : info->acceptable ? 0 : 1;
    csr_info_free(info);
    fflush(stdout);
    return status;
}
