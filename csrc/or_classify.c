/*
** or_classify.c -- core.classify(fields): the Lua face of errc_classify.
** The facade decodes the JSON error body and passes what it found:
**   { status=, code= (number or string), error_type=, availability=,
**     avail_retryable=, avail_retry_after=, retry_after=, retry_after_ms=,
**     reset_ms=, now_ms=, message=, limit_source=, partial= }
**   -> kind, retryable, retry_after (seconds or nil), daily_cap
*/
#include <stdlib.h>

#include "or_internal.h"

static double optnum (lua_State *L, const char *k) {
  double v = -1;
  lua_getfield(L, 1, k);
  if (lua_type(L, -1) == LUA_TNUMBER) v = (double)lua_tonumber(L, -1);
  else if (lua_type(L, -1) == LUA_TSTRING) {   /* header values are strings */
    const char *s = lua_tostring(L, -1);
    char *end;
    double d = strtod(s, &end);
    if (end != s && *end == '\0') v = d;
  }
  lua_pop(L, 1);
  return v;
}

/* A string field, kept alive by the argument table while we classify. */
static const char *optstr (lua_State *L, const char *k) {
  const char *s = NULL;
  lua_getfield(L, 1, k);
  if (lua_type(L, -1) == LUA_TSTRING) s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}

int or_classify (lua_State *L) {
  errc_input in;
  errc_result out;
  luaL_checktype(L, 1, LUA_TTABLE);
  errc_input_init(&in);
  in.status = (long)optnum(L, "status");
  lua_getfield(L, 1, "code");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    in.has_code = 1;
    in.code = (long)lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  in.code_str = optstr(L, "code");
  in.error_type = optstr(L, "error_type");
  in.availability = optstr(L, "availability");
  lua_getfield(L, 1, "avail_retryable");
  if (lua_type(L, -1) == LUA_TBOOLEAN) in.avail_retryable = lua_toboolean(L, -1);
  lua_pop(L, 1);
  in.avail_retry_after = optnum(L, "avail_retry_after");
  in.retry_after = optnum(L, "retry_after");
  in.retry_after_ms = optnum(L, "retry_after_ms");
  in.reset_ms = optnum(L, "reset_ms");
  in.now_ms = optnum(L, "now_ms");
  in.message = optstr(L, "message");
  in.limit_source = optstr(L, "limit_source");
  lua_getfield(L, 1, "partial");
  in.partial = lua_toboolean(L, -1);
  lua_pop(L, 1);
  errc_classify(&in, &out);
  lua_pushstring(L, errc_name(out.kind));
  lua_pushboolean(L, out.retryable);
  if (out.retry_after >= 0) lua_pushnumber(L, out.retry_after);
  else lua_pushnil(L);
  lua_pushboolean(L, out.daily_cap);
  return 4;
}
