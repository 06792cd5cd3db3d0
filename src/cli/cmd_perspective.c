/* SPDX-License-Identifier: MIT */
/* shomei perspective: a remote network perspective of multi-perspective corroboration
 * (R-VAL-8, BR 3.2.2.9).
 *   perspective init --dir DIR --primary-key B64 [--set SECTION.KEY=VALUE ...]
 *       a data directory with its own shomei.ini ([perspective], its own [dns]) and key;
 *       prints the perspective's public key for the primary's [mpic] perspectives
 *   perspective keygen FILE     a new Ed25519 key (the primary's [mpic] key); prints the
 *                               public key
 *   perspective --dir DIR       serves POST /v1/check until SIGINT/SIGTERM
 *   perspective probe --dir PRIMARY_DIR --url URL --kind K --name N [--value V]
 *       [--ts-offset S] [--save FILE | --replay FILE]
 *       sends one signed request with the primary's key and prints the HTTP status and
 *       answer (operators' check of a perspective; tests of stale and replayed requests) */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "net/perspective.h"
#include "ra/mpic.h"
#include "web/mhd_lib.h"

#define MAX_REQUEST 8192

static int usage(FILE *f, const char *why)
{
    if (why)
        fprintf(f, "shomei perspective: %s\n", why);
    fprintf(f, "usage: shomei perspective --dir DIR\n"
               "       shomei perspective init --dir DIR --primary-key B64 [--set S.K=V ...]\n"
               "       shomei perspective keygen FILE\n"
               "       shomei perspective probe --dir PRIMARY_DIR --url URL --kind "
               "dns-txt|http-file|caa --name N [--value V] [--ts-offset S] [--save FILE | "
               "--replay FILE]\n");
    return 2;
}

/* ---- serve ---- */

struct conn {
    char *buf;
    size_t len;
    int too_large;
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, char *body, const char *sig)
{
    const char *b = body ? body : "{}";
    struct MHD_Response *r =
        mhd_fn.MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_MUST_COPY);
    free(body);
    if (r == NULL)
        return MHD_NO;
    mhd_fn.MHD_add_response_header(r, "Content-Type", "application/json");
    if (sig != NULL && *sig)
        mhd_fn.MHD_add_response_header(r, PERSP_SIG_HEADER, sig);
    enum MHD_Result ret = mhd_fn.MHD_queue_response(c, (unsigned)status, r);
    mhd_fn.MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    struct mpic_agent *a = cls;
    struct conn *k = *con_cls;
    if (k == NULL) {
        k = calloc(1, sizeof *k);
        if (k == NULL)
            return MHD_NO;
        *con_cls = k;
        return MHD_YES;
    }
    if (*size > 0) {
        if (k->len + *size > MAX_REQUEST) {
            k->too_large = 1;
        } else {
            char *nb = realloc(k->buf, k->len + *size + 1);
            if (nb == NULL)
                return MHD_NO;
            memcpy(nb + k->len, data, *size);
            k->buf = nb;
            k->len += *size;
            nb[k->len] = '\0';
        }
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
        return reply(c, 200, strdup("{\"ok\":true}"), NULL);
    if (strcmp(method, "POST") != 0 || strcmp(url, "/v1/check") != 0)
        return reply(c, 404, strdup("{\"error\":\"not_found\"}"), NULL);
    if (k->too_large)
        return reply(c, 413, strdup("{\"error\":\"too_large\"}"), NULL);
    const char *sig = mhd_fn.MHD_lookup_connection_value(c, MHD_HEADER_KIND, PERSP_SIG_HEADER);
    int status = 500;
    char *answer = NULL, asig[PERSP_B64_MAX];
    if (mpic_agent_handle(a, k->buf ? k->buf : "", k->len, sig, &status, &answer, asig) < 0)
        return reply(c, 500, strdup("{\"error\":\"internal\"}"), NULL);
    return reply(c, status, answer, status == 200 ? asig : NULL);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct conn *k = *con_cls;
    if (k != NULL) {
        free(k->buf);
        free(k);
        *con_cls = NULL;
    }
}

static int serve(const char *dir)
{
    struct config *c = NULL;
    struct sm_err e = {0};
    struct mpic_agent *a = NULL;
    int64_t port;
    if (config_load(dir, &c, &e) < 0 ||
        config_int(c, "perspective", "port", 1, 65535, &port, &e) < 0 || mhd_load(&e) < 0 ||
        mpic_agent_open(c, &a, &e) < 0) {
        fprintf(stderr, "shomei perspective: %s\n", e.detail);
        config_free(c);
        return 1;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    const char *bind = config_str(c, "perspective", "bind");
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, bind, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, bind, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "shomei perspective: [perspective] bind is not an IP address\n");
        mpic_agent_close(a);
        config_free(c);
        return 1;
    }
    struct MHD_Daemon *d = mhd_fn.MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "shomei perspective: cannot listen on %s port %d\n", bind, (int)port);
        mpic_agent_close(a);
        config_free(c);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    log_info("perspective listening", "bind", bind, "label", config_str(c, "perspective", "label"));
    fprintf(stderr, "shomei perspective: listening on %s port %d\n", bind, (int)port);
    while (!stop_flag)
        pause();
    mhd_fn.MHD_stop_daemon(d);
    mpic_agent_close(a);
    config_free(c);
    return 0;
}

/* ---- init, keygen ---- */

static int keygen(const char *path)
{
    char pk[PERSP_B64_MAX];
    struct sm_err e = {0};
    if (persp_key_generate(path, pk, &e) < 0) {
        fprintf(stderr, "shomei perspective: %s\n", e.detail);
        return 1;
    }
    printf("%s\n", pk);
    return 0;
}

static int init(int argc, char **argv)
{
    const char *dir = NULL, *primary = NULL;
    const char *ov[2 * 32 + 3];
    char sets[32][2][256];
    size_t no = 0, ns = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--primary-key") == 0 && i + 1 < argc) {
            primary = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && ns < 32) {
            const char *kv = argv[++i], *eq = strchr(kv, '=');
            if (eq == NULL || eq - kv >= 256 || strlen(eq + 1) >= 256)
                return usage(stderr, "--set SECTION.KEY=VALUE");
            snprintf(sets[ns][0], 256, "%.*s", (int)(eq - kv), kv);
            snprintf(sets[ns][1], 256, "%s", eq + 1);
            ov[no++] = sets[ns][0];
            ov[no++] = sets[ns][1];
            ns++;
        } else {
            return usage(stderr, "unknown argument");
        }
    }
    unsigned char pkb[PERSP_PK_BYTES];
    if (dir == NULL || primary == NULL || persp_pubkey_parse(primary, pkb) < 0)
        return usage(stderr, "--dir and --primary-key (base64 Ed25519 public key) are required");
    ov[no++] = "perspective.primary_key";
    ov[no++] = primary;
    ov[no] = NULL;
    char path[4096];
    struct sm_err e = {0};
    if (mkdir(dir, 0700) < 0 && access(dir, W_OK) < 0) {
        fprintf(stderr, "shomei perspective: cannot create %s\n", dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/shomei.ini", dir);
    if (config_write_default(path, ov, &e) < 0) {
        fprintf(stderr, "shomei perspective: %s\n", e.detail);
        return 1;
    }
    struct config *c = NULL;
    if (config_load(dir, &c, &e) < 0 ||
        config_path(c, config_str(c, "perspective", "key"), path, sizeof path) < 0) {
        fprintf(stderr, "shomei perspective: %s\n", e.detail);
        config_free(c);
        return 1;
    }
    config_free(c);
    return keygen(path);
}

/* ---- probe ---- */

static int write_file(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "we");
    if (f == NULL)
        return -1;
    fprintf(f, "%s\n%s\n", a, b);
    return fclose(f);
}

static int probe(int argc, char **argv)
{
    const char *dir = NULL, *url = NULL, *kind = NULL, *name = NULL, *value = NULL, *save = NULL,
               *replay = NULL;
    long off = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage(stderr, "missing value");
        if (strcmp(a, "--dir") == 0)
            dir = v;
        else if (strcmp(a, "--url") == 0)
            url = v;
        else if (strcmp(a, "--kind") == 0)
            kind = v;
        else if (strcmp(a, "--name") == 0)
            name = v;
        else if (strcmp(a, "--value") == 0)
            value = v;
        else if (strcmp(a, "--save") == 0)
            save = v;
        else if (strcmp(a, "--replay") == 0)
            replay = v;
        else if (strcmp(a, "--ts-offset") == 0) {
            char *end = NULL;
            errno = 0;
            long long x = strtoll(v, &end, 10);
            if (errno != 0 || end == v || *end != '\0' || x < -86400 || x > 86400)
                return usage(stderr, "--ts-offset: seconds, -86400..86400");
            off = (long)x;
        } else
            return usage(stderr, "unknown argument");
        i++;
    }
    if (url == NULL || (replay == NULL && (dir == NULL || mpic_kind_parse(kind) < 0 || !name)))
        return usage(stderr, "--url and (--replay, or --dir --kind --name) are required");
    char *body = NULL, sig[PERSP_B64_MAX + 2] = "";
    if (replay != NULL) {
        FILE *f = fopen(replay, "re");
        size_t cap = 0;
        ssize_t got = f ? getline(&body, &cap, f) : -1;
        if (got <= 0 || fgets(sig, sizeof sig, f) == NULL) {
            if (f)
                fclose(f);
            free(body);
            fprintf(stderr, "shomei perspective: cannot read %s\n", replay);
            return 1;
        }
        fclose(f);
        body[strcspn(body, "\n")] = '\0';
        sig[strcspn(sig, "\n")] = '\0';
    } else {
        struct config *c = NULL;
        struct sm_err e = {0};
        char path[4096];
        unsigned char sk[PERSP_SK_BYTES], pk[PERSP_PK_BYTES];
        if (config_load(dir, &c, &e) < 0 ||
            config_path(c, config_str(c, "mpic", "key"), path, sizeof path) < 0 ||
            persp_key_load(path, sk, pk, &e) < 0) {
            fprintf(stderr, "shomei perspective: %s\n", e.detail);
            config_free(c);
            return 1;
        }
        config_free(c);
        unsigned char rb[16];
        char id[33];
        randombytes_buf(rb, sizeof rb);
        sodium_bin2hex(id, sizeof id, rb, sizeof rb);
        time_t ts = clock_now() + off;
        struct mpic_check q = {.kind = mpic_kind_parse(kind), .name = name, .value = value};
        if (mpic_request_build(sk, &q, id, ts, (int64_t)ts * 1000 + 5000, &body, sig) < 0) {
            fprintf(stderr, "shomei perspective: out of memory\n");
            return 1;
        }
        if (save != NULL && write_file(save, body, sig) < 0) {
            fprintf(stderr, "shomei perspective: cannot write %s\n", save);
            free(body);
            return 1;
        }
    }
    char full[600];
    snprintf(full, sizeof full, "%s/v1/check", url);
    struct persp_call call = {.url = full, .body = body, .sig_b64 = sig};
    int rc = persp_call_all(&call, 1, 10000);
    printf("status: %ld\n", call.status);
    if (call.error[0])
        printf("error: %s\n", call.error);
    printf("answer: %s\n", call.answer ? call.answer : "");
    persp_call_clear(&call);
    free(body);
    return rc == 0 && call.status == 200 ? 0 : 1;
}

int cmd_perspective(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        return usage(stdout, NULL), 0;
    if (argc >= 2 && strcmp(argv[1], "init") == 0)
        return init(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
        return argc == 3 ? keygen(argv[2]) : usage(stderr, "keygen FILE");
    if (argc >= 2 && strcmp(argv[1], "probe") == 0)
        return probe(argc - 1, argv + 1);
    if (argc == 3 && strcmp(argv[1], "--dir") == 0)
        return serve(argv[2]);
    return usage(stderr, NULL);
}
