/*
** sse.h -- incremental Server-Sent Events parser (WHATWG event-stream rules).
** Pure C: knows nothing of Lua or libcurl, so it can be unit-tested and
** fuzzed on its own.
**
** Bytes may be fed in pieces split anywhere (inside CRLF, inside a UTF-8
** sequence, inside a field name).  Lines end with LF, CR or CRLF; a leading
** UTF-8 BOM is skipped; lines starting with ':' are comments; "field: value"
** strips one optional space after the colon; a line with no colon is a field
** with an empty value; data lines are joined with LF; an event is dispatched
** on a blank line, and only when its data buffer is not empty (the WHATWG
** rule), in which case the event type resets to "message".
**
** Memory is bounded: the bytes buffered for the current line plus the data
** of the current event may not exceed max_event; past it, sse_feed returns
** SSE_TOO_BIG and the parser stays in that error (sticky).
*/
#ifndef OR_SSE_H
#define OR_SSE_H

#include <stddef.h>

#include "buf.h"

#pragma GCC visibility push(hidden)

/* The bound on one event when the caller gives none (max_event 0). */
#ifndef SSE_DEFAULT_MAX_EVENT
#define SSE_DEFAULT_MAX_EVENT ((size_t)8 << 20)
#endif

enum {
  SSE_OK = 0,
  SSE_TOO_BIG,   /* an event or line exceeded max_event */
  SSE_NOMEM,     /* an allocation failed */
  SSE_STOPPED    /* the event callback asked to stop */
};

typedef struct sse_event {
  const char *type; size_t type_len;   /* "message" unless an event: field set it */
  const char *data; size_t data_len;   /* data lines joined by LF, no trailing LF */
  const char *id;   size_t id_len;     /* the last event ID (persists across events) */
} sse_event;

/* Return nonzero to stop: sse_feed then returns SSE_STOPPED (sticky). */
typedef int  (*sse_event_fn)(void *ud, const sse_event *ev);
/* text excludes the leading ':' and the line end; may be NULL in sse_init. */
typedef void (*sse_comment_fn)(void *ud, const char *text, size_t len);

typedef struct sse_parser {
  buf line;              /* the current, unterminated line */
  buf data;              /* data of the event being built */
  buf type;              /* event type of the event being built */
  buf id;                /* last event ID */
  size_t max_event;
  long retry;            /* last valid retry: in ms, or -1 */
  int status;            /* SSE_OK or the sticky error */
  int after_cr;          /* last byte was CR: a following LF belongs to it */
  int at_start;          /* nothing seen yet: a BOM may follow */
  int bom_seen;          /* bytes of a possible BOM matched so far */
  sse_event_fn on_event;
  sse_comment_fn on_comment;
  void *ud;
} sse_parser;

/* max_event 0 selects SSE_DEFAULT_MAX_EVENT (there is no "unlimited").
** on_event may be NULL too (events are then dropped).  The sse_event
** fields are NUL-terminated and valid only during the callback, which
** must not feed or free the same parser. */
void sse_init(sse_parser *p, size_t max_event, sse_event_fn on_event,
              sse_comment_fn on_comment, void *ud);
/* Feed n bytes; returns SSE_OK or the (sticky) error. */
int  sse_feed(sse_parser *p, const char *bytes, size_t n);
/* True when bytes of an unfinished line or undispatched event are buffered
** (at EOF, WHATWG discards them: the caller decides if that is an error). */
int  sse_pending(const sse_parser *p);
long sse_retry(const sse_parser *p);
const char *sse_strerror(int status);
void sse_free(sse_parser *p);

#pragma GCC visibility pop

#endif
