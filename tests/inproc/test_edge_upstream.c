/*
 * In-process tests of the edge's upstream fetcher (edge/upstream.c) and
 * circuit breaker (edge/breaker.c) against a raw HTTP server in a child
 * process on 127.0.0.1, one forked handler per connection, whose answer
 * the request path picks: a whole body, 404, a body cut short (the retry
 * must resume with Range), 503 then 200, silence (the read timeout), and a
 * closed port for the breaker.  Every request's signature is checked with
 * httpsig_verify against the edge's secret.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpsig.h"
#include "inproc.h"
#include "test.h"
#include "upstream.h"

#define BODY_LEN 200000
#define SECRET	 "the secret of edge-7, long enough"

static char body[BODY_LEN];

/* Shared with the server: requests per scenario, and signature failures. */
struct counts {
	int requests[8];
	int bad_signatures;
	int ranges; /* requests that carried a Range */
};
static struct counts *counts;

static const char *header(const char *head, const char *name, char *out, size_t cap)
{
	const char *p = strcasestr(head, name), *e;

	if (!p)
		return NULL;
	p += strlen(name);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	snprintf(out, cap, "%.*s", (int)(e - p), p);
	return out;
}

static void check_signature(const char *head, const char *path)
{
	char in[512], sig[256], dg[128];
	struct httpsig_params p;
	struct httpsig_msg m;

	if (!header(head, "\r\nSignature-Input:", in, sizeof(in)) ||
	    !header(head, "\r\nSignature:", sig, sizeof(sig)) ||
	    !header(head, "\r\nContent-Digest:", dg, sizeof(dg)) ||
	    httpsig_parse(in, strlen(in), sig, strlen(sig), &p) != 0) {
		counts->bad_signatures++;
		return;
	}
	m = (struct httpsig_msg){"GET", 3, path, strlen(path), NULL, 0, dg, strlen(dg)};
	if (httpsig_verify(&p, &m, time(NULL), NULL, (const uint8_t *)SECRET, strlen(SECRET)) !=
		0 ||
	    strcmp(p.keyid, "edge-7") != 0 || strcmp(p.tag, "edge-7") != 0)
		counts->bad_signatures++;
}

static void send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

static void answer(int fd, const char *head, const char *path)
{
	unsigned long long from = 0;
	char hdr[256], range[64];
	int sc = path[strlen("/content/s/")] - '0';
	int n = ++counts->requests[sc];

	check_signature(head, path);
	if (header(head, "\r\nRange:", range, sizeof(range))) {
		counts->ranges++;
		sscanf(range, "bytes=%llu-", &from);
	}
	switch (sc) {
	case 1: /* 404 */
		send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 45);
		return;
	case 2: /* the first answer is cut at half; a Range retry gets the rest */
		if (from) {
			snprintf(hdr, sizeof(hdr),
				 "HTTP/1.1 206 Partial Content\r\nContent-Length: %llu\r\n"
				 "Content-Range: bytes %llu-%d/%d\r\n\r\n",
				 BODY_LEN - from, from, BODY_LEN - 1, BODY_LEN);
			send_all(fd, hdr, strlen(hdr));
			send_all(fd, body + from, BODY_LEN - from);
			return;
		}
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
			 BODY_LEN);
		send_all(fd, hdr, strlen(hdr));
		send_all(fd, body, BODY_LEN / 2);
		return;
	case 3: /* 503 twice, then the body */
		if (n <= 2) {
			send_all(fd, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 40);
			return;
		}
		break;
	case 4: /* silence */
		sleep(3);
		return;
	}
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"abc\"\r\n\r\n",
		 BODY_LEN);
	send_all(fd, hdr, strlen(hdr));
	send_all(fd, body, BODY_LEN);
}

static void serve_one(int fd)
{
	char head[4096], path[256];
	size_t len = 0;

	while (len < sizeof(head) - 1 && !strstr(head, "\r\n\r\n")) {
		ssize_t r = recv(fd, head + len, sizeof(head) - 1 - len, 0);

		if (r <= 0)
			break;
		len += (size_t)r;
		head[len] = '\0';
	}
	if (sscanf(head, "GET %255s ", path) == 1)
		answer(fd, head, path);
	close(fd);
}

static pid_t server(int lfd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (fork() == 0) {
			serve_one(fd);
			_exit(0);
		}
		close(fd);
	}
}

/* ---- the client side ---------------------------------------------------------- */

struct result {
	bool done;
	int rc, status;
	int64_t length;
	uint64_t got;
	bool in_order;
	char *data;
};

static int on_head(void *arg, int64_t length, const char *etag, const char *lm)
{
	((struct result *)arg)->length = length;
	return 0;
}

static int on_data(void *arg, uint64_t off, const void *p, size_t n)
{
	struct result *r = arg;

	r->in_order = r->in_order && off == r->got;
	if (off + n <= BODY_LEN)
		memcpy(r->data + off, p, n);
	r->got = off + n;
	return 0;
}

static void on_done(void *arg, int rc, int status)
{
	struct result *r = arg;

	r->done = true;
	r->rc = rc;
	r->status = status;
}

static const struct edge_fetch_ops ops = {on_head, on_data, on_done};

static struct event_base *base;

static int fetch(struct edge_upstream *u, const char *key, struct result *r, int max_ms)
{
	memset(r, 0, sizeof(*r));
	r->in_order = true;
	r->data = calloc(1, BODY_LEN);
	if (!edge_upstream_fetch(u, key, &ops, r))
		return -errno;
	for (int i = 0; i < max_ms / 10 && !r->done; i++)
		inproc_pump(base, 10);
	return r->done ? 0 : -EINPROGRESS;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

/* The head parsing the fetcher uses, on its own (also fuzzed: fuzz_upstream_head.c). */
static void test_head_parsing(void)
{
	struct edge_upstream_head h = {0};
	uint64_t first = 7;
	const char *lines[] = {"HTTP/1.1 206 Partial Content\r\n", "etag:  \"abc\" \r\n",
			       "Last-Modified: Tue, 01 Dec 2026 08:00:00 GMT\r\n",
			       "content-range: bytes 100-199/200\r\n"};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CHECK(!edge_upstream_head_line(&h, lines[i], strlen(lines[i]), false));
	CHECK(edge_upstream_head_line(&h, "\r\n", 2, false));
	CHECK_STR(h.etag, "\"abc\"");
	CHECK_STR(h.last_modified, "Tue, 01 Dec 2026 08:00:00 GMT");
	CHECK_STR(h.content_range, "bytes 100-199/200");
	/* a later attempt's head: a new range, the first head's validators stay */
	CHECK(!edge_upstream_head_line(&h, "HTTP/1.1 200 OK\r\n", 17, true));
	CHECK_STR(h.content_range, "");
	CHECK(!edge_upstream_head_line(&h, "ETag: \"other\"\r\n", 16, true));
	CHECK_STR(h.etag, "\"abc\"");
	CHECK(!edge_upstream_head_line(&h, "ETag:\r\n", 7, false)); /* empty: kept empty */
	CHECK_STR(h.etag, "");
	CHECK_INT(edge_content_range_first("bytes 100-199/200", &first), 0);
	CHECK_INT(first, 100);
	CHECK_INT(edge_content_range_first("bytes 0-0/*", &first), 0);
	CHECK_INT(first, 0);
	CHECK_INT(edge_content_range_first("bytes -1-5/10", &first), -EINVAL);
	CHECK_INT(edge_content_range_first("bytes 5-4/10", &first), -EINVAL);
	CHECK_INT(edge_content_range_first("bytes 5-10/10", &first), -EINVAL);
	CHECK_INT(edge_content_range_first("bytes 1-2/3 ", &first), -EINVAL);
	CHECK_INT(edge_content_range_first("bytes */10", &first), -EINVAL);
	CHECK_INT(edge_content_range_first("bytes 99999999999999999999-1/2", &first), -EINVAL);
}

int main(void)
{
	struct edge_breaker *br =
	    mmap(NULL, sizeof(*br), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char url[128], dead_url[128];
	struct edge_upstream_config cfg = {
	    .edge_id = "edge-7",
	    .secret = (const uint8_t *)SECRET,
	    .secret_len = strlen(SECRET),
	    .connect_timeout_ms = 500,
	    .read_timeout_ms = 400,
	    .retries = 2,
	    .backoff_ms = 20,
	    .max_connections = 8,
	    .breaker = br,
	    .breaker_cfg = {.failures = 3, .open_ms = 300},
	};
	struct edge_upstream *u, *dead;
	struct result r;
	uint16_t port, dead_port;
	int lfd, dfd;
	pid_t srv;
	uint64_t t0;

	test_head_parsing();
	for (size_t i = 0; i < BODY_LEN; i++)
		body[i] = (char)(i * 7 + i / 251);
	counts =
	    mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	lfd = listener(&port);
	srv = server(lfd);
	dfd = listener(&dead_port);
	close(dfd); /* nobody listens there now */
	base = event_base_new();
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/content", port);
	snprintf(dead_url, sizeof(dead_url), "http://127.0.0.1:%u/content", dead_port);
	cfg.url = url;
	u = edge_upstream_new(base, &cfg);
	CHECK(u != NULL);

	/* a whole body, signed */
	CHECK_INT(fetch(u, "s/0/seg.m4s", &r, 5000), 0);
	CHECK(r.rc == 0 && r.status == 200 && r.length == BODY_LEN && r.got == BODY_LEN);
	CHECK(r.in_order && memcmp(r.data, body, BODY_LEN) == 0);
	free(r.data);
	/* 404: no retry */
	CHECK_INT(fetch(u, "s/1/none.m4s", &r, 5000), 0);
	CHECK_INT(r.rc, -ENOENT);
	CHECK_INT(counts->requests[1], 1);
	free(r.data);
	/* cut short: the retry resumes where the bytes stopped */
	CHECK_INT(fetch(u, "s/2/seg.m4s", &r, 5000), 0);
	CHECK_INT(r.rc, 0);
	CHECK(r.got == BODY_LEN && r.in_order && memcmp(r.data, body, BODY_LEN) == 0);
	CHECK_INT(counts->requests[2], 2);
	CHECK_INT(counts->ranges, 1);
	free(r.data);
	/* 503, 503, then 200 within the retries */
	CHECK_INT(fetch(u, "s/3/seg.m4s", &r, 5000), 0);
	CHECK(r.rc == 0 && r.got == BODY_LEN);
	CHECK_INT(counts->requests[3], 3);
	free(r.data);
	/* silence: each attempt ends at the read timeout */
	t0 = mono_ms();
	CHECK_INT(fetch(u, "s/4/seg.m4s", &r, 8000), 0);
	CHECK_INT(r.rc, -ETIMEDOUT);
	CHECK(mono_ms() - t0 >= 3 * 900 && mono_ms() - t0 < 6000);
	CHECK_INT(counts->requests[4], 3);
	free(r.data);
	CHECK_INT(counts->bad_signatures, 0);
	CHECK(edge_breaker_state(br) == EDGE_BREAKER_OPEN); /* three timeouts in a row */
	edge_upstream_free(u);

	/* a dead upstream: the breaker opens; while open, refusals are immediate */
	memset(br, 0, sizeof(*br));
	cfg.url = dead_url;
	dead = edge_upstream_new(base, &cfg);
	CHECK_INT(fetch(dead, "s/0/a.m4s", &r, 5000), 0);
	CHECK_INT(r.rc, -EHOSTUNREACH);
	free(r.data);
	CHECK(edge_breaker_state(br) == EDGE_BREAKER_OPEN);
	t0 = mono_ms();
	CHECK_INT(fetch(dead, "s/0/a.m4s", &r, 1000), -EHOSTUNREACH);
	CHECK(mono_ms() - t0 < 200); /* no request: at once, however loaded the machine */
	free(r.data);
	edge_upstream_free(dead);
	/* after the open time a probe goes out; its success closes the breaker */
	usleep(350 * 1000);
	cfg.url = url;
	u = edge_upstream_new(base, &cfg);
	CHECK_INT(fetch(u, "s/0/seg.m4s", &r, 5000), 0);
	CHECK(r.rc == 0 && r.got == BODY_LEN);
	CHECK(edge_breaker_state(br) == EDGE_BREAKER_CLOSED);
	free(r.data);
	edge_upstream_free(u);

	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	close(lfd);
	event_base_free(base);
	return test_done();
}
