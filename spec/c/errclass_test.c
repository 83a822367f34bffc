/*
** errclass_test.c -- the error classifier without Lua: every status of the
** API's kind table, the curl failures, and the body forms (availability,
** string codes, in-band codes, daily caps, waits).  Ends with the line
** "N passed, N failed".
*/
#include <stdio.h>
#include <string.h>

#include "errclass.h"

static int passed, failed;

static void check (int ok, const char *what, const char *detail) {
  if (ok) passed++;
  else { failed++; printf("FAIL %s: %s\n", what, detail); }
}

static void expect_status (long status, const char *kind, int retryable) {
  char what[64];
  errc_kind k = errc_for_status(status);
  snprintf(what, sizeof what, "status %ld", status);
  check(strcmp(errc_name(k), kind) == 0 && errc_retryable(k) == retryable, what, errc_name(k));
}

static void expect_curl (CURLcode rc, int got_body, const char *kind) {
  char what[96];
  errc_kind k = errc_for_curl(rc, got_body);
  snprintf(what, sizeof what, "curl %d (%s), body %d", (int)rc, curl_easy_strerror(rc), got_body);
  check(strcmp(errc_name(k), kind) == 0, what, errc_name(k));
}

static void expect (const char *what, const errc_input *in, const char *kind,
                    int retryable, double retry_after, int daily_cap) {
  errc_result out;
  char detail[160];
  errc_classify(in, &out);
  snprintf(detail, sizeof detail, "got %s retryable=%d retry_after=%g daily_cap=%d",
           errc_name(out.kind), out.retryable, out.retry_after, out.daily_cap);
  check(strcmp(errc_name(out.kind), kind) == 0 && out.retryable == retryable &&
        (out.retry_after - retry_after) < 1e-9 && (retry_after - out.retry_after) < 1e-9 &&
        out.daily_cap == daily_cap, what, detail);
}

static void statuses (void) {
  expect_status(400, "bad_request", 0);
  expect_status(413, "bad_request", 0);
  expect_status(422, "bad_request", 0);
  expect_status(401, "auth", 0);
  expect_status(402, "credits", 0);
  expect_status(403, "moderation", 0);
  expect_status(404, "not_found", 0);
  expect_status(408, "timeout", 1);
  expect_status(504, "timeout", 1);
  expect_status(524, "timeout", 1);
  expect_status(429, "rate_limited", 1);
  expect_status(502, "provider", 1);
  expect_status(503, "unavailable", 1);
  expect_status(529, "overloaded", 1);
  expect_status(500, "server", 1);
  expect_status(599, "server", 1);
  expect_status(418, "bad_request", 0);
  expect_status(302, "protocol", 0);
}

static void curl_results (void) {
  expect_curl(CURLE_COULDNT_RESOLVE_HOST, 0, "network");
  expect_curl(CURLE_COULDNT_CONNECT, 0, "network");
  expect_curl(CURLE_RECV_ERROR, 0, "network");
  expect_curl(CURLE_RECV_ERROR, 1, "interrupted");
  expect_curl(CURLE_PARTIAL_FILE, 1, "interrupted");
  expect_curl(CURLE_GOT_NOTHING, 0, "network");
  expect_curl(CURLE_OPERATION_TIMEDOUT, 0, "timeout");
  expect_curl(CURLE_OPERATION_TIMEDOUT, 1, "timeout");
  expect_curl(CURLE_PEER_FAILED_VERIFICATION, 0, "tls");
  expect_curl(CURLE_SSL_CONNECT_ERROR, 0, "tls");
  expect_curl(CURLE_SSL_CACERT_BADFILE, 0, "tls");
  expect_curl(CURLE_URL_MALFORMAT, 0, "config");
  expect_curl(CURLE_ABORTED_BY_CALLBACK, 0, "canceled");
  expect_curl(CURLE_WEIRD_SERVER_REPLY, 0, "protocol");
}

static void bodies (void) {
  errc_input in;

  errc_input_init(&in); in.status = 400; in.availability = "model_not_found";
  expect("400 with availability model_not_found", &in, "not_found", 0, -1, 0);

  errc_input_init(&in); in.status = 503; in.availability = "temporarily_unavailable";
  in.avail_retryable = 1; in.avail_retry_after = 5;
  expect("503 temporarily_unavailable", &in, "unavailable", 1, 5, 0);

  errc_input_init(&in); in.status = 429; in.availability = "capacity_exhausted";
  in.avail_retryable = 0;
  expect("availability.retryable false decides", &in, "rate_limited", 0, -1, 0);

  errc_input_init(&in); in.status = 200; in.has_code = 1; in.code = 502;
  expect("in-band numeric code", &in, "provider", 1, -1, 0);

  errc_input_init(&in); in.status = 200; in.code_str = "server_error";
  expect("in-band string code", &in, "server", 1, -1, 0);

  errc_input_init(&in); in.status = 200; in.has_code = 1; in.code = 429;
  in.error_type = "rate_limit_exceeded";
  expect("mid-stream 429 (partial errors are the facade's: errors.new)", &in, "rate_limited", 1, -1, 0);

  errc_input_init(&in); in.status = 200; in.error_type = "provider_unavailable";
  expect("error_type alone", &in, "provider", 1, -1, 0);

  errc_input_init(&in); in.status = 200;
  expect("nothing known", &in, "server", 1, -1, 0);

  errc_input_init(&in); in.status = 429; in.retry_after = 7; in.retry_after_ms = 1500;
  expect("retry-after-ms beats Retry-After", &in, "rate_limited", 1, 1.5, 0);

  errc_input_init(&in); in.status = 429; in.reset_ms = 1000000 + 30000; in.now_ms = 1000000;
  expect("X-RateLimit-Reset in ms", &in, "rate_limited", 1, 30, 0);

  errc_input_init(&in); in.status = 429; in.reset_ms = 1000000 + 36e5; in.now_ms = 1000000;
  in.message = "Rate limit exceeded: free-models-per-day. Add 10 credits";
  expect("free-models-per-day cap", &in, "rate_limited", 0, 3600, 1);

  errc_input_init(&in); in.status = 429; in.limit_source = "openrouter_free_tier_daily";
  expect("daily cap by limit_source", &in, "rate_limited", 0, -1, 1);

  errc_input_init(&in); in.status = 401; in.message = "per-day";
  expect("daily wording outside 429 is no cap", &in, "auth", 0, -1, 0);
}

/* errc_response on raw bytes: is it an error, which, and where its words are. */
static void expect_raw (const char *what, long status, const char *headers, const char *body,
                        int source, const char *kind, int retryable, double retry_after,
                        const char *error_prefix) {
  errc_result out;
  char detail[200];
  int failed_ = errc_response(status, headers, headers ? strlen(headers) : 0, body, strlen(body),
                              source, 1.7e9, &out);
  if (kind == NULL) { check(!failed_, what, "classified as an error"); return; }
  snprintf(detail, sizeof detail, "failed=%d kind=%s retryable=%d retry_after=%g error=%.40s",
           failed_, failed_ ? errc_name(out.kind) : "-", out.retryable, out.retry_after,
           out.error ? out.error : "(none)");
  check(failed_ && strcmp(errc_name(out.kind), kind) == 0 && out.retryable == retryable &&
        (out.retry_after - retry_after) < 1e-9 && (retry_after - out.retry_after) < 1e-9 &&
        (error_prefix == NULL ? out.error == NULL
                              : out.error && strncmp(out.error, error_prefix, strlen(error_prefix)) == 0),
        what, detail);
}

static void raw_bodies (void) {
  expect_raw("a 200 chat body is no error", 200, NULL,
             "{\"id\":\"gen-1\",\"choices\":[{\"finish_reason\":\"stop\",\"message\":{}}]}",
             ERRC_BODY, NULL, 0, -1, NULL);
  expect_raw("an envelope", 429, "Retry-After: 7\nx-other: 1\n",
             "{\"error\":{\"code\":429,\"message\":\"slow down\"}}", ERRC_BODY,
             "rate_limited", 1, 7, "{\"code\":429");
  expect_raw("retry-after-ms, any case", 429, "RETRY-AFTER-MS: 250\n", "{}", ERRC_BODY,
             "rate_limited", 1, 0.25, NULL);
  expect_raw("Retry-After as an HTTP date", 503, "Retry-After: Wed, 15 Nov 2023 22:14:20 GMT\n", "",
             ERRC_BODY, "unavailable", 1, 1700086460.0 - 1.7e9, NULL);
  expect_raw("an HTML page by its status", 502, NULL, "<html>bad gateway</html>", ERRC_BODY,
             "provider", 1, -1, NULL);
  expect_raw("availability decides over the status", 400, NULL,
             "{\"error\":{\"message\":\"x\",\"availability\":{\"code\":\"model_not_found\",\"retryable\":false}}}",
             ERRC_BODY, "not_found", 0, -1, "{\"message\"");
  expect_raw("an in-band error in a 200", 200, NULL,
             "{\"error\":{\"code\":\"server_error\",\"message\":\"gone\"},\"choices\":[]}", ERRC_BODY,
             "server", 1, -1, "{\"code\":\"server_error\"");
  expect_raw("a first choice that finished with error", 200, NULL,
             "{\"choices\":[{\"finish_reason\":\"error\",\"error\":{\"code\":502,\"message\":\"m\"}}]}",
             ERRC_BODY, "provider", 1, -1, "{\"code\":502");
  expect_raw("metadata.error_type and a daily cap's limit_source", 429, NULL,
             "{\"error\":{\"code\":429,\"message\":\"m\",\"metadata\":{\"error_type\":\"rate_limit_exceeded\","
             "\"limit_source\":\"openrouter_free_tier_daily\"}}}", ERRC_BODY, "rate_limited", 0, -1, "{");
  expect_raw("an error event holding the error object itself", 200, NULL,
             "{\"code\":429,\"message\":\"Rate limit\"}", ERRC_EVENT, "rate_limited", 1, -1, "{\"code\":429");
  expect_raw("an error event that is not JSON", 200, NULL, "upstream failed", ERRC_EVENT,
             "server", 1, -1, NULL);
  expect_raw("a body that is not JSON in a 200 is no error here", 200, NULL, "<html>", ERRC_BODY,
             NULL, 0, -1, NULL);
}

int main (void) {
  statuses();
  curl_results();
  bodies();
  raw_bodies();
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
