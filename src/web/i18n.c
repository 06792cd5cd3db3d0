/* SPDX-License-Identifier: MIT */
/* Catalog loading from the embedded web/i18n/LANG.json and language negotiation.
 * The catalogs are parsed once and read-only afterwards; never freed (process lifetime). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/asset.h"
#include "web/i18n.h"

const char *const i18n_langs[] = {"ja", "en", NULL};
#define NLANGS 2

static json_t *catalogs[NLANGS];
static struct sm_err load_err;
static int load_rc;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Merges one catalog file a into *cat (created on first use); a key defined twice, in the
 * same file or in two files of the language, is an error. */
static int merge_file(const struct asset *a, json_t **cat)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)a->data, a->len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return sm_err_set(&load_err, SM_E_CONFIG, a->path, "%s line %d: %s", a->path, je.line,
                          je.text);
    int rc = 0;
    if (!json_is_object(j)) {
        rc = sm_err_set(&load_err, SM_E_CONFIG, a->path, "%s is not a JSON object", a->path);
        goto out;
    }
    if (*cat == NULL && (*cat = json_object()) == NULL) {
        rc = sm_err_set(&load_err, SM_E_NOMEM, a->path, "out of memory");
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v)
    {
        if (!json_is_string(v)) {
            rc = sm_err_set(&load_err, SM_E_CONFIG, a->path, "%s: %s is not a string", a->path, k);
            goto out;
        }
        if (json_object_get(*cat, k) != NULL) {
            rc = sm_err_set(&load_err, SM_E_CONFIG, a->path, "%s: %s is defined twice", a->path, k);
            goto out;
        }
        if (json_object_set(*cat, k, v) < 0) {
            rc = sm_err_set(&load_err, SM_E_NOMEM, a->path, "out of memory");
            goto out;
        }
    }
out:
    json_decref(j);
    return rc;
}

/* The catalog of a language is web/i18n/LANG.json merged with every web/i18n/LANG-*.json
 * (one file per feature, e.g. ja-account.json), so features keep their messages apart. */
static int load_one(int i)
{
    char path[64], prefix[64];
    snprintf(path, sizeof path, "web/i18n/%s.json", i18n_langs[i]);
    snprintf(prefix, sizeof prefix, "web/i18n/%s-", i18n_langs[i]);
    const struct asset *a = asset_get(path);
    if (a == NULL)
        return sm_err_set(&load_err, SM_E_CONFIG, path, "catalog %s is not embedded", path);
    json_t *cat = NULL;
    int rc = merge_file(a, &cat);
    size_t plen = strlen(prefix);
    for (const struct asset *x = asset_table; rc == 0 && x->path != NULL; x++) {
        size_t n = strlen(x->path);
        if (strncmp(x->path, prefix, plen) == 0 && n > plen + 5 &&
            strcmp(x->path + n - 5, ".json") == 0)
            rc = merge_file(x, &cat);
    }
    if (rc < 0) {
        json_decref(cat);
        return rc;
    }
    catalogs[i] = cat;
    return 0;
}

static void load_all(void)
{
    for (int i = 0; i < NLANGS && load_rc == 0; i++)
        load_rc = load_one(i);
}

int i18n_init(struct sm_err *e)
{
    pthread_once(&once, load_all);
    if (load_rc < 0 && e != NULL)
        *e = load_err;
    return load_rc;
}

static int lang_index(const char *lang)
{
    for (int i = 0; lang != NULL && i < NLANGS; i++)
        if (strcmp(lang, i18n_langs[i]) == 0)
            return i;
    return -1;
}

const json_t *i18n_catalog(const char *lang)
{
    int i = lang_index(lang);
    if (i < 0 || i18n_init(NULL) < 0)
        return NULL;
    return catalogs[i];
}

const char *i18n_get(const char *lang, const char *key)
{
    const json_t *c = i18n_catalog(lang);
    if (c == NULL || key == NULL)
        return NULL;
    return json_string_value(json_object_get(c, key));
}

const char *i18n_text(const char *lang, const char *key)
{
    const char *s = i18n_get(lang, key);
    if (s == NULL)
        s = i18n_get(I18N_DEFAULT, key);
    return s ? s : key;
}

int i18n_format(struct buf *out, const char *lang, const char *key, const char *field)
{
    static const char mark[] = "{field}";
    const char *s = i18n_text(lang, key);
    for (;;) {
        const char *m = strstr(s, mark);
        int rc = buf_append(out, s, m ? (size_t)(m - s) : strlen(s));
        if (rc < 0 || m == NULL)
            return rc;
        if ((rc = buf_puts(out, field ? field : "")) < 0)
            return rc;
        s = m + sizeof mark - 1;
    }
}

const char *i18n_lang(const char *s)
{
    int i = lang_index(s);
    return i < 0 ? NULL : i18n_langs[i];
}

/* Parses one q-value ("1", "0.8", "0.125") at p into thousandths; -1 when malformed. */
static int parse_q(const char *p, size_t n)
{
    if (n == 0 || n > 5 || (p[0] != '0' && p[0] != '1'))
        return -1;
    int v = (p[0] - '0') * 1000;
    if (n == 1)
        return v;
    if (p[1] != '.')
        return -1;
    int scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v += (p[i] - '0') * scale;
    }
    return v > 1000 ? -1 : v;
}

/* Picks the supported language with the highest q; ties go to the first listed. */
static const char *from_accept(const char *h)
{
    const char *best = NULL;
    int best_q = 0;
    const char *p = h;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *tag = p;
        while (*p && *p != ';' && *p != ',' && *p != ' ')
            p++;
        size_t tag_len = (size_t)(p - tag);
        int q = 1000;
        while (*p == ' ')
            p++;
        while (*p == ';') { /* parameters; only q matters */
            p++;
            while (*p == ' ')
                p++;
            const char *par = p;
            while (*p && *p != ';' && *p != ',')
                p++;
            size_t plen = (size_t)(p - par);
            while (plen > 0 && par[plen - 1] == ' ')
                plen--;
            if (plen >= 2 && (par[0] == 'q' || par[0] == 'Q') && par[1] == '=')
                q = parse_q(par + 2, plen - 2);
        }
        if (tag_len == 0 && *p == '\0')
            break;
        size_t primary = 0;
        while (primary < tag_len && tag[primary] != '-')
            primary++;
        for (int i = 0; i < NLANGS && q > best_q; i++) {
            if (primary == strlen(i18n_langs[i]) && strncasecmp(tag, i18n_langs[i], primary) == 0) {
                best = i18n_langs[i];
                best_q = q;
            }
        }
        while (*p && *p != ',')
            p++;
    }
    return best;
}

const char *i18n_choose(const char *query, const char *cookie, const char *accept_language)
{
    const char *l = i18n_lang(query);
    if (l == NULL)
        l = i18n_lang(cookie);
    if (l == NULL && accept_language != NULL)
        l = from_accept(accept_language);
    return l ? l : I18N_DEFAULT;
}
