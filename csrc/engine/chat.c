/*
** chat.c -- see chat.h.  A chunk is walked once (jscan's validator skips
** what is not needed), descending only into the members that matter:
** "error" and "choices" at the top, the first choice's "finish_reason"
** and "delta", and the delta's "content", "reasoning" and "tool_calls".
*/
#include <string.h>

#include "chat.h"
#include "jscan.h"

/* Where the walk is: what the members of the current object mean. */
typedef enum { AT_CHUNK, AT_CHOICE, AT_DELTA } level;

typedef struct walk { int error, output; } walk;

static int is (const char *s, size_t n, const char *lit) {
  return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* A member's key: its bytes between the quotes, and whether it has
** escapes (then it is decoded before it is compared: rare). */
typedef struct key { const char *p; size_t n; int escaped; } key;

static int key_is (const key *k, const char *name, size_t len) {
  js_val v;
  if (!k->escaped) return k->n == len && memcmp(k->p, name, len) == 0;
  v.p = k->p - 1;
  v.n = k->n + 2;
  v.type = JS_STRING;
  return js_key_is(&v, name);
}
#define KEY_IS(k, lit) key_is(k, lit, sizeof lit - 1)

static const char *object (const char *s, const char *e, int depth, level at, walk *w);

/* The elements of an array at s; the first one walked as a choice. */
static const char *choices (const char *s, const char *e, int depth, walk *w) {
  int first = 1;
  js_type t;
  if (depth >= JS_MAX_DEPTH) return NULL;
  s = js_skip_ws(s + 1, e);
  if (s < e && *s == ']') return s + 1;
  for (;;) {
    s = first && s < e && *s == '{' ? object(s, e, depth + 1, AT_CHOICE, w)
                                    : js_scan(s, e, depth + 1, &t);
    if (s == NULL) return NULL;
    first = 0;
    s = js_skip_ws(s, e);
    if (s >= e) return NULL;
    if (*s == ']') return s + 1;
    if (*s != ',') return NULL;
    s = js_skip_ws(s + 1, e);
  }
}

/* One member's value at v. */
static const char *member (const key *k, const char *v, const char *e, int depth, level at, walk *w) {
  const char *end;
  js_type t;
  if (v < e && at == AT_CHUNK && *v == '[' && KEY_IS(k, "choices")) return choices(v, e, depth, w);
  if (v < e && at == AT_CHOICE && *v == '{' && KEY_IS(k, "delta")) return object(v, e, depth, AT_DELTA, w);
  end = js_scan(v, e, depth, &t);
  if (end == NULL) return NULL;
  switch (at) {
    case AT_CHUNK:
      if (t == JS_OBJECT && KEY_IS(k, "error")) w->error = 1;
      break;
    case AT_CHOICE:
      if (t == JS_STRING && is(v, (size_t)(end - v), "\"error\"") && KEY_IS(k, "finish_reason"))
        w->error = 1;
      break;
    case AT_DELTA:
      if ((t == JS_STRING && end - v > 2 && (KEY_IS(k, "content") || KEY_IS(k, "reasoning"))) ||
          (t == JS_ARRAY && end - v > 2 && KEY_IS(k, "tool_calls")))
        w->output = 1;
      break;
  }
  return end;
}

/* The members of the object at s (its '{'), each handed to member(). */
static const char *object (const char *s, const char *e, int depth, level at, walk *w) {
  if (depth >= JS_MAX_DEPTH) return NULL;
  s = js_skip_ws(s + 1, e);
  if (s < e && *s == '}') return s + 1;
  for (;;) {
    key k;
    const char *ke;
    if (s >= e || *s != '"' || (ke = js_scan_string(s, e, &k.escaped)) == NULL) return NULL;
    k.p = s + 1;
    k.n = (size_t)(ke - s) - 2;
    s = js_skip_ws(ke, e);
    if (s >= e || *s != ':') return NULL;
    s = member(&k, js_skip_ws(s + 1, e), e, depth + 1, at, w);
    if (s == NULL) return NULL;
    s = js_skip_ws(s, e);
    if (s >= e) return NULL;
    if (*s == '}') return s + 1;
    if (*s != ',') return NULL;
    s = js_skip_ws(s + 1, e);
  }
}

chat_verdict chat_event (const sse_event *ev, int *output) {
  const char *s = ev->data, *e = ev->data + ev->data_len, *end;
  walk w = { 0, 0 };
  *output = 0;
  if (!is(ev->type, ev->type_len, "message"))
    return is(ev->type, ev->type_len, "error") ? CHAT_ERROR : CHAT_SKIP;
  if (ev->data_len == 0) return CHAT_SKIP;
  if (is(ev->data, ev->data_len, "[DONE]")) return CHAT_END;
  s = js_skip_ws(s, e);
  if (s >= e || *s != '{') return CHAT_CHUNK;     /* the reader reports what is wrong */
  end = object(s, e, 0, AT_CHUNK, &w);
  if (end == NULL || js_skip_ws(end, e) != e) return CHAT_CHUNK;
  *output = w.output;
  return w.error ? CHAT_ERROR : CHAT_CHUNK;
}
