/*
** evq.h -- a FIFO of byte strings (SSE event payloads) in one buf.  Pure C.
** The transfer appends from libcurl callbacks; the binding reads the
** oldest entry in place and drops it once it has copied it out, so that
** nothing can write over an entry while it is being read.  Entries keep
** their raw bytes, so the binding may decode them lazily.
**
** The queue counts its own bytes (evq.bytes): what a push counts in, the
** drop of the same entry counts out, so the back-pressure that reads the
** count cannot drift.
*/
#ifndef OR_EVQ_H
#define OR_EVQ_H

#include <stddef.h>

#include "buf.h"

#pragma GCC visibility push(hidden)

typedef struct evq {
  buf b;           /* entries from b.p + head to b.p + b.len */
  size_t head;     /* offset of the oldest entry */
  size_t count;    /* entries queued */
  size_t bytes;    /* payload bytes queued (headers not counted) */
} evq;

void evq_init(evq *q);
/* Append one entry (tag: a small caller-defined number).  0, or -1 when
** out of memory (the queue is then unchanged). */
int  evq_push(evq *q, unsigned tag, const char *data, size_t len);
/* The oldest entry, left in the queue: 1 and its tag, bytes and length
** (valid until the next push, drop or free), or 0 when the queue is empty. */
int  evq_peek(const evq *q, unsigned *tag, const char **data, size_t *len);
/* Remove the oldest entry (no-op on an empty queue). */
void evq_drop(evq *q);
void evq_free(evq *q);

#pragma GCC visibility pop

#endif
