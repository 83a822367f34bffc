/*
** multi.c -- the engine that drives every transfer: libcurl's multi handle
** in socket-action mode.
**
** libcurl's socket and timer callbacks only record what it wants (which
** sockets to watch for what, when to be called back); nothing else runs
** inside them.  Then either
**   - or_multi_drive waits on those sockets itself with poll(2) (blocking
**     calls, openrouter.step), or
**   - an external loop (luv, through openrouter.attach) takes the changes,
**     watches the sockets with its own handles, and calls or_multi_action
**     when one is ready or its timer fires -- so nothing polls while idle.
** Both paths end in curl_multi_socket_action, so they can be mixed.
*/
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

/* {==================================================================
** What libcurl asked for
** =================================================================== */

static int sock_grow (or_sock **arr, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  {
    size_t cap2 = *cap ? *cap * 2 : 16;
    or_sock *p;
    while (cap2 < need) cap2 *= 2;
    p = (or_sock *)realloc(*arr, cap2 * sizeof *p);
    if (p == NULL) return -1;
    *arr = p; *cap = cap2;
  }
  return 0;
}

static void note_change (or_multi *m, int fd, int what) {
  if (!m->watching) return;
  if (sock_grow(&m->changes, &m->capchanges, m->nchanges + 1) != 0) return;
  m->changes[m->nchanges].fd = fd;
  m->changes[m->nchanges].what = what;
  m->nchanges++;
}

/*
** CURLMOPT_SOCKETFUNCTION: remember the interest in fd (CURL_POLL_IN,
** _OUT, _INOUT) or forget it (CURL_POLL_REMOVE).  Returning -1 on a
** failed allocation makes libcurl fail the transfer rather than hang.
*/
static int on_socket (CURL *easy, curl_socket_t fd, int what, void *ud, void *sockp) {
  or_multi *m = (or_multi *)ud;
  size_t i;
  (void)easy; (void)sockp;
  for (i = 0; i < m->nsocks && m->socks[i].fd != (int)fd; i++) ;
  if (what == CURL_POLL_REMOVE) {
    if (i < m->nsocks) m->socks[i] = m->socks[--m->nsocks];
  }
  else if (i < m->nsocks)
    m->socks[i].what = what;
  else {
    if (sock_grow(&m->socks, &m->capsocks, m->nsocks + 1) != 0) return -1;
    m->socks[m->nsocks].fd = (int)fd;
    m->socks[m->nsocks].what = what;
    m->nsocks++;
  }
  note_change(m, (int)fd, what);
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants a timeout action in timeout_ms. */
static int on_timer (CURLM *multi, long timeout_ms, void *ud) {
  or_multi *m = (or_multi *)ud;
  (void)multi;
  m->curl_deadline = timeout_ms < 0 ? HUGE_VAL : or_now() + timeout_ms / 1000.0;
  m->timer_changed = 1;
  return 0;
}

/* }================================================================== */

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
  free(m->socks);
  free(m->changes);
  free(m);
}

int or_multi_count (const or_multi *m) {
  int n = 0;
  const or_xfer *x;
  for (x = m->active; x != NULL; x = x->next) n++;
  return n;
}

double or_multi_next_wake (const or_multi *m) {
  double d = m->curl_deadline;
  const or_xfer *x;
  for (x = m->active; x != NULL; x = x->next) {
    double t;
    or_xfer_deadline(x, &t);
    if (t < d) d = t;
  }
  return d;
}

/* Finished transfers, then our own timers. */
static int settle (or_multi *m) {
  CURLMsg *msg;
  int left = 0;
  or_xfer *x, *next;
  double now;
  while ((msg = curl_multi_info_read(m->handle, &left)) != NULL) {
    if (msg->msg == CURLMSG_DONE) {
      or_xfer *done = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
      if (done != NULL) or_xfer_settle(done, msg->data.result);
    }
  }
  now = or_now();
  for (x = m->active; x != NULL; x = next) {
    next = x->next;                     /* expiring unlinks x */
    or_xfer_expire(x, now);
  }
  return or_multi_count(m);
}

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
  size_t i, n = m->nsocks;
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
    fds[i].fd = m->socks[i].fd;
    fds[i].events = (short)(((m->socks[i].what & CURL_POLL_IN) ? POLLIN : 0) |
                            ((m->socks[i].what & CURL_POLL_OUT) ? POLLOUT : 0));
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
  m->nchanges = 0;
  if (!on) return;
  for (i = 0; i < m->nsocks; i++) note_change(m, m->socks[i].fd, m->socks[i].what);
  m->timer_changed = 1;
}

const or_sock *or_multi_changes (or_multi *m, size_t *n) {
  *n = m->nchanges;
  m->nchanges = 0;
  m->timer_changed = 0;
  return m->changes;
}
