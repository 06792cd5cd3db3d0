/* SPDX-License-Identifier: MIT */
/* R-MNG-4: the site seal. The customer's page of snippets (/certificates/:serial/seal and
 * its API call) and the two public answers the snippet uses: the seal image (SVG, ja/en,
 * light/dark) and the verification page it links to. Both public answers are cacheable
 * for a short time, so a revocation shows within minutes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "ra/seal.h"
#include "web/h_org.h"
#include "web/h_portal.h"
#include "web/handlers.h"
#include "web/i18n.h"
#include "web/portal.h"
#include "web/tmpl.h"

#define SEAL_MAX_AGE "300"

static const char *const variants[4][2] = {
    {"ja", "light"}, {"ja", "dark"}, {"en", "light"}, {"en", "dark"}};

static void base_url(const struct req *r, char *out, size_t n)
{
    const char *b = config_str(r->web->cfg, "server", "base_url");
    size_t len = b != NULL ? strlen(b) : 0;
    while (len > 0 && b[len - 1] == '/')
        len--;
    snprintf(out, n, "%.*s", (int)len, b != NULL ? b : "");
}

static void date_of(int64_t t, char *out, size_t n)
{
    char full[32];
    clock_format_utc((time_t)t, full, sizeof full);
    snprintf(out, n, "%.10s", full);
}

static const char *state_name(enum seal_state s)
{
    return s == SEAL_VALID ? "valid" : s == SEAL_REVOKED ? "revoked" : "expired";
}

/* ---- public: the image ---- */

/* XML text of s, cut to at most max code points. */
static void xml_text(struct buf *b, const char *s, size_t max)
{
    size_t cps = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ++cps > max) {
            buf_puts(b, "…");
            return;
        }
        switch (*p) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        default: buf_putc(b, (char)*p);
        }
    }
}

/* The status of seal id into *st; -1 when the reply was sent (404 for a bad or unknown id,
 * the error otherwise). known = 0 (a bad variant) answers 404 without a lookup. */
static int seal_lookup(struct req *r, const char *id, int known, struct seal_status *st)
{
    struct db *db = NULL;
    if (!known || !seal_id_ok(id)) {
        http_reply_error(r, 404, "seal.notfound", NULL);
        return -1;
    }
    if ((db = req_db_or_reply(r)) == NULL)
        return -1;
    struct sm_err e = {0};
    int rc = seal_status(db, id, clock_now(), st, &e);
    if (rc == -SM_E_NOTFOUND)
        http_reply_error(r, 404, "seal.notfound", NULL);
    else if (rc < 0)
        http_reply_err(r, &e);
    return rc < 0 ? -1 : 0;
}

void h_seal_image(struct req *r)
{
    const char *id = req_param(r, "id"), *v = req_param(r, "variant");
    int vi = -1;
    for (int i = 0; i < 4 && v != NULL; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s-%s.svg", variants[i][0], variants[i][1]);
        if (strcmp(v, name) == 0)
            vi = i;
    }
    struct seal_status st;
    if (seal_lookup(r, id, vi >= 0, &st) < 0)
        return;
    const char *lang = variants[vi][0];
    int dark = strcmp(variants[vi][1], "dark") == 0;
    int ok = st.state == SEAL_VALID;
    const char *bg = dark ? "#1f2328" : "#ffffff", *fg = dark ? "#f0f3f6" : "#1f2328";
    const char *border = dark ? "#57606a" : "#d0d7de";
    const char *accent = ok ? (dark ? "#3fb950" : "#1a7f37") : (dark ? "#f85149" : "#b42318");
    char key[64], until[16];
    snprintf(key, sizeof key, "seal.img.%s", state_name(st.state));
    date_of(st.not_after, until, sizeof until);
    struct buf b = BUF_INIT;
    buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"64\" "
                   "viewBox=\"0 0 200 64\" role=\"img\" aria-label=\"");
    xml_text(&b, i18n_text(lang, "seal.img.title"), 40);
    buf_printf(&b,
               "\"><rect x=\"0.5\" y=\"0.5\" width=\"199\" height=\"63\" rx=\"6\" fill=\"%s\" "
               "stroke=\"%s\"/><path d=\"M22 10 l14 5 v11 c0 10 -6 17 -14 20 c-8 -3 -14 -10 "
               "-14 -20 v-11 z\" fill=\"%s\"/>",
               bg, border, accent);
    if (ok)
        buf_puts(&b, "<path d=\"M15 28 l5 5 l9 -10\" stroke=\"#fff\" stroke-width=\"3\" "
                     "fill=\"none\"/>");
    else
        buf_puts(&b, "<path d=\"M16 21 l12 12 M28 21 l-12 12\" stroke=\"#fff\" "
                     "stroke-width=\"3\"/>");
    buf_printf(&b,
               "<g font-family=\"'Noto Sans CJK JP','Hiragino Sans',Meiryo,sans-serif\" "
               "fill=\"%s\"><text x=\"46\" y=\"20\" font-size=\"11\" font-weight=\"bold\">",
               fg);
    xml_text(&b, i18n_text(lang, "seal.img.title"), 24);
    buf_puts(&b, "</text><text x=\"46\" y=\"36\" font-size=\"10\">");
    xml_text(&b, st.org[0] ? st.org : st.cn, 22);
    buf_printf(&b, "</text><text x=\"46\" y=\"52\" font-size=\"10\" fill=\"%s\">", accent);
    xml_text(&b, i18n_text(lang, key), 16);
    if (ok) {
        buf_puts(&b, " ");
        xml_text(&b, until, 10);
    }
    buf_puts(&b, "</text></g></svg>\n");
    http_add_header(r, "Cache-Control", "public, max-age=" SEAL_MAX_AGE);
    http_reply_buf(r, 200, "image/svg+xml; charset=utf-8", &b);
}

/* ---- public: the verification page ---- */

void h_seal_verify(struct req *r)
{
    const char *id = req_param(r, "id");
    struct seal_status st;
    if (seal_lookup(r, id, 1, &st) < 0)
        return;
    char nb[16], na[16], key[64], lk[32];
    date_of(st.not_before, nb, sizeof nb);
    date_of(st.not_after, na, sizeof na);
    snprintf(key, sizeof key, "seal.state.%s", state_name(st.state));
    snprintf(lk, sizeof lk, "seal.level.%s", st.level);
    json_t *d =
        json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seal_id", id, "valid",
                  st.state == SEAL_VALID, "state", state_name(st.state), "state_text",
                  i18n_text(r->lang, key), "cn", st.cn, "org", st.org, "level",
                  i18n_text(r->lang, lk), "not_before", nb, "not_after", na, "serial", st.serial);
    http_add_header(r, "Cache-Control", "private, max-age=" SEAL_MAX_AGE);
    http_reply_page(r, 200, "seal_verify", "seal.title", d);
}

/* ---- the customer's snippet ---- */

static int snippet(const struct req *r, const char *id, const char *lang, const char *theme,
                   struct buf *out)
{
    char base[400];
    base_url(r, base, sizeof base);
    return buf_printf(out,
                      "<a href=\"%s/seal/%s?lang=%s\" target=\"_blank\" rel=\"noopener\">"
                      "<img src=\"%s/seal/%s/%s-%s.svg\" width=\"200\" height=\"64\" alt=\"%s\">"
                      "</a>",
                      base, id, lang, base, id, lang, theme, i18n_text(lang, "seal.img.title"));
}

static int seal_of(struct req *r, struct portal *p, char id[SEAL_ID_LEN + 1], struct sm_err *e)
{
    char actor[32];
    snprintf(actor, sizeof actor, "user:%lld", (long long)p->user->id);
    return seal_for_cert(p->db, &p->who.scope, req_param(r, "serial"), actor, r->client, id, e);
}

void h_cert_seal(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    char id[SEAL_ID_LEN + 1];
    struct sm_err e = {0};
    if (seal_of(r, &p, id, &e) < 0) {
        if (e.code == SM_E_NOTFOUND)
            http_reply_error(r, 404, "web.notfound", NULL);
        else
            pf_reply_err(r, &p, &e);
        goto out;
    }
    json_t *vs = json_array();
    for (int i = 0; i < 4; i++) {
        struct buf s = BUF_INIT;
        snippet(r, id, variants[i][0], variants[i][1], &s);
        char lk[48];
        snprintf(lk, sizeof lk, "seal.variant.%s_%s", variants[i][0], variants[i][1]);
        json_array_append_new(vs, json_pack("{s:s, s:s, s:s, s:s, s:b}", "label",
                                            i18n_text(r->lang, lk), "snippet", s.p ? s.p : "",
                                            "lang", variants[i][0], "theme", variants[i][1], "dark",
                                            strcmp(variants[i][1], "dark") == 0));
        buf_free(&s);
    }
    json_t *d = json_pack("{s:s, s:s, s:o}", "serial", req_param(r, "serial"), "seal_id", id,
                          "variants", vs);
    http_reply_page(r, 200, "cert_seal", "seal.snippet_title", d);
out:
    portal_clear(&p);
}

void h_api_cert_seal(struct req *r)
{
    struct portal p;
    if (portal_or_reply(r, &p) < 0)
        goto out;
    char id[SEAL_ID_LEN + 1];
    struct sm_err e = {0};
    if (seal_of(r, &p, id, &e) < 0) {
        pf_reply_err(r, &p, &e);
        goto out;
    }
    char base[400], verify[512];
    base_url(r, base, sizeof base);
    snprintf(verify, sizeof verify, "%s/seal/%s", base, id);
    json_t *snips = json_object();
    for (int i = 0; i < 4; i++) {
        struct buf s = BUF_INIT;
        snippet(r, id, variants[i][0], variants[i][1], &s);
        char k[16];
        snprintf(k, sizeof k, "%s-%s", variants[i][0], variants[i][1]);
        json_object_set_new(snips, k, json_string(s.p ? s.p : ""));
        buf_free(&s);
    }
    http_reply_json(
        r, 200,
        json_pack("{s:s, s:s, s:o}", "seal_id", id, "verify_url", verify, "snippets", snips));
out:
    portal_clear(&p);
}
