/*
** sse_fuzz.c -- libFuzzer target for csrc/engine/sse.c:
**   make fuzz-one T=sse   (seeds: spec/c/corpus/sse)
**
** The first input byte is control: it picks the split position, a small
** max_event (to reach SSE_TOO_BIG) and an event at which the callback
** stops.  The rest is the stream.  It is parsed whole, in two pieces and
** (when short) one byte at a time; every way must deliver the same events
** and comments and end in the same status and retry.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

int LLVMFuzzerTestOneInput (const uint8_t *buf, size_t size);

/* Events and comments serialized as tag, length, bytes. */
typedef struct trace {
  char *p; size_t len, cap;
  int nev, stop_at;
} trace;

static void tr_add (trace *t, const void *s, size_t n) {
  if (t->len + n > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    while (cap < t->len + n) cap *= 2;
    t->p = (char *)realloc(t->p, cap);
    if (t->p == NULL) abort();
    t->cap = cap;
  }
  if (n > 0) memcpy(t->p + t->len, s, n);
  t->len += n;
}

static void tr_str (trace *t, char tag, const char *s, size_t n) {
  tr_add(t, &tag, 1);
  tr_add(t, &n, sizeof n);
  tr_add(t, s, n);
}

static int on_event (void *ud, const sse_event *e) {
  trace *t = (trace *)ud;
  if (e->type_len == 0 || e->type[e->type_len] != '\0' ||
      e->data[e->data_len] != '\0' || e->id[e->id_len] != '\0') abort();
  tr_str(t, 'T', e->type, e->type_len);
  tr_str(t, 'D', e->data, e->data_len);
  tr_str(t, 'I', e->id, e->id_len);
  return ++t->nev == t->stop_at;
}

static void on_comment (void *ud, const char *text, size_t len) {
  tr_str((trace *)ud, 'C', text, len);
}

/*
** One sse_feed; an error, once returned, must stick and deliver nothing.
*/
static void feed (sse_parser *p, const char *s, size_t n, trace *t, int *st) {
  size_t before = t->len;
  int r = sse_feed(p, s, n);
  if (*st != SSE_OK && (r != *st || t->len != before)) abort();
  if (*st == SSE_OK) *st = r;
}

/*
** Parse s[0..n) in two pieces cut at `cut`, or (piece > 0) in pieces of
** `piece` bytes.  Returns the status; *retry gets sse_retry.
*/
static int parse (const char *s, size_t n, size_t max, size_t cut,
                  size_t piece, trace *t, long *retry) {
  sse_parser p;
  size_t at;
  int st = SSE_OK;
  sse_init(&p, max, on_event, on_comment, t);
  if (piece == 0) {
    feed(&p, s, cut, t, &st);
    feed(&p, s + cut, n - cut, t, &st);
  } else {
    for (at = 0; at < n; at += piece)
      feed(&p, s + at, n - at < piece ? n - at : piece, t, &st);
  }
  if (st != SSE_OK) feed(&p, "data: x\n\n", 9, t, &st);
  *retry = sse_retry(&p);
  sse_free(&p);
  return st;
}

int LLVMFuzzerTestOneInput (const uint8_t *buf, size_t size) {
  trace a = {0}, b = {0}, c = {0};
  const char *s;
  size_t n, cut, max;
  long ra, rb, rc;
  int sa, sb, sc;
  if (size < 1) return 0;
  s = (const char *)buf + 1; n = size - 1;
  cut = n * (buf[0] & 0x3f) / 63;                  /* 0 .. n */
  max = (buf[0] & 0x40) ? 8 + n / 3 : 0;           /* 0: the 8 MiB default */
  a.stop_at = b.stop_at = c.stop_at = (buf[0] & 0x80) ? 2 : 0;
  sa = parse(s, n, max, n, 0, &a, &ra);
  sb = parse(s, n, max, cut, 0, &b, &rb);
  if (sa != sb || ra != rb || a.len != b.len ||
      (a.len > 0 && memcmp(a.p, b.p, a.len) != 0)) abort();
  if (n <= 4096) {
    sc = parse(s, n, max, 0, 1, &c, &rc);
    if (sa != sc || ra != rc || a.len != c.len ||
        (a.len > 0 && memcmp(a.p, c.p, a.len) != 0)) abort();
  }
  free(a.p); free(b.p); free(c.p);
  return 0;
}
