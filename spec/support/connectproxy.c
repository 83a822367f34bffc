/*
 * connectproxy -- the HTTP proxy of the specs, on 127.0.0.1 only.
 *
 *   connectproxy --port-file FILE [--lifetime SECONDS] [--auth USER:PASSWORD]
 *
 *   CONNECT 127.0.0.1:P HTTP/1.1     "200 Connection established", then the
 *                                    bytes both ways (https through a proxy)
 *   GET http://127.0.0.1:P/… HTTP/1.1
 *                                    the request passed on as it is (servers
 *                                    take the absolute form) with "Connection:
 *                                    close", then the bytes both ways (plain
 *                                    http through a proxy: one request per
 *                                    connection)
 *   GET /_proxy_stats                {"connects":N,"forwards":N,"refused":N}
 *
 * Targets other than 127.0.0.1 / localhost are refused (403): no test
 * reaches past loopback.  With --auth, a request without
 * "Proxy-Authorization: Basic <base64 USER:PASSWORD>" is answered 407 and
 * counted as refused.  Each client connection is served by a child process;
 * the counters live in shared memory.  It writes its port to FILE, and it
 * exits after --lifetime seconds (default 1800) or on SIGTERM; the children
 * go with it.
 */
#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX     16384          /* a request head larger than this is refused */
#define RELAY_CHUNK  65536
#define AUTH_MAX     512

struct stats { long connects, forwards, refused; };
static struct stats *stats;          /* shared with the children */
static char expected_auth[AUTH_MAX]; /* "Basic <base64>", or "" */

/* ------------------------------------------------------------ helpers */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void reply(int fd, const char *status_line, const char *body) {
  char out[512];
  int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s", status_line,
                   strlen(body), strncmp(status_line, "407", 3) == 0 ?
                   "Proxy-Authenticate: Basic realm=\"specs\"\r\n" : "", body);
  if (n > 0) write_all(fd, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}

static void base64(const char *in, char *out, size_t cap) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), i, o = 0;
  for (i = 0; i < n && o + 5 < cap; i += 3) {
    unsigned v = (unsigned char)in[i] << 16;
    if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)in[i + 2];
    out[o++] = abc[(v >> 18) & 63];
    out[o++] = abc[(v >> 12) & 63];
    out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? abc[v & 63] : '=';
  }
  out[o] = '\0';
}

/* The value of header `name` in the head (NUL-terminated), copied into
   out; 0 if present. */
static int header_value(const char *head, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *p = strstr(head, "\r\n");
  while (p != NULL && p[2] != '\r') {
    const char *line = p + 2, *end = strstr(line, "\r\n");
    if (end == NULL) return -1;
    if ((size_t)(end - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
      const char *v = line + nl + 1;
      size_t n;
      while (*v == ' ' || *v == '\t') v++;
      n = (size_t)(end - v);
      if (n >= cap) n = cap - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return 0;
    }
    p = end;
  }
  return -1;
}

/* Connects to 127.0.0.1:port; the fd or -1. */
static int dial(int port) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
  return fd;
}

/* "127.0.0.1:P" or "localhost:P" (after an optional "http://", up to the
   next '/' or space): the port, or -1 for any other host. */
static int loopback_port(const char *target) {
  const char *colon;
  char *end;
  long port;
  if (strncmp(target, "http://", 7) == 0) target += 7;
  colon = strchr(target, ':');
  if (colon == NULL) return -1;
  if (!((colon - target == 9 && strncmp(target, "127.0.0.1", 9) == 0) ||
        (colon - target == 9 && strncmp(target, "localhost", 9) == 0)))
    return -1;
  port = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || port <= 0 || port > 65535 || (*end && *end != '/' && *end != ' '))
    return -1;
  return (int)port;
}

/* Copies bytes both ways until both sides have finished sending. */
static void relay(int a, int b) {
  char buf[RELAY_CHUNK];
  int open_a = 1, open_b = 1;
  while (open_a || open_b) {
    struct pollfd p[2] = { { a, open_a ? POLLIN : 0, 0 }, { b, open_b ? POLLIN : 0, 0 } };
    int i;
    if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return; }
    for (i = 0; i < 2; i++) {
      int from = i == 0 ? a : b, to = i == 0 ? b : a;
      int *open = i == 0 ? &open_a : &open_b;
      ssize_t n;
      if (!*open || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      n = read(from, buf, sizeof buf);
      if (n > 0) { if (write_all(to, buf, (size_t)n) != 0) return; continue; }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;                        /* a reset: drop both */
      *open = 0;
      shutdown(to, SHUT_WR);
    }
  }
}

/* ------------------------------------------------------------ one client */

static void serve(int client) {
  char head[HEAD_MAX + 1], method[16], target[1024], auth[AUTH_MAX];
  size_t len = 0;
  char *end = NULL;
  int port, upstream;
  while (end == NULL) {
    ssize_t n;
    if (len == HEAD_MAX) { reply(client, "431 Request Header Fields Too Large", "{}"); return; }
    n = read(client, head + len, HEAD_MAX - len);
    if (n <= 0) return;
    len += (size_t)n;
    head[len] = '\0';
    end = strstr(head, "\r\n\r\n");
  }
  if (sscanf(head, "%15s %1023s", method, target) != 2) {
    reply(client, "400 Bad Request", "{\"error\":\"no request line\"}");
    return;
  }
  if (strcmp(target, "/_proxy_stats") == 0) {
    char body[128];
    snprintf(body, sizeof body, "{\"connects\":%ld,\"forwards\":%ld,\"refused\":%ld}",
             __atomic_load_n(&stats->connects, __ATOMIC_SEQ_CST),
             __atomic_load_n(&stats->forwards, __ATOMIC_SEQ_CST),
             __atomic_load_n(&stats->refused, __ATOMIC_SEQ_CST));
    reply(client, "200 OK", body);
    return;
  }
  if (expected_auth[0] && (header_value(head, "Proxy-Authorization", auth, sizeof auth) != 0 ||
                           strcmp(auth, expected_auth) != 0)) {
    __atomic_add_fetch(&stats->refused, 1, __ATOMIC_SEQ_CST);
    reply(client, "407 Proxy Authentication Required", "{\"error\":\"proxy credentials\"}");
    return;
  }
  port = loopback_port(target);
  if (port < 0) { reply(client, "403 Forbidden", "{\"error\":\"loopback targets only\"}"); return; }
  upstream = dial(port);
  if (upstream < 0) { reply(client, "502 Bad Gateway", "{\"error\":\"target refused\"}"); return; }
  end += 4;
  if (strcmp(method, "CONNECT") == 0) {
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    __atomic_add_fetch(&stats->connects, 1, __ATOMIC_SEQ_CST);
    if (write_all(client, ok, sizeof ok - 1) != 0 ||
        write_all(upstream, end, len - (size_t)(end - head)) != 0)
      return;
  } else {
    /* one request per connection: the next one may be for another target */
    static const char close_it[] = "Connection: close\r\n\r\n";
    size_t head_len = (size_t)(end - head);
    __atomic_add_fetch(&stats->forwards, 1, __ATOMIC_SEQ_CST);
    if (write_all(upstream, head, head_len - 2) != 0 ||
        write_all(upstream, close_it, sizeof close_it - 1) != 0 ||
        write_all(upstream, end, len - head_len) != 0)
      return;
  }
  relay(client, upstream);
  close(upstream);
}

/* ------------------------------------------------------------ main */

static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }

static int usage(void) {
  fprintf(stderr, "usage: connectproxy --port-file FILE [--lifetime SECONDS] [--auth USER:PASSWORD]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *port_file = NULL;
  long lifetime = 1800;
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  struct sigaction sa;
  time_t deadline;
  FILE *f;
  int i, lfd;
  pid_t parent = getpid();
  for (i = 1; i < argc; i++) {
    if (i + 1 >= argc) return usage();
    if (strcmp(argv[i], "--port-file") == 0) port_file = argv[++i];
    else if (strcmp(argv[i], "--lifetime") == 0) lifetime = atol(argv[++i]);
    else if (strcmp(argv[i], "--auth") == 0) {
      strcpy(expected_auth, "Basic ");
      base64(argv[++i], expected_auth + 6, sizeof expected_auth - 6);
    } else return usage();
  }
  if (port_file == NULL || lifetime <= 0) return usage();
  stats = mmap(NULL, sizeof *stats, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (stats == MAP_FAILED) { perror("mmap"); return 1; }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = SA_NOCLDWAIT;                   /* children reap themselves */
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_flags = 0;
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  lfd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 128) != 0 ||
      getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
    perror("listen");
    return 1;
  }
  f = fopen(port_file, "w");
  if (f == NULL || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0) {
    perror(port_file);
    return 1;
  }
  deadline = time(NULL) + lifetime;
  while (!stopping && time(NULL) < deadline) {
    struct pollfd p = { lfd, POLLIN, 0 };
    int c;
    if (poll(&p, 1, 1000) <= 0) continue;
    c = accept(lfd, NULL, NULL);
    if (c < 0) continue;
    if (fork() == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);         /* go with the parent */
      if (getppid() != parent) _exit(0);        /* it went before that took */
      close(lfd);
      signal(SIGTERM, SIG_DFL);
      serve(c);
      _exit(0);
    }
    close(c);
  }
  return 0;
}
