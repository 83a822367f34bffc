/*
** evq.c -- see evq.h.  Layout of an entry: a header (tag, length) followed
** by the bytes.  Dropping only moves `head`; the space is reclaimed when
** the queue empties or when a push needs room (the live entries slide to
** the front), so a steady stream costs no allocation once the buffer has
** grown to its working size.  Only a push moves or overwrites bytes, and
** it never touches a live entry's bytes except by sliding the whole queue:
** the entry a reader peeked stays valid until it is dropped, as long as
** nothing is pushed in between -- which is the caller's rule (evq.h).
*/
#include <string.h>

#include "evq.h"

typedef struct evq_hdr { unsigned tag; size_t len; } evq_hdr;

void evq_init (evq *q) {
  memset(q, 0, sizeof *q);
}

int evq_push (evq *q, unsigned tag, const char *data, size_t len) {
  evq_hdr h;
  buf *b = &q->b;
  if (len > (size_t)-1 / 2) return -1;
  if (b->cap - b->len < sizeof h + len + 1 && q->head > 0) {
    memmove(b->p, b->p + q->head, b->len - q->head);   /* slide to the front */
    b->len -= q->head;
    q->head = 0;
  }
  if (buf_reserve(b, sizeof h + len) != 0) return -1;
  h.tag = tag;
  h.len = len;
  memcpy(b->p + b->len, &h, sizeof h);
  if (len > 0) memcpy(b->p + b->len + sizeof h, data, len);
  b->len += sizeof h + len;
  q->count++;
  q->bytes += len;
  return 0;
}

int evq_peek (const evq *q, unsigned *tag, const char **data, size_t *len) {
  evq_hdr h;
  if (q->count == 0) return 0;
  memcpy(&h, q->b.p + q->head, sizeof h);
  *tag = h.tag;
  *data = q->b.p + q->head + sizeof h;
  *len = h.len;
  return 1;
}

void evq_drop (evq *q) {
  evq_hdr h;
  if (q->count == 0) return;
  memcpy(&h, q->b.p + q->head, sizeof h);
  q->head += sizeof h + h.len;
  q->count--;
  q->bytes -= h.len;
  if (q->count == 0) q->head = q->b.len = 0;
}

void evq_free (evq *q) {
  buf_free(&q->b);
  evq_init(q);
}
