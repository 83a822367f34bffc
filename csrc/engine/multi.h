/*
** multi.h -- the engine: one libcurl multi handle in socket-action mode
** drives any number of transfers, so one loop serves many streams and
** nothing has to block.  Pure C.
**
** libcurl tells the engine (socket and timer callbacks, which only
** record) which sockets to watch and when to call it back; or_multi_drive
** watches them itself with poll(), or an external loop (luv) does and
** reports with or_multi_action.  Both end in curl_multi_socket_action.
**
** The engine owns its transfers' membership: or_multi_add starts one and
** holds a reference to the engine for it, the engine lets go of it when
** it finishes or its own timer runs out, and or_multi_remove (before
** or_xfer_cleanup) stops it if still running and drops the reference.
*/
#ifndef OR_MULTI_H
#define OR_MULTI_H

#include "transfer.h"

#pragma GCC visibility push(hidden)

typedef struct or_multi or_multi;

/* A socket libcurl asked to watch, or a change to one (for attach). */
typedef struct or_sock { int fd; int what; } or_sock;   /* what: CURL_POLL_* */

/* A new engine, with one reference (its creator's); NULL when out of memory. */
or_multi *or_multi_new(void);
/* Drop a reference; the last one frees the engine. */
void      or_multi_unref(or_multi *m);

/* Start x (made by or_xfer_init); if that fails, x finishes with why. */
void      or_multi_add(or_multi *m, or_xfer *x);
/* Stop x if it is still running, and drop the reference it held. */
void      or_multi_remove(or_multi *m, or_xfer *x);

/* Wait at most wait_ms for activity (bounded by the transfers' own
** deadlines), drive every transfer, settle finished ones and expired
** timers; returns the number of transfers still running. */
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

#pragma GCC visibility pop

#endif
