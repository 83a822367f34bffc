/*
** transport.h -- HTTP transfers on libcurl's multi interface.  Knows nothing
** of Lua: callbacks feed the SSE parser and queue events in C; the binding
** pops them.  One or_multi drives any number of transfers, so one loop can
** serve many streams and nothing has to block.
*/
#ifndef OR_TRANSPORT_H
#define OR_TRANSPORT_H

#include <stddef.h>
#include <curl/curl.h>

#include "errclass.h"
#include "evq.h"
#include "sse.h"

#pragma GCC visibility push(hidden)

typedef struct or_buf { char *p; size_t len, cap; } or_buf;

typedef struct or_xfer or_xfer;

/* A socket libcurl asked us to watch, or a change to one (for attach). */
typedef struct or_sock { int fd; int what; } or_sock;   /* what: CURL_POLL_* */

/*
** The engine: one libcurl multi handle in socket-action mode.  libcurl
** tells us (socket and timer callbacks, which only record) which sockets
** to watch and when to call it back; or_multi_drive watches them itself
** with poll(), or an external loop (luv) does and reports with
** or_multi_action.  The two never mix badly: both end in socket_action.
*/
typedef struct or_multi {
  CURLM *handle;
  int refs;                  /* the binding's handle + one per live transfer */
  or_xfer *active;           /* transfers added to the handle, not finished */
  or_sock *socks;            /* what libcurl wants watched */
  size_t nsocks, capsocks;
  double curl_deadline;      /* when libcurl wants a timeout action; HUGE_VAL: never */
  int watching;              /* an external loop takes changes */
  or_sock *changes;          /* socket changes since it last took them */
  size_t nchanges, capchanges;
  int timer_changed;
} or_multi;

/* What to send; strings are copied, `headers` is taken over. */
typedef struct or_request {
  const char *url;
  const char *method;              /* "GET" or "POST" */
  const char *body; size_t body_len;
  struct curl_slist *headers;
  int streaming;                   /* parse a 2xx body as SSE */
  long connect_ms;                 /* 0: libcurl's default */
  long timeout_ms;                 /* whole request; streams: until headers */
  long idle_ms;                    /* streams: max silence after headers */
  long first_token_ms;             /* streams: until the first content delta */
  size_t max_event;                /* SSE event size bound */
  size_t max_body;                 /* non-SSE body size bound */
  const char *proxy, *ca_file, *user_agent;
} or_request;

struct or_xfer {
  CURL *easy;
  or_multi *multi;
  struct or_xfer *prev, *next;     /* in the multi's list of active transfers */
  struct curl_slist *headers;
  char errbuf[CURL_ERROR_SIZE];
  /* settings */
  int streaming;
  long timeout_ms, idle_ms, first_token_ms;
  size_t max_body;
  /* progress */
  int active;                      /* added to the multi and not finished */
  int paused;                      /* the queue is full: waiting for the reader */
  double t_start, t_headers, t_first_byte, t_last_byte;
  long status;                     /* final status once headers_done */
  int headers_done;
  int content_json;                /* Content-Type says application/json */
  or_buf resp_headers;             /* "name: value\n" lines of the final response */
  int sse_mode;                    /* the body is being parsed as SSE */
  sse_parser sse;
  evq events;
  size_t queued_bytes;
  int saw_done;                    /* data: [DONE] arrived */
  int got_token;                   /* an event carried content/reasoning/tool calls */
  double t_first_token;
  size_t body_bytes;               /* response body bytes received */
  size_t comments;                 /* SSE comment lines (keep-alives) */
  size_t events_total;             /* events queued over the whole stream */
  size_t event_reads;              /* network reads that completed an event:
                                      1 means everything came at once */
  or_buf body;                     /* the body when not parsed as SSE */
  /* outcome */
  int finished;
  int failed;
  errc_kind fail_kind;
  char fail_msg[320];
};

or_multi *or_multi_new(void);
void      or_multi_unref(or_multi *m);
/* Wait at most wait_ms for activity (bounded by the transfers' own
** deadlines), drive every transfer, settle finished ones and expired
** timers; returns the number of transfers still active. */
int       or_multi_drive(or_multi *m, long wait_ms);
/* For an external loop: fd became ready (fd < 0: a timer fired). */
int       or_multi_action(or_multi *m, int fd, int readable, int writable);
/* Start (every current socket is reported as a change) or stop watching. */
void      or_multi_watch(or_multi *m, int on);
/* The socket changes since the last call (valid until the next curl call). */
const or_sock *or_multi_changes(or_multi *m, size_t *n);
/* When the engine next needs a call (libcurl's timer or a transfer's own
** deadline), absolute or_now() seconds; HUGE_VAL: nothing pending. */
double    or_multi_next_wake(const or_multi *m);
int       or_multi_count(const or_multi *m);

/* x must be zeroed memory.  0 on success; else -1 and x->fail_msg says why
** (x then needs only or_xfer_release). */
int  or_xfer_start(or_xfer *x, or_multi *m, const or_request *r);
/* Pop one event: 1 and its data/type (type NULL for "message"), or 0. */
int  or_xfer_pop(or_xfer *x, const char **data, size_t *len,
                 const char **type, size_t *type_len);
/* Abort (the connection is closed if the response is incomplete), mark it
** canceled if it had not finished, and free everything.  Idempotent. */
void or_xfer_release(or_xfer *x);

double or_now(void);

/* Shared by transport.c and multi.c. */
typedef enum { TIMER_NONE, TIMER_HEADERS, TIMER_IDLE, TIMER_FIRST_TOKEN } xfer_timer;
void       or_xfer_settle(or_xfer *x, CURLcode rc);
xfer_timer or_xfer_deadline(const or_xfer *x, double *when);
void       or_xfer_expire(or_xfer *x, double now);

#pragma GCC visibility pop

#endif
