/* SPDX-License-Identifier: MIT */
/* The INI configuration of a data directory (DIR/shomei.ini), read with inih.
 * Every known setting is a row in config.c's table with its default and its
 * documentation; config_write_default() writes that table as the commented file.
 * Unknown sections or keys are an error, so a typo never passes silently. */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct config;

/* Loads DIR/shomei.ini. The caller frees with config_free(). */
int config_load(const char *dir, struct config **out, struct sm_err *e);
/* A config with every default (for tests and init); dir is remembered. */
struct config *config_defaults(const char *dir);
void config_free(struct config *c);

/* Returns the value (the default when unset); never NULL for a known key.
 * Asking for an unknown key is a programming error and returns "". An empty [server]
 * base_url reads as http://BIND:PORT of the current [server] bind and port (https:// with
 * [server] tls_cert; so it follows serve --port); the string lives as long as c and
 * changes with config_set. */
const char *config_str(const struct config *c, const char *section, const char *key);
/* 1 when [server] base_url was given (file or config_set), 0 when it follows the port. */
int config_base_url_explicit(const struct config *c);
/* Parses an integer setting within [min, max]; on error fills e naming section.key. */
int config_int(const struct config *c, const char *section, const char *key, int64_t min,
               int64_t max, int64_t *out, struct sm_err *e);
int config_bool(const struct config *c, const char *section, const char *key);
/* Overrides a value in memory (command-line flags, tests). 0 or -SM_E_NOMEM/-SM_E_INVALID. */
int config_set(struct config *c, const char *section, const char *key, const char *value);
const char *config_dir(const struct config *c);

/* [testing] not_for_production: 1 when this data directory allows the test relaxations
 * (own trust anchors, the test. zone, DCV ports other than 80, loopback and private
 * validation targets). Every relaxation checks it through config_test_only(). */
int config_not_for_production(const struct config *c);
/* The one gate of a relaxation: 0 under not_for_production, else SM_E_CONFIG naming
 * [section] key and the setting it needs. Call it only when the relaxation is asked for. */
int config_test_only(const struct config *c, const char *section, const char *key,
                     struct sm_err *e);
/* Joins the data directory and a relative path into out; absolute paths stay. */
int config_path(const struct config *c, const char *rel, char *out, size_t n);

/* Writes the documented default file to path with O_EXCL (refuses to overwrite).
 * overrides: NULL-terminated list of "section.key", "value" pairs, may be NULL. */
int config_write_default(const char *path, const char *const *overrides, struct sm_err *e);

#endif
