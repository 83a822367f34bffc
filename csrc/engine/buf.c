/*
** buf.c -- see buf.h.  Capacity doubles (from 256 bytes), so appending n
** bytes in pieces costs O(n) amortized; the buffer keeps its capacity
** when emptied (len = 0), so a steady stream allocates nothing once it
** has grown to its working size.
*/
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int buf_reserve (buf *b, size_t extra) {
  size_t cap;
  char *p;
  if (extra >= (size_t)-1 / 2 - b->len) return -1;
  if (b->len + extra < b->cap) return 0;
  cap = b->cap ? b->cap : 256;
  while (cap <= b->len + extra) cap *= 2;
  p = (char *)realloc(b->p, cap);
  if (p == NULL) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

int buf_add (buf *b, const void *s, size_t n) {
  if (buf_reserve(b, n) != 0) return -1;
  if (n > 0) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

void buf_free (buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
