/*
** evq.h -- a FIFO of byte strings (SSE event payloads) in one growing buffer.
** Pure C.  The transport appends from libcurl callbacks; the binding pops
** from Lua.  Entries keep their raw bytes so the binding can decode them
** lazily (or hand out a field without building a table).
*/
#ifndef OR_EVQ_H
#define OR_EVQ_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

typedef struct evq {
  char *p;
  size_t head;     /* offset of the oldest entry */
  size_t tail;     /* offset just past the newest entry */
  size_t cap;
  size_t count;    /* entries queued */
} evq;

void evq_init(evq *q);
/* Append one entry (tag is a small caller-defined number).  0 or -1 on OOM. */
int  evq_push(evq *q, unsigned tag, const char *data, size_t len);
/* Point *data at the oldest entry (valid until the next push or free) and
** drop it from the queue; returns 0 when the queue is empty. */
int  evq_pop(evq *q, unsigned *tag, const char **data, size_t *len);
void evq_free(evq *q);

#pragma GCC visibility pop

#endif
