/* SPDX-License-Identifier: MIT */
/* The CSR checker (R-CSR-3, R-CSR-1): GET/POST /tools/csr (paste or upload, shows the
 * parsed request and every problem in the page language) and POST /api/v1/csr/check
 * (raw PEM/DER or {"csr": "..."}; JSON answer). Creates nothing. */
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "pki/csr.h"
#include "web/handlers.h"
#include "web/i18n.h"

/* Runs the check and returns its JSON with each problem's "message" in lang (new
 * reference), or NULL on internal failure (logged). for_page adds what the template needs
 * ("is_error" per problem, "parsed"). */
static json_t *check(const unsigned char *in, size_t len, const char *lang, int for_page)
{
    struct csr_check_opts opts = {0};
    struct csr_info *info = NULL;
    struct sm_err e = {0};
    json_t *j = NULL;
    if (csr_check(in, len, &opts, &info, &e) < 0 || csr_info_to_json(info, &j) < 0) {
        log_error("csr check failed", "code", sm_err_name(e.code), "detail", e.detail);
        csr_info_free(info);
        return NULL;
    }
    csr_info_free(info);
    int ja = strcmp(lang, "ja") == 0;
    size_t i;
    json_t *p;
    int rc = 0;
    json_array_foreach(json_object_get(j, "problems"), i, p)
    {
        json_t *m = json_object_get(p, ja ? "message_ja" : "message_en");
        rc |= m ? json_object_set(p, "message", m)
                : json_object_set_new(p, "message", json_string(""));
        json_object_del(p, "message_ja");
        json_object_del(p, "message_en");
        const char *sev = json_string_value(json_object_get(p, "severity"));
        if (for_page)
            rc |=
                json_object_set_new(p, "is_error", json_boolean(sev && strcmp(sev, "error") == 0));
    }
    rc |= json_object_set_new(j, "lang", json_string(lang));
    if (for_page) {
        json_t *key_type = json_object_get(json_object_get(j, "key"), "type");
        int parsed = json_is_string(json_object_get(j, "subject")) || json_is_string(key_type);
        rc |= json_object_set_new(j, "parsed", json_boolean(parsed));
    }
    if (rc != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* 1 if the result reports a pasted private key. */
static int has_private_key(const json_t *result)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(result, "problems"), i, p)
    {
        const char *c = json_string_value(json_object_get(p, "code"));
        if (c != NULL && strcmp(c, "csr.input.private_key") == 0)
            return 1;
    }
    return 0;
}

/* Renders the checker page; result (stolen) may be NULL, error is a message key or NULL.
 * A pasted private key is refused with a warning of its own and never sent back: the
 * text area stays empty (issue 8 item 9, R-CSR-1). */
static void page(struct req *r, int status, const char *text, json_t *result, const char *error)
{
    int key = result != NULL && has_private_key(result);
    json_t *d = json_pack("{s:s, s:o, s:o, s:b}", "csr_text", text && !key ? text : "", "result",
                          result ? result : json_false(), "input_error",
                          error ? json_string(i18n_text(r->lang, error)) : json_false(),
                          "private_key", key);
    http_reply_page(r, key ? 422 : status, "csr", "csr.title", d);
}

void h_csr_form(struct req *r) { page(r, 200, NULL, NULL, NULL); }

void h_csr_check(struct req *r)
{
    const char *text = req_form_text(r, "csr");
    const struct form_field *file = req_form_field(r, "file");
    const unsigned char *in = (const unsigned char *)text;
    size_t len = text ? strlen(text) : 0;
    if (file != NULL && file->filename != NULL && file->len > 0) {
        in = (const unsigned char *)file->value;
        len = file->len;
    }
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", in[blank]) != NULL)
        blank++;
    if (in == NULL || blank == len) {
        page(r, 422, text, NULL, "csr.input_missing");
        return;
    }
    json_t *result = check(in, len, r->lang, 1);
    if (result == NULL) {
        http_reply_error(r, 500, "err.internal", NULL);
        return;
    }
    page(r, 200, text, result, NULL);
}

/* The media type of a Content-Type header, lower-case, without parameters. */
static void media_type(const char *ct, char *out, size_t n)
{
    size_t i = 0;
    for (; ct && ct[i] && ct[i] != ';' && ct[i] != ' ' && i + 1 < n; i++)
        out[i] = (char)(ct[i] >= 'A' && ct[i] <= 'Z' ? ct[i] + 32 : ct[i]);
    out[i] = '\0';
}

void h_api_csr_check(struct req *r)
{
    char mt[64];
    media_type(req_header(r, "Content-Type"), mt, sizeof mt);
    json_t *body = NULL;
    const unsigned char *in;
    size_t len;
    if (strcmp(mt, "application/json") == 0) {
        if ((body = req_json_or_reply(r)) == NULL)
            return;
        json_t *c = json_object_get(body, "csr");
        if (!json_is_string(c) || json_string_length(c) == 0) {
            json_decref(body);
            http_reply_error(r, 400, "api.csr_missing", "csr");
            return;
        }
        in = (const unsigned char *)json_string_value(c);
        len = json_string_length(c);
    } else if (strcmp(mt, "application/pkcs10") == 0 || strcmp(mt, "text/plain") == 0 ||
               strcmp(mt, "application/x-pem-file") == 0) {
        in = (const unsigned char *)(r->body.p ? r->body.p : "");
        len = r->body.len;
        if (len == 0) {
            http_reply_error(r, 400, "api.csr_missing", "csr");
            return;
        }
    } else {
        http_reply_error(r, 415, "api.csr_type", NULL);
        return;
    }
    json_t *result = check(in, len, r->lang, 0);
    json_decref(body);
    if (result == NULL) {
        http_reply_error(r, 500, "err.internal", NULL);
        return;
    }
    http_reply_json(r, 200, result);
}
