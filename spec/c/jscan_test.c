/*
** jscan_test.c -- the JSON reader (jscan.c) and the chat stream rules
** (chat.c) without Lua.  Valid and invalid texts by RFC 8259, string
** decoding (every escape, surrogate pairs, lone surrogates), lookups, the
** depth bound; then the verdict on each kind of stream event.  Ends with
** "N passed, N failed".
*/
#include <stdio.h>
#include <string.h>

#include "chat.h"
#include "jscan.h"

static int passed, failed;

static void check (int ok, const char *what) {
  if (ok) passed++;
  else { failed++; printf("FAIL %s\n", what); }
}

static js_type parse (const char *s, js_val *v) {
  return js_parse(s, strlen(s), v);
}

static void validity (void) {
  static const char *const good[] = {
    "{}", "[]", " {\"a\" : [1, -2.5e+3, true, false, null, \"x\"]} ", "0", "-0.0E-1", "\"\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", "[[[[]]]]", "{\"\":{}}", "\"\xe4\xba\x9a\""
  };
  static const char *const bad[] = {
    "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e",
    "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\x01\"", "[1 2]",
    "{} {}", "[1]]", "'a'", "NaN", "\"\\", "{\"a\":}"
  };
  size_t i;
  js_val v;
  char what[96];
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    snprintf(what, sizeof what, "valid: %s", good[i]);
    check(parse(good[i], &v) != JS_INVALID, what);
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(what, sizeof what, "invalid: %s", bad[i]);
    check(parse(bad[i], &v) == JS_INVALID, what);
  }
  {
    char deep[2 * JS_MAX_DEPTH + 8];
    memset(deep, '[', JS_MAX_DEPTH);
    memset(deep + JS_MAX_DEPTH, ']', JS_MAX_DEPTH);
    deep[2 * JS_MAX_DEPTH] = '\0';
    check(parse(deep, &v) == JS_ARRAY, "nesting up to JS_MAX_DEPTH");
    memset(deep, '[', JS_MAX_DEPTH + 1);
    memset(deep + JS_MAX_DEPTH + 1, ']', JS_MAX_DEPTH + 1);
    deep[2 * JS_MAX_DEPTH + 2] = '\0';
    check(parse(deep, &v) == JS_INVALID, "nesting past JS_MAX_DEPTH is refused, not recursed");
  }
}

static int decodes_to (const char *json, const char *want, size_t want_len) {
  js_val v;
  buf b = BUF_INIT;
  int ok = parse(json, &v) == JS_STRING && js_string(&v, &b) == 0 &&
           b.len == want_len && memcmp(b.p, want, want_len) == 0;
  buf_free(&b);
  return ok;
}

static void strings (void) {
  check(decodes_to("\"plain\"", "plain", 5), "a plain string");
  check(decodes_to("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7), "quote, backslash, solidus");
  check(decodes_to("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5), "control escapes");
  check(decodes_to("\"\\u0041\\u00e9\\u4e9a\"", "A\xc3\xa9\xe4\xba\x9a", 6), "\\u to UTF-8, 1 to 3 bytes");
  check(decodes_to("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4), "a surrogate pair is one code point");
  check(decodes_to("\"\\ud83d\"", "\xef\xbf\xbd", 3), "a lone high surrogate is U+FFFD");
  check(decodes_to("\"\\ude00x\"", "\xef\xbf\xbdx", 4), "a lone low surrogate is U+FFFD");
  check(decodes_to("\"\\u0000\"", "\0", 1), "\\u0000 is a NUL byte");
  check(decodes_to("\"\xf0\x9f\x98\x80 raw\"", "\xf0\x9f\x98\x80 raw", 8), "raw UTF-8 passes through");
}

static void lookups (void) {
  js_val doc, v, w;
  double d;
  parse("{\"a\":1,\"b\":{\"c\":[10,20,\"x\"]},\"a\":2,\"k\\u0065y\":true}", &doc);
  check(js_member(&doc, "a", &v) && js_number(&v, &d) && d == 2, "the last of a repeated key");
  check(js_member(&doc, "b", &v) && js_member(&v, "c", &w) && js_element(&w, 1, &v) &&
        js_number(&v, &d) && d == 20, "nested lookups");
  check(js_member(&doc, "key", &v) && v.type == JS_TRUE, "an escaped key matches its decoding");
  check(!js_member(&doc, "zz", &v), "a missing key");
  check(js_member(&doc, "b", &v) && js_member(&v, "c", &w) && !js_element(&w, 3, &v), "past the end");
  parse("-12.5e1", &v);
  check(js_number(&v, &d) && d == -125, "numbers are read without the C locale");
}

static chat_verdict verdict (const char *type, const char *data, int *output) {
  sse_event ev;
  ev.type = type; ev.type_len = strlen(type);
  ev.data = data; ev.data_len = strlen(data);
  ev.id = ""; ev.id_len = 0;
  return chat_event(&ev, 1, output);
}

static chat_chunk scan (const char *data) {
  chat_chunk c;
  if (!chat_scan(data, strlen(data), &c)) c.plain = -1;      /* -1: not JSON */
  return c;
}

#define ENVELOPE "\"id\":\"gen-1\",\"provider\":\"P\",\"model\":\"m\",\"object\":\"chat.completion.chunk\",\"created\":1,"
#define PLAIN_CHOICE(delta) "\"choices\":[{\"index\":0,\"delta\":" delta \
  ",\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":null}]"

static void chat_rules (void) {
  int out;
  chat_chunk c;
  check(verdict("message", "[DONE]", &out) == CHAT_END, "[DONE] ends the stream");
  check(verdict("message", "", &out) == CHAT_SKIP, "empty data is skipped");
  check(verdict("ping", "{}", &out) == CHAT_SKIP, "other named events are skipped");
  check(verdict("error", "not json", &out) == CHAT_ERROR, "event: error is an error");
  check(verdict("message", "{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}", &out) == CHAT_CHUNK && out,
        "content is output");
  check(verdict("message", "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}", &out) ==
        CHAT_CHUNK && !out, "an empty content is not output");
  check(verdict("message", "{\"choices\":[{\"delta\":{\"reasoning\":\"hm\"}}]}", &out) == CHAT_CHUNK && out,
        "reasoning is output");
  check(verdict("message", "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}", &out) ==
        CHAT_CHUNK && out, "tool calls are output");
  check(verdict("message", "{\"choices\":[{\"delta\":{\"content\":null}}],\"content\":\"x\"}", &out) ==
        CHAT_CHUNK && !out, "only the first choice's delta counts");

  c = scan("{\"error\":{\"code\":502},\"choices\":[]}");
  check(c.error && !c.plain, "a top-level error object");
  c = scan("{\"error\":null,\"choices\":[]}");
  check(!c.error, "error: null is no error");
  c = scan("{\"choices\":[{\"finish_reason\":\"error\",\"delta\":{}}]}");
  check(c.error && !c.plain, "a first choice that finished with error");
  c = scan("{\"choices\":[{\"finish_reason\":\"stop\"},{\"finish_reason\":\"error\"}]}");
  check(!c.error, "a second choice's error is not the stream's");
  check(scan("{\"error\":{\"code\":502}").plain == -1, "malformed JSON is not scanned");
  check(scan("this is not json").plain == -1, "not JSON at all");

  c = scan("{\"error\":{\"code\":502},\"error\":null,\"choices\":[]}");
  check(!c.error, "a repeated key means its last value (error, then null: no error)");
  c = scan("{\"choices\":[{\"delta\":{\"content\":\"x\",\"content\":\"\"}}]}");
  check(!c.output && !c.plain, "a repeated content: the last is read, and it is not plain");
  c = scan("{\"choices\":[{\"finish_reason\":\"error\"}],\"choices\":[{\"delta\":{}}]}");
  check(!c.error && !c.plain, "only the last choices array counts");
  c = scan("{" ENVELOPE PLAIN_CHOICE("{\"role\":\"assistant\",\"content\":\"Hello\"}") "}");
  check(c.plain && c.envelope == (CHAT_ID | CHAT_MODEL | CHAT_PROVIDER | CHAT_CREATED | CHAT_ROLE) &&
        c.content_len == 7 && memcmp(c.content, "\"Hello\"", 7) == 0 && !c.content_escaped,
        "a content chunk is plain, its content found");
  c = scan("{" ENVELOPE PLAIN_CHOICE("{\"content\":\"a\\nb\"}") "}");
  check(c.plain && c.content_escaped, "content with escapes is marked");
  c = scan("{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}");
  check(c.plain && c.envelope == 0, "a bare chunk is plain, with no envelope");
  {
    static const char *const not_plain[] = {
      "{" ENVELOPE PLAIN_CHOICE("{\"content\":\"x\",\"reasoning\":\"r\"}") "}",
      "{" ENVELOPE PLAIN_CHOICE("{\"content\":\"x\",\"tool_calls\":[]}") "}",
      "{" ENVELOPE PLAIN_CHOICE("{\"role\":\"tool\",\"content\":\"x\"}") "}",
      "{" ENVELOPE PLAIN_CHOICE("{\"content\":null}") "}",
      "{" ENVELOPE "\"usage\":{},"  PLAIN_CHOICE("{\"content\":\"x\"}") "}",
      "{" ENVELOPE "\"system_fingerprint\":\"fp\"," PLAIN_CHOICE("{\"content\":\"x\"}") "}",
      "{" ENVELOPE "\"choices\":[{\"index\":1,\"delta\":{\"content\":\"x\"}}]}",
      "{" ENVELOPE "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}",
      "{" ENVELOPE "\"choices\":[{\"delta\":{\"content\":\"x\"}},{\"delta\":{}}]}",
      "{" ENVELOPE "\"choices\":[]}",
      "{" ENVELOPE "\"choices\":[{\"index\":0}]}",
      "{\"id\":7," PLAIN_CHOICE("{\"content\":\"x\"}") "}",
    };
    size_t i;
    for (i = 0; i < sizeof not_plain / sizeof not_plain[0]; i++) {
      char what[64];
      snprintf(what, sizeof what, "not plain #%lu", (unsigned long)i + 1);
      c = scan(not_plain[i]);
      check(c.plain == 0, what);
    }
  }
}

int main (void) {
  validity();
  strings();
  lookups();
  chat_rules();
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
