/* SPDX-License-Identifier: MIT */
/* Mail template rendering (split "Subject:" line and body, substitute {{var}} from a JSON
 * object, refuse control characters in the subject) and delivery of due outbox mails:
 * claim, render, build, send, mark. See mail.h. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/asset.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "net/smtp.h"
#include "ra/mail.h"
#include "store/outbox.h"

#define MAX_VAR_NAME 64
#define MAX_SUBJECT  1000 /* bytes after substitution */

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
static int put_value(struct buf *b, json_t *vars, const char *name, size_t nlen, int in_subject,
                     struct sm_err *e)
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
        if (c == '\r' && !in_subject)
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

int mail_render_text(const char *text, size_t len, const char *vars_json, struct mail_text *out,
                     struct sm_err *e)
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

int mail_render(const char *tmpl, const char *lang, const char *vars_json, struct mail_text *out,
                struct sm_err *e)
{
    out->subject = NULL;
    out->body = NULL;
    if (!outbox_name_ok(tmpl) || !outbox_name_ok(lang))
        return sm_err_set(e, SM_E_NOTFOUND, "tmpl", "bad mail template name");
    char path[160];
    snprintf(path, sizeof path, "web/mail/%s.%s.txt", tmpl, lang);
    const struct asset *a = asset_get(path);
    if (a == NULL)
        return sm_err_set(e, SM_E_NOTFOUND, "tmpl", "no mail template %s", path);
    return mail_render_text((const char *)a->data, a->len, vars_json, out, e);
}

/* ---- delivery of due outbox mails ---- */

#define MAX_BATCHES 1000 /* bounds one run: at most batch * MAX_BATCHES mails */

/* "host/pid": names this process in claimed_by. */
static void node_name(char *out, size_t n)
{
    char host[128] = "";
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(out, n, "%.100s/%ld", host, (long)getpid());
}

struct settings {
    struct smtp_config smtp;
    int64_t max_attempts, batch;
};

static int load_settings(const struct config *cfg, struct settings *s, struct sm_err *e)
{
    if (!config_bool(cfg, "mail", "enabled"))
        return sm_err_set(e, SM_E_CONFIG, "enabled", "[mail] enabled is false");
    int rc = smtp_config_load(cfg, &s->smtp, e);
    if (rc == 0)
        rc = config_int(cfg, "mail", "max_attempts", 1, 1000, &s->max_attempts, e);
    if (rc == 0)
        rc = config_int(cfg, "mail", "batch", 1, 1000, &s->batch, e);
    return rc;
}

int mail_settings_check(const struct config *cfg, struct sm_err *e)
{
    struct settings s;
    return load_settings(cfg, &s, e);
}

/* Renders and sends one claimed mail. Returns 0 sent (message_id filled), 1 permanent
 * failure (cannot be rendered or built), 2 delivery failure; why gets the reason. */
static int deliver(const struct settings *s, const struct outbox_row *r, char *message_id,
                   size_t mid_len, char *why, size_t why_len)
{
    struct sm_err e = {0};
    struct mail_text t = {0};
    struct buf msg = BUF_INIT;
    int result = 1;
    if (mail_render(r->tmpl, r->lang, r->vars_json, &t, &e) < 0)
        goto out;
    if (smtp_message_id(s->smtp.from, message_id, mid_len, &e) < 0)
        goto out;
    struct smtp_message m = {
        .from = s->smtp.from,
        .from_name = s->smtp.from_name,
        .to = r->to,
        .subject = t.subject,
        .body = t.body,
        .message_id = message_id,
        .date = clock_now(),
        .attach_name = r->attach_name,
        .attach_type = r->attach_type,
        .attach = r->attach,
        .attach_len = r->attach_len,
    };
    if (smtp_build(&m, &msg, &e) < 0)
        goto out;
    result = 2;
    if (smtp_send(&s->smtp, r->to, msg.p, msg.len, &e) < 0)
        goto out;
    result = 0;
out:
    if (result != 0)
        snprintf(why, why_len, "%s%s%s", e.field, e.field[0] ? ": " : "", e.detail);
    mail_text_free(&t);
    buf_free(&msg);
    return result;
}

int mail_send_due(struct db *db, const struct config *cfg, int *sent, int *failed, struct sm_err *e)
{
    int nsent = 0, nfailed = 0, rc = 0;
    struct settings s;
    if (sent)
        *sent = 0;
    if (failed)
        *failed = 0;
    rc = load_settings(cfg, &s, e);
    if (rc < 0)
        return rc;
    char node[160];
    node_name(node, sizeof node);
    /* The lease covers a whole batch delivered one after another, with room to spare. */
    int64_t lease = s.batch * (s.smtp.timeout + 5) + 60;
    for (int round = 0; round < MAX_BATCHES && rc == 0; round++) {
        struct outbox_row *rows = NULL;
        size_t n = 0;
        rc = outbox_claim(db, node, lease, (size_t)s.batch, &rows, &n, e);
        if (rc < 0 || n == 0) {
            outbox_rows_free(rows, n);
            break;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            char mid[160] = "", why[512] = "";
            int d = deliver(&s, &rows[i], mid, sizeof mid, why, sizeof why);
            char id[32];
            snprintf(id, sizeof id, "%lld", (long long)rows[i].id);
            int dead = 0;
            if (d == 0)
                rc = outbox_mark_sent(db, rows[i].id, node, mid, e);
            else
                rc = outbox_mark_failed(db, rows[i].id, node, why, d == 1 ? 0 : s.max_attempts,
                                        &dead, e);
            if (rc == 0 && d == 0) {
                nsent++;
                log_info("mail sent", "id", id, "message_id", mid);
            } else if (rc == 0) {
                nfailed++;
                log_warn(dead ? "mail dead" : "mail failed", "id", id, "error", why);
            } else if (rc == -SM_E_CONFLICT) {
                /* The lease ran out and another node took the mail: its record wins. */
                log_warn("mail lease lost", "id", id, "error", e ? e->detail : "");
                rc = 0;
            }
        }
        outbox_rows_free(rows, n);
        if (n < (size_t)s.batch)
            break;
    }
    if (sent)
        *sent = nsent;
    if (failed)
        *failed = nfailed;
    return rc;
}
