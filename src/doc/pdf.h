/* SPDX-License-Identifier: MIT */
/* Business documents as PDF (R-QUO-1 quotes, R-PAY-1 invoices): one A4 page laid out as a
 * Japanese 御見積書 or 請求書 (recipient with 御中, issuer block with a seal area, number,
 * date, validity or due date, item lines, subtotal, consumption tax per rate, total), drawn
 * with cairo and pango in Noto Sans CJK JP, the font embedded. Plain values in, PDF bytes
 * out: no database, no arithmetic (the amounts come from ra/price). */
#ifndef SM_DOC_PDF_H
#define SM_DOC_PDF_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

enum pdf_kind { PDF_QUOTE = 0, PDF_INVOICE };

struct pdf_line {
    const char *desc; /* product name and detail */
    int64_t qty;
    int64_t unit;   /* yen, tax excluded */
    int64_t amount; /* yen, tax excluded */
};

struct pdf_rate {
    int rate_pct;
    int64_t base, tax; /* yen */
};

#define PDF_LINES_MAX 40

struct pdf_doc {
    enum pdf_kind kind;
    const char *number;    /* Q-... or BILL-... */
    const char *date;      /* "2026年12月2日" */
    const char *valid;     /* quote: valid until; invoice: payment due (may be "") */
    const char *recipient; /* organization; " 御中" is added */
    const char *subject;   /* 件名 (may be "") */
    const char *issuer_name, *issuer_address, *issuer_phone;
    const char *issuer_regno; /* "T" + 13 digits (registration number) */
    const struct pdf_line *lines;
    size_t nlines; /* 1..PDF_LINES_MAX */
    const struct pdf_rate *rates;
    size_t nrates;
    int64_t subtotal, tax, total;
    const char *notes; /* bank account, remarks (may be ""); newlines kept */
};

/* Appends the PDF of d to out. 0, -SM_E_INVALID (no lines, too many), -SM_E_NOMEM or
 * -SM_E_INTERNAL when cairo fails. */
int pdf_render(const struct pdf_doc *d, struct buf *out, struct sm_err *e);
/* "1,234,567" of v (negative with a leading '-') into out. */
void pdf_yen(int64_t v, char *out, size_t n);

#endif
