/*
** multi.c -- see multi.h.
*/
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "multi.h"

struct or_multi {
  CURLM *handle;
  int refs;                  /* the creator's, plus one per added transfer */
  buf running;               /* or_xfer *: added and not finished */
  buf socks;                 /* or_sock: what libcurl wants watched */
  double curl_deadline;      /* when libcurl wants a timeout action; HUGE_VAL: never */
  int watching;              /* an external loop takes changes */
  buf changes;               /* or_sock: socket changes since it last took them */
};

/* bufs as arrays */
#define NRUNNING(m)  ((m)->running.len / sizeof(or_xfer *))
#define RUNNING(m)   ((or_xfer **)(void *)(m)->running.p)
#define NSOCKS(m)    ((m)->socks.len / sizeof(or_sock))
#define SOCKS(m)     ((or_sock *)(void *)(m)->socks.p)

/* {==================================================================
** What libcurl asked for
** =================================================================== */

static int add_sock (buf *b, int fd, int what) {
  or_sock s;
  s.fd = fd;
  s.what = what;
  return buf_add(b, &s, sizeof s);
}

/*
** CURLMOPT_SOCKETFUNCTION: remember the interest in fd (CURL_POLL_IN,
** _OUT, _INOUT) or forget it (CURL_POLL_REMOVE).  Returning -1 on a
** failed allocation makes libcurl fail the transfer rather than hang.
*/
static int on_socket (CURL *easy, curl_socket_t fd, int what, void *ud, void *sockp) {
  or_multi *m = (or_multi *)ud;
  or_sock *socks = SOCKS(m);
  size_t i, n = NSOCKS(m);
  (void)easy; (void)sockp;
  for (i = 0; i < n && socks[i].fd != (int)fd; i++) ;
  if (what == CURL_POLL_REMOVE) {
    if (i < n) {
      socks[i] = socks[n - 1];
      m->socks.len -= sizeof(or_sock);
    }
  }
  else if (i < n)
    socks[i].what = what;
  else if (add_sock(&m->socks, (int)fd, what) != 0)
    return -1;
  if (m->watching) add_sock(&m->changes, (int)fd, what);  /* lost on OOM: the loop re-syncs */
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants a timeout action in timeout_ms. */
static int on_timer (CURLM *multi, long timeout_ms, void *ud) {
  or_multi *m = (or_multi *)ud;
  (void)multi;
  m->curl_deadline = timeout_ms < 0 ? HUGE_VAL : or_now() + timeout_ms / 1000.0;
  return 0;
}

/* }================================================================== */

/* {==================================================================
** The engine and its transfers
** =================================================================== */

or_multi *or_multi_new (void) {
  or_multi *m = (or_multi *)calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  m->handle = curl_multi_init();
  if (m->handle == NULL) { free(m); return NULL; }
  m->refs = 1;
  m->curl_deadline = HUGE_VAL;
  curl_multi_setopt(m->handle, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(m->handle, CURLMOPT_SOCKETDATA, (void *)m);
  curl_multi_setopt(m->handle, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(m->handle, CURLMOPT_TIMERDATA, (void *)m);
  return m;
}

void or_multi_unref (or_multi *m) {
  if (--m->refs > 0) return;
  curl_multi_cleanup(m->handle);
  buf_free(&m->running);
  buf_free(&m->socks);
  buf_free(&m->changes);
  free(m);
}

void or_multi_add (or_multi *m, or_xfer *x) {
  m->refs++;
  if (x->finished) return;                  /* or_xfer_init failed: nothing to run */
  if (buf_add(&m->running, &x, sizeof x) != 0) {
    or_xfer_fail(x, ERRC_network, "out of memory while starting the request");
    or_xfer_settle(x, CURLE_OK);
    return;
  }
  if (curl_multi_add_handle(m->handle, x->easy) != CURLM_OK) {
    m->running.len -= sizeof x;
    or_xfer_fail(x, ERRC_network, "curl_multi_add_handle failed");
    or_xfer_settle(x, CURLE_OK);
  }
}

/* Let go of x if it is running (libcurl stops it, closing its connection
** when the response was not complete).  1 if it was running. */
static int let_go (or_multi *m, or_xfer *x) {
  or_xfer **run = RUNNING(m);
  size_t i, n = NRUNNING(m);
  for (i = 0; i < n && run[i] != x; i++) ;
  if (i == n) return 0;
  run[i] = run[n - 1];
  m->running.len -= sizeof x;
  curl_multi_remove_handle(m->handle, x->easy);
  return 1;
}

void or_multi_remove (or_multi *m, or_xfer *x) {
  let_go(m, x);
  or_multi_unref(m);
}

int or_multi_count (const or_multi *m) {
  return (int)NRUNNING(m);
}

double or_multi_next_wake (const or_multi *m) {
  double d = m->curl_deadline;
  size_t i;
  for (i = 0; i < NRUNNING(m); i++) {
    double t = or_xfer_deadline(RUNNING(m)[i]);
    if (t < d) d = t;
  }
  return d;
}

/* Finished transfers, then our own timers. */
static int settle (or_multi *m) {
  CURLMsg *msg;
  int left = 0;
  size_t i;
  double now;
  while ((msg = curl_multi_info_read(m->handle, &left)) != NULL) {
    if (msg->msg == CURLMSG_DONE) {
      or_xfer *x = NULL;
      CURLcode rc = msg->data.result;        /* msg is invalid after remove_handle */
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
      if (x != NULL && let_go(m, x)) or_xfer_settle(x, rc);
    }
  }
  now = or_now();
  for (i = NRUNNING(m); i-- > 0; ) {         /* backwards: let_go moves the last one here */
    or_xfer *x = RUNNING(m)[i];
    if (or_xfer_expire(x, now)) let_go(m, x);
  }
  return or_multi_count(m);
}

/* }================================================================== */

/* {==================================================================
** Driving
** =================================================================== */

/* libcurl's timer is due: let it run its timeouts and start new handles. */
static void run_curl_timer (or_multi *m) {
  int running;
  if (m->curl_deadline > or_now()) return;
  m->curl_deadline = HUGE_VAL;          /* it re-arms through on_timer */
  curl_multi_socket_action(m->handle, CURL_SOCKET_TIMEOUT, 0, &running);
}

int or_multi_action (or_multi *m, int fd, int readable, int writable) {
  int running;
  if (fd >= 0) {
    int ev = (readable ? CURL_CSELECT_IN : 0) | (writable ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(m->handle, (curl_socket_t)fd, ev, &running);
  }
  run_curl_timer(m);
  return settle(m);
}

/* Most sockets poll() watches at once on the stack; more go to the heap. */
#define STACK_FDS 64

int or_multi_drive (or_multi *m, long wait_ms) {
  struct pollfd stack_fds[STACK_FDS], *fds = stack_fds;
  size_t i, n = NSOCKS(m);
  double now = or_now(), wake = or_multi_next_wake(m);
  long timeout = wait_ms > 0 ? wait_ms : 0;
  int running;
  if (wake != HUGE_VAL) {
    double ms = (wake - now) * 1000.0;
    if (ms < timeout) timeout = ms <= 0 ? 0 : (long)ms + 1;   /* never early */
  }
  if (n > STACK_FDS) {
    fds = (struct pollfd *)malloc(n * sizeof *fds);
    if (fds == NULL) { fds = stack_fds; n = STACK_FDS; }
  }
  for (i = 0; i < n; i++) {
    const or_sock *s = &SOCKS(m)[i];
    fds[i].fd = s->fd;
    fds[i].events = (short)(((s->what & CURL_POLL_IN) ? POLLIN : 0) |
                            ((s->what & CURL_POLL_OUT) ? POLLOUT : 0));
    fds[i].revents = 0;
  }
  if (n > 0 || timeout > 0) poll(fds, (nfds_t)n, (int)timeout);
  /* socket_action may change m->socks: act on our copy */
  for (i = 0; i < n; i++) {
    short r = fds[i].revents;
    if (r == 0) continue;
    curl_multi_socket_action(m->handle, (curl_socket_t)fds[i].fd,
      ((r & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
      ((r & POLLOUT) ? CURL_CSELECT_OUT : 0) |
      ((r & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0), &running);
  }
  if (fds != stack_fds) free(fds);
  run_curl_timer(m);
  return settle(m);
}

void or_multi_watch (or_multi *m, int on) {
  size_t i;
  m->watching = on;
  m->changes.len = 0;
  if (!on) return;
  for (i = 0; i < NSOCKS(m); i++) add_sock(&m->changes, SOCKS(m)[i].fd, SOCKS(m)[i].what);
}

const or_sock *or_multi_changes (or_multi *m, size_t *n) {
  *n = m->changes.len / sizeof(or_sock);
  m->changes.len = 0;
  return (const or_sock *)(void *)m->changes.p;
}

/* }================================================================== */
