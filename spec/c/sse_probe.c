/*
** sse_probe.c -- a Lua module for the specs only (never in the product):
** sse_probe.parse(input, max_event, piece, first) runs the SSE parser over
** a string fed in pieces of `piece` bytes (default: whole; `first`: the
** size of a first piece) and returns what it saw, so spec/unit/sse_spec.lua
** checks the C parser from Lua.
**   -> { {type=, data=, id=}, ... }, comments, status ("ok"|error), pending
** Built by the Makefile into $(BUILD)/test/sse_probe.so.
*/
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "sse.h"

#if LUA_VERSION_NUM < 504
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata(L, sz)
#endif

typedef struct collect { lua_State *L; int n; int comments; } collect;

static int collect_event (void *ud, const sse_event *ev) {
  collect *c = (collect *)ud;
  lua_State *L = c->L;
  lua_createtable(L, 0, 3);
  lua_pushlstring(L, ev->type, ev->type_len);
  lua_setfield(L, -2, "type");
  lua_pushlstring(L, ev->data, ev->data_len);
  lua_setfield(L, -2, "data");
  lua_pushlstring(L, ev->id, ev->id_len);
  lua_setfield(L, -2, "id");
  lua_rawseti(L, -2, ++c->n);
  return 0;
}

static void collect_comment (void *ud, const char *text, size_t len) {
  (void)text; (void)len;
  ((collect *)ud)->comments++;
}

/* Box the parser in a userdata so a Lua error cannot leak its buffers. */
static int parser_gc (lua_State *L) {
  sse_free((sse_parser *)lua_touserdata(L, 1));
  return 0;
}

static int probe_parse (lua_State *L) {
  size_t len, off = 0;
  const char *s = luaL_checklstring(L, 1, &len);
  size_t max = (size_t)luaL_optinteger(L, 2, 1 << 20);
  size_t piece = (size_t)luaL_optinteger(L, 3, 0);
  lua_Integer first = luaL_optinteger(L, 4, -1);
  collect c;
  sse_parser *p;
  int rc = SSE_OK;
  p = (sse_parser *)lua_newuserdatauv(L, sizeof *p, 0);
  memset(p, 0, sizeof *p);
  lua_newtable(L);                         /* metatable with __gc */
  lua_pushcfunction(L, parser_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  c.L = L; c.n = 0; c.comments = 0;
  sse_init(p, max, collect_event, collect_comment, &c);
  lua_newtable(L);                         /* events */
  if (piece == 0) piece = len > 0 ? len : 1;
  if (first >= 0 && (size_t)first <= len) {
    rc = sse_feed(p, s, (size_t)first);
    off = (size_t)first;
  }
  if (rc == SSE_OK) do {
    size_t n = len - off < piece ? len - off : piece;
    rc = sse_feed(p, s + off, n);
    off += n;
  } while (rc == SSE_OK && off < len);
  lua_pushinteger(L, c.comments);
  lua_pushstring(L, rc == SSE_OK ? "ok" : sse_strerror(rc));
  lua_pushboolean(L, sse_pending(p));
  return 4;
}

__attribute__((visibility("default")))
int luaopen_sse_probe (lua_State *L);

int luaopen_sse_probe (lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, probe_parse);
  lua_setfield(L, -2, "parse");
  return 1;
}
