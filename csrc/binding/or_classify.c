/*
** or_classify.c -- the classifier's answers (errclass.h) as Lua values:
** kind, retryable, retry_after (seconds or nil), daily_cap, and where the
** words are: the error object's JSON text and the body's id (or nil).
** The facade adds the words (message, hint); the facts come from here.
*/
#include <time.h>

#include "or_internal.h"

int or_push_class (lua_State *L, const errc_result *c) {
  lua_pushstring(L, errc_name(c->kind));
  lua_pushboolean(L, c->retryable);
  if (c->retry_after >= 0) lua_pushnumber(L, c->retry_after);
  else lua_pushnil(L);
  lua_pushboolean(L, c->daily_cap);
  if (c->error) lua_pushlstring(L, c->error, c->error_len);
  else lua_pushnil(L);
  if (c->id) lua_pushlstring(L, c->id, c->id_len);
  else lua_pushnil(L);
  return 6;
}

/*
** core.classify(status, data [, source [, headers]]) -> kind, retryable,
** retry_after, daily_cap, error_json, id | nil: the error a body (or a
** stream chunk, status 200) carries, or nil when it carries none.
** source "event": the data of an `event: error`, an error whatever it
** says.  headers: "Name: value\n" lines (Retry-After and the like).
** (A transfer classifies its own response with x:classify().)
*/
int or_classify (lua_State *L) {
  static const char *const sources[] = { "body", "event", NULL };
  static const int source_of[] = { ERRC_BODY, ERRC_EVENT };
  long status = (long)luaL_checkinteger(L, 1);
  size_t n, hn = 0;
  const char *data = luaL_checklstring(L, 2, &n);
  int source = source_of[luaL_checkoption(L, 3, "body", sources)];
  const char *headers = luaL_optlstring(L, 4, NULL, &hn);
  errc_result c;
  if (!errc_response(status, headers, hn, data, n, source, (double)time(NULL), &c)) return 0;
  return or_push_class(L, &c);
}
