/* SPDX-License-Identifier: MIT */
/* One-page A4 quote or invoice (see pdf.h), drawn with cairo and laid out with pango. The
 * font is Noto Sans CJK JP through fontconfig; cairo embeds the glyphs it uses. */
#include "doc/pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#include "core/dynlib.h"

#define PAGE_W 595.28 /* A4 in points */
#define PAGE_H 841.89
#define MARGIN 48.0
#define FONT   "Noto Sans CJK JP"

/* pango and cairo (with glib, harfbuzz, fontconfig, ...: ~30 libraries) are loaded when the
 * first PDF is drawn (core/dynlib.h), not when a process starts. */
#define PDF_LIB "libpangocairo-1.0.so.0" /* the libraries it needs bring cairo and gobject */
#define PDF_FUNCS(X)                                                                               \
    X(cairo_create)                                                                                \
    X(cairo_destroy)                                                                               \
    X(cairo_fill)                                                                                  \
    X(cairo_line_to)                                                                               \
    X(cairo_move_to)                                                                               \
    X(cairo_pdf_surface_create_for_stream)                                                         \
    X(cairo_pdf_surface_set_metadata)                                                              \
    X(cairo_rectangle)                                                                             \
    X(cairo_set_dash)                                                                              \
    X(cairo_set_line_width)                                                                        \
    X(cairo_set_source_rgb)                                                                        \
    X(cairo_show_page)                                                                             \
    X(cairo_status)                                                                                \
    X(cairo_status_to_string)                                                                      \
    X(cairo_stroke)                                                                                \
    X(cairo_surface_destroy)                                                                       \
    X(cairo_surface_finish)                                                                        \
    X(cairo_surface_status)                                                                        \
    X(g_object_unref)                                                                              \
    X(pango_cairo_create_layout)                                                                   \
    X(pango_cairo_show_layout)                                                                     \
    X(pango_font_description_free)                                                                 \
    X(pango_font_description_from_string)                                                          \
    X(pango_font_description_set_absolute_size)                                                    \
    X(pango_font_description_set_weight)                                                           \
    X(pango_layout_get_pixel_size)                                                                 \
    X(pango_layout_set_alignment)                                                                  \
    X(pango_layout_set_font_description)                                                           \
    X(pango_layout_set_text)                                                                       \
    X(pango_layout_set_width)                                                                      \
    X(pango_layout_set_wrap)

static struct pdf_fns {
    PDF_FUNCS(DYNLIB_FIELD)
} L;
DYNLIB_DEFINE(lib, PDF_LIB, PDF_FUNCS, L);

enum align { LEFT, RIGHT, CENTER };

void pdf_yen(int64_t v, char *out, size_t n)
{
    char digits[32];
    int neg = v < 0;
    unsigned long long u = neg ? (unsigned long long)(-(v + 1)) + 1u : (unsigned long long)v;
    snprintf(digits, sizeof digits, "%llu", u);
    size_t len = strlen(digits), o = 0;
    if (n == 0)
        return;
    if (neg && o + 1 < n)
        out[o++] = '-';
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 1 < n)
            out[o++] = ',';
        if (o + 1 < n)
            out[o++] = digits[i];
    }
    out[o] = '\0';
}

struct pen {
    cairo_t *cr;
    PangoLayout *lay;
};

/* Draws s at (x, y) in a box w wide (0 = no wrapping) with the alignment; returns the
 * height drawn. */
static double text(struct pen *p, double x, double y, double w, enum align a, double size, int bold,
                   const char *s)
{
    PangoFontDescription *fd = L.pango_font_description_from_string(FONT);
    L.pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    L.pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    L.pango_layout_set_font_description(p->lay, fd);
    L.pango_font_description_free(fd);
    L.pango_layout_set_text(p->lay, s ? s : "", -1);
    if (w > 0) {
        L.pango_layout_set_width(p->lay, (int)(w * PANGO_SCALE));
        L.pango_layout_set_wrap(p->lay, PANGO_WRAP_WORD_CHAR);
        L.pango_layout_set_alignment(p->lay, a == RIGHT    ? PANGO_ALIGN_RIGHT
                                             : a == CENTER ? PANGO_ALIGN_CENTER
                                                           : PANGO_ALIGN_LEFT);
    } else {
        L.pango_layout_set_width(p->lay, -1);
        L.pango_layout_set_alignment(p->lay, PANGO_ALIGN_LEFT);
    }
    int pw, ph;
    L.pango_layout_get_pixel_size(p->lay, &pw, &ph);
    L.cairo_move_to(p->cr, x, y);
    L.pango_cairo_show_layout(p->cr, p->lay);
    return ph;
}

static void line(cairo_t *cr, double x0, double y0, double x1, double y1, double width)
{
    L.cairo_set_line_width(cr, width);
    L.cairo_move_to(cr, x0, y0);
    L.cairo_line_to(cr, x1, y1);
    L.cairo_stroke(cr);
}

static cairo_status_t sink(void *arg, const unsigned char *data, unsigned int len)
{
    return buf_append(arg, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

static void yen_text(int64_t v, const char *prefix, const char *suffix, char *out, size_t n)
{
    char num[32];
    pdf_yen(v, num, sizeof num);
    snprintf(out, n, "%s%s%s", prefix, num, suffix);
}

/* The head: title, number and dates, recipient, lead and total; issuer block and seal. */
static double head(struct pen *p, const struct pdf_doc *d)
{
    cairo_t *cr = p->cr;
    int q = d->kind == PDF_QUOTE;
    double y = MARGIN;
    text(p, MARGIN, y, PAGE_W - 2 * MARGIN, CENTER, 24, 1, q ? "御　見　積　書" : "請　求　書");
    y += 44;
    char buf[256];
    double rx = PAGE_W - MARGIN - 200;
    snprintf(buf, sizeof buf, "%s %s", q ? "見積番号" : "請求書番号", d->number);
    text(p, rx, y, 200, RIGHT, 9, 0, buf);
    snprintf(buf, sizeof buf, "%s %s", q ? "見積日" : "発行日", d->date);
    text(p, rx, y + 14, 200, RIGHT, 9, 0, buf);
    if (d->valid != NULL && d->valid[0] != '\0') {
        snprintf(buf, sizeof buf, "%s %s", q ? "有効期限" : "お支払期限", d->valid);
        text(p, rx, y + 28, 200, RIGHT, 9, 0, buf);
    }
    /* recipient */
    double ly = y + 10;
    snprintf(buf, sizeof buf, "%s　御中", d->recipient ? d->recipient : "");
    double h = text(p, MARGIN, ly, 250, LEFT, 15, 1, buf);
    line(cr, MARGIN, ly + h + 3, MARGIN + 250, ly + h + 3, 0.8);
    ly += h + 14;
    if (d->subject != NULL && d->subject[0] != '\0') {
        snprintf(buf, sizeof buf, "件名：%s", d->subject);
        ly += text(p, MARGIN, ly, 250, LEFT, 9.5, 0, buf) + 4;
    }
    ly += text(p, MARGIN, ly, 250, LEFT, 9.5, 0,
               q ? "下記の通り御見積申し上げます。" : "下記の通りご請求申し上げます。") +
          10;
    /* the amount box */
    L.cairo_set_source_rgb(cr, 0.93, 0.95, 0.98);
    L.cairo_rectangle(cr, MARGIN, ly, 250, 34);
    L.cairo_fill(cr);
    L.cairo_set_source_rgb(cr, 0, 0, 0);
    L.cairo_rectangle(cr, MARGIN, ly, 250, 34);
    L.cairo_set_line_width(cr, 1.0);
    L.cairo_stroke(cr);
    text(p, MARGIN + 8, ly + 9, 0, LEFT, 11, 1, q ? "御見積金額" : "ご請求金額");
    yen_text(d->total, "¥", "-（税込）", buf, sizeof buf);
    text(p, MARGIN + 76, ly + 8, 166, RIGHT, 13, 1, buf);
    ly += 34;
    /* issuer, with the seal area at its right */
    double ix = PAGE_W - MARGIN - 222, iy = y + 52;
    double iy0 = iy;
    iy += text(p, ix, iy, 160, LEFT, 11, 1, d->issuer_name) + 3;
    iy += text(p, ix, iy, 160, LEFT, 8.5, 0, d->issuer_address) + 2;
    if (d->issuer_phone != NULL && d->issuer_phone[0] != '\0') {
        snprintf(buf, sizeof buf, "TEL %s", d->issuer_phone);
        iy += text(p, ix, iy, 160, LEFT, 8.5, 0, buf) + 2;
    }
    snprintf(buf, sizeof buf, "登録番号 %s", d->issuer_regno ? d->issuer_regno : "");
    iy += text(p, ix, iy, 170, LEFT, 8.5, 0, buf);
    double sx = PAGE_W - MARGIN - 60, sy = iy0;
    L.cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    L.cairo_set_dash(cr, (const double[]){3, 2}, 2, 0);
    L.cairo_rectangle(cr, sx, sy, 60, 60);
    L.cairo_set_line_width(cr, 0.8);
    L.cairo_stroke(cr);
    L.cairo_set_dash(cr, NULL, 0, 0);
    text(p, sx, sy + 22, 60, CENTER, 10, 0, "印");
    L.cairo_set_source_rgb(cr, 0, 0, 0);
    return (ly > iy ? ly : iy) + 24;
}

struct trow {
    const char *label;
    int64_t v;
    int bold;
};

static double table(struct pen *p, const struct pdf_doc *d, double y)
{
    cairo_t *cr = p->cr;
    const double x0 = MARGIN, x1 = PAGE_W - MARGIN;
    const double cq = x0 + 290, cu = cq + 50, ca = cu + 80; /* column starts */
    L.cairo_set_source_rgb(cr, 0.20, 0.27, 0.40);
    L.cairo_rectangle(cr, x0, y, x1 - x0, 20);
    L.cairo_fill(cr);
    L.cairo_set_source_rgb(cr, 1, 1, 1);
    text(p, x0 + 6, y + 4, 0, LEFT, 9, 1, "品名");
    text(p, cq, y + 4, cu - cq - 6, RIGHT, 9, 1, "数量");
    text(p, cu, y + 4, ca - cu - 6, RIGHT, 9, 1, "単価");
    text(p, ca, y + 4, x1 - ca - 6, RIGHT, 9, 1, "金額");
    L.cairo_set_source_rgb(cr, 0, 0, 0);
    y += 20;
    char num[32], amt[32], unit[32];
    for (size_t i = 0; i < d->nlines; i++) {
        const struct pdf_line *l = &d->lines[i];
        snprintf(num, sizeof num, "%lld", (long long)l->qty);
        pdf_yen(l->unit, unit, sizeof unit);
        pdf_yen(l->amount, amt, sizeof amt);
        double h = text(p, x0 + 6, y + 5, cq - x0 - 12, LEFT, 9, 0, l->desc);
        text(p, cq, y + 5, cu - cq - 6, RIGHT, 9, 0, num);
        text(p, cu, y + 5, ca - cu - 6, RIGHT, 9, 0, unit);
        text(p, ca, y + 5, x1 - ca - 6, RIGHT, 9, 0, amt);
        y += (h > 12 ? h : 12) + 10;
        L.cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
        line(cr, x0, y, x1, y, 0.5);
        L.cairo_set_source_rgb(cr, 0, 0, 0);
    }
    /* totals at the right */
    y += 8;
    const double tx = ca - 150;
    char buf[96];
    struct trow rows[8];
    char lab[2][2][48];
    size_t nr = 0;
    rows[nr++] = (struct trow){"小計（税抜）", d->subtotal, 0};
    for (size_t i = 0; i < d->nrates && i < 2; i++) {
        snprintf(lab[i][0], sizeof lab[i][0], "%d%%対象（税抜）", d->rates[i].rate_pct);
        snprintf(lab[i][1], sizeof lab[i][1], "消費税（%d%%）", d->rates[i].rate_pct);
        rows[nr++] = (struct trow){lab[i][0], d->rates[i].base, 0};
        rows[nr++] = (struct trow){lab[i][1], d->rates[i].tax, 0};
    }
    rows[nr++] = (struct trow){"合計（税込）", d->total, 1};
    for (size_t i = 0; i < nr; i++) {
        text(p, tx, y, 140, LEFT, 9.5, rows[i].bold, rows[i].label);
        yen_text(rows[i].v, "¥", "", buf, sizeof buf);
        text(p, ca, y, x1 - ca - 6, RIGHT, 9.5, rows[i].bold, buf);
        y += 17;
        line(cr, tx, y - 2, x1, y - 2, rows[i].bold ? 1.0 : 0.3);
    }
    return y + 16;
}

int pdf_render(const struct pdf_doc *d, struct buf *out, struct sm_err *e)
{
    if (d->nlines == 0 || d->nlines > PDF_LINES_MAX || d->number == NULL)
        return sm_err_set(e, SM_E_INVALID, "lines", "1..%d lines", PDF_LINES_MAX);
    if (dynlib_get(&lib) < 0)
        return sm_err_set(e, SM_E_INTERNAL, NULL, "PDF drawing unavailable: %s", lib.why);
    cairo_surface_t *s = L.cairo_pdf_surface_create_for_stream(sink, out, PAGE_W, PAGE_H);
    if (L.cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        L.cairo_surface_destroy(s);
        return sm_err_set(e, SM_E_INTERNAL, NULL, "cairo: no PDF surface");
    }
    L.cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
                                     d->kind == PDF_QUOTE ? "御見積書" : "請求書");
    L.cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "shomei");
    cairo_t *cr = L.cairo_create(s);
    struct pen p = {cr, L.pango_cairo_create_layout(cr)};
    L.cairo_set_source_rgb(cr, 0, 0, 0);
    double y = head(&p, d);
    y = table(&p, d, y);
    if (d->notes != NULL && d->notes[0] != '\0') {
        text(&p, MARGIN, y, 0, LEFT, 9.5, 1, "備考");
        y += 16;
        double h = text(&p, MARGIN + 8, y + 6, PAGE_W - 2 * MARGIN - 16, LEFT, 8.5, 0, d->notes);
        L.cairo_set_line_width(cr, 0.6);
        L.cairo_rectangle(cr, MARGIN, y, PAGE_W - 2 * MARGIN, h + 12);
        L.cairo_stroke(cr);
    }
    L.g_object_unref(p.lay);
    L.cairo_show_page(cr);
    cairo_status_t st = L.cairo_status(cr);
    L.cairo_destroy(cr);
    L.cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = L.cairo_surface_status(s);
    L.cairo_surface_destroy(s);
    if (st == CAIRO_STATUS_NO_MEMORY)
        return sm_err_set(e, SM_E_NOMEM, NULL, "out of memory");
    if (st != CAIRO_STATUS_SUCCESS)
        return sm_err_set(e, SM_E_INTERNAL, NULL, "cairo: %s", L.cairo_status_to_string(st));
    return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* Under the sanitizers: fontconfig, pango and cairo keep process-wide font caches that are
 * never freed (by design; freeing them at exit is not supported while other threads may
 * draw). LeakSanitizer reads this list when a binary linked with this file exits. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\nleak:libcairo.so\nleak:libpango-1.0.so\n"
           "leak:libpangocairo-1.0.so\nleak:libpangoft2-1.0.so\nleak:libglib-2.0.so\n"
           "leak:libgobject-2.0.so\nleak:libharfbuzz.so\n";
}
#endif
