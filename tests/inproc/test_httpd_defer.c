/*
 * In-process tests of deferred answers in the httpd core (httpd_defer,
 * httpd_resume, httpd_resume_done): an answer given later from a timer,
 * pipelined requests held back and answered in order, a request body kept
 * until the answer, no head or keep-alive timeout while deferred, a client
 * leaving, a resume from another connection's handler, drain, and a server
 * freed with answers still pending.
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

static struct event_base *base;
static uint16_t port;
static int cancelled, answered_late, drained;

/* One deferred answer, given when its timer fires (or when kicked). */
struct pending {
	struct httpd_deferred *d;
	struct event *ev;
	struct pending *next;
};

static struct pending *pendings;

/* "PREFIX:path" and, with a body, " LEN SUM". */
static void answer(struct httpd_exchange *x, const char *prefix)
{
	char out[256];
	int n =
	    snprintf(out, sizeof(out), "%s:%.*s", prefix, (int)x->req->path.len, x->req->path.p);

	if (x->body)
		n += snprintf(out + n, sizeof(out) - (size_t)n, " %zu %u", x->body_len,
			      inproc_sum(x->body, x->body_len));
	httpd_begin(x, 200);
	httpd_header_lit(x, "Content-Type: text/plain\r\n");
	httpd_end_head(x, n);
	httpd_body_mem(x, out, (size_t)n);
}

static void pending_unlink(struct pending *p)
{
	for (struct pending **pp = &pendings; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

/* Answer P now (or count it cancelled) and free it. */
static void pending_finish(struct pending *p, const char *prefix)
{
	struct httpd_exchange *x = httpd_resume(p->d);

	if (x) {
		answer(x, prefix);
		httpd_resume_done(x);
		answered_late++;
	} else {
		cancelled++;
	}
	pending_unlink(p);
	event_free(p->ev);
	free(p);
}

static void pending_cb(evutil_socket_t fd, short what, void *arg)
{
	pending_finish(arg, "S");
}

/*
 * /slow/MS: answered MS ms later.  /now: deferred and resumed inside the
 * handler.  /kick: answers every pending request first, then itself.
 * Anything else: answered at once.
 */
static void handler(struct httpd_exchange *x, void *arg)
{
	struct http_str path = x->req->path;

	if (path.len > 6 && memcmp(path.p, "/slow/", 6) == 0) {
		struct pending *p = calloc(1, sizeof(*p));
		long ms = strtol(path.p + 6, NULL, 10);
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

		if (!p || !(p->d = httpd_defer(x)))
			abort();
		p->ev = evtimer_new(base, pending_cb, p);
		evtimer_add(p->ev, &tv);
		p->next = pendings;
		pendings = p;
		return;
	}
	if (path.len == 4 && memcmp(path.p, "/now", 4) == 0) {
		struct httpd_deferred *d = httpd_defer(x);
		struct httpd_exchange *y;

		if (!d)
			abort();
		CHECK(httpd_defer(x) == NULL && errno == EINVAL);
		y = httpd_resume(d);
		CHECK(y == x);
		answer(y, "N");
		httpd_resume_done(y);
		return;
	}
	if (path.len == 5 && memcmp(path.p, "/kick", 5) == 0) {
		while (pendings)
			pending_finish(pendings, "K");
	}
	answer(x, "F");
}

/* Is A found in S before B (both found)? */
static bool before(const char *s, const char *a, const char *b)
{
	const char *pa = strstr(s, a), *pb = strstr(s, b);

	return pa && pb && pa < pb;
}

/* Has the server closed FD (end of stream)? */
static bool closed_by_server(int fd)
{
	char b;

	return recv(fd, &b, 1, 0) == 0;
}

static int count_of(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void on_drained(void *arg)
{
	drained++;
}

static struct httpd *server_new(struct metrics *m)
{
	struct httpd_limits lim = inproc_limits(300, 3000);

	return inproc_httpd_new(base, &lim, m, handler, &port);
}

int main(void)
{
	struct metrics *m = metrics_new(1);
	struct httpd *srv;
	char resp[16384], expect[64];
	int fd, fd2;

	base = event_base_new();
	srv = server_new(m);

	/* an answer from a timer, then the connection goes on */
	fd = inproc_connect(port);
	inproc_send(fd, "GET /slow/100 HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd, resp, sizeof(resp), 40);
	CHECK_STR(resp, "");
	inproc_take(base, fd, resp, sizeof(resp), 150);
	CHECK(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(resp, "\r\n\r\nS:/slow/100") != NULL);
	CHECK(strstr(resp, "Connection: close") == NULL);
	inproc_send(fd, "GET /again HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd, resp, sizeof(resp), 30);
	CHECK(strstr(resp, "\r\n\r\nF:/again") != NULL);

	/* pipelined: held back while deferred, answered in order */
	inproc_send(fd, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
			"GET /slow/80 HTTP/1.1\r\nHost: h\r\n\r\n"
			"GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
			"GET /slow/20 HTTP/1.1\r\nHost: h\r\n\r\n"
			"GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd, resp, sizeof(resp), 40);
	CHECK(strstr(resp, "F:/a") != NULL);
	CHECK(strstr(resp, "F:/b") == NULL);
	inproc_take(base, fd, resp + strlen(resp), sizeof(resp) - strlen(resp), 200);
	CHECK(before(resp, "F:/a", "S:/slow/80"));
	CHECK(before(resp, "S:/slow/80", "F:/b"));
	CHECK(before(resp, "F:/b", "S:/slow/20"));
	CHECK(before(resp, "S:/slow/20", "F:/c"));
	CHECK_INT(count_of(resp, "HTTP/1.1 200 OK"), 5);

	/* a request body stays valid until the deferred answer; then a pipelined GET */
	inproc_send(fd, "POST /slow/50 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
			"GET /d HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd, resp, sizeof(resp), 150);
	snprintf(expect, sizeof(expect), "S:/slow/50 11 %u", inproc_sum("hello world", 11));
	CHECK(strstr(resp, expect) != NULL);
	CHECK(before(resp, expect, "F:/d"));

	/* deferred and resumed inside the handler itself */
	inproc_send(fd, "GET /now HTTP/1.1\r\nHost: h\r\n\r\nGET /e HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd, resp, sizeof(resp), 30);
	CHECK(before(resp, "N:/now", "F:/e"));

	/* neither the head (300 ms) nor the keep-alive timeout fires while deferred */
	inproc_send(fd, "GET /slow/1200 HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd, resp, sizeof(resp), 1350);
	CHECK(strstr(resp, "S:/slow/1200") != NULL);
	CHECK(strstr(resp, "408") == NULL);
	/* ... and the keep-alive timeout applies again after the answer */
	inproc_pump(base, 1100);
	CHECK(closed_by_server(fd));
	close(fd);
	inproc_pump(base, 10);
	CHECK_INT(httpd_connections(srv), 0);

	/* the client leaves while deferred: closed at once, the late answer dropped */
	cancelled = 0;
	fd = inproc_connect(port);
	inproc_send(fd, "GET /slow/200 HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_pump(base, 30);
	CHECK_INT(httpd_connections(srv), 1);
	close(fd);
	inproc_pump(base, 30);
	CHECK_INT(httpd_connections(srv), 0);
	inproc_pump(base, 250);
	CHECK_INT(cancelled, 1);

	/* ... also when it had pipelined more requests, and half-closed */
	fd = inproc_connect(port);
	inproc_send(fd,
		    "GET /slow/200 HTTP/1.1\r\nHost: h\r\n\r\nGET /f HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_pump(base, 30);
	shutdown(fd, SHUT_WR);
	inproc_pump(base, 30);
	CHECK_INT(httpd_connections(srv), 0);
	inproc_pump(base, 250);
	CHECK_INT(cancelled, 2);
	close(fd);

	/* a resume from another connection's handler */
	fd = inproc_connect(port);
	fd2 = inproc_connect(port);
	inproc_send(
	    fd, "GET /slow/10000 HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_pump(base, 30);
	inproc_send(fd2, "GET /kick HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_take(base, fd2, resp, sizeof(resp), 30);
	CHECK(strstr(resp, "\r\n\r\nF:/kick") != NULL);
	inproc_take(base, fd, resp, sizeof(resp), 10);
	CHECK(before(resp, "K:/slow/10000", "F:/g"));
	close(fd2);

	/* drain waits for a deferred answer, which says Connection: close */
	drained = 0;
	inproc_send(fd, "GET /slow/300 HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_pump(base, 30);
	httpd_drain(srv, on_drained, NULL);
	inproc_pump(base, 150);
	CHECK_INT(drained, 0);
	CHECK_INT(httpd_connections(srv), 1);
	inproc_take(base, fd, resp, sizeof(resp), 300);
	CHECK(strstr(resp, "S:/slow/300") != NULL);
	CHECK(strstr(resp, "Connection: close\r\n") != NULL);
	CHECK_INT(drained, 1);
	CHECK_INT(httpd_connections(srv), 0);
	close(fd);
	httpd_free(srv);

	/* the server freed with an answer pending: the handle is given back later */
	srv = server_new(m);
	cancelled = 0;
	fd = inproc_connect(port);
	inproc_send(fd, "GET /slow/100 HTTP/1.1\r\nHost: h\r\n\r\n");
	inproc_pump(base, 30);
	CHECK(pendings != NULL);
	httpd_free(srv);
	inproc_pump(base, 150);
	CHECK_INT(cancelled, 1);
	CHECK(pendings == NULL);
	close(fd);

	metrics_free(m);
	event_base_free(base);
	return test_done();
}
