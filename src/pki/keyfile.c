/* SPDX-License-Identifier: MIT */
/* Key generation and encrypted PKCS#8 key files; see keyfile.h. Encryption is PBES2 with
 * scrypt (N=2^14, r=8, p=1, the parameters of `openssl pkcs8 -scrypt`) and AES-256-CBC, so
 * `openssl pkey -passin` reads the files. Never writes a key in clear. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/log.h"
#include "core/text.h"
#include "pki/keyfile.h"

#define KEYFILE_MAX 65536 /* bytes read at most */
#define SCRYPT_N    16384
#define SCRYPT_R    8
#define SCRYPT_P    1

static const struct {
    enum keyfile_type t;
    const char *name;
    int rsa_bits;      /* 0 for EC */
    const char *curve; /* NULL for RSA */
} types[] = {
    {KEYFILE_EC_P256, "ec-p256", 0, "P-256"},   {KEYFILE_EC_P384, "ec-p384", 0, "P-384"},
    {KEYFILE_RSA_2048, "rsa-2048", 2048, NULL}, {KEYFILE_RSA_3072, "rsa-3072", 3072, NULL},
    {KEYFILE_RSA_4096, "rsa-4096", 4096, NULL},
};

#define NTYPES (sizeof types / sizeof types[0])

int keyfile_type_parse(const char *s, enum keyfile_type *out)
{
    for (size_t i = 0; s != NULL && i < NTYPES; i++)
        if (strcmp(s, types[i].name) == 0) {
            *out = types[i].t;
            return 0;
        }
    return -SM_E_INVALID;
}

const char *keyfile_type_name(enum keyfile_type t)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].t == t)
            return types[i].name;
    return "unknown";
}

int keyfile_type_of(const EVP_PKEY *key, enum keyfile_type *out)
{
    if (EVP_PKEY_is_a(key, "RSA")) {
        int bits = EVP_PKEY_get_bits(key);
        for (size_t i = 0; i < NTYPES; i++)
            if (types[i].rsa_bits != 0 && types[i].rsa_bits == bits) {
                *out = types[i].t;
                return 0;
            }
        return -SM_E_INVALID;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64];
        size_t len = 0;
        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                            &len))
            return -SM_E_INVALID;
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            *out = KEYFILE_EC_P256;
            return 0;
        }
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
            *out = KEYFILE_EC_P384;
            return 0;
        }
    }
    return -SM_E_INVALID;
}

int keyfile_generate(enum keyfile_type t, EVP_PKEY **out, struct sm_err *e)
{
    *out = NULL;
    for (size_t i = 0; i < NTYPES; i++) {
        if (types[i].t != t)
            continue;
        EVP_PKEY *k = types[i].curve
                          ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", types[i].curve)
                          : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)types[i].rsa_bits);
        if (k == NULL)
            return sm_err_openssl(e, "key generation");
        *out = k;
        return 0;
    }
    return sm_err_set(e, SM_E_INVALID, "key_type", "unknown key type %d", (int)t);
}

/* The encrypted PEM text of key, in a memory BIO the caller frees. */
static int encrypt_pem(EVP_PKEY *key, const char *pass, BIO **out, struct sm_err *e)
{
    int rc = 0;
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
    X509_ALGOR *alg = NULL;
    X509_SIG *sig = NULL;
    BIO *mem = NULL;
    if (p8 == NULL) {
        rc = sm_err_openssl(e, "PKCS#8 encoding");
        goto out;
    }
    alg = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL, SCRYPT_N, SCRYPT_R, SCRYPT_P);
    if (alg == NULL) {
        rc = sm_err_openssl(e, "scrypt parameters");
        goto out;
    }
    sig = PKCS8_set0_pbe_ex(pass, (int)strlen(pass), p8, alg, NULL, NULL);
    if (sig == NULL) {
        rc = sm_err_openssl(e, "PKCS#8 encryption");
        goto out;
    }
    alg = NULL; /* owned by sig now */
    mem = BIO_new(BIO_s_mem());
    if (mem == NULL || !PEM_write_bio_PKCS8(mem, sig)) {
        rc = sm_err_openssl(e, "PEM encoding");
        goto out;
    }
    *out = mem;
    mem = NULL;
out:
    BIO_free(mem);
    X509_SIG_free(sig);
    X509_ALGOR_free(alg);
    PKCS8_PRIV_KEY_INFO_free(p8);
    return rc;
}

/* Moves tmp to path unless path exists (atomic on Linux; link+unlink elsewhere). */
static int rename_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link(tmp, path) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

static void fsync_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int keyfile_write(const char *path, EVP_PKEY *key, const char *pass, struct sm_err *e)
{
    if (pass == NULL || pass[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "passphrase", "no passphrase for %s", path);
    if (access(path, F_OK) == 0)
        return sm_err_set(e, SM_E_EXISTS, path, "key file %s exists; not overwritten", path);
    char tmp[4200];
    int w = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof tmp)
        return sm_err_set(e, SM_E_TOO_LARGE, path, "key path too long");

    BIO *mem = NULL;
    int rc = encrypt_pem(key, pass, &mem, e);
    if (rc < 0)
        return rc;
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);

    mode_t old = umask(077);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    umask(old);
    if (fd < 0) {
        rc = sm_err_set(e, SM_E_IO, path, "cannot create %s: %s", tmp, strerror(errno));
        BIO_free(mem);
        return rc;
    }
    int ok =
        len > 0 && write_all(fd, data, (size_t)len) == 0 && fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    int err = errno;
    ok = close(fd) == 0 && ok;
    BIO_free(mem);
    if (!ok) {
        unlink(tmp);
        return sm_err_set(e, SM_E_IO, path, "cannot write %s: %s", tmp, strerror(err));
    }
    if (rename_noreplace(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        return sm_err_set(e, err == EEXIST ? SM_E_EXISTS : SM_E_IO, path,
                          "cannot rename %s to %s: %s", tmp, path, strerror(err));
    }
    fsync_parent(path);
    return 0;
}

/* The scrypt parameters this file allows the fast way: what keyfile_write writes and up to
 * 64 MiB of memory; anything else is left to OpenSSL, which has limits of its own. */
#define SCRYPT_FAST_MEM (64u << 20)

static uint64_t asn1_u64(const ASN1_INTEGER *a, uint64_t absent)
{
    uint64_t v = 0;
    if (a == NULL)
        return absent;
    return ASN1_INTEGER_get_uint64(&v, a) == 1 ? v : 0;
}

/* The key file's PKCS#8 decryption with libsodium's scrypt, which derives the same key as
 * OpenSSL's in about three quarters of its time (the fixed cost of every `shomei issue`),
 * for PBES2 with scrypt and AES-256-CBC, the scheme keyfile_write writes. 1 and *out set:
 * decrypted; -1: the scheme, but the passphrase or the contents are wrong (*out NULL);
 * 0: another scheme or parameters out of bounds, for PKCS8_decrypt_ex. */
static int decrypt_scrypt(const X509_SIG *sig, const char *pass, PKCS8_PRIV_KEY_INFO **out)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OCTET_STRING *data = NULL;
    const ASN1_OBJECT *obj = NULL;
    int ptype = 0;
    const void *pval = NULL;
    unsigned char key[32], *plain = NULL;
    int len = 0, fin = 0, dlen = 0;
    EVP_CIPHER_CTX *c = NULL;
    *out = NULL;
    X509_SIG_get0(sig, &alg, &data);
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    if (OBJ_obj2nid(obj) != NID_pbes2 || ptype != V_ASN1_SEQUENCE || data == NULL)
        return 0;
    PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    SCRYPT_PARAMS *sp = NULL;
    int rc = 0;
    if (pbe2 == NULL || OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_scrypt ||
        OBJ_obj2nid(pbe2->encryption->algorithm) != NID_aes_256_cbc ||
        pbe2->encryption->parameter == NULL ||
        pbe2->encryption->parameter->type != V_ASN1_OCTET_STRING ||
        ASN1_STRING_length(pbe2->encryption->parameter->value.octet_string) != 16 ||
        (sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter)) ==
            NULL)
        goto out;
    uint64_t n = asn1_u64(sp->costParameter, 0), r = asn1_u64(sp->blockSize, 0),
             p = asn1_u64(sp->parallelizationParameter, 0), klen = asn1_u64(sp->keyLength, 32);
    if (n < 2 || (n & (n - 1)) != 0 || n > SCRYPT_FAST_MEM || r == 0 || r > 1024 || p == 0 ||
        p > 16 || klen != 32 || 128 * r * n * p > SCRYPT_FAST_MEM || sodium_init() < 0)
        goto out;
    dlen = ASN1_STRING_length(data);
    plain = OPENSSL_malloc((size_t)dlen + 16);
    c = EVP_CIPHER_CTX_new();
    /* (no memory, here or in scrypt: OpenSSL's way, which tells it as it is) */
    if (plain == NULL || c == NULL ||
        crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, strlen(pass),
                                              ASN1_STRING_get0_data(sp->salt),
                                              (size_t)ASN1_STRING_length(sp->salt), n, (uint32_t)r,
                                              (uint32_t)p, key, sizeof key) != 0)
        goto out;
    rc = -1; /* from here on a failure is the passphrase's or the file's */
    const unsigned char *iv =
        ASN1_STRING_get0_data(pbe2->encryption->parameter->value.octet_string);
    if (EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv) == 1 &&
        EVP_DecryptUpdate(c, plain, &len, ASN1_STRING_get0_data(data), dlen) == 1 &&
        EVP_DecryptFinal_ex(c, plain + len, &fin) == 1) {
        const unsigned char *q = plain;
        *out = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)(len + fin));
        if (*out != NULL && q != plain + len + fin) { /* bytes after the key: damaged */
            PKCS8_PRIV_KEY_INFO_free(*out);
            *out = NULL;
        }
        rc = *out != NULL ? 1 : -1;
    }
out:
    OPENSSL_cleanse(key, sizeof key);
    if (plain != NULL)
        OPENSSL_clear_free(plain, (size_t)dlen + 16);
    EVP_CIPHER_CTX_free(c);
    SCRYPT_PARAMS_free(sp);
    PBE2PARAM_free(pbe2);
    ERR_clear_error();
    return rc;
}

int keyfile_read(const char *path, const char *pass, EVP_PKEY **out, struct sm_err *e)
{
    *out = NULL;
    if (pass == NULL || pass[0] == '\0')
        return sm_err_set(e, SM_E_INVALID, "passphrase", "no passphrase for %s", path);
    struct stat st;
    if (stat(path, &st) != 0)
        return sm_err_set(e, errno == ENOENT ? SM_E_NOTFOUND : SM_E_IO, path, "cannot open %s: %s",
                          path, strerror(errno));
    if (st.st_size > KEYFILE_MAX)
        return sm_err_set(e, SM_E_TOO_LARGE, path, "%s is too large for a key file", path);
    if ((st.st_mode & 077) != 0)
        log_warn("key file readable by others", "path", path);
    BIO *in = BIO_new_file(path, "rb");
    if (in == NULL)
        return sm_err_openssl(e, "open key file");
    int rc = 0;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    X509_SIG *sig = PEM_read_bio_PKCS8(in, NULL, NULL, NULL);
    if (sig == NULL) {
        rc = sm_err_openssl(e, "not an encrypted private key");
        goto out;
    }
    int fast = decrypt_scrypt(sig, pass, &p8);
    if (fast == 0)
        p8 = PKCS8_decrypt_ex(sig, pass, (int)strlen(pass), NULL, NULL);
    if (p8 == NULL) {
        rc = sm_err_openssl(e, "wrong passphrase or damaged key file");
        goto out;
    }
    *out = EVP_PKCS82PKEY_ex(p8, NULL, NULL);
    if (*out == NULL)
        rc = sm_err_openssl(e, "decode private key");
out:
    if (rc < 0 && e != NULL)
        snprintf(e->field, sizeof e->field, "%s", path);
    PKCS8_PRIV_KEY_INFO_free(p8);
    X509_SIG_free(sig);
    BIO_free(in);
    return rc;
}
