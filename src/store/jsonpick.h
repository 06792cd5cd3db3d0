/* SPDX-License-Identifier: MIT */
/* Strings out of an order's JSON documents (applicant, contact, billing) for the
 * certificate list and its CSV export, in one pass over the text and without allocating:
 * the export reads 15 values of three documents for each of 100,000 rows, which SQL's
 * json_valid/json_extract did by parsing each document once per value. The rules are
 * json_extract's under json_valid: a document that is not valid JSON (RFC 8259) gives
 * nothing; a path gives its value only when that is a string (escapes decoded; the first
 * of duplicate keys); anything else gives "". Store-internal. */
#ifndef SM_JSONPICK_H
#define SM_JSONPICK_H
#include <stddef.h>

struct jsonpick {
    const char *k1, *k2; /* the path: top-level key, then (NULL: none) a key inside it */
    char *out;           /* receives the string, cut to n - 1 bytes; "" when none */
    size_t n;            /* >= 1 */
};

/* Fills every p[i].out from the document s (len bytes; NULL = none). 0, or -1 when s is
 * not valid JSON (every out then ""). */
int jsonpick(const char *s, size_t len, struct jsonpick *p, int np);

#endif
