/*
** errclass_fuzz.c -- libFuzzer target for the error classifier.  The
** first byte picks the mode:
**   even: arbitrary statuses, codes, strings and waits through the rules
**         (errc_classify);
**   odd:  a raw response -- a status, header lines and a body of arbitrary
**         bytes (JSON or not) -- through errc_response, which must never
**         read out of bounds (ASan) and must point only inside the body.
** Either way the rules that do not depend on the input's details hold:
**   - a known availability code decides the kind whatever the status;
**   - a daily cap is a rate limit and never retryable;
**   - a server wait is never negative.
**   make fuzz / make fuzz-one T=errclass
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errclass.h"

/* Take a NUL-terminated string of up to 31 bytes from the input (or NULL). */
static const char *take_str (const uint8_t **p, size_t *n, char *buf) {
  size_t len;
  if (*n == 0) return NULL;
  len = **p % 32;
  (*p)++; (*n)--;
  if (len == 31) return NULL;
  if (len > *n) len = *n;
  memcpy(buf, *p, len);
  buf[len] = '\0';
  *p += len; *n -= len;
  return buf;
}

static double take_num (const uint8_t **p, size_t *n) {
  int32_t v = 0;
  size_t k = *n < 4 ? *n : 4;
  memcpy(&v, *p, k);
  *p += k; *n -= k;
  return (double)v / 16.0;
}

static void check_result (const errc_result *out) {
  if ((unsigned)out->kind >= ERRC_NKINDS) abort();
  if (out->retryable != 0 && out->retryable != 1) abort();
  if (out->daily_cap && (out->kind != ERRC_rate_limited || out->retryable)) abort();
  if (out->retry_after < 0 && out->retry_after != -1) abort();
}

static void fields (uint8_t flags, const uint8_t *p, size_t n) {
  static const char *const avail[] = {
    "model_not_found", "no_endpoints", "capacity_exhausted", "temporarily_unavailable",
    "wrong_endpoint", "region_restricted", "bogus"
  };
  char s1[32], s2[32], s3[32], s4[32];
  errc_input in;
  errc_result out;
  errc_input_init(&in);
  in.status = (long)(take_num(&p, &n) * 16.0);
  if (flags & 2) { in.has_code = 1; in.code = (long)(take_num(&p, &n) * 16.0); }
  in.code_str = take_str(&p, &n, s1);
  in.error_type = take_str(&p, &n, s2);
  in.message = take_str(&p, &n, s3);
  in.limit_source = take_str(&p, &n, s4);
  if (flags & 4) in.availability = avail[(flags >> 5) % 7];
  in.avail_retryable = (flags & 8) ? (flags >> 4) & 1 : -1;
  if (flags & 16) in.retry_after = take_num(&p, &n);
  if (flags & 64) in.retry_after_ms = take_num(&p, &n);
  if (flags & 128) { in.reset_ms = take_num(&p, &n) * 1e6; in.now_ms = take_num(&p, &n) * 1e6; }
  in.avail_retry_after = take_num(&p, &n);
  errc_classify(&in, &out);
  check_result(&out);
  if (in.availability && strcmp(in.availability, "model_not_found") == 0 && out.kind != ERRC_not_found)
    abort();
  if (in.availability && strcmp(in.availability, "temporarily_unavailable") == 0 &&
      out.kind != ERRC_unavailable) abort();
}

/* The bytes are "<status:2><header length:1><headers><body>"; the body is
** copied to a heap block of its exact size, so ASan sees any overread. */
static void response (uint8_t flags, const uint8_t *p, size_t n) {
  long status;
  size_t hlen;
  char *headers, *body;
  errc_result out;
  if (n < 3) return;
  status = 100 + (long)((p[0] | p[1] << 8) % 500);
  hlen = p[2] < n - 3 ? p[2] : n - 3;
  headers = (char *)malloc(hlen + 1);
  body = (char *)malloc(n - 3 - hlen + 1);
  if (headers == NULL || body == NULL) abort();
  memcpy(headers, p + 3, hlen);
  memcpy(body, p + 3 + hlen, n - 3 - hlen);
  if (errc_response(status, headers, hlen, body, n - 3 - hlen,
                    (flags & 2) ? ERRC_EVENT : ERRC_BODY, 1.7e9, &out)) {
    check_result(&out);
    if (out.error && (out.error < body || out.error + out.error_len > body + (n - 3 - hlen) ||
                      out.error[0] != '{')) abort();
    if (out.id && (out.id < body || out.id + out.id_len > body + (n - 3 - hlen))) abort();
  }
  else if (status < 200 || status > 299 || (flags & 2)) abort();   /* those always fail */
  free(headers);
  free(body);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  if (data[0] & 1) response(data[0], data + 1, size - 1);
  else fields(data[0], data + 1, size - 1);
  return 0;
}
