/* SPDX-License-Identifier: MIT */
/* CSRF tokens (libsodium HMAC-SHA256, base64url) and the secret key file. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "web/csrf.h"

static const char context[] = "shomei-csrf-v1";

static int read_key(const char *path, unsigned char key[CSRF_KEY_LEN], struct sm_err *e)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? -SM_E_NOTFOUND
                   : sm_err_set(e, SM_E_IO, path, "cannot open %s: %s", path, strerror(errno));
    unsigned char tmp[CSRF_KEY_LEN + 1];
    ssize_t n = read(fd, tmp, sizeof tmp);
    close(fd);
    if (n != CSRF_KEY_LEN) {
        sodium_memzero(tmp, sizeof tmp);
        return sm_err_set(e, SM_E_CONFIG, path, "%s must hold exactly %d bytes", path,
                          CSRF_KEY_LEN);
    }
    memcpy(key, tmp, CSRF_KEY_LEN);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

static int create_key(const char *path, unsigned char key[CSRF_KEY_LEN], struct sm_err *e)
{
    char tmp[4096];
    int w = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof tmp)
        return sm_err_set(e, SM_E_IO, path, "path too long");
    randombytes_buf(key, CSRF_KEY_LEN);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sm_err_set(e, SM_E_IO, tmp, "cannot create %s: %s", tmp, strerror(errno));
    int ok = write_all(fd, key, CSRF_KEY_LEN) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        return sm_err_set(e, SM_E_IO, tmp, "cannot write %s", tmp);
    }
    int lr = link(tmp, path);
    int lerr = errno;
    unlink(tmp);
    if (lr < 0 && lerr == EEXIST)
        return read_key(path, key, e);
    if (lr < 0)
        return sm_err_set(e, SM_E_IO, path, "cannot create %s: %s", path, strerror(lerr));
    return 0;
}

int csrf_secret_load(const char *path, unsigned char key[CSRF_KEY_LEN], struct sm_err *e)
{
    if (sodium_init() < 0)
        return sm_err_set(e, SM_E_CRYPTO, NULL, "libsodium initialisation failed");
    int rc = read_key(path, key, e);
    if (rc == -SM_E_NOTFOUND)
        rc = create_key(path, key, e);
    return rc;
}

int csrf_nonce(char out[CSRF_NONCE_SIZE])
{
    unsigned char r[32];
    if (sodium_init() < 0)
        return -SM_E_CRYPTO;
    randombytes_buf(r, sizeof r);
    sodium_bin2base64(out, CSRF_NONCE_SIZE, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

int csrf_nonce_valid(const char *s)
{
    if (s == NULL || strlen(s) != CSRF_NONCE_SIZE - 1)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int csrf_bind_anon(const char *nonce, char out[CSRF_BINDING_SIZE])
{
    out[0] = '\0';
    if (!csrf_nonce_valid(nonce))
        return -SM_E_INVALID;
    snprintf(out, CSRF_BINDING_SIZE, "a:%s", nonce);
    return 0;
}

int csrf_bind_session(const char *session_hash, char out[CSRF_BINDING_SIZE])
{
    out[0] = '\0';
    if (!text_is_lower_hex(session_hash, 64))
        return -SM_E_INVALID;
    snprintf(out, CSRF_BINDING_SIZE, "s:%s", session_hash);
    return 0;
}

void csrf_token(const unsigned char key[CSRF_KEY_LEN], const char *binding,
                char out[CSRF_TOKEN_SIZE])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, CSRF_KEY_LEN);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)context, sizeof context);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)binding, strlen(binding));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, CSRF_TOKEN_SIZE, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int csrf_check(const unsigned char key[CSRF_KEY_LEN], const char *binding, const char *token)
{
    if (binding == NULL || token == NULL || binding[0] == '\0' ||
        strlen(token) != CSRF_TOKEN_SIZE - 1)
        return 0;
    char want[CSRF_TOKEN_SIZE];
    csrf_token(key, binding, want);
    return sodium_memcmp(want, token, CSRF_TOKEN_SIZE - 1) == 0;
}
