/*
 * fakeserver.c -- a fake OpenRouter chat-completions server for the test
 * suite and the benchmarks.  One C99 file, POSIX (plus Linux's ppoll,
 * accept4 and POLLRDHUP), no dependency beyond libc.
 *
 *   gcc -std=c99 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
 *       -o build/fakeserver spec/support/fakeserver.c
 *   fakeserver [--port N] [--port-file PATH] [--lifetime SECONDS] [--idle SECONDS]
 *
 * Listens on 127.0.0.1 only (port 0 = chosen by the kernel), prints
 * "PORT <n>" on stdout and writes <n> to --port-file (atomically, by
 * rename).  Exits after --lifetime seconds (default 600), after --idle
 * seconds with no open connection and no request (default 120), and on
 * SIGTERM/SIGINT.  Single-threaded: one ppoll() loop, non-blocking sockets,
 * per-connection timers; nothing ever sleeps.
 *
 * Routes
 *   POST <anything>/embeddings  {"model", "input": "text" | [...]}: one vector
 *                                      [raw length, position, byte sum % 997]
 *                                      per input, listed last input first (by
 *                                      "index"), usage with a cost; model
 *                                      fake/status-N: HTTP N; fake/embed-short:
 *                                      the last input's vector left out
 *   POST <anything>/chat/completions  the fake model; the scenario is chosen
 *                                     by the "model" of the JSON body
 *   GET  <anything>/models             the model catalogue (no key needed)
 *   GET  <anything>/key                the key's limits; the label shows only
 *                                      the token's last 3 characters
 *   GET  <anything>/credits            {"data":{"total_credits":10.5,…}}
 *   GET  <anything>/generation?id=X    404 on the first lookup of X, then the
 *                                      generation's stats (1024 ids kept)
 *   GET  /_stats   {"requests":N,"connections":N,"open":N,"aborted":N}
 *   GET  /_last    the last request (not /_ ones) as JSON; 404 before any
 *   GET  /_attempts?model=M  {"count":K}: chat requests naming exactly M
 *                  (the raw JSON string; 1024 models kept, oldest evicted)
 *   anything else  404 {"error":{"code":404,"message":"Not found: <path>"}}
 * Authenticated routes (chat, key, credits, generation): no
 * "Authorization: Bearer <token>" gives 401 "No auth credentials found", a
 * token containing "invalid" 401 "Invalid API key".  A token containing
 * "nocredit" makes chat answer 402 and /key report an exhausted limit.
 * Every chat request with a readable body is counted for /_attempts, the
 * ones refused for their key included.  Every chat reply of a scenario,
 * errors included (not html-N, an edge page), carries X-Generation-Id.
 * A connection whose first request is a /_ one is left out of
 * "connections" and "open", so querying the stats does not change them.
 * "aborted" counts responses the client cut off: the peer closed or reset
 * while a response was being sent, stalled or delayed.
 *
 * Streams (SSE, chunked).  R = role chunk (content ""), D = the six normal
 * deltas "Hello" "," " world" " from" " fake" " OpenRouter!", A = a content
 * chunk "a", S = stop chunk, U = usage chunk ("choices":[]), T = the end of
 * the chunked body.  Every stream starts with R, like the real service.
 *   normal, crlf, cr, drip, delay-N  R D S U [DONE] T (normal: the deltas 2 ms
 *                                    apart, as a model streams)
 *   slow-N                           the same, N ms between events
 *   keepalive-N                      N ": OPENROUTER PROCESSING" comments,
 *                                    50 ms apart, then the normal stream
 *   chunks-N                         R A*N S U [DONE] T
 *   big-N                            R <one chunk: N bytes of 'a'> S U [DONE] T
 *   events                           R, then before each of D: an `event: ping` with
 *                                    data and an event with empty data; S U [DONE] T
 *   event-error, event-error-text    R "Hello" "," then `event: error` with data
 *                                    {"error":{"code":502,…}} (or plain text) T
 *   echo                             R <one chunk: the request body, as text> S U
 *                                    [DONE] T; not streamed, the message content
 *                                    is the request body (shows what arrived)
 *   bigthen-N-M                      R <one chunk: N bytes of the pattern> then M
 *                                    chunks "n1;" … "nM;", S U [DONE] T; byte i
 *                                    of the pattern is PATTERN[(31i + i/62) % 62]
 *                                    (so a shifted or overwritten copy shows);
 *                                    the big event ends its HTTP chunk and the
 *                                    next chunk follows at once
 *   notjson                          R "data: this is not json" S U [DONE] T
 *   usage-legacy                     R D S U' [DONE] T (U' has a choice)
 *   no-done                          R D S U T: the usage came, [DONE] never does
 *   two-choices                      R, then two choices (n = 2) interleaved:
 *                                    index 0 "Hello" ", world" (stop), index 1
 *                                    "Bonjour" ", monde" (length); U [DONE] T
 *   error-mid                        R "Hello" "," <error event> T
 *   drop-N                           R A*N, then (50 ms later) the TCP connection
 *                                    is closed
 *   eof-N                            R A*N T
 *   stall-N                          R A*N, then silence until the client leaves
 *   error-mid-429                    the same with the typed 429 error
 *   choice-error                     R "partial" <choice with finish_reason
 *                                    "error" and a choice-level error> T
 *   tools-cut                        R <the first 4 fragments of tools: call_1
 *                                    whole, call_2's arguments begun>, then the
 *                                    TCP connection is closed; not streamed: normal
 *   tools                            R <5 tool_calls fragments> <finish
 *                                    "tool_calls"> U [DONE] T; with a "tool"
 *                                    message: R <the weather text> S U [DONE] T
 *   tools-loop, tools-badargs,       R <a get_weather call> <finish "tool_calls">
 *   tools-reasoning                  U [DONE] T: forever (even after "tool"
 *                                    messages); with arguments that are not JSON;
 *                                    after reasoning with an encrypted detail
 *                                    (the last two, with a "tool" message: as tools)
 *   reasoning                        R <2 reasoning deltas> <details only> D
 *                                    S U [DONE] T
 *   buffered                         the normal stream, head and body in one
 *                                    write after 100 ms
 *   flakydrop-N-TAG                  the first N: the 200 head, then the TCP
 *                                    connection is closed; later: normal
 *   keyat-K-WHERE                    (both modes) K 'x', the bearer token, 40 'x':
 *                                    an HTML 500 page (page), a 200 text/plain
 *                                    body (ok), an SSE data line (line) or the
 *                                    data of an `event: error` (event)
 *   json-ok, json-bad                R <the text in 3 or 2 deltas> S U [DONE] T: a
 *                                    JSON object {"name": "Ada", "born": 1815,
 *                                    "langs": ["Lua", null]}, or text that is not
 *                                    JSON; not streamed, the same text in one body
 *   trickle                          (both modes) a 200 application/json answer,
 *                                    the normal completion, one byte every 50 ms
 * Errors (same in both modes): status-N, html-N (N may be 200: a captive
 * portal's page), redirect-N (N 300-399 but 304: Location
 * https://moved.example/…, a small HTML body), echo-key, avail-<code>
 * (availability errors, no "code"), raw-json, raw-text, moderation,
 * daily-cap, reset-ms-N, retry-after-N, code-string-N, no-code-N, empty-N,
 * flaky-S-N-TAG and flakynr-S-N-TAG (the first N requests naming the model
 * answer S, then normal), tools without "tools".  Non-streamed requests get
 * the normal JSON answer, except for those, stall-headers and delay-N
 * (both modes), choice-error and error-mid-429 (a 200 whose choice carries
 * the error), tools, reasoning, buffered and flakydrop.  A model outside
 * fake/, or an unknown fake/ name, is the normal scenario; a known fake/
 * prefix with a bad number or code is a 400.  The "model" field echoes the
 * requested model.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ limits */

#define HEAD_MAX          ((size_t)64 * 1024)        /* request line + headers */
#define BODY_MAX          ((size_t)32 * 1024 * 1024) /* request body */
#define IN_MAX            (HEAD_MAX + BODY_MAX)      /* stop reading beyond */
#define MAX_HEADERS       128
#define MODEL_MAX         256                        /* model id, raw JSON */
#define ID_MAX            64
#define READ_CHUNK        ((size_t)16 * 1024)        /* bytes per recv() */
#define BUF_MIN           ((size_t)256)
#define BATCH_TARGET      ((size_t)128 * 1024)       /* SSE bytes per HTTP chunk/write */
#define CHUNK_HDR_RESERVE ((size_t)24)               /* room for "<hex>\r\n" */
#define WRITE_BUDGET      ((size_t)4 * 1024 * 1024)  /* per connection per loop turn */
#define ACCEPT_BATCH      64
#define LISTEN_BACKLOG    1024
#define RESERVED_FDS      16                         /* listen socket, stdio, slack */
#define MAX_CONNS_CAP     65536
#define KEEPALIVE_GAP_MS  50
#define DRIP_GAP_MS       1
#define DROP_GAP_MS       50          /* drop-N: the pause before the close */
#define TRICKLE_GAP_MS    50          /* fake/trickle: ~20 s for its body */
#define NORMAL_GAP_MS     2        /* the normal stream: between its text deltas */
#define LINGER_MS         1000     /* after an error reply, drain input this long */
#define NUM_DIGITS_MAX    10
#define STATUS_MIN        200
#define STATUS_MAX        599
#define CHUNKS_MAX        100000000ull
#define BIG_MAX           (1024ull * 1024 * 1024)
#define DELAY_MAX_MS      3600000ull
#define KEEPALIVE_MAX     100000ull
#define DEFAULT_LIFETIME  600
#define DEFAULT_IDLE      120
#define NO_WAKE           ((int64_t)-1)
#define JSON_FIRST_PLAIN  0x20      /* bytes below are control characters */
#define STATS_JSON_MAX    160
#define ERROR_MSG_MAX     64
#define GEN_HEADER_MAX    (ID_MAX + 32)
#define TALLY_SLOTS       1024     /* models counted, generation ids seen */
#define TALLY_KEY_MAX     MODEL_MAX
#define FLAKY_MAX         1000000ull
#define EMBED_MAX         256        /* inputs of one embeddings request */
#define REDIRECT_MIN      300        /* redirect-N: 300..399 but 304 */
#define REDIRECT_MAX      399
#define REDIRECT_TO       "https://moved.example/api/v1/chat/completions"
#define WAIT_MAX          9999999999ull  /* reset-ms-N, retry-after-N */
#define BUFFERED_DELAY_MS 100
#define DAILY_RESET_MS    (3LL * 3600 * 1000)
#define HEADER_LINES_MAX  160      /* a few extra response header lines */
#define TOKEN_TAIL        3        /* key characters shown in /key's label */

/* HTTP statuses the server produces itself. */
enum {
  HTTP_OK = 200, HTTP_NO_CONTENT = 204, HTTP_RESET_CONTENT = 205, HTTP_NOT_MODIFIED = 304,
  HTTP_BAD_REQUEST = 400, HTTP_UNAUTHORIZED = 401, HTTP_PAYMENT_REQUIRED = 402,
  HTTP_FORBIDDEN = 403, HTTP_NOT_FOUND = 404,
  HTTP_LENGTH_REQUIRED = 411, HTTP_PAYLOAD_TOO_LARGE = 413, HTTP_TOO_MANY_REQUESTS = 429,
  HTTP_HEADERS_TOO_LARGE = 431
};

static const char DEFAULT_MODEL[] = "openai/gpt-4o";
static const char FAKE_PREFIX[] = "fake/";
static const char CHAT_SUFFIX[] = "/chat/completions";
static const char EMBEDDINGS_SUFFIX[] = "/embeddings";
static const char HTTP_VERSION_PREFIX[] = "HTTP/1.";   /* then one digit */
static const char PROVIDER[] = "FakeProvider";
static const char CONTINUE_100[] = "HTTP/1.1 100 Continue\r\n\r\n";
#define NORMAL_TEXT "Hello, world from fake OpenRouter!"
static const char *const NORMAL_DELTAS[] = {
  "Hello", ",", " world", " from", " fake", " OpenRouter!"
};
#define N_DELTAS (sizeof NORMAL_DELTAS / sizeof NORMAL_DELTAS[0])
#define ERROR_MID_DELTAS 2
/* fake/tools after a "tool" message; the degree sign is UTF-8 (octal). */
static const char *const WEATHER_DELTAS[] = { "The weather", " in Paris", " is 18\302\260C", " and sunny." };
#define N_WEATHER (sizeof WEATHER_DELTAS / sizeof WEATHER_DELTAS[0])
/* fake/json-ok and fake/json-bad: an answer in JSON, and one cut short
   (JSON-escaped, as they go on the wire). */
static const char *const JSON_OK_DELTAS[] = { "{\\\"name\\\": \\\"Ada\\\",", " \\\"born\\\": 1815,",
                                              " \\\"langs\\\": [\\\"Lua\\\", null]}" };
#define N_JSON_OK (sizeof JSON_OK_DELTAS / sizeof JSON_OK_DELTAS[0])
#define JSON_OK_TEXT "{\\\"name\\\": \\\"Ada\\\", \\\"born\\\": 1815, \\\"langs\\\": [\\\"Lua\\\", null]}"
static const char *const JSON_BAD_DELTAS[] = { "Sure! {\\\"name\\\": \\\"Ada\\\",", " \\\"born\\\":" };
#define N_JSON_BAD (sizeof JSON_BAD_DELTAS / sizeof JSON_BAD_DELTAS[0])
#define JSON_BAD_TEXT "Sure! {\\\"name\\\": \\\"Ada\\\", \\\"born\\\":"
static const char *const PARTIAL_DELTAS[] = { "partial" };

#define USAGE_JSON \
  "{\"prompt_tokens\":13,\"completion_tokens\":6,\"total_tokens\":19," \
  "\"cost\":0.000093,\"is_byok\":false,\"prompt_tokens_details\":{\"cached_tokens\":0}," \
  "\"completion_tokens_details\":{\"reasoning_tokens\":0}}"
/* The choice of a chunk, split around its content string. */
#define CHOICE_OPEN "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\""
#define CHOICE_CLOSE_NULL \
  "\"},\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":null}]"
#define CHOICE_CLOSE_STOP \
  "\"},\"finish_reason\":\"stop\",\"native_finish_reason\":\"stop\",\"logprobs\":null}]"
#define KEEPALIVE_COMMENT ": OPENROUTER PROCESSING"
/* The end of a chunk's choice after its delta object's members. */
#define DELTA_CLOSE_NULL "},\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":null}]"

/* Mid-stream errors: the legacy string code (error-mid) and the typed one. */
#define MID_ERROR_LEGACY \
  "{\"code\":\"server_error\",\"message\":\"Provider disconnected unexpectedly\"}"
#define MID_ERROR_429 \
  "{\"code\":429,\"message\":\"Rate limit exceeded\",\"metadata\":{\"error_type\":\"rate_limit_exceeded\"}}"
#define CHOICE_ERROR \
  "{\"code\":502,\"message\":\"Provider disconnected mid-stream\"," \
  "\"metadata\":{\"error_type\":\"provider_unavailable\"}}"

/* fake/choice-error, streamed: the choice that ends the stream. */
static const char *const CHOICE_ERROR_CHOICES[] = {
  "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":\"error\","
  "\"native_finish_reason\":\"error\",\"logprobs\":null,\"error\":" CHOICE_ERROR "}]"
};

/* fake/tools, streamed: the tool_calls fragments (the third has neither
   index nor id, as some providers send), then the finish. */
#define TOOL_FINISH "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}," \
  "\"finish_reason\":\"tool_calls\",\"native_finish_reason\":\"tool_calls\",\"logprobs\":null}]"
#define TOOL_OPEN "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
static const char *const TOOL_CHOICES[] = {
  TOOL_OPEN "[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":"
  "{\"name\":\"get_weather\",\"arguments\":\"\"}}]" DELTA_CLOSE_NULL,
  TOOL_OPEN "[{\"index\":0,\"function\":{\"arguments\":\"{\\\"loc\"}}]" DELTA_CLOSE_NULL,
  TOOL_OPEN "[{\"function\":{\"arguments\":\"ation\\\": \\\"Paris\\\"}\"}}]" DELTA_CLOSE_NULL,
  TOOL_OPEN "[{\"index\":1,\"id\":\"call_2\",\"type\":\"function\",\"function\":"
  "{\"name\":\"get_time\",\"arguments\":\"{\\\"tz\\\":\"}}]" DELTA_CLOSE_NULL,
  TOOL_OPEN "[{\"index\":1,\"function\":{\"arguments\":\"\\\"Europe/Paris\\\"}\"}}]" DELTA_CLOSE_NULL,
  TOOL_FINISH,
};
#define TOOLS_CUT_AT 4   /* fake/tools-cut: call_1 whole, call_2's arguments begun */

/* fake/two-choices (n = 2), streamed: the choices' deltas interleaved. */
#define TWO(i, delta, finish) "[{\"index\":" #i ",\"delta\":" delta ",\"finish_reason\":" finish "}]"
static const char *const TWO_CHOICES[] = {
  TWO(1, "{\"role\":\"assistant\",\"content\":\"Bonjour\"}", "null"),
  TWO(0, "{\"content\":\"Hello\"}", "null"),
  TWO(1, "{\"content\":\", monde\"}", "null"),
  TWO(0, "{\"content\":\", world\"}", "null"),
  TWO(1, "{}", "\"length\""),
  TWO(0, "{}", "\"stop\""),
};

/* fake/reasoning, streamed: two reasoning deltas, then details only. */
#define REASON_OPEN "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
static const char *const REASONING_CHOICES[] = {
  REASON_OPEN "\"reasoning\":\"Let me think\",\"reasoning_details\":[{\"type\":\"reasoning.text\","
  "\"text\":\"Let me think\",\"index\":0,\"format\":\"unknown\",\"signature\":null}]" DELTA_CLOSE_NULL,
  REASON_OPEN "\"reasoning\":\" about it.\",\"reasoning_details\":[{\"type\":\"reasoning.text\","
  "\"text\":\" about it.\",\"index\":0}]" DELTA_CLOSE_NULL,
  REASON_OPEN "\"reasoning_details\":[{\"type\":\"reasoning.summary\",\"summary\":\"Thought briefly\","
  "\"index\":1,\"format\":\"unknown\"}]" DELTA_CLOSE_NULL,
};
#define N_CHOICES(a) (sizeof (a) / sizeof (a)[0])

/* The other tool-calling models: fake/tools-loop calls get_weather
   whatever came before; fake/tools-badargs sends arguments that are not
   JSON; fake/tools-reasoning reasons (an opaque, signed detail that must
   come back unchanged) before its call. */
#define TOOL_CALL(id, args) TOOL_OPEN "[{\"index\":0,\"id\":\"" id "\",\"type\":\"function\"," \
  "\"function\":{\"name\":\"get_weather\",\"arguments\":\"" args "\"}}]" DELTA_CLOSE_NULL
static const char *const TOOLS_LOOP_CHOICES[] = {
  TOOL_CALL("call_9", "{\\\"location\\\":\\\"Oslo\\\"}"), TOOL_FINISH,
};
static const char *const TOOLS_BADARGS_CHOICES[] = { TOOL_CALL("call_7", "{not json"), TOOL_FINISH };
static const char *const TOOLS_REASONING_CHOICES[] = {
  REASON_OPEN "\"reasoning\":\"Need the weather.\",\"reasoning_details\":[{\"type\":"
  "\"reasoning.encrypted\",\"data\":\"opaque-blob-1\",\"index\":0,\"format\":"
  "\"anthropic-claude-v1\"}]" DELTA_CLOSE_NULL,
  TOOL_CALL("call_5", "{\\\"location\\\":\\\"Paris\\\"}"), TOOL_FINISH,
};

/* Messages of the non-streamed answers. */
#define MESSAGE(content, more) \
  "{\"role\":\"assistant\",\"content\":" content ",\"refusal\":null,\"reasoning\":" more "}"
#define MSG_NORMAL MESSAGE("\"" NORMAL_TEXT "\"", "null")
#define MSG_PARTIAL MESSAGE("\"partial output...\"", "null")
#define MSG_HELLO MESSAGE("\"Hello,\"", "null")
#define MSG_WEATHER MESSAGE("\"The weather in Paris is 18\302\260C and sunny.\"", "null")
#define MSG_REASONING MESSAGE("\"" NORMAL_TEXT "\"", "\"Let me think about it.\"," \
  "\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Let me think about it.\"," \
  "\"index\":0,\"format\":\"unknown\",\"signature\":null},{\"type\":\"reasoning.summary\"," \
  "\"summary\":\"Thought briefly\",\"index\":1,\"format\":\"unknown\"}]")
#define MSG_TOOLS MESSAGE("null", "null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\"," \
  "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\": \\\"Paris\\\"}\"}}," \
  "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\"," \
  "\"arguments\":\"{\\\"tz\\\":\\\"Europe/Paris\\\"}\"}}]")

/* Error bodies; the provider ones are verbatim captures (OPENROUTER.md 7.3). */
#define INVALID_KEY_JSON "{\"error\":{\"code\":401,\"message\":\"Invalid API key\"}}"
#define NO_CREDIT_JSON \
  "{\"error\":{\"message\":\"This request requires more credits, or fewer max_tokens. You " \
  "requested up to 64000 tokens, but can only afford 2666. To increase, visit " \
  "https://openrouter.ai/settings/credits and upgrade to a paid account\",\"code\":402," \
  "\"metadata\":{\"provider_name\":null}},\"user_id\":\"user_fake\"}"
#define RAW_JSON_BODY \
  "{\"error\":{\"message\":\"Provider returned error\",\"code\":400,\"metadata\":{\"raw\":" \
  "\"{\\\"error\\\":{\\\"type\\\":\\\"invalid_request_error\\\",\\\"code\\\":" \
  "\\\"invalid_request_error\\\",\\\"message\\\":\\\"Model 'moonshotai/kimi-k2.6' supports " \
  "at most 1 image per prompt.\\\",\\\"request_id\\\":\\\"req_*******\\\"}}\"," \
  "\"provider_name\":\"Crucible\",\"is_byok\":false}},\"user_id\":\"user_***************\"}"
#define RAW_TEXT_BODY \
  "{\"error\":{\"message\":\"Provider returned error\",\"code\":429,\"metadata\":{\"raw\":" \
  "\"z-ai/glm-5.3-flash is temporarily rate-limited upstream. Please retry shortly, or add your " \
  "own key to accumulate your rate limits: ...\",\"provider_name\":\"BaseTen\",\"limit_source\":" \
  "\"upstream_provider_shared_pool\",\"remedy_hint\":\"Retry shortly, add your own provider key, " \
  "or route to another provider\"}}}"
#define MODERATION_BODY \
  "{\"error\":{\"code\":403,\"message\":\"Your chosen model requires moderation and your input " \
  "was flagged\",\"metadata\":{\"reasons\":[\"violence\",\"harassment\"],\"flagged_input\":" \
  "\"how do I ...\",\"provider_name\":\"FakeProvider\",\"model_slug\":\"openai/gpt-4o\"}}}"
#define DAILY_CAP_FORMAT \
  "{\"error\":{\"message\":\"Rate limit exceeded: free-models-per-day. Add 10 credits to unlock " \
  "1000 free model requests per day\",\"code\":429,\"metadata\":{\"headers\":{\"X-RateLimit-Limit\":" \
  "\"50\",\"X-RateLimit-Remaining\":\"0\",\"X-RateLimit-Reset\":\"%lld\"},\"provider_name\":null," \
  "\"limit_source\":\"openrouter_free_tier_daily\"}},\"user_id\":\"user_3DwvHydeNrDpCeQHaaFQqY8fBNH\"}"
#define RATE_LIMIT_JSON "{\"error\":{\"code\":429,\"message\":\"Rate limit exceeded\"}}"
#define TOOLS_REQUIRED_JSON \
  "{\"error\":{\"code\":400,\"message\":\"tools must be included in every request\"}}"
#define RETRY_AFTER_MS_FLAKY "retry-after-ms: 20\r\n"
#define RETRY_AFTER_MS_RAW "retry-after-ms: 30\r\n"

/* GET /key and /credits; the label is "sk-or-v1-fak...<tail>". */
#define KEY_FORMAT \
  "{\"data\":{\"label\":\"sk-or-v1-fak...%s\",\"limit\":%s,\"limit_reset\":null," \
  "\"limit_remaining\":%s,\"include_byok_in_limit\":false,\"usage\":%s,\"usage_daily\":%s," \
  "\"usage_weekly\":%s,\"usage_monthly\":%s,\"byok_usage\":0,\"is_free_tier\":false," \
  "\"is_management_key\":false,\"is_provisioning_key\":false,\"expires_at\":null," \
  "\"rate_limit\":{\"requests\":-1,\"interval\":\"10s\",\"note\":\"This field is deprecated " \
  "and safe to ignore.\"}}}"
#define CREDITS_JSON "{\"data\":{\"total_credits\":10.5,\"total_usage\":0.25}}"
/* GET /generation: the stats after the id, which the caller escapes. */
#define GENERATION_TAIL \
  "\",\"upstream_id\":\"chatcmpl-1\",\"model\":\"openai/gpt-4o\",\"provider_name\":\"FakeProvider\"," \
  "\"created_at\":\"2026-11-24T08:00:00Z\",\"streamed\":true,\"cancelled\":false,\"finish_reason\":" \
  "\"stop\",\"native_finish_reason\":\"stop\",\"tokens_prompt\":13,\"tokens_completion\":6," \
  "\"total_cost\":0.000093,\"latency\":120,\"generation_time\":80}}"

#define JSON_200_ERROR \
  "{\"error\":{\"code\":502,\"message\":\"Provider returned error\"," \
  "\"metadata\":{\"provider_name\":\"FakeProvider\",\"raw\":\"upstream exploded\"}}}"

/* ------------------------------------------------------------ buffers */

/* A growable byte string. */
struct buf { char *p; size_t len, cap; };

/* realloc() that exits on failure: the server has no useful way on. */
static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) { fputs("fakeserver: out of memory\n", stderr); exit(1); }
  return q;
}

/* Makes room for `extra` more bytes after b->len. */
static void buf_reserve(struct buf *b, size_t extra) {
  size_t cap;
  if (b->cap - b->len >= extra) return;
  cap = b->cap ? b->cap : BUF_MIN;
  while (cap - b->len < extra) cap *= 2;
  b->p = xrealloc(b->p, cap);
  b->cap = cap;
}

/* Appends n bytes. */
static void buf_add(struct buf *b, const void *s, size_t n) {
  if (n == 0) return;
  buf_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

/* Appends a NUL-terminated string. */
static void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Appends printf-formatted text. */
static void buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  buf_reserve(b, BUF_MIN);
  va_start(ap, fmt);
  n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= b->cap - b->len) {
    buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

/* Drops the first n bytes. */
static void buf_consume(struct buf *b, size_t n) {
  if (n >= b->len) { b->len = 0; return; }
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
}

/* Releases the memory; the buffer is empty and reusable after. */
static void buf_free(struct buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* Empties b, and gives back its memory if it grew past `keep` bytes. */
static void buf_shrink(struct buf *b, size_t keep) {
  if (b->cap > keep) buf_free(b);
  b->len = 0;
}

/* Appends s[0..n) as the inside of a JSON string: '"' and '\' escaped,
   control characters as \u00XX, bytes >= 0x80 passed through. */
static void json_escape(struct buf *b, const char *s, size_t n) {
  size_t i, run = 0;
  char esc[8];
  buf_reserve(b, n);
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= JSON_FIRST_PLAIN && ch != '"' && ch != '\\') continue;
    buf_add(b, s + run, i - run);
    if (ch == '"' || ch == '\\') { esc[0] = '\\'; esc[1] = (char)ch; buf_add(b, esc, 2); }
    else buf_add(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", ch));
    run = i + 1;
  }
  buf_add(b, s + run, n - run);
}

/* ------------------------------------------------------------ requests */

/* A byte range inside a buffer (offsets survive reallocation). */
struct span { size_t off, len; };
struct header { struct span name, value; };

/* A parsed request head; spans point into the bytes it was parsed from. */
struct request {
  struct span method, target, path;   /* path: target without the query */
  int minor;                           /* HTTP/1.<minor> */
  size_t head_len;
  size_t nheaders;
  struct header h[MAX_HEADERS];
  int has_cl, has_te, conn_close, conn_keepalive, expect_continue, has_bearer;
  uint64_t cl;
  struct span bearer;                  /* the token after "Bearer " */
};

/* 1 if the span equals the lower-case string s, ignoring ASCII case. */
static int span_ieq(const char *p, struct span sp, const char *s) {
  return strlen(s) == sp.len && strncasecmp(p + sp.off, s, sp.len) == 0;
}

/* 1 for the space and tab of HTTP's optional whitespace. */
static int is_ows(char ch) { return ch == ' ' || ch == '\t'; }

/* Parses s[0..n) as a decimal number: digits only, at least one; values
   above `max` give max + 1.  0 on success, -1 if not a number. */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0) return -1;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    if (v <= max) v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v > max ? max + 1 : v;
  return 0;
}

/* The next line of p[*pos..n) into *line (without its CR LF); advances
   *pos.  0 once at the end. */
static int next_line(const char *p, size_t n, size_t *pos, struct span *line) {
  const char *nl;
  size_t end;
  if (*pos >= n) return 0;
  nl = memchr(p + *pos, '\n', n - *pos);
  end = nl ? (size_t)(nl - p) : n;
  line->off = *pos;
  line->len = end - *pos;
  if (line->len && p[end - 1] == '\r') line->len--;
  *pos = nl ? end + 1 : n;
  return 1;
}

/* An absolute-form target ("http://host:port/path", what a proxy passes
   on) to its path, as servers must take it (RFC 9112 3.2.2).  0 or -1. */
static int skip_authority(const char *p, struct span *t) {
  static const char scheme[] = "http://";
  size_t n = sizeof scheme - 1, i;
  if (t->len <= n || strncasecmp(p + t->off, scheme, n) != 0) return -1;
  for (i = n; i < t->len && p[t->off + i] != '/'; i++) {}
  if (i == t->len) return -1;
  t->off += i;
  t->len -= i;
  return 0;
}

/* Parses "METHOD SP target SP HTTP/1.x".  0 or an HTTP error status. */
static int parse_request_line(const char *p, struct span l, struct request *q) {
  const char *s = p + l.off, *sp1, *sp2, *ver;
  size_t i, vlen, plen;
  sp1 = memchr(s, ' ', l.len);
  if (!sp1) return HTTP_BAD_REQUEST;
  sp2 = memchr(sp1 + 1, ' ', l.len - (size_t)(sp1 + 1 - s));
  if (!sp2) return HTTP_BAD_REQUEST;
  q->method.off = l.off;
  q->method.len = (size_t)(sp1 - s);
  q->target.off = l.off + (size_t)(sp1 + 1 - s);
  q->target.len = (size_t)(sp2 - sp1 - 1);
  ver = sp2 + 1;
  vlen = l.len - (size_t)(ver - s);
  if (q->method.len == 0 || q->target.len == 0) return HTTP_BAD_REQUEST;
  if (p[q->target.off] != '/' && skip_authority(p, &q->target) != 0) return HTTP_BAD_REQUEST;
  for (i = 0; i < q->method.len; i++)
    if (s[i] < 'A' || s[i] > 'Z') return HTTP_BAD_REQUEST;
  plen = sizeof HTTP_VERSION_PREFIX - 1;
  if (vlen != plen + 1 || memcmp(ver, HTTP_VERSION_PREFIX, plen) != 0 ||
      ver[plen] < '0' || ver[plen] > '9')
    return HTTP_BAD_REQUEST;
  q->minor = ver[plen] - '0';
  q->path = q->target;
  for (i = 0; i < q->target.len; i++)
    if (p[q->target.off + i] == '?') { q->path.len = i; break; }
  return 0;
}

/* Parses one "Name: value" line into q->h.  0 or an HTTP error status. */
static int parse_header_line(const char *p, struct span l, struct request *q) {
  const char *s = p + l.off, *colon;
  size_t i, vs, ve;
  if (is_ows(s[0])) return HTTP_BAD_REQUEST;        /* obsolete line folding */
  colon = memchr(s, ':', l.len);
  if (!colon || colon == s) return HTTP_BAD_REQUEST;
  for (i = 0; s + i < colon; i++)
    if (is_ows(s[i]) || (unsigned char)s[i] <= ' ') return HTTP_BAD_REQUEST;
  if (q->nheaders == MAX_HEADERS) return HTTP_HEADERS_TOO_LARGE;
  vs = (size_t)(colon + 1 - s);
  ve = l.len;
  while (vs < ve && is_ows(s[vs])) vs++;
  while (ve > vs && is_ows(s[ve - 1])) ve--;
  q->h[q->nheaders].name.off = l.off;
  q->h[q->nheaders].name.len = (size_t)(colon - s);
  q->h[q->nheaders].value.off = l.off + vs;
  q->h[q->nheaders].value.len = ve - vs;
  q->nheaders++;
  return 0;
}

/* Sets q->conn_close / conn_keepalive from a Connection header's tokens. */
static void read_connection_tokens(const char *p, struct span v, struct request *q) {
  size_t i = 0;
  while (i < v.len) {
    struct span t;
    while (i < v.len && (is_ows(p[v.off + i]) || p[v.off + i] == ',')) i++;
    t.off = v.off + i;
    while (i < v.len && p[v.off + i] != ',' && !is_ows(p[v.off + i])) i++;
    t.len = v.off + i - t.off;
    if (span_ieq(p, t, "close")) q->conn_close = 1;
    if (span_ieq(p, t, "keep-alive")) q->conn_keepalive = 1;
  }
}

/* Sets q->bearer if v is "Bearer <token>" (scheme in any case). */
static void read_authorization(const char *p, struct span v, struct request *q) {
  static const char scheme[] = "Bearer";
  size_t n = sizeof scheme - 1, i = n;
  if (v.len <= n || strncasecmp(p + v.off, scheme, n) != 0 || !is_ows(p[v.off + n])) return;
  while (i < v.len && is_ows(p[v.off + i])) i++;
  if (i == v.len) return;
  q->has_bearer = 1;
  q->bearer.off = v.off + i;
  q->bearer.len = v.len - i;
}

/* Reads the headers the server acts on.  0 or an HTTP error status. */
static int interpret_headers(const char *p, struct request *q) {
  size_t i;
  for (i = 0; i < q->nheaders; i++) {
    struct span n = q->h[i].name, v = q->h[i].value;
    if (span_ieq(p, n, "content-length")) {
      uint64_t cl;
      if (parse_dec(p + v.off, v.len, BODY_MAX, &cl) != 0) return HTTP_BAD_REQUEST;
      if (q->has_cl && q->cl != cl) return HTTP_BAD_REQUEST;
      q->has_cl = 1;
      q->cl = cl;
    } else if (span_ieq(p, n, "transfer-encoding")) {
      q->has_te = 1;
    } else if (span_ieq(p, n, "connection")) {
      read_connection_tokens(p, v, q);
    } else if (span_ieq(p, n, "expect")) {
      if (span_ieq(p, v, "100-continue")) q->expect_continue = 1;
    } else if (span_ieq(p, n, "authorization")) {
      read_authorization(p, v, q);
    }
  }
  return 0;
}

/* Parses a complete head p[0..n) (through its blank line) into q.
   0 or an HTTP error status (400 malformed, 431 too many headers). */
static int parse_head(const char *p, size_t n, struct request *q) {
  size_t pos = 0;
  struct span line;
  int st;
  memset(q, 0, sizeof *q);
  q->head_len = n;
  if (!next_line(p, n, &pos, &line)) return HTTP_BAD_REQUEST;
  if ((st = parse_request_line(p, line, q)) != 0) return st;
  while (next_line(p, n, &pos, &line) && line.len > 0)
    if ((st = parse_header_line(p, line, q)) != 0) return st;
  return interpret_headers(p, q);
}

/* 1 if the request asks to close the connection after the response. */
static int wants_close(const struct request *q) {
  return q->conn_close || (q->minor == 0 && !q->conn_keepalive);
}

/* ------------------------------------------------------------ JSON body */

/* The parts of a chat request body the fake model reads. */
struct chat_params {
  char model[MODEL_MAX + 1];   /* raw JSON string contents (still escaped) */
  int stream;
  int has_tools;               /* a "tools" member, not null */
  const char *messages;        /* the raw "messages" value, or NULL */
  size_t messages_len;
};

/* Skips JSON whitespace in [s, e). */
static const char *skip_ws(const char *s, const char *e) {
  while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++;
  return s;
}

/* s at '"': returns the position after the closing quote, or NULL if the
   string is unterminated or holds a raw control character or bad escape. */
static const char *skip_string(const char *s, const char *e) {
  static const char simple_escapes[] = "\"\\/bfnrt";
  int i;
  for (s++; s < e; s++) {
    if (*s == '"') return s + 1;
    if ((unsigned char)*s < JSON_FIRST_PLAIN) return NULL;
    if (*s != '\\') continue;
    if (++s >= e) return NULL;
    if (*s == 'u') {
      for (i = 0; i < 4; i++)
        if (++s >= e || !strchr("0123456789abcdefABCDEF", *s) || !*s) return NULL;
    } else if (!*s || !strchr(simple_escapes, *s)) {
      return NULL;
    }
  }
  return NULL;
}

/* Skips one JSON value at s (no deep validation of objects and arrays:
   brackets are counted, strings skipped).  NULL if malformed. */
static const char *skip_value(const char *s, const char *e) {
  long depth = 0;
  if (s >= e) return NULL;
  if (*s == '"') return skip_string(s, e);
  if (*s != '{' && *s != '[') {
    const char *start = s;
    while (s < e && (strchr("+-.eE", *s) || (*s >= '0' && *s <= '9') ||
                     (*s >= 'a' && *s <= 'z')) && *s)
      s++;
    return s > start ? s : NULL;
  }
  while (s < e) {
    if (*s == '"') { if (!(s = skip_string(s, e))) return NULL; continue; }
    if (*s == '{' || *s == '[') depth++;
    else if ((*s == '}' || *s == ']') && --depth == 0) return s + 1;
    s++;
  }
  return NULL;
}

/* 1 if the raw key k[0..klen) is the string `name`. */
static int key_is(const char *k, size_t klen, const char *name) {
  return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* Called for each member of an object: the raw key k[0..klen) (between
   its quotes) and the value [v, ve).  Nonzero stops the walk as malformed. */
typedef int (*member_fn)(const char *k, size_t klen, const char *v, const char *ve, void *ctx);

/* Walks the JSON object at s (s at '{'), calling fn for each member.
   Returns the position after its '}', or NULL if malformed or fn refused. */
static const char *walk_object(const char *s, const char *e, member_fn fn, void *ctx) {
  const char *k, *kend, *v;
  s = skip_ws(s + 1, e);
  if (s < e && *s == '}') return s + 1;
  for (;;) {
    if (s == e || *s != '"') return NULL;
    k = s;
    if (!(s = skip_string(s, e))) return NULL;
    kend = s - 1;
    s = skip_ws(s, e);
    if (s == e || *s++ != ':') return NULL;
    v = s = skip_ws(s, e);
    if (!(s = skip_value(s, e))) return NULL;
    if (fn(k + 1, (size_t)(kend - k - 1), v, s, ctx) != 0) return NULL;
    s = skip_ws(s, e);
    if (s < e && *s == ',') { s = skip_ws(s + 1, e); continue; }
    if (s < e && *s == '}') return s + 1;
    return NULL;
  }
}

/* member_fn for the top level of a chat body: records "model", "stream",
   "tools" and "messages".  -1 if the model is not a string or too long. */
static int take_member(const char *k, size_t klen, const char *v, const char *ve, void *ctx) {
  struct chat_params *cp = ctx;
  size_t n = (size_t)(ve - v);
  if (key_is(k, klen, "model")) {
    if (*v != '"' || n - 2 > MODEL_MAX) return -1;
    memcpy(cp->model, v + 1, n - 2);
    cp->model[n - 2] = '\0';
  } else if (key_is(k, klen, "stream")) {
    cp->stream = key_is(v, n, "true");
  } else if (key_is(k, klen, "tools")) {
    cp->has_tools = !key_is(v, n, "null");
  } else if (key_is(k, klen, "messages")) {
    cp->messages = v;
    cp->messages_len = n;
  }
  return 0;
}

/* Reads "model", "stream", "tools" and "messages" from the top-level
   object of a JSON body.  0 on success, -1 if the body is not a JSON
   object. */
static int parse_chat_body(const char *s, size_t n, struct chat_params *cp) {
  const char *e = s + n;
  memset(cp, 0, sizeof *cp);
  s = skip_ws(s, e);
  if (s == e || *s != '{' || !(s = walk_object(s, e, take_member, cp))) return -1;
  if (skip_ws(s, e) != e) return -1;
  if (cp->model[0] == '\0') memcpy(cp->model, DEFAULT_MODEL, sizeof DEFAULT_MODEL);
  return 0;
}

/* member_fn of a message: sets *(int *)ctx if its "role" is "tool". */
static int check_role(const char *k, size_t klen, const char *v, const char *ve, void *ctx) {
  if (key_is(k, klen, "role") && key_is(v, (size_t)(ve - v), "\"tool\"")) *(int *)ctx = 1;
  return 0;
}

/* 1 if the JSON array s[0..n) holds an object whose "role" is "tool". */
static int has_tool_message(const char *s, size_t n) {
  const char *e = s + n, *end;
  int found = 0;
  if (n == 0 || *s != '[') return 0;
  s = skip_ws(s + 1, e);
  while (s < e && *s != ']' && !found) {
    if (!(end = skip_value(s, e))) return 0;
    if (*s == '{') walk_object(s, end, check_role, &found);
    s = skip_ws(end, e);
    if (s < e && *s == ',') s = skip_ws(s + 1, e);
  }
  return found;
}

/* ------------------------------------------------------------ scenarios */

enum scen {
  SC_NORMAL, SC_CHUNKS, SC_STATUS, SC_HTML, SC_DROP, SC_EOF, SC_STALL,
  SC_STALL_HEADERS, SC_KEEPALIVE, SC_SLOW, SC_DELAY, SC_DRIP, SC_CRLF, SC_CR,
  SC_BIG, SC_NOTJSON, SC_ERROR_MID, SC_JSON_200, SC_USAGE_LEGACY, SC_ECHO_KEY,
  SC_AVAIL, SC_RAW_JSON, SC_RAW_TEXT, SC_MODERATION, SC_DAILY_CAP, SC_RESET_MS,
  SC_RETRY_AFTER, SC_CODE_STRING, SC_NO_CODE, SC_EMPTY, SC_CHOICE_ERROR,
  SC_ERROR_MID_429, SC_FLAKY, SC_FLAKYNR, SC_FLAKYDROP, SC_BUFFERED, SC_TOOLS,
  SC_REASONING, SC_BIGTHEN, SC_ECHO, SC_EVENTS, SC_EVENT_ERROR, SC_EVENT_ERROR_TEXT,
  SC_REDIRECT, SC_TRICKLE, SC_KEYAT, SC_TOOLS_CUT, SC_JSON_OK, SC_JSON_BAD,
  SC_NO_DONE, SC_TWO_CHOICES, SC_TOOLS_LOOP, SC_TOOLS_BADARGS, SC_TOOLS_REASONING,
  /* resolved per request (resolve_scenario), never named */
  SC_HEAD_DROP, SC_TOOLS_FINAL, SC_TOOLS_MISSING
};

/* n: the number after the name (flaky: the status); n2: flaky's count of
   failures; avail-<code>: n is the index in AVAIL. */
struct scenario { enum scen kind; uint64_t n, n2; };

/* Names after "fake/"; `max` > 0 means "<name><number>", number <= max. */
static const struct scenario_def { const char *name; enum scen kind; uint64_t max; } SCENARIOS[] = {
  { "chunks-", SC_CHUNKS, CHUNKS_MAX },     { "status-", SC_STATUS, STATUS_MAX },
  { "html-", SC_HTML, STATUS_MAX },         { "drop-", SC_DROP, CHUNKS_MAX },
  { "eof-", SC_EOF, CHUNKS_MAX },           { "stall-", SC_STALL, CHUNKS_MAX },
  { "keepalive-", SC_KEEPALIVE, KEEPALIVE_MAX }, { "slow-", SC_SLOW, DELAY_MAX_MS },
  { "delay-", SC_DELAY, DELAY_MAX_MS },     { "big-", SC_BIG, BIG_MAX },
  { "stall-headers", SC_STALL_HEADERS, 0 }, { "drip", SC_DRIP, 0 },
  { "crlf", SC_CRLF, 0 },                   { "cr", SC_CR, 0 },
  { "notjson", SC_NOTJSON, 0 },             { "error-mid", SC_ERROR_MID, 0 },
  { "json-200", SC_JSON_200, 0 },           { "usage-legacy", SC_USAGE_LEGACY, 0 },
  { "echo-key", SC_ECHO_KEY, 0 },           { "raw-json", SC_RAW_JSON, 0 },
  { "raw-text", SC_RAW_TEXT, 0 },           { "moderation", SC_MODERATION, 0 },
  { "daily-cap", SC_DAILY_CAP, 0 },         { "choice-error", SC_CHOICE_ERROR, 0 },
  { "error-mid-429", SC_ERROR_MID_429, 0 }, { "buffered", SC_BUFFERED, 0 },
  { "tools", SC_TOOLS, 0 },                 { "reasoning", SC_REASONING, 0 },
  { "echo", SC_ECHO, 0 },                   { "events", SC_EVENTS, 0 },
  { "event-error", SC_EVENT_ERROR, 0 },     { "event-error-text", SC_EVENT_ERROR_TEXT, 0 },
  { "reset-ms-", SC_RESET_MS, WAIT_MAX },   { "retry-after-", SC_RETRY_AFTER, WAIT_MAX },
  { "code-string-", SC_CODE_STRING, STATUS_MAX }, { "no-code-", SC_NO_CODE, STATUS_MAX },
  { "empty-", SC_EMPTY, STATUS_MAX },      { "redirect-", SC_REDIRECT, REDIRECT_MAX },
  { "trickle", SC_TRICKLE, 0 },             { "tools-cut", SC_TOOLS_CUT, 0 },
  { "json-ok", SC_JSON_OK, 0 },             { "json-bad", SC_JSON_BAD, 0 },
  { "no-done", SC_NO_DONE, 0 },             { "two-choices", SC_TWO_CHOICES, 0 },
  { "tools-loop", SC_TOOLS_LOOP, 0 },       { "tools-badargs", SC_TOOLS_BADARGS, 0 },
  { "tools-reasoning", SC_TOOLS_REASONING, 0 },
};
#define N_SCENARIOS (sizeof SCENARIOS / sizeof SCENARIOS[0])

/* fake/avail-<code>: OpenRouter's model-availability errors.  The message
   is <before><model><after>. */
static const struct avail_def {
  const char *code, *error_type, *before, *after;
  int status, retryable;
} AVAIL[] = {
  { "model_not_found", "invalid_request", "", " is not a valid model ID", 400, 0 },
  { "wrong_endpoint", "invalid_request", "", " is not available on this endpoint", 400, 0 },
  { "no_endpoints", "not_found", "No endpoints found for ", ".", 404, 0 },
  { "model_deprecated", "not_found", "", " has been deprecated and is no longer available", 404, 0 },
  { "capacity_exhausted", "rate_limit_exceeded", "",
    " is temporarily at capacity. Please retry shortly.", 429, 1 },
  { "temporarily_unavailable", "provider_overloaded", "",
    " is temporarily unavailable. Please retry shortly.", 503, 1 },
  { "region_restricted", "permission_denied", "", " is not available in your region", 403, 0 },
};
#define N_AVAIL (sizeof AVAIL / sizeof AVAIL[0])
static const char AVAIL_PREFIX[] = "avail-";

/* The flaky families: "<name><S>-<N>[-TAG]" (status, failures) or, without
   a status, "<name><N>[-TAG]". */
static const struct flaky_def { const char *name; enum scen kind; int has_status; } FLAKY[] = {
  { "flaky-", SC_FLAKY, 1 }, { "flakynr-", SC_FLAKYNR, 1 }, { "flakydrop-", SC_FLAKYDROP, 0 },
};
static const char BIGTHEN_PREFIX[] = "bigthen-";
/* fake/keyat-K-WHERE: the bearer token K bytes into a body that is not what
   it should be, for each place that quotes such a body in an error */
static const char KEYAT_PREFIX[] = "keyat-";
static const char *const KEYAT_WHERE[] = { "page", "ok", "line", "event" };
enum { KEYAT_PAGE, KEYAT_OK, KEYAT_LINE, KEYAT_EVENT, N_KEYAT };
#define KEYAT_MAX 4096
#define N_FLAKY (sizeof FLAKY / sizeof FLAKY[0])

/* 1 if an HTTP status can carry the fake error body. */
static int status_ok(uint64_t st) {
  return st >= STATUS_MIN && st <= STATUS_MAX && st != HTTP_NO_CONTENT &&
         st != HTTP_RESET_CONTENT && st != HTTP_NOT_MODIFIED;
}

/* 1 for the scenarios whose number is the HTTP status to answer. */
static int is_status_kind(enum scen k) {
  return k == SC_STATUS || k == SC_HTML || k == SC_CODE_STRING || k == SC_NO_CODE ||
         k == SC_EMPTY || k == SC_FLAKY || k == SC_FLAKYNR;
}

/* Reads the decimal number at *s up to the next '-' or the end of the
   string, and moves *s past it and past that '-'.  0 or -1. */
static int take_number(const char **s, uint64_t max, uint64_t *out) {
  const char *dash = strchr(*s, '-');
  size_t n = dash ? (size_t)(dash - *s) : strlen(*s);
  if (n > NUM_DIGITS_MAX || parse_dec(*s, n, max, out) != 0 || *out > max) return -1;
  *s += dash ? n + 1 : n;
  return 0;
}

/* 1 if s is made of [a-z0-9] only (possibly empty). */
static int is_tag(const char *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return 0;
  return 1;
}

/* rest follows a flaky family's name: its numbers and tag into sc.  0 or
   -1. */
static int parse_flaky(const struct flaky_def *f, const char *rest, struct scenario *sc) {
  sc->kind = f->kind;
  if (f->has_status && take_number(&rest, STATUS_MAX, &sc->n) != 0) return -1;
  if (take_number(&rest, FLAKY_MAX, &sc->n2) != 0) return -1;
  return is_tag(rest) ? 0 : -1;
}

/* rest follows "avail-": the availability code into sc->n.  0 or -1. */
static int parse_avail(const char *rest, struct scenario *sc) {
  size_t i;
  for (i = 0; i < N_AVAIL; i++)
    if (strcmp(rest, AVAIL[i].code) == 0) {
      sc->kind = SC_AVAIL;
      sc->n = i;
      return 0;
    }
  return -1;
}

/* rest follows "bigthen-": "<bytes>-<count>" into sc->n, sc->n2.  0 or -1. */
static int parse_bigthen(const char *rest, struct scenario *sc) {
  sc->kind = SC_BIGTHEN;
  if (take_number(&rest, BIG_MAX, &sc->n) != 0 || *rest == '\0') return -1;
  if (take_number(&rest, CHUNKS_MAX, &sc->n2) != 0) return -1;
  return *rest == '\0' ? 0 : -1;
}

/* rest follows "keyat-": "<offset>-<where>" into sc->n, sc->n2.  0 or -1. */
static int parse_keyat(const char *rest, struct scenario *sc) {
  sc->kind = SC_KEYAT;
  if (take_number(&rest, KEYAT_MAX, &sc->n) != 0) return -1;
  for (sc->n2 = 0; sc->n2 < N_KEYAT; sc->n2++)
    if (strcmp(rest, KEYAT_WHERE[sc->n2]) == 0) return 0;
  return -1;
}

/* name (after "fake/") against the "<name><number>" table.  0 (sc->kind
   stays SC_NORMAL if no prefix matches), or -1 for a bad number. */
static int parse_numbered(const char *name, struct scenario *sc) {
  size_t i, l;
  for (i = 0; i < N_SCENARIOS; i++) {
    l = strlen(SCENARIOS[i].name);
    if (SCENARIOS[i].max == 0 || strncmp(name, SCENARIOS[i].name, l) != 0) continue;
    if (strlen(name + l) > NUM_DIGITS_MAX ||
        parse_dec(name + l, strlen(name + l), SCENARIOS[i].max, &sc->n) != 0 ||
        sc->n > SCENARIOS[i].max)
      return -1;
    sc->kind = SCENARIOS[i].kind;
    return 0;
  }
  return 0;
}

/* Picks the scenario for a model id.  0, or -1 for a known fake/ prefix
   followed by a bad number or code. */
static int parse_scenario(const char *model, struct scenario *sc) {
  const char *name = model + sizeof FAKE_PREFIX - 1;
  size_t i, l;
  int rc;
  sc->kind = SC_NORMAL;
  sc->n = sc->n2 = 0;
  if (strncmp(model, FAKE_PREFIX, sizeof FAKE_PREFIX - 1) != 0) return 0;
  for (i = 0; i < N_SCENARIOS; i++)
    if (SCENARIOS[i].max == 0 && strcmp(name, SCENARIOS[i].name) == 0) {
      sc->kind = SCENARIOS[i].kind;
      return 0;
    }
  if (strncmp(name, AVAIL_PREFIX, sizeof AVAIL_PREFIX - 1) == 0)
    return parse_avail(name + sizeof AVAIL_PREFIX - 1, sc);
  if (strncmp(name, BIGTHEN_PREFIX, sizeof BIGTHEN_PREFIX - 1) == 0)
    return parse_bigthen(name + sizeof BIGTHEN_PREFIX - 1, sc);
  if (strncmp(name, KEYAT_PREFIX, sizeof KEYAT_PREFIX - 1) == 0)
    return parse_keyat(name + sizeof KEYAT_PREFIX - 1, sc);
  rc = 1;
  for (i = 0; i < N_FLAKY && rc == 1; i++) {
    l = strlen(FLAKY[i].name);
    if (strncmp(name, FLAKY[i].name, l) == 0) rc = parse_flaky(&FLAKY[i], name + l, sc);
  }
  if (rc == 1) rc = parse_numbered(name, sc);
  if (rc != 0) return -1;
  if (is_status_kind(sc->kind) && !status_ok(sc->n)) return -1;
  if (sc->kind == SC_REDIRECT && (sc->n < REDIRECT_MIN || sc->n == HTTP_NOT_MODIFIED)) return -1;
  return 0;
}

/* The reason phrase of an HTTP status. */
static const char *reason_phrase(int status) {
  static const struct { int code; const char *text; } table[] = {
    { 100, "Continue" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
    { 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" },
    { 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
    { 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
    { 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
    { 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
    { 411, "Length Required" }, { 413, "Payload Too Large" },
    { 415, "Unsupported Media Type" }, { 422, "Unprocessable Entity" },
    { 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
    { 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
    { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
    { 520, "Web Server Returned an Unknown Error" }, { 521, "Web Server Is Down" },
    { 522, "Connection Timed Out" }, { 523, "Origin Is Unreachable" },
    { 524, "A Timeout Occurred" }, { 529, "Site is overloaded" },
  };
  size_t i;
  for (i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].code == status) return table[i].text;
  return "Unknown";
}

/* ------------------------------------------------------------ connections */

/* One step of a streamed response's event program. */
enum op_kind {
  OP_COMMENTS, OP_ROLE, OP_DELTAS, OP_REPEAT_A, OP_BIG, OP_NOTJSON, OP_ERROR_MID,
  OP_CHOICES, OP_STOP, OP_USAGE, OP_USAGE_LEGACY, OP_DONE, OP_NUMBERED, OP_ECHO,
  OP_NOISY_DELTAS, OP_EVENT_ERROR,
  OP_END, OP_DROP, OP_STALL        /* terminal: how the body ends */
};
struct op { enum op_kind kind; uint64_t count; };
#define OPS_MAX 10

/* The response in progress on a connection. */
struct response {
  int active;        /* started and not yet fully handed to the kernel */
  int finished;      /* everything queued in `out`; done once it drains */
  int stalled;       /* nothing more will be sent: wait for the client */
  int stream;        /* driven by the event program */
  int drop;          /* close the TCP connection once `out` drains */
  int close_after;   /* Connection: close */
  int linger_after;  /* an error reply: drain the input before closing */
  int internal;      /* a /_ route: never counted as aborted */
  int64_t wake_at;   /* NO_WAKE, or a monotonic ms time to wait for */
  struct op ops[OPS_MAX];
  size_t nops, op;   /* the program and the current step */
  uint64_t sub;      /* events (or big bytes) done in the current step */
  int big_phase;     /* OP_BIG: 0 prefix, 1 content bytes, 2 suffix */
  int big_pattern;   /* OP_BIG: PATTERN bytes instead of 'a', and the event
                        ends its HTTP chunk (the next one follows at once) */
  int batch_break;   /* end the current HTTP chunk here */
  const char *eol;   /* the SSE line end: "\n", "\r\n" or "\r" */
  int64_t gap_ms;    /* slow-N: pause between events */
  int64_t delta_gap_ms;  /* normal: pause between its text deltas, like a model */
  int gap_pending;   /* pause `gap_next` ms before the next event */
  int64_t gap_next;
  int drip, drip_ready;
  int drop_waited;      /* OP_DROP: the pause before the close is over */
  int drip_raw;         /* fake/trickle: plain bytes (Content-Length), not HTTP chunks */
  int64_t drip_gap_ms;
  size_t drip_pos;
  struct buf drip_buf;  /* fake/drip: the whole SSE body, sent byte by byte */
  struct buf obj_head;  /* `data: {"id":…,"created":…,"choices":` */
  struct buf rep;       /* one complete content event "a", pre-formatted */
  struct buf echo;      /* fake/echo: the request body, JSON-escaped */
  const char *const *deltas;   /* OP_DELTAS: the content strings (JSON-safe) */
  const char *const *choices;  /* OP_CHOICES: complete "choices" arrays */
  const char *mid_error;       /* OP_ERROR_MID: the error object */
  char id[ID_MAX];
  long long created;
  char model[MODEL_MAX + 1];
};

struct conn {
  int fd;
  int closed;         /* closed; freed at the end of the loop turn */
  int counted;        /* included in connections/open */
  int resume;         /* stopped on the write budget: pump again soon */
  int lingering;      /* reply sent, write side shut: discarding input */
  int64_t linger_until;
  unsigned long nreq; /* requests dispatched on this connection */
  struct buf in;
  size_t scan_pos, line_start;  /* head-end search state */
  int have_head, continue_sent;
  struct request req;
  struct buf out;
  size_t out_off;     /* bytes of `out` already written */
  struct response r;
};

/* A bounded table of counts by key (model ids, generation ids); when full,
   a new key replaces the oldest one. */
struct tally_entry { uint32_t hash; size_t len; unsigned long long count; char key[TALLY_KEY_MAX]; };
struct tally { struct tally_entry e[TALLY_SLOTS]; size_t used, next; };

/* The whole server state. */
static struct server {
  int lfd;
  struct conn **conns;
  size_t nconns, conns_cap, max_conns;  /* table length (closed ones until sweep) */
  size_t live;                          /* open connections, /_ ones included */
  struct pollfd *pfds;
  size_t pfds_cap;
  int64_t now, deadline, idle_ms, last_activity;
  unsigned long long requests, connections, open, aborted, gen_counter;
  struct buf last_head, last_body;   /* the last recorded request */
  int have_last;
  struct buf scratch;                /* response bodies being built */
  struct buf models;                 /* GET /models, built on first use */
  struct tally attempts;             /* chat requests by model */
  struct tally generations;          /* /generation lookups by id */
} S;

static volatile sig_atomic_t stop_signal;

/* The monotonic clock in milliseconds. */
static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock in milliseconds since the epoch. */
static long long wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a of s[0..n). */
static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

/* The slot of key k[0..n) whose hash is h, or t->used if it is absent. */
static size_t tally_find(const struct tally *t, uint32_t h, const char *k, size_t n) {
  size_t i;
  for (i = 0; i < t->used; i++)
    if (t->e[i].hash == h && t->e[i].len == n && memcmp(t->e[i].key, k, n) == 0) break;
  return i;
}

/* The count of key k[0..n) (n <= TALLY_KEY_MAX), 0 if it is not in t. */
static unsigned long long tally_get(const struct tally *t, const char *k, size_t n) {
  size_t i = tally_find(t, hash_bytes(k, n), k, n);
  return i < t->used ? t->e[i].count : 0;
}

/* Adds one to the count of key k[0..n) (n <= TALLY_KEY_MAX); a new key
   takes a free slot, or the oldest key's.  Returns the new count. */
static unsigned long long tally_bump(struct tally *t, const char *k, size_t n) {
  uint32_t h = hash_bytes(k, n);
  size_t i = tally_find(t, h, k, n);
  struct tally_entry *e;
  if (i < t->used) return ++t->e[i].count;
  if (t->used < TALLY_SLOTS) e = &t->e[t->used++];
  else { e = &t->e[t->next]; t->next = (t->next + 1) % TALLY_SLOTS; }
  e->hash = h;
  e->len = n;
  e->count = 1;
  memcpy(e->key, k, n);
  return 1;
}

/* Closes the connection.  by_peer: the client closed or reset it, which
   counts as an abort if a response was in progress. */
static void close_conn(struct conn *c, int by_peer) {
  if (c->closed) return;
  if (by_peer && c->r.active && !c->r.internal) S.aborted++;
  close(c->fd);
  c->fd = -1;
  c->closed = 1;
  if (c->counted) S.open--;
  S.live--;
  S.last_activity = S.now;
}

/* Frees a connection's memory (its socket is already closed). */
static void free_conn(struct conn *c) {
  buf_free(&c->in);
  buf_free(&c->out);
  buf_free(&c->r.drip_buf);
  buf_free(&c->r.obj_head);
  buf_free(&c->r.rep);
  buf_free(&c->r.echo);
  free(c);
}

/* Clears the response state, keeping the buffers' memory for reuse. */
static void reset_response(struct response *r) {
  struct buf drip = r->drip_buf, head = r->obj_head, rep = r->rep, echo = r->echo;
  memset(r, 0, sizeof *r);
  drip.len = head.len = rep.len = echo.len = 0;
  r->drip_buf = drip;
  r->obj_head = head;
  r->rep = rep;
  r->echo = echo;
  r->wake_at = NO_WAKE;
  r->eol = "\n";
}

/* ------------------------------------------------------------ responses */

/* Appends the status line. */
static void add_status_line(struct conn *c, int status) {
  buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
}

/* Appends "Connection: close" if the connection ends after this response,
   then the blank line that ends the head. */
static void end_head(struct conn *c) {
  if (c->r.close_after) buf_adds(&c->out, "Connection: close\r\n");
  else if (c->req.minor == 0) buf_adds(&c->out, "Connection: keep-alive\r\n");
  buf_adds(&c->out, "\r\n");
}

/* The X-Generation-Id header line of this response (static storage). */
static const char *gen_id_header(const struct response *r) {
  static char line[GEN_HEADER_MAX];
  snprintf(line, sizeof line, "X-Generation-Id: %s\r\n", r->id);
  return line;
}

/* Queues a complete response with a Content-Length body.  extra: more
   header lines ("Name: value\r\n" each), or NULL.  A chat response that
   has its generation (init_generation) also gets X-Generation-Id. */
static void respond_fixed(struct conn *c, int status, const char *ctype, const char *extra,
                          const char *body, size_t blen) {
  add_status_line(c, status);
  buf_printf(&c->out, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, blen);
  if (c->r.id[0]) buf_adds(&c->out, gen_id_header(&c->r));
  if (extra) buf_adds(&c->out, extra);
  end_head(c);
  buf_add(&c->out, body, blen);
  c->r.active = 1;
  c->r.finished = 1;
}

/* Queues {"error":{"code":status,"message":"<msg><detail>"}}, detail
   JSON-escaped (may be NULL). */
static void respond_error(struct conn *c, int status, const char *extra, const char *msg,
                          const char *detail, size_t dlen) {
  struct buf *b = &S.scratch;
  b->len = 0;
  buf_printf(b, "{\"error\":{\"code\":%d,\"message\":\"", status);
  json_escape(b, msg, strlen(msg));
  if (detail) json_escape(b, detail, dlen);
  buf_adds(b, "\"}}");
  respond_fixed(c, status, "application/json", extra, b->p, b->len);
}

/* Queues a JSON response whose body is printf-formatted. */
#ifdef __GNUC__
__attribute__((format(printf, 4, 5)))
#endif
static void respond_json(struct conn *c, int status, const char *extra, const char *fmt, ...) {
  struct buf *b = &S.scratch;
  va_list ap;
  int n;
  b->len = 0;
  buf_reserve(b, BUF_MIN);
  va_start(ap, fmt);
  n = vsnprintf(b->p, b->cap, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= b->cap) {
    buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p, b->cap, fmt, ap);
    va_end(ap);
  }
  respond_fixed(c, status, "application/json", extra, b->p, (size_t)n);
}

/* Replies to a request that cannot be served (malformed, too large) and
   closes the connection after it; never counted as a request. */
static void reject(struct conn *c, int status, const char *msg) {
  reset_response(&c->r);
  c->r.internal = 1;
  c->r.close_after = 1;
  c->r.linger_after = 1;
  c->in.len = 0;
  respond_error(c, status, NULL, msg, NULL, 0);
}

/* Names this response's generation: id, creation time, model. */
static void init_generation(struct response *r, const char *model) {
  r->created = (long long)time(NULL);
  snprintf(r->id, sizeof r->id, "gen-%lld-%llu", r->created, ++S.gen_counter);
  snprintf(r->model, sizeof r->model, "%s", model);
}

/* Queues a non-streamed chat completion with one choice: its finish
   reason, message object and extra members (",\"error\":…" or ""). */
static void respond_completion_with(struct conn *c, const char *finish, const char *message,
                                    const char *choice_extra) {
  struct response *r = &c->r;
  struct buf *b = &S.scratch;
  b->len = 0;
  buf_printf(b, "{\"id\":\"%s\",\"provider\":\"%s\",\"model\":\"%s\","
             "\"object\":\"chat.completion\",\"created\":%lld,"
             "\"choices\":[{\"index\":0,\"finish_reason\":\"%s\","
             "\"native_finish_reason\":\"%s\",\"logprobs\":null,"
             "\"message\":%s%s}],\"usage\":" USAGE_JSON "}",
             r->id, PROVIDER, r->model, r->created, finish, finish, message, choice_extra);
  respond_fixed(c, HTTP_OK, "application/json", NULL, b->p, b->len);
}

/* Queues the normal non-streamed chat completion. */
static void respond_completion(struct conn *c) {
  respond_completion_with(c, "stop", MSG_NORMAL, "");
}

/* Queues a Cloudflare-style HTML error page (from the edge: no
   X-Generation-Id). */
static void respond_html(struct conn *c, int status) {
  struct buf *b = &S.scratch;
  c->r.id[0] = '\0';
  b->len = 0;
  buf_printf(b, "<html><head><title>%d</title></head><body><h1>%d %s</h1>cloudflare"
             "</body></html>", status, status, reason_phrase(status));
  respond_fixed(c, status, "text/html", NULL, b->p, b->len);
}

/* fake/redirect-N: what a moved site answers (followed, it would take the
   request and its key elsewhere). */
static void respond_redirect(struct conn *c, int status) {
  static const char body[] = "<html><body>Moved</body></html>";
  respond_fixed(c, status, "text/html", "Location: " REDIRECT_TO "\r\n", body, sizeof body - 1);
}

/* fake/keyat-K-WHERE: K 'x', the bearer token, 40 'x', as an HTML 500 page
   (page), a 200 text/plain body (ok), a stream's data line (line) or the
   data of its `event: error` (event). */
static void respond_keyat(struct conn *c, const struct scenario *sc) {
  struct buf *b = &S.scratch;
  size_t i;
  b->len = 0;
  if (sc->n2 == KEYAT_LINE) buf_adds(b, "data: ");
  if (sc->n2 == KEYAT_EVENT) buf_adds(b, "event: error\ndata: ");
  for (i = 0; i < sc->n; i++) buf_add(b, "x", 1);
  buf_add(b, c->in.p + c->req.bearer.off, c->req.bearer.len);
  for (i = 0; i < 40; i++) buf_add(b, "x", 1);
  if (sc->n2 == KEYAT_LINE || sc->n2 == KEYAT_EVENT) buf_adds(b, "\n\n");
  if (sc->n2 == KEYAT_PAGE) respond_fixed(c, 500, "text/html", NULL, b->p, b->len);
  else if (sc->n2 == KEYAT_OK) respond_fixed(c, HTTP_OK, "text/plain", NULL, b->p, b->len);
  else respond_fixed(c, HTTP_OK, "text/event-stream", NULL, b->p, b->len);
}

/* fake/trickle: the normal JSON completion, its head at once and its body
   one byte every TRICKLE_GAP_MS (Content-Length, not chunked). */
static void start_trickle(struct conn *c) {
  struct response *r = &c->r;
  respond_completion(c);                   /* leaves the body in S.scratch */
  c->out.len -= S.scratch.len;
  buf_add(&r->drip_buf, S.scratch.p, S.scratch.len);
  r->finished = 0;
  r->drip = r->drip_ready = r->drip_raw = 1;
  r->drip_gap_ms = TRICKLE_GAP_MS;
}

/* Appends the SSE event terminator (a blank line) in this stream's
   line-end style. */
static void add_event_end(struct buf *b, const struct response *r) {
  buf_adds(b, r->eol);
  buf_adds(b, r->eol);
}

/* Appends a content chunk event: role assistant, the given content
   (already JSON-safe) and finish_reason null or "stop". */
static void add_content_chunk(struct buf *b, const struct response *r, const char *text,
                              int stop) {
  buf_add(b, r->obj_head.p, r->obj_head.len);
  buf_adds(b, CHOICE_OPEN);
  buf_adds(b, text);
  buf_adds(b, stop ? CHOICE_CLOSE_STOP "}" : CHOICE_CLOSE_NULL "}");
  add_event_end(b, r);
}

/* Prepares the stream's per-response constants: the chunk prefix and the
   complete "a" event repeated by chunks-N, drop-N, eof-N and stall-N. */
static void prepare_stream_text(struct response *r) {
  r->obj_head.len = 0;
  buf_printf(&r->obj_head, "data: {\"id\":\"%s\",\"provider\":\"%s\",\"model\":\"%s\","
             "\"object\":\"chat.completion.chunk\",\"created\":%lld,\"choices\":",
             r->id, PROVIDER, r->model, r->created);
  r->rep.len = 0;
  add_content_chunk(&r->rep, r, "a", 0);
}

/* Appends step `kind`, with `count` events, to the event program. */
static void add_op(struct response *r, enum op_kind kind, uint64_t count) {
  r->ops[r->nops].kind = kind;
  r->ops[r->nops].count = count;
  r->nops++;
}

/* Appends the steps that end a stream which stops before its usage: the
   error event or choice (n of `kind`), then the end of the body. */
static void add_error_end(struct response *r, enum op_kind kind, uint64_t n) {
  add_op(r, kind, n);
  add_op(r, OP_END, 0);
}

/* Adds the steps of a stream whose choices (all n, their finish chunks
   included) come whole, then usage and [DONE].  Returns 1. */
static int add_choices_end(struct response *r, const char *const *choices, size_t n) {
  r->choices = choices;
  add_op(r, OP_CHOICES, n);
  add_op(r, OP_USAGE, 1);
  add_op(r, OP_DONE, 1);
  add_op(r, OP_END, 0);
  return 1;
}
#define CHOICES_END(r, a) add_choices_end((r), (a), N_CHOICES(a))

/* Adds the steps after the role chunk of the streams that do not end
   with stop, usage, [DONE].  1 if sc is one of them, else 0. */
static int add_unusual_end(struct response *r, const struct scenario *sc) {
  switch (sc->kind) {
  case SC_DROP: case SC_EOF: case SC_STALL:
    add_op(r, OP_REPEAT_A, sc->n);
    add_op(r, sc->kind == SC_DROP ? OP_DROP : sc->kind == SC_EOF ? OP_END : OP_STALL, 0);
    return 1;
  case SC_ERROR_MID: case SC_ERROR_MID_429:
    if (sc->kind == SC_ERROR_MID_429) r->mid_error = MID_ERROR_429;
    add_op(r, OP_DELTAS, ERROR_MID_DELTAS);
    add_error_end(r, OP_ERROR_MID, 1);
    return 1;
  case SC_EVENT_ERROR: case SC_EVENT_ERROR_TEXT:
    r->mid_error = sc->kind == SC_EVENT_ERROR ? "{\"error\":" CHOICE_ERROR "}" : "upstream failed";
    add_op(r, OP_DELTAS, ERROR_MID_DELTAS);
    add_error_end(r, OP_EVENT_ERROR, 1);
    return 1;
  case SC_CHOICE_ERROR:
    r->deltas = PARTIAL_DELTAS;
    r->choices = CHOICE_ERROR_CHOICES;
    add_op(r, OP_DELTAS, N_CHOICES(PARTIAL_DELTAS));
    add_error_end(r, OP_CHOICES, N_CHOICES(CHOICE_ERROR_CHOICES));
    return 1;
  case SC_TOOLS_CUT:                   /* the connection goes mid-arguments */
    r->choices = TOOL_CHOICES;
    add_op(r, OP_CHOICES, TOOLS_CUT_AT);
    add_op(r, OP_DROP, 0);
    return 1;
  case SC_TWO_CHOICES:      return CHOICES_END(r, TWO_CHOICES);
  case SC_TOOLS:            return CHOICES_END(r, TOOL_CHOICES);
  case SC_TOOLS_LOOP:       return CHOICES_END(r, TOOLS_LOOP_CHOICES);
  case SC_TOOLS_BADARGS:    return CHOICES_END(r, TOOLS_BADARGS_CHOICES);
  case SC_TOOLS_REASONING:  return CHOICES_END(r, TOOLS_REASONING_CHOICES);
  default: return 0;
  }
}

/* Builds the event program of a streamed scenario (see the file comment). */
static void set_program(struct response *r, const struct scenario *sc) {
  r->nops = r->op = 0;
  r->deltas = NORMAL_DELTAS;
  r->mid_error = MID_ERROR_LEGACY;
  if (sc->kind == SC_HEAD_DROP) { add_op(r, OP_DROP, 0); return; }
  if (sc->kind == SC_KEEPALIVE) add_op(r, OP_COMMENTS, sc->n);
  add_op(r, OP_ROLE, 1);
  if (add_unusual_end(r, sc)) return;
  switch (sc->kind) {
  case SC_REASONING:
    r->choices = REASONING_CHOICES;
    add_op(r, OP_CHOICES, N_CHOICES(REASONING_CHOICES));
    add_op(r, OP_DELTAS, N_DELTAS);
    break;
  case SC_TOOLS_FINAL: r->deltas = WEATHER_DELTAS; add_op(r, OP_DELTAS, N_WEATHER); break;
  case SC_JSON_OK: r->deltas = JSON_OK_DELTAS; add_op(r, OP_DELTAS, N_JSON_OK); break;
  case SC_JSON_BAD: r->deltas = JSON_BAD_DELTAS; add_op(r, OP_DELTAS, N_JSON_BAD); break;
  case SC_CHUNKS: add_op(r, OP_REPEAT_A, sc->n); break;
  case SC_BIG: add_op(r, OP_BIG, sc->n); break;
  case SC_ECHO: add_op(r, OP_ECHO, 1); break;
  case SC_EVENTS: add_op(r, OP_NOISY_DELTAS, N_DELTAS); break;
  case SC_BIGTHEN:
    r->big_pattern = 1;
    add_op(r, OP_BIG, sc->n);
    add_op(r, OP_NUMBERED, sc->n2);
    break;
  case SC_NOTJSON: add_op(r, OP_NOTJSON, 1); break;
  default: add_op(r, OP_DELTAS, N_DELTAS); break;
  }
  add_op(r, OP_STOP, 1);
  add_op(r, sc->kind == SC_USAGE_LEGACY ? OP_USAGE_LEGACY : OP_USAGE, 1);
  if (sc->kind != SC_NO_DONE) add_op(r, OP_DONE, 1);
  add_op(r, OP_END, 0);
}

/* Queues the head of a streamed response and arms its event program. */
static void start_stream(struct conn *c, const struct scenario *sc) {
  struct response *r = &c->r;
  add_status_line(c, HTTP_OK);
  buf_adds(&c->out, "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                    "Transfer-Encoding: chunked\r\n");
  buf_adds(&c->out, gen_id_header(r));
  end_head(c);
  r->active = 1;
  r->stream = 1;
  if (sc->kind == SC_CRLF) r->eol = "\r\n";
  if (sc->kind == SC_CR) r->eol = "\r";
  if (sc->kind == SC_SLOW) r->gap_ms = (int64_t)sc->n;
  if (sc->kind == SC_NORMAL) r->delta_gap_ms = NORMAL_GAP_MS;
  if (sc->kind == SC_DRIP) r->drip = 1;
  prepare_stream_text(r);
  set_program(r, sc);
}

/* ------------------------------------------------------------ event program */

/* 1 if the step ends the program. */
static int op_terminal(enum op_kind k) { return k == OP_END || k == OP_DROP || k == OP_STALL; }

/* Moves past `k` events of the current step (to the next step when it is
   complete), and arms the pause before the next event if there is one. */
static void advance(struct response *r, uint64_t k) {
  enum op_kind kind = r->ops[r->op].kind;
  int64_t gap = kind == OP_COMMENTS ? KEEPALIVE_GAP_MS
              : kind == OP_DELTAS && r->delta_gap_ms > 0 ? r->delta_gap_ms : r->gap_ms;
  r->sub += k;
  if (r->sub >= r->ops[r->op].count) { r->op++; r->sub = 0; }
  if (k > 0 && gap > 0 && !op_terminal(r->ops[r->op].kind)) {
    r->gap_pending = 1;
    r->gap_next = gap;
  }
}

/* Appends copies of the pre-formatted "a" event: as many as fit in `room`
   (at least one; one only when events are paced). */
static void emit_repeat(struct response *r, struct buf *b, size_t room) {
  uint64_t k = r->gap_ms > 0 ? 1 : room / r->rep.len, left = r->ops[r->op].count - r->sub, i;
  if (k == 0) k = 1;
  if (k > left) k = left;
  buf_reserve(b, (size_t)k * r->rep.len);
  for (i = 0; i < k; i++) {
    memcpy(b->p + b->len, r->rep.p, r->rep.len);
    b->len += r->rep.len;
  }
  advance(r, k);
}

/* Appends the next slice of the big event: its prefix, up to `room`
   content bytes, then its suffix.  Advances once the event is complete. */
static void emit_big(struct response *r, struct buf *b, size_t room) {
  uint64_t left = r->ops[r->op].count - r->sub;
  if (r->big_phase == 0) {
    buf_add(b, r->obj_head.p, r->obj_head.len);
    buf_adds(b, CHOICE_OPEN);
    r->big_phase = 1;
  }
  if (r->big_phase == 1) {
    size_t k = left < room ? (size_t)left : room;
    buf_reserve(b, k);
    if (r->big_pattern) {
      static const char PATTERN[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
      uint64_t i, at = r->sub;
      for (i = 0; i < k; i++, at++) b->p[b->len + i] = PATTERN[(31 * at + at / 62) % 62];
    } else
      memset(b->p + b->len, 'a', k);
    b->len += k;
    r->sub += k;
    if (r->sub < r->ops[r->op].count) return;
    r->big_phase = 2;
  }
  buf_adds(b, CHOICE_CLOSE_NULL "}");
  add_event_end(b, r);
  r->big_phase = 0;
  r->batch_break = r->big_pattern;
  r->sub = r->ops[r->op].count - 1;   /* the one event of this step */
  advance(r, 1);
}

/* Appends the one event of a single-event step. */
static void emit_single(struct response *r, struct buf *b) {
  switch (r->ops[r->op].kind) {
  case OP_COMMENTS: buf_adds(b, KEEPALIVE_COMMENT); add_event_end(b, r); break;
  case OP_ROLE: add_content_chunk(b, r, "", 0); break;
  case OP_DELTAS: add_content_chunk(b, r, r->deltas[r->sub], 0); break;
  case OP_CHOICES:
    buf_add(b, r->obj_head.p, r->obj_head.len);
    buf_adds(b, r->choices[r->sub]);
    buf_adds(b, "}");
    add_event_end(b, r);
    break;
  case OP_STOP: add_content_chunk(b, r, "", 1); break;
  case OP_NOTJSON: buf_adds(b, "data: this is not json"); add_event_end(b, r); break;
  case OP_USAGE:
    buf_add(b, r->obj_head.p, r->obj_head.len);
    buf_adds(b, "[],\"usage\":" USAGE_JSON "}");
    add_event_end(b, r);
    break;
  case OP_USAGE_LEGACY:
    buf_add(b, r->obj_head.p, r->obj_head.len);
    buf_adds(b, CHOICE_OPEN CHOICE_CLOSE_NULL ",\"usage\":" USAGE_JSON "}");
    add_event_end(b, r);
    break;
  case OP_ERROR_MID:
    buf_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%lld,"
               "\"model\":\"%s\",\"provider\":\"%s\",\"error\":%s,\"choices\":[{\"index\":0,"
               "\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}",
               r->id, r->created, r->model, PROVIDER, r->mid_error);
    add_event_end(b, r);
    break;
  case OP_DONE: buf_adds(b, "data: [DONE]"); add_event_end(b, r); break;
  case OP_NOISY_DELTAS:
    buf_adds(b, "event: ping");
    buf_adds(b, r->eol);
    buf_adds(b, "data: {\"type\":\"ping\"}");
    add_event_end(b, r);
    buf_adds(b, "data:");
    add_event_end(b, r);
    add_content_chunk(b, r, r->deltas[r->sub], 0);
    break;
  case OP_EVENT_ERROR:
    buf_adds(b, "event: error");
    buf_adds(b, r->eol);
    buf_printf(b, "data: %s", r->mid_error);
    add_event_end(b, r);
    break;
  case OP_ECHO:
    buf_add(&r->echo, "", 1);           /* NUL-terminated for add_content_chunk */
    add_content_chunk(b, r, r->echo.p, 0);
    r->echo.len--;
    break;
  case OP_NUMBERED: {
    char text[32];
    snprintf(text, sizeof text, "n%llu;", (unsigned long long)r->sub + 1);
    add_content_chunk(b, r, text, 0);
    break;
  }
  default: break;
  }
  advance(r, 1);
}

/* Appends the next event(s) of the program to b, about `room` bytes at
   most for the bulk steps, and advances.  The current step is not
   terminal. */
static void emit_some(struct response *r, struct buf *b, size_t room) {
  struct op *o = &r->ops[r->op];
  if (o->kind == OP_BIG) emit_big(r, b, room);
  else if (r->sub >= o->count) advance(r, 0);     /* an empty step */
  else if (o->kind == OP_REPEAT_A) emit_repeat(r, b, room);
  else emit_single(r, b);
}

/* Acts on the terminal step: queue the end of the chunked body, or mark the
   connection for an abrupt close, or stall. */
static void finish_program(struct conn *c) {
  struct response *r = &c->r;
  switch (r->ops[r->op].kind) {
  case OP_END: buf_adds(&c->out, "0\r\n\r\n"); r->finished = 1; break;
  case OP_DROP:
    /* what was sent gets its time on the wire first (a proxy in between
       passes it on), as when a real connection breaks */
    if (!r->drop_waited) { r->drop_waited = 1; r->wake_at = S.now + DROP_GAP_MS; break; }
    r->finished = 1;
    r->drop = 1;
    break;
  default: r->stalled = 1; break;
  }
}

/* fake/drip: renders the whole body once, then queues one byte in its own
   HTTP chunk per call, DRIP_GAP_MS apart. */
static void produce_drip(struct conn *c) {
  struct response *r = &c->r;
  if (!r->drip_ready) {
    while (!op_terminal(r->ops[r->op].kind)) {
      emit_some(r, &r->drip_buf, (size_t)-1);
      r->gap_pending = 0;
    }
    r->drip_ready = 1;
  }
  if (r->drip_pos == r->drip_buf.len) {
    if (r->drip_raw) r->finished = 1;
    else finish_program(c);
    return;
  }
  if (!r->drip_raw) buf_adds(&c->out, "1\r\n");
  buf_add(&c->out, r->drip_buf.p + r->drip_pos++, 1);
  if (!r->drip_raw) buf_adds(&c->out, "\r\n");
  r->gap_pending = 1;
  r->gap_next = r->drip_gap_ms > 0 ? r->drip_gap_ms : DRIP_GAP_MS;
}

/* Wraps the SSE bytes after CHUNK_HDR_RESERVE in `out` as one HTTP chunk,
   writing its size line right before them. */
static void frame_chunk(struct conn *c) {
  char hdr[CHUNK_HDR_RESERVE];
  size_t payload = c->out.len - CHUNK_HDR_RESERVE;
  int n = snprintf(hdr, sizeof hdr, "%zx\r\n", payload);
  c->out_off = CHUNK_HDR_RESERVE - (size_t)n;
  memcpy(c->out.p + c->out_off, hdr, (size_t)n);
  buf_add(&c->out, "\r\n", 2);
}

/* Refills the (drained) output of a streamed response: a pause, a batch of
   events as one HTTP chunk, or the end of the program. */
static void produce(struct conn *c) {
  struct response *r = &c->r;
  c->out.len = c->out_off = 0;
  if (r->gap_pending) {
    r->gap_pending = 0;
    r->wake_at = S.now + r->gap_next;
    return;
  }
  if (r->drip) { produce_drip(c); return; }
  buf_reserve(&c->out, CHUNK_HDR_RESERVE + BATCH_TARGET);
  c->out.len = CHUNK_HDR_RESERVE;
  r->batch_break = 0;
  while (c->out.len - CHUNK_HDR_RESERVE < BATCH_TARGET && !r->gap_pending &&
         !r->batch_break && !op_terminal(r->ops[r->op].kind))
    emit_some(r, &c->out, BATCH_TARGET - (c->out.len - CHUNK_HDR_RESERVE));
  if (c->out.len > CHUNK_HDR_RESERVE) { frame_chunk(c); return; }
  c->out.len = 0;
  if (!r->gap_pending) finish_program(c);
}

/* fake/buffered: renders the whole program at once as one HTTP chunk and
   the end of the chunked body, so head and body leave in one write. */
static void render_whole_body(struct conn *c) {
  struct response *r = &c->r;
  struct buf *b = &S.scratch;
  b->len = 0;
  while (!op_terminal(r->ops[r->op].kind)) {
    emit_some(r, b, (size_t)-1);
    r->gap_pending = 0;
  }
  buf_printf(&c->out, "%zx\r\n", b->len);
  buf_add(&c->out, b->p, b->len);
  buf_adds(&c->out, "\r\n0\r\n\r\n");
  r->finished = 1;
}

/* ------------------------------------------------------------ routes */

/* Keeps a copy of the request for GET /_last. */
static void record_last(const char *head, size_t hlen, const char *body, size_t blen) {
  buf_shrink(&S.last_head, HEAD_MAX);
  buf_shrink(&S.last_body, READ_CHUNK);
  buf_add(&S.last_head, head, hlen);
  buf_add(&S.last_body, body, blen);
  S.have_last = 1;
}

/* Appends the lower-cased header name as a JSON string body. */
static void add_lower_name(struct buf *b, const char *p, struct span n) {
  size_t i, start = b->len;
  json_escape(b, p + n.off, n.len);
  for (i = start; i < b->len; i++)
    if (b->p[i] >= 'A' && b->p[i] <= 'Z') b->p[i] = (char)(b->p[i] - 'A' + 'a');
}

/* 1 if headers i and j have the same name, ignoring case. */
static int same_name(const char *p, const struct request *q, size_t i, size_t j) {
  return q->h[i].name.len == q->h[j].name.len &&
         strncasecmp(p + q->h[i].name.off, p + q->h[j].name.off, q->h[i].name.len) == 0;
}

/* Appends the headers as a JSON object of lower-case names; repeated
   headers are joined with ", ". */
static void add_headers_json(struct buf *b, const char *p, const struct request *q) {
  size_t i, j;
  int first = 1;
  buf_adds(b, "{");
  for (i = 0; i < q->nheaders; i++) {
    int seen = 0, firstval = 1;
    for (j = 0; j < i && !seen; j++) seen = same_name(p, q, i, j);
    if (seen) continue;
    buf_adds(b, first ? "\"" : ",\"");
    first = 0;
    add_lower_name(b, p, q->h[i].name);
    buf_adds(b, "\":\"");
    for (j = i; j < q->nheaders; j++) {
      if (!same_name(p, q, i, j)) continue;
      if (!firstval) buf_adds(b, ", ");
      firstval = 0;
      json_escape(b, p + q->h[j].value.off, q->h[j].value.len);
    }
    buf_adds(b, "\"");
  }
  buf_adds(b, "}");
}

/* GET /_last: the recorded request as JSON, or 404 before any. */
static void serve_last(struct conn *c) {
  static struct request q;   /* large: not on the stack */
  const char *p = S.last_head.p;
  struct buf *b = &S.scratch;
  if (!S.have_last || parse_head(p, S.last_head.len, &q) != 0) {
    respond_error(c, HTTP_NOT_FOUND, NULL, "No request recorded yet", NULL, 0);
    return;
  }
  b->len = 0;
  buf_adds(b, "{\"method\":\"");
  json_escape(b, p + q.method.off, q.method.len);
  buf_adds(b, "\",\"path\":\"");
  json_escape(b, p + q.target.off, q.target.len);
  buf_adds(b, "\",\"headers\":");
  add_headers_json(b, p, &q);
  buf_adds(b, ",\"body\":\"");
  json_escape(b, S.last_body.p, S.last_body.len);
  buf_adds(b, "\"}");
  respond_fixed(c, HTTP_OK, "application/json", NULL, b->p, b->len);
}

/* The value of a hex digit, or -1. */
static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* URL-decodes s[0..n) ("%XX", "+" for a space) into out[0..max).  The
   decoded length, or -1 if it does not fit. */
static long url_decode(const char *s, size_t n, char *out, size_t max) {
  size_t i, o = 0;
  for (i = 0; i < n; i++, o++) {
    char ch = s[i];
    if (o == max) return -1;
    if (ch == '+') ch = ' ';
    else if (ch == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      ch = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    }
    out[o] = ch;
  }
  return (long)o;
}

/* The decoded value of query parameter `name` of the request target, in
   out[0..max).  Its length, -1 if absent, -2 if longer than max. */
static long query_param(const char *p, const struct request *q, const char *name, char *out,
                        size_t max) {
  const char *s = p + q->target.off + q->path.len, *e = p + q->target.off + q->target.len;
  size_t nl = strlen(name);
  long n;
  while (s < e) {
    const char *amp, *v;
    s++;                                   /* the '?' or '&' */
    amp = memchr(s, '&', (size_t)(e - s));
    if (!amp) amp = e;
    v = s + nl;
    if (v < amp && *v == '=' && memcmp(s, name, nl) == 0) {
      n = url_decode(v + 1, (size_t)(amp - v - 1), out, max);
      return n < 0 ? -2 : n;
    }
    s = amp;
  }
  return -1;
}

/* GET /_attempts?model=M: how many chat requests named exactly M. */
static void serve_attempts(struct conn *c) {
  char model[TALLY_KEY_MAX];
  long n = query_param(c->in.p, &c->req, "model", model, sizeof model);
  if (n < 0) {
    respond_error(c, HTTP_BAD_REQUEST, NULL, "Missing or too long model parameter", NULL, 0);
    return;
  }
  respond_json(c, HTTP_OK, NULL, "{\"count\":%llu}", tally_get(&S.attempts, model, (size_t)n));
}

/* The /_ routes: stats, last request, attempts.  Never counted; a connection
   that starts with one is left out of connections/open. */
static void serve_internal(struct conn *c, int first_on_conn) {
  const char *p = c->in.p;
  struct span path = c->req.path;
  c->r.internal = 1;
  if (first_on_conn && c->counted) {
    c->counted = 0;
    S.connections--;
    S.open--;
  }
  if (span_ieq(p, path, "/_stats")) {
    char body[STATS_JSON_MAX];
    int n = snprintf(body, sizeof body,
                     "{\"requests\":%llu,\"connections\":%llu,\"open\":%llu,\"aborted\":%llu}",
                     S.requests, S.connections, S.open, S.aborted);
    respond_fixed(c, HTTP_OK, "application/json", NULL, body, (size_t)n);
  } else if (span_ieq(p, path, "/_last")) {
    serve_last(c);
  } else if (span_ieq(p, path, "/_attempts")) {
    serve_attempts(c);
  } else {
    respond_error(c, HTTP_NOT_FOUND, NULL, "Not found: ", p + path.off, path.len);
  }
}

/* 1 if the request's bearer token contains `word`. */
static int key_has(const struct conn *c, const char *word) {
  const struct request *q = &c->req;
  return q->has_bearer &&
         memmem(c->in.p + q->bearer.off, q->bearer.len, word, strlen(word)) != NULL;
}

/* The key check of an authenticated route: queues a 401 and returns 1
   when there is no bearer token or it contains "invalid"; else 0. */
static int auth_rejects(struct conn *c) {
  if (!c->req.has_bearer)
    respond_error(c, HTTP_UNAUTHORIZED, NULL, "No auth credentials found", NULL, 0);
  else if (key_has(c, "invalid"))
    respond_fixed(c, HTTP_UNAUTHORIZED, "application/json", NULL, INVALID_KEY_JSON,
                  sizeof INVALID_KEY_JSON - 1);
  else
    return 0;
  return 1;
}

/* Queues an availability error for this response's model: no "code",
   "retry_after" only when retryable. */
static void respond_avail(struct conn *c, const struct avail_def *a) {
  struct buf *b = &S.scratch;
  const char *model = c->r.model;    /* still JSON-escaped */
  b->len = 0;
  buf_printf(b, "{\"error\":{\"message\":\"%s%s%s\",\"error_type\":\"%s\",\"http_status\":%d,"
             "\"availability\":{\"code\":\"%s\",\"retryable\":%s,", a->before, model, a->after,
             a->error_type, a->status, a->code, a->retryable ? "true" : "false");
  if (a->retryable) buf_adds(b, "\"retry_after\":1,");
  buf_printf(b, "\"requested_models\":[\"%s\"]}}}", model);
  respond_fixed(c, a->status, "application/json", NULL, b->p, b->len);
}

/* Queues the free-models-per-day 429: the reset (3 hours from now, epoch
   ms) both in the body's metadata.headers and as response headers. */
static void respond_daily_cap(struct conn *c) {
  long long reset = wall_ms() + DAILY_RESET_MS;
  char extra[HEADER_LINES_MAX];
  snprintf(extra, sizeof extra, "X-RateLimit-Limit: 50\r\nX-RateLimit-Remaining: 0\r\n"
           "X-RateLimit-Reset: %lld\r\n", reset);
  respond_json(c, HTTP_TOO_MANY_REQUESTS, extra, DAILY_CAP_FORMAT, reset);
}

/* Error scenarios with a constant body. */
static const struct fixed_error { enum scen kind; int status; const char *extra, *body; }
FIXED_ERRORS[] = {
  { SC_RAW_JSON, HTTP_BAD_REQUEST, NULL, RAW_JSON_BODY },
  { SC_RAW_TEXT, HTTP_TOO_MANY_REQUESTS, RETRY_AFTER_MS_RAW, RAW_TEXT_BODY },
  { SC_MODERATION, HTTP_FORBIDDEN, NULL, MODERATION_BODY },
  { SC_TOOLS_MISSING, HTTP_BAD_REQUEST, NULL, TOOLS_REQUIRED_JSON },
};
#define N_FIXED_ERRORS (sizeof FIXED_ERRORS / sizeof FIXED_ERRORS[0])

/* Queues the answer of the newer error scenarios, the same streamed or
   not.  1 if sc is one of them, else 0 (nothing queued). */
static int serve_error_scenario(struct conn *c, const struct scenario *sc) {
  int st = (int)sc->n;
  char extra[HEADER_LINES_MAX];
  size_t i;
  for (i = 0; i < N_FIXED_ERRORS; i++)
    if (FIXED_ERRORS[i].kind == sc->kind) {
      respond_fixed(c, FIXED_ERRORS[i].status, "application/json", FIXED_ERRORS[i].extra,
                    FIXED_ERRORS[i].body, strlen(FIXED_ERRORS[i].body));
      return 1;
    }
  switch (sc->kind) {
  case SC_AVAIL: respond_avail(c, &AVAIL[sc->n]); return 1;
  case SC_DAILY_CAP: respond_daily_cap(c); return 1;
  case SC_RESET_MS:
    snprintf(extra, sizeof extra, "X-RateLimit-Reset: %lld\r\n", wall_ms() + (long long)sc->n);
    respond_json(c, HTTP_TOO_MANY_REQUESTS, extra, RATE_LIMIT_JSON);
    return 1;
  case SC_RETRY_AFTER:
    snprintf(extra, sizeof extra, "Retry-After: %llu\r\n", (unsigned long long)sc->n);
    respond_json(c, HTTP_TOO_MANY_REQUESTS, extra, RATE_LIMIT_JSON);
    return 1;
  case SC_CODE_STRING:
    respond_json(c, st, NULL, "{\"error\":{\"code\":\"some_string_code\",\"message\":"
                 "\"String code %d\"}}", st);
    return 1;
  case SC_NO_CODE: respond_json(c, st, NULL, "{\"error\":{\"message\":\"No code %d\"}}", st); return 1;
  case SC_EMPTY: respond_fixed(c, st, "text/plain", NULL, "", 0); return 1;
  case SC_FLAKY: case SC_FLAKYNR:
    respond_json(c, st, sc->kind == SC_FLAKY ? RETRY_AFTER_MS_FLAKY : NULL,
                 "{\"error\":{\"code\":%d,\"message\":\"Flaky %d\"}}", st, st);
    return 1;
  default: return 0;
  }
}

/* Queues the non-streamed answer of a scenario that is not an error. */
static void respond_chat_json(struct conn *c, const struct scenario *sc) {
  switch (sc->kind) {
  case SC_CHOICE_ERROR:
    respond_completion_with(c, "error", MSG_PARTIAL, ",\"error\":" CHOICE_ERROR);
    break;
  case SC_ERROR_MID_429:
    respond_completion_with(c, "error", MSG_HELLO, ",\"error\":" MID_ERROR_429);
    break;
  case SC_TOOLS: case SC_TOOLS_LOOP: case SC_TOOLS_BADARGS: case SC_TOOLS_REASONING:
    respond_completion_with(c, "tool_calls", MSG_TOOLS, "");
    break;
  case SC_TOOLS_FINAL: respond_completion_with(c, "stop", MSG_WEATHER, ""); break;
  case SC_JSON_OK: respond_completion_with(c, "stop", MESSAGE("\"" JSON_OK_TEXT "\"", "null"), ""); break;
  case SC_JSON_BAD: respond_completion_with(c, "stop", MESSAGE("\"" JSON_BAD_TEXT "\"", "null"), ""); break;
  case SC_REASONING: respond_completion_with(c, "stop", MSG_REASONING, ""); break;
  case SC_ECHO: {
    struct buf msg = { NULL, 0, 0 };
    buf_adds(&msg, "{\"role\":\"assistant\",\"content\":\"");
    buf_add(&msg, c->r.echo.p, c->r.echo.len);
    buf_add(&msg, "\"}", 3);                /* with its NUL */
    respond_completion_with(c, "stop", msg.p, "");
    buf_free(&msg);
    break;
  }
  case SC_HEAD_DROP:
    respond_completion(c);
    c->out.len -= S.scratch.len;     /* keep the head only, then close */
    c->r.drop = 1;
    break;
  default: respond_completion(c); break;
  }
}

/* Answers a streamed or non-streamed chat request by its scenario. */
static void serve_scenario(struct conn *c, const struct scenario *sc, int stream) {
  struct response *r = &c->r;
  const struct request *q = &c->req;
  char msg[ERROR_MSG_MAX];
  switch (sc->kind) {
  case SC_STATUS:
    snprintf(msg, sizeof msg, "Fake error %d", (int)sc->n);
    respond_error(c, (int)sc->n, sc->n == HTTP_TOO_MANY_REQUESTS ? "Retry-After: 1\r\n" : NULL,
                  msg, NULL, 0);
    return;
  case SC_HTML: respond_html(c, (int)sc->n); return;
  case SC_REDIRECT: respond_redirect(c, (int)sc->n); return;
  case SC_TRICKLE: start_trickle(c); return;
  case SC_ECHO_KEY:
    respond_error(c, HTTP_UNAUTHORIZED, NULL, "Invalid key ", c->in.p + q->bearer.off,
                  q->bearer.len);
    return;
  case SC_KEYAT: respond_keyat(c, sc); return;
  case SC_STALL_HEADERS: r->active = 1; r->stalled = 1; return;
  case SC_DELAY: r->wake_at = S.now + (int64_t)sc->n; break;
  case SC_BUFFERED: r->wake_at = S.now + BUFFERED_DELAY_MS; break;
  case SC_JSON_200:
    if (stream) {
      respond_fixed(c, HTTP_OK, "application/json", NULL, JSON_200_ERROR,
                    sizeof JSON_200_ERROR - 1);
      return;
    }
    break;
  default:
    if (serve_error_scenario(c, sc)) return;
    break;
  }
  if (!stream) respond_chat_json(c, sc);
  else {
    start_stream(c, sc);
    if (sc->kind == SC_BUFFERED) render_whole_body(c);
  }
}

/* Settles what this request of a scenario gets: flaky ones fail for their
   first n2 attempts (counting this one), tools depends on the body. */
static void resolve_scenario(struct scenario *sc, const struct chat_params *cp,
                             unsigned long long attempt) {
  switch (sc->kind) {
  case SC_FLAKY: case SC_FLAKYNR:
    if (attempt > sc->n2) sc->kind = SC_NORMAL;
    break;
  case SC_FLAKYDROP: sc->kind = attempt > sc->n2 ? SC_NORMAL : SC_HEAD_DROP; break;
  case SC_TOOLS: case SC_TOOLS_BADARGS: case SC_TOOLS_REASONING:
    if (!cp->has_tools) sc->kind = SC_TOOLS_MISSING;
    else if (cp->messages && has_tool_message(cp->messages, cp->messages_len))
      sc->kind = SC_TOOLS_FINAL;
    break;
  case SC_TOOLS_LOOP:
    if (!cp->has_tools) sc->kind = SC_TOOLS_MISSING;
    break;
  default: break;
  }
}

/* POST …/chat/completions: reads the body (counting the request for its
   model), checks the key, picks the scenario, answers. */
static void serve_chat(struct conn *c, const char *body, size_t blen) {
  struct chat_params cp;
  struct scenario sc;
  unsigned long long attempt = 0;
  int bad = parse_chat_body(body, blen, &cp) != 0;
  if (!bad) attempt = tally_bump(&S.attempts, cp.model, strlen(cp.model));
  if (auth_rejects(c)) return;
  if (bad) {
    respond_error(c, HTTP_BAD_REQUEST, NULL, "Invalid JSON body", NULL, 0);
    return;
  }
  if (key_has(c, "nocredit")) {
    respond_fixed(c, HTTP_PAYMENT_REQUIRED, "application/json", NULL, NO_CREDIT_JSON,
                  sizeof NO_CREDIT_JSON - 1);
    return;
  }
  if (parse_scenario(cp.model, &sc) != 0) {
    respond_error(c, HTTP_BAD_REQUEST, NULL, "Bad fake scenario: ", cp.model, strlen(cp.model));
    return;
  }
  resolve_scenario(&sc, &cp, attempt);
  init_generation(&c->r, cp.model);
  if (sc.kind == SC_ECHO) json_escape(&c->r.echo, body, blen);
  serve_scenario(c, &sc, cp.stream);
}

/* ------------------------------------------------------------ catalogue and account */

/* Supported-parameter lists of the catalogue (JSON arrays). */
#define PARAMS_OPENAI "[\"frequency_penalty\",\"logit_bias\",\"logprobs\",\"max_tokens\"," \
  "\"presence_penalty\",\"response_format\",\"seed\",\"stop\",\"structured_outputs\"," \
  "\"temperature\",\"tool_choice\",\"tools\",\"top_logprobs\",\"top_p\"]"
#define PARAMS_REASONING "[\"include_reasoning\",\"max_tokens\",\"reasoning\"," \
  "\"response_format\",\"seed\",\"stop\",\"structured_outputs\",\"temperature\",\"tool_choice\"," \
  "\"tools\",\"top_k\",\"top_p\"]"
#define PARAMS_OPEN "[\"frequency_penalty\",\"max_tokens\",\"min_p\",\"presence_penalty\"," \
  "\"repetition_penalty\",\"response_format\",\"seed\",\"stop\",\"temperature\",\"tool_choice\"," \
  "\"tools\",\"top_k\",\"top_p\"]"
#define PARAMS_FREE "[\"frequency_penalty\",\"include_reasoning\",\"max_tokens\"," \
  "\"presence_penalty\",\"reasoning\",\"repetition_penalty\",\"seed\",\"stop\",\"temperature\"," \
  "\"top_k\",\"top_p\"]"
#define PARAMS_FAKE "[\"max_tokens\",\"temperature\",\"stop\"]"
#define INPUTS_TEXT "[\"text\"]"
#define INPUTS_VISION "[\"text\",\"image\",\"file\"]"
#define INPUTS_GEMINI "[\"text\",\"image\",\"file\",\"audio\",\"video\"]"

/* One entry of GET /models; max_completion < 0 is null. */
static const struct model_def {
  const char *id, *slug, *name, *description, *modality, *inputs, *tokenizer;
  const char *prompt, *completion, *params;   /* prices: USD per token, strings */
  long long created;
  long context, max_completion;
  int moderated;
} MODELS[] = {
  { "openai/gpt-4o", "openai/gpt-4o", "OpenAI: GPT-4o",
    "GPT-4o (\"o\" for \"omni\") is OpenAI's latest AI model, supporting both text and image "
    "inputs with text outputs.\n\nIt maintains the intelligence level of GPT-4 Turbo while being "
    "twice as fast and 50% more cost-effective.", "text+image->text", INPUTS_VISION, "GPT",
    "0.0000025", "0.00001", PARAMS_OPENAI, 1715558400, 128000, 16384, 1 },
  { "openai/gpt-4o-mini", "openai/gpt-4o-mini", "OpenAI: GPT-4o-mini",
    "GPT-4o mini is OpenAI's newest model after GPT-4 Omni, supporting both text and image "
    "inputs with text outputs.", "text+image->text", INPUTS_VISION, "GPT",
    "0.00000015", "0.0000006", PARAMS_OPENAI, 1721260800, 128000, 16384, 1 },
  { "anthropic/claude-sonnet-4.5", "anthropic/claude-4.5-sonnet-20250929",
    "Anthropic: Claude Sonnet 4.5",
    "Claude Sonnet 4.5 is Anthropic's most advanced Sonnet model to date, optimized for "
    "real-world agents and coding workflows.", "text+image->text", INPUTS_VISION, "Claude",
    "0.000003", "0.000015", PARAMS_REASONING, 1759161676, 1000000, 64000, 1 },
  { "meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct",
    "Meta: Llama 3.3 70B Instruct",
    "The Meta Llama 3.3 multilingual large language model (LLM) is a pretrained and instruction "
    "tuned generative model in 70B (text in/text out).", "text->text", INPUTS_TEXT, "Llama3",
    "0.00000013", "0.00000039", PARAMS_OPEN, 1733506137, 131072, 16384, 0 },
  { "meta-llama/llama-3.3-70b-instruct:free", "meta-llama/llama-3.3-70b-instruct",
    "Meta: Llama 3.3 70B Instruct (free)",
    "The Meta Llama 3.3 multilingual large language model (LLM) is a pretrained and instruction "
    "tuned generative model in 70B (text in/text out).", "text->text", INPUTS_TEXT, "Llama3",
    "0", "0", PARAMS_FREE, 1733506137, 131072, -1, 0 },
  { "deepseek/deepseek-r1:free", "deepseek/deepseek-r1", "DeepSeek: R1 (free)",
    "DeepSeek R1 is here: Performance on par with OpenAI o1, but open-sourced and with fully "
    "open reasoning tokens.", "text->text", INPUTS_TEXT, "DeepSeek",
    "0", "0", PARAMS_FREE, 1737381095, 163840, -1, 0 },
  { "google/gemini-2.5-flash", "google/gemini-2.5-flash", "Google: Gemini 2.5 Flash",
    "Gemini 2.5 Flash is Google's state-of-the-art workhorse model, specifically designed for "
    "advanced reasoning, coding, mathematics, and scientific tasks.", "text+image->text",
    INPUTS_GEMINI, "Gemini", "0.0000003", "0.0000025", PARAMS_REASONING, 1750172488, 1048576,
    65535, 0 },
  { "fake/slow-20", "fake/slow-20", "Fake slow stream",
    "The fake server's normal stream, 20 ms between events.", "text->text", INPUTS_TEXT,
    "Other", "0", "0", PARAMS_FAKE, 1763971200, 4096, 1024, 0 },
  { "fake/buffered", "fake/buffered", "Fake buffered stream",
    "The fake server's normal stream, sent in one write after 100 ms.", "text->text",
    INPUTS_TEXT, "Other", "0", "0", PARAMS_FAKE, 1763971200, 4096, 1024, 0 },
};
#define N_MODELS (sizeof MODELS / sizeof MODELS[0])

/* Appends s as a quoted JSON string. */
static void add_json_string(struct buf *b, const char *s) {
  buf_adds(b, "\"");
  json_escape(b, s, strlen(s));
  buf_adds(b, "\"");
}

/* Appends one catalogue entry as JSON. */
static void add_model_json(struct buf *b, const struct model_def *m) {
  buf_adds(b, "{\"id\":");
  add_json_string(b, m->id);
  buf_adds(b, ",\"canonical_slug\":");
  add_json_string(b, m->slug);
  buf_adds(b, ",\"name\":");
  add_json_string(b, m->name);
  buf_printf(b, ",\"created\":%lld,\"description\":", m->created);
  add_json_string(b, m->description);
  buf_printf(b, ",\"context_length\":%ld,\"architecture\":{\"modality\":\"%s\","
             "\"input_modalities\":%s,\"output_modalities\":[\"text\"],\"tokenizer\":\"%s\","
             "\"instruct_type\":null},\"pricing\":{\"prompt\":\"%s\",\"completion\":\"%s\","
             "\"request\":\"0\",\"image\":\"0\"},\"top_provider\":{\"context_length\":%ld,"
             "\"max_completion_tokens\":", m->context, m->modality, m->inputs, m->tokenizer,
             m->prompt, m->completion, m->context);
  if (m->max_completion < 0) buf_adds(b, "null");
  else buf_printf(b, "%ld", m->max_completion);
  buf_printf(b, ",\"is_moderated\":%s},\"per_request_limits\":null,\"supported_parameters\":%s,"
             "\"default_parameters\":null}", m->moderated ? "true" : "false", m->params);
}

/* GET …/models: the catalogue (built once, kept until exit). */
static void serve_models(struct conn *c) {
  struct buf *b = &S.models;
  size_t i;
  if (b->len == 0) {
    buf_adds(b, "{\"data\":[");
    for (i = 0; i < N_MODELS; i++) {
      if (i) buf_adds(b, ",");
      add_model_json(b, &MODELS[i]);
    }
    buf_printf(b, "],\"total_count\":%zu,\"links\":{\"next\":null}}", (size_t)N_MODELS);
  }
  respond_fixed(c, HTTP_OK, "application/json", NULL, b->p, b->len);
}

/* GET …/key: the key's limits; the label ends with the token's last
   TOKEN_TAIL characters (none of a token that short), never the token. */
static void serve_key(struct conn *c) {
  const struct request *q = &c->req;
  struct buf tail = { NULL, 0, 0 };
  int broke = key_has(c, "nocredit");
  const char *usage = broke ? "10" : "0.25";
  if (q->bearer.len > TOKEN_TAIL)
    json_escape(&tail, c->in.p + q->bearer.off + q->bearer.len - TOKEN_TAIL, TOKEN_TAIL);
  buf_add(&tail, "", 1);
  respond_json(c, HTTP_OK, NULL, KEY_FORMAT, tail.p, broke ? "10" : "null", broke ? "0" : "null",
               usage, usage, usage, usage);
  buf_free(&tail);
}

/* GET …/credits. */
static void serve_credits(struct conn *c) {
  respond_fixed(c, HTTP_OK, "application/json", NULL, CREDITS_JSON, sizeof CREDITS_JSON - 1);
}

/* GET …/generation?id=X: 404 the first time X is asked for (the record is
   "not written yet"), its stats after.  400 without an id. */
static void serve_generation(struct conn *c) {
  char id[TALLY_KEY_MAX];
  long n = query_param(c->in.p, &c->req, "id", id, sizeof id);
  struct buf *b = &S.scratch;
  if (n <= 0) {
    respond_error(c, HTTP_BAD_REQUEST, NULL, "Missing or too long id parameter", NULL, 0);
    return;
  }
  b->len = 0;
  if (tally_bump(&S.generations, id, (size_t)n) == 1) {
    buf_adds(b, "{\"error\":{\"code\":404,\"message\":\"Generation ");
    json_escape(b, id, (size_t)n);
    buf_adds(b, " not found\"}}");
    respond_fixed(c, HTTP_NOT_FOUND, "application/json", NULL, b->p, b->len);
    return;
  }
  buf_adds(b, "{\"data\":{\"id\":\"");
  json_escape(b, id, (size_t)n);
  buf_adds(b, GENERATION_TAIL);
  respond_fixed(c, HTTP_OK, "application/json", NULL, b->p, b->len);
}

/* The GET routes, by the end of the path. */
static const struct get_route { const char *suffix; void (*serve)(struct conn *); int auth; }
GET_ROUTES[] = {
  { "/models", serve_models, 0 },   { "/key", serve_key, 1 },
  { "/credits", serve_credits, 1 }, { "/generation", serve_generation, 1 },
};
#define N_GET_ROUTES (sizeof GET_ROUTES / sizeof GET_ROUTES[0])

/* 1 if the path (without query) ends with `suffix`. */
static int path_ends(const char *p, struct span path, const char *suffix) {
  size_t n = strlen(suffix);
  return path.len >= n && memcmp(p + path.off + path.len - n, suffix, n) == 0;
}

/* A GET request: a catalogue or account route, else 404. */
static void serve_get(struct conn *c) {
  const char *p = c->in.p;
  size_t i;
  for (i = 0; i < N_GET_ROUTES; i++)
    if (path_ends(p, c->req.path, GET_ROUTES[i].suffix)) {
      if (!GET_ROUTES[i].auth || !auth_rejects(c)) GET_ROUTES[i].serve(c);
      return;
    }
  respond_error(c, HTTP_NOT_FOUND, NULL, "Not found: ", p + c->req.path.off, c->req.path.len);
}

/* ------------------------------------------------------------ embeddings */

/* The members of an embeddings body the fake reads. */
struct embed_params {
  char model[MODEL_MAX + 1];
  const char *input, *input_end;   /* the raw "input" value */
};

/* member_fn of an embeddings body: "model" and "input". */
static int take_embed_member(const char *k, size_t klen, const char *v, const char *ve, void *ctx) {
  struct embed_params *ep = ctx;
  size_t n = (size_t)(ve - v);
  if (key_is(k, klen, "model")) {
    if (*v != '"' || n - 2 > MODEL_MAX) return -1;
    memcpy(ep->model, v + 1, n - 2);
    ep->model[n - 2] = '\0';
  } else if (key_is(k, klen, "input")) {
    ep->input = v;
    ep->input_end = ve;
  }
  return 0;
}

/* Appends one embedding of the raw string s[0..n) (between its quotes),
   input number i: [n, i, (sum of its bytes) % 997]. */
static void add_embedding(struct buf *b, const char *s, size_t n, size_t i, int first) {
  unsigned long sum = 0;
  size_t j;
  for (j = 0; j < n; j++) sum += (unsigned char)s[j];
  buf_printf(b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":[%zu,%zu,%lu]}",
             first ? "" : ",", i, n, i, sum % 997);
}

/* POST …/embeddings: {"model", "input": "text" | ["a", …]} -> one vector
   per input, listed in reverse order (their "index" tells), usage with a
   cost.  A model fake/status-N answers HTTP N. */
static void serve_embeddings(struct conn *c, const char *body, size_t blen) {
  struct embed_params ep;
  struct buf *b = &S.scratch;
  const char *e = body + blen, *s, *items[EMBED_MAX];
  size_t lens[EMBED_MAX], n = 0, total = 0, i;
  uint64_t status;
  if (auth_rejects(c)) return;
  memset(&ep, 0, sizeof ep);
  s = skip_ws(body, e);
  if (s == e || *s != '{' || !walk_object(s, e, take_embed_member, &ep) || !ep.input) {
    respond_error(c, HTTP_BAD_REQUEST, NULL, "Invalid embeddings body", NULL, 0);
    return;
  }
  if (strncmp(ep.model, "fake/status-", 12) == 0 &&
      parse_dec(ep.model + 12, strlen(ep.model + 12), STATUS_MAX, &status) == 0 && status_ok(status)) {
    respond_error(c, (int)status, NULL, "Fake error for embeddings", NULL, 0);
    return;
  }
  s = ep.input;
  if (*s == '"') {
    items[n] = s + 1;
    lens[n++] = (size_t)(ep.input_end - s - 2);
  } else if (*s == '[') {
    for (s = skip_ws(s + 1, ep.input_end); s < ep.input_end && *s == '"' && n < EMBED_MAX; ) {
      const char *end = skip_string(s, ep.input_end);
      items[n] = s + 1;
      lens[n++] = (size_t)(end - s - 2);
      s = skip_ws(end, ep.input_end);
      if (s < ep.input_end && *s == ',') s = skip_ws(s + 1, ep.input_end);
    }
  }
  if (n == 0) {
    respond_error(c, HTTP_BAD_REQUEST, NULL, "input must be a string or an array of strings", NULL, 0);
    return;
  }
  if (strcmp(ep.model, "fake/embed-short") == 0 && n > 1) n--;   /* one vector too few */
  b->len = 0;
  buf_adds(b, "{\"object\":\"list\",\"data\":[");
  for (i = n; i-- > 0; ) {
    add_embedding(b, items[i], lens[i], i, i == n - 1);
    total += lens[i];
  }
  buf_printf(b, "],\"model\":\"%s\",\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu,"
             "\"cost\":%zu.0e-7}}", ep.model[0] ? ep.model : "fake/embed", total, total, total);
  respond_fixed(c, HTTP_OK, "application/json", NULL, b->p, b->len);
}

/* Routes a complete request (head in c->req, body at body[0..blen)). */
static void dispatch(struct conn *c, const char *body, size_t blen) {
  const char *p = c->in.p;
  const struct request *q = &c->req;
  int first = c->nreq++ == 0;
  reset_response(&c->r);
  c->r.close_after = wants_close(q);
  S.last_activity = S.now;
  if (q->path.len >= 2 && p[q->path.off + 1] == '_') { serve_internal(c, first); return; }
  S.requests++;
  record_last(p, q->head_len, body, blen);
  if (span_ieq(p, q->method, "POST") && path_ends(p, q->path, CHAT_SUFFIX))
    serve_chat(c, body, blen);
  else if (span_ieq(p, q->method, "POST") && path_ends(p, q->path, EMBEDDINGS_SUFFIX))
    serve_embeddings(c, body, blen);
  else if (span_ieq(p, q->method, "GET"))
    serve_get(c);
  else
    respond_error(c, HTTP_NOT_FOUND, NULL, "Not found: ", p + q->path.off, q->path.len);
}

/* ------------------------------------------------------------ I/O */

/* Drops CR/LF bytes before a request line (allowed by RFC 9112). */
static void skip_leading_blank_lines(struct conn *c) {
  size_t i = 0;
  while (i < c->in.len && (c->in.p[i] == '\r' || c->in.p[i] == '\n')) i++;
  buf_consume(&c->in, i);
}

/* Looks for the blank line ending the head, resuming where the last call
   stopped.  Returns the head length, or 0 if it is not complete yet. */
static size_t find_head_end(struct conn *c) {
  const char *p = c->in.p;
  while (c->scan_pos < c->in.len) {
    const char *nl = memchr(p + c->scan_pos, '\n', c->in.len - c->scan_pos);
    size_t i, len;
    if (!nl) { c->scan_pos = c->in.len; return 0; }
    i = (size_t)(nl - p);
    len = i - c->line_start;
    if (len && p[i - 1] == '\r') len--;
    c->scan_pos = c->line_start = i + 1;
    if (len == 0) return i + 1;
  }
  return 0;
}

/* Reads the head of the next request once it is complete.  1 if it was
   read (or rejected), 0 if more bytes are needed. */
static int read_head(struct conn *c) {
  size_t end;
  int st;
  if (c->scan_pos == 0) skip_leading_blank_lines(c);
  /* A TLS ClientHello (a handshake record, 0x16) is no HTTP: answer it at
     once in plain text, as a real plain-HTTP server does, so that a client
     sent https:// here fails its handshake instead of waiting. */
  if (c->scan_pos == 0 && c->in.len > 0 && (unsigned char)c->in.p[0] == 0x16) {
    reject(c, HTTP_BAD_REQUEST, "This is a plain HTTP server");
    return 1;
  }
  end = find_head_end(c);
  if (end == 0 && c->in.len <= HEAD_MAX) return 0;
  if (end == 0 || end > HEAD_MAX) {
    reject(c, HTTP_HEADERS_TOO_LARGE, "Request header fields too large");
    return 1;
  }
  if ((st = parse_head(c->in.p, end, &c->req)) != 0) {
    reject(c, st, st == HTTP_HEADERS_TOO_LARGE ? "Too many header fields" : "Malformed request");
    return 1;
  }
  if (c->req.has_te) reject(c, HTTP_LENGTH_REQUIRED, "Chunked request bodies are not supported");
  else if (!c->req.has_cl && span_ieq(c->in.p, c->req.method, "POST"))
    reject(c, HTTP_LENGTH_REQUIRED, "Content-Length required");
  else if (c->req.cl > BODY_MAX) reject(c, HTTP_PAYLOAD_TOO_LARGE, "Request body too large");
  else c->have_head = 1;
  return 1;
}

/* Starts the next request in the input if it is complete.  1 if anything
   happened (response queued, 100 Continue sent, request rejected), 0 if
   more input is needed. */
static int start_request(struct conn *c) {
  size_t need;
  if (!c->have_head) {
    if (!read_head(c)) return 0;
    if (!c->have_head) return 1;     /* rejected */
  }
  need = c->req.head_len + (size_t)c->req.cl;
  if (c->in.len < need) {
    if (!c->req.expect_continue || c->continue_sent || c->req.minor == 0) return 0;
    buf_add(&c->out, CONTINUE_100, sizeof CONTINUE_100 - 1);
    c->continue_sent = 1;
    return 1;
  }
  dispatch(c, c->in.p + c->req.head_len, (size_t)c->req.cl);
  buf_consume(&c->in, need);
  if (c->in.cap > READ_CHUNK * 4 && c->in.len == 0) buf_free(&c->in);
  c->have_head = c->continue_sent = 0;
  c->scan_pos = c->line_start = 0;
  return 1;
}

/* Writes pending output within *budget.  1 when `out` is drained; 0 when
   the socket is full, the budget is spent (c->resume set) or the
   connection was closed. */
static int flush_out(struct conn *c, size_t *budget) {
  while (c->out_off < c->out.len) {
    size_t n = c->out.len - c->out_off;
    ssize_t w;
    if (*budget == 0) { c->resume = 1; return 0; }
    if (n > *budget) n = *budget;
    w = send(c->fd, c->out.p + c->out_off, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_conn(c, 1);
      return 0;
    }
    c->out_off += (size_t)w;
    *budget -= (size_t)w;
  }
  c->out.len = c->out_off = 0;
  return 1;
}

/* Shuts the write side after an error reply and drains the input for a
   while, so the client reads the reply instead of a reset. */
static void start_linger(struct conn *c) {
  shutdown(c->fd, SHUT_WR);
  c->lingering = 1;
  c->linger_until = S.now + LINGER_MS;
  c->in.len = 0;
}

/* The response has been handed to the kernel: end the connection or get
   ready for the next request.  0 if the connection is no longer usable. */
static int finish_response(struct conn *c) {
  struct response *r = &c->r;
  r->active = 0;
  if (r->drop) { close_conn(c, 0); return 0; }
  if (r->close_after) {
    if (r->linger_after) start_linger(c);
    else close_conn(c, 0);
    return 0;
  }
  reset_response(r);
  return 1;
}

/* Moves the connection on as far as it can without blocking: writes
   output, runs the event program, starts pipelined requests. */
static void pump(struct conn *c) {
  size_t budget = WRITE_BUDGET;
  c->resume = 0;
  while (!c->closed && !c->lingering) {
    struct response *r = &c->r;
    if (r->wake_at != NO_WAKE) {
      if (S.now < r->wake_at) return;
      r->wake_at = NO_WAKE;
    }
    if (c->out_off < c->out.len) {
      if (!flush_out(c, &budget)) return;
    } else if (r->active) {
      if (r->stalled) return;
      if (!r->finished) produce(c);
      else if (!finish_response(c)) return;
    } else if (!start_request(c)) {
      return;
    }
  }
}

/* Reads what the socket has into c->in; EOF or an error closes the
   connection (an abort if a response was in progress). */
static void conn_read(struct conn *c, short revents) {
  char sink[READ_CHUNK];
  for (;;) {
    ssize_t n;
    if (c->lingering) {
      n = recv(c->fd, sink, sizeof sink, 0);
    } else {
      if (c->in.len >= IN_MAX) {
        if (revents & (POLLHUP | POLLERR | POLLRDHUP)) close_conn(c, 1);
        return;
      }
      buf_reserve(&c->in, READ_CHUNK);
      n = recv(c->fd, c->in.p + c->in.len, READ_CHUNK, 0);
      if (n > 0) c->in.len += (size_t)n;
    }
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_conn(c, !c->lingering);
    return;
  }
}

/* Accepts waiting connections, up to the connection limit. */
static void accept_new(void) {
  int i, one = 1;
  for (i = 0; i < ACCEPT_BATCH && S.nconns < S.max_conns; i++) {
    struct conn *c;
    int fd = accept4(S.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c = calloc(1, sizeof *c);
    if (!c) { close(fd); return; }
    c->fd = fd;
    c->counted = 1;
    reset_response(&c->r);
    if (S.nconns == S.conns_cap) {
      S.conns_cap = S.conns_cap ? S.conns_cap * 2 : 64;
      S.conns = xrealloc(S.conns, S.conns_cap * sizeof *S.conns);
    }
    S.conns[S.nconns++] = c;
    S.live++;
    S.connections++;
    S.open++;
  }
}

/* ------------------------------------------------------------ main loop */

/* The poll events a connection waits for. */
static short conn_events(const struct conn *c) {
  short ev = POLLRDHUP;
  if (c->lingering || c->in.len < IN_MAX) ev |= POLLIN;
  if (!c->lingering && c->out_off < c->out.len && c->r.wake_at == NO_WAKE) ev |= POLLOUT;
  return ev;
}

/* Fills S.pfds: the listening socket first, then every connection. */
static void build_pollfds(void) {
  size_t i;
  if (S.pfds_cap < S.nconns + 1) {
    S.pfds_cap = (S.nconns + 1) * 2;
    S.pfds = xrealloc(S.pfds, S.pfds_cap * sizeof *S.pfds);
  }
  S.pfds[0].fd = S.nconns < S.max_conns ? S.lfd : -1;
  S.pfds[0].events = POLLIN;
  S.pfds[0].revents = 0;
  for (i = 0; i < S.nconns; i++) {
    S.pfds[i + 1].fd = S.conns[i]->fd;
    S.pfds[i + 1].events = conn_events(S.conns[i]);
    S.pfds[i + 1].revents = 0;
  }
}

/* Milliseconds until the next timer: lifetime, idle exit, a connection's
   pause or linger; 0 if a connection must be pumped right away. */
static int64_t next_timeout(void) {
  int64_t t = S.deadline;
  size_t i;
  if (S.live == 0 && S.last_activity + S.idle_ms < t) t = S.last_activity + S.idle_ms;
  for (i = 0; i < S.nconns; i++) {
    const struct conn *c = S.conns[i];
    if (c->resume) return 0;
    if (c->r.wake_at != NO_WAKE && c->r.wake_at < t) t = c->r.wake_at;
    if (c->lingering && c->linger_until < t) t = c->linger_until;
  }
  return t > S.now ? t - S.now : 0;
}

/* 1 if a connection has something to do after the poll: I/O, a timer or
   an interrupted write burst. */
static int conn_due(const struct conn *c, short revents) {
  return revents != 0 || c->resume ||
         (c->r.wake_at != NO_WAKE && c->r.wake_at <= S.now);
}

/* Frees closed connections and compacts the table. */
static void sweep(void) {
  size_t i, j = 0, n = S.nconns;
  for (i = 0; i < n; i++) {
    if (S.conns[i]->closed) free_conn(S.conns[i]);
    else S.conns[j++] = S.conns[i];
  }
  S.nconns = j;
}

/* One turn of the loop: wait, read everything, then write everything
   (so an EOF is counted before a /_stats request of the same turn is
   answered), then accept.  0 to stop. */
static int loop_turn(void) {
  size_t i, polled;
  int64_t t;
  struct timespec ts;
  sigset_t none;
  S.now = mono_ms();
  if (S.now >= S.deadline) return 0;
  if (S.live == 0 && S.now - S.last_activity >= S.idle_ms) return 0;
  build_pollfds();
  polled = S.nconns;
  t = next_timeout();
  ts.tv_sec = (time_t)(t / 1000);
  ts.tv_nsec = (long)(t % 1000) * 1000000L;
  sigemptyset(&none);
  if (ppoll(S.pfds, polled + 1, &ts, &none) < 0 && errno != EINTR) {
    perror("fakeserver: ppoll");
    return 0;
  }
  if (stop_signal) return 0;
  S.now = mono_ms();
  for (i = 0; i < polled; i++)
    if (S.pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP))
      conn_read(S.conns[i], S.pfds[i + 1].revents);
  for (i = 0; i < polled; i++) {
    struct conn *c = S.conns[i];
    if (c->closed) continue;
    if (c->lingering && c->linger_until <= S.now) close_conn(c, 0);
    else if (conn_due(c, S.pfds[i + 1].revents)) pump(c);
  }
  if (S.pfds[0].revents & POLLIN) accept_new();
  sweep();
  return 1;
}

/* ------------------------------------------------------------ setup */

/* SIGTERM/SIGINT: ask the loop to stop (signals are only unblocked inside
   ppoll, so there is no race with the check). */
static void on_signal(int sig) {
  (void)sig;
  stop_signal = 1;
}

/* Ignores SIGPIPE and routes SIGTERM/SIGINT to on_signal, blocked outside
   ppoll. */
static void setup_signals(void) {
  struct sigaction sa;
  sigset_t block;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, NULL);
}

/* Raises the open-file soft limit to the hard limit and sizes the
   connection table from it. */
static void raise_fd_limit(void) {
  struct rlimit rl;
  S.max_conns = MAX_CONNS_CAP;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    struct rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MAX_CONNS_CAP + RESERVED_FDS)
    S.max_conns = rl.rlim_cur > RESERVED_FDS * 2 ? (size_t)rl.rlim_cur - RESERVED_FDS
                                                 : RESERVED_FDS;
}

/* Opens the non-blocking listening socket on 127.0.0.1:port; returns the
   bound port, or -1. */
static int listen_loopback(int port) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int one = 1;
  S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (S.lfd < 0) { perror("fakeserver: socket"); return -1; }
  setsockopt(S.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons((unsigned short)port);
  if (bind(S.lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(S.lfd, LISTEN_BACKLOG) != 0 ||
      getsockname(S.lfd, (struct sockaddr *)&sa, &len) != 0) {
    perror("fakeserver: 127.0.0.1");
    return -1;
  }
  return ntohs(sa.sin_port);
}

/* Writes the port to `path` through a temporary file and rename(), so a
   reader never sees a partial file.  0 or -1. */
static int write_port_file(const char *path, int port) {
  struct buf tmp = { NULL, 0, 0 };
  FILE *f;
  int ok;
  buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
  buf_add(&tmp, "", 1);
  f = fopen(tmp.p, "w");
  ok = f && fprintf(f, "%d\n", port) > 0;
  if (f && fclose(f) != 0) ok = 0;
  if (ok && rename(tmp.p, path) != 0) ok = 0;
  if (!ok) { perror("fakeserver: port file"); remove(tmp.p); }
  buf_free(&tmp);
  return ok ? 0 : -1;
}

/* Command-line options. */
struct options { long port, lifetime, idle; const char *port_file; };

/* Prints the usage line. */
static void usage(FILE *f) {
  fputs("usage: fakeserver [--port N] [--port-file PATH] [--lifetime SECONDS]"
        " [--idle SECONDS]\n", f);
}

/* Parses a number option value in [min, max].  0 or -1. */
static int parse_long(const char *s, long min, long max, long *out) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

/* Fills *o from argv.  0, 1 for --help, or -1 on a bad option. */
static int parse_args(int argc, char **argv, struct options *o) {
  static const long port_max = 65535, seconds_max = 10L * 365 * 24 * 3600;
  int i, rc = 0;
  o->port = 0;
  o->lifetime = DEFAULT_LIFETIME;
  o->idle = DEFAULT_IDLE;
  o->port_file = NULL;
  for (i = 1; i < argc; i += 2) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
    if (!v) return -1;
    if (strcmp(a, "--port-file") == 0) o->port_file = v;
    else if (strcmp(a, "--port") == 0) rc = parse_long(v, 0, port_max, &o->port);
    else if (strcmp(a, "--lifetime") == 0) rc = parse_long(v, 1, seconds_max, &o->lifetime);
    else if (strcmp(a, "--idle") == 0) rc = parse_long(v, 1, seconds_max, &o->idle);
    else rc = -1;
    if (rc != 0) return -1;
  }
  return 0;
}

/* Closes every socket and frees all memory. */
static void shutdown_server(void) {
  size_t i;
  for (i = 0; i < S.nconns; i++) {
    if (!S.conns[i]->closed) close(S.conns[i]->fd);
    free_conn(S.conns[i]);
  }
  free(S.conns);
  free(S.pfds);
  buf_free(&S.last_head);
  buf_free(&S.last_body);
  buf_free(&S.scratch);
  buf_free(&S.models);
  if (S.lfd >= 0) close(S.lfd);
}

int main(int argc, char **argv) {
  struct options o;
  int port, rc = parse_args(argc, argv, &o);
  if (rc != 0) { usage(rc > 0 ? stdout : stderr); return rc > 0 ? 0 : 2; }
  S.lfd = -1;
  setup_signals();
  raise_fd_limit();
  port = listen_loopback((int)o.port);
  if (port < 0 || (o.port_file && write_port_file(o.port_file, port) != 0)) {
    shutdown_server();
    return 1;
  }
  printf("PORT %d\n", port);
  fflush(stdout);
  S.now = S.last_activity = mono_ms();
  S.deadline = S.now + (int64_t)o.lifetime * 1000;
  S.idle_ms = (int64_t)o.idle * 1000;
  while (loop_turn()) {}
  shutdown_server();
  return 0;
}
