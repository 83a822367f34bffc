/*
** evq_test.c -- the event queue without Lua: FIFO order, its own byte
** count, and the way the transfer uses it under back-pressure: the reader
** peeks an entry, copies it, drops it, and only then may a resumed
** transfer push (libcurl delivers what it held inside the resume).  A
** seeded model test interleaves pushes and pops of sizes around the
** buffer's growth steps and checks every entry byte for byte against a
** reference FIFO.  Ends with "N passed, N failed".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evq.h"

static int passed, failed;

static void check (int ok, const char *what) {
  if (ok) passed++;
  else { failed++; printf("FAIL %s\n", what); }
}

/* Entry k's bytes: a pattern that differs for every k and position. */
static void fill (char *p, size_t n, unsigned k) {
  size_t i;
  for (i = 0; i < n; i++) p[i] = (char)('a' + (k * 7 + i * 13 + i / 251) % 26);
}

static int matches (const char *p, size_t n, unsigned k) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != (char)('a' + (k * 7 + i * 13 + i / 251) % 26)) return 0;
  return 1;
}

static void basics (void) {
  evq q;
  unsigned tag;
  const char *d;
  size_t n;
  evq_init(&q);
  check(!evq_peek(&q, &tag, &d, &n), "an empty queue has nothing to peek");
  evq_drop(&q);
  check(q.count == 0 && q.bytes == 0, "dropping from an empty queue is a no-op");
  check(evq_push(&q, 1, "one", 3) == 0 && evq_push(&q, 2, "", 0) == 0 &&
        evq_push(&q, 3, "three", 5) == 0, "pushes");
  check(q.count == 3 && q.bytes == 8, "count and bytes count what was pushed");
  check(evq_peek(&q, &tag, &d, &n) && tag == 1 && n == 3 && memcmp(d, "one", 3) == 0,
        "peek gives the oldest");
  check(evq_peek(&q, &tag, &d, &n) && tag == 1, "peek leaves it queued");
  evq_drop(&q);
  check(evq_peek(&q, &tag, &d, &n) && tag == 2 && n == 0, "an empty entry");
  evq_drop(&q);
  check(q.count == 1 && q.bytes == 5, "bytes come out with the entries");
  evq_drop(&q);
  check(q.count == 0 && q.bytes == 0, "an emptied queue counts nothing");
  evq_free(&q);
}

/*
** The back-pressure cycle: a big entry alone in the queue is peeked,
** copied out and dropped; then the transfer pushes at once (possibly
** growing the buffer).  The copy stays what was pushed, and so do the
** entries pushed after it.
*/
static void resume_cycle (void) {
  static const size_t sizes[] = { 1, 4096, 65536, (size_t)1 << 20, (size_t)4 << 20, (size_t)5 << 20 };
  size_t s;
  for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    evq q;
    unsigned tag, k;
    const char *d;
    size_t n;
    char *big = (char *)malloc(sizes[s]), *copy = (char *)malloc(sizes[s]);
    char what[96];
    int ok = 1;
    if (big == NULL || copy == NULL) { puts("out of memory"); exit(2); }
    evq_init(&q);
    fill(big, sizes[s], 0);
    evq_push(&q, 0, big, sizes[s]);
    evq_peek(&q, &tag, &d, &n);
    memcpy(copy, d, n);                       /* the binding's lua_pushlstring */
    evq_drop(&q);                             /* ...then the resume pushes */
    for (k = 1; k <= 64; k++) {
      char small[300];
      fill(small, sizeof small, k);
      if (evq_push(&q, k, small, sizeof small) != 0) ok = 0;
    }
    ok = ok && matches(copy, sizes[s], 0);
    for (k = 1; k <= 64 && ok; k++) {
      ok = evq_peek(&q, &tag, &d, &n) && tag == k && n == 300 && matches(d, n, k);
      evq_drop(&q);
    }
    snprintf(what, sizeof what, "a %lu-byte entry copied, dropped, then 64 pushes",
             (unsigned long)sizes[s]);
    check(ok && q.count == 0 && q.bytes == 0, what);
    evq_free(&q);
    free(big);
    free(copy);
  }
}

/* A tiny deterministic generator (xorshift). */
static unsigned long rng = 88172645463325252UL;
static unsigned long rnd (void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

/* Sizes near the buffer's steps (256 doubling), mostly small, a few over
** 1 MiB. */
static size_t random_size (void) {
  unsigned long r = rnd() % 1000;
  if (r < 3) return (size_t)1 << 20 | rnd() % 4096;
  if (r < 250) { size_t step = (size_t)256 << (rnd() % 10); return step - 32 + rnd() % 64; }
  return rnd() % 400;
}

static void model (void) {
  enum { OPS = 20000, LIVE = 4096 };
  static size_t len[LIVE];
  static unsigned key[LIVE];
  size_t head = 0, tail = 0, bytes = 0, largest = 0;
  unsigned next = 1;
  int ok = 1, op;
  char *scratch = (char *)malloc((size_t)2 << 20);
  evq q;
  if (scratch == NULL) { puts("out of memory"); exit(2); }
  evq_init(&q);
  for (op = 0; op < OPS && ok; op++) {
    int push = tail - head < LIVE && (tail == head || rnd() % 100 < 52);
    if (push) {
      size_t n = random_size();
      fill(scratch, n, next);
      if (evq_push(&q, next % 8, scratch, n) != 0) { ok = 0; break; }
      len[tail % LIVE] = n; key[tail % LIVE] = next++;
      tail++;
      bytes += n;
      if (n > largest) largest = n;
    }
    else {
      unsigned tag;
      const char *d;
      size_t n;
      ok = evq_peek(&q, &tag, &d, &n) && n == len[head % LIVE] &&
           tag == key[head % LIVE] % 8 && matches(d, n, key[head % LIVE]);
      evq_drop(&q);
      bytes -= len[head % LIVE];
      head++;
    }
    ok = ok && q.count == tail - head && q.bytes == bytes;
  }
  check(ok, "20 000 random pushes and pops against a reference FIFO");
  check(largest > ((size_t)1 << 20), "the model pushed entries over 1 MiB");
  evq_free(&q);
  free(scratch);
}

int main (void) {
  basics();
  resume_cycle();
  model();
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
