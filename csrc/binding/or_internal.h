/*
** or_internal.h -- shared by the binding files, the only files that
** include lua.h.  Everything here is hidden: the module exports nothing
** but luaopen_openrouter_core, so it cannot clash with a host's symbols
** (Neovim exports generic names; see STYLE.md section 11).
**   or_core.c      luaopen_openrouter_core: the module table
**   or_engine.c    the engine (multi.h) as a userdata, and the functions
**                  that drive it
**   or_transfer.c  core.request and the Transfer userdata
**   or_classify.c  error classifications (errclass.h) as Lua values
**   or_json.c      JSON text to Lua values (the facade's decoder)
*/
#ifndef OR_INTERNAL_H
#define OR_INTERNAL_H

#include <lua.h>
#include <lauxlib.h>
#if defined(__has_include)        /* LuaJIT: its version, and its own 5.2 API */
#if __has_include(<luajit.h>)
#include <luajit.h>
#endif
#endif

#include "errclass.h"
#include "multi.h"

#pragma GCC visibility push(hidden)

#define OR_VERSION      "0.2.0"
#define OR_ENGINE_MT    "openrouter.Engine"
#define OR_TRANSFER_MT  "openrouter.Transfer"

/* {==================================================================
** Compatibility: written against 5.4; shims for 5.1/LuaJIT to 5.3.
** Prefixed names only, so nothing clashes with LuaJIT's own 5.2 API.
** =================================================================== */
#if LUA_VERSION_NUM < 504
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata(L, sz)
#endif
#if LUA_VERSION_NUM == 501
#define lua_rawlen(L, i) lua_objlen(L, i)
#if !defined(LUAJIT_VERSION_NUM)     /* LuaJIT 2.1 declares luaL_setfuncs */
#define luaL_setfuncs or_compat_setfuncs
void or_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
#endif
#endif
/* }================================================================== */

/* or_engine.c: push a new engine userdata; its multi at idx. */
void      or_engine_new(lua_State *L);
or_multi *or_checkengine(lua_State *L, int idx);
/* The engine's functions, to register with the engine as upvalue 1. */
extern const luaL_Reg or_engine_funcs[];

/* or_transfer.c: the Transfer metatable; core.request (engine upvalue 1). */
void or_transfer_open(lua_State *L);
int  or_transfer_new(lua_State *L);

/* or_classify.c: push kind, retryable, retry_after, daily_cap, error_json, id. */
int  or_push_class(lua_State *L, const errc_result *c);
int  or_classify(lua_State *L);       /* core.classify(status, data [, source [, headers]]) */

/* or_json.c: push the JSON value in s[0, n): 1; or 0 with a message pushed. */
int  or_json_push(lua_State *L, const char *s, size_t n);
int  or_json_decode(lua_State *L);    /* core.decode(text) -> value | nil, msg */

#pragma GCC visibility pop

#endif
