/* SPDX-License-Identifier: MIT */
/* Hex, digits, write_all and the e-mail address syntax (core/text.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

static const char hexdig[] = "0123456789abcdef";

void text_hex(char *out, const unsigned char *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 15];
    }
    out[2 * n] = '\0';
}

const char *text_b64_digits(enum text_b64 a)
{
    return a == TEXT_B64_URL ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

/* A digit's value + 1 (0: not a digit of either alphabet); the last two digits differ
 * between the alphabets and are told apart in text_b64_value. A table, not a chain of
 * ranges: base64 text is random, and every range test is a branch it would mispredict. */
static const unsigned char b64_common[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
};

int text_b64_value(int c, enum text_b64 a)
{
    if (c < 0 || c > 255)
        return -1;
    if (b64_common[c] != 0)
        return b64_common[c] - 1;
    if (c == (a == TEXT_B64_URL ? '-' : '+'))
        return 62;
    if (c == (a == TEXT_B64_URL ? '_' : '/'))
        return 63;
    return -1;
}

int text_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int text_unhex(unsigned char *out, size_t n, const char *hex)
{
    if (hex == NULL || strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = text_hex_value(hex[2 * i]), lo = text_hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int text_unhex_lower(unsigned char *out, size_t n, const char *hex)
{
    for (size_t i = 0; i < n; i++) {
        const char *hi = memchr(hexdig, hex[2 * i], 16), *lo;
        if (hex[2 * i] == '\0' || hi == NULL)
            return -1;
        lo = memchr(hexdig, hex[2 * i + 1], 16);
        if (hex[2 * i + 1] == '\0' || lo == NULL)
            return -1;
        out[i] = (unsigned char)((hi - hexdig) << 4 | (lo - hexdig));
    }
    return 0;
}

int text_is_lower_hex(const char *s, size_t len)
{
    return s != NULL && strlen(s) == len && strspn(s, hexdig) == len;
}

int text_is_digit(int c) { return c >= '0' && c <= '9'; }

int text_digits_n(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!text_is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

int text_digits_value(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!text_is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int text_is_digits(const char *s) { return s != NULL && *s != '\0' && text_digits_n(s, strlen(s)); }

int text_same(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0)
            errno = EIO;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int text_is_atext(int c)
{
    return alpha((char)c) || text_is_digit(c) ||
           (c > 0 && c < 128 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int ldh(char c) { return alpha(c) || text_is_digit((unsigned char)c) || c == '-'; }

int text_email_ok(const char *a, unsigned flags)
{
    if (a == NULL)
        return 0;
    size_t n = strlen(a);
    const char *at = strrchr(a, '@');
    if (n > TEXT_EMAIL_MAX || at == NULL || at == a || at - a > TEXT_EMAIL_LOCAL_MAX)
        return 0;
    for (const char *p = a; p < at; p++) { /* dot-atom local part */
        if (*p == '.') {
            if (p == a || p + 1 == at || p[1] == '.')
                return 0;
        } else if (!text_is_atext((unsigned char)*p)) {
            return 0;
        }
    }
    const char *label = at + 1;
    int labels = 0;
    for (const char *p = at + 1;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-')
                return 0;
            labels++;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!ldh(*p)) {
            return 0;
        }
    }
    if (labels < 2)
        return (flags & TEXT_EMAIL_LOCAL_DOMAIN) != 0;
    for (const char *p = label; *p != '\0'; p++)
        if (!alpha(*p))
            return 0;
    return 1;
}
