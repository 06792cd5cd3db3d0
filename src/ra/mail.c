/* SPDX-License-Identifier: MIT */
/* Mail template rendering: split "Subject:" line and body, substitute {{var}} from a JSON
 * object, refuse control characters in the subject. See mail.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/asset.h"
#include "core/buf.h"
#include "ra/mail.h"

#define MAX_VAR_NAME 64
#define MAX_SUBJECT 1000 /* bytes after substitution */

void mail_text_free(struct mail_text *m)
{
    if (m == NULL)
        return;
    free(m->subject);
    free(m->body);
    m->subject = NULL;
    m->body = NULL;
}

static int var_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > MAX_VAR_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int put(struct buf *b, char c, struct sm_err *e)
{
    int rc = buf_putc(b, c);
    if (rc == -SM_E_TOO_LARGE)
        return sm_err_set(e, SM_E_TOO_LARGE, "subject", "subject longer than %d bytes",
                          MAX_SUBJECT);
    if (rc < 0)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    return 0;
}

/* Appends the value of one variable. in_subject: no control characters at all. */
static int put_value(struct buf *b, json_t *vars, const char *name, size_t nlen,
                     int in_subject, struct sm_err *e)
{
    char key[MAX_VAR_NAME + 1];
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    json_t *v = json_object_get(vars, key);
    if (v == NULL)
        return sm_err_set(e, SM_E_INVALID, key, "template variable %s is not set", key);
    char num[64];
    const char *s;
    size_t n;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
        n = strlen(num);
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        s = num;
        n = strlen(num);
    } else {
        return sm_err_set(e, SM_E_INVALID, key, "template variable %s is not a string or number",
                          key);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r')
            continue; /* bodies use LF; a lone CR never reaches the message */
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (in_subject && c < 0x20))
            return sm_err_set(e, SM_E_INVALID, key,
                              "template variable %s has a control character%s", key,
                              in_subject ? " (used in the subject)" : "");
        int rc = put(b, (char)c, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Substitutes {{var}} in text[0..len) into b. */
static int expand(struct buf *b, const char *text, size_t len, json_t *vars, int in_subject,
                  struct sm_err *e)
{
    size_t i = 0;
    while (i < len) {
        if (i + 1 < len && text[i] == '{' && text[i + 1] == '{') {
            size_t j = i + 2;
            while (j + 1 < len && !(text[j] == '}' && text[j + 1] == '}') && text[j] != '\n')
                j++;
            if (j + 1 >= len || text[j] == '\n')
                return sm_err_set(e, SM_E_INVALID, "template", "unclosed {{ in mail template");
            size_t s = i + 2, t = j;
            while (s < t && text[s] == ' ')
                s++;
            while (t > s && text[t - 1] == ' ')
                t--;
            if (!var_name_ok(text + s, t - s))
                return sm_err_set(e, SM_E_INVALID, "template", "bad variable name in {{...}}");
            int rc = put_value(b, vars, text + s, t - s, in_subject, e);
            if (rc < 0)
                return rc;
            i = j + 2;
            continue;
        }
        if (text[i] == '\r') { /* templates are stored with LF; drop stray CRs */
            i++;
            continue;
        }
        int rc = put(b, text[i], e);
        if (rc < 0)
            return rc;
        i++;
    }
    return 0;
}

int mail_render_text(const char *text, size_t len, const char *vars_json,
                     struct mail_text *out, struct sm_err *e)
{
    out->subject = NULL;
    out->body = NULL;
    static const char prefix[] = "Subject: ";
    size_t pl = sizeof prefix - 1;
    if (len < pl || memcmp(text, prefix, pl) != 0)
        return sm_err_set(e, SM_E_INVALID, "template", "mail template must start with Subject:");
    const char *nl = memchr(text, '\n', len);
    if (nl == NULL)
        return sm_err_set(e, SM_E_INVALID, "template", "mail template has no body");
    size_t slen = (size_t)(nl - text) - pl;
    if (slen > 0 && text[pl + slen - 1] == '\r')
        slen--;
    const char *rest = nl + 1;
    size_t rlen = len - (size_t)(rest - text);
    if (rlen > 0 && rest[0] == '\r') {
        rest++;
        rlen--;
    }
    if (rlen == 0 || rest[0] != '\n')
        return sm_err_set(e, SM_E_INVALID, "template",
                          "mail template needs an empty line after the subject");
    rest++;
    rlen--;

    json_error_t je;
    json_t *vars = json_loads(vars_json ? vars_json : "{}", 0, &je);
    if (vars == NULL || !json_is_object(vars)) {
        json_decref(vars);
        return sm_err_set(e, SM_E_INVALID, "vars_json", "template variables are not an object");
    }
    struct buf sb = BUF_INIT, bb = BUF_INIT;
    sb.max = MAX_SUBJECT;
    int rc = expand(&sb, text + pl, slen, vars, 1, e);
    if (rc == 0)
        rc = expand(&bb, rest, rlen, vars, 0, e);
    json_decref(vars);
    if (rc == 0) {
        size_t n;
        out->subject = buf_detach(&sb, &n);
        out->body = buf_detach(&bb, &n);
        if (out->subject == NULL || out->body == NULL) {
            mail_text_free(out);
            rc = sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
        }
    }
    buf_free(&sb);
    buf_free(&bb);
    return rc;
}

static int name_ok(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

int mail_render(const char *tmpl, const char *lang, const char *vars_json,
                struct mail_text *out, struct sm_err *e)
{
    out->subject = NULL;
    out->body = NULL;
    if (!name_ok(tmpl) || !name_ok(lang))
        return sm_err_set(e, SM_E_NOTFOUND, "tmpl", "bad mail template name");
    char path[160];
    snprintf(path, sizeof path, "web/mail/%s.%s.txt", tmpl, lang);
    const struct asset *a = asset_get(path);
    if (a == NULL)
        return sm_err_set(e, SM_E_NOTFOUND, "tmpl", "no mail template %s", path);
    return mail_render_text((const char *)a->data, a->len, vars_json, out, e);
}
