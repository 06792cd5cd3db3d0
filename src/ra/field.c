/* SPDX-License-Identifier: MIT */
/* Single-field syntax checks for applications (R-APP-4). See field.h. */
#include <stdint.h>
#include <string.h>

#include "core/text.h"
#include "ra/field.h"

/* Decodes one UTF-8 sequence at s; returns its length and sets *cp, or 0 when invalid. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* also stops at the NUL terminator */
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

long field_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p != '\0') {
        uint32_t cp;
        size_t k = utf8_next(p, &cp);
        if (k == 0)
            return -1;
        p += k;
        n++;
    }
    return n;
}

int field_has_control(const char *s, int allow_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp;
        size_t k = utf8_next(p, &cp);
        if (k == 0)
            return 1; /* invalid UTF-8 is refused with the control characters */
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            if (!(allow_newlines && (cp == '\n' || cp == '\r' || cp == '\t')))
                return 1;
        }
        p += k;
    }
    return 0;
}

int field_ascii_printable(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

int field_postal(const char *s, char *norm)
{
    size_t n = strlen(s);
    int ok = (n == 8 && text_digits_n(s, 3) && s[3] == '-' && text_digits_n(s + 4, 4)) ||
             (n == 7 && text_digits_n(s, 7));
    if (ok && norm != NULL) {
        memcpy(norm, s, 3);
        norm[3] = '-';
        memcpy(norm + 4, s + (n == 8 ? 4 : 3), 4);
        norm[8] = '\0';
    }
    return ok;
}

int field_phone(const char *s)
{
    size_t digits = 0;
    int prev_hyphen = 1; /* no leading hyphen */
    if (s[0] != '0')
        return 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (text_is_digit((unsigned char)*p)) {
            digits++;
            prev_hyphen = 0;
        } else if (*p == '-' && !prev_hyphen) {
            prev_hyphen = 1;
        } else {
            return 0;
        }
    }
    return !prev_hyphen && (digits == 10 || digits == 11);
}

static int kana_cp(uint32_t c)
{
    return (c >= 0x3041 && c <= 0x3096) || /* hiragana */
           (c >= 0x3099 && c <= 0x309f) || /* voicing marks, ゝゞゟ */
           (c >= 0x30a0 && c <= 0x30ff) || /* katakana with ・ ー ヽヾヿ */
           c == 0x20 || c == 0x3000;
}

int field_kana(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (*p == '\0')
        return 0;
    while (*p != '\0') {
        uint32_t cp;
        size_t k = utf8_next(p, &cp);
        if (k == 0 || !kana_cp(cp))
            return 0;
        p += k;
    }
    return 1;
}

int field_corpnum_valid(const char *d)
{
    if (strlen(d) != 13 || !text_digits_n(d, 13))
        return 0;
    int sum = 0;
    for (int n = 1; n <= 12; n++) {
        int pn = d[13 - n] - '0'; /* n-th digit of d[1..12] from the right */
        sum += pn * (n % 2 == 1 ? 1 : 2);
    }
    return d[0] - '0' == 9 - sum % 9;
}

int field_regno(const char *s, char out[13])
{
    char d[14];
    size_t n = 0;
    int prev_sep = 1;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == 13)
                return FIELD_REGNO_FORMAT;
            d[n++] = *p;
            prev_sep = 0;
        } else if ((*p == '-' || *p == ' ') && !prev_sep) {
            prev_sep = 1;
        } else {
            return FIELD_REGNO_FORMAT;
        }
    }
    if (prev_sep && n > 0)
        return FIELD_REGNO_FORMAT; /* trailing separator */
    d[n] = '\0';
    if (n == 12) {
        memcpy(out, d, 13);
        return FIELD_REGNO_OK;
    }
    if (n != 13)
        return FIELD_REGNO_FORMAT;
    if (!field_corpnum_valid(d))
        return FIELD_REGNO_CHECK_DIGIT;
    memcpy(out, d + 1, 13);
    return FIELD_REGNO_OK;
}

static const char *const prefectures[FIELD_PREFECTURES] = {
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県",   "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",   "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県",   "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"};

const char *field_prefecture_name(size_t i)
{
    return i < FIELD_PREFECTURES ? prefectures[i] : NULL;
}

int field_prefecture(const char *s)
{
    for (size_t i = 0; i < FIELD_PREFECTURES; i++)
        if (strcmp(s, prefectures[i]) == 0)
            return 1;
    return 0;
}

/* The guide's list (法人格の記載例), then the two special cases. */
static const struct field_entity entities[] = {
    {"株式会社", "Kabushiki Kaisha", 1},
    {"有限会社", "Yugen Kaisha", 1},
    {"社団法人", "Incorporated association", 1},
    {"財団法人", "Incorporated foundation", 1},
    {"学校法人", "School corporation", 1},
    {"医療法人", "Medical corporation", 1},
    {"医療法人社団", "Medical corporation (association)", 1},
    {"特定非営利活動法人", "Specified nonprofit corporation (NPO)", 1},
    {"有限責任中間法人", "Limited liability intermediate corporation", 1},
    {"中央省庁", "Central government ministry or agency", 0},
    {"地方公共団体", "Local public entity", 0},
    {"国立大学法人", "National university corporation", 1},
    {"独立行政法人", "Incorporated administrative agency", 1},
    {"国家資格取得", "Holder of a national qualification", 0},
    {"協同組合", "Cooperative", 1},
    {"協同組合連合会", "Federation of cooperatives", 1},
    {"商工連合会", "Federation of commerce and industry", 0},
    {"協議会", "Council", 0},
    {"公団", "Public corporation (kodan)", 0},
    {"公共団体", "Public body", 0},
    {"その他法人", "Other corporation", 0},
    {"その他組合", "Other association", 0},
    {"その他団体", "Other body", 0},
    {"その他公共機関", "Other public institution", 0},
    {"任意団体", "Voluntary association", 0},
    {"個人事業主", "Sole proprietor", 0},
};

const struct field_entity *field_entity_types(size_t *n)
{
    *n = sizeof entities / sizeof entities[0];
    return entities;
}

int field_entity(const char *s, const struct field_entity **def)
{
    size_t n = sizeof entities / sizeof entities[0];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, entities[i].name_ja) != 0)
            continue;
        if (def != NULL)
            *def = &entities[i];
        if (strcmp(s, "任意団体") == 0)
            return FIELD_ENTITY_VOLUNTARY;
        if (strcmp(s, "個人事業主") == 0)
            return FIELD_ENTITY_PROPRIETOR;
        return FIELD_ENTITY_ORG;
    }
    return FIELD_ENTITY_UNKNOWN;
}
