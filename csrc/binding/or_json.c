/*
** or_json.c -- JSON text to Lua values, in one pass (jscan's validator
** reading, this file building).  The facade's only decoder: streamed
** chunks are decoded straight from the event queue, without first copying
** the event into a Lua string.
**   - objects and arrays are plain tables; null is core.null (a light
**     userdata NULL, the value lua-cjson uses too);
**   - a number without fraction or exponent that fits is an integer on Lua
**     5.3+ (so token counts stay integers); any other is the nearest
**     double (strtod, whatever the C locale's decimal point);
**   - strings are decoded (every escape, surrogate pairs; a lone surrogate
**     is U+FFFD);
**   - anything malformed is an error naming the byte where it went wrong;
**     nesting is bounded as jscan bounds it (JS_MAX_DEPTH), so what the
**     core validates it can decode.
*/
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "or_internal.h"

typedef struct reader {
  lua_State *L;
  const char *start, *p, *e;
  const char *err;         /* what went wrong, at p */
  buf tmp;                 /* decoded strings with escapes; numbers to convert */
} reader;

static int value (reader *r, int depth);

static int fail (reader *r, const char *what) {
  if (r->err == NULL) r->err = what;
  return 0;
}

static int string (reader *r) {
  int escaped;
  const char *end = js_scan_string(r->p, r->e, &escaped);
  if (end == NULL) return fail(r, "a string that is malformed or not closed");
  if (!escaped) lua_pushlstring(r->L, r->p + 1, (size_t)(end - r->p) - 2);
  else {
    js_val v;
    v.p = r->p;
    v.n = (size_t)(end - r->p);
    v.type = JS_STRING;
    r->tmp.len = 0;
    if (js_string(&v, &r->tmp) != 0) return fail(r, "out of memory");
    lua_pushlstring(r->L, r->tmp.p, r->tmp.len);
  }
  r->p = end;
  return 1;
}

/* The double a JSON number spells, whatever the C locale: strtod reads
** the locale's decimal point, so '.' is swapped for it first. */
static double to_double (reader *r, const char *s, size_t n) {
  char dp = localeconv()->decimal_point[0];
  char *dot;
  r->tmp.len = 0;
  if (buf_add(&r->tmp, s, n) != 0) return 0;
  if (dp != '.' && (dot = strchr(r->tmp.p, '.')) != NULL) *dot = dp;
  return strtod(r->tmp.p, NULL);
}

static int number (reader *r) {
  js_type t;
  const char *s = r->p, *end = js_scan(s, r->e, 0, &t);
  size_t n;
  if (end == NULL || t != JS_NUMBER) return fail(r, "an unexpected character");
  n = (size_t)(end - s);
#if LUA_VERSION_NUM >= 503
  if (n <= 18) {                       /* an integer that surely fits 64 bits? */
    const char *q = s;
    lua_Integer v = 0;
    int neg = *q == '-';
    if (neg) q++;
    while (q < end && *q >= '0' && *q <= '9') v = v * 10 + (*q++ - '0');
    if (q == end) {
      lua_pushinteger(r->L, neg ? -v : v);
      r->p = end;
      return 1;
    }
  }
#endif
  lua_pushnumber(r->L, (lua_Number)to_double(r, s, n));
  r->p = end;
  return 1;
}

static int literal (reader *r, const char *word, size_t n) {
  if ((size_t)(r->e - r->p) < n || memcmp(r->p, word, n) != 0)
    return fail(r, "an unexpected character");
  r->p += n;
  return 1;
}

static int object (reader *r, int depth) {
  lua_State *L = r->L;
  r->p = js_skip_ws(r->p + 1, r->e);
  lua_createtable(L, 0, 4);
  if (r->p < r->e && *r->p == '}') { r->p++; return 1; }
  for (;;) {
    if (r->p >= r->e || *r->p != '"') return fail(r, "an object key that is not a string");
    if (!string(r)) return 0;
    r->p = js_skip_ws(r->p, r->e);
    if (r->p >= r->e || *r->p != ':') return fail(r, "a missing ':'");
    r->p = js_skip_ws(r->p + 1, r->e);
    if (!value(r, depth + 1)) return 0;
    lua_rawset(L, -3);
    r->p = js_skip_ws(r->p, r->e);
    if (r->p < r->e && *r->p == '}') { r->p++; return 1; }
    if (r->p >= r->e || *r->p != ',') return fail(r, "a missing ',' or '}'");
    r->p = js_skip_ws(r->p + 1, r->e);
  }
}

static int array (reader *r, int depth) {
  lua_State *L = r->L;
  int i = 0;
  r->p = js_skip_ws(r->p + 1, r->e);
  lua_createtable(L, 2, 0);
  if (r->p < r->e && *r->p == ']') { r->p++; return 1; }
  for (;;) {
    if (!value(r, depth + 1)) return 0;
    lua_rawseti(L, -2, ++i);
    r->p = js_skip_ws(r->p, r->e);
    if (r->p < r->e && *r->p == ']') { r->p++; return 1; }
    if (r->p >= r->e || *r->p != ',') return fail(r, "a missing ',' or ']'");
    r->p = js_skip_ws(r->p + 1, r->e);
  }
}

static int value (reader *r, int depth) {
  if (r->p >= r->e) return fail(r, "the end of the text, where a value was due");
  if ((*r->p == '{' || *r->p == '[') &&
      (depth >= JS_MAX_DEPTH || !lua_checkstack(r->L, 3)))
    return fail(r, "nesting deeper than allowed");
  switch (*r->p) {
    case '{': return object(r, depth);
    case '[': return array(r, depth);
    case '"': return string(r);
    case 't': if (!literal(r, "true", 4)) return 0; lua_pushboolean(r->L, 1); return 1;
    case 'f': if (!literal(r, "false", 5)) return 0; lua_pushboolean(r->L, 0); return 1;
    case 'n': if (!literal(r, "null", 4)) return 0; lua_pushlightuserdata(r->L, NULL); return 1;
    default: return number(r);
  }
}

int or_json_push (lua_State *L, const char *s, size_t n) {
  reader r;
  int top = lua_gettop(L), ok;
  r.L = L;
  r.start = s;
  r.p = js_skip_ws(s, s + n);
  r.e = s + n;
  r.err = NULL;
  r.tmp.p = NULL;
  r.tmp.len = r.tmp.cap = 0;
  ok = value(&r, 0);
  if (ok && js_skip_ws(r.p, r.e) != r.e) ok = fail(&r, "more text after the value");
  buf_free(&r.tmp);
  if (ok) return 1;
  lua_settop(L, top);
  lua_pushfstring(L, "invalid JSON: %s at byte %d", r.err, (int)(r.p - s) + 1);
  return 0;
}

/* core.decode(text) -> value | nil, message */
int or_json_decode (lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  if (or_json_push(L, s, n)) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}
