/*
** jscan.c -- see jscan.h.  One recursive-descent validator (js_scan)
** finds where a value ends; iteration and lookups are built on it.
*/
#include <string.h>

#include "jscan.h"

static int hexval (char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Bytes that may stand for themselves inside a string: all but '"', '\\'
** and the control characters. */
static const unsigned char plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
  R16(0), R16(0),                                           /* 0x00-0x1F */
  1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,           /* 0x20: '"' */
  R16(1), R16(1),
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,           /* 0x50: '\\' */
  R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1)
#undef R16
};

/* Past the closing quote of the string at s, or NULL. */
static const char *scan_string (const char *s, const char *e) {
  int escaped;
  return js_scan_string(s, e, &escaped);
}

const char *js_scan_string (const char *s, const char *e, int *escaped) {
  *escaped = 0;
  for (s++;;) {
    while (e - s >= 4 && plain[(unsigned char)s[0]] && plain[(unsigned char)s[1]] &&
           plain[(unsigned char)s[2]] && plain[(unsigned char)s[3]]) s += 4;
    while (s < e && plain[(unsigned char)*s]) s++;
    if (s >= e || (unsigned char)*s < 0x20) return NULL;
    if (*s == '"') return s + 1;
    *escaped = 1;
    if (++s >= e) return NULL;        /* a backslash: the escape */
    switch (*s) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        break;
      case 'u':
        if (e - s < 5 || hexval(s[1]) < 0 || hexval(s[2]) < 0 ||
            hexval(s[3]) < 0 || hexval(s[4]) < 0) return NULL;
        s += 4;
        break;
      default: return NULL;
    }
    s++;
  }
}

static const char *scan_digits (const char *s, const char *e) {
  const char *start = s;
  while (s < e && *s >= '0' && *s <= '9') s++;
  return s > start ? s : NULL;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number (const char *s, const char *e) {
  if (s < e && *s == '-') s++;
  if (s < e && *s == '0') s++;
  else if ((s = scan_digits(s, e)) == NULL) return NULL;
  if (s < e && *s == '.' && (s = scan_digits(s + 1, e)) == NULL) return NULL;
  if (s < e && (*s == 'e' || *s == 'E')) {
    s++;
    if (s < e && (*s == '+' || *s == '-')) s++;
    if ((s = scan_digits(s, e)) == NULL) return NULL;
  }
  return s;
}

static const char *scan_literal (const char *s, const char *e, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(e - s) >= n && memcmp(s, lit, n) == 0 ? s + n : NULL;
}


/* s at '{' or '[': past the closing bracket, or NULL. */
static const char *scan_container (const char *s, const char *e, int depth, int object) {
  char close = object ? '}' : ']';
  js_type t;
  if (depth >= JS_MAX_DEPTH) return NULL;
  s = js_skip_ws(s + 1, e);
  if (s < e && *s == close) return s + 1;
  for (;;) {
    if (object) {
      if (s >= e || *s != '"' || (s = scan_string(s, e)) == NULL) return NULL;
      s = js_skip_ws(s, e);
      if (s >= e || *s != ':') return NULL;
      s = js_skip_ws(s + 1, e);
    }
    if ((s = js_scan(s, e, depth + 1, &t)) == NULL) return NULL;
    s = js_skip_ws(s, e);
    if (s >= e) return NULL;
    if (*s == close) return s + 1;
    if (*s != ',') return NULL;
    s = js_skip_ws(s + 1, e);
  }
}

/* s at the first byte of a value: past its end (and its type), or NULL. */
const char *js_scan (const char *s, const char *e, int depth, js_type *type) {
  *type = JS_INVALID;
  if (s >= e) return NULL;
  switch (*s) {
    case '{': *type = JS_OBJECT; return scan_container(s, e, depth, 1);
    case '[': *type = JS_ARRAY; return scan_container(s, e, depth, 0);
    case '"': *type = JS_STRING; return scan_string(s, e);
    case 't': *type = JS_TRUE; return scan_literal(s, e, "true");
    case 'f': *type = JS_FALSE; return scan_literal(s, e, "false");
    case 'n': *type = JS_NULL; return scan_literal(s, e, "null");
    default: *type = JS_NUMBER; return scan_number(s, e);
  }
}

/* The value at *s (after whitespace) into v, *s moved past it.  0 or -1. */
static int read_value (const char **s, const char *e, js_val *v) {
  const char *p = js_skip_ws(*s, e), *end = js_scan(p, e, 0, &v->type);
  if (end == NULL) { v->type = JS_INVALID; return -1; }
  v->p = p;
  v->n = (size_t)(end - p);
  *s = end;
  return 0;
}

js_type js_parse (const char *s, size_t n, js_val *v) {
  const char *e = s + n;
  if (read_value(&s, e, v) != 0 || js_skip_ws(s, e) != e) v->type = JS_INVALID;
  return v->type;
}

static int start (const js_val *v, js_iter *it, js_type want) {
  if (v->type != want) return 0;
  it->p = v->p + 1;                  /* after the bracket: v was validated */
  it->e = v->p + v->n - 1;
  it->started = 0;
  return 1;
}

int js_members (const js_val *v, js_iter *it) { return start(v, it, JS_OBJECT); }
int js_elements (const js_val *v, js_iter *it) { return start(v, it, JS_ARRAY); }

/* Past the separator before the next item: 1, 0 at the end, -1 if malformed. */
static int advance (js_iter *it) {
  it->p = js_skip_ws(it->p, it->e);
  if (it->started) {
    if (it->p >= it->e) return 0;
    if (*it->p != ',') return -1;
    it->p = js_skip_ws(it->p + 1, it->e);
  }
  else if (it->p >= it->e) return 0;
  it->started = 1;
  return 1;
}

int js_next_member (js_iter *it, js_val *key, js_val *val) {
  int r = advance(it);
  if (r <= 0) return r;
  if (read_value(&it->p, it->e, key) != 0 || key->type != JS_STRING) return -1;
  it->p = js_skip_ws(it->p, it->e);
  if (it->p >= it->e || *it->p != ':') return -1;
  it->p++;
  return read_value(&it->p, it->e, val) == 0 ? 1 : -1;
}

int js_next_element (js_iter *it, js_val *val) {
  int r = advance(it);
  if (r <= 0) return r;
  return read_value(&it->p, it->e, val) == 0 ? 1 : -1;
}

int js_key_is (const js_val *key, const char *name) {
  size_t n = strlen(name);
  if (key->type != JS_STRING) return 0;
  if (memchr(key->p, '\\', key->n) == NULL)          /* the common case */
    return key->n == n + 2 && memcmp(key->p + 1, name, n) == 0;
  {
    buf b = BUF_INIT;
    int same = js_string(key, &b) == 0 && b.len == n && memcmp(b.p, name, n) == 0;
    buf_free(&b);
    return same;
  }
}

int js_member (const js_val *v, const char *name, js_val *out) {
  js_iter it;
  js_val k, x;
  int found = 0, r;
  if (!js_members(v, &it)) return 0;
  while ((r = js_next_member(&it, &k, &x)) == 1)
    if (js_key_is(&k, name)) { *out = x; found = 1; }
  return r == 0 && found;
}

int js_element (const js_val *v, size_t i, js_val *out) {
  js_iter it;
  js_val x;
  if (!js_elements(v, &it)) return 0;
  while (js_next_element(&it, &x) == 1)
    if (i-- == 0) { *out = x; return 1; }
  return 0;
}

static int put_utf8 (buf *out, unsigned long cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) { u[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  }
  else {
    u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
  }
  return buf_add(out, u, n);
}

static unsigned long hex4 (const char *s) {
  return (unsigned long)(hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 | hexval(s[3]));
}

int js_string (const js_val *v, buf *out) {
  const char *s, *e, *run;
  if (v->type != JS_STRING || v->n < 2) return -1;
  s = run = v->p + 1;
  e = v->p + v->n - 1;               /* the closing quote */
  while (s < e) {
    const char *bs = (const char *)memchr(s, '\\', (size_t)(e - s));
    if (bs == NULL) break;
    if (buf_add(out, run, (size_t)(bs - run)) != 0) return -1;
    s = bs + 1;
    if (s >= e) return -1;
    if (*s == 'u') {
      unsigned long cp;
      if (e - s < 5) return -1;
      cp = hex4(s + 1);
      s += 5;
      if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
        unsigned long lo = hex4(s + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          s += 6;
        }
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;     /* a lone surrogate */
      if (put_utf8(out, cp) != 0) return -1;
    }
    else {
      char c;
      switch (*s) {
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        default: c = *s; break;      /* " \ / (validated when v was read) */
      }
      if (buf_add(out, &c, 1) != 0) return -1;
      s++;
    }
    run = s;
  }
  return buf_add(out, run, (size_t)(e - run));
}

/*
** Not strtod: it follows the C locale's decimal point, which a host (an
** editor, a game) may have changed.  The core reads codes, waits and
** timestamps: integers and short decimals, exact enough this way.
*/
int js_number (const js_val *v, double *out) {
  const char *s = v->p, *e = v->p + v->n;
  double x = 0, scale = 1;
  int neg = 0, ex = 0, exneg = 0;
  if (v->type != JS_NUMBER) return 0;
  if (*s == '-') { neg = 1; s++; }
  for (; s < e && *s >= '0' && *s <= '9'; s++) x = x * 10 + (*s - '0');
  if (s < e && *s == '.')
    for (s++; s < e && *s >= '0' && *s <= '9'; s++) x += (*s - '0') * (scale /= 10);
  if (s < e && (*s == 'e' || *s == 'E')) {
    s++;
    if (*s == '+' || *s == '-') exneg = *s++ == '-';
    for (; s < e && *s >= '0' && *s <= '9'; s++) if (ex < 400) ex = ex * 10 + (*s - '0');
  }
  while (ex-- > 0) x = exneg ? x / 10 : x * 10;
  *out = neg ? -x : x;
  return 1;
}
