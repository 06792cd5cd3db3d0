/* SPDX-License-Identifier: MIT */
/* Message catalogs (ja, en) compiled in from web/i18n/LANG.json: flat objects of
 * key -> string. Chooses the page language: ?lang=, then the lang cookie, then
 * Accept-Language, default ja. Holds no per-request state; safe from any thread. */
#ifndef SM_WEB_I18N_H
#define SM_WEB_I18N_H
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define I18N_DEFAULT "ja"

/* Parses the embedded catalogs once (thread-safe). 0, or -SM_E_CONFIG when a catalog is
 * missing or not a flat object of strings (e names the file). Every other function calls it. */
int i18n_init(struct sm_err *e);

/* The message for key in lang ("ja" or "en"), or NULL when either is unknown. */
const char *i18n_get(const char *lang, const char *key);
/* Like i18n_get, but falls back to the default language and then to the key itself. */
const char *i18n_text(const char *lang, const char *key);

/* Appends the message for key with every "{field}" replaced by field (may be NULL = "").
 * 0 or a negative buf error. */
int i18n_format(struct buf *out, const char *lang, const char *key, const char *field);

/* Returns the static string "ja" or "en" when s names a supported language, else NULL. */
const char *i18n_lang(const char *s);
/* The language of a request: query (?lang=), then cookie, then Accept-Language, then ja.
 * Each argument may be NULL. Returns a static string. */
const char *i18n_choose(const char *query, const char *cookie, const char *accept_language);

/* The whole catalog of lang as a borrowed object (for tests), or NULL. */
const json_t *i18n_catalog(const char *lang);
/* Supported languages, NULL-terminated. */
extern const char *const i18n_langs[];

#endif
