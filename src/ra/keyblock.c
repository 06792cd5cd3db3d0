/* SPDX-License-Identifier: MIT */
/* See keyblock.h. */
#include <stddef.h>

#include "ra/keyblock.h"
#include "store/keyblock.h"

int ra_keyblock_lookup(void *db, const unsigned char spki_sha256[32], const char *spki_hex)
{
    (void)spki_sha256;
    int found = 0;
    struct sm_err e = {0};
    if (db == NULL || keyblock_has(db, spki_hex, &found, &e) < 0)
        return -1;
    return found;
}
