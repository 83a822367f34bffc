/*
** evq.c -- see evq.h.  Layout of an entry: a header (tag, length) followed
** by the bytes.  Popping only moves `head`; the space is reclaimed when the
** queue empties or when a push needs room (compaction), so a steady stream
** costs no allocation once the buffer has grown to its working size.
*/
#include <stdlib.h>
#include <string.h>

#include "evq.h"

typedef struct evq_hdr { unsigned tag; size_t len; } evq_hdr;

void evq_init (evq *q) {
  memset(q, 0, sizeof *q);
}

/*
** Make room for `need` more bytes at the tail: first by sliding the live
** entries to the front, then by growing.
*/
static int evq_reserve (evq *q, size_t need) {
  size_t live = q->tail - q->head;
  if (q->cap - q->tail >= need) return 0;
  if (q->head > 0) {
    memmove(q->p, q->p + q->head, live);
    q->head = 0; q->tail = live;
    if (q->cap - q->tail >= need) return 0;
  }
  {
    size_t cap = q->cap ? q->cap : 4096;
    char *p;
    if (need > (size_t)-1 / 2 - live) return -1;
    while (cap - live < need) cap *= 2;
    p = (char *)realloc(q->p, cap);
    if (p == NULL) return -1;
    q->p = p; q->cap = cap;
  }
  return 0;
}

int evq_push (evq *q, unsigned tag, const char *data, size_t len) {
  evq_hdr h;
  if (evq_reserve(q, sizeof h + len) != 0) return -1;
  h.tag = tag; h.len = len;
  memcpy(q->p + q->tail, &h, sizeof h);
  if (len > 0) memcpy(q->p + q->tail + sizeof h, data, len);
  q->tail += sizeof h + len;
  q->count++;
  return 0;
}

int evq_pop (evq *q, unsigned *tag, const char **data, size_t *len) {
  evq_hdr h;
  if (q->count == 0) return 0;
  memcpy(&h, q->p + q->head, sizeof h);
  *tag = h.tag; *data = q->p + q->head + sizeof h; *len = h.len;
  q->head += sizeof h + h.len;
  q->count--;
  if (q->count == 0) q->head = q->tail = 0;  /* data stays readable: no write until next push */
  return 1;
}

void evq_free (evq *q) {
  free(q->p);
  evq_init(q);
}
