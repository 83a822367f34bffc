/*
** transfer.c -- see transfer.h.
**
** libcurl calls on_header/on_write while the engine runs; they only copy
** bytes into bufs (the SSE parser, the event queue, the body), so no Lua
** runs inside libcurl and nothing can longjmp through it.  The timers
** libcurl has no notion of (time to a stream's headers, idle gaps, first
** output) are defined here; the engine checks them.
**
** Back-pressure: on_write refuses bytes (CURL_WRITEFUNC_PAUSE) while the
** queue holds OR_QUEUE_HIGH_WATER bytes or more; libcurl keeps them.  The
** reader resumes the transfer from or_xfer_drop, after it copied out the
** event it read -- libcurl delivers what it held inside that call, so the
** event must not be in the queue's memory any more.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "transfer.h"

double or_now (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* {==================================================================
** Outcome
** =================================================================== */

void or_xfer_fail (or_xfer *x, errc_kind kind, const char *fmt, ...) {
  va_list ap;
  if (x->failed) return;
  x->failed = 1;
  x->fail_kind = kind;
  va_start(ap, fmt);
  vsnprintf(x->fail_msg, sizeof x->fail_msg, fmt, ap);
  va_end(ap);
}

/*
** The caller's option behind a libcurl timeout.  A stream gives libcurl
** only connect_timeout (our own timers bound the rest); a whole request
** gives it timeout too, and until the request is sent (connecting, a
** proxy's tunnel, TLS) libcurl enforces the tighter of the two.
*/
static const char *xfer_timeout_option (const or_xfer *x) {
  curl_off_t sent_at = 0;
  if (x->streaming) return "connect_timeout";
  if (x->easy != NULL) curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &sent_at);
  if (sent_at > 0 || x->connect_ms <= 0 || x->connect_ms >= x->timeout_ms) return "timeout";
  return "connect_timeout";
}

/*
** A stream that ended cleanly but without its end marker was truncated,
** which must never look like a normal end.  A proxy that refused the
** tunnel for want of credentials answered CONNECT with 407: no retry
** brings them.
*/
void or_xfer_settle (or_xfer *x, CURLcode rc) {
  if (x->finished) return;
  x->finished = 1;
  x->paused = 0;
  if (x->easy != NULL) {                    /* what the transfer's connection was */
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &x->connects);
    curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &x->http_version);
  }
  if (x->failed) return;
  if (rc != CURLE_OK) {
    errc_kind k = errc_for_curl(rc, x->body_bytes > 0);
    long connect_code = 0;
    x->fail_curl = rc;
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
    if (x->easy != NULL) curl_easy_getinfo(x->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    if (connect_code == 407)
      or_xfer_fail(x, errc_for_status(connect_code),
                   "the proxy wants credentials: it answered CONNECT with 407");
    else if (k == ERRC_interrupted)
      or_xfer_fail(x, k, "the connection broke after the response began: %s", detail);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
      or_xfer_fail(x, k, "request timed out (%s): %s", xfer_timeout_option(x), detail);
    else
      or_xfer_fail(x, k, "%s", detail);
  }
  else if (x->sse_mode && !x->saw_end)
    or_xfer_fail(x, ERRC_interrupted, "the stream ended before %s%s", x->end_name,
                 sse_pending(&x->sse) ? " (inside an unfinished event)" : "");
}

/* }================================================================== */

/* {==================================================================
** libcurl callbacks
** =================================================================== */

static int is_blank_line (const char *s, size_t n) {
  return n == 0 || (n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' && s[1] == '\n');
}

static int starts_with_ci (const char *s, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  return n >= k && strncasecmp(s, prefix, k) == 0;
}

/*
** Collect the headers of the final response.  A status line starts a new
** response (after 100 Continue, say); the blank line ends the headers, and
** then the status is final unless it is 1xx -- or 0: a proxy's answer to
** CONNECT, which libcurl is told not to pass on, is not the response.  A
** stream's body is parsed as SSE only when it says it is one (or says
** nothing): a captive portal's HTML page is a body to report, not events.
*/
static size_t on_header (char *s, size_t size, size_t n, void *ud) {
  or_xfer *x = (or_xfer *)ud;
  size_t len = size * n;
  if (x->headers_done) return len;          /* trailers */
  if (starts_with_ci(s, len, "HTTP/")) {
    x->resp_headers.len = 0;
    x->content_json = 0;
    x->content_sse = 1;
    return len;
  }
  if (is_blank_line(s, len)) {
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200) return len;
    x->status = code;
    x->headers_done = 1;
    x->t_headers = or_now();
    x->sse_mode = x->streaming && code >= 200 && code < 300 && x->content_sse;
    return len;
  }
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
  if (starts_with_ci(s, len, "content-type:")) {
    const char *v = s + 13;
    size_t vn = len - 13;
    while (vn > 0 && (*v == ' ' || *v == '\t')) { v++; vn--; }
    x->content_json = starts_with_ci(v, vn, "application/json");
    x->content_sse = starts_with_ci(v, vn, "text/event-stream");
  }
  if (buf_add(&x->resp_headers, s, len) || buf_add(&x->resp_headers, "\n", 1))
    return 0;                               /* out of memory: abort */
  return size * n;
}

static int on_sse_event (void *ud, const sse_event *ev) {
  or_xfer *x = (or_xfer *)ud;
  int want = x->first_token_ms > 0 && !x->got_output, output = 0;
  int tag = x->on_event(ev, want, &output);
  if (tag == XFER_END) {
    x->saw_end = 1;
    return 1;                               /* nothing after it is read */
  }
  if (output) x->got_output = 1;
  if (tag == XFER_SKIP) return 0;
  if (evq_push(&x->events, (unsigned)tag, ev->data, ev->data_len) != 0) {
    or_xfer_fail(x, ERRC_protocol, "out of memory while queueing an event");
    return 1;
  }
  x->events_total++;
  return 0;
}

static void on_sse_comment (void *ud, const char *text, size_t len) {
  (void)text; (void)len;
  ((or_xfer *)ud)->comments++;
}

static size_t on_write (char *s, size_t size, size_t n, void *ud) {
  or_xfer *x = (or_xfer *)ud;
  size_t len = size * n;
  if (x->sse_mode && x->events.bytes >= OR_QUEUE_HIGH_WATER && !x->saw_end) {
    x->paused = 1;                          /* or_xfer_drop resumes us */
    return CURL_WRITEFUNC_PAUSE;
  }
  x->t_progress = or_now();
  if (x->body_bytes == 0) x->t_first_byte = x->t_progress;
  x->body_bytes += len;
  if (x->sse_mode) {
    int rc;
    size_t before = x->events_total;
    if (x->saw_end) return len;
    rc = sse_feed(&x->sse, s, len);
    if (x->events_total > before) x->event_reads++;
    if (rc == SSE_OK) return len;
    if (rc == SSE_STOPPED) return x->failed ? 0 : len;
    if (rc == SSE_TOO_BIG)
      or_xfer_fail(x, ERRC_protocol, "an SSE event exceeded %lu bytes (max_event)",
                   (unsigned long)x->sse.max_event);
    else
      or_xfer_fail(x, ERRC_protocol, "SSE parser: %s", sse_strerror(rc));
    return 0;
  }
  if (x->body.len + len > x->max_body) {
    or_xfer_fail(x, ERRC_protocol, "the response body exceeded %lu bytes (max_body)",
                 (unsigned long)x->max_body);
    return 0;
  }
  if (buf_add(&x->body, s, len) != 0) {
    or_xfer_fail(x, ERRC_protocol, "out of memory while reading the response body");
    return 0;
  }
  return len;
}

/* }================================================================== */

/* {==================================================================
** Transfers
** =================================================================== */

#define SETOPT(opt, val) \
  do { if (curl_easy_setopt(x->easy, opt, val) != CURLE_OK) goto bad_opt; } while (0)

int or_xfer_init (or_xfer *x, const or_request *r) {
  x->headers = r->headers;
  x->streaming = r->streaming;
  x->on_event = r->on_event;
  x->end_name = r->end_name ? r->end_name : "the end of the stream";
  x->connect_ms = r->connect_ms;
  x->timeout_ms = r->timeout_ms;
  x->idle_ms = r->idle_ms;
  x->first_token_ms = r->first_token_ms;
  x->max_body = r->max_body > 0 ? r->max_body : OR_DEFAULT_MAX_BODY;
  x->t_start = x->t_progress = or_now();
  evq_init(&x->events);
  sse_init(&x->sse, r->max_event, on_sse_event, on_sse_comment, x);
  if (x->streaming && x->on_event == NULL) {
    or_xfer_fail(x, ERRC_config, "a stream needs an event function");
    goto failed;
  }
  x->easy = curl_easy_init();
  if (x->easy == NULL) {
    or_xfer_fail(x, ERRC_network, "curl_easy_init failed");
    goto failed;
  }
  SETOPT(CURLOPT_URL, r->url);
  SETOPT(CURLOPT_PRIVATE, (void *)x);
  SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_HTTPHEADER, x->headers);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_HEADERDATA, (void *)x);
  SETOPT(CURLOPT_WRITEFUNCTION, on_write);
  SETOPT(CURLOPT_WRITEDATA, (void *)x);
  /* A stream asks for no compression: a compressing proxy may hold the
  ** stream back to compress it.  A whole body takes what libcurl decodes. */
  SETOPT(CURLOPT_ACCEPT_ENCODING, r->streaming ? "identity" : "");
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  /* h2 (https only: no h2 is asked of plain http) shares a connection
  ** rather than opening more; over plain http libcurl would hold a cold
  ** client's concurrent requests back until the first one is done. */
  if (strncasecmp(r->url, "https:", 6) == 0) SETOPT(CURLOPT_PIPEWAIT, 1L);
  SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(CURLOPT_TCP_NODELAY, 1L);
  if (r->user_agent) SETOPT(CURLOPT_USERAGENT, r->user_agent);
  if (r->connect_ms > 0) SETOPT(CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms);
  /* A stream's whole length is unbounded: it gets our header/idle timers. */
  if (!r->streaming && r->timeout_ms > 0) SETOPT(CURLOPT_TIMEOUT_MS, r->timeout_ms);
  if (r->proxy) SETOPT(CURLOPT_PROXY, r->proxy);
  if (r->ca_file) SETOPT(CURLOPT_CAINFO, r->ca_file);
  if (strcmp(r->method, "POST") == 0) {
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    SETOPT(CURLOPT_COPYPOSTFIELDS, r->body ? r->body : "");
  }
  else if (strcmp(r->method, "GET") != 0)
    SETOPT(CURLOPT_CUSTOMREQUEST, r->method);
  return 0;
bad_opt:
  or_xfer_fail(x, ERRC_config, "libcurl rejected an option: %s",
               x->errbuf[0] ? x->errbuf : "unsupported by this libcurl");
failed:
  or_xfer_settle(x, CURLE_OK);
  return -1;
}

#undef SETOPT

int or_xfer_peek (const or_xfer *x, unsigned *tag, const char **data, size_t *len) {
  return evq_peek(&x->events, tag, data, len);
}

void or_xfer_drop (or_xfer *x) {
  evq_drop(&x->events);
  if (!x->paused) return;
  x->t_progress = or_now();                 /* the reader is alive: not idle */
  if (x->events.bytes < OR_QUEUE_HIGH_WATER / 2) {
    x->paused = 0;
    curl_easy_pause(x->easy, CURLPAUSE_CONT);
  }
}

void or_xfer_cleanup (or_xfer *x) {
  if (!x->finished) {
    or_xfer_fail(x, ERRC_canceled, "the request was canceled");
    or_xfer_settle(x, CURLE_OK);
  }
  if (x->easy) curl_easy_cleanup(x->easy);
  x->easy = NULL;
  curl_slist_free_all(x->headers);
  x->headers = NULL;
  sse_free(&x->sse);
  evq_free(&x->events);
  buf_free(&x->body);
  buf_free(&x->resp_headers);
}

/* }================================================================== */

/* {==================================================================
** Timers libcurl does not know: time to headers, idle gaps, first output
** =================================================================== */

typedef enum { TIMER_NONE, TIMER_HEADERS, TIMER_IDLE, TIMER_FIRST_TOKEN, TIMER_BODY } xfer_timer;

/* The timer that runs out first, and when. */
static xfer_timer next_timer (const or_xfer *x, double *when) {
  xfer_timer which = TIMER_NONE;
  *when = HUGE_VAL;
  if (!x->streaming || x->finished) return TIMER_NONE;
  if (!x->headers_done) {
    if (x->timeout_ms > 0) { *when = x->t_start + x->timeout_ms / 1000.0; which = TIMER_HEADERS; }
  }
  else if (!x->sse_mode) {
    /* a stream request answered by a whole body (an error, a portal's page)
    ** is bounded like any request, by timeout: a trickle cannot hold it */
    if (x->timeout_ms > 0) { *when = x->t_start + x->timeout_ms / 1000.0; which = TIMER_BODY; }
  }
  else if (x->idle_ms > 0) {
    *when = x->t_progress + x->idle_ms / 1000.0; which = TIMER_IDLE;
  }
  if (x->first_token_ms > 0 && !x->got_output && !x->saw_end &&
      (!x->headers_done || x->sse_mode)) {
    double t = x->t_start + x->first_token_ms / 1000.0;
    if (t < *when) { *when = t; which = TIMER_FIRST_TOKEN; }
  }
  return which;
}

double or_xfer_deadline (const or_xfer *x) {
  double when;
  next_timer(x, &when);
  return when;
}

int or_xfer_expire (or_xfer *x, double now) {
  double when;
  xfer_timer which = next_timer(x, &when);
  if (which == TIMER_NONE || when > now) return 0;
  if (which == TIMER_HEADERS)
    or_xfer_fail(x, ERRC_timeout, "no response headers within %g s (timeout)",
                 x->timeout_ms / 1000.0);
  else if (which == TIMER_BODY)
    or_xfer_fail(x, ERRC_timeout, "the answer's body did not complete within %g s (timeout)",
                 x->timeout_ms / 1000.0);
  else if (which == TIMER_IDLE)
    or_xfer_fail(x, ERRC_timeout, "the stream was idle for %g s (idle_timeout)",
                 x->idle_ms / 1000.0);
  else
    or_xfer_fail(x, ERRC_timeout, "no content within %g s of sending (first_token_timeout)",
                 x->first_token_ms / 1000.0);
  or_xfer_settle(x, CURLE_OK);
  return 1;
}

/* }================================================================== */
