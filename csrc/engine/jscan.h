/*
** jscan.h -- reads values out of JSON text in place, building nothing.
** Pure C, no allocation (but js_string, which appends to a buf).
**
** A js_val is the raw bytes of one JSON value.  Every function validates
** what it walks over by RFC 8259 (strings, escapes, numbers, nesting up to
** JS_MAX_DEPTH), so a malformed value is JS_INVALID, never misread.  It is
** made for the few fields the core needs from a body or an event (error
** codes, a chunk's delta): cheap on small objects, linear in their size.
*/
#ifndef OR_JSCAN_H
#define OR_JSCAN_H

#include <stddef.h>

#include "buf.h"

#pragma GCC visibility push(hidden)

#define JS_MAX_DEPTH 1000

typedef enum {
  JS_INVALID = 0, JS_OBJECT, JS_ARRAY, JS_STRING, JS_NUMBER, JS_TRUE, JS_FALSE, JS_NULL
} js_type;

typedef struct js_val { const char *p; size_t n; js_type type; } js_val;

/* For one-pass walkers: skip whitespace; validate the one value starting
** at s (depth: how many containers enclose it; at most JS_MAX_DEPTH may
** nest) and return the byte after it and
** its type, or NULL when it is malformed. */
static inline const char *js_skip_ws (const char *s, const char *e) {
  while (s < e && (unsigned char)*s <= ' ' &&
         (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++;
  return s;
}
const char *js_scan(const char *s, const char *e, int depth, js_type *type);
/* The same for a string at s (its '"'): *escaped tells whether it holds a
** backslash (if not, its bytes between the quotes are its value). */
const char *js_scan_string(const char *s, const char *e, int *escaped);

/* The whole of s[0, n) as one value (whitespace around it allowed).
** Returns its type (JS_INVALID when s is not exactly one JSON value). */
js_type js_parse(const char *s, size_t n, js_val *v);

/* Iterating an object's members or an array's elements, in order. */
typedef struct js_iter { const char *p, *e; int started; } js_iter;
/* 1 when v is an object (or an array) and *it is ready, else 0. */
int js_members(const js_val *v, js_iter *it);
int js_elements(const js_val *v, js_iter *it);
/* The next member: 1 with its key (a JS_STRING) and value; 0 at the end;
** -1 when the text is malformed. */
int js_next_member(js_iter *it, js_val *key, js_val *val);
/* The next element: 1, 0 at the end, -1 when malformed. */
int js_next_element(js_iter *it, js_val *val);

/* Is key (a JS_STRING value) equal to name once decoded? */
int js_key_is(const js_val *key, const char *name);
/* Member `name` of the object v: 1 and *out (the last one if repeated),
** else 0 (absent, v not an object, or malformed). */
int js_member(const js_val *v, const char *name, js_val *out);
/* Element i (0-based) of the array v: 1 and *out, else 0. */
int js_element(const js_val *v, size_t i, js_val *out);

/* Append the decoded bytes of a JS_STRING to out (escapes resolved,
** \uXXXX as UTF-8, surrogate pairs joined, a lone surrogate as U+FFFD).
** 0, or -1 when v is not a valid string or out cannot grow. */
int js_string(const js_val *v, buf *out);
/* A JS_NUMBER as a double: 1, or 0 when v is not a number. */
int js_number(const js_val *v, double *out);

#pragma GCC visibility pop

#endif
