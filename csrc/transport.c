/*
** transport.c -- see transport.h.
**
** libcurl calls on_header/on_write while the engine (multi.c) runs; they
** only copy bytes into C buffers (the SSE parser, the event queue, the
** body), so no Lua runs inside libcurl and nothing can longjmp through it.
** The timers libcurl has no notion of (time to a stream's headers, idle
** gaps, first token) are defined here; the engine checks them.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "transport.h"

/* Pause a stream whose reader fell this far behind (bytes queued). */
#ifndef OR_QUEUE_HIGH_WATER
#define OR_QUEUE_HIGH_WATER (4u << 20)
#endif

double or_now (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* {==================================================================
** Byte buffer
** =================================================================== */

static int buf_add (or_buf *b, const char *s, size_t n) {
  if (b->cap - b->len < n + 1) {
    size_t cap = b->cap ? b->cap : 1024;
    char *p;
    while (cap - b->len < n + 1) {
      if (cap > (size_t)-1 / 2) return -1;
      cap *= 2;
    }
    p = (char *)realloc(b->p, cap);
    if (p == NULL) return -1;
    b->p = p; b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';       /* keeps the buffer usable as a C string */
  return 0;
}

static void buf_free (or_buf *b) {
  free(b->p);
  b->p = NULL; b->len = b->cap = 0;
}

/* }================================================================== */

/* {==================================================================
** Outcome
** =================================================================== */

/* Record the first failure only: later ones are consequences of it. */
static void xfer_fail (or_xfer *x, errc_kind kind, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

static void xfer_fail (or_xfer *x, errc_kind kind, const char *fmt, ...) {
  va_list ap;
  if (x->failed) return;
  x->failed = 1;
  x->fail_kind = kind;
  va_start(ap, fmt);
  vsnprintf(x->fail_msg, sizeof x->fail_msg, fmt, ap);
  va_end(ap);
}

static void multi_unlink (or_xfer *x) {
  or_multi *m = x->multi;
  if (!x->active) return;
  curl_multi_remove_handle(m->handle, x->easy);
  if (x->prev) x->prev->next = x->next; else m->active = x->next;
  if (x->next) x->next->prev = x->prev;
  x->prev = x->next = NULL;
  x->active = 0;
}

/*
** The transfer is over: libcurl finished it (rc), or a local timer or
** limit stopped it (rc = CURLE_OK, x->failed set).  A stream that ended
** cleanly but without [DONE] was truncated, which must never look like a
** normal end.
*/
void or_xfer_settle (or_xfer *x, CURLcode rc) {
  if (x->finished) return;
  multi_unlink(x);
  x->finished = 1;
  if (x->failed) return;
  if (rc != CURLE_OK) {
    errc_kind k = errc_for_curl(rc, x->body_bytes > 0);
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
    if (k == ERRC_interrupted)
      xfer_fail(x, k, "the connection broke after the response began: %s", detail);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
      xfer_fail(x, k, "request timed out: %s", detail);
    else
      xfer_fail(x, k, "%s", detail);
  }
  else if (x->sse_mode && !x->saw_done)
    xfer_fail(x, ERRC_interrupted, "the stream ended before data: [DONE]%s",
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
** then the status is final unless it is 1xx.
*/
static size_t on_header (char *s, size_t size, size_t n, void *ud) {
  or_xfer *x = (or_xfer *)ud;
  size_t len = size * n;
  if (x->headers_done) return len;          /* trailers */
  if (starts_with_ci(s, len, "HTTP/")) {
    x->resp_headers.len = 0;
    x->content_json = 0;
    return len;
  }
  if (is_blank_line(s, len)) {
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 100 && code < 200) return len;
    x->status = code;
    x->headers_done = 1;
    x->t_headers = or_now();
    x->sse_mode = x->streaming && code >= 200 && code < 300 && !x->content_json;
    return len;
  }
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
  if (starts_with_ci(s, len, "content-type:")) {
    const char *v = s + 13;
    size_t vn = len - 13;
    while (vn > 0 && (*v == ' ' || *v == '\t')) { v++; vn--; }
    x->content_json = starts_with_ci(v, vn, "application/json");
  }
  if (buf_add(&x->resp_headers, s, len) || buf_add(&x->resp_headers, "\n", 1))
    return 0;                               /* out of memory: abort */
  return size * n;
}

/*
** Does this chunk carry generated output: a non-empty "content" or
** "reasoning" string, or "tool_calls"?  A cheap scan of the raw JSON (no
** decoding in C); it only arms first_token_timeout, so a rare false
** positive costs nothing but an early disarm.
*/
static int has_output (const char *s, size_t n) {
  static const char *const keys[] = { "\"content\"", "\"reasoning\"", "\"tool_calls\"" };
  size_t k;
  for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    size_t kl = strlen(keys[k]);
    const char *p = s, *end = s + n;
    while (p + kl <= end) {
      const char *q = (const char *)memchr(p, '"', (size_t)(end - p));
      if (q == NULL || q + kl > end) break;
      if (memcmp(q, keys[k], kl) == 0) {
        const char *v = q + kl;
        while (v < end && (*v == ' ' || *v == ':' || *v == '\t')) v++;
        if (v < end && *v == '[' && k == 2) return 1;
        if (v + 1 < end && *v == '"' && v[1] != '"') return 1;
      }
      p = q + 1;
    }
  }
  return 0;
}

static int on_sse_event (void *ud, const sse_event *ev) {
  or_xfer *x = (or_xfer *)ud;
  int typed = !(ev->type_len == 7 && memcmp(ev->type, "message", 7) == 0);
  if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
    x->saw_done = 1;
    return 1;                               /* ignore anything after it */
  }
  if (typed) {
    /* entry = type bytes then data bytes; the tag is the type's length */
    char *tmp = (char *)malloc(ev->type_len + ev->data_len + 1);
    int rc;
    if (tmp == NULL) goto nomem;
    memcpy(tmp, ev->type, ev->type_len);
    memcpy(tmp + ev->type_len, ev->data, ev->data_len);
    rc = evq_push(&x->events, (unsigned)ev->type_len, tmp, ev->type_len + ev->data_len);
    free(tmp);
    if (rc != 0) goto nomem;
  }
  else if (evq_push(&x->events, 0, ev->data, ev->data_len) != 0)
    goto nomem;
  x->queued_bytes += ev->type_len + ev->data_len;
  x->events_total++;
  if (!x->got_token && has_output(ev->data, ev->data_len)) {
    x->got_token = 1;
    x->t_first_token = or_now();
  }
  return 0;
nomem:
  xfer_fail(x, ERRC_protocol, "out of memory while queueing an event");
  return 1;
}

static void on_sse_comment (void *ud, const char *text, size_t len) {
  (void)text; (void)len;
  ((or_xfer *)ud)->comments++;
}

static size_t on_write (char *s, size_t size, size_t n, void *ud) {
  or_xfer *x = (or_xfer *)ud;
  size_t len = size * n;
  if (x->sse_mode && x->queued_bytes >= OR_QUEUE_HIGH_WATER && !x->saw_done) {
    x->paused = 1;                          /* the reader resumes us in pop */
    return CURL_WRITEFUNC_PAUSE;
  }
  x->t_last_byte = or_now();
  if (x->body_bytes == 0) x->t_first_byte = x->t_last_byte;
  x->body_bytes += len;
  if (x->sse_mode) {
    int rc;
    size_t before = x->events_total;
    if (x->saw_done) return len;
    rc = sse_feed(&x->sse, s, len);
    if (x->events_total > before) x->event_reads++;
    if (rc == SSE_OK) return len;
    if (rc == SSE_STOPPED) return x->failed ? 0 : len;
    if (rc == SSE_TOO_BIG)
      xfer_fail(x, ERRC_protocol, "an SSE event exceeded %lu bytes (max_event)",
                (unsigned long)x->sse.max_event);
    else
      xfer_fail(x, ERRC_protocol, "SSE parser: %s", sse_strerror(rc));
    return 0;
  }
  if (x->body.len + len > x->max_body) {
    xfer_fail(x, ERRC_protocol, "the response body exceeded %lu bytes (max_body)",
              (unsigned long)x->max_body);
    return 0;
  }
  if (buf_add(&x->body, s, len) != 0) {
    xfer_fail(x, ERRC_protocol, "out of memory while reading the response body");
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

int or_xfer_start (or_xfer *x, or_multi *m, const or_request *r) {
  x->headers = r->headers;
  x->streaming = r->streaming;
  x->timeout_ms = r->timeout_ms;
  x->idle_ms = r->idle_ms;
  x->first_token_ms = r->first_token_ms;
  x->max_body = r->max_body;
  evq_init(&x->events);
  sse_init(&x->sse, r->max_event, on_sse_event, on_sse_comment, x);
  x->easy = curl_easy_init();
  if (x->easy == NULL) {
    xfer_fail(x, ERRC_network, "curl_easy_init failed");
    return -1;
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
  SETOPT(CURLOPT_ACCEPT_ENCODING, "");       /* whatever libcurl can decode */
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
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
  x->multi = m;
  m->refs++;
  x->t_start = x->t_last_byte = or_now();
  if (curl_multi_add_handle(m->handle, x->easy) != CURLM_OK) {
    xfer_fail(x, ERRC_network, "curl_multi_add_handle failed");
    return -1;
  }
  x->active = 1;
  x->next = m->active;
  if (m->active) m->active->prev = x;
  m->active = x;
  return 0;
bad_opt:
  xfer_fail(x, ERRC_config, "libcurl rejected an option: %s",
            x->errbuf[0] ? x->errbuf : "unsupported by this libcurl");
  return -1;
}

#undef SETOPT

int or_xfer_pop (or_xfer *x, const char **data, size_t *len,
                 const char **type, size_t *type_len) {
  unsigned tag;
  const char *p;
  size_t n;
  if (!evq_pop(&x->events, &tag, &p, &n)) return 0;
  x->queued_bytes -= n;
  *type = tag ? p : NULL;
  *type_len = tag;
  *data = p + tag;
  *len = n - tag;
  if (x->paused && x->queued_bytes < OR_QUEUE_HIGH_WATER / 2 && x->active) {
    x->paused = 0;
    x->t_last_byte = or_now();              /* the pause was ours, not idleness */
    curl_easy_pause(x->easy, CURLPAUSE_CONT);
  }
  return 1;
}

void or_xfer_release (or_xfer *x) {
  if (x->easy != NULL && !x->finished) {
    xfer_fail(x, ERRC_canceled, "the request was canceled");
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
  if (x->multi) or_multi_unref(x->multi);
  x->multi = NULL;
}

/* }================================================================== */

/* {==================================================================
** Timers libcurl does not know: time to headers, idle gaps, first token
** =================================================================== */

xfer_timer or_xfer_deadline (const or_xfer *x, double *when) {
  xfer_timer which = TIMER_NONE;
  *when = HUGE_VAL;
  if (!x->streaming || x->paused) return TIMER_NONE;
  if (!x->headers_done) {
    if (x->timeout_ms > 0) { *when = x->t_start + x->timeout_ms / 1000.0; which = TIMER_HEADERS; }
  }
  else if (x->idle_ms > 0) {
    *when = x->t_last_byte + x->idle_ms / 1000.0; which = TIMER_IDLE;
  }
  if (x->first_token_ms > 0 && !x->got_token && !x->saw_done &&
      (!x->headers_done || x->sse_mode)) {
    double t = x->t_start + x->first_token_ms / 1000.0;
    if (t < *when) { *when = t; which = TIMER_FIRST_TOKEN; }
  }
  return which;
}

void or_xfer_expire (or_xfer *x, double now) {
  double when;
  xfer_timer which = or_xfer_deadline(x, &when);
  if (which == TIMER_NONE || when > now) return;
  if (which == TIMER_HEADERS)
    xfer_fail(x, ERRC_timeout, "no response headers within %g s (timeout)",
              x->timeout_ms / 1000.0);
  else if (which == TIMER_IDLE)
    xfer_fail(x, ERRC_timeout, "the stream was idle for %g s (idle_timeout)",
              x->idle_ms / 1000.0);
  else
    xfer_fail(x, ERRC_timeout, "no content within %g s of sending (first_token_timeout)",
              x->first_token_ms / 1000.0);
  or_xfer_settle(x, CURLE_OK);
}

/* }================================================================== */
