/* SPDX-License-Identifier: MIT */
/* GET /repository/NAME: the CA repository folder DIR/repository (CA certificates in DER
 * and PEM, CRLs) that `shomei init` and the CRL job write. Only names matching
 * [a-z0-9-]+\.(crt|pem|crl) are served, regular files only, no symbolic links. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "web/handlers.h"

#define REPO_FILE_MAX ((off_t)64 << 20)

/* The Content-Type for a valid repository file name, or NULL. */
static const char *repo_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name)
        return NULL;
    for (const char *p = name; p < dot; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return NULL;
    if (strcmp(dot, ".crt") == 0)
        return "application/pkix-cert";
    if (strcmp(dot, ".crl") == 0)
        return "application/pkix-crl";
    if (strcmp(dot, ".pem") == 0)
        return "application/x-pem-file";
    return NULL;
}

void h_repository(struct req *r)
{
    const char *name = req_param(r, "name");
    const char *type = name ? repo_type(name) : NULL;
    char rel[300], path[4096];
    int n = type ? snprintf(rel, sizeof rel, "repository/%s", name) : -1;
    if (n < 0 || (size_t)n >= sizeof rel || config_path(r->web->cfg, rel, path, sizeof path) < 0) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("repository file unreadable", "path", path, "error", strerror(errno));
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > REPO_FILE_MAX) {
        close(fd);
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    http_reply_fd(r, 200, type, fd, (size_t)st.st_size);
}
