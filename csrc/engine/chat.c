/*
** chat.c -- see chat.h.  A chunk is walked once, jscan's validator
** skipping what is not needed, descending only into the members that
** matter: "error" and "choices" at the top, the first choice's
** "finish_reason" and "delta", and the delta's members.  Every member that
** makes a chunk more than text clears `plain` on the way.
*/
#include <string.h>

#include "chat.h"
#include "jscan.h"

/* Where the walk is: what the members of the current object mean. */
typedef enum { AT_CHUNK, AT_CHOICE, AT_DELTA } level;

/*
** What the walk has seen.  A key that comes twice in an object means what
** its last value says (as every decoder reads it), so each finding is set,
** not added to, and a repeated key that matters makes the chunk not plain.
*/
typedef struct walk {
  int top_error, choice_error;        /* "error" object; first choice's finish_reason */
  int content_out, reasoning_out, tools_out;
  int plain, choices, delta;
  unsigned envelope;
  const char *content; size_t content_len;
  unsigned seen[3];                   /* keys that matter, seen at each level */
} walk;

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

/* The keys that matter, level by level (their bit is their place + 1). */
static const char *const keys[3][6] = {
  { "error", "choices", "id", "model", "provider", "created" },
  { "finish_reason", "delta", "index", "native_finish_reason", "logprobs", NULL },
  { "content", "role", "reasoning", "tool_calls", NULL, NULL },
};

/* Note that k was seen at this level; a second time, the chunk is not plain. */
static void seen (walk *w, level at, const key *k) {
  int i;
  for (i = 0; i < 6 && keys[at][i] != NULL; i++)
    if (key_is(k, keys[at][i], strlen(keys[at][i]))) {
      if (w->seen[at] & (1u << i)) w->plain = 0;
      w->seen[at] |= 1u << i;
      return;
    }
}

static const char *object (const char *s, const char *e, int depth, level at, walk *w);

/* The choices array at s: its first element walked as the choice.  Only
** the last "choices" counts: what an earlier one said is forgotten. */
static const char *choices (const char *s, const char *e, int depth, walk *w) {
  int n = 0;
  js_type t;
  w->choices = w->delta = w->choice_error = 0;
  w->content_out = w->reasoning_out = w->tools_out = 0;
  w->content = NULL;
  w->seen[AT_CHOICE] = w->seen[AT_DELTA] = 0;
  if (depth >= JS_MAX_DEPTH) return NULL;
  s = js_skip_ws(s + 1, e);
  if (s < e && *s == ']') return s + 1;
  for (;;) {
    if (n == 0 && s < e && *s == '{') s = object(s, e, depth + 1, AT_CHOICE, w);
    else { w->plain = 0; s = js_scan(s, e, depth + 1, &t); }
    if (s == NULL) return NULL;
    w->choices = ++n;
    s = js_skip_ws(s, e);
    if (s >= e) return NULL;
    if (*s == ']') return s + 1;
    if (*s != ',') return NULL;
    s = js_skip_ws(s + 1, e);
  }
}

/* The top-level members of a plain chunk, and what each tells the reader. */
static int envelope_bit (const key *k, js_type t) {
  if (t == JS_STRING) {
    if (KEY_IS(k, "id")) return CHAT_ID;
    if (KEY_IS(k, "model")) return CHAT_MODEL;
    if (KEY_IS(k, "provider")) return CHAT_PROVIDER;
    if (KEY_IS(k, "object")) return 0;
  }
  if (t == JS_NUMBER && KEY_IS(k, "created")) return CHAT_CREATED;
  return -1;                          /* anything else: not plain */
}

/* One member's value at v. */
static const char *member (const key *k, const char *v, const char *e, int depth, level at,
                           walk *w) {
  const char *end;
  js_type t;
  seen(w, at, k);
  if (v < e && at == AT_CHUNK && *v == '[' && KEY_IS(k, "choices")) return choices(v, e, depth, w);
  if (v < e && at == AT_CHOICE && *v == '{' && KEY_IS(k, "delta")) {
    w->delta = 1;
    w->content_out = w->reasoning_out = w->tools_out = 0;
    w->content = NULL;
    w->seen[AT_DELTA] = 0;
    return object(v, e, depth, AT_DELTA, w);
  }
  end = js_scan(v, e, depth, &t);
  if (end == NULL) return NULL;
  switch (at) {
    case AT_CHUNK: {
      int bit = envelope_bit(k, t);
      if (KEY_IS(k, "error")) w->top_error = t == JS_OBJECT;
      else if (KEY_IS(k, "choices")) {               /* not an array: no choices */
        w->choices = w->delta = w->choice_error = 0;
        w->content_out = w->reasoning_out = w->tools_out = 0;
        w->content = NULL;
      }
      if (bit < 0) w->plain = 0;
      else w->envelope |= (unsigned)bit;
      break;
    }
    case AT_CHOICE:
      if (KEY_IS(k, "finish_reason"))
        w->choice_error = t == JS_STRING && is(v, (size_t)(end - v), "\"error\"");
      else if (KEY_IS(k, "delta")) {                 /* not an object: no delta */
        w->delta = 0;
        w->content_out = w->reasoning_out = w->tools_out = 0;
        w->content = NULL;
      }
      if (!(t == JS_NULL && (KEY_IS(k, "finish_reason") || KEY_IS(k, "native_finish_reason") ||
                             KEY_IS(k, "logprobs"))) &&
          !(t == JS_NUMBER && is(v, (size_t)(end - v), "0") && KEY_IS(k, "index")))
        w->plain = 0;
      break;
    case AT_DELTA:
      if (KEY_IS(k, "content")) {
        w->content_out = t == JS_STRING && end - v > 2;
        w->content = t == JS_STRING ? v : NULL;
        w->content_len = (size_t)(end - v);
        if (t != JS_STRING) w->plain = 0;
      }
      else if (t == JS_STRING && KEY_IS(k, "role") && is(v, (size_t)(end - v), "\"assistant\""))
        w->envelope |= CHAT_ROLE;
      else {
        if (KEY_IS(k, "reasoning")) w->reasoning_out = t == JS_STRING && end - v > 2;
        if (KEY_IS(k, "tool_calls")) w->tools_out = t == JS_ARRAY && end - v > 2;
        w->plain = 0;
      }
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

int chat_scan (const char *data, size_t len, chat_chunk *c) {
  const char *s = data, *e = data + len, *end;
  walk w;
  memset(&w, 0, sizeof w);
  memset(c, 0, sizeof *c);
  w.plain = 1;
  s = js_skip_ws(s, e);
  if (s >= e || *s != '{') return 0;
  end = object(s, e, 0, AT_CHUNK, &w);
  if (end == NULL || js_skip_ws(end, e) != e) return 0;
  c->error = w.top_error || w.choice_error;
  c->output = w.content_out || w.reasoning_out || w.tools_out;
  c->plain = w.plain && !c->error && w.choices == 1 && w.delta;
  c->choices = w.choices;
  c->delta = w.delta;
  c->envelope = w.envelope;
  if (c->plain && w.content) {
    c->content = w.content;
    c->content_len = w.content_len;
    c->content_escaped = memchr(w.content, '\\', w.content_len) != NULL;
  }
  return 1;
}

int chat_scan_shaped (chat_shape *shape, const char *data, size_t len, chat_chunk *c) {
  size_t before = shape->before, after = shape->around.len - before;
  if (shape->known && len > before + after &&
      memcmp(data, shape->around.p, before) == 0 &&
      memcmp(data + len - after, shape->around.p + before, after) == 0 && data[before] == '"') {
    int escaped;
    if (js_scan_string(data + before, data + len, &escaped) == data + len - after) {
      memset(c, 0, sizeof *c);
      c->plain = 1;
      c->choices = c->delta = 1;
      c->envelope = shape->envelope;
      c->content = data + before;
      c->content_len = len - before - after;
      c->content_escaped = escaped;
      c->output = c->content_len > 2;
      return 1;
    }
  }
  if (!chat_scan(data, len, c)) return 0;
  if (c->plain && c->content) {              /* remember this shape */
    size_t b = (size_t)(c->content - data), a = len - b - c->content_len;
    shape->around.len = 0;
    shape->known = buf_add(&shape->around, data, b) == 0 &&
                   buf_add(&shape->around, c->content + c->content_len, a) == 0;
    shape->before = b;
    shape->envelope = c->envelope;
  }
  return 1;
}

void chat_shape_free (chat_shape *shape) {
  buf_free(&shape->around);
  shape->known = 0;
}

chat_verdict chat_event (const sse_event *ev, int want_output, int *output) {
  chat_chunk c;
  *output = 0;
  if (!is(ev->type, ev->type_len, "message"))
    return is(ev->type, ev->type_len, "error") ? CHAT_ERROR : CHAT_SKIP;
  if (ev->data_len == 0) return CHAT_SKIP;
  if (is(ev->data, ev->data_len, "[DONE]")) return CHAT_END;
  if (want_output && chat_scan(ev->data, ev->data_len, &c)) *output = c.output;
  return CHAT_CHUNK;
}
