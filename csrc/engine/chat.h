/*
** chat.h -- what the events of an OpenRouter chat stream mean (OPENROUTER.md,
** SSE framing).  Pure C.  The transfer parses SSE and asks this unit about
** each event; it knows nothing of the chat protocol itself.
**   - data "[DONE]" ends the stream (anything after it is ignored);
**   - an unnamed event with data is a chunk; one that carries an error in
**     band (a top-level "error" object, or a first choice whose
**     finish_reason is "error") is queued as an error;
**   - an event named `error` is an error;
**   - empty data, and events with any other name (`ping` ...), are skipped;
**   - a chunk with a non-empty content or reasoning string, or tool calls,
**     is the first output (it stops first_token_timeout).
*/
#ifndef OR_CHAT_H
#define OR_CHAT_H

#include "sse.h"

#pragma GCC visibility push(hidden)

typedef enum {
  CHAT_SKIP,         /* not for the reader */
  CHAT_CHUNK,        /* a chat.completion.chunk */
  CHAT_ERROR,        /* an error: an error chunk or an `event: error` */
  CHAT_END           /* data: [DONE] */
} chat_verdict;

/* The name of the end marker, for messages about a stream without it. */
#define CHAT_END_NAME "data: [DONE]"

/* The verdict on one event; *output is set to 1 when it carries output. */
chat_verdict chat_event(const sse_event *ev, int *output);

#pragma GCC visibility pop

#endif
