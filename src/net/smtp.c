/* SPDX-License-Identifier: MIT */
/* Message building (RFC 5322, RFC 2045-2047 headers and bodies) and SMTP delivery through
 * libcurl. See smtp.h. */
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/text.h"
#include "net/curl_lib.h"
#include "net/smtp.h"

#define LINE_SOFT     78 /* preferred header line length */
#define LINE_WORDS    76 /* lines holding encoded-words (RFC 2047 section 2) */
#define WORD_MAX      75 /* one encoded-word */
#define WORD_OVERHEAD 12 /* "=?UTF-8?B?" and "?=" */

/* ---- checks ---- */

/* Length of the UTF-8 character at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* 0 when s is valid UTF-8 without control characters; *ascii tells whether all ASCII. */
static int header_value_ok(const char *s, int *ascii)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    *ascii = 1;
    while (left > 0) {
        if (*p < 0x20 || *p == 0x7f)
            return -1;
        size_t n = utf8_len(p, left);
        if (n == 0)
            return -1;
        if (n > 1)
            *ascii = 0;
        p += n;
        left -= n;
    }
    return 0;
}

/* ---- encoding ---- */

static void b64_block(const unsigned char *in, size_t n, char out[4])
{
    const char *b64 = text_b64_digits(TEXT_B64_STD);
    uint32_t v =
        (uint32_t)in[0] << 16 | (n > 1 ? (uint32_t)in[1] << 8 : 0) | (n > 2 ? (uint32_t)in[2] : 0);
    out[0] = b64[(v >> 18) & 63];
    out[1] = b64[(v >> 12) & 63];
    out[2] = n > 1 ? b64[(v >> 6) & 63] : '=';
    out[3] = n > 2 ? b64[v & 63] : '=';
}

static int b64_append(struct buf *out, const unsigned char *d, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        char q[4];
        b64_block(d + i, n - i < 3 ? n - i : 3, q);
        if (buf_append(out, q, 4) < 0)
            return -SM_E_NOMEM;
    }
    return 0;
}

int smtp_base64_lines(struct buf *out, const unsigned char *data, size_t len)
{
    const size_t per_line = 57; /* 57 bytes = 76 base64 characters */
    for (size_t i = 0; i < len; i += per_line) {
        size_t n = len - i < per_line ? len - i : per_line;
        int rc = b64_append(out, data + i, n);
        if (rc == 0)
            rc = buf_puts(out, "\r\n");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Appends value as encoded-words starting at column col; the first word fits in
 * LINE_WORDS - col, later words go on folded lines " =?UTF-8?B?...?=". Returns the column
 * after the last word, or a negative error. */
static int encode_words(struct buf *out, const char *value, size_t col)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t left = strlen(value);
    int first = 1;
    while (left > 0 || first) {
        size_t room = first ? (LINE_WORDS > col ? LINE_WORDS - col : 0) : LINE_WORDS - 1;
        if (room > WORD_MAX)
            room = WORD_MAX;
        size_t max_bytes = room > WORD_OVERHEAD ? (room - WORD_OVERHEAD) / 4 * 3 : 0;
        if (max_bytes < 4 && first && col > 1) { /* no room: start on a folded line */
            if (buf_puts(out, "\r\n") < 0)
                return -SM_E_NOMEM;
            col = 0;
            first = 0;
            continue;
        }
        size_t take = 0;
        while (take < left) {
            size_t n = utf8_len(p + take, left - take);
            if (n == 0)
                return -SM_E_INVALID;
            if (take + n > max_bytes)
                break;
            take += n;
        }
        if (!first && buf_putc(out, ' ') < 0)
            return -SM_E_NOMEM;
        if (buf_puts(out, "=?UTF-8?B?") < 0 || b64_append(out, p, take) < 0 ||
            buf_puts(out, "?=") < 0)
            return -SM_E_NOMEM;
        col = (first ? col : 1) + WORD_OVERHEAD + (take + 2) / 3 * 4;
        p += take;
        left -= take;
        first = 0;
        if (left > 0 && buf_puts(out, "\r\n") < 0)
            return -SM_E_NOMEM;
    }
    return (int)col;
}

/* Longest run of non-space characters. */
static size_t longest_word(const char *s)
{
    size_t best = 0, cur = 0;
    for (; *s; s++) {
        cur = *s == ' ' ? 0 : cur + 1;
        if (cur > best)
            best = cur;
    }
    return best;
}

/* Plain ASCII header value, folded before a space when a line would pass LINE_SOFT. */
static int fold_plain(struct buf *out, const char *value, size_t col)
{
    const char *p = value;
    while (*p) {
        const char *sp = strchr(p + 1, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (*p == ' ' && col + n > LINE_SOFT && col > 1) {
            if (buf_puts(out, "\r\n") < 0)
                return -SM_E_NOMEM;
            col = 0;
        }
        if (buf_append(out, p, n) < 0)
            return -SM_E_NOMEM;
        col += n;
        p += n;
    }
    return 0;
}

int smtp_header_text(struct buf *out, const char *name, const char *value, struct sm_err *e)
{
    int ascii;
    if (header_value_ok(value, &ascii) < 0)
        return sm_err_set(e, SM_E_INVALID, name, "%s has a control character or invalid UTF-8",
                          name);
    if (buf_printf(out, "%s: ", name) < 0)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    size_t col = strlen(name) + 2;
    int rc;
    /* ASCII stays plain unless it could be taken for an encoded-word or cannot fold. */
    if (ascii && strstr(value, "=?") == NULL && longest_word(value) <= LINE_SOFT - 12)
        rc = fold_plain(out, value, col);
    else
        rc = encode_words(out, value, col) < 0 ? -SM_E_NOMEM : 0;
    if (rc == 0)
        rc = buf_puts(out, "\r\n");
    if (rc < 0)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    return 0;
}

/* From: [display name] <addr>. Names of atext and spaces stay plain; others are encoded. */
static int header_from(struct buf *out, const char *name, const char *addr, struct sm_err *e)
{
    if (name == NULL || *name == '\0')
        return buf_printf(out, "From: %s\r\n", addr) < 0
                   ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory")
                   : 0;
    int ascii;
    if (header_value_ok(name, &ascii) < 0 || strlen(name) > 200)
        return sm_err_set(e, SM_E_INVALID, "from_name",
                          "from_name has a control character or invalid UTF-8");
    int plain = ascii && name[0] != ' ';
    for (const char *p = name; plain && *p; p++)
        plain = text_is_atext((unsigned char)*p) || (*p == ' ' && p[1] != ' ' && p[1] != '\0');
    if (plain && strstr(name, "=?") != NULL)
        plain = 0;
    int rc = buf_puts(out, "From: ");
    if (rc == 0 && plain)
        rc = buf_puts(out, name);
    else if (rc == 0)
        rc = encode_words(out, name, 6) < 0 ? -SM_E_NOMEM : 0;
    if (rc == 0)
        rc = buf_printf(out, " <%s>\r\n", addr);
    return rc < 0 ? sm_err_set(e, SM_E_NOMEM, NULL, "out of memory") : 0;
}

/* The RFC 5322 date in Japan time (+0900). */
static int header_date(struct buf *out, time_t t)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t j = t + 9 * 3600;
    struct tm tm;
    if (gmtime_r(&j, &tm) == NULL)
        return -SM_E_INVALID;
    return buf_printf(out, "Date: %s, %d %s %04d %02d:%02d:%02d +0900\r\n", wd[tm.tm_wday],
                      tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
}

/* Body text in canonical form (CRLF line ends, ending with one) as base64 lines. */
static int body_base64(struct buf *out, const char *body)
{
    struct buf t = BUF_INIT;
    int rc = 0;
    for (const char *p = body; *p && rc == 0; p++) {
        if (*p == '\r')
            continue;
        rc = *p == '\n' ? buf_puts(&t, "\r\n") : buf_putc(&t, *p);
    }
    if (rc == 0 && (t.len < 2 || t.p[t.len - 1] != '\n'))
        rc = buf_puts(&t, "\r\n");
    if (rc == 0)
        rc = smtp_base64_lines(out, (const unsigned char *)t.p, t.len);
    buf_free(&t);
    return rc;
}

static int mime_token_ok(const char *s)
{
    size_t slash = 0;
    if (s == NULL || *s == '\0' || strlen(s) > 100)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '/')
            slash++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   strchr("!#$&-^_.+", c) != NULL))
            return 0;
    }
    return slash == 1;
}

/* filename="..." for safe ASCII names, RFC 2231 filename*=UTF-8''%XX otherwise. */
static int param_filename(struct buf *out, const char *param, const char *name)
{
    int ascii;
    if (header_value_ok(name, &ascii) < 0)
        return -SM_E_INVALID;
    if (ascii && strpbrk(name, "\"\\") == NULL)
        return buf_printf(out, "%s=\"%s\"", param, name);
    int rc = buf_printf(out, "%s*=UTF-8''", param);
    for (const unsigned char *p = (const unsigned char *)name; *p && rc == 0; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL)
            rc = buf_putc(out, (char)*p);
        else
            rc = buf_printf(out, "%%%02X", *p);
    }
    return rc;
}

int smtp_message_id(const char *from, char *out, size_t n, struct sm_err *e)
{
    if (!text_email_ok(from, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_INVALID, "from", "sender address is not valid");
    if (sodium_init() < 0)
        return sm_err_set(e, SM_E_INTERNAL, NULL, "libsodium failed to initialize");
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, r, sizeof r);
    int w = snprintf(out, n, "<%s@%s>", hex, strrchr(from, '@') + 1);
    if (w < 0 || (size_t)w >= n)
        return sm_err_set(e, SM_E_TOO_LARGE, "message_id", "Message-ID buffer too small");
    return 0;
}

static int message_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 5 || n > 250 || s[0] != '<' || s[n - 1] != '>' || strchr(s, '@') == NULL)
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!text_is_atext((unsigned char)s[i]) && s[i] != '.' && s[i] != '@')
            return 0;
    return 1;
}

int smtp_build(const struct smtp_message *m, struct buf *out, struct sm_err *e)
{
    if (!text_email_ok(m->from, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_INVALID, "from", "sender address is not valid");
    if (!text_email_ok(m->to, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_INVALID, "to", "recipient address is not valid");
    if (!message_id_ok(m->message_id))
        return sm_err_set(e, SM_E_INVALID, "message_id", "Message-ID is not valid");
    if (m->subject == NULL || m->body == NULL)
        return sm_err_set(e, SM_E_INVALID, "subject", "message without subject or body");
    int multipart = m->attach_name != NULL;
    if (multipart && !mime_token_ok(m->attach_type))
        return sm_err_set(e, SM_E_INVALID, "attach_type", "attachment media type is not valid");
    int ascii;
    if (multipart && (header_value_ok(m->attach_name, &ascii) < 0 || *m->attach_name == '\0' ||
                      strlen(m->attach_name) > 200))
        return sm_err_set(e, SM_E_INVALID, "attach_name", "attachment name is not valid");

    char boundary[64] = "";
    if (multipart) {
        if (sodium_init() < 0)
            return sm_err_set(e, SM_E_INTERNAL, NULL, "libsodium failed to initialize");
        unsigned char r[12];
        randombytes_buf(r, sizeof r);
        char hex[25];
        sodium_bin2hex(hex, sizeof hex, r, sizeof r);
        /* "=_" never occurs in base64 text, so the boundary cannot appear in a part. */
        snprintf(boundary, sizeof boundary, "=_shomei_%s", hex);
    }
    int rc = header_date(out, m->date) < 0 ? -SM_E_NOMEM : 0;
    if (rc == 0)
        rc = header_from(out, m->from_name, m->from, e);
    else
        sm_err_set(e, SM_E_INVALID, "date", "date out of range");
    if (rc == 0 && buf_printf(out, "To: %s\r\n", m->to) < 0)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = smtp_header_text(out, "Subject", m->subject, e);
    if (rc == 0 && buf_printf(out,
                              "Message-ID: %s\r\nMIME-Version: 1.0\r\n"
                              "Auto-Submitted: auto-generated\r\n",
                              m->message_id) < 0)
        rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (rc < 0)
        return rc;
    int w = 0;
    if (multipart) {
        w |= buf_printf(out,
                        "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                        "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n",
                        boundary, boundary);
    }
    w |= buf_puts(out, "Content-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n");
    w |= body_base64(out, m->body);
    if (multipart) {
        w |= buf_printf(out, "\r\n--%s\r\nContent-Type: %s; ", boundary, m->attach_type);
        w |= param_filename(out, "name", m->attach_name);
        w |= buf_puts(out, "\r\nContent-Disposition: attachment; ");
        w |= param_filename(out, "filename", m->attach_name);
        w |= buf_puts(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        w |= smtp_base64_lines(out, m->attach, m->attach ? m->attach_len : 0);
        w |= buf_printf(out, "\r\n--%s--\r\n", boundary);
    }
    if (w != 0)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory building the message");
    return 0;
}

/* ---- configuration ---- */

int smtp_config_load(const struct config *c, struct smtp_config *out, struct sm_err *e)
{
    memset(out, 0, sizeof *out);
    out->url = config_str(c, "mail", "url");
    if (strncmp(out->url, "smtp://", 7) != 0 && strncmp(out->url, "smtps://", 8) != 0)
        return sm_err_set(e, SM_E_CONFIG, "url", "[mail] url must start with smtp:// or smtps://");
    for (const char *p = out->url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return sm_err_set(e, SM_E_CONFIG, "url", "[mail] url has a space or control character");
    const char *st = config_str(c, "mail", "starttls");
    if (strcmp(st, "none") == 0)
        out->starttls = SMTP_STARTTLS_NONE;
    else if (strcmp(st, "try") == 0)
        out->starttls = SMTP_STARTTLS_TRY;
    else if (strcmp(st, "required") == 0)
        out->starttls = SMTP_STARTTLS_REQUIRED;
    else
        return sm_err_set(e, SM_E_CONFIG, "starttls",
                          "[mail] starttls must be none, try or required");
    out->tls_verify = config_bool(c, "mail", "tls_verify");
    out->username = config_str(c, "mail", "username");
    out->password = config_str(c, "mail", "password");
    out->from = config_str(c, "mail", "from");
    if (!text_email_ok(out->from, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_CONFIG, "from", "[mail] from is not a valid address");
    out->from_name = config_str(c, "mail", "from_name");
    int ascii;
    if (header_value_ok(out->from_name, &ascii) < 0)
        return sm_err_set(e, SM_E_CONFIG, "from_name",
                          "[mail] from_name has a control character or invalid UTF-8");
    int64_t t;
    int rc = config_int(c, "mail", "timeout", 1, 3600, &t, e);
    if (rc < 0)
        return rc;
    out->timeout = (long)t;
    return 0;
}

/* ---- delivery ---- */

struct reader {
    const char *p;
    size_t left;
};

static size_t on_read(char *dst, size_t size, size_t nmemb, void *ctx)
{
    struct reader *r = ctx;
    size_t n = size * nmemb;
    if (n > r->left)
        n = r->left;
    memcpy(dst, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

int smtp_send(const struct smtp_config *cfg, const char *to, const char *data, size_t len,
              struct sm_err *e)
{
    if (!text_email_ok(to, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_INVALID, "to", "recipient address is not valid");
    if (!text_email_ok(cfg->from, TEXT_EMAIL_LOCAL_DOMAIN))
        return sm_err_set(e, SM_E_CONFIG, "from", "[mail] from is not a valid address");
    char why[200];
    if (curl_load(why, sizeof why) < 0)
        return sm_err_set(e, SM_E_INTERNAL, NULL, "libcurl unavailable: %s", why);
    CURL *c = curl_fn.curl_easy_init();
    if (c == NULL)
        return sm_err_set(e, SM_E_NOMEM, NULL, "curl_easy_init failed");
    char from[300], rcpt[300], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%s>", cfg->from);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_fn.curl_slist_append(NULL, rcpt);
    struct reader rd = {data, len};
    int rc = 0;
    if (rcpts == NULL) {
        curl_fn.curl_easy_cleanup(c);
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    }
    long use_ssl = cfg->starttls == SMTP_STARTTLS_REQUIRED ? (long)CURLUSESSL_ALL
                   : cfg->starttls == SMTP_STARTTLS_TRY    ? (long)CURLUSESSL_TRY
                                                           : (long)CURLUSESSL_NONE;
    if (strncmp(cfg->url, "smtps://", 8) == 0)
        use_ssl = (long)CURLUSESSL_ALL;
    CURLcode cc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = (curl_fn.curl_easy_setopt)(c, opt, val);                                          \
    } while (0)
    SET(CURLOPT_URL, cfg->url);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_USE_SSL, use_ssl);
    SET(CURLOPT_SSL_VERIFYPEER, cfg->tls_verify ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, cfg->tls_verify ? 2L : 0L);
    SET(CURLOPT_TIMEOUT, cfg->timeout > 0 ? cfg->timeout : 30L);
    SET(CURLOPT_CONNECTTIMEOUT, cfg->timeout > 0 && cfg->timeout < 10 ? cfg->timeout : 10L);
    SET(CURLOPT_MAIL_FROM, from);
    SET(CURLOPT_MAIL_RCPT, rcpts);
    SET(CURLOPT_READFUNCTION, on_read);
    SET(CURLOPT_READDATA, &rd);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    if (cfg->username && *cfg->username) {
        SET(CURLOPT_USERNAME, cfg->username);
        SET(CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
#undef SET
    if (cc != CURLE_OK) {
        rc = sm_err_set(e, SM_E_INTERNAL, NULL, "curl setup: %s", curl_fn.curl_easy_strerror(cc));
        goto out;
    }
    cc = curl_fn.curl_easy_perform(c);
    if (cc != CURLE_OK) {
        long code = 0;
        (curl_fn.curl_easy_getinfo)(c, CURLINFO_RESPONSE_CODE, &code);
        rc = sm_err_set(e, SM_E_IO, "smtp", "smtp delivery failed: %s (last reply %ld)",
                        *errbuf ? errbuf : curl_fn.curl_easy_strerror(cc), code);
    }
out:
    curl_fn.curl_slist_free_all(rcpts);
    curl_fn.curl_easy_cleanup(c);
    return rc;
}
