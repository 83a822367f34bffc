/*
** chat.h -- what the events of an OpenRouter chat stream mean (OPENROUTER.md,
** SSE framing).  Pure C.  The transfer parses SSE and asks this unit about
** each event; the binding asks it about each chunk it hands out.  Nothing
** else knows the chat protocol.
**   - data "[DONE]" ends the stream (anything after it is ignored);
**   - an event named `error` is an error; events with any other name
**     (`ping` ...) and events with empty data are skipped;
**   - an unnamed event with data is a chunk; one that carries an error in
**     band (a top-level "error" object, or a first choice whose
**     finish_reason is "error") is an error;
**   - a chunk with a non-empty content or reasoning string, or tool calls,
**     in its first choice is output (it stops first_token_timeout);
**   - a chunk that is "plain" carries nothing but text: its members are
**     only id, provider, model, object (strings), created (a number) and
**     choices, one choice whose members are only index (0), delta,
**     finish_reason, native_finish_reason and logprobs (the last three
**     null), and a delta with only role ("assistant") and content (a
**     string).  Its text can go to the reader without decoding the rest.
*/
#ifndef OR_CHAT_H
#define OR_CHAT_H

#include <stddef.h>

#include "sse.h"

#pragma GCC visibility push(hidden)

typedef enum {
  CHAT_SKIP,         /* not for the reader */
  CHAT_CHUNK,        /* a chat.completion.chunk (or data that is not JSON) */
  CHAT_ERROR,        /* an `event: error` */
  CHAT_END           /* data: [DONE] */
} chat_verdict;

/* The name of the end marker, for messages about a stream without it. */
#define CHAT_END_NAME "data: [DONE]"

/* The verdict on one event, from its name and data alone.  With
** want_output, a chunk is walked to set *output (1 when it carries output). */
chat_verdict chat_event(const sse_event *ev, int want_output, int *output);

/* What a plain chunk carries of the envelope (the reader must already have
** these for the chunk to go the fast way). */
enum {
  CHAT_ID = 1, CHAT_MODEL = 2, CHAT_PROVIDER = 4, CHAT_CREATED = 8,
  CHAT_ROLE = 16                     /* delta.role "assistant" */
};

/* What one walk over a chunk's data found. */
typedef struct chat_chunk {
  int error;                         /* it carries an error (in band) */
  int output;                        /* its first choice carries output */
  int plain;                         /* nothing but text (see above) */
  int choices;                       /* elements in "choices" */
  int delta;                         /* the first choice has a delta object */
  unsigned envelope;                 /* plain: CHAT_ID | CHAT_MODEL | ... it has */
  const char *content;               /* plain: the delta's content string, */
  size_t content_len;                /*   quotes included; NULL when absent */
  int content_escaped;               /*   it has escapes to decode */
} chat_chunk;

/* Walk a chunk's data once.  1 when it is one valid JSON object (then *c
** says what it holds), 0 when it is not (the reader reports it). */
int chat_scan(const char *data, size_t len, chat_chunk *c);

/*
** The chunks of a stream mostly differ in their content alone: the bytes
** before and after the content string repeat.  A chat_shape remembers
** them from the last plain chunk, and chat_scan_shaped first checks a
** chunk against them: the same bytes around a valid string mean the same
** plain chunk with another text, found with two memcmp and one string
** scan instead of a walk.  Anything else is walked (and, if plain, becomes
** the new shape).  Same answers as chat_scan, always.
*/
typedef struct chat_shape {
  buf around;                        /* the bytes before, then the bytes after */
  size_t before;                     /* how many of them come before */
  unsigned envelope;                 /* what that chunk carried */
  int known;                         /* a shape is remembered */
} chat_shape;

int  chat_scan_shaped(chat_shape *shape, const char *data, size_t len, chat_chunk *c);
void chat_shape_free(chat_shape *shape);

#pragma GCC visibility pop

#endif
