/*
** transfer.h -- one HTTP request on libcurl: its options, the callbacks
** that take its response in (headers, an SSE body parsed into a queue of
** events, or a whole body), its own timers, and its outcome.  Pure C: the
** callbacks only copy bytes, so no Lua runs inside libcurl.  What the
** events of a stream mean is not known here: the request names a
** function that judges each one (the binding passes chat.c's rules).
** Driving transfers is the engine's job (multi.h); a transfer never
** touches the engine.
*/
#ifndef OR_TRANSFER_H
#define OR_TRANSFER_H

#include <stddef.h>
#include <curl/curl.h>

#include "buf.h"
#include "errclass.h"
#include "evq.h"
#include "sse.h"

#pragma GCC visibility push(hidden)

/* A reader this far behind (event bytes queued) pauses its transfer; it
** resumes once the queue drains to half of it. */
#ifndef OR_QUEUE_HIGH_WATER
#define OR_QUEUE_HIGH_WATER ((size_t)1 << 20)
#endif

/* Bytes of a body that is not a stream accepted at most (max_body 0): a
** bound, never unbounded growth; sse.h bounds a stream's events. */
#ifndef OR_DEFAULT_MAX_BODY
#define OR_DEFAULT_MAX_BODY ((size_t)64 << 20)
#endif

/* The verdict on one event of a stream: a tag >= 0 queues it with that
** tag; XFER_SKIP drops it; XFER_END ends the stream (nothing after it is
** read).  With want_output (first_token_timeout is waiting), *output is
** set to 1 when the event carries generated output. */
enum { XFER_SKIP = -1, XFER_END = -2 };
typedef int (*or_event_fn)(const sse_event *ev, int want_output, int *output);

/* What to send; strings are copied, `headers` is taken over. */
typedef struct or_request {
  const char *url;
  const char *method;              /* "GET" or "POST" */
  const char *body; size_t body_len;
  struct curl_slist *headers;
  int streaming;                   /* parse a 2xx body as SSE */
  or_event_fn on_event;            /* streams: the verdict on each event */
  const char *end_name;            /* streams: what ends one, for messages */
  long connect_ms;                 /* 0: libcurl's default */
  long timeout_ms;                 /* whole request; streams: until headers */
  long idle_ms;                    /* streams: max silence after headers */
  long first_token_ms;             /* streams: until the first output */
  size_t max_event;                /* SSE event size bound (0: the parser's default) */
  size_t max_body;                 /* non-SSE body size bound (0: the default) */
  const char *proxy, *ca_file, *user_agent;
} or_request;

typedef struct or_xfer {
  CURL *easy;
  struct curl_slist *headers;
  char errbuf[CURL_ERROR_SIZE];
  /* settings */
  int streaming;
  long connect_ms, timeout_ms, idle_ms, first_token_ms;
  size_t max_body;
  or_event_fn on_event;
  const char *end_name;
  /* progress */
  int paused;                      /* by us: the reader fell behind */
  double t_start, t_headers, t_first_byte;
  double t_progress;               /* the last byte, or (while we hold the
                                      transfer paused) the last event read */
  long status;                     /* final status once headers_done */
  int headers_done;
  int content_json;                /* Content-Type says application/json */
  int content_sse;                 /* Content-Type says text/event-stream, or says nothing */
  buf resp_headers;                /* "name: value\n" lines of the final response */
  int sse_mode;                    /* the body is being parsed as SSE */
  sse_parser sse;
  evq events;
  int saw_end;                     /* the stream's end marker arrived */
  int got_output;                  /* an event carried output */
  size_t body_bytes;               /* response body bytes received */
  size_t comments;                 /* SSE comment lines (keep-alives) */
  size_t events_total;             /* events queued over the whole stream */
  size_t event_reads;              /* network reads that completed an event:
                                      1 means everything came at once */
  long connects;                   /* connections libcurl opened for it (at the end) */
  long http_version;               /* CURL_HTTP_VERSION_* it spoke (at the end) */
  buf body;                        /* the body when not parsed as SSE */
  /* outcome */
  int finished;
  int failed;
  errc_kind fail_kind;
  CURLcode fail_curl;              /* libcurl's code when it ended the transfer */
  char fail_msg[320];
} or_xfer;

/* x must be zeroed memory.  0 when x is ready to be started by the
** engine; else -1, x finished with the reason (it then needs only
** or_xfer_cleanup). */
int    or_xfer_init(or_xfer *x, const or_request *r);
/* Record a failure (the first one only: later ones are its consequences). */
void   or_xfer_fail(or_xfer *x, errc_kind kind, const char *fmt, ...)
         __attribute__((format(printf, 3, 4)));
/* The transfer is over: libcurl ended it with rc, or it was stopped
** (rc = CURLE_OK, a failure recorded).  Idempotent. */
void   or_xfer_settle(or_xfer *x, CURLcode rc);
/* When one of our timers runs out (or_now() seconds; HUGE_VAL: none). */
double or_xfer_deadline(const or_xfer *x);
/* If a timer has run out by `now`: record it, settle, and return 1. */
int    or_xfer_expire(or_xfer *x, double now);

/* The oldest queued event, left in the queue: 1 and its tag and bytes
** (valid until or_xfer_drop), or 0 when none is queued. */
int    or_xfer_peek(const or_xfer *x, unsigned *tag, const char **data, size_t *len);
/* Drop the event or_xfer_peek gave, once its bytes were copied out: a
** transfer we paused may resume here, and libcurl then delivers what it
** held at once, into the queue. */
void   or_xfer_drop(or_xfer *x);

/* Free everything; a transfer that had not finished ends `canceled`.
** The engine must have let go of it first (or_multi_remove). */
void   or_xfer_cleanup(or_xfer *x);

double or_now(void);

#pragma GCC visibility pop

#endif
