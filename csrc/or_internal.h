/*
** or_internal.h -- shared by the binding files (the only files that include
** lua.h).  Everything here is hidden: the module exports nothing but
** luaopen_openrouter_core, so it cannot clash with a host's symbols
** (Neovim exports generic names; see STYLE.md section 11).
*/
#ifndef OR_INTERNAL_H
#define OR_INTERNAL_H

#include <lua.h>
#include <lauxlib.h>

#include "transport.h"

#pragma GCC visibility push(hidden)

#define OR_VERSION      "0.1.0"
#define OR_MULTI_MT     "openrouter.Multi"
#define OR_TRANSFER_MT  "openrouter.Transfer"

#ifndef OR_DEFAULT_MAX_EVENT
#define OR_DEFAULT_MAX_EVENT (8u << 20)    /* bytes in one SSE event */
#endif
#ifndef OR_DEFAULT_MAX_BODY
#define OR_DEFAULT_MAX_BODY (64u << 20)    /* bytes in a non-streamed body */
#endif

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

typedef struct or_multi_box { or_multi *m; } or_multi_box;

or_multi *or_checkmulti(lua_State *L, int idx);
void or_transfer_open(lua_State *L);
int  or_transfer_new(lua_State *L);     /* core.request(opts), multi as upvalue 1 */
int  or_sse_parse(lua_State *L);        /* core._sse_parse, for the specs */
int  or_classify(lua_State *L);         /* core.classify(fields) */

#pragma GCC visibility pop

#endif
