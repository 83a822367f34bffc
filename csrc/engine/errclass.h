/*
** errclass.h -- the one error classifier: maps what went wrong (an HTTP
** status, an error body or event, a libcurl result, a local timer or
** limit) to one of the error kinds of the public API, whether it is worth
** retrying, and how long the server asked to wait.  Knows nothing of Lua;
** reads bodies as raw bytes (jscan), so it is unit-tested and fuzzed on
** its own.  The kind names are the contract strings.
*/
#ifndef OR_ERRCLASS_H
#define OR_ERRCLASS_H

#include <stddef.h>
#include <curl/curl.h>

#pragma GCC visibility push(hidden)

/* X-macro: kind, retryable.  The order is the enum's. */
#define ERRC_KINDS(X) \
  X(config, 0)        \
  X(bad_request, 0)   \
  X(auth, 0)          \
  X(credits, 0)       \
  X(moderation, 0)    \
  X(not_found, 0)     \
  X(timeout, 1)       \
  X(rate_limited, 1)  \
  X(provider, 1)      \
  X(unavailable, 1)   \
  X(overloaded, 1)    \
  X(server, 1)        \
  X(network, 1)       \
  X(tls, 0)           \
  X(interrupted, 0)   \
  X(protocol, 0)      \
  X(canceled, 0)      \
  X(output, 0)        \
  X(budget, 0)

typedef enum {
#define ERRC_ENUM(name, retry) ERRC_##name,
  ERRC_KINDS(ERRC_ENUM)
#undef ERRC_ENUM
  ERRC_NKINDS
} errc_kind;

const char *errc_name(errc_kind k);
int         errc_retryable(errc_kind k);
/*
** Everything known about one failed response, as extracted from its body
** and headers (strings NULL and numbers negative when absent).
*/
typedef struct errc_input {
  long status;                   /* HTTP status (200 for in-band errors) */
  int has_code; long code;       /* error.code when it is a number */
  const char *code_str;          /* error.code when it is a string */
  const char *error_type;        /* error.metadata.error_type / error.error_type */
  const char *availability;      /* error.availability.code */
  int avail_retryable;           /* error.availability.retryable: -1 absent, 0, 1 */
  double avail_retry_after;      /* error.availability.retry_after, seconds */
  double retry_after;            /* Retry-After header, seconds */
  double retry_after_ms;         /* retry-after-ms header */
  double reset_ms;               /* X-RateLimit-Reset, epoch milliseconds */
  double now_ms;                 /* the caller's clock, epoch milliseconds */
  const char *message;           /* error.message */
  const char *limit_source;      /* error.metadata.limit_source */
} errc_input;

typedef struct errc_result {
  errc_kind kind;
  int retryable;
  double retry_after;            /* seconds to wait, or -1 */
  int daily_cap;                 /* a free-tier daily cap: waiting is pointless */
  /* errc_response only: where the words are, pointers into its body */
  const char *error; size_t error_len;   /* the error object's JSON text, or NULL */
  const char *id; size_t id_len;         /* the body's top-level "id", or NULL */
} errc_result;

void errc_input_init(errc_input *in);
/* The rules, on extracted fields. */
void errc_classify(const errc_input *in, errc_result *out);

/* Where the bytes come from. */
enum {
  ERRC_BODY,        /* a response body: any status that is not 2xx is an error;
                       a 2xx one carries an error in band or none */
  ERRC_EVENT        /* the data of an `event: error`: always an error (server,
                       when it says nothing better), the object itself or
                       wrapped as {"error": ...} */
};

/*
** Classify a response or event from its raw bytes.  headers: the final
** response's "Name: value\n" lines (or NULL); now: the wall clock, epoch
** seconds (for Retry-After dates and rate-limit resets).  Returns 1 and
** fills *out when the bytes say something failed: a status that is not
** 2xx, a top-level "error" object, or a first choice whose finish_reason
** is "error"; else 0.  out->error points at the error object (so the
** caller can take its message from it), out->id at the body's id.
*/
int errc_response(long status, const char *headers, size_t hlen, const char *body, size_t blen,
                  int source, double now, errc_result *out);

/* Kind for a non-2xx HTTP status. */
errc_kind   errc_for_status(long status);
/* Kind for a failed libcurl transfer; got_body says whether any response
** body byte had arrived (a reset after that is an interruption). */
errc_kind   errc_for_curl(CURLcode rc, int got_body);

#pragma GCC visibility pop

#endif
