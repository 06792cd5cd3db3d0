/* SPDX-License-Identifier: MIT */
/* Syntax checks of single application fields (R-APP-4): postal code, phone number, e-mail
 * address, kana, character counts of UTF-8 text, the 12-digit company registration number
 * (会社法人等番号) and the 13-digit corporate number (法人番号) with its check digit,
 * prefectures, legal-entity types. Pure functions: no allocation, no I/O. Used by
 * ra/appform.c, which turns their results into per-field errors. */
#ifndef SM_FIELD_H
#define SM_FIELD_H
#include <stddef.h>

/* Number of Unicode characters of UTF-8 text, or -1 when s is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
long field_chars(const char *s);
/* 1 if s holds a C0/C1 control character or DEL (allow_newlines: CR, LF, TAB allowed). */
int field_has_control(const char *s, int allow_newlines);
/* 1 if s is non-empty printable ASCII (0x20..0x7e) only. */
int field_ascii_printable(const char *s);

/* 1 if s is "NNN-NNNN"; "NNNNNNN" is accepted too and norm (>= 9 bytes, may be NULL)
 * gets the hyphenated form. */
int field_postal(const char *s, char *norm);
/* 1 if s is a Japanese phone number: ASCII digits with single hyphens between groups,
 * 10 or 11 digits, starting with 0. */
int field_phone(const char *s);
/* 1 if s is non-empty and only hiragana, katakana (full-width, with ー・ and the voicing
 * marks) and spaces (ASCII or U+3000). Half-width katakana is refused. */
int field_kana(const char *s);

/* 1 if the 13 ASCII digits d carry a valid corporate-number check digit: d[0] ==
 * 9 - (sum over n = 1..12 of Pn * Qn) mod 9, where Pn is the n-th digit of d[1..12]
 * counted from the right and Qn is 1 for odd n, 2 for even n (National Tax Agency). */
int field_corpnum_valid(const char *d);
enum field_regno {
    FIELD_REGNO_OK = 0,
    FIELD_REGNO_FORMAT = -1,      /* not 12 or 13 digits (hyphens and spaces ignored) */
    FIELD_REGNO_CHECK_DIGIT = -2, /* 13 digits with a wrong check digit */
};
/* Normalizes a company registration number: 12 digits as they are, or a 13-digit
 * corporate number whose check digit verifies, with the check digit dropped. ASCII
 * hyphens and spaces between digits are ignored ("1234-00-123456"). out gets 12 digits
 * + NUL (13 bytes). */
int field_regno(const char *s, char out[13]);

/* 1 if s is one of the 47 prefectures in Japanese (e.g. "東京都"). */
int field_prefecture(const char *s);
/* The i-th prefecture in the usual north-to-south order (for pickers); NULL for
 * i >= FIELD_PREFECTURES. */
#define FIELD_PREFECTURES 47
const char *field_prefecture_name(size_t i);

/* Legal-entity types (法人格) as listed in the application guide, in order, plus the two
 * that applications name in order to be refused or checked: "任意団体" (voluntary
 * association, never eligible) and "個人事業主" (sole proprietor). */
enum field_entity_kind {
    FIELD_ENTITY_UNKNOWN = 0,
    FIELD_ENTITY_ORG,
    FIELD_ENTITY_VOLUNTARY,
    FIELD_ENTITY_PROPRIETOR
};
struct field_entity {
    const char *name_ja;
    const char *name_en;
    int in_name; /* 1: the registered name must contain it (e.g. 株式会社) */
};
const struct field_entity *field_entity_types(size_t *n);
/* Kind of a legal-entity type; *def (may be NULL) gets its table row when known. */
int field_entity(const char *s, const struct field_entity **def);

#endif
