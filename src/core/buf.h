/* SPDX-License-Identifier: MIT */
/* The one growable byte buffer for building text, with a size cap.
 * Always NUL-terminated when p != NULL. The owner frees with buf_free(). */
#ifndef SM_BUF_H
#define SM_BUF_H
#include <stddef.h>

struct buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max; /* 0 = default cap (64 MiB) */
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Each returns 0, or -SM_E_NOMEM / -SM_E_TOO_LARGE (buffer unchanged then). */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b); /* len = 0, keeps memory */
void buf_free(struct buf *b);
/* Hands the memory to the caller (free() it); b is left empty. Never NULL on success. */
char *buf_detach(struct buf *b, size_t *len);

#endif
