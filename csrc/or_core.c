/*
** or_core.c -- luaopen_openrouter_core: the module table of the C core.
** One libcurl multi handle per Lua state drives every transfer of every
** client; it lives in a userdata that is upvalue 1 of the functions that
** need it, so independent Lua states never share one.
*/
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
