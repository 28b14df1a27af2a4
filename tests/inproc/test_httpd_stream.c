/*
 * In-process tests of streamed answers (httpd_resume_part) and request
 * body sinks (httpd_body_sink) in the httpd core: an answer in three parts
 * from a file that grows, a pipelined request after it, a client leaving
 * mid-stream; a body taken piece by piece with and without
 * "Expect: 100-continue", a sink that stops, a client leaving mid-body.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inproc.h"
#include "test.h"

#define PART 10000

static struct event_base *base;
static int filefd = -1;
static char content[3 * PART];

/* A streamed answer in progress: the next part goes when its timer fires. */
struct stream {
	struct httpd_deferred *d;
	struct event *ev;
	int parts_sent;
	bool waiting; /* a part is out, not yet reported sent */
	bool closed;
};

static struct stream streams[4];
static int nstreams;

/* The body sink of a PUT: its length and checksum. */
struct sink {
	struct httpd_deferred *d;
	uint64_t len;
	unsigned sum;
	int ended, err, pieces;
	bool stop_at_first;
};

static struct sink sinks[4];
static int nsinks;

static void stream_sent(void *arg, bool closed)
{
	struct stream *s = arg;

	s->waiting = false;
	if (closed) {
		s->closed = true;
		if (httpd_resume(s->d) != NULL)
			abort(); /* a closed connection gives nothing back */
		s->d = NULL;
	}
}

/* Timer: the next third of the content, then done. */
static void stream_next(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct httpd_exchange *x;
	struct timeval tv = {0, 20000};

	if (s->waiting || !s->d) {
		if (s->d)
			event_add(s->ev, &tv);
		return;
	}
	if (!(x = httpd_resume(s->d))) {
		s->closed = true;
		s->d = NULL;
		return;
	}
	if (s->parts_sent == 0) {
		httpd_begin(x, 200);
		httpd_header_lit(x, "Content-Type: application/octet-stream\r\n");
		httpd_end_head(x, 3 * PART);
	}
	httpd_body_file(x, filefd, (uint64_t)s->parts_sent * PART, PART);
	if (++s->parts_sent == 3) {
		httpd_resume_done(x);
		s->d = NULL;
		return;
	}
	s->waiting = true;
	httpd_resume_part(x, stream_sent, s);
	event_add(s->ev, &tv);
}

static int sink_data(void *arg, const char *p, size_t n)
{
	struct sink *k = arg;

	k->len += n;
	k->sum = k->sum * 1; /* order matters: fold in byte by byte */
	for (size_t i = 0; i < n; i++)
		k->sum = k->sum * 31 + (unsigned char)p[i];
	k->pieces++;
	return k->stop_at_first ? -EIO : 0;
}

static void sink_end(void *arg, int err)
{
	struct sink *k = arg;
	struct httpd_exchange *x = httpd_resume(k->d);
	char out[64];
	int n;

	k->ended++;
	k->err = err;
	if (!x)
		return;
	if (err) {
		httpd_error(x, 507, "disk full", NULL, false);
		httpd_resume_done(x);
		return;
	}
	n = snprintf(out, sizeof(out), "%llu %u", (unsigned long long)k->len, k->sum);
	httpd_begin(x, 201);
	httpd_end_head(x, n);
	httpd_body_mem(x, out, (size_t)n);
	httpd_resume_done(x);
}

static void handler(struct httpd_exchange *x, void *arg)
{
	const struct http_request *r = x->req;

	if (r->method == HTTP_PUT) {
		struct sink *k = &sinks[nsinks++];

		memset(k, 0, sizeof(*k));
		k->stop_at_first = r->path.len == 5 && memcmp(r->path.p, "/stop", 5) == 0;
		if (httpd_body_sink(x, sink_data, sink_end, k) != 0 || !(k->d = httpd_defer(x)))
			abort();
		return;
	}
	if (r->path.len == 7 && memcmp(r->path.p, "/stream", 7) == 0) {
		struct stream *s = &streams[nstreams++];
		struct timeval tv = {0, 20000};

		memset(s, 0, sizeof(*s));
		s->d = httpd_defer(x);
		s->ev = evtimer_new(base, stream_next, s);
		event_add(s->ev, &tv);
		return;
	}
	httpd_begin(x, 200);
	httpd_end_head(x, 2);
	httpd_body_mem(x, "ok", 2);
}

static size_t take_all(int fd, char *out, size_t cap, int ms)
{
	return inproc_take(base, fd, out, cap, ms);
}

static void test_stream(uint16_t port)
{
	static char resp[70000];
	char *body;
	size_t n;
	int fd = inproc_connect(port);

	inproc_send(
	    fd, "GET /stream HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	n = take_all(fd, resp, sizeof(resp), 400);
	CHECK(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(resp, "Content-Length: 30000\r\n") != NULL);
	body = strstr(resp, "\r\n\r\n");
	CHECK(body && n >= (size_t)(body + 4 - resp) + 3 * PART);
	CHECK(body && memcmp(body + 4, content, 3 * PART) == 0);
	/* the pipelined request waited for the stream and is answered after it */
	CHECK(body && strstr(body + 4 + 3 * PART, "HTTP/1.1 200 OK") == body + 4 + 3 * PART);
	CHECK(n > 8 && memcmp(resp + n - 2, "ok", 2) == 0);
	CHECK_INT(streams[0].parts_sent, 3);
	close(fd);

	/* a client that leaves after the first part */
	fd = inproc_connect(port);
	inproc_send(fd, "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_pump(base, 30);
	close(fd);
	inproc_pump(base, 200);
	CHECK(streams[1].closed);
	CHECK(streams[1].parts_sent < 3);
}

static void test_sink(uint16_t port)
{
	static char big[200000], req[256], resp[4096];
	unsigned sum = 0;
	int fd;

	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (char)(i * 13 + 5);
		sum = sum * 31 + (unsigned char)big[i];
	}
	/* the body in pieces, part of it with the head, then a pipelined GET */
	fd = inproc_connect(port);
	snprintf(req, sizeof(req), "PUT /obj HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n",
		 sizeof(big));
	send(fd, req, strlen(req), 0);
	send(fd, big, 1000, 0);
	inproc_pump(base, 20);
	for (size_t off = 1000; off < sizeof(big); off += 50000) {
		size_t k = sizeof(big) - off < 50000 ? sizeof(big) - off : 50000;

		send(fd, big + off, k, 0);
		inproc_pump(base, 10);
	}
	inproc_send(fd, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	take_all(fd, resp, sizeof(resp), 100);
	snprintf(req, sizeof(req), "HTTP/1.1 201 Created\r\n");
	CHECK(strncmp(resp, req, strlen(req)) == 0);
	snprintf(req, sizeof(req), "\r\n\r\n%zu %u", sizeof(big), sum);
	CHECK(strstr(resp, req) != NULL);
	CHECK(strstr(resp, "\r\n\r\nok") != NULL);
	CHECK(sinks[0].ended == 1 && sinks[0].err == 0 && sinks[0].pieces > 1);
	close(fd);

	/* Expect: 100-continue gets its interim answer before any body is sent */
	fd = inproc_connect(port);
	inproc_send(fd, "PUT /obj HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
			"Expect: 100-continue\r\n\r\n");
	take_all(fd, resp, sizeof(resp), 50);
	CHECK_STR(resp, "HTTP/1.1 100 Continue\r\n\r\n");
	inproc_send(fd, "hello");
	take_all(fd, resp, sizeof(resp), 50);
	CHECK(strncmp(resp, "HTTP/1.1 201 Created\r\n", 22) == 0 && strstr(resp, "\r\n\r\n5 "));
	close(fd);

	/* a sink that stops at the first piece: END with its error, a 507, then the close */
	fd = inproc_connect(port);
	inproc_send(fd, "PUT /stop HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\nxxxx");
	inproc_pump(base, 30);
	CHECK(sinks[2].pieces == 1 && sinks[2].ended == 1 && sinks[2].err == -EIO);
	take_all(fd, resp, sizeof(resp), 50);
	CHECK(strncmp(resp, "HTTP/1.1 507 ", 13) == 0 && strstr(resp, "Connection: close"));
	close(fd);

	/* a client that leaves mid-body */
	fd = inproc_connect(port);
	inproc_send(fd, "PUT /obj HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\nabc");
	inproc_pump(base, 30);
	close(fd);
	inproc_pump(base, 50);
	CHECK(sinks[3].ended == 1 && sinks[3].err == -ECONNRESET && sinks[3].len == 3);
}

int main(void)
{
	struct httpd_limits lim = inproc_limits(5000, 1000);
	struct metrics *m = metrics_new(1);
	char path[] = "/tmp/reel-stream-XXXXXX";
	struct httpd *srv;
	uint16_t port;

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (char)(i * 7 + i / 997);
	filefd = mkstemp(path);
	unlink(path);
	if (write(filefd, content, sizeof(content)) != (ssize_t)sizeof(content))
		return 1;
	lim.max_body = 0; /* bodies go to sinks */
	base = event_base_new();
	srv = inproc_httpd_new(base, &lim, m, handler, &port);
	test_stream(port);
	test_sink(port);
	httpd_free(srv);
	for (int i = 0; i < nstreams; i++)
		event_free(streams[i].ev);
	event_base_free(base);
	metrics_free(m);
	close(filefd);
	return test_done();
}
