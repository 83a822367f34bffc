/*
** or_core.c -- luaopen_openrouter_core: the module table of the C core.
** One libcurl multi handle per Lua state drives every transfer of every
** client; it lives in a userdata that is upvalue 1 of the functions that
** need it, so independent Lua states never share one.
*/
#include <math.h>
#include <string.h>

#include "or_internal.h"

#if LUA_VERSION_NUM == 501 && !defined(LUAJIT_VERSION_NUM)
void or_compat_setfuncs (lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#endif

or_multi *or_checkmulti (lua_State *L, int idx) {
  or_multi_box *b = (or_multi_box *)luaL_checkudata(L, idx, OR_MULTI_MT);
  if (b->m == NULL) luaL_error(L, "openrouter: the transfer engine is closed");
  return b->m;
}

static int multi_gc (lua_State *L) {
  or_multi_box *b = (or_multi_box *)luaL_checkudata(L, 1, OR_MULTI_MT);
  if (b->m != NULL) or_multi_unref(b->m);   /* live transfers keep their own refs */
  b->m = NULL;
  return 0;
}

/* core.drive([wait_s]) -> active: wait at most wait_s for I/O, then drive. */
static int core_drive (lua_State *L) {
  or_multi *m = or_checkmulti(L, lua_upvalueindex(1));
  lua_Number wait = luaL_optnumber(L, 1, 0);
  long ms = wait > 0 ? (wait > 86400 ? 86400000L : (long)(wait * 1000.0 + 0.5)) : 0;
  lua_pushinteger(L, or_multi_drive(m, ms));
  return 1;
}

/* core.action(fd, readable, writable) -> active  (fd < 0: a timer fired) */
static int core_action (lua_State *L) {
  or_multi *m = or_checkmulti(L, lua_upvalueindex(1));
  int fd = (int)luaL_checkinteger(L, 1);
  lua_pushinteger(L, or_multi_action(m, fd, lua_toboolean(L, 2), lua_toboolean(L, 3)));
  return 1;
}

/* core.watch(on): an external loop starts/stops watching the sockets. */
static int core_watch (lua_State *L) {
  or_multi_watch(or_checkmulti(L, lua_upvalueindex(1)), lua_toboolean(L, 1));
  return 0;
}

/* core.changes() -> { fd, what, fd, what, ... } since the last call, where
** what is "in", "out", "inout" or "remove" */
static int core_changes (lua_State *L) {
  static const char *const names[] = { "none", "in", "out", "inout", "remove" };
  size_t i, n;
  const or_sock *c = or_multi_changes(or_checkmulti(L, lua_upvalueindex(1)), &n);
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
static int core_next_wake (lua_State *L) {
  double t = or_multi_next_wake(or_checkmulti(L, lua_upvalueindex(1)));
  if (t == HUGE_VAL) return 0;
  t -= or_now();
  lua_pushnumber(L, t > 0 ? t : 0);
  return 1;
}

/* core.active() -> transfers in flight */
static int core_active (lua_State *L) {
  lua_pushinteger(L, or_multi_count(or_checkmulti(L, lua_upvalueindex(1))));
  return 1;
}

/* core.now() -> monotonic seconds */
static int core_now (lua_State *L) {
  lua_pushnumber(L, or_now());
  return 1;
}

/* core.classify_status(status) -> kind, retryable */
static int core_classify_status (lua_State *L) {
  errc_kind k = errc_for_status((long)luaL_checkinteger(L, 1));
  lua_pushstring(L, errc_name(k));
  lua_pushboolean(L, errc_retryable(k));
  return 2;
}

static const luaL_Reg core_funcs[] = {
  {"request", or_transfer_new},
  {"drive", core_drive},
  {"action", core_action},
  {"watch", core_watch},
  {"changes", core_changes},
  {"next_wake", core_next_wake},
  {"active", core_active},
  {NULL, NULL}
};

static const luaL_Reg plain_funcs[] = {
  {"now", core_now},
  {"classify_status", core_classify_status},
  {"classify", or_classify},
  {"_sse_parse", or_sse_parse},
  {NULL, NULL}
};

__attribute__((visibility("default")))
int luaopen_openrouter_core (lua_State *L);

int luaopen_openrouter_core (lua_State *L) {
  or_multi_box *b;
  curl_global_init(CURL_GLOBAL_DEFAULT);    /* refcounted by libcurl; cheap if done */
  or_transfer_open(L);
  lua_newtable(L);
  luaL_setfuncs(L, plain_funcs, 0);
  b = (or_multi_box *)lua_newuserdatauv(L, sizeof *b, 0);
  b->m = NULL;
  luaL_newmetatable(L, OR_MULTI_MT);
  lua_pushcfunction(L, multi_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushliteral(L, OR_MULTI_MT);
  lua_setfield(L, -2, "__name");
  lua_setmetatable(L, -2);
  b->m = or_multi_new();
  if (b->m == NULL) return luaL_error(L, "openrouter: cannot create a libcurl multi handle");
  luaL_setfuncs(L, core_funcs, 1);          /* the multi is their upvalue 1 */
  lua_pushliteral(L, OR_VERSION);
  lua_setfield(L, -2, "VERSION");
  lua_pushstring(L, curl_version());
  lua_setfield(L, -2, "curl_version");
  return 1;
}
