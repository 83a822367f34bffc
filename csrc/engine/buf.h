/*
** buf.h -- the one growable byte buffer of the C core.  Pure C.
** Every buffer of the engine (the SSE parser's lines and fields, the
** event queue, response headers and bodies, the engine's socket lists)
** is a buf; a failed allocation is reported, never fatal.
*/
#ifndef OR_BUF_H
#define OR_BUF_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

typedef struct buf { char *p; size_t len, cap; } buf;

#define BUF_INIT { NULL, 0, 0 }

/* Room for `extra` more bytes plus a NUL after them.  0, or -1 when the
** size would overflow or the allocation fails (b is then unchanged). */
int  buf_reserve(buf *b, size_t extra);
/* Append n bytes and keep b NUL-terminated (usable as a C string).  0 or -1. */
int  buf_add(buf *b, const void *s, size_t n);
/* Give the memory back; b is empty and reusable. */
void buf_free(buf *b);

#pragma GCC visibility pop

#endif
