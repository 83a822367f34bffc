/*
** floor.c -- the C floor for `make bench`: what libcurl alone costs.
**   floor stream URL MODEL   one streamed chat: the body split into SSE
**                            events with memchr (no JSON); prints the count
**   floor calls URL N        N non-streamed chats in sequence on one
**                            keep-alive connection; prints how many were 200
** No error handling beyond what a benchmark needs: a failure prints a
** message and exits 1.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

typedef struct split { char last; long events; } split;

/* Count events: every "\n\n" ends one, whatever the write boundaries. */
static size_t on_stream (char *p, size_t size, size_t n, void *ud) {
  split *s = (split *)ud;
  size_t len = size * n;
  const char *q = p, *end = p + len;
  while ((q = (const char *)memchr(q, '\n', (size_t)(end - q))) != NULL) {
    if ((q > p ? q[-1] : s->last) == '\n') s->events++;
    q++;
  }
  if (len > 0) s->last = p[len - 1];
  return len;
}

static size_t sink (char *p, size_t size, size_t n, void *ud) {
  (void)p; (void)ud;
  return size * n;
}

static CURL *easy_for (const char *url, struct curl_slist *h) {
  CURL *e = curl_easy_init();
  if (e == NULL) { fputs("curl_easy_init failed\n", stderr); exit(1); }
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  return e;
}

int main (int argc, char **argv) {
  struct curl_slist *h = NULL;
  char url[512], body[512];
  CURL *e;
  if (argc != 4) { fputs("usage: floor stream URL MODEL | floor calls URL N\n", stderr); return 2; }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  snprintf(url, sizeof url, "%s/chat/completions", argv[2]);
  h = curl_slist_append(h, "Authorization: Bearer sk-or-v1-bench-not-a-real-key");
  h = curl_slist_append(h, "Content-Type: application/json");
  if (strcmp(argv[1], "stream") == 0) {
    static split s;
    snprintf(body, sizeof body, "{\"model\":\"%s\",\"stream\":true,"
             "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", argv[3]);
    e = easy_for(url, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)&s);
    if (curl_easy_perform(e) != CURLE_OK) { fputs("the stream failed\n", stderr); return 1; }
    printf("%ld\n", s.events);
  }
  else {
    long i, n = atol(argv[3]), ok = 0;
    snprintf(body, sizeof body, "{\"model\":\"openai/gpt-4o\","
             "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    e = easy_for(url, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    for (i = 0; i < n; i++) {
      long code = 0;
      if (curl_easy_perform(e) != CURLE_OK) { fputs("a call failed\n", stderr); return 1; }
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      if (code == 200) ok++;
    }
    printf("%ld\n", ok);
  }
  curl_easy_cleanup(e);
  curl_slist_free_all(h);
  curl_global_cleanup();
  return 0;
}
