/*
** or_engine.c -- the engine (multi.h) as a userdata, one per Lua state,
** and the module functions that drive it (they have it as upvalue 1), so
** independent Lua states never share one.
*/
#include <math.h>

#include "or_internal.h"

typedef struct engine_box { or_multi *m; } engine_box;

or_multi *or_checkengine (lua_State *L, int idx) {
  engine_box *b = (engine_box *)luaL_checkudata(L, idx, OR_ENGINE_MT);
  if (b->m == NULL) luaL_error(L, "openrouter: the transfer engine is closed");
  return b->m;
}

static or_multi *upengine (lua_State *L) {
  return or_checkengine(L, lua_upvalueindex(1));
}

/* Running transfers keep their own references: the engine outlives its
** userdata until the last of them is released. */
static int engine_gc (lua_State *L) {
  engine_box *b = (engine_box *)luaL_checkudata(L, 1, OR_ENGINE_MT);
  if (b->m != NULL) or_multi_unref(b->m);
  b->m = NULL;
  return 0;
}

/* Created empty with its metatable first, then the multi: a failure leaves
** a consistent userdata (liolib's newprefile). */
void or_engine_new (lua_State *L) {
  engine_box *b = (engine_box *)lua_newuserdatauv(L, sizeof *b, 0);
  b->m = NULL;
  if (luaL_newmetatable(L, OR_ENGINE_MT)) {
    lua_pushcfunction(L, engine_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, OR_ENGINE_MT);
    lua_setfield(L, -2, "__name");
  }
  lua_setmetatable(L, -2);
  b->m = or_multi_new();
  if (b->m == NULL) luaL_error(L, "openrouter: cannot create a libcurl multi handle");
}

/* core.drive([wait_s]) -> active: wait at most wait_s for I/O, then drive. */
static int engine_drive (lua_State *L) {
  or_multi *m = upengine(L);
  lua_Number wait = luaL_optnumber(L, 1, 0);
  long ms = wait > 0 ? (wait > 86400 ? 86400000L : (long)(wait * 1000.0 + 0.5)) : 0;
  lua_pushinteger(L, or_multi_drive(m, ms));
  return 1;
}

/* core.action(fd, readable, writable) -> active  (fd < 0: a timer fired) */
static int engine_action (lua_State *L) {
  or_multi *m = upengine(L);
  int fd = (int)luaL_checkinteger(L, 1);
  lua_pushinteger(L, or_multi_action(m, fd, lua_toboolean(L, 2), lua_toboolean(L, 3)));
  return 1;
}

/* core.watch(on): an external loop starts/stops watching the sockets. */
static int engine_watch (lua_State *L) {
  or_multi_watch(upengine(L), lua_toboolean(L, 1));
  return 0;
}

/* core.changes() -> { fd, what, fd, what, ... } since the last call, where
** what is "in", "out", "inout" or "remove" */
static int engine_changes (lua_State *L) {
  static const char *const names[] = { "none", "in", "out", "inout", "remove" };
  size_t i, n;
  const or_sock *c = or_multi_changes(upengine(L), &n);
  lua_createtable(L, (int)(2 * n), 0);
  for (i = 0; i < n; i++) {
    lua_pushinteger(L, c[i].fd);
    lua_rawseti(L, -2, (int)(2 * i + 1));
    lua_pushstring(L, (unsigned)c[i].what <= 4 ? names[c[i].what] : "none");
    lua_rawseti(L, -2, (int)(2 * i + 2));
  }
  return 1;
}

/* core.next_wake() -> seconds from now until the engine needs a call, or nil */
static int engine_next_wake (lua_State *L) {
  double t = or_multi_next_wake(upengine(L));
  if (t == HUGE_VAL) return 0;
  t -= or_now();
  lua_pushnumber(L, t > 0 ? t : 0);
  return 1;
}

/* core.active() -> transfers in flight */
static int engine_active (lua_State *L) {
  lua_pushinteger(L, or_multi_count(upengine(L)));
  return 1;
}

const luaL_Reg or_engine_funcs[] = {
  {"drive", engine_drive},
  {"action", engine_action},
  {"watch", engine_watch},
  {"changes", engine_changes},
  {"next_wake", engine_next_wake},
  {"active", engine_active},
  {NULL, NULL}
};
