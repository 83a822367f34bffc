/*
** errclass_fuzz.c -- libFuzzer target for the error classifier: arbitrary
** statuses, codes, strings and waits must give a valid kind and keep the
** rules that do not depend on the input's details:
**   - a known availability code decides the kind whatever the status;
**   - an error after chunks were delivered is never retryable;
**   - a daily cap is a rate limit and never retryable;
**   - a server wait is never negative.
**   make fuzz   (runs this and the SSE parser's target)
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  static const char *const avail[] = {
    "model_not_found", "no_endpoints", "capacity_exhausted", "temporarily_unavailable",
    "wrong_endpoint", "region_restricted", "bogus"
  };
  char s1[32], s2[32], s3[32], s4[32];
  const uint8_t *p = data;
  size_t n = size;
  errc_input in;
  errc_result out;
  uint8_t flags;
  if (n < 2) return 0;
  flags = *p++; n--;
  errc_input_init(&in);
  in.status = (long)(take_num(&p, &n) * 16.0);
  if (flags & 1) { in.has_code = 1; in.code = (long)(take_num(&p, &n) * 16.0); }
  in.code_str = take_str(&p, &n, s1);
  in.error_type = take_str(&p, &n, s2);
  in.message = take_str(&p, &n, s3);
  in.limit_source = take_str(&p, &n, s4);
  if (flags & 2) in.availability = avail[(flags >> 5) % 7];
  in.avail_retryable = (flags & 4) ? (flags >> 3) & 1 : -1;
  if (flags & 16) in.retry_after = take_num(&p, &n);
  if (flags & 64) in.retry_after_ms = take_num(&p, &n);
  if (flags & 128) { in.reset_ms = take_num(&p, &n) * 1e6; in.now_ms = take_num(&p, &n) * 1e6; }
  in.avail_retry_after = take_num(&p, &n);
  in.partial = n > 0 && (*p & 1);

  errc_classify(&in, &out);

  if ((unsigned)out.kind >= ERRC_NKINDS) abort();
  if (out.retryable != 0 && out.retryable != 1) abort();
  if (in.partial && out.retryable) abort();
  if (out.daily_cap && (out.kind != ERRC_rate_limited || out.retryable)) abort();
  if (out.retry_after < 0 && out.retry_after != -1) abort();
  if (in.availability && strcmp(in.availability, "model_not_found") == 0 && out.kind != ERRC_not_found)
    abort();
  if (in.availability && strcmp(in.availability, "temporarily_unavailable") == 0 &&
      out.kind != ERRC_unavailable) abort();
  return 0;
}
