/* SPDX-License-Identifier: MIT */
/* Small text rules with one home (issue 7 item 4): lower-case hex, ASCII digits, writing a
 * whole buffer to a file descriptor, and the syntax of an e-mail address. No allocation,
 * no locale (isdigit/isxdigit depend on it; these never do). */
#ifndef SM_CORE_TEXT_H
#define SM_CORE_TEXT_H
#include <stddef.h>

/* Lower-case hex of in[0..n): out needs 2n+1 bytes and is NUL-terminated. */
void text_hex(char *out, const unsigned char *in, size_t n);
/* Decodes exactly 2*n hex digits (either case) of hex into out[0..n). 0, or -1 when hex is
 * not 2*n hex digits long. */
int text_unhex(unsigned char *out, size_t n, const char *hex);
/* Decodes the 2*n lower-case hex digits at hex (read as they are, no NUL needed: a field
 * inside a line) into out[0..n). 0, or -1 at the first other character. */
int text_unhex_lower(unsigned char *out, size_t n, const char *hex);
/* The value 0..15 of the hex digit c (either case), or -1. */
int text_hex_value(int c);
/* The two base64 alphabets of RFC 4648: standard (digits 62, 63: + /) and url (- _). */
enum text_b64 { TEXT_B64_STD, TEXT_B64_URL };
/* The 64 digits of alphabet a in order (for an encoder). */
const char *text_b64_digits(enum text_b64 a);
/* The value 0..63 of the base64 digit c in alphabet a, or -1 (the padding '=' too). */
int text_b64_value(int c, enum text_b64 a);
/* 1 if s is exactly len lower-case hex digits (a stored digest). */
int text_is_lower_hex(const char *s, size_t len);

/* 1 if a and b are both NULL or the same string. */
int text_same(const char *a, const char *b);

/* 1 if c is an ASCII digit 0-9. */
int text_is_digit(int c);
/* 1 if s is non-empty and holds only ASCII digits. */
int text_is_digits(const char *s);
/* 1 if the n characters s[0..n) are ASCII digits (a fixed-width field such as a postal
 * code part; n = 0 gives 1). */
int text_digits_n(const char *s, size_t n);
/* The value of the n ASCII digits s[0..n) (a date field: "2026", "09"; n <= 9) in *out.
 * 0, or -1 when one is not a digit. */
int text_digits_value(const char *s, size_t n, int *out);

/* 1 if c is an RFC 5322 atext character (letters, digits, !#$%&'*+-/=?^_`{|}~): the
 * characters of a dot-atom and of a plain header word. */
int text_is_atext(int c);

/* Writes all n bytes of p to fd, again after EINTR and short writes. 0, or -1 (errno set;
 * a write of 0 bytes counts as EIO). */
int write_all(int fd, const void *p, size_t n);

/* The one e-mail address syntax of the product (accounts, application contacts, the
 * mail queue, SMTP envelopes). RFC 5321 limits: local part at most 64 octets (4.5.3.1.1),
 * domain at most 255 (4.5.3.1.2), the whole address at most 254 (a path of 256 octets
 * less its angle brackets, 4.5.3.1.3). Local part: a dot-atom of atext (RFC 5322 3.2.3;
 * no quoted strings, no leading, trailing or double dots). Domain: at least two labels
 * of letters, digits and hyphens (1..63, no hyphen at either end) with an alphabetic
 * top-level label; no address literals. Printable ASCII only, so no CR, LF, spaces or
 * brackets reach a mail header. 1 if a is acceptable.
 * flags TEXT_EMAIL_LOCAL_DOMAIN: also a single-label domain of letters, digits and hyphens
 * ("shomei@localhost", the default sender): for the mail transport and operator settings,
 * never for an address a user gives. */
#define TEXT_EMAIL_MAX          254
#define TEXT_EMAIL_LOCAL_MAX    64
#define TEXT_EMAIL_LOCAL_DOMAIN 1u
int text_email_ok(const char *a, unsigned flags);

#endif
