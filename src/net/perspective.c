/* SPDX-License-Identifier: MIT */
/* Keys, signatures and parallel calls of the perspective wire; see perspective.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/text.h"
#include "net/curl_lib.h"
#include "net/perspective.h"

#define B64 sodium_base64_VARIANT_ORIGINAL

static int b64_decode(const char *b64, unsigned char *out, size_t want)
{
    size_t got = 0;
    if (b64 == NULL || strlen(b64) >= PERSP_B64_MAX)
        return -1;
    if (sodium_base642bin(out, want, b64, strlen(b64), " \t\r\n", &got, NULL, B64) != 0)
        return -1;
    return got == want ? 0 : -1;
}

int persp_key_generate(const char *path, char *pk_b64, struct sm_err *e)
{
    unsigned char pk[PERSP_PK_BYTES], sk[PERSP_SK_BYTES];
    char text[PERSP_B64_MAX + 1];
    if (sodium_init() < 0)
        return sm_err_set(e, SM_E_CRYPTO, "key", "libsodium cannot start");
    crypto_sign_keypair(pk, sk);
    sodium_bin2base64(text, sizeof text - 1, sk, sizeof sk, B64);
    sodium_memzero(sk, sizeof sk);
    size_t len = strlen(text);
    text[len++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sm_err_set(e, errno == EEXIST ? SM_E_EXISTS : SM_E_IO, "key", "%s: %s", path,
                          strerror(errno));
    int rc = write_all(fd, text, len);
    sodium_memzero(text, sizeof text);
    if (close(fd) < 0 || rc < 0)
        return sm_err_set(e, SM_E_IO, "key", "%s: cannot write", path);
    persp_pubkey_text(pk, pk_b64, PERSP_B64_MAX);
    return 0;
}

int persp_key_load(const char *path, unsigned char sk[PERSP_SK_BYTES],
                   unsigned char pk[PERSP_PK_BYTES], struct sm_err *e)
{
    char text[PERSP_B64_MAX + 8];
    if (sodium_init() < 0)
        return sm_err_set(e, SM_E_CRYPTO, "key", "libsodium cannot start");
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return sm_err_set(e, SM_E_CONFIG, "key", "%s: %s", path, strerror(errno));
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    int rc = b64_decode(text, sk, PERSP_SK_BYTES);
    sodium_memzero(text, sizeof text);
    if (rc < 0)
        return sm_err_set(e, SM_E_CONFIG, "key", "%s: not an Ed25519 secret key", path);
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    return 0;
}

int persp_pubkey_parse(const char *b64, unsigned char pk[PERSP_PK_BYTES])
{
    if (sodium_init() < 0)
        return -SM_E_CRYPTO;
    return b64_decode(b64, pk, PERSP_PK_BYTES) < 0 ? -SM_E_INVALID : 0;
}

void persp_pubkey_text(const unsigned char pk[PERSP_PK_BYTES], char *out, size_t n)
{
    sodium_bin2base64(out, n, pk, PERSP_PK_BYTES, B64);
}

void persp_sign(const unsigned char sk[PERSP_SK_BYTES], const char *body, size_t len, char *sig_b64)
{
    unsigned char sig[PERSP_SIG_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)body, len, sk);
    sodium_bin2base64(sig_b64, PERSP_B64_MAX, sig, sizeof sig, B64);
}

int persp_verify(const unsigned char pk[PERSP_PK_BYTES], const char *body, size_t len,
                 const char *sig_b64)
{
    unsigned char sig[PERSP_SIG_BYTES];
    if (body == NULL || b64_decode(sig_b64, sig, sizeof sig) < 0)
        return 0;
    return crypto_sign_verify_detached(sig, (const unsigned char *)body, len, pk) == 0;
}

/* ---- parallel calls ---- */

struct slot {
    struct persp_call *c;
    CURL *h;
    struct curl_slist *hdr;
    int too_large;
    int nomem;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct slot *s = arg;
    size_t n = size * nmemb;
    if (s->c->answer_len + n > PERSP_MAX_ANSWER) {
        s->too_large = 1;
        return 0;
    }
    char *nb = realloc(s->c->answer, s->c->answer_len + n + 1);
    if (nb == NULL) {
        s->nomem = 1;
        return 0;
    }
    memcpy(nb + s->c->answer_len, p, n);
    s->c->answer = nb;
    s->c->answer_len += n;
    nb[s->c->answer_len] = '\0';
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct slot *s = arg;
    size_t n = size * nmemb, k = strlen(PERSP_SIG_HEADER);
    if (n > k + 1 && strncasecmp(p, PERSP_SIG_HEADER, k) == 0 && p[k] == ':') {
        const char *v = p + k + 1;
        size_t vl = n - k - 1;
        while (vl > 0 && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof s->c->answer_sig) {
            memcpy(s->c->answer_sig, v, vl);
            s->c->answer_sig[vl] = '\0';
        }
    }
    return n;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* A new easy handle for slot s, added to m, with timeout_ms to finish. */
static int slot_start(CURLM *m, struct slot *s, long timeout_ms)
{
    struct persp_call *c = s->c;
    char sighdr[PERSP_B64_MAX + 32];
    snprintf(sighdr, sizeof sighdr, "%s: %s", PERSP_SIG_HEADER, c->sig_b64);
    s->h = curl_fn.curl_easy_init();
    struct curl_slist *h1 = curl_fn.curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h1 ? curl_fn.curl_slist_append(h1, sighdr) : NULL;
    s->hdr = h2 ? h2 : h1;
    if (s->h == NULL || h2 == NULL)
        return -SM_E_NOMEM;
    CURL *h = s->h;
    long t = timeout_ms > 0 ? timeout_ms : 1L;
    (curl_fn.curl_easy_setopt)(h, CURLOPT_URL, c->url);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_NOSIGNAL, 1L);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_POSTFIELDS, c->body);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
    (curl_fn.curl_easy_setopt)(h, CURLOPT_HTTPHEADER, s->hdr);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_TIMEOUT_MS, t);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_CONNECTTIMEOUT_MS, t);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_FOLLOWLOCATION, 0L);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_PROTOCOLS_STR, "http,https");
    (curl_fn.curl_easy_setopt)(h, CURLOPT_PROXY, "");
    (curl_fn.curl_easy_setopt)(h, CURLOPT_WRITEFUNCTION, on_body);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_WRITEDATA, s);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_HEADERFUNCTION, on_header);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_HEADERDATA, s);
    (curl_fn.curl_easy_setopt)(h, CURLOPT_PRIVATE, s);
    return curl_fn.curl_multi_add_handle(m, h) == CURLM_OK ? 0 : -SM_E_NOMEM;
}

static void slot_end(CURLM *m, struct slot *s)
{
    if (s->h != NULL) {
        if (m != NULL)
            curl_fn.curl_multi_remove_handle(m, s->h);
        curl_fn.curl_easy_cleanup(s->h);
        s->h = NULL;
    }
    curl_fn.curl_slist_free_all(s->hdr);
    s->hdr = NULL;
}

/* One more try of a call that failed transiently, when its hook and the deadline allow.
 * 1 started again, 0 not. */
static int retry(CURLM *m, struct slot *s, long left_ms)
{
    struct persp_call *c = s->c;
    if (!c->transient || c->retried || c->renew == NULL || left_ms < PERSP_RETRY_MIN_MS)
        return 0;
    slot_end(m, s);
    free(c->answer);
    c->answer = NULL;
    c->answer_len = 0;
    c->answer_sig[0] = '\0';
    s->too_large = s->nomem = 0;
    if (c->renew(c, c->renew_arg) < 0)
        return 0;
    c->retried = 1;
    c->transient = 0;
    c->status = 0;
    snprintf(c->error, sizeof c->error, "timeout");
    if (slot_start(m, s, left_ms) < 0) {
        slot_end(m, s);
        snprintf(c->error, sizeof c->error, "nomem");
        return 0;
    }
    return 1;
}

int persp_call_all(struct persp_call *calls, size_t n, long timeout_ms)
{
    char why[200];
    if (curl_load(why, sizeof why) < 0) {
        for (size_t i = 0; i < n; i++)
            snprintf(calls[i].error, sizeof calls[i].error, "libcurl: %.50s", why);
        return -SM_E_INTERNAL;
    }
    struct slot *s = calloc(n ? n : 1, sizeof *s);
    CURLM *m = curl_fn.curl_multi_init();
    int rc = (s && m) ? 0 : -SM_E_NOMEM;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct persp_call *c = &calls[i];
        c->status = 0;
        c->answer = NULL;
        c->answer_len = 0;
        c->answer_sig[0] = '\0';
        c->transient = 0;
        c->retried = 0;
        snprintf(c->error, sizeof c->error, "timeout");
        s[i].c = c;
        rc = slot_start(m, &s[i], timeout_ms);
    }
    int running = rc == 0 ? 1 : 0;
    while (running > 0 && ms_since(&t0) <= timeout_ms + 200) {
        if (curl_fn.curl_multi_perform(m, &running) != CURLM_OK)
            break;
        int q;
        CURLMsg *msg;
        while ((msg = curl_fn.curl_multi_info_read(m, &q)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct slot *sl = NULL;
            (curl_fn.curl_easy_getinfo)(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
            if (sl == NULL)
                continue;
            CURLcode cc = msg->data.result;
            sl->c->elapsed_ms = ms_since(&t0);
            (curl_fn.curl_easy_getinfo)(msg->easy_handle, CURLINFO_RESPONSE_CODE, &sl->c->status);
            if (cc == CURLE_OK)
                sl->c->error[0] = '\0';
            else if (sl->too_large)
                snprintf(sl->c->error, sizeof sl->c->error, "too_large");
            else if (sl->nomem)
                snprintf(sl->c->error, sizeof sl->c->error, "nomem");
            else if (cc == CURLE_OPERATION_TIMEDOUT)
                snprintf(sl->c->error, sizeof sl->c->error, "timeout");
            else
                snprintf(sl->c->error, sizeof sl->c->error, "%.60s",
                         curl_fn.curl_easy_strerror(cc));
            sl->c->transient = cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
                               cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING;
            if (retry(m, sl, timeout_ms - ms_since(&t0)))
                running++;
        }
        if (running > 0)
            curl_fn.curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    for (size_t i = 0; s != NULL && i < n; i++) {
        slot_end(m, &s[i]);
        if (calls[i].error[0] && calls[i].elapsed_ms == 0)
            calls[i].elapsed_ms = ms_since(&t0);
    }
    if (m != NULL)
        curl_fn.curl_multi_cleanup(m);
    free(s);
    return rc;
}

void persp_call_clear(struct persp_call *c)
{
    free(c->answer);
    c->answer = NULL;
    c->answer_len = 0;
}
