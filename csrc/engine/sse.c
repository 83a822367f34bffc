/*
** sse.c -- see sse.h.  One pass over each fed buffer: memchr finds the
** line ends, and a line lying wholly inside the buffer is interpreted in
** place; only the unterminated tail of a feed is copied into p->line.  The
** data/type/id buffers keep their capacity across events, so a steady
** stream allocates nothing once they have grown to their working size.
**
** Size rule (why it holds for any split): every check compares
** "bytes of the current line seen so far + p->data.len" with max_event,
** and p->data.len does not change while a line is being read.  A prefix
** of a line that fails the check means the whole line fails it too, so
** the error lands on the same line whether it arrives whole or in pieces.
*/
#include <limits.h>
#include <string.h>

#include "sse.h"

static const char sse_bom[3] = { '\xEF', '\xBB', '\xBF' };

/*
** Record a sticky error and return it, so callers can `return sse_fail(..)`.
*/
static int sse_fail (sse_parser *p, int status) {
  p->status = status;
  return status;
}

/*
** Offset of the first c in s[from, n), or n when there is none.
*/
static size_t sse_find (const char *s, size_t from, size_t n, int c) {
  const char *hit = (const char *)memchr(s + from, c, n - from);
  return hit != NULL ? (size_t)(hit - s) : n;
}

/*
** Blank line.  WHATWG: an empty data buffer dispatches nothing, but the
** type is reset either way; the last event ID always survives.
*/
static int sse_dispatch (sse_parser *p) {
  sse_event ev;
  int stop;
  if (p->data.len == 0) { p->type.len = 0; return SSE_OK; }
  p->data.len--;                      /* drop the LF that ended the last line */
  p->data.p[p->data.len] = '\0';
  if (p->on_event != NULL) {
    ev.type = p->type.len > 0 ? p->type.p : "message";
    ev.type_len = p->type.len > 0 ? p->type.len : 7;
    ev.data = p->data.p; ev.data_len = p->data.len;
    ev.id = p->id.len > 0 ? p->id.p : ""; ev.id_len = p->id.len;
    stop = p->on_event(p->ud, &ev);
  } else {
    stop = 0;
  }
  p->data.len = 0;
  p->type.len = 0;
  return stop ? sse_fail(p, SSE_STOPPED) : SSE_OK;
}

/*
** retry: only a non-empty run of ASCII digits counts (anything else is
** ignored, per WHATWG); absurdly large values saturate at LONG_MAX.
*/
static void sse_retry_field (sse_parser *p, const char *v, size_t n) {
  long ms = 0;
  size_t i;
  if (n == 0) return;
  for (i = 0; i < n; i++)
    if (v[i] < '0' || v[i] > '9') return;
  for (i = 0; i < n; i++) {
    int d = v[i] - '0';
    ms = ms > (LONG_MAX - d) / 10 ? LONG_MAX : ms * 10 + d;
  }
  p->retry = ms;
}

/*
** Interpret one complete line (without its line end).  The caller has
** already checked it against max_event.  Returns SSE_OK or an error.
*/
static int sse_line (sse_parser *p, const char *s, size_t n) {
  const char *colon, *v;
  size_t name, vn;
  if (n == 0) return sse_dispatch(p);
  if (s[0] == ':') {
    if (p->on_comment != NULL) p->on_comment(p->ud, s + 1, n - 1);
    return SSE_OK;
  }
  colon = (const char *)memchr(s, ':', n);
  if (colon != NULL) {
    name = (size_t)(colon - s);
    v = colon + 1; vn = n - name - 1;
    if (vn > 0 && v[0] == ' ') { v++; vn--; }   /* one space only */
  } else {
    name = n; v = s + n; vn = 0;
  }
  if (name == 4 && memcmp(s, "data", 4) == 0) {
    /* The size check bounds line + data, and value + LF <= line: fits. */
    if (buf_reserve(&p->data, vn + 1) != 0) return sse_fail(p, SSE_NOMEM);
    if (vn > 0) memcpy(p->data.p + p->data.len, v, vn);
    p->data.p[p->data.len + vn] = '\n';
    p->data.len += vn + 1;
  } else if (name == 5 && memcmp(s, "event", 5) == 0) {
    p->type.len = 0;
    if (buf_add(&p->type, v, vn) != 0) return sse_fail(p, SSE_NOMEM);
  } else if (name == 2 && memcmp(s, "id", 2) == 0) {
    if (vn > 0 && memchr(v, '\0', vn) != NULL) return SSE_OK;
    p->id.len = 0;
    if (buf_add(&p->id, v, vn) != 0) return sse_fail(p, SSE_NOMEM);
  } else if (name == 5 && memcmp(s, "retry", 5) == 0) {
    sse_retry_field(p, v, vn);
  }
  return SSE_OK;                      /* unknown fields are ignored */
}

/*
** max_event 0 selects the default: an unbounded parser would let a
** hostile or broken server exhaust memory with one endless line.
*/
void sse_init (sse_parser *p, size_t max_event, sse_event_fn on_event,
               sse_comment_fn on_comment, void *ud) {
  memset(p, 0, sizeof *p);
  p->max_event = max_event > 0 ? max_event : SSE_DEFAULT_MAX_EVENT;
  p->retry = -1;
  p->status = SSE_OK;
  p->at_start = 1;
  p->on_event = on_event;
  p->on_comment = on_comment;
  p->ud = ud;
}

/*
** Consume n bytes.  Everything up to the last line end is interpreted
** (events delivered) before returning; the unterminated remainder waits
** in p->line.  Invariant between calls: line.len + data.len <= max_event.
*/
int sse_feed (sse_parser *p, const char *bytes, size_t n) {
  size_t i = 0, lf, cr, e, room;
  if (p->status != SSE_OK || n == 0) return p->status;
  /* The BOM may arrive split; bytes that only start like one are text. */
  while (p->at_start && i < n) {
    if (bytes[i] == sse_bom[p->bom_seen]) {
      i++;
      if (++p->bom_seen == 3) p->at_start = 0;
    } else {
      p->at_start = 0;
      if (p->bom_seen > 0) {           /* line is empty at this point */
        if ((size_t)p->bom_seen > p->max_event) return sse_fail(p, SSE_TOO_BIG);
        if (buf_add(&p->line, sse_bom, (size_t)p->bom_seen) != 0)
          return sse_fail(p, SSE_NOMEM);
      }
    }
  }
  if (p->after_cr && i < n) {          /* CR | LF split across feeds */
    p->after_cr = 0;
    if (bytes[i] == '\n') i++;
  }
  /* Cached positions of the next LF and CR: each byte is scanned at most
  ** once per character, even for a stream using only CR line ends. */
  lf = sse_find(bytes, i, n, '\n');
  cr = sse_find(bytes, i, n, '\r');
  while (i < n) {
    if (lf < i) lf = sse_find(bytes, i, n, '\n');
    if (cr < i) cr = sse_find(bytes, i, n, '\r');
    e = lf < cr ? lf : cr;
    room = p->max_event - p->data.len - p->line.len;
    if (e - i > room) return sse_fail(p, SSE_TOO_BIG);
    if (e == n) {                      /* no line end: keep the tail */
      if (buf_add(&p->line, bytes + i, n - i) != 0)
        return sse_fail(p, SSE_NOMEM);
      break;
    }
    if (p->line.len == 0) {
      if (sse_line(p, bytes + i, e - i) != SSE_OK) return p->status;
    } else {                           /* finish the line begun earlier */
      size_t len;
      if (buf_add(&p->line, bytes + i, e - i) != 0)
        return sse_fail(p, SSE_NOMEM);
      len = p->line.len;
      p->line.len = 0;   /* emptied first so every exit leaves it empty */
      if (sse_line(p, p->line.p, len) != SSE_OK) return p->status;
    }
    i = e + 1;
    if (bytes[e] == '\r') {
      if (i == n) p->after_cr = 1;
      else if (bytes[i] == '\n') i++;
    }
  }
  return SSE_OK;
}

/*
** A partial line (or a partial BOM) or data not yet dispatched: at EOF the
** WHATWG rules discard it, the caller decides whether that is an error.
*/
int sse_pending (const sse_parser *p) {
  return p->line.len > 0 || p->data.len > 0 || (p->at_start && p->bom_seen > 0);
}

/*
** The last valid retry: value in milliseconds, or -1 when none was seen.
*/
long sse_retry (const sse_parser *p) {
  return p->retry;
}

/*
** A static message for an sse_feed status.
*/
const char *sse_strerror (int status) {
  switch (status) {
    case SSE_OK: return "ok";
    case SSE_TOO_BIG: return "event too big";
    case SSE_NOMEM: return "out of memory";
    case SSE_STOPPED: return "stopped by the event callback";
    default: return "unknown SSE status";
  }
}

/*
** Release the buffers.  Safe to call twice; sse_init before any reuse.
*/
void sse_free (sse_parser *p) {
  buf_free(&p->line);
  buf_free(&p->data);
  buf_free(&p->type);
  buf_free(&p->id);
}
