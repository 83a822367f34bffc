/*
** errclass.c -- see errclass.h.  The tables follow the "kind" table of the
** public API (API.md, Errors) and OPENROUTER.md section 7.2.
*/
#include "errclass.h"

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
    case 401: return ERRC_auth;
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
