/* SPDX-License-Identifier: MIT */
/* libFuzzer target for request bodies (web/form): urlencoded and multipart bodies of any
 * bytes must parse or fail cleanly; every parsed text field is valid UTF-8 without NUL. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks the content type, as a client could send any of them. */
    static const char *const types[] = {
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xYz",
        "multipart/form-data; boundary=\"a b\"",
        "multipart/form-data",
        "text/plain",
    };
    if (size == 0)
        return 0;
    const char *type = types[data[0] % (sizeof types / sizeof types[0])];
    struct form f;
    memset(&f, 0, sizeof f);
    if (form_parse(&f, type, (const char *)data + 1, size - 1, NULL) == 0) {
        for (int i = 0; i < f.n; i++) {
            if (f.f[i].name == NULL || !form_utf8_valid(f.f[i].name, strlen(f.f[i].name)))
                abort();
            if (f.f[i].filename == NULL && !form_utf8_valid(f.f[i].value, f.f[i].len))
                abort();
        }
        (void)form_get(&f, "csrf");
    }
    form_free(&f);
    return 0;
}
