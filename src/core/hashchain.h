/* SPDX-License-Identifier: MIT */
/* One link of a SHA-256 hash chain: hash = hex(SHA-256(prev_hex || fields)), where each
 * field is encoded as a netstring "<decimal byte length>:<bytes>," so that no two field
 * lists encode alike. Pure computation: no I/O, no database. */
#ifndef SM_HASHCHAIN_H
#define SM_HASHCHAIN_H
#include <stddef.h>

#define HASHCHAIN_HEX 65 /* 64 lowercase hex digits + NUL */

struct hashchain_field {
    const void *p;
    size_t n;
};

/* The prev_hex of the first link: 64 '0' characters. */
extern const char hashchain_genesis[HASHCHAIN_HEX];

/* Computes the next link into out. prev_hex must be 64 characters. 0 or -SM_E_CRYPTO
 * (or -SM_E_INVALID when prev_hex has the wrong length). */
int hashchain_next(const char *prev_hex, const struct hashchain_field *fields, size_t nfields,
                   char out[HASHCHAIN_HEX]);

#endif
