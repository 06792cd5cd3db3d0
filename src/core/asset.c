/* SPDX-License-Identifier: MIT */
/* Lookup in the generated asset table. */
#include <string.h>

#include "core/asset.h"

const struct asset *asset_get(const char *path)
{
    for (const struct asset *a = asset_table; a->path != NULL; a++)
        if (strcmp(a->path, path) == 0)
            return a;
    return NULL;
}
