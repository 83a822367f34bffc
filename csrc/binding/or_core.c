/*
** or_core.c -- luaopen_openrouter_core: the module table of the C core.
** One engine per Lua state drives every transfer of every client.
*/
#include <curl/curl.h>

#include "chat.h"
#include "or_internal.h"

/*
** What this core.so was built for, readable in the file by a Lua that
** cannot load it (a Lua 5.4 build in LuaJIT fails on a missing symbol):
** init.lua finds it there and says which `make LUA_VERSION=` to run.
*/
#ifdef LUAJIT_VERSION
#define OR_BUILT_FOR LUAJIT_VERSION
#else
#define OR_BUILT_FOR LUA_RELEASE
#endif
__attribute__((used)) static const char built_for[] = "openrouter.core built for " OR_BUILT_FOR ";";

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

/* core.now() -> monotonic seconds */
static int core_now (lua_State *L) {
  lua_pushnumber(L, or_now());
  return 1;
}

static const luaL_Reg plain_funcs[] = {
  {"now", core_now},
  {"classify", or_classify},
  {"decode", or_json_decode},
  {NULL, NULL}
};

static const luaL_Reg engine_funcs[] = {
  {"request", or_transfer_new},
  {NULL, NULL}
};

static void setint (lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* core.limits: the engine's bounds, for the specs (and the curious);
** core.envelope: the bits pop_text's `known` is made of (chat.h). */
static void constants (lua_State *L) {
  lua_createtable(L, 0, 3);
  setint(L, "queue_high_water", (lua_Integer)OR_QUEUE_HIGH_WATER);
  setint(L, "max_event", (lua_Integer)SSE_DEFAULT_MAX_EVENT);
  setint(L, "max_body", (lua_Integer)OR_DEFAULT_MAX_BODY);
  lua_setfield(L, -2, "limits");
  lua_createtable(L, 0, 5);
  setint(L, "id", CHAT_ID);
  setint(L, "model", CHAT_MODEL);
  setint(L, "provider", CHAT_PROVIDER);
  setint(L, "created", CHAT_CREATED);
  setint(L, "role", CHAT_ROLE);
  lua_setfield(L, -2, "envelope");
}

__attribute__((visibility("default")))
int luaopen_openrouter_core (lua_State *L);

int luaopen_openrouter_core (lua_State *L) {
  curl_global_init(CURL_GLOBAL_DEFAULT);    /* refcounted by libcurl; cheap if done */
  or_transfer_open(L);
  lua_newtable(L);
  luaL_setfuncs(L, plain_funcs, 0);
  or_engine_new(L);                         /* upvalue 1 of the engine's functions */
  lua_insert(L, -2);                        /* engine, module */
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, or_engine_funcs, 1);
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, engine_funcs, 1);
  lua_remove(L, -2);                        /* module */
  constants(L);
  lua_pushlightuserdata(L, NULL);           /* what JSON null decodes to */
  lua_setfield(L, -2, "null");
  lua_pushliteral(L, OR_VERSION);
  lua_setfield(L, -2, "VERSION");
  lua_pushstring(L, curl_version());
  lua_setfield(L, -2, "curl_version");
  return 1;
}
