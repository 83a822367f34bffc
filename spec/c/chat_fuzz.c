/*
** chat_fuzz.c -- libFuzzer target for the text extractor (chat.c): on
** arbitrary bytes, chat_scan's one-pass walk must agree with a reference
** built from jscan's lookups (another way through the same JSON): whether
** the text is a JSON object, whether it carries an error, whether it is
** plain, its envelope, and the content it finds (decoded, byte for byte).
** Then the input is split in two at its first 0xFF byte and the halves
** read as two chunks of one stream through chat_scan_shaped: the same
** answers as chat_scan, always (the remembered shape never lies).
**   make fuzz-one T=chat
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "jscan.h"

static int is_string (const js_val *v, const char *lit) {
  return v->type == JS_STRING && js_key_is(v, lit);
}

/* Does any of `names` come twice among obj's keys? */
static int repeats (const js_val *obj, const char *const *names) {
  for (; *names != NULL; names++) {
    js_iter it;
    js_val k, v;
    int n = 0;
    js_members(obj, &it);
    while (js_next_member(&it, &k, &v) == 1) n += js_key_is(&k, *names);
    if (n > 1) return 1;
  }
  return 0;
}

static const char *const top_keys[] = { "error", "choices", "id", "model", "provider", "created", NULL };
static const char *const choice_keys[] = {
  "finish_reason", "delta", "index", "native_finish_reason", "logprobs", NULL };
static const char *const delta_keys[] = { "content", "role", "reasoning", "tool_calls", NULL };

/* The reference: what chat.h says, by lookups (the last of repeated keys
** counts, as decoders read it; a repeated key that matters is not plain). */
static void reference (const js_val *doc, chat_chunk *r) {
  js_val k, v, choices, choice, delta;
  js_iter it;
  memset(r, 0, sizeof *r);
  r->plain = 1;
  if (js_member(doc, "error", &v) && v.type == JS_OBJECT) r->error = 1;
  if (js_member(doc, "choices", &choices) && choices.type == JS_ARRAY) {
    js_iter ci;
    js_elements(&choices, &ci);
    while (js_next_element(&ci, &v) == 1) r->choices++;
    if (js_element(&choices, 0, &choice) && choice.type == JS_OBJECT) {
      if (js_member(&choice, "finish_reason", &v) && is_string(&v, "error")) r->error = 1;
      if (js_member(&choice, "delta", &delta) && delta.type == JS_OBJECT) r->delta = 1;
    }
  }
  js_members(doc, &it);
  while (js_next_member(&it, &k, &v) == 1) {
    if (js_key_is(&k, "choices") && v.type == JS_ARRAY) continue;
    if (v.type == JS_STRING && js_key_is(&k, "id")) r->envelope |= CHAT_ID;
    else if (v.type == JS_STRING && js_key_is(&k, "model")) r->envelope |= CHAT_MODEL;
    else if (v.type == JS_STRING && js_key_is(&k, "provider")) r->envelope |= CHAT_PROVIDER;
    else if (v.type == JS_NUMBER && js_key_is(&k, "created")) r->envelope |= CHAT_CREATED;
    else if (!(v.type == JS_STRING && js_key_is(&k, "object"))) r->plain = 0;
  }
  if (r->choices != 1 || !r->delta || r->error || repeats(doc, top_keys)) r->plain = 0;
  if (r->choices >= 1 && choice.type == JS_OBJECT && repeats(&choice, choice_keys)) r->plain = 0;
  if (r->delta && repeats(&delta, delta_keys)) r->plain = 0;
  if (r->choices >= 1 && choice.type == JS_OBJECT) {
    js_members(&choice, &it);
    while (js_next_member(&it, &k, &v) == 1) {
      if (js_key_is(&k, "delta") && v.type == JS_OBJECT) continue;
      if (v.type == JS_NULL && (js_key_is(&k, "finish_reason") ||
          js_key_is(&k, "native_finish_reason") || js_key_is(&k, "logprobs"))) continue;
      if (v.type == JS_NUMBER && v.n == 1 && v.p[0] == '0' && js_key_is(&k, "index")) continue;
      r->plain = 0;
    }
  }
  if (r->delta) {
    /* output: a non-empty content, reasoning or tool_calls, each key read
    ** by its last value (a repeated one counts as the decoder reads it) */
    int content_out = 0, reasoning_out = 0, tools_out = 0;
    js_members(&delta, &it);
    while (js_next_member(&it, &k, &v) == 1) {
      if (js_key_is(&k, "content")) content_out = v.type == JS_STRING && v.n > 2;
      if (js_key_is(&k, "reasoning")) reasoning_out = v.type == JS_STRING && v.n > 2;
      if (js_key_is(&k, "tool_calls")) tools_out = v.type == JS_ARRAY && v.n > 2;
      if (v.type == JS_STRING && js_key_is(&k, "content")) {
        r->content = v.p;
        r->content_len = v.n;
      }
      else if (is_string(&v, "assistant") && js_key_is(&k, "role")) r->envelope |= CHAT_ROLE;
      else r->plain = 0;
    }
    r->output = content_out || reasoning_out || tools_out;
  }
}

static void same (const chat_chunk *a, const chat_chunk *b) {
  if (a->error != b->error || a->plain != b->plain) abort();
  if (a->output != b->output) abort();
  if (a->plain && a->envelope != b->envelope) abort();
  if (a->plain && (a->content == NULL) != (b->content == NULL)) abort();
  if (a->plain && a->content && (a->content != b->content || a->content_len != b->content_len))
    abort();
}

static void check (const char *data, size_t len) {
  js_val doc;
  chat_chunk c, r;
  int scanned = chat_scan(data, len, &c);
  if (scanned != (js_parse(data, len, &doc) == JS_OBJECT)) abort();
  if (!scanned) return;
  reference(&doc, &r);
  same(&c, &r);
  if (c.plain && c.content) {
    js_val v;
    buf got = BUF_INIT;
    v.p = c.content;
    v.n = c.content_len;
    v.type = JS_STRING;
    if (js_string(&v, &got) != 0) abort();
    buf_free(&got);
  }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  char *copy = (char *)malloc(size + 1);
  const char *cut;
  chat_shape shape;
  chat_chunk a, b;
  size_t i;
  if (copy == NULL) return 0;
  memcpy(copy, data, size);                 /* exact size: ASan sees any overread */
  check(copy, size);
  cut = (const char *)memchr(copy, 0xFF, size);
  memset(&shape, 0, sizeof shape);
  for (i = 0; i < 2; i++) {                 /* two chunks of one stream */
    const char *p = i == 0 ? copy : (cut ? cut + 1 : copy);
    size_t n = i == 0 ? (cut ? (size_t)(cut - copy) : size) : (size_t)(copy + size - p);
    int x = chat_scan_shaped(&shape, p, n, &a), y = chat_scan(p, n, &b);
    if (x != y) abort();
    if (x) {
      same(&a, &b);
      if (a.plain && a.content_escaped != b.content_escaped) abort();
    }
  }
  chat_shape_free(&shape);
  free(copy);
  return 0;
}
