/*
** errclass.h -- maps what went wrong (an HTTP status, a libcurl result, a
** local timer or limit) to one of the error kinds of the public API.
** Knows nothing of Lua; the kind names are the contract strings.
*/
#ifndef OR_ERRCLASS_H
#define OR_ERRCLASS_H

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
  X(canceled, 0)

typedef enum {
#define ERRC_ENUM(name, retry) ERRC_##name,
  ERRC_KINDS(ERRC_ENUM)
#undef ERRC_ENUM
  ERRC_NKINDS
} errc_kind;

const char *errc_name(errc_kind k);
int         errc_retryable(errc_kind k);
/* Kind for a non-2xx HTTP status. */
errc_kind   errc_for_status(long status);
/* Kind for a failed libcurl transfer; got_body says whether any response
** body byte had arrived (a reset after that is an interruption). */
errc_kind   errc_for_curl(CURLcode rc, int got_body);

#pragma GCC visibility pop

#endif
