/* SPDX-License-Identifier: MIT */
/* GET /static/NAME: embedded files of web/static (CSS, JS, icons), by a fixed list of
 * extensions; anything else is 404. */
#include <stdio.h>
#include <string.h>

#include "core/asset.h"
#include "web/handlers.h"

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t l = strlen(types[i].ext);
        if (n > l && strcmp(name + n - l, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

static int safe_name(const char *s)
{
    if (s[0] == '.' || s[0] == '\0')
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.'))
            return 0;
    return 1;
}

void h_static(struct req *r)
{
    const char *name = req_param(r, "name");
    char path[320];
    const char *type = name && safe_name(name) ? type_of(name) : NULL;
    int n = type ? snprintf(path, sizeof path, "web/static/%s", name) : -1;
    const struct asset *a = n > 0 && (size_t)n < sizeof path ? asset_get(path) : NULL;
    if (a == NULL) {
        http_reply_error(r, 404, "web.notfound", NULL);
        return;
    }
    http_reply_static(r, 200, type, a->data, a->len);
}
