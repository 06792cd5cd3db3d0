/* SPDX-License-Identifier: MIT */
/* shomei cert get --dir DIR --serial S --format F [--out FILE]: a stored certificate in a
 * download format of R-DL-1 (pem, der, intermediate, intermediate-cross, fullchain, p7b),
 * the same bytes the portal and the API hand out, as the operator (every organization).
 * Read-only. Exit 0 written, 1 failed (unknown serial, ...), 2 usage (unknown format). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/text.h"
#include "ra/download.h"
#include "store/db.h"

static int usage(void)
{
    fprintf(stderr, "usage: shomei cert get --dir DIR --serial SERIAL --format FORMAT"
                    " [--out FILE]\n"
                    "       FORMAT: pem der intermediate intermediate-cross fullchain p7b\n");
    return 2;
}

static void fail_msg(const char *ja, const char *en, const struct sm_err *e)
{
    fprintf(stderr, "shomei cert: %s / %s", ja, en);
    if (e != NULL && e->detail[0] != '\0')
        fprintf(stderr, " (%s)", e->detail);
    fputc('\n', stderr);
}

/* FILE (replaced when it exists, mode 0644) or standard output. */
static int output(const char *out, const struct bundle *b)
{
    if (out == NULL) {
        if (write_all(STDOUT_FILENO, b->data, b->len) < 0) {
            fail_msg("書き出せません", "cannot write to standard output", NULL);
            return -1;
        }
        return 0;
    }
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd >= 0 ? write_all(fd, b->data, b->len) : -1;
    if (fd >= 0 && close(fd) < 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "shomei cert: %s に書き出せません / cannot write %s: %s\n", out, out,
                strerror(errno));
    return rc;
}

static int cert_get(const char *dir, const char *serial, enum bundle_format f, const char *out)
{
    struct config *c = NULL;
    struct db *db = NULL;
    struct bundle b = {0};
    struct sm_err e = {0};
    int status = 1;
    static const struct org_scope operator_scope = {1, NULL, 0};
    if (config_load(dir, &c, &e) < 0) {
        fail_msg("設定を読めません", "cannot read the configuration", &e);
        goto out;
    }
    if (db_open(config_str(c, "database", "url"), dir, &db, &e) < 0) {
        fail_msg("データベースを開けません", "cannot open the database", &e);
        goto out;
    }
    int rc = download_get(db, &operator_scope, serial, f, &b, &e);
    if (rc == -SM_E_NOTFOUND)
        fail_msg("このシリアル番号の証明書はありません", "no certificate with this serial number",
                 NULL);
    else if (rc == -SM_E_CONFLICT)
        fail_msg("発行済みの証明書ではありません", "the certificate is not issued (revoked)", &e);
    else if (rc < 0)
        fail_msg("証明書を取り出せません", "cannot make the download", &e);
    if (rc == 0 && output(out, &b) == 0)
        status = 0;
out:
    bundle_clear(&b);
    db_close(db);
    config_free(c);
    return status;
}

int cmd_cert(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "get") != 0)
        return usage();
    const char *dir = NULL, *serial = NULL, *format = NULL, *out = NULL;
    for (int i = 2; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(argv[i], "--dir") == 0 && dir == NULL)
            dir = v;
        else if (strcmp(argv[i], "--serial") == 0 && serial == NULL)
            serial = v;
        else if (strcmp(argv[i], "--format") == 0 && format == NULL)
            format = v;
        else if (strcmp(argv[i], "--out") == 0 && out == NULL)
            out = v;
        else
            return usage();
    }
    if (dir == NULL || *dir == '\0' || serial == NULL || format == NULL ||
        (out != NULL && *out == '\0'))
        return usage();
    enum bundle_format f;
    char norm[CERTS_SERIAL_HEX_MAX];
    if (bundle_format_parse(format, &f, NULL) < 0) {
        fprintf(stderr,
                "shomei cert: 形式 '%s' は使えません / unknown format '%s'"
                " (pem der intermediate intermediate-cross fullchain p7b)\n",
                format, format);
        return 2;
    }
    if (download_serial_norm(serial, norm, NULL) < 0) {
        fprintf(stderr, "shomei cert: シリアル番号は 16 進数で 40 桁までです / "
                        "the serial number is up to 40 hex digits\n");
        return 2;
    }
    return cert_get(dir, norm, f, out);
}
