/* SPDX-License-Identifier: MIT */
/* Name checks for certificates (R-CSR-4): DNS names through libidn2 (IDNA2008) and libpsl
 * (Debian's public suffix list), IP addresses against the IANA special-purpose ranges.
 * Owns the name.* problem codes and their ja/en text. Never touches the network. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <libpsl.h>

#include "core/err.h"
#include "core/failalloc.h"
#include "pki/names.h"

#define DNS_MAX   253
#define LABEL_MAX 63

static const struct names_problem_def defs[] = {
    {"name.empty", NAMES_SEV_ERROR, "名前が空です。", "The name is empty."},
    {"name.too_long", NAMES_SEV_ERROR, "ドメイン名が長すぎます（253文字まで）。",
     "The domain name is too long (at most 253 characters)."},
    {"name.label_too_long", NAMES_SEV_ERROR,
     "ドメイン名のラベル（ドットの間）が長すぎます（63文字まで）。",
     "A label of the domain name (between dots) is too long (at most 63 characters)."},
    {"name.empty_label", NAMES_SEV_ERROR,
     "ドメイン名に空のラベル（連続したドットなど）があります。",
     "The domain name has an empty label (e.g. two dots in a row)."},
    {"name.trailing_dot", NAMES_SEV_ERROR, "ドメイン名の末尾にドットを付けないでください。",
     "Remove the trailing dot from the domain name."},
    {"name.invalid_char", NAMES_SEV_ERROR,
     "ドメイン名に使えない文字が含まれています（英数字・ハイフン・ドットのみ）。",
     "The domain name contains characters that are not allowed "
     "(letters, digits, hyphens and dots only)."},
    {"name.underscore", NAMES_SEV_ERROR,
     "ドメイン名にアンダースコア（_）は使えません（BR 7.1.4.2）。",
     "Underscores (_) are not allowed in domain names (BR 7.1.4.2)."},
    {"name.hyphen", NAMES_SEV_ERROR,
     "ラベルの先頭・末尾のハイフン、または3・4文字目の連続ハイフン（xn--以外）は使えません。",
     "A label must not start or end with a hyphen, nor have hyphens in the 3rd and 4th "
     "positions unless it is an xn-- label."},
    {"name.idna_invalid", NAMES_SEV_ERROR, "国際化ドメイン名が IDNA2008 として正しくありません。",
     "The internationalized domain name is not valid under IDNA2008."},
    {"name.fullwidth", NAMES_SEV_ERROR,
     "ドメイン名に全角文字が含まれています。半角の英数字・ハイフン・ドットで入力してください。",
     "The domain name contains full-width characters. Enter it in half-width (ASCII) "
     "letters, digits, hyphens and dots."},
    {"name.u_label", NAMES_SEV_ERROR,
     "日本語ドメイン名は Punycode（xn--で始まる形式）で入力してください。",
     "Enter internationalized domain names in Punycode (the xn-- form)."},
    {"name.uppercase", NAMES_SEV_NOTICE, "大文字は小文字に変換して扱います。",
     "Upper-case letters are converted to lower case."},
    {"name.wildcard_position", NAMES_SEV_ERROR,
     "ワイルドカード（*）は左端のラベル全体（*.example.jp の形）にだけ使えます。",
     "A wildcard (*) is allowed only as the whole left-most label (as in *.example.jp)."},
    {"name.wildcard_not_allowed", NAMES_SEV_ERROR, "この名前にはワイルドカードを使えません。",
     "A wildcard is not allowed for this name."},
    {"name.wildcard_public_suffix", NAMES_SEV_ERROR,
     "パブリックサフィックス（co.jp など）の直下にワイルドカードは使えません。",
     "A wildcard directly under a public suffix (such as co.jp) is not allowed."},
    {"name.single_label", NAMES_SEV_ERROR,
     "ドットを含まない名前（ホスト名のみ）は使えません。完全修飾ドメイン名を入力してください。",
     "A name without dots (a bare host name) is not allowed; enter a fully-qualified "
     "domain name."},
    {"name.internal", NAMES_SEV_ERROR,
     "内部名・予約済みドメイン（.local、.internal、.test など）には証明書を発行できません。",
     "Certificates cannot be issued for internal or reserved names (.local, .internal, "
     ".test and so on)."},
    {"name.unknown_tld", NAMES_SEV_ERROR,
     "トップレベルドメインが公開されたものではありません（内部名とみなします）。",
     "The top-level domain is not a public one (the name is treated as internal)."},
    {"name.public_suffix", NAMES_SEV_ERROR,
     "パブリックサフィックス（jp、co.jp など）そのものには証明書を発行できません。",
     "Certificates cannot be issued for a public suffix itself (such as jp or co.jp)."},
    {"name.ip_invalid", NAMES_SEV_ERROR, "IPアドレスの形式が正しくありません。",
     "The IP address is malformed."},
    {"name.ip_reserved", NAMES_SEV_ERROR,
     "プライベート・予約済みのIPアドレスには証明書を発行できません。",
     "Certificates cannot be issued for private or reserved IP addresses."},
    {"name.ip_not_allowed", NAMES_SEV_ERROR, "この商品ではIPアドレスの証明書は発行できません。",
     "This product does not allow IP addresses."},
};

/* Top-level names that are internal or reserved (RFC 2606, 6761, 6762, 9476, ICANN name
 * collision list). The public suffix list check catches the rest. */
static const char *const reserved_tlds[] = {
    "local", "localhost", "internal", "test",        "example",  "invalid", "arpa", "onion",  "alt",
    "lan",   "home",      "corp",     "localdomain", "intranet", "private", "mail", "domain",
};

const struct names_problem_def *names_problem_table(size_t *n)
{
    *n = sizeof defs / sizeof defs[0];
    return defs;
}

static int report(struct names_problem *out, const char *code, const char *detail)
{
    const struct names_problem_def *d = NULL;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (strcmp(defs[i].code, code) == 0)
            d = &defs[i];
    if (d == NULL)
        abort(); /* a code missing from the table is a programming error */
    if (out != NULL) {
        out->code = d->code;
        out->severity = d->severity;
        out->msg_ja = d->msg_ja;
        out->msg_en = d->msg_en;
        snprintf(out->detail, sizeof out->detail, "%s", detail ? detail : "");
    }
    return d->severity == NAMES_SEV_ERROR ? 1 : 0;
}

static void clear(struct names_problem *out, char *norm)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (norm != NULL)
        norm[0] = '\0';
}

/* ---- public suffix list ---- */

static psl_ctx_t *psl_ctx;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_init(void)
{
    /* Debian's list file (newer of the packaged file and the built-in copy). The only
     * copy of the list in the program: ra/ asks names_registrable_domain. */
    psl_ctx = psl_latest(NULL);
}

static const psl_ctx_t *psl(void)
{
    pthread_once(&psl_once, psl_init);
    return psl_ctx != NULL ? psl_ctx : psl_builtin();
}

const char *names_registrable_domain(const char *name)
{
    return name != NULL ? psl_registrable_domain(psl(), name) : NULL;
}

/* ---- IP addresses ---- */

struct range {
    unsigned char net[16];
    int bits;
};

/* IANA IPv4 special-purpose registry plus multicast and class E. */
static const struct range v4_reserved[] = {
    {{0}, 8},
    {{10}, 8},
    {{100, 64}, 10},
    {{127}, 8},
    {{169, 254}, 16},
    {{172, 16}, 12},
    {{192, 0, 0}, 24},
    {{192, 0, 2}, 24},
    {{192, 31, 196}, 24},
    {{192, 52, 193}, 24},
    {{192, 88, 99}, 24},
    {{192, 168}, 16},
    {{192, 175, 48}, 24},
    {{198, 18}, 15},
    {{198, 51, 100}, 24},
    {{203, 0, 113}, 24},
    {{224}, 4},
    {{240}, 4},
};

/* IPv6: everything outside 2000::/3 is reserved or not global unicast; inside it the
 * special-purpose blocks below. */
static const struct range v6_reserved[] = {
    {{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments, TEREDO */
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
    {{0x20, 0x02}, 16},             /* 6to4 */
    {{0x3f, 0xff}, 20},             /* documentation (RFC 9637) */
};

static int in_range(const unsigned char *a, const struct range *r)
{
    int full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(a, r->net, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (r->net[full] & mask);
}

int names_check_ip_bytes(const unsigned char *addr, size_t len, int allow_ip, char *norm,
                         struct names_problem *out)
{
    char text[INET6_ADDRSTRLEN] = "";
    clear(out, norm);
    if (len != 4 && len != 16)
        return report(out, "name.ip_invalid", "");
    inet_ntop(len == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
    if (norm != NULL)
        snprintf(norm, NAMES_NORM_MAX, "%s", text);
    int reserved = 0;
    if (len == 4) {
        for (size_t i = 0; i < sizeof v4_reserved / sizeof v4_reserved[0]; i++)
            reserved |= in_range(addr, &v4_reserved[i]);
    } else {
        reserved = (addr[0] & 0xe0) != 0x20;
        for (size_t i = 0; i < sizeof v6_reserved / sizeof v6_reserved[0]; i++)
            reserved |= in_range(addr, &v6_reserved[i]);
    }
    if (reserved)
        return report(out, "name.ip_reserved", text);
    if (!allow_ip)
        return report(out, "name.ip_not_allowed", text);
    return 0;
}

int names_is_ip(const char *text)
{
    unsigned char a[16];
    return text != NULL && (inet_pton(AF_INET, text, a) == 1 || inet_pton(AF_INET6, text, a) == 1);
}

int names_check_ip(const char *text, int allow_ip, char *norm, struct names_problem *out)
{
    unsigned char a[16];
    clear(out, norm);
    if (text != NULL && inet_pton(AF_INET, text, a) == 1)
        return names_check_ip_bytes(a, 4, allow_ip, norm, out);
    if (text != NULL && inet_pton(AF_INET6, text, a) == 1)
        return names_check_ip_bytes(a, 16, allow_ip, norm, out);
    return report(out, "name.ip_invalid", text);
}

/* ---- DNS names ---- */

static int is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

/* Checks one lower-case ASCII label [s, s+n). Returns a code or NULL. */
static const char *label_problem(const char *s, size_t n)
{
    if (n == 0)
        return "name.empty_label";
    if (n > LABEL_MAX)
        return "name.label_too_long";
    for (size_t i = 0; i < n; i++)
        if (!is_ldh(s[i]))
            return "name.invalid_char";
    if (s[0] == '-' || s[n - 1] == '-')
        return "name.hyphen";
    if (n >= 4 && s[2] == '-' && s[3] == '-' && !(s[0] == 'x' && s[1] == 'n'))
        return "name.hyphen";
    return NULL;
}

/* An A-label name must decode to Unicode and encode back (IDNA2008, no TR46 mapping)
 * to exactly the same lower-case string. Returns 1 valid, 0 invalid, <0 no memory. */
static int alabels_valid(const char *name)
{
    char *u = NULL, *a = NULL;
    int ok = 0;
    if (idn2_to_unicode_8z8z(name, &u, 0) != IDN2_OK)
        return 0;
    if (idn2_lookup_u8((const uint8_t *)u, (uint8_t **)&a, IDN2_NO_TR46) == IDN2_OK)
        ok = strcmp(a, name) == 0;
    idn2_free(u);
    idn2_free(a);
    return ok;
}

static int has_nonascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

static int is_reserved_tld(const char *tld)
{
    for (size_t i = 0; i < sizeof reserved_tlds / sizeof reserved_tlds[0]; i++)
        if (strcmp(tld, reserved_tlds[i]) == 0)
            return 1;
    return 0;
}

/* Non-ASCII input: never accepted as such (BR wants A-labels), but tell the user the
 * A-label form when there is one. */
static int check_ulabel(const char *name, struct names_problem *out)
{
    char *a = NULL;
    char detail[128];
    if (idn2_lookup_u8((const uint8_t *)name, (uint8_t **)&a, IDN2_NONTRANSITIONAL) != IDN2_OK)
        return report(out, "name.idna_invalid", "");
    snprintf(detail, sizeof detail, "%s", a);
    idn2_free(a);
    return report(out, "name.u_label", detail);
}

/* First label problem in a lower-case ASCII name, or NULL. */
static const char *labels_problem(const char *base)
{
    const char *p = base;
    while (1) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const char *code = label_problem(p, n);
        if (code != NULL)
            return code;
        if (dot == NULL)
            return NULL;
        p = dot + 1;
    }
}

/* Full-width forms of ASCII (U+FF01..U+FF5E, UTF-8 EF BC 81 .. EF BD 9E), the
 * ideographic full stop and space (U+3002, U+3000): typed with a Japanese input method
 * where half-width was meant (issue 8 item 9). */
static int has_fullwidth(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x81 && p[2] <= 0xbf)
            return 1;
        if (p[0] == 0xef && p[1] == 0xbd && p[2] >= 0x80 && p[2] <= 0x9e)
            return 1;
        if (p[0] == 0xe3 && p[1] == 0x80 && (p[2] == 0x82 || p[2] == 0x80))
            return 1;
    }
    return 0;
}

int names_check_dns(const char *name, int allow_wildcard, char *norm, struct names_problem *out)
{
    char low[DNS_MAX + 1];
    int upper = 0;
    clear(out, norm);
    if (name == NULL || name[0] == '\0')
        return report(out, "name.empty", "");
    size_t len = strlen(name);
    if (has_fullwidth(name))
        return report(out, "name.fullwidth", name);
    if (has_nonascii(name))
        return check_ulabel(name, out);
    if (len > DNS_MAX + 1 || (len == DNS_MAX + 1 && name[len - 1] != '.'))
        return report(out, "name.too_long", "");
    if (name[len - 1] == '.' && len > 1)
        return report(out, "name.trailing_dot", name);
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
            upper = 1;
        }
        low[i] = c;
    }
    if (strchr(low, '_') != NULL)
        return report(out, "name.underscore", low);
    const char *base = low;
    int wildcard = 0;
    if (strncmp(low, "*.", 2) == 0) {
        wildcard = 1;
        base = low + 2;
    }
    if (strchr(base, '*') != NULL || (!wildcard && strchr(low, '*') != NULL))
        return report(out, "name.wildcard_position", low);
    if (wildcard && !allow_wildcard)
        return report(out, "name.wildcard_not_allowed", low);
    const char *code = labels_problem(base);
    if (code != NULL)
        return report(out, code, low);
    if (strstr(base, "xn--") != NULL && !alabels_valid(base))
        return report(out, "name.idna_invalid", low);
    const char *tld = strrchr(base, '.');
    if (tld == NULL && !wildcard)
        return report(out, "name.single_label", low);
    tld = tld ? tld + 1 : base;
    if (is_reserved_tld(tld))
        return report(out, "name.internal", low);
    const psl_ctx_t *ctx = psl();
    if (ctx == NULL)
        return -SM_E_CONFIG;
    if (!psl_is_public_suffix2(ctx, tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
        return report(out, "name.unknown_tld", low);
    if (wildcard && psl_is_public_suffix2(ctx, base, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
        return report(out, "name.wildcard_public_suffix", low);
    if (!wildcard && psl_is_public_suffix2(ctx, base, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE))
        return report(out, "name.public_suffix", low);
    if (norm != NULL)
        snprintf(norm, NAMES_NORM_MAX, "%s", low);
    if (upper)
        return report(out, "name.uppercase", name);
    return 0;
}

int names_check(const char *name, int allow_wildcard, int allow_ip, char *norm,
                struct names_problem *out)
{
    if (names_is_ip(name))
        return names_check_ip(name, allow_ip, norm, out);
    return names_check_dns(name, allow_wildcard, norm, out);
}

int names_to_unicode(const char *name, char **out)
{
    char *u = NULL;
    *out = NULL;
    if (name == NULL || idn2_to_unicode_8z8z(name, &u, 0) != IDN2_OK)
        return -SM_E_INVALID;
    *out = sm_strdup(u);
    idn2_free(u);
    return *out != NULL ? 0 : -SM_E_NOMEM;
}

/* Lower-case A-label form into buf; 0 ok, -1 not convertible. */
static int normalize(const char *s, char *buf, size_t size)
{
    if (s == NULL)
        return -1;
    if (has_nonascii(s)) {
        char *a = NULL;
        if (idn2_lookup_u8((const uint8_t *)s, (uint8_t **)&a, IDN2_NONTRANSITIONAL) != IDN2_OK)
            return -1;
        int n = snprintf(buf, size, "%s", a);
        idn2_free(a);
        return n >= 0 && (size_t)n < size ? 0 : -1;
    }
    size_t i = 0;
    for (; s[i] != '\0'; i++) {
        if (i + 1 >= size)
            return -1;
        char c = s[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    buf[i] = '\0';
    return 0;
}

int names_equal(const char *a, const char *b)
{
    char na[NAMES_NORM_MAX], nb[NAMES_NORM_MAX];
    if (normalize(a, na, sizeof na) < 0 || normalize(b, nb, sizeof nb) < 0)
        return 0;
    return strcmp(na, nb) == 0;
}
