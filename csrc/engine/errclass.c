/*
** errclass.c -- see errclass.h.  The tables follow the "kind" table of the
** public API (API.md, Errors) and OPENROUTER.md section 7.2.
*/
#include <string.h>
#include <strings.h>
#include <time.h>

#include "errclass.h"
#include "jscan.h"

static const char *const kind_names[] = {
#define ERRC_NAME(name, retry) #name,
  ERRC_KINDS(ERRC_NAME)
#undef ERRC_NAME
};

static const unsigned char kind_retryable[] = {
#define ERRC_RETRY(name, retry) retry,
  ERRC_KINDS(ERRC_RETRY)
#undef ERRC_RETRY
};

const char *errc_name (errc_kind k) {
  return (unsigned)k < ERRC_NKINDS ? kind_names[k] : "server";
}

int errc_retryable (errc_kind k) {
  return (unsigned)k < ERRC_NKINDS ? kind_retryable[k] : 0;
}

errc_kind errc_for_status (long status) {
  switch (status) {
    case 400: case 413: case 422: return ERRC_bad_request;
    case 401: case 407: return ERRC_auth;   /* 407: a proxy wants credentials */
    case 402: return ERRC_credits;
    case 403: return ERRC_moderation;
    case 404: return ERRC_not_found;
    case 408: case 504: case 524: return ERRC_timeout;
    case 429: return ERRC_rate_limited;
    case 502: return ERRC_provider;
    case 503: return ERRC_unavailable;
    case 529: return ERRC_overloaded;
    default: break;
  }
  if (status >= 500 && status <= 599) return ERRC_server;
  if (status >= 400 && status <= 499) return ERRC_bad_request;
  /* 1xx/3xx as a final answer: the server did not speak the API. */
  return ERRC_protocol;
}

errc_kind errc_for_curl (CURLcode rc, int got_body) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return ERRC_timeout;
    case CURLE_URL_MALFORMAT: case CURLE_UNSUPPORTED_PROTOCOL:
      return ERRC_config;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED: case CURLE_SSL_ENGINE_INITFAILED:
      return ERRC_tls;
    case CURLE_ABORTED_BY_CALLBACK:
      return ERRC_canceled;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_BAD_CONTENT_ENCODING:
      return ERRC_protocol;
    case CURLE_RECV_ERROR: case CURLE_PARTIAL_FILE: case CURLE_HTTP2_STREAM:
    case CURLE_HTTP2: case CURLE_GOT_NOTHING: case CURLE_SEND_ERROR:
      return got_body ? ERRC_interrupted : ERRC_network;
    default:
      return ERRC_network;
  }
}

/* {==================================================================
** Classifying an error body
** =================================================================== */

void errc_input_init (errc_input *in) {
  memset(in, 0, sizeof *in);
  in->avail_retryable = -1;
  in->avail_retry_after = in->retry_after = in->retry_after_ms = -1;
  in->reset_ms = in->now_ms = -1;
}

typedef struct name_kind { const char *name; errc_kind kind; } name_kind;

/*
** error.availability.code (OPENROUTER.md 7.1): these decide the kind
** whatever the status, since unknown models now come back as 400.
*/
static const name_kind availability_kinds[] = {
  {"model_not_found", ERRC_not_found}, {"no_endpoints", ERRC_not_found},
  {"model_deprecated", ERRC_not_found}, {"model_unavailable_upstream", ERRC_not_found},
  {"privacy_restricted", ERRC_not_found}, {"constraint_filtered", ERRC_not_found},
  {"free_variant_ended", ERRC_not_found}, {"region_restricted", ERRC_not_found},
  {"wrong_endpoint", ERRC_bad_request}, {"capacity_exhausted", ERRC_rate_limited},
  {"temporarily_unavailable", ERRC_unavailable},
  {NULL, ERRC_server}
};

/*
** String codes and error_type values (OpenAPI ApiErrorType and the string
** codes seen in streams): used when no HTTP status says more.
*/
static const name_kind type_kinds[] = {
  {"invalid_request", ERRC_bad_request}, {"invalid_request_error", ERRC_bad_request},
  {"invalid_prompt", ERRC_bad_request}, {"context_length_exceeded", ERRC_bad_request},
  {"invalid_image", ERRC_bad_request}, {"payload_too_large", ERRC_bad_request},
  {"unprocessable", ERRC_bad_request}, {"content_policy_violation", ERRC_moderation},
  {"refusal", ERRC_moderation}, {"moderation", ERRC_moderation},
  {"authentication", ERRC_auth}, {"authentication_error", ERRC_auth},
  {"payment_required", ERRC_credits}, {"insufficient_quota", ERRC_credits},
  {"permission_denied", ERRC_moderation}, {"not_found", ERRC_not_found},
  {"rate_limit_exceeded", ERRC_rate_limited}, {"rate_limited", ERRC_rate_limited},
  {"timeout", ERRC_timeout}, {"provider_unavailable", ERRC_provider},
  {"provider_error", ERRC_provider}, {"provider_overloaded", ERRC_unavailable},
  {"overloaded", ERRC_overloaded}, {"overloaded_error", ERRC_overloaded},
  {"server", ERRC_server}, {"server_error", ERRC_server}, {"unmapped", ERRC_server},
  {NULL, ERRC_server}
};

static int lookup (const name_kind *t, const char *name, errc_kind *kind) {
  if (name == NULL) return 0;
  for (; t->name != NULL; t++)
    if (strcmp(t->name, name) == 0) { *kind = t->kind; return 1; }
  return 0;
}

static int contains (const char *s, const char *needle) {
  return s != NULL && strstr(s, needle) != NULL;
}

/*
** A free-model daily cap resets hours away: retrying is pointless.  The
** server says so in the message ("free-models-per-day") or, undocumented,
** in metadata.limit_source.
*/
static int is_daily_cap (const errc_input *in) {
  return contains(in->message, "per-day") || contains(in->message, "per day") ||
         contains(in->limit_source, "daily");
}

/* Seconds the server asked us to wait, best source first; -1 if none. */
static double server_wait (const errc_input *in) {
  if (in->retry_after_ms >= 0) return in->retry_after_ms / 1000.0;
  if (in->retry_after >= 0) return in->retry_after;
  if (in->avail_retry_after >= 0) return in->avail_retry_after;
  if (in->reset_ms > 0 && in->now_ms > 0) {
    double s = (in->reset_ms - in->now_ms) / 1000.0;
    return s > 0 ? s : 0;
  }
  return -1;
}

void errc_classify (const errc_input *in, errc_result *out) {
  errc_kind k;
  /* availability decides whatever the status; then the status; then, for
  ** in-band errors (status 200), the code as a status or a type name */
  if (!lookup(availability_kinds, in->availability, &k)) {
    if (in->status >= 300)                   /* a 3xx: protocol (base_url redirects) */
      k = errc_for_status(in->status);
    else if (in->has_code && in->code >= 400)
      k = errc_for_status(in->code);
    else if (!lookup(type_kinds, in->error_type, &k) && !lookup(type_kinds, in->code_str, &k))
      k = ERRC_server;
  }
  out->kind = k;
  out->retryable = errc_retryable(k);
  if (in->avail_retryable >= 0) out->retryable = in->avail_retryable;
  out->retry_after = server_wait(in);
  out->daily_cap = k == ERRC_rate_limited && is_daily_cap(in);
  if (out->daily_cap) out->retryable = 0;
}

/* }================================================================== */

/* {==================================================================
** Reading a response: the fields the rules need, from raw bytes
** =================================================================== */

/* Decoded strings of the error object; longer ones are cut (the rules
** only look for codes and words in them). */
typedef struct fields {
  char code[64], error_type[64], availability[64], limit_source[64], message[1024];
} fields;

/* v decoded into dst (cut to fit), when v is a string: 1, else 0. */
static int take_string (const js_val *v, char *dst, size_t cap) {
  buf b = BUF_INIT;
  int ok = v->type == JS_STRING && js_string(v, &b) == 0;
  if (ok) {
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    memcpy(dst, b.p, n);
    dst[n] = '\0';
  }
  buf_free(&b);
  return ok;
}

/* A number, or a string holding one ("1500"): 1 and *out, else 0. */
static int take_number (const js_val *v, double *out) {
  char tmp[32];
  js_val n;
  if (js_number(v, out)) return 1;
  if (!take_string(v, tmp, sizeof tmp)) return 0;
  return js_parse(tmp, strlen(tmp), &n) == JS_NUMBER && js_number(&n, out);
}

static const char *member_string (const js_val *obj, const char *name, char *dst, size_t cap) {
  js_val v;
  return js_member(obj, name, &v) && take_string(&v, dst, cap) ? dst : NULL;
}

static double member_number (const js_val *obj, const char *name) {
  js_val v;
  double d;
  return js_member(obj, name, &v) && take_number(&v, &d) ? d : -1;
}

/* The error object `err` (OPENROUTER.md 7.1) into in. */
static void read_error (const js_val *err, errc_input *in, fields *f) {
  js_val code, meta, avail, v;
  if (js_member(err, "code", &code)) {
    double d;
    if (js_number(&code, &d)) {
      in->has_code = d > -1e9 && d < 1e9;       /* a code, not a float to overflow a long */
      in->code = in->has_code ? (long)d : 0;
    }
    else in->code_str = take_string(&code, f->code, sizeof f->code) ? f->code : NULL;
  }
  in->message = member_string(err, "message", f->message, sizeof f->message);
  in->error_type = member_string(err, "error_type", f->error_type, sizeof f->error_type);
  if (js_member(err, "metadata", &meta) && meta.type == JS_OBJECT) {
    const char *t = member_string(&meta, "error_type", f->error_type, sizeof f->error_type);
    if (t) in->error_type = t;
    in->limit_source = member_string(&meta, "limit_source", f->limit_source, sizeof f->limit_source);
    if (js_member(&meta, "headers", &v) && v.type == JS_OBJECT)
      in->reset_ms = member_number(&v, "X-RateLimit-Reset");
  }
  if (js_member(err, "availability", &avail) && avail.type == JS_OBJECT) {
    in->availability = member_string(&avail, "code", f->availability, sizeof f->availability);
    if (js_member(&avail, "retryable", &v) && (v.type == JS_TRUE || v.type == JS_FALSE))
      in->avail_retryable = v.type == JS_TRUE;
    in->avail_retry_after = member_number(&avail, "retry_after");
  }
}

/* The value of header `name` (case-insensitive) in "Name: value\n" lines,
** copied into dst; NULL when absent. */
static const char *header (const char *h, size_t n, const char *name, char *dst, size_t cap) {
  const char *p = h, *end = h + n;
  size_t k = strlen(name);
  while (p != NULL && p < end) {
    const char *eol = (const char *)memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL) eol = end;
    if ((size_t)(eol - p) > k && p[k] == ':' && strncasecmp(p, name, k) == 0) {
      const char *v = p + k + 1;
      size_t vn;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      vn = (size_t)(eol - v);
      while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t' || v[vn - 1] == '\r')) vn--;
      if (vn >= cap) vn = cap - 1;
      memcpy(dst, v, vn);
      dst[vn] = '\0';
      return dst;
    }
    p = eol + 1;
  }
  return NULL;
}

static double header_number (const char *h, size_t n, const char *name) {
  char tmp[64];
  js_val v;
  double d;
  if (!header(h, n, name, tmp, sizeof tmp)) return -1;
  return js_parse(tmp, strlen(tmp), &v) == JS_NUMBER && js_number(&v, &d) ? d : -1;
}

/* Retry-After is delta-seconds or an HTTP date (RFC 9110 10.2.3). */
static double retry_after (const char *h, size_t n, double now) {
  char tmp[64];
  double d = header_number(h, n, "retry-after");
  time_t t, when;
  if (d >= 0 || !header(h, n, "retry-after", tmp, sizeof tmp)) return d;
  t = (time_t)now;
  when = curl_getdate(tmp, &t);
  if (when == (time_t)-1) return -1;
  return when > t ? (double)(when - t) : 0;
}

int errc_response (long status, const char *headers, size_t hlen, const char *body, size_t blen,
                   int source, double now, errc_result *out) {
  errc_input in;
  fields f;
  js_val doc, err, choices, choice, v;
  int failed = status < 200 || status > 299 || source == ERRC_EVENT;
  out->error = out->id = NULL;
  out->error_len = out->id_len = 0;
  errc_input_init(&in);
  in.status = status;
  memset(&f, 0, sizeof f);
  err.type = JS_INVALID;
  if (js_parse(body ? body : "", body ? blen : 0, &doc) == JS_OBJECT) {
    if (js_member(&doc, "error", &err) && err.type == JS_OBJECT)
      failed = 1;
    else if (status >= 200 && status <= 299 && js_member(&doc, "choices", &choices) &&
             js_element(&choices, 0, &choice) &&
             js_member(&choice, "finish_reason", &v) && js_key_is(&v, "error")) {
      failed = 1;
      if (!js_member(&choice, "error", &err)) err.type = JS_INVALID;
    }
    else if (source == ERRC_EVENT)
      err = doc;                       /* the error object itself */
    if (failed && js_member(&doc, "id", &v) && v.type == JS_STRING &&
        memchr(v.p, '\\', v.n) == NULL) {
      out->id = v.p + 1;
      out->id_len = v.n - 2;
    }
  }
  if (!failed) return 0;
  if (err.type == JS_OBJECT) {
    read_error(&err, &in, &f);
    out->error = err.p;
    out->error_len = err.n;
  }
  if (headers != NULL) {
    in.retry_after = retry_after(headers, hlen, now);
    in.retry_after_ms = header_number(headers, hlen, "retry-after-ms");
    {
      double reset = header_number(headers, hlen, "x-ratelimit-reset");
      if (reset >= 0) in.reset_ms = reset;
    }
  }
  in.now_ms = now * 1000.0;
  errc_classify(&in, out);
  return 1;
}

/* }================================================================== */
