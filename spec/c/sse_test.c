/*
** sse_test.c -- standalone unit test of csrc/sse.c (no Lua, no framework).
**
** sse.c and buf.c are #included, with buf's realloc routed through a
** failing allocator (to test SSE_NOMEM) and their names renamed, so the
** test builds alone or linked with the engine (whose copies are unused):
**   cc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Icsrc/engine \
**      spec/c/sse_test.c -o sse_test
**
** Every table case is parsed fed whole, one byte at a time, in two pieces
** split at every position and in three pieces (every pair of positions for
** short inputs, a sample for long ones); each run must give exactly the
** expected events, comments, retry, status and pending flag.  Then a
** seeded differential fuzz compares random splits with a naive reference
** parser written straight from the WHATWG text.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Count-down allocator: after `alloc_budget` successful calls, fail. */
static long alloc_budget = -1;   /* -1: never fail */
static void *sse_test_realloc (void *ptr, size_t n) {
  if (alloc_budget == 0) return NULL;
  if (alloc_budget > 0) alloc_budget--;
  return realloc(ptr, n);
}
#define sse_init     sse_t_init
#define sse_feed     sse_t_feed
#define sse_pending  sse_t_pending
#define sse_retry    sse_t_retry
#define sse_strerror sse_t_strerror
#define sse_free     sse_t_free
#define buf_reserve  sse_t_buf_reserve
#define buf_add      sse_t_buf_add
#define buf_free     sse_t_buf_free
#define realloc sse_test_realloc
#include "buf.c"
#include "sse.c"
#undef realloc

/* ---------------------------------------------------------------- logs */

/* A growing byte string; events and comments are serialized into one. */
typedef struct sbuf { char *p; size_t len, cap; } sbuf;

static void sb_add (sbuf *b, const void *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    b->p = (char *)realloc(b->p, cap);
    if (b->p == NULL) { fputs("test: out of memory\n", stderr); exit(2); }
    b->cap = cap;
  }
  if (n > 0) memcpy(b->p + b->len, s, n);
  b->len += n;
}

/* Each string is stored as its length then its bytes. */
static void sb_str (sbuf *b, const char *s, size_t n) {
  sb_add(b, &n, sizeof n);
  sb_add(b, s, n);
}

static int sb_eq (const sbuf *a, const sbuf *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* Print a serialized log as [type|data|id] ... (k strings per record). */
static void sb_dump (const sbuf *b, int k) {
  size_t at = 0, n, i;
  int f = 0;
  while (at < b->len) {
    memcpy(&n, b->p + at, sizeof n); at += sizeof n;
    printf(f == 0 ? "[" : "|");
    for (i = 0; i < n; i++) {
      unsigned char c = (unsigned char)b->p[at + i];
      if (c == '\n') printf("\\n");
      else if (c == '\r') printf("\\r");
      else if (c == '|' || c == '\\') printf("\\%c", c);
      else if (c < 32 || c >= 127) printf("\\x%02X", c);
      else putchar(c);
    }
    at += n;
    if (++f == k) { printf("] "); f = 0; }
  }
  printf("\n");
}

/* Everything one parse produced. */
typedef struct result {
  sbuf ev, com;
  int nev, status, pending, sticky_ok, nul_ok;
  long retry;
  int stop_at;           /* on_event returns nonzero at this event (1-based) */
} result;

static void res_free (result *r) { free(r->ev.p); free(r->com.p); }

static int rec_event (void *ud, const sse_event *e) {
  result *r = (result *)ud;
  /* The parser promises NUL-terminated fields: check while we are here. */
  if (e->type[e->type_len] != '\0' || e->data[e->data_len] != '\0' ||
      e->id[e->id_len] != '\0') r->nul_ok = 0;
  sb_str(&r->ev, e->type, e->type_len);
  sb_str(&r->ev, e->data, e->data_len);
  sb_str(&r->ev, e->id, e->id_len);
  return ++r->nev == r->stop_at;
}

static void rec_comment (void *ud, const char *text, size_t len) {
  sb_str(&((result *)ud)->com, text, len);
}

/*
** Parse `in` cut at the ascending offsets cuts[0..ncuts) (ncuts < 0: one
** byte per feed).  Also checks stickiness: once a feed fails, every later
** feed (including an extra one) returns that status and delivers nothing.
*/
static void run (const char *in, size_t n, size_t max, int stop_at,
                 const size_t *cuts, int ncuts, result *r) {
  sse_parser p;
  size_t from = 0, to, nev, ncom;
  int k = 0, st;
  memset(r, 0, sizeof *r);
  r->stop_at = stop_at; r->sticky_ok = r->nul_ok = 1; r->status = SSE_OK;
  sse_init(&p, max, rec_event, rec_comment, r);
  for (;;) {
    if (ncuts < 0) to = from < n ? from + 1 : n;
    else to = k < ncuts ? cuts[k++] : n;
    nev = r->ev.len; ncom = r->com.len;
    st = sse_feed(&p, in + from, to - from);
    if (r->status != SSE_OK &&
        (st != r->status || r->ev.len != nev || r->com.len != ncom))
      r->sticky_ok = 0;
    if (r->status == SSE_OK) r->status = st;
    from = to;
    if (from == n && (ncuts < 0 || k == ncuts)) break;
  }
  if (r->status != SSE_OK) {
    nev = r->ev.len; ncom = r->com.len;
    if (sse_feed(&p, "data: z\n\n", 9) != r->status || r->ev.len != nev ||
        r->com.len != ncom) r->sticky_ok = 0;
  }
  r->pending = sse_pending(&p);
  r->retry = sse_retry(&p);
  sse_free(&p);
  sse_free(&p);                    /* twice must be harmless */
}

/* -------------------------------------------------------------- checks */

static int npass, nfail;

/* Compare got with want; print the differences under `label`. */
static int same (const char *name, const char *label, const result *want,
                 const result *got) {
  int ok = 1;
  if (!sb_eq(&want->ev, &got->ev)) {
    printf("FAIL %s [%s]: events differ\n  want: ", name, label);
    sb_dump(&want->ev, 3); printf("  got:  "); sb_dump(&got->ev, 3);
    ok = 0;
  }
  if (!sb_eq(&want->com, &got->com)) {
    printf("FAIL %s [%s]: comments differ\n  want: ", name, label);
    sb_dump(&want->com, 1); printf("  got:  "); sb_dump(&got->com, 1);
    ok = 0;
  }
  if (want->status != got->status) {
    printf("FAIL %s [%s]: status want %s, got %s\n", name, label,
           sse_strerror(want->status), sse_strerror(got->status));
    ok = 0;
  }
  if (want->retry != got->retry) {
    printf("FAIL %s [%s]: retry want %ld, got %ld\n", name, label,
           want->retry, got->retry);
    ok = 0;
  }
  /* After an error the buffered remainder depends on where it struck. */
  if (want->status == SSE_OK && want->pending != got->pending) {
    printf("FAIL %s [%s]: pending want %d, got %d\n", name, label,
           want->pending, got->pending);
    ok = 0;
  }
  if (!got->sticky_ok) {
    printf("FAIL %s [%s]: error not sticky\n", name, label);
    ok = 0;
  }
  if (!got->nul_ok) {
    printf("FAIL %s [%s]: event field not NUL-terminated\n", name, label);
    ok = 0;
  }
  return ok;
}

/*
** Run in the every way described at the top; all must match `want`.
** Returns the number of failing runs (only the first few are printed).
*/
static int check_all (const char *name, const char *in, size_t n, size_t max,
                      int stop_at, const result *want) {
  result got;
  size_t cuts[2], i, j, stride;
  char label[64];
  int bad = 0;
  run(in, n, max, stop_at, NULL, 0, &got);
  bad += !same(name, "whole", want, &got); res_free(&got);
  run(in, n, max, stop_at, NULL, -1, &got);
  bad += !same(name, "bytewise", want, &got); res_free(&got);
  for (i = 0; i <= n && bad < 4; i++) {
    cuts[0] = i;
    run(in, n, max, stop_at, cuts, 1, &got);
    sprintf(label, "split at %zu", i);
    bad += !same(name, label, want, &got); res_free(&got);
  }
  stride = n <= 100 ? 1 : n / 37 + 1;
  for (i = 0; i <= n && bad < 4; i += stride)
    for (j = i; j <= n && bad < 4; j += stride) {
      cuts[0] = i; cuts[1] = j;
      run(in, n, max, stop_at, cuts, 2, &got);
      sprintf(label, "split at %zu,%zu", i, j);
      bad += !same(name, label, want, &got); res_free(&got);
    }
  return bad;
}

/* ---------------------------------------------------------- the table */

typedef struct xev { const char *type, *data, *id; size_t dlen; } xev;

typedef struct tcase {
  const char *name;
  const char *in; size_t n;
  size_t max; int stop_at;
  int status, pending; long retry;
  const char *com[6];            /* NULL-terminated */
  xev ev[8];                     /* terminated by type == NULL */
} tcase;

#define IN(s) .in = (s), .n = sizeof(s) - 1
#define M "message"

/* Realistic OpenRouter chunks. */
#define CHUNK(content, fin) \
  "{\"id\":\"gen-1718000000-AbCdEfGhIjKlMnOpQrSt\",\"provider\":\"OpenAI\"," \
  "\"model\":\"openai/gpt-4o\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1718000000,\"choices\":[{\"index\":0,\"delta\":{\"role\":" \
  "\"assistant\",\"content\":\"" content "\"},\"finish_reason\":" fin \
  ",\"native_finish_reason\":" fin ",\"logprobs\":null}]}"
#define C1 CHUNK("Hello", "null")
#define C2 CHUNK(", w\xC3\xB6rld \\\"quoted\\\"", "null")
#define C3 CHUNK("!", "\"stop\"")
#define USAGE \
  "{\"id\":\"gen-1718000000-AbCdEfGhIjKlMnOpQrSt\",\"provider\":\"OpenAI\"," \
  "\"model\":\"openai/gpt-4o\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1718000000,\"choices\":[],\"usage\":{\"prompt_tokens\":10," \
  "\"completion_tokens\":3,\"total_tokens\":13,\"cost\":0.0000875}}"

static const tcase cases[] = {
  { .name = "simple", IN("data: hello\n\n"), .retry = -1,
    .ev = {{M, "hello", "", 0}} },
  { .name = "multi-line data", IN("data: a\ndata: b\ndata: c\n\n"), .retry = -1,
    .ev = {{M, "a\nb\nc", "", 0}} },
  { .name = "CRLF", IN("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), .retry = -1,
    .ev = {{M, "a\nb", "", 0}, {M, "c", "", 0}} },
  { .name = "lone CR", IN("data: a\rdata: b\r\r:c\r"), .retry = -1,
    .com = {"c"}, .ev = {{M, "a\nb", "", 0}} },
  { .name = "mixed line ends",
    IN("data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\rdata: e\r\r\n"), .retry = -1,
    .ev = {{M, "a\nb\nc", "", 0}, {M, "d", "", 0}, {M, "e", "", 0}} },
  { .name = "CR CR LF is two line ends", IN("data: a\r\r\ndata: b\n\n"), .retry = -1,
    .ev = {{M, "a", "", 0}, {M, "b", "", 0}} },
  { .name = "LF CR is two line ends", IN("data: a\n\rdata: b\n\r"), .retry = -1,
    .ev = {{M, "a", "", 0}, {M, "b", "", 0}} },
  { .name = "trailing CR dispatches", IN("data: a\n\r"), .retry = -1,
    .ev = {{M, "a", "", 0}} },
  { .name = "BOM", IN("\xEF\xBB\xBF" "data: a\n\n"), .retry = -1,
    .ev = {{M, "a", "", 0}} },
  { .name = "BOM only", IN("\xEF\xBB\xBF"), .retry = -1 },
  { .name = "second BOM is not skipped",
    IN("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n"), .retry = -1,
    .ev = {{M, "b", "", 0}} },
  { .name = "BOM later is data",
    IN("data: \xEF\xBB\xBFx\n\n\xEF\xBB\xBF" "data: y\n\ndata: z\n\n"), .retry = -1,
    .ev = {{M, "\xEF\xBB\xBFx", "", 0}, {M, "z", "", 0}} },
  { .name = "partial BOM is text", IN("\xEF\xBB\rdata: a\n\n"), .retry = -1,
    .ev = {{M, "a", "", 0}} },
  { .name = "partial BOM then colon", IN("\xEF:x\n:c\n"), .retry = -1,
    .com = {"c"} },
  { .name = "wrong third BOM byte", IN("\xEF\xBB\xBE\n\ndata: z\n\n"), .retry = -1,
    .ev = {{M, "z", "", 0}} },
  { .name = "partial BOM at EOF is pending", IN("\xEF\xBB"), .retry = -1,
    .pending = 1 },
  { .name = "comments interleaved",
    IN(": OPENROUTER PROCESSING\n\ndata: a\n: mid\ndata: b\n\n:\n:x:y\r\n"),
    .retry = -1, .com = {" OPENROUTER PROCESSING", " mid", "", "x:y"},
    .ev = {{M, "a\nb", "", 0}} },
  { .name = "event id retry", IN("event: ping\nid: 7\nretry: 1500\ndata: x\n\n"),
    .retry = 1500, .ev = {{"ping", "x", "7", 0}} },
  { .name = "retry with non-digits ignored",
    IN("retry: 100\nretry: 12a\nretry: -5\nretry:\nretry:  200\nretry: 1e3\n"
       "retry\nretry: +7\n"), .retry = 100 },
  { .name = "retry no space", IN("retry:300\nretry: 0042\n"), .retry = 42 },
  { .name = "retry huge saturates", IN("retry: 99999999999999999999999999\n"),
    .retry = LONG_MAX },
  { .name = "field with no colon", IN("data\ndata\n\ndata\n\n"), .retry = -1,
    .ev = {{M, "\n", "", 0}, {M, "", "", 0}} },
  { .name = "no space after colon", IN("data:x\n\n"), .retry = -1,
    .ev = {{M, "x", "", 0}} },
  { .name = "only one space stripped", IN("data:  x\ndata: \t y \n\n"), .retry = -1,
    .ev = {{M, " x\n\t y ", "", 0}} },
  { .name = "colons in value", IN("data: a:b: c\n\n"), .retry = -1,
    .ev = {{M, "a:b: c", "", 0}} },
  { .name = "empty data line dispatches", IN("data:\n\ndata: \n\n"), .retry = -1,
    .ev = {{M, "", "", 0}, {M, "", "", 0}} },
  { .name = "blank lines without data", IN("\n\n\r\n\r\r\n\n"), .retry = -1 },
  { .name = "event type reset",
    IN("event: a\n\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\n"
       "event: c\nevent\ndata: 4\n\nevent: d\nevent:\ndata: 5\n\n"), .retry = -1,
    .ev = {{M, "1", "", 0}, {"b", "2", "", 0}, {M, "3", "", 0},
           {M, "4", "", 0}, {M, "5", "", 0}} },
  { .name = "id persists",
    IN("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\ndata: d\n\n"),
    .retry = -1,
    .ev = {{M, "a", "1", 0}, {M, "b", "1", 0}, {M, "c", "", 0},
           {M, "d", "2", 0}} },
  { .name = "id with NUL ignored",
    IN("id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\nid: \0\ndata: c\n\n"), .retry = -1,
    .ev = {{M, "a", "5", 0}, {M, "b", "5", 0}, {M, "c", "5", 0}} },
  { .name = "NUL in data kept", IN("data: a\0b\n\n"), .retry = -1,
    .ev = {{M, "a\0b", "", 3}} },
  { .name = "unknown fields ignored",
    IN("foo: bar\nDATA: x\ndata : y\n data: z\nEvent: e\ndata: ok\n\n"),
    .retry = -1, .ev = {{M, "ok", "", 0}} },
  { .name = "final event without blank line",
    IN("data: a\n\ndata: b\n"), .retry = -1, .pending = 1,
    .ev = {{M, "a", "", 0}} },
  { .name = "unterminated last line", IN("data: a\n\ndata: b"), .retry = -1,
    .pending = 1, .ev = {{M, "a", "", 0}} },
  { .name = "unterminated data then CR", IN("data: b\r"), .retry = -1,
    .pending = 1 },
  { .name = "event field only is not pending", IN("data: a\n\nevent: x\n"),
    .retry = -1, .ev = {{M, "a", "", 0}} },
  { .name = "UTF-8 multibyte",
    IN("event: \xC3\xA9v\xC3\xA9nement\nid: \xE2\x9C\x93\n"
       "data: h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xF0\x9F\x98\x80\n\n"),
    .retry = -1,
    .ev = {{"\xC3\xA9v\xC3\xA9nement",
            "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xF0\x9F\x98\x80",
            "\xE2\x9C\x93", 0}} },
  { .name = "[DONE]", IN("data: [DONE]\n\n"), .retry = -1,
    .ev = {{M, "[DONE]", "", 0}} },
  { .name = "realistic OpenRouter stream",
    IN(": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n"
       "data: " C1 "\n\n: OPENROUTER PROCESSING\n\ndata: " C2 "\n\n"
       "data: " C3 "\n\ndata: " USAGE "\n\ndata: [DONE]\n\n"),
    .retry = -1,
    .com = {" OPENROUTER PROCESSING", " OPENROUTER PROCESSING",
            " OPENROUTER PROCESSING"},
    .ev = {{M, C1, "", 0}, {M, C2, "", 0}, {M, C3, "", 0}, {M, USAGE, "", 0},
           {M, "[DONE]", "", 0}} },
  { .name = "size limit: exactly max is fine", IN("data: abcd\n\n"), .max = 10,
    .retry = -1, .ev = {{M, "abcd", "", 0}} },
  { .name = "size limit: one over", IN("data: abcd\n\n"), .max = 9,
    .retry = -1, .status = SSE_TOO_BIG },
  { .name = "size limit: line + data counted",
    IN("data: ab\ndata: cd\n\ndata: ab\ndata: cd\n\n"), .max = 11, .retry = -1,
    .ev = {{M, "ab\ncd", "", 0}, {M, "ab\ncd", "", 0}} },
  { .name = "size limit: line + data over",
    IN("data: ab\ndata: cd\n\n"), .max = 10, .retry = -1,
    .status = SSE_TOO_BIG },
  { .name = "too big event is sticky",
    IN("data: small\n\nretry: 5\ndata: 0123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789\n\ndata: after\n\nretry: 9\n"),
    .max = 64, .retry = 5, .status = SSE_TOO_BIG, .ev = {{M, "small", "", 0}} },
  { .name = "too big unterminated line",
    IN("data: a\n\n:0123456789012345678901234567890123456789"), .max = 32,
    .retry = -1, .status = SSE_TOO_BIG, .ev = {{M, "a", "", 0}} },
  { .name = "too big comment line",
    IN(": 0123456789012345678901234567890123456789012345678901234567890\n"
       "data: after\n\n"), .max = 32, .retry = -1, .status = SSE_TOO_BIG },
  { .name = "too big with partial BOM", IN("\xEF\xBB" "data: a\n\n"), .max = 1,
    .retry = -1, .status = SSE_TOO_BIG },
  { .name = "BOM does not count toward the limit",
    IN("\xEF\xBB\xBF" "data: abcd\n\n"), .max = 10, .retry = -1,
    .ev = {{M, "abcd", "", 0}} },
  { .name = "callback stops",
    IN("data: 1\n\n: c\ndata: 2\n\n: d\nretry: 5\ndata: 3\n\n"), .stop_at = 2,
    .retry = -1, .status = SSE_STOPPED, .com = {" c"},
    .ev = {{M, "1", "", 0}, {M, "2", "", 0}} },
  { .name = "callback stops at first", IN("data: 1\n\ndata: 2\n\n"), .stop_at = 1,
    .retry = -1, .status = SSE_STOPPED, .ev = {{M, "1", "", 0}} },
};

/* The expected result of a table case, in the same serialized form. */
static void expect (const tcase *c, result *w) {
  int i;
  memset(w, 0, sizeof *w);
  for (i = 0; i < 8 && c->ev[i].type != NULL; i++) {
    const xev *e = &c->ev[i];
    sb_str(&w->ev, e->type, strlen(e->type));
    sb_str(&w->ev, e->data, e->dlen ? e->dlen : strlen(e->data));
    sb_str(&w->ev, e->id, strlen(e->id));
  }
  for (i = 0; i < 6 && c->com[i] != NULL; i++)
    sb_str(&w->com, c->com[i], strlen(c->com[i]));
  w->status = c->status; w->pending = c->pending; w->retry = c->retry;
  w->sticky_ok = w->nul_ok = 1;
}

static void tally (int ok) { if (ok) npass++; else nfail++; }

static void test_table (void) {
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    result w;
    expect(&cases[i], &w);
    tally(check_all(cases[i].name, cases[i].in, cases[i].n, cases[i].max,
                    cases[i].stop_at, &w) == 0);
    res_free(&w);
  }
}

/* ------------------------------------------------------ special cases */

/* A data line far longer than the initial buffers, split everywhere. */
static void test_long_line (void) {
  size_t n = 5000, i;
  char *in = (char *)malloc(n + 9);
  result w;
  memset(&w, 0, sizeof w);
  memcpy(in, "data: ", 6);
  for (i = 6; i < n + 6; i++) in[i] = (char)('a' + i % 26);
  memcpy(in + n + 6, "\r\n\n", 3);
  sb_str(&w.ev, M, 7); sb_str(&w.ev, in + 6, n); sb_str(&w.ev, "", 0);
  w.retry = -1; w.sticky_ok = w.nul_ok = 1;
  tally(check_all("5000-byte data line", in, n + 9, 0, 0, &w) == 0);
  res_free(&w);
  free(in);
}

/* A 10 MB comment with max 1 MiB fails without buffering it all. */
static void test_huge_comment (void) {
  size_t n = 10u << 20, i, chunk = 16384;
  char *in = (char *)malloc(n + 1);
  sse_parser p;
  int st = SSE_OK, ok = 1, whole;
  memset(in, 'c', n); in[0] = ':'; in[n] = '\n';
  for (whole = 0; whole < 2; whole++) {
    sse_init(&p, 1u << 20, NULL, NULL, NULL);
    if (whole) st = sse_feed(&p, in, n + 1);
    else
      for (i = 0; i < n + 1 && st == SSE_OK; i += chunk)
        st = sse_feed(&p, in + i, n + 1 - i < chunk ? n + 1 - i : chunk);
    if (st != SSE_TOO_BIG || p.line.cap > (2u << 20)) {
      printf("FAIL huge comment (%s): status %s, line buffer %zu bytes\n",
             whole ? "whole" : "16 KiB pieces", sse_strerror(st), p.line.cap);
      ok = 0;
    }
    sse_free(&p);
    st = SSE_OK;
  }
  tally(ok);
  free(in);
}

/* Every allocation failure point: SSE_NOMEM, sticky, events a prefix. */
static void test_nomem (void) {
  const tcase *c = NULL;
  result w, got;
  size_t i;
  long budget;
  int ok = 1, mode, reached_ok = 0, saw_nomem = 0;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp(cases[i].name, "realistic OpenRouter stream") == 0) c = &cases[i];
  expect(c, &w);
  for (budget = 0; budget < 40 && ok; budget++)
    for (mode = 0; mode < 2; mode++) {
      alloc_budget = budget;
      run(c->in, c->n, 0, 0, NULL, mode ? -1 : 0, &got);
      alloc_budget = -1;
      if (got.status == SSE_OK) {
        reached_ok = 1;
        ok &= same("nomem", "enough memory", &w, &got);
      } else {
        saw_nomem = 1;
        if (got.status != SSE_NOMEM || !got.sticky_ok || got.ev.len > w.ev.len ||
            (got.ev.len > 0 && memcmp(got.ev.p, w.ev.p, got.ev.len) != 0)) {
          printf("FAIL nomem [budget %ld, %s]: status %s, sticky %d, %d events\n",
                 budget, mode ? "bytewise" : "whole", sse_strerror(got.status),
                 got.sticky_ok, got.nev);
          ok = 0;
        }
      }
      res_free(&got);
    }
  if (!reached_ok || !saw_nomem) {
    printf("FAIL nomem: never %s\n", reached_ok ? "failed" : "succeeded");
    ok = 0;
  }
  res_free(&w);
  tally(ok);
}

/* API odds and ends. */
static void test_api (void) {
  sse_parser p;
  int ok = 1, s;
  const tcase *c = &cases[sizeof cases / sizeof cases[0] - 1];
  sse_init(&p, 0, NULL, NULL, NULL);
  ok &= p.max_event == ((size_t)8 << 20);          /* 0 selects the default */
  ok &= sse_feed(&p, c->in, c->n) == SSE_OK;       /* NULL callbacks are fine */
  ok &= sse_feed(&p, NULL, 0) == SSE_OK;
  ok &= !sse_pending(&p) && sse_retry(&p) == -1;
  sse_free(&p);
  for (s = SSE_OK; s <= SSE_STOPPED + 1; s++)
    ok &= sse_strerror(s) != NULL && sse_strerror(s)[0] != '\0';
  if (!ok) printf("FAIL api odds and ends\n");
  tally(ok);
}

/* ------------------------------------------------- differential fuzz */

/*
** The reference: whole input only, byte loops only, straight from the
** WHATWG text plus sse.h's size rule (line so far + data > max fails).
*/
static void reference (const char *in, size_t n, size_t max, int stop_at,
                       result *r) {
  sbuf data = {0}, type = {0}, id = {0};
  size_t i = 0, s, e, c, v;
  memset(r, 0, sizeof *r);
  r->retry = -1; r->sticky_ok = r->nul_ok = 1; r->stop_at = stop_at;
  if (max == 0) max = (size_t)8 << 20;
  if (n < 3 && n > 0 && memcmp(in, "\xEF\xBB\xBF", n) == 0) {
    r->pending = 1; return;
  }
  if (n >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) i = 3;
  while (i < n) {
    s = i;
    while (i < n && in[i] != '\r' && in[i] != '\n') i++;
    e = i;
    if (e - s + data.len > max) { r->status = SSE_TOO_BIG; break; }
    if (i == n) { r->pending = 1; break; }      /* unterminated line */
    if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n') i++;
    i++;
    if (e == s) {                                /* dispatch */
      if (data.len > 0) {
        sse_event ev;
        data.len--; sb_add(&data, "", 1); data.len--;
        sb_add(&type, "", 1); type.len--; sb_add(&id, "", 1); id.len--;
        ev.type = type.len ? type.p : M; ev.type_len = type.len ? type.len : 7;
        ev.data = data.p; ev.data_len = data.len;
        ev.id = id.p ? id.p : ""; ev.id_len = id.len;
        if (rec_event(r, &ev)) { r->status = SSE_STOPPED; break; }
      }
      data.len = 0; type.len = 0;
      continue;
    }
    if (in[s] == ':') { rec_comment(r, in + s + 1, e - s - 1); continue; }
    for (c = s; c < e && in[c] != ':'; c++) {}
    v = c < e ? c + 1 : e;
    if (v < e && in[v] == ' ') v++;
    if (c - s == 4 && memcmp(in + s, "data", 4) == 0) {
      sb_add(&data, in + v, e - v); sb_add(&data, "\n", 1);
    } else if (c - s == 5 && memcmp(in + s, "event", 5) == 0) {
      type.len = 0; sb_add(&type, in + v, e - v);
    } else if (c - s == 2 && memcmp(in + s, "id", 2) == 0) {
      size_t k; int nul = 0;
      for (k = v; k < e; k++) nul |= in[k] == '\0';
      if (!nul) { id.len = 0; sb_add(&id, in + v, e - v); }
    } else if (c - s == 5 && memcmp(in + s, "retry", 5) == 0 && e > v) {
      size_t k; long ms = 0; int digits = 1;
      for (k = v; k < e; k++) digits &= in[k] >= '0' && in[k] <= '9';
      for (k = v; digits && k < e; k++)
        ms = ms > (LONG_MAX - (in[k] - '0')) / 10 ? LONG_MAX
                                                  : ms * 10 + (in[k] - '0');
      if (digits) r->retry = ms;
    }
  }
  if (r->status == SSE_OK && data.len > 0) r->pending = 1;
  free(data.p); free(type.p); free(id.p);
}

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd (unsigned n) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (unsigned)((rng >> 11) % n);
}

static void test_fuzz (int iters) {
  static const char *const tok[] = {
    "data:", "data: ", "data", "event:", "event: ", "id:", "id: ", "retry:",
    "retry: ", ":", " ", "\r", "\n", "\r\n", "\n\n", "x", "12", "\xC3\xA9",
    "[DONE]", "\xEF", "\xBB", "\xBF", "\xEF\xBB\xBF", "\0", "{\"a\":1}", "::"
  };
  char in[512];
  size_t n, cuts[8];
  result ref, whole, got;
  int it, bad = 0;
  for (it = 0; it < iters && bad < 5; it++) {
    size_t max = rnd(3) == 0 ? 4 + rnd(40) : 0;
    int stop_at = rnd(4) == 0 ? 1 + (int)rnd(3) : 0, k, nt = (int)rnd(60), ncut;
    char label[64];
    n = 0;
    for (k = 0; k < nt; k++) {
      const char *t = tok[rnd(sizeof tok / sizeof tok[0])];
      size_t tl = t[0] == '\0' ? 1 : strlen(t);
      memcpy(in + n, t, tl); n += tl;
    }
    reference(in, n, max, stop_at, &ref);
    run(in, n, max, stop_at, NULL, 0, &whole);
    ncut = (int)rnd(8);
    for (k = 0; k < ncut; k++) cuts[k] = rnd((unsigned)n + 1);
    for (k = 1; k < ncut; k++) {               /* insertion sort */
      size_t x = cuts[k]; int j = k;
      while (j > 0 && cuts[j - 1] > x) { cuts[j] = cuts[j - 1]; j--; }
      cuts[j] = x;
    }
    run(in, n, max, stop_at, cuts, ncut, &got);
    sprintf(label, "iteration %d vs reference", it);
    k = same("fuzz", label, &ref, &whole);
    sprintf(label, "iteration %d, %d random cuts", it, ncut);
    if (!(k && same("fuzz", label, &whole, &got))) {
      printf("  input (%zu bytes): ", n);
      for (k = 0; k < (int)n; k++) printf("%02X", (unsigned char)in[k]);
      printf("  max %zu stop_at %d\n", max, stop_at);
      bad++;
    }
    res_free(&got);
    if (it % 8 == 0) {
      run(in, n, max, stop_at, NULL, -1, &got);
      sprintf(label, "iteration %d, bytewise", it);
      bad += !same("fuzz", label, &whole, &got);
      res_free(&got);
    }
    res_free(&ref); res_free(&whole);
  }
  tally(bad == 0);
}

int main (void) {
  test_table();
  test_long_line();
  test_huge_comment();
  test_nomem();
  test_api();
  test_fuzz(20000);
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail != 0;
}
