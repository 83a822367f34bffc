/*
** or_transfer.c -- core.request and the Transfer userdata: one HTTP
** request in flight.  The facade (lua/openrouter/stream.lua, client.lua)
** wraps it; this layer stays raw: pop raw event bytes, read status,
** headers, body, outcome and the error a body carries.
*/
#include <string.h>
#include <time.h>

#include "chat.h"
#include "jscan.h"
#include "or_internal.h"

/* The userdata: the transfer, and the engine it was added to (which it
** holds a reference to until it is released). */
typedef struct transfer_box {
  or_xfer x;
  or_multi *m;         /* NULL once released */
  buf kept;            /* the text take() handed out, until x:kept() */
  size_t kept_chunks;  /* how many chunks it came from */
  size_t plain_total;  /* plain chunks taken over the whole transfer */
  chat_shape shape;    /* the shape of the last plain chunk (chat.h) */
} transfer_box;

/* Queue tags of a chat stream's events. */
enum { TAG_CHUNK, TAG_ERROR };

static transfer_box *checkbox (lua_State *L) {
  return (transfer_box *)luaL_checkudata(L, 1, OR_TRANSFER_MT);
}

static or_xfer *checkxfer (lua_State *L) {
  return &checkbox(L)->x;
}

/* The transfer's verdict function: chat.c's rules as queue tags. */
static int chat_tag (const sse_event *ev, int want_output, int *output) {
  switch (chat_event(ev, want_output, output)) {
    case CHAT_SKIP: return XFER_SKIP;
    case CHAT_END: return XFER_END;
    case CHAT_ERROR: return TAG_ERROR;
    default: return TAG_CHUNK;
  }
}

/* {==================================================================
** core.request(opts)
** =================================================================== */

static const char *optstring (lua_State *L, int t, const char *k, const char *def) {
  const char *s;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return def; }
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "request option '%s' must be a string", k);
  s = lua_tostring(L, -1);      /* stays valid: the table keeps the string */
  lua_pop(L, 1);
  return s;
}

/* Seconds (a number, maybe fractional) as whole milliseconds; 0 = none. */
static long optmillis (lua_State *L, int t, const char *k) {
  lua_Number v;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return 0; }
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "request option '%s' must be a number of seconds", k);
  v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (!(v >= 0) || v > 31536000) luaL_error(L, "request option '%s' out of range", k);
  return v > 0 && v < 0.001 ? 1 : (long)(v * 1000.0 + 0.5);
}

static size_t optsize (lua_State *L, int t, const char *k, size_t def) {
  lua_Number v;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return def; }
  v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (!(v >= 1) || v > 4294967295.0) luaL_error(L, "request option '%s' out of range", k);
  return (size_t)v;
}

/* Append the strings of opts.headers ("Name: value") to x->headers. */
static void addheaders (lua_State *L, int t, or_xfer *x) {
  int i, n;
  lua_getfield(L, t, "headers");
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return; }
  luaL_checktype(L, -1, LUA_TTABLE);
  n = (int)lua_rawlen(L, -1);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *h;
    struct curl_slist *l;
    lua_rawgeti(L, -1, i);
    h = lua_tolstring(L, -1, &len);
    if (h == NULL || strlen(h) != len || strpbrk(h, "\r\n") != NULL)
      luaL_error(L, "request header %d must be a string without CR, LF or NUL", i);
    l = curl_slist_append(x->headers, h);
    if (l == NULL) luaL_error(L, "out of memory");
    x->headers = l;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/*
** The userdata is created (zeroed, with its metatable and __gc) before any
** resource is acquired, so a raised error cannot leak one (liolib's
** newprefile pattern).  A transfer that fails to start comes back all the
** same, already finished with its failure: the facade reports it like any
** other.
*/
int or_transfer_new (lua_State *L) {
  or_multi *m = or_checkengine(L, lua_upvalueindex(1));
  or_request r;
  transfer_box *b;
  luaL_checktype(L, 1, LUA_TTABLE);
  b = (transfer_box *)lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_getmetatable(L, OR_TRANSFER_MT);
  lua_setmetatable(L, -2);
  memset(&r, 0, sizeof r);
  r.url = optstring(L, 1, "url", NULL);
  if (r.url == NULL) luaL_error(L, "request option 'url' is required");
  r.method = optstring(L, 1, "method", "GET");
  lua_getfield(L, 1, "body");
  r.body = lua_tolstring(L, -1, &r.body_len);
  lua_pop(L, 1);                     /* opts (arg 1) keeps the body alive */
  lua_getfield(L, 1, "stream");
  r.streaming = lua_toboolean(L, -1);
  lua_pop(L, 1);
  r.on_event = chat_tag;
  r.end_name = CHAT_END_NAME;
  r.connect_ms = optmillis(L, 1, "connect_timeout");
  r.timeout_ms = optmillis(L, 1, "timeout");
  r.idle_ms = optmillis(L, 1, "idle_timeout");
  r.first_token_ms = optmillis(L, 1, "first_token_timeout");
  r.max_event = optsize(L, 1, "max_event", 0);          /* 0: the parser's default */
  r.max_body = optsize(L, 1, "max_body", 0);            /* 0: the transfer's default */
  r.proxy = optstring(L, 1, "proxy", NULL);
  r.ca_file = optstring(L, 1, "ca_file", NULL);
  r.user_agent = optstring(L, 1, "user_agent", NULL);
  addheaders(L, 1, &b->x);
  r.headers = b->x.headers;
  or_xfer_init(&b->x, &r);           /* on failure b->x is finished and says why */
  b->m = m;
  or_multi_add(m, &b->x);
  return 1;
}

/* }================================================================== */

/* {==================================================================
** Methods
** =================================================================== */

/*
** Push the oldest event's data [and "error" when it is one: an `event:
** error`, or a chunk that carries an error], drop it, and return how many
** values were pushed.  The bytes are copied into Lua before the event is
** dropped: dropping may resume the transfer, and libcurl then writes what
** it held into the queue.  c: the chunk's walk (from chat_scan), or NULL.
*/
static int push_event (lua_State *L, or_xfer *x, unsigned tag, const char *data, size_t len,
                       const chat_chunk *c) {
  lua_pushlstring(L, data, len);
  or_xfer_drop(x);
  if (tag != TAG_ERROR && !(c && c->error)) return 1;
  lua_pushliteral(L, "error");
  return 2;
}

/* x:pop() -> data [, "error"] | nil: the oldest event, for the reader to
** decode. */
static int xfer_pop (lua_State *L) {
  or_xfer *x = checkxfer(L);
  const char *data;
  size_t len;
  unsigned tag;
  chat_chunk c;
  if (!or_xfer_peek(x, &tag, &data, &len)) return 0;
  if (tag == TAG_CHUNK) chat_scan(data, len, &c);
  return push_event(L, x, tag, data, len, tag == TAG_CHUNK ? &c : NULL);
}

/* Keep a plain chunk's text (decoded) for the stream's answer; 0 or -1. */
static int keep_text (transfer_box *b, const chat_chunk *c) {
  js_val v;
  if (c->content == NULL) return 0;
  if (!c->content_escaped) return buf_add(&b->kept, c->content + 1, c->content_len - 2);
  v.p = c->content;
  v.n = c->content_len;
  v.type = JS_STRING;
  return js_string(&v, &b->kept);
}

/*
** x:take(known [, text]) -> the next event, decoded, for a stream's reader:
**   nil                    nothing is queued;
**   text (a string)        with `text` (stream:text()), a plain chunk
**                          (chat.h): its delta's content ("" when none),
**                          read without building anything;
**   chunk (a table), plain a chunk decoded; plain = true when it holds
**                          nothing but text;
**   false, data, kind      an event that is no chunk: kind "error" (an
**                          error chunk or `event: error`) or "invalid"
**                          (not a JSON object), with its raw data.
** The text of a plain chunk is kept for the stream's answer (x:kept()),
** but only when the reader already holds its envelope (`known`: the
** core.envelope bits it has): else it counts as a chunk like any other.
** The event is dropped after it was copied or decoded into Lua.
*/
static int xfer_take (lua_State *L) {
  transfer_box *b = checkbox(L);
  or_xfer *x = &b->x;
  unsigned known = (unsigned)luaL_checkinteger(L, 2);
  int text = lua_toboolean(L, 3), plain, n;
  const char *data;
  size_t len, before = b->kept.len;
  unsigned tag;
  chat_chunk c;
  if (!or_xfer_peek(x, &tag, &data, &len)) return 0;
  if (tag != TAG_CHUNK || !chat_scan_shaped(&b->shape, data, len, &c) || c.error) {
    int valid = tag != TAG_CHUNK || c.error;  /* (the scan failed: not a JSON object) */
    lua_pushboolean(L, 0);
    lua_pushlstring(L, data, len);
    if (valid) lua_pushliteral(L, "error"); else lua_pushliteral(L, "invalid");
    or_xfer_drop(x);
    return 3;
  }
  plain = c.plain && (c.envelope & ~known) == 0;
  if (plain && keep_text(b, &c) != 0) {  /* the event stays queued: nothing is lost */
    b->kept.len = before;
    return luaL_error(L, "openrouter: out of memory");
  }
  if (plain && text)
    lua_pushlstring(L, b->kept.p ? b->kept.p + before : "", b->kept.len - before);
  else if (!or_json_push(L, data, len)) {      /* cannot happen: chat_scan validated it */
    b->kept.len = before;
    return lua_error(L);
  }
  n = 1;
  if (!(plain && text)) {
    lua_pushboolean(L, plain);
    n = 2;
  }
  if (plain) {
    b->kept_chunks++;
    b->plain_total++;
  }
  or_xfer_drop(x);
  return n;
}

/* x:kept() -> text, chunks: the text of the plain chunks take() handed out
** since the last call (the stream's answer needs it), and how many chunks
** it came from; then empty.  Still there after close(). */
static int xfer_kept (lua_State *L) {
  transfer_box *b = checkbox(L);
  lua_pushlstring(L, b->kept.p ? b->kept.p : "", b->kept.len);
  lua_pushinteger(L, (lua_Integer)b->kept_chunks);
  b->kept.len = 0;
  b->kept_chunks = 0;
  return 2;
}

/* x:status() -> integer | nil (before the final headers) */
static int xfer_status (lua_State *L) {
  or_xfer *x = checkxfer(L);
  if (!x->headers_done) return 0;
  lua_pushinteger(L, (lua_Integer)x->status);
  return 1;
}

/* x:headers() -> { ["lower-case-name"] = value, ... }; repeats joined ", " */
static int xfer_headers (lua_State *L) {
  or_xfer *x = checkxfer(L);
  const char *p = x->resp_headers.p, *end = p + x->resp_headers.len;
  luaL_Buffer name;
  lua_newtable(L);
  while (p != NULL && p < end) {
    const char *eol = (const char *)memchr(p, '\n', (size_t)(end - p));
    const char *colon = (const char *)memchr(p, ':', (size_t)(eol - p));
    if (colon != NULL) {
      const char *v = colon + 1, *ve = eol;
      const char *c;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      luaL_buffinit(L, &name);
      for (c = p; c < colon; c++) {
        char ch = *c;
        luaL_addchar(&name, (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch);
      }
      luaL_pushresult(&name);
      lua_pushvalue(L, -1);
      lua_rawget(L, -3);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushlstring(L, v, (size_t)(ve - v));
      }
      else {
        lua_pushliteral(L, ", ");
        lua_pushlstring(L, v, (size_t)(ve - v));
        lua_concat(L, 3);
      }
      lua_rawset(L, -3);
    }
    p = eol + 1;
  }
  return 1;
}

/* x:body() -> the non-SSE response body so far ("" when none) */
static int xfer_body (lua_State *L) {
  or_xfer *x = checkxfer(L);
  lua_pushlstring(L, x->body.p ? x->body.p : "", x->body.len);
  return 1;
}

/* libcurl's CURL_HTTP_VERSION_* as people write it; "" before any answer. */
static const char *http_version_name (long version) {
  switch (version) {
    case 0: return "";
    case CURL_HTTP_VERSION_1_0: return "1.0";
    case CURL_HTTP_VERSION_2_0: return "2";
    case CURL_HTTP_VERSION_3: return "3";
    default: return "1.1";
  }
}

/* x:state() -> finished, saw_end, queued, sse (cheap: called in wait
** loops); sse: the answer is an event stream (a stream request answered 2xx
** with text/event-stream, or no Content-Type) */
static int xfer_state (lua_State *L) {
  or_xfer *x = checkxfer(L);
  lua_pushboolean(L, x->finished);
  lua_pushboolean(L, x->saw_end);
  lua_pushinteger(L, (lua_Integer)x->events.count);
  lua_pushboolean(L, x->sse_mode);
  return 4;
}

/*
** x:classify() -> kind, retryable, retry_after, daily_cap, error_json, id | nil: the error
** the finished response carries (a status that is not 2xx, or an error in
** a 2xx body), from its status, headers and body.
*/
static int xfer_classify (lua_State *L) {
  or_xfer *x = checkxfer(L);
  errc_result c;
  if (!x->headers_done) return 0;
  if (!errc_response(x->status, x->resp_headers.p, x->resp_headers.len, x->body.p, x->body.len,
                     ERRC_BODY, (double)time(NULL), &c))
    return 0;
  return or_push_class(L, &c);
}

/* x:failure() -> nil | kind, message, retryable, curl_code (nil when the
** failure was not libcurl's: a timer or limit of ours) */
static int xfer_failure (lua_State *L) {
  or_xfer *x = checkxfer(L);
  if (!x->failed) return 0;
  lua_pushstring(L, errc_name(x->fail_kind));
  lua_pushstring(L, x->fail_msg);
  lua_pushboolean(L, errc_retryable(x->fail_kind));
  if (x->fail_curl != CURLE_OK) lua_pushinteger(L, (lua_Integer)x->fail_curl);
  else lua_pushnil(L);
  return 4;
}

static void setnum (lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

/* x:info() -> timings (seconds since start; nil when not reached) and
** counts; `plain`: the chunks take() found to hold nothing but text */
static int xfer_info (lua_State *L) {
  transfer_box *b = checkbox(L);
  or_xfer *x = &b->x;
  lua_createtable(L, 0, 8);
  if (x->headers_done) setnum(L, "headers", x->t_headers - x->t_start);
  if (x->body_bytes > 0) setnum(L, "first_byte", x->t_first_byte - x->t_start);
  setnum(L, "elapsed", or_now() - x->t_start);
  setnum(L, "bytes", (double)x->body_bytes);
  setnum(L, "comments", (double)x->comments);
  setnum(L, "queued", (double)x->events.count);
  setnum(L, "events", (double)x->events_total);
  setnum(L, "event_reads", (double)x->event_reads);
  setnum(L, "plain", (double)b->plain_total);
  {
    long connects = x->connects, version = x->http_version;
    if (!x->finished && x->easy != NULL) {
      curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
      curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &version);
    }
    setnum(L, "connects", (double)connects);    /* new connections it opened */
    lua_pushstring(L, http_version_name(version));
    lua_setfield(L, -2, "http_version");
  }
  return 1;
}

/* x:close() -> true: stop the transfer and free it; idempotent.  Also
** __gc and __close. */
static int xfer_close (lua_State *L) {
  transfer_box *b = checkbox(L);
  if (b->m != NULL) {
    or_multi_remove(b->m, &b->x);
    b->m = NULL;
    or_xfer_cleanup(&b->x);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int xfer_gc (lua_State *L) {
  transfer_box *b;
  xfer_close(L);
  b = checkbox(L);
  buf_free(&b->kept);
  chat_shape_free(&b->shape);
  return 0;
}

static int xfer_tostring (lua_State *L) {
  or_xfer *x = checkxfer(L);
  lua_pushfstring(L, "openrouter.Transfer (%s): %p",
                  x->finished ? "finished" : "active", (void *)x);
  return 1;
}

static const luaL_Reg xfer_methods[] = {
  {"pop", xfer_pop},
  {"take", xfer_take},
  {"kept", xfer_kept},
  {"status", xfer_status},
  {"headers", xfer_headers},
  {"body", xfer_body},
  {"state", xfer_state},
  {"failure", xfer_failure},
  {"classify", xfer_classify},
  {"info", xfer_info},
  {"close", xfer_close},
  {NULL, NULL}
};

static const luaL_Reg xfer_meta[] = {
  {"__gc", xfer_gc},
  {"__close", xfer_close},
  {"__tostring", xfer_tostring},
  {NULL, NULL}
};

void or_transfer_open (lua_State *L) {
  luaL_newmetatable(L, OR_TRANSFER_MT);
  luaL_setfuncs(L, xfer_meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, xfer_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, OR_TRANSFER_MT);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}

/* }================================================================== */
